"""``thankful demo``: writes the sample job search to a folder, as a user's tree would be.

The folder gets a Maildir++ tree (``mail/``), a vdir (``calendar/``), a config whose
state lives in ``state/``, and a marker file that holds the demo's clock, so a second
run on the same folder uses the same time and adds nothing.
"""

from __future__ import annotations

import json
import mailbox
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from thankful.demo_data import DemoData
from thankful.demo_data import build_demo
from thankful.errors import UsageError

MARKER = ".thankful-demo"


def _config(data: DemoData) -> str:
    addresses = ", ".join(f'"{a}"' for a in data.addresses)
    employers = ", ".join(f'"{d}"' for d in data.employer_domains)
    return f"""# Written by `thankful demo`: a config for the sample job search in this folder.
state_dir = "state"

[identity]
name = "{data.identity_name}"
addresses = [{addresses}]
employer_domains = [{employers}]
timezone = "{data.timezone}"

[[accounts]]
name = "demo"
kind = "maildir"
path = "mail"
layout = "maildir++"
lookback_days = "all"

[[calendars]]
name = "demo"
kind = "ics"
location = "calendar"

[etiquette]
# The sample search spans three weeks; a real first run only drafts the last 7 days.
backfill_days = 30
"""


def _write_maildir(root: Path, data: DemoData) -> None:
    inbox = mailbox.Maildir(root, factory=None, create=True)
    for raw in data.inbox:
        msg = mailbox.MaildirMessage(raw)
        msg.set_subdir("cur")
        msg.set_flags("S")
        inbox.add(msg)
    sent = inbox.add_folder("Sent")
    for raw in data.sent:
        msg = mailbox.MaildirMessage(raw)
        msg.set_subdir("cur")
        msg.set_flags("S")
        sent.add(msg)


def prepare(target: Path, now: datetime | None = None) -> datetime:
    """Build the demo in ``target`` (or find it there); returns the demo's clock."""
    marker = target / MARKER
    if marker.is_file():
        try:
            return datetime.fromisoformat(json.loads(marker.read_text())["now"])
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{marker} is damaged; remove {target} and run the demo again") \
                from None
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} exists and is not a thankful demo folder; "
                         "choose another with --dir")
    tz = ZoneInfo("Europe/Berlin")
    now = now or datetime.now(tz).replace(second=0, microsecond=0)
    write_search(target, build_demo(now), now)
    return now


def write_search(target: Path, data: DemoData, now: datetime) -> Path:
    """Write a job search as a user's tree: mail/, calendar/, config.toml; returns the config."""
    target.mkdir(parents=True, exist_ok=True)
    _write_maildir(target / "mail", data)
    cal = target / "calendar"
    cal.mkdir()
    for name, ics in data.calendar:
        (cal / name).write_bytes(ics)
    cfg = target / "config.toml"
    cfg.write_text(_config(data), encoding="utf-8")
    os.chmod(cfg, 0o600)
    (target / MARKER).write_text(json.dumps({"now": now.isoformat()}), encoding="utf-8")
    return cfg
