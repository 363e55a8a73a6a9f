"""When an interview is, from the words of a message that carries no calendar data. Pure.

"confirmed for Tuesday, November 17, 10:00-13:00", "on March 3 at 2:30 PM ET",
"3 March 2026, 14:00 CET". The year, when missing, is the one that puts the date
nearest to when the message was sent. A message naming several dates (a list of
proposed slots) gives nothing: the interview is not fixed yet.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import MailItem

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DATE = re.compile(
    _WEEKDAY + r"(?:" + _MONTH + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?|"
    r"(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.replace("mon>", "mon2>")
    + r")(?:,?\s+(?P<year>20\d\d))?",
    re.IGNORECASE)
_TIME = r"(?P<{n}h>\d{{1,2}})(?:[:.](?P<{n}m>\d\d))?\s*(?P<{n}ap>[ap]\.?m\.?)?"
_CLOCK = re.compile(
    r",?\s*(?:at|@|from)?\s*" + _TIME.format(n="s") + r"(?:\s*(?:-|–|—|to|until)\s*"
    + _TIME.format(n="e") + r")?\s*(?P<tz>[A-Z]{2,4}\b)?", re.IGNORECASE)
_DURATION = re.compile(r"(\d{2,3})[- ]?min(?:ute)?s?\b|(\d(?:\.\d)?)[- ]?hours?\b",
                       re.IGNORECASE)
_ZONES = {
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "CT": "America/Chicago", "CST": "America/Chicago", "CDT": "America/Chicago",
    "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver",
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "GMT": "Europe/London", "BST": "Europe/London", "UTC": "UTC", "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin", "IST": "Asia/Kolkata", "AEST": "Australia/Sydney",
}


def _hour(h: str, m: str | None, ap: str | None) -> tuple[int, int] | None:
    hour, minute = int(h), int(m or 0)
    if ap:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ap.lower().startswith("p") else 0)
    elif m is None:
        return None  # a bare number is not a time
    elif 1 <= hour <= 6:
        hour += 12  # "at 2:30" in a business message is the afternoon
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _nearest_year(month: int, day: int, sent: date) -> date | None:
    best = None
    for year in (sent.year - 1, sent.year, sent.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((d - sent).days) < abs((best - sent).days):
            best = d
    return best


def find_interview_time(text: str, sent: datetime, tz: ZoneInfo
                        ) -> tuple[datetime, datetime] | None:
    """The start and end of the one interview a text fixes, or None."""
    found: dict[tuple[datetime, datetime], None] = {}
    for m in _DATE.finditer(text):
        month = _MONTHS[(m.group("mon") or m.group("mon2"))[:3].lower()]
        day = int(m.group("d1") or m.group("d2"))
        if m.group("year"):
            try:
                when: date | None = date(int(m.group("year")), month, day)
            except ValueError:
                continue
        else:
            when = _nearest_year(month, day, sent.astimezone(tz).date())
        if when is None:
            continue
        clock = _CLOCK.match(text, m.end())
        if not clock:
            continue
        start_hm = _hour(clock.group("sh"), clock.group("sm"), clock.group("sap")
                         or clock.group("eap"))
        if start_hm is None:
            continue
        zone = _ZONES.get((clock.group("tz") or "").upper())
        where = ZoneInfo(zone) if zone else tz
        start = datetime(when.year, when.month, when.day, *start_hm, tzinfo=where)
        end_hm = (_hour(clock.group("eh"), clock.group("em"), clock.group("eap"))
                  if clock.group("eh") else None)
        if end_hm:
            end = start.replace(hour=end_hm[0], minute=end_hm[1])
            if end <= start:
                end = start + timedelta(hours=1)
        else:
            end = start + _duration(text)
        found[(start, end)] = None
    if len(found) != 1:
        return None
    start, end = next(iter(found))
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def _duration(text: str) -> timedelta:
    m = _DURATION.search(text)
    if m and m.group(1) and 10 <= int(m.group(1)) <= 240:
        return timedelta(minutes=int(m.group(1)))
    if m and m.group(2) and 0 < float(m.group(2)) <= 8:
        return timedelta(hours=float(m.group(2)))
    return timedelta(hours=1)


def with_text_event(det: Detection, item: MailItem, tz: ZoneInfo,
                    company_key: str) -> Detection:
    """An interview invitation without calendar data gets the one time its text fixes.

    The event's UID is made from the company and the local date, so a note's id stays
    the same when the message is read again, and calendar data of that day wins.
    """
    if det.kind != "interview_invite" or det.events or item.date is None:
        return det
    when = find_interview_time(f"{item.subject}\n{item.new_text}", item.date, tz)
    if when is None:
        return det
    start, end = when
    day = start.astimezone(tz).date().isoformat()
    slug = re.sub(r"[^a-z0-9]+", "-", company_key.lower()).strip("-") or "unknown"
    ev = CalEvent(uid=f"text-{slug}-{day}", start=start, end=end, summary=item.subject[:200],
                  dtstamp=item.date)
    return replace(det, events=(ev,), reasons=(*det.reasons,
                                               f"interview time from the text: {day} "
                                               f"{start.astimezone(tz):%H:%M}"))
