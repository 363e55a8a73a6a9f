"""What bench/imap_scan.py and bench/maildir_scan.py share: the clock and the process
helpers, the demo mailbox they both write, the config around their account block, the
running of bench/worker.py and of ``thankful scan --once``, the rescan sequence and
the common parts of the report.

A script's Bench subclasses :class:`ScanBench` and supplies its account (the config's
``[[accounts]]`` block, the worker's spec), its baselines and how new mail arrives.
The scripts put ``daemon/`` and ``bench/`` on ``sys.path`` before importing this.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import email.utils
import json
import os
import pickle
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import ClassVar
from typing import NamedTuple
from zoneinfo import ZoneInfo

from mailgen import MaildirWriter
from mailgen import Maker

from thankful.demo_data import build_demo

HERE = Path(__file__).resolve().parent
NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
PY = sys.executable
TIME = "/usr/bin/time"
# The processes measured read compiled modules, as an installed thankful does (pip
# writes them), rather than compile every module each time; this machine sets
# PYTHONDONTWRITEBYTECODE.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Rows both benchmarks report under the same name.
FULL = "thankful: first full scan"
AFTER = "rescan right after the full scan"
NOOP_CLI = "rescan, nothing new: new process (scan --once)"
NOOP_WARM = "rescan, nothing new: daemon (warm)"
HELP = "thankful --help"


def say(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def timed(argv: list[str], out: Path) -> list[str]:
    """argv under /usr/bin/time, which writes the child's ru_maxrss (KB) to ``out``.

    Not wait4 from here: a child forked from this process and exec'd counts this
    process's RSS at the fork (Linux folds the old mm's peak into ru_maxrss at exec).
    """
    return [TIME, "-f", "%M", "-o", str(out), *argv] if os.path.exists(TIME) else argv


def reap(p: subprocess.Popen[Any], t0: float, out: Path) -> tuple[float, float, int]:
    """Reap the child: (wall seconds, peak RSS MB, exit code)."""
    code = p.wait()
    wall = time.perf_counter() - t0
    try:
        rss = int(out.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        rss = float("nan")
    return wall, rss, code


def message_date(raw: bytes) -> datetime:
    return email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"])


def rnd(v: float | None, nd: int, scale: float = 1.0) -> float | None:
    """round(v * scale, nd), None for a row that has no such figure."""
    return None if v is None else round(v * scale, nd)


class Inbox(NamedTuple):
    """What :meth:`ScanBench.write_inbox` wrote, for the load summary."""

    writer: MaildirWriter
    t0: float
    t_templates: float
    sizes: list[int]
    heads: list[int]
    kinds: dict[str, int]


class ScanBench:
    """Samples per row, the work folder, and the runs both benchmarks make."""

    PREFIX = "tbench"  # of the work folder
    BASELINES: ClassVar[dict[str, str]] = {}  # worker mode -> row: the baseline, the floor, others
    NEW_KEY = "deliver"  # the worker step's key for "add this batch first"
    SAY_EACH_FULL_SCAN = False  # progress after each full scan, or once after all
    t0: float  # when run() started
    load_s: float  # how long writing the mailbox took

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.work = Path(tempfile.mkdtemp(prefix=self.PREFIX, dir=args.tmp))
        self.rusage = self.work / "rusage"
        self.new_row = f"rescan, {args.new} new"
        atexit.register(lambda: args.keep or shutil.rmtree(self.work, ignore_errors=True))

    # --- hooks ------------------------------------------------------------------------

    def account(self) -> str:
        """The config's ``[[accounts]]`` block after its name."""
        raise NotImplementedError

    def calendar_dir(self) -> Path:
        raise NotImplementedError

    def worker_spec(self) -> dict[str, Any]:
        """The worker's spec, before a call's own keys."""
        raise NotImplementedError

    def add_new(self, path: Path) -> None:
        """Add a pickled batch of new messages to INBOX, outside thankful."""
        raise NotImplementedError

    def reset_wire_counts(self) -> None:
        """Start counting what goes over the wire afresh (if anything counts it)."""

    def wire_counts(self) -> dict[str, Any]:
        """What went over the wire since the reset."""
        return {}

    def reset_tree(self) -> None:
        """Undo what a full scan wrote that would change the next full scan."""

    # --- set-up -----------------------------------------------------------------------

    def write_inbox(self, maildir: Path, uid: int, gid: int) -> Inbox:
        """The demo, and INBOX: ``--messages`` realistic messages, the demo's planted."""
        n = self.args.messages
        self.demo = build_demo(NOW)
        self.expected = sorted({(e.occasion, e.email or e.name) for e in self.demo.expected_notes})
        t0 = time.perf_counter()
        maker = Maker(self.args.seed, NOW)
        t_templates = time.perf_counter() - t0
        writer = MaildirWriter(maildir, uid, gid)
        rng = random.Random(self.args.seed)
        sizes: list[int] = []
        heads: list[int] = []
        kinds: dict[str, int] = {}
        for raw, when, kind in maker.stream(n - len(self.demo.inbox)):
            writer.add(raw, when, seen=rng.random() < 0.85)
            sizes.append(len(raw))
            heads.append(raw.find(b"\r\n\r\n") + 2)
            kinds[kind] = kinds.get(kind, 0) + 1
        for raw in self.demo.inbox:
            writer.add(raw, message_date(raw), seen=False)
        kinds["planted search"] = len(self.demo.inbox)
        return Inbox(writer, t0, t_templates, sizes, heads, kinds)

    def write_extras(self) -> None:
        """The demo's calendar, and the new messages for the "+100" rescans, made now
        (untimed), added later."""
        cal = self.calendar_dir()
        cal.mkdir()
        for name, ics in self.demo.calendar:
            (cal / name).write_bytes(ics)
        newer = Maker(self.args.seed + 1, NOW, years=1 / 365)
        self.batches = []
        for k in range(2 * self.args.runs + 1):
            path = self.work / f"new{k}.pickle"
            path.write_bytes(pickle.dumps([(raw, when) for raw, when, _ in
                                           newer.stream(self.args.new)]))
            self.batches.append(path)

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
{self.account()}
lookback_days = "all"

