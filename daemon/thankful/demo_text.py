"""Building blocks for sample data: iCalendar text, RFC 5322 messages, a fake PDF, noise mail.

Pure and deterministic: no disk I/O, no clock, no randomness. Used by
:mod:`thankful.demo_data` (the fixed demo) and by the tests' random job-search
generator, so both produce the same kind of raw bytes a Maildir and a vdir hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import formataddr
from zoneinfo import ZoneInfo

#: (display name, address) of a mailbox.
Addr = tuple[str, str]


# --------------------------------------------------------------------------- iCalendar

#: Outlook/Exchange TZIDs and the IANA zone they stand for.
WINDOWS_ZONES: dict[str, str] = {
    "W. Europe Standard Time": "Europe/Berlin",
    "GMT Standard Time": "Europe/London",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Pacific Standard Time": "America/Los_Angeles",
    "India Standard Time": "Asia/Kolkata",
    "Singapore Standard Time": "Asia/Singapore",
    "AUS Eastern Standard Time": "Australia/Sydney",
}

# iana: (standard offset, name, daylight offset, name, DST start, DST end) with each rule as
# (1970 DTSTART, BYMONTH, BYDAY); zones without DST have no rules.
_Rule = tuple[str, int, str]
_ZONES: dict[str, tuple[str, str, str, str, _Rule | None, _Rule | None]] = {
    "Europe/Berlin": ("+0100", "CET", "+0200", "CEST",
                      ("19700329T020000", 3, "-1SU"), ("19701025T030000", 10, "-1SU")),
    "Europe/Paris": ("+0100", "CET", "+0200", "CEST",
                     ("19700329T020000", 3, "-1SU"), ("19701025T030000", 10, "-1SU")),
    "Europe/London": ("+0000", "GMT", "+0100", "BST",
                      ("19700329T010000", 3, "-1SU"), ("19701025T020000", 10, "-1SU")),
    "America/New_York": ("-0500", "EST", "-0400", "EDT",
                         ("19700308T020000", 3, "2SU"), ("19701101T020000", 11, "1SU")),
    "America/Chicago": ("-0600", "CST", "-0500", "CDT",
                        ("19700308T020000", 3, "2SU"), ("19701101T020000", 11, "1SU")),
    "America/Los_Angeles": ("-0800", "PST", "-0700", "PDT",
                            ("19700308T020000", 3, "2SU"), ("19701101T020000", 11, "1SU")),
    "Australia/Sydney": ("+1000", "AEST", "+1100", "AEDT",
                         ("19701004T020000", 10, "1SU"), ("19700405T030000", 4, "1SU")),
    "Asia/Kolkata": ("+0530", "IST", "+0530", "IST", None, None),
    "Asia/Singapore": ("+0800", "+08", "+0800", "+08", None, None),
    "Asia/Tokyo": ("+0900", "JST", "+0900", "JST", None, None),
}
ZONES: tuple[str, ...] = tuple(_ZONES)


@dataclass(frozen=True, slots=True)
class Party:
    """An ORGANIZER or ATTENDEE line."""

    name: str
    email: str
    partstat: str = "NEEDS-ACTION"
    cutype: str = "INDIVIDUAL"
    role: str = "REQ-PARTICIPANT"
    rsvp: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A VEVENT to write; ``tzid`` None writes UTC times ("Z")."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    dtstamp: datetime
    tzid: str | None = None
    description: str = ""
    location: str = ""
    url: str = ""
    organizer: Party | None = None
    attendees: tuple[Party, ...] = ()
    status: str = "CONFIRMED"
    sequence: int = 0
    rrule: str = ""
    alarm_minutes: int | None = None


def _iana(tzid: str) -> str:
    return WINDOWS_ZONES.get(tzid, tzid)


def ics_escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    if len(line.encode()) <= 75:
        return line
    chunks: list[bytes] = []
    cur, limit = b"", 75
    for ch in line:
        enc = ch.encode()
        if len(cur) + len(enc) > limit:
            chunks.append(cur)
            cur, limit = b"", 74
        cur += enc
    chunks.append(cur)
    return b"\r\n ".join(chunks).decode()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(prop: str, moment: datetime, tzid: str | None) -> str:
    if tzid is None:
        return f"{prop}:{_utc(moment)}"
    local = moment.astimezone(ZoneInfo(_iana(tzid)))
    return f"{prop};TZID={tzid}:{local.strftime('%Y%m%dT%H%M%S')}"


def _party(prop: str, party: Party) -> str:
    cn = party.name.replace('"', "") or party.email
    params = [f'CN="{cn}"' if any(c in cn for c in ':;,') else f"CN={cn}"]
    if prop == "ATTENDEE":
        params = [f"CUTYPE={party.cutype}", f"ROLE={party.role}",
                  f"PARTSTAT={party.partstat}"] + (["RSVP=TRUE"] if party.rsvp else []) + params
    return f"{prop};{';'.join(params)}:mailto:{party.email}"


def vtimezone(tzid: str) -> list[str]:
    """VTIMEZONE lines for a known zone (IANA or Outlook name), Google-style rules."""
    std_off, std_name, dst_off, dst_name, dst_rule, std_rule = _ZONES[_iana(tzid)]
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    if tzid in _ZONES:
        lines.append(f"X-LIC-LOCATION:{tzid}")
    if dst_rule is None or std_rule is None:
        return [*lines, "BEGIN:STANDARD", f"TZOFFSETFROM:{std_off}", f"TZOFFSETTO:{std_off}",
                f"TZNAME:{std_name}", "DTSTART:19700101T000000", "END:STANDARD",
                "END:VTIMEZONE"]
    for kind, rule, off_from, off_to, name in (("DAYLIGHT", dst_rule, std_off, dst_off, dst_name),
                                               ("STANDARD", std_rule, dst_off, std_off, std_name)):
        lines += [f"BEGIN:{kind}", f"TZOFFSETFROM:{off_from}", f"TZOFFSETTO:{off_to}",
                  f"TZNAME:{name}", f"DTSTART:{rule[0]}",
                  f"RRULE:FREQ=YEARLY;BYMONTH={rule[1]};BYDAY={rule[2]}", f"END:{kind}"]
    return [*lines, "END:VTIMEZONE"]


def vevent(ev: Event) -> list[str]:
    """The content lines of one VEVENT (unfolded)."""
    lines = ["BEGIN:VEVENT", _when("DTSTART", ev.start, ev.tzid), _when("DTEND", ev.end, ev.tzid)]
    if ev.rrule:
        lines.append(f"RRULE:{ev.rrule}")
    lines += [f"DTSTAMP:{_utc(ev.dtstamp)}"]
    if ev.organizer is not None:
        lines.append(_party("ORGANIZER", ev.organizer))
    lines += [f"UID:{ev.uid}"]
    lines += [_party("ATTENDEE", a) for a in ev.attendees]
    if ev.url:
        lines.append(f"URL:{ev.url}")
    lines += [f"CREATED:{_utc(ev.dtstamp)}", f"DESCRIPTION:{ics_escape(ev.description)}",
              f"LAST-MODIFIED:{_utc(ev.dtstamp)}", f"LOCATION:{ics_escape(ev.location)}",
              f"SEQUENCE:{ev.sequence}", f"STATUS:{ev.status}",
              f"SUMMARY:{ics_escape(ev.summary)}", "TRANSP:OPAQUE"]
    if ev.alarm_minutes is not None:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:This is an event reminder",
                  f"TRIGGER:-P0DT0H{ev.alarm_minutes}M0S", "END:VALARM"]
    return [*lines, "END:VEVENT"]


def ics(events: Sequence[Event], *, method: str | None = None,
        prodid: str = "-//Google Inc//Google Calendar 70.9054//EN") -> bytes:
    """One VCALENDAR with the events, CRLF line endings and folded lines, as UTF-8 bytes."""
    lines = ["BEGIN:VCALENDAR", f"PRODID:{prodid}", "VERSION:2.0", "CALSCALE:GREGORIAN"]
    if method:
        lines.append(f"METHOD:{method}")
    for tzid in dict.fromkeys(ev.tzid for ev in events if ev.tzid):
        lines += vtimezone(tzid)
    for ev in events:
        lines += vevent(ev)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(ics_fold(line) for line in lines) + "\r\n").encode()


# --------------------------------------------------------------------------- mail


def digest(*parts: object, n: int = 16) -> str:
    """A stable hex string derived from the parts."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:n]


