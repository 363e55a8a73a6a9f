"""What a mail or calendar object is: interview invite, offer, referral, ... Pure: no I/O.

Weighted evidence from the lexicon adds up per kind (clipped to [0, 1]); the best kind
wins if it reaches ``MIN_SCORE``. Hard negatives (newsletters, job alerts, shop offers,
webinars, automatic replies, the user's own employer, thankful's own mails) veto before
any scoring. Every decision carries one-line reasons, e.g.
``subject says 'Interview' (+0.40)`` or
``text/calendar METHOD:REQUEST, you are an attendee, summary says 'Interview' (sure)``.

A detection is ``sure`` (acts without review) when a calendar invitation for an
interview names the user, or when text-only evidence reaches ``SURE_THRESHOLD``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from thankful.core import extract
from thankful.core import lexicon
from thankful.core.extract import any_of
from thankful.core.extract import langs
from thankful.core.model import Address
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import Kind
from thankful.core.model import MailItem
from thankful.core.model import Mode
from thankful.core.model import Occasion
from thankful.core.people import gather_people

SURE_THRESHOLD = 0.75
#: Below this, the best kind is not trusted and the mail is "other".
MIN_SCORE = 0.35
#: The most the subject line alone can add to one kind.
SUBJECT_CAP = 0.6
#: A cue this strong, or a kind's total this high, overrides an application-received
#: confirmation ("Thank you for your application. We would like to invite you ...").
STRONG_CUE = 0.45
STRONG_TOTAL = 0.6
#: A rejection cue this strong outweighs talk of interviews and offers in the same text
#: ("thanks for interviewing ... we won't be extending an offer").
REJECTION_CUE = 0.5
REJECTION_PENALTY = 0.4
_SCORED: tuple[Kind, ...] = (
    "offer", "interview_invite", "rejection", "referral_intro", "recruiter_outreach"
)
_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw|vs)\s*(?:\[\d+\])?\s*:", re.I)
_VIDEO_LINK = re.compile(
    r"zoom\.us/|zoom\.com/|meet\.google\.com/|teams\.microsoft\.com/|teams\.live\.com/|"
    r"webex\.com/|whereby\.com/|bluejeans\.com/|chime\.aws/|gotomeeting\.com/|"
    r"(?<!\w)(?:zoom|google meet|microsoft teams(?: meeting)?|webex)(?!\w)", re.I
)
_VIRTUAL = re.compile(r"(?<!\w)(?:virtual|remote|video)[ -]on-?site(?!\w)", re.I)
_ADDRESS = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z0-9][\w.'-]{0,30}\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|"
    r"Drive|Dr|Lane|Ln|Way|Place|Pl|Court|Ct|Square|Sq|Parkway|Pkwy|Plaza|Terrace|Highway|Hwy|"
    r"Straße|Strasse|Str|Green|Quay|Gate|Row|Yard)\b|\b(?:Suite|Floor)\s+\d+|"
    r"\b\d+(?:st|nd|rd|th)\s+[Ff]loor\b|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b|\b[A-Z]{2} \d{5}\b"
)
_PHONE = re.compile(
    r"(?<![\w/=.#-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]\d{3,4}[\s.-]?\d{3,4}"
    r"(?![\w/])"
)
_AUTO_HEADERS = ("x-autoreply", "x-autorespond")
_KIND_NAMES: dict[str, Kind] = {k: k for k in _SCORED}
_MODES: tuple[Mode, ...] = ("video", "onsite", "phone")
_TEXT_MODES: tuple[Mode, ...] = ("onsite", "video", "phone")


@dataclass
class _Score:
    """Evidence per kind, with the reasons that produced it."""

    points: dict[Kind, float] = field(default_factory=lambda: dict.fromkeys(_SCORED, 0.0))
    reasons: dict[Kind, list[str]] = field(default_factory=lambda: {k: [] for k in _SCORED})
    strongest: dict[Kind, float] = field(default_factory=lambda: dict.fromkeys(_SCORED, 0.0))

    def add(self, kind: Kind, weight: float, reason: str) -> None:
        self.points[kind] += weight
        self.strongest[kind] = max(self.strongest[kind], weight)
        self.reasons[kind].append(f"{reason} ({weight:+.2f})")

    def value(self, kind: Kind) -> float:
        return min(1.0, max(0.0, self.points[kind]))


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _other(reason: str, *, sure: bool = True, confidence: float = 1.0) -> Detection:
    return Detection(kind="other", confidence=confidence, sure=sure, reasons=(reason,))


# --- calendar evidence ---------------------------------------------------------------------------


@dataclass
class _Calendar:
    events: tuple[CalEvent, ...] = ()
    score: float = 0.0
    sure: bool = False
    reasons: list[str] = field(default_factory=list)
    employer: str = ""


def _event_signal(ev: CalEvent) -> tuple[float, str, bool]:
    """(score, reason, says-interview) for one event's own wording."""
    summary, description = ev.summary[:500], ev.description[:3000]
    if any_of(p for lang in langs() for p in lang["event_not_interview"]).search(summary):
        return 0.0, "", False
    rx = any_of(p for lang in langs() for p in lang["event_interview"])
    m = rx.search(summary)
    if m:
        return 0.6, f"summary says {_quote(m.group(0))}", True
    m = rx.search(description)
    personal = extract.is_freemail(ev.organizer.email if ev.organizer else None)
    if m and not personal and not any_of(
            p for lang in langs() for p in lang["event_not_interview"]).search(description):
        return 0.4, f"description says {_quote(m.group(0))}", True
    label = extract.registrable_label(extract.domain_of(ev.organizer.email if ev.organizer else ""))
    chat = any_of(p for lang in langs() for p in lang["event_chat"]).search(summary)
    if (chat or "<>" in summary) and label and extract.squash(label) in extract.squash(summary):
        return 0.45, f"summary {_quote(summary)} is a chat with the organizer's company", False
    return 0.0, "", False


