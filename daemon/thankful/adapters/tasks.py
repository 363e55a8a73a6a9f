"""Owed notes as tasks in the user's own task list (the optional ``[tasks]``). Adapter.

Each owed note becomes a VTODO ("Thank Dana Lee for the on-site at Northwind") with a
DUE and an alarm when its draft is ready, in a local vdir (as vdirsyncer syncs it) or a
CalDAV task list. When the note is done or dismissed the task is marked COMPLETED;
when it is no longer owed (the interview was cancelled, the note expired) CANCELLED.
A task is written only when what it says changed, and one the user completed in their
app is never reopened. thankful touches only its own tasks: their UIDs end in
``@thankful``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from thankful import crashpoints
from thankful.core.rules import Note
from thankful.errors import SourceError
from thankful.errors import TransientSourceError

if TYPE_CHECKING:
    from thankful.config import CalendarConfig

UID_SUFFIX = "@thankful"
#: The note states that owe the user an action now.
OPEN_STATES = ("ready", "drafted")
_CLOSED = {"done": "COMPLETED", "dismissed": "COMPLETED", "gone": "CANCELLED",
           "expired": "CANCELLED"}
_MODES = {"onsite": "the on-site", "video": "the video interview",
          "phone": "the phone interview"}


class TaskList(Protocol):
    """Where the tasks live."""

    def existing(self) -> dict[str, bytes]:
        """UID -> data of every task of thankful's in the list."""
        ...

    def put(self, uid: str, data: bytes) -> None:
        """Create or replace one task."""
        ...


def task_uid(note: Note) -> str:
    """The task's UID: stable for the note, recognisably thankful's."""
    return f"{note.id}{UID_SUFFIX}"


def summary(note: Note) -> str:
    """What the task says, in the words of a to-do list."""
    who = note.recipient.name or note.recipient.email or "them"
    if note.occasion == "phone_screen":
        what = "the phone screen"
    elif note.occasion == "offer":
        what = "their part in the offer"
    else:
        what = _MODES.get(note.mode or "", "the interview")
    return f"Thank {who} for {what} at {note.company}"


def build_vtodo(note: Note, status: str, now: datetime) -> bytes:
    """One VTODO for a note; ``status`` is NEEDS-ACTION, COMPLETED or CANCELLED."""
    import icalendar

    todo = icalendar.Todo()
    todo.add("uid", task_uid(note))
    todo.add("dtstamp", now.astimezone(UTC))
    todo.add("summary", summary(note))
    to = note.deliver_to or ""
    todo.add("description", "\n".join(filter(None, [
        f"A thank-you note to {note.deliver_name or note.recipient.name or to}"
        + (f" <{to}>" if to else "") + ".",
        "thankful has put a draft in your Drafts folder." if note.state == "drafted" else "",
        f"`thankful done {note.id}` once it is sent; `thankful dismiss {note.id}` if not."])))
    # icalendar writes a valid DUE only through add() (NOTES: "icalendar").
    todo.add("due", note.due_at.astimezone(UTC))
    todo.add("status", status)
    todo.add("x-thankful-note", note.id)
    if status == "COMPLETED":
        todo.add("completed", now.astimezone(UTC))
        todo.add("percent-complete", 100)
    if status == "NEEDS-ACTION":
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary(note))
        # When the draft is ready: the moment the note can be sent.
        alarm.add("trigger", min(note.ready_at, note.due_at).astimezone(UTC))
        todo.add_component(alarm)
    todo.add("x-thankful-hash", _hash(note, status))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//thankful//tasks//EN")
    cal.add("version", "2.0")
    cal.add_component(todo)
    return bytes(cal.to_ical())


def _hash(note: Note, status: str) -> str:
    """What a task says, so that an unchanged one is not written again."""
    text = "|".join([status, summary(note), note.due_at.astimezone(UTC).isoformat(),
                     note.ready_at.astimezone(UTC).isoformat(), note.state,
                     note.deliver_to or ""])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _props(data: bytes) -> tuple[str, str]:
    """A task's STATUS and X-THANKFUL-HASH, read from its lines."""
    status = digest = ""
    for line in data.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        key = name.split(";", 1)[0].strip().upper()
        if key == "STATUS" and not status:
            status = value.strip().upper()
        elif key == "X-THANKFUL-HASH":
            digest = value.strip()
    return status, digest


def sync_tasks(notes: Iterable[Note], tasks: TaskList, now: datetime) -> dict[str, int]:
    """Bring the task list in line with the notes; returns counts by what was done."""
    existing = tasks.existing()
    counts: dict[str, int] = {}
    for note in notes:
        uid = task_uid(note)
        have = existing.get(uid)
        if note.state in OPEN_STATES:
            status = "NEEDS-ACTION"
        elif note.state in _CLOSED and have is not None:
            status = _CLOSED[note.state]
        else:
            continue  # waiting, history, or closed before it was ever a task
        if have is not None:
            old_status, old_hash = _props(have)
            if old_status in ("COMPLETED", "CANCELLED") and status == "NEEDS-ACTION":
                counts["left_closed"] = counts.get("left_closed", 0) + 1
                continue  # the user closed it in their app: their word stands
            if old_hash == _hash(note, status):
                continue
        crashpoints.step("write_task")
        tasks.put(uid, build_vtodo(note, status, now))
        what = "created" if have is None else status.lower()
        counts[what] = counts.get(what, 0) + 1
    return counts


def _file_name(uid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in uid) + ".ics"


class VdirTasks:
    """A local task list folder (a vdir): one .ics file per task."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def existing(self) -> dict[str, bytes]:
        """thankful's tasks in the folder, by UID."""
        out: dict[str, bytes] = {}
        if not self.folder.is_dir():
            return out
        for path in self.folder.glob("*.ics"):
            data = path.read_bytes()
            for line in data.decode("utf-8", "replace").splitlines():
                if line.upper().startswith("UID:") and line.strip().endswith(UID_SUFFIX):
                    out[line[4:].strip()] = data
                    break
        return out

    def put(self, uid: str, data: bytes) -> None:
        """Write the task's file whole (a sync tool never sees half of it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)  # like the other files a calendar app writes there
            os.replace(tmp, self.folder / _file_name(uid))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class CalDavTasks:
    """A CalDAV task list (a collection that holds VTODOs), through the caldav library."""

    def __init__(self, client: Any, url: str,
                 translate: Callable[[Exception], Exception] | None = None) -> None:
        self.client = client
        self.url = url if url.endswith("/") else url + "/"
        self.calendar = client.calendar(url=self.url)
        # The library's errors (a refused login, a lost server) as the list's SourceError.
        self._translate = translate or (lambda exc: TransientSourceError("tasks", str(exc)))

    @contextlib.contextmanager
    def _io(self) -> Iterator[None]:
        try:
            yield
        except SourceError:
            raise
        except Exception as exc:  # a third-party library over a network may raise anything
            raise self._translate(exc) from None

    def existing(self) -> dict[str, bytes]:
        """thankful's tasks in the list, by UID (open and completed alike)."""
        with self._io():
            return self._existing()

    def _existing(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for obj in self.calendar.search(todo=True, include_completed=True):
            data = obj.data.encode() if isinstance(obj.data, str) else bytes(obj.data)
            status_uid = [ln[4:].strip() for ln in data.decode("utf-8", "replace").splitlines()
                          if ln.upper().startswith("UID:")]
            if status_uid and status_uid[0].endswith(UID_SUFFIX):
                out[status_uid[0]] = data
        return out

    def put(self, uid: str, data: bytes) -> None:
        """PUT the task at a URL of its own: the same one each time."""
        with self._io():
            resp = self.client.put(self.url + _file_name(uid), data.decode(),
                                   {"Content-Type": "text/calendar; charset=utf-8"})
        status = getattr(resp, "status", 201)
        if status not in (200, 201, 204):
            raise TransientSourceError("tasks", f"the server refused the task ({status})")


def open_task_list(cfg: CalendarConfig) -> TaskList:
    """The task list a ``[tasks]`` table names, with the keys of a ``[[calendars]]`` one:
    ``kind = "ics"`` with ``location`` a folder, or ``kind = "caldav"`` with ``url`` a
    task list's collection (and username and the secret as for a CalDAV calendar)."""
    if cfg.kind == "caldav":
        from thankful.adapters.caldav_source import CalDavSource
        from thankful.adapters.caldav_source import load_caldav

        now = datetime.now(UTC)
        source = CalDavSource(cfg, start=now, end=now)
        caldav = load_caldav(source.name)
        return CalDavTasks(source.client(), cfg.url,
                           lambda exc: source.error(caldav, exc))
    return VdirTasks(Path(cfg.location))
