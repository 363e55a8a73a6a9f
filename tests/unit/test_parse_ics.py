"""parse_ics on small inline calendars: zones, all-day, recurrence, people, hostile input."""

from __future__ import annotations

import time
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from thankful.core.model import Attendee
from thankful.core.model import ParsedCalendar
from thankful.core.parse_ics import parse_calendar

BERLIN = ZoneInfo("Europe/Berlin")
W_START = datetime(2024, 1, 1, tzinfo=UTC)
W_END = datetime(2025, 1, 1, tzinfo=UTC)


def ics(*body: str, header: tuple[str, ...] = ()) -> str:
    """A VCALENDAR around the given lines (CRLF, as RFC 5545 writes it)."""
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *header, *body, "END:VCALENDAR", ""])


def vevent(*lines: str, uid: str = "u1") -> tuple[str, ...]:
    return ("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20240101T000000Z", *lines, "END:VEVENT")


def parse(
    data: bytes | str,
    *,
    tz: ZoneInfo = BERLIN,
    start: datetime = W_START,
    end: datetime = W_END,
    cap: int = 500,
) -> ParsedCalendar:
    return parse_calendar(data, default_tz=tz, window_start=start, window_end=end,
                          max_occurrences=cap)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# A zone under a made-up name, as Outlook writes them: UTC-5 with US rules.
CUSTOM_EASTERN = (
    "BEGIN:VTIMEZONE", "TZID:Customized Time Zone",
    "BEGIN:STANDARD", "DTSTART:16010101T020000", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11", "END:STANDARD",
    "BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3", "END:DAYLIGHT",
    "END:VTIMEZONE",
)
# The same name for a fixed UTC+05:30 zone.
CUSTOM_INDIA = (
    "BEGIN:VTIMEZONE", "TZID:Customized Time Zone",
    "BEGIN:STANDARD", "DTSTART:16010101T000000", "TZOFFSETFROM:+0530", "TZOFFSETTO:+0530",
    "END:STANDARD", "END:VTIMEZONE",
)


