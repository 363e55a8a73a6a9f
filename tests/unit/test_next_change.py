"""When the notes can next change with nothing new to read: ``rules.next_change`` and
``plan.next_slot``, which let a cycle skip deriving the notes (a quiet cycle).

The promise tested: between ``now`` and the moment returned, :func:`derive` on the same
inputs gives every note the state it had at ``now``; at that moment one changes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.unit import test_rules
from tests.unit.test_rules import ANN
from tests.unit.test_rules import REC
from tests.unit.test_rules import T0
from tests.unit.test_rules import panel
from tests.unit.test_rules import run
from tests.unit.test_rules import sig

from thankful.core.ids import note_hash
from thankful.core.plan import next_slot
from thankful.core.plan import reminder_slot
from thankful.core.rules import Note
from thankful.core.rules import NoteRecord
from thankful.core.rules import Outgoing
from thankful.core.rules import Policy
from thankful.core.rules import Signal
from thankful.core.rules import next_change

POLICY = Policy()


def records_of(notes: tuple[Note, ...]) -> dict[str, NoteRecord]:
    """What the cycle saves of the notes it derived (the next cycle's records)."""
    return {n.id: NoteRecord(id=n.id, drafted_at=n.drafted_at, draft_hash=n.draft_hash,
                             draft_missing_since=n.draft_missing_since) for n in notes}


def states(signals: list[Signal], at: datetime, **kw: object) -> dict[str, str]:
    return {n.id: n.state for n in run(signals, at, **kw).notes}  # type: ignore[arg-type]


def assert_holds_until(signals: list[Signal], now: datetime, **kw: object) -> datetime | None:
    """Derive at ``now`` as a full cycle does (its records saved), then check that the
    states hold at many moments before ``next_change`` and that one differs at it."""
    first = run(signals, now, **kw)  # type: ignore[arg-type]
    kw = {**kw, "records": {**kw.get("records", {}), **records_of(first.notes)}}  # type: ignore[dict-item]
    base = states(signals, now, **kw)
    until = next_change(run(signals, now, **kw).notes, POLICY, now)  # type: ignore[arg-type]
    end = until or now + timedelta(days=400)
    span = end - now
    for k in range(1, 200):
        at = now + span * (k / 200)
        assert states(signals, at, **kw) == base, (at, until)
    assert states(signals, end - timedelta(microseconds=1), **kw) == base
    if until is not None:
        assert states(signals, until, **kw) != base, until
    return until


DRAFT_TO_ANN = Outgoing(recipients=frozenset({"ann@acme.example"}), date=T0 + timedelta(hours=5))


@pytest.mark.parametrize("hours", [-30, -1, 0.5, 2.9, 3, 3.5, 26, 24 * 29, 24 * 31, 24 * 60])
def test_an_interview_holds_its_states_until_the_next_change(hours: float) -> None:
    assert_holds_until([panel()], T0 + timedelta(hours=hours))


@pytest.mark.parametrize("hours", [-5, 4, 24 * 3, 24 * 29.9])
def test_a_drafted_note_holds_until_it_expires(hours: float) -> None:
    until = assert_holds_until([panel()], T0 + timedelta(hours=hours), drafts=(DRAFT_TO_ANN,))
    assert until is not None


def test_a_draft_gone_holds_until_it_counts_as_dismissed() -> None:
    first = run([panel()], T0 + timedelta(hours=6)).notes[0]
    rec = NoteRecord(id=first.id, drafted_at=T0 + timedelta(hours=6),
                     draft_hash=note_hash(first.id))
    now = T0 + timedelta(days=1)
    until = assert_holds_until([panel()], now, records={first.id: rec})
    assert until == now + POLICY.draft_gone  # missing since now, dismissed two days on


def test_offers_phone_screens_and_history_hold_until_the_next_change() -> None:
    signals = test_rules.TestOffer().signals()  # (not imported by name: collected twice)
    for hours in (-24 * 30, 1, 24 * 2 + 1, 24 * 3, 24 * 6, 24 * 40):
        assert_holds_until(signals, T0 + timedelta(hours=hours))
    screen = test_rules.TestPhoneScreen().screen()
    for hours in (0, 2, 30, 24 * 31):
        assert_holds_until([screen], T0 + timedelta(hours=hours))
    # Notes older than the backfill window when thankful started: history, then expired.
    assert_holds_until([panel()], T0 + timedelta(days=10), first=T0 + timedelta(days=10))


def test_done_dismissed_and_expired_notes_never_change_with_time() -> None:
    sent = Outgoing(recipients=frozenset({"ann@acme.example", "bo@acme.example",
                                          "dee@acme.example"}), date=T0 + timedelta(hours=5))
    now = T0 + timedelta(hours=6)
    assert {n.state for n in run([panel()], now, sent=(sent,)).notes} == {"done"}
    assert assert_holds_until([panel()], now, sent=(sent,)) is None
    late = T0 + timedelta(days=45)
    assert assert_holds_until([panel()], late) is None
    note = run([panel()], now).notes[0]
    said = NoteRecord(id=note.id, user_state="dismissed")
    notes = run([panel()], now, records={note.id: said}).notes
    assert next_change([n for n in notes if n.id == note.id], POLICY, now) is None


def test_the_earliest_change_of_many_notes_wins() -> None:
    early = panel()
    later = sig("cal:later", T0, events=(replace(early.detection.events[0], uid="later",
                                                 start=T0 + timedelta(days=5),
                                                 end=T0 + timedelta(days=5, hours=1)),),
                people=(REC, ANN))
    now = T0 + timedelta(hours=1)
    until = assert_holds_until([early, later], now)
    assert until == early.detection.events[0].end + POLICY.ready_after


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Santiago", "Pacific/Apia",
                                  "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("every", [1, 2, 3, 7])
def test_the_next_reminder_slot_starts_where_the_slot_changes(zone: str, every: int) -> None:
    tz = ZoneInfo(zone)
    # Across the year, DST changes included (Santiago changes at midnight).
    start = datetime(2026, 1, 1, 0, 30, tzinfo=tz)
    for step in range(0, 365 * 24, 7):
        now = start + timedelta(hours=step)
        nxt = next_slot(now, tz, every)
        assert nxt > now
        slot = reminder_slot(now, tz, every)
        assert reminder_slot(nxt - timedelta(seconds=1), tz, every) == slot, (now, nxt)
        assert reminder_slot(nxt, tz, every) != slot, (now, nxt)
        assert nxt - now <= timedelta(days=every, hours=2)
