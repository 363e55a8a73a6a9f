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
sys.path[:0] = [str(REPO / "daemon"), str(HERE)]

from mailgen import MaildirWriter  # noqa: E402
from mailgen import Maker  # noqa: E402
from mailgen import sizes_summary  # noqa: E402
from worker import deliver  # noqa: E402

from thankful.demo_data import build_demo  # noqa: E402

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
PY = sys.executable
TIME = "/usr/bin/time"

BASELINES = {"stdlib_headers": "baseline: BytesHeaderParser on each file",
             "read_headers": "floor: read each header block (bytes)",
             "stdlib_headblock": "ref: BytesHeaderParser on the header block"}
FULL = "thankful: first full scan"
AFTER = "rescan right after the full scan"
NOOP_CLI = "rescan, nothing new: new process (scan --once)"
NOOP_WARM = "rescan, nothing new: daemon (warm)"


def say(*a: object) -> None:
    print(*a, file=sys.stderr, flush=True)


def _timed(argv: list[str], out: Path) -> list[str]:
    """argv under /usr/bin/time, which writes the child's ru_maxrss (KB) to ``out``
    (not wait4 from here: the exec'd child would inherit this process's peak)."""
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


def _date(raw: bytes) -> datetime:
    return email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"])


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.work = Path(tempfile.mkdtemp(prefix="tmaildir", dir=args.tmp))
        self.rusage = self.work / "rusage"
        self.mail = self.work / "tree" / "mail"
        self.new_row = f"rescan, {args.new} new"
        self.load_before = os.getloadavg()
        atexit.register(lambda: args.keep or shutil.rmtree(self.work, ignore_errors=True))

    # --- set-up -----------------------------------------------------------------------

    def load(self) -> None:
        n = self.args.messages
        self.demo = build_demo(NOW)
        self.expected = sorted({(e.occasion, e.email or e.name) for e in self.demo.expected_notes})
        t0 = time.perf_counter()
        maker = Maker(self.args.seed, NOW)
        t_templates = time.perf_counter() - t0
        uid, gid = os.getuid(), os.getgid()
        writer = MaildirWriter(self.mail, uid, gid)
        rng = random.Random(self.args.seed)
        sizes, heads, kinds = [], [], {}
        for raw, when, kind in maker.stream(n - len(self.demo.inbox)):
            writer.add(raw, when, seen=rng.random() < 0.85)
            sizes.append(len(raw))
            heads.append(raw.find(b"\r\n\r\n") + 2)
            kinds[kind] = kinds.get(kind, 0) + 1
        for raw in self.demo.inbox:
            writer.add(raw, _date(raw), seen=False)
        kinds["planted search"] = len(self.demo.inbox)
        sent = MaildirWriter(self.mail / ".Sent", uid, gid)
        (self.mail / ".Sent" / "maildirfolder").touch(mode=0o600)
        for raw in self.demo.sent:
            sent.add(raw, _date(raw), seen=True)
        self.load_s = time.perf_counter() - t0
        count = len(os.listdir(self.mail / "cur"))
        if count != n:
            raise SystemExit(f"wrote {count} messages, wanted {n}")
        cal = self.work / "tree" / "calendar"
        cal.mkdir()
        for name, ics in self.demo.calendar:
            (cal / name).write_bytes(ics)
        # New messages for the "+100" rescans, made now (untimed), delivered later.
        newer = Maker(self.args.seed + 1, NOW, years=1 / 365)
        self.batches = []
        for k in range(2 * self.args.runs + 1):
            path = self.work / f"new{k}.pickle"
            path.write_bytes(pickle.dumps([(raw, when) for raw, when, _ in
                                           newer.stream(self.args.new)]))
            self.batches.append(path)
        self.mix = ", ".join(f"{k} {v / n:.1%}" if k != "planted search" else f"{k} {v}"
                             for k, v in kinds.items())
        self.size_mb = writer.bytes / 1e6
        say(f"wrote {n:,} messages ({self.size_mb:.0f} MB; {sizes_summary(sizes)}; "
            f"header blocks {sizes_summary(heads)}) in {self.load_s:.1f} s: templates "
            f"{t_templates:.1f} s, files {self.load_s - t_templates:.1f} s; "
            f"{len(self.demo.sent)} in Sent")
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
kind = "maildir"
path = "{self.mail}"
layout = "maildir++"
lookback_days = "all"

