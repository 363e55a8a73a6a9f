"""Reminders by SMTP against a real server: aiosmtpd on 127.0.0.1, on a free port.

STARTTLS and implicit TLS with a self-signed certificate trusted through ``cafile``,
AUTH PLAIN and LOGIN, wrong and missing passwords, a relay without AUTH, a silent
server; and whole cycles on the demo's Maildir job search with ``[smtp]`` added.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import keyring
import keyring.backend
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from aiosmtpd.smtp import LoginPassword

from integration.dovecot import free_port
from integration.dovecot import make_cert
from thankful.adapters.smtp import submit
from thankful.config import SmtpConfig
from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import build_demo
from thankful.errors import PermanentSourceError
from thankful.errors import TransientSourceError
from thankful.service import run_cycle

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
USER, PASSWORD = "alex@example.net", "s3cret pass"
MESSAGE = (b"From: thankful <alex@example.net>\r\nTo: alex@example.net\r\n"
           b"Subject: 2 thank-you notes\r\nX-Thankful-Kind: reminder\r\n\r\n"
           b".a line that starts with a dot\r\nbye\r\n")


@dataclass
class Received:
    """What the server accepted, and how the client logged in."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)  # who, how, ok
    password: bytes = PASSWORD.encode()
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        return "250 OK queued"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == self.password)
        self.logins.append((auth_data.login.decode(), mechanism, ok))
        # handled=False lets aiosmtpd answer 535; handled=True would leave the client
        # waiting for an answer until its timeout (NOTES.md).
        return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    port: int
    got: Received
    cafile: Path


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("smtpcert"))


def _server_ctx(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


@pytest.fixture
def start(cert: tuple[Path, Path]) -> Iterator[Callable[..., Server]]:
    """Start aiosmtpd servers with the given mode; all are stopped after the test."""
    running: list[Controller] = []

    def go(mode: str = "starttls", **kw: Any) -> Server:
        got, port = Received(), free_port()
        args: dict[str, Any] = {"authenticator": got.authenticator, "auth_required": True}
        if mode == "starttls":
            args |= {"tls_context": _server_ctx(cert), "require_starttls": True}
        elif mode == "tls":
            # aiosmtpd counts only STARTTLS as TLS for auth_require_tls.
            args |= {"auth_require_tls": False}
        else:  # a plain relay: no TLS, no AUTH offered
            args = {}
        ctl = Controller(got, hostname="127.0.0.1", port=port,
                         ssl_context=_server_ctx(cert) if mode == "tls" else None,
                         ready_timeout=5.0, **(args | kw))
        ctl.start()
        running.append(ctl)
        return Server(port, got, cert[0])

    yield go
    for ctl in running:
        ctl.stop()


def settings(server: Server, **kw: Any) -> SmtpConfig:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": server.port, "security": "starttls",
                            "username": USER, "cafile": server.cafile,
                            "password_env": "THANKFUL_TEST_SMTP", "to": ("phone@example.org",)}
    return SmtpConfig(**(base | kw))


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKFUL_TEST_SMTP", PASSWORD)


def never(_: SmtpConfig) -> str:
    raise AssertionError("the password must not be asked for")


# --- the adapter ------------------------------------------------------------------------