def msgid(seed: str, domain: str, style: str = "plain") -> str:
    """A deterministic Message-ID in the style of a mail system."""
    h = digest(seed, n=40)
    if style == "gmail":
        return f"<CA{h[:10].upper()}+{h[10:30]}@mail.gmail.com>"
    if style == "outlook":
        return f"<{h[:8].upper()}.{h[8:20].upper()}@{domain}>"
    return f"<{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:28]}@{domain}>"


def received(moment: datetime, host: str, ip: str, rcpt: str) -> str:
    """A plausible Received: trace header value (documentation IPs only)."""
    stamp = format_datetime((moment + timedelta(seconds=3)).astimezone(UTC))
    return (f"from {host} ({host} [{ip}]) by mx.{rcpt.split('@')[1]} (Postfix) with ESMTPS id "
            f"4{digest(host, moment, n=11).upper()} for <{rcpt}>; {stamp}")


def encode_text(name: str, value: str) -> str:
    """An unstructured header value as RFC 2047 encoded words when not ASCII, as MUAs do.

    (Python's own folder drops the space between adjacent encoded words, so the
    values are pre-encoded and pre-folded here and stored with ``set_raw``.)
    """
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def encode_addresses(name: str, addrs: Sequence[Addr]) -> str:
    """An address-list header value: encoded display names, folded after commas."""
    items = [formataddr(a, charset="utf-8") for a in addrs]
    lines, cur = [], f"{name}: "
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if cur.strip() and not cur.endswith(": ") and len(cur) + 1 + len(piece) > 76:
            lines.append(cur)
            cur = " " + piece
        else:
            cur += ("" if cur.endswith(": ") else " ") + piece
    lines.append(cur)
    return "\r\n".join(lines)[len(name) + 2:]


