"""Fixtures for tests that read the shared corpus of real-world samples in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The shared/corpus directory next to the repository (never copied into it).

    Missing corpus: skipped locally, but a failure on CI (``CI=true``), so that
    skips cannot pile up unseen.
    """
    corpus = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    if not corpus.is_dir():
        reason = f"shared corpus not found at {corpus}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return corpus