def test_starttls_with_cafile_and_auth_plain(start: Callable[..., Server]) -> None:
    server = start("starttls")
    s = settings(server, to=("phone@example.org", "desk@example.org"))
    assert submit(s, MESSAGE, sender="alex@example.net", timeout=5) == ()
    [(sender, rcpts, data)] = server.got.messages
    # The envelope is the config's, not the To header's; the bytes are the ones given.
    assert sender == "alex@example.net" and rcpts == ["phone@example.org", "desk@example.org"]
    assert data.rstrip(b"\r\n") == MESSAGE.rstrip(b"\r\n")
    assert server.got.logins == [(USER, "PLAIN", True)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_auth_login(start: Callable[..., Server]) -> None:
    server = start("tls", auth_exclude_mechanism=["PLAIN"])
    submit(settings(server, security="tls"), MESSAGE, sender=USER, timeout=5)
    assert len(server.got.messages) == 1
    assert server.got.logins == [(USER, "LOGIN", True)]


def test_utf8_password_goes_by_auth_plain(start: Callable[..., Server]) -> None:
    server = start("starttls")
    server.got.password = "pässwörd €".encode()
    submit(settings(server), MESSAGE, sender=USER, secret=lambda _: "pässwörd €", timeout=5)
    assert len(server.got.messages) == 1 and server.got.logins[-1][2]


def test_refused_recipients(start: Callable[..., Server]) -> None:
    server = start("starttls")
    server.got.refuse = {"gone@example.org"}
    s = settings(server, to=("phone@example.org", "gone@example.org"))
    assert submit(s, MESSAGE, sender=USER, timeout=5) == ("gone@example.org",)
    assert [m[1] for m in server.got.messages] == [["phone@example.org"]]
    with pytest.raises(PermanentSourceError, match=r"refused every recipient: "
                       r"gone@example.org \(550 5.1.1 no such user\); check to in \[smtp\]"):
        submit(settings(server, to=("gone@example.org",)), MESSAGE, sender=USER, timeout=5)
    assert len(server.got.messages) == 1


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, store: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.store = store

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def test_password_from_the_keyring_entry_smtp(start: Callable[..., Server]) -> None:
    server = start("starttls")
    before = keyring.get_keyring()
    store: dict[tuple[str, str], str] = {}
    keyring.set_keyring(MemoryKeyring(store))
    try:
        with pytest.raises(PermanentSourceError, match=r"^smtp: no SMTP password in the "
                           r"system keyring; store it with `thankful set-password smtp`"):
            submit(settings(server, password_env=None), MESSAGE, sender=USER, timeout=5)
        store[("thankful", "smtp")] = PASSWORD
        submit(settings(server, password_env=None), MESSAGE, sender=USER, timeout=5)
    finally:
        keyring.set_keyring(before)
    assert len(server.got.messages) == 1 and server.got.logins[-1][2]


def test_wrong_password_is_one_clear_sentence(start: Callable[..., Server]) -> None:
    server = start("starttls")
    with pytest.raises(PermanentSourceError) as info:
        submit(settings(server), MESSAGE, sender=USER, secret=lambda _: "wrong", timeout=5)
    text = str(info.value)
    assert text.startswith(f"smtp: 127.0.0.1 refused the password for {USER} (535); check")
    assert "wrong" not in text and "\n" not in text
    assert server.got.messages == []


def test_missing_password_env_names_the_key(start: Callable[..., Server],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    server = start("starttls")
    monkeypatch.delenv("THANKFUL_TEST_SMTP")
    with pytest.raises(PermanentSourceError, match=r"^smtp: the environment variable "
                       r"THANKFUL_TEST_SMTP \(password_env\) is not set or empty$"):
        submit(settings(server), MESSAGE, sender=USER, timeout=5)
    assert server.got.logins == []


def test_certificate_not_trusted_without_cafile(start: Callable[..., Server]) -> None:
    server = start("starttls")
    with pytest.raises(PermanentSourceError, match=r"failed verification .*set cafile"):
        submit(settings(server, cafile=None), MESSAGE, sender=USER, secret=never, timeout=5)
    assert server.got.logins == [] and server.got.messages == []


def test_no_starttls_offered_means_no_password_sent(start: Callable[..., Server]) -> None:
    server = start("plain")
    with pytest.raises(PermanentSourceError, match="does not offer STARTTLS"):
        submit(settings(server), MESSAGE, sender=USER, secret=never, timeout=5)
    assert server.got.messages == []


def test_loopback_relay_without_auth(start: Callable[..., Server]) -> None:
    server = start("plain")
    submit(settings(server, security="none", cafile=None), MESSAGE, sender=USER,
           secret=never, timeout=5)
    assert [m[1] for m in server.got.messages] == [["phone@example.org"]]


def test_refused_connection_and_silent_server_time_out_cleanly() -> None:
    s = SmtpConfig(host="127.0.0.1", port=free_port(), username=USER, to=(USER,))
    with pytest.raises(TransientSourceError, match="refused the connection"):
        submit(s, MESSAGE, sender=USER, secret=never, timeout=2)
    # Accepts the connection (the kernel's backlog) but never greets.
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        s = replace(s, port=mute.getsockname()[1])
        with pytest.raises(TransientSourceError, match=r"timed out\); will retry"):
            submit(s, MESSAGE, sender=USER, secret=never, timeout=0.5)


# --- whole cycles -----------------------------------------------------------------------


def inbox(root: Path) -> set[str]:
    """Every message file in the Maildir++ INBOX (cur and new)."""
    return {p.name for sub in ("cur", "new") for p in (root / sub).iterdir()}


def search_with_smtp(tmp_path: Path, server: Server, to: str = '"phone@example.org"') -> Path:
    config = write_search(tmp_path / "search", build_demo(NOW), NOW)
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {server.port}\n'
                f'username = "{USER}"\npassword_env = "THANKFUL_TEST_SMTP"\n'
                f'cafile = "{server.cafile}"\nto = [{to}]\n')
    return config


def test_cycle_sends_one_reminder_and_none_into_the_inbox(
        tmp_path: Path, start: Callable[..., Server]) -> None:
    server = start("starttls")
    cfg = load(search_with_smtp(tmp_path, server))
    assert cfg.smtp is not None and cfg.smtp.cafile == server.cafile
    mail = tmp_path / "search" / "mail"
    before = inbox(mail)
    first = run_cycle(cfg, NOW)
    assert first.ok, first.errors
    assert first.reminder is not None and first.reminder[0] == "phone@example.org"
    assert first.counts.get("reminders_delivered") == 1
    [(sender, rcpts, data)] = server.got.messages
    assert rcpts == ["phone@example.org"]
    # Exactly the message build_reminder made: its headers name the user, the
    # envelope alone the configured address.
    assert data.rstrip(b"\r\n") == first.reminder[1].rstrip(b"\r\n")
    assert sender == cfg.identity.addresses[0]
    assert b"X-Thankful-Reminder:" in data
    assert inbox(mail) == before  # not also delivered into the inbox
    second = run_cycle(cfg, NOW + timedelta(minutes=10))
    assert second.ok, second.errors
    assert second.reminder is None and len(server.got.messages) == 1
    assert inbox(mail) == before


def test_failed_submission_is_retried_next_cycle(
        tmp_path: Path, start: Callable[..., Server],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = start("starttls")
    cfg = load(search_with_smtp(tmp_path, server))
    monkeypatch.setenv("THANKFUL_TEST_SMTP", "not the password")
    first = run_cycle(cfg, NOW)
    # The drafts were written all the same; only the reminder failed, in one sentence.
    assert first.drafts and first.reminder is None
    [(source, reason)] = first.errors
    assert source == "smtp" and reason.startswith("127.0.0.1 refused the password for")
    assert server.got.messages == []
    monkeypatch.setenv("THANKFUL_TEST_SMTP", PASSWORD)
    second = run_cycle(cfg, NOW + timedelta(minutes=10))
    assert second.ok, second.errors
    assert second.reminder is not None and len(server.got.messages) == 1
    third = run_cycle(cfg, NOW + timedelta(minutes=20))
    assert third.reminder is None and len(server.got.messages) == 1


def test_partly_refused_is_reported_and_not_sent_again(
        tmp_path: Path, start: Callable[..., Server]) -> None:
    server = start("starttls")
    server.got.refuse = {"gone@example.org"}
    cfg = load(search_with_smtp(tmp_path, server, '"gone@example.org", "phone@example.org"'))
    first = run_cycle(cfg, NOW)
    assert first.errors == [("smtp", "127.0.0.1 refused the reminder for gone@example.org; "
                                     "the other recipients got it")]
    assert [m[1] for m in server.got.messages] == [["phone@example.org"]]
    second = run_cycle(cfg, NOW + timedelta(minutes=10))
    assert second.ok and len(server.got.messages) == 1


def test_server_down_ends_the_cycle_cleanly(tmp_path: Path,
                                            start: Callable[..., Server]) -> None:
    server = start("starttls")
    cfg = load(search_with_smtp(tmp_path, server))
    assert cfg.smtp is not None
    cfg = replace(cfg, smtp=replace(cfg.smtp, port=free_port()))
    result = run_cycle(cfg, NOW)
    assert [s for s, _ in result.errors] == ["smtp"] and "refused the connection" in (
        result.errors[0][1])
    assert result.drafts and result.reminder is None


def test_dry_run_sends_nothing(tmp_path: Path, start: Callable[..., Server]) -> None:
    server = start("starttls")
    cfg = load(search_with_smtp(tmp_path, server))
    result = run_cycle(cfg, NOW, dry_run=True)
    assert result.reminder is not None and server.got.messages == []
