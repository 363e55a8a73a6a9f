"""Scan speed of a local Maildir at mailbox scale: thankful against reading the same
headers with the standard library.

    .venv/bin/python bench/maildir_scan.py                     # 10,000 messages, 3 runs each
    .venv/bin/python bench/maildir_scan.py --messages 100000

Writes a user's tree into a temporary folder, as ``thankful demo`` does (a Maildir++
``mail/`` whose root is INBOX and whose ``.Sent`` holds the demo's sent mail; a vdir
``calendar/``; a config with ``kind = "maildir"``): N messages in INBOX's ``cur/``
from the realistic mix of bench/mailgen.py (mtime = date), the demo's job search
planted in it. Then it measures, each ``--runs`` times (median reported):

1. the baseline: ``email.parser.BytesHeaderParser`` (compat32) on every message file
   of INBOX and Sent, nothing else; the floor: each file's header block read as bytes
   (open, read until the blank line), no parsing; and, for reference, the parser on
   the header block alone (the file-based parser reads the whole file);
2. thankful's first full scan (``lookback_days = "all"``, fresh state, whole cycle);
3. a rescan with nothing new; 4. a rescan after 100 new messages (delivered to ``new/``);
5. for each: time and peak RSS inside the process (a worker calling ``run_cycle``,
   VmHWM) and as a whole process (``python -m thankful scan --once``: wall time and
   ru_maxrss via /usr/bin/time); headers, previews and bodies read.

Every file is in the page cache (just written): the figures are for a warm cache. The
last line printed is one JSON object with the headline figures. No Dovecot needed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "daemon"), str(HERE)]

from common import AFTER  # noqa: E402
from common import HELP  # noqa: E402
from common import NOOP_CLI  # noqa: E402
from common import NOW  # noqa: E402
from common import ScanBench  # noqa: E402
from common import arguments  # noqa: E402
from common import message_date  # noqa: E402
from common import rnd  # noqa: E402
from common import say  # noqa: E402
from mailgen import MaildirWriter  # noqa: E402
from mailgen import sizes_summary  # noqa: E402
from worker import deliver  # noqa: E402

BASELINES = {"stdlib_headers": "baseline: BytesHeaderParser on each file",
             "read_headers": "floor: read each header block (bytes)",
             "stdlib_headblock": "ref: BytesHeaderParser on the header block"}


class Bench(ScanBench):
    PREFIX = "tmaildir"
    BASELINES = BASELINES
    NEW_KEY = "deliver"
    SAY_EACH_FULL_SCAN = True

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        self.mail = self.work / "tree" / "mail"
        self.load_before = os.getloadavg()

    # --- set-up -----------------------------------------------------------------------

    def load(self) -> None:
        n = self.args.messages
        uid, gid = os.getuid(), os.getgid()
        inbox = self.write_inbox(self.mail, uid, gid)
        sent = MaildirWriter(self.mail / ".Sent", uid, gid)
        (self.mail / ".Sent" / "maildirfolder").touch(mode=0o600)
        for raw in self.demo.sent:
            sent.add(raw, message_date(raw), seen=True)
        self.load_s = time.perf_counter() - inbox.t0
        count = len(os.listdir(self.mail / "cur"))
        if count != n:
            raise SystemExit(f"wrote {count} messages, wanted {n}")
        self.write_extras()
        self.mix = ", ".join(f"{k} {v / n:.1%}" if k != "planted search" else f"{k} {v}"
                             for k, v in inbox.kinds.items())
        self.size_mb = inbox.writer.bytes / 1e6
        say(f"wrote {n:,} messages ({self.size_mb:.0f} MB; {sizes_summary(inbox.sizes)}; "
            f"header blocks {sizes_summary(inbox.heads)}) in {self.load_s:.1f} s: templates "
            f"{inbox.t_templates:.1f} s, files {self.load_s - inbox.t_templates:.1f} s; "
            f"{len(self.demo.sent)} in Sent")
        say(f"mix: {self.mix}")

    def account(self) -> str:
        return f'kind = "maildir"\npath = "{self.mail}"\nlayout = "maildir++"'

    def calendar_dir(self) -> Path:
        return self.work / "tree" / "calendar"

    def reset_tree(self) -> None:
        """Undo what a full scan wrote (its drafts, its reminder in new/): the next full
        scan with a fresh state then sees the user's tree as the first one did."""
        shutil.rmtree(self.mail / ".Drafts", ignore_errors=True)
        for name in os.listdir(self.mail / "new"):
            os.remove(self.mail / "new" / name)

    # --- measuring ----------------------------------------------------------------------

    def worker_spec(self) -> dict[str, Any]:
        return {"maildirs": [str(self.mail), str(self.mail / ".Sent")],
                "maildir": str(self.mail), "now": NOW.isoformat(),
                "expected": self.expected}

    def add_new(self, path: Path) -> None:
        deliver(str(self.mail), str(path))

    def run(self) -> None:
        self.t0 = time.perf_counter()
        self.baselines()
        self.rescans(self.config(self.full_scans()))

    # --- report -----------------------------------------------------------------------

    def count(self, row: str, key: str) -> float | None:
        vals = [s["counts"].get(key, 0) for s in self.rows.get(row, []) if "counts" in s]
        if not vals and row in BASELINES.values() and key == "headers_read":
            vals = [s["messages"] for s in self.rows[row]]
        return statistics.median(vals) if vals else None

    def report(self) -> None:
        n, runs = self.args.messages, self.args.runs
        load_after = os.getloadavg()
        print(f"\nthankful Maildir scan benchmark: {n:,} messages in INBOX "
              f"({self.size_mb:.0f} MB) + {len(self.demo.sent)} in Sent, Python "
              f"{sys.version.split()[0]}, {os.cpu_count()} cores; median of {runs} runs; "
              f"warm page cache")
        print(f"load average {self.load_before[0]:.2f} before, {load_after[0]:.2f} after; "
              f"files written in {self.load_s:.1f} s; whole run {self.total_s:.0f} s")
        print(f"mix: {self.mix}\n")

        def c(key: str) -> Callable[[str], str]:
            def cell(row: str) -> str:
                v = self.count(row, key)
                return format(v, ".0f") if v is not None else "-"
            return cell
        self.table(48, [("headers", 8, c("headers_read")), ("previews", 8, c("previews_read")),
                        ("bodies", 7, c("messages_read"))])
        self.summarize()
        fs, cli_full, base, floor = self.fs, self.cli_full, self.base_s, self.floor_s
        block = self.med(BASELINES["stdlib_headblock"], "seconds")
        assert block
        print(f"\nfirst full scan / stdlib baseline: {fs / base:.2f}x in-process; / floor: "
              f"{fs / floor:.2f}x (whole process {cli_full:.2f} s: {cli_full / base:.2f}x and "
              f"{cli_full / floor:.2f}x); / parser on header blocks: {fs / block:.2f}x")
        self.print_full_counts("read")
        new_cli = f"{self.new_row}: new process (scan --once)"
        out = {
            **self.json_head(), "baseline_headblock_s": round(block, 3), **self.json_noop(),
            "rescan_after_full_s": rnd(self.med(AFTER, "seconds"), 3), **self.json_new(),
            "help_process_s": rnd(self.med(HELP, "process_s"), 3), **self.json_rss(),
            "baseline_rss_mb": rnd(self.med(BASELINES["stdlib_headers"], "process_rss_mb"), 1),
            "noop_rescan_rss_mb": rnd(self.med(NOOP_CLI, "process_rss_mb"), 1),
            "new100_rescan_rss_mb": rnd(self.med(new_cli, "process_rss_mb"), 1),
            **self.json_bodies(),
            "previews_read": self.full_counts.get("previews_read", 0),
            **self.json_notes(),
            "notes_extra": len(self.sample["notes_extra"]),
            "loadavg_before": round(self.load_before[0], 2),
            "loadavg_after": round(load_after[0], 2),
        }
        print(json.dumps(out))


def main() -> None:
    args = arguments(__doc__, "where the tree and the state go").parse_args()
    if args.messages <= 100:
        raise SystemExit("--messages: at least 100 (the planted search alone is ~20)")
    b = Bench(args)
    b.load()
    b.run()
    b.report()

if __name__ == "__main__":
    main()
