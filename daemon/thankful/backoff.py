"""Per-source backoff after failures: when to try a source again, when to tell the user. Pure.

A source (an account, a calendar, ``smtp``, ``tasks``) that fails is left alone by the
daemon's cycles until its next attempt: ``min(cap, base * 2**(failures - 1))`` after the
failure, shortened by up to a quarter at random so that many daemons (or sources) do
not retry in step; never longer than the cap. The first failure is told to the user
(logged at error level), repeats only once an hour; the rest is logged at info level.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta

#: A failing source is told to the user at most this often.
TELL_EVERY = timedelta(hours=1)
#: The share of a delay taken off at random.
JITTER = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    """What is known of a failing source (none is kept for a healthy one)."""

    source: str
    failures: int = 0
    next_attempt: datetime | None = None
    last_error: str = ""
    #: The user must act (a refused password, a full mailbox or disk, a wrong path).
    must_act: bool = False
    failing_since: datetime | None = None
    last_told: datetime | None = None


def delay(failures: int, base: timedelta, cap: timedelta, rand: float) -> timedelta:
    """The wait after the ``failures``-th failure in a row; ``rand`` in [0, 1)."""
    full = cap if failures > 30 else min(cap, base * 2 ** max(0, failures - 1))
    return full * (1 - JITTER * rand)


def after_failure(old: Health | None, *, source: str, now: datetime, error: str,
                  must_act: bool, base: timedelta, cap: timedelta,
                  rand: float) -> tuple[Health, bool]:
    """The source's health after a failure at ``now``, and whether to tell the user now."""
    failures = (old.failures if old else 0) + 1
    told = old.last_told if old and old.failures else None
    tell = told is None or now - told >= TELL_EVERY
    return Health(source=source, failures=failures,
                  next_attempt=now + delay(failures, base, cap, rand), last_error=error,
                  must_act=must_act,
                  failing_since=old.failing_since if old and old.failing_since else now,
                  last_told=now if tell else told), tell


def due(health: Health | None, now: datetime, slack: timedelta = timedelta(seconds=1)) -> bool:
    """Whether a source is to be tried at ``now`` (a little early counts as on time)."""
    return health is None or health.next_attempt is None or health.next_attempt <= now + slack


def retry_now(health: Health) -> Health:
    """Try at the next cycle (the user changed the configuration)."""
    return replace(health, next_attempt=None)
