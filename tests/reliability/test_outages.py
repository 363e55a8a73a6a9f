"""Issue 8, test 8: outages.

The IMAP server (a Dovecot of this test's own) down for a stretch while the daemon runs,
then back: the attempts back off with jitter up to the cap, the daemon sleeps (no CPU)
meanwhile, the draft follows within one cap period of the restart, the user is told
once (error level) rather than every cycle, and nothing recorded moves while the server
is down. A refused password: one error, throttled, and ``thankful status`` says the user
must act. A full mailbox (Dovecot's quota: APPEND answered NO [OVERQUOTA]) and a full
disk (a small tmpfs under the Maildir, then under the state database): the note stays
owed, nothing is recorded as done, no traceback, and it is drafted once there is room.

The test config shrinks the retry schedule through the real config keys
``scan_interval_minutes`` (the first wait) and ``retry_max_minutes`` (the cap).
"""

from __future__ import annotations

import contextlib
import email
import itertools
import json
import mailbox
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from structlog.testing import capture_logs

from thankful import backoff
from thankful.adapters.store import Store
from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import build_demo
from thankful.service import run_cycle

pytestmark = pytest.mark.integration

INTERVAL = 0.05  # minutes: 3 s, the first wait
CAP_MIN = 0.15  # minutes: 9 s, the longest wait
CAP = CAP_MIN * 60
NOW = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
TICKS = os.sysconf("SC_CLK_TCK")


def _server() -> Any:
    from integration.dovecot import Dovecot
    from integration.dovecot import available

    why = available()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the IMAP tests: {why}")
        pytest.skip(why)
    return Dovecot


@contextlib.contextmanager
def _own_dovecot(**kw: Any) -> Iterator[Any]:
    server = _server()(**kw)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def _config(root: Path, account: str, *, calendar: Path | None = None) -> Path:
    data = build_demo(NOW)
    cfg = root / "config.toml"
    cal = f'[[calendars]]\nname = "cal"\nkind = "ics"\nlocation = "{calendar}"\n' \
        if calendar else ""
    cfg.write_text(
        f'state_dir = "state"\nscan_interval_minutes = {INTERVAL}\n'
        f'retry_max_minutes = {CAP_MIN}\n'
        f'[identity]\nname = "{data.identity_name}"\n'
        f'addresses = [{", ".join(json.dumps(a) for a in data.addresses)}]\n'
        f'employer_domains = [{", ".join(json.dumps(d) for d in data.employer_domains)}]\n'
        f'timezone = "{data.timezone}"\n{account}\nlookback_days = "all"\n{cal}'
        '[etiquette]\nbackfill_days = 30\n')
    os.chmod(cfg, 0o600)
    return cfg


class Daemon:
    """``thankful run`` in a subprocess, its JSON log lines collected as they come."""

    def __init__(self, cfg: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.raw.append(line)
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(line))

    def wait_for(self, pred: Any, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                seen += 1
                if pred(line):
                    return line
            assert self.proc.poll() is None, "".join(self.raw)[-3000:]
            time.sleep(0.05)
        raise AssertionError(f"no such log line within {timeout} s: {''.join(self.raw)[-3000:]}")

    def cpu(self) -> float:
        """utime + stime of the daemon so far, in seconds (/proc/PID/stat)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            assert self.proc.wait(timeout=15) == 0
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._reader.join(timeout=5)
        assert "Traceback" not in "".join(self.raw)


def _snapshot(state: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What thankful recorded of the mail: scan positions, items, notes, drafts, reminders."""
    conn = sqlite3.connect(f"file:{state / 'thankful.sqlite3'}?mode=ro", uri=True)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall())
                for t in ("folders", "items", "signals", "outgoing", "notes", "drafts",
                          "reminders", "calfiles")}
    finally:
        conn.close()


