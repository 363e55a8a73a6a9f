"""The ``thankful`` command line. ``main(argv) -> exit code``.

Heavy libraries are imported inside the commands that need them, so ``--help`` starts
fast. A :class:`~thankful.errors.UserError` is printed as one message (exit 2, 78 or 1);
anything else is a bug: its traceback goes to the log and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from thankful import __version__
from thankful.errors import EXIT_FAILURE
from thankful.errors import EXIT_OK
from thankful.errors import EXIT_USAGE
from thankful.errors import ThankfulError
from thankful.errors import UsageError
from thankful.errors import UserError

if TYPE_CHECKING:
    from thankful.config import Config


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--config", type=Path, metavar="PATH",
                        help="config file (default: $XDG_CONFIG_HOME/thankful/config.toml)")
    common.add_argument("--log-level", default="warning",
                        choices=("debug", "info", "warning", "error"),
                        help="what to log on stderr (default: warning; the daemon: info)")
    p = _Parser(prog="thankful", description="Drafts the thank-you notes a job seeker owes.")
    p.add_argument("--version", action="version", version=f"thankful {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_, description=help_)

    d = add("demo", "build a sample job search and run one cycle on it")
    d.add_argument("--dir", type=Path, default=Path("thankful-demo"),
                   help="where to build it (default: ./thankful-demo)")
    s = add("scan", "run one cycle: scan, detect, draft, remind")
    s.add_argument("--once", action="store_true", help="one cycle, then exit (the default)")
    s.add_argument("--dry-run", action="store_true", help="write nothing; print the plan")
    s.add_argument("--now", metavar="ISO-TIME",
                   help="the time the rules use (naive = identity.timezone)")
    add("run", "run as a daemon: a cycle every scan_interval_minutes")
    o = add("owed", "list the notes owed")
    o.add_argument("--all", action="store_true", help="also done, dismissed, expired and old")
    o.add_argument("--json", action="store_true", help="JSON on stdout")
    r = add("review", "list uncertain detections, or accept/reject one")
    r.add_argument("action", nargs="?", choices=("accept", "reject"))
    r.add_argument("id", nargs="?")
    dn = add("done", "mark a note sent (by email elsewhere, or by card)")
    dn.add_argument("note_id", metavar="NOTE-ID")
    dn.add_argument("--via", default="other", choices=("card", "email", "phone", "other"))
    ds = add("dismiss", "drop a note: it is not to be written")
    ds.add_argument("note_id", metavar="NOTE-ID")
    ig = add("ignore", "ignore a company or an address for good")
    ig.add_argument("value", metavar="COMPANY-OR-ADDRESS")
    add("check", "check the config and that every mailbox and calendar is there")
    add("status", "the last cycle and the notes by state")
    e = add("explain", "print what thankful makes of one message or .ics file, as JSON")
    e.add_argument("path", type=Path)
    ev = add("eval", "measure detection on a labelled corpus of .eml files")
    ev.add_argument("labels", type=Path, metavar="LABELS", help="the labels JSON file")
    ev.add_argument("dir", type=Path, metavar="DIR", help="the folder of .eml files")
    add("install-unit", "write the systemd user units, with a drop-in for your paths")
    sp = add("set-password", "store an account's password in the system keyring")
    sp.add_argument("account", metavar="ACCOUNT")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(args_list)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    from thankful import log as tlog

    # Everything thankful creates (state, WAL files, drafts) is the user's alone.
    os.umask(0o077)
    level = args.log_level
    if args.command == "run" and "--log-level" not in args_list:
        level = "info"
    tlog.configure(level)
    try:
        handler = globals()[f"cmd_{args.command.replace('-', '_')}"]
        return int(handler(args))
    except UserError as exc:
        print(f"thankful: {exc}", file=sys.stderr)
        return exc.exit_code
    except ThankfulError as exc:
        print(f"thankful: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `thankful owed | head`: the reader left; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except Exception:
        tlog.get_logger("thankful").exception("unexpected_error", command=args.command)
        print("thankful: unexpected error (details in the log above)", file=sys.stderr)
        return EXIT_FAILURE


# --- helpers -------------------------------------------------------------------------


def _config_path(args: argparse.Namespace) -> Path:
    from thankful.config import default_config_path

    return Path(args.config) if args.config else default_config_path()


def _load(args: argparse.Namespace) -> Config:
    from thankful.config import load
    from thankful.config import readable_by_others

    path = _config_path(args)
    cfg = load(path)
    if readable_by_others(path):
        print(f"thankful: warning: {path} is readable by other users; "
              f"run: chmod 600 {path}", file=sys.stderr)
    return cfg


def _parse_now(text: str | None, cfg: Config) -> datetime:
    if not text:
        return datetime.now(cfg.identity.tz).replace(microsecond=0)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now: {text!r} is not an ISO 8601 time like "
                         "2026-03-05T18:00 or 2026-03-05T18:00+01:00") from None
    return value if value.tzinfo else value.replace(tzinfo=cfg.identity.tz)


# --- commands ------------------------------------------------------------------------


def cmd_scan(args: argparse.Namespace) -> int:
    """One cycle."""
    from thankful.adapters.lock import StateLock
    from thankful.service import run_cycle

    cfg = _load(args)
    now = _parse_now(args.now, cfg)
    if args.dry_run:
        result = run_cycle(cfg, now, dry_run=True)
    else:
        # While the daemon runs a cycle, wait for it rather than fail at once.
        with StateLock(cfg.state_dir, wait=60):
            result = run_cycle(cfg, now, explicit_now=args.now is not None, quiet_notes=False)
    _print_cycle(result, cfg)
    return EXIT_OK if result.ok else EXIT_FAILURE


def _print_cycle(result: Any, cfg: Config, *, verbose: bool = False) -> None:
    tz = cfg.identity.tz
    head = "Dry run (nothing written)" if result.dry_run else "Cycle"
    print(f"{head} at {result.now.astimezone(tz).strftime('%a %-d %b %Y %H:%M %Z')}: "
          f"{result.counts.get('messages_read', 0)} message(s) and "
          f"{result.counts.get('calendar_files_read', 0)} calendar file(s) read.")
    for source, message in result.errors:
        print(f"  error in {source}: {message}")
    if result.quiet_lines is not None:
        # A quiet cycle: nothing the notes depend on changed, and neither did they.
        if result.quiet_lines:
            print("\n".join(result.quiet_lines))
        return
    from thankful import report

    if verbose and result.applications:
        print("\nApplications found:")
        print("\n".join(report.applications_text(result.applications, tz)))
    need = result.plan.need_address if result.plan is not None else ()
    lines = report.cycle_lines(result.notes, (), tz)
    if lines:
        print("\n".join(lines))
    if result.drafts:
        verb = "would be written" if result.dry_run else "written"
        print(f"\nDrafts {verb}: {len(result.drafts)}")
        for d in result.drafts:
            print(f"  to {d.to}: {d.subject!r}  ({d.account}/{d.folder})")
    lines = report.cycle_lines((), need, tz)
    if lines:
        print("\n".join(lines))
    if result.reminder:
        import email
        import email.policy

        where, data = result.reminder
        msg = email.message_from_bytes(data, policy=email.policy.default)
        if cfg.smtp is not None:
            verb = "would be sent" if result.dry_run else "sent"
            print(f"\nReminder {verb} by SMTP to {where}: {msg['Subject']}")
        else:
            verb = "would be delivered" if result.dry_run else "delivered"
            print(f"\nReminder {verb} to {where}'s inbox: {msg['Subject']}")
        body = msg.get_body(("plain",))
        if verbose and body is not None:
            print("\n".join("    " + line for line in body.get_content().splitlines()))


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the sample job search and run one cycle on it."""
    from thankful import demo
    from thankful.adapters.lock import StateLock
    from thankful.config import load
    from thankful.service import run_cycle

    target = Path(args.dir).resolve()
    now = demo.prepare(target)
    cfg = load(target / "config.toml")
    with StateLock(cfg.state_dir, wait=60):
        result = run_cycle(cfg, now, allow_quiet=False)
    print(f"thankful demo in {target}\n")
    print("A sample job search was built: mail in mail/ (Maildir++), a calendar in calendar/ "
          "(a vdir),\nand a config in config.toml whose state lives in state/.\n")
    _print_cycle(result, cfg, verbose=True)
    drafts_dir = target / "mail" / ".Drafts" / "cur"
    count = len(list(drafts_dir.iterdir())) if drafts_dir.is_dir() else 0
    # Name the command as it was run: after the quick start it is .venv/bin/thankful.
    exe = sys.argv[0] if sys.argv and sys.argv[0].endswith("thankful") else "thankful"
    print(f"\n{count} draft(s) are in {drafts_dir.parent}. Open them with any mail client,\n"
          f"or try: {exe} owed --config {target / 'config.toml'}")
    if not result.drafts and not result.reminder:
        print("\n(Nothing new this time: the demo was already run in this folder.)")
    return EXIT_OK if result.ok else EXIT_FAILURE


