"""A scripted IMAP server on loopback for unit tests: it sends a greeting, then answers
each command line with what a test's ``answer`` function returns for it, and records
the commands' verbs (``UID FETCH`` for a UID command)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

#: answer(tag, verb, words) -> the bytes to send back, or None to answer and stop.
Answer = Callable[[str, str, list[str]], bytes | None]


def bye(tag: str) -> bytes:
    """What a server says to LOGOUT."""
    return b"* BYE bye\r\n" + tag.encode() + b" OK done\r\n"


class ScriptedImap:
    """One connection, served on a thread; ``close`` waits for it to end."""

    def __init__(self, greeting: bytes, answer: Answer) -> None:
        self.greeting = greeting
        self.answer = answer
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
                words = line.decode().split()
                tag, verb = words[0], words[1].upper()
                if verb == "UID":
                    verb = f"UID {words[2].upper()}"
                self.commands.append(verb)
                reply = self.answer(tag, verb, words)
                if reply is None:
                    conn.sendall(bye(tag))
                    return
                conn.sendall(reply)

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.sock.close()