class TestTimes:
    @pytest.mark.parametrize(
        ("lines", "header", "start", "end"),
        [
            pytest.param(("DTSTART:20240305T150000Z", "DTEND:20240305T160000Z"), (),
                         utc(2024, 3, 5, 15), utc(2024, 3, 5, 16), id="utc"),
            pytest.param(("DTSTART;TZID=Europe/Paris:20240705T150000",
                          "DTEND;TZID=Europe/Paris:20240705T160000"), (),
                         utc(2024, 7, 5, 13), utc(2024, 7, 5, 14), id="iana-summer"),
            pytest.param(("DTSTART;TZID=Pacific Standard Time:20240115T090000",
                          "DTEND;TZID=\"Pacific Standard Time\":20240115T100000"), (),
                         utc(2024, 1, 15, 17), utc(2024, 1, 15, 18), id="windows-no-vtimezone"),
            pytest.param(("DTSTART;TZID=W. Europe Standard Time:20240705T090000",), (),
                         utc(2024, 7, 5, 7), utc(2024, 7, 5, 7), id="windows-summer-no-end"),
            pytest.param(("DTSTART;TZID=Customized Time Zone:20240705T090000",), CUSTOM_EASTERN,
                         utc(2024, 7, 5, 13), utc(2024, 7, 5, 13), id="file-vtimezone"),
            pytest.param(("DTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20240705T090000",),
                         (), utc(2024, 7, 5, 8), utc(2024, 7, 5, 8), id="vendor-prefix",
                         # icalendar warns that it guessed too; the guess here is our own.
                         marks=pytest.mark.filterwarnings(
                             "ignore::icalendar.error.GloballyUniqueTZIDGuessed")),
            pytest.param(("DTSTART:20240105T150000", "DTEND:20240105T160000"), (),
                         utc(2024, 1, 5, 14), utc(2024, 1, 5, 15), id="floating-default-tz"),
            pytest.param(("DTSTART:20240105T150000", "DURATION:PT90M"), (),
                         utc(2024, 1, 5, 14), utc(2024, 1, 5, 15, 30), id="duration"),
            pytest.param(("DTSTART:20240105T150000", "DTEND:20240105T140000"), (),
                         utc(2024, 1, 5, 14), utc(2024, 1, 5, 14), id="end-before-start"),
        ],
    )
    def test_start_and_end_in_utc(self, lines: tuple[str, ...], header: tuple[str, ...],
                                  start: datetime, end: datetime) -> None:
        result = parse(ics(*header, *vevent(*lines)))
        (event,) = result.events
        assert (event.start, event.end) == (start, end)
        assert event.start.tzinfo is UTC
        assert event.end.tzinfo is UTC
        assert not event.all_day

    def test_unknown_tzid_is_read_in_default_zone_with_a_problem(self) -> None:
        result = parse(ics(*vevent("DTSTART;TZID=BRT:20240105T150000")), tz=ZoneInfo("Asia/Tokyo"))
        assert result.events[0].start == utc(2024, 1, 5, 6)
        assert any("BRT" in p for p in result.problems)

    def test_x_wr_timezone_applies_to_floating_times(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000"), header=("X-WR-TIMEZONE:America/New_York",))
        assert parse(data).events[0].start == utc(2024, 1, 5, 20)

    def test_x_wr_timezone_keeps_a_weekly_utc_series_at_local_time_across_dst(self) -> None:
        # Google writes 15:00 New York in winter as 20:00Z; in summer it is still 15:00 local.
        data = ics(*vevent("DTSTART:20240301T200000Z", "DTEND:20240301T210000Z",
                           "RRULE:FREQ=WEEKLY;COUNT=3"),
                   header=("X-WR-TIMEZONE:America/New_York",))
        starts = [e.start for e in parse(data).events]
        assert starts == [utc(2024, 3, 1, 20), utc(2024, 3, 8, 20), utc(2024, 3, 15, 19)]

    @pytest.mark.parametrize(
        ("lines", "days"),
        [
            pytest.param(("DTSTART;VALUE=DATE:20240305", "DTEND;VALUE=DATE:20240307"), 2,
                         id="dtend-exclusive"),
            pytest.param(("DTSTART;VALUE=DATE:20240305",), 1, id="no-dtend"),
            pytest.param(("DTSTART;VALUE=DATE:20240305", "DTEND;VALUE=DATE:20240305"), 1,
                         id="dtend-equals-start"),
            pytest.param(("DTSTART;VALUE=DATE;TZID=America/Chicago:20240305",), 1,
                         id="date-with-tzid"),
        ],
    )
    def test_all_day_is_local_midnight_in_default_zone(self, lines: tuple[str, ...],
                                                       days: int) -> None:
        (event,) = parse(ics(*vevent(*lines))).events
        assert event.all_day
        assert event.start == datetime(2024, 3, 5, tzinfo=BERLIN).astimezone(UTC)
        assert event.end == datetime(2024, 3, 5 + days, tzinfo=BERLIN).astimezone(UTC)

    def test_events_outside_the_window_are_not_returned(self) -> None:
        data = ics(*vevent("DTSTART:20230105T150000Z", uid="old"),
                   *vevent("DTSTART:20240105T150000Z", "DTEND:20240105T160000Z", uid="in"),
                   *vevent("DTSTART:20231231T230000Z", "DTEND:20240101T010000Z", uid="spans"),
                   *vevent("DTSTART:20250101T000000Z", uid="at-end"))
        assert sorted(e.uid for e in parse(data).events) == ["in", "spans"]

    def test_problems_are_one_line_each(self) -> None:
        data = ics(*vevent("DTSTART;TZID=Bad\u2028Zone:20240105T150000"), "junk\x0bline")
        assert all(len(p.splitlines()) == 1 for p in parse(data).problems)

    def test_naive_window_is_a_caller_bug(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            parse_calendar("", default_tz=BERLIN, window_start=datetime(2024, 1, 1),
                           window_end=W_END)


class TestOwnVtimezoneWins:
    """icalendar caches VTIMEZONEs by TZID per process; each file must use its own."""

    def test_same_tzid_name_with_different_definitions(self) -> None:
        line = "DTSTART;TZID=Customized Time Zone:20240705T090000"
        eastern = parse(ics(*CUSTOM_EASTERN, *vevent(line)))
        india = parse(ics(*CUSTOM_INDIA, *vevent(line)))
        eastern_again = parse(ics(*CUSTOM_EASTERN, *vevent(line)))
        assert eastern.events[0].start == utc(2024, 7, 5, 13)
        assert india.events[0].start == utc(2024, 7, 5, 3, 30)
        assert eastern_again.events[0].start == utc(2024, 7, 5, 13)

    def test_tzid_defined_only_in_another_file_is_unknown_here(self) -> None:
        parse(ics(*CUSTOM_INDIA, *vevent("DTSTART;TZID=Customized Time Zone:20240705T090000")))
        alone = parse(ics(*vevent("DTSTART;TZID=Customized Time Zone:20240705T090000")))
        assert alone.events[0].start == utc(2024, 7, 5, 7)  # Berlin, the default zone
        assert any("Customized Time Zone" in p for p in alone.problems)

    def test_zone_cached_by_icalendar_elsewhere_does_not_leak_in(self) -> None:
        name = "Thankful Test Zone"  # unique, so the cache entry made here harms no one
        india = [ln.replace("Customized Time Zone", name) for ln in CUSTOM_INDIA]
        eastern = [ln.replace("Customized Time Zone", name) for ln in CUSTOM_EASTERN]
        line = f"DTSTART;TZID={name}:20240705T090000"
        Calendar.from_ical(ics(*india, *vevent(line)))  # plain icalendar caches India's zone
        plain: Any = Calendar.from_ical(ics(*eastern, *vevent(line))).walk("VEVENT")[0]
        # The hazard (icalendar 7.3): the second file's own VTIMEZONE loses to the cache.
        assert plain["DTSTART"].dt.utcoffset() == timedelta(hours=5, minutes=30)
        assert parse(ics(*eastern, *vevent(line))).events[0].start == utc(2024, 7, 5, 13)

    def test_vtimezone_with_a_hostile_rule_is_ignored_quickly(self) -> None:
        bomb = ("BEGIN:VTIMEZONE", "TZID:Bomb", "BEGIN:STANDARD", "DTSTART:16010101T000000",
                "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "RRULE:FREQ=MINUTELY;INTERVAL=0",
                "END:STANDARD", "END:VTIMEZONE")
        began = time.monotonic()
        result = parse(ics(*bomb, *vevent("DTSTART;TZID=Bomb:20240105T090000")))
        assert time.monotonic() - began < 5
        assert result.events[0].start == utc(2024, 1, 5, 8)  # unknown: default zone
        assert any("Bomb" in p for p in result.problems)


SERIES = (
    *vevent("SUMMARY:Standup", "DTSTART;TZID=Europe/Berlin:20240304T100000",
            "DTEND;TZID=Europe/Berlin:20240304T101500", "RRULE:FREQ=DAILY;COUNT=5",
            "EXDATE;TZID=Europe/Berlin:20240306T100000", "SEQUENCE:2", uid="s"),
    *vevent("SUMMARY:Standup (moved)", "RECURRENCE-ID;TZID=Europe/Berlin:20240307T100000",
            "DTSTART;TZID=Europe/Berlin:20240307T140000",
            "DTEND;TZID=Europe/Berlin:20240307T141500", "SEQUENCE:3", uid="s"),
)


class TestRecurrence:
    def test_rrule_exdate_and_override(self) -> None:
        events = parse(ics(*SERIES)).events
        assert [(e.start, e.recurrence_id, e.summary) for e in events] == [
            (utc(2024, 3, 4, 9), "2024-03-04T09:00:00+00:00", "Standup"),
            (utc(2024, 3, 5, 9), "2024-03-05T09:00:00+00:00", "Standup"),
            (utc(2024, 3, 7, 13), "2024-03-07T09:00:00+00:00", "Standup (moved)"),
            (utc(2024, 3, 8, 9), "2024-03-08T09:00:00+00:00", "Standup"),
        ]
        assert [e.sequence for e in events] == [2, 2, 3, 2]
        assert all(e.end - e.start == timedelta(minutes=15) for e in events)

    def test_only_the_window_is_expanded(self) -> None:
        data = ics(*vevent("DTSTART:20000103T090000Z", "RRULE:FREQ=WEEKLY"))
        events = parse(data, start=utc(2024, 3, 1), end=utc(2024, 3, 15)).events
        assert [e.start for e in events] == [utc(2024, 3, 4, 9), utc(2024, 3, 11, 9)]

    def test_single_event_has_no_recurrence_id(self) -> None:
        assert parse(ics(*vevent("DTSTART:20240105T150000Z"))).events[0].recurrence_id is None

    def test_duplicated_rrule_is_expanded_once(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000Z", "RRULE:FREQ=DAILY;COUNT=3",
                           "RRULE:FREQ=DAILY;COUNT=3"))
        assert len(parse(data).events) == 3

    def test_cap_keeps_the_earliest_and_says_so(self) -> None:
        result = parse(ics(*vevent("DTSTART:20240105T150000Z", "RRULE:FREQ=DAILY")), cap=10)
        assert len(result.events) == 10
        assert result.events[0].start == utc(2024, 1, 5, 15)
        assert any("capped at 10" in p for p in result.problems)

    def test_override_without_master_is_kept(self) -> None:
        data = ics(*vevent("RECURRENCE-ID:20240110T150000Z", "DTSTART:20240111T150000Z"))
        (event,) = parse(data).events
        assert (event.start, event.recurrence_id) == (utc(2024, 1, 11, 15),
                                                      "2024-01-10T15:00:00+00:00")

    @pytest.mark.parametrize(
        ("rule", "why"),
        [
            pytest.param("RRULE:FREQ=DAILY;INTERVAL=0", "INTERVAL=0", id="interval-0"),
            pytest.param("RRULE:FREQ=SECONDLY;COUNT=1000000000", "FREQ=SECONDLY",
                         id="count-1e9-secondly"),
            pytest.param("RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never matches",
                         id="never-matches"),
            pytest.param("RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24)))
                         + ";BYMINUTE=" + ",".join(map(str, range(60))), "about",
                         id="huge-expansion"),
        ],
    )
    def test_recurrence_bombs_are_refused_quickly_and_keep_the_first_occurrence(
        self, rule: str, why: str
    ) -> None:
        data = ics(*vevent("DTSTART:19900105T150000Z", rule))
        began = time.monotonic()
        result = parse(data, start=utc(1990, 1, 1), end=utc(2030, 1, 1))
        assert time.monotonic() - began < 5
        assert [e.start for e in result.events] == [utc(1990, 1, 5, 15)]
        assert any(why in p for p in result.problems)

    def test_rrule_equal_to_exrule_is_bounded_and_excludes_everything(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000Z", "RRULE:FREQ=DAILY;COUNT=1000000000",
                           "EXRULE:FREQ=DAILY;COUNT=1000000000"))
        began = time.monotonic()
        result = parse(data)
        assert time.monotonic() - began < 5
        assert result.events == ()

    def test_exrule_removes_its_dates(self) -> None:
        data = ics(*vevent("DTSTART:20240101T150000Z", "RRULE:FREQ=DAILY;COUNT=7",
                           "EXRULE:FREQ=WEEKLY;BYDAY=SA,SU"))
        assert [e.start.day for e in parse(data).events] == [1, 2, 3, 4, 5]

    def test_broken_rrule_falls_back_to_the_master(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000Z", "RRULE:FREQ=SOMETIMES;BYDAY=XX"))
        result = parse(data)
        assert [e.start for e in result.events] == [utc(2024, 1, 5, 15)]
        assert result.problems


ATTENDEES = (
    'ORGANIZER;CN="Müller, Jürgen":mailto:MAILTO:Juergen@Example.COM',
    'ATTENDEE;CN="Zoë Ångström";PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:zoe@example.com',
    "ATTENDEE;CN=Board Room;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-4@example.com",
    "ATTENDEE;CN=Dee Clined;PARTSTAT=DECLINED:mailto:dee@example.com",
    'ATTENDEE;CN=Apple User;EMAIL="real@example.org":/1234/principal/',
    "ATTENDEE;CN=Relay;EMAIL=person@icloud.com:mailto:2_ABC@imip.me.com",
    "ATTENDEE;CN=Group;CUTYPE=GROUP:urn:uuid:d981a72b-e8f2-1808",
    "ATTENDEE;CN=:invalid:nomail",
    "ATTENDEE:mailto:plain@example.com",
    "ATTENDEE;CN=Dup Again:mailto:ZOE@example.com",
)


class TestPeople:
    def test_organizer(self) -> None:
        (event,) = parse(ics(*vevent("DTSTART:20240105T150000Z", *ATTENDEES))).events
        assert event.organizer == Attendee(name="Müller, Jürgen", email="juergen@example.com")

    def test_attendees(self) -> None:
        (event,) = parse(ics(*vevent("DTSTART:20240105T150000Z", *ATTENDEES))).events
        assert event.attendees == (
            Attendee(name="Zoë Ångström", email="zoe@example.com", partstat="ACCEPTED",
                     role="CHAIR"),
            Attendee(name="Board Room", email="room-4@example.com", partstat="ACCEPTED",
                     cutype="ROOM"),
            Attendee(name="Dee Clined", email="dee@example.com", partstat="DECLINED"),
            Attendee(name="Apple User", email="real@example.org"),
            Attendee(name="Relay", email="person@icloud.com"),
            Attendee(name="Group", email=None, cutype="GROUP"),
            Attendee(name="", email=None),
            Attendee(name="", email="plain@example.com"),
        )

    def test_attendee_split_by_bad_folding_is_recovered(self) -> None:
        # Exchange CDO lost the fold's leading space inside a quoted CN.
        data = ics(*vevent("DTSTART:20240105T150000Z",
                           "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=\"'name",
                           "@example.net'\":MAILTO:name@example.net"))
        result = parse(data)
        assert result.events[0].attendees == (Attendee(name="name@example.net",
                                                       email="name@example.net"),)
        assert any("folded" in p for p in result.problems)


class TestFields:
    @pytest.mark.parametrize(
        ("lines", "method", "cancelled"),
        [
            pytest.param(("STATUS:CANCELLED", "SUMMARY:Interview"), None, True, id="status"),
            pytest.param(("SUMMARY:Interview",), "CANCEL", True, id="method-cancel"),
            pytest.param(("SUMMARY:Canceled: Interview",), None, True, id="outlook-title"),
            pytest.param(("SUMMARY:CANCELLED: Interview",), None, True, id="title-upper"),
            pytest.param(("SUMMARY:Interview", "STATUS:CONFIRMED"), "REQUEST", False, id="no"),
            pytest.param(("SUMMARY:Interview (not cancelled)",), None, False, id="word-later"),
        ],
    )
    def test_cancelled(self, lines: tuple[str, ...], method: str | None,
                       cancelled: bool) -> None:
        header = (f"METHOD:{method}",) if method else ()
        result = parse(ics(*vevent("DTSTART:20240105T150000Z", *lines), header=header))
        assert result.method == method
        assert result.events[0].cancelled is cancelled
        assert result.events[0].method == method

    def test_plain_fields(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000Z", "SUMMARY:First", "SUMMARY:Second",
                           "STATUS:tentative", "SEQUENCE:junk", "DESCRIPTION:Line\\nTwo",
                           "LOCATION:Room 1\\, Floor 2"), header=("METHOD:request",))
        (event,) = parse(data).events
        assert (event.summary, event.status, event.sequence) == ("First", "TENTATIVE", 0)
        assert (event.description, event.location) == ("Line\nTwo", "Room 1, Floor 2")
        assert event.method == "REQUEST"
        assert event.dtstamp == utc(2024, 1, 1)

    def test_structured_location_only(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000Z",
                           "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=Main St 1:geo:1,2"))
        assert parse(data).events[0].location == "Main St 1"


