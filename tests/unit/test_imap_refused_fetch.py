"""A survey whose header FETCH the server refuses (Gmail: "NO Some messages could not be
FETCHed") fails at once with the server's words and keeps the session in step: the
pipelined reader never waits for an answer it has already read (a scripted server on
loopback)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripted_imap import ScriptedImap
from thankful.adapters.imap import ImapStore
from thankful.config import load
from thankful.errors import SourceError

GREETING = b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SPECIAL-USE UIDPLUS] ready"
CANNED = {
    "LOGIN": b"",
    "CAPABILITY": b"* CAPABILITY IMAP4rev1 LITERAL+ SPECIAL-USE UIDPLUS\r\n",
    "STATUS": b'* STATUS "INBOX" (UIDVALIDITY 7 UIDNEXT 3 MESSAGES 2)\r\n',
    "LIST": (b'* LIST (\\HasNoChildren) "/" INBOX\r\n'
             b'* LIST (\\HasNoChildren \\Sent) "/" Sent\r\n'
             b'* LIST (\\HasNoChildren \\Drafts) "/" Drafts\r\n'),
    "EXAMINE": b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 3] ok\r\n",
    "SEARCH": b"* SEARCH 1 2\r\n",
    "NOOP": b"",
}


def _answer(tag: str, verb: str, words: list[str]) -> bytes | None:
    """What a survey sends, answered; every UID FETCH refused after one message."""
    if verb == "LOGOUT":
        return None
    if verb == "UID FETCH":
        return (b"* 1 FETCH (UID 1 RFC822.SIZE 3 BODY[HEADER] {3}\r\nA: )\r\n"
                + tag.encode() + b" NO Some messages could not be FETCHed\r\n")
    canned = CANNED.get(verb.removeprefix("UID "), b"")
    extra = b" [READ-ONLY]" if verb == "EXAMINE" else b""
    return canned + tag.encode() + b" OK" + extra + b" done\r\n"


@pytest.fixture
def server() -> Iterator[ScriptedImap]:
    s = ScriptedImap(GREETING, _answer)
    yield s
    s.close()


def test_a_refused_header_fetch_fails_at_once_and_keeps_the_session(
        server: ScriptedImap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKFUL_TEST_PW", "pw")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""state_dir = "{tmp_path / 'state'}"
[identity]
name = "Sam"
addresses = ["sam@example.org"]
[[accounts]]
name = "scripted"
kind = "imap"
host = "127.0.0.1"
port = {server.port}
security = "none"
username = "sam"
password_env = "THANKFUL_TEST_PW"
""")
    cfg.chmod(0o600)
    store = ImapStore(load(cfg).accounts[0], timeout=20.0, sleep=lambda s: None)
    store.open()
    store.token("INBOX")
    survey = store.survey("INBOX", set, None)
    started = time.monotonic()
    with pytest.raises(SourceError, match="could not be FETCHed"):
        list(survey.batches)
    assert time.monotonic() - started < 10  # not the 20 s read timeout
    # In step: the next command gets its own answer on the same connection.
    assert store.token("Sent") == "7:3:2"
    store.close()
    server.close()
    assert server.commands.count("UID FETCH") == 1 and server.commands[-1] == "LOGOUT"
