"""Shared fixtures: a job search written to disk as a user's tree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/jobsearch.py is a helper module, imported by the tests that need it.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test ever reads or writes the real user's config or state."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
