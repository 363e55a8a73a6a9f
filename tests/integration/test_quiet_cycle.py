"""Quiet cycles: a cycle that finds nothing the notes depend on changed since a full
cycle with nothing to write does not derive the notes again.

The oracle is a dry run at the same moment, which always derives them: over weeks of
cycles, with the user acting in between (deleting a draft, sending one, marking a note
done, new mail arriving, the config changing), every cycle, quiet or full, agrees with
it. And a quiet cycle is taken only when its licence holds.
"""

from __future__ import annotations

import mailbox
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jobsearch import generate
from thankful import report
from thankful.adapters.store import Store
from thankful.cli import main
from thankful.config import Config
from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import build_demo
from thankful.service import CycleResult
from thankful.service import run_cycle

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def states(result: CycleResult) -> dict[str, str]:
    return {n.id: n.state for n in result.notes}


def cycle(cfg: Config, at: datetime) -> CycleResult:
    """A cycle checked against a dry run at the same moment (which always derives)."""
    oracle = run_cycle(cfg, at, dry_run=True)
    real = run_cycle(cfg, at)
    assert real.ok and oracle.ok, (real.errors, oracle.errors)
    assert states(real) == states(oracle), at
    assert real.notes == oracle.notes, at
    assert [(d.to, d.note_ids) for d in real.drafts] == [(d.to, d.note_ids) for d in oracle.drafts]
    assert (real.reminder is None) == (oracle.reminder is None), at
    assert real.note_states == oracle.note_states
    if real.quiet_lines is not None:
        assert oracle.plan is not None
        assert real.quiet_lines == tuple(report.cycle_lines(
            oracle.notes, oracle.plan.need_address, cfg.identity.tz))
        assert not real.drafts and real.reminder is None
    return real


def licence(cfg: Config) -> dict[str, object] | None:
    with Store(cfg.state_dir, readonly=True) as st:
        return st.quiet()


def test_a_cycle_after_one_with_nothing_to_write_is_quiet(tmp_path: Path) -> None:
    cfg = load(write_search(tmp_path / "s", build_demo(NOW), NOW))
    first = cycle(cfg, NOW)  # drafts and a reminder written
    assert first.drafts and first.quiet_lines is None and licence(cfg) is None
    second = cycle(cfg, NOW + timedelta(minutes=10))  # reads its own reminder
    assert second.quiet_lines is None and not second.drafts
    given = licence(cfg)
    assert given is not None and given["since"] == (NOW + timedelta(minutes=10)).isoformat()
    third = cycle(cfg, NOW + timedelta(minutes=20))
    assert third.quiet_lines is not None and third.notes == second.notes
    # What the command line and the daemon ask for: no notes, the same lines and states.
    lean = run_cycle(cfg, NOW + timedelta(minutes=30), quiet_notes=False)
    assert lean.notes == () and lean.quiet_lines == third.quiet_lines
    assert lean.note_states == second.note_states
    with Store(cfg.state_dir, readonly=True) as st:
        last = st.last_run()
        assert last is not None and last["summary"]["quiet_since"] == given["since"]


def test_the_licence_ends_when_a_note_can_change(tmp_path: Path) -> None:
    cfg = load(write_search(tmp_path / "s", build_demo(NOW), NOW))
    cycle(cfg, NOW)
    cycle(cfg, NOW + timedelta(minutes=10))
    given = licence(cfg)
    assert given is not None and isinstance(given["until"], str)
    until = datetime.fromisoformat(given["until"])
    # The demo's notes have drafts: the next reminder period (local midnight) comes first.
    assert until == datetime(2026, 3, 21, tzinfo=NOW.tzinfo)
    assert cycle(cfg, until - timedelta(seconds=1)).quiet_lines is not None
    at = cycle(cfg, until)
    assert at.quiet_lines is None and at.reminder is not None  # the day's reminder


@pytest.mark.parametrize("change", ["done", "ignore", "config", "draft deleted", "sent",
                                    "job mail", "calendar"])
def test_what_the_user_or_the_sources_change_ends_the_licence(tmp_path: Path,
                                                              change: str) -> None:
    data = build_demo(NOW)
    path = write_search(tmp_path / "s", data, NOW)
    cfg = load(path)
    cycle(cfg, NOW)
    cycle(cfg, NOW + timedelta(minutes=10))
    assert cycle(cfg, NOW + timedelta(minutes=20)).quiet_lines is not None
    mail = tmp_path / "s" / "mail"
    drafts = mailbox.Maildir(mail / ".Drafts", create=False)
    if change == "done":
        note = next(n for n in run_cycle(cfg, NOW + timedelta(minutes=25)).notes if n.open)
        assert main(["done", note.id, "--config", str(path)]) == 0
    elif change == "ignore":
        assert main(["ignore", "Northwind Analytics", "--config", str(path)]) == 0
    elif change == "config":
        path.write_text(path.read_text().replace("[etiquette]\n", "[etiquette]\nexpire_days = 40\n"))
        cfg = load(path)
    elif change == "draft deleted":
        drafts.remove(sorted(drafts.keys())[0])
    elif change == "sent":
        key = sorted(drafts.keys())[0]
        mailbox.Maildir(mail / ".Sent", create=False).add(drafts[key])
        drafts.remove(key)
    elif change == "job mail":
        # A copy of the offer under a new Message-ID: a new signal.
        inbox = mailbox.Maildir(mail, create=False)
        offer = next(m for m in inbox if "Offer=3A_Senior" in str(m["Subject"]))
        del offer["Message-ID"]
        offer["Message-ID"] = "<again@northwind-analytics.com>"
        inbox.add(offer)
    elif change == "calendar":
        for f in sorted((tmp_path / "s" / "calendar").iterdir())[:1]:
            f.unlink()
    after = cycle(cfg, NOW + timedelta(minutes=30))
    assert after.quiet_lines is None, change
    # And once that full cycle had nothing to write, quiet again.
    settled = cycle(cfg, NOW + timedelta(minutes=40))
    if settled.quiet_lines is None:  # that cycle wrote (a draft for a new note)
        assert cycle(cfg, NOW + timedelta(minutes=50)).quiet_lines is not None
    else:
        assert not after.drafts


