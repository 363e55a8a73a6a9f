"""A loopback TCP proxy between an IMAP client and server that can cut an APPEND.

Plain sockets and two threads per connection. It follows the client's commands
(literals included, ``{n}`` and LITERAL+ ``{n+}``) and the server's answers, so it
can cut both connections at an exact point of an APPEND:

* ``before_literal``: the ``APPEND ... {n}`` line went to the server, its literal
  (the message) does not: the server stores nothing;
* ``after_literal``: the literal and the end of the command went to the server, and
  the connections are cut at once: the server may or may not have stored it by then;
* ``after_ok``: the server's tagged answer to the APPEND arrived (it stored the
  message) and is not passed on: the client never learns it was saved.

``forward`` passes everything on; ``drop_all()`` cuts every open connection at
once (a NAT forgetting them, for a soak). In every mode the client's command lines are
recorded (``commands``; passwords and SASL answers blanked), and after STARTTLS the
proxy passes the bytes on untouched (TLS passthrough): use ``security = "none"``
(allowed to loopback) for a proxy that must see the commands.

    proxy = FaultProxy(dovecot.imap_port).start()
    proxy.arm("after_ok", nth=2, folder="Drafts")   # the 2nd APPEND to Drafts
    ...                                             # connect to proxy.port
    proxy.stop()

A fault is armed for one APPEND: after the cut the proxy forwards again, so the
client's reconnection goes through. ``cuts`` counts the cuts made.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Literal

Mode = Literal["forward", "before_literal", "after_literal", "after_ok"]
MODES: tuple[Mode, ...] = ("before_literal", "after_literal", "after_ok")

_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")
_CHUNK = 1 << 16


def _quickack(s: socket.socket) -> None:
    """ACK at once what was just read: a server that writes an answer in two pieces
    (Nagle waits for the first one's ACK) would otherwise stall 40 ms per command on the
    proxy's delayed ACK. Linux only; elsewhere a proxied command is just slower."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            s.setsockopt(socket.IPPROTO_TCP, quickack, 1)


@dataclass
class _Conn:
    """One client connection and its server connection."""

    client: socket.socket
    server: socket.socket
    number: int
    #: The tag of the armed APPEND whose answer is to be held back (``after_ok``).
    hold_tag: bytes = b""
    #: The tag of a STARTTLS: after its answer everything is TLS, passed on as is.
    tls_tag: bytes = b""
    #: An AUTHENTICATE is in progress: the client's lines are SASL answers.
    authenticating: bool = False
    dead: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultProxy:
    """A proxy on ``127.0.0.1:port`` to ``host:upstream_port``."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1", *,
                 record: bool = True) -> None:
        self.upstream = (host, upstream_port)
        self.record = record  # off for a long soak: the list would only grow
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self._lock = threading.Lock()
        self._stopped = False
        self._conns: list[_Conn] = []
        self._threads: list[threading.Thread] = []
        #: The client's command lines, in order, as (connection number, line).
        self.commands: list[tuple[int, str]] = []
        #: How many times the connections were cut, and where.
        self.cuts = 0
        self.cut_log: list[str] = []
        self.connections = 0
        self._mode: Mode = "forward"
        self._nth = 1
        self._folder: str | None = None
        self._seen = 0  # matching APPENDs since arming

    # --- control ---------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Accept connections in a thread of its own."""
        t = threading.Thread(target=self._accept, daemon=True, name="faultproxy")
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        """Stop accepting and close every connection."""
        self._stopped = True
        with contextlib.suppress(OSError):
            self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            self._close(c)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def arm(self, mode: Mode, *, nth: int = 1, folder: str | None = None) -> None:
        """Cut at ``mode`` on the ``nth`` APPEND from now (to ``folder``, if given)."""
        with self._lock:
            self._mode, self._nth, self._folder, self._seen = mode, nth, folder, 0

    def drop_all(self) -> int:
        """Cut every open connection now (as a NAT or a server restart would); how many."""
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            self._close(c)
        return len(conns)

    def disarm(self) -> None:
        """Forward everything from now on."""
        with self._lock:
            self._mode = "forward"

    @property
    def armed(self) -> bool:
        """Whether a fault is still waiting for its APPEND."""
        return self._mode != "forward"

    def command_names(self) -> list[str]:
        """The recorded commands' names (``APPEND``, ``UID SEARCH``...), in order."""
        out = []
        for _n, line in self.commands:
            words = line.split(" ", 3)
            if len(words) >= 2:
                name = words[1].upper()
                if name == "UID" and len(words) >= 3:
                    name += " " + words[2].upper()
                out.append(name)
        return out

    # --- plumbing --------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                conn = _Conn(client, server, self.connections)
                self._conns.append(conn)
            for target in (self._up, self._down):
                t = threading.Thread(target=target, args=(conn,), daemon=True)
                t.start()

    def _close(self, c: _Conn) -> None:
        with c.lock:
            if c.dead:
                return
            c.dead = True
        for s in (c.client, c.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
        with self._lock:
            if c in self._conns:
                self._conns.remove(c)

    def _cut(self, c: _Conn, where: str) -> None:
        with self._lock:
            self.cuts += 1
            self.cut_log.append(where)
            self._mode = "forward"  # one fault per arming
        self._close(c)

    def _record(self, c: _Conn, line: bytes) -> None:
        if not self.record:
            return
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        words = text.split(" ", 2)
        name = words[1].upper() if len(words) > 1 else ""
        if c.authenticating:
            text = "<SASL answer>"
        elif name == "LOGIN":
            text = f"{words[0]} LOGIN <blanked>"
        elif name == "AUTHENTICATE":
            text = " ".join(text.split(" ")[:3]) + (" <blanked>" if len(text.split()) > 3
                                                   else "")
        with self._lock:
            self.commands.append((c.number, text))

    def _match(self, line: bytes) -> bool:
        """Whether this APPEND line is the one the fault is armed for."""
        with self._lock:
            if self._mode == "forward":
                return False
            if self._folder is not None:
                words = line.split(b" ", 3)
                box = words[2].strip(b'"').decode("utf-8", "replace") if len(words) > 2 else ""
                if box.lower() != self._folder.lower():
                    return False
            self._seen += 1
            return self._seen == self._nth

    def _up(self, c: _Conn) -> None:
        """Client to server: follow commands and literals; cut where armed."""
        buf = b""
        literal = 0  # bytes of a literal still to come
        cont = False  # the current command goes on after its literal
        target: Mode | None = None  # the armed fault, on the APPEND in progress
        raw = False
        try:
            while True:
                data = c.client.recv(_CHUNK)
                if not data:
                    break
                _quickack(c.client)
                if raw:
                    c.server.sendall(data)
                    continue
                buf += data
                out = b""
                while buf:
                    if literal:
                        if target == "before_literal":
                            c.server.sendall(out)
                            self._cut(c, "before_literal")
                            return
                        take = min(literal, len(buf))
                        out, buf, literal = out + buf[:take], buf[take:], literal - take
                        continue
                    end = buf.find(b"\r\n")
                    if end < 0:
                        break
                    line, buf = buf[:end + 2], buf[end + 2:]
                    out += line
                    if not cont:
                        self._record(c, line)
                        words = line.rstrip(b"\r\n").split(b" ", 2)
                        name = words[1].upper() if len(words) > 1 else b""
                        if name == b"APPEND" and self._match(line):
                            with self._lock:
                                target = self._mode
                            if target == "after_ok":
                                c.hold_tag = words[0]
                        elif name == b"AUTHENTICATE":
                            c.authenticating = True
                        elif name == b"STARTTLS":
                            c.tls_tag = words[0]
                            raw = True
                    m = _LITERAL.search(line)
                    if m:
                        literal, cont = int(m.group(1)), True
                        continue
                    cont = False
                    if target == "after_literal":
                        c.server.sendall(out)  # the whole command: the server may store it
                        self._cut(c, "after_literal")
                        return
                    target = None  # the command is complete (after_ok waits in _down)
                    if raw:
                        c.server.sendall(out + buf)
                        out = buf = b""
                        break
                if out:
                    c.server.sendall(out)
        except OSError:
            pass
        finally:
            self._close(c)

    def _down(self, c: _Conn) -> None:
        """Server to client: follow answers (and their literals); hold back the armed
        APPEND's tagged answer and cut."""
        buf = b""
        literal = 0
        raw = False
        try:
            while True:
                data = c.server.recv(_CHUNK)
                if not data:
                    break
                _quickack(c.server)
                if raw:
                    c.client.sendall(data)
                    continue
                buf += data
                out = b""
                while buf:
                    if literal:
                        take = min(literal, len(buf))
                        out, buf, literal = out + buf[:take], buf[take:], literal - take
                        continue
                    end = buf.find(b"\r\n")
                    if end < 0:
                        break
                    line = buf[:end + 2]
                    tag = line.split(b" ", 1)[0]
                    if c.hold_tag and tag == c.hold_tag:
                        c.client.sendall(out)
                        self._cut(c, "after_ok")
                        return
                    buf = buf[end + 2:]
                    out += line
                    if c.authenticating and tag != b"+":
                        c.authenticating = False
                    if c.tls_tag and tag == c.tls_tag:
                        raw = True
                        out += buf
                        buf = b""
                        break
                    m = _LITERAL.search(line)
                    if m:
                        literal = int(m.group(1))
                if out:
                    c.client.sendall(out)
        except OSError:
            pass
        finally:
            self._close(c)
