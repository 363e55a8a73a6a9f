"""Drafts and reminders: wording, threading, and safety of every header."""

from __future__ import annotations

import email
import email.policy
import email.utils
import itertools
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thankful.core.compose import SPECIFIC
from thankful.core.compose import TEMPLATE_NAMES
from thankful.core.compose import ComposeError
from thankful.core.compose import DraftRequest
from thankful.core.compose import ReminderRequest
from thankful.core.compose import Template
from thankful.core.compose import build_draft
from thankful.core.compose import build_reminder
from thankful.core.compose import clean
from thankful.core.compose import parse_template
from thankful.core.ids import note_hash
from thankful.core.model import Person
from thankful.core.plan import Writer
from thankful.core.plan import plan
from thankful.core.rules import Note
from thankful.core.rules import ThreadRef

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=TZ)
START = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
BUNDLED = Path(__file__).resolve().parents[2] / "daemon" / "thankful" / "templates"
TEMPLATES = {n: parse_template((BUNDLED / n).read_text()) for n in TEMPLATE_NAMES}
WRITER = Writer(account="a", name="Alex Morgan", address="alex@example.net")


def note(name: str, email_: str | None, *, occasion: str = "interview", role: str = "interviewer",
         company: str = "Acme Robotics", nid: str | None = None, referrer: bool = False,
         deliver_to: str | None = None) -> Note:
    return Note(
        id=nid or f"id-{name}", application="acme robotics", company=company,
        role_title="Data Engineer", occasion=occasion,  # type: ignore[arg-type]
        occasion_key="uid:1" if occasion != "offer" else "offer", occasion_start=START,
        occasion_end=START + timedelta(hours=1),
        recipient=Person(name=name, email=email_, role=role),  # type: ignore[arg-type]
        deliver_to=deliver_to or email_, ready_at=START, due_at=NOW, expires_at=NOW,
        state="ready", is_referrer=referrer, mode="video")


def request(n: Note, *, variant: int = 0, thread: ThreadRef | None = None,
            to_name: str | None = None) -> DraftRequest:
    return DraftRequest(notes=(n,), from_name="Alex Morgan", from_address="alex@example.net",
                        to_name=n.recipient.name if to_name is None else to_name,
                        to_address=n.deliver_to or "", thread=thread, variant=variant, now=NOW,
                        tz=TZ)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


