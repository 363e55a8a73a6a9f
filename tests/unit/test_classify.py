"""classify_message / classify_events on human and ATS templates, hard negatives and extraction."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from thankful.core import extract
from thankful.core import lexicon
from thankful.core.classify import SURE_THRESHOLD
from thankful.core.classify import classify_events
from thankful.core.classify import classify_message
from thankful.core.model import Attendee
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import MailItem
from thankful.core.parse_mail import parse_message

ME = "alex.morgan@example.net"
WORK = "alex.morgan@globex.com"
IDENT = Identity(name="Alex Morgan", addresses=frozenset({ME, WORK}),
                 employer_domains=frozenset({"globex.com"}), timezone=ZoneInfo("Europe/Berlin"))
START = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)
ACME = "acme-robotics.com"
JANE = ("Jane Doe", f"jane.doe@{ACME}")
TOM = ("Tom Becker", f"tom.becker@{ACME}")


def mail(
    text: str | None,
    *,
    subject: str,
    sender: str,
    to: str = f"Alex Morgan <{ME}>",
    cc: str | None = None,
    reply_to: str | None = None,
    html: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    attachments: tuple[tuple[bytes, str, str, str], ...] = (),
) -> MailItem:
    """A message as the daemon sees it: built, serialised and parsed again."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 04 Mar 2024 10:00:00 +0100"
    msg["Message-ID"] = "<t1@test>"
    for name, value in headers:
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(html or "", subtype="html")
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return parse_message(msg.as_bytes())


def att(name: str, email: str | None, partstat: str = "ACCEPTED", cutype: str = "INDIVIDUAL",
        ) -> Attendee:
    return Attendee(name=name, email=email, partstat=partstat, cutype=cutype)


def event(
    summary: str,
    *,
    organizer: tuple[str, str] | None = TOM,
    attendees: tuple[Attendee, ...] = (att("Alex Morgan", ME, "NEEDS-ACTION"),),
    description: str = "",
    location: str = "",
    method: str | None = "REQUEST",
    cancelled: bool = False,
    hours: int = 0,
) -> CalEvent:
    return CalEvent(
        uid=f"{summary}@test", start=START + timedelta(hours=hours),
        end=START + timedelta(hours=hours + 1), summary=summary, description=description,
        location=location, organizer=att(*organizer) if organizer else None,
        attendees=attendees, method=method, cancelled=cancelled,
        status="CANCELLED" if cancelled else "CONFIRMED",
    )


@dataclass(frozen=True)
class Expect:
    """What a detection must show; None means "not checked"."""

    kind: str
    sure: bool | None = None
    mode: str | None = None
    occasion: str | None = None
    company: str | None = None
    role_title: str | None = None
    #: (name, email, role) triples that must be among the people.
    people: tuple[tuple[str, str | None, str], ...] = ()
    #: Addresses or names that must not be among the people.
    not_people: tuple[str, ...] = ()
    reason: str | None = None


def check(det: Detection, want: Expect) -> None:
    info = f"{det.kind} {det.confidence} {det.reasons}"
    assert det.kind == want.kind, info
    assert 0.0 <= det.confidence <= 1.0
    assert det.reasons, "every decision carries reasons"
    if want.sure is not None:
        assert det.sure is want.sure, info
    for attr in ("mode", "occasion", "company", "role_title"):
        value = getattr(want, attr)
        if value is not None:
            assert getattr(det, attr) == value, f"{attr}: {getattr(det, attr)!r} ({info})"
    got = {(p.name, p.email, p.role) for p in det.people}
    for person in want.people:
        assert person in got, f"{person} not in {got}"
    for who in want.not_people:
        assert all(who not in (p.email, p.name) for p in det.people), f"{who} in {got}"
    assert all(not IDENT.is_me(p.email) for p in det.people)
    if want.reason:
        assert any(want.reason in r for r in det.reasons), det.reasons


Case = Callable[[], tuple[MailItem, tuple[CalEvent, ...]]]
CASES: dict[str, tuple[Case, Expect]] = {}


def case(want: Expect) -> Callable[[Case], Case]:
    """Register a template under its function name with what it must yield."""
    def register(fn: Case) -> Case:
        CASES[fn.__name__] = (fn, want)
        return fn
    return register


# --- interview invitations --------------------------------------------------------------------


@case(Expect("interview_invite", sure=True, mode="phone", occasion="phone_screen",
             company="Acme Robotics", role_title="Senior Data Engineer",
             people=(("Jane Doe", JANE[1], "recruiter"),)))
def human_phone_screen() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nThanks for applying for the Senior Data Engineer role at Acme Robotics! "
        "I'd love to schedule a 30-minute phone screen to learn more about you. Would Tuesday "
        "at 2pm CET work? I'll call you at +49 151 5550 1234.\n\nBest,\nJane Doe\n"
        "Technical Recruiter | Acme Robotics\n",
        subject="Next steps: Senior Data Engineer at Acme Robotics",
        sender=f"Jane Doe <{JANE[1]}>"), ()


@case(Expect("interview_invite", sure=True, mode="video", occasion="interview",
             company="Acme Robotics", role_title="Senior Data Engineer",
             people=(("Tom Becker", TOM[1], "coordinator"),
                     ("Zoë Brandt", f"zoe.brandt@{ACME}", "interviewer"),
                     ("Marcus Chen", f"marcus.chen@{ACME}", "interviewer")),
             not_people=(f"lena.hoffmann@{ACME}", "Conf Room 4B", "no-reply@us.greenhouse-mail.io",
                         "c_188@resource.calendar.google.com"),
             reason="METHOD:REQUEST"))
def greenhouse_video() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail(
        "Hi Alex,\n\nYour interview for the Senior Data Engineer position at Acme Robotics has "
        "been confirmed.\n\nWhen: Tuesday, March 12, 2024, 10:00 - 11:00 CET\n"
        "Where: https://acme.zoom.us/j/123456789\n\nYou'll meet with Zoë Brandt (Staff Engineer) "
        "and Marcus Chen.\n\nBest,\nTom Becker\nRecruiting Coordinator\n",
        subject="Interview Confirmation for Senior Data Engineer",
        sender="Acme Robotics <no-reply@us.greenhouse-mail.io>", reply_to=f"Tom Becker <{TOM[1]}>")
    ev = event("Interview: Alex Morgan - Senior Data Engineer", location="https://acme.zoom.us/j/1",
               attendees=(att("Alex Morgan", ME, "NEEDS-ACTION"), att("Zoë Brandt", f"zoe.brandt@{ACME}"),
                          att("", f"marcus.chen@{ACME}"),
                          att("Lena Hoffmann", f"lena.hoffmann@{ACME}", "DECLINED"),
                          att("Conf Room 4B", None), att("BER-5F", "c_188@resource.calendar.google.com",
                                                         cutype="RESOURCE")))
    return item, (ev,)


@case(Expect("interview_invite", sure=True, mode="onsite", occasion="interview",
             company="Acme Robotics", role_title="Backend Engineer",
             people=(("Priya Shah", None, "interviewer"), ("Tom Lee", None, "interviewer")),
             not_people=("no-reply@hire.lever.co",)))
def lever_onsite() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nYour onsite interview for Backend Engineer is confirmed for Thursday at "
        "10:00 at our office, 600 Harrison St, San Francisco.\n\nYour interviewers:\n"
        "- Priya Shah (Engineering Manager)\n- Tom Lee\n\nPosting: "
        "https://jobs.lever.co/acme-robotics/4b1c\n",
        subject="Interview confirmed - Acme Robotics", sender="Acme <no-reply@hire.lever.co>"), ()


@case(Expect("interview_invite", sure=True, mode="video", company="Acme Robotics",
             role_title="Senior Data Engineer",
             people=(("Maya Varga", f"maya.varga@{ACME}", "recruiter"),
                     ("Hiro Iyer", f"hiro.iyer@{ACME}", "interviewer")),
             not_people=("acmerobotics@myworkday.com",)))
def workday_video() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail(
        "Dear Alex Morgan,\n\nAn interview has been scheduled for the Senior Data Engineer "
        "position (R12345).\n\nDate: March 12, 2024\nTime: 10:00 AM CET\n\n"
        "Please do not reply to this email.\n",
        subject="Interview Scheduled: Senior Data Engineer (R12345)",
        sender="Acme Robotics <acmerobotics@myworkday.com>")
    ev = event("Interview - Senior Data Engineer", organizer=("Maya Varga", f"maya.varga@{ACME}"),
               location="Microsoft Teams Meeting",
               attendees=(att("Alex Morgan", ME), att("Hiro Iyer", f"hiro.iyer@{ACME}"),
                          att("Maya Varga", f"maya.varga@{ACME}")))
    return item, (ev,)


@case(Expect("interview_invite", sure=True, mode="video", occasion="interview",
             company="Acme Robotics", role_title="Staff Software Engineer",
             people=(("Wei Haddad", None, "interviewer"), ("François Wójcik", None, "interviewer"))))
