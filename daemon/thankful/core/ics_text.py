"""Text-level repair and splitting of iCalendar data, before icalendar sees it. Pure: no I/O.

icalendar silently drops lines it cannot parse (an ATTENDEE can vanish that way),
returns nothing for a truncated file and rejects a whole file for one bad
component. So the raw text is first cut into logical lines and components here:

* bad folding is repaired: a line that cannot start a property continues the one
  before it (Outlook/CDO lose the leading space; Exchange writes raw newlines
  into DESCRIPTION);
* unclosed components are closed (truncated files) and stray END lines dropped;
* only VEVENT and VTIMEZONE blocks are kept (VTODO, VJOURNAL, VFREEBUSY, ... are
  ignored, which also keeps their parse errors from sinking the events);
* VTIMEZONE blocks whose rules are not plain yearly rules are dropped, because
  dateutil expands them lazily and an INTERVAL=0 or MINUTELY rule hangs the
  first time a time is converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

#: Largest input accepted, in bytes (or characters for str input).
MAX_INPUT = 5 * 1024 * 1024
#: More RDATE values than this in one VTIMEZONE is not a real time zone.
_MAX_TZ_RDATES = 2000
#: VEVENT blocks read from one file (all its calendars), besides the single events
#: outside the scan window, which are never parsed; the rest are skipped, with a
#: reason. Each costs ~0.1 ms (empty) to ~1 ms and ~8 KB (a real one) to read and
#: normalise: 5 MB holds 250,000 empty ones. A real calendar has far fewer than this
#: within months of now, however many years its export holds.
MAX_EVENTS = 5_000
#: VTIMEZONE blocks read from one file.
MAX_TIMEZONES = 200
_NAME = re.compile(r"[A-Za-z0-9-]+[;:]")
_NEWLINES = re.compile(r"\r\n|\n|\r")
# A lost fold happens at the producer's line width (75 octets); a short line
# followed by a non-property line is a raw newline inside a value instead.
_FOLD_WIDTH = 70
_KEPT = {"VEVENT", "VTIMEZONE"}
# Components that cannot nest in each other: a BEGIN of one closes any open one.
_TOP = {"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"}
# Outlook writes DTSTART;TZID="W. Europe Standard Time:20200609T090000" (value inside the quotes).
_VALUE_IN_TZID = re.compile(
    r'^((?:DTSTART|DTEND|RECURRENCE-ID|EXDATE|RDATE)(?:;[^:"]*)?);TZID="([^":]+):([0-9TZ,]+)"\s*:?\s*$',
    re.IGNORECASE,
)


@dataclass(slots=True)
class CalendarText:
    """One VCALENDAR cut into the parts the parser uses."""

    #: METHOD and X-WR-TIMEZONE lines only: nothing else at calendar level is used.
    header: list[str] = field(default_factory=list)
    timezones: list[list[str]] = field(default_factory=list)
    events: list[list[str]] = field(default_factory=list)
    #: Single events left out as wholly outside the window.
    outside: int = 0


def decode(data: bytes | str, problems: list[str]) -> str:
    """Bytes as text: UTF-8, with invalid sequences replaced (and reported)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            problems.append("invalid UTF-8 replaced with U+FFFD")
    else:
        text = data
    return text.lstrip("\ufeff")


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def logical_lines(text: str, problems: list[str]) -> list[str]:
    """Unfold the text into content lines, repairing bad folds and raw newlines."""
    out: list[str] = []
    last_len = 0
    repaired = 0
    for raw in _NEWLINES.split(text):
        if raw[:1] in (" ", "\t") and out:
            out[-1] += raw[1:]
        elif not raw.strip():
            continue
        elif _NAME.match(raw) or not out:
            out.append(raw)
        elif _name_value(out[-1])[0] in ("BEGIN", "END"):  # these take no continuation
            repaired += 1
        else:
            out[-1] += ("" if last_len >= _FOLD_WIDTH else " ") + raw
            repaired += 1
        last_len = len(raw)
    if repaired:
        problems.append(f"repaired or dropped {repaired} badly folded line(s)")
    moved = 0
    for i, line in enumerate(out):
        match = _VALUE_IN_TZID.match(line)
        if match is not None:
            out[i] = f"{match[1]};TZID={match[2]}:{match[3]}"
            moved += 1
    if moved:
        problems.append(f"repaired {moved} value(s) written inside a quoted TZID")
    # icalendar silently drops a property holding a control character (an ATTENDEE
    # among them): replace them, and say so.
    controls = 0
    for i, line in enumerate(out):
        cleaned, n = _CONTROLS.subn(" ", line)
        if n:
            out[i] = cleaned
            controls += n
    if controls:
        problems.append(f"replaced {controls} control character(s) in content lines")
    return out


def _name_value(line: str) -> tuple[str, str]:
    """The upper-cased property name and the raw value of a content line."""
    head, _, value = line.partition(":")
    return head.split(";", 1)[0].strip().upper(), value.strip()


def _day(value: str) -> date | None:
    """The date a DTSTART/DTEND value starts with (``20260316T100000Z``), or None."""
    digits = value.strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _outside(block: list[str], window: tuple[date, date]) -> bool:
    """Whether a VEVENT block is a single event (no rule, no RDATE, not an override) that
    ends before the window or starts after it, by its written dates with two days to
    spare for any time zone: such an event cannot matter and is not parsed."""
    start = end = None
    for line in block[1:]:
        name, value = _name_value(line)
        if name in ("RRULE", "RDATE", "EXRULE", "RECURRENCE-ID", "DURATION", "BEGIN"):
            return False  # a series, an override, or an event whose end is not written
        if name == "DTSTART":
            start = _day(value)
        elif name == "DTEND":
            end = _day(value)
    if start is None:
        return False
    spare = timedelta(days=2)
    return (end or start) < window[0] - spare or start > window[1] + spare


