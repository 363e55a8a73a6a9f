"""Shared fixtures: a job search written to disk as a user's tree."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

# tests/jobsearch.py is a helper module, imported by the tests that need it.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test ever reads or writes the real user's config or state."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """``cli.main`` points the logs at the captured stderr of its test: undo that, so
    that a later test logging through structlog never writes to a closed stream."""
    yield
    structlog.reset_defaults()
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == "thankful":
            root.removeHandler(h)
