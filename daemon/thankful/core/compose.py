"""Drafts and reminder digests as RFC 5322 messages. Pure.

Values taken from received mail (names, subjects, company names) are cleaned of every
character Python treats as a line break before they go into a header, and every
message built is parsed back and checked before it is returned (CVE-2024-6923 is not
fixed in the Python these machines run).
"""

from __future__ import annotations

import email.header
import email.policy
import email.utils
import hashlib
import re
import string
import textwrap
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as HAddress
from email.message import EmailMessage
from email.parser import BytesParser
from zoneinfo import ZoneInfo

from thankful.core.ids import note_hash
from thankful.core.model import first_name
from thankful.core.rules import Note
from thankful.core.rules import ThreadRef

TEMPLATE_NAMES = ("phone_screen", "interview", "offer_company", "offer_referrer", "pass_on")
#: The marked place for the one specific thing the user remembers.
SPECIFIC = "[[ADD ONE SPECIFIC THING YOU DISCUSSED WITH {who} — then delete this line]]"
_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00]+")
_CONTROL = re.compile("[\x01-\x08\x0e-\x1b\x7f\ud800-\udfff]")  # and lone surrogates
_MAX_HEADER_VALUE = 300


class ComposeError(ValueError):
    """A draft could not be built safely (the note is skipped with this reason)."""


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words until none are left (they can hide line breaks)."""
    for _ in range(3):
        if "=?" not in value:
            break
        try:
            decoded = str(email.header.make_header(email.header.decode_header(value)))
        except (ValueError, LookupError, UnicodeError):
            break
        if decoded == value:
            break
        value = decoded
    return value


def clean(value: str, limit: int = _MAX_HEADER_VALUE) -> str:
    """A value safe for one header line: no line breaks, no control characters, bounded.

    Encoded words are decoded first and any left are broken up, because the email
    package decodes them again when a header is set.
    """
    value = _decode_words(value or "")
    value = _CONTROL.sub("", _BREAKS.sub(" ", value))
    value = re.sub(r"\s+", " ", value).strip().replace("=?", "= ?")
    return value[:limit].rstrip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """One wording: an optional subject and a body with ``$name`` placeholders."""

    subject: str
    body: str


def parse_template(text: str) -> tuple[Template, ...]:
    """Split a template file into its variants (separated by a line ``%%``)."""
    variants = []
    for chunk in re.split(r"(?m)^%%\s*$", text.replace("\r\n", "\n")):
        chunk = chunk.strip("\n")
        if not chunk.strip():
            continue
        subject = ""
        first, _, rest = chunk.partition("\n")
        if first.lower().startswith("subject:"):
            subject, chunk = first.split(":", 1)[1].strip(), rest.lstrip("\n")
        variants.append(Template(subject=subject, body=chunk.rstrip() + "\n"))
    return tuple(variants)


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftRequest:
    """Everything a draft needs: the notes it serves and how to write it."""

    notes: tuple[Note, ...]
    from_name: str
    from_address: str
    to_name: str
    to_address: str
    thread: ThreadRef | None
    variant: int
    now: datetime
    tz: ZoneInfo
    #: The account whose Drafts folder gets it.
    account: str = ""
    #: People known only by name whom the draft asks the recipient to thank.
    pass_on: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What identifies this draft: the sorted ids of the notes it serves."""
        return "+".join(sorted(n.id for n in self.notes))


def _primary(notes: Sequence[Note]) -> Note:
    offers = [n for n in notes if n.occasion == "offer"]
    return offers[0] if offers else max(notes, key=lambda n: n.occasion_start)


def template_name(notes: Sequence[Note], to_address: str | None = None) -> str:
    """Which template a group of notes uses."""
    if to_address is not None:
        own = [n for n in notes if n.recipient.email == to_address]
        if not own:
            return "pass_on"
        notes = own
    main = _primary(notes)
    if main.occasion == "offer":
        return "offer_referrer" if main.is_referrer else "offer_company"
    return main.occasion


_MODE_PHRASE = {"phone": "our call", "video": "our video call", "onsite": "hosting me"}