def mail(*, sender: Addr, to: Sequence[Addr], date: datetime, subject: str, message_id: str,
         text: str | None = None, html: str | None = None, cc: Sequence[Addr] = (),
         reply_to: Sequence[Addr] = (), in_reply_to: str = "", references: Sequence[str] = (),
         calendar: tuple[str, bytes] | None = None,
         attachments: Sequence[tuple[str, str, bytes]] = (),
         headers: Sequence[tuple[str, str]] = (), delivered_to: str = "",
         relay: tuple[str, str] = ("mail-sor-f41.google.com", "192.0.2.41")) -> bytes:
    """A complete RFC 5322 message as bytes (policy SMTP: CRLF, RFC 2047 encoded words).

    ``calendar`` is (METHOD, ics bytes) added as a text/calendar alternative;
    ``attachments`` are (filename, content type, data). ``delivered_to`` adds the
    trace headers a delivered (inbox) message carries.
    """
    msg = EmailMessage(policy=policy.SMTP)
    if delivered_to:
        msg["Return-Path"] = f"<{sender[1]}>"
        msg["Delivered-To"] = delivered_to
        msg["Received"] = received(date, relay[0], relay[1], delivered_to)
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date)
    for hname, addrs in (("From", [sender]), ("To", to), ("Cc", cc), ("Reply-To", reply_to)):
        if addrs:
            msg.set_raw(hname, encode_addresses(hname, addrs))
    msg.set_raw("Subject", encode_text("Subject", subject))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(references or (in_reply_to,))
    for name, value in headers:
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(html or "", subtype="html")
    if calendar is not None:
        method, data = calendar
        cte = "7bit" if data.isascii() else "base64"
        msg.add_alternative(data, maintype="text", subtype="calendar", cte=cte,
                            params={"method": method, "charset": "UTF-8"})
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        params = {"method": calendar[0]} if calendar and subtype == "calendar" else None
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename,
                           params=params)
    for i, part in enumerate(msg.walk()):
        if part is not msg:
            del part["MIME-Version"]
        if part.is_multipart():
            part.set_boundary(f"000000000000{digest(message_id, i, n=16)}")
    return msg.as_bytes()


