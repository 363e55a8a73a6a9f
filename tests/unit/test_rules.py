"""Who is owed what: the rules on plain data."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from thankful.core.ids import note_hash
from thankful.core.model import Attendee
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import Person
from thankful.core.rules import NoteRecord
from thankful.core.rules import Outgoing
from thankful.core.rules import Policy
from thankful.core.rules import Signal
from thankful.core.rules import add_working_days
from thankful.core.rules import company_key
from thankful.core.rules import derive

TZ = ZoneInfo("Europe/Berlin")
ME = Identity(name="Alex Morgan", addresses=frozenset({"alex@example.net"}),
              employer_domains=frozenset({"globex.example"}), timezone=TZ)
# Tuesday 3 March 2026, 10:00 Berlin.
T0 = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
REC = Person(name="Rita Recruiter", email="rita@acme.example", role="recruiter")
COORD = Person(name="Carl Coordinator", email="carl@acme.example", role="coordinator")


def att(name: str, email: str, **kw: str) -> Attendee:
    return Attendee(name=name, email=email, **kw)


def event(uid: str, start: datetime, *, minutes: int = 60, organizer: Attendee | None = None,
          attendees: tuple[Attendee, ...] = (), cancelled: bool = False, sequence: int = 0,
          summary: str = "Interview: Alex Morgan") -> CalEvent:
    return CalEvent(uid=uid, start=start, end=start + timedelta(minutes=minutes),
                    organizer=organizer, attendees=attendees, cancelled=cancelled,
                    sequence=sequence, summary=summary)


def sig(ident: str, at: datetime, **kw: object) -> Signal:
    defaults: dict[str, object] = {"kind": "interview_invite", "company": "Acme", "sure": True,
                                   "confidence": 1.0}
    defaults.update(kw)
    return Signal(ident=ident, at=at, detection=Detection(**defaults))  # type: ignore[arg-type]


def run(signals: list[Signal], now: datetime, *, sent: tuple[Outgoing, ...] = (),
        drafts: tuple[Outgoing, ...] = (), records: dict[str, NoteRecord] | None = None,
        policy: Policy = Policy(), first: datetime | None = None,
        ignored: frozenset[str] = frozenset()):
    return derive(signals=signals, sent=sent, drafts=drafts, records=records or {},
                  identity=ME, policy=policy, now=now, first_cycle_at=first or T0,
                  ignored=ignored)


def iv(name: str, email: str) -> Person:
    return Person(name=name, email=email, role="interviewer")


ANN, BO, DEE = iv("Ann Lee", "ann@acme.example"), iv("Bo Chen", "bo@acme.example"), iv(
    "Dee Declined", "dee@acme.example")


def panel(start: datetime = T0, *, declined: bool = False) -> Signal:
    """A panel as the classifier reports it: the people it accepted (not me, not the room,
    not a decliner) with their roles."""
    ev = event("panel-1", start, organizer=att("Carl Coordinator", "carl@acme.example"),
               attendees=(att("Alex", "alex@example.net"), att("Ann Lee", "ann@acme.example"),
                          att("Bo Chen", "bo@acme.example"),
                          att("Room 4B", "room4b@acme.example", cutype="ROOM"),
                          att("Dee Declined", "dee@acme.example",
                              partstat="DECLINED" if declined else "ACCEPTED")))
    people = (COORD, ANN, BO) if declined else (COORD, ANN, BO, DEE)
    return sig("cal:panel", T0 - timedelta(days=5), mode="video", occasion="interview",
               events=(ev,), people=people)


class TestInterviewNotes:
    def test_each_interviewer_owed_after_the_interview(self) -> None:
        d = run([panel()], T0 + timedelta(hours=4))
        owed = {n.recipient.email for n in d.notes if n.state == "ready"}
        assert owed == {"ann@acme.example", "bo@acme.example", "dee@acme.example"}

    @pytest.mark.parametrize("excluded", ["alex@example.net", "room4b@acme.example",
                                          "carl@acme.example"])
    def test_not_me_not_rooms_not_the_coordinator(self, excluded: str) -> None:
        d = run([panel()], T0 + timedelta(hours=4))
        assert excluded not in {n.recipient.email for n in d.notes}

    def test_declined_attendee_owes_nothing(self) -> None:
        d = run([panel(declined=True)], T0 + timedelta(hours=4))
        assert "dee@acme.example" not in {n.recipient.email for n in d.notes}

    @pytest.mark.parametrize(("hours_after_start", "state"), [
        (-1, "waiting"), (0.5, "waiting"), (2.5, "waiting"), (3.5, "ready")])
    def test_nothing_before_the_interview_ended_and_the_delay_passed(
            self, hours_after_start: float, state: str) -> None:
        d = run([panel()], T0 + timedelta(hours=hours_after_start))
        assert {n.state for n in d.notes} == {state}

    def test_cancelled_interview_owes_nothing(self) -> None:
        s = panel()
        cancel = replace(s.detection.events[0], cancelled=True, sequence=1)
        c = sig("mail:cancel", T0 - timedelta(days=1), events=(cancel,))
        assert run([s, c], T0 + timedelta(days=1)).notes == ()

    def test_an_older_cancel_does_not_beat_a_newer_request(self) -> None:
        s = panel()
        newer = replace(s.detection.events[0], sequence=2)
        cancel = replace(s.detection.events[0], cancelled=True, sequence=1)
        signals = [replace(s, detection=replace(s.detection, events=(newer,))),
                   sig("mail:cancel", T0 - timedelta(days=1), events=(cancel,))]
        assert len(run(signals, T0 + timedelta(days=1)).notes) == 3

    def test_rescheduled_interview_keeps_its_note_ids(self) -> None:
        before = {n.id for n in run([panel()], T0 + timedelta(days=3)).notes}
        moved = panel(T0 + timedelta(days=1))
        after = {n.id for n in run([moved], T0 + timedelta(days=3)).notes}
        assert before == after

    def test_friday_interview_due_monday(self) -> None:
        friday = datetime(2026, 3, 6, 14, 0, tzinfo=TZ)
        d = run([panel(friday)], friday + timedelta(days=1))
        assert {n.due_at.astimezone(TZ).strftime("%a %H:%M") for n in d.notes} == {"Mon 15:00"}

    def test_one_note_per_person_per_day(self) -> None:
        a = panel()
        second = event("panel-2", T0 + timedelta(hours=2),
                       attendees=(att("Ann Lee", "ann@acme.example"),))
        b = sig("cal:second", T0 - timedelta(days=2), events=(second,), people=(ANN,))
        notes = run([a, b], T0 + timedelta(days=1)).notes
        assert [n.recipient.email for n in notes].count("ann@acme.example") == 1

    def test_interviews_for_my_employer_are_not_mine(self) -> None:
        ev = event("x", T0, organizer=att("Boss", "boss@globex.example"),
                   attendees=(att("Colleague", "col@globex.example"),))
        assert run([sig("cal:x", T0, company="Globex", events=(ev,))],
                   T0 + timedelta(days=1)).notes == ()


class TestPhoneScreen:
    def screen(self) -> Signal:
        ev = event("screen", T0, minutes=30, organizer=att("Rita Recruiter", "rita@acme.example"),
                   attendees=(att("Alex", "alex@example.net"),),
                   summary="Phone screen: Alex / Acme")
        return sig("mail:screen", T0 - timedelta(days=2), mode="phone",
                   occasion="phone_screen", events=(ev,), people=(REC,))

    def test_recruiter_owed(self) -> None:
        notes = run([self.screen()], T0 + timedelta(days=1)).notes
        assert [(n.occasion, n.recipient.email) for n in notes] == [
            ("phone_screen", "rita@acme.example")]

    def test_can_be_switched_off(self) -> None:
        p = Policy(phone_screen_note=False)
        assert run([self.screen()], T0 + timedelta(days=1), policy=p).notes == ()


class TestOffer:
    def signals(self) -> list[Signal]:
        ref = Person(name="Fran Friend", email="fran@gmail.example", role="referrer")
        hm = Person(name="Hana Manager", email="hana@acme.example", role="hiring_manager")
        intro = sig("mail:intro", T0 - timedelta(days=20), kind="referral_intro",
                    people=(ref, hm))
        offer = sig("mail:offer", T0 + timedelta(days=2), kind="offer", occasion="offer",
                    people=(REC,))
        return [intro, panel(), offer]

    def test_everyone_involved_and_referrer_first(self) -> None:
        notes = [n for n in run(self.signals(), T0 + timedelta(days=3)).notes
                 if n.occasion == "offer"]
        assert notes[0].recipient.email == "fran@gmail.example"
        assert notes[0].is_referrer
        assert {n.recipient.email for n in notes} == {
            "fran@gmail.example", "hana@acme.example", "rita@acme.example",
            "carl@acme.example", "ann@acme.example", "bo@acme.example", "dee@acme.example"}

    def test_offer_notes_due_in_three_days(self) -> None:
        notes = [n for n in run(self.signals(), T0 + timedelta(days=3)).notes
                 if n.occasion == "offer"]
        assert {n.due_at - n.occasion_start for n in notes} == {timedelta(days=3)}

    def test_rejection_means_no_offer_notes(self) -> None:
        rej = sig("mail:rej", T0 + timedelta(days=3), kind="rejection")
        notes = run([*self.signals(), rej], T0 + timedelta(days=4)).notes
        assert {n.occasion for n in notes} == {"interview"}


class TestStates:
    def test_done_when_sent_after_the_occasion(self) -> None:
        out = Outgoing(recipients=frozenset({"ann@acme.example"}), date=T0 + timedelta(hours=5))
        d = run([panel()], T0 + timedelta(hours=6), sent=(out,))
        assert {n.recipient.email: n.state for n in d.notes}["ann@acme.example"] == "done"

    def test_mail_before_the_occasion_does_not_count(self) -> None:
        out = Outgoing(recipients=frozenset({"ann@acme.example"}), date=T0 - timedelta(days=1))
        d = run([panel()], T0 + timedelta(hours=6), sent=(out,))
        assert {n.recipient.email: n.state for n in d.notes}["ann@acme.example"] == "ready"

    def test_draft_to_that_person_counts_as_drafted(self) -> None:
        draft = Outgoing(recipients=frozenset({"bo@acme.example"}), date=T0 + timedelta(hours=5))
        d = run([panel()], T0 + timedelta(hours=6), drafts=(draft,))
        assert {n.recipient.email: n.state for n in d.notes}["bo@acme.example"] == "drafted"

    def test_draft_gone_two_days_is_dismissed(self) -> None:
        first = run([panel()], T0 + timedelta(hours=6)).notes[0]
        rec = NoteRecord(id=first.id, drafted_at=T0 + timedelta(hours=6),
                         draft_hash=note_hash(first.id))
        later = run([panel()], T0 + timedelta(days=1), records={first.id: rec})
        gone = {n.id: n for n in later.notes}[first.id]
        assert gone.state == "drafted" and gone.draft_missing_since is not None
        rec2 = replace(rec, draft_missing_since=gone.draft_missing_since)
        final = run([panel()], T0 + timedelta(days=3, hours=1), records={first.id: rec2})
        assert {n.id: n for n in final.notes}[first.id].state == "dismissed"

    def test_user_says_done(self) -> None:
        first = run([panel()], T0 + timedelta(hours=6)).notes[0]
        rec = NoteRecord(id=first.id, user_state="done", user_via="card")
        later = {n.id: n for n in run([panel()], T0 + timedelta(hours=7),
                                      records={first.id: rec}).notes}
        assert later[first.id].state == "done" and later[first.id].done_via == "card"

    def test_expired_after_thirty_days(self) -> None:
        d = run([panel()], T0 + timedelta(days=31))
        assert {n.state for n in d.notes} == {"expired"}

    def test_old_occasions_are_history_on_the_first_run(self) -> None:
        d = run([panel()], T0 + timedelta(days=20), first=T0 + timedelta(days=20))
        assert {n.state for n in d.notes} == {"history"}

    def test_ignored_company(self) -> None:
        assert run([panel()], T0 + timedelta(days=1), ignored=frozenset({"acme"})).notes == ()


class TestNamesOnly:
    def test_itinerary_names_go_through_the_recruiter(self) -> None:
        itinerary = sig("mail:itin", T0 - timedelta(days=3), people=(
            REC, Person(name="Mia Name", role="interviewer")))
        ev = event("onsite", T0, organizer=att("Rita Recruiter", "rita@acme.example"),
                   attendees=(att("Alex", "alex@example.net"), att("Ann Lee", "ann@acme.example")))
        cal = sig("cal:onsite", T0 - timedelta(days=4), mode="onsite", events=(ev,),
                  people=(REC, ANN))
        notes = {n.recipient.name: n for n in run([itinerary, cal], T0 + timedelta(days=1)).notes}
        assert notes["Mia Name"].recipient.email is None
        assert notes["Mia Name"].deliver_to == "rita@acme.example"
        assert notes["Ann Lee"].deliver_to == "ann@acme.example"


@pytest.mark.parametrize(("name", "key"), [
    ("Acme Robotics, Inc.", "acme robotics"), ("ACME Robotics GmbH", "acme robotics"),
    ("  Northwind  Analytics LLC ", "northwind analytics"), ("Globex Corp.", "globex")])
def test_company_key(name: str, key: str) -> None:
    assert company_key(name) == key


@pytest.mark.parametrize(("start", "days", "expect"), [
    ("2026-03-06T15:00", 1, "2026-03-09"),  # Friday -> Monday
    ("2026-03-03T15:00", 1, "2026-03-04"),
    ("2026-03-07T15:00", 1, "2026-03-09"),  # Saturday -> Monday
    ("2026-03-05T15:00", 2, "2026-03-09"),
])
def test_add_working_days(start: str, days: int, expect: str) -> None:
    moment = datetime.fromisoformat(start).replace(tzinfo=TZ)
    assert add_working_days(moment, days, TZ).date().isoformat() == expect


class TestOnlyAcceptedPeople:
    def test_attendees_the_classifier_left_out_are_never_owed(self) -> None:
        ev = event("x", T0, organizer=att("Greenhouse", "no-reply@greenhouse.io"),
                   attendees=(att("BER-5F", "acme_313@resource.calendar.google.com"),
                              att("Ann Lee", "ann@acme.example")))
        notes = run([sig("cal:x", T0, events=(ev,), people=(ANN,))],
                    T0 + timedelta(days=1)).notes
        assert {n.recipient.email for n in notes} == {"ann@acme.example"}

    def test_review_detections_never_add_a_recipient(self) -> None:
        stranger = Person(name="Sue", email="sue@acme.example", role="recruiter")
        richer = Person(name="Ann Lee", email="ann@acme.example", role="hiring_manager")
        unsure = sig("mail:u", T0, kind="recruiter_outreach", people=(stranger, richer))
        d = derive(signals=[panel()], sent=(), drafts=(), records={}, identity=ME,
                   policy=Policy(), now=T0 + timedelta(days=1), first_cycle_at=T0,
                   context=[unsure])
        assert "sue@acme.example" not in {n.recipient.email for n in d.notes}
        assert {p.email: p.role for p in d.applications[0].people}["ann@acme.example"] == \
            "hiring_manager"


class TestTextOnlyInterview:
    def text_event(self, start: datetime) -> CalEvent:
        return event("text-acme-2026-03-03", start)

    def test_an_email_confirmation_alone_is_an_occasion(self) -> None:
        s = sig("mail:conf", T0 - timedelta(days=2), events=(self.text_event(T0),),
                people=(REC, Person(name="Ann Lee", role="interviewer")))
        notes = run([s], T0 + timedelta(days=1)).notes
        assert [(n.recipient.name, n.deliver_to) for n in notes] == [
            ("Ann Lee", "rita@acme.example")]

    def test_calendar_data_of_that_day_wins(self) -> None:
        s = sig("mail:conf", T0 - timedelta(days=2), events=(self.text_event(T0),),
                people=(REC, Person(name="Ann Lee", role="interviewer")))
        notes = run([s, panel()], T0 + timedelta(days=1)).notes
        assert {n.occasion_key for n in notes} == {"uid:panel-1"}


class TestDraftsAndExpiry:
    def test_an_open_thankful_draft_to_them_serves_a_new_note(self) -> None:
        old = Outgoing(recipients=frozenset({"ann@acme.example"}), date=T0 - timedelta(days=9),
                       note_hash="0" * 32)
        d = run([panel()], T0 + timedelta(hours=6), drafts=(old,))
        assert {n.recipient.email: n.state for n in d.notes}["ann@acme.example"] == "drafted"

    def test_a_drafted_note_still_expires(self) -> None:
        draft = Outgoing(recipients=frozenset({"ann@acme.example"}), date=T0 + timedelta(hours=5))
        d = run([panel()], T0 + timedelta(days=31), drafts=(draft,))
        assert {n.recipient.email: n.state for n in d.notes}["ann@acme.example"] == "expired"


def test_an_interview_i_run_for_my_employer_through_an_ats_owes_nothing() -> None:
    ev = event("cand", T0, organizer=att("Greenhouse", "no-reply@greenhouse.io"),
               attendees=(att("Alex", "alex@example.net"), att("Col League", "col@globex.example"),
                          att("Cand Idate", "cand@gmail.example")))
    s = sig("cal:cand", T0, company="Acme", events=(ev,),
            people=(iv("Cand Idate", "cand@gmail.example"),))
    assert run([s], T0 + timedelta(days=1)).notes == ()


def test_note_ids_are_sha256_whichever_module_computes_it() -> None:
    import hashlib

    from thankful.core.ids import short_id

    for key in ("", "acme|interview|ann@acme.example", "é" * 300):
        digest = hashlib.sha256(key.encode()).hexdigest()
        assert note_hash(key) == digest[:32] and short_id(key) == digest[:10]