def _values(req: DraftRequest) -> dict[str, str]:
    # The notes to the recipient themselves speak; notes passed on through them do not.
    own = [n for n in req.notes if n.recipient.email == req.to_address] or list(req.notes)
    main = _primary(own)
    interviews = sorted((n for n in own if n.occasion != "offer"),
                        key=lambda n: n.occasion_start)
    when = (interviews[-1] if interviews else main).occasion_start.astimezone(req.tz)
    first = main.recipient.first_name if main.recipient.email == req.to_address else ""
    first = first or _first(req.to_name) or "there"
    who = clean(main.recipient.name or req.to_name or "them", 80)
    interview_phrase = ""
    if main.occasion == "offer" and interviews:
        day = interviews[-1].occasion_start.astimezone(req.tz).strftime("%A, %B %-d")
        interview_phrase = f" Thank you as well for interviewing me on {day}."
    return {
        "first_name": clean(first, 60),
        "full_name": who,
        "company": clean(main.company, 80),
        "role_title": clean(main.role_title, 100) if main.role_title else "open",
        "day": when.strftime("%A"),
        "date": when.strftime("%A, %B %-d"),
        "my_name": clean(req.from_name, 80),
        "my_first_name": _first(req.from_name) or clean(req.from_name, 80),
        "specific": SPECIFIC.format(who=who.upper() if who else "THEM"),
        "mode_phrase": _MODE_PHRASE.get(main.mode or "", "meeting with me"),
        "interview_phrase": interview_phrase,
        "pass_on_names": _names(req.pass_on),
    }


def _first(name: str) -> str:
    return first_name(clean(name, 80))


def _names(names: Sequence[str]) -> str:
    cleaned = [clean(n, 80) for n in names if clean(n, 80)]
    if len(cleaned) <= 1:
        return "".join(cleaned)
    return ", ".join(cleaned[:-1]) + " and " + cleaned[-1]


def _pass_on_paragraph(names: Sequence[str], company: str) -> str:
    listed = _names(names)
    if not listed:
        return ""
    return (f"\nCould I ask you to pass my thanks on to {listed} as well? I don't have "
            f"their email address, and I'd like them to know how much I appreciated "
            f"their time at {clean(company, 80)}.\n")


def render_body(req: DraftRequest, templates: Mapping[str, tuple[Template, ...]]) -> Template:
    """The subject and text of a draft, from the template and the notes."""
    name = template_name(req.notes, req.to_address)
    variants = templates.get(name) or ()
    if not variants:
        raise ComposeError(f"template {name!r} has no text")
    tpl = variants[req.variant % len(variants)]
    values = _values(req)
    body = string.Template(tpl.body).safe_substitute(values)
    if req.pass_on and name != "pass_on":
        sign = body.rfind("\n\n")
        extra = _pass_on_paragraph(req.pass_on, req.notes[0].company)
        body = body[:sign] + "\n" + extra.rstrip("\n") + body[sign:] if sign > 0 else body + extra
    subject = clean(string.Template(tpl.subject).safe_substitute(values)) or "Thank you"
    if req.thread and req.thread.subject:
        base = re.sub(r"^(\s*(re|aw|sv|fwd?|wg)\s*:\s*)+", "", clean(req.thread.subject),
                      flags=re.IGNORECASE)
        subject = "Re: " + base if base else subject
    return Template(subject=subject, body=_wrap(body))


def _wrap(body: str, width: int = 76) -> str:
    out = []
    for para in body.split("\n"):
        out.append(textwrap.fill(para, width=width, break_long_words=True,
                                 break_on_hyphens=False) if len(para) > width else para)
    return "\n".join(out)


_MAX_DISPLAY_NAME = 64
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")


