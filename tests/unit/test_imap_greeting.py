"""The IMAP connection takes the capabilities from the server's greeting when it lists
them, and asks with CAPABILITY only when it does not (a scripted server on loopback)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from thankful.adapters.imap import _IMAP4

CAPS = b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN"


class Scripted:
    """A server that sends a greeting, then answers CAPABILITY and LOGOUT; it records
    the commands it was sent."""

    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.commands: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as rf:
            conn.sendall(self.greeting + b"\r\n")
            for line in rf:
                tag, verb = line.decode().split()[:2]
                self.commands.append(verb.upper())
                if verb.upper() == "CAPABILITY":
                    conn.sendall(b"* CAPABILITY " + CAPS + b"\r\n" + tag.encode()
                                 + b" OK done\r\n")
                elif verb.upper() == "LOGOUT":
                    conn.sendall(b"* BYE bye\r\n" + tag.encode() + b" OK done\r\n")
                    return
                else:
                    conn.sendall(tag.encode() + b" BAD unexpected\r\n")

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Scripted]:
    s = Scripted(request.param)
    yield s
    s.close()


@pytest.mark.parametrize("server", [b"* OK [CAPABILITY " + CAPS + b"] Dovecot ready."],
                         indirect=True)
def test_capabilities_in_the_greeting_save_a_round_trip(server: Scripted) -> None:
    imap = _IMAP4("127.0.0.1", server.port, 5, None)
    assert "IDLE" in imap.capabilities and "AUTH=PLAIN" in imap.capabilities
    assert imap.PROTOCOL_VERSION == "IMAP4REV1"
    assert "CAPABILITY" not in imap.untagged_responses  # not mistaken for a later answer
    imap.logout()
    server.close()
    assert server.commands == ["LOGOUT"]


@pytest.mark.parametrize("server", [b"* OK IMAP server ready"], indirect=True)
def test_a_plain_greeting_is_followed_by_capability(server: Scripted) -> None:
    imap = _IMAP4("127.0.0.1", server.port, 5, None)
    assert "IDLE" in imap.capabilities
    imap.logout()
    server.close()
    assert server.commands == ["CAPABILITY", "LOGOUT"]