def _ts(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00")).timestamp()


# --- the policy itself -------------------------------------------------------------------


def test_the_waits_double_with_jitter_up_to_the_cap_and_the_user_is_told_hourly() -> None:
    base, cap = timedelta(minutes=10), timedelta(hours=1)
    rng = random.Random(8)
    at = datetime(2026, 3, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
    h: backoff.Health | None = None
    waits, told = [], []
    for _ in range(12):
        h, tell = backoff.after_failure(h, source="imap", now=at, error="down", must_act=False,
                                        base=base, cap=cap, rand=rng.random())
        assert h.next_attempt is not None
        waits.append(h.next_attempt - at)
        if tell:
            told.append(at)
        at = h.next_attempt
    nominal = [min(cap, base * 2 ** i) for i in range(12)]
    assert all(0.75 * n <= w <= n for w, n in zip(waits, nominal, strict=True))
    assert max(waits) <= cap and len({w.total_seconds() for w in waits}) == len(waits)
    # Told at the first failure, then once an hour at most (and at least).
    assert told[0] == datetime(2026, 3, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
    gaps = [b - a for a, b in itertools.pairwise(told)]
    assert gaps and all(timedelta(hours=1) <= g < timedelta(hours=2) for g in gaps)
    assert backoff.due(h, h.next_attempt) and not backoff.due(h, at - timedelta(minutes=5))


# --- the server down, then back -----------------------------------------------------------


def test_server_down_then_back(tmp_path: Path) -> None:
    from integration.dovecot import ImapUser

    data = build_demo(NOW)
    with _own_dovecot() as server:
        user = ImapUser.new(server)
        admin = user.client()
        for raw in data.sent:
            admin.append("Sent", raw, flags=(b"\\Seen",))
        admin.append("INBOX", b"From: Friend <f@example.org>\r\nTo: alex.morgan@example.net"
                     b"\r\nSubject: Photos\r\n\r\nHave a look.\r\n", flags=(b"\\Seen",))
        admin.logout()
        cfg = _config(tmp_path, user.toml_account(name="mail"))
        daemon = Daemon(cfg)
        try:
            daemon.wait_for(lambda e: e["event"] == "cycle_finished", 60)
            state = tmp_path / "state"
            before = _snapshot(state)
            # Down; the interview mail arrives meanwhile (the MTA writes the Maildir).
            server.stop()
            down_at = time.time()
            new = Path(server.root) / "home" / user.name / "Maildir" / "new"
            for i, raw in enumerate(data.inbox):
                f = new / f"{int(down_at)}.outage{i}.host"
                f.write_bytes(raw)
                os.chown(f, server.uid, server.gid)
            daemon.wait_for(lambda e: e.get("event") == "source_failed", 30)
            cpu0, t0 = daemon.cpu(), time.monotonic()
            time.sleep(max(0.0, down_at + 30 - time.time()))
            cpu = daemon.cpu() - cpu0
            waited = time.monotonic() - t0
            during = _snapshot(state)
            server.start()
            up_at = time.time()
            daemon.wait_for(lambda e: e.get("event") == "draft_appended", CAP + 20)
            recovered_in = time.time() - up_at
            daemon.wait_for(lambda e: e.get("event") == "cycle_finished"
                            and _ts(e) > up_at, 30)
        finally:
            daemon.stop()
        after = _snapshot(tmp_path / "state")
        admin = user.client()
        admin.select_folder("Drafts", readonly=True)
        drafts = admin.fetch(admin.search("ALL"), ["BODY.PEEK[HEADER]"])
        admin.logout()

    fails = [e for e in daemon.lines if e.get("source") == "mail"
             and e["event"] in ("source_failed", "source_still_failing")]
    errors = [e for e in daemon.lines if e.get("level") == "error"]
    waits = [float(e["retry_in"]) for e in fails]
    gaps = [_ts(b) - _ts(a) for a, b in itertools.pairwise(fails)]
    print(f"\nwaits {waits}\ngaps between attempts {[round(g, 2) for g in gaps]}\n"
          f"cpu {cpu:.3f} s over {waited:.1f} s\nrecovered in {recovered_in:.1f} s\n"
          f"error lines {[(e['event'], e.get('source')) for e in errors]}")
    # Backoff: doubling from the first wait, with jitter, never over the cap ...
    assert len(fails) >= 4
    nominal = [min(CAP, INTERVAL * 60 * 2 ** i) for i in range(len(waits))]
    assert all(0.75 * n - 0.05 <= w <= n + 0.05 for w, n in zip(waits, nominal, strict=True))
    assert max(waits) <= CAP and waits[-1] >= 0.75 * CAP
    assert any(abs(w - n) > 0.01 * n for w, n in zip(waits, nominal, strict=True)), "no jitter"
    # ... and the attempts keep to it (an attempt itself takes up to ~3 s of reconnects).
    assert all(w - 0.5 <= g <= w + 6 for w, g in zip(waits, gaps, strict=False)), (waits, gaps)
    # Told once (the outage is far shorter than an hour); the rest at info level.
    assert [e["event"] for e in errors] == ["source_failed"]
    assert errors[0]["source"] == "mail" and not errors[0]["user_must_act"]
    assert all(e["level"] == "info" for e in fails[1:])
    assert sum(e["event"] == "source_recovered" for e in daemon.lines) == 1
    # Sleeping, not spinning: well under 5 % of one core while it waits.
    assert cpu / waited < 0.05, (cpu, waited)
    # Back within one cap period (plus a cycle's own time).
    assert recovered_in <= CAP + 6
    # Nothing recorded moved while the server was down; then the mail was read once.
    assert during == before
    assert after["drafts"] and len(drafts) == len(after["drafts"])
    hashes = [email.message_from_bytes(d[b"BODY[HEADER]"])["X-Thankful-Note"]
              for d in drafts.values()]
    assert len(hashes) == len(set(hashes))


def test_a_refused_password_is_told_once_and_shown_by_status(tmp_path: Path) -> None:
    from integration.dovecot import ImapUser
    from integration.dovecot import shared

    user = ImapUser.new(shared())
    cfg = _config(tmp_path, user.toml_account(name="mail"))
    os.environ[user.env] = "not-the-password"
    daemon = Daemon(cfg)
    try:
        daemon.wait_for(lambda e: e.get("event") == "source_failed", 60)
        # Three more tries at least: 3, 6 and 9 s later (less jitter).
        daemon.wait_for(lambda e: e.get("event") == "source_still_failing"
                        and e.get("failures") == 3, 30)
        status = subprocess.run([sys.executable, "-m", "thankful", "status", "--config",
                                 str(cfg)], capture_output=True, text=True, timeout=30,
                                check=False)
    finally:
        daemon.stop()
        os.environ[user.env] = user.password
    print("\n" + status.stdout)
    errors = [e for e in daemon.lines if e.get("level") == "error"]
    assert [e["event"] for e in errors] == ["source_failed"]
    assert errors[0]["user_must_act"] and "refused the password" in errors[0]["error"]
    assert status.returncode == 0, status.stderr
    assert "mail needs you" in status.stdout.replace(":", "") or "need(s) you" in status.stdout
    assert "refused the password" in status.stdout
    assert "next try" in status.stdout


# --- a full mailbox, a full disk ----------------------------------------------------------


def _states(state: Path) -> dict[str, int]:
    with Store(state, readonly=True) as st:
        out: dict[str, int] = {}
        for n in st.notes():
            out[n["state"]] = out.get(n["state"], 0) + 1
        return out


def _no_traceback(logs: list[dict[str, Any]]) -> None:
    assert not [e for e in logs if "exc_info" in e or "exception" in e]


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def test_a_mailbox_over_its_quota(tmp_path: Path) -> None:
    from integration.dovecot import ImapUser

    data = build_demo(NOW)
    cal = tmp_path / "calendar"
    cal.mkdir()
    for name, ics in data.calendar:
        (cal / name).write_bytes(ics)
    junk = 12
    with _own_dovecot(quota_messages=len(data.inbox) + len(data.sent) + junk) as server:
        user = ImapUser.new(server)
        admin = user.client()
        for raw in data.inbox:
            admin.append("INBOX", raw, flags=(b"\\Seen",))
        for raw in data.sent:
            admin.append("Sent", raw, flags=(b"\\Seen",))
        for i in range(junk):
            admin.append("Trash", f"Subject: old {i}\r\n\r\nx\r\n".encode(), flags=(b"\\Seen",))
        cfg = load(_config(tmp_path, user.toml_account(name="mail"), calendar=cal))
        with capture_logs() as logs:
            full = run_cycle(cfg, NOW)
        assert [s for s, _ in full.errors] == ["mail"]
        assert "over its quota" in full.errors[0][1]
        assert not full.drafts and full.reminder is None
        states = _states(cfg.state_dir)
        assert states.get("ready") and not states.get("drafted"), states
        with Store(cfg.state_dir, readonly=True) as st:
            health = st.health()["mail"]
            assert st.last_reminder_slot() is None
        assert health.must_act and health.failures == 1
        _no_traceback(logs)
        admin.select_folder("Drafts", readonly=True)
        assert admin.search("ALL") == []
        # The user empties the Trash: the next cycle drafts every note once.
        admin.select_folder("Trash")
        admin.delete_messages(admin.search("ALL"))
        admin.expunge()
        with capture_logs() as logs:
            room = run_cycle(cfg, NOW)
        assert room.ok and room.drafts, room.errors
        assert any(e["event"] == "source_recovered" for e in logs)
        states = _states(cfg.state_dir)
        assert states.get("drafted") and not states.get("ready"), states
        admin.select_folder("Drafts", readonly=True)
        assert len(admin.search("ALL")) == len(room.drafts)
        admin.logout()


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                    str(where)], check=True, capture_output=True, timeout=30)


def _fill(where: Path) -> Path:
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 65536)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 512)
    finally:
        os.close(fd)
    return filler


