"""What the reliability tests share: a scenario's mailbox and state copied afresh for
each trial, and the end state a run leaves (drafts, reminders, notes, tasks).

A :class:`MaildirWorld` keeps the whole tree in its baseline folder; an
:class:`ImapWorld` keeps one Dovecot user's mailbox as it was at :meth:`snapshot` and
expunges whatever a trial added before the next one.
"""

from __future__ import annotations

import email.utils
import mailbox
import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from integration.dovecot import ImapUser
from thankful.demo_data import DemoData

# --- what a run leaves behind -------------------------------------------------------------


@dataclass
class EndState:
    """What the user and the next cycle see after the runs."""

    drafts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (to, subject)
    reminders: Counter[str] = field(default_factory=Counter)  # by slot, in the inbox
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> state, draft
    recorded_drafts: frozenset[str] = frozenset()  # the drafts table's hashes
    recorded_reminders: frozenset[str] = frozenset()  # the reminders table's slots
    tasks: dict[str, str] = field(default_factory=dict)  # task file -> STATUS

    def diff(self, want: EndState) -> list[str]:
        """What differs from ``want``, in words."""
        out = []
        if lost := want.drafts - self.drafts:
            out.append(f"drafts lost {dict(lost)}")
        if twice := self.drafts - want.drafts:
            out.append(f"drafts made twice or wrong {dict(twice)}")
        if self.reminders != want.reminders:
            out.append(f"reminders {dict(self.reminders)} instead of {dict(want.reminders)}")
        for name in ("notes", "recorded_drafts", "recorded_reminders", "tasks"):
            if getattr(self, name) != getattr(want, name):
                out.append(f"{name} {getattr(self, name)} instead of {getattr(want, name)}")
        return out


def headers(raw: bytes) -> Any:
    return BytesHeaderParser(policy=default_policy).parsebytes(raw)


def collect(drafts: list[bytes], inbox: list[bytes], folder: Path) -> EndState:
    """The end state from the drafts' and the inbox's headers and the state folder."""
    end = EndState()
    for raw in drafts:
        msg = headers(raw)
        end.drafts[(email.utils.parseaddr(str(msg["To"]))[1], str(msg["Subject"]))] += 1
    for raw in inbox:
        slot = headers(raw)["X-Thankful-Reminder"]
        if slot:
            end.reminders[str(slot)] += 1
    db = sqlite3.connect(folder / "state" / "thankful.sqlite3")
    try:
        end.notes = {r[0]: (r[1], r[2]) for r in
                     db.execute("SELECT id, state, draft_hash FROM notes")}
        end.recorded_drafts = frozenset(r[0] for r in db.execute("SELECT hash FROM drafts"))
        end.recorded_reminders = frozenset(r[0] for r in
                                           db.execute("SELECT slot FROM reminders"))
    finally:
        db.close()
    tasks = folder / "tasks"
    for path in sorted(tasks.glob("*.ics")) if tasks.is_dir() else ():
        status = [ln for ln in path.read_text().splitlines() if ln.startswith("STATUS:")]
        end.tasks[path.name] = status[0] if status else "?"
    return end


# --- the two stores ---------------------------------------------------------------------


class World:
    """One scenario on one store: a baseline to copy, and how to read what a run left."""

    #: The environment each run needs (the IMAP password).
    env: dict[str, str]

    def __init__(self, root: Path, baseline: Path) -> None:
        self.root, self.baseline = root, baseline
        self.env = {}

    def fresh(self, name: str) -> Path:
        """A new copy of the baseline for one run, the mailbox as it was."""
        folder = self.root / name
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.baseline, folder, symlinks=True)
        return folder

    def end_state(self, folder: Path) -> EndState:
        raise NotImplementedError


class MaildirWorld(World):
    """The baseline folder holds the mail tree too: a copy is a fresh mailbox."""

    def end_state(self, folder: Path) -> EndState:
        mail = folder / "mail"
        drafts = [p.read_bytes() for sub in ("cur", "new")
                  for p in sorted((mail / ".Drafts" / sub).glob("*"))]
        inbox = [p.read_bytes() for sub in ("cur", "new") for p in sorted((mail / sub).glob("*"))]
        return collect(drafts, inbox, folder)

    @staticmethod
    def deliver(folder: Path, inbox: tuple[bytes, ...], sent: tuple[bytes, ...]) -> None:
        """New mail, as a mail delivery agent and the user's client put it there."""
        root = mailbox.Maildir(folder / "mail", factory=None, create=False)
        for box, msgs in ((root, inbox), (root.get_folder("Sent"), sent)):
            for raw in msgs:
                msg = mailbox.MaildirMessage(raw)
                msg.set_subdir("cur")
                msg.set_flags("S")
                box.add(msg)


class ImapWorld(World):
    """The mailbox is one Dovecot user's: a fresh copy expunges what later runs added."""

    FOLDERS = ("INBOX", "Sent", "Drafts")

    def __init__(self, root: Path, baseline: Path, user: ImapUser) -> None:
        super().__init__(root, baseline)
        self.user = user
        self.env = {user.env: user.password}
        self.admin = user.client()
        self.uidnext: dict[str, int] = {}

    def snapshot(self) -> None:
        """What the mailbox holds now is the baseline."""
        for f in self.FOLDERS:
            self.uidnext[f] = int(self.admin.folder_status(f, ["UIDNEXT"])[b"UIDNEXT"])

    def fresh(self, name: str) -> Path:
        for f in self.FOLDERS:
            self.admin.select_folder(f)
            # "UID n:*" answers the last message even when none is that new (NOTES.md).
            added = [u for u in self.admin.search(["UID", f"{self.uidnext[f]}:*"])
                     if u >= self.uidnext[f]]
            if added:
                self.admin.delete_messages(added)
                self.admin.expunge(added)
            self.admin.close_folder()
        return super().fresh(name)

    def _headers_of(self, folder: str, criteria: list[Any]) -> list[bytes]:
        self.admin.select_folder(folder, readonly=True)
        uids = self.admin.search(criteria)
        got = self.admin.fetch(uids, ["BODY.PEEK[HEADER]"]) if uids else {}
        self.admin.close_folder()
        return [d[b"BODY[HEADER]"] for d in got.values()]

    def end_state(self, folder: Path) -> EndState:
        return collect(self._headers_of("Drafts", ["ALL"]),
                        self._headers_of("INBOX", ["HEADER", "X-Thankful-Reminder", ""]),
                        folder)

    def close(self) -> None:
        self.admin.logout()


# --- job searches in time ---------------------------------------------------------------


def split(data: DemoData, at: datetime) -> tuple[DemoData, DemoData]:
    """The mail that had arrived by ``at``, and the rest (the calendar comes at once)."""
    def when(raw: bytes) -> datetime:
        return email.utils.parsedate_to_datetime(str(headers(raw)["Date"]))

    early = replace(data, inbox=tuple(m for m in data.inbox if when(m) <= at),
                    sent=tuple(m for m in data.sent if when(m) <= at))
    late = replace(data, inbox=tuple(m for m in data.inbox if when(m) > at),
                   sent=tuple(m for m in data.sent if when(m) > at), calendar=())
    return early, late


def offer_time(data: DemoData) -> datetime:
    """When the offer mail was sent."""
    for raw in data.inbox:
        msg = headers(raw)
        if "offer" in str(msg["Subject"]).lower() and msg.get_content_type() == \
                "multipart/mixed":
            return email.utils.parsedate_to_datetime(str(msg["Date"]))
    raise AssertionError("the search has no offer mail")