def long_date(moment: date) -> str:
    """'Tuesday, March 3, 2026' (no platform-specific strftime flags)."""
    return f"{moment.strftime('%A, %B')} {moment.day}, {moment.year}"


def clock(moment: datetime) -> str:
    """'9:30 AM'."""
    return f"{(moment.hour - 1) % 12 + 1}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def reply_quote(original_from: str, when: datetime, body: str) -> str:
    """Gmail-style attribution line plus the quoted original."""
    stamp = f"{when.strftime('%a, %b')} {when.day}, {when.year} at {clock(when)}"
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.strip().splitlines())
    return f"On {stamp} {original_from} wrote:\n{quoted}\n"


def fake_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A small single-page PDF 1.4 with a correct xref table (Helvetica, ASCII text)."""
    def esc(s: str) -> str:
        s = s.encode("ascii", "replace").decode()
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    ops = ["BT", "/F1 16 Tf", "72 740 Td", f"({esc(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        ops += ["0 -18 Td", f"({esc(line)}) Tj"]
    stream = "\n".join([*ops, "ET"]).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Title (%s) /Producer (DocuSign PDF) >>" % esc(title).encode()]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return bytes(out)


# --------------------------------------------------------------------------- noise
# Each builder returns mail that must produce no note; ``variant`` picks among templates.

_NEWSLETTERS = (
    ("The Interview Coach", "newsletter@interviewcoach-weekly.com", "interviewcoach-weekly.com",
     "5 interview mistakes to avoid (and the thank-you note that saves you)",
     "Mistake #5: forgetting the thank-you note. Send one to every interviewer within 24 hours "
     "of your interview, and thank the recruiter who set it up."),
    ("Career Compass", "digest@careercompass-news.com", "careercompass-news.com",
     "Your offer is in. Now what? Negotiation scripts that work",
     "Congratulations on the offer! Before you sign, read our guide to negotiating salary, "
     "equity and start date. Bonus: a template to thank your recruiter."),
    ("Hiring Signals", "hello@hiringsignals-letter.com", "hiringsignals-letter.com",
     "Phone screen prep: 12 questions recruiters always ask",
     "Your phone screen is the first interview. Prepare a 60-second story, know the role, "
     "and confirm the time zone of the call."),
)


def newsletter(user: Addr, when: datetime, variant: int) -> bytes:
    """An interview-tips newsletter (List-Id, List-Unsubscribe, Precedence: bulk)."""
    brand, addr, domain, subject, lead = _NEWSLETTERS[variant % len(_NEWSLETTERS)]
    mid = msgid(f"news{variant}{when}", f"mail.{domain}")
    unsub = f"https://{domain}/u/{digest(user[1], variant)}"
    text = (f"{brand} | Issue #{100 + variant * 7 + when.day}\n\n{subject}\n\n{lead}\n\n"
            f"Read the full story: https://{domain}/p/{digest(subject, n=8)}\n\n--\n"
            f"You are receiving this because you subscribed at {domain}.\nUnsubscribe: {unsub}\n")
    html = (f"<html><body><h1>{brand}</h1><h2>{subject}</h2><p>{lead}</p>"
            f"<p><a href=\"{unsub}\">Unsubscribe</a></p></body></html>")
    return mail(sender=(brand, addr), to=[user], date=when, subject=subject, message_id=mid,
                text=text, html=html, delivered_to=user[1],
                relay=(f"o1.ptr{variant}.{domain}", "198.51.100.17"),
                headers=[("List-Id", f"{brand} <weekly.{domain}>"),
                         ("List-Unsubscribe", f"<{unsub}>, <mailto:unsubscribe@{domain}>"),
                         ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                         ("Precedence", "bulk")])


_JOBS = ("Senior Data Engineer", "Staff Software Engineer", "Analytics Engineer",
         "Platform Engineer", "Machine Learning Engineer", "Engineering Manager, Data")
_BOARD_COMPANIES = ("Fabrikam Logistics", "Tailspin Toys", "Lakeshore Retail Group",
                    "Blue Yonder Airlines", "Wide World Importers", "Margie's Travel")


def job_alert(user: Addr, when: datetime, variant: int, count: int = 30) -> bytes:
    """A job board's alert: 'N new jobs you may like' (HTML with a text part)."""
    subject = f"{count} new jobs you may like"
    rows = [(_JOBS[(variant + i) % len(_JOBS)], _BOARD_COMPANIES[(variant * 2 + i) % 6])
            for i in range(5)]
    text = "Jobs matched to your profile:\n\n" + "\n".join(
        f"* {job} - {co} - Apply: https://hireloop-mail.com/j/{digest(job, co, n=8)}"
        for job, co in rows) + "\n\nManage alerts: https://hireloop-mail.com/alerts\n"
    html = "<html><body><h2>Jobs matched to your profile</h2><ul>" + "".join(
        f"<li><b>{job}</b> at {co} &mdash; <a href=\"https://hireloop-mail.com/j/\">Easy apply"
        f"</a></li>" for job, co in rows) + "</ul></body></html>"
    return mail(sender=("HireLoop Job Alerts", "jobalerts-noreply@hireloop-mail.com"), to=[user],
                date=when, subject=subject, message_id=msgid(f"alert{variant}{when}",
                                                             "hireloop-mail.com"),
                text=text, html=html, delivered_to=user[1],
                relay=("mta-12.hireloop-mail.com", "203.0.113.12"),
                headers=[("List-Unsubscribe", "<https://hireloop-mail.com/alerts/off>"),
                         ("Auto-Submitted", "auto-generated"), ("Precedence", "bulk")])