def ashby_video() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nYour technical interview for the Staff Software Engineer role is confirmed "
        "for Monday, March 11 at 3:00 PM CET.\n\nJoin: https://meet.google.com/abc-defg-hij\n\n"
        "Interviewers: Wei Haddad, François Wójcik\n\nGood luck!\nThe Acme Robotics Recruiting Team\n",
        subject="Your interview with Acme Robotics is confirmed",
        sender="Acme Robotics <no-reply@ashbyhq.com>"), ()


@case(Expect("interview_invite", sure=True, mode="phone", occasion="phone_screen",
             company="Acme Robotics", people=(("Jane Doe", JANE[1], "recruiter"),),
             not_people=("notifications@calendly.com",)))
def calendly_phone_screen() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail(
        "Hi Alex Morgan,\n\nYour Phone Screen with Jane Doe at 14:00 (Europe/Berlin) on "
        "Tuesday, March 5, 2024 is scheduled.\n\nEvent Type: Phone Screen\n"
        "Location: Jane Doe will call you at +49 151 5550 1234\n\nCancel or Reschedule\n",
        subject="Confirmed: Phone Screen with Jane Doe on Tuesday, March 5, 2024",
        sender="Calendly <notifications@calendly.com>")
    ev = event("Phone Screen between Jane Doe and Alex Morgan", organizer=JANE,
               location="+49 151 5550 1234",
               attendees=(att("Alex Morgan", ME), att("Jane Doe", JANE[1])))
    return item, (ev,)


@case(Expect("interview_invite", sure=True, mode="onsite", occasion="interview",
             company="Acme Robotics", role_title="Senior Data Engineer",
             people=(("Priya Shah", None, "hiring_manager"), ("Tom Lee", None, "interviewer")),
             not_people=("no-reply@goodtime.io",)))
def goodtime_onsite() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nHere is your interview schedule for Thursday, March 14, 2024 (CET):\n\n"
        "10:00 - 10:45  Priya Shah, Engineering Manager (hiring manager)\n"
        "10:45 - 11:30  Tom Lee, Senior Data Engineer\n\n"
        "Location: 250 Hudson Street, 9th floor, New York\n\nSee you soon,\nAcme Robotics Recruiting\n",
        subject="Interview Confirmation: Acme Robotics - Senior Data Engineer",
        sender="Acme Robotics Recruiting <no-reply@goodtime.io>"), ()


@case(Expect("interview_invite", sure=True, mode="video", company="Acme Robotics",
             role_title="Data Scientist",
             people=(("Zoë Brandt", f"zoe.brandt@{ACME}", "hiring_manager"),)))
def html_only_invite() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        None, html=(
            "<html><body><p>Hi Alex,</p><p>We&#39;d like to invite you to a video interview for "
            "the Data Scientist role on Friday at 11:00.</p><p><a href=\"https://meet.google.com/"
            "abc-defg-hij\">Join with Google Meet</a></p><p>Zo&euml; Brandt<br>Hiring Manager, "
            "Acme Robotics</p></body></html>"),
        subject="Interview invitation", sender=f"Zoë Brandt <zoe.brandt@{ACME}>"), ()


@case(Expect("interview_invite", sure=True, occasion="phone_screen",
             people=(("José Müller", f"jose.muller@{ACME}", "recruiter"),)))
def non_ascii_sender() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hallo Alex,\n\nwe'd like to invite you to a phone screen on Monday. Please let me know "
        "your availability.\n\nJosé Müller\nTalent Acquisition\n",
        subject="Phone screen – Acme Robotics", sender=f"José Müller <jose.muller@{ACME}>"), ()


@case(Expect("interview_invite", sure=True, company="Acme Robotics", reason="Auto-Submitted"))
def auto_generated_calendar_invite() -> tuple[MailItem, tuple[CalEvent, ...]]:
    # ATS schedulers mark invitations auto-generated: a calendar interview still counts.
    item = mail("Please find your interview invitation attached.", subject="Invitation: Interview",
                sender="scheduling@acme-robotics.com",
                headers=(("Auto-Submitted", "auto-generated"),))
    return item, (event("Interview with Acme Robotics"),)


@case(Expect("interview_invite", reason="cancelled"))
def cancelled_interview() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail("This event has been canceled.", subject="Canceled: Interview with Acme Robotics",
                sender=f"Tom Becker <{TOM[1]}>")
    return item, (event("Interview with Acme Robotics", method="CANCEL", cancelled=True),)


# --- offers, referrals, outreach, rejections ---------------------------------------------------


