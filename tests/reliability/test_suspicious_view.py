"""Issue 8, test 4: a suspicious view does nothing rash (the Maildir part).

After a first cycle on the demo Maildir the view changes under thankful: INBOX
replaced by an empty one, the whole tree gone, the state file deleted, truncated or
filled with garbage. The next cycle must make no duplicate draft, touch none of the
user's files, say what is wrong in at most one clear line per problem, and never show
a traceback. (UIDVALIDITY is the IMAP adapter's and tested in
tests/integration/test_imap_cycle.py.)
"""

from __future__ import annotations

import email.policy
import logging
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from collections.abc import MutableMapping
from datetime import datetime
from datetime import timedelta
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from structlog.testing import capture_logs

from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import build_demo
from thankful.service import run_cycle

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    structlog.reset_defaults()
    logging.getLogger().setLevel(logging.WARNING)


class Search:
    """The demo job search after its first cycle, and what that cycle left."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cfg = write_search(root, build_demo(NOW), NOW)
        first = run_cycle(load(self.cfg), NOW)
        assert first.ok and first.drafts and first.reminder
        self.mail = root / "mail"
        self.db = root / "state" / "thankful.sqlite3"
        # Closed cleanly: everything is in the file itself, no write-ahead log left.
        assert not list(self.db.parent.glob("thankful.sqlite3-*"))
        self.drafts = self.draft_notes()
        self.files = self.digest()
        assert len(self.drafts) == len(first.drafts) == len(set(self.drafts.values()))

    def digest(self) -> dict[str, bytes]:
        """Every file of the user's tree (mail and calendar), by path."""
        return {str(p.relative_to(self.root)): p.read_bytes()
                for d in (self.mail, self.root / "calendar") if d.exists()
                for p in sorted(d.rglob("*")) if p.is_file()}

    def draft_notes(self) -> dict[str, str]:
        """File name -> X-Thankful-Note of every draft in .Drafts/cur."""
        cur = self.mail / ".Drafts" / "cur"
        out = {}
        for p in sorted(cur.iterdir()) if cur.is_dir() else ():
            msg = BytesParser(policy=email.policy.default).parsebytes(p.read_bytes())
            out[p.name] = str(msg["X-Thankful-Note"])
        return out

    def assert_no_duplicate_and_nothing_touched(self, *, gone: tuple[str, ...] = ()) -> None:
        """No draft twice, none new, and every file of the user's still as it was."""
        now = self.draft_notes()
        assert not [v for v, n in Counter(now.values()).items() if n > 1], "a draft twice"
        assert now == self.drafts, "a draft added or lost"
        after = self.digest()
        kept = {k: v for k, v in self.files.items() if not any(k.startswith(g) for g in gone)}
        assert {k: after.get(k) for k in kept} == kept, "a file of the user's changed"
        # Only reminders may be new (and only in a new reminder slot).
        for k in set(after) - set(self.files):
            assert k.startswith("mail/new/") and b"X-Thankful-Kind: reminder" in after[k], k

    def cli(self, now: datetime) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "thankful", "scan", "--once", "--config", str(self.cfg),
             "--now", now.isoformat()],
            capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False)


@pytest.fixture
def search(tmp_path: Path) -> Search:
    return Search(tmp_path / "search")


def problems(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if e["log_level"] in ("warning", "error", "critical", "exception")]


def assert_quiet_and_clear(logs: list[MutableMapping[str, Any]]) -> None:
    """At most one line per kind of problem, and no traceback in any of them."""
    seen = Counter(str(e["event"]) for e in problems(logs))
    assert all(n <= 1 for n in seen.values()), seen
    assert not [e for e in logs if "exc_info" in e or "exception" in e]


# --- the mailbox ---------------------------------------------------------------------


def test_inbox_replaced_by_an_empty_one(search: Search) -> None:
    for sub in ("cur", "new", "tmp"):
        shutil.rmtree(search.mail / sub)
        (search.mail / sub).mkdir()
    with capture_logs() as logs:
        result = run_cycle(load(search.cfg), NOW + timedelta(hours=1))
    assert result.errors == [] and result.drafts == [] and result.reminder is None
    assert_quiet_and_clear(logs)
    # What was drafted stays drafted: nothing re-drafted, nothing marked gone or deleted.
    assert {n.state for n in result.notes} == {"drafted"}
    search.assert_no_duplicate_and_nothing_touched(gone=("mail/cur/", "mail/new/"))
    # A day later the notes are still recognised by their drafts; only a new reminder.
    later = run_cycle(load(search.cfg), NOW + timedelta(days=1, hours=1))
    assert later.drafts == [] and {n.state for n in later.notes} == {"drafted"}
    search.assert_no_duplicate_and_nothing_touched(gone=("mail/cur/", "mail/new/"))


