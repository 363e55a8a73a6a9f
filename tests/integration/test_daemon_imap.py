"""`thankful run` on a real Dovecot without IDLE: the interval alone picks up new mail.

The IMAP twin of tests/system/test_run.py's ``test_new_mail_is_picked_up_by_itself``:
the daemon starts on the search without its job-search mail and calendar; an
invitation and its interview then arrive (APPEND, and the calendar files), and the
draft must be in Drafts within two intervals, with nobody waking the daemon; SIGTERM
then stops it with exit code 0.
"""

from __future__ import annotations

import dataclasses
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.dovecot import ImapUser
from integration.test_idle import draft_count
from integration.test_imap_cycle import load_demo
from integration.test_imap_cycle import write_config
from thankful.demo_data import build_demo

pytestmark = pytest.mark.integration

INTERVAL_S = 3  # scan_interval_minutes = 0.05, the shortest the config takes


def events(lines: list[str]) -> list[str]:
    """The ``event`` of every JSON log line so far."""
    return [json.loads(x)["event"] for x in list(lines) if x.startswith("{")]


def test_interval_alone_picks_up_new_mail(tmp_path: Path, imap_user: ImapUser) -> None:
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    data = build_demo(now)

    def interview(raw: bytes) -> bool:  # as test_run.py holds them back on Maildir
        sender = str(email.message_from_bytes(raw).get("From", "")).lower()
        return "northwind" in sender or "greenhouse" in sender

    held = [m for m in data.inbox if interview(m)]
    assert held
    rest = dataclasses.replace(data, inbox=tuple(m for m in data.inbox if not interview(m)))
    load_demo(imap_user, rest)
    cfg = write_config(tmp_path, imap_user, rest)
    cfg.write_text(f"scan_interval_minutes = {INTERVAL_S / 60}\n" + cfg.read_text().replace(
        'lookback_days = "all"', 'lookback_days = "all"\nidle = false'))
    calendar = tmp_path / "calendar"
    later = tmp_path / "later"
    later.mkdir()
    for f in calendar.iterdir():
        f.rename(later / f.name)

    proc = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, imap_user.env: imap_user.password})
    assert proc.stderr is not None
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(proc.stderr or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "cycle_finished" not in events(err):
            assert proc.poll() is None, "".join(err)[-2000:]
            time.sleep(0.1)
        assert "cycle_finished" in events(err), "".join(err)[-2000:]
        assert draft_count(imap_user) == 0
        admin = imap_user.client()
        for raw in held:
            admin.append("INBOX", raw)
        admin.logout()
        for f in later.iterdir():
            f.rename(calendar / f.name)
        arrived = time.monotonic()
        deadline = arrived + 2 * INTERVAL_S
        while time.monotonic() < deadline and draft_count(imap_user) == 0:
            time.sleep(0.2)
        took = time.monotonic() - arrived
        assert draft_count(imap_user) > 0, (
            f"no draft {took:.1f} s after the mail came (interval {INTERVAL_S} s)")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
        reader.join(timeout=5)
    log = "".join(err)
    assert code == 0, log[-2000:]
    assert "Traceback" not in log
    seen = events(err)
    assert "idle_new_mail" not in seen and seen[-1] == "stopped"
    print(f"\ndraft {took:.1f} s after the new mail (interval {INTERVAL_S} s); "
          f"{seen.count('cycle_finished')} cycles")
