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

import argparse
import atexit
import email.utils
import json
import os
import pickle
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "daemon"), str(HERE)]

from integration.dovecot import Dovecot  # noqa: E402
from integration.dovecot import available  # noqa: E402
from mailgen import Maker  # noqa: E402
from mailgen import MaildirWriter  # noqa: E402
from mailgen import sizes_summary  # noqa: E402
from proxy import CountingProxy  # noqa: E402

from thankful.adapters.imap import HEADER_BATCH  # noqa: E402
from thankful.demo_data import build_demo  # noqa: E402

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
PY = sys.executable
PASSWORD_ENV = "THANKFUL_BENCH_PASSWORD"


def say(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


# --- processes --------------------------------------------------------------------------


TIME = "/usr/bin/time"


def _timed(argv: list[str], out: Path) -> list[str]:
    """argv under /usr/bin/time, which writes the child's ru_maxrss (KB) to ``out``.

    Not wait4 from here: a child forked from this process and exec'd counts this
    process's RSS at the fork (Linux folds the old mm's peak into ru_maxrss at exec).
    """
    return [TIME, "-f", "%M", "-o", str(out), *argv] if os.path.exists(TIME) else argv


def _wait(p: subprocess.Popen[Any], t0: float, out: Path) -> tuple[float, float, int]:
    """Reap the child: (wall seconds, peak RSS MB, exit code)."""
    code = p.wait()
    wall = time.perf_counter() - t0
    try:
        rss = int(out.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        rss = float("nan")
    return wall, rss, code


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.work = Path(tempfile.mkdtemp(prefix="tbench", dir=args.tmp))
        self.rusage = self.work / "rusage"
        atexit.register(lambda: args.keep or shutil.rmtree(self.work, ignore_errors=True))

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
        self.demo = build_demo(NOW)
        self.expected = sorted({(e.occasion, e.email or e.name) for e in self.demo.expected_notes})
        t0 = time.perf_counter()
        maker = Maker(self.args.seed, NOW)
        t_templates = time.perf_counter() - t0
        writer = MaildirWriter(self.home / "Maildir", self.server.uid, self.server.gid)
        rng = random.Random(self.args.seed)
        sizes, heads, kinds = [], [], {}
        for raw, when, kind in maker.stream(n - len(self.demo.inbox)):
            writer.add(raw, when, seen=rng.random() < 0.85)
            sizes.append(len(raw))
            heads.append(raw.find(b"\r\n\r\n") + 2)
            kinds[kind] = kinds.get(kind, 0) + 1
        for raw in self.demo.inbox:
            when = email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"])
            writer.add(raw, when, seen=False)
        kinds["planted search"] = len(self.demo.inbox)
        t_files = time.perf_counter() - t0
        admin = self.server.client(self.user, self.password)
        t1 = time.perf_counter()
        admin.select_folder("INBOX")  # read-write, once: Dovecot indexes the new files
        t_index = time.perf_counter() - t1
        for raw in self.demo.sent:
            when = email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"])
            admin.append("Sent", raw, flags=(b"\\Seen",), msg_time=when)
        count = int(admin.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"])
        admin.logout()
        if count != n:
            raise SystemExit(f"loaded {count} messages, wanted {n}")
        self.load_s = time.perf_counter() - t0
        cal = self.work / "calendar"
        cal.mkdir()
        for name, ics in self.demo.calendar:
            (cal / name).write_bytes(ics)
        # New messages for the "+100" rescans, made now (untimed), APPENDed later.
        newer = Maker(self.args.seed + 1, NOW, years=1 / 365)
        self.batches = []
        for k in range(2 * self.args.runs + 1):
            path = self.work / f"new{k}.pickle"
            path.write_bytes(pickle.dumps([(raw, when) for raw, when, _ in
                                           newer.stream(self.args.new)]))
            self.batches.append(path)
        self.mix = ", ".join(f"{k} {v / n:.1%}" for k, v in kinds.items())
        say(f"loaded {n:,} messages ({writer.bytes / 1e6:.0f} MB; {sizes_summary(sizes)}; "
            f"header blocks {sizes_summary(heads)}) in {self.load_s:.1f} s: templates "
            f"{t_templates:.1f} s, files {t_files - t_templates:.1f} s, Dovecot's first "
            f"SELECT {t_index:.1f} s")
        say(f"mix: {self.mix}")

    def config(self, state: Path) -> Path:
        d = self.demo
        path = state.with_suffix(".toml")
        path.write_text(f"""state_dir = "{state}"
[identity]
name = "{d.identity_name}"
addresses = [{", ".join(f'"{a}"' for a in d.addresses)}]
employer_domains = [{", ".join(f'"{x}"' for x in d.employer_domains)}]
timezone = "{d.timezone}"

[[accounts]]
name = "bench"
kind = "imap"
host = "127.0.0.1"
port = {self.proxy.port}
security = "none"
username = "{self.user}"
password_env = "{PASSWORD_ENV}"
lookback_days = "all"

[[calendars]]
name = "demo"
kind = "ics"
location = "{self.work / 'calendar'}"

[etiquette]
backfill_days = 30
""")
        os.chmod(path, 0o600)
        return path

    # --- measuring ----------------------------------------------------------------------

    def record(self, row: str, data: dict[str, Any]) -> None:
        self.rows.setdefault(row, []).append(data)

    def worker(self, spec: dict[str, Any], rows: dict[str, str]) -> None:
        """Run bench/worker.py; each of its timed parts becomes a sample of rows[name]."""
        spec = {"port": self.proxy.port, "direct_port": self.server.imap_port,
                "user": self.user, "password": self.password, "folder": "INBOX",
                "batch": HEADER_BATCH, "now": NOW.isoformat(), "expected": self.expected,
                **spec}
        path = self.work / "spec.json"
        path.write_text(json.dumps(spec, default=str))
        with open(self.work / "worker.err", "ab") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(_timed([PY, str(HERE / "worker.py"), str(path)], self.rusage),
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        assert p.stdin and p.stdout
        samples: list[dict[str, Any]] = []
        for line in p.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "READY":
                self.proxy.counts.reset()
            elif word == "DONE":
                sample = {**json.loads(rest), **self.proxy.counts.snapshot()}
                samples.append(sample)
            p.stdin.write("\n")
            p.stdin.flush()
        wall, rss, code = _wait(p, t0, self.rusage)
        if code:
            raise SystemExit(f"worker failed ({code}): see {self.work / 'worker.err'}:\n"
                             + (self.work / "worker.err").read_text()[-3000:])
        for s in samples:
            if s.get("errors"):
                raise SystemExit(f"cycle errors: {s['errors']}")
            if len(samples) == 1:  # the process did this one thing
                s["process_s"], s["process_rss_mb"] = wall, rss
            self.record(rows[s["name"]], s)

    def cli(self, row: str, argv: list[str], *, count: bool = True) -> dict[str, Any]:
        """A whole process: wall time, peak RSS, proxy counts."""
        self.proxy.counts.reset()
        with open(self.work / "cli.out", "wb") as out, open(self.work / "cli.err", "ab") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(_timed([PY, *argv], self.rusage), stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL)
            wall, rss, code = _wait(p, t0, self.rusage)
        if code:
            raise SystemExit(f"{argv} failed ({code}):\n"
                             + (self.work / "cli.out").read_text()[-2000:]
                             + (self.work / "cli.err").read_text()[-3000:])
        sample = {"process_s": wall, "process_rss_mb": rss,
                  **(self.proxy.counts.snapshot() if count else {})}
        self.record(row, sample)
        return sample

    def scan(self, row: str, cfg: Path) -> dict[str, Any]:
        """``thankful scan --once``; the cycle's own duration_ms is the in-process time."""
        errlog = self.work / "cli.err"
        start = errlog.stat().st_size if errlog.exists() else 0
        sample = self.cli(row, ["-m", "thankful", "scan", "--once", "--log-level", "info",
                                "--config", str(cfg), "--now", NOW.isoformat()])
        with open(errlog, "rb") as fh:
            fh.seek(start)
            for line in fh:
                if b'"cycle_finished"' in line:
                    info = json.loads(line)
                    sample["seconds"] = info["duration_ms"] / 1000
                    sample["counts"] = info.get("counts", {})
        return sample

    def append(self, path: Path) -> None:
        from imapclient import IMAPClient

        batch = pickle.loads(path.read_bytes())
        c = IMAPClient("127.0.0.1", port=self.server.imap_port, ssl=False, timeout=120)
        c.login(self.user, self.password)
        c.multiappend("INBOX", [{"msg": raw, "date": when, "flags": ()} for raw, when in batch])
        c.logout()

    def run(self) -> None:
        runs = self.args.runs
        names = {"imapclient": "baseline: imapclient header FETCH",
                 "imaplib": "floor: imaplib header FETCH",
                 "imaplib_fields": "floor: imaplib HEADER.FIELDS (the fields read)"}
        t0 = time.perf_counter()
        if self.args.profile:
            prof = self.work / "full.prof"
            self.worker({"mode": "cycle", "config": str(self.config(self.work / "state-p")),
                         "profile": str(prof), "steps": [{"name": "full"}]},
                        {"full": "thankful: first full scan (under cProfile)"})
            import pstats

            pstats.Stats(str(prof), stream=sys.stderr).sort_stats("tottime").print_stats(30)
            pstats.Stats(str(prof), stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        for _ in range(runs):
            for mode, row in names.items():
                self.worker({"mode": mode}, {mode: row})
        say(f"baselines done ({time.perf_counter() - t0:.0f} s)")
        full = "thankful: first full scan"
        # One sample in the worker (in-process peak RSS, notes check), the others as
        # `thankful scan --once` (whole process; in-process time from its log).
        state = self.work / "state-w"
        self.worker({"mode": "cycle", "config": str(self.config(state)),
                     "steps": [{"name": "full"}]}, {"full": full})
        last_state = state
        for r in range(runs - 1):
            last_state = self.work / f"state-c{r}"
            self.scan(full, self.config(last_state))
        say(f"full scans done ({time.perf_counter() - t0:.0f} s)")
        cfg = self.config(last_state)
        self.scan("rescan right after the full scan", cfg)
        for _ in range(runs):
            self.scan("rescan, nothing new: new process (scan --once)", cfg)
        # The daemon: a first cycle with something new fills the adapter's listing
        # cache, as any cycle after the daemon's first does (dropped); then the samples.
        steps = [{"name": "warm-up", "append": str(self.batches[2 * runs])}]
        steps += [{"name": "noop"}] * runs
        for k in range(runs):
            steps.append({"name": "new", "append": str(self.batches[k])})
        self.worker({"mode": "cycle", "config": str(cfg), "steps": steps},
                    {"warm-up": "warm-up", "noop": "rescan, nothing new: daemon (warm)",
                     "new": f"rescan, {self.args.new} new: daemon (warm)"})
        del self.rows["warm-up"]
        for k in range(runs):
            self.append(self.batches[runs + k])
            self.scan(f"rescan, {self.args.new} new: new process (scan --once)", cfg)
        for _ in range(runs):
            self.cli("thankful --help", ["-m", "thankful", "--help"], count=False)
        say(f"all done ({time.perf_counter() - t0:.0f} s)")

    # --- report -----------------------------------------------------------------------

    def med(self, row: str, key: str) -> float | None:
        vals = [s[key] for s in self.rows.get(row, []) if isinstance(s.get(key), int | float)]
        return statistics.median(vals) if vals else None

    def report(self) -> None:
        n, runs = self.args.messages, self.args.runs
        print(f"\nthankful IMAP scan benchmark: {n:,} messages in INBOX, Dovecot "
              f"{self.server_version()}, Python {sys.version.split()[0]}, {os.cpu_count()} "
              f"cores; median of {runs} runs; plaintext on loopback through a counting proxy")
        print(f"load: {self.load_s:.1f} s (Maildir files + first read-write SELECT)")
        print(f"mix: {self.mix}\n")
        head = (f"{'':54} {'in-proc':>8} {'process':>8} {'RSS in':>7} {'RSS':>6} {'cmds':>6} "
                f"{'MB recv':>8} {'bodies':>7}")
        print(head)
        print(f"{'':54} {'s':>8} {'s':>8} {'MB':>7} {'MB':>6}")
        for row in self.rows:
            def f(key: str, fmt: str, scale: float = 1.0, r: str = row) -> str:
                v = self.med(r, key)
                return format(v * scale, fmt) if v is not None else "-"
            inproc = f("seconds", ".3f")
            print(f"{row:54} {inproc:>8} {f('process_s', '.3f'):>8} "
                  f"{f('peak_rss_mb', '.0f'):>7} {f('process_rss_mb', '.0f'):>6} "
                  f"{f('commands', '.0f'):>6} {f('bytes_received', '.2f', 1e-6):>8} "
                  f"{f('bodies_on_wire', '.0f'):>7}")
        full = "thankful: first full scan"
        base = self.med("baseline: imapclient header FETCH", "seconds")
        floor = self.med("floor: imaplib header FETCH", "seconds")
        fs = self.med(full, "seconds")
        cli_full = self.med(full, "process_s")
        sample = self.rows[full][0]  # the worker's: it checks the notes
        counts = sample["counts"]
        print(f"\nfirst full scan / imapclient baseline: {fs / base:.2f}x in-process; "
              f"/ imaplib floor: {fs / floor:.2f}x (whole process {cli_full:.2f} s: "
              f"{cli_full / base:.2f}x and {cli_full / floor:.2f}x)")
        bodies = counts.get("messages_read", 0)
        print(f"full scan counts: {counts}; bodies fetched {bodies} = {bodies / n:.1%} of the "
              f"mailbox; notes found {sample['notes_found']} of {len(self.expected)} planted, "
              f"missing {sample['notes_missing']}, extra {sample['notes_extra']}")
        noop = self.rows.get("rescan, nothing new: new process (scan --once)", [{}])[-1]
        print(f"rescan with nothing new sends: {noop.get('by_command')}")
        print("full scan sends: " + str(self.rows[full][-1].get("by_command")))
        out = {
            "messages": n, "runs": runs, "load_s": round(self.load_s, 1),
            "full_scan_s": round(fs, 3), "full_scan_process_s": round(cli_full, 3),
            "baseline_s": round(base, 3), "floor_s": round(floor, 3),
            "ratio": round(fs / base, 2), "ratio_to_floor": round(fs / floor, 2),
            "noop_rescan_ms": round(1000 * self.med("rescan, nothing new: daemon (warm)",
                                                     "seconds"), 1),
            "noop_rescan_first_cycle_ms": round(1000 * self.med(
                "rescan, nothing new: new process (scan --once)", "seconds"), 1),
            "noop_rescan_process_s": round(self.med(
                "rescan, nothing new: new process (scan --once)", "process_s"), 3),
            "help_process_s": round(self.med("thankful --help", "process_s"), 3),
            "noop_round_trips": self.med("rescan, nothing new: new process (scan --once)",
                                         "commands"),
            "new100_rescan_s": round(self.med(f"rescan, {self.args.new} new: daemon (warm)",
                                              "seconds"), 3),
            "new100_rescan_process_s": round(self.med(
                f"rescan, {self.args.new} new: new process (scan --once)", "process_s"), 3),
            "peak_rss_mb": round(self.med(full, "process_rss_mb"), 1),
            "peak_rss_in_process_mb": round(self.med(full, "peak_rss_mb"), 1),
            "bodies_fetched": bodies, "bodies_share": round(bodies / n, 4),
            "headers_read": counts.get("headers_read", 0),
            "bytes_received_full_scan": self.med(full, "bytes_received"),
            "commands_full_scan": self.med(full, "commands"),
            "notes_planted": len(self.expected), "notes_found": sample["notes_found"],
            "notes_missing": len(sample["notes_missing"]),
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=10_000, help="INBOX size (default 10000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    ap.add_argument("--new", type=int, default=100, help="messages added before a rescan")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tmp", default="/tmp", help="where the state and config go")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
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
