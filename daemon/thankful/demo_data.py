"""The demo job search: raw mail and calendar bytes plus the notes they should produce.

Pure builder, no disk I/O: :func:`build_demo` returns everything in memory so a
demo command or a test can write it to a Maildir and a vdir. Deterministic for a
given ``now``: Message-IDs, UIDs and MIME boundaries derive from the story, not
from a clock or random numbers.

The story (Alex Morgan, Berlin, currently at Globex): a friend introduces Alex
to Dana, who leads the data platform team at Northwind Analytics; recruiter
Priya runs a phone screen; coordinator Tom schedules a video interview through
Greenhouse (Zoë and Marcus; Lena declined) and an on-site panel (José, Ingrid
and Dana, the hiring manager, in a booked room); Priya sends the offer the day
before ``now``. Around it: newsletters, a job alert, a shop's "special offer",
an application receipt from another company, a Globex sprint planning and a
webinar, none of which owes a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

from thankful import demo_text as t
from thankful.core.model import Identity
from thankful.core.model import Occasion
from thankful.core.model import Role

__all__ = ["DemoData", "ExpectedNote", "build_demo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectedNote:
    """One note the data should produce: one per (occasion, person).

    ``role`` is the part the person played in the application; a hiring manager
    who also interviewed stays "hiring_manager" for every occasion.
    """

    occasion: Occasion
    company: str
    email: str | None
    name: str
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoData:
    """A user's mail and calendars, and the ground truth for them."""

    identity_name: str
    addresses: tuple[str, ...]
    employer_domains: tuple[str, ...]
    timezone: str
    #: Received messages, raw RFC 5322 bytes (as Maildir files hold them).
    inbox: tuple[bytes, ...]
    #: The user's sent messages, raw bytes.
    sent: tuple[bytes, ...]
    #: (filename, iCalendar bytes): one VCALENDAR per file, as in a vdir.
    calendar: tuple[tuple[str, bytes], ...]
    expected_notes: tuple[ExpectedNote, ...]

    def identity(self) -> Identity:
        """The user as the core sees them."""
        return Identity(name=self.identity_name, addresses=frozenset(self.addresses),
                        employer_domains=frozenset(self.employer_domains),
                        timezone=ZoneInfo(self.timezone))


COMPANY = "Northwind Analytics"
DOMAIN = "northwind-analytics.com"
ROLE_TITLE = "Senior Data Engineer"
TZ = "Europe/Berlin"

ALEX: t.Addr = ("Alex Morgan", "alex.morgan@example.net")
SAM: t.Addr = ("Sam Okafor", "sam.okafor.dev@gmail.com")            # referrer (friend)
DANA: t.Addr = ("Dana Whitfield", f"dana.whitfield@{DOMAIN}")       # hiring manager, panel
PRIYA: t.Addr = ("Priya Raman", f"priya.raman@{DOMAIN}")            # recruiter
TOM: t.Addr = ("Tom Becker", f"tom.becker@{DOMAIN}")                # recruiting coordinator
ZOE: t.Addr = ("Zoë Brandt", f"zoe.brandt@{DOMAIN}")                # video interviewer
MARCUS: t.Addr = ("Marcus Chen", f"marcus.chen@{DOMAIN}")           # video interviewer
LENA: t.Addr = ("Lena Hoffmann", f"lena.hoffmann@{DOMAIN}")         # declined the video call
JOSE: t.Addr = ("José Álvarez", f"jose.alvarez@{DOMAIN}")           # on-site interviewer
INGRID: t.Addr = ("Ingrid Solberg", f"ingrid.solberg@{DOMAIN}")     # on-site interviewer
ROOM: t.Addr = ("BER-5F-Spree (10)", "c_1887f3a2b9d04e51@resource.calendar.google.com")
JORDAN: t.Addr = ("Jordan Weber", "jordan.weber@globex-corp.com")   # Alex's colleague
MEI: t.Addr = ("Mei Lin", "mei.lin@globex-corp.com")

TITLES = {ZOE: "Staff Data Engineer", MARCUS: "Senior Analytics Engineer",
          JOSE: "Principal Engineer", INGRID: "Senior Data Engineer",
          DANA: "Head of Data Platform"}
OFFICE = "Northwind Analytics, Friedrichstraße 68, 5th floor, 10117 Berlin, Germany"
ZOOM = "https://northwind-analytics.zoom.us/j/84512093377?pwd=bldHdE5vUkVhZmN0"
ALEX_PHONE = "+49 151 5550 1234"

