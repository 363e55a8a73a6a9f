"""Sanity tests for the sample data: the fixed demo and the random job-search generator."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events  # type: ignore[import-untyped]
from icalendar import Calendar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobsearch import generate
from thankful.demo_data import DemoData
from thankful.demo_data import build_demo

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
NOWS = (NOW, datetime(2025, 11, 3, 7, 30, tzinfo=UTC),      # a Monday, DST change
        datetime(2026, 1, 4, 23, 0, tzinfo=ZoneInfo("Asia/Kolkata")))  # a Sunday, year start
SEEDS = range(40)


def parse(raw: bytes) -> EmailMessage:
    """Parse with the modern policy, as the daemon will."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def calendar_parts(msg: EmailMessage) -> Iterator[bytes]:
    """text/calendar parts and .ics attachments of a message."""
    for part in msg.walk():
        name = part.get_filename() or ""
        if part.get_content_type() == "text/calendar" or name.endswith(".ics"):
            yield cast(bytes, part.get_payload(decode=True))


def all_ics(data: DemoData) -> list[bytes]:
    """Every iCalendar object in the data: vdir files and mail parts."""
    out = [ics for _, ics in data.calendar]
    for raw in data.inbox + data.sent:
        out.extend(calendar_parts(parse(raw)))
    return out


def check_messages(data: DemoData, now: datetime) -> None:
    """Every message parses without defects, has the usual headers and a past Date."""
    for raw in data.inbox + data.sent:
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        msg = parse(raw)
        for name in ("Message-ID", "Date", "From", "To", "Subject"):
            assert msg[name], (name, msg["Subject"])
        for name, value in msg.items():
            assert not getattr(value, "defects", ()), (name, value)
        for part in msg.walk():
            assert not part.defects, (msg["Subject"], part.get_content_type(), part.defects)
        assert msg["Date"].datetime < now, (msg["Subject"], msg["Date"])
        assert msg["Date"].datetime > now - timedelta(days=35), msg["Subject"]
        assert msg.get_body(("plain", "html")) is not None
    for raw in data.sent:
        msg = parse(raw)
        assert msg["From"].addresses[0].addr_spec in data.addresses
        assert msg["In-Reply-To"] and msg["References"]
    ids = [parse(raw)["Message-ID"] for raw in data.inbox + data.sent]
    assert len(ids) == len(set(ids))


def check_calendars(data: DemoData, now: datetime) -> None:
    """Every ICS parses, is CRLF-folded at 75 octets, and has no occurrence after now."""
    for fn, ics in data.calendar:
        assert fn.endswith(".ics")
        assert ics.count(b"BEGIN:VCALENDAR") == 1
    assert len({fn for fn, _ in data.calendar}) == len(data.calendar)
    for ics in all_ics(data):
        assert ics.endswith(b"\r\n")
        assert all(len(line) <= 75 for line in ics.split(b"\r\n")), ics
        cal = Calendar.from_ical(ics)
        events = cal.walk("VEVENT")
        assert events
        for ev in events:
            start = ev.decoded("DTSTART")
            if not isinstance(start, datetime):
                start = datetime.combine(cast(date, start), datetime.min.time(), UTC)
            assert start < now, ev.get("SUMMARY")
        assert not recurring_ical_events.of(cal).between(now, now + timedelta(days=400))


def mentioned(data: DemoData) -> set[str]:
    """Every address in mail headers and in ORGANIZER/ATTENDEE lines (lower-case)."""
    found: set[str] = set()
    for raw in data.inbox + data.sent:
        msg = parse(raw)
        for name in ("From", "To", "Cc", "Reply-To"):
            if msg[name]:
                found |= {a.addr_spec.lower() for a in msg[name].addresses}
    for ics in all_ics(data):
        for ev in Calendar.from_ical(ics).walk("VEVENT"):
            people = ev.get("ATTENDEE", [])
            people = people if isinstance(people, list) else [people]
            for who in [ev.get("ORGANIZER"), *people]:
                if who is not None:
                    found.add(str(who).lower().removeprefix("mailto:"))
    return found


def check_truth(data: DemoData) -> None:
    """The ground truth is unique per (occasion, person) and names people the data shows."""
    keys = [(n.occasion, n.email) for n in data.expected_notes]
    assert len(keys) == len(set(keys))
    seen = mentioned(data)
    for note in data.expected_notes:
        assert note.email and note.email == note.email.lower()
        assert note.email in seen, note
        assert note.email not in data.addresses
        domain = note.email.split("@")[1]
        assert domain not in data.employer_domains
        assert not note.email.startswith(("no-reply", "noreply", "notifications"))
        assert "resource.calendar" not in note.email
        assert note.name and note.company


# -- the demo ---------------------------------------------------------------------------


@pytest.mark.parametrize("now", NOWS)
def test_demo_messages_and_calendars_are_well_formed(now: datetime) -> None:
    data = build_demo(now)
    check_messages(data, now)
    check_calendars(data, now)
    check_truth(data)


def test_demo_identity() -> None:
    data = build_demo(NOW)
    ident = data.identity()
    assert ident.name == "Alex Morgan" and ident.is_me("Alex.Morgan@example.net")
    assert ident.at_employer("jordan.weber@globex-corp.com")
    assert data.timezone == "Europe/Berlin"