def _calendar(events: Sequence[CalEvent], identity: Identity, method: str | None) -> _Calendar:
    cal = _Calendar()
    scored: list[tuple[float, CalEvent, str, bool]] = []
    for ev in events:
        ev_method = (method or ev.method or "").upper()
        if ev_method == "REPLY":
            cal.reasons.append("calendar REPLY: an answer to an invitation, not one")
            continue
        score, reason, says = _event_signal(ev)
        if score <= 0:
            continue
        org = ev.organizer.email if ev.organizer else None
        others = [a.email for a in ev.attendees if a.email and not identity.is_me(a.email)
                  and not extract.is_room(a) and not extract.is_robot(a.email)]
        if identity.at_employer(org) or (others and all(identity.at_employer(e) for e in others)):
            cal.employer = f"event {_quote(ev.summary)} is organised within your employer"
            continue
        scored.append((score, ev, reason, says))
    if not scored:
        return cal
    # Most interview-like first; active events before cancelled ones; then earliest.
    scored.sort(key=lambda s: (-s[0], s[1].cancelled, s[1].start))
    best_score, best, reason, says = scored[0]
    cal.events = tuple(ev for _, ev, _, _ in scored)
    ev_method = (method or best.method or "").upper()
    attendee = any(identity.is_me(a.email) for a in best.attendees)
    parts = [f"text/calendar METHOD:{ev_method}" if ev_method else "calendar event"]
    if attendee:
        parts.append("you are an attendee")
    parts.append(reason)
    cal.sure = (ev_method == "REQUEST") or (attendee and says)
    cal.score = max(best_score, 0.9) if cal.sure else best_score
    if all(ev.cancelled for ev in cal.events):
        parts.append("cancelled")
    cal.reasons.append(", ".join(parts) + (" (sure)" if cal.sure else f" (+{cal.score:.2f})"))
    return cal


# --- vetoes ---------------------------------------------------------------------------------------


def _header_veto(item: MailItem, *, calendar_sure: bool) -> str | None:
    h = item.headers
    auto = h.get("auto-submitted", "").strip().lower()
    # ATS schedulers mark their invitations auto-generated; only a reply is always a veto.
    if auto and auto != "no" and (auto.startswith("auto-replied") or not calendar_sure):
        return f"automatic message (Auto-Submitted: {auto[:40]})"
    for name in _AUTO_HEADERS:
        if name in h:
            return f"automatic reply ({name} header)"
    if h.get("precedence", "").strip().lower() == "auto_reply":
        return "automatic reply (Precedence: auto_reply)"
    return None


