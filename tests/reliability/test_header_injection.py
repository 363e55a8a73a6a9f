"""Issue 8, test 5: header injection, at the compose level and through a whole cycle.

A corpus of hostile values (built below from line breaks, encoded words hiding them,
2,000-character names, quotes, commas, backslashes, angle brackets, the
CVE-2023-27043 address forms, non-ASCII, emoji and lone surrogates) goes into display
names, subjects, company names, role titles and ICS CNs. Every draft and reminder
must parse back to exactly the intended headers and recipients, with no line over
998 octets; hostile input is cleaned, or skipped with a logged reason, never a crash.
"""

from __future__ import annotations

import base64
import email.policy
import logging
import mailbox
import re
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from structlog.testing import capture_logs

from thankful import demo_text as t
from thankful.config import load
from thankful.core.compose import TEMPLATE_NAMES
from thankful.core.compose import ComposeError
from thankful.core.compose import DraftRequest
from thankful.core.compose import ReminderRequest
from thankful.core.compose import build_draft
from thankful.core.compose import build_reminder
from thankful.core.compose import parse_template
from thankful.core.model import Person
from thankful.core.parse_ics import parse_calendar
from thankful.core.rules import Note
from thankful.core.rules import ThreadRef
from thankful.demo import write_search
from thankful.demo_data import build_demo
from thankful.service import run_cycle

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 20, 18, 0, tzinfo=TZ)
ME = "alex.morgan@example.net"
BUNDLED = Path(__file__).resolve().parents[2] / "daemon" / "thankful" / "templates"
TEMPLATES = {n: parse_template((BUNDLED / n).read_text()) for n in TEMPLATE_NAMES}

# --- the corpus --------------------------------------------------------------------------

#: CR, LF, CRLF, NUL and every other character str.splitlines() breaks on.
BREAKS = ("\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85",
          "\u2028", "\u2029")
PAYLOADS = ("Bcc: x@evil.example", "To: evil@evil.example", "\r\nX-Evil: body")
CVE_2023_27043 = ("alice@example.org)<bob@example.org", '"bob@x.org"@example.org',
                  "alice@example.org,bob@evil.example")
PUNCTUATION = (
    *CVE_2023_27043, "Ann <evil@evil.example>", '"Ann" <evil@evil.example>, bob@evil.example',
    "Lee, Ann", 'Ann "The Boss" Lee', 'Ann \\"Lee', "Ann\\", "\\", '"', "<>",
    "<evil@evil.example>", "evil@evil.example", "(comment) Ann", "Ann (x@y.example) <z@w.example>",
    ":;@<>[]", "undisclosed-recipients:;", "group: a@b.example, d@e.example;",
    "a@b.example; d@e.example", "Ann\tLee", "  ", "", "'; DROP TABLE notes;--",
    "$first_name ${company} $$", "%s %(x)s {0}", "Re: Fwd: RE: AW:")
INTERNATIONAL = (
    "Zoë Brandt", "José Álvarez", "北京 林", "Ωμέγα Ψ", "\u202eelpmaxe.live@x", "Ann\u200bLee",
    "👩\u200d💻 Ann", "🎉🎉", "Ann 🇩🇪", "Ça va, l'équipe", "Ame\u0301lie", "\ufeffAnn",
    "Ann\udcffLee", "\udcff", "Ｂｃｃ： x@evil.example")
LONG = ("A" * 2000, "Ann " * 500, "é" * 2000, "🎉" * 1000, "x" * 997 + "\r\nBcc: x@evil.example",
        "a, " * 700, "<a@b.example>" * 160, '"' * 2000, "\\" * 2000, "=?" * 1000,
        "Alexandra Konstantinopoulou-Papadopoulou, Senior Technical Recruiter (EMEA), Berlin")


