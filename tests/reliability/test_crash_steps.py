"""Issue 8: ``kill -9`` at every durable step of a cycle, then a restart; the end state
must be exactly that of a clean run.

The steps are numbered by :mod:`thankful.crashpoints`: each state commit (the scan
positions move inside one), each draft and reminder append, each task written. A
clean ``python -m thankful scan`` with ``THANKFUL_CRASH_LOG`` tells how many steps a
scenario has and what they are; then for each step k a fresh copy of the scenario
runs ``thankful scan`` with ``THANKFUL_CRASH_AT=k`` (the process SIGKILLs itself just
before step k, after steps 1..k-1 happened), and the restart runs the cycles a clean
run runs. The end state (the drafts by recipient and subject, counted; the reminders
by slot, counted; every note's state; the drafts and reminders the state records; the
tasks and their STATUS) must equal the clean run's. Pass: every run ends exactly
right: 0 drafts lost, 0 drafts made twice, 0 reminders twice.

Scenarios, on a Maildir tree and on Dovecot (IMAP) each:

* ``demo``: the demo job search, first cycle from an empty state;
* ``jobsearch``: a random job search of tests/jobsearch.py (seed fixed, small),
  first cycle from an empty state;
* ``offer``: a job search's interviews, drafted by a clean cycle two days earlier
  (that state is the snapshot every trial starts from); then the offer and the rest
  of the mail arrive, and the crashed cycle is the one that must draft the offer notes.

Every step is crashed in ``jobsearch`` and ``offer`` on both stores. ``demo`` is
sampled, to keep the file within its time: of each kind of step (its name and the
function that took it, e.g. "append_draft" or "commit by _scan_outgoing") the first
and the last one are crashed.

Speed: a cycle of the demo takes ~0.3 s but starting Python and importing thankful
~0.7 s, so the runs go through :class:`reliability.forkrun.Forker`: one helper
imports thankful once and forks a real process per ``thankful scan`` (the reference
run of each scenario is a real ``python -m thankful scan``, and its step log must
match the forked runs'). Two trials run at a time, each worker on its own copy of the
scenario (on IMAP its own user). One Dovecot serves all; an IMAP trial is reset by
expunging what the last trial added.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.dovecot import shared
from integration.test_imap_cycle import load_demo
from integration.test_imap_cycle import write_config
from jobsearch import generate
from reliability.forkrun import Forker
from reliability.worlds import EndState
from reliability.worlds import ImapWorld
from reliability.worlds import MaildirWorld
from reliability.worlds import World
from reliability.worlds import offer_time
from reliability.worlds import split
from thankful.demo import write_search
from thankful.demo_data import DemoData
from thankful.demo_data import build_demo

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
#: A small random search with Sent mail and calendar files (tests/jobsearch.py).
SEARCH_SEED = 13
#: A search that ends in an offer after a phone screen and two interviews.
OFFER_SEED = 9
#: The cycles after the crashed one: a clean run needs one; the second must add nothing.
AFTER = (timedelta(minutes=1), timedelta(minutes=2))
TASKS = '\n[tasks]\nkind = "ics"\nlocation = "tasks"\n'


# --- scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    """A world, the time of the cycle to crash, and which steps to crash."""

    world: World
    now: datetime
    sample_runs: bool = False


def _data(name: str) -> DemoData:
    return build_demo(NOW) if name == "demo" else generate(
        SEARCH_SEED if name == "jobsearch" else OFFER_SEED, NOW)


def build(name: str, store: str, root: Path, forker: Forker, dovecot: Dovecot | None
          ) -> Scenario:
    """A scenario's baseline on a store."""
    data = _data(name)
    first = data
    if name == "offer":
        before = offer_time(data) - timedelta(hours=2)
        first, late = split(data, before)
        assert late.inbox, "nothing arrives after the first cycle"
    # Built where every run runs (World.fresh("trial")): the calendar paths the state
    # holds then stay the same, and no trial reads the calendar again for a new path.
    base = root / "trial"
    world: World
    if store == "maildir":
        cfg = write_search(base, first, NOW)
        world = MaildirWorld(root, base)
    else:
        assert dovecot is not None
        user = ImapUser.new(dovecot)
        load_demo(user, first)
        base.mkdir(parents=True)
        cfg = write_config(base, user, first)
        world = ImapWorld(root, base, user)
    cfg.write_text(cfg.read_text() + TASKS)
    if name == "offer":
        # The clean cycle before the offer; its state is the snapshot trials start from.
        code = forker.run(_scan(cfg, before), env=world.env, out=base / "first.out")
        assert code == 0, (base / "first.out").read_text()[-3000:]
        assert world.end_state(base).drafts, "the interviews were not drafted first"
        if isinstance(world, MaildirWorld):
            MaildirWorld.deliver(base, late.inbox, late.sent)
        else:
            assert isinstance(world, ImapWorld)
            load_demo(world.user, late)
    world.baseline = base.rename(root / "baseline")
    if isinstance(world, ImapWorld):
        world.snapshot()
    return Scenario(world=world, now=NOW, sample_runs=name == "demo")


def _scan(cfg: Path, now: datetime) -> list[str]:
    return ["scan", "--config", str(cfg), "--now", now.isoformat()]