def _display_name(name: str) -> str:
    """A display name the email package can fold without changing its meaning.

    Python 3.11 splits a quoted display name too long for one line and drops its
    quotes, so its commas and angle brackets turn into addresses (``_verify`` would
    then refuse the draft). A display name is cosmetic: quotes and backslashes are
    dropped and it is shortened, at a space where there is one, to fit on one line.
    """
    value = re.sub(r"\s+", " ", clean(name, 200).replace("\\", " ").replace('"', " ")).strip()
    if len(value) > _MAX_DISPLAY_NAME:
        cut = value[:_MAX_DISPLAY_NAME + 1]
        value = cut.rsplit(" ", 1)[0] if " " in cut[16:] else cut[:_MAX_DISPLAY_NAME]
        value = value.rstrip(" ,;:<([@")
    return value


def _address(name: str, addr: str) -> HAddress:
    addr = clean(addr, 254)
    if addr.count("@") != 1 or any(c in addr for c in " <>,;:\"()[]\\"):
        raise ComposeError(f"not a usable address: {addr!r}")
    local, _, domain = addr.partition("@")
    # Not ASCII, the email package writes encoded words inside the address, which only
    # Python decodes back: another reader would see another recipient.
    if not (local.isascii() and local.isprintable() and _DOMAIN.fullmatch(domain)):
        raise ComposeError(f"not a usable address: {addr!r} (only plain ASCII addresses "
                           "can be written)")
    try:
        return HAddress(display_name=_display_name(name), username=local, domain=domain)
    except (ValueError, TypeError) as exc:
        raise ComposeError(f"not a usable address: {addr!r} ({exc})") from None


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """Set the Subject, folding a long or non-ASCII one ourselves.

    The email package of Python 3.11 can fold an encoded subject into an empty encoded
    word (``=?utf-8?q??=``) that some clients show raw, and moves a long ASCII one
    holding ``?=`` whole onto a continuation line, so it parses back with a leading
    space; email.header folds both right.
    """
    if subject.isascii() and len("Subject: ") + len(subject) <= 78:
        msg["Subject"] = subject
        return
    charset = "us-ascii" if subject.isascii() else "utf-8"
    encoded = email.header.Header(subject, charset, header_name="Subject").encode()
    msg._headers.append(("Subject", encoded))  # type: ignore[attr-defined]  # bypasses refolding


def message_id(key: str, from_address: str) -> str:
    """A deterministic Message-ID, so a retried draft is recognisable."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    domain = clean(from_address.rpartition("@")[2], 200) or "thankful.invalid"
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        domain = "thankful.invalid"
    return f"<{digest}.thankful@{domain}>"


def build_draft(req: DraftRequest, templates: Mapping[str, tuple[Template, ...]]) -> bytes:
    """The draft's bytes; raises :class:`ComposeError` when it cannot be made safely."""
    text = render_body(req, templates)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = _address(req.from_name, req.from_address)
    msg["To"] = _address(req.to_name, req.to_address)
    _set_subject(msg, text.subject)
    msg["Date"] = email.utils.format_datetime(req.now)
    msg["Message-ID"] = message_id(req.key, req.from_address)
    if req.thread and req.thread.message_id:
        parent = clean(req.thread.message_id, 500)
        refs = [clean(r, 500) for r in req.thread.references if r][-10:]
        if re.fullmatch(r"<[^<>\s]+>", parent):
            msg["In-Reply-To"] = parent
            chain = [r for r in refs if re.fullmatch(r"<[^<>\s]+>", r)] + [parent]
            msg["References"] = " ".join(dict.fromkeys(chain))
    msg["X-Thankful-Note"] = note_hash(req.key)
    msg["X-Thankful-Kind"] = "draft"
    msg.set_content(text.body, charset="utf-8")
    data = msg.as_bytes()
    _verify(data, {"to": [req.to_address.lower()], "from": [req.from_address.lower()]},
            subject=text.subject)
    return data


