"""``thankful explain PATH``: what thankful makes of one message or calendar file."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from thankful.core.classify import classify_events
from thankful.core.classify import classify_message
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import MailItem
from thankful.core.model import Person
from thankful.core.model import first_name
from thankful.core.parse_ics import parse_calendar
from thankful.core.parse_mail import parse_message
from thankful.core.rules import company_key
from thankful.core.textdates import with_text_event

MAX_EVENTS = 50
#: Recurring events are listed inside this window around the file's first event.
WINDOW_AFTER = timedelta(days=366 * 2)


def looks_like_calendar(data: bytes) -> bool:
    """Whether the bytes are an iCalendar object rather than a message (by content)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return head.startswith(b"BEGIN:VCALENDAR") or head.startswith(b"BEGIN:VEVENT")


def _event_json(ev: CalEvent, tz: ZoneInfo, mode: str | None) -> dict[str, Any]:
    if ev.all_day:
        start: str = ev.start.astimezone(tz).date().isoformat()
        end: str = ev.end.astimezone(tz).date().isoformat()
    else:
        start, end = ev.start.isoformat(), ev.end.isoformat()
    return {"start": start, "end": end, "all_day": ev.all_day, "summary": ev.summary,
            "mode": mode, "cancelled": ev.cancelled, "uid": ev.uid,
            "organizer": ev.organizer.email if ev.organizer else None,
            "attendees": [{"name": a.name, "email": a.email, "partstat": a.partstat,
                           "cutype": a.cutype} for a in ev.attendees]}


def _person_json(p: Person) -> dict[str, Any]:
    return {"name": p.name or None, "email": p.email.lower() if p.email else None,
            "role": p.role}


def _window(data: bytes, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """A window around the file's earliest start, so old files still show their events."""
    probe = parse_calendar(data, default_tz=tz, window_start=datetime(1970, 1, 1, tzinfo=tz),
                           window_end=now + WINDOW_AFTER, max_occurrences=1)
    starts = [e.start for e in probe.events]
    anchor = min(starts) if starts else now
    return anchor - timedelta(days=1), max(anchor, now) + WINDOW_AFTER


def explain(data: bytes, identity: Identity | None, now: datetime,
            tz: ZoneInfo | None = None) -> dict[str, Any]:
    """The JSON object ``explain`` prints.

    :param identity: the user from the config; without one, the user is the address
        the message was delivered to (and no one, for a calendar file).
    :param tz: the zone for floating times when there is no identity.
    """
    tz = identity.timezone if identity else tz or ZoneInfo("UTC")
    warnings: list[str] = []
    if looks_like_calendar(data):
        start, end = _window(data, tz, now)
        parsed = parse_calendar(data, default_tz=tz, window_start=start, window_end=end)
        if not parsed.events and parsed.problems:
            raise ValueError(parsed.problems[0])
        warnings += list(parsed.problems)
        ident = identity or Identity(name="", addresses=frozenset(), timezone=tz)
        det = classify_events(parsed.events, ident, method=parsed.method)
        events = list(parsed.events)
    else:
        item = parse_message(data)
        if not (item.sender or item.subject or item.message_id or item.date or item.to):
            raise ValueError("neither an email message nor an iCalendar file")
        warnings += list(item.problems)
        events = []
        for part in item.calendar_parts:
            start, end = _window(part, tz, now)
            parsed = parse_calendar(part, default_tz=tz, window_start=start, window_end=end)
            events.extend(parsed.events)
            warnings += list(parsed.problems)
        ident = identity or Identity(name="", addresses=_recipient(item, events), timezone=tz)
        det = classify_message(item, ident, events)
        det = with_text_event(det, item, tz, company_key(det.company or ""))
        events = events or list(det.events)
    return _detection_json(det, events, tz, warnings)


def _recipient(item: MailItem, events: list[CalEvent]) -> frozenset[str]:
    """Who the user is, without a config: the address the message was delivered to."""
    if item.delivered_to:
        return frozenset(item.delivered_to[:1])
    recipients = [a for a in (*item.to, *item.cc) if a.email]
    attendees = {a.email for ev in events for a in ev.attendees if a.email}
    for a in recipients:
        if a.email in attendees:
            return frozenset({a.email})
    # "Dana, meet Alex": an introduction names the user it introduces.
    for a in recipients:
        first = first_name(a.name)
        if first and re.search(rf"\bmeet\s+{re.escape(first)}\b", item.new_text):
            return frozenset({a.email})
    return frozenset({item.to[0].email}) if item.to and item.to[0].email else frozenset()


def _detection_json(det: Detection, events: list[CalEvent], tz: ZoneInfo,
                    warnings: list[str]) -> dict[str, Any]:
    shown = sorted(events, key=lambda e: e.start)[:MAX_EVENTS]
    return {
        "kind": det.kind, "mode": det.mode, "company": det.company,
        "role_title": det.role_title, "confidence": round(det.confidence, 3), "sure": det.sure,
        "occasion": det.occasion, "people": [_person_json(p) for p in det.people],
        "events": [_event_json(e, tz, det.mode) for e in shown],
        "reasons": [*det.reasons, *(f"warning: {w}" for w in warnings)],
    }