class TestDraft:
    def test_addressed_flagged_and_personal(self) -> None:
        msg = parse(build_draft(request(note("Ann Lee", "ann@acme.example")), TEMPLATES))
        assert email.utils.parseaddr(str(msg["To"])) == ("Ann Lee", "ann@acme.example")
        assert email.utils.parseaddr(str(msg["From"])) == ("Alex Morgan", "alex@example.net")
        assert msg["X-Thankful-Note"] == note_hash("id-Ann Lee")
        body = msg.get_content()
        assert body.startswith(("Hi Ann,", "Dear Ann,", "Hello Ann,"))
        assert "Acme Robotics" in body and "Tuesday" in body
        assert "[[ADD ONE SPECIFIC THING" in body
        assert "$" not in body

    def test_threaded_to_the_conversation(self) -> None:
        t = ThreadRef(message_id="<m2@acme.example>", references=("<m1@acme.example>",),
                      subject="RE: Re: Interview on Tuesday", participants=frozenset())
        msg = parse(build_draft(request(note("Ann Lee", "ann@acme.example"), thread=t),
                                TEMPLATES))
        assert msg["In-Reply-To"] == "<m2@acme.example>"
        assert str(msg["References"]).split() == ["<m1@acme.example>", "<m2@acme.example>"]
        assert msg["Subject"] == "Re: Interview on Tuesday"

    def test_message_id_is_deterministic(self) -> None:
        a = parse(build_draft(request(note("Ann Lee", "ann@acme.example")), TEMPLATES))
        b = parse(build_draft(request(note("Ann Lee", "ann@acme.example")), TEMPLATES))
        assert a["Message-ID"] == b["Message-ID"]

    @pytest.mark.parametrize("name", TEMPLATE_NAMES)
    def test_every_template_renders_without_placeholders(self, name: str) -> None:
        for v in range(len(TEMPLATES[name])):
            if name == "pass_on":
                n = note("Mia Name", None, deliver_to="rita@acme.example")
                req = DraftRequest(notes=(n,), from_name="Alex Morgan",
                                   from_address="alex@example.net", to_name="Rita Recruiter",
                                   to_address="rita@acme.example", thread=None, variant=v,
                                   now=NOW, tz=TZ, pass_on=("Mia Name",))
            else:
                occ = "offer" if name.startswith("offer") else name
                n = note("Ann Lee", "ann@acme.example", occasion=occ,
                         referrer=name == "offer_referrer")
                req = request(n, variant=v)
            body = parse(build_draft(req, TEMPLATES)).get_content()
            assert "$" not in body, (name, v)

    def test_drafts_to_one_interviews_people_differ_pairwise(self) -> None:
        people = [("Ann Lee", "ann@acme.example"), ("Bo Chen", "bo@acme.example"),
                  ("Cy Diaz", "cy@acme.example"), ("Di Eve", "di@acme.example")]
        notes = [note(n, e) for n, e in people]
        p = plan(notes, writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ,
                 reminders_enabled=False)
        bodies = []
        for req in p.drafts:
            text = parse(build_draft(req, TEMPLATES)).get_content()
            first = req.notes[0].recipient.name.split()[0]
            bodies.append(text.replace(first, "NAME").replace(
                req.notes[0].recipient.name.upper(), "NAME"))
        assert len(bodies) == 4
        for a, b in itertools.combinations(bodies, 2):
            assert a != b

    def test_interview_and_offer_to_one_person_make_one_draft(self) -> None:
        notes = [note("Ann Lee", "ann@acme.example", nid="iv"),
                 note("Ann Lee", "ann@acme.example", occasion="offer", nid="of")]
        p = plan(notes, writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ)
        assert len(p.drafts) == 1
        body = parse(build_draft(p.drafts[0], TEMPLATES)).get_content()
        assert "offer" in body and "interviewing me" in body

    def test_name_only_interviewer_goes_through_the_recruiter(self) -> None:
        notes = [note("Mia Name", None, deliver_to="rita@acme.example")]
        p = plan(notes, writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ)
        assert [d.to_address for d in p.drafts] == ["rita@acme.example"]
        body = parse(build_draft(p.drafts[0], TEMPLATES)).get_content()
        assert "pass my thanks on to Mia Name" in body

    def test_no_address_at_all_asks_the_user(self) -> None:
        p = plan([note("Mia Name", None)], writers={}, default_writer=WRITER, threads=(),
                 now=NOW, tz=TZ)
        assert p.drafts == () and len(p.need_address) == 1

    def test_no_drafts_when_sent_could_not_be_read(self) -> None:
        p = plan([note("Ann Lee", "ann@acme.example")], writers={}, default_writer=WRITER,
                 threads=(), now=NOW, tz=TZ, allow_drafts=False)
        assert p.drafts == ()


HOSTILE = [
    "Ann\r\nBcc: evil@x.example", "Ann\nBcc: evil@x.example", "Ann\rBcc: evil@x.example",
    "Ann\x0bBcc: evil", "Ann\x0cBcc: evil", "Ann\x1cBcc", "Ann\x1dBcc", "Ann\x1eBcc",
    "Ann\x85Bcc: evil", "Ann\u2028Bcc: evil", "Ann\u2029Bcc: evil", "Ann\x00Bcc: evil",
    "=?UTF-8?Q?=0A?=Bcc: evil@x.example", "A" * 2000, 'Ann "the" \\ Lee, <x@y>',
    "evil@x.example, victim@y.example", "Ann <ann@acme.example>", "Zoë Ørsted-Müller",
]


class TestHeaderSafety:
    @pytest.mark.parametrize("hostile", HOSTILE)
    def test_hostile_names_and_subjects(self, hostile: str) -> None:
        n = note(hostile, "ann@acme.example", company=hostile)
        t = ThreadRef(message_id="<a@b>", subject=hostile, participants=frozenset())
        data = build_draft(request(n, thread=t), TEMPLATES)
        msg = parse(data)
        assert [a for _, a in email.utils.getaddresses([str(msg["To"])])] == ["ann@acme.example"]
        assert msg["Bcc"] is None and msg["Cc"] is None
        assert all(len(line) <= 998 for line in data.split(b"\r\n"))
        assert not msg.defects

    @pytest.mark.parametrize("bad", ["ann@acme.example\r\nBcc: x@y", "a@b@c", "no-at-sign",
                                     "ann@acme.example, evil@x.example", "<ann@acme.example>"])
    def test_hostile_addresses_are_refused(self, bad: str) -> None:
        with pytest.raises(ComposeError):
            build_draft(request(note("Ann", bad)), TEMPLATES)

    def test_hostile_message_id_is_not_threaded(self) -> None:
        t = ThreadRef(message_id="<a@b>\r\nBcc: evil@x", subject="Hi", participants=frozenset())
        msg = parse(build_draft(request(note("Ann", "ann@acme.example"), thread=t), TEMPLATES))
        assert msg["Bcc"] is None

    @pytest.mark.parametrize("ch", ["\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85",
                                    "\u2028", "\u2029", "\x00"])
    def test_clean_removes_every_line_break(self, ch: str) -> None:
        assert ch not in clean(f"a{ch}b")