[[calendars]]
name = "demo"
kind = "ics"
location = "{self.work / 'tree' / 'calendar'}"

[etiquette]
backfill_days = 30
""")
        os.chmod(path, 0o600)
        return path

    def reset_tree(self) -> None:
        """Undo what a full scan wrote (its drafts, its reminder in new/): the next full
        scan with a fresh state then sees the user's tree as the first one did."""
        shutil.rmtree(self.mail / ".Drafts", ignore_errors=True)
        for name in os.listdir(self.mail / "new"):
            os.remove(self.mail / "new" / name)

    # --- measuring ----------------------------------------------------------------------

    def record(self, row: str, data: dict[str, Any]) -> None:
        self.rows.setdefault(row, []).append(data)

    def worker(self, spec: dict[str, Any], rows: dict[str, str]) -> None:
        """Run bench/worker.py; each of its timed parts becomes a sample of rows[name]."""
        spec = {"maildirs": [str(self.mail), str(self.mail / ".Sent")],
                "maildir": str(self.mail), "now": NOW.isoformat(),
                "expected": self.expected, **spec}
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
            if word == "DONE":
                samples.append(json.loads(rest))
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

    def cli(self, row: str, argv: list[str]) -> dict[str, Any]:
        """A whole process: wall time, peak RSS."""
        with open(self.work / "cli.out", "wb") as out, open(self.work / "cli.err", "ab") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(_timed([PY, *argv], self.rusage), stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL)
            wall, rss, code = _wait(p, t0, self.rusage)
        if code:
            raise SystemExit(f"{argv} failed ({code}):\n"
                             + (self.work / "cli.out").read_text()[-2000:]
                             + (self.work / "cli.err").read_text()[-3000:])
        sample = {"process_s": wall, "process_rss_mb": rss}
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

    def run(self) -> None:
        runs = self.args.runs
        t0 = time.perf_counter()
        for _ in range(runs):
            for mode, row in BASELINES.items():
                self.worker({"mode": mode}, {mode: row})
        say(f"baselines done ({time.perf_counter() - t0:.0f} s)")
        # One sample in the worker (in-process peak RSS, notes check), the others as
        # `thankful scan --once` (whole process; in-process time from its log).
        state = self.work / "state-w"
        self.worker({"mode": "cycle", "config": str(self.config(state)),
                     "steps": [{"name": "full"}]}, {"full": FULL})
        say(f"full scan 1 done ({time.perf_counter() - t0:.0f} s)")
        last_state = state
        for r in range(runs - 1):
            self.reset_tree()
            last_state = self.work / f"state-c{r}"
            self.scan(FULL, self.config(last_state))
            say(f"full scan {r + 2} done ({time.perf_counter() - t0:.0f} s)")
        cfg = self.config(last_state)
        self.scan(AFTER, cfg)
        for _ in range(runs):
            self.scan(NOOP_CLI, cfg)
        # The daemon: a first cycle with something new (dropped), then the samples.
        steps = [{"name": "warm-up", "deliver": str(self.batches[2 * runs])}]
        steps += [{"name": "noop"}] * runs
        for k in range(runs):
            steps.append({"name": "new", "deliver": str(self.batches[k])})
        self.worker({"mode": "cycle", "config": str(cfg), "steps": steps},
                    {"warm-up": "warm-up", "noop": NOOP_WARM,
                     "new": f"{self.new_row}: daemon (warm)"})
        del self.rows["warm-up"]
        for k in range(runs):
            deliver(str(self.mail), str(self.batches[runs + k]))
            self.scan(f"{self.new_row}: new process (scan --once)", cfg)
        for _ in range(runs):
            self.cli("thankful --help", ["-m", "thankful", "--help"])
        self.total_s = time.perf_counter() - t0
        say(f"all done ({self.total_s:.0f} s)")

    # --- report -----------------------------------------------------------------------

    def med(self, row: str, key: str) -> float | None:
        vals = [s[key] for s in self.rows.get(row, []) if isinstance(s.get(key), int | float)]
        return statistics.median(vals) if vals else None

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
        print(f"{'':48} {'in-proc':>8} {'process':>8} {'RSS in':>7} {'RSS':>6} {'headers':>8} "
              f"{'previews':>8} {'bodies':>7}")
        print(f"{'':48} {'s':>8} {'s':>8} {'MB':>7} {'MB':>6}")
        for row in self.rows:
            def f(key: str, fmt: str, r: str = row) -> str:
                v = self.med(r, key)
                return format(v, fmt) if v is not None else "-"

            def c(key: str, r: str = row) -> str:
                v = self.count(r, key)
                return format(v, ".0f") if v is not None else "-"
            print(f"{row:48} {f('seconds', '.3f'):>8} {f('process_s', '.3f'):>8} "
                  f"{f('peak_rss_mb', '.0f'):>7} {f('process_rss_mb', '.0f'):>6} "
                  f"{c('headers_read'):>8} {c('previews_read'):>8} {c('messages_read'):>7}")
        base = self.med(BASELINES["stdlib_headers"], "seconds")
        floor = self.med(BASELINES["read_headers"], "seconds")
        block = self.med(BASELINES["stdlib_headblock"], "seconds")
        fs = self.med(FULL, "seconds")
        cli_full = self.med(FULL, "process_s")
        assert base and floor and block and fs and cli_full
        sample = self.rows[FULL][0]  # the worker's: it checks the notes
        counts = sample["counts"]
        print(f"\nfirst full scan / stdlib baseline: {fs / base:.2f}x in-process; / floor: "
              f"{fs / floor:.2f}x (whole process {cli_full:.2f} s: {cli_full / base:.2f}x and "
              f"{cli_full / floor:.2f}x); / parser on header blocks: {fs / block:.2f}x")
        bodies = counts.get("messages_read", 0)
        print(f"full scan counts: {counts}; bodies read {bodies} = {bodies / n:.1%} of the "
              f"mailbox; notes found {sample['notes_found']} of {len(self.expected)} planted, "
              f"missing {sample['notes_missing']}, extra {sample['notes_extra']}")

        def r(v: float | None, nd: int, scale: float = 1.0) -> float | None:
            return None if v is None else round(v * scale, nd)
        new_warm = f"{self.new_row}: daemon (warm)"
        new_cli = f"{self.new_row}: new process (scan --once)"
        out = {
            "messages": n, "runs": runs, "load_s": round(self.load_s, 1),
            "full_scan_s": round(fs, 3), "full_scan_process_s": round(cli_full, 3),
            "baseline_s": round(base, 3), "floor_s": round(floor, 3),
            "baseline_headblock_s": round(block, 3),
            "ratio": round(fs / base, 2), "ratio_to_floor": round(fs / floor, 2),
            "noop_rescan_ms": r(self.med(NOOP_WARM, "seconds"), 1, 1000),
            "noop_rescan_first_cycle_ms": r(self.med(NOOP_CLI, "seconds"), 1, 1000),
            "noop_rescan_process_s": r(self.med(NOOP_CLI, "process_s"), 3),
            "rescan_after_full_s": r(self.med(AFTER, "seconds"), 3),
            "new100_rescan_s": r(self.med(new_warm, "seconds"), 3),
            "new100_rescan_process_s": r(self.med(new_cli, "process_s"), 3),
            "help_process_s": r(self.med("thankful --help", "process_s"), 3),
            "peak_rss_mb": r(self.med(FULL, "process_rss_mb"), 1),
            "peak_rss_in_process_mb": r(self.med(FULL, "peak_rss_mb"), 1),
            "baseline_rss_mb": r(self.med(BASELINES["stdlib_headers"], "process_rss_mb"), 1),
            "noop_rescan_rss_mb": r(self.med(NOOP_CLI, "process_rss_mb"), 1),
            "new100_rescan_rss_mb": r(self.med(new_cli, "process_rss_mb"), 1),
            "bodies_fetched": bodies, "bodies_share": round(bodies / n, 4),
            "headers_read": counts.get("headers_read", 0),
            "previews_read": counts.get("previews_read", 0),
            "notes_planted": len(self.expected), "notes_found": sample["notes_found"],
            "notes_missing": len(sample["notes_missing"]),
            "notes_extra": len(sample["notes_extra"]),
            "loadavg_before": round(self.load_before[0], 2),
            "loadavg_after": round(load_after[0], 2),
        }
        print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=10_000, help="INBOX size (default 10000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    ap.add_argument("--new", type=int, default=100, help="messages added before a rescan")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tmp", default="/tmp", help="where the tree and the state go")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    if args.messages <= 100:
        raise SystemExit("--messages: at least 100 (the planted search alone is ~20)")
    b = Bench(args)
    b.load()
    b.run()
    b.report()


if __name__ == "__main__":
    main()