def _q(text: str, charset: str = "utf-8") -> str:
    return "".join(f"={b:02X}" for b in text.encode(charset))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hostile_values() -> list[str]:
    """The corpus: every building block alone and combined with the others."""
    out: list[str] = []
    for br in BREAKS:
        out += [f"Ann Lee{br}{p}" for p in PAYLOADS]
        out += [f"{br}Ann Lee", f"Ann Lee{br}", f"Ann{br}{br}X-Evil: 1",
                f"Ann{br} Bcc: x@evil.example"]
        # Encoded words hiding the break: the email package decodes them again.
        out += [f"=?UTF-8?Q?{_q(br)}?=Bcc: x@evil.example",
                f"=?utf-8?q?Ann{_q(br)}Bcc:_x@evil.example?=",
                f"=?UTF-8?B?{_b64(br + 'Bcc: x@evil.example')}?=",
                f"Ann =?UTF-8?B?{_b64('Lee' + br)}?= Bcc: x@evil.example",
                f"=?UTF-8?B?{_b64('=?UTF-8?Q?' + _q(br) + '?=Bcc: x@evil.example')}?="]
        if br not in ("\u2028", "\u2029"):
            out.append(f"=?ISO-8859-1?Q?{_q(br, 'latin-1')}?=Bcc: x@evil.example")
    out += ["=?UTF-8?Q?=0A?=Bcc: x@evil.example", "=?UTF-8?Q?=0D=0A?=Bcc: x@evil.example",
            "=?UTF-8?B?DQpCY2M6IHhAZXZpbC5leGFtcGxl?=", "=?utf-8?q??=", "=?utf-8?b??=",
            "=?UTF-8?Q?=0A", "=?x-no-such-charset?Q?=0A?=Bcc: x@evil.example", "=?UTF-8?B?####?=",
            "=?UTF-8*en?Q?=0A?=Bcc: x@evil.example", "=?UTF-8?Q?" + "=41" * 700 + "?=",
            "=?UTF-8?Q?a?= =?UTF-8?Q?=0A?= =?UTF-8?Q?Bcc:_x@evil.example?="]
    out += [*LONG, *PUNCTUATION, *INTERNATIONAL]
    for base in (*PUNCTUATION, *INTERNATIONAL):
        out += [f"{base}\r\nBcc: x@evil.example", f"{base} =?UTF-8?Q?=0A?=Bcc: x@evil.example",
                f"{base}\u2028Cc: x@evil.example"]
    return list(dict.fromkeys(out))


HOSTILE = hostile_values()

# --- what a safe message looks like ------------------------------------------------------

DRAFT_HEADERS = {"from", "to", "subject", "date", "message-id", "x-thankful-note",
                 "x-thankful-kind", "mime-version", "content-type", "content-transfer-encoding"}
THREAD_HEADERS = {"in-reply-to", "references"}
REMINDER_HEADERS = (DRAFT_HEADERS - {"x-thankful-note"}) | {"x-thankful-reminder"}
#: What must never survive into a decoded header value.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]")
_HEADER_LINE = re.compile(rb"([!-9;-~]+):")


def check_message(data: bytes, *, headers: set[str], to: set[str], sender: str
                  ) -> EmailMessage:
    """Assert a built message is exactly what was meant; return it parsed."""
    assert b"\x00" not in data
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b""), \
        "a bare CR or LF"
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998, "a line over 998 octets"
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    names = []
    for line in head:
        if line[:1] in (b" ", b"\t"):
            continue
        m = _HEADER_LINE.match(line)
        assert m, f"not a header line: {line[:80]!r}"
        names.append(m.group(1).decode().lower())
    counts = Counter(names)
    assert set(counts) == headers, f"headers {sorted(counts)}"
    assert all(n == 1 for n in counts.values()), f"a header twice: {counts}"
    msg = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    assert not msg.defects, msg.defects
    parsed = {k.lower(): v for k, v in msg.items()}  # each header parsed once
    for name, value in parsed.items():
        assert not getattr(value, "defects", ()), (name, value.defects)
    assert not {"bcc", "cc", "reply-to"} & set(parsed)
    rcpt = parsed["to"].addresses
    assert len(rcpt) == 1 and rcpt[0].addr_spec in to, rcpt
    frm = parsed["from"].addresses
    assert len(frm) == 1 and frm[0].addr_spec == sender, frm
    subject = str(parsed["subject"])
    for value in (subject, rcpt[0].display_name, frm[0].display_name):
        assert not _FORBIDDEN.search(value), f"{value[:80]!r}"
        assert "=?" not in value, f"an encoded word survives decoding: {value[:80]!r}"
    assert 0 < len(subject) <= 310
    assert msg.get_content_type() == "text/plain"
    assert isinstance(msg.get_payload(decode=True), bytes)
    return msg


# --- (a) compose level -------------------------------------------------------------------

START = NOW - timedelta(days=1)