class TestTemplates:
    def test_variants_and_subject(self) -> None:
        tpls = parse_template("Subject: S1\nHi $first_name\n%%\nSubject: S2\nHello\n")
        assert tpls == (Template(subject="S1", body="Hi $first_name\n"),
                        Template(subject="S2", body="Hello\n"))

    def test_user_template_with_unknown_placeholder_is_left_alone(self) -> None:
        tpls = {**TEMPLATES, "interview": parse_template("Hi $first_name, $unknown\n")}
        body = parse(build_draft(request(note("Ann Lee", "ann@acme.example")), tpls)).get_content()
        assert body.startswith("Hi Ann, $unknown")

    def test_specific_marker_is_documented(self) -> None:
        assert "{who}" in SPECIFIC


class TestReminder:
    def test_digest_lists_open_notes_with_card_and_gift(self) -> None:
        notes = (note("Ann Lee", "ann@acme.example"),
                 note("Fran Friend", "fran@gmail.example", occasion="offer", role="referrer",
                      referrer=True))
        req = ReminderRequest(notes=notes, to_name="Alex", to_address="alex@example.net",
                              slot="1d-1", now=NOW, tz=TZ, drafts_folder="Drafts")
        msg = parse(build_reminder(req))
        body = msg.get_content()
        assert msg["X-Thankful-Kind"] == "reminder"
        assert "Ann Lee" in body and "Fran Friend" in body
        assert "handwritten card" in body and "small gift" in body
        assert "2 to send" in str(msg["Subject"])

    def test_one_reminder_per_slot(self) -> None:
        n = note("Ann Lee", "ann@acme.example")
        p1 = plan([n], writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ)
        assert p1.reminder is not None
        p2 = plan([n], writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ,
                  last_slot=p1.reminder.slot)
        assert p2.reminder is None
        p3 = plan([n], writers={}, default_writer=WRITER, threads=(),
                  now=NOW + timedelta(days=1), tz=TZ, last_slot=p1.reminder.slot)
        assert p3.reminder is not None

    def test_no_reminder_without_open_notes(self) -> None:
        p = plan([], writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ)
        assert p.reminder is None


def test_a_recruiters_draft_with_pass_on_speaks_of_the_recruiters_own_occasion() -> None:
    screen = note("Rita Recruiter", "rita@acme.example", occasion="phone_screen",
                  role="recruiter", nid="screen")
    later = START + timedelta(days=7)
    onsite = Note(**{**{f: getattr(note("Mia Name", None), f) for f in Note.__dataclass_fields__},
                     "occasion_start": later, "occasion_end": later + timedelta(hours=1),
                     "deliver_to": "rita@acme.example", "id": "onsite"})
    p = plan([screen, onsite], writers={}, default_writer=WRITER, threads=(), now=NOW, tz=TZ)
    [req] = p.drafts
    body = parse(build_draft(req, TEMPLATES)).get_content()
    assert "Tuesday" in body and "MIA NAME" not in body and "RITA RECRUITER" in body
    assert "pass my thanks on to Mia Name" in body


@pytest.mark.parametrize("subject", ["Offer: Senior Data Engineer at Northwind Analytics 🎉",
                                     "Entretien — Équipe données " * 6, "面接のご案内" * 10])
def test_non_ascii_subjects_are_encoded_cleanly(subject: str) -> None:
    t = ThreadRef(message_id="<a@b>", subject=subject, participants=frozenset())
    data = build_draft(request(note("Zoë Ørsted-Müller " * 5, "ann@acme.example"), thread=t),
                       TEMPLATES)
    assert b"?q??=" not in data.lower() and b"?b??=" not in data.lower()
    assert str(parse(data)["Subject"]) == "Re: " + clean(subject)