@case(Expect("offer", sure=True, occasion="offer", company="Acme Robotics",
             people=(("Jane Doe", None, "recruiter"),), not_people=("dse_na2@docusign.net",)))
def docusign_offer() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Jane Doe sent you a document to review and sign.\n\nREVIEW DOCUMENT\n\nJane Doe\n"
        f"{JANE[1]}\n\nHi Alex, please review and sign your offer letter. Welcome aboard!\n\n"
        "Do Not Share This Email\n",
        subject="Please DocuSign: Acme Robotics Offer Letter - Alex Morgan",
        sender="Jane Doe via DocuSign <dse_na2@docusign.net>"), ()


@case(Expect("offer", sure=True, occasion="offer", company="Acme Robotics",
             role_title="Senior Data Engineer",
             people=(("Priya Shah", f"priya.shah@{ACME}", "recruiter"),),
             reason="attachment 'Offer Letter - Alex Morgan.pdf'"))
def pdf_offer_letter() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nCongratulations! We are delighted to extend you an offer for the Senior Data "
        "Engineer position. Details are in the attached letter; please sign it by Friday.\n\n"
        "Priya Shah\nHead of Talent\n",
        subject="Your offer from Acme Robotics", sender=f"Priya Shah <priya.shah@{ACME}>",
        attachments=((b"%PDF-1.4 offer", "application", "pdf", "Offer Letter - Alex Morgan.pdf"),)), ()


@case(Expect("referral_intro", sure=True, company="Acme Robotics",
             people=(("Sam Okafor", "sam.okafor@gmail.com", "referrer"),
                     ("Priya Shah", f"priya.shah@{ACME}", "hiring_manager"))))
def referral_intro() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Priya, meet Alex! Alex and I worked together for three years.\n\nAlex, Priya is the "
        "hiring manager for the data platform team at Acme Robotics. I passed your résumé along "
        "last week.\n\nI'll let you two take it from here.\n\nSam\n",
        subject="Intro: Alex <> Priya (Acme Robotics)", sender="Sam Okafor <sam.okafor@gmail.com>",
        to=f"Alex Morgan <{ME}>, Priya Shah <priya.shah@{ACME}>"), ()


@case(Expect("recruiter_outreach", company="Acme Robotics",
             people=(("Jane Doe", None, "recruiter"),), not_people=("inmail-hit-reply@linkedin.com",)))
def linkedin_outreach() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nI came across your profile and was impressed by your work on streaming "
        "pipelines. I'm a technical recruiter at Acme Robotics and we're hiring a Staff Data "
        "Engineer. Would you be open to a quick chat?\n\nJane\n",
        subject="Opportunity at Acme Robotics",
        sender="Jane Doe via LinkedIn <inmail-hit-reply@linkedin.com>"), ()


@case(Expect("recruiter_outreach", company="Acme Robotics", role_title="Staff Data Engineer",
             people=(("Jane Doe", JANE[1], "recruiter"),)))
def human_outreach() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nI'm reaching out about an exciting opportunity: we're looking for a Staff "
        "Data Engineer to lead our pipelines team. Your background at Globex looks like a great "
        "match. Are you open to exploring new roles?\n\nJane Doe\nSenior Recruiter, Acme Robotics\n",
        subject="Staff Data Engineer at Acme Robotics", sender=f"Jane Doe <{JANE[1]}>"), ()


@case(Expect("rejection", sure=True, company="Acme Robotics", occasion=None,
             not_people=("no-reply@us.greenhouse-mail.io",)))
def greenhouse_rejection() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nThank you for your interest in Acme Robotics and for taking the time to "
        "interview with us. Unfortunately, we have decided to move forward with other candidates "
        "whose experience more closely matches our needs.\n\nWe wish you the best of luck.\n\n"
        "The Acme Robotics Recruiting Team\n",
        subject="Your application", sender="Acme Robotics via Greenhouse <no-reply@us.greenhouse-mail.io>"), ()


@case(Expect("rejection", sure=True, role_title="Backend Engineer"))
def rejection_after_applying() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Dear Alex,\n\nThank you for applying to the Backend Engineer position. Unfortunately, we "
        "will not be moving forward with your application at this time.\n\nKind regards,\nAcme HR\n",
        subject="Update on your application", sender=f"Jane Doe <{JANE[1]}>"), ()


@case(Expect("rejection", sure=True, company="Acme Robotics", role_title="Backend Engineer",
             not_people=("no-reply@hire.lever.co",)))
