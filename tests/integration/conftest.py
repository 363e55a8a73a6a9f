"""Integration fixtures: one Dovecot for the session, a fresh IMAP user per test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.dovecot import shared


@pytest.fixture(scope="session")
def dovecot() -> Dovecot:
    """A running Dovecot on free loopback ports (STARTTLS and implicit TLS)."""
    return shared()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> ImapUser:
    """A user with an empty mailbox of its own."""
    return ImapUser.new(dovecot)


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """``cli.main`` points the logs at the captured stderr of its test: undo that."""
    yield
    structlog.reset_defaults()
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == "thankful":
            root.removeHandler(h)
