"""Plain-dict forms of the core's values, for the state store and ``--json`` output. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from thankful.core.model import Attendee
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Person
from thankful.core.rules import Note
from thankful.core.rules import Outgoing
from thankful.core.rules import ThreadRef


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _pdt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def attendee_to_dict(a: Attendee) -> dict[str, Any]:
    """An attendee as a dict."""
    return {"name": a.name, "email": a.email, "partstat": a.partstat, "cutype": a.cutype,
            "role": a.role}


def event_to_dict(ev: CalEvent) -> dict[str, Any]:
    """A calendar event as a dict (times in ISO 8601 with offset)."""
    return {
        "uid": ev.uid, "recurrence_id": ev.recurrence_id, "sequence": ev.sequence,
        "dtstamp": _dt(ev.dtstamp), "start": _dt(ev.start), "end": _dt(ev.end),
        "all_day": ev.all_day, "summary": ev.summary, "description": ev.description[:2000],
        "location": ev.location, "cancelled": ev.cancelled, "method": ev.method,
        "status": ev.status,
        "organizer": attendee_to_dict(ev.organizer) if ev.organizer else None,
        "attendees": [attendee_to_dict(a) for a in ev.attendees],
    }


def event_from_dict(d: dict[str, Any]) -> CalEvent:
    """Inverse of :func:`event_to_dict`."""
    start = _pdt(d["start"])
    end = _pdt(d["end"])
    assert start is not None and end is not None
    return CalEvent(
        uid=d["uid"], recurrence_id=d.get("recurrence_id"), sequence=d.get("sequence", 0),
        dtstamp=_pdt(d.get("dtstamp")), start=start, end=end, all_day=d.get("all_day", False),
        summary=d.get("summary", ""), description=d.get("description", ""),
        location=d.get("location", ""), cancelled=d.get("cancelled", False),
        method=d.get("method"), status=d.get("status"),
        organizer=Attendee(**d["organizer"]) if d.get("organizer") else None,
        attendees=tuple(Attendee(**a) for a in d.get("attendees", [])),
    )


def person_to_dict(p: Person) -> dict[str, Any]:
    """A person as a dict."""
    return {"name": p.name, "email": p.email, "role": p.role}


def detection_to_dict(det: Detection) -> dict[str, Any]:
    """A detection as a dict."""
    return {
        "kind": det.kind, "mode": det.mode, "company": det.company,
        "role_title": det.role_title, "confidence": round(det.confidence, 3), "sure": det.sure,
        "occasion": det.occasion, "people": [person_to_dict(p) for p in det.people],
        "events": [event_to_dict(e) for e in det.events], "reasons": list(det.reasons),
    }


def detection_from_dict(d: dict[str, Any]) -> Detection:
    """Inverse of :func:`detection_to_dict`."""
    return Detection(
        kind=d["kind"], mode=d.get("mode"), company=d.get("company"),
        role_title=d.get("role_title"), confidence=d.get("confidence", 0.0),
        sure=d.get("sure", False), occasion=d.get("occasion"),
        people=tuple(Person(**p) for p in d.get("people", [])),
        events=tuple(event_from_dict(e) for e in d.get("events", [])),
        reasons=tuple(d.get("reasons", [])),
    )


def thread_to_dict(t: ThreadRef | None) -> dict[str, Any] | None:
    """A thread reference as a dict."""
    if t is None:
        return None
    return {"message_id": t.message_id, "references": list(t.references)[-20:],
            "subject": t.subject, "participants": sorted(t.participants), "date": _dt(t.date)}


def thread_from_dict(d: dict[str, Any] | None) -> ThreadRef | None:
    """Inverse of :func:`thread_to_dict`."""
    if not d:
        return None
    return ThreadRef(message_id=d.get("message_id", ""),
                     references=tuple(d.get("references", [])), subject=d.get("subject", ""),
                     participants=frozenset(d.get("participants", [])), date=_pdt(d.get("date")))


def outgoing_to_dict(o: Outgoing) -> dict[str, Any]:
    """A Sent or Drafts message as a dict."""
    return {"recipients": sorted(o.recipients), "date": _dt(o.date), "note_hash": o.note_hash,
            "thread": thread_to_dict(o.thread)}


def outgoing_from_dict(d: dict[str, Any]) -> Outgoing:
    """Inverse of :func:`outgoing_to_dict`."""
    date = _pdt(d["date"])
    assert date is not None
    return Outgoing(recipients=frozenset(d.get("recipients", [])), date=date,
                    note_hash=d.get("note_hash", ""), thread=thread_from_dict(d.get("thread")))


def note_to_dict(n: Note) -> dict[str, Any]:
    """A note as shown by ``owed --json``."""
    return {
        "id": n.id, "state": n.state, "reason": n.reason, "company": n.company,
        "application": n.application, "role_title": n.role_title, "occasion": n.occasion,
        "occasion_key": n.occasion_key, "occasion_start": _dt(n.occasion_start),
        "occasion_end": _dt(n.occasion_end), "recipient": person_to_dict(n.recipient),
        "deliver_to": n.deliver_to, "deliver_name": n.deliver_name,
        "ready_at": _dt(n.ready_at), "due_at": _dt(n.due_at),
        "expires_at": _dt(n.expires_at), "is_referrer": n.is_referrer, "mode": n.mode,
        "drafted_at": _dt(n.drafted_at), "done_at": _dt(n.done_at), "done_via": n.done_via,
    }


def note_from_dict(d: dict[str, Any]) -> Note:
    """Inverse of :func:`note_to_dict` (for listings read back from the state store)."""
    def req(key: str) -> datetime:
        value = _pdt(d[key])
        assert value is not None
        return value

    return Note(
        id=d["id"], state=d["state"], reason=d.get("reason", ""), company=d["company"],
        application=d["application"], role_title=d.get("role_title"), occasion=d["occasion"],
        occasion_key=d["occasion_key"], occasion_start=req("occasion_start"),
        occasion_end=req("occasion_end"), recipient=Person(**d["recipient"]),
        deliver_to=d.get("deliver_to"), deliver_name=d.get("deliver_name", ""),
        ready_at=req("ready_at"), due_at=req("due_at"),
        expires_at=req("expires_at"), is_referrer=d.get("is_referrer", False),
        mode=d.get("mode"), drafted_at=_pdt(d.get("drafted_at")),
        done_at=_pdt(d.get("done_at")), done_via=d.get("done_via"),
    )