def lever_rejection() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nThank you for taking the time to apply for the Backend Engineer role at Acme "
        "Robotics. After careful consideration, we regret to inform you that we will not be "
        "moving forward with your candidacy at this time.\n\nBest,\nAcme Robotics\n",
        subject="Acme Robotics - Backend Engineer", sender="Acme Robotics <no-reply@hire.lever.co>"), ()


@case(Expect("referral_intro", sure=True, company="Acme Robotics",
             people=(("Sam Okafor", None, "referrer"),),
             not_people=("messages-noreply@linkedin.com",)))
def linkedin_referral() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Sam Okafor referred you for the Senior Data Engineer position at Acme Robotics.\n\n"
        "View job\n\nYou are receiving LinkedIn notification emails.\n",
        subject="Sam Okafor referred you for a role at Acme Robotics",
        sender="Sam Okafor via LinkedIn <messages-noreply@linkedin.com>"), ()


# --- judged by the new text only --------------------------------------------------------------


@case(Expect("other", reason="no kind reached"))
def reply_quoting_offer() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Thanks Alex, see you then!\n\nOn Tue, Mar 5, 2024 at 10:00 AM Alex Morgan <alex.morgan@"
        "example.net> wrote:\n> Thank you! I accept the offer.\n>\n> On Mon, Priya wrote:\n>> We are"
        " delighted to extend you an offer. Your offer letter is attached.\n",
        subject="Re: Your offer from Acme Robotics", sender=f"Priya Shah <priya.shah@{ACME}>"), ()


@case(Expect("other", reason="sent by you"))
def sent_by_user() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Thank you so much, I accept the offer!", subject="Re: Your offer",
                sender=f"Alex Morgan <{ME}>", to=f"Priya <priya.shah@{ACME}>"), ()


# --- hard negatives ---------------------------------------------------------------------------

NEWSLETTER = (("List-Unsubscribe", "<https://coach.example/u/1>"),)


@case(Expect("other", reason="newsletter"))
def interview_tips_newsletter() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("5 tips to ace your next interview, and the questions to ask at the end.",
                subject="How to nail your interview", sender="Coach <newsletter@coach.example>",
                headers=NEWSLETTER), ()


@case(Expect("other", reason="newsletter"))
def blog_digest() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("This week on the blog: your offer is in, now what? Read more.",
                subject="Your weekly digest: job offer negotiation", sender="blog@career.example",
                headers=(("List-Id", "Career blog <blog.career.example>"),)), ()


@case(Expect("other", reason="job alert"))
def job_alert() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Senior Data Engineer at Acme Robotics - interview process: 3 rounds. Apply now.",
                subject="Jobs you may like", sender="LinkedIn <jobs-noreply@linkedin.com>"), ()


@case(Expect("other", reason="job alert"))
def job_alert_matching() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("12 new jobs matching 'data engineer' in Berlin.",
                subject="New jobs matching your search", sender="alerts@jobs.example"), ()


@case(Expect("other", reason="application received"))
def application_received() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail(
        "Hi Alex,\n\nThank you for applying to Acme Robotics! We received your application for "
        "the Senior Data Engineer role. If your experience matches, someone from our team will "
        "reach out to schedule an interview.\n", subject="Thank you for applying to Acme Robotics",
        sender="Acme Robotics <no-reply@hire.lever.co>"), ()


@case(Expect("other", reason="application received"))
def workday_application_received() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Thank you for your application. We have received your application and will "
                "review it shortly.", subject="Application Received - Senior Data Engineer",
                sender="acmerobotics@myworkday.com"), ()


@case(Expect("other", reason="shopping"))
def shop_special_offer() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Limited time offer: 40% off everything. Shop now!",
                subject="Special offer just for you", sender="hello@shop.example"), ()


@case(Expect("other", reason="shopping"))
def subscription_offer() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("We'd like to offer you 3 months of Premium. Upgrade now - this exclusive offer "
                "ends Sunday.", subject="Your exclusive offer", sender="premium@music.example"), ()


@case(Expect("other", reason="webinar"))
def webinar_invitation() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail("Join our free webinar on how to ace your interview. Register now!",
                subject="Invitation: Webinar: How to ace your interview",
                sender="events@career.example")
    ev = event("Webinar: How to ace your interview", organizer=("Events", "events@career.example"))
    return item, (ev,)


@case(Expect("other", reason="employer"))
def employer_meeting() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail("Let's sync on the interview loop feedback.", subject="Invitation: Interview debrief",
                sender="Jordan Weber <jordan.weber@globex.com>", to=f"Alex <{WORK}>")
    ev = event("Interview debrief", organizer=("Jordan Weber", "jordan.weber@globex.com"),
               attendees=(att("Alex", WORK), att("Mei Lin", "mei.lin@globex.com")))
    return item, (ev,)


