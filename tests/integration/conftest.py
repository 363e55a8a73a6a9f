"""Integration fixtures: one Dovecot for the session, a fresh IMAP user per test."""

from __future__ import annotations

import pytest

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

