"""The optional VTODO write-back: owed notes as tasks in a local task list folder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from thankful.adapters.tasks import VdirTasks
from thankful.adapters.tasks import build_vtodo
from thankful.adapters.tasks import summary
from thankful.adapters.tasks import sync_tasks
from thankful.core.model import Person
from thankful.core.rules import Note

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=TZ)


def note(ident: str = "n1", state: str = "drafted", **kw: object) -> Note:
    start = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
    fields: dict[str, object] = {
        "id": ident, "application": "northwind", "company": "Northwind", "role_title": None,
        "occasion": "interview", "occasion_key": "uid:x", "occasion_start": start,
        "occasion_end": start + timedelta(hours=1),
        "recipient": Person(name="Dana Lee", email="dana@northwind.example",
                            role="hiring_manager"),
        "deliver_to": "dana@northwind.example", "ready_at": start + timedelta(hours=3),
        "due_at": start + timedelta(days=1, hours=8), "expires_at": start + timedelta(days=30),
        "state": state, "mode": "onsite"}
    fields.update(kw)
    return Note(**fields)  # type: ignore[arg-type]


def todo_of(data: bytes) -> icalendar.Todo:
    todos = icalendar.Calendar.from_ical(data).todos
    assert len(todos) == 1
    return todos[0]


def test_a_task_says_who_for_what_and_is_due_when_the_note_is() -> None:
    assert summary(note()) == "Thank Dana Lee for the on-site at Northwind"
    assert summary(note(mode="video")) == "Thank Dana Lee for the video interview at Northwind"
    assert summary(note(occasion="phone_screen")).endswith("for the phone screen at Northwind")
    todo = todo_of(build_vtodo(note(), "NEEDS-ACTION", NOW))
    assert str(todo["UID"]) == "n1@thankful" and str(todo["STATUS"]) == "NEEDS-ACTION"
    due = todo.DUE
    assert due == note().due_at.astimezone(UTC)
    (alarm,) = todo.walk("VALARM")
    assert alarm["TRIGGER"].dt == note().ready_at.astimezone(UTC)  # when the draft is ready
    done = todo_of(build_vtodo(note(state="done"), "COMPLETED", NOW))
    assert not done.walk("VALARM") and done["PERCENT-COMPLETE"] == 100
    assert "thankful done n1" in str(todo["DESCRIPTION"])


def test_sync_creates_once_then_completes_or_cancels(tmp_path: Path) -> None:
    tasks = VdirTasks(tmp_path / "tasks")
    notes = [note("n1"), note("n2", state="ready", recipient=Person(
        name="Ann Lee", email="ann@northwind.example", role="interviewer")),
             note("n3", state="waiting"), note("n4", state="history")]
    assert sync_tasks(notes, tasks, NOW) == {"created": 2}
    assert sorted(p.name for p in (tmp_path / "tasks").iterdir()) == [
        "n1_thankful.ics", "n2_thankful.ics"]
    # Nothing changed: nothing written.
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "tasks").iterdir()}
    assert sync_tasks(notes, tasks, NOW + timedelta(minutes=10)) == {}
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "tasks").iterdir()} == before
    # Sent: completed; the interview cancelled: cancelled; a later note for a new
    # interview appears.
    later = [replace(notes[0], state="done"), replace(notes[1], state="gone"),
             replace(notes[2], state="ready")]
    assert sync_tasks(later, tasks, NOW + timedelta(hours=1)) == {
        "completed": 1, "cancelled": 1, "created": 1}
    status = {uid: str(todo_of(data)["STATUS"]) for uid, data in tasks.existing().items()}
    assert status == {"n1@thankful": "COMPLETED", "n2@thankful": "CANCELLED",
                      "n3@thankful": "NEEDS-ACTION"}
    assert todo_of(tasks.existing()["n1@thankful"]).get("COMPLETED") is not None


def test_a_task_the_user_completed_is_never_reopened(tmp_path: Path) -> None:
    tasks = VdirTasks(tmp_path)
    sync_tasks([note()], tasks, NOW)
    path = tmp_path / "n1_thankful.ics"
    path.write_bytes(path.read_bytes().replace(b"STATUS:NEEDS-ACTION", b"STATUS:COMPLETED"))
    assert sync_tasks([note(state="ready")], tasks, NOW) == {"left_closed": 1}
    assert b"STATUS:COMPLETED" in path.read_bytes()


def test_only_thankfuls_own_tasks_are_touched(tmp_path: Path) -> None:
    mine = tmp_path / "groceries.ics"
    mine.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:milk-1@example\r\n"
                     b"SUMMARY:Milk\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
    tasks = VdirTasks(tmp_path)
    sync_tasks([note()], tasks, NOW)
    assert set(tasks.existing()) == {"n1@thankful"}
    assert mine.read_bytes().count(b"Milk") == 1