@case(Expect("other", reason="employer"))
def user_interviews_candidate() -> tuple[MailItem, tuple[CalEvent, ...]]:
    item = mail("You are on the panel for this candidate.", subject="Interview: John Candidate",
                sender="no-reply@greenhouse.io", to=f"Alex <{WORK}>")
    ev = event("Interview: John Candidate (Backend Engineer)",
               organizer=("Recruiting", "recruiting.ops@globex.com"),
               attendees=(att("Alex", WORK), att("John Candidate", "john@gmail.com")))
    return item, (ev,)


@case(Expect("other", reason="interviewer"))
def ats_tells_user_to_interview() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("You've been scheduled to interview John Candidate on Tuesday. Your interview kit "
                "is ready; please submit feedback within 24 hours.",
                subject="Interview scheduled: John Candidate", sender="no-reply@greenhouse.io",
                to=f"Alex <{WORK}>"), ()


@case(Expect("other", reason="Auto-Submitted"))
def auto_reply_header() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Thanks for your message about the interview. I will reply next week.",
                subject="Automatic reply: Interview next week", sender=f"Jane Doe <{JANE[1]}>",
                headers=(("Auto-Submitted", "auto-replied"),)), ()


@case(Expect("other", reason="x-autoreply"))
def x_autoreply_header() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Re: interview schedule", subject="Re: Interview", sender=f"Jane Doe <{JANE[1]}>",
                headers=(("X-Autoreply", "yes"),)), ()


@case(Expect("other", reason="automatic reply"))
def out_of_office_subject() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("I am currently out of the office with limited access to email. For interview "
                "scheduling please contact Tom.", subject="Out of Office: Re: Your interview",
                sender=f"Jane Doe <{JANE[1]}>"), ()


@case(Expect("other", reason="thankful's own message"))
def thankfuls_own_draft() -> tuple[MailItem, tuple[CalEvent, ...]]:
    return mail("Thank you for the interview yesterday!", subject="Thank you - interview",
                sender=f"Alex Morgan <{ME}>", to=f"Jane <{JANE[1]}>",
                headers=(("X-Thankful-Note", "k1"), ("X-Thankful-Kind", "draft"))), ()


@case(Expect("other"))
def accepted_notification() -> tuple[MailItem, tuple[CalEvent, ...]]:
    # Someone accepted an invitation the user sent: an answer, not an invitation.
    return mail("Jane Doe has accepted this invitation.", subject="Accepted: Interview with Acme",
                sender=f"Jane Doe <{JANE[1]}>"), ()


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_templates(name: str) -> None:
    build, want = CASES[name]
    item, events = build()
    check(classify_message(item, IDENT, events), want)


def test_cancelled_events_are_kept() -> None:
    item, events = cancelled_interview()
    det = classify_message(item, IDENT, events)
    assert det.events and all(ev.cancelled for ev in det.events)


def test_non_ascii_first_name() -> None:
    item, events = non_ascii_sender()
    assert classify_message(item, IDENT, events).people[0].first_name == "José"


def test_quoted_offer_is_not_an_offer_even_from_a_stranger() -> None:
    item, _ = reply_quoting_offer()
    assert "offer" not in item.new_text
    assert classify_message(item, IDENT).kind != "offer"


# --- calendar objects alone -------------------------------------------------------------------