def note(name: str, addr: str | None, *, company: str, role_title: str, nid: str,
         deliver_to: str | None = None, occasion: str = "interview") -> Note:
    return Note(
        id=nid, application="acme", company=company, role_title=role_title,
        occasion=occasion, occasion_key="uid:1",  # type: ignore[arg-type]
        occasion_start=START, occasion_end=START + timedelta(hours=1),
        recipient=Person(name=name, email=addr, role="interviewer"),
        deliver_to=deliver_to or addr, ready_at=START, due_at=NOW, expires_at=NOW,
        state="ready", mode="video")


def test_the_corpus_has_every_building_block() -> None:
    assert len(HOSTILE) >= 300
    for br in BREAKS:
        assert sum(br in v for v in HOSTILE) >= 7, repr(br)  # and more, hidden in encoded words
    for form in (*CVE_2023_27043, "=?UTF-8?Q?=0A?=Bcc: x@evil.example"):
        assert form in HOSTILE
    assert sum(len(v) >= 2000 for v in HOSTILE) >= 6
    assert sum("?B?" in v or "?b?" in v for v in HOSTILE) >= 12
    assert any(unicodedata.category(c) == "So" for v in HOSTILE for c in v)  # emoji


@pytest.mark.parametrize("i", range(len(HOSTILE)), ids=lambda i: f"v{i:03d}")
def test_hostile_names_subjects_and_companies_are_cleaned(i: int) -> None:
    """A name, subject, company or role title is cosmetic: it is cleaned, never a skip."""
    h = HOSTILE[i]
    own = note(h, "ann@acme.example", company=h, role_title=h, nid=f"n{i}a")
    # Someone known only by name, thanked through Ann.
    other = note(h, None, company=h, role_title=h, nid=f"n{i}b", deliver_to="ann@acme.example")
    thread = ThreadRef(message_id=f"<m{i}@acme.example>", references=(f"<r{i}@acme.example>",),
                       subject=h)
    # Replying in the conversation: the received subject becomes "Re: ...".
    threaded = DraftRequest(notes=(own,), from_name=h, from_address=ME, to_name=h,
                            to_address="ann@acme.example", thread=thread, variant=i, now=NOW,
                            tz=TZ)
    check_message(build_draft(threaded, TEMPLATES), headers=DRAFT_HEADERS | THREAD_HEADERS,
                  to={"ann@acme.example"}, sender=ME)
    # A new message: the template's subject holds the company and the role title.
    offer = replace(own, occasion="offer", is_referrer=bool(i % 2))
    fresh = DraftRequest(notes=(offer, other) if i % 3 else (other,), from_name=h,
                         from_address=ME, to_name=h, to_address="ann@acme.example",
                         thread=None, variant=i, now=NOW, tz=TZ, pass_on=(h,))
    check_message(build_draft(fresh, TEMPLATES), headers=DRAFT_HEADERS,
                  to={"ann@acme.example"}, sender=ME)


@pytest.mark.parametrize("batch", range(0, len(HOSTILE), 8), ids=lambda b: f"v{b:03d}")
def test_reminders_over_hostile_notes_are_safe(batch: int) -> None:
    values = HOSTILE[batch:batch + 8]
    notes = tuple(note(h, None if k % 2 else f"p{k}@acme.example", company=h, role_title=h,
                       nid=f"r{batch}-{k}", deliver_to=f"rita{k}@acme.example")
                  for k, h in enumerate(values))
    for k, h in enumerate(values):
        req = ReminderRequest(notes=notes, to_name=h, to_address=ME, slot="1d-739695",
                              now=NOW, tz=TZ, drafts_folder=h)
        if k in (0, len(values) - 1):  # the user's own name is trusted; two are enough
            check_message(build_reminder(req), headers=REMINDER_HEADERS, to={ME}, sender=ME)


def test_hostile_addresses_are_refused_or_written_exactly() -> None:
    """An address is not cosmetic: it is written exactly as given, or the draft is skipped."""
    built, reasons, wrong = 0, [], []
    for i, h in enumerate(HOSTILE):
        for addr in (h, f"ann@acme.example{h}", f"{h}ann@acme.example", f"ann{h}@acme.example",
                     f"ann@{h}acme.example"):
            n = note("Ann Lee", addr, company="Acme", role_title="Engineer", nid=f"a{i}")
            req = DraftRequest(notes=(n,), from_name="Alex Morgan", from_address=ME,
                               to_name="Ann Lee", to_address=addr, thread=None, variant=0,
                               now=NOW, tz=TZ)
            try:
                data = build_draft(req, TEMPLATES)
            except ComposeError as exc:
                reasons.append(str(exc))
                continue
            built += 1
            try:
                check_message(data, headers=DRAFT_HEADERS, to={addr}, sender=ME)
            except AssertionError as exc:
                wrong.append((addr, str(exc)[:200]))
    assert not wrong, wrong[:5]
    assert all(reasons), "a skip without a reason"
    assert len(reasons) > 1500 and built >= 1  # the plain ones ("" + a good address) still work