class TestHostileAndBroken:
    @pytest.mark.parametrize(
        ("data", "problem"),
        [
            pytest.param(b"", "not iCalendar", id="empty"),
            pytest.param(b"\x00\xff garbage \xfe", "not iCalendar", id="garbage"),
            pytest.param(ics("PRODID:x"), "no events", id="no-vevent"),
            pytest.param(ics("BEGIN:VTODO", "UID:t", "DTSTART:20240105T150000Z", "END:VTODO"),
                         "no events", id="vtodo-only"),
            pytest.param(ics(*vevent("SUMMARY:x", uid="no-start")), "'no-start' skipped",
                         id="no-dtstart"),
            pytest.param(ics(*vevent("DTSTART:20241345T990000Z", uid="bad")), "'bad' skipped",
                         id="bad-dtstart"),
            pytest.param(b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20240105T1500",
                         "skipped", id="truncated-in-dtstart"),
            pytest.param(b"x" * (5 * 1024 * 1024 + 1), "5 MB", id="too-large"),
        ],
    )
    def test_refused_with_a_problem(self, data: bytes | str, problem: str) -> None:
        result = parse(data)
        assert result.events == ()
        assert any(problem in p for p in result.problems), result.problems

    def test_truncated_file_keeps_its_complete_event(self) -> None:
        data = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:t\nDTSTART:20240105T150000Z\nSUMMARY:Cut"
        result = parse(data)
        assert [e.summary for e in result.events] == ["Cut"]
        assert any("truncated" in p for p in result.problems)

    def test_invalid_utf8_is_replaced(self) -> None:
        data = ics(*vevent("DTSTART:20240105T150000Z", "SUMMARY:Caf\udcc3")).encode(
            "utf-8", "surrogateescape")
        result = parse(data)
        assert result.events[0].summary == "Caf\ufffd"
        assert any("UTF-8" in p for p in result.problems)

    def test_lf_only_and_concatenated_calendars(self) -> None:
        one = ics(*vevent("DTSTART:20240105T150000Z", uid="a"), header=("METHOD:REQUEST",))
        two = ics(*vevent("DTSTART:20240106T150000Z", uid="b"), header=("METHOD:CANCEL",))
        result = parse((one + two).replace("\r\n", "\n"))
        assert [(e.uid, e.method, e.cancelled) for e in result.events] == [
            ("a", "REQUEST", False), ("b", "CANCEL", True)]
        assert result.method == "REQUEST"

    def test_one_bad_component_does_not_sink_the_others(self) -> None:
        # icalendar rejects a whole file for a FREEBUSY period that ends before it starts.
        freebusy = ("BEGIN:VFREEBUSY", "UID:f",
                    "FREEBUSY:20170623T070000Z/20170223T110000Z", "END:VFREEBUSY")
        result = parse(ics(*freebusy, *vevent("DTSTART:20240105T150000Z")))
        assert len(result.events) == 1

    def test_value_written_inside_a_quoted_tzid_is_recovered(self) -> None:
        data = ics(*vevent('DTSTART;TZID="W. Europe Standard Time:20240105T090000"'))
        assert parse(data).events[0].start == utc(2024, 1, 5, 8)

    def test_event_without_uid_gets_a_stable_one(self) -> None:
        data = ics("BEGIN:VEVENT", "DTSTART:20240105T150000Z", "SUMMARY:x", "END:VEVENT")
        first, second = parse(data), parse(data)
        assert first.events[0].uid == second.events[0].uid
        assert first.events[0].uid.startswith("no-uid-")


