"""A loopback TCP proxy that counts what an IMAP client sends and receives.

Plaintext IMAP only (the benchmark connects with ``security = "none"``, allowed to
loopback): it counts bytes each way, connections, tagged commands by name (literals
the client sends, as in APPEND, are skipped), and the message bodies on the wire
(each ``BODY[] {n}`` the server sends). Counters are read and reset between runs.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter

_LITERAL = re.compile(rb"\{(\d+)\+?\}$")
_BODY = b"BODY[] {"
_CHUNK = 1 << 18


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.up = self.down = self.connections = self.bodies = 0
        self.commands: Counter[str] = Counter()

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {"bytes_sent": self.up, "bytes_received": self.down,
                    "connections": self.connections, "bodies_on_wire": self.bodies,
                    "commands": sum(self.commands.values()),
                    "by_command": dict(self.commands.most_common())}


class CountingProxy:
    """``CountingProxy(upstream_port).start()``; connect to ``.port`` instead."""

    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.counts = Counts()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = False

    def start(self) -> CountingProxy:
        threading.Thread(target=self._accept, daemon=True, name="proxy").start()
        return self

    def stop(self) -> None:
        self._stop = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.counts.lock:
                self.counts.connections += 1
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client), daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket) -> None:
        """Client to server: count bytes and tagged commands (skipping literals)."""
        buf, skip, cont = b"", 0, False
        try:
            while data := src.recv(_CHUNK):
                dst.sendall(data)
                names = []
                buf += data
                while True:
                    if skip:
                        take = min(skip, len(buf))
                        buf, skip = buf[take:], skip - take
                        if skip:
                            break
                    end = buf.find(b"\r\n")
                    if end < 0:
                        break
                    line, buf = buf[:end], buf[end + 2:]
                    m = _LITERAL.search(line)
                    if m:
                        skip = int(m.group(1))
                    if not cont:
                        words = line.split(b" ", 3)
                        if len(words) >= 2:
                            name = words[1].upper()
                            if name == b"UID" and len(words) >= 3:
                                name += b" " + words[2].upper()
                            names.append(name.decode(errors="replace"))
                    cont = bool(m)  # the command goes on after its literal
                with self.counts.lock:
                    self.counts.up += len(data)
                    self.counts.commands.update(names)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _down(self, src: socket.socket, dst: socket.socket) -> None:
        """Server to client: count bytes and bodies (``BODY[] {``)."""
        tail = b""
        try:
            while data := src.recv(_CHUNK):
                dst.sendall(data)
                seen = (tail + data).count(_BODY)
                tail = data[-(len(_BODY) - 1):]
                with self.counts.lock:
                    self.counts.down += len(data)
                    self.counts.bodies += seen
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass
