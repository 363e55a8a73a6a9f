"""Soak test (not part of CI): the daemon against a real Dovecot for a given time.

    .venv/bin/python bench/soak.py --minutes 30 [--faults]

Arrival phase: job searches (tests/jobsearch.py) arrive one after another by APPEND,
with their calendars written into a vdir; every few minutes every IMAP connection is
dropped (``doveadm kick``) and once in a while Dovecot is restarted. With ``--faults``
the daemon reaches Dovecot through tests/reliability/faultproxy.py (without TLS, so
that the proxy can follow the commands), which every 1-3 minutes either cuts every
connection at once or cuts the daemon's next APPEND to Drafts (before its literal, after
its literal, or after the server's OK).

Settle phase: the last max(3 scan intervals, 2 minutes) of the run bring no search and
no fault; the soak waits until the daemon's cycles are quiet (two ok cycles in a row
that append nothing and leave the notes as they were), or ``--settle-timeout``.

Then the notes the searches owe are compared with the notes the daemon derived and
drafted, the way the CI tests compare one search with its ground truth
(tests/integration/test_cycle.py); Drafts is checked for the same X-Thankful-Note
twice; the daemon's memory, open file descriptors, errors and tracebacks are counted.
The summary block at the end is meant to be pasted into a note.

All searches share one daemon and one config, which can name only one user: a search
whose company domain is another search's employer domain (or the reverse), or whose
company name an earlier search used, is skipped (its mail would be the user's own
employer's, or merge with the other application). A note to a person known only by a
search's own user's name (a referral intro's "Dana, meet <user>!") is counted apart:
with the search's own identity, as in CI, the daemon would know that name is the user.
"""

from __future__ import annotations

import argparse
import email
import email.utils
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from integration.dovecot import Dovecot  # noqa: E402
from integration.dovecot import ImapUser  # noqa: E402
from integration.dovecot import running  # noqa: E402
from integration.test_cycle import owed as owed_keys  # noqa: E402  (the CI comparison)
from jobsearch import generate  # noqa: E402
from reliability.faultproxy import MODES  # noqa: E402
from reliability.faultproxy import FaultProxy  # noqa: E402
from thankful.core.rules import Note  # noqa: E402
from thankful.core.serde import note_from_dict  # noqa: E402
from thankful.demo_data import DemoData  # noqa: E402

TZ = ZoneInfo("Europe/Berlin")
#: Events of a cycle that mean it still had work to do.
BUSY = frozenset({"draft_appended", "draft_already_saved", "append_retried",
                  "reminder_delivered", "drafts_held_back", "source_failed"})


def proc_stats(pid: int) -> tuple[int, int, float]:
    """(RSS in KiB, open file descriptors, CPU seconds used so far) of a process."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return rss, len(os.listdir(f"/proc/{pid}/fd")), cpu


def write_config(path: Path, user: ImapUser, port: int, addresses: list[str],
                 employers: list[str], interval: float) -> None:
    # Through the fault proxy without TLS (allowed to loopback): after a STARTTLS the
    # proxy passes the bytes on unread, and could not find an APPEND to cut.
    proxied = port != user.server.imap_port
    account = user.toml_account(
        name="soak", security="none" if proxied else "starttls",
        extra=f'address = "{addresses[0]}"\nlookback_days = "all"\nidle = true\n')
    if proxied:
        direct = f"port = {user.server.imap_port}\n"
        assert direct in account, account
        account = account.replace(direct, f"port = {port}\n")
    quoted = ", ".join(f'"{a}"' for a in addresses)
    emp = ", ".join(f'"{d}"' for d in employers)
    path.write_text(f"""scan_interval_minutes = {interval}
state_dir = "state"
[identity]
name = "Soak Tester"
addresses = [{quoted}]
employer_domains = [{emp}]
timezone = "Europe/Berlin"

{account}
[[calendars]]
name = "soak"
kind = "ics"
location = "calendar"

[etiquette]
backfill_days = 60
""")
    os.chmod(path, 0o600)


# --- the searches -------------------------------------------------------------------------


@dataclass
class Search:
    seed: int
    data: DemoData

    @property
    def company(self) -> str:
        return self.data.expected_notes[0].company

    @property
    def domains(self) -> set[str]:
        """The company's mail domains (the referrer writes from a freemail address)."""
        return {e.email.split("@", 1)[1] for e in self.data.expected_notes
                if e.email and e.role != "referrer"}