CALENDAR_CASES = [
    pytest.param((event("Interview with Acme Robotics", organizer=JANE),), None,
                 Expect("interview_invite", sure=True, company="Acme Robotics", occasion="interview",
                        people=(("Jane Doe", JANE[1], "interviewer"),)), id="request-attendee"),
    pytest.param((event("Interview with Acme Robotics", organizer=None, attendees=(),
                        method="PUBLISH"),), None,
                 Expect("interview_invite", sure=False), id="own-calendar-entry"),
    pytest.param((event("Team lunch"),), None, Expect("other"), id="not-interview"),
    pytest.param((event("Interview prep with my coach", organizer=("Coach", "coach@careers.example")),),
                 None, Expect("other"), id="interview-prep"),
    pytest.param((event("Interview with Acme Robotics", organizer=JANE),), "REPLY",
                 Expect("other"), id="reply"),
    pytest.param((event("Interview: Sam Candidate", organizer=("Mei", "mei.lin@globex.com")),),
                 None, Expect("other", reason="employer"), id="employer"),
    pytest.param((event("Team lunch"), event("Technical interview", organizer=JANE, hours=3)), None,
                 Expect("interview_invite", sure=True), id="most-interview-like"),
    pytest.param((event("Chat with Acme Robotics", organizer=JANE),), None,
                 Expect("interview_invite", sure=True, company="Acme Robotics"), id="chat-with-company"),
    pytest.param((event("Recruiter phone screen", organizer=JANE),), None,
                 Expect("interview_invite", mode="phone", occasion="phone_screen",
                        people=(("Jane Doe", JANE[1], "recruiter"),)), id="screen-organizer-recruiter"),
    pytest.param((event("Phone screen", organizer=JANE, description="Join: https://zoom.us/j/1"),),
                 None, Expect("interview_invite", mode="phone"), id="summary-beats-link"),
    pytest.param((event("Interview", organizer=JANE, location="600 Harrison St, San Francisco"),),
                 None, Expect("interview_invite", mode="onsite"), id="address-onsite"),
    pytest.param((event("Virtual onsite - Acme Robotics", organizer=JANE),), None,
                 Expect("interview_invite", mode="video"), id="virtual-onsite"),
    pytest.param((event("Interview", organizer=JANE, location="Microsoft Teams Meeting"),), None,
                 Expect("interview_invite", mode="video"), id="teams-location"),
    pytest.param((event("Interview loop", organizer=TOM, attendees=(
        att("Alex Morgan", ME), att("Priya Shah", f"priya.shah@{ACME}"),
        att("", "calendar-notification@google.com"), att("Conf Room 4B", "room4b@acme-robotics.com"),
        att("Lena", f"lena@{ACME}", "DECLINED"))),), None,
                 Expect("interview_invite", people=(("Tom Becker", TOM[1], "recruiter"),
                                                    ("Priya Shah", f"priya.shah@{ACME}", "interviewer")),
                        not_people=("calendar-notification@google.com", "Conf Room 4B", f"lena@{ACME}")),
                 id="excluded-people"),
]


@pytest.mark.parametrize(("events", "method", "want"), CALENDAR_CASES)
def test_calendar_objects(events: tuple[CalEvent, ...], method: str | None, want: Expect) -> None:
    det = classify_events(events, IDENT, method=method)
    check(det, want)
    if det.kind == "interview_invite":
        assert all(re.search(r"interview|screen|onsite|chat", ev.summary, re.I) for ev in det.events)


# --- mode from text ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "mode"), [
    ("Join us via https://acme.zoom.us/j/123", "video"),
    ("Meeting link: https://meet.google.com/abc-defg-hij", "video"),
    ("Link: https://teams.microsoft.com/l/meetup-join/xyz", "video"),
    ("It will be a video call with the team.", "video"),
    ("Please come to our office at 123 Main Street, 4th floor.", "onsite"),
    ("It will be in person in Berlin.", "onsite"),
    ("I'll call you at +1 (415) 555-0100.", "phone"),
    ("We will reach you on +44 20 7946 0958 for the call.", "phone"),
])
def test_mode_from_text(text: str, mode: str) -> None:
    item = mail(f"Hi Alex, I'd like to invite you to an interview on Tuesday. {text}",
                subject="Interview", sender=f"Jane Doe <{JANE[1]}>")
    det = classify_message(item, IDENT)
    assert (det.kind, det.mode) == ("interview_invite", mode), det.reasons


# --- extraction helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(("email", "texts", "company"), [
    ("jane@jobs.acme-robotics.com", (), "Acme Robotics"),
    ("jane@acme.co.uk", (), "Acme"),
    ("jane@acmerobotics.com", ("Welcome to AcmeRobotics!",), "AcmeRobotics"),
    ("jane@acmerobotics.com", ("the Acme Robotics team",), "Acme Robotics"),
    ("jane@acme-robotics.com", ("see acme-robotics.com",), "Acme Robotics"),
])
def test_company_from_domain(email: str, texts: tuple[str, ...], company: str) -> None:
    domain = extract.company_domain(email, IDENT)
    assert extract.spelled(extract.registrable_label(domain), texts) == company


@pytest.mark.parametrize("email", [
    "jane@gmail.com", "x@gmx.de", "x@gmx.at", "x@web.de", "x@yahoo.co.uk", "no-reply@acme.com",
    "x@greenhouse.io", "x@hire.lever.co", "x@myworkday.com", "x@linkedin.com", "x@docusign.net",
    "x@calendly.com", "x@goodtime.io", "x@ashbyhq.com", "x@icims.com", ME, "colleague@globex.com",
])
def test_no_company_from(email: str) -> None:
    assert extract.company_domain(email, IDENT) == ""


