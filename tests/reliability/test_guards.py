"""Issue 8, test 10: the safety guards are load-bearing.

Each guard is switched off in turn, in this process only, and the check of the test
that stands for it is run again: it must fail. A guard whose removal no test notices
protects nothing anyone could show.

=================================  ==================================================
guard switched off                 the check that then fails
=================================  ==================================================
the header check before APPEND     test_header_injection: hostile addresses are
(``compose._verify``)              refused or written exactly
the header sanitiser               test_header_injection: hostile names, subjects and
(``compose.clean``)                companies are cleaned, never a reason to skip
BODY.PEEK (``imap.PEEK``)          test_mailbox_unchanged: no FETCH that sets \\Seen
                                   appears in Dovecot's record of the session
the recurrence bound               test_hostile_input: a recurrence bomb is parsed
(``ics_recur.rule_problem`` and    within the CPU bound
the file's expansion budget)
=================================  ==================================================

Each case also runs the same check with the guard in place, so a failure is the
guard's doing and not the setting's.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import test_header_injection as injection
import test_hostile_input as hostile
import test_mailbox_unchanged as unchanged

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.test_imap_cycle import load_demo
from integration.test_imap_cycle import write_config
from thankful.adapters import imap
from thankful.config import load
from thankful.core import compose
from thankful.core import parse_ics
from thankful.demo_data import build_demo
from thankful.service import run_cycle

NOW = hostile.NOW


def _fails(check: Callable[[], None]) -> bool:
    try:
        check()
    except Exception:  # an assertion, a refusal, or a crash: all are failures
        return True
    return False


def test_without_the_header_check_a_hostile_address_goes_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    check = injection.test_hostile_addresses_are_refused_or_written_exactly
    assert not _fails(check)
    monkeypatch.setattr(compose, "_verify", lambda *a, **k: None)
    assert _fails(check)


def test_without_the_sanitiser_hostile_names_break_drafts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    values = range(0, len(injection.HOSTILE), 7)

    def check() -> None:
        for i in values:
            injection.test_hostile_names_subjects_and_companies_are_cleaned(i)

    assert not _fails(check)
    monkeypatch.setattr(compose, "clean", lambda value, limit=0: value)
    assert _fails(check)


def _commands_setting_seen(server: Dovecot, tmp_path: Path) -> list[bytes]:
    """The FETCH commands that set \\Seen, in a first cycle over the demo mailbox."""
    tmp_path.mkdir()
    user = ImapUser.new(server)
    data = build_demo(NOW)
    load_demo(user, data)
    before = unchanged.sessions(user)
    result = run_cycle(load(write_config(tmp_path, user, data)), NOW)
    assert result.ok, result.errors
    commands = [c for s in sorted(unchanged.sessions(user) - before)
                for c in unchanged.client_commands(s)]
    assert commands, "no rawlog of the cycle's session"
    return [c for c in commands if unchanged.kind(c) in ("FETCH", "UID FETCH")
            and unchanged.SETS_SEEN.search(c)]


def test_without_peek_the_scan_would_mark_mail_read(server: Dovecot, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert _commands_setting_seen(server, tmp_path / "guarded") == []
    monkeypatch.setattr(imap, "PEEK", "BODY")
    assert _commands_setting_seen(server, tmp_path / "unguarded")


_BOMB = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//guard//EN\r\nBEGIN:VEVENT\r\n"
         b"UID:bomb@guard\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260316T100000Z\r\n"
         b"DTEND:20260316T110000Z\r\nSUMMARY:Interview\r\n"
         b"RRULE:FREQ=MINUTELY;COUNT=1000000000\r\n"
         b"ORGANIZER:mailto:rita@acme.example\r\n"
         b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alex.morgan@example.net\r\n"
         b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def _parse_bomb(guarded: bool) -> None:
    if not guarded:  # both layers: the rule check and the file's expansion budget
        parse_ics.rule_problem = lambda *a, **k: None  # type: ignore[assignment]
        parse_ics.estimate = lambda *a, **k: 0  # type: ignore[assignment]
    hostile.run_calendar(_BOMB)


def _seconds_to_parse(guarded: bool, give_up: float) -> float:
    """Wall time of parsing the bomb in a forked process (``give_up`` if it ran on)."""
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_parse_bomb, args=(guarded,))
    started = time.monotonic()
    child.start()
    child.join(give_up)
    took = time.monotonic() - started
    if child.is_alive():
        child.kill()
        child.join()
        return give_up
    assert child.exitcode == 0
    return took


def test_without_the_recurrence_bound_a_bomb_runs_on() -> None:
    bound = hostile.MAX_CPU_SECONDS + hostile.MAX_CPU_PER_MB * len(_BOMB) / 1e6
    assert _seconds_to_parse(True, 30) < bound
    assert _seconds_to_parse(False, bound * 2) > bound


def test_the_table_names_real_guards() -> None:
    assert callable(compose._verify) and callable(compose.clean)
    assert imap.PEEK == "BODY.PEEK"
    assert parse_ics.rule_problem.__module__ == "thankful.core.ics_recur"