@dataclass
class Searches:
    """The searches sent so far, and the seeds skipped as unfit for one shared config."""

    items: list[Search] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    next_seed: int = 1

    def conflict(self, s: Search) -> str | None:
        employers = {d for x in self.items for d in x.data.employer_domains}
        companies = {d for x in self.items for d in x.domains}
        mine = set(s.data.employer_domains)
        if mine & companies:
            return f"its employer domain {sorted(mine & companies)} is an earlier company's"
        if s.domains & (employers | mine):
            return f"its company domain {sorted(s.domains)} is an employer domain"
        if s.company.lower() in {x.company.lower() for x in self.items}:
            return f"company name {s.company!r} already used"
        return None

    def next(self, now: datetime) -> Search:
        """The next search that fits, generated as of ``now``."""
        while True:
            s = Search(self.next_seed, generate(self.next_seed, now))
            self.next_seed += 1
            why = self.conflict(s)
            if why is None:
                self.items.append(s)
                return s
            self.skipped[s.seed] = why

    def addresses(self) -> list[str]:
        return list(dict.fromkeys(a for s in self.items for a in s.data.addresses))

    def employers(self) -> list[str]:
        return list(dict.fromkeys(d for s in self.items for d in s.data.employer_domains))


def deliver(user: ImapUser, work: Path, s: Search) -> None:
    """APPEND a search's mail (straight to Dovecot) and write its calendar files."""
    for attempt in range(3):
        try:
            admin = user.client()
            break
        except OSError:
            if attempt == 2:
                raise
            time.sleep(2)
    for folder, msgs in (("INBOX", s.data.inbox), ("Sent", s.data.sent)):
        for raw in msgs:
            date = email.message_from_bytes(raw)["Date"]
            when = email.utils.parsedate_to_datetime(date) if date else None
            admin.append(folder, raw, msg_time=when)
    admin.logout()
    for name, ics in s.data.calendar:
        (work / "calendar" / f"{s.seed}-{name}").write_bytes(ics)


# --- the daemon's log ---------------------------------------------------------------------


class DaemonLog:
    """The daemon's JSON log lines, read as they come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pos = 0
        self.rest = b""
        self.events: list[dict[str, Any]] = []
        self.other: list[str] = []  # lines that are not JSON (a raw traceback...)

    def poll(self) -> None:
        with open(self.path, "rb") as fh:
            fh.seek(self.pos)
            chunk = fh.read()
        self.pos += len(chunk)
        lines = (self.rest + chunk).split(b"\n")
        self.rest = lines.pop()
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            try:
                ev = json.loads(line)
            except ValueError:
                ev = None
            if isinstance(ev, dict):
                self.events.append(ev)
            elif line.strip():
                self.other.append(line)

    def cycles(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "cycle_finished"]

    def quiet_cycles(self, since: datetime) -> int:
        """How many of the last cycles, all begun after ``since``, were ok, appended
        nothing and left the notes as the last one left them."""
        busy = {e.get("cycle_id") for e in self.events if e.get("event") in BUSY}
        n, last = 0, None
        for c in reversed(self.cycles()):
            begun = _ts(c) - timedelta(milliseconds=c.get("duration_ms", 0))
            if begun < since or not c.get("ok") or c.get("cycle_id") in busy:
                break
            if last is not None and c.get("notes") != last:
                break
            last = c.get("notes")
            n += 1
        return n

    def by_level(self, level: str) -> Counter[str]:
        out: Counter[str] = Counter()
        for e in self.events:
            if e.get("level") == level:
                name = str(e.get("event", "?"))
                if name.startswith("Execution of job") and "skipped" in name:
                    name = "scheduler: cycle skipped, the last one still running"
                out[name[:70]] += 1
        return out

    def tracebacks(self) -> int:
        text = self.path.read_text(errors="replace")
        return text.count("Traceback (most recent call last)")


def _ts(e: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(e.get("timestamp", "1970-01-01T00:00:00+00:00")))


# --- faults ---------------------------------------------------------------------------------


@dataclass
class Faults:
    """The faults injected, by kind."""

    counts: Counter[str] = field(default_factory=Counter)
    dropped_connections: int = 0

    def server(self, dv: Dovecot, user: ImapUser) -> str:
        """A kick of every session, or (one time in four) a Dovecot restart."""
        if random.random() < 0.25:
            dv.stop()
            time.sleep(2)
            dv.start()
            self.counts["dovecot restart"] += 1
        else:
            try:
                dv.doveadm("kick", user.name)
            except RuntimeError:  # doveadm fails when it kicked nobody (between sessions)
                self.counts["doveadm kick, nobody connected"] += 1
                return "doveadm kick: nobody connected"
            self.counts["doveadm kick"] += 1
            return "doveadm kick"
        return "dovecot restart"

    def proxy(self, proxy: FaultProxy) -> str:
        """Cut every proxied connection, or arm a cut of the daemon's next draft APPEND
        (never over a cut still waiting for its APPEND)."""
        if proxy.armed or random.random() < 0.5:
            n = proxy.drop_all()
            self.dropped_connections += n
            self.counts["proxy drop_all"] += 1
            return f"proxy drop_all ({n} connections)"
        mode = random.choice(MODES)
        proxy.arm(mode, folder="Drafts")
        self.counts[f"armed {mode}"] += 1
        return f"proxy armed {mode} on the next APPEND to Drafts"


# --- the comparison ---------------------------------------------------------------------------


def key_of(note: Note) -> tuple[str, str] | None:
    """A note's key in the CI comparison, or None for a note it leaves out (history)."""
    keys = owed_keys((note,))
    return next(iter(keys)) if keys else None