# --- (b) a whole cycle -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    structlog.reset_defaults()
    logging.getLogger().setLevel(logging.WARNING)


def on_disk(path: Path) -> bytes:
    """A Maildir file (LF line ends, as the mailbox module writes them) as CRLF bytes."""
    data = path.read_bytes()
    assert b"\r" not in data, f"a CR in {path.name}"
    return data.replace(b"\n", b"\r\n")


def _header_value(value: str) -> bytes:
    """A header value as a mail system would write it: printable ASCII raw, the rest as
    RFC 2047 encoded words, lone surrogates as the raw broken bytes they came from."""
    if all(" " <= c <= "~" for c in value):
        return value.encode()
    try:
        return Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n").encode()
    except UnicodeError:
        return value.encode("utf-8", "surrogateescape")


def _cn(value: str, caret: bool) -> str:
    """A CN parameter: RFC 6868 caret-encoded (^n is a newline), or raw in quotes."""
    if caret:
        value = value.replace("^", "^^").replace("\n", "^n").replace('"', "^'")
    return '"' + value.replace('"', "") + '"'


def _fold(line: str) -> bytes:
    raw = line.encode("utf-8", "surrogateescape")
    return b"\r\n ".join(raw[k:k + 74] for k in range(0, len(raw), 74))


def _invitation(i: int, values: list[str], domain: str, people: tuple[str, str, str],
                start: datetime) -> bytes:
    """An interview invitation: text/calendar METHOD:REQUEST, hostile everywhere."""
    sender_name, subject, org, cn1, cn2, summary = values
    organizer, iv1, iv2 = people
    caret = i % 2 == 0
    utc = "%Y%m%dT%H%M%SZ"
    ics = [
        "BEGIN:VCALENDAR", "PRODID:-//Hostile//EN", "VERSION:2.0", "METHOD:REQUEST",
        "BEGIN:VEVENT", f"UID:hostile-{i}@{domain}",
        f"DTSTART:{start.astimezone(UTC).strftime(utc)}",
        f"DTEND:{(start + timedelta(hours=1)).astimezone(UTC).strftime(utc)}",
        "DTSTAMP:20260301T100000Z", f"ORGANIZER;CN={_cn(org, caret)}:mailto:{organizer}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN={_cn(cn1, caret)}:mailto:{iv1}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN={_cn(cn2, caret)}:mailto:{iv2}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Alex Morgan:mailto:{ME}",
        f"SUMMARY:Interview: {t.ics_escape(summary)}", "STATUS:CONFIRMED", "END:VEVENT",
        "END:VCALENDAR"]
    calendar = b"\r\n".join(_fold(line) for line in ics) + b"\r\n"
    via = i % 4 == 3  # "<hostile> via Greenhouse": the company comes from the hostile name
    raw = t.mail(sender=("x", "x@x.example"), to=[("Alex Morgan", ME)],
                 date=start - timedelta(days=3), subject="x", message_id=f"<hostile-{i}@{domain}>",
                 text="Hi Alex,\n\nThanks for applying. The invitation for your interview is "
                      "attached; please accept it.\n\nBest regards", delivered_to=ME,
                 calendar=("REQUEST", calendar))
    head, body = raw.split(b"\r\n\r\n", 1)
    out = []
    for line in head.split(b"\r\n"):
        if line.startswith(b"From:"):
            out.append(b"From: " + (_header_value(sender_name + " via Greenhouse")
                                    + b" <no-reply@us.greenhouse-mail.io>" if via else
                                    _header_value(sender_name) + f" <{organizer}>".encode()))
        elif line.startswith(b"Subject:"):
            out.append(b"Subject: Interview invitation: " + _header_value(subject))
        else:
            out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n" + body


def _people(i: int) -> tuple[str, str, str]:
    if i % 4 == 3:  # at a freemail provider: the company is not their domain
        return (f"recruiter.h{i}@gmail.com", f"iv1.h{i}@gmail.com", f"iv2.h{i}@gmail.com")
    domain = f"hostile{i:02d}-corp.example"
    if i % 10 == 5:  # addresses thankful cannot write: their drafts are skipped, with a reason
        return (f"recruiter.h{i}@{domain}", f"zoë.h{i}@{domain}", f"iv2.h{i}@bücher-{i}.example")
    return (f"recruiter.h{i}@{domain}", f"iv1.h{i}@{domain}", f"iv2.h{i}@{domain}")


