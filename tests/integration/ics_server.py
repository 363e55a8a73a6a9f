"""A small HTTP server for the calendar tests: a folder's .ics files over HTTP.

Run as ``python ics_server.py FOLDER [CERT KEY]`` (with a certificate: over TLS): it
listens on a free port of 127.0.0.1 and writes the port to ``FOLDER/.port``. Files are served with an ETag and Last-Modified,
and conditional requests get a 304. ``FOLDER/.mode`` changes the answers: ``500``,
``html`` (a login page), ``sleep:SECONDS``, ``no-etag`` (Last-Modified alone),
``gzip``, ``redirect:URL``. Every request is logged to ``FOLDER/.log`` as one JSON line. Standard
library only, so that it starts fast.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import ssl
import sys
import time
from email.utils import formatdate
from email.utils import parsedate_to_datetime
from pathlib import Path


class _Handler(http.server.BaseHTTPRequestHandler):
    root = Path(".")

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        mode_file = self.root / ".mode"
        mode = mode_file.read_text().strip() if mode_file.exists() else "ok"
        status = self._answer(mode)
        with (self.root / ".log").open("a") as log:
            log.write(json.dumps({"path": self.path, "status": status,
                                  "inm": self.headers.get("If-None-Match"),
                                  "ims": self.headers.get("If-Modified-Since"),
                                  "auth": self.headers.get("Authorization")}) + "\n")

    def _answer(self, mode: str) -> int:
        if mode.startswith("sleep:"):
            time.sleep(float(mode[6:]))
        if mode.startswith("redirect:"):
            self.send_response(302)
            self.send_header("Location", mode[9:])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return 302
        if mode == "500":
            self.send_error(500, "Backend Error")
            return 500
        if mode == "html":
            body = b"<html><body>Sign in to see this calendar</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return 200
        path = self.root / self.path.lstrip("/").split("?", 1)[0]
        if not path.is_file() or path.name.startswith("."):
            self.send_error(404)
            return 404
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        mtime = int(path.stat().st_mtime)
        use_etag = mode != "no-etag"
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        fresh = (use_etag and inm == etag) or (not use_etag and ims is not None
                                               and parsedate_to_datetime(ims).timestamp() >= mtime)
        self.send_response(304 if fresh else 200)
        if use_etag:
            self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
        if fresh:
            self.end_headers()
            return 304
        zipped = mode == "gzip" and "gzip" in self.headers.get("Accept-Encoding", "")
        if zipped:
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return 200


def _serve(root: str, cert: str | None = None, key: str | None = None) -> None:
    _Handler.root = Path(root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port_file = Path(root) / ".port"
    port_file.with_suffix(".tmp").write_text(str(server.server_address[1]))
    os.replace(port_file.with_suffix(".tmp"), port_file)
    server.serve_forever()


if __name__ == "__main__":
    _serve(*sys.argv[1:4])
