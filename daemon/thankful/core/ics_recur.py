"""Guards that bound the work one recurrence rule can cause. Pure: no I/O.

dateutil, which recurring-ical-events uses, walks a rule period by period from
DTSTART and only looks at UNTIL or the query's end when a period *matches*. So
INTERVAL=0 never advances, a SECONDLY rule from 1970 takes hours, and a rule that
never matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) is walked to the year 9999.
Each rule is checked here before it is expanded.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur

from thankful.core.ics_fields import rule_text

#: Upper bound on the candidate times one rule may generate up to the window's end.
SERIES_BUDGET = 200_000
#: Upper bound on the sum of all rules' estimates in one file.
FILE_BUDGET = 1_000_000
#: A rule that puts more than this many times in the query's window, at more than
#: DENSITY_LIMIT a day, is refused: each time becomes a copy of the event (~0.3 ms) and a
#: file returns only 500. No meeting series is that dense (a daily one never is); a rule
#: of every minute put 120,000 times in the cycle's eight months.
WINDOW_BUDGET = 2_000
DENSITY_LIMIT = 8
_PERIOD_DAYS = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 28, "YEARLY": 365}
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO")
_COUNT_UNTIL = re.compile(r"(^|;)(COUNT|UNTIL)=[^;]*", re.IGNORECASE)
_MAXYEAR = 9999


def _first(rule: vRecur, key: str, default: object = None) -> Any:
    value = rule.get(key)
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


def _count(rule: vRecur, key: str) -> int:
    value = rule.get(key)
    return max(1, len(value) if isinstance(value, list) else 1 if value else 0)


def estimate(rule: vRecur, start: date, window_end: datetime) -> int:
    """Upper bound on the candidates dateutil generates from ``start`` to ``window_end``."""
    freq = str(_first(rule, "FREQ", "")).upper()
    interval = int(_first(rule, "INTERVAL", 1))
    begin = start if isinstance(start, datetime) else datetime(start.year, start.month, start.day)
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=UTC)
    days = max(0, (window_end - begin).days) + 2
    periods = days // (_PERIOD_DAYS[freq] * interval) + 1
    per_day = _count(rule, "BYHOUR") * _count(rule, "BYMINUTE") * _count(rule, "BYSECOND")
    has_day_parts = any(rule.get(k) for k in _DAY_PARTS)
    per_period = {
        "DAILY": 1,
        "WEEKLY": _count(rule, "BYDAY"),
        "MONTHLY": 31 if has_day_parts else 1,
        "YEARLY": 366 if has_day_parts else _count(rule, "BYMONTH"),
    }[freq]
    return periods * per_period * per_day


def rule_problem(rule: vRecur, start: date, window_end: datetime,
                 window_start: datetime | None = None) -> str | None:
    """Why a parsed RRULE/EXRULE must not be expanded, or None when it is safe."""
    freq = str(_first(rule, "FREQ", "")).upper()
    if freq not in _PERIOD_DAYS:
        # Sub-daily rules are never meeting series, and dateutil is slowest on them.
        return f"FREQ={freq or '?'} is not expanded"
    try:
        interval = int(_first(rule, "INTERVAL", 1))
    except (TypeError, ValueError):
        return "INTERVAL is not a number"
    if interval < 1:
        return f"INTERVAL={interval} never advances"
    cost = estimate(rule, start, window_end)
    if cost > SERIES_BUDGET:
        return f"expanding it would generate about {cost} times"
    if window_start is not None:
        begin = start if isinstance(start, datetime) else datetime(
            start.year, start.month, start.day, tzinfo=UTC)
        begin = begin if begin.tzinfo is not None else begin.replace(tzinfo=UTC)
        begin = max(begin, window_start)
        inside = estimate(rule, begin, window_end)
        days = max(0, (window_end - begin).days) + 2
        if inside > WINDOW_BUDGET and inside > DENSITY_LIMIT * days:
            return f"it would put about {inside} times in the window"
    if _never_matches(rule_text(rule), start, interval):
        return "it never matches a date"
    return None


def _never_matches(text: str, start: date, interval: int) -> bool:
    """Whether a rule has no occurrence at all, in bounded time.

    The Gregorian calendar repeats exactly every 400 years (146097 days = 20871
    weeks = 4800 months), so moving DTSTART forward by a multiple of 400 years
    keeps the rule's pattern. The probe starts as close to dateutil's end (9999)
    as still leaves 400 * INTERVAL years, one full cycle of the pattern; a rule
    that matches nothing there matches nothing ever. Without COUNT and UNTIL,
    the probe costs at most ~800 years of periods (well under a second).
    """
    begin = start if isinstance(start, datetime) else datetime(start.year, start.month, start.day)
    begin = begin.replace(tzinfo=None)
    shift = max(0, (_MAXYEAR - 400 * interval - begin.year) // 400) * 400
    probe_text = _COUNT_UNTIL.sub("", text).strip(";")
    try:
        probe = rrulestr(probe_text, dtstart=begin.replace(year=begin.year + shift))
        return next(iter(probe), None) is None
    except (ValueError, TypeError, OverflowError):
        # dateutil refuses some impossible rules itself ("byxxx generates an empty set").
        return True


def rule_starts(text: str, start: date, until: datetime) -> list[date]:
    """The starts a (checked) rule generates from ``start`` up to ``until``, in start's type.

    Used for EXRULE, which recurring-ical-events ignores. Dates are expanded as
    naive midnights, date-times in their own zone.
    """
    if isinstance(start, datetime):
        limit = until.astimezone(start.tzinfo)
        return list(rrulestr(text, dtstart=start).between(start, limit, inc=True))
    begin = datetime(start.year, start.month, start.day)
    hits = rrulestr(text, dtstart=begin).between(begin, until.replace(tzinfo=None), inc=True)
    return [hit.date() for hit in hits]