def test_new_mail_that_is_not_about_the_search_leaves_it_quiet(tmp_path: Path) -> None:
    cfg = load(write_search(tmp_path / "s", build_demo(NOW), NOW))
    cycle(cfg, NOW)
    cycle(cfg, NOW + timedelta(minutes=10))
    inbox = mailbox.Maildir(tmp_path / "s" / "mail", create=False)
    inbox.add(b"From: News <news@shop.example>\r\nTo: alex.morgan@example.net\r\n"
              b"Subject: 20% off this weekend\r\nMessage-ID: <n1@shop.example>\r\n"
              b"Date: Fri, 20 Mar 2026 18:15:00 +0100\r\nList-Unsubscribe: <mailto:u@shop.example>"
              b"\r\n\r\nDeals.\r\n")
    after = cycle(cfg, NOW + timedelta(minutes=20))
    assert after.counts.get("headers_read") == 1 and after.quiet_lines is not None


def test_a_failing_source_is_never_quiet(tmp_path: Path) -> None:
    cfg = load(write_search(tmp_path / "s", build_demo(NOW), NOW))
    cycle(cfg, NOW)
    cycle(cfg, NOW + timedelta(minutes=10))
    cal = tmp_path / "s" / "calendar"
    cal.rename(tmp_path / "s" / "away")
    failed = run_cycle(cfg, NOW + timedelta(minutes=20))
    assert failed.errors and failed.quiet_lines is None
    assert licence(cfg) is None  # the failure is recorded: a change to the rules' inputs
    (tmp_path / "s" / "away").rename(cal)
    assert cycle(cfg, NOW + timedelta(minutes=30)).quiet_lines is None  # it recovered
    assert cycle(cfg, NOW + timedelta(minutes=40)).quiet_lines is not None


@pytest.mark.parametrize("seed", [3, 11])
def test_weeks_of_cycles_agree_with_deriving_every_time(tmp_path: Path, seed: int) -> None:
    """Every seven hours for five weeks, the user acting now and then: each cycle, quiet
    or not, derives what a dry run at that moment derives."""
    data = generate(seed, NOW)
    path = write_search(tmp_path / "s", data, NOW)
    cfg = load(path)
    mail = tmp_path / "s" / "mail"
    start = NOW - timedelta(days=3)
    quiet = full = 0
    for step in range(120):
        at = start + timedelta(hours=7 * step)
        drafts = mailbox.Maildir(mail / ".Drafts", create=True)
        keys = sorted(drafts.keys())
        if step == 20 and keys:
            drafts.remove(keys[0])  # deleted unsent: dismissed two days later
        if step == 30 and len(keys) > 1:
            mailbox.Maildir(mail / ".Sent", create=False).add(drafts[keys[1]])
            drafts.remove(keys[1])
        if step == 45:
            note = next((n for n in run_cycle(cfg, at).notes if n.open), None)
            if note is not None:
                assert main(["dismiss", note.id, "--config", str(path)]) == 0
        if step == 60:
            path.write_text(path.read_text().replace("[etiquette]\n", "[etiquette]\nexpire_days = 20\n"))
            cfg = load(path)
        result = cycle(cfg, at)
        if result.quiet_lines is None:
            full += 1
        else:
            quiet += 1
    # Most cycles have nothing to do; each day's reminder, each change, and each
    # note's moment make a full one.
    assert quiet > 60 and full > 10, (quiet, full)


def test_a_command_during_a_full_cycle_voids_its_licence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`thankful done` takes no lock: run while a full cycle decides, its trigger finds
    no licence to drop, so the cycle must not give one on a view the command changed."""
    from thankful import service

    path = write_search(tmp_path / "s", build_demo(NOW), NOW)
    cfg = load(path)
    note = next(n for n in cycle(cfg, NOW).notes if n.open)
    real_settle = service.Cycle.settle

    def settle(self: service.Cycle) -> None:
        if not self.dry_run and self.result.plan is not None:  # derived: a full cycle
            assert main(["done", note.id, "--config", str(path)]) == 0
        real_settle(self)

    monkeypatch.setattr(service.Cycle, "settle", settle)
    during = run_cycle(cfg, NOW + timedelta(minutes=10))  # full: it reads its own drafts
    monkeypatch.undo()
    assert during.quiet_lines is None and not during.drafts
    assert licence(cfg) is None
    after = cycle(cfg, NOW + timedelta(minutes=20))
    assert after.quiet_lines is None and states(after)[note.id] == "done"
    assert cycle(cfg, NOW + timedelta(minutes=30)).quiet_lines is not None


def test_a_licence_is_void_under_other_code_of_the_same_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited checkout or a patched install keeps its version number: any module's
    size or mtime is part of the licence's key."""
    import os

    from thankful import service

    cfg = load(write_search(tmp_path / "s", build_demo(NOW), NOW))
    fake = tmp_path / "pkg"
    for name in ("service.py", "core/model.py", "adapters/store.py"):
        (fake / name).parent.mkdir(parents=True, exist_ok=True)
        (fake / name).write_text("x = 1\n")
    monkeypatch.setattr(service, "_PACKAGE", fake)
    key = service._licence_key(cfg)
    assert service._licence_key(cfg) == key
    st = os.stat(fake / "core/model.py")
    os.utime(fake / "core/model.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert service._licence_key(cfg) != key
