"""A message read whole: parsed, its invitations read, and detected. Pure.

What a scan does with each message its headers left in doubt (``prefilter``), apart
from fetching it and recording the outcome: a function of the message's bytes, the
user's identity and the calendar window, so that it can run in another process
(``adapters.helper_process``) and give the same :class:`Reading` there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from thankful.core.classify import classify_message
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import MailItem
from thankful.core.parse_mail import parse_headers
from thankful.core.parse_mail import parse_message
from thankful.core.rules import ThreadRef
from thankful.core.rules import company_key
from thankful.core.textdates import with_text_event


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """What a message read whole says, for the scan to log and record."""

    #: The exception's name when the message could not be parsed ("": it could).
    error: str = ""
    #: What was cut or could not be read of it (each logged).
    problems: tuple[str, ...] = ()
    #: thankful's own draft or reminder (nothing more is read of it).
    own: bool = False
    #: What could not be read of its calendar parts.
    calendar_problems: tuple[str, ...] = ()
    #: None when it could not be parsed or is thankful's own.
    detection: Detection | None = None
    date: datetime | None = None
    message_id: str = ""
    #: The conversation it belongs to; only for a message that is not "other".
    thread: ThreadRef | None = None


def read_message(raw: bytes, identity: Identity, *, window: tuple[datetime, datetime],
                 headers_only: bool = False) -> Reading:
    """Parse a message (``headers_only``: its headers alone, for one over the size
    limit), read its invitations whose events fall in ``window`` and detect what it
    is. Raises only what detection raises (a bug); a message that cannot be parsed
    gives a Reading with ``error``."""
    try:
        item = parse_headers(raw) if headers_only else parse_message(raw)
    except Exception as exc:
        return Reading(error=type(exc).__name__)
    if item.is_thankful:
        return Reading(problems=item.problems, own=True)
    events, calendar_problems = calendar_events(item, identity.timezone, window)
    det = classify_message(item, identity, events)
    det = with_text_event(det, item, identity.timezone, company_key(det.company or ""))
    return Reading(problems=item.problems, calendar_problems=tuple(calendar_problems),
                   detection=det, date=item.date, message_id=item.message_id,
                   thread=thread_of(item) if det.kind != "other" else None)


def calendar_events(item: MailItem, tz: Any, window: tuple[datetime, datetime]
                    ) -> tuple[list[CalEvent], list[str]]:
    """The events of a message's calendar parts in ``window``, and what could not be
    read of them (icalendar is imported only for a message that has such a part)."""
    events: list[CalEvent] = []
    problems: list[str] = []
    if not item.calendar_parts:
        return events, problems
    from thankful.core.parse_ics import parse_calendar

    for part in item.calendar_parts:
        parsed = parse_calendar(part, default_tz=tz, window_start=window[0],
                                window_end=window[1])
        events.extend(parsed.events)
        problems.extend(parsed.problems)
    return events, problems


def thread_of(item: MailItem) -> ThreadRef:
    """The conversation a message belongs to: its ids, subject and everyone in it."""
    people = {a.email for a in (*item.to, *item.cc, *item.reply_to) if a.email}
    if item.sender and item.sender.email:
        people.add(item.sender.email)
    return ThreadRef(message_id=item.message_id, references=item.references,
                     subject=item.subject, participants=frozenset(people), date=item.date)