def split_calendars(lines: list[str], problems: list[str],
                    window: tuple[date, date] | None = None) -> list[CalendarText]:
    """Cut logical lines into calendars; close what is left open, drop what is not used.

    With a ``window`` (first and last day), single events that lie wholly outside it are
    left out here, where they cost next to nothing: a calendar export of ten years then
    costs what its weeks around now cost, and the cap below counts only those.
    """
    cals: list[CalendarText] = []
    cal: CalendarText | None = None
    stack: list[str] = []
    block: list[str] = []
    keep = False
    stack_top = ""  # the outermost open component
    closed = 0
    dropped = 0  # blocks over MAX_EVENTS / MAX_TIMEZONES
    events = zones = 0
    # A VEVENT without a DTSTART line cannot be used: it is skipped here, where it costs
    # next to nothing, and does not count against MAX_EVENTS ("BEGIN:VEVENT" repeated
    # 50,000 times is 50,000 empty events, which icalendar takes seconds to read).
    has_start = False
    no_start: list[str] = []  # the first one's UID, then a count
    no_starts = 0

    def close_open() -> None:
        nonlocal closed
        closed += len(stack)
        while stack:
            block.append("END:" + stack.pop())
        finish()

    def finish() -> None:
        nonlocal dropped, events, zones, no_starts
        if cal is not None and keep and block:
            if stack_top == "VEVENT" and not has_start:
                no_starts += 1
                if not no_start:
                    no_start.append(block_uid(block))
            elif stack_top == "VEVENT" and window is not None and _outside(block, window):
                cal.outside += 1
            elif stack_top == "VEVENT":
                if events < MAX_EVENTS:
                    cal.events.append(list(block))
                    events += 1
                else:
                    dropped += 1
            elif zones >= MAX_TIMEZONES:
                dropped += 1
            elif _tz_is_sane(block, problems):
                cal.timezones.append(list(block))
                zones += 1
        block.clear()

    for line in lines:
        name, value = _name_value(line)
        comp = value.upper()
        if name == "BEGIN" and comp == "VCALENDAR":
            close_open()
            cal = CalendarText()
            cals.append(cal)
        elif name == "END" and comp == "VCALENDAR":
            close_open()
            cal = None
        elif name == "BEGIN":
            if cal is None:  # a bare VEVENT without a VCALENDAR around it
                cal = CalendarText()
                cals.append(cal)
            if comp in _TOP and stack:  # an event started inside another: the first was cut off
                close_open()
            if not stack:
                stack_top, keep, has_start = comp, comp in _KEPT, False
            stack.append(comp)
            block.append(line)
        elif name == "END" and comp in stack:
            while stack[-1] != comp:
                block.append("END:" + stack.pop())
                closed += 1
            stack.pop()
            block.append(line)
            if not stack:
                finish()
        elif stack:
            if name != "END":  # a stray END without its BEGIN is dropped
                block.append(line)
                has_start = has_start or name == "DTSTART"
        elif cal is not None and name in ("METHOD", "X-WR-TIMEZONE"):
            cal.header.append(line)
    close_open()
    if closed:
        problems.append(f"truncated data: closed {closed} unterminated component(s)")
    if no_starts == 1:
        problems.append(f"event {no_start[0]!r} skipped: no DTSTART")
    elif no_starts:
        problems.append(f"{no_starts} events without DTSTART skipped (the first: "
                        f"{no_start[0]!r})")
    if dropped:
        problems.append(f"more than {MAX_EVENTS} events or {MAX_TIMEZONES} time zones: "
                        f"{dropped} component(s) skipped")
    return cals


def _tz_is_sane(block: list[str], problems: list[str]) -> bool:
    """Whether a VTIMEZONE only uses yearly rules and a bounded number of RDATEs."""
    tzid = next((v for n, v in map(_name_value, block) if n == "TZID"), "?")
    rdates = 0
    for line in block:
        name, value = _name_value(line)
        if name == "RRULE":
            parts = dict(p.partition("=")[::2] for p in value.upper().split(";"))
            interval = parts.get("INTERVAL", "1")
            if parts.get("FREQ") != "YEARLY" or not interval.isdigit() or int(interval) < 1:
                problems.append(f"VTIMEZONE {tzid!r} ignored: unusual rule {value[:60]!r}")
                return False
        elif name == "RDATE":
            rdates += value.count(",") + 1
    if rdates > _MAX_TZ_RDATES:
        problems.append(f"VTIMEZONE {tzid!r} ignored: {rdates} RDATEs")
        return False
    return True


def tz_lines(block: list[str]) -> list[str]:
    """A VTIMEZONE block reduced to what dateutil's tzical reads: no params, no X- lines."""
    keep = {"BEGIN", "END", "TZID", "DTSTART", "RRULE", "RDATE", "TZOFFSETFROM", "TZOFFSETTO"}
    out: list[str] = []
    for line in block:
        name, value = _name_value(line)
        if name in keep:
            out.append(f"{name}:{value}")
    return out


def block_uid(block: list[str]) -> str:
    """The UID written in a VEVENT block, for problem messages ("?" if none)."""
    for line in block:
        name, value = _name_value(line)
        if name == "UID":
            return value
    return "?"


def unescape_text(value: str) -> str:
    """Undo iCalendar TEXT escaping (a TZID may be written 'Athens\\, Bucharest')."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)
