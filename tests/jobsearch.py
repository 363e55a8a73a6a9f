"""A random job search, for tests: raw mail and vdir bytes plus the exact notes owed.

``generate(seed, now)`` varies what the fixed demo keeps still, so detection rules
are not tuned to one story: company, people (sometimes non-ASCII), role, time
zones, how each interview was scheduled (human mail, Greenhouse, Lever, Workday,
Ashby, Calendly, GoodTime), whether it arrived by mail, in the vdir or both (same
UID), 1-3 interviews with 1-4 interviewers, an optional phone screen, referrer,
cancellation, an offer or a rejection or nothing yet, and random noise.

Ground-truth conventions (see ``expected_notes``):
* interviewers are the non-declined individual ATTENDEEs of a held interview other
  than the user; the organizer is the scheduler (coordinator or recruiter), except
  for Calendly where the host is also an attendee and the interviewer;
* each interviewer sits in one interview only, so "one note per person per day"
  and "one note per (occasion, person)" agree;
* a cancelled interview with an offer outcome is always rescheduled (same people,
  later day), so the offer's set of people never depends on cancelled events; a
  cancelled interview without an offer has its own interviewers, owed nothing;
* offer: referrer, recruiter, coordinator (if they scheduled a held interview),
  hiring manager (if they appear in any message or event), held interviewers.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from thankful import demo_text as t
from thankful.core.model import Occasion
from thankful.core.model import Role
from thankful.demo_data import DemoData
from thankful.demo_data import ExpectedNote

WRITERS = ("human", "greenhouse", "lever", "workday", "ashby", "calendly", "goodtime")

FIRST = ("Amara", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Isabel",
         "Jonas", "Kavya", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sanjay",
         "Tessa", "Umar", "Vera", "Wei", "Yara", "Zane", "Priyanka", "Kwame", "Ingrid")
FIRST_INTL = ("Zoë", "José", "Søren", "Renée", "Łukasz", "Björn", "François", "Ayşe", "Chloé",
              "Mårten", "Anaïs", "Siobhán", "Jürgen", "Dalia")
LAST = ("Adler", "Brooks", "Castillo", "Dubois", "Eriksen", "Fischer", "Haddad", "Iyer",
        "Jansen", "Kowalski", "Larsen", "Mendes", "Nakamura", "O'Neill", "Petrov", "Rossi",
        "Tanaka", "Varga", "Xu", "Yilmaz", "Zimmermann", "Okafor", "Lindqvist", "Moreau")
LAST_INTL = ("García", "Schäfer", "Wójcik", "Núñez", "Ødegaard", "Côté", "Müller", "Şahin")
CO_A = ("Brightwater", "Quillfeather", "Ironbark", "Saltmarsh", "Copperleaf", "Lanternfish",
        "Tidewell", "Stonecrest", "Hollowpine", "Foxglove", "Bluefinch", "Marigold",
        "Cobaltline", "Driftwood", "Emberlight", "Ravensworth")
CO_B = ("Analytics", "Labs", "Systems", "Health", "Robotics", "Logistics", "Software",
        "Energy", "Bio", "Payments")
ROLES = ("Senior Data Engineer", "Backend Engineer", "Product Designer", "Staff Software "
         "Engineer", "Data Scientist", "Engineering Manager", "Site Reliability Engineer",
         "Product Manager", "Frontend Engineer", "Machine Learning Engineer")
TITLES = ("Software Engineer", "Senior Software Engineer", "Staff Engineer", "Product Manager",
          "Principal Engineer", "Data Scientist", "Product Designer", "Director of Engineering")
OFFICES = {
    "Europe/Berlin": "Torstraße 140, 10119 Berlin",
    "Europe/Paris": "18 rue de Londres, 75009 Paris",
    "Europe/London": "14 Clerkenwell Road, London EC1M 5PQ",
    "America/New_York": "250 Hudson Street, 9th floor, New York, NY 10013",
    "America/Chicago": "401 N Michigan Ave, Suite 1200, Chicago, IL 60611",
    "America/Los_Angeles": "600 Harrison St, San Francisco, CA 94107",
    "Australia/Sydney": "88 Cumberland St, The Rocks NSW 2000",
    "Asia/Kolkata": "Prestige Tech Park, Outer Ring Road, Bengaluru 560103",
    "Asia/Singapore": "1 Fusionopolis Way, #12-01, Singapore 138632",
    "Asia/Tokyo": "2-11-3 Meguro, Meguro-ku, Tokyo 153-0063",
}
IANA_TO_WINDOWS = {v: k for k, v in t.WINDOWS_ZONES.items()}
PRODIDS = {"human": "-//Google Inc//Google Calendar 70.9054//EN",
           "greenhouse": "-//Greenhouse Software//Interviews 2.0//EN",
           "lever": "-//Lever//Lever Interview Scheduling//EN",
           "workday": "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
           "ashby": "-//Ashby//Ashby Scheduling//EN", "calendly": "-//Calendly//Calendly//EN",
           "goodtime": "-//GoodTime.io//GoodTime Hire//EN"}


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, for a mailbox local part."""
    table: dict[str, str | int | None] = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss",
                                          "ı": "i", "æ": "ae", "'": ""}
    text = text.translate(str.maketrans(table))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalnum())


