"""The IMAP connection takes the capabilities from the server's greeting when it lists
them, and asks with CAPABILITY only when it does not (a scripted server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripted_imap import ScriptedImap
from thankful.adapters.imap import _IMAP4

CAPS = b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN"


def _answer(tag: str, verb: str, words: list[str]) -> bytes | None:
    """CAPABILITY and LOGOUT; anything else is refused."""
    if verb == "CAPABILITY":
        return b"* CAPABILITY " + CAPS + b"\r\n" + tag.encode() + b" OK done\r\n"
    if verb == "LOGOUT":
        return None
    return tag.encode() + b" BAD unexpected\r\n"


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[ScriptedImap]:
    s = ScriptedImap(request.param, _answer)
    yield s
    s.close()


@pytest.mark.parametrize("server", [b"* OK [CAPABILITY " + CAPS + b"] Dovecot ready."],
                         indirect=True)
def test_capabilities_in_the_greeting_save_a_round_trip(server: ScriptedImap) -> None:
    imap = _IMAP4("127.0.0.1", server.port, 5, None)
    assert "IDLE" in imap.capabilities and "AUTH=PLAIN" in imap.capabilities
    assert imap.PROTOCOL_VERSION == "IMAP4REV1"
    assert "CAPABILITY" not in imap.untagged_responses  # not mistaken for a later answer
    imap.logout()
    server.close()
    assert server.commands == ["LOGOUT"]


@pytest.mark.parametrize("server", [b"* OK IMAP server ready"], indirect=True)
def test_a_plain_greeting_is_followed_by_capability(server: ScriptedImap) -> None:
    imap = _IMAP4("127.0.0.1", server.port, 5, None)
    assert "IDLE" in imap.capabilities
    imap.logout()
    server.close()
    assert server.commands == ["CAPABILITY", "LOGOUT"]
