"""The daemon on a real Dovecot: new mail is picked up by IMAP IDLE within seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.dovecot import ImapUser
from integration.test_imap_cycle import load_demo
from integration.test_imap_cycle import write_config
from thankful.demo_data import build_demo

pytestmark = pytest.mark.integration


def draft_count(user: ImapUser) -> int:
    admin = user.client()
    admin.select_folder("Drafts", readonly=True)
    n = len(admin.search("ALL"))
    admin.logout()
    return n


def test_idle_starts_a_cycle_within_seconds(tmp_path: Path, imap_user: ImapUser) -> None:
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    data = build_demo(now)
    offer = next(m for m in data.inbox if b"Offer Letter" in m or b"delighted" in m)
    rest = type(data)(**{**{f: getattr(data, f) for f in data.__dataclass_fields__},
                         "inbox": tuple(m for m in data.inbox if m is not offer)})
    load_demo(imap_user, rest)
    cfg = write_config(tmp_path, imap_user, rest)
    # A long interval: only IDLE can explain a quick second cycle.
    cfg.write_text("scan_interval_minutes = 30\n" + cfg.read_text().replace(
        'lookback_days = "all"', 'lookback_days = "all"\nidle = true'))
    env = {**os.environ, imap_user.env: imap_user.password}
    proc = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and draft_count(imap_user) == 0:
            time.sleep(0.5)
        first = draft_count(imap_user)
        assert first > 0
        time.sleep(3)  # let the first cycle finish and IDLE settle
        admin = imap_user.client()
        admin.append("INBOX", offer)
        admin.logout()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and draft_count(imap_user) == first:
            time.sleep(0.5)
        assert draft_count(imap_user) > first, "no cycle followed the new mail"
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err[-2000:]
    assert '"idle_new_mail"' in err


def test_a_silently_dropped_connection_is_noticed_and_replaced(imap_user: ImapUser) -> None:
    """A connection cut without a BYE (a NAT box, a proxy) costs no CPU while unnoticed
    and is replaced: new mail after the cut still wakes the daemon within seconds."""
    import threading
    from dataclasses import replace

    from structlog.testing import capture_logs

    from reliability.faultproxy import FaultProxy
    from thankful.adapters.idle import IdleWatcher

    proxy = FaultProxy(imap_user.server.imap_port, record=False).start()
    acc = imap_user.account(security="none")
    assert acc.imap is not None
    acc = replace(acc, imap=replace(acc.imap, port=proxy.port))
    woke, stop = threading.Event(), threading.Event()
    watcher = IdleWatcher(acc, woke.set, stop, check=2.0)
    try:
        with capture_logs() as logs:
            watcher.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(
                    e["event"] == "idle_started" for e in logs):
                time.sleep(0.1)
            assert any(e["event"] == "idle_started" for e in logs)
            cpu = time.process_time()
            proxy.drop_all()
            time.sleep(4)
            assert time.process_time() - cpu < 1.5, "the watcher spins on a dead socket"
            assert any(e["event"] == "idle_lost" and "closed" in e["error"] for e in logs)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and sum(
                    e["event"] == "idle_started" for e in logs) < 2:
                time.sleep(0.1)
            time.sleep(0.5)
            admin = imap_user.client()
            admin.append("INBOX", b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n")
            admin.logout()
            assert woke.wait(15), "new mail after the drop woke nobody"
    finally:
        stop.set()
        watcher.join(10)
        proxy.stop()
