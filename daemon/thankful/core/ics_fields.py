"""Reading single values out of an icalendar VEVENT, and naming zones. Pure: no I/O.

Producers repeat properties that should occur once (SUMMARY, STATUS, ORGANIZER),
write junk where numbers belong and leave properties broken; icalendar then
returns lists or ``vBroken`` values. These readers always return one plain value.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.tz import tzical
from icalendar import Component
from icalendar.prop import vRecur
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON


@lru_cache(maxsize=512)
def iana(name: str) -> ZoneInfo | None:
    """The IANA zone of that exact name, or None."""
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def known_zone(name: str) -> tzinfo | None:
    """An IANA zone for an IANA, Windows or /vendor/Area/City name (no file's VTIMEZONE)."""
    zone = iana(name) or iana(WINDOWS_TO_OLSON.get(name, ""))
    if zone is None and name.startswith("/"):  # /mozilla.org/20050126_1/Europe/Berlin
        parts = name.strip("/").split("/")
        zone = next((z for i in range(1, len(parts)) if (z := iana("/".join(parts[i:])))), None)
    return zone


def dt(comp: Component, name: str) -> Any:
    """The parsed value of a date-time property that is known to be present and valid."""
    prop: Any = comp[name]
    return prop.dt


def rule_text(rule: vRecur) -> str:
    """A recurrence rule as iCalendar text (what dateutil and recurring-ical-events read)."""
    untyped: Any = rule  # vRecur.to_ical has no annotations
    return str(untyped.to_ical().decode())


def vtimezone_zone(lines: list[str]) -> tzinfo:
    """The zone a VTIMEZONE block (as ``ics_text.tz_lines`` gives it) defines.

    dateutil's reader is used directly: icalendar's would cache the zone by TZID
    for the whole process, and the first definition of a name would then win
    over every later file's own.

    :raises ValueError: (or another exception from dateutil) for an unusable block.
    """
    body = "\r\n".join("TZID:file-zone" if ln.startswith("TZID:") else ln for ln in lines)
    zone = tzical(io.StringIO(body)).get()
    if zone is None:
        raise ValueError("no time zone defined")
    return zone


def date_if_said(prop: Any) -> Any:
    """The value, as a date when VALUE=DATE says so (with a TZID, icalendar returns a datetime)."""
    value = prop.dt
    if isinstance(value, datetime) and str(prop.params.get("VALUE", "")).upper() == "DATE":
        return value.date()
    return value


def single(comp: Component, name: str) -> Any:
    """A property that should occur once; a repeated one keeps its first value."""
    prop = comp.get(name)
    if isinstance(prop, list):
        prop = prop[0] if prop else None
        del comp[name]
        if prop is not None:
            comp.add(name, prop)
    return prop


def text(comp: Component, name: str) -> str:
    """A text property as one stripped string ('' when absent; the first when repeated)."""
    value = comp.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()


def location(comp: Component) -> str:
    """LOCATION, else the X-TITLE of Apple's X-APPLE-STRUCTURED-LOCATION."""
    found = text(comp, "LOCATION")
    if not found:
        prop = comp.get("X-APPLE-STRUCTURED-LOCATION")
        params = getattr(prop[0] if isinstance(prop, list) else prop, "params", None)
        found = str(params.get("X-TITLE", "")).strip() if params is not None else ""
    return found


def sequence(comp: Component) -> int:
    """SEQUENCE as an int; junk counts as 0."""
    try:
        return int(str(text(comp, "SEQUENCE")) or 0)
    except ValueError:
        return 0


def dtstamp(comp: Component, tz: tzinfo) -> datetime | None:
    """DTSTAMP in UTC (a floating or date value read in ``tz``), or None."""
    prop = comp.get("DTSTAMP")
    if isinstance(prop, list):
        prop = prop[0] if prop else None
    try:
        return to_utc(prop.dt, tz) if prop is not None else None
    except Exception:  # a vBroken DTSTAMP raises on .dt
        return None


def to_utc(value: date, tz: tzinfo) -> datetime:
    """An aware UTC datetime: dates are midnight in ``tz``, naive times are in ``tz``."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def synthetic_uid(comp: Component) -> str:
    """A stable stand-in UID for events that have none (CDO writes such requests)."""
    parts = []
    for name in ("DTSTART", "SUMMARY", "ORGANIZER"):
        value = comp.get(name)
        parts.append(value.to_ical().decode() if hasattr(value, "to_ical") else str(value))
    seed = "|".join(parts)
    return "no-uid-" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:16]


def repair_rule(prop: Any) -> vRecur | None:
    """A usable vRecur from an RRULE/EXRULE, repairing CDO's 'BYDAY=MO\\, TU'; None if hopeless."""
    if isinstance(prop, vRecur):
        return prop
    try:
        rule = vRecur.from_ical("".join(str(prop).replace("\\", "").split()))
    except Exception:  # vRecur.from_ical raises ValueError and others on junk
        return None
    return rule if isinstance(rule, vRecur) else None