@dataclass(frozen=True)
class Who:
    """A person in the story."""

    name: str
    email: str
    title: str = ""

    @property
    def addr(self) -> t.Addr:
        """(display name, address) for mail headers."""
        return (self.name, self.email)


@dataclass
class Stage:
    """A phone screen or interview, as scheduled."""

    kind: str                       # "phone_screen" | "interview"
    mode: str                       # "phone" | "video" | "onsite"
    interviewers: list[Who]
    organizer: Who
    writer: str
    delivery: str                   # "mail" | "vdir" | "both"
    cancelled: bool = False
    extras: list[t.Party] = field(default_factory=list)
    event: t.Event | None = None


class _Gen:
    """One random story; ``run`` returns the DemoData."""

    def __init__(self, seed: int, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.rng, self.now, self.seed = random.Random(seed), now, seed
        self.used: set[str] = set()
        self.inbox: list[bytes] = []
        self.sent: list[bytes] = []
        self.cal: list[tuple[str, bytes]] = []
        self.user_tz = ZoneInfo(self.rng.choice(("Europe/Berlin", "Europe/London",
                                                 "America/New_York", "Asia/Kolkata")))
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        self.user = (f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}@example."
                     f"{self.rng.choice(('net', 'org', 'com'))}")
        self.used.update(self.user)
        a, b, c = self.rng.sample(CO_A, 3)
        b1, b2 = self.rng.sample(CO_B, 2)
        self.company, self.slug = f"{a} {b1}", _ascii(a)
        self.domain = self.rng.choice((f"{_ascii(a)}{_ascii(b1)}.com", f"{_ascii(a)}-hq.com",
                                       f"{_ascii(a)}-{_ascii(b1)}.com"))
        self.employer = f"{_ascii(b)}-{_ascii(b2)}.com"
        self.other_company = f"{c} {self.rng.choice(CO_B)}"
        self.role = self.rng.choice(ROLES)
        self.co_tz = self.rng.choice(t.ZONES)

    # -- helpers ---------------------------------------------------------------------------

    def person(self, domain: str | None = None, title: str = "") -> Who:
        """A new person with a unique address at ``domain`` (company by default)."""
        while True:
            intl = self.rng.random() < 0.3
            first = self.rng.choice(FIRST_INTL if intl else FIRST)
            last = self.rng.choice(LAST_INTL if intl and self.rng.random() < 0.5 else LAST)
            style = self.rng.choice(("{f}.{l}", "{f}{l}", "{f0}{l}", "{f}"))
            local = style.format(f=_ascii(first), l=_ascii(last), f0=_ascii(first)[0])
            email = f"{local}@{domain or self.domain}"
            if email not in self.used and f"{first} {last}" not in self.used:
                self.used |= {email, f"{first} {last}"}
                return Who(f"{first} {last}", email, title or self.rng.choice(TITLES))

    def mid(self, label: str, domain: str, style: str = "plain") -> str:
        """A deterministic Message-ID."""
        return t.msgid(f"{self.seed}|{label}|{self.now.isoformat()}", domain, style)

    def at(self, day: date, tz: ZoneInfo, hours: tuple[int, ...] = (9, 10, 11, 13, 14, 15, 16)
           ) -> datetime:
        """A business-hours moment on ``day`` in ``tz``."""
        return datetime.combine(day, time(self.rng.choice(hours), self.rng.choice((0, 30))), tz)

    def before(self, moment: datetime, lo: float, hi: float) -> datetime:
        """A moment ``lo``-``hi`` hours before ``moment``, whole minutes."""
        out = moment - timedelta(minutes=self.rng.randint(int(lo * 60), int(hi * 60)))
        return out.replace(second=0, microsecond=0)

    def deliver(self, **kw: object) -> None:
        """Append an inbox message (mail() arguments)."""
        self.inbox.append(t.mail(delivered_to=self.user[1], **kw))  # type: ignore[arg-type]

    def reply(self, parent: tuple[str, t.Addr, datetime, str, str], to: Who, text: str) -> None:
        """Sometimes the user answers a scheduling mail; never a thank-you for an interview."""
        pid, psender, pdate, ptext, subject = parent
        when = (pdate + timedelta(minutes=self.rng.randint(15, 240))).astimezone(self.user_tz)
        body = f"{text}\n\nBest,\n{self.user[0].split()[0]}\n\n" + t.reply_quote(
            f"{psender[0]} <{psender[1]}>", pdate, ptext)
        self.sent.append(t.mail(sender=self.user, to=[to.addr], date=when,
                                subject=f"Re: {subject}", text=body, in_reply_to=pid,
                                message_id=self.mid(f"re{pid}", "mail.gmail.com", "gmail")))

    # -- the story -------------------------------------------------------------------------

    def run(self) -> DemoData:
        """Build everything and the ground truth."""
        rng = self.rng
        self.recruiter = self.person(title="Talent Acquisition Partner")
        self.coordinator = (self.person(title="Recruiting Coordinator")
                            if rng.random() < 0.7 else None)
        self.hm = self.person(title=f"Head of {rng.choice(('Data', 'Engineering', 'Product'))}")
        self.hm_seen = False
        self.outcome = rng.choices(("offer", "rejection", "none"), (0.45, 0.35, 0.2))[0]
        self.referrer = (self.person(domain=rng.choice(("gmail.com", "outlook.com",
                                                        "proton.me", "fastmail.com")),
                                     title="friend") if rng.random() < 0.4 else None)
        stages = self.plan()
        days = sorted(rng.sample(self.candidate_days(), len(stages)))
        first_sent = self.now
        for stage, day in zip(stages, days, strict=False):
            sent_at = self.schedule(stage, day)
            first_sent = min(first_sent, sent_at)
        self.opening(first_sent)
        self.outcome_mail()
        self.noise()
        rng.shuffle(self.inbox)
        return DemoData(identity_name=self.user[0], addresses=(self.user[1],),
                        employer_domains=(self.employer,), timezone=str(self.user_tz),
                        inbox=tuple(self.inbox), sent=tuple(self.sent), calendar=tuple(self.cal),
                        expected_notes=self.expected(stages))

    def candidate_days(self) -> list[date]:
        """Weekdays from 20 to 3 days before now (user's calendar)."""
        today = self.now.astimezone(self.user_tz).date()
        days = [today - timedelta(days=n) for n in range(3, 21)]
        return [d for d in days if d.weekday() < 5]

    def plan(self) -> list[Stage]:
        """The phone screen and interviews, in order, including a cancelled one maybe."""
        rng = self.rng
        stages: list[Stage] = []
        if rng.random() < 0.8:
            stages.append(Stage("phone_screen", "phone", [], self.recruiter,
                                rng.choice(("human", "calendly", "greenhouse", "goodtime")),
                                rng.choice(("mail", "mail", "both"))))
        n = rng.randint(1, 3)
        hm_at = rng.randrange(n) if rng.random() < 0.6 else -1
        for i in range(n):
            people = [self.person() for _ in range(rng.randint(1, 4))]
            if i == hm_at:
                people[-1] = self.hm
                self.hm_seen = True
            writer = rng.choice(WRITERS if len(people) == 1 else WRITERS[:5] + WRITERS[6:])
            scheduler = self.coordinator or self.recruiter
            st = Stage("interview", rng.choice(("phone", "video", "video", "onsite")), people,
                       people[0] if writer == "calendly" else scheduler, writer,
                       rng.choice(("mail", "vdir", "both")))
            if rng.random() < 0.35:
                st.extras.append(t.Party(*self.person().addr, partstat="DECLINED",
                                         role=rng.choice(("OPT-PARTICIPANT", "REQ-PARTICIPANT"))))
            if st.mode == "onsite" or rng.random() < 0.2:
                room = f"{self.slug[:3].upper()}-{rng.randint(1, 9)}F-{rng.choice(CO_A)} (8)"
                st.extras.append(t.Party(room, f"c_{t.digest(room, self.seed, n=16)}@resource."
                                         "calendar.google.com", "ACCEPTED",
                                         rng.choice(("ROOM", "RESOURCE")), "NON-PARTICIPANT"))
            stages.append(st)
        if rng.random() < 0.3:
            i = rng.randrange(len(stages) - n, len(stages))
            held = stages[i]
            people = held.interviewers if self.outcome == "offer" else [
                self.person() for _ in range(rng.randint(1, 3))]
            writer = held.writer if held.writer != "calendly" or len(people) == 1 else "human"
            org = people[0] if writer == "calendly" else held.organizer
            stages.insert(i, Stage("interview", held.mode, list(people), org, writer,
                                   rng.choice(("mail", "vdir", "both")), cancelled=True))
        return stages

    def schedule(self, st: Stage, day: date) -> datetime:
        """Write the stage's invite mail and/or vdir event (and cancellation); its sent time."""
        rng, writer = self.rng, st.writer
        tzname = self.co_tz
        start = self.at(day, ZoneInfo(tzname))
        minutes = 30 if st.kind == "phone_screen" else (
            rng.choice((180, 240, 300)) if st.mode == "onsite" else rng.choice((45, 60, 90)))
        tzid: str | None = tzname
        if writer in ("calendly", "ashby") and rng.random() < 0.6:
            tzid = None
        elif writer in ("workday", "goodtime") and tzname in IANA_TO_WINDOWS:
            tzid = IANA_TO_WINDOWS[tzname]
        sent_at = self.before(start, 20, 96).astimezone(UTC)
        who = ", ".join(f"{p.name} ({p.title})" for p in st.interviewers)
        if st.mode == "phone":
            number = f"+{rng.randint(1, 91)} {rng.randint(200, 899)} 555 {rng.randint(1000, 9999)}"
            location = f"Phone call: {st.organizer.name if st.kind == 'phone_screen' else who}" \
                       f" will call you at {number}"
        elif st.mode == "video":
            location = rng.choice((f"https://{self.slug}.zoom.us/j/{rng.randint(10**10, 10**11)}",
                                   f"https://meet.google.com/{t.digest(day, self.seed, n=3)}-"
                                   f"{t.digest(day, n=4)}-{t.digest(self.seed, n=3)}",
                                   "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
                                   f"{t.digest(day, self.seed, n=24)}%40thread.v2/0"))
        else:
            location = f"{self.company}, {OFFICES[tzname]}"
        if st.kind == "phone_screen":
            summary = rng.choice((f"Phone screen: {self.user[0]} / {self.company}",
                                  f"{self.company} - Intro call ({self.role})",
                                  f"30 Minute Recruiter Phone Screen with {st.organizer.name}"))
        else:
            label = {"phone": "Technical phone interview", "video": "Video interview",
                     "onsite": "On-site interview"}[st.mode]
            summary = rng.choice((f"{label}: {self.user[0]} - {self.role}",
                                  f"{self.company} {label.lower()} ({self.role})",
                                  f"Interview with {self.company}"))
        parties = [*st.interviewers] if st.kind == "interview" else [st.organizer]
        me = self.user[1] if rng.random() < 0.8 else self.user[1].title()
        attendees = [t.Party(p.name, p.email, "ACCEPTED") for p in parties]
        attendees.insert(rng.randint(0, len(attendees)), t.Party(self.user[0], me, rsvp=True))
        uid = rng.choice((f"{t.digest(self.seed, day, summary, n=26)}@google.com",
                          f"{writer}-{t.digest(self.seed, day, n=20)}@{writer}.io"))
        st.event = t.Event(uid=uid, start=start, end=start + timedelta(minutes=minutes),
                           tzid=tzid, summary=summary, dtstamp=sent_at, location=location,
                           description=f"{self.role} at {self.company}\nWith: {who or 'us'}\n"
                                       f"Location: {location}",
                           organizer=t.Party(*st.organizer.addr),
                           attendees=(*attendees, *st.extras))
        if st.delivery in ("mail", "both"):
            self.invite_mail(st, sent_at)
        cancel_at = max(self.before(start, 2, 30).astimezone(UTC), sent_at + timedelta(hours=1))
        dead = replace(st.event, sequence=1, status="CANCELLED", dtstamp=cancel_at)
        if st.delivery in ("vdir", "both"):
            mine = tuple(replace(a, partstat="ACCEPTED", rsvp=False) if a.email == me else a
                         for a in st.event.attendees)
            ev = replace(dead if st.cancelled else st.event, attendees=mine)
            self.cal.append((f"{t.digest(uid, n=24)}.ics", t.ics([ev], prodid=PRODIDS["human"])))
        if st.cancelled and (st.delivery == "mail" or rng.random() < 0.6):
            self.cancel_mail(st, dead)
        return sent_at

    def sender_for(self, st: Stage) -> tuple[t.Addr, list[t.Addr], str]:
        """(From, Reply-To, Message-ID domain) in the writer's conventions."""
        org, co = st.organizer, self.company
        return {
            "human": (org.addr, [], self.domain),
            "greenhouse": ((f"{co} via Greenhouse", "no-reply@us.greenhouse-mail.io"),
                           [org.addr], "us.greenhouse-mail.io"),
            "lever": ((co, "no-reply@hire.lever.co"), [org.addr], "hire.lever.co"),
            "workday": ((co, f"{self.slug}@myworkday.com"), [], "myworkday.com"),
            "ashby": ((f"{co} Recruiting", "no-reply@ashbyhq.com"), [org.addr], "ashbyhq.com"),
            "calendly": (("Calendly", "notifications@calendly.com"), [org.addr], "calendly.com"),
            "goodtime": ((f"{org.name} via GoodTime", "no-reply@goodtime.io"), [org.addr],
                         "goodtime.io"),
        }[st.writer]

    def invite_mail(self, st: Stage, sent_at: datetime) -> None:
        """The scheduling mail, with the event as a text/calendar part or .ics attachment."""
        assert st.event is not None
        ev, rng, w = st.event, self.rng, st.writer
        sender, reply_to, dom = self.sender_for(st)
        local = ev.start.astimezone(ZoneInfo(self.co_tz))
        when = f"{t.long_date(local)}, {t.clock(local)} ({self.co_tz})"
        lines = "\n".join(f"  {p.name}, {p.title}" for p in st.interviewers)
        first = self.user[0].split()[0]
        what = "phone screen" if st.kind == "phone_screen" else f"{st.mode} interview"
        details = (f"When: {when}\nDuration: {int((ev.end - ev.start).seconds / 60)} minutes\n"
                   f"Where: {ev.location}\n" + (f"Interviewers:\n{lines}\n" if lines else ""))
        sig = f"{st.organizer.name}\n{st.organizer.title} | {self.company}"
        subject = {
            "human": f"{self.company}: {what} for {self.role}",
            "greenhouse": f"Interview Confirmation for {self.role}",
            "lever": f"Interview confirmed - {self.company}",
            "workday": f"Interview Scheduled: {self.role} (R{rng.randint(10000, 99999)})",
            "ashby": f"Your interview with {self.company} is confirmed",
            "calendly": f"Confirmed: {ev.summary} with {st.organizer.name} on "
                        f"{t.long_date(local)}",
            "goodtime": f"Interview Confirmation: {self.company} - {self.role}",
        }[w]
        text = (f"Hi {first},\n\n" + (
            f"Great speaking with you! As promised, here's an invite for our {what} about the "
            f"{self.role} role.\n\n" if w == "human" else
            f"A new event has been scheduled.\n\nEvent type: {ev.summary}\n\n" if w == "calendly"
            else f"Your {what} for the {self.role} position at {self.company} is confirmed.\n\n")
            + details + ("\nNeed to make changes? Cancel or reschedule: https://calendly.com/"
                         f"cancellations/{t.digest(ev.uid, n=12)}\n" if w == "calendly" else
                         f"\nIf you need to reschedule, please reply to this email.\n\n{sig}\n"))
        html = "<html><body>" + text.replace("\n", "<br>\n") + "</body></html>"
        data = t.ics([ev], method="REQUEST", prodid=PRODIDS[w])
        kw: dict[str, object] = {}
        if w in ("human", "ashby", "goodtime"):
            kw["calendar"] = ("REQUEST", data)
            if w == "human" and rng.random() < 0.5:
                kw["attachments"] = [("invite.ics", "application/ics", data)]
        else:
            name = {"workday": "Interview.ics", "lever": "interview.ics"}.get(w, "invite.ics")
            ctype = "application/ics" if w in ("calendly", "lever") else "text/calendar"
            kw["attachments"] = [(name, ctype, data)]
        mid = self.mid(f"invite{ev.uid}", dom, "gmail" if w == "human" else "plain")
        self.deliver(sender=sender, reply_to=reply_to, to=[self.user], date=sent_at,
                     subject=subject, message_id=mid,
                     text=None if w == "workday" else text,
                     html=html if w in ("workday", "greenhouse", "calendly", "goodtime") or
                     rng.random() < 0.3 else None, **kw)
        if w != "workday" and rng.random() < 0.5:
            self.reply((mid, sender, sent_at, text, subject), st.organizer,
                       f"Hi {st.organizer.name.split()[0]},\n\nConfirmed, {when} works for me."
                       " Looking forward to it.")

    def cancel_mail(self, st: Stage, dead: t.Event) -> None:
        """A METHOD:CANCEL message for the stage (same UID, higher SEQUENCE)."""
        sender, reply_to, dom = self.sender_for(st)
        subject = (f"Canceled event: {dead.summary}" if st.writer == "human"
                   else f"Interview Cancelled: {self.role} at {self.company}")
        text = (f"Hi {self.user[0].split()[0]},\n\nUnfortunately we need to cancel the interview "
                f"scheduled for {t.long_date(dead.start)}. We'll be in touch to find a new "
                f"time.\n\nApologies for the inconvenience,\n{st.organizer.name}\n")
        self.deliver(sender=sender, reply_to=reply_to, to=[self.user], date=dead.dtstamp,
                     subject=subject, text=text,
                     message_id=self.mid(f"cancel{dead.uid}", dom),
                     calendar=("CANCEL", t.ics([dead], method="CANCEL",
                                               prodid=PRODIDS[st.writer])))

    def opening(self, first_sent: datetime) -> None:
        """The referral intro (maybe) and the recruiter's first mail, before any invite."""
        rec, tz = self.recruiter, ZoneInfo(self.co_tz)
        out_at = self.before(first_sent, 24, 72).astimezone(tz)
        if self.referrer is not None:
            ref = self.referrer
            target = self.hm if self.rng.random() < 0.6 else rec
            self.hm_seen |= target is self.hm
            tf, uf = target.name.split()[0], self.user[0].split()[0]
            text = (f"{tf}, meet {self.user[0]}! We worked together for years and {uf} is "
                    f"exploring new roles. I think {uf} would be great for your {self.role} "
                    f"opening.\n\n{uf}, {tf} is {target.title} at {self.company}. I passed your "
                    f"résumé on already.\n\nI'll let you two take it from here.\n{ref.name}")
            intro_at = self.before(out_at, 24, 60)
            self.deliver(sender=ref.addr, to=[target.addr], cc=[self.user], date=intro_at,
                         subject=f"Intro: {self.user[0]} <> {target.name} ({self.company})",
                         message_id=self.mid("intro", "mail.gmail.com", "gmail"), text=text)
        text = (f"Hi {self.user[0].split()[0]},\n\nI'm a recruiter at {self.company} and I'd "
                f"love to tell you about our {self.role} opening. Would you be open to a quick "
                f"chat this week?\n\nBest,\n{rec.name}\n{rec.title}\n{self.company}\n")
        self.deliver(sender=rec.addr, to=[self.user], date=out_at, text=text,
                     subject=f"{self.role} at {self.company}",
                     message_id=self.mid("outreach", self.domain, "gmail"))

    def outcome_mail(self) -> None:
        """The offer (recruiter or hiring manager, with a PDF) or a rejection, or nothing."""
        rng, first = self.rng, self.user[0].split()[0]
        when = (self.now - timedelta(days=1, minutes=rng.randint(0, 360))).replace(
            second=0, microsecond=0).astimezone(ZoneInfo(self.co_tz))
        if self.outcome == "offer":
            frm, cc = ((self.recruiter, self.hm) if rng.random() < 0.7
                       else (self.hm, self.recruiter))
            self.hm_seen = True
            text = (f"Hi {first},\n\nI'm delighted to offer you the position of {self.role} at "
                    f"{self.company}! The whole team enjoyed meeting you. Your offer letter is "
                    f"attached; let us know if you have any questions.\n\nWarm regards,\n"
                    f"{frm.name}\n{frm.title} | {self.company}\n")
            pdf = t.fake_pdf(f"Offer Letter - {self.user[0]}", [
                f"Dear {self.user[0]},", f"We are pleased to offer you the role of {self.role}."])
            self.deliver(sender=frm.addr, to=[self.user], cc=[cc.addr], date=when, text=text,
                         subject=rng.choice((f"Offer: {self.role} at {self.company}",
                                             f"Your offer from {self.company}")),
                         message_id=self.mid("offer", self.domain, "gmail"),
                         attachments=[(f"Offer Letter - {self.user[0]}.pdf", "application/pdf",
                                       pdf)])
        elif self.outcome == "rejection":
            text = (f"Hi {first},\n\nThank you for taking the time to interview for the "
                    f"{self.role} role. After careful consideration we have decided to move "
                    f"forward with other candidates. We wish you the best in your search.\n\n"
                    f"{self.company} Recruiting\n")
            sender = (self.recruiter.addr if rng.random() < 0.5 else
                      (f"{self.company} via Greenhouse", "no-reply@us.greenhouse-mail.io"))
            self.deliver(sender=sender, to=[self.user], date=when, text=text,
                         subject=f"Update on your application for {self.role}",
                         message_id=self.mid("reject", sender[1].split("@")[1]))

    def noise(self) -> None:
        """Random mail and events that owe nothing."""
        rng, tz = self.rng, self.user_tz
        days = self.candidate_days()
        kinds = rng.sample(("newsletter", "newsletter", "job_alert", "shop", "ack", "employer",
                            "webinar"), rng.randint(2, 6))
        for i, kind in enumerate(kinds):
            when = self.at(rng.choice(days), tz, (7, 8, 12, 18, 20))
            if kind == "newsletter":
                self.inbox.append(t.newsletter(self.user, when, rng.randrange(3) + i))
            elif kind == "job_alert":
                self.inbox.append(t.job_alert(self.user, when, i, rng.randint(5, 60)))
            elif kind == "shop":
                self.inbox.append(t.shop_promo(self.user, when, rng.randrange(4)))
            elif kind == "ack":
                self.inbox.append(t.ats_ack(self.user, when, self.other_company,
                                            rng.choice(ROLES), rng.choice(tuple(t.ATS_SENDERS))))
            elif kind == "webinar":
                self.inbox.append(t.webinar(self.user, self.before(when, 96, 200), when,
                                            rng.randrange(2)))
            else:
                mate = self.person(domain=self.employer)
                others = tuple(self.person(domain=self.employer).addr
                               for _ in range(rng.randint(0, 2)))
                start = self.at(min(days), tz)
                raw, vdir = t.employer_meeting(self.user, mate.addr, others, start,
                                               self.before(start, 24, 100), str(tz),
                                               rng.randrange(4), rng.random() < 0.5)
                self.inbox.append(raw)
                self.cal.append((f"{t.digest(self.seed, 'emp', n=24)}.ics", vdir))

    # -- ground truth ----------------------------------------------------------------------

    def expected(self, stages: list[Stage]) -> tuple[ExpectedNote, ...]:
        """One ExpectedNote per (occasion, person), by the product rules."""
        def role(p: Who) -> Role:
            if p is self.hm:
                return "hiring_manager"
            if p is self.recruiter:
                return "recruiter"
            return "coordinator" if p is self.coordinator else "interviewer"

        def note(occasion: Occasion, p: Who, r: Role | None = None) -> ExpectedNote:
            return ExpectedNote(occasion=occasion, company=self.company, email=p.email,
                                name=p.name, role=r or role(p))
        held = [s for s in stages if not s.cancelled]
        notes = [note("phone_screen", self.recruiter) for s in held if s.kind == "phone_screen"]
        interviewers = [p for s in held for p in s.interviewers]
        notes += [note("interview", p) for p in interviewers]
        if self.outcome == "offer":
            involved: list[Who] = [self.recruiter, *interviewers]
            if self.coordinator and any(s.organizer is self.coordinator for s in held):
                involved.append(self.coordinator)
            if self.hm_seen and self.hm not in involved:
                involved.append(self.hm)
            notes += [note("offer", p) for p in involved]
            if self.referrer is not None:
                notes.append(note("offer", self.referrer, "referrer"))
        return tuple(sorted(set(notes), key=lambda n: (n.occasion, n.email or "")))


def generate(seed: int, now: datetime) -> DemoData:
    """A random job search (deterministic per ``seed`` and ``now``), all before ``now``."""
    return _Gen(seed, now).run()