@pytest.mark.parametrize(("email", "robot"), [
    ("noreply@acme.com", True), ("no-reply@acme.com", True), ("donotreply@acme.com", True),
    ("notifications@acme.com", True), ("mailer-daemon@acme.com", True), ("careers@acme.com", True),
    ("calendar-notification@google.com", True), ("jobs-noreply@linkedin.com", True),
    ("jane.doe@acme.com", False), ("info.jane@acme.com", False), ("sam@gmail.com", False),
])
def test_robots(email: str, robot: bool) -> None:
    assert extract.is_robot(email) is robot


@pytest.mark.parametrize(("subject", "text", "role"), [
    ("", "We'd like to talk about the Senior Data Engineer role.", "Senior Data Engineer"),
    ("", "for the senior data engineer position at Acme", "Senior Data Engineer"),
    ("", "the position of Staff Software Engineer II is open", "Staff Software Engineer II"),
    ("Re: Backend Engineer at Acme Robotics", "", "Backend Engineer"),
    ("Interview Confirmation for Head of Data", "", "Head of Data"),
    ("Lunch on Friday?", "See you there", None),
])
def test_role_title(subject: str, text: str, role: str | None) -> None:
    assert extract.find_role(subject, text) == role


@pytest.mark.parametrize(("display", "email", "name"), [
    ("Jane Doe", "x@acme.com", "Jane Doe"),
    ('"Doe, Jane"', "x@acme.com", "Doe, Jane"),
    ("Jane Doe via LinkedIn", "x@linkedin.com", "Jane Doe"),
    ("Jane Doe (Acme)", "x@acme.com", "Jane Doe"),
    ("JANE DOE", "x@acme.com", "Jane Doe"),
    ("", "jane.doe@acme.com", "Jane Doe"),
    ("jane.doe@acme.com", "jane.doe@acme.com", "Jane Doe"),
    ("", "jdoe@acme.com", ""),
])
def test_person_names(display: str, email: str, name: str) -> None:
    assert extract.person_name(display, email) == name


# --- reasons and lexicon ----------------------------------------------------------------------


def test_reasons_show_weights_or_sure() -> None:
    item, events = human_phone_screen()
    det = classify_message(item, IDENT, events)
    assert det.reasons[0].startswith("interview_invite: score ")
    assert any(re.search(r"^subject says '.+' \(\+0\.\d\d\)$", r) for r in det.reasons)
    item, events = greenhouse_video()
    assert any(r.endswith("(sure)") for r in classify_message(item, IDENT, events).reasons)


def test_text_only_sure_threshold() -> None:
    item = mail("Interview", subject="Lunch", sender=f"Jane Doe <{JANE[1]}>")
    det = classify_message(item, IDENT)
    assert det.kind == "other" or det.sure is (det.confidence >= SURE_THRESHOLD)


def test_lexicon_is_well_formed() -> None:
    keys = set(lexicon.EN)
    for code, lang in lexicon.LANGUAGES.items():
        assert set(lang) == keys, code
        for where in ("subject", "text"):
            for kind, cues in lang[where].items():
                assert kind in ("interview_invite", "offer", "referral_intro",
                                "recruiter_outreach", "rejection")
                for patterns, weight in cues:
                    assert isinstance(patterns, tuple)
                    for pattern in patterns:
                        re.compile(pattern)
                    assert -1.0 <= weight <= 1.0
        for patterns in lang["veto"].values():
            for pattern in patterns:
                re.compile(pattern)
        for patterns, role in lang["titles"]:
            assert role in ("recruiter", "interviewer", "hiring_manager", "coordinator", "referrer")
            for pattern in patterns:
                re.compile(pattern)


HOSTILE = [
    "10:00 " + "Aa " * 60000, "interviewers: " + "Jane, " * 50000, "for the " + "Senior " * 50000,
    "as a " + "Aa-" * 60000, "meet with " + "Jane Doe (" * 20000, "interest in " + "X" * 100000,
    "-a" * 100000, "1 " * 25000 + "A" * 50000, "a.wd1.myworkdayjobs.com" * 5000,
    "if " + "a. " * 60000, "On " + "x " * 60000, "interview " * 20000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_bounded(text: str) -> None:
    item = MailItem(subject=text[:4000], sender=None, text=text, new_text=text)
    start = time.perf_counter()
    classify_message(item, IDENT, (event(text[:2000], description=text),))
    classify_events((event(text[:500], description=text, location=text[:500]),), IDENT)
    assert time.perf_counter() - start < 2.0