[[calendars]]
name = "demo"
kind = "ics"
location = "{self.calendar_dir()}"

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
        spec = {**self.worker_spec(), **spec}
        path = self.work / "spec.json"
        path.write_text(json.dumps(spec, default=str))
        with open(self.work / "worker.err", "ab") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(timed([PY, str(HERE / "worker.py"), str(path)], self.rusage),
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        assert p.stdin and p.stdout
        samples: list[dict[str, Any]] = []
        for line in p.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "READY":
                self.reset_wire_counts()
            elif word == "DONE":
                samples.append({**json.loads(rest), **self.wire_counts()})
            p.stdin.write("\n")
            p.stdin.flush()
        wall, rss, code = reap(p, t0, self.rusage)
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
        """A whole process: wall time, peak RSS, what went over the wire."""
        self.reset_wire_counts()
        with open(self.work / "cli.out", "wb") as out, open(self.work / "cli.err", "ab") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(timed([PY, *argv], self.rusage), stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL)
            wall, rss, code = reap(p, t0, self.rusage)
        if code:
            raise SystemExit(f"{argv} failed ({code}):\n"
                             + (self.work / "cli.out").read_text()[-2000:]
                             + (self.work / "cli.err").read_text()[-3000:])
        sample = {"process_s": wall, "process_rss_mb": rss,
                  **(self.wire_counts() if count else {})}
        self.record(row, sample)
        return sample

    def scan(self, row: str, cfg: Path) -> dict[str, Any]:
        """``thankful scan --once`` as a timer runs it (the default log level); the
        cycle's own duration_ms, from the state it recorded, is the in-process time."""
        sample = self.cli(row, ["-m", "thankful", "scan", "--once", "--config", str(cfg),
                                "--now", NOW.isoformat()])
        db = cfg.with_suffix("") / "thankful.sqlite3"  # config() puts state_dir there
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            got = conn.execute("SELECT summary FROM runs WHERE finished IS NOT NULL "
                               "ORDER BY finished DESC LIMIT 1").fetchone()
        if got:
            info = json.loads(got[0])
            sample["seconds"] = info["duration_ms"] / 1000
            sample["counts"] = info.get("counts", {})
        return sample

    def baselines(self) -> None:
        for _ in range(self.args.runs):
            for mode, row in self.BASELINES.items():
                self.worker({"mode": mode}, {mode: row})
        say(f"baselines done ({time.perf_counter() - self.t0:.0f} s)")

    def full_scans(self) -> Path:
        """The first full scans; returns the state the last one left.

        One sample in the worker (in-process peak RSS, notes check), the others as
        `thankful scan --once` (whole process; in-process time from its log).
        """
        state = self.work / "state-w"
        self.worker({"mode": "cycle", "config": str(self.config(state)),
                     "steps": [{"name": "full"}]}, {"full": FULL})
        if self.SAY_EACH_FULL_SCAN:
            say(f"full scan 1 done ({time.perf_counter() - self.t0:.0f} s)")
        last_state = state
        for r in range(self.args.runs - 1):
            self.reset_tree()
            last_state = self.work / f"state-c{r}"
            self.scan(FULL, self.config(last_state))
            if self.SAY_EACH_FULL_SCAN:
                say(f"full scan {r + 2} done ({time.perf_counter() - self.t0:.0f} s)")
        if not self.SAY_EACH_FULL_SCAN:
            say(f"full scans done ({time.perf_counter() - self.t0:.0f} s)")
        return last_state

    def rescans(self, cfg: Path) -> None:
        """The rescans (nothing new, then ``--new`` new) and ``thankful --help``."""
        runs = self.args.runs
        self.scan(AFTER, cfg)
        for _ in range(runs):
            self.scan(NOOP_CLI, cfg)
        # The daemon: a first cycle with something new fills the adapter's listing
        # cache, as any cycle after the daemon's first does (dropped); then the samples.
        steps = [{"name": "warm-up", self.NEW_KEY: str(self.batches[2 * runs])}]
        steps += [{"name": "noop"}] * runs
        for k in range(runs):
            steps.append({"name": "new", self.NEW_KEY: str(self.batches[k])})
        self.worker({"mode": "cycle", "config": str(cfg), "steps": steps},
                    {"warm-up": "warm-up", "noop": NOOP_WARM,
                     "new": f"{self.new_row}: daemon (warm)"})
        del self.rows["warm-up"]
        for k in range(runs):
            self.add_new(self.batches[runs + k])
            self.scan(f"{self.new_row}: new process (scan --once)", cfg)
        for _ in range(runs):
            self.cli(HELP, ["-m", "thankful", "--help"], count=False)
        self.total_s = time.perf_counter() - self.t0
        say(f"all done ({self.total_s:.0f} s)")

    # --- report -----------------------------------------------------------------------

    def med(self, row: str, key: str) -> float | None:
        vals = [s[key] for s in self.rows.get(row, []) if isinstance(s.get(key), int | float)]
        return statistics.median(vals) if vals else None

    def cell(self, row: str, key: str, fmt: str, scale: float = 1.0) -> str:
        v = self.med(row, key)
        return format(v * scale, fmt) if v is not None else "-"

    def table(self, width: int, extra: list[tuple[str, int, Callable[[str], str]]]) -> None:
        """One line per row: times and peak RSS, then ``extra`` (title, width, cell)."""
        print(f"{'':{width}} {'in-proc':>8} {'process':>8} {'RSS in':>7} {'RSS':>6} "
              + " ".join(f"{title:>{w}}" for title, w, _ in extra))
        print(f"{'':{width}} {'s':>8} {'s':>8} {'MB':>7} {'MB':>6}")
        for row in self.rows:
            print(f"{row:{width}} {self.cell(row, 'seconds', '.3f'):>8} "
                  f"{self.cell(row, 'process_s', '.3f'):>8} "
                  f"{self.cell(row, 'peak_rss_mb', '.0f'):>7} "
                  f"{self.cell(row, 'process_rss_mb', '.0f'):>6} "
                  + " ".join(f"{fn(row):>{w}}" for _, w, fn in extra))

    def summarize(self) -> None:
        """The headline figures: full scan against the baseline and the floor."""
        rows = list(self.BASELINES.values())
        base, floor = self.med(rows[0], "seconds"), self.med(rows[1], "seconds")
        fs, cli_full = self.med(FULL, "seconds"), self.med(FULL, "process_s")
        assert base and floor and fs and cli_full
        self.base_s, self.floor_s, self.fs, self.cli_full = base, floor, fs, cli_full
        self.sample = self.rows[FULL][0]  # the worker's: it checks the notes
        self.full_counts: dict[str, Any] = self.sample["counts"]
        self.bodies: int = self.full_counts.get("messages_read", 0)

    def print_full_counts(self, verb: str) -> None:
        s, n = self.sample, self.args.messages
        print(f"full scan counts: {self.full_counts}; bodies {verb} {self.bodies} = "
              f"{self.bodies / n:.1%} of the mailbox; notes found {s['notes_found']} of "
              f"{len(self.expected)} planted, missing {s['notes_missing']}, extra "
              f"{s['notes_extra']}")
        print(f"full scan in the worker: {s['seconds']:.2f} s, CPU {s['cpu_s']:.2f} s (with "
              f"its helper process's); the helper judged "
              f"{self.full_counts.get('headers_judged_by_helper', 0):,} header blocks and read "
              f"{self.full_counts.get('messages_read_by_helper', 0):,} messages whole; its "
              f"peak RSS {s['helper_peak_rss_mb']:.0f} MB (0: none ran)")

    # The JSON line's keys both benchmarks print, in groups, in the order printed.

    def json_head(self) -> dict[str, Any]:
        return {"messages": self.args.messages, "runs": self.args.runs,
                "load_s": round(self.load_s, 1), "full_scan_s": round(self.fs, 3),
                "full_scan_process_s": round(self.cli_full, 3),
                "baseline_s": round(self.base_s, 3), "floor_s": round(self.floor_s, 3)}

    def json_noop(self) -> dict[str, Any]:
        return {"ratio": round(self.fs / self.base_s, 2),
                "ratio_to_floor": round(self.fs / self.floor_s, 2),
                "noop_rescan_ms": rnd(self.med(NOOP_WARM, "seconds"), 1, 1000),
                "noop_rescan_first_cycle_ms": rnd(self.med(NOOP_CLI, "seconds"), 1, 1000),
                "noop_rescan_process_s": rnd(self.med(NOOP_CLI, "process_s"), 3)}

    def json_new(self) -> dict[str, Any]:
        return {"new100_rescan_s": rnd(self.med(f"{self.new_row}: daemon (warm)",
                                                "seconds"), 3),
                "new100_rescan_process_s": rnd(self.med(
                    f"{self.new_row}: new process (scan --once)", "process_s"), 3)}

    def json_rss(self) -> dict[str, Any]:
        return {"peak_rss_mb": rnd(self.med(FULL, "process_rss_mb"), 1),
                "peak_rss_in_process_mb": rnd(self.med(FULL, "peak_rss_mb"), 1),
                "helper_rss_mb": rnd(self.med(FULL, "helper_peak_rss_mb"), 1)}

    def json_bodies(self) -> dict[str, Any]:
        return {"bodies_fetched": self.bodies,
                "bodies_share": round(self.bodies / self.args.messages, 4),
                "headers_read": self.full_counts.get("headers_read", 0),
                "headers_judged_by_helper": self.full_counts.get("headers_judged_by_helper", 0),
                "messages_read_by_helper": self.full_counts.get("messages_read_by_helper", 0),
                "full_scan_cpu_s": rnd(self.med(FULL, "cpu_s"), 3)}

    def json_notes(self) -> dict[str, Any]:
        return {"notes_planted": len(self.expected), "notes_found": self.sample["notes_found"],
                "notes_missing": len(self.sample["notes_missing"])}


def arguments(doc: str, tmp_help: str) -> argparse.ArgumentParser:
    """The options both benchmarks take."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=10_000, help="INBOX size (default 10000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    ap.add_argument("--new", type=int, default=100, help="messages added before a rescan")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tmp", default="/tmp", help=tmp_help)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    return ap