def _export(n_past: int, extra: str = "") -> bytes:
    """A calendar export: years of past meetings, one interview next week."""
    events = []
    for i in range(n_past):
        day = date(2016, 1, 1) + timedelta(days=i % 3000)
        events.append(f"BEGIN:VEVENT\r\nUID:past{i}@x\r\nDTSTAMP:20160101T000000Z\r\n"
                      f"DTSTART:{day:%Y%m%d}T090000Z\r\nDTEND:{day:%Y%m%d}T093000Z\r\n"
                      f"SUMMARY:Standup {i}\r\nEND:VEVENT\r\n")
    events.append("BEGIN:VEVENT\r\nUID:iv@x\r\nDTSTAMP:20260301T000000Z\r\n"
                  "DTSTART:20260324T140000Z\r\nDTEND:20260324T150000Z\r\n"
                  "SUMMARY:Interview with Acme\r\nEND:VEVENT\r\n" + extra)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


def test_a_long_export_costs_what_its_weeks_around_now_cost() -> None:
    """Single events far from the window are never parsed: ten years of meetings do
    not push the interview out, and a past-only file is not "no events"."""
    window = {"default_tz": UTC, "window_start": datetime(2026, 3, 1, tzinfo=UTC),
              "window_end": datetime(2026, 4, 30, tzinfo=UTC)}
    weekly_from_2020 = ("BEGIN:VEVENT\r\nUID:weekly@x\r\nDTSTAMP:20200101T000000Z\r\n"
                        "DTSTART:20200106T100000Z\r\nDTEND:20200106T103000Z\r\n"
                        "RRULE:FREQ=WEEKLY\r\nSUMMARY:1:1\r\nEND:VEVENT\r\n")
    parsed = parse_calendar(_export(30_000, weekly_from_2020), **window)
    assert {e.uid for e in parsed.events} >= {"iv@x", "weekly@x"}
    assert not any("skipped" in p for p in parsed.problems), parsed.problems
    past_only = parse_calendar(_export(50).replace(b"20260324", b"20190324"), **window)
    assert past_only.events == () and "no events" not in past_only.problems