def _can_mount() -> str | None:
    """How this test gets a small filesystem: "root" (mount as root), "userns" (in a
    user and mount namespace of its own, as its root), or None."""
    if os.environ.get("THANKFUL_TEST_IN_NS") == "1":
        return "root"
    probe = Path(f"/tmp/thankful-probe-{os.getpid()}")
    if os.geteuid() == 0:
        try:
            _mount_tmpfs(probe, "64k")
            subprocess.run(["umount", str(probe)], check=True, timeout=30)
            return "root"
        except (subprocess.CalledProcessError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                probe.rmdir()
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rm", "true"], capture_output=True,
                                  check=False, timeout=30).returncode == 0:
        return "userns"
    return None


def test_a_full_disk_under_the_maildir_and_under_the_state(tmp_path: Path) -> None:
    how = _can_mount()
    if how is None:
        why = "no way to mount a small filesystem here (neither root nor user namespaces)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    if how == "userns":
        # Not root: the same test again, as root of a user and mount namespace of its own.
        res = subprocess.run(
            ["unshare", "-rm", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"{__file__}::test_a_full_disk_under_the_maildir_and_under_the_state"],
            env={**os.environ, "THANKFUL_TEST_IN_NS": "1"}, capture_output=True, text=True,
            timeout=300, check=False)
        assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
        print("(run in a user namespace: unshare -rm)")
        return
    print("(tmpfs mounted as root)")
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "2m")
    try:
        _full_disk(tmp_path, disk)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False, timeout=30)


