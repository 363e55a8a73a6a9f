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
