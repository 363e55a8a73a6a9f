"""Secrets never leak: not into a log line, a traceback, the state, or any output.

Canary credentials, each a unique random string, are given to every source: an IMAP
password (``password_env``), an OAuth2 token for XOAUTH2 (``oauth2_token_command``),
the SMTP password (``password_command``), a CalDAV password and the task list's (the
keyring), and a login in an ICS address (``http://user:password@host/...``). The CLI
then runs, at ``--log-level debug``, in subprocesses against real servers (Dovecot
with an OAuth2 introspection endpoint, aiosmtpd, Radicale with htpasswd, the ICS test
server): scan, check, status, explain, run (one cycle, then SIGTERM) and set-password,

- with every credential right (the secrets go over the wire, base64 and all);
- with every credential wrong (each server refuses; the feed answers 500; storing in
  the keyring fails);
- with TLS failing everywhere (certificates that do not verify);
- with each server dropping the connection mid-session (a relay that cuts the
  connection at a given command; the SMTP server hanging up at DATA);
- with a forced exception in one adapter function at a time, through
  ``secrets_wrapper.py``, where no real failure reaches the code path (the function
  raises while its arguments and locals hold the secret; some are caught by the
  adapter, some escape to the CLI's "unexpected error" with its traceback, one crashes
  a daemon cycle).

Then no canary, nor its base64 forms (AUTH PLAIN ``\\0user\\0password``, the XOAUTH2
string, HTTP Basic ``user:password``, the bare secret), is in any command's stdout or
stderr, or in any file of the job search's folder (the state: SQLite and its WAL,
cached ICS copies; the Maildir with its drafts). The config file (which holds the ICS
address) and the secret stores themselves (the token and password files, the keyring
file) are the only places they may be.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from integration.test_imap_oauth2 import SEEN
from integration.test_imap_oauth2 import TOKENS
from integration.test_imap_oauth2 import Introspection

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
WRAPPER = Path(__file__).with_name("secrets_wrapper.py")
ICS_SERVER = Path(__file__).resolve().parents[1] / "integration" / "ics_server.py"
SMTP_USER = "alex@example.net"
DAV_USER = "alex"
ICS_USER = "feeduser"


def _canary(what: str) -> str:
    return f"cnry{what}{secrets.token_hex(10)}"


#: Every secret thankful is given in these tests: the right ones and the wrong ones.
CANARIES = {name: _canary(name) for name in (
    "imapok", "imapbad", "oauthok", "oauthbad", "smtpok", "smtpbad", "davok", "davbad",
    "icsok", "stored")}
#: A token in an ICS address's login with an unencoded "/": its start once read as the
#: port (and was echoed), or as the host.
CANARIES["icsodd"] = f"{_canary('icsodd')}/{secrets.token_hex(6)}"



def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def forms(users: list[str]) -> dict[str, str]:
    """Each canary as it could appear: itself, and the base64 the protocols send."""
    out: dict[str, str] = {}
    for name, secret in CANARIES.items():
        out[name] = secret
        out[f"{name} base64"] = _b64(secret)
        for i, part in enumerate(re.split(r"[^A-Za-z0-9]", secret)):
            if len(part) >= 8 and part != secret:
                out[f"{name} part {i}"] = part
        for user in users:
            out[f"{name} AUTH PLAIN as {user}"] = _b64(f"\0{user}\0{secret}")
            out[f"{name} XOAUTH2 as {user}"] = _b64(f"user={user}\1auth=Bearer {secret}\1\1")
            out[f"{name} Basic as {user}"] = _b64(f"{user}:{secret}")
    return out


# --- servers ----------------------------------------------------------------------------

# The introspection endpoint Dovecot's oauth2 passdb asks: the XOAUTH2 tests' own.


class Cutter:
    """A TCP relay that drops both sides the moment the client sends ``marker``: to the
    client, the server died in the middle of the session."""

    def __init__(self, target: int, marker: bytes) -> None:
        self.target, self.marker = target, marker
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pair: tuple[socket.socket, ...],
              watch: bool) -> None:
        seen = b""
        try:
            while data := src.recv(65536):
                seen = (seen + data)[-8192:]
                if watch and self.marker in seen:
                    self.cuts += 1
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in pair:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def close(self) -> None:
        self.sock.close()


@dataclass
class SmtpState:
    logins: list[bool] = field(default_factory=list)
    messages: int = 0
    drop: bool = False


@dataclass
class World:
    """The running servers and the IMAP users."""

    dovecot: Any
    imap_user: str
    oauth_user: str
    smtp_port: int
    smtp: SmtpState
    cert: Path
    dav_base: str
    ics_root: Path
    ics_port: int
    tmp: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None = None,
               timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server this test started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _dav(base: str, method: str, path: str, password: str, data: bytes | None = None) -> int:
    import urllib.request

    auth = _b64(f"{DAV_USER}:{password}")
    req = urllib.request.Request(f"{base}{path}", data=data, method=method, headers={
        "Authorization": f"Basic {auth}", "Content-Type": "text/calendar; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(resp.status)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for module in ("aiosmtpd", "caldav", "radicale"):
        pytest.importorskip(module)
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from aiosmtpd.smtp import LoginPassword

    from integration.dovecot import Dovecot
    from integration.dovecot import available
    from integration.dovecot import make_cert
    from thankful.demo_data import build_demo

    if why := available():
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("servers")
    stack = contextlib.ExitStack()
    with stack:
        http = ThreadingHTTPServer(("127.0.0.1", 0), Introspection)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        stack.callback(http.server_close)
        stack.callback(http.shutdown)
        dovecot = Dovecot(oauth2_introspection_url=f"http://127.0.0.1:{http.server_port}/i")
        stack.callback(dovecot.cleanup)
        imap_user, _ = dovecot.add_user("leakimap", CANARIES["imapok"])
        oauth_user, _ = dovecot.add_user("leakoauth")
        TOKENS[CANARIES["oauthok"]] = oauth_user
        dovecot.start()

        # aiosmtpd: STARTTLS, AUTH required, the right password is the "smtpok" canary.
        cert, key = make_cert(tmp)
        state = SmtpState()

        class Handler:
            async def handle_DATA(self, server: Any, session: Any,  # noqa: N802
                                  envelope: Any) -> str:
                if state.drop:
                    server.transport.abort()  # the server dies while the data arrives
                    return "421 4.3.0 gone"
                state.messages += 1
                return "250 OK"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                          data: Any) -> AuthResult:
            ok = (isinstance(data, LoginPassword) and data.login == SMTP_USER.encode()
                  and data.password == CANARIES["smtpok"].encode())
            state.logins.append(ok)
            return AuthResult(success=ok, handled=False)

        import ssl

        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(str(cert), str(key))
        smtp_port = _free_port()
        ctl = Controller(Handler(), hostname="127.0.0.1", port=smtp_port, tls_context=tls,
                         require_starttls=True, authenticator=authenticator,
                         auth_required=True, ready_timeout=5.0)
        ctl.start()
        stack.callback(ctl.stop)

        # Radicale with an htpasswd file: the right password is the "davok" canary.
        htpasswd = tmp / "htpasswd"
        htpasswd.write_text(f"{DAV_USER}:{CANARIES['davok']}\n")
        dav_port = _free_port()
        with (tmp / "radicale.log").open("wb") as out:
            radicale = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", "", "--server-hosts",
                 f"127.0.0.1:{dav_port}", "--auth-type", "htpasswd",
                 "--auth-htpasswd-filename", str(htpasswd), "--auth-htpasswd-encryption",
                 "plain", "--auth-delay", "0",
                 "--storage-filesystem-folder", str(tmp / "collections")],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        stack.callback(_stop, radicale)

        # The ICS server: the demo's calendar as one feed (it asks for no login).
        www = tmp / "www"
        www.mkdir()
        data = build_demo(NOW)
        (www / "cal.ics").write_bytes(data.calendar[0][1])
        ics = subprocess.Popen([sys.executable, str(ICS_SERVER), str(www)],
                               stdin=subprocess.DEVNULL)
        stack.callback(_stop, ics)
        deadline = time.monotonic() + 10
        while not (www / ".port").exists():
            assert ics.poll() is None and time.monotonic() < deadline, "no ICS server"
            time.sleep(0.02)

        _wait_port(dav_port, radicale)
        base = f"http://127.0.0.1:{dav_port}"
        assert _dav(base, "MKCALENDAR", f"/{DAV_USER}/interviews/", CANARIES["davok"]) == 201
        for name, ics_data in data.calendar:
            _dav(base, "PUT", f"/{DAV_USER}/interviews/{name}", CANARIES["davok"], ics_data)
        assert _dav(base, "MKCALENDAR", f"/{DAV_USER}/tasks/", CANARIES["davok"]) == 201
        yield World(dovecot=dovecot, imap_user=imap_user, oauth_user=oauth_user,
                    smtp_port=smtp_port, smtp=state, cert=cert, dav_base=base,
                    ics_root=www, ics_port=int((www / ".port").read_text()), tmp=tmp)


# --- one job search per phase -------------------------------------------------------------


@dataclass
class Phase:
    """A job search (the demo's Maildir and vdir) plus every networked source."""

    name: str
    root: Path
    config: Path
    secrets_dir: Path
    env: dict[str, str]
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (what, text)


@dataclass
class Sources:
    """Where each source is reached, and which secret it is given."""

    imap_port: int
    imap_security: str = "starttls"
    imap_cafile: bool = True
    imap_password: str = CANARIES["imapok"]
    oauth_port: int | None = None
    oauth_security: str | None = None
    oauth_token: str = CANARIES["oauthok"]
    smtp_port: int = 0
    smtp_cafile: bool = True
    smtp_password: str = CANARIES["smtpok"]
    dav_base: str = ""
    dav_password: str = CANARIES["davok"]
    ics_location: str = ""


def phase(world: World, tmp: Path, name: str, src: Sources) -> Phase:
    from thankful.demo import write_search
    from thankful.demo_data import build_demo

    root = tmp / name
    config = write_search(root / "search", build_demo(NOW), NOW)
    sec = root / "secrets"
    sec.mkdir(mode=0o700)
    (sec / "token").write_text(src.oauth_token + "\n")
    (sec / "smtp").write_text(src.smtp_password + "\n")
    (sec / "keyring.json").write_text(json.dumps({
        "thankful/dav": src.dav_password, "thankful/tasks": src.dav_password}))
    cert = f'cafile = "{world.cert}"\n'
    config.write_text(config.read_text() + f"""
[[accounts]]
name = "work"
kind = "imap"
host = "127.0.0.1"
port = {src.imap_port}
security = "{src.imap_security}"
{cert if src.imap_cafile else ""}username = "{world.imap_user}"
password_env = "LEAK_IMAP_PASSWORD"

[[accounts]]
name = "gmail"
kind = "imap"
host = "127.0.0.1"
port = {src.oauth_port or src.imap_port}
security = "{src.oauth_security or src.imap_security}"
{cert if src.imap_cafile else ""}username = "{world.oauth_user}"
oauth2_token_command = "cat {sec / 'token'}"

[[calendars]]
name = "dav"
kind = "caldav"
url = "{src.dav_base}/{DAV_USER}/interviews/"
username = "{DAV_USER}"

[[calendars]]
name = "feed"
kind = "ics"
location = "{src.ics_location}"

[smtp]
host = "127.0.0.1"
port = {src.smtp_port or world.smtp_port}
security = "starttls"
{cert if src.smtp_cafile else ""}username = "{SMTP_USER}"
password_command = "cat {sec / 'smtp'}"
to = ["phone@example.org"]

[tasks]
kind = "caldav"
url = "{src.dav_base}/{DAV_USER}/tasks/"
username = "{DAV_USER}"
""")
    env = dict(os.environ, LEAK_IMAP_PASSWORD=src.imap_password,
               LEAK_KEYRING=str(sec / "keyring.json"), PYTHONDONTWRITEBYTECODE="1")
    return Phase(name, root, config, sec, env)


def good_sources(world: World) -> Sources:
    return Sources(imap_port=world.dovecot.imap_port, dav_base=world.dav_base,
                   ics_location=f"http://{ICS_USER}:{CANARIES['icsok']}@127.0.0.1:"
                                f"{world.ics_port}/cal.ics")


def cli(ph: Phase, *args: str, patch: str = "", stdin: str = "", extra_env: dict[str, str]
        | None = None) -> subprocess.CompletedProcess[str]:
    """One command, through the wrapper, at debug level; its output is kept for the check."""
    env = dict(ph.env, **(extra_env or {}))
    if patch:
        env |= {"LEAK_PATCH": patch, "LEAK_SECRET": CANARIES["imapok"]}
    argv = [*args[:1], "--config", str(ph.config), "--log-level", "debug", *args[1:]]
    res = subprocess.run([sys.executable, str(WRAPPER), *argv], input=stdin, env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    what = f"{ph.name}: thankful {' '.join(args)}" + (f" [{patch}]" if patch else "")
    ph.outputs += [(f"{what} (stdout)", res.stdout), (f"{what} (stderr)", res.stderr)]
    return res


def daemon(ph: Phase, patch: str = "") -> str:
    """``thankful run`` until its first cycle ends (or crashes), then SIGTERM."""
    env = dict(ph.env)
    if patch:
        env |= {"LEAK_PATCH": patch, "LEAK_SECRET": CANARIES["imapok"]}
    err_path, out_path = ph.root / "run.err", ph.root / "run.out"
    with err_path.open("w") as err, out_path.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(WRAPPER), "run", "--config", str(ph.config),
                                 "--log-level", "debug"], env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            text = err_path.read_text()
            if any(f'"event": "{e}"' in text for e in ("cycle_finished", "cycle_crashed",
                                                        "cycle_failed")):
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    what = f"{ph.name}: thankful run" + (f" [{patch}]" if patch else "")
    text = err_path.read_text()
    ph.outputs += [(f"{what} (stdout)", out_path.read_text()), (f"{what} (stderr)", text)]
    return text


def events(stderr: str) -> list[dict[str, Any]]:
    """The JSON log lines of a command's stderr."""
    out = []
    for line in stderr.splitlines():
        with contextlib.suppress(ValueError):
            if isinstance(item := json.loads(line), dict):
                out.append(item)
    return out


def leaks(phases: list[Phase], users: list[str]) -> list[str]:
    """Every place a canary is found: command output, or a file of a job search."""
    wanted = forms(users)
    found: list[str] = []

    def look(where: str, data: bytes) -> None:
        for label, text in wanted.items():
            at = data.find(text.encode())
            if at >= 0:
                context = data[max(0, at - 100):at + len(text) + 60].decode("utf-8", "replace")
                found.append(f"{label} in {where}: ...{context.replace(text, '<CANARY>')}...")

    for ph in phases:
        for what, text in ph.outputs:
            look(what, text.encode())
        for path in sorted(ph.root.rglob("*")):
            # The config names the ICS address (login and all); the secrets folder is
            # the user's token file, password file and keyring.
            if (not path.is_file() or path == ph.config or ph.secrets_dir in path.parents
                    or path.name in ("run.err", "run.out")):
                continue
            look(f"{ph.name}: file {path.relative_to(ph.root)}", path.read_bytes())
    return found


# --- the test --------------------------------------------------------------------------------


def test_no_secret_leaks_anywhere(world: World, tmp_path: Path) -> None:
    started = time.monotonic()
    d = world.dovecot
    phases: list[Phase] = []
    scan = ("scan", "--now", NOW.isoformat())

    # 1. Every credential right: each secret is used (and base64-encoded) on the wire.
    ok = phase(world, tmp_path, "accepted", good_sources(world))
    phases.append(ok)
    res = cli(ok, *scan)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Reminder sent by SMTP" in res.stdout and world.smtp.logins[-1]
    assert CANARIES["oauthok"] in SEEN  # XOAUTH2 reached the token check
    eml = next((ok.root / "search" / "mail" / "cur").iterdir())
    assert cli(ok, "check").returncode == 0
    assert cli(ok, "status").returncode == 0
    assert cli(ok, "explain", str(eml)).returncode == 0
    assert '"event": "cycle_finished"' in daemon(ok)
    res = cli(ok, "set-password", "smtp", stdin=CANARIES["stored"] + "\n")
    assert res.returncode == 0 and "Stored the password" in res.stdout

    # 2. Every credential wrong: each server refuses it; the feed answers 500.
    bad = phase(world, tmp_path, "refused", Sources(
        imap_port=d.imap_port, imap_password=CANARIES["imapbad"],
        oauth_token=CANARIES["oauthbad"], smtp_password=CANARIES["smtpbad"],
        dav_base=world.dav_base, dav_password=CANARIES["davbad"],
        ics_location=good_sources(world).ics_location))
    phases.append(bad)
    (world.ics_root / ".mode").write_text("500")
    try:
        res = cli(bad, *scan)
        assert res.returncode == 1
        failed = {e["source"]: e["error"] for e in events(res.stderr)
                  if e.get("event") == "source_failed"}
        for source, why in (("work", "refused the password"),
                            ("gmail", "refused the OAuth2 token"),
                            ("smtp", "refused the password"), ("dav", "refused the login"),
                            ("feed", "500")):
            assert why in failed.get(source, ""), (source, failed)
        assert cli(bad, "check").returncode == 1
        daemon(bad)
    finally:
        (world.ics_root / ".mode").unlink()
    res = cli(bad, "set-password", "work", stdin=CANARIES["stored"] + "\n",
              extra_env={"LEAK_KEYRING_FAIL": "1"})
    assert res.returncode == 1 and "refused the password" in res.stderr

    # 3. TLS failing everywhere: certificates that do not verify (Dovecot's, self-signed,
    # for the CalDAV and ICS addresses too).
    tls = phase(world, tmp_path, "tls", Sources(
        imap_port=d.imaps_port, imap_security="tls", imap_cafile=False, smtp_cafile=False,
        dav_base=f"https://127.0.0.1:{d.imaps_port}",
        ics_location=f"https://{ICS_USER}:{CANARIES['icsok']}@127.0.0.1:{d.imaps_port}/c.ics"))
    phases.append(tls)
    res = cli(tls, *scan)
    assert res.returncode == 1 and res.stdout.count("certificate") >= 3, res.stdout
    assert cli(tls, "check").returncode == 1

    # 4. Servers dying mid-session: after login, at the first STATUS (IMAP), REPORT
    # (CalDAV), GET (the feed); the SMTP server hangs up during DATA.
    cut_imap = Cutter(d.imap_port, b" STATUS ")
    cut_dav = Cutter(int(world.dav_base.rsplit(":", 1)[1]), b"REPORT ")
    cut_ics = Cutter(world.ics_port, b"GET ")
    world.smtp.drop = True
    try:
        drop = phase(world, tmp_path, "dropped", Sources(
            imap_port=cut_imap.port, imap_security="none",
            dav_base=f"http://127.0.0.1:{cut_dav.port}",
            ics_location=f"http://{ICS_USER}:{CANARIES['icsok']}@127.0.0.1:{cut_ics.port}/"
                         "cal.ics"))
        phases.append(drop)
        res = cli(drop, *scan)
        assert res.returncode == 1, res.stdout + res.stderr
        assert cut_imap.cuts and cut_dav.cuts and cut_ics.cuts
        assert "error in smtp: " in res.stdout
    finally:
        world.smtp.drop = False
        for c in (cut_imap, cut_dav, cut_ics):
            c.close()

    # 5. Forced exceptions, one adapter function at a time, with the secret in its
    # arguments and locals. Some the adapter turns into a source's error, some escape
    # to the CLI's "unexpected error" and its traceback.
    forced = [
        # Caught by the adapters: each source fails alone, in one sentence.
        "imapclient.imapclient:IMAPClient.login,imapclient.imapclient:IMAPClient.oauth2_login,"
        "smtplib:SMTP.login,caldav.davclient:DAVClient.request",
        "thankful.adapters.caldav_source:CalDavSource._client",
        # Escaping to the CLI: "unexpected error" and a traceback in the log.
        "thankful.adapters.imap:ImapStore._find_folders",
        "thankful.adapters.secrets:_run",
        "thankful.adapters.smtp:_login",
        "urllib.request:OpenerDirector.open",
        "thankful.adapters.tasks:CalDavTasks.existing",
    ]
    crash_patch = "thankful.adapters.imap:ImapStore._find_folders"

    def forced_scan(i: int, patch: str) -> tuple[str, subprocess.CompletedProcess[str]]:
        ph = phase(world, tmp_path, f"forced{i}", good_sources(world))
        phases.append(ph)
        return patch, cli(ph, *scan, patch=patch)

    def crashed_daemon() -> str:
        ph = phase(world, tmp_path, "crashed", good_sources(world))
        phases.append(ph)
        return daemon(ph, patch=crash_patch)

    # Each run is mostly waiting for imports and servers: four at a time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        crashed = pool.submit(crashed_daemon)
        runs = list(pool.map(forced_scan, range(len(forced)), forced))
    for patch, res in runs:
        assert res.returncode == 1, (patch, res.stdout, res.stderr)
        assert "forced failure" in res.stderr or "RuntimeError" in res.stdout + res.stderr, (
            patch, res.stdout, res.stderr)
    assert '"event": "cycle_crashed"' in crashed.result()

    # 6. A token with an unencoded "/" in an ICS address's login: the config refuses it
    # without quoting it; the adapter alone (a hand-built config) never echoes it either.
    odd = phase(world, tmp_path, "odd-address", good_sources(world))
    phases.append(odd)
    for login in (f"{ICS_USER}:{CANARIES['icsodd']}", CANARIES["icsodd"]):
        text = odd.config.read_text()
        location = text.split('location = "http://', 1)[1].split('"', 1)[0]
        odd.config.write_text(text.replace(
            location, f"{login}@127.0.0.1:{world.ics_port}/cal.ics"))
        res = cli(odd, *scan)
        assert res.returncode == 78 and "not a valid address" in res.stderr, res.stderr
        from thankful.adapters.ics_url import IcsUrl
        from thankful.errors import SourceError

        with pytest.raises(SourceError) as info:
            IcsUrl(name="feed", url=f"http://{login}@127.0.0.1:{world.ics_port}/cal.ics",
                   cache_dir=odd.root / "search" / "state" / "calendars").files()
        odd.outputs.append(("odd-address: the ICS adapter's error", str(info.value)))
    from thankful.config import load

    odd.outputs.append(("repr of a loaded config", repr(load(ok.config))))

    found = leaks(phases, [world.imap_user, world.oauth_user, SMTP_USER, DAV_USER, ICS_USER])
    assert not found, "secrets leaked:\n" + "\n".join(found)
    print(f"secret-leak test: {len(phases)} job searches, "
          f"{sum(len(p.outputs) for p in phases) // 2} commands, "
          f"{time.monotonic() - started:.1f} s")
