"""`thankful run`: the daemon makes its first cycle at start and stops cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thankful.demo import write_search
from thankful.demo_data import build_demo

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_first_cycle_then_clean_stop(tmp_path: Path, sig: signal.Signals) -> None:
    # The search happened just before now, so the daemon's own clock finds it owed.
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    cfg = write_search(tmp_path / "s", build_demo(now), now)
    proc = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    drafts = tmp_path / "s" / "mail" / ".Drafts" / "cur"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (drafts.is_dir() and any(drafts.iterdir())):
        time.sleep(0.2)
    time.sleep(1)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert drafts.is_dir() and any(drafts.iterdir())
    events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
    assert "started" in events and "cycle_finished" in events and events[-1] == "stopped"
    assert "Traceback" not in err


def test_run_with_a_bad_config_exits_78(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[identity]\nname = 1\n")
    proc = subprocess.run([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=30, check=False,
                          env=dict(os.environ))
    assert proc.returncode == 78 and "identity.name" in proc.stderr


def test_a_second_daemon_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0)
    cfg = write_search(tmp_path / "s", build_demo(now), now)
    first = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = tmp_path / "s" / "state" / "lock"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
            time.sleep(0.1)
        second = subprocess.run([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                                capture_output=True, text=True, timeout=30, check=False)
        assert second.returncode == 2
        assert f"PID {first.pid}" in second.stderr
    finally:
        first.terminate()
        assert first.wait(timeout=10) == 0


def test_sd_notify_ready_watchdog_status_stopping_and_sighup(tmp_path: Path) -> None:
    import socket

    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    cfg = write_search(tmp_path / "s", build_demo(now), now)
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.5)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "1000000"}
    proc = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    got: list[str] = []

    def collect(until: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not any(m.startswith(until) for m in got):
            with contextlib.suppress(TimeoutError):
                got.append(sock.recv(4096).decode())

    try:
        collect("READY=1")
        collect("STATUS=")
        collect("WATCHDOG=1")
        # A broken config on SIGHUP is refused and the daemon keeps running.
        cfg.write_text(cfg.read_text() + "\nthis is = not [valid toml\n")
        proc.send_signal(signal.SIGHUP)
        collect("RELOADING=1", 10)
        time.sleep(1)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        collect("STOPPING=1", 10)
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
    assert proc.returncode == 0
    assert got[0] == "READY=1"
    assert any(m.startswith("STATUS=last cycle") for m in got)
    assert "WATCHDOG=1" in got and "STOPPING=1" in got
    assert "reload_refused" in err


def test_new_mail_is_picked_up_by_itself(tmp_path: Path) -> None:
    """An invitation and its interview arrive while the daemon runs: the draft follows."""
    import mailbox

    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    data = build_demo(now)
    cfg = write_search(tmp_path / "s", data, now)
    cfg.write_text("scan_interval_minutes = 0.05\n" + cfg.read_text())
    # Start with only the noise: no job-search mail, no calendar.
    for f in (tmp_path / "s" / "calendar").iterdir():
        f.rename(tmp_path / f.name)
    inbox = mailbox.Maildir(tmp_path / "s" / "mail", create=False)
    held = {}
    for key, msg in list(inbox.items()):
        if "northwind" in str(msg.get("From", "")).lower() or "greenhouse" in str(
                msg.get("From", "")).lower():
            held[key] = msg.as_bytes()
            inbox.remove(key)
    proc = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    drafts = tmp_path / "s" / "mail" / ".Drafts" / "cur"
    try:
        time.sleep(4)
        assert not (drafts.is_dir() and any(drafts.iterdir()))
        for raw in held.values():
            inbox.add(raw)
        for f in tmp_path.glob("*.ics"):
            f.rename(tmp_path / "s" / "calendar" / f.name)
        deadline = time.monotonic() + 2 * 3 + 5
        while time.monotonic() < deadline and not (drafts.is_dir() and any(drafts.iterdir())):
            time.sleep(0.2)
        assert drafts.is_dir() and any(drafts.iterdir())
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_sigterm_mid_cycle_then_the_next_start_finishes_without_duplicates(
        tmp_path: Path) -> None:
    import email.message
    import mailbox

    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    cfg = write_search(tmp_path / "s", build_demo(now), now)
    inbox = mailbox.Maildir(tmp_path / "s" / "mail", create=False)
    for i in range(3000):  # enough mail that the first cycle is still running
        m = email.message.EmailMessage()
        m["From"] = f"Friend {i} <friend{i}@example.org>"
        m["To"] = "alex.morgan@example.net"
        m["Subject"] = f"Holiday photos, part {i}"
        m.set_content("Have a look!\n" * 20)
        inbox.add(m.as_bytes())
    proc = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err[-2000:]
    assert time.monotonic() - started < 10
    assert "Traceback" not in err
    # The next start finishes the work: every note drafted once.
    again = subprocess.run([sys.executable, "-m", "thankful", "scan", "--once", "--config",
                            str(cfg)], capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    import email as email_pkg

    drafts = tmp_path / "s" / "mail" / ".Drafts" / "cur"
    hashes = [email_pkg.message_from_bytes(p.read_bytes())["X-Thankful-Note"]
              for p in drafts.iterdir()]
    tos = [email_pkg.message_from_bytes(p.read_bytes())["To"] for p in drafts.iterdir()]
    assert len(hashes) == len(set(hashes)) == len(set(tos)) == 8