def _content_veto(item: MailItem, own: str, *, calendar_sure: bool) -> str | None:
    for lang in langs():
        for name, patterns in lang["veto"].items():
            m = any_of(patterns).search(own)
            if m and not (calendar_sure and name != "you are the interviewer"):
                return f"{name} ({_quote(m.group(0), 40)})"
    bulk = "list-id" in item.headers or "list-unsubscribe" in item.headers or (
        item.headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk")
    )
    if bulk and not calendar_sure:
        m = any_of(p for lang in langs() for p in lang["newsletter"]).search(own)
        if m:
            return f"newsletter or digest (list headers and {_quote(m.group(0), 40)})"
    return None


def _employer_veto(item: MailItem, identity: Identity) -> str | None:
    if not identity.employer_domains:
        return None
    sender = item.sender.email if item.sender else None
    if sender and identity.at_employer(sender) and not extract.is_robot(sender):
        return f"sender {sender} is at your employer"
    everyone = (*item.reply_to, *item.to, *item.cc, *([item.sender] if item.sender else []))
    others = [a.email for a in everyone
              if not identity.is_me(a.email) and not extract.is_robot(a.email)]
    if others and all(identity.at_employer(e) for e in others):
        return "everyone else is at your employer"
    return None


# --- scoring --------------------------------------------------------------------------------------


def _score_text(score: _Score, subject: str, body: str, *, reply: bool) -> None:
    """Add the lexicon's cues to the score.

    Subject cues overlap ("Your offer" is also "offer"), so per kind the strongest counts
    fully and the others half, up to ``SUBJECT_CAP``; a reply's subject counts half again.
    """
    factor = 0.5 if reply else 1.0
    note = " (reply subject, half weight)" if reply else ""
    for lang in langs():
        for name, pairs in lang["subject"].items():
            kind = _KIND_NAMES.get(name)
            if kind is None:  # a typo in a language's data must not crash detection
                continue
            found = [(w, m.group(0)) for alts, w in pairs if (m := any_of(alts).search(subject))]
            room = SUBJECT_CAP
            for i, (weight, text) in enumerate(sorted(found, key=lambda f: -f[0])):
                if weight > 0:
                    weight = min(room, weight if i == 0 else weight / 2)
                    room -= weight
                if weight != 0:
                    score.add(kind, weight * factor, f"subject says {_quote(text, 50)}{note}")
        for name, pairs in lang["text"].items():
            kind = _KIND_NAMES.get(name)
            if kind is None:  # a typo in a language's data must not crash detection
                continue
            for alts, weight in pairs:
                m = any_of(alts).search(body)
                if m:
                    score.add(kind, weight, f"text says {_quote(m.group(0), 50)}")


def _score_attachments(score: _Score, item: MailItem) -> None:
    for att in item.attachments:
        if re.search(lexicon.OFFER_ATTACHMENT, att.filename, re.I) and (
            att.content_type in ("application/pdf", "application/octet-stream")
            or "word" in att.content_type
        ):
            score.add("offer", 0.5, f"attachment {_quote(att.filename, 40)}")
            return


def _rejection_outweighs(score: _Score) -> None:
    if score.strongest["rejection"] < REJECTION_CUE:
        return
    for kind in ("interview_invite", "offer"):
        if score.points[kind] > 0:
            score.add(kind, -REJECTION_PENALTY, "the text says no (a rejection)")


def _first_contact(score: _Score, item: MailItem, own: str, *, has_calendar: bool) -> None:
    """A recruiter's first message asks for "a short call" too: without any mention of an
    application, outreach wording outweighs the call (and InMail is an outreach channel)."""
    sender = item.sender.email if item.sender else ""
    if re.search(lexicon.OUTREACH_SENDERS, sender.split("@", 1)[0], re.I):
        score.add("recruiter_outreach", 0.25, "a LinkedIn InMail")
    if has_calendar or score.points["recruiter_outreach"] < MIN_SCORE:
        return
    context = any_of(p for lang in langs() for p in lang["application_context"])
    if score.points["interview_invite"] > 0 and not context.search(own):
        score.add("interview_invite", -0.3, "no application mentioned: a first contact")


def _cancelled(cal: _Calendar, subject: str, body: str) -> str | None:
    """Why a mail without calendar data cancels an interview rather than sets one, or None.

    Cancelling words in the subject or text count, unless the same text moves the
    interview to a new time. Calendar cancellations stay interview invitations that carry
    their cancelled events: the rules need them to withdraw the interview's note.
    """
    if cal.events:
        return None
    lang_cancel = any_of(p for lang in langs() for p in lang["cancellation"])
    m = lang_cancel.search(subject + "\n" + body)
    if not m:
        return None
    if any_of(p for lang in langs() for p in lang["rescheduled"]).search(body):
        return None
    return f"an interview cancelled ({_quote(m.group(0), 40)})"