PRIYA_SIG = (f"Priya Raman\nTalent Acquisition Partner | {COMPANY}\n+49 30 5550 1870 | "
             f"{DOMAIN}\n")
TOM_SIG = f"Tom Becker\nRecruiting Coordinator | {COMPANY}\n"


def _weekdays_back(today: date, n: int) -> date:
    """The n-th weekday strictly before ``today``."""
    day = today
    while n:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _sent(text: str, to: tuple[t.Addr, ...], when: datetime, subject: str, mid: str,
          parent: tuple[str, t.Addr, datetime, str], cc: tuple[t.Addr, ...] = ()) -> bytes:
    """Alex's reply to ``parent`` = (Message-ID, sender, date, body), Gmail-quoted."""
    pid, psender, pdate, pbody = parent
    quote = t.reply_quote(f"{psender[0]} <{psender[1]}>", pdate, pbody)
    return t.mail(sender=ALEX, to=to, cc=cc, date=when, subject=subject, message_id=mid,
                  text=f"{text}\n\n{quote}", in_reply_to=pid, references=(pid,))


def build_demo(now: datetime) -> DemoData:
    """The demo data for a clock at ``now`` (aware); every event lies before it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = ZoneInfo(TZ)
    today = now.astimezone(tz).date()

    def at(n: int, hh: int, mm: int = 0) -> datetime:
        return datetime.combine(_weekdays_back(today, n), time(hh, mm), tz)

    def mid(label: str, domain: str = DOMAIN, style: str = "plain") -> str:
        return t.msgid(f"{label}|{now.isoformat()}", domain, style)

    inbox: list[bytes] = []
    sent: list[bytes] = []
    cal: list[tuple[str, bytes]] = []

    # -- referral intro (friend, gmail) and the hiring manager's reply ------------------
    intro_at, intro_id = at(15, 9, 12), mid("intro", style="gmail")
    intro = (f"Dana, meet Alex Morgan! Alex and I worked together for three years; Alex "
             f"built most of our streaming pipeline and is the person I'd call first for "
             f"anything data-infra. Alex is exploring a move and I immediately thought of "
             f"your team.\n\nAlex, Dana leads the data platform team at {COMPANY}. I passed "
             f"your résumé on last week and Dana is keen to talk.\n\nI'll let you two take "
             f"it from here.\n\nCheers,\nSam")
    inbox.append(t.mail(sender=SAM, to=[DANA], cc=[ALEX], date=intro_at,
                        subject="Intro: Alex Morgan <> Dana Whitfield (Northwind)",
                        message_id=intro_id, text=intro, delivered_to=ALEX[1]))
    reply1_at, reply1_id = at(15, 11, 40), mid("reply-intro", "mail.gmail.com", "gmail")
    reply1 = (f"Thanks Sam for the kind words!\n\nHi Dana, great to e-meet you. I'd love to "
              f"learn more about the data platform team and the {ROLE_TITLE} opening. I'm "
              f"flexible most afternoons this week and next.\n\nBest,\nAlex")
    sent.append(_sent(reply1, (DANA,), reply1_at, "Re: Intro: Alex Morgan <> Dana Whitfield "
                      "(Northwind)", reply1_id, (intro_id, SAM, intro_at, intro), cc=(SAM,)))
    dana_at, dana_id = at(14, 13, 5), mid("dana-reply", style="gmail")
    dana_text = (f"Thanks Sam (moving you to BCC)!\n\nAlex, lovely to meet you. I've looped in "
                 f"Priya Raman from our talent team, who will reach out to set up a first "
                 f"chat.\n\nBest,\nDana\n--\nDana Whitfield\nHead of Data Platform, {COMPANY}")
    inbox.append(t.mail(sender=DANA, to=[ALEX], cc=[PRIYA], date=dana_at,
                        subject="Re: Intro: Alex Morgan <> Dana Whitfield (Northwind)",
                        message_id=dana_id, text=dana_text, in_reply_to=reply1_id,
                        references=(intro_id, reply1_id), delivered_to=ALEX[1]))

    # -- phone screen: the recruiter's own mail with a text/calendar REQUEST ------------
    ps_start = at(11, 10)
    ps_uid = f"{t.digest('phone-screen', now, n=26)}@google.com"
    ps_sent, ps_id = at(13, 14, 5), mid("phone-invite", style="gmail")
    ps_event = t.Event(
        uid=ps_uid, start=ps_start, end=ps_start + timedelta(minutes=30), tzid=TZ,
        summary=f"Phone screen: Alex Morgan / {COMPANY}", dtstamp=ps_sent,
        location=f"Phone call - Priya calls {ALEX_PHONE}",
        description=(f"30-minute phone screen for the {ROLE_TITLE} role.\nPriya Raman will "
                     f"call you at {ALEX_PHONE}.\nBackup dial-in: +49 30 5550 1870"),
        organizer=t.Party(*PRIYA),
        attendees=(t.Party(*ALEX, rsvp=True), t.Party(*PRIYA, partstat="ACCEPTED")))
    ps_text = (f"Hi Alex,\n\nThanks for your interest in the {ROLE_TITLE} role. Dana passed "
               f"along your résumé and we'd love to set up a first conversation.\n\nI've sent a "
               f"calendar invite for a 30-minute phone screen on {t.long_date(ps_start)} at "
               f"{t.clock(ps_start)} (Berlin time). I'll call you on {ALEX_PHONE}; let me know "
               f"if a different number works better.\n\nWe'll cover your background, what "
               f"you're looking for, and how our interview process works.\n\nBest regards,\n"
               f"Priya\n\n{PRIYA_SIG}")
    ps_html = "<html><body>" + "".join(
        f"<p>{p.replace(chr(10), '<br>')}</p>" for p in ps_text.split("\n\n")) + "</body></html>"
    inbox.append(t.mail(sender=PRIYA, to=[ALEX], date=ps_sent,
                        subject=f"Phone screen: Alex Morgan / {COMPANY}", message_id=ps_id,
                        text=ps_text, html=ps_html, delivered_to=ALEX[1],
                        calendar=("REQUEST", t.ics([ps_event], method="REQUEST"))))
    reply2 = (f"Hi Priya,\n\n{t.long_date(ps_start).split(',')[0]} at 10:00 works well, and "
              f"that's the right number. Talk then!\n\nBest,\nAlex")
    sent.append(_sent(reply2, (PRIYA,), at(13, 15, 20),
                      f"Re: Phone screen: Alex Morgan / {COMPANY}",
                      mid("reply-ps", "mail.gmail.com", "gmail"), (ps_id, PRIYA, ps_sent, ps_text)))
    cal.append((f"{t.digest(ps_uid, n=20)}.ics", t.ics([_accepted(ps_event, ALEX[1])])))

    # -- video interview: Greenhouse confirmation (Reply-To coordinator) + vdir copy ----
    vi_start, vi_sent = at(8, 15), at(10, 11, 30)
    vi_uid = f"greenhouse-interview-{t.digest('video', now, n=12)}@greenhouse.io"
    people = "\n".join(f"  {p[0]}, {TITLES[p]}" for p in (ZOE, MARCUS))
    vi_event = t.Event(
        uid=vi_uid, start=vi_start, end=vi_start + timedelta(hours=1), tzid=TZ, dtstamp=vi_sent,
        summary=f"Interview with {COMPANY}: {ROLE_TITLE} (video)", location=ZOOM,
        description=(f"Technical deep dive: data pipelines\nInterviewers:\n{people}\n\n"
                     f"Join Zoom: {ZOOM}\nMeeting ID: 845 1209 3377"),
        organizer=t.Party(*TOM),
        attendees=(t.Party(*ZOE, partstat="ACCEPTED"), t.Party(*MARCUS, partstat="ACCEPTED"),
                   t.Party(*LENA, partstat="DECLINED", role="OPT-PARTICIPANT"),
                   t.Party(*ALEX, rsvp=True)))
    vi_text = (f"Hi Alex,\n\nYour interview for the {ROLE_TITLE} role at {COMPANY} is "
               f"confirmed. Details are below and a calendar invitation is attached.\n\n"
               f"Date: {t.long_date(vi_start)}\nTime: {t.clock(vi_start)} - "
               f"{t.clock(vi_start + timedelta(hours=1))} (Europe/Berlin)\nLocation: Zoom - "
               f"{ZOOM}\nMeeting ID: 845 1209 3377\n\nSchedule:\n{t.clock(vi_start)}  "
               f"Technical deep dive: data pipelines\n{people}\n\nIf you need to reschedule, "
               f"please reply to this email.\n\nBest,\n{TOM_SIG}")
    vi_id = mid("greenhouse-confirm", "us.greenhouse-mail.io")
    inbox.append(t.mail(
        sender=(f"{COMPANY} via Greenhouse", "no-reply@us.greenhouse-mail.io"), to=[ALEX],
        reply_to=[TOM], date=vi_sent, subject=f"Interview Confirmation for {ROLE_TITLE}",
        message_id=vi_id, text=vi_text, delivered_to=ALEX[1],
        html="<html><body>" + vi_text.replace("\n", "<br>\n") + "</body></html>",
        relay=("o1.us.greenhouse-mail.io", "198.51.100.61"),
        attachments=[("invite.ics", "text/calendar", t.ics(
            [vi_event], method="REQUEST", prodid="-//Greenhouse Software//Interviews 2.0//EN"))]))
    reply3 = ("Hi Tom,\n\nConfirmed, I'll join the Zoom at 3 PM. Is there anything I should "
              "prepare in advance?\n\nBest,\nAlex")
    sent.append(_sent(reply3, (TOM,), at(10, 12, 10), f"Re: Interview Confirmation for "
                      f"{ROLE_TITLE}", mid("reply-vi", "mail.gmail.com", "gmail"),
                      (vi_id, (f"{COMPANY} via Greenhouse", "no-reply@us.greenhouse-mail.io"),
                       vi_sent, vi_text)))
    cal.append((f"{t.digest(vi_uid, n=20)}.ics", t.ics([_accepted(vi_event, ALEX[1])])))

    # -- on-site panel: vdir event + HTML-only itinerary mail -----------------------------
    os_start, os_sent = at(4, 9, 30), at(6, 16)
    os_uid = f"{t.digest('onsite', now, n=26)}@google.com"
    slots = [("09:30", "Welcome at reception", "Tom Becker, Recruiting Coordinator"),
             ("09:45", "System design", f"{JOSE[0]}, {TITLES[JOSE]}"),
             ("10:45", "Data modelling & SQL", f"{INGRID[0]}, {TITLES[INGRID]}"),
             ("12:00", "Team fit over lunch", f"{DANA[0]}, {TITLES[DANA]} (hiring manager)")]
    os_event = t.Event(
        uid=os_uid, start=os_start, end=os_start + timedelta(hours=3, minutes=30), tzid=TZ,
        dtstamp=os_sent, summary=f"On-site interview: Alex Morgan - {ROLE_TITLE}",
        location=OFFICE, organizer=t.Party(*TOM), alarm_minutes=60,
        description="Panel interview\n" + "\n".join(f"{a} {b}: {c}" for a, b, c in slots),
        attendees=(t.Party(*ALEX, partstat="ACCEPTED"),
                   *(t.Party(*p, partstat="ACCEPTED") for p in (DANA, JOSE, INGRID)),
                   t.Party(*ROOM, partstat="ACCEPTED", cutype="ROOM",
                           role="NON-PARTICIPANT")))
    cal.append((f"{t.digest(os_uid, n=20)}.ics", t.ics([os_event])))
    rows = "".join(f"<tr><td>{a}</td><td>{escape(b)}</td><td>{escape(c)}</td></tr>"
                   for a, b, c in slots)
    os_html = (f"<html><body><p>Hi Alex,</p><p>We're looking forward to welcoming you to our "
               f"Berlin office on <b>{t.long_date(os_start)}</b>. Here is your itinerary:</p>"
               f"<table border=\"1\" cellpadding=\"4\"><tr><th>Time</th><th>Session</th>"
               f"<th>With</th></tr>{rows}</table><p>Address: {OFFICE}. Please bring a photo "
               f"ID and ask for me at reception.</p><p>Best,<br>Tom Becker<br>Recruiting "
               f"Coordinator | {COMPANY}</p></body></html>")
    os_id = mid("itinerary", style="gmail")
    os_subject = f"Your on-site interview at {COMPANY} – itinerary for {t.long_date(os_start)}"
    inbox.append(t.mail(sender=TOM, to=[ALEX], cc=[PRIYA], date=os_sent, subject=os_subject,
                        message_id=os_id, html=os_html, delivered_to=ALEX[1]))
    reply4 = (f"Hi Tom,\n\nThanks for the itinerary, see you at 9:30 on "
              f"{t.long_date(os_start).split(',')[0]}.\n\nBest,\nAlex")
    sent.append(_sent(reply4, (TOM,), at(6, 17, 10), f"Re: {os_subject}",
                      mid("reply-os", "mail.gmail.com", "gmail"),
                      (os_id, TOM, os_sent, "Here is your itinerary (see table)."), cc=(PRIYA,)))

    # -- the offer, the day before now -----------------------------------------------------
    offer_at = datetime.combine(today - timedelta(days=1), time(16, 20), tz)
    start_day = today + timedelta(days=45)
    offer_text = (f"Hi Alex,\n\nOn behalf of everyone at {COMPANY}, I'm delighted to offer you "
                  f"the position of {ROLE_TITLE} on Dana's Data Platform team! Zoë, Marcus, "
                  f"José, Ingrid and Dana all enjoyed meeting you.\n\nYour offer letter is "
                  f"attached: a base salary of EUR 92,000, 30 days of vacation and a proposed "
                  f"start date of {t.long_date(start_day)}.\n\nPlease review it and let me "
                  f"know if you have any questions. We'd love to hear back within a week.\n\n"
                  f"Warm regards,\nPriya\n\n{PRIYA_SIG}")
    pdf = t.fake_pdf("Offer Letter - Alex Morgan", [
        f"{COMPANY} GmbH, Friedrichstrasse 68, 10117 Berlin", "",
        "Dear Alex Morgan,", f"We are pleased to offer you the position of {ROLE_TITLE}.",
        "Annual base salary: EUR 92,000. Vacation: 30 days.",
        f"Start date: {start_day.isoformat()}.", "", "Dana Whitfield, Head of Data Platform"])
    inbox.append(t.mail(
        sender=PRIYA, to=[ALEX], cc=[DANA], date=offer_at, message_id=mid("offer", style="gmail"),
        subject=f"Offer: {ROLE_TITLE} at {COMPANY} 🎉", text=offer_text,
        html="<html><body>" + offer_text.replace("\n", "<br>\n") + "</body></html>",
        attachments=[("Offer Letter - Alex Morgan.pdf", "application/pdf", pdf)],
        delivered_to=ALEX[1]))

    # -- noise --------------------------------------------------------------------------------
    inbox.append(t.newsletter(ALEX, at(12, 7), 0))
    inbox.append(t.newsletter(ALEX, at(3, 7, 5), 1))
    inbox.append(t.job_alert(ALEX, at(9, 8, 15), 0))
    inbox.append(t.shop_promo(ALEX, at(5, 18, 30), 0))
    inbox.append(t.ats_ack(ALEX, at(14, 20, 2), "Contoso Pharmaceuticals", "Data Engineer",
                           "lever"))
    sprint_mail, sprint_ics = t.employer_meeting(ALEX, JORDAN, (MEI,), at(15, 10), at(16, 9),
                                                 TZ, 0)
    inbox.append(sprint_mail)
    cal.append((f"{t.digest('sprint', now, n=20)}.ics", sprint_ics))
    inbox.append(t.webinar(ALEX, at(8, 10), at(2, 18).astimezone(UTC), 0))
    dentist = t.Event(uid=f"{t.digest('dentist', now, n=26)}@google.com", start=at(9, 8),
                      end=at(9, 8, 45), tzid=TZ, summary="Dentist", dtstamp=at(18, 12),
                      location="Praxis Dr. Kühn, Torstraße 12, Berlin")
    cal.append((f"{t.digest('dentist', now, n=20)}.ics", t.ics([dentist])))

    return DemoData(identity_name=ALEX[0], addresses=(ALEX[1],),
                    employer_domains=("globex-corp.com",), timezone=TZ,
                    inbox=tuple(inbox), sent=tuple(sent), calendar=tuple(cal),
                    expected_notes=_expected())


def _accepted(ev: t.Event, me: str) -> t.Event:
    """The attendee's own calendar copy: their PARTSTAT accepted, no RSVP."""
    attendees = tuple(t.Party(a.name, a.email, "ACCEPTED", a.cutype, a.role)
                      if a.email == me else a for a in ev.attendees)
    return replace(ev, attendees=attendees, alarm_minutes=30)


def _expected() -> tuple[ExpectedNote, ...]:
    """The demo's ground truth: 1 phone screen + 5 interview + 8 offer notes.

    Dana, the hiring manager, sat on the on-site panel, so she is one of the five
    interviewers and the offer occasion has 8 distinct people, not 9:
    Sam, Priya, Tom, Dana, Zoë, Marcus, José, Ingrid.
    """
    def note(occasion: Occasion, who: t.Addr, role: Role) -> ExpectedNote:
        return ExpectedNote(occasion=occasion, company=COMPANY, email=who[1], name=who[0],
                            role=role)
    interviewers: list[tuple[t.Addr, Role]] = [
        (ZOE, "interviewer"), (MARCUS, "interviewer"), (JOSE, "interviewer"),
        (INGRID, "interviewer"), (DANA, "hiring_manager")]
    return (note("phone_screen", PRIYA, "recruiter"),
            *(note("interview", p, r) for p, r in interviewers),
            note("offer", SAM, "referrer"), note("offer", PRIYA, "recruiter"),
            note("offer", TOM, "coordinator"),
            *(note("offer", p, r) for p, r in interviewers))
