"""Soak test (not part of CI): the daemon against a real Dovecot for a given time.

    .venv/bin/python bench/soak.py --minutes 30

Job searches (tests/jobsearch.py) arrive one after another by APPEND, with their
calendars written into a vdir; every few minutes every IMAP connection is dropped
(``doveadm kick``) and once in a while Dovecot is restarted. At the end the notes the
searches owe are compared with the notes the daemon drafted, and the daemon's memory
and open file descriptors at the start and at the end are printed.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from integration.dovecot import ImapUser  # noqa: E402
from integration.dovecot import running  # noqa: E402
from jobsearch import generate  # noqa: E402


def proc_stats(pid: int) -> tuple[int, int]:
    """(RSS in KiB, open file descriptors) of a process."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def write_config(path: Path, user: ImapUser, addresses: list[str], employers: list[str],
                 interval: float) -> None:
    account = user.toml_account(
        name="soak", extra=f'address = "{addresses[0]}"\nlookback_days = "all"\nidle = true\n')
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--every", type=float, default=90, help="seconds between job searches")
    ap.add_argument("--interval", type=float, default=0.5, help="scan interval, minutes")
    args = ap.parse_args()
    work = Path(os.environ.get("SOAK_DIR", "/tmp/thankful-soak"))
    subprocess.run(["rm", "-rf", str(work)], check=True)
    (work / "calendar").mkdir(parents=True)
    with running() as dv:
        user = ImapUser.new(dv)
        env = {**os.environ, user.env: user.password}
        now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0)
        first = generate(1, now)
        addresses, employers = list(first.addresses), list(first.employer_domains)
        cfg = work / "config.toml"
        write_config(cfg, user, addresses, employers, args.interval)
        daemon = subprocess.Popen([sys.executable, "-m", "thankful", "run", "--config",
                                   str(cfg)], stdout=subprocess.DEVNULL,
                                  stderr=open(work / "daemon.log", "w"), env=env)  # noqa: SIM115
        time.sleep(5)
        start_stats = proc_stats(daemon.pid)
        expected: set[tuple[str, str, str]] = set()
        end = time.monotonic() + args.minutes * 60
        seed, kicks, restarts, next_kick = 1, 0, 0, time.monotonic() + 180
        while time.monotonic() < end:
            now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0)
            data = generate(seed, now - timedelta(hours=3))
            if seed > 1:
                addresses += [a for a in data.addresses if a not in addresses]
                employers += [d for d in data.employer_domains if d not in employers]
                write_config(cfg, user, addresses, employers, args.interval)
                daemon.send_signal(signal.SIGHUP)
            admin = user.client()
            for folder, msgs in (("INBOX", data.inbox), ("Sent", data.sent)):
                for raw in msgs:
                    date = email.message_from_bytes(raw)["Date"]
                    when = email.utils.parsedate_to_datetime(date) if date else None
                    admin.append(folder, raw, msg_time=when)
            admin.logout()
            for name, ics in data.calendar:
                (work / "calendar" / f"{seed}-{name}").write_bytes(ics)
            expected |= {(e.occasion, e.company.lower(), (e.email or e.name).lower())
                         for e in data.expected_notes}
            seed += 1
            if time.monotonic() > next_kick:
                if random.random() < 0.25:
                    dv.stop()
                    time.sleep(2)
                    dv.start()
                    restarts += 1
                else:
                    dv.doveadm("kick", user.name)
                    kicks += 1
                next_kick = time.monotonic() + random.uniform(120, 300)
            time.sleep(args.every)
        time.sleep(args.interval * 60 * 2 + 10)  # two more cycles to settle
        end_stats = proc_stats(daemon.pid)
        owed = subprocess.run([sys.executable, "-m", "thankful", "owed", "--all", "--json",
                               "--config", str(cfg)], capture_output=True, text=True,
                              env=env, check=True)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=20)
    notes = json.loads(owed.stdout)
    made = {(n["occasion"], n["company"].lower(),
             (n["recipient"]["email"] or n["recipient"]["name"]).lower())
            for n in notes if n["state"] in ("drafted", "done")}
    for what, diff in (("missing", expected - made), ("unexpected", made - expected)):
        for item in sorted(diff)[:10]:
            state = next((n["state"] for n in notes if (n["occasion"], n["company"].lower(),
                          (n["recipient"]["email"] or n["recipient"]["name"]).lower()) == item),
                         "not derived")
            print(f"  {what}: {item} ({state})")
    log = (work / "daemon.log").read_text()
    errors = log.count('"level": "error"')
    print(f"ran {args.minutes:g} min: {seed - 1} job searches, {kicks} connection drops, "
          f"{restarts} server restarts, exit code {code}")
    print(f"notes expected {len(expected)}, drafted {len(made & expected)}, "
          f"missing {len(expected - made)}, unexpected {len(made - expected)}")
    print(f"daemon RSS {start_stats[0] / 1024:.1f} MiB -> {end_stats[0] / 1024:.1f} MiB; "
          f"open fds {start_stats[1]} -> {end_stats[1]}")
    print(f"cycles {log.count('cycle_finished')}, errors logged {errors}, "
          f"tracebacks {log.count('Traceback')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
