"""One cycle: read the sources, record what they show, derive the notes, write drafts.

The imperative shell around the pure core. Every source is processed on its own: a
failing mailbox or calendar is logged and counted, and the others go on. A folder's
scan position moves only after the folder was fully processed; each draft is recorded
in its own transaction right after it was saved, and a draft or reminder saved just
before a crash is recognised by its ``X-Thankful-*`` headers on the next scan, so
nothing is ever written twice.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

from thankful import __version__
from thankful import backoff
from thankful import log as tlog
from thankful.adapters.ics_files import CalendarSource
from thankful.adapters.ics_files import open_calendar
from thankful.adapters.store import DatabaseError
from thankful.adapters.store import Store
from thankful.adapters.store import distrust
from thankful.adapters.store import is_disk_full
from thankful.config import AccountConfig
from thankful.config import Config
from thankful.core.ids import note_hash
from thankful.core.ids import short_id
from thankful.errors import PermanentSourceError
from thankful.errors import SourceError
from thankful.errors import StateError
from thankful.errors import UsageError
from thankful.ports import Entry
from thankful.ports import Headed
from thankful.ports import MailStore
from thankful.ports import Survey

if TYPE_CHECKING:
    # The core is imported where it is used: a cycle with nothing new (the daemon's
    # usual cycle, every timer run) needs none of it (see Cycle.quiet).
    from thankful.core.compose import Template
    from thankful.core.model import CalEvent
    from thankful.core.model import Identity
    from thankful.core.model import ParsedCalendar
    from thankful.core.plan import Plan
    from thankful.core.plan import Writer
    from thankful.core.prefilter import Action
    from thankful.core.reading import Reading
    from thankful.core.rules import Application
    from thankful.core.rules import Note
    from thankful.core.rules import Policy
    from thankful.core.rules import ThreadRef

log = tlog.get_logger("thankful.service")

#: Larger messages are judged by their headers alone.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
_BATCH = 500
CALENDAR_PAST = timedelta(days=180)
CALENDAR_AHEAD = timedelta(days=60)


def _addresses(cfg: Config) -> frozenset[str]:
    return frozenset(cfg.identity.addresses) | {a.address for a in cfg.accounts}


def identity_mark(cfg: Config) -> str:
    """Who "you" are, as far as judging a message goes: the addresses and employers."""
    return short_id("|".join([*sorted(_addresses(cfg)), "#",
                              *sorted(frozenset(cfg.identity.employer_domains))]))


def identity_of(cfg: Config) -> Identity:
    """The core's view of the user."""
    from thankful.core.model import Identity

    return Identity(name=cfg.identity.name, addresses=_addresses(cfg),
                    employer_domains=frozenset(cfg.identity.employer_domains),
                    timezone=cfg.identity.tz)


def policy_of(cfg: Config) -> Policy:
    """The core's view of ``[etiquette]``."""
    from thankful.core.rules import Policy

    e = cfg.etiquette
    return Policy(ready_after=timedelta(hours=e.ready_after_hours),
                  due_working_days=e.due_working_days, offer_due=timedelta(days=e.offer_due_days),
                  backfill=timedelta(days=e.backfill_days), expire=timedelta(days=e.expire_days),
                  phone_screen_note=e.phone_screen_note,
                  draft_gone=timedelta(days=e.draft_gone_days), working_days=e.working_days)


def load_templates(cfg: Config) -> dict[str, tuple[Template, ...]]:
    """The bundled templates, each overridden by a file of the same name next to the config."""
    from thankful.core.compose import TEMPLATE_NAMES
    from thankful.core.compose import parse_template

    bundled = Path(__file__).parent / "templates"
    out = {}
    for name in TEMPLATE_NAMES:
        user = cfg.templates_dir / name
        path = user if user.is_file() else bundled / name
        out[name] = parse_template(path.read_text(encoding="utf-8"))
        if not out[name]:
            log.warning("template_empty", template=str(path), fallback="bundled")
            out[name] = parse_template((bundled / name).read_text(encoding="utf-8"))
    return out


def open_mail_store(acc: AccountConfig) -> MailStore:
    """The adapter for an account."""
    if acc.kind == "imap":
        # Imported here: a Maildir-only user never loads imapclient.
        from thankful.adapters.imap import ImapStore

        return ImapStore(acc)
    # And an IMAP-only user never loads the Maildir adapter (nor the mailbox module).
    from thankful.adapters.maildir import MaildirStore

    assert acc.path is not None
    return MaildirStore(name=acc.name, address=acc.address, path=acc.path, layout=acc.layout,
                        folders=acc.folders, sent=acc.sent_folder, drafts=acc.drafts_folder)


@dataclass(slots=True, kw_only=True)
class WrittenDraft:
    """A draft saved (or, in a dry run, that would be)."""

    account: str
    folder: str
    ident: str
    to: str
    subject: str
    note_ids: tuple[str, ...]


@dataclass(slots=True, kw_only=True)
class CycleResult:
    """What a cycle found and did."""

    run_id: str
    now: datetime
    dry_run: bool
    errors: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    applications: tuple[Application, ...] = ()
    notes: tuple[Note, ...] = ()
    #: None until the notes are derived, and in a quiet cycle.
    plan: Plan | None = None
    drafts: list[WrittenDraft] = field(default_factory=list)
    reminder: tuple[str, bytes] | None = None  # (where, message)
    #: How many notes are in each state (in a quiet cycle, as the last full one left them).
    note_states: dict[str, int] = field(default_factory=dict)
    #: A quiet cycle's report: nothing the notes depend on changed since the last full
    #: cycle, so they were not derived again and this is what that cycle reported of
    #: them (:func:`thankful.report.cycle_lines`). None in a full cycle.
    quiet_lines: tuple[str, ...] | None = None

    @property
    def ok(self) -> bool:
        """Whether every source succeeded."""
        return not self.errors

    def bump(self, key: str, n: int = 1) -> None:
        """Add to a counter."""
        self.counts[key] = self.counts.get(key, 0) + n


