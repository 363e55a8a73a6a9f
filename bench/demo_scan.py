"""The demo mailbox on a real Dovecot: commands and milliseconds of a full scan and of a
rescan with nothing new (the whole cycle, as the daemon runs it).

    .venv/bin/python bench/demo_scan.py [--runs 7]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from integration.dovecot import ImapUser  # noqa: E402
from integration.dovecot import running  # noqa: E402
from integration.test_imap_cycle import load_demo  # noqa: E402
from integration.test_imap_cycle import write_config  # noqa: E402
from thankful.adapters.imap import ImapStore  # noqa: E402
from thankful.config import AccountConfig  # noqa: E402
from thankful.config import load  # noqa: E402
from thankful.demo_data import build_demo  # noqa: E402
from thankful.service import open_mail_store  # noqa: E402
from thankful.service import run_cycle  # noqa: E402

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    full_ms: list[float] = []
    again_ms: list[float] = []
    full_cmds: list[int] = []
    again_cmds: list[int] = []
    own_ms: list[float] = []
    own_cmds: list[int] = []
    with running() as dv:
        for _ in range(args.runs):
            user = ImapUser.new(dv)
            data = build_demo(NOW)
            load_demo(user, data)
            tmp = Path(tempfile.mkdtemp())
            cfg = load(write_config(tmp, user, data))
            stores: list[ImapStore] = []

            def factory(acc: AccountConfig, stores: list[ImapStore] = stores) -> ImapStore:
                store = open_mail_store(acc)
                assert isinstance(store, ImapStore)
                stores.append(store)
                return store

            # The second cycle reads back what the first wrote (drafts, the reminder);
            # the third has truly nothing new.
            for ms, cmds in ((full_ms, full_cmds), (own_ms, own_cmds), (again_ms, again_cmds)):
                stores.clear()
                t0 = time.perf_counter()
                result = run_cycle(cfg, NOW, store_factory=factory)
                ms.append((time.perf_counter() - t0) * 1000)
                cmds.append(sum(s.commands for s in stores))
                assert result.ok, result.errors
    print(f"demo mailbox: {len(data.inbox)} in INBOX, {len(data.sent)} in Sent; "
          f"median of {args.runs} runs, STARTTLS")
    print(f"first cycle (scan, 8 drafts, reminder): {statistics.median(full_cmds):.0f} "
          f"IMAP commands, {statistics.median(full_ms):.0f} ms")
    print(f"next cycle (reads back its own writes): {statistics.median(own_cmds):.0f} "
          f"IMAP commands, {statistics.median(own_ms):.0f} ms")
    print(f"rescan with nothing new:               {statistics.median(again_cmds):.0f} "
          f"IMAP commands, {statistics.median(again_ms):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
