"""Fixtures of the reliability tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from integration.dovecot import Dovecot
from integration.dovecot import available
from integration.dovecot import running


@pytest.fixture(scope="module")
def server() -> Iterator[Dovecot]:
    """A Dovecot of its own that records every session's commands (rawlog)."""
    why = available()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the IMAP tests: {why}")
        pytest.skip(why)
    with running(rawlog=True) as d:
        yield d
