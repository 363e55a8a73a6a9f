"""The issue's calendar scenarios, from iCalendar text to the notes owed.

Each invitation is parsed (``parse_ics``), classified as the cycle does a calendar
object (``classify_events``) and handed to the rules as a signal: the same path an
invitation in mail or an object of a calendar takes, without a mailbox or a server.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from thankful.core.classify import classify_events
from thankful.core.model import Identity
from thankful.core.parse_ics import parse_calendar
from thankful.core.rules import Note
from thankful.core.rules import Policy
from thankful.core.rules import Signal
from thankful.core.rules import derive

TZ = ZoneInfo("Europe/Berlin")
ME = Identity(name="Alex Morgan", addresses=frozenset({"alex@example.net"}),
              employer_domains=frozenset({"globex.example"}), timezone=TZ)
#: Monday 2 March 2026, 09:00 Berlin: before every interview below.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""
PEOPLE = """ORGANIZER;CN="Rita Recruiter":mailto:rita@acme.example
ATTENDEE;CN="Ann Lee";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:ann@acme.example
ATTENDEE;CN="Bo Chen";PARTSTAT={bo};ROLE=REQ-PARTICIPANT:mailto:bo@acme.example
ATTENDEE;CN="Alex Morgan";PARTSTAT=ACCEPTED:mailto:alex@example.net
ATTENDEE;CN="Room Spree";CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:spree@resource.acme.example
"""


def vevent(uid: str, start: str, *, seq: int = 0, stamp: str = "20260301T100000Z",
           extra: str = "", bo: str = "ACCEPTED", status: str = "CONFIRMED",
           summary: str = "Interview: Alex Morgan (Acme, Data Engineer)") -> str:
    """One VEVENT, an hour long, in Berlin time (``start`` is "YYYYMMDDTHHMMSS")."""
    end = (datetime.strptime(start, "%Y%m%dT%H%M%S") + timedelta(hours=1)).strftime(
        "%Y%m%dT%H%M%S")
    return (f"BEGIN:VEVENT\nUID:{uid}\nSEQUENCE:{seq}\nDTSTAMP:{stamp}\n"
            f"DTSTART;TZID=Europe/Berlin:{start}\nDTEND;TZID=Europe/Berlin:{end}\n"
            f"SUMMARY:{summary}\nLOCATION:https://acme.zoom.us/j/123456789\n"
            f"STATUS:{status}\n{extra}{PEOPLE.format(bo=bo)}END:VEVENT\n")


def calendar(*events: str, method: str | None = None) -> bytes:
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Acme//ATS//EN\n"
    if method:
        head += f"METHOD:{method}\n"
    return (head + VTIMEZONE + "".join(events) + "END:VCALENDAR\n").replace(
        "\n", "\r\n").encode()


def signal(ident: str, data: bytes) -> Signal:
    """A calendar object as the cycle records it."""
    parsed = parse_calendar(data, default_tz=TZ, window_start=T0 - timedelta(days=180),
                            window_end=T0 + timedelta(days=60))
    assert parsed.events and not parsed.problems, parsed.problems
    det = classify_events(parsed.events, ME, method=parsed.method)
    assert det.kind == "interview_invite" and det.sure, det.reasons
    first = min(parsed.events, key=lambda e: e.start)
    return Signal(ident=ident, at=first.dtstamp or first.start, detection=det)


def owed(signals: list[Signal], now: datetime) -> list[Note]:
    """The interview notes (not gone) the signals imply at ``now``."""
    derived = derive(signals=signals, sent=(), drafts=(), records={}, identity=ME,
                     policy=Policy(), now=now, first_cycle_at=T0)
    return [n for n in derived.notes if n.occasion == "interview"]


def who_when(notes: list[Note]) -> set[tuple[str | None, datetime]]:
    return {(n.recipient.email, n.occasion_start.astimezone(TZ)) for n in notes}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=TZ)


# --- an invitation updated, then cancelled ---------------------------------------------

INVITE = calendar(vevent("iv-1@acme.example", "20260303T100000"), method="REQUEST")
MOVED = calendar(vevent("iv-1@acme.example", "20260303T150000", seq=1,
                        stamp="20260302T080000Z"), method="REQUEST")
CANCEL = calendar(vevent("iv-1@acme.example", "20260303T150000", seq=2,
                         stamp="20260302T120000Z", status="CANCELLED"), method="CANCEL")


def test_an_updated_invitation_moves_the_notes_to_the_later_time() -> None:
    first = signal("mail:w:<a@acme>", INVITE)
    notes = owed([first], at(4, 12))
    assert who_when(notes) == {("ann@acme.example", at(3, 10)), ("bo@acme.example", at(3, 10))}
    moved = owed([first, signal("mail:w:<b@acme>", MOVED)], at(4, 12))
    assert who_when(moved) == {("ann@acme.example", at(3, 15)), ("bo@acme.example", at(3, 15))}
    # A note is ready only after the interview, as it really happened.
    assert {n.ready_at for n in moved} == {at(3, 18)}


def test_invite_updated_then_cancelled_owes_no_note() -> None:
    sigs = [signal("mail:w:<a@acme>", INVITE), signal("mail:w:<b@acme>", MOVED),
            signal("mail:w:<c@acme>", CANCEL)]
    assert owed(sigs, at(4, 12)) == []
    # In whatever order the messages are read, and with the calendar's own copy too.
    calendar_copy = signal("cal:work:/dav/iv-1.ics#iv-1@acme.example", calendar(
        vevent("iv-1@acme.example", "20260303T150000", seq=1, stamp="20260302T080000Z")))
    assert owed([sigs[2], calendar_copy, sigs[0], sigs[1]], at(4, 12)) == []


def test_a_cancellation_with_a_lower_sequence_does_not_undo_a_newer_update() -> None:
    stale_cancel = calendar(vevent("iv-1@acme.example", "20260303T100000", seq=0,
                                   status="CANCELLED"), method="CANCEL")
    sigs = [signal("mail:w:<b@acme>", MOVED), signal("mail:w:<c@acme>", stale_cancel)]
    assert who_when(owed(sigs, at(4, 12))) == {("ann@acme.example", at(3, 15)),
                                               ("bo@acme.example", at(3, 15))}


def test_a_declined_attendee_is_owed_nothing() -> None:
    data = calendar(vevent("iv-2@acme.example", "20260303T100000", bo="DECLINED"),
                    method="REQUEST")
    assert who_when(owed([signal("mail:w:<d@acme>", data)], at(4, 12))) == {
        ("ann@acme.example", at(3, 10))}


# --- a weekly "Interview loop" with one occurrence moved --------------------------------

LOOP_UID = "loop-7@acme.example"


def loop_series(seq: int = 0) -> str:
    return vevent(LOOP_UID, "20260303T100000", seq=seq, summary="Interview loop: Alex Morgan",
                  extra="RRULE:FREQ=WEEKLY;COUNT=3\n")


#: The second occurrence (Tuesday 10 March, 10:00) moved to Wednesday 11 March, 16:00.
MOVED_OCCURRENCE = vevent(LOOP_UID, "20260311T160000", seq=1, stamp="20260305T090000Z",
                          summary="Interview loop: Alex Morgan",
                          extra="RECURRENCE-ID;TZID=Europe/Berlin:20260310T100000\n")


def test_weekly_interview_loop_notes_follow_the_moved_occurrence() -> None:
    sig = signal(f"cal:work:/cal/loop.ics#{LOOP_UID}",
                 calendar(loop_series(), MOVED_OCCURRENCE))
    notes = owed([sig], at(20, 12))
    starts = {n.occasion_start.astimezone(TZ) for n in notes}
    assert starts == {at(3, 10), at(11, 16), at(17, 10)}
    assert at(10, 10) not in starts
    moved = [n for n in notes if n.occasion_start == at(11, 16)]
    assert {n.recipient.email for n in moved} == {"ann@acme.example", "bo@acme.example"}
    assert {n.ready_at.astimezone(TZ) for n in moved} == {at(11, 19)}
    # One note per person per occurrence: three occurrences, two interviewers.
    assert len(notes) == 6 and len({n.id for n in notes}) == 6


def test_an_occurrence_moved_by_a_later_invitation_moves_its_notes() -> None:
    """The series from the calendar, the move by mail (METHOD:REQUEST with RECURRENCE-ID)."""
    series = signal(f"cal:work:/cal/loop.ics#{LOOP_UID}", calendar(loop_series()))
    before = owed([series], at(20, 12))
    assert {n.occasion_start.astimezone(TZ) for n in before} == {
        at(3, 10), at(10, 10), at(17, 10)}
    update = signal("mail:w:<loop-move@acme>", calendar(MOVED_OCCURRENCE, method="REQUEST"))
    after = owed([series, update], at(20, 12))
    assert {n.occasion_start.astimezone(TZ) for n in after} == {
        at(3, 10), at(11, 16), at(17, 10)}
    # The same occurrence, the same notes: only their time changed.
    assert {n.id for n in after} == {n.id for n in before}


def test_times_are_utc_inside_and_the_users_zone_outside() -> None:
    sig = signal("mail:w:<a@acme>", INVITE)
    ev = sig.detection.events[0]
    assert ev.start == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