# --- the test -------------------------------------------------------------------------------


#: Trials run this many at a time, each worker with its own copy of the scenario (and,
#: on IMAP, its own Dovecot user): the two cores of a CI machine.
WORKERS = 2


@pytest.fixture(scope="module")
def forkers() -> Iterator[list[Forker]]:
    fs = [Forker() for _ in range(WORKERS)]
    yield fs
    for f in fs:
        f.close()


def _steps(log: Path) -> list[str]:
    """(name, caller) of each step in a crash log."""
    if not log.exists():
        return []
    return ["\t".join(line.split("\t")[1:]) for line in log.read_text().splitlines()]


def reference(sc: Scenario, forker: Forker) -> tuple[list[str], EndState]:
    """A clean run: the real command line, logging its steps; then the later cycles."""
    d = sc.world.fresh("trial")
    cfg, log = d / "config.toml", d / "steps.log"
    env = {**os.environ, **sc.world.env, "THANKFUL_CRASH_LOG": str(log)}
    run = subprocess.run([sys.executable, "-m", "thankful", *_scan(cfg, sc.now)], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    steps = _steps(log)
    after_one = sc.world.end_state(d)
    for delta in AFTER:
        assert forker.run(_scan(cfg, sc.now + delta), env=sc.world.env, out=d / "out") == 0
    end = sc.world.end_state(d)
    # A clean run needs one cycle: the later ones change nothing the user sees.
    assert end.drafts == after_one.drafts and end.reminders == after_one.reminders
    assert end.drafts and end.reminders
    assert set(end.drafts.values()) == set(end.reminders.values()) == {1}
    return steps, end


def chosen(steps: list[str], sample: bool) -> list[int]:
    """The steps to crash at (1-based): all, or the first and the last of each kind."""
    if not sample:
        return list(range(1, len(steps) + 1))
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for k, kind in enumerate(steps, 1):
        first.setdefault(kind, k)
        last[kind] = k
    return sorted({*first.values(), *last.values()})


@dataclass
class Tally:
    """What the trials of one worker found."""

    failures: list[str] = field(default_factory=list)
    lost: int = 0
    twice: int = 0
    reminders_twice: int = 0


def trials(sc: Scenario, forker: Forker, steps: list[str], ks: list[int],
           want: EndState) -> Tally:
    """Crash at each step of ``ks`` in turn, restart, and compare with ``want``."""
    tally = Tally()
    for k in ks:
        d = sc.world.fresh("trial")
        cfg, log, out = d / "config.toml", d / "steps.log", d / "out"
        env = {**sc.world.env, "THANKFUL_CRASH_AT": str(k), "THANKFUL_CRASH_LOG": str(log)}
        code = forker.run(_scan(cfg, sc.now), env=env, out=out)
        assert code == -9, f"step {k}: exit {code}, not killed: {out.read_text()[-2000:]}"
        assert _steps(log) == steps[:k], f"step {k}: another order of steps than the clean run"
        for delta in AFTER:
            code = forker.run(_scan(cfg, sc.now + delta), env=sc.world.env, out=out)
            if code != 0:
                tally.failures.append(f"step {k} ({steps[k - 1]}): restart exit {code}: "
                                      f"{out.read_text()[-1500:]}")
        end = sc.world.end_state(d)
        tally.lost += sum((want.drafts - end.drafts).values())
        tally.twice += sum((end.drafts - want.drafts).values())
        tally.reminders_twice += sum((end.reminders - want.reminders).values())
        if problems := end.diff(want):
            tally.failures.append(f"step {k} ({steps[k - 1]}): " + "; ".join(problems))
    return tally


@pytest.mark.parametrize("store", ["maildir", "imap"])
@pytest.mark.parametrize("name", ["demo", "jobsearch", "offer"])
def test_kill_at_every_step_then_restart_ends_exactly_as_a_clean_run(
        name: str, store: str, tmp_path: Path, forkers: list[Forker]) -> None:
    started = time.monotonic()
    dovecot = shared() if store == "imap" else None
    with ThreadPoolExecutor(WORKERS) as pool:
        scs = list(pool.map(lambda i: build(name, store, tmp_path / f"w{i}", forkers[i],
                                            dovecot), range(WORKERS)))
        steps, want = reference(scs[0], forkers[0])
        assert any(s.startswith("append_draft") for s in steps)
        assert any(s.startswith("append_reminder") for s in steps)
        assert any(s.startswith("write_task") for s in steps)
        ks = chosen(steps, scs[0].sample_runs)
        tallies = list(pool.map(lambda i: trials(scs[i], forkers[i], steps, ks[i::WORKERS],
                                                 want), range(WORKERS)))
    for sc in scs:
        if isinstance(sc.world, ImapWorld):
            sc.world.close()
    failures = [f for t in tallies for f in t.failures]
    lost, twice, rtwice = (sum(getattr(t, a) for t in tallies)
                           for a in ("lost", "twice", "reminders_twice"))
    print(f"{name}/{store}: {len(steps)} steps, {len(ks)} crashed, {lost} drafts lost, "
          f"{twice} made twice, {rtwice} reminders twice, "
          f"{time.monotonic() - started:.1f} s")
    assert not failures, "\n".join(failures)
    assert lost == twice == rtwice == 0