def cmd_run(args: argparse.Namespace) -> int:
    """The daemon."""
    from thankful.daemon import run

    return run(_config_path(args))


def _notes(cfg: Config) -> list[dict[str, Any]]:
    from thankful.adapters.store import Store

    with Store(cfg.state_dir, readonly=True) as st:
        return st.notes()


def cmd_owed(args: argparse.Namespace) -> int:
    """List notes."""
    from thankful import report
    from thankful.core.serde import note_from_dict

    cfg = _load(args)
    notes = _notes(cfg)
    if not args.all:
        notes = [n for n in notes if n["state"] in ("waiting", "ready", "drafted")]
    if args.json:
        print(json.dumps(notes, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not notes:
        print("No notes owed." + ("" if args.all else " (--all shows the done and old ones)"))
        return EXIT_OK
    print("\n".join(report.notes_text([note_from_dict(n) for n in notes], cfg.identity.tz)))
    return EXIT_OK


def _one_note(cfg: Config, prefix: str) -> str:
    from thankful.adapters.store import Store

    with Store(cfg.state_dir, readonly=True) as st:
        found = st.find_note(prefix)
    if len(found) != 1:
        what = "no note" if not found else f"{len(found)} notes"
        raise UsageError(f"{what} with id {prefix!r}; `thankful owed --all` lists them")
    return found[0]


def _set_note(args: argparse.Namespace, state: str, via: str | None) -> int:
    from thankful.adapters.store import Store

    cfg = _load(args)
    note_id = _one_note(cfg, args.note_id)
    with Store(cfg.state_dir) as st, st.transaction():
        st.set_user_state(note_id, state, via, datetime.now().astimezone())
    print(f"Note {note_id} marked {state}" + (f" (via {via})." if via else "."))
    return EXIT_OK


def cmd_done(args: argparse.Namespace) -> int:
    """Mark a note done."""
    return _set_note(args, "done", args.via)


def cmd_dismiss(args: argparse.Namespace) -> int:
    """Dismiss a note."""
    return _set_note(args, "dismissed", None)


def cmd_ignore(args: argparse.Namespace) -> int:
    """Ignore a company or address for good."""
    from thankful.adapters.store import Store
    from thankful.core.rules import company_key

    cfg = _load(args)
    raw = args.value.strip()
    value = raw.lower() if "@" in raw else company_key(raw)
    if not value:
        raise UsageError("give a company name or an email address")
    with Store(cfg.state_dir) as st, st.transaction():
        st.add_ignore(value, datetime.now().astimezone())
    print(f"Ignoring {value!r} from the next cycle on.")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """List or decide uncertain detections."""
    from thankful.adapters.store import Store

    cfg = _load(args)
    if args.action:
        if not args.id:
            raise UsageError(f"review {args.action} needs an ID (see `thankful review`)")
        status = "accepted" if args.action == "accept" else "rejected"
        with Store(cfg.state_dir) as st, st.transaction():
            changed = st.set_review(args.id, status)
        if not changed:
            raise UsageError(f"no detection with id {args.id!r}; `thankful review` lists them")
        print(f"Detection {args.id} {status}; the next cycle acts on it.")
        return EXIT_OK
    with Store(cfg.state_dir, readonly=True) as st:
        items = st.review_items()
    if not items:
        print("Nothing to review.")
    for rid, _status, sig in items:
        d = sig.detection
        print(f"[{rid}] {d.kind} ({d.mode or '-'}) {d.company or '?'}, "
              f"confidence {d.confidence:.2f}, {sig.at.date().isoformat()}")
        for reason in d.reasons:
            print(f"      {reason}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the config and the sources."""
    from thankful.adapters.ics_files import open_calendar
    from thankful.errors import SourceError
    from thankful.service import CALENDAR_AHEAD
    from thankful.service import CALENDAR_PAST
    from thankful.service import open_mail_store
    from thankful.service import parse_calendar

    cfg = _load(args)
    failed = 0
    for acc in cfg.accounts:
        store = open_mail_store(acc)
        try:
            store.open(create_drafts=False)
            # An adapter may say more: server, TLS, capabilities, the folders it uses.
            details = getattr(store, "describe", None)
            lines = details() if details else [str(acc.path)]
            print(f"ok: account {acc.name}: " + "; ".join(lines))
        except SourceError as exc:
            failed += 1
            print(f"FAILED: account {exc}")
        finally:
            store.close()
    now = datetime.now(cfg.identity.tz)
    start, end = now - CALENDAR_PAST, now + CALENDAR_AHEAD
    for cal in cfg.calendars:
        # Nothing is written: a feed's last good copy is read but not replaced.
        src = open_calendar(cal, state_dir=cfg.state_dir, now=now, persist=False)
        try:
            files = src.files()
        except SourceError as exc:
            failed += 1
            print(f"FAILED: calendar {exc}")
            continue
        except OSError as exc:
            failed += 1
            print(f"FAILED: calendar {cal.name}: cannot read {src.describe()}: {exc}")
            continue
        events = unreadable = 0
        for path in files:
            try:
                data = src.read(path)
            except (OSError, ValueError):
                unreadable += 1
                continue
            parsed = parse_calendar(data, default_tz=cfg.identity.tz, window_start=start,
                                    window_end=end)
            events += len(parsed.events)
        if cal.kind == "caldav":
            n_cals = len(getattr(src, "calendars", ()))
            what = f"reached {src.describe()}: {n_cals} calendar(s), {len(files)} object(s)"
        elif cal.is_url:
            what = f"reached {src.describe()}: {len(files)} event UID(s)"
        else:
            what = f"{src.describe()}: {len(files)} file(s)"
        what += (f", {events} event(s) from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
                 + (f", {unreadable} unreadable" if unreadable else ""))
        if src.stale:
            failed += 1
            print(f"FAILED: calendar {cal.name}: {src.stale} ({what.split(': ', 1)[-1]})")
        else:
            print(f"ok: calendar {cal.name}: {what}")
    print(f"config {cfg.path}: valid; state in {cfg.state_dir}")
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """Whether the daemon runs, the last cycle per source, the next run, notes by state."""
    from thankful.adapters.lock import StateLock
    from thankful.adapters.store import Store

    cfg = _load(args)
    pid = StateLock(cfg.state_dir).holder()
    print(f"daemon: running (PID {pid})" if pid and pid > 0 else
          "daemon: running" if pid else "daemon: not running")
    with Store(cfg.state_dir, readonly=True) as st:
        run = st.last_run()
        notes = st.notes()
        next_run = st.get_meta("next_run")
        health = st.health()
    if not run:
        print("last cycle: none yet")
        return EXIT_OK
    summary = run["summary"]
    took = summary.get("duration_ms")
    print(f"last cycle: {run['started']} ({'ok' if run['ok'] else 'with errors'}"
          + (f", {took} ms" if took is not None else "") + ")")
    for source, result in summary.get("sources", {}).items():
        print(f"  {source}: {result}")
    if pid and next_run:
        print(f"next cycle: {next_run}")
    if health:
        from thankful import report

        must = [h.source for h in health.values() if h.must_act]
        print(f"failing: {len(health)} source(s), backing off"
              + (f"; {', '.join(must)} need(s) you to act" if must else ""))
        for line in report.health_lines(health.values(), cfg.identity.tz,
                                        datetime.now().astimezone()):
            print(line)
    counts: dict[str, int] = {}
    for n in notes:
        counts[n["state"]] = counts.get(n["state"], 0) + 1
    print("notes: " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"))
    errors = summary.get("errors", [])
    if errors:
        print(f"last error: {errors[-1]}")
    return EXIT_OK


def cmd_install_unit(args: argparse.Namespace) -> int:
    """Write the systemd user units and the drop-in naming the paths thankful writes."""
    from thankful.units import install

    for path in install(_load(args)):
        print(f"wrote {path}")
    print("next: systemctl --user daemon-reload && systemctl --user enable --now thankful")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    """Precision and recall of detection on a labelled corpus."""
    from thankful.evaluate import run_eval

    return run_eval(args.labels, args.dir)


def cmd_set_password(args: argparse.Namespace) -> int:
    """Store an account's secret in the keyring (read from stdin or a prompt on a tty)."""
    from thankful.adapters.secrets import set_password

    return set_password(_load(args), args.account)


def cmd_explain(args: argparse.Namespace) -> int:
    """One file, explained as JSON."""
    from zoneinfo import ZoneInfo

    from thankful.config import load
    from thankful.config import system_timezone
    from thankful.explain import explain
    from thankful.service import identity_of

    path: Path = args.path
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"thankful: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    cfg_path = _config_path(args)
    identity = None
    if args.config or cfg_path.exists():
        identity = identity_of(load(cfg_path))
    now = datetime.now().astimezone()
    try:
        out = explain(data, identity, now, ZoneInfo(system_timezone()))
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(f"thankful: cannot explain {path}: {reason}"[:300], file=sys.stderr)
        return EXIT_FAILURE
    print(json.dumps(out, ensure_ascii=False))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
