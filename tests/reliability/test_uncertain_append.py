"""Issue 8: the uncertain APPEND. The connection dies in the middle of saving a draft,
at three points, through :class:`reliability.faultproxy.FaultProxy` between thankful
and Dovecot:

* ``before_literal``: the server got the ``APPEND ... {n}`` line but not the message;
* ``after_literal``: the server got the whole command, and the connection is cut at
  once: it may or may not have stored the draft;
* ``after_ok``: the server stored it and said so; the answer never reaches thankful.

Each trial starts from one state snapshot (the demo's mail read and recorded by a
cycle a month earlier, when nothing was owed yet), arms the fault for the n-th draft
of the cycle (n at random, seeded), runs the cycle, then two normal cycles. Pass, over
at least 20 trials per mode: 0 duplicate drafts and 0 lost drafts (and the same
reminders, notes and recorded drafts as a run without faults).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from imapclient import IMAPClient

from integration.dovecot import ImapUser
from integration.dovecot import shared
from integration.test_imap_cycle import load_demo
from integration.test_imap_cycle import write_config
from reliability.faultproxy import MODES
from reliability.faultproxy import FaultProxy
from reliability.faultproxy import Mode
from reliability.worlds import EndState
from reliability.worlds import ImapWorld
from thankful.config import load
from thankful.demo_data import build_demo
from thankful.service import run_cycle

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TRIALS = 20
AFTER = (timedelta(minutes=1), timedelta(minutes=2))


@dataclass
class Bench:
    """The proxy, the world and what a run without faults ends with."""

    proxy: FaultProxy
    world: ImapWorld
    want: EndState


def _cycles(cfg: Path, times: list[datetime]) -> list[bool]:
    return [run_cycle(load(cfg), t).ok for t in times]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    dovecot = shared()
    root = tmp_path_factory.mktemp("append")
    data = build_demo(NOW)
    user = ImapUser.new(dovecot)
    load_demo(user, data)
    # Built where every trial runs: the state's calendar paths then stay the same.
    base = root / "trial"
    base.mkdir()
    cfg = write_config(base, user, data)
    with FaultProxy(dovecot.imap_port) as proxy:
        # Plaintext to loopback, so that the proxy sees the commands.
        text = cfg.read_text()
        assert f"port = {dovecot.imap_port}\n" in text and 'security = "starttls"' in text
        cfg.write_text(text.replace(f"port = {dovecot.imap_port}\n", f"port = {proxy.port}\n")
                       .replace('security = "starttls"', 'security = "none"'))
        # The snapshot: everything read and recorded, nothing owed yet, nothing drafted.
        first = run_cycle(load(cfg), NOW - timedelta(days=30))
        assert first.ok and not first.drafts and first.counts.get("detections")
        world = ImapWorld(root, base.rename(root / "baseline"), user)
        world.snapshot()
        d = world.fresh("trial")
        assert all(_cycles(d / "config.toml", [NOW, *(NOW + a for a in AFTER)]))
        want = world.end_state(d)
        assert len(want.drafts) >= 5 and set(want.drafts.values()) == {1}
        assert sum(want.reminders.values()) == 1
        yield Bench(proxy, world, want)
        world.close()


def test_the_proxy_forwards_and_records_the_commands(bench: Bench) -> None:
    proxy, names = bench.proxy, bench.proxy.command_names()
    assert proxy.cuts == 0 and proxy.connections >= 2
    assert "LOGIN" in names and names.count("APPEND") == len(bench.want.drafts) + 1
    logins = [line for _n, line in proxy.commands if " LOGIN " in line.upper()]
    assert logins and all(line.endswith("LOGIN <blanked>") for line in logins)
    assert all(bench.world.user.password not in line for _n, line in proxy.commands)


@pytest.mark.parametrize("mode", MODES)
def test_a_draft_cut_off_mid_append_is_saved_exactly_once(bench: Bench, mode: Mode) -> None:
    rng = random.Random(f"uncertain-append-{mode}")
    started = time.monotonic()
    n_drafts = len(bench.want.drafts)
    failures: list[str] = []
    lost = dupes = errors = again = 0
    for trial in range(TRIALS):
        d = bench.world.fresh("trial")
        cfg = d / "config.toml"
        nth = rng.randint(1, n_drafts)
        cuts = bench.proxy.cuts
        bench.proxy.arm(mode, nth=nth, folder="Drafts")
        appends = bench.proxy.command_names().count("APPEND")
        cut = run_cycle(load(cfg), NOW)
        assert bench.proxy.cuts == cuts + 1 and bench.proxy.cut_log[-1] == mode, \
            f"trial {trial}: the fault did not fire (draft {nth} of {n_drafts})"
        errors += not cut.ok
        assert all(_cycles(cfg, [NOW + a for a in AFTER])), f"trial {trial}: a cycle failed"
        # One APPEND a draft and one for the reminder: one more when it was sent again.
        again += bench.proxy.command_names().count("APPEND") - appends - n_drafts - 1
        end = bench.world.end_state(d)
        lost += sum((bench.want.drafts - end.drafts).values())
        dupes += sum((end.drafts - bench.want.drafts).values())
        if problems := end.diff(bench.want):
            failures.append(f"trial {trial} (draft {nth}): " + "; ".join(problems))
    print(f"{mode}: {TRIALS} trials, drafts sent again in {again}, {errors} cut cycles "
          f"reported an error, {lost} drafts lost, {dupes} duplicates, "
          f"{time.monotonic() - started:.1f} s")
    if mode == "before_literal":
        assert again == TRIALS  # nothing was stored: each draft had to be sent again
    if mode == "after_ok":
        assert again == 0  # each was stored: found by its header, never sent again
    assert not failures, "\n".join(failures)
    assert lost == dupes == 0


def test_the_proxy_passes_starttls_through(bench: Bench) -> None:
    """For TLS users (bench/soak.py): after STARTTLS the bytes pass on untouched."""
    user = bench.world.user
    with FaultProxy(user.server.imap_port) as proxy:
        client = IMAPClient("127.0.0.1", port=proxy.port, ssl=False, timeout=10)
        client.starttls(user.server.ssl_context())
        client.login(user.name, user.password)
        assert b"Drafts" in {f[2].encode() for f in client.list_folders()}
        client.logout()
    names = proxy.command_names()
    assert names[-1] == "STARTTLS" and "LOGIN" not in names  # the rest was encrypted
