"""Interview times from the text of a message without calendar data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from thankful.core.model import Detection
from thankful.core.model import MailItem
from thankful.core.textdates import find_interview_time
from thankful.core.textdates import with_text_event

TZ = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("You're confirmed for your onsite interview on Tuesday, November 17, 10:00-13:00.",
     "2026-11-17T10:00+01:00", "2026-11-17T13:00+01:00"),
    ("Let's talk on Nov 12 at 2:30 PM ET for 45 minutes.",
     "2026-11-12T14:30-05:00", "2026-11-12T15:15-05:00"),
    ("Interview: 3 December 2026, 14:00 CET", "2026-12-03T14:00+01:00",
     "2026-12-03T15:00+01:00"),
    ("see you on January 8th at 9am", "2027-01-08T09:00+01:00", "2027-01-08T10:00+01:00"),
    ("Thursday, Nov. 19 from 1pm to 3:30pm", "2026-11-19T13:00+01:00",
     "2026-11-19T15:30+01:00"),
])
def test_one_fixed_time(text: str, start: str, end: str) -> None:
    got = find_interview_time(text, SENT, TZ)
    assert got is not None
    assert got == (datetime.fromisoformat(start), datetime.fromisoformat(end))


@pytest.mark.parametrize("text", [
    "Would November 17 at 10:00 or November 18 at 14:00 work for you?",  # proposals
    "We met on November 3.",  # no time
    "Call me at 555 1234",  # no date
    "February 30 at 10:00",  # no such day
])
def test_nothing_fixed(text: str) -> None:
    assert find_interview_time(text, SENT, TZ) is None


def test_event_id_is_company_and_local_date() -> None:
    item = MailItem(subject="Onsite confirmed", new_text="See you Tuesday, November 17, 10:00",
                    date=SENT)
    det = with_text_event(Detection(kind="interview_invite"), item, TZ, "Acme Robotics")
    assert [e.uid for e in det.events] == ["text-acme-robotics-2026-11-17"]
    assert with_text_event(Detection(kind="offer"), item, TZ, "acme").events == ()