def _mode(
    heads: Sequence[str], locations: Sequence[str], bodies: Sequence[str]
) -> tuple[Mode | None, str]:
    """Interview mode: summary/subject words first, then the location, then the text."""
    words = {mode: any_of(p for lang in langs() for p in lang["mode_words"].get(mode, ()))
             for mode in _MODES}
    for head in heads:
        if _VIRTUAL.search(head):
            return "video", f"{_quote(head)} says virtual onsite"
        for mode in _MODES:
            m = words[mode].search(head)
            if m:
                return mode, f"{_quote(head)} says {_quote(m.group(0), 30)}"
    for loc in locations:
        if _VIDEO_LINK.search(loc):
            return "video", f"location {_quote(loc, 40)} is a video meeting"
        if _ADDRESS.search(loc):
            return "onsite", f"location {_quote(loc, 40)} is an address"
        if _PHONE.search(loc):
            return "phone", f"location {_quote(loc, 40)} is a phone number"
    text = "\n".join(bodies)
    if _VIRTUAL.search(text):
        return "video", "text says virtual onsite"
    for mode in _TEXT_MODES:
        m = words[mode].search(text)
        if m:
            return mode, f"text says {_quote(m.group(0), 30)}"
    clues: tuple[tuple[re.Pattern[str], Mode, str], ...] = (
        (_VIDEO_LINK, "video", "a video link"), (_ADDRESS, "onsite", "an address"),
        (_PHONE, "phone", "a phone number"),
    )
    for rx, mode, what in clues:
        m = rx.search(text)
        if m:
            return mode, f"text has {what} ({_quote(m.group(0), 30)})"
    return None, ""


def _occasion(kind: Kind, heads: Sequence[str], body: str, roles: Sequence[str]) -> Occasion | None:
    """phone_screen for a recruiter screen, interview for other interviews, offer for offers."""
    if kind == "offer":
        return "offer"
    if kind != "interview_invite":
        return None
    screen = any_of(p for lang in langs() for p in lang["screen"])
    technical = any_of(p for lang in langs() for p in lang["technical"])
    for text in (*heads, body):
        m = screen.search(text)
        if m:
            before = text[max(0, m.start() - 40):m.end()]
            if technical.search(before) or any(technical.search(h) for h in heads):
                return "interview"
            if "hiring_manager" in roles or "interviewer" in roles:
                return "interview"
            return "phone_screen"
    return "interview"


def _is_screen(heads: Sequence[str], body: str) -> bool:
    screen = any_of(p for lang in langs() for p in lang["screen"])
    return any(screen.search(t) for t in (*heads, body))


def _finish(
    kind: Kind,
    confidence: float,
    sure: bool,
    reasons: list[str],
    *,
    item: MailItem | None,
    identity: Identity,
    cal: _Calendar,
    subject: str,
    body: str,
) -> Detection:
    """Add company, role, people, mode and occasion to a decided kind."""
    events = cal.events
    heads = [ev.summary for ev in events] + ([subject] if subject else [])
    descriptions = [ev.description[:5000] for ev in events]
    texts = "\n".join([body, *descriptions])
    senders: list[Address] = []
    emails: list[str | None] = []
    if item is not None:
        senders = [*([item.sender] if item.sender else []), *item.reply_to]
        copied = [a for a in (*item.to, *item.cc) if a not in senders]
        # A referral's company is the introduced person's, not the referrer's.
        ordered = [*copied, *senders] if kind == "referral_intro" else [*senders, *copied]
        emails = [a.email for a in ordered]
    for ev in events:
        emails += [ev.organizer.email if ev.organizer else None, *(a.email for a in ev.attendees)]
    screen = _is_screen(heads, body)
    people = gather_people(item, identity, kind, events, texts, screen=screen, company=None)
    # People named with their address ("Tom Ashworth (tom@ironbark.com) has requested your
    # signature") name the company when the mail came from a service.
    emails += [p.email for p in people if p.role != "referrer"]
    domains = [d for d in (extract.company_domain(e, identity) for e in emails) if d]
    summaries = "\n".join(ev.summary for ev in events)
    guess = extract.find_company(list(dict.fromkeys(domains)), senders, subject + "\n" + summaries,
                                 texts, [p.name for p in people])
    company = guess.name if guess else None
    if guess:
        reasons.append(f"company {guess.name!r} from {guess.source}")
        # Names equal to the company were people only because the company was unknown.
        people = gather_people(item, identity, kind, events, texts, screen=screen, company=company)
    role = extract.find_role(subject + "\n" + summaries, texts)
    if role:
        reasons.append(f"role title {role!r}")
    mode: Mode | None = None
    if kind == "interview_invite":
        mode, why = _mode(heads, [ev.location for ev in events], [*descriptions, body])
        if mode:
            reasons.append(f"mode {mode}: {why}")
    occasion = _occasion(kind, heads, body, [p.role for p in people])
    return Detection(
        kind=kind, mode=mode, company=company, role_title=role, confidence=round(confidence, 2),
        sure=sure, people=tuple(people), events=events, reasons=tuple(reasons[:24]),
        occasion=occasion,
    )