def test_demo_expected_notes() -> None:
    notes = build_demo(NOW).expected_notes
    by = Counter(n.occasion for n in notes)
    # phone screen: the recruiter; interview: 2 video + 3 on-site interviewers; offer: referrer,
    # recruiter, coordinator, hiring manager and the 5 interviewers -- but the hiring manager
    # (Dana) sat on the on-site panel, so she counts once: 1 + 1 + 1 + 5 = 8 unique people.
    assert by == {"phone_screen": 1, "interview": 5, "offer": 8}
    assert len(notes) == 1 + 5 + (1 + 1 + 1 + 5)
    emails = {n.email for n in notes}
    assert "lena.hoffmann@northwind-analytics.com" not in emails      # declined
    assert not any("resource.calendar" in (e or "") for e in emails)  # the room
    assert {n.role for n in notes if n.occasion == "offer"} == {
        "referrer", "recruiter", "coordinator", "hiring_manager", "interviewer"}
    assert {n.company for n in notes} == {"Northwind Analytics"}


def test_demo_story_details() -> None:
    data = build_demo(NOW)
    msgs = [parse(raw) for raw in data.inbox]
    subjects = [str(m["Subject"]) for m in msgs]
    assert any(m.get_content_type() == "text/html" for m in msgs)           # HTML-only mail
    assert any("=?utf-8?" in raw.decode("ascii") for raw in data.inbox)      # RFC 2047
    assert any("Zoë Brandt" in ics.replace(b"\r\n ", b"").decode() for _, ics in data.calendar)
    offer = next(m for m in msgs if "Offer" in str(m["Subject"]) and m["Cc"])
    pdf = next(p for p in offer.iter_attachments())
    assert pdf.get_filename() == "Offer Letter - Alex Morgan.pdf"
    body = cast(bytes, pdf.get_payload(decode=True))
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    xref = int(body.rsplit(b"startxref", 1)[1].split()[0])
    assert body[xref:xref + 4] == b"xref"
    assert offer["Date"].datetime.astimezone(ZoneInfo("Europe/Berlin")).date() == (
        NOW.date() - timedelta(days=1))
    greenhouse = next(m for m in msgs if "greenhouse" in str(m["From"]))
    assert "tom.becker@" in str(greenhouse["Reply-To"])
    gh_uid = Calendar.from_ical(next(calendar_parts(greenhouse))).walk("VEVENT")[0]["UID"]
    vdir_uids = {str(ev["UID"]) for _, ics in data.calendar
                 for ev in Calendar.from_ical(ics).walk("VEVENT")}
    assert str(gh_uid) in vdir_uids
    assert sum("interview" in s.lower() or "offer" in s.lower() for s in subjects) >= 6
    inbox_ids = {str(m["Message-ID"]) for m in msgs}
    for raw in data.sent:
        assert str(parse(raw)["In-Reply-To"]) in inbox_ids | {
            str(parse(r)["Message-ID"]) for r in data.sent}


def test_demo_is_deterministic() -> None:
    assert build_demo(NOW) == build_demo(NOW)
    assert build_demo(NOW).inbox != build_demo(NOW + timedelta(days=1)).inbox


# -- the generator ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_data_is_well_formed(seed: int) -> None:
    now = NOWS[seed % len(NOWS)]
    data = generate(seed, now)
    check_messages(data, now)
    check_calendars(data, now)
    check_truth(data)
    has_offer = any((p.get_filename() or "").endswith(".pdf")
                    for raw in data.inbox for p in parse(raw).iter_attachments())
    assert has_offer == any(n.occasion == "offer" for n in data.expected_notes)
    assert any(n.occasion == "interview" for n in data.expected_notes)


def test_generate_is_deterministic_and_varies() -> None:
    assert generate(3, NOW) == generate(3, NOW)
    runs = [generate(seed, NOW) for seed in range(30)]
    assert len({r.inbox for r in runs}) == 30
    assert len({r.expected_notes for r in runs}) == 30
    assert len({r.identity_name for r in runs}) > 10
    assert len({len(r.expected_notes) for r in runs}) > 5


def test_generator_covers_writers_and_cases() -> None:
    senders: set[str] = set()
    outcomes: Counter[str] = Counter()
    cancels = non_ascii = 0
    for seed in range(80):
        data = generate(seed, NOW)
        for raw in data.inbox:
            msg = parse(raw)
            senders.add(msg["From"].addresses[0].domain)
            non_ascii += not str(msg["From"]).isascii()
            for ics in calendar_parts(msg):
                cancels += b"METHOD:CANCEL" in ics
        cancels += sum(b"STATUS:CANCELLED" in ics for _, ics in data.calendar)
        occ = {n.occasion for n in data.expected_notes}
        outcomes["offer" if "offer" in occ else "other"] += 1
        outcomes["phone_screen"] += "phone_screen" in occ
        outcomes["referrer"] += any(n.role == "referrer" for n in data.expected_notes)
    for domain in ("us.greenhouse-mail.io", "hire.lever.co", "ashbyhq.com", "calendly.com",
                   "goodtime.io"):
        assert domain in senders
    assert any(d.endswith("myworkday.com") for d in senders)
    assert cancels and non_ascii
    assert min(outcomes.values()) >= 5, outcomes