def test_the_whole_maildir_gone_then_back(search: Search, tmp_path: Path) -> None:
    away = tmp_path / "unmounted"
    shutil.move(search.mail, away)
    with capture_logs() as logs:
        result = run_cycle(load(search.cfg), NOW + timedelta(hours=1))
    # One clear error naming the problem; thankful creates nothing in its place.
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 1 and "is not a Maildir" in str(errors[0]["error"])
    assert [s for s, _ in result.errors] == ["demo"] and result.drafts == []
    assert not search.mail.exists()
    assert_quiet_and_clear(logs)
    assert {str(e["event"]) for e in problems(logs)} <= {"source_failed", "drafts_held_back"}
    # The tree comes back: every draft is recognised, none is made twice.
    shutil.move(away, search.mail)
    back = run_cycle(load(search.cfg), NOW + timedelta(hours=2))
    assert back.ok and back.drafts == [] and {n.state for n in back.notes} == {"drafted"}
    search.assert_no_duplicate_and_nothing_touched()


def test_notes_are_not_dismissed_while_the_maildir_is_gone(search: Search,
                                                           tmp_path: Path) -> None:
    shutil.move(search.mail, tmp_path / "unmounted")
    for hours in (1, 26, 51):
        result = run_cycle(load(search.cfg), NOW + timedelta(hours=hours))
    assert {n.state for n in result.notes} == {"drafted"}, {n.reason for n in result.notes}


# --- the state file --------------------------------------------------------------------


def test_state_deleted_rereads_history_without_drafting_again(search: Search) -> None:
    search.db.unlink()
    for extra in search.db.parent.glob("thankful.sqlite3-*"):
        extra.unlink()
    run = search.cli(NOW + timedelta(hours=1))
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and "Traceback" not in run.stdout
    assert "Drafts written" not in run.stdout
    # The reminder already in the inbox is recognised too: not delivered twice.
    search.assert_no_duplicate_and_nothing_touched()
    assert len(list((search.mail / "new").iterdir())) == 1


def _half(data: bytes) -> bytes:
    return data[:len(data) // 2]


def _garbage(data: bytes) -> bytes:
    return random.Random(8).randbytes(len(data))


def _text(data: bytes) -> bytes:
    return b"this is not a database\n" * (len(data) // 23)


@pytest.mark.parametrize("damage", [_half, _garbage, _text], ids=["truncated", "garbage", "text"])
def test_damaged_state_stops_with_one_line_and_no_duplicate(
        search: Search, damage: Callable[[bytes], bytes]) -> None:
    search.db.write_bytes(damage(search.db.read_bytes()))
    damaged = search.db.read_bytes()
    run = search.cli(NOW + timedelta(hours=1))
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("thankful: the state database ") and "move it aside" in lines[0]
    assert "Traceback" not in run.stderr + run.stdout and run.stdout == ""
    assert search.db.read_bytes() == damaged, "the damaged state was overwritten"
    search.assert_no_duplicate_and_nothing_touched()
    # Moved aside as the message says: history is re-read and nothing drafted twice.
    search.db.rename(search.db.with_name("thankful.sqlite3.damaged"))
    again = search.cli(NOW + timedelta(hours=2))
    assert again.returncode == 0 and again.stderr == "", again.stderr
    search.assert_no_duplicate_and_nothing_touched()


def test_state_damaged_past_its_first_page_stops_with_one_line(search: Search) -> None:
    data = search.db.read_bytes()
    search.db.write_bytes(data[:4096] + random.Random(8).randbytes(len(data) - 4096))
    run = search.cli(NOW + timedelta(hours=1))
    search.assert_no_duplicate_and_nothing_touched()
    assert run.returncode == 1
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "move it aside" in run.stderr and "unexpected" not in run.stderr
    assert "Traceback" not in run.stderr and '"exception"' not in run.stderr
