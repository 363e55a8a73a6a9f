"""A throwaway Dovecot 2.3 IMAP server for the integration tests.

Written from NOTES.md (Dovecot section): a complete standalone ``dovecot.conf`` in a
short temp dir (unix socket paths must stay under 108 bytes), never /etc/dovecot;
a STARTTLS listener and an implicit-TLS listener on free loopback ports with a
self-signed certificate made by openssl; passwd-file users (added while it runs:
passwd-file rereads a changed file); Maildir storage; SPECIAL-USE folders. It runs
in the foreground (``-F``), so the PID we stop is the master's own.
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

from thankful.config import AccountConfig
from thankful.config import ImapSettings

SPECIAL = ("Drafts", "Sent", "Trash", "Junk", "Archive")
POOL = 60


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    # /usr/sbin is not on every user's PATH.
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), name)


DOVECOT, DOVEADM, OPENSSL = _tool("dovecot"), _tool("doveadm"), _tool("openssl")


def available() -> str | None:
    """None when Dovecot can run here, else why not."""
    if not all(os.path.exists(p) for p in (DOVECOT, DOVEADM, OPENSSL)):
        return "dovecot (Debian package dovecot-imapd) or openssl is not installed"
    return None


_CERTS: list[tuple[bytes, bytes]] = []  # made once per test run: RSA keys are slow


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if _CERTS:
        cert.write_bytes(_CERTS[0][0])
        key.write_bytes(_CERTS[0][1])
        os.chmod(key, 0o600)
        return cert, key
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, timeout=60)
    _CERTS.append((cert.read_bytes(), key.read_bytes()))
    return cert, key


class Dovecot:
    """One Dovecot instance; ``start()`` it, ``stop()`` it, add users while it runs."""

    def __init__(self, *, oauth2_introspection_url: str | None = None,
                 rawlog: bool = False, quota_messages: int | None = None) -> None:
        # mkdtemp under /tmp keeps base_dir's socket paths short.
        self.root = Path(tempfile.mkdtemp(prefix="tdc", dir="/tmp"))
        os.chmod(self.root, 0o755)  # the mail user (nobody) must reach its home
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.cert, self.key = make_cert(self.root)
        self.conf = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        self.users = self.root / "users"
        self.proc: subprocess.Popen[bytes] | None = None
        self.oauth2_url = oauth2_introspection_url
        # Opt-in: each session's traffic after login in the user's ~/rawlog, one pair of
        # files per session (*.in what the client sent, *.out the answers; timestamped).
        self.rawlog = rawlog
        # Opt-in: every user's mailbox holds at most this many messages (the quota
        # plugin, count backend); an APPEND past it is answered NO [OVERQUOTA].
        self.quota_messages = quota_messages
        if os.geteuid() == 0:
            # Dovecot refuses uid 0 for mail: the mail belongs to nobody.
            self.uid, self.gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        self.users.write_text("")
        # passwd-file rereads a changed file at most once a second, so a user added
        # while it runs may go unseen for a second: tests take users from a pool
        # written before the start.
        self._pool = [self.add_user() for _ in range(POOL)]
        self._protect_users()
        self.conf.write_text(self._config())

    # --- config ----------------------------------------------------------------------

    def _config(self) -> str:
        r = self.root
        me = pwd.getpwuid(os.getuid()).pw_name
        if os.geteuid() == 0:
            users = ("default_internal_user = dovecot\ndefault_login_user = dovenull\n"
                     f"first_valid_uid = {self.uid}\n")
            chroots = ""
        else:
            users = (f"default_internal_user = {me}\ndefault_internal_group = "
                     f"{grp.getgrgid(os.getgid()).gr_name}\ndefault_login_user = {me}\n"
                     f"first_valid_uid = {self.uid}\n")
            chroots = "  chroot =\n"
        # With its socket off there is no auth penalty: one failed login (a test)
        # would otherwise slow every later login from 127.0.0.1 by seconds.
        anvil = ("service anvil {\n" + chroots +
                 "  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n")
        mechanisms = "plain login"
        oauth = ""
        if self.oauth2_url:
            mechanisms += " xoauth2 oauthbearer"
            (r / "oauth2.conf").write_text(
                f"introspection_mode = post\nintrospection_url = {self.oauth2_url}\n"
                "username_attribute = username\nactive_attribute = active\n"
                "active_value = true\n")
            oauth = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n" \
                    f"  args = {r}/oauth2.conf\n}}\n"
        boxes = "".join(
            f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = subscribe\n  }}\n"
            for name in SPECIAL)
        dh = "/usr/share/dovecot/dh.pem"
        return f"""# Written by tests/integration/dovecot.py; never /etc/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log}