def _verify(data: bytes, expect: Mapping[str, list[str]], subject: str | None = None) -> None:
    """Parse the message back: exactly the intended recipients, no smuggled headers."""
    back = BytesParser(policy=email.policy.default).parsebytes(data)
    if subject is not None and str(back["Subject"]) != subject:
        raise ComposeError("the subject did not parse back as written")
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    if b"?q??=" in head or b"?b??=" in head:
        raise ComposeError("an empty encoded word in a header")
    names = [k.lower() for k in back]
    allowed = {"from", "to", "subject", "date", "message-id", "in-reply-to", "references",
               "x-thankful-note", "x-thankful-kind", "x-thankful-reminder", "content-type",
               "content-transfer-encoding", "mime-version"}
    if set(names) - allowed or len(names) != len(set(names)):
        raise ComposeError("the message did not parse back to the intended headers")
    for field_name, want in expect.items():
        got = [a.lower() for _, a in email.utils.getaddresses([str(back[field_name] or "")])]
        if got != want:
            raise ComposeError(f"{field_name} parsed back as {got}, not {want}")
    if any(len(line) > 998 for line in data.split(b"\r\n")):
        raise ComposeError("a line is longer than 998 octets")


# --- reminders ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderRequest:
    """A digest of the open notes for one reminder slot."""

    notes: tuple[Note, ...]
    to_name: str
    to_address: str
    slot: str
    now: datetime
    tz: ZoneInfo
    drafts_folder: str
    suggest_card: bool = True
    suggest_gift: bool = True

    @property
    def key(self) -> str:
        """Identifies the reminder: one per slot."""
        return f"reminder|{self.slot}"


_WHY = {"phone_screen": "the phone screen", "interview": "the interview", "offer": "the offer"}


def reminder_text(req: ReminderRequest) -> tuple[str, str]:
    """Subject and body of a digest."""
    overdue = [n for n in req.notes if n.due_at <= req.now]
    subject = f"Thank-you notes: {len(req.notes)} to send"
    if overdue:
        subject += f" ({len(overdue)} overdue)"
    lines = [f"You have {len(req.notes)} thank-you note(s) to send.", ""]
    for n in req.notes:
        who = clean(n.recipient.name or n.recipient.email or "someone", 80)
        role = n.recipient.role.replace("_", " ")
        day = n.occasion_start.astimezone(req.tz).strftime("%a %-d %b")
        due = n.due_at.astimezone(req.tz).strftime("%a %-d %b %H:%M")
        late = " (overdue)" if n.due_at <= req.now else ""
        lines.append(f"* {who} — {role}, {clean(n.company, 80)} — for {_WHY[n.occasion]} "
                     f"on {day}; due {due}{late}  [id {n.id}]")
        if n.state == "drafted":
            lines.append(f"    A draft is waiting in {req.drafts_folder}.")
        elif not n.recipient.email and n.deliver_to:
            lines.append(f"    No address known: the draft asks {n.deliver_to} to pass it on.")
        elif not n.deliver_to:
            lines.append("    No address known: reply with it, or run "
                         f"`thankful done {n.id} --via card` after posting a card.")
        if n.occasion == "offer" and n.is_referrer and req.suggest_gift:
            lines.append("    They helped you land this offer: a handwritten card and a small "
                         "gift (coffee, a book, lunch) mean a lot.")
        elif req.suggest_card and n.occasion in ("interview", "offer"):
            lines.append("    A handwritten card by post gets opened when an email is skimmed.")
    lines += ["", "Mark a note sent another way with `thankful done ID [--via card]`,",
              "or drop it with `thankful dismiss ID`.", "", "— thankful"]
    return subject, "\n".join(lines) + "\n"


def build_reminder(req: ReminderRequest) -> bytes:
    """The digest as a message to the user's own inbox."""
    subject, body = reminder_text(req)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = _address("thankful", req.to_address)
    msg["To"] = _address(req.to_name, req.to_address)
    _set_subject(msg, clean(subject))
    msg["Date"] = email.utils.format_datetime(req.now)
    msg["Message-ID"] = message_id(req.key + "|" + req.to_address, req.to_address)
    msg["X-Thankful-Kind"] = "reminder"
    msg["X-Thankful-Reminder"] = clean(req.slot, 60)
    msg.set_content(_wrap(body, 90), charset="utf-8")
    data = msg.as_bytes()
    _verify(data, {"to": [req.to_address.lower()]})
    return data