@dataclass
class Comparison:
    expected: int
    drafted: int
    missing: list[str]
    unexpected: list[str]
    own_user: list[str]
    derived_twice: list[str]


def compare(searches: list[Search], notes: list[Note]) -> Comparison:
    """The searches' ground truth against the daemon's notes, by the CI tests' keys."""
    want: dict[tuple[str, str], Search] = {}
    for s in searches:
        for e in s.data.expected_notes:
            want[(e.occasion, e.email or e.name)] = s
    got = owed_keys(tuple(notes))
    by_key: dict[tuple[str, str], list[Note]] = defaultdict(list)
    for n in notes:
        if (k := key_of(n)) is not None:
            by_key[k].append(n)
    drafted = {k for k in set(want) & got
               if any(n.state in ("drafted", "done") for n in by_key[k])}
    missing = []
    for k in sorted(set(want) - drafted):
        s = want[k]
        why = "; ".join(f"{n.state}: {n.reason}" for n in by_key[k]) or "not derived"
        missing.append(f"{k} search {s.seed} ({s.company}): {why}")
    users = {s.data.identity_name.casefold(): s for s in searches}
    unexpected, own_user = [], []
    for k in sorted(got - set(want)):
        ns = by_key[k]
        why = "; ".join(f"{n.company}, {n.recipient.role}, {n.state}: {n.reason}, via "
                        f"{n.deliver_to}" for n in ns)
        owner = users.get(k[1].casefold())
        if owner is not None and all(not n.recipient.email for n in ns):
            own_user.append(f"{k} is search {owner.seed}'s user: {why}")
        else:
            unexpected.append(f"{k}: {why}")
    twice = [f"{k}: {len(ns)} notes ({', '.join(n.id for n in ns)})"
             for k, ns in sorted(by_key.items()) if len(ns) > 1]
    return Comparison(len(want), len(drafted), missing, unexpected, own_user, twice)


def draft_headers(user: ImapUser) -> Counter[str]:
    """X-Thankful-Note values of the messages in Drafts, counted ("" for none)."""
    admin = user.client()
    admin.select_folder("Drafts", readonly=True)
    uids = admin.search(["NOT", "DELETED"])
    out: Counter[str] = Counter()
    for data in admin.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (X-THANKFUL-NOTE)]"]).values():
        raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"")
        value = BytesHeaderParser().parsebytes(raw if isinstance(raw, bytes) else b"")
        out[" ".join(str(value.get("X-Thankful-Note", "")).split())] += 1
    admin.logout()
    return out