def test_a_cycle_over_hostile_invitations_drafts_only_safe_messages(tmp_path: Path) -> None:
    data = build_demo(NOW)
    cfg = write_search(tmp_path / "search", data, NOW)
    inbox = mailbox.Maildir(tmp_path / "search" / "mail", create=False)
    per_mail = 6
    count = -(-len(HOSTILE) // per_mail)  # every hostile value once
    expected = {e.email for e in data.expected_notes if e.email}
    unwritable: set[str] = set()
    for i in range(count):
        # A distinct evil domain per mail, so no two mails merge into one company "Evil".
        values = [HOSTILE[(i * per_mail + k) % len(HOSTILE)].replace(
            "evil.example", f"evil{i:02d}.example") for k in range(per_mail)]
        people = _people(i)
        expected |= set(people)
        unwritable |= {p for p in people if not p.isascii()}
        msg = mailbox.MaildirMessage(_invitation(
            i, values, f"hostile{i:02d}-corp.example", people,
            NOW - timedelta(days=1, hours=2 + i % 5)))
        msg.set_subdir("cur")
        msg.set_flags("S")
        inbox.add(msg)
    with capture_logs() as logs:
        result = run_cycle(load(cfg), NOW)  # returns: no exception escaped
    assert result.errors == []
    assert not [e for e in logs if e["log_level"] in ("error", "critical")], \
        [e for e in logs if e["log_level"] in ("error", "critical")][:3]
    # Hostile mail was read and acted on, not dropped wholesale.
    assert result.counts.get("drafts_written", 0) >= count
    mail = tmp_path / "search" / "mail"
    drafts = sorted((mail / ".Drafts" / "cur").iterdir())
    assert len(drafts) == result.counts["drafts_written"]
    notes_seen: list[str] = []
    written: set[str] = set()
    for path in drafts:
        raw = on_disk(path)
        has_thread = b"\r\nIn-Reply-To:" in raw.split(b"\r\n\r\n", 1)[0]
        draft = check_message(raw, to=expected - unwritable, sender=ME,
                              headers=DRAFT_HEADERS | (THREAD_HEADERS if has_thread else set()))
        notes_seen.append(str(draft["X-Thankful-Note"]))
        to_header: Any = draft["To"]
        written.add(to_header.addresses[0].addr_spec)
    assert len(set(notes_seen)) == len(notes_seen)
    reminders = list((mail / "new").iterdir())
    assert len(reminders) == 1
    check_message(on_disk(reminders[0]), headers=REMINDER_HEADERS, to={ME}, sender=ME)
    # The addresses no draft can be written to: skipped, each with a logged reason.
    skipped = [e for e in logs if e["event"] == "draft_skipped"]
    assert skipped and all(e.get("reason") for e in skipped)
    assert all("not a usable address" in e["reason"] for e in skipped), skipped[:3]
    assert not written & unwritable
    assert len(skipped) == result.counts.get("drafts_skipped")
    # Notes were made for hostile people from hostile-named companies too.
    assert sum(1 for a in written if a.startswith(("iv1.h", "iv2.h"))) >= count


# --- found by this suite ----------------------------------------------------------------


@pytest.mark.parametrize("ch", ["\x0b", "\x1c", "\x00"])
def test_a_control_character_in_a_cn_is_cleaned_or_reported(ch: str) -> None:
    ics = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:REQUEST", "BEGIN:VEVENT", "UID:u1",
        "DTSTART:20260319T100000Z", "DTEND:20260319T110000Z", "DTSTAMP:20260301T100000Z",
        f'ORGANIZER;CN="Rita{ch}Recruiter":mailto:rita@acme.example',
        f"ATTENDEE;PARTSTAT=ACCEPTED;CN=Ann{ch}Lee:mailto:ann@acme.example",
        "SUMMARY:Interview", "END:VEVENT", "END:VCALENDAR", ""]).encode()
    parsed = parse_calendar(ics, default_tz=TZ, window_start=NOW - timedelta(days=30),
                            window_end=NOW + timedelta(days=30))
    (event,) = parsed.events
    kept = {a.email for a in event.attendees} | ({event.organizer.email} if event.organizer
                                                 else set())
    assert kept == {"rita@acme.example", "ann@acme.example"} or parsed.problems