_SHOPS = (("Peak & Pine Outfitters", "hello@peakandpine-outfitters.com"),
          ("Lumen Home Store", "news@lumenhome-store.com"))


def shop_promo(user: Addr, when: datetime, variant: int) -> bytes:
    """A shop's 'special offer' mail, HTML only."""
    shop, addr = _SHOPS[variant % len(_SHOPS)]
    pct = (40, 25, 30)[variant % 3]
    subject = f"Special offer: {pct}% off everything this weekend 🎉"
    html = (f"<html><body style=\"font-family:sans-serif\"><h1>{shop}</h1>"
            f"<p>Hi {user[0].split()[0]},</p><p>This offer is just for you: <b>{pct}% off</b> "
            "with code THANKYOU. Offer expires Sunday at midnight.</p>"
            "<p><a href=\"https://example.com/shop\">Shop now</a></p>"
            "<p style=\"font-size:10px\">Unsubscribe | Privacy</p></body></html>")
    return mail(sender=(shop, addr), to=[user], date=when, subject=subject,
                message_id=msgid(f"shop{variant}{when}", addr.split("@")[1]), html=html,
                delivered_to=user[1], relay=("mail.sendgrid-relay.com", "198.51.100.88"),
                headers=[("List-Unsubscribe", f"<mailto:unsubscribe@{addr.split('@')[1]}>"),
                         ("Precedence", "bulk")])


#: ATS name -> the From address it uses for application acknowledgements.
ATS_SENDERS: dict[str, str] = {
    "greenhouse": "no-reply@us.greenhouse-mail.io",
    "lever": "no-reply@hire.lever.co",
    "workday": "{slug}@myworkday.com",
    "ashby": "no-reply@ashbyhq.com",
}


def ats_ack(user: Addr, when: datetime, company: str, role: str, system: str) -> bytes:
    """'Thank you for applying to <company>': an ATS application-received confirmation."""
    slug = "".join(c for c in company.lower() if c.isalnum())
    addr = ATS_SENDERS[system].format(slug=slug)
    name = f"{company} via Greenhouse" if system == "greenhouse" else f"{company} Careers"
    subject = (f"Thank you for applying to {company}" if system != "workday"
               else f"Application Received - {role}")
    text = (f"Hi {user[0].split()[0]},\n\nThank you for your interest in {company}! We wanted to "
            f"let you know we received your application for {role}, and we are delighted that "
            "you would consider joining our team.\n\nOur team will review your application and "
            "will be in touch if your qualifications match our needs for the role.\n\n"
            f"Regards,\n{company} Recruiting\n\n** This is an automated message; replies to this "
            "address are not monitored. **\n")
    return mail(sender=(name, addr), to=[user], date=when, subject=subject,
                message_id=msgid(f"ack{company}{when}", addr.split("@")[1]), text=text,
                delivered_to=user[1], relay=(f"o3.{addr.split('@')[1]}", "203.0.113.40"),
                headers=[("Auto-Submitted", "auto-generated")])