def classify_message(
    item: MailItem, identity: Identity, events: Sequence[CalEvent] = ()
) -> Detection:
    """Classify one message; ``events`` are the parsed calendar parts it carried."""
    if item.is_thankful:
        return _other("thankful's own message")
    if item.sender and identity.is_me(item.sender.email):
        return _other("sent by you")
    cal = _calendar(events, identity, None)
    subject = item.subject
    reply = bool(_REPLY.match(subject))
    # Judge by what this sender wrote; an empty new text of a non-reply means no quoting.
    body = (item.new_text if item.new_text.strip() else ("" if reply else item.text))[:50_000]
    own = subject + "\n" + body
    veto = (
        _header_veto(item, calendar_sure=cal.sure)
        or _employer_veto(item, identity)
        or (cal.employer if not cal.events else None)
        or _content_veto(item, own, calendar_sure=cal.sure)
    )
    if veto:
        return Detection(kind="other", confidence=1.0, sure=True, reasons=(veto, *cal.reasons))
    score = _Score()
    _score_text(score, subject, body, reply=reply)
    _score_attachments(score, item)
    if cal.events:
        auto = item.headers.get("auto-submitted", "").strip().lower()
        if auto and auto != "no":
            cal.reasons.append(f"Auto-Submitted: {auto[:40]}, but it carries an interview "
                               "invitation")
        score.points["interview_invite"] += cal.score
        score.strongest["interview_invite"] = max(score.strongest["interview_invite"], cal.score)
        score.reasons["interview_invite"][:0] = cal.reasons
    _rejection_outweighs(score)
    _first_contact(score, item, own, has_calendar=bool(cal.events))
    m = any_of(p for lang in langs() for p in lang["application_received"]).search(own)
    acting: tuple[Kind, ...] = ("interview_invite", "offer", "rejection")
    strongest = max(score.strongest[k] for k in acting)
    if m and strongest < STRONG_CUE and max(score.value(k) for k in acting) < STRONG_TOTAL:
        return _other(f"application received confirmation ({_quote(m.group(0), 40)})")
    cancelled = _cancelled(cal, subject, body)
    if cancelled:
        return Detection(kind="other", confidence=0.9, sure=True,
                         reasons=(cancelled, *cal.reasons))
    best = max(_SCORED, key=lambda k: (score.value(k), -_SCORED.index(k)))
    value = score.value(best)
    if value < MIN_SCORE:
        why = f"no kind reached {MIN_SCORE:.2f} (best: {best} {value:.2f})"
        return Detection(
            kind="other", confidence=round(1.0 - value, 2), sure=1.0 - value >= SURE_THRESHOLD,
            reasons=(why, *score.reasons[best][:6]),
        )
    sure = (cal.sure and best == "interview_invite") or value >= SURE_THRESHOLD
    reasons = [f"{best}: score {value:.2f}", *score.reasons[best]]
    return _finish(best, value, sure, reasons, item=item, identity=identity, cal=cal,
                   subject=subject, body=body)


def classify_events(
    events: Sequence[CalEvent], identity: Identity, *, method: str | None = None
) -> Detection:
    """Classify a calendar object on its own, from its most interview-like event.

    :param method: the calendar object's METHOD, when the events don't carry it.
    """
    cal = _calendar(events, identity, method)
    if not cal.events:
        return _other(cal.employer or "no interview-like event", confidence=0.9)
    reasons = [f"interview_invite: score {cal.score:.2f}", *cal.reasons]
    return _finish("interview_invite", cal.score, cal.sure, reasons, item=None, identity=identity,
                   cal=cal, subject="", body="")