def _full_disk(tmp_path: Path, disk: Path) -> None:
    # 1. The Maildir's disk is full: APPEND (the draft) fails with ENOSPC.
    cfg_path = write_search(disk / "s", build_demo(NOW), NOW)
    text = cfg_path.read_text().replace('state_dir = "state"',
                                        f'state_dir = "{tmp_path / "state"}"')
    cfg_path.write_text(text)
    cfg = load(cfg_path)
    filler = _fill(disk)
    with capture_logs() as logs:
        full = run_cycle(cfg, NOW)
    assert [s for s, _ in full.errors] == ["demo"], full.errors
    assert "is full" in full.errors[0][1]
    assert not full.drafts and full.reminder is None
    states = _states(cfg.state_dir)
    assert states.get("ready") and not states.get("drafted"), states
    with Store(cfg.state_dir, readonly=True) as st:
        assert st.health()["demo"].must_act and st.last_reminder_slot() is None
    drafts = disk / "s" / "mail" / ".Drafts"
    assert not [f for sub in ("cur", "new", "tmp") for f in (drafts / sub).iterdir()]
    _no_traceback(logs)
    filler.unlink()
    room = run_cycle(cfg, NOW)
    assert room.ok and room.drafts
    assert len(list((drafts / "cur").iterdir())) == len(room.drafts)

    # 2. The state database's disk is full: a clear sentence, no traceback, no advice to
    # throw the state away; once there is room, nothing is drafted twice.
    state = disk / "state2"
    cfg_path.write_text(text.replace(f'state_dir = "{tmp_path / "state"}"',
                                     f'state_dir = "{state}"'))
    shutil.rmtree(drafts)
    first = run_cycle(load(cfg_path), NOW)
    assert first.ok and first.drafts
    drafted = len(list((drafts / "cur").iterdir()))
    filler = _fill(disk)
    later = (NOW + timedelta(hours=1)).isoformat()
    full2 = subprocess.run([sys.executable, "-m", "thankful", "scan", "--config",
                            str(cfg_path), "--now", later],
                           capture_output=True, text=True, timeout=120, check=False)
    print(full2.stderr.strip().splitlines()[-1])
    assert full2.returncode == 1
    assert "is full; free some space" in full2.stderr, full2.stderr[-3000:]
    assert "move it aside" not in full2.stderr and "Traceback" not in full2.stderr
    filler.unlink()
    again = run_cycle(load(cfg_path), NOW + timedelta(hours=1))
    assert again.ok and not again.drafts, again.errors
    assert len(list((drafts / "cur").iterdir())) == drafted
    assert _states(state).get("drafted")
    assert mailbox.Maildir(disk / "s" / "mail", create=False)  # the tree is intact