def _one(extra: str, start: str = "20260324T140000Z") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:e@x\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:{start}\r\n{extra}"
            "SUMMARY:Interview\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


_WINDOW = {"default_tz": UTC, "window_start": datetime(2026, 3, 1, tzinfo=UTC),
           "window_end": datetime(2026, 4, 30, tzinfo=UTC)}


def test_events_without_a_start_are_skipped_cheaply_and_counted() -> None:
    data = (b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\nUID:n@x\r\nEND:VEVENT\r\n" * 50_000
            + _one("DTEND:20260324T150000Z\r\n")[len(b"BEGIN:VCALENDAR\r\n"):])
    started = time.perf_counter()
    parsed = parse_calendar(data, **_WINDOW)
    assert time.perf_counter() - started < 5
    assert [e.uid for e in parsed.events] == ["e@x"]
    assert any("50000 events without DTSTART skipped" in p for p in parsed.problems)


def test_an_end_years_after_the_start_is_ignored_not_spread_over_the_window() -> None:
    parsed = parse_calendar(_one("DTEND:22220101T000000Z\r\n"), **_WINDOW)
    assert [e.uid for e in parsed.events] == ["e@x"]
    assert any("DTEND over a year" in p for p in parsed.problems)
    series = parse_calendar(_one("DTEND:20221231T000000Z\r\nRRULE:FREQ=WEEKLY\r\n",
                                 start="00010101T100000Z"), **_WINDOW)
    assert len(series.events) < 20  # weekly: about eight in the window, not 105,000


def test_a_rule_too_dense_for_any_meeting_is_refused_but_a_daily_one_is_not() -> None:
    dense = parse_calendar(_one("DTEND:20260324T143000Z\r\n"
                                "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,"
                                "12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,10,20,30,40,50\r\n"),
                           **_WINDOW)
    assert any("times in the window" in p for p in dense.problems), dense.problems
    daily = parse_calendar(_one("DTEND:20250101T143000Z\r\nRRULE:FREQ=DAILY\r\n",
                                start="20250101T140000Z"), **_WINDOW)
    assert len(daily.events) >= 59 and not daily.problems
