"""XOAUTH2 against Dovecot's oauth2 passdb, which checks each token at a small
RFC 7662 token-introspection endpoint this test serves on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.dovecot import running
from thankful.adapters.imap import ImapStore
from thankful.errors import PermanentSourceError

pytestmark = pytest.mark.integration

TOKENS: dict[str, str] = {}  # access token -> user name
SEEN: list[str] = []  # every token Dovecot asked about


class Introspection(BaseHTTPRequestHandler):
    """RFC 7662 token introspection, for Dovecot's oauth2 passdb."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        token = parse_qs(body).get("token", [""])[0]
        SEEN.append(token)
        user = TOKENS.get(token)
        answer = {"active": True, "username": user} if user else {"active": False}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def oauth_server() -> Iterator[Dovecot]:
    http = ThreadingHTTPServer(("127.0.0.1", 0), Introspection)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        with running(oauth2_introspection_url=f"http://127.0.0.1:{http.server_port}/"
                     "introspect") as server:
            yield server
    finally:
        http.shutdown()
        http.server_close()


def test_xoauth2_login_with_a_token_command(oauth_server: Dovecot) -> None:
    user = ImapUser.new(oauth_server)
    TOKENS["ya29.good-token"] = user.name
    acc = user.account(security="tls")
    assert acc.imap is not None
    acc = replace(acc, imap=replace(acc.imap, password_env=None,
                                    oauth2_token_command="echo ya29.good-token"))
    store = ImapStore(acc)
    store.open()
    lines = store.describe()
    store.close()
    assert f"logged in as {user.name} (XOAUTH2 from oauth2_token_command)" in lines


def test_rejected_token_is_one_clear_sentence(oauth_server: Dovecot) -> None:
    user = ImapUser.new(oauth_server)
    acc = user.account(security="starttls")
    assert acc.imap is not None
    acc = replace(acc, imap=replace(acc.imap, password_env=None,
                                    oauth2_token_command="echo expired-token"))
    with pytest.raises(PermanentSourceError) as info:
        ImapStore(acc).open()
    assert f"refused the OAuth2 token for {user.name}" in str(info.value)
    assert "expired-token" not in str(info.value)