_MEETINGS = ("Sprint planning", "1:1 {me} / {them}", "Quarterly roadmap review",
             "Interview panel: Backend Engineer candidate (you are interviewing)")


def employer_meeting(user: Addr, colleague: Addr, others: Sequence[Addr], start: datetime,
                     sent: datetime, tzid: str, variant: int,
                     recurring: bool = True) -> tuple[bytes, bytes]:
    """An invite from a colleague at the user's current employer: (mail, vdir ics)."""
    summary = _MEETINGS[variant % len(_MEETINGS)].format(
        me=user[0].split()[0], them=colleague[0].split()[0])
    domain = colleague[1].split("@")[1]
    uid = f"{digest('emp', summary, start, n=26)}@google.com"
    people = (colleague, user, *others)
    ev = Event(uid=uid, start=start, end=start + timedelta(minutes=60), summary=summary,
               dtstamp=sent, tzid=tzid, organizer=Party(*colleague),
               attendees=tuple(Party(n, e, "ACCEPTED" if e == colleague[1] else "NEEDS-ACTION",
                                     rsvp=e != colleague[1]) for n, e in people),
               location=f"https://meet.google.com/{digest(uid, n=3)}-{digest(uid, 1, n=4)}-abc",
               description="Agenda in the team doc. Please come prepared.",
               rrule="FREQ=WEEKLY;COUNT=3" if recurring else "")
    data = ics([ev], method="REQUEST")
    text = (f"{colleague[0]} has invited you to: {summary}\n\nWhen: {long_date(start)} "
            f"{clock(start)}\nJoining: {ev.location}\n\nGuests:\n"
            + "\n".join(f"{n} - {e}" for n, e in people) + "\n\nInvitation from Google Calendar\n")
    raw = mail(sender=colleague, to=[p for p in people if p != colleague], date=sent,
               subject=f"Invitation: {summary} @ {long_date(start)} ({user[1]})",
               message_id=msgid(uid + "m", domain, "gmail"), text=text,
               calendar=("REQUEST", data), attachments=[("invite.ics", "application/ics", data)],
               delivered_to=user[1])
    vdir = ics([replace(ev, attendees=tuple(Party(a.name, a.email, "ACCEPTED")
                                            for a in ev.attendees))])
    return raw, vdir


def webinar(user: Addr, when: datetime, start: datetime, variant: int) -> bytes:
    """A marketing webinar invitation with an .ics attachment from a no-reply organizer."""
    title = ("Live webinar: Ace your system design interview",
             "Free masterclass: Negotiating your job offer")[variant % 2]
    uid = f"webinar-{digest(title, start, n=12)}@devcareer-summit.com"
    ev = Event(uid=uid, start=start, end=start + timedelta(minutes=45), summary=title,
               dtstamp=when,
               organizer=Party("DevCareer Summit", "events-noreply@devcareer-summit.com"),
               url="https://devcareer-summit.com/live/join", location="Online",
               description="Join 2,000+ engineers live. Recording sent to all registrants.")
    data = ics([ev], method="PUBLISH", prodid="-//DevCareer Summit//Events 3.1//EN")
    text = (f"Hi {user[0].split()[0]},\n\nYou're invited: {title}\n{long_date(start)}, "
            f"{clock(start.astimezone(UTC))} UTC\n\nSave your seat: https://devcareer-summit.com/r"
            "\nAdd it to your calendar with the attached invite.\n\nThe DevCareer Summit team\n")
    return mail(sender=("DevCareer Summit", "events-noreply@devcareer-summit.com"), to=[user],
                date=when, subject=f"You're invited: {title}", text=text,
                message_id=msgid(uid, "devcareer-summit.com"),
                attachments=[("webinar.ics", "text/calendar", data)], delivered_to=user[1],
                relay=("mta7.devcareer-summit.com", "198.51.100.120"),
                headers=[("List-Unsubscribe", "<https://devcareer-summit.com/unsub>"),
                         ("Precedence", "bulk")])
