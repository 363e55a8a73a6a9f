"""iCalendar data -> model.CalEvent occurrences inside a time window. Pure: no I/O.

``parse_calendar`` is the only public function. It never raises for bad data:
what cannot be used is skipped with a one-line reason in ``problems``, and a file
that yields nothing usable comes back as ``events=()`` with problems (refused).

Rules, in the order they are applied:

* Input over 5 MB is refused. Bytes are UTF-8; invalid sequences are replaced.
* The text is repaired and split first (see ``ics_text``): bad folding, truncated
  components, several VCALENDARs in one file. Only VEVENTs are used.
* Time zones are resolved here, per file, never from icalendar's process-wide
  cache (it keeps the first VTIMEZONE seen for a TZID, and Outlook reuses names
  like "Customized Time Zone" for different zones). A TZID is, in this order:
  an IANA name (tzdata beats the often partial VTIMEZONE copies), a VTIMEZONE
  of this file, a Windows zone name, a ``/vendor/Area/City`` name. Anything else
  is unknown and read in ``default_tz``, as are floating times, except that a
  calendar's X-WR-TIMEZONE (Google) applies to its floating times and, like
  recurring-ical-events does, turns its UTC times into that zone so that a
  weekly 15:00 stays 15:00 across DST.
* Copies of an event (same UID, RECURRENCE-ID and DTSTART) count once: the highest
  SEQUENCE, then DTSTAMP. An override that does not state SUMMARY, DESCRIPTION,
  LOCATION, ORGANIZER or ATTENDEE takes its master's.
* All-day dates become midnight in ``default_tz``. Missing DTEND: DURATION, else
  one day for a date, else the start itself (zero length). An end before the
  start is dropped (zero length).
* Recurrences are expanded with recurring-ical-events (RRULE, RDATE, EXDATE,
  RECURRENCE-ID overrides; EXRULE is applied here, as that library ignores it),
  after ``ics_recur`` has checked each rule. A rule that is refused, or a series
  the library cannot expand, falls back to its master's own start and its
  overrides, so a meeting never silently vanishes.
* Every event, single or recurring, is returned only if it overlaps
  ``[window_start, window_end]``; at most ``max_occurrences`` (earliest first).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar
from icalendar import Component
from icalendar.prop import vRecur

from thankful.core import ics_text
from thankful.core.ics_fields import date_if_said
from thankful.core.ics_fields import dt
from thankful.core.ics_fields import dtstamp
from thankful.core.ics_fields import iana
from thankful.core.ics_fields import known_zone
from thankful.core.ics_fields import location
from thankful.core.ics_fields import repair_rule
from thankful.core.ics_fields import rule_text
from thankful.core.ics_fields import sequence
from thankful.core.ics_fields import single
from thankful.core.ics_fields import synthetic_uid
from thankful.core.ics_fields import text
from thankful.core.ics_fields import to_utc
from thankful.core.ics_fields import vtimezone_zone
from thankful.core.ics_people import attendees_of
from thankful.core.ics_people import organizer_of
from thankful.core.ics_recur import FILE_BUDGET
from thankful.core.ics_recur import estimate
from thankful.core.ics_recur import rule_problem
from thankful.core.ics_recur import rule_starts
from thankful.core.model import CalEvent
from thankful.core.model import ParsedCalendar

_MAX_PROBLEMS = 40
#: Seconds of rule checks and expansion per file (a backstop to the budgets: a rule that
#: never matches costs up to ~0.5 s to detect, and a file may hold thousands).
_WORK_SECONDS = 2.0
#: Distinct RRULEs (and EXRULEs) checked per event: real ones have one (Cyrus writes it
#: twice); each check of a rule that never matches can cost ~0.3 s.
_MAX_RULES = 3
#: Longest event kept as such: a longer DTEND or DURATION is dropped (a mutated file gave
#: a weekly series from the year 1 a DTEND in 2022, so that each of its 105,000
#: occurrences overlapped the window, and copying them took minutes).
_MAX_LENGTH = timedelta(days=366)
# The libraries are queried around the window, so that all-day dates in any zone are
# seen; the result is cut to the exact window afterwards.
_PAD = timedelta(days=2)
_CANCEL_PREFIXES = ("canceled:", "cancelled:")
_SERIES = ("RRULE", "RDATE", "RECURRENCE-ID")
# What an override takes from its master when it does not say (Outlook and Zimbra
# write only what changed in an exception).
_INHERITED = ("SUMMARY", "DESCRIPTION", "LOCATION", "ORGANIZER", "ATTENDEE")


def parse_calendar(
    data: bytes | str,
    *,
    default_tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    max_occurrences: int = 500,
) -> ParsedCalendar:
    """Parse one iCalendar object into the event occurrences overlapping the window.

    :param data: the calendar; bytes are read as UTF-8. Over 5 MB is refused.
    :param default_tz: the user's zone, for floating times, unknown TZIDs and all-day dates.
    :param window_start: aware; events that end before it are not returned.
    :param window_end: aware; events that start at or after it are not returned.
    :raises ValueError: only for a naive window (a caller's bug), never for bad data.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window_start and window_end must be timezone-aware")
    if len(data) > ics_text.MAX_INPUT:
        return ParsedCalendar(problems=(f"refused: {len(data)} bytes is over the 5 MB limit",))
    # Kept clear of datetime's limits, so that padding the window cannot overflow.
    lowest, highest = datetime(2, 1, 1, tzinfo=UTC), datetime(9998, 1, 1, tzinfo=UTC)
    start = min(max(window_start.astimezone(UTC), lowest), highest)
    end = min(max(window_end.astimezone(UTC), lowest), highest)
    parser = _Parser(default_tz, start, end)
    # The libraries warn about guesses (a vendor-prefixed TZID, say): those become
    # problems of this file rather than text on stderr.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = parser.run(data, max_occurrences)
    if caught:
        notes = tuple(dict.fromkeys(" ".join(str(w.message).split())[:200] for w in caught))
        parsed = replace(parsed, problems=parsed.problems + notes)
    return parsed


@dataclass(frozen=True, slots=True)
class _Occurrence:
    """What is known about an occurrence before its CalEvent is built."""

    start: datetime
    end: datetime
    all_day: bool
    uid: str
    recurrence_id: str | None
    comp: Component
    method: str | None
    #: The SEQUENCE the file gives this occurrence (recurring-ical-events puts the
    #: series' highest on every occurrence; the master's or override's own is kept).
    sequence: int


class _Parser:
    """One parse: the problems found, the budgets left, the zones of the current calendar."""

    def __init__(self, default_tz: ZoneInfo, start: datetime, end: datetime) -> None:
        self.tz = default_tz
        self.start = start
        self.end = end
        self.problems: list[str] = []
        self.budget = FILE_BUDGET
        self.more = 0  # problems beyond _MAX_PROBLEMS, counted only
        self.deadline: float | None = None  # set when the first rule is checked
        self.zones: dict[str, tzinfo] = {}
        self.xwr: tzinfo | None = None

    def problem(self, message: str) -> None:
        """Record a one-line reason (library messages can hold line breaks)."""
        message = " ".join(message.splitlines())
        if len(self.problems) >= _MAX_PROBLEMS:
            self.more += 1
        elif message not in self.problems:
            self.problems.append(message)

    def out_of_time(self) -> bool:
        """Whether the work budget is spent; the clock starts at the first question."""
        if self.deadline is None:
            self.deadline = time.monotonic() + _WORK_SECONDS
        return time.monotonic() > self.deadline

    def run(self, data: bytes | str, max_occurrences: int) -> ParsedCalendar:
        decoded = ics_text.decode(data, self.problems)
        lines = ics_text.logical_lines(decoded, self.problems)
        cals = ics_text.split_calendars(lines, self.problems,
                                        (self.start.date(), self.end.date()))
        methods = [_header(cal, "METHOD").upper() or None for cal in cals]
        if not any(cal.events or cal.outside for cal in cals):
            self.problem("no events" if cals else "not iCalendar data: no VCALENDAR or VEVENT")
        found: list[_Occurrence] = []
        for cal, method in zip(cals, methods, strict=True):
            found.extend(self._calendar(cal, method))
        found.sort(key=lambda o: (o.start, o.uid, o.recurrence_id or ""))
        if len(found) > max_occurrences:
            self.problem(f"capped at {max_occurrences} of {len(found)} occurrences in the window")
            del found[max_occurrences:]
        # People and texts are read only for what is returned: a feed can expand to thousands.
        events = tuple(self._build(o) for o in found)
        problems = self.problems[:_MAX_PROBLEMS]
        more = self.more + len(self.problems) - len(problems)
        if more:
            problems.append(f"... and {more} more problems")
        method = next((m for m in methods if m), None)
        return ParsedCalendar(method=method, events=events, problems=tuple(problems))

    # -- one VCALENDAR -------------------------------------------------------------

    def _calendar(self, cal: ics_text.CalendarText, method: str | None) -> list[_Occurrence]:
        self.zones = {}
        for block in cal.timezones:
            self._add_zone(ics_text.tz_lines(block))
        xwr_name = _header(cal, "X-WR-TIMEZONE")
        self.xwr = known_zone(xwr_name) if xwr_name else None
        if xwr_name and self.xwr is None:
            self.problem(f"unknown X-WR-TIMEZONE {xwr_name!r} ignored")
        series: dict[str, list[Component]] = {}
        for comp in self._components(cal):
            try:
                uid = self._normalise(comp)
            except Exception as exc:  # what no rule foresaw loses this event, not the file
                self.problem(f"event {text(comp, 'UID')!r} skipped: {type(exc).__name__}: {exc}")
                continue
            if uid is not None:
                series.setdefault(uid, []).append(comp)
        found: list[_Occurrence] = []
        for uid, comps in series.items():
            try:
                found.extend(self._series(uid, comps, method))
            except Exception as exc:  # as above: one series, not the file
                self.problem(f"series {uid!r} skipped: {type(exc).__name__}: {exc}")
        return found

    def _series(self, uid: str, comps: list[Component], method: str | None) -> list[_Occurrence]:
        """The occurrences of one UID's components that overlap the window."""
        comps = _without_copies(comps)
        _inherit(comps)
        found = []
        for comp, recurring, seq in self._expand(uid, comps):
            occ = self._occurrence(comp, uid, recurring, method, seq)
            # A zero-length event at exactly the window's start counts as inside.
            if occ.start < self.end and (occ.end > self.start or occ.start >= self.start):
                found.append(occ)
        return found

    def _add_zone(self, lines: list[str]) -> None:
        tzid = next((ln[5:] for ln in lines if ln.startswith("TZID:")), "")
        tzid = ics_text.unescape_text(tzid).strip().strip('"')
        if not tzid:  # defines nothing (Zimbra writes an empty X-INVALID-TIMEZONE one)
            return
        try:
            self.zones[tzid] = vtimezone_zone(lines)
        except Exception as exc:  # dateutil raises ValueError, IndexError, KeyError on junk
            self.problem(f"VTIMEZONE {tzid!r} unusable: {str(exc)[:80]}")

    def _components(self, cal: ics_text.CalendarText) -> list[Component]:
        whole = [line for block in cal.events for line in block]
        try:
            return _vevents(whole)
        except Exception:  # icalendar gives up on the whole text for one bad event
            pass
        comps: list[Component] = []
        for block in cal.events:
            try:
                comps.extend(_vevents(block))
            except Exception as exc:  # ValueError mostly, but junk can raise others
                self.problem(f"event {ics_text.block_uid(block)!r} skipped: {str(exc)[:100]}")
        return comps

    # -- one VEVENT, fixed in place ---------------------------------------------------

    def _normalise(self, comp: Component) -> str | None:
        """Fix a VEVENT's times and rules in place; its UID, or None if it is unusable."""
        uid = text(comp, "UID")
        if not uid:
            uid = synthetic_uid(comp)
            self.problem(f"event without UID: called {uid!r}")
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DURATION"):
            prop = single(comp, name)
            if prop is None:
                continue
            try:
                if name != "DURATION":
                    prop.dt = self._zoned(date_if_said(prop), prop.params.get("TZID"))
                elif not isinstance(prop.dt, timedelta) or prop.dt < timedelta(0):
                    raise ValueError("not a positive duration")
            except Exception as exc:  # a vBroken raises on .dt
                del comp[name]
                if name == "DTSTART":
                    break
                self.problem(f"event {uid!r}: bad {name} ignored: {str(exc)[:80]}")
        if "DTSTART" not in comp or not isinstance(dt(comp, "DTSTART"), date):
            self.problem(f"event {uid!r} skipped: no usable DTSTART")
            return None
        self._fix_lists(comp, uid)
        end = comp.get("DTEND")
        start = dt(comp, "DTSTART")
        if end is not None and (
            isinstance(start, datetime) != isinstance(end.dt, datetime) or end.dt < start
        ):
            del comp["DTEND"]
            self.problem(f"event {uid!r}: DTEND before DTSTART or of another type ignored")
        elif end is not None and end.dt - start > _MAX_LENGTH:
            del comp["DTEND"]
            self.problem(f"event {uid!r}: DTEND over a year after DTSTART ignored")
        length = single(comp, "DURATION")
        if length is not None and isinstance(length.dt, timedelta) and length.dt > _MAX_LENGTH:
            del comp["DURATION"]
            self.problem(f"event {uid!r}: DURATION over a year ignored")
        self._check_rules(comp, uid, "RRULE")
        self._check_rules(comp, uid, "EXRULE")
        return uid

    def _zoned(self, value: Any, tzid: object) -> Any:
        """A date-time value made aware in the zone this file means; other values unchanged."""
        if isinstance(value, tuple):  # an RDATE period
            return tuple(self._zoned(v, tzid) for v in value)
        if not isinstance(value, datetime):
            return value  # a date (all-day) or a duration
        if tzid:
            name = str(tzid).strip().strip('"')
            zone = iana(name) or self.zones.get(name) or known_zone(name)
            if zone is None:
                self.problem(f"unknown TZID {name[:60]!r}: read in {self.tz.key}")
                zone = self.tz
            return value.replace(tzinfo=zone)  # icalendar kept the wall-clock time
        if value.tzinfo is None:
            return value.replace(tzinfo=self.xwr or self.tz)
        if self.xwr is not None and value.tzname() == "UTC":
            return value.astimezone(self.xwr)
        return value

    def _fix_lists(self, comp: Component, uid: str) -> None:
        for name in ("RDATE", "EXDATE"):
            props = comp.get(name)
            if props is None:
                continue
            good = []
            for prop in props if isinstance(props, list) else [props]:
                try:
                    for value in prop.dts:
                        value.dt = self._zoned(value.dt, prop.params.get("TZID"))
                    good.append(prop)
                except Exception:  # a vBroken has no .dts
                    self.problem(f"event {uid!r}: bad {name} ignored")
            del comp[name]
            for prop in good:
                comp.add(name, prop)

    def _check_rules(self, comp: Component, uid: str, name: str) -> None:
        props = comp.get(name)
        if props is None:
            return
        good: dict[str, vRecur] = {}  # Cyrus writes the same RRULE twice: expand it once
        checked: set[str] = set()
        for prop in props if isinstance(props, list) else [props]:
            rule = repair_rule(prop)
            if rule is None:
                self.problem(f"event {uid!r}: {name} not expanded, it cannot be read")
                continue
            if rule is not prop:
                self.problem(f"event {uid!r}: {name} {str(prop)[:60]!r} repaired")
            key = rule_text(rule)
            if key in good or key in checked:
                continue
            if len(checked) >= _MAX_RULES:
                self.problem(f"event {uid!r}: more than {_MAX_RULES} {name}s, the rest ignored")
                break
            checked.add(key)
            start, until = dt(comp, "DTSTART"), self.end + _PAD
            why = "the time budget is spent" if self.out_of_time() else None
            why = why or rule_problem(rule, start, until, self.start - _PAD)
            if why is None:
                self.budget -= estimate(rule, start, until)
                if self.budget < 0:
                    why = "the file's expansion budget is spent"
            if why is None:
                good[key] = rule
            else:
                self.problem(f"event {uid!r}: {name} not expanded, {why}")
        del comp[name]
        for rule in good.values():
            comp.add(name, rule)

    # -- expansion ------------------------------------------------------------------

    def _expand(self, uid: str, comps: list[Component]) -> Iterator[tuple[Component, bool, int]]:
        """Each occurrence of one UID's components: with whether it is in a series, its SEQUENCE."""
        if not any(name in comp for comp in comps for name in _SERIES):
            yield from ((comp, False, sequence(comp)) for comp in comps)
            return
        if self.out_of_time():
            self.problem(f"series {uid!r} not expanded: time budget spent; kept its own events")
            yield from _fallback(comps)
            return
        cal = Calendar()
        for comp in comps:
            cal.add_component(comp)
        try:
            occs = recurring_ical_events.of(cal).between(self.start - _PAD, self.end + _PAD)
        except Exception as exc:  # the library raises many types on broken series
            self.problem(f"series {uid!r} not expanded ({type(exc).__name__}): kept its own events")
            yield from _fallback(comps)
            return
        own = {to_utc(dt(c, "RECURRENCE-ID"), self.tz): sequence(c) for c in comps
               if "RECURRENCE-ID" in c}
        master = next((sequence(c) for c in comps if "RECURRENCE-ID" not in c), 0)
        excluded = {
            to_utc(hit, self.tz)
            for comp in comps
            for rule in _as_list(comp.get("EXRULE"))
            for hit in rule_starts(rule_text(rule), dt(comp, "DTSTART"), self.end + _PAD)
        }
        for occ in occs:
            rid = to_utc(dt(occ, "RECURRENCE-ID" if "RECURRENCE-ID" in occ else "DTSTART"), self.tz)
            if rid not in excluded:
                yield occ, True, own.get(rid, master)

    # -- one occurrence ---------------------------------------------------------------

    def _occurrence(
        self, comp: Component, uid: str, recurring: bool, method: str | None, seq: int
    ) -> _Occurrence:
        """An expanded VEVENT's times in UTC."""
        start_value = dt(comp, "DTSTART")
        all_day = not isinstance(start_value, datetime)
        start = to_utc(start_value, self.tz)
        if "DTEND" in comp:
            end = to_utc(dt(comp, "DTEND"), self.tz)
        elif "DURATION" in comp:
            end = to_utc(start_value + dt(comp, "DURATION"), self.tz)
        else:
            end = start
        if all_day and end <= start:  # no end, or DTEND = DTSTART (Yahoo): one day
            end = to_utc(start_value + timedelta(days=1), self.tz)
        rid = None
        if recurring:
            original = dt(comp, "RECURRENCE-ID") if "RECURRENCE-ID" in comp else start_value
            rid = to_utc(original, self.tz).isoformat()
        return _Occurrence(start, max(end, start), all_day, uid, rid, comp, method, seq)

    def _build(self, occ: _Occurrence) -> CalEvent:
        comp = occ.comp
        status = text(comp, "STATUS").upper() or None
        summary = text(comp, "SUMMARY")
        return CalEvent(
            uid=occ.uid,
            recurrence_id=occ.recurrence_id,
            sequence=occ.sequence,
            dtstamp=dtstamp(comp, self.tz),
            start=occ.start,
            end=occ.end,
            all_day=occ.all_day,
            summary=summary,
            description=text(comp, "DESCRIPTION"),
            location=location(comp),
            organizer=organizer_of(comp),
            attendees=attendees_of(comp),
            cancelled=status == "CANCELLED"
            or occ.method == "CANCEL"
            or summary.casefold().startswith(_CANCEL_PREFIXES),
            method=occ.method,
            status=status,
        )


def _vevents(lines: list[str]) -> list[Component]:
    """The VEVENTs icalendar reads from event blocks (wrapped in a bare VCALENDAR)."""
    wrapped = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR", ""])
    return [c for cal in Calendar.from_ical(wrapped, multiple=True) for c in cal.walk("VEVENT")]


def _header(cal: ics_text.CalendarText, name: str) -> str:
    for line in cal.header:
        if line.split(":", 1)[0].split(";", 1)[0].strip().upper() == name:
            return ics_text.unescape_text(line.partition(":")[2]).strip()
    return ""


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _without_copies(comps: list[Component]) -> list[Component]:
    """One component per (RECURRENCE-ID, DTSTART): the highest SEQUENCE, then DTSTAMP.

    Outlook exports can hold the same event twice. Components that differ in
    their start are all kept: a UID reused for different events must not lose one.
    """
    best: dict[tuple[object, object], Component] = {}
    for comp in comps:
        key = (comp.get("RECURRENCE-ID") and dt(comp, "RECURRENCE-ID"), dt(comp, "DTSTART"))
        kept = best.get(key)
        if kept is None or _version(comp) > _version(kept):
            best[key] = comp
    return list(best.values())


def _version(comp: Component) -> tuple[int, datetime]:
    return sequence(comp), dtstamp(comp, UTC) or datetime.min.replace(tzinfo=UTC)


def _inherit(comps: list[Component]) -> None:
    """Give overrides the master's people and texts they do not state themselves."""
    master = next((c for c in comps if "RECURRENCE-ID" not in c), None)
    if master is None:
        return
    for comp in comps:
        if "RECURRENCE-ID" in comp:
            for name in _INHERITED:
                if name not in comp and name in master:
                    for value in _as_list(master.get(name)):
                        comp.add(name, value)


def _fallback(comps: list[Component]) -> Iterator[tuple[Component, bool, int]]:
    """A series that cannot be expanded: its master's own start and every override."""
    moved = {to_utc(dt(c, "RECURRENCE-ID"), UTC) for c in comps if "RECURRENCE-ID" in c}
    for comp in comps:
        if "RECURRENCE-ID" in comp or to_utc(dt(comp, "DTSTART"), UTC) not in moved:
            yield comp, True, sequence(comp)
