"""Human-readable text for the command line: what a cycle found and who is owed what."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from thankful.backoff import Health
from thankful.core.rules import Application
from thankful.core.rules import Note

_OCCASION = {"phone_screen": "phone screen", "interview": "interview", "offer": "offer"}
_STATE = {
    "waiting": "not yet: {reason}",
    "ready": "owed",
    "drafted": "draft ready",
    "done": "done",
    "dismissed": "dismissed",
    "expired": "expired",
    "history": "before thankful started (not drafted)",
    "gone": "no longer owed",
}


def _day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %-d %b %H:%M")


def applications_text(apps: Sequence[Application], tz: ZoneInfo) -> list[str]:
    """One block per application: its interviews, offer and people."""
    lines = []
    for app in apps:
        title = f" — {app.role_title}" if app.role_title else ""
        lines.append(f"  {app.company}{title}")
        for iv in app.interviews:
            people = ", ".join(p.name or p.email or "?" for p in iv.interviewers) or "nobody"
            mode = f" ({iv.mode})" if iv.mode else ""
            lines.append(f"    {_OCCASION[iv.occasion]}{mode} on {_day(iv.event.start, tz)} "
                         f"with {people}")
        if app.offer_at:
            lines.append(f"    offer received {_day(app.offer_at, tz)}")
        if app.rejected:
            lines.append("    a rejection was received")
        referrers = [p.name or p.email or "?" for p in app.people if p.role == "referrer"]
        if referrers:
            lines.append(f"    referred by {', '.join(referrers)}")
    return lines


def note_line(n: Note, tz: ZoneInfo) -> str:
    """One line for a note."""
    who = n.recipient.name or n.recipient.email or "?"
    addr = f" <{n.recipient.email}>" if n.recipient.email else " (no address known)"
    role = n.recipient.role.replace("_", " ")
    state = _STATE[n.state].format(reason=n.reason)
    return (f"  [{n.id}] {who}{addr}, {role} at {n.company}: for the {_OCCASION[n.occasion]} "
            f"on {n.occasion_start.astimezone(tz).strftime('%a %-d %b')}, "
            f"due {_day(n.due_at, tz)} — {state}")


def notes_text(notes: Iterable[Note], tz: ZoneInfo) -> list[str]:
    """A line per note, with why it is owed underneath."""
    out = []
    for n in notes:
        out.append(note_line(n, tz))
        if n.state not in ("waiting",):
            out.append(f"      why: {_why(n)}; {n.reason}")
    return out


def cycle_lines(notes: Iterable[Note], need_address: Iterable[Note], tz: ZoneInfo) -> list[str]:
    """What ``thankful scan`` prints of a cycle's notes: who is owed what and why, and
    the notes that wait for an address."""
    out = []
    shown = [n for n in notes if n.state not in ("done", "dismissed", "expired")]
    if shown:
        out += ["", "Who is owed a thank-you note, and why:", *notes_text(shown, tz)]
    for n in need_address:
        out += ["", f"  No address for {n.recipient.name} [{n.id}]: the reminder asks you for it."]
    return out


def _why(n: Note) -> str:
    role = n.recipient.role.replace("_", " ")
    if n.occasion == "phone_screen":
        return "after a phone screen the recruiter is thanked"
    if n.occasion == "interview":
        return "after an interview each interviewer is thanked"
    if n.is_referrer:
        return "after an offer the people who referred you are thanked first"
    return f"after an offer everyone involved is thanked (here: the {role})"


def health_lines(health: Iterable[Health], tz: ZoneInfo, now: datetime) -> list[str]:
    """A block per failing source: since when, how often, its next try and last error."""
    out = []
    for h in health:
        what = "needs you" if h.must_act else "failing"
        since = (f" since {h.failing_since.astimezone(tz).strftime('%a %-d %b %H:%M:%S')}"
                 if h.failing_since else "")
        nxt = (f"next try {h.next_attempt.astimezone(tz).strftime('%a %-d %b %H:%M:%S')}"
               if h.next_attempt and h.next_attempt > now else "next try at the next cycle")
        out.append(f"  {h.source}: {what}{since}, {h.failures} failure(s) in a row; {nxt}")
        out.append(f"      {h.last_error}")
    return out
