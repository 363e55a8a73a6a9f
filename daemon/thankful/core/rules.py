"""Who is owed what: applications, occasions and notes from plain data. Pure.

:func:`derive` takes what the sources showed (sure detections as :class:`Signal`\\ s,
the Sent and Drafts folders as :class:`Outgoing` mail), what the user decided, what
was recorded before and the time now, and returns every note with its state. It never
reads a clock or a file: the same inputs give the same notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from thankful.core.ids import note_hash
from thankful.core.ids import short_id
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import NoteState
from thankful.core.model import Occasion
from thankful.core.model import Person
from thankful.core.model import Role

# When one person plays several parts, the most specific one names them.
# A calendar organizer with nothing else known defaults to "recruiter", so an explicit
# "coordinator" ranks above it.
_ROLE_RANK: dict[Role, int] = {
    "hiring_manager": 0, "coordinator": 1, "recruiter": 2, "referrer": 3, "interviewer": 4
}
#: Calendar UIDs of interviews known only from a message's text (no calendar data).
TEXT_UID_PREFIX = "text-"
_COMPANY_SUFFIXES = re.compile(
    r"[\s,]+(inc|inc\.|llc|ltd|ltd\.|limited|gmbh|ag|sa|s\.a\.|bv|b\.v\.|plc|corp|corp\.|"
    r"corporation|co|co\.|company|group|se|oy|ab|as|srl|sas|pty)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadRef:
    """What threading a reply needs from one message."""

    message_id: str = ""
    references: tuple[str, ...] = ()
    subject: str = ""
    participants: frozenset[str] = frozenset()
    date: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """A detection that counts (sure, or accepted by the user), with where it came from."""

    ident: str
    at: datetime
    detection: Detection
    thread: ThreadRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """A message in Sent or Drafts, reduced to what matching needs.

    ``recipients`` are the To addresses: a person only copied on a message about
    something else has not been thanked.
    """

    recipients: frozenset[str]
    date: datetime
    note_hash: str = ""
    thread: ThreadRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The etiquette settings the rules use (see ``[etiquette]``)."""

    ready_after: timedelta = timedelta(hours=2)
    due_working_days: int = 1
    offer_due: timedelta = timedelta(days=3)
    backfill: timedelta = timedelta(days=7)
    expire: timedelta = timedelta(days=30)
    phone_screen_note: bool = True
    draft_gone: timedelta = timedelta(days=2)
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteRecord:
    """What the state store remembers of a note between cycles."""

    id: str
    drafted_at: datetime | None = None
    draft_hash: str = ""
    draft_missing_since: datetime | None = None
    user_state: str | None = None  # "done" or "dismissed", said by the user
    user_via: str | None = None
    user_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Application:
    """Everything about one company."""

    key: str
    company: str
    role_title: str | None = None
    people: tuple[Person, ...] = ()
    interviews: tuple[Interview, ...] = ()
    offer_at: datetime | None = None
    rejected: bool = False
    threads: tuple[ThreadRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Interview:
    """One interview occurrence and the people who ran it."""

    key: str
    event: CalEvent
    occasion: Occasion
    interviewers: tuple[Person, ...] = ()
    mode: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """One thank-you note owed (or once owed) to one person."""

    id: str
    application: str
    company: str
    role_title: str | None
    occasion: Occasion
    occasion_key: str
    occasion_start: datetime
    occasion_end: datetime
    recipient: Person
    #: The address the draft goes to: the recipient's, or the recruiter's for a
    #: person known only by name (the draft asks them to pass the thanks on).
    deliver_to: str | None
    ready_at: datetime
    due_at: datetime
    expires_at: datetime
    deliver_name: str = ""
    state: NoteState = "waiting"
    reason: str = ""
    is_referrer: bool = False
    mode: str | None = None
    drafted_at: datetime | None = None
    draft_hash: str = ""
    draft_missing_since: datetime | None = None
    done_at: datetime | None = None
    done_via: str | None = None

    @property
    def open(self) -> bool:
        """Whether the note still needs the user."""
        return self.state in ("ready", "drafted")


@dataclass(frozen=True, slots=True, kw_only=True)
class Derived:
    """The outcome of :func:`derive`."""

    applications: tuple[Application, ...]
    notes: tuple[Note, ...]


def company_key(name: str) -> str:
    """A normalised company name: 'Acme Robotics, Inc.' -> 'acme robotics'."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    prev = None
    while prev != text:
        prev = text
        text = _COMPANY_SUFFIXES.sub("", text).strip(" ,.")
    return re.sub(r"\s+", " ", text)


def person_key(person: Person) -> str:
    """The address, else the normalised name."""
    if person.email:
        return person.email.lower()
    return "name:" + re.sub(r"\s+", " ", unicodedata.normalize("NFKC", person.name).strip().lower())


def add_working_days(moment: datetime, days: int, tz: ZoneInfo,
                     working: Sequence[int] = (0, 1, 2, 3, 4)) -> datetime:
    """``moment`` moved forward by ``days`` working days in the user's zone."""
    local = moment.astimezone(tz)
    if not working:
        return moment + timedelta(days=days)
    added = 0
    while added < days:
        local = local + timedelta(days=1)
        if local.weekday() in working:
            added += 1
    if days == 0:
        while local.weekday() not in working:
            local = local + timedelta(days=1)
    return local.astimezone(moment.tzinfo)


# --- applications ------------------------------------------------------------------


def _merge_people(people: Iterable[Person]) -> tuple[Person, ...]:
    by_key: dict[str, Person] = {}
    for p in people:
        k = person_key(p)
        old = by_key.get(k)
        if old is None:
            by_key[k] = p
            continue
        role = p.role if _ROLE_RANK[p.role] < _ROLE_RANK[old.role] else old.role
        name = old.name or p.name
        by_key[k] = replace(old, role=role, name=name)
    # A name-only person who also appears with an address is the same person.
    named = {p.name.strip().lower(): k for k, p in by_key.items() if p.email and p.name}
    for k in [k for k in by_key if k.startswith("name:")]:
        target = named.get(by_key[k].name.strip().lower())
        if target:
            old, extra = by_key[target], by_key.pop(k)
            if _ROLE_RANK[extra.role] < _ROLE_RANK[old.role]:
                by_key[target] = replace(old, role=extra.role)
    return tuple(by_key.values())


def _domain(email: str | None) -> str:
    return email.rsplit("@", 1)[1] if email and "@" in email else ""


def _application_key(sig: Signal, known: Mapping[str, str]) -> str | None:
    det = sig.detection
    if det.company:
        return company_key(det.company)
    for p in det.people:
        d = _domain(p.email)
        if d in known:
            return known[d]
    return None


def _event_key(ev: CalEvent) -> tuple[str, str]:
    return (ev.uid, ev.recurrence_id or "")


def _newer(a: CalEvent, b: CalEvent) -> bool:
    """Whether ``a`` supersedes ``b``: SEQUENCE first, then DTSTAMP (Google keeps 0)."""
    if a.sequence != b.sequence:
        return a.sequence > b.sequence
    if a.dtstamp and b.dtstamp and a.dtstamp != b.dtstamp:
        return a.dtstamp > b.dtstamp
    # Same version: a cancellation seen anywhere wins over a copy without it.
    return a.cancelled and not b.cancelled


def build_applications(signals: Sequence[Signal], identity: Identity,
                       ignored: frozenset[str] = frozenset(),
                       context: Sequence[Signal] = ()) -> tuple[Application, ...]:
    """Group signals by company and work out each application's people and interviews.

    ``context`` signals (uncertain detections awaiting review) never create an
    application or an occasion; they only name people of an application that exists.
    """
    ordered = sorted(signals, key=lambda s: (s.at, s.ident))
    # Domains of people at a company let a detection without a company name join it.
    domains: dict[str, str] = {}
    for s in ordered:
        if s.detection.company and s.detection.kind != "referral_intro":
            ck = company_key(s.detection.company)
            for p in s.detection.people:
                d = _domain(p.email)
                if d and p.role != "referrer":
                    domains.setdefault(d, ck)
    groups: dict[str, list[Signal]] = {}
    for s in ordered:
        key = _application_key(s, domains)
        if key and key not in ignored:
            groups.setdefault(key, []).append(s)
    extra: dict[str, list[Person]] = {}
    for s in context:
        key = _application_key(s, domains)
        if key in groups and s.detection.kind != "other":
            extra.setdefault(key, []).extend(s.detection.people)
    apps = []
    for key, sigs in groups.items():
        apps.append(_application(key, sigs, identity, ignored, extra.get(key, [])))
    return tuple(sorted(apps, key=lambda a: a.key))


def _application(key: str, sigs: list[Signal], identity: Identity,
                 ignored: frozenset[str], extra: Sequence[Person] = ()) -> Application:
    company = next((s.detection.company for s in reversed(sigs) if s.detection.company), key)
    title = next((s.detection.role_title for s in reversed(sigs) if s.detection.role_title), None)

    def keep(p: Person) -> bool:
        return (not identity.is_me(p.email) and bool(p.email or p.name)
                and person_key(p) not in ignored and (p.email or "").lower() not in ignored)

    people = _merge_people(p for s in sigs for p in s.detection.people if keep(p))
    # Detections still waiting for review never add a recipient; they only tell more
    # about people already known (a name, a more specific role).
    known_keys = {person_key(p) for p in people}
    people = _merge_people([*people, *(p for p in extra if person_key(p) in known_keys)])
    roles = {person_key(p): p for p in people}
    events: dict[tuple[str, str], tuple[CalEvent, Signal]] = {}
    carriers: dict[tuple[str, str], list[Signal]] = {}
    for s in sigs:
        if s.detection.kind != "interview_invite":
            continue
        for ev in s.detection.events:
            k = _event_key(ev)
            carriers.setdefault(k, []).append(s)
            if k not in events or _newer(ev, events[k][0]):
                events[k] = (ev, s)
    # A meeting with colleagues from the user's own employer is theirs to run (an
    # interview of a candidate, say), not one to be thanked for.
    held = [(ev, s) for ev, s in events.values() if not ev.cancelled and not any(
        identity.at_employer(a.email) for a in (*ev.attendees, ev.organizer) if a)]
    # An interview known only from a message's text gives way to calendar data of that day.
    tz = identity.timezone
    days = {(ev.start.astimezone(tz).date()) for ev, _ in held
            if not ev.uid.startswith(TEXT_UID_PREFIX)}
    cancelled_days = {ev.start.astimezone(tz).date() for ev, _ in events.values()
                      if ev.cancelled}
    held = [(ev, s) for ev, s in held if not ev.uid.startswith(TEXT_UID_PREFIX)
            or ev.start.astimezone(tz).date() not in days | cancelled_days]
    interviews = []
    for ev, s in sorted(held, key=lambda e: (e[0].start, e[0].uid)):
        people_here = _merge_people(p for c in carriers[_event_key(ev)]
                                    for p in c.detection.people if keep(p))
        interviews.append(_interview(ev, s, roles, people_here, sigs, identity, ignored))
    offer_at = next((s.at for s in sigs if s.detection.kind == "offer"), None)
    rejected = any(s.detection.kind == "rejection" for s in sigs)
    threads = tuple(s.thread for s in sigs if s.thread)
    return Application(key=key, company=company, role_title=title, people=people,
                       interviews=tuple(interviews), offer_at=offer_at, rejected=rejected,
                       threads=threads)


def _interview(ev: CalEvent, sig: Signal, roles: Mapping[str, Person],
               people_here: Sequence[Person], sigs: Sequence[Signal], identity: Identity,
               ignored: frozenset[str]) -> Interview:
    """Who ran one interview.

    Only people the classifier accepted for the messages or calendar objects that
    carry this event can be owed a note: it already left out the user, robots, rooms,
    resources and people who declined.
    """
    det = sig.detection
    occasion: Occasion = "interview"
    text = f"{ev.summary} {ev.description}".lower()
    if det.occasion == "phone_screen" or ("screen" in text and det.mode in (None, "phone")):
        occasion = "phone_screen"
    accepted = {p.email: p for p in people_here if p.email}

    def role_of(email: str, fallback: Person) -> Person:
        return roles.get(email) or accepted.get(email) or fallback

    candidates: list[Person] = []
    for att in ev.attendees:
        if (att.email and att.email in accepted and att.partstat != "DECLINED"
                and att.cutype in ("INDIVIDUAL", "") and not identity.at_employer(att.email)):
            candidates.append(role_of(att.email, accepted[att.email]))
    org = ev.organizer
    if org and org.email and org.email in accepted and not identity.at_employer(org.email):
        organizer = role_of(org.email, accepted[org.email])
        if occasion == "phone_screen" or not candidates or organizer.role in (
                "interviewer", "hiring_manager"):
            candidates.insert(0, organizer)
    # People the messages name for this interview without (or beside) calendar data:
    # the sender of a screen, interviewers listed in the text, by name if need be.
    wanted: tuple[Role, ...] = ("interviewer", "hiring_manager")
    if occasion == "phone_screen":
        wanted = ("recruiter", "coordinator", "hiring_manager", "interviewer")
    named = [p for p in people_here if p.role in wanted]
    for s in sigs:
        if s.ident != sig.ident and _itinerary_for(s, ev):
            named += [p for p in s.detection.people if p.role in wanted and not p.email]
    listed = {person_key(p) for p in candidates}
    listed_names = {p.name.strip().lower() for p in candidates if p.name}
    for p in named:
        if person_key(p) in listed or (not p.email and p.name.strip().lower() in listed_names):
            continue
        if p.email and (identity.is_me(p.email) or identity.at_employer(p.email)):
            continue
        candidates.append(roles.get(person_key(p), p))
        listed.add(person_key(p))
    if occasion == "phone_screen":
        # The recruiter is the one owed after a screen; one note, not one per attendee.
        recruiters = [p for p in candidates if p.role == "recruiter"] or candidates[:1]
        candidates = recruiters[:1]
    else:
        # Recruiters and coordinators who only set the interview up are not interviewers,
        # unless nobody else was there.
        staff = ("recruiter", "coordinator")
        candidates = [p for p in candidates if p.role not in staff] or candidates[:1]
    seen: set[str] = set()
    interviewers = []
    for p in candidates:
        k = person_key(p)
        if k in seen or k in ignored or (p.email or "") in ignored:
            continue
        seen.add(k)
        interviewers.append(replace(p, role="interviewer") if p.role == "coordinator" else p)
    key = f"uid:{ev.uid}" + (f"@{ev.recurrence_id[:10]}" if ev.recurrence_id else "")
    return Interview(key=key, event=ev, occasion=occasion, interviewers=tuple(interviewers),
                     mode=det.mode)


def _itinerary_for(sig: Signal, ev: CalEvent) -> bool:
    """Whether a message without calendar data lists the people of this interview."""
    if sig.detection.kind != "interview_invite" or sig.detection.events:
        return False
    if not any(p.role in ("interviewer", "hiring_manager") and not p.email
               for p in sig.detection.people):
        return False
    # An itinerary is sent in the days before the interview it lists.
    return timedelta(0) <= ev.start - sig.at <= timedelta(days=14)


# --- notes -------------------------------------------------------------------------


def _recruiter(app: Application) -> Person | None:
    for role in ("recruiter", "coordinator", "hiring_manager"):
        for p in app.people:
            if p.role == role and p.email:
                return p
    return None


def _raw_notes(app: Application, tz: ZoneInfo, policy: Policy) -> list[Note]:
    notes: dict[str, Note] = {}
    recruiter = _recruiter(app)
    per_day: set[tuple[str, str]] = set()
    for iv in app.interviews:
        if iv.occasion == "phone_screen" and not policy.phone_screen_note:
            continue
        ev = iv.event
        day = ev.start.astimezone(tz).date().isoformat()
        for p in iv.interviewers:
            pk = person_key(p)
            if (pk, day) in per_day:
                continue
            per_day.add((pk, day))
            nid = short_id(f"{app.key}|{iv.key}|{pk}")
            notes[nid] = Note(
                id=nid, application=app.key, company=app.company, role_title=app.role_title,
                occasion=iv.occasion, occasion_key=iv.key, occasion_start=ev.start,
                occasion_end=ev.end, recipient=p,
                deliver_to=p.email or (recruiter.email if recruiter else None),
                deliver_name=p.name if p.email else (recruiter.name if recruiter else ""),
                ready_at=ev.end + policy.ready_after,
                due_at=add_working_days(ev.end, policy.due_working_days, tz, policy.working_days),
                expires_at=ev.end + policy.expire, mode=iv.mode,
            )
    if app.offer_at and not app.rejected:
        at = app.offer_at
        everyone = [p for p in app.people if p.role == "referrer"]
        everyone += [p for p in app.people if p.role != "referrer"]
        for iv in app.interviews:
            everyone += [p for p in iv.interviewers if p.email]
        seen: set[str] = set()
        for p in everyone:
            pk = person_key(p)
            if pk in seen:
                continue
            seen.add(pk)
            nid = short_id(f"{app.key}|offer|{pk}")
            notes[nid] = Note(
                id=nid, application=app.key, company=app.company, role_title=app.role_title,
                occasion="offer", occasion_key="offer", occasion_start=at, occasion_end=at,
                recipient=p, deliver_to=p.email or (recruiter.email if recruiter else None),
                deliver_name=p.name if p.email else (recruiter.name if recruiter else ""),
                ready_at=at, due_at=at + policy.offer_due, expires_at=at + policy.expire,
                is_referrer=p.role == "referrer",
            )
    return list(notes.values())


def derive(*, signals: Sequence[Signal], sent: Sequence[Outgoing], drafts: Sequence[Outgoing],
           records: Mapping[str, NoteRecord], identity: Identity, policy: Policy,
           now: datetime, first_cycle_at: datetime,
           ignored: frozenset[str] = frozenset(), context: Sequence[Signal] = ()) -> Derived:
    """Every note the signals imply, each with its state as of ``now``."""
    apps = build_applications(signals, identity, ignored, context)
    notes: list[Note] = []
    for app in apps:
        for note in _raw_notes(app, identity.timezone, policy):
            notes.append(_state(note, records.get(note.id), sent, drafts, policy, now,
                                first_cycle_at))
    notes.sort(key=note_order)
    return Derived(applications=apps, notes=tuple(notes))


def note_order(n: Note) -> tuple[datetime, bool, str, str]:
    """The order :func:`derive` gives the notes in: by occasion, referrers first."""
    return (n.occasion_start, not n.is_referrer, n.application, n.id)


def _state(note: Note, rec: NoteRecord | None, sent: Sequence[Outgoing],
           drafts: Sequence[Outgoing], policy: Policy, now: datetime,
           first_cycle_at: datetime) -> Note:
    if rec:
        note = replace(note, drafted_at=rec.drafted_at, draft_hash=rec.draft_hash,
                       draft_missing_since=rec.draft_missing_since)
    if rec and rec.user_state in ("done", "dismissed"):
        said: NoteState = "done" if rec.user_state == "done" else "dismissed"
        return replace(note, state=said, done_via=rec.user_via, done_at=rec.user_at,
                       reason=f"you marked it {rec.user_state}")
    mine = {note_hash(note.id), note.draft_hash} - {""}
    # Only mail written after the occasion ended can be its thank-you.
    after = note.occasion_end
    for out in sent:
        if (out.note_hash and out.note_hash in mine) or (
                note.deliver_to in out.recipients and out.date >= after):
            return replace(note, state="done", done_at=out.date, done_via="email",
                           reason="a message to them is in Sent")
    if now < note.ready_at:
        return replace(note, state="waiting", reason="the occasion has not ended long enough ago")
    if now >= note.expires_at:
        return replace(note, state="expired", reason="not sent in time")
    # A draft to them counts: ours (by header, or any of ours still unsent to that
    # address, so one person never gets two drafts) or one the user wrote after it.
    in_drafts = any((d.note_hash and (d.note_hash in mine or note.deliver_to in d.recipients))
                    or (note.deliver_to in d.recipients and d.date >= after) for d in drafts)
    if note.drafted_at or in_drafts:
        if in_drafts:
            return replace(note, state="drafted", draft_missing_since=None,
                           drafted_at=note.drafted_at or now, reason="a draft is ready")
        missing = note.draft_missing_since or now
        if now - missing >= policy.draft_gone:
            return replace(note, state="dismissed", draft_missing_since=missing,
                           reason="its draft was deleted unsent")
        return replace(note, state="drafted", draft_missing_since=missing,
                       reason="its draft is gone from Drafts; dismissed if it stays gone")
    if note.occasion_end < first_cycle_at - policy.backfill:
        return replace(note, state="history",
                       reason="older than the backfill window when thankful started")
    return replace(note, state="ready", reason="owed; a draft will be written")


def next_change(notes: Iterable[Note], policy: Policy, now: datetime) -> datetime | None:
    """The first moment after ``now`` at which :func:`derive`, given the same inputs,
    would give one of ``notes`` (as it returned them at ``now``) another state; None
    when only new inputs can change them.

    A waiting note becomes ready (or history), an open or old one expires, and a draft
    gone from Drafts is taken as dismissed once ``policy.draft_gone`` has passed. Done
    and dismissed notes stay so.
    """
    moments: list[datetime] = []
    for n in notes:
        if n.state in ("done", "dismissed", "expired"):
            continue
        moments += [n.ready_at, n.expires_at]
        if n.draft_missing_since is not None:
            moments.append(n.draft_missing_since + policy.draft_gone)
    return min((m for m in moments if m > now), default=None)
