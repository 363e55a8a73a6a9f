"""Scan speed at mailbox scale: thankful against the raw cost of fetching the headers.

    .venv/bin/python bench/imap_scan.py                     # 10,000 messages, 3 runs each
    .venv/bin/python bench/imap_scan.py --messages 100000

Starts a throwaway Dovecot exactly as the integration tests do (tests/integration/
dovecot.py), loads a realistic mailbox (bench/mailgen.py) straight into the user's
Maildir, and measures, each ``--runs`` times (median reported):

1. the baseline (imapclient) and the floor (imaplib) of the header FETCH thankful
   sends, and the floor of a narrower FETCH of only the fields thankful reads;
2. thankful's first full scan (``lookback_days = "all"``, fresh state, whole cycle);
3. a rescan with nothing new; 4. a rescan after 100 new messages (APPENDed);
5. for each: time and peak RSS inside the process (a worker calling ``run_cycle``,
   VmHWM) and as a whole process (``python -m thankful scan --once``: wall time and
   ru_maxrss from wait4); IMAP commands sent and bytes received, counted by a
   loopback proxy (bench/proxy.py) every client goes through; bodies fetched.

Clients connect in plaintext (``security = "none"``, allowed to loopback) so that the
proxy can count commands; every client goes through the same proxy. The last line
printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "daemon"), str(HERE)]

from common import FULL  # noqa: E402
from common import HELP  # noqa: E402
from common import NOOP_CLI  # noqa: E402
from common import NOW  # noqa: E402
from common import ScanBench  # noqa: E402
from common import arguments  # noqa: E402
from common import message_date  # noqa: E402
from common import rnd  # noqa: E402
from common import say  # noqa: E402
from mailgen import sizes_summary  # noqa: E402
from proxy import CountingProxy  # noqa: E402

from integration.dovecot import Dovecot  # noqa: E402
from integration.dovecot import available  # noqa: E402
from thankful.adapters.imap import HEADER_BATCH  # noqa: E402

PASSWORD_ENV = "THANKFUL_BENCH_PASSWORD"
BASELINES = {"imapclient": "baseline: imapclient header FETCH",
             "imaplib": "floor: imaplib header FETCH",
             "imapclient_fields": "baseline: imapclient HEADER.FIELDS (as a scan)",
             "imaplib_fields": "floor: imaplib HEADER.FIELDS (as a scan)"}


class Bench(ScanBench):
    PREFIX = "tbench"
    BASELINES = BASELINES
    NEW_KEY = "append"

    # --- set-up -----------------------------------------------------------------------

    def start(self) -> None:
        why = available()
        if why:
            raise SystemExit(f"cannot run: {why}")
        self.server = Dovecot()
        atexit.register(self.server.cleanup)
        self.server.start()
        self.user, self.password = self.server.new_user()
        os.environ[PASSWORD_ENV] = self.password
        self.proxy = CountingProxy(self.server.imap_port).start()
        self.home = self.server.root / "home" / self.user

    def load(self) -> None:
        n = self.args.messages
        inbox = self.write_inbox(self.home / "Maildir", self.server.uid, self.server.gid)
        t_files = time.perf_counter() - inbox.t0
        admin = self.server.client(self.user, self.password)
        t1 = time.perf_counter()
        admin.select_folder("INBOX")  # read-write, once: Dovecot indexes the new files
        t_index = time.perf_counter() - t1
        for raw in self.demo.sent:
            admin.append("Sent", raw, flags=(b"\\Seen",), msg_time=message_date(raw))
        count = int(admin.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"])
        admin.logout()
        if count != n:
            raise SystemExit(f"loaded {count} messages, wanted {n}")
        self.load_s = time.perf_counter() - inbox.t0
        self.write_extras()
        self.mix = ", ".join(f"{k} {v / n:.1%}" for k, v in inbox.kinds.items())
        say(f"loaded {n:,} messages ({inbox.writer.bytes / 1e6:.0f} MB; "
            f"{sizes_summary(inbox.sizes)}; header blocks {sizes_summary(inbox.heads)}) in "
            f"{self.load_s:.1f} s: templates {inbox.t_templates:.1f} s, files "
            f"{t_files - inbox.t_templates:.1f} s, Dovecot's first SELECT {t_index:.1f} s")
        say(f"mix: {self.mix}")

    def account(self) -> str:
        return (f'kind = "imap"\nhost = "127.0.0.1"\nport = {self.proxy.port}\n'
                f'security = "none"\nusername = "{self.user}"\npassword_env = "{PASSWORD_ENV}"')

    def calendar_dir(self) -> Path:
        return self.work / "calendar"

    # --- measuring ----------------------------------------------------------------------

    def worker_spec(self) -> dict[str, Any]:
        return {"port": self.proxy.port, "direct_port": self.server.imap_port,
                "user": self.user, "password": self.password, "folder": "INBOX",
                "batch": HEADER_BATCH, "now": NOW.isoformat(), "expected": self.expected}

    def reset_wire_counts(self) -> None:
        self.proxy.counts.reset()

    def wire_counts(self) -> dict[str, Any]:
        return self.proxy.counts.snapshot()

    def add_new(self, path: Path) -> None:
        from imapclient import IMAPClient

        batch = pickle.loads(path.read_bytes())
        c = IMAPClient("127.0.0.1", port=self.server.imap_port, ssl=False, timeout=120)
        c.login(self.user, self.password)
        c.multiappend("INBOX", [{"msg": raw, "date": when, "flags": ()} for raw, when in batch])
        c.logout()

    def run(self) -> None:
        self.t0 = time.perf_counter()
        if self.args.profile:
            prof = self.work / "full.prof"
            self.worker({"mode": "cycle", "config": str(self.config(self.work / "state-p")),
                         "profile": str(prof), "steps": [{"name": "full"}]},
                        {"full": "thankful: first full scan (under cProfile)"})
            import pstats

            pstats.Stats(str(prof), stream=sys.stderr).sort_stats("tottime").print_stats(30)
            pstats.Stats(str(prof), stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        self.baselines()
        self.rescans(self.config(self.full_scans()))

    # --- report -----------------------------------------------------------------------

    def report(self) -> None:
        n, runs = self.args.messages, self.args.runs
        print(f"\nthankful IMAP scan benchmark: {n:,} messages in INBOX, Dovecot "
              f"{self.server_version()}, Python {sys.version.split()[0]}, {os.cpu_count()} "
              f"cores; median of {runs} runs; plaintext on loopback through a counting proxy")
        print(f"load: {self.load_s:.1f} s (Maildir files + first read-write SELECT)")
        print(f"mix: {self.mix}\n")
        self.table(54, [("cmds", 6, lambda r: self.cell(r, "commands", ".0f")),
                        ("MB recv", 8, lambda r: self.cell(r, "bytes_received", ".2f", 1e-6)),
                        ("bodies", 7, lambda r: self.cell(r, "bodies_on_wire", ".0f"))])
        self.summarize()
        fs, cli_full, base, floor = self.fs, self.cli_full, self.base_s, self.floor_s
        print(f"\nfirst full scan / imapclient baseline: {fs / base:.2f}x in-process; "
              f"/ imaplib floor: {fs / floor:.2f}x (whole process {cli_full:.2f} s: "
              f"{cli_full / base:.2f}x and {cli_full / floor:.2f}x)")
        fbase = self.med(BASELINES["imapclient_fields"], "seconds")
        ffloor = self.med(BASELINES["imaplib_fields"], "seconds")
        if fbase and ffloor:
            print(f"against the same FETCH of only the scan's fields (HEADER.FIELDS): "
                  f"{fs / fbase:.2f}x imapclient's, {fs / ffloor:.2f}x imaplib's")
        self.print_full_counts("fetched")
        noop = self.rows.get(NOOP_CLI, [{}])[-1]
        print(f"rescan with nothing new sends: {noop.get('by_command')}")
        print("full scan sends: " + str(self.rows[FULL][-1].get("by_command")))
        out = {
            **self.json_head(), **self.json_noop(),
            "help_process_s": rnd(self.med(HELP, "process_s"), 3),
            "noop_round_trips": self.med(NOOP_CLI, "commands"),
            **self.json_new(), **self.json_rss(), **self.json_bodies(),
            "baseline_fields_s": rnd(self.med(BASELINES["imapclient_fields"], "seconds"), 3),
            "floor_fields_s": rnd(self.med(BASELINES["imaplib_fields"], "seconds"), 3),
            "bytes_received_full_scan": self.med(FULL, "bytes_received"),
            "commands_full_scan": self.med(FULL, "commands"),
            **self.json_notes(),
        }
        print(json.dumps(out))

    def server_version(self) -> str:
        try:
            return subprocess.run(["/usr/sbin/dovecot", "--version"], capture_output=True,
                                  text=True, timeout=10, stdin=subprocess.DEVNULL
                                  ).stdout.split()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"


def main() -> None:
    ap = arguments(__doc__, "where the state and config go")
    ap.add_argument("--profile", action="store_true",
                    help="first profile one full scan (cProfile, to stderr)")
    args = ap.parse_args()
    b = Bench(args)
    b.start()
    b.load()
    b.run()
    b.report()

if __name__ == "__main__":
    main()
