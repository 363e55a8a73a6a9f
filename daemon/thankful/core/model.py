"""Plain value types shared by the pure core and the adapters. Pure: no I/O.

Every datetime in these types is timezone-aware (UTC unless said otherwise);
adapters convert at the boundary. Email addresses are lower-cased.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal[
    "interview_invite", "offer", "referral_intro", "recruiter_outreach", "rejection", "other"
]
Mode = Literal["phone", "video", "onsite"]
Role = Literal["recruiter", "interviewer", "hiring_manager", "coordinator", "referrer"]
#: What a note thanks someone for; also the template names.
Occasion = Literal["phone_screen", "interview", "offer"]
NoteState = Literal[
    "waiting", "ready", "drafted", "done", "dismissed", "expired", "history", "gone"
]

KINDS: tuple[Kind, ...] = (
    "interview_invite", "offer", "referral_intro", "recruiter_outreach", "rejection", "other"
)
ROLES: tuple[Role, ...] = ("recruiter", "interviewer", "hiring_manager", "coordinator", "referrer")


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A mailbox: display name (may be empty) and lower-cased address (may be empty)."""

    name: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """What the core may know about an attachment: never its content."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MailItem:
    """One parsed message, reduced to what detection and threading need."""

    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    subject: str = ""
    sender: Address | None = None
    reply_to: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    #: Delivered-To / X-Original-To addresses (lower-cased).
    delivered_to: tuple[str, ...] = ()
    date: datetime | None = None
    #: The whole text of the message (HTML converted to text), size-bounded.
    text: str = ""
    #: The text the sender wrote in this message: quoted history and forwarded parts removed.
    new_text: str = ""
    #: Raw iCalendar data from text/calendar parts and .ics attachments.
    calendar_parts: tuple[bytes, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    #: Selected headers, lower-case names: list-id, list-unsubscribe, auto-submitted,
    #: precedence, x-autoreply, x-auto-response-suppress, x-thankful-note, x-thankful-kind.
    headers: dict[str, str] = field(default_factory=dict)
    #: Non-fatal problems met while parsing (undecodable charset, truncated, ...).
    problems: tuple[str, ...] = ()

    @property
    def is_thankful(self) -> bool:
        """True for thankful's own drafts and reminders: never classified."""
        return "x-thankful-note" in self.headers or "x-thankful-kind" in self.headers


@dataclass(frozen=True, slots=True, kw_only=True)
class Glance:
    """A new message as a scan first sees it, from its header block alone: what
    ``prefilter.triage_glance`` judges it by, and nothing else (cheap: a scan makes one
    for every message)."""

    #: The first From address, lower-cased ("" when there is none).
    sender: str = ""
    subject: str = ""
    #: The triage headers the message has (lower-case names).
    present: frozenset[str] = frozenset()
    #: The values of those triage reads (auto-submitted, content-type, list-id,
    #: list-unsubscribe, precedence), as ``MailItem.headers`` holds them.
    values: dict[str, str] = field(default_factory=dict)

    @property
    def is_thankful(self) -> bool:
        """True for thankful's own drafts and reminders."""
        return "x-thankful-note" in self.present or "x-thankful-kind" in self.present


@dataclass(frozen=True, slots=True, kw_only=True)
class Attendee:
    """An ORGANIZER or ATTENDEE of a calendar event."""

    name: str = ""
    email: str | None = None
    partstat: str = "NEEDS-ACTION"
    cutype: str = "INDIVIDUAL"
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True, slots=True, kw_only=True)
class CalEvent:
    """One occurrence of a calendar event, times normalised to UTC."""

    uid: str
    #: The occurrence's original start (RECURRENCE-ID) as UTC ISO text; None for a single event.
    recurrence_id: str | None = None
    sequence: int = 0
    dtstamp: datetime | None = None
    start: datetime
    end: datetime
    all_day: bool = False
    summary: str = ""
    description: str = ""
    location: str = ""
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()
    cancelled: bool = False
    #: The METHOD of the calendar object that carried the event (REQUEST, CANCEL, REPLY, PUBLISH).
    method: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedCalendar:
    """The result of parsing one iCalendar object."""

    method: str | None = None
    events: tuple[CalEvent, ...] = ()
    #: One-line reasons for what was skipped; non-empty with no events means refused.
    problems: tuple[str, ...] = ()


_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """The user, as the core needs to know them."""

    name: str
    addresses: frozenset[str]
    employer_domains: frozenset[str] = frozenset()
    timezone: ZoneInfo = _UTC

    def is_me(self, email: str | None) -> bool:
        """Whether an address is one of the user's own."""
        return email is not None and email.lower() in self.addresses

    def at_employer(self, email: str | None) -> bool:
        """Whether an address belongs to the user's current employer."""
        if not email or "@" not in email:
            return False
        domain = email.rsplit("@", 1)[1].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.employer_domains)


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone involved in an application, with the part they played."""

    name: str = ""
    email: str | None = None
    role: Role

    @property
    def first_name(self) -> str:
        """A first name fit for a greeting ("" when unknown)."""
        return first_name(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """What a message or calendar object is, with the evidence for it."""

    kind: Kind = "other"
    mode: Mode | None = None
    company: str | None = None
    role_title: str | None = None
    confidence: float = 0.0
    #: Sure detections act; the others wait in the review list.
    sure: bool = False
    people: tuple[Person, ...] = ()
    #: Interview events found (from attached or stand-alone calendar data).
    events: tuple[CalEvent, ...] = ()
    reasons: tuple[str, ...] = ()
    #: What a note would thank for: "phone_screen", "interview", "offer", or None.
    occasion: Occasion | None = None


_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "mx", "sir", "dame"}


def first_name(name: str) -> str:
    """The first name in a display name: 'Dr. Jane Q. Doe' -> 'Jane', 'Doe, Jane' -> 'Jane'."""
    name = name.strip().strip("\"'")
    if not name or "@" in name:
        return ""
    if "," in name:
        last, _, rest = name.partition(",")
        name = rest.strip() or last.strip()
    for part in name.split():
        if part.rstrip(".").lower() in _TITLES:
            continue
        return part.strip(".,()")
    return ""


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware moment in the user's zone."""
    return moment.astimezone(tz).date()