# --- the run ----------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30, help="arrival and settle phases")
    ap.add_argument("--every", type=float, default=90, help="seconds between job searches")
    ap.add_argument("--interval", type=float, default=0.5, help="scan interval, minutes")
    ap.add_argument("--faults", action="store_true",
                    help="a fault proxy between the daemon and Dovecot: connections cut and "
                         "APPENDs cut every 1-3 minutes")
    ap.add_argument("--proxy-gap", type=float, nargs=2, default=(60, 180), metavar=("MIN", "MAX"),
                    help="seconds between two proxy faults (random in this range)")
    ap.add_argument("--settle-timeout", type=float, default=10,
                    help="minutes at most to wait for the daemon to be quiet at the end")
    args = ap.parse_args()
    work = Path(os.environ.get("SOAK_DIR", "/tmp/thankful-soak"))
    subprocess.run(["rm", "-rf", str(work)], check=True)
    (work / "calendar").mkdir(parents=True)
    settle = max(3 * args.interval * 60, 120.0)
    searches = Searches()
    faults = Faults()
    log = DaemonLog(work / "daemon.log")
    with running() as dv:
        proxy = FaultProxy(dv.imap_port, record=False).start() if args.faults else None
        port = proxy.port if proxy else dv.imap_port
        user = ImapUser.new(dv)
        env = {**os.environ, user.env: user.password}
        cfg = work / "config.toml"
        first = searches.next(datetime.now(TZ).replace(microsecond=0) - timedelta(hours=3))
        write_config(cfg, user, port, searches.addresses(), searches.employers(),
                     args.interval)
        t0 = time.monotonic()

        def say(msg: str) -> None:
            m, sec = divmod(int(time.monotonic() - t0), 60)
            print(f"[{m:02d}:{sec:02d}] {msg}", flush=True)

        daemon = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config",
                                   str(cfg)], stdout=subprocess.DEVNULL,
                                  stderr=open(work / "daemon.log", "w"), env=env)  # noqa: SIM115
        try:
            time.sleep(5)
            start_stats = proc_stats(daemon.pid)
            peak = start_stats[0]

            def arrive(s: Search) -> None:
                deliver(user, work, s)
                say(f"search {s.seed} ({s.company}): {len(s.data.inbox)} + "
                    f"{len(s.data.sent)} messages, {len(s.data.calendar)} calendar files, "
                    f"{len(s.data.expected_notes)} notes owed")

            arrive(first)
            arrival_end = t0 + max(args.minutes * 60 - settle, 1)
            now = time.monotonic()
            next_search = now + args.every
            next_server = now + 180
            next_proxy = now + random.uniform(*args.proxy_gap)
            while (now := time.monotonic()) < arrival_end and daemon.poll() is None:
                peak = max(peak, proc_stats(daemon.pid)[0])
                if now >= next_search:
                    s = searches.next(datetime.now(TZ).replace(microsecond=0)
                                      - timedelta(hours=3))
                    write_config(cfg, user, port, searches.addresses(), searches.employers(),
                                 args.interval)
                    daemon.send_signal(signal.SIGHUP)
                    arrive(s)
                    next_search = time.monotonic() + args.every
                if time.monotonic() >= next_server:
                    say(f"fault: {faults.server(dv, user)}")
                    next_server = time.monotonic() + random.uniform(120, 300)
                if proxy is not None and time.monotonic() >= next_proxy:
                    say(f"fault: {faults.proxy(proxy)}")
                    next_proxy = time.monotonic() + random.uniform(*args.proxy_gap)
                wake = min(next_search, next_server, next_proxy if proxy else next_search,
                           arrival_end)
                time.sleep(max(0.5, min(wake - time.monotonic(), 5)))
            # Settle: no more searches or faults; wait for the daemon's cycles to be quiet.
            armed_left = proxy.armed if proxy else False
            if proxy is not None:
                proxy.disarm()
            t_settle = time.monotonic()
            settle_cpu = proc_stats(daemon.pid)[2] if daemon.poll() is None else 0.0
            since = datetime.now(UTC)
            say("settle: no more searches or faults" + (
                " (an armed APPEND cut never fired; disarmed)" if armed_left else ""))
            settled = False
            while (time.monotonic() - t_settle < args.settle_timeout * 60
                   and daemon.poll() is None):
                time.sleep(5)
                peak = max(peak, proc_stats(daemon.pid)[0])
                log.poll()
                if log.quiet_cycles(since) >= 2:
                    settled = True
                    break
            t_end = time.monotonic()
            say("quiet" if settled else "settle timed out")
            alive = daemon.poll() is None
            end_stats = proc_stats(daemon.pid) if alive else (0, 0, 0.0)
            owed = subprocess.run([sys.executable, "-m", "thankful", "owed", "--all", "--json",
                                   "--config", str(cfg)], capture_output=True, text=True,
                                  env=env, check=True)
            drafts = draft_headers(user)
        finally:
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait()
            if proxy is not None:
                proxy.stop()
        if proxy is not None:
            for where, n in Counter(proxy.cut_log).items():
                faults.counts[f"APPEND cut {where}"] += n
    log.poll()
    notes = [note_from_dict(n) for n in json.loads(owed.stdout)]
    cmp = compare(searches.items, notes)
    dup_drafts = {k: n for k, n in drafts.items() if k and n > 1}

    for label, lines in (("missing", cmp.missing), ("unexpected", cmp.unexpected),
                         ("to a search's own user (not counted)", cmp.own_user),
                         ("derived twice", cmp.derived_twice)):
        for line in lines[:20]:
            print(f"  {label}: {line}")
        if len(lines) > 20:
            print(f"  {label}: ... {len(lines) - 20} more")
    for k, n in sorted(dup_drafts.items()):
        print(f"  duplicate draft: X-Thankful-Note {k} {n} times in Drafts")
    for seed, why in searches.skipped.items():
        print(f"  skipped seed {seed}: {why}")

    cycles = log.cycles()
    failed = sum(not c.get("ok") for c in cycles)
    injected = {k: v for k, v in faults.counts.items() if not k.startswith("armed ")}
    armed = {k.removeprefix("armed "): v for k, v in faults.counts.items()
             if k.startswith("armed ")}
    cuts = {k.removeprefix("APPEND cut "): v for k, v in faults.counts.items()
            if k.startswith("APPEND cut ")}
    fault_text = ", ".join(f"{k} {v}" for k, v in sorted(injected.items())) or "none"
    if args.faults:
        fault_text += (f" (drop_all cut {faults.dropped_connections} connections; APPEND cuts "
                       "fired/armed: " + ", ".join(f"{m} {cuts.get(m, 0)}/{armed.get(m, 0)}"
                                                   for m in MODES)
                       + (", one still armed at the settle" if armed_left else "") + ")")
    errors = log.by_level("error")
    warnings = log.by_level("warning")
    mib = 1024
    print()
    print("=== soak summary ===")
    print(f"duration    {(t_end - t0) / 60:.1f} min (--minutes {args.minutes:g}): arrival "
          f"{(t_settle - t0) / 60:.1f} min, settle {(t_end - t_settle) / 60:.1f} min "
          f"({'quiet: two ok cycles in a row with nothing to do' if settled else 'TIMED OUT'})"
          f"; scan interval {args.interval:g} min, a search every {args.every:g} s")
    print(f"searches    {len(searches.items)} (seeds 1-{searches.next_seed - 1}, "
          f"{len(searches.skipped)} skipped as unfit for one shared config)")
    print(f"faults      {sum(injected.values())}: {fault_text}")
    print(f"cycles      {len(cycles)} ({len(cycles) - failed} ok, {failed} failed); "
          f"daemon exit code {code}")
    print(f"notes       expected {cmp.expected}, drafted {cmp.drafted}, missing "
          f"{len(cmp.missing)}, unexpected {len(cmp.unexpected)}, duplicates "
          f"{sum(n - 1 for n in dup_drafts.values())} (drafts in Drafts {sum(drafts.values())},"
          f" same X-Thankful-Note twice {len(dup_drafts)}, notes derived twice "
          f"{len(cmp.derived_twice)}); to a search's own user {len(cmp.own_user)} "
          "(soak artefact, not counted)")
    print(f"daemon      RSS {start_stats[0] / mib:.1f} MiB -> {end_stats[0] / mib:.1f} MiB "
          f"(peak {peak / mib:.1f}); open fds {start_stats[1]} -> {end_stats[1]}; CPU "
          f"{settle_cpu - start_stats[2]:.0f} s in the arrival phase, "
          f"{end_stats[2] - settle_cpu:.0f} s in the settle phase")
    print(f"errors      {sum(errors.values())}: "
          + (", ".join(f"{k} {v}" for k, v in errors.most_common()) or "none"))
    print(f"warnings    {sum(warnings.values())}: "
          + (", ".join(f"{k} {v}" for k, v in warnings.most_common()) or "none"))
    print(f"tracebacks  {log.tracebacks()}; non-JSON log lines {len(log.other)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