def parse_calendar(data: bytes, **kw: Any) -> ParsedCalendar:
    """The iCalendar parser, imported on first use.

    A rescan with nothing new then never loads icalendar.
    """
    from thankful.core.parse_ics import parse_calendar as parse

    return parse(data, **kw)


class Cycle:
    """The state of one cycle in progress."""

    def __init__(self, cfg: Config, store: Store, now: datetime, *, dry_run: bool,
                 store_factory: Callable[[AccountConfig], MailStore],
                 backoff: bool = False, quiet_notes: bool = True) -> None:
        self.cfg = cfg
        self.quiet_notes = quiet_notes
        self.store = store
        self.now = now
        self.dry_run = dry_run
        self._identity: Identity | None = None
        # 12 random hex digits, as uuid4's first twelve (the uuid module loads platform).
        self.result = CycleResult(run_id=os.urandom(6).hex(), now=now, dry_run=dry_run)
        self.mail: dict[str, MailStore] = {}
        self.sent_ok: dict[str, bool] = {}
        self.write_failed: set[str] = set()
        self.store_factory = store_factory
        #: The daemon: failing sources wait for their next attempt, and are told of
        #: once an hour; ``thankful scan`` tries every source and tells every failure.
        self.backoff = backoff
        self.health = store.health()
        self.tried: set[str] = set()
        self.skipped: set[str] = set()
        #: What decide() read of the state: the store's data_version before its first
        #: read (another connection's commit since then voids a licence).
        self.read_version: int | None = None
        self.recorded_found = False
        self.failed_now: set[str] = set()

    @property
    def identity(self) -> Identity:
        """The core's view of the user (made on first use: a quiet cycle needs none)."""
        if self._identity is None:
            self._identity = identity_of(self.cfg)
        return self._identity

    def fail(self, source: str, message: str, *, must_act: bool = False) -> None:
        """Record a failed source; the others go on.

        Its health is kept in the state: the daemon leaves it alone until its next
        attempt (:mod:`thankful.backoff`) and logs it as an error at most once an hour.
        """
        self.result.errors.append((source, message))
        if source in self.failed_now:
            log.info("source_failed_again", source=source, error=message)
            return
        self.failed_now.add(source)
        at = _wall()
        health, tell = backoff.after_failure(
            self.health.get(source), source=source, now=at, error=message, must_act=must_act,
            base=self.cfg.retry_base, cap=self.cfg.retry_cap, rand=_jitter())
        if not self.backoff and not tell:
            tell, health = True, replace(health, last_told=at)
        self.health[source] = health
        with self.store.transaction():
            self.store.put_health(health)
        assert health.next_attempt is not None
        when: dict[str, Any] = {
            "failures": health.failures, "user_must_act": must_act,
            "retry_in": round((health.next_attempt - at).total_seconds(), 2),
            "next_try": health.next_attempt.isoformat(timespec="seconds")}
        if tell:
            log.error("source_failed", source=source, error=message, **when)
        else:
            log.info("source_still_failing", source=source, error=message,
                     since=health.failing_since.isoformat(timespec="seconds")
                     if health.failing_since else None, **when)

    def waiting(self, source: str) -> bool:
        """Whether a failing source is left alone this cycle (the daemon's cycles only)."""
        h = self.health.get(source)
        if not self.backoff or h is None or backoff.due(h, _wall()):
            self.tried.add(source)
            return False
        self.skipped.add(source)
        log.debug("source_waiting", source=source, failures=h.failures,
                  next_try=h.next_attempt.isoformat(timespec="seconds")
                  if h.next_attempt else None)
        return True

    def settle(self) -> None:
        """Forget the failures of the sources that worked this cycle (and of sources no
        longer configured)."""
        names = {*(a.name for a in self.cfg.accounts), *(c.name for c in self.cfg.calendars),
                 "smtp", "tasks"}
        for source in sorted(set(self.health)):
            if source in self.failed_now or (source not in self.tried and source in names):
                continue
            old = self.health.pop(source)
            with self.store.transaction():
                self.store.drop_health(source)
            if source in names:
                since = old.failing_since
                log.info("source_recovered", source=source, failures=old.failures,
                         failing_for=str(_wall() - since).split(".")[0] if since else None)

    # --- quiet cycles ------------------------------------------------------------------

    def _all_read(self) -> bool:
        """Whether this cycle may take or give a licence: not a dry run, every source
        read (none failing or waiting), and no task list (its state is outside ours)."""
        return not (self.dry_run or self.result.errors or self.skipped
                    or self.cfg.tasks is not None)

    def quiet(self) -> dict[str, Any] | None:
        """The licence of the last full cycle, if this cycle would derive what it did.

        It holds while nothing the rules read has changed (the store drops it on any
        such change: new detections, Sent, Drafts, a user's command), every source was
        read this cycle, the config and thankful are the same, and no note's time has
        come (:func:`thankful.core.rules.next_change`, the next reminder period).
        """
        if not self._all_read():
            return None
        licence = self.store.quiet()
        if licence is None or licence.get("key") != _licence_key(self.cfg):
            return None
        try:
            since = datetime.fromisoformat(licence["since"])
            until = licence["until"] and datetime.fromisoformat(licence["until"])
            lines = tuple(str(line) for line in licence["lines"])
            states = {str(k): int(v) for k, v in licence["notes"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if self.now < since or (until and self.now >= until):
            return None
        self.result.quiet_lines, self.result.note_states = lines, states
        if self.quiet_notes:
            self.result.notes = self._recorded_notes()
        return licence

    def _recorded_notes(self) -> tuple[Note, ...]:
        """The notes as the last full cycle derived and recorded them."""
        from thankful.core.rules import note_order
        from thankful.core.serde import note_from_dict

        records = self.store.note_records()
        notes = []
        for d in self.store.notes():
            if d["state"] == "gone":
                continue
            rec = records[d["id"]]
            notes.append(replace(note_from_dict(d), draft_hash=rec.draft_hash,
                                 draft_missing_since=rec.draft_missing_since))
        return tuple(sorted(notes, key=note_order))

    def licence(self) -> dict[str, Any] | None:
        """What lets the next cycles skip deriving the notes while nothing they read
        changes: given only by a full cycle that read every source and had nothing to
        write (a cycle after one that wrote sees what it wrote, and decides again)."""
        plan = self.result.plan
        if (not self._all_read() or plan is None or plan.drafts or plan.reminder is not None
                or self.recorded_found):
            return None
        from thankful import report
        from thankful.core.plan import next_slot
        from thankful.core.rules import next_change

        notes = self.result.notes
        until = next_change(notes, policy_of(self.cfg), self.now)
        r = self.cfg.reminders
        if r.enabled and any(n.open for n in notes):
            slot = next_slot(self.now, self.identity.timezone, r.every_days)
            until = slot if until is None else min(until, slot)
        return {"key": _licence_key(self.cfg), "since": self.now.isoformat(),
                "until": until.isoformat() if until else None, "notes": _states(notes),
                "lines": report.cycle_lines(notes, plan.need_address, self.identity.timezone)}

    # --- mail ------------------------------------------------------------------------

    def _identity_changed(self) -> None:
        """When the user's addresses or employer change, every message and calendar is
        judged again: who "you" are decides what a message is."""
        mark = identity_mark(self.cfg)
        old = self.store.get_meta("identity")
        if old == mark:
            return
        with self.store.transaction():
            if old is not None:
                log.info("identity_changed", reason="your addresses or employer changed; "
                         "every message and calendar is read again")
                for acc in self.cfg.accounts:
                    self.store.reset_incoming(acc.name)
                for cal in self.cfg.calendars:
                    for path in self.store.calfiles(cal.name):
                        self.store.set_calfile(cal.name, path, None)
            self.store.set_meta("identity", mark)

    def scan_accounts(self) -> None:
        """Read every account's folders."""
        self._identity_changed()
        for acc in self.cfg.accounts:
            if self.waiting(acc.name):
                continue
            ms = self.store_factory(acc)
            try:
                ms.open(create_drafts=not self.dry_run)
                self.mail[acc.name] = ms
                for folder in ms.scan_folders():
                    self._scan_incoming(acc, ms, folder)
                self._scan_outgoing(acc, ms, ms.sent_folder(), "sent")
                self.sent_ok[acc.name] = True
                if ms.has_folder(ms.drafts_folder()):
                    self._scan_outgoing(acc, ms, ms.drafts_folder(), "draft")
            except SourceError as exc:
                self.sent_ok.setdefault(acc.name, False)
                self.fail(acc.name, str(exc).split(": ", 1)[-1],
                          must_act=isinstance(exc, PermanentSourceError))
            except OSError as exc:
                self.sent_ok.setdefault(acc.name, False)
                self.fail(acc.name, f"cannot read the mail store: {exc}", must_act=True)

    def _survey(self, acc: AccountConfig, ms: MailStore, folder: str, since: float | None,
                *, incoming: bool) -> tuple[Survey, Callable[[], set[str]], str] | None:
        """A folder's survey, or None when its token shows nothing changed; the idents
        already processed (read from the state only if needed); the token to record."""
        previous = self.store.folder_token(acc.name, folder)
        token = ms.token(folder)
        if previous == token:
            return None
        loaded: list[set[str]] = []

        def known() -> set[str]:
            if not loaded:
                loaded.append(self.store.known_items(acc.name, folder))
            return loaded[0]

        fields: frozenset[str] = frozenset()
        if incoming:  # judged by a few fields first (Sent and Drafts are read in full)
            from thankful.core.parse_mail import SCAN_FIELDS

            fields = SCAN_FIELDS
        return ms.survey(folder, known, since, previous=previous, fields=fields), known, token

    def _new(self, acc: AccountConfig, folder: str, survey: Survey) -> Iterator[Headed]:
        """The survey's new messages, less any the state knows (a store that listed only
        additions may repeat a message a cycle cut short already recorded)."""
        for batch in survey.batches:
            if survey.present is None:
                seen = self.store.known_among(acc.name, folder, [h.entry.ident for h in batch])
                batch = [h for h in batch if h.entry.ident not in seen]
            yield from batch

    def _gone(self, survey: Survey, known: Callable[[], set[str]]) -> set[str]:
        return set() if survey.present is None else known() - survey.present

    def _scan_incoming(self, acc: AccountConfig, ms: MailStore, folder: str) -> None:
        cutoff = (self.now - timedelta(days=acc.lookback_days)).timestamp() \
            if acc.lookback_days else None
        surveyed = self._survey(acc, ms, folder, cutoff, incoming=True)
        if surveyed is None:
            return
        survey, known, token = surveyed
        # Detection is imported only when there is mail to read: a rescan with nothing
        # new, the daemon's usual cycle and every timer run, starts quicker without it.
        from thankful.adapters.helper_process import HelperProcess
        from thankful.core.parse_mail import mime_head
        from thankful.core.parse_mail import preview_text
        from thankful.core.prefilter import PREVIEW_BYTES
        from thankful.core.prefilter import preview_needs_body

        judge = self._triage(acc, folder)
        batch: list[tuple[str, str, str]] = []

        def record(row: tuple[str, str, str]) -> None:
            nonlocal batch
            batch.append(row)
            if len(batch) >= _BATCH:
                with self.store.transaction():
                    self.store.add_items(acc.name, folder, batch)
                batch = []

        for ident in survey.old:
            record((ident, "old", ""))
        # Headers first: the body is read only where the headers leave a doubt, and
        # for personal mail that says nothing in its subject, after a glimpse of its text.
        candidates: list[Entry] = []
        glimpse: list[tuple[Entry, bytes]] = []
        missing = 0

        def to_judge() -> Iterator[tuple[Entry, bytes]]:
            nonlocal missing
            for headed in self._new(acc, folder, survey):
                e, raw = headed.entry, headed.head
                if raw is None:  # not recorded: looked for again (see _close_folder)
                    missing += 1
                elif cutoff is not None and e.timestamp < cutoff:
                    record((e.ident, "old", ""))
                else:
                    yield e, raw

        def to_read() -> Iterator[tuple[Entry, tuple[bytes, bool]]]:
            nonlocal missing
            for e in candidates:
                big = e.size > MAX_MESSAGE_BYTES
                raw = ms.read(folder, e.ident, headers_only=big)
                if raw is None:  # as a missing header block
                    missing += 1
                else:
                    self.result.bump("messages_read")
                    yield e, (raw, big)

        # A large scan has a second process judge and read some of the messages.
        with HelperProcess(self.identity, self._window()) as helper:
            for (e, raw), glanced in helper.judge(to_judge(), itemgetter(1)):
                verdict = judge(e.ident, raw, glanced)
                if verdict == "body":
                    candidates.append(e)
                elif verdict == "preview":
                    glimpse.append((e, mime_head(raw)))
                else:
                    record(verdict)
            if glimpse:
                starts = ms.previews(folder, [e.ident for e, _ in glimpse], PREVIEW_BYTES)
                self.result.bump("previews_read", len(starts))
                for e, head in glimpse:
                    start = starts.get(e.ident, b"")
                    need, why = preview_needs_body(
                        preview_text(head, start, cut=len(start) >= PREVIEW_BYTES))
                    if need:
                        candidates.append(e)
                    else:
                        self.result.bump("bodies_skipped")
                        log.debug("body_skipped", account=acc.name, folder=folder,
                                  ident=e.ident, reason=why)
                        record((e.ident, "other", why))
            candidates.sort(key=lambda e: (e.timestamp, e.ident))
            hint = getattr(ms, "hint_bodies", None)
            if hint is not None:
                hint(folder, [e.ident for e in candidates])
            for (e, _body), reading in helper.read_whole(to_read(), itemgetter(1),
                                                         len(candidates)):
                record(self._settle(acc, folder, e, reading))
        for key, n in (("headers_judged_by_helper", helper.judged),
                       ("messages_read_by_helper", helper.read)):
            if n:
                self.result.bump(key, n)
        self._close_folder(acc, folder, batch, self._gone(survey, known), token, missing)

    def _close_folder(self, acc: AccountConfig, folder: str, rows: list[tuple[str, str, str]],
                      gone: set[str], token: str, missing: int, *, drafts: bool = False) -> None:
        """Record what a survey of a folder read and forget what left it (``drafts``: its
        drafts too; a sent message stays sent when it is deleted, a draft does not).

        ``missing`` messages were listed but their header block or body did not come
        (deleted since, or an answer that could not be read). They are not recorded,
        and the folder's token is not moved past them: the next cycle surveys the folder
        again and lists them again.
        """
        if missing:
            log.info("messages_missing", account=acc.name, folder=folder, count=missing,
                     reason="their header block or body did not come (deleted since they "
                            "were listed, or an answer that could not be read): looked for "
                            "again next cycle")
        with self.store.transaction():
            self.store.add_items(acc.name, folder, rows)
            self.store.forget_items(acc.name, folder, gone)
            if drafts:
                self.store.forget_outgoing(acc.name, folder, gone)
            if not missing:
                self.store.set_folder_token(acc.name, folder, token)

    def _triage(self, acc: AccountConfig, folder: str) -> Callable[
            [str, bytes, tuple[Action, str] | None],
            tuple[str, str, str] | Literal["body", "preview"]]:
        """How a folder's messages are judged by their headers: a row to record, or what
        to read next, from the glance's verdict (``prefilter.judge_head``) when it gave
        one. (Made once per folder: it runs for every new message.)"""
        from thankful.core.parse_mail import triage_headers
        from thankful.core.prefilter import triage

        flog = log.bind(account=acc.name, folder=folder)  # bound once, not per message
        bump, identity = self.result.bump, self.identity

        def judge(ident: str, raw: bytes, seen: tuple[Action, str] | None
                  ) -> tuple[str, str, str] | Literal["body", "preview"]:
            bump("headers_read")
            if seen is not None:  # the usual case
                action, why = seen
            else:  # thankful's own, or a block the glance could not read
                head = triage_headers(raw)  # never raises
                if head.is_thankful:
                    slot = head.headers.get("x-thankful-reminder")
                    if slot and not self.store.reminder_delivered(slot):
                        # A reminder delivered just before a crash: remember it went out.
                        with self.store.transaction():
                            self.store.mark_reminded(slot, head.message_id, (), self.now)
                    return (ident, "own", "")
                action, why = triage(head, identity)
            if action != "skip":
                return action
            bump("bodies_skipped")
            flog.debug("body_skipped", ident=ident, reason=why)
            return (ident, "other", why)

        return judge

    def _window(self) -> tuple[datetime, datetime]:
        """The span of time whose calendar events a cycle reads."""
        return self.now - CALENDAR_PAST, self.now + CALENDAR_AHEAD

    def _settle(self, acc: AccountConfig, folder: str, e: Entry, reading: Reading
                ) -> tuple[str, str, str]:
        """Log and record what a message read whole says; the row to record."""
        from thankful.core.rules import Signal

        ident = e.ident
        if reading.error:
            log.warning("message_skipped", account=acc.name, folder=folder, ident=ident,
                        reason=f"could not be parsed: {reading.error}")
            self.result.bump("messages_skipped")
            return (ident, "error", reading.error)
        if e.size > MAX_MESSAGE_BYTES:  # read by its headers alone (see to_read)
            self.result.bump("messages_headers_only")
            log.warning("message_headers_only", account=acc.name, folder=folder, ident=ident,
                        reason=f"{e.size / 1e6:.1f} MB is over the "
                               f"{MAX_MESSAGE_BYTES // 1_000_000} MB limit; judged by headers")
        if reading.problems:  # cut or partly unreadable: counted, each reason logged
            self.result.bump("messages_with_problems")
        for problem in reading.problems:
            log.info("message_problem", account=acc.name, folder=folder, ident=ident,
                     reason=problem)
        if reading.own:
            return (ident, "own", "")
        for problem in reading.calendar_problems:
            log.info("calendar_part_problem", account=acc.name, ident=ident, reason=problem)
        det = reading.detection
        if det is None or det.kind == "other" or reading.thread is None:
            return (ident, "other", "")
        at = reading.date or datetime.fromtimestamp(0).astimezone()
        key = reading.message_id or f"{folder}/{ident}"
        sig = Signal(ident=f"mail:{acc.name}:{key}", at=at, detection=det,
                     thread=reading.thread)
        status = "active" if det.sure else "review"
        with self.store.transaction():
            self.store.put_signal(sig, status, short_id(sig.ident))
        self.result.bump("detections" if det.sure else "for_review")
        log.info("message_detected", account=acc.name, folder=folder, ident=ident,
                 kind=det.kind, mode=det.mode, company=det.company, sure=det.sure,
                 confidence=round(det.confidence, 2))
        return (ident, det.kind, "")

    def _scan_outgoing(self, acc: AccountConfig, ms: MailStore, folder: str, kind: str) -> None:
        surveyed = self._survey(acc, ms, folder, None, incoming=False)
        if surveyed is None:
            return
        survey, known, token = surveyed
        from thankful.core.parse_mail import parse_headers
        from thankful.core.reading import thread_of
        from thankful.core.rules import Outgoing

        rows = []
        missing = 0
        for headed in self._new(acc, folder, survey):
            e, raw = headed.entry, headed.head
            if raw is None:
                missing += 1
                continue
            try:
                item = parse_headers(raw)
            except Exception as exc:
                log.warning("message_skipped", account=acc.name, folder=folder, ident=e.ident,
                            reason=f"could not be parsed: {type(exc).__name__}")
                rows.append((e.ident, "error", type(exc).__name__))
                continue
            date = item.date or datetime.fromtimestamp(e.timestamp).astimezone()
            out = Outgoing(recipients=frozenset(a.email for a in item.to if a.email),
                           date=date, note_hash=item.headers.get("x-thankful-note", ""),
                           thread=thread_of(item))
            with self.store.transaction():
                self.store.put_outgoing(acc.name, folder, kind, e.ident, out)
            rows.append((e.ident, kind, ""))
        self._close_folder(acc, folder, rows, self._gone(survey, known), token, missing,
                           drafts=kind == "draft")

    # --- calendars -------------------------------------------------------------------

    def scan_calendars(self) -> None:
        """Read every calendar source whose files (or objects) changed.

        A source that fails keeps what was recorded from it; a source that served the
        last good copy of a feed is still read, and its failure is reported.
        """
        for cal in self.cfg.calendars:
            if self.waiting(cal.name):
                continue
            src = open_calendar(cal, state_dir=self.cfg.state_dir, now=self.now,
                                persist=not self.dry_run)
            try:
                files = src.files()
            except SourceError as exc:
                self.fail(cal.name, str(exc).split(": ", 1)[-1],
                          must_act=isinstance(exc, PermanentSourceError))
                continue
            except OSError as exc:
                # describe(), not the location: an ICS address is often a secret.
                self.fail(cal.name, f"cannot read {src.describe()}: {exc}", must_act=True)
                continue
            old = self.store.calfiles(cal.name)
            for path, fp in sorted(files.items()):
                if old.get(path) != fp:
                    self._calendar_file(cal.name, src, path, fp)
            for path in set(old) - set(files):
                with self.store.transaction():
                    self.store.delete_signals(f"cal:{cal.name}:{path}#")
                    self.store.set_calfile(cal.name, path, None)
            if src.stale:
                self.fail(cal.name, src.stale)

    def _calendar_file(self, source: str, src: CalendarSource, path: str, fp: str) -> None:
        from thankful.core.classify import classify_events
        from thankful.core.rules import Signal

        self.result.bump("calendar_files_read")
        try:
            data = src.read(path)
        except (OSError, ValueError) as exc:
            log.warning("calendar_skipped", calendar=source, path=path, reason=str(exc))
            return
        start, end = self._window()
        parsed = parse_calendar(data, default_tz=self.identity.timezone, window_start=start,
                                window_end=end)
        if parsed.problems:  # refused or partly unreadable: counted, each reason logged
            self.result.bump("calendars_with_problems")
        for problem in parsed.problems:
            log.warning("calendar_problem", calendar=source, path=path, reason=problem)
        by_uid: dict[str, list[CalEvent]] = {}
        for ev in parsed.events:
            by_uid.setdefault(ev.uid, []).append(ev)
        with self.store.transaction():
            self.store.delete_signals(f"cal:{source}:{path}#")
            for uid, events in by_uid.items():
                det = classify_events(events, self.identity, method=parsed.method)
                if det.kind == "other":
                    continue
                first = min(events, key=lambda e: e.start)
                at = first.dtstamp or first.start
                sig = Signal(ident=f"cal:{source}:{path}#{uid}", at=at, detection=det)
                self.store.put_signal(sig, "active" if det.sure else "review",
                                      short_id(sig.ident))
                self.result.bump("detections" if det.sure else "for_review")
            self.store.set_calfile(source, path, fp)

    # --- notes, drafts, reminders -------------------------------------------------------

    def writers(self) -> tuple[dict[str, Writer], Writer]:
        """The writer per application (its mail's account) and the default one.

        A note never goes out from the current employer's address: such an account's
        drafts are from the user's first private address instead.
        """
        from thankful.core.plan import Writer

        private = [a for a in self.cfg.identity.addresses if not self.identity.at_employer(a)]
        by_account = {}
        for a in self.cfg.accounts:
            address = a.address
            if self.identity.at_employer(address) and private:
                address = private[0]
            ms = self.mail.get(a.name)
            # The folder the server really uses ("[Gmail]/Drafts", say) names it best.
            folder = ms.drafts_folder() if ms else a.drafts_folder
            by_account[a.name] = Writer(account=a.name, name=self.cfg.identity.name,
                                        address=address, drafts_folder=folder)
        default_name = self.cfg.reminders.account or (
            self.cfg.accounts[0].name if self.cfg.accounts else "")
        default = by_account.get(default_name) or Writer(
            account="", name=self.cfg.identity.name, address=self.cfg.identity.addresses[0])
        return by_account, default

    def decide(self) -> None:
        """Derive the notes and plan what to write."""
        from thankful.core import serde
        from thankful.core.plan import plan as make_plan
        from thankful.core.rules import derive

        store = self.store
        self.read_version = store.data_version()
        first = store.get_meta("first_cycle_at")
        first_at = datetime.fromisoformat(first) if first else self.now
        if not first and not self.dry_run:
            with store.transaction():
                store.set_meta("first_cycle_at", self.now.isoformat())
        signals = store.signals()
        derived = derive(signals=signals, sent=store.outgoing("sent"),
                         drafts=store.outgoing("draft"), records=store.note_records(),
                         identity=self.identity, policy=policy_of(self.cfg), now=self.now,
                         first_cycle_at=first_at, ignored=store.ignores(),
                         context=store.signals(("review",)))
        by_account, default = self.writers()
        account_of: dict[str, str] = {}
        for sig in signals:
            parts = sig.ident.split(":", 2)
            if parts[0] == "mail" and sig.thread and parts[1] in by_account:
                account_of[sig.thread.message_id] = parts[1]
        app_writer: dict[str, Writer] = {}
        for app in derived.applications:
            # Drafts go to the account the application's newest mail came through.
            for t in sorted(app.threads, key=lambda t: t.date.timestamp() if t.date else 0.0):
                if t.message_id in account_of:
                    app_writer[app.key] = by_account[account_of[t.message_id]]
        sent_threads = [o.thread for o in store.outgoing("sent") if o.thread]
        threads: dict[str, list[ThreadRef]] = {}
        for app in derived.applications:
            # A draft replies within the application's own conversations: a sent
            # message counts only when it answers one of them.
            ids = {t.message_id for t in app.threads if t.message_id}
            threads[app.key] = [*app.threads,
                                *(t for t in sent_threads if ids & set(t.references))]
        r = self.cfg.reminders
        blocked = frozenset(a.name for a in self.cfg.accounts if not self.sent_ok.get(a.name))
        self.result.applications = derived.applications
        self.result.notes = derived.notes
        self.result.plan = make_plan(
            derived.notes, writers=app_writer, default_writer=default, threads=threads,
            now=self.now, tz=self.identity.timezone,
            reminders_enabled=r.enabled and default.account not in blocked,
            every_days=r.every_days, last_slot=store.last_reminder_slot(),
            suggest_card=r.suggest_card, suggest_gift=r.suggest_gift,
            allow_drafts=bool(self.cfg.accounts), blocked_accounts=blocked)
        for account in sorted(blocked):
            # Its failure is reported already (at most hourly): this is a detail.
            log.info("drafts_held_back", account=account,
                        reason="the mailbox or its Sent folder could not be read, so no note "
                        "is drafted through it this cycle")
        with store.transaction():
            for n in derived.notes:
                store.save_note(serde.note_to_dict(n), drafted_at=n.drafted_at,
                                draft_hash=n.draft_hash,
                                draft_missing_since=n.draft_missing_since, now=self.now)
            # Notes no longer implied (an ignored company, a cancelled interview).
            store.mark_gone({n.id for n in derived.notes}, self.now)
            self._record_found_drafts(derived.notes)

    def _record_found_drafts(self, notes: tuple[Note, ...]) -> None:
        """Record a draft saved just before a crash, before it was recorded: found in
        Drafts by its header, it belongs to the notes whose ids hash to that header."""
        for account, draft in self.store.unrecorded_drafts():
            mine = sorted(n.id for n in notes
                          if not n.draft_hash and n.deliver_to in draft.recipients)[:8]
            for size in range(len(mine), 0, -1):
                ids = next((c for c in itertools.combinations(mine, size)
                            if note_hash("+".join(c)) == draft.note_hash), None)
                if ids:
                    msgid = draft.thread.message_id if draft.thread else ""
                    self.store.mark_drafted(ids, draft.note_hash, account, msgid or "", self.now)
                    self.recorded_found = True  # the next cycle derives with it
                    log.info("draft_found_recorded", account=account, notes=list(ids),
                             draft=draft.note_hash)
                    break

    def execute(self) -> None:
        """Write the planned drafts and reminder (or, in a dry run, only build them)."""
        from thankful.core.compose import ComposeError
        from thankful.core.compose import build_draft
        from thankful.core.compose import message_id
        from thankful.core.rules import Outgoing

        assert self.result.plan is not None
        templates = load_templates(self.cfg)
        for req in self.result.plan.drafts:
            writer = next((a for a in self.cfg.accounts if a.name == req.account), None)
            if writer is None or writer.name in self.write_failed:
                continue
            try:
                data = build_draft(req, templates)
            except ComposeError as exc:
                log.warning("draft_skipped", notes=[n.id for n in req.notes], reason=str(exc))
                self.result.bump("drafts_skipped")
                continue
            h = note_hash(req.key)
            ms = self.mail.get(writer.name) if writer else None
            if ms is None or writer is None:
                continue
            subject = _subject(data)
            ident = "(dry run)"
            if not self.dry_run:
                try:
                    ident = ms.append_draft(data)
                except SourceError as exc:
                    # The connection went away mid-write, or the mailbox (or its disk) is
                    # full: the adapter made sure no half draft counts; the note stays
                    # owed, and the next cycle finds whatever was saved by its header.
                    self.write_failed.add(writer.name)
                    self.fail(writer.name, str(exc).split(": ", 1)[-1],
                              must_act=isinstance(exc, PermanentSourceError))
                    continue
                with self.store.transaction():
                    self.store.mark_drafted([n.id for n in req.notes], h, writer.name,
                                            message_id(req.key, req.from_address), self.now)
                    # Known as a draft at once: should the mailbox be unreadable next
                    # time, the note does not count as a draft deleted unsent.
                    if ident:
                        folder = ms.drafts_folder()
                        self.store.put_outgoing(
                            writer.name, folder, "draft", ident,
                            Outgoing(recipients=frozenset({req.to_address}), date=self.now,
                                     note_hash=h))
                        self.store.add_items(writer.name, folder, [(ident, "draft", "")])
                log.info("draft_appended", account=writer.name, notes=[n.id for n in req.notes],
                         draft=h)
            drafted = {n.id for n in req.notes}
            self.result.notes = tuple(
                replace(n, state="drafted", reason="a draft was written now")
                if n.id in drafted else n for n in self.result.notes)
            self.result.drafts.append(WrittenDraft(
                account=writer.name, folder=ms.drafts_folder(), ident=ident, to=req.to_address,
                subject=subject, note_ids=tuple(n.id for n in req.notes)))
            self.result.bump("drafts_written")
        self._remind()

    def sync_tasks(self) -> None:
        """Write each note as a VTODO in the ``[tasks]`` list, closed when the note is."""
        from thankful.adapters.tasks import open_task_list
        from thankful.adapters.tasks import sync_tasks

        assert self.cfg.tasks is not None
        if self.waiting("tasks"):
            return
        try:
            counts = sync_tasks(self.result.notes, open_task_list(self.cfg.tasks), self.now)
        except SourceError as exc:
            self.fail("tasks", str(exc).split(": ", 1)[-1],
                      must_act=isinstance(exc, PermanentSourceError))
            return
        except OSError as exc:
            self.fail("tasks", f"cannot write the task list: {exc.strerror or exc}",
                      must_act=True)
            return
        for what, n in counts.items():
            self.result.bump(f"tasks_{what}", n)

    def _remind(self) -> None:
        from thankful.core.compose import ComposeError
        from thankful.core.compose import build_reminder
        from thankful.core.compose import message_id

        assert self.result.plan is not None
        req = self.result.plan.reminder
        if req is None or self.store.reminder_delivered(req.slot):
            return
        smtp = self.cfg.smtp
        _, default = self.writers()
        ms = self.mail.get(default.account)
        # Over SMTP no mailbox is written, so a failed draft write there does not matter.
        if smtp is None and (ms is None or default.account in self.write_failed):
            return
        if smtp is not None and not self.dry_run and self.waiting("smtp"):
            return  # the slot stays open: sent once the server takes it
        try:
            data = build_reminder(req)
        except ComposeError as exc:
            log.warning("reminder_skipped", slot=req.slot, reason=str(exc))
            return
        where = ", ".join(smtp.to) if smtp is not None else default.account
        self.result.reminder = (where, data)
        if self.dry_run:
            return
        source = "smtp" if smtp is not None else default.account
        refused: tuple[str, ...] = ()
        try:
            if smtp is not None:
                # Imported here: a user without [smtp] never loads smtplib.
                from thankful.adapters.smtp import submit

                # Envelope recipients from the config only; the bytes as built.
                refused = submit(smtp, data, sender=req.to_address)
            elif ms is not None:
                ms.deliver(data)
        except SourceError as exc:
            # Not marked reminded: the next cycle tries the same slot again.
            self.result.reminder = None
            self.fail(source, str(exc).split(": ", 1)[-1],
                      must_act=isinstance(exc, PermanentSourceError))
            return
        # Marked only now that the server (or the mailbox) has accepted it. A crash
        # between the two sends an SMTP reminder twice; never none.
        with self.store.transaction():
            self.store.mark_reminded(req.slot, message_id(req.key + "|" + req.to_address,
                                                          req.to_address),
                                     [n.id for n in req.notes], self.now)
        if smtp is not None:
            log.info("reminder_sent", host=smtp.host, to=list(smtp.to), notes=len(req.notes),
                     slot=req.slot)
            if refused:
                # The others got it, so it is not sent again; the user must fix the address.
                self.fail(source, f"{smtp.host} refused the reminder for "
                          f"{', '.join(refused)}; the other recipients got it")
        else:
            log.info("reminder_delivered", account=default.account, notes=len(req.notes),
                     slot=req.slot)
        self.result.bump("reminders_delivered")


_PACKAGE = Path(__file__).parent


def _licence_key(cfg: Config) -> str:
    """A quiet licence holds for the config and the thankful that gave it: its version,
    and the size and mtime of each of its modules (an edited checkout, or a patched
    install of the same version, is other code). About 60 stats: well under a
    millisecond. An install without sources has only its version to tell."""
    stamps = []
    for folder in (_PACKAGE, _PACKAGE / "core", _PACKAGE / "adapters"):
        try:
            with os.scandir(folder) as entries:
                for e in sorted(entries, key=lambda e: e.name):
                    if e.name.endswith(".py"):
                        st = e.stat()
                        stamps.append(f"{e.name}:{st.st_size}.{st.st_mtime_ns}")
        except OSError:
            stamps.append(f"{folder.name}:-")
    return note_hash(f"{__version__}|{','.join(stamps)}|{cfg!r}")


def _states(notes: tuple[Note, ...]) -> dict[str, int]:
    states: dict[str, int] = {}
    for n in notes:
        states[n.state] = states.get(n.state, 0) + 1
    return states


def _jitter() -> float:
    import random  # only when a source fails

    return random.random()


def _wall() -> datetime:
    """The real time (backoff is about time passing, whatever ``--now`` says)."""
    return datetime.now().astimezone()


def _subject(data: bytes) -> str:
    import email
    import email.policy

    msg = email.message_from_bytes(data, policy=email.policy.default)
    return str(msg["Subject"] or "")


def run_cycle(cfg: Config, now: datetime, *, dry_run: bool = False, explicit_now: bool = False,
              store_factory: Callable[[AccountConfig], MailStore] = open_mail_store,
              backoff: bool = False, quiet_notes: bool = True,
              allow_quiet: bool = True) -> CycleResult:
    """Run one full cycle at ``now``; every source's failure is in ``result.errors``.

    With ``backoff`` (the daemon), a failing source is skipped until its next attempt
    and its failure logged as an error at most once an hour (:mod:`thankful.backoff`).

    The caller holds the state lock (:class:`~thankful.adapters.lock.StateLock`) unless
    this is a dry run. An ``explicit_now`` (``--now``) earlier than the last cycle is
    refused; the wall clock stepping back is only logged.

    A cycle that finds nothing the notes depend on changed since a full cycle that had
    nothing to write is quiet (:meth:`Cycle.quiet`): it reads every source as usual but
    does not derive the notes again. ``result.quiet_lines`` is then set, and
    ``result.notes`` holds the notes as recorded, or nothing with ``quiet_notes=False``
    (the command line and the daemon, which need only ``note_states`` and the lines:
    their quiet cycles then never import the core). ``allow_quiet=False`` derives
    always (the demo shows the applications it found).
    """
    db_exists = (cfg.state_dir / "thankful.sqlite3").exists()
    store = Store(cfg.state_dir, readonly=dry_run and not db_exists)
    started = datetime.now().astimezone()
    try:
        latest = store.latest_now()
        if latest and now < latest and not dry_run:
            if explicit_now:
                raise UsageError(f"--now {now.isoformat()} is before the last cycle "
                                 f"({latest.isoformat()}); only --dry-run may go back in time")
            log.warning("clock_went_back", now=now.isoformat(), last_cycle=latest.isoformat())
        if dry_run:
            store.begin_dry_run()
        return _run(cfg, store, now, started, dry_run=dry_run, store_factory=store_factory,
                    backoff=backoff, quiet_notes=quiet_notes, allow_quiet=allow_quiet)
    except DatabaseError as exc:
        distrust(store.path)  # the next open reads every page again
        if is_disk_full(exc, cfg.state_dir):
            # Every step done so far is committed; the one that failed is not.
            raise StateError(f"the disk holding the state database {store.path} is full; "
                             "free some space (thankful tries again; nothing is lost)") \
                from None
        raise StateError(f"the state database {store.path} failed ({exc}); move it aside to "
                         "start afresh (what is in Drafts and Sent is not drafted again)") \
            from None
    finally:
        tlog.unbind_contextvars("cycle_id")
        store.close()


def _run(cfg: Config, store: Store, now: datetime, started: datetime, *, dry_run: bool,
         store_factory: Callable[[AccountConfig], MailStore], backoff: bool,
         quiet_notes: bool, allow_quiet: bool) -> CycleResult:
    """The body of :func:`run_cycle`, with the store open."""
    cycle = Cycle(cfg, store, now, dry_run=dry_run, store_factory=store_factory,
                  backoff=backoff, quiet_notes=quiet_notes)
    tlog.bind_contextvars(cycle_id=cycle.result.run_id)
    if not dry_run:
        with store.transaction():
            store.start_run(cycle.result.run_id, now, started)
    quiet = None
    try:
        cycle.scan_accounts()
        cycle.scan_calendars()
        quiet = cycle.quiet() if allow_quiet else None
        if quiet is None:
            cycle.decide()
            cycle.execute()
            if cfg.tasks is not None and not dry_run:
                cycle.sync_tasks()
    finally:
        for ms in cycle.mail.values():
            ms.close()
    cycle.settle()
    res = cycle.result
    if quiet is None:
        res.note_states = _states(res.notes)
    states = res.note_states
    failed = dict(res.errors)
    sources = {name: failed.get(name, "waiting to retry" if name in cycle.skipped else "ok")
               for name in [*(a.name for a in cfg.accounts), *(c.name for c in cfg.calendars)]}
    summary = {"counts": res.counts, "notes": states, "sources": sources,
               "errors": [f"{s}: {m}" for s, m in res.errors],
               "duration_ms": int((datetime.now().astimezone() - started).total_seconds()
                                  * 1000)}
    if quiet is not None:
        summary["quiet_since"] = quiet["since"]
    if not dry_run:
        licence = cycle.licence() if quiet is None else None
        with store.transaction():
            store.finish_run(res.run_id, datetime.now().astimezone(), res.ok, summary)
            # Given only if nobody else wrote the state since decide() read it (a
            # `thankful done` meanwhile: its trigger found no licence to drop).
            if licence is not None and store.data_version() == cycle.read_version:
                store.set_quiet(licence)
    log.info("cycle_finished", dry_run=dry_run, ok=res.ok, **summary)
    return res