info_log_path = {self.log}
debug_log_path = {self.log}
{users}ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
{f"ssl_dh = <{dh}" if os.path.exists(dh) else ""}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_cache_size = 0
# Failed logins are part of the tests: no 2 s delay.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
{self._quota()}{oauth}{'rawlog_dir = %h/rawlog' if self.rawlog else ''}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.users}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
{"  chroot =" if os.geteuid() != 0 else ""}
}}
{anvil}protocol imap {{
  mail_max_userip_connections = 200
}}
namespace inbox {{
  inbox = yes
  separator = /
{boxes}}}
"""

    def _quota(self) -> str:
        if self.quota_messages is None:
            return ""
        return ("mail_plugins = $mail_plugins quota\nplugin {\n  quota = count:User quota\n"
                f"  quota_rule = *:messages={self.quota_messages}\n  quota_vsizes = yes\n}}\n")

    def _protect_users(self) -> None:
        # The auth process runs as the dovecot user: it reads the file through its group.
        if os.geteuid() == 0:
            os.chown(self.users, 0, grp.getgrnam("dovecot").gr_gid)
            os.chmod(self.users, 0o640)

    # --- life ------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start the master in the foreground and wait for an IMAP greeting."""
        with open(self.log, "ab") as log:
            # Its own session: the group id is the master's PID, and holds only its
            # children, so stop() can end them all by that id.
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.proc.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            if self._greets():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dovecot did not greet within {timeout:.0f} s: "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM the master, then its children (its process group), and wait for all.

        The children notice a dead master only lazily: an open IMAP session would go
        on answering for a while, which is not what a killed server does.
        """
        if self.proc is None:
            return
        group = self.proc.pid
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None
        deadline = time.monotonic() + 10
        sig: int = 0  # only asks whether one is left
        while True:
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                return
            if time.monotonic() > deadline - 5:
                sig = signal.SIGKILL
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot's processes (group {group}) did not stop")
            time.sleep(0.01)

    def cleanup(self) -> None:
        """Stop and remove the temp dir."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- users and data ----------------------------------------------------------------

    def new_user(self) -> tuple[str, str]:
        """An unused user with an empty mailbox (SPECIAL-USE folders appear on login)."""
        if self._pool:
            return self._pool.pop(0)
        user = self.add_user()
        time.sleep(1.1)  # see __init__: passwd-file looks again after a second
        return user

    def add_user(self, name: str | None = None, password: str | None = None) -> tuple[str, str]:
        """Add a user to the passwd-file; ``new_user()`` is the one to use in tests."""
        name = name or "u" + secrets.token_hex(4)
        password = password or secrets.token_urlsafe(12)
        home = self.root / "home" / name
        home.mkdir(parents=True)
        os.chmod(self.root / "home", 0o755)
        os.chown(home, self.uid, self.gid)
        if self.rawlog:  # Dovecot writes rawlogs only into a directory that exists
            (home / "rawlog").mkdir()
            os.chown(home / "rawlog", self.uid, self.gid)
        with open(self.users, "a") as fh:
            fh.write(f"{name}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{home}::\n")
        self._protect_users()
        return name, password

    def ssl_context(self) -> ssl.SSLContext:
        """A context that trusts this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, user: str, password: str) -> IMAPClient:
        """A logged-in admin connection (implicit TLS) for loading and checking data."""
        c = IMAPClient("127.0.0.1", port=self.imaps_port, ssl=True,
                       ssl_context=self.ssl_context(), timeout=10)
        c.login(user, password)
        return c

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this instance's config."""
        res = subprocess.run([DOVEADM, "-c", str(self.conf), *args], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=30, check=False)
        if res.returncode:
            raise RuntimeError(f"doveadm {' '.join(args)}: {res.stderr.decode(errors='replace')}")
        return res.stdout.decode(errors="replace")


@contextlib.contextmanager
def running(*, oauth2_introspection_url: str | None = None,
            rawlog: bool = False) -> Iterator[Dovecot]:
    """A started Dovecot for one block."""
    d = Dovecot(oauth2_introspection_url=oauth2_introspection_url, rawlog=rawlog)
    try:
        d.start()
        yield d
    finally:
        d.cleanup()


_SHARED: list[Dovecot] = []


def shared() -> Dovecot:
    """The session's Dovecot, started on first use and stopped (by PID) at exit.

    Missing Dovecot skips with the reason, but fails in CI (``CI=true``): skipped
    integration tests would otherwise pile up unseen.
    """
    if not _SHARED:
        why = available()
        if why:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI needs the IMAP tests: {why}")
            pytest.skip(why)
        server = Dovecot()
        atexit.register(server.cleanup)
        server.start()
        _SHARED.append(server)
    return _SHARED[0]


@dataclass(frozen=True)
class ImapUser:
    """A Dovecot user with an empty mailbox, and how to reach it."""

    server: Dovecot
    name: str
    password: str

    @classmethod
    def new(cls, server: Dovecot) -> ImapUser:
        """A new user, so every test starts from an empty mailbox."""
        name, password = server.new_user()
        return cls(server, name, password)

    @property
    def env(self) -> str:
        """The environment variable the account's password is read from."""
        return f"THANKFUL_TEST_{self.name.upper()}"

    def account(self, *, security: str = "starttls", cafile: Path | bool | None = True,
                name: str = "imap", **kw: object) -> AccountConfig:
        """An account config for this user (the password through ``password_env``)."""
        port = self.server.imaps_port if security == "tls" else self.server.imap_port
        ca = self.server.cert if cafile is True else (cafile or None)
        settings = ImapSettings(host="127.0.0.1", port=port, security=security,
                                username=self.name, cafile=ca,  # type: ignore[arg-type]
                                password_env=self.env)
        os.environ[self.env] = self.password
        return AccountConfig(name=name, kind="imap", address="alex.morgan@example.net",
                             imap=settings, **kw)  # type: ignore[arg-type]

    def toml_account(self, *, name: str = "demo", security: str = "starttls",
                     extra: str = "") -> str:
        """The ``[[accounts]]`` block of a config file for this user (the password through
        ``password_env``, which this sets)."""
        port = self.server.imaps_port if security == "tls" else self.server.imap_port
        os.environ[self.env] = self.password
        return (f'[[accounts]]\nname = "{name}"\nkind = "imap"\nhost = "127.0.0.1"\n'
                f'port = {port}\nsecurity = "{security}"\ncafile = "{self.server.cert}"\n'
                f'username = "{self.name}"\npassword_env = "{self.env}"\n{extra}')

    def client(self) -> IMAPClient:
        """An admin connection to load and inspect this user's mail."""
        return self.server.client(self.name, self.password)
