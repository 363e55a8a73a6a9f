"""The SQLite state store: scan positions, detections, notes, drafts, reminders, runs.

The only module that imports :mod:`sqlite3`. Transactions are explicit
(``isolation_level=None`` plus ``BEGIN IMMEDIATE``); the schema version lives in
``PRAGMA user_version`` and moves forward through :data:`MIGRATIONS`, never by dropping
data. A database newer than this code, or one that is not a database, raises
:class:`~thankful.errors.StateError` rather than being overwritten.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from thankful import crashpoints
from thankful.backoff import Health
from thankful.errors import StateError

if TYPE_CHECKING:
    from thankful.core.rules import NoteRecord
    from thankful.core.rules import Outgoing
    from thankful.core.rules import Signal

DB_NAME = "thankful.sqlite3"
#: Every page of a state file is read when a process first opens it, and again after
#: this many seconds in a process that keeps running (the daemon).
CHECK_EVERY = 24 * 3600.0
#: Cycles remembered in ``runs``, newest first (and always the latest ``now``): a year of
#: a cycle every ten minutes would otherwise add 20 MB, read at every start.
KEEP_RUNS = 1000
#: What a damaged database raises mid-cycle (the service turns it into a StateError).
DatabaseError = sqlite3.DatabaseError

#: The tables :func:`thankful.core.rules.derive` and the plan read (through the cycle):
#: a change to any of them, by a cycle or by the user, ends the licence of
#: :meth:`Store.set_quiet`.
RULE_INPUTS = ("signals", "outgoing", "notes", "drafts", "reminders", "ignores", "health")
_QUIET_TRIGGERS = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_unquiet AFTER {event} ON {table} "
    "BEGIN DELETE FROM meta WHERE key = 'quiet'; END;\n"
    for table in RULE_INPUTS for event in ("INSERT", "UPDATE", "DELETE"))

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE folders(source TEXT NOT NULL, folder TEXT NOT NULL, token TEXT NOT NULL,
                         PRIMARY KEY(source, folder));
    CREATE TABLE items(source TEXT NOT NULL, folder TEXT NOT NULL, ident TEXT NOT NULL,
                       status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
                       PRIMARY KEY(source, folder, ident)) WITHOUT ROWID;
    CREATE TABLE signals(ident TEXT PRIMARY KEY, at TEXT NOT NULL, status TEXT NOT NULL,
                         review_id TEXT NOT NULL, detection TEXT NOT NULL, thread TEXT);
    CREATE INDEX signals_review ON signals(review_id);
    CREATE TABLE outgoing(source TEXT NOT NULL, folder TEXT NOT NULL, ident TEXT NOT NULL,
                          kind TEXT NOT NULL, data TEXT NOT NULL,
                          PRIMARY KEY(source, folder, ident));
    CREATE TABLE notes(id TEXT PRIMARY KEY, application TEXT NOT NULL, state TEXT NOT NULL,
                       data TEXT NOT NULL, drafted_at TEXT, draft_hash TEXT NOT NULL DEFAULT '',
                       draft_missing_since TEXT, user_state TEXT, user_via TEXT, user_at TEXT,
                       updated_at TEXT NOT NULL);
    CREATE TABLE drafts(hash TEXT PRIMARY KEY, note_ids TEXT NOT NULL, account TEXT NOT NULL,
                        message_id TEXT NOT NULL, appended_at TEXT NOT NULL);
    CREATE TABLE reminders(slot TEXT PRIMARY KEY, message_id TEXT NOT NULL,
                           note_ids TEXT NOT NULL, delivered_at TEXT NOT NULL);
    CREATE TABLE ignores(value TEXT PRIMARY KEY, added_at TEXT NOT NULL);
    CREATE TABLE runs(id TEXT PRIMARY KEY, now TEXT NOT NULL, started TEXT NOT NULL,
                      finished TEXT, ok INTEGER, summary TEXT NOT NULL DEFAULT '{}');
    CREATE TABLE calfiles(source TEXT NOT NULL, path TEXT NOT NULL, fingerprint TEXT NOT NULL,
                          PRIMARY KEY(source, path));
    """,
    # 2: per-source backoff (thankful.backoff): a row per failing source only
    """
    CREATE TABLE health(source TEXT PRIMARY KEY, failures INTEGER NOT NULL,
                        next_attempt TEXT, last_error TEXT NOT NULL DEFAULT '',
                        must_act INTEGER NOT NULL DEFAULT 0, failing_since TEXT,
                        last_told TEXT);
    """,
    # 3: a quiet cycle's licence (``meta`` key ``quiet``, :meth:`Store.quiet`), taken
    # back by any change to what the rules read
    _QUIET_TRIGGERS,
)


def is_disk_full(exc: BaseException, where: Path | None = None) -> bool:
    """Whether a database error means the disk (or a quota) is full: the user must free
    space, and nothing is wrong with the database.

    SQLite says "database or disk is full" only for some writes; creating the shared
    memory file on a full disk is a mere "disk I/O error": then the free space of
    ``where`` decides.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return True
    if where is None or "I/O error" not in str(exc):
        return False
    try:
        st = os.statvfs(where)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


#: path -> (device, inode, size, mtime, WAL size, monotonic time of the check) of the
#: files found whole in this process, as this process last left them.
_CHECKED: dict[str, tuple[int, int, int, int, int, float]] = {}
#: Beside the database: the same record as left by the last process that closed it, so
#: that a new process (a timer's ``thankful scan``) need not read every page again.
CHECKED_SUFFIX = ".checked"

Stamp = tuple[int, int, int, int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    try:
        wal = os.stat(f"{path}-wal").st_size  # left with pages by a crash, or in use
    except OSError:
        wal = 0
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, wal


def _record(path: Path) -> Path:
    return path.with_name(path.name + CHECKED_SUFFIX)


def _checked_lately(path: Path) -> bool:
    """Whether the file was found whole lately and is as the process that did so (or a
    thankful process after it) left it: the same file, not written since by anyone else
    (size and mtime unchanged, no pages left in its write-ahead log), and within
    :data:`CHECK_EVERY`. Known from this process's memory, or from the record the last
    process to close it left beside it."""
    stamp = _stamp(path)
    seen = _CHECKED.get(str(path))
    if seen is not None and stamp == seen[:5]:
        return time.monotonic() - seen[5] < CHECK_EVERY
    # Not known here, or written since by another process: as that one left it?
    try:
        data = json.loads(_record(path).read_text(encoding="ascii"))
        left, age = tuple(data["stamp"]), time.time() - float(data["checked"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if stamp is None or left != stamp or not 0 <= age < CHECK_EVERY:
        return False
    _CHECKED[str(path)] = (*stamp, time.monotonic() - age)
    return True


def _mark_checked(path: Path, checked_at: float | None = None) -> None:
    """Record the file as found whole (``checked_at``: when, on the monotonic clock)."""
    stamp = _stamp(path)
    if stamp is None:
        return
    now = time.monotonic()
    at = now if checked_at is None else checked_at
    _CHECKED[str(path)] = (*stamp, at)
    record = _record(path)
    tmp = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            json.dump({"stamp": stamp, "checked": time.time() - (now - at)}, fh)
        os.replace(tmp, record)
    except OSError:
        with suppress(OSError):  # a full disk: the next process checks again
            os.unlink(record)
        with suppress(OSError):
            os.unlink(tmp)


def _left(path: Path) -> None:
    """The file as this process leaves it (its own writes are not another's)."""
    seen = _CHECKED.get(str(path))
    if seen is not None and _stamp(path) != seen[:5]:
        _mark_checked(path, seen[5])


def distrust(path: Path) -> None:
    """Check the file again the next time it is opened (it failed in use)."""
    _CHECKED.pop(str(path), None)
    with suppress(OSError):
        os.unlink(_record(path))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def ensure_private_dir(path: Path) -> None:
    """Create thankful's own folder readable by the user alone."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with suppress(OSError):
        os.chmod(path, 0o700)


class Store:
    """One connection to the state database; use as a context manager."""

    def __init__(self, state_dir: Path, *, readonly: bool = False) -> None:
        self.path = state_dir / DB_NAME
        self._dry = False
        if readonly and not self.path.exists():
            self._conn = sqlite3.connect(":memory:", isolation_level=None)
        else:
            ensure_private_dir(state_dir)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            try:
                self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            except sqlite3.Error as exc:
                raise StateError(f"cannot open the state database {self.path}: {exc}") from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA busy_timeout = 30000")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._check()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            distrust(self.path)
            if is_disk_full(exc, state_dir):
                raise StateError(f"the disk holding the state database {self.path} is full; "
                                 "free some space (thankful tries again)") from None
            raise StateError(
                f"the state database {self.path} is unreadable ({exc}); move it aside to "
                "start afresh (thankful will then re-read the history without drafting twice "
                "what is already in Drafts or Sent)") from None

    def _check(self) -> None:
        """Read every page (PRAGMA quick_check): a file damaged past its first page opens
        fine and would fail mid-cycle. Once per process and file, and daily in the
        daemon: at 100,000 messages it costs more than the rest of a rescan with
        nothing new."""
        if _checked_lately(self.path):
            return
        check = self._conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else '?'}")
        _mark_checked(self.path)

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(f"the state database {self.path} is from a newer thankful "
                             f"(schema {version}); upgrade thankful")
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                # Another process may have moved it on while this one waited for the lock
                # (or a newer thankful, past what this one knows).
                now_at = self._conn.execute("PRAGMA user_version").fetchone()[0]
                if now_at > len(MIGRATIONS):
                    raise StateError(f"the state database {self.path} is from a newer "
                                     f"thankful (schema {now_at}); upgrade thankful")
                if now_at > number:
                    continue
                statement = ""
                for piece in MIGRATIONS[number].split(";"):
                    # A trigger's body holds semicolons: a statement ends where SQLite
                    # says it is complete.
                    statement += piece + ";"
                    if sqlite3.complete_statement(statement):
                        if statement.strip(" \n;"):
                            self._conn.execute(statement)
                        statement = ""
                self._conn.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        """Close the connection (a dry run's changes are rolled back)."""
        if self._dry and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        self._conn.close()
        _left(self.path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work (a savepoint inside a dry run's outer transaction)."""
        if self._conn.in_transaction:
            self._conn.execute("SAVEPOINT unit")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK TO unit")
                self._conn.execute("RELEASE unit")
                raise
            self._conn.execute("RELEASE unit")
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        crashpoints.step("commit")
        self._conn.execute("COMMIT")

    def begin_dry_run(self) -> None:
        """Hold every change in one transaction that :meth:`close` rolls back."""
        self._conn.execute("BEGIN IMMEDIATE")
        self._dry = True

    # --- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the meta table."""
        self._conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) "
                           "DO UPDATE SET value = excluded.value", (key, value))

    def quiet(self) -> dict[str, Any] | None:
        """The licence the last full cycle left (:meth:`set_quiet`), if nothing the rules
        read has changed since."""
        value = self.get_meta("quiet")
        try:
            data = json.loads(value) if value else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def data_version(self) -> int:
        """A number that changes when another connection commits (SQLite's
        ``data_version``): what this one read may since have changed."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def set_quiet(self, licence: dict[str, Any]) -> None:
        """Record that, until a table of :data:`RULE_INPUTS` changes, a cycle may skip
        deriving the notes: what the licence holds is the service's business."""
        self.set_meta("quiet", json.dumps(licence, separators=(",", ":")))

    # --- scan positions --------------------------------------------------------------

    def folder_token(self, source: str, folder: str) -> str | None:
        """The stored scan position of a folder."""
        row = self._conn.execute("SELECT token FROM folders WHERE source = ? AND folder = ?",
                                 (source, folder)).fetchone()
        return row[0] if row else None

    def set_folder_token(self, source: str, folder: str, token: str) -> None:
        """Move a folder's scan position (after the folder was fully processed)."""
        self._conn.execute("INSERT INTO folders VALUES(?, ?, ?) ON CONFLICT(source, folder) "
                           "DO UPDATE SET token = excluded.token", (source, folder, token))

    def known_items(self, source: str, folder: str) -> set[str]:
        """The idents of a folder already processed."""
        rows = self._conn.execute("SELECT ident FROM items WHERE source = ? AND folder = ?",
                                  (source, folder))
        return {r[0] for r in rows}

    def known_among(self, source: str, folder: str, idents: Sequence[str]) -> set[str]:
        """Which of these idents of a folder were already processed."""
        out: set[str] = set()
        for start in range(0, len(idents), 500):
            chunk = idents[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(r[0] for r in self._conn.execute(
                f"SELECT ident FROM items WHERE source = ? AND folder = ? AND ident IN ({marks})",
                (source, folder, *chunk)))
        return out

    def add_items(self, source: str, folder: str,
                  items: Iterable[tuple[str, str, str]]) -> None:
        """Record processed idents with their status and reason."""
        self._conn.executemany(
            "INSERT OR REPLACE INTO items VALUES(?, ?, ?, ?, ?)",
            ((source, folder, ident, status, reason) for ident, status, reason in items))

    def forget_items(self, source: str, folder: str, idents: Iterable[str]) -> None:
        """Forget idents that are gone from a folder."""
        self._conn.executemany("DELETE FROM items WHERE source = ? AND folder = ? AND ident = ?",
                               ((source, folder, i) for i in idents))

    def reset_incoming(self, source: str) -> None:
        """Forget which received messages of an account were read (to judge them again);
        what is known of Sent and Drafts stays."""
        self._conn.execute("DELETE FROM items WHERE source = ? AND status NOT IN "
                           "('sent', 'draft')", (source,))
        self._conn.execute("DELETE FROM folders WHERE source = ?", (source,))

    def reset_folder(self, source: str, folder: str) -> None:
        """Forget a folder's position and items (its identity changed)."""
        self._conn.execute("DELETE FROM items WHERE source = ? AND folder = ?", (source, folder))
        self._conn.execute("DELETE FROM folders WHERE source = ? AND folder = ?",
                           (source, folder))

    # --- signals ---------------------------------------------------------------------

    def put_signal(self, sig: Signal, status: str, review_id: str) -> None:
        """Store a detection: status ``active``, ``review``, ``accepted`` or ``rejected``."""
        from thankful.core import serde

        old = self._conn.execute("SELECT status FROM signals WHERE ident = ?",
                                 (sig.ident,)).fetchone()
        if old and old[0] in ("accepted", "rejected"):
            status = old[0]  # the user's word stands when a message is read again
        self._conn.execute(
            "INSERT OR REPLACE INTO signals VALUES(?, ?, ?, ?, ?, ?)",
            (sig.ident, sig.at.isoformat(), status, review_id,
             json.dumps(serde.detection_to_dict(sig.detection)),
             json.dumps(serde.thread_to_dict(sig.thread))))

    def delete_signals(self, prefix: str) -> None:
        """Drop the signals of one calendar file (it changed or is gone)."""
        self._conn.execute("DELETE FROM signals WHERE ident >= ? AND ident < ?",
                           (prefix, prefix + "\uffff"))

    def signals(self, statuses: tuple[str, ...] = ("active", "accepted")) -> list[Signal]:
        """The stored signals with the given statuses."""
        marks = ",".join("?" * len(statuses))
        rows = self._conn.execute(
            f"SELECT * FROM signals WHERE status IN ({marks}) ORDER BY at, ident", statuses)
        return [self._signal(r) for r in rows]

    @staticmethod
    def _signal(r: sqlite3.Row) -> Signal:
        from thankful.core import serde
        from thankful.core.rules import Signal

        at = _dt(r["at"])
        assert at is not None
        return Signal(ident=r["ident"], at=at,
                      detection=serde.detection_from_dict(json.loads(r["detection"])),
                      thread=serde.thread_from_dict(json.loads(r["thread"] or "null")))

    def review_items(self) -> list[tuple[str, str, Signal]]:
        """(review id, status, signal) of the detections waiting for the user."""
        rows = self._conn.execute(
            "SELECT * FROM signals WHERE status IN ('review') ORDER BY at")
        return [(r["review_id"], r["status"], self._signal(r)) for r in rows]

    def set_review(self, review_id: str, status: str) -> int:
        """Accept or reject a detection; returns how many rows changed."""
        cur = self._conn.execute(
            "UPDATE signals SET status = ? WHERE review_id = ? AND status IN "
            "('review', 'accepted', 'rejected')", (status, review_id))
        return cur.rowcount

    # --- outgoing (Sent and Drafts) ---------------------------------------------------

    def put_outgoing(self, source: str, folder: str, kind: str, ident: str,
                     out: Outgoing) -> None:
        """Remember a message of Sent or Drafts."""
        from thankful.core import serde

        self._conn.execute("INSERT OR REPLACE INTO outgoing VALUES(?, ?, ?, ?, ?)",
                           (source, folder, ident, kind,
                            json.dumps(serde.outgoing_to_dict(out))))

    def forget_outgoing(self, source: str, folder: str, idents: Iterable[str]) -> None:
        """Forget drafts that are gone."""
        self._conn.executemany(
            "DELETE FROM outgoing WHERE source = ? AND folder = ? AND ident = ?",
            ((source, folder, i) for i in idents))

    def outgoing(self, kind: str) -> list[Outgoing]:
        """Every remembered message of one kind (``sent`` or ``draft``)."""
        from thankful.core import serde

        rows = self._conn.execute("SELECT data FROM outgoing WHERE kind = ?", (kind,))
        return [serde.outgoing_from_dict(json.loads(r[0])) for r in rows]

    # --- notes -----------------------------------------------------------------------

    def note_records(self) -> dict[str, NoteRecord]:
        """What is remembered of every note."""
        from thankful.core.rules import NoteRecord

        out = {}
        for r in self._conn.execute("SELECT * FROM notes"):
            out[r["id"]] = NoteRecord(
                id=r["id"], drafted_at=_dt(r["drafted_at"]), draft_hash=r["draft_hash"],
                draft_missing_since=_dt(r["draft_missing_since"]), user_state=r["user_state"],
                user_via=r["user_via"], user_at=_dt(r["user_at"]))
        return out

    def save_note(self, data: dict[str, Any], *, drafted_at: datetime | None,
                  draft_hash: str, draft_missing_since: datetime | None,
                  now: datetime) -> None:
        """Insert or update a note's view and its draft bookkeeping."""
        self._conn.execute(
            "INSERT INTO notes(id, application, state, data, drafted_at, draft_hash, "
            "draft_missing_since, updated_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET application = excluded.application, "
            "state = excluded.state, data = excluded.data, drafted_at = excluded.drafted_at, "
            "draft_hash = excluded.draft_hash, "
            "draft_missing_since = excluded.draft_missing_since, "
            "updated_at = excluded.updated_at",
            (data["id"], data["application"], data["state"], json.dumps(data),
             _iso(drafted_at), draft_hash, _iso(draft_missing_since), now.isoformat()))

    def mark_gone(self, keep: set[str], now: datetime) -> None:
        """Mark every note not in ``keep`` as gone (no longer implied by what was seen)."""
        rows = self._conn.execute("SELECT id FROM notes WHERE state != 'gone'").fetchall()
        self._conn.executemany(
            "UPDATE notes SET state = 'gone', data = json_set(data, '$.state', 'gone', "
            "'$.reason', 'no longer implied by your mail and calendars'), updated_at = ? "
            "WHERE id = ?", ((now.isoformat(), r[0]) for r in rows if r[0] not in keep))

    def notes(self) -> list[dict[str, Any]]:
        """Every note as last derived."""
        rows = self._conn.execute("SELECT data FROM notes ORDER BY json_extract(data, "
                                  "'$.due_at'), id")
        return [json.loads(r[0]) for r in rows]

    def find_note(self, prefix: str) -> list[str]:
        """Note ids starting with ``prefix``."""
        rows = self._conn.execute("SELECT id FROM notes WHERE id LIKE ? ESCAPE '\\'",
                                  (prefix.replace("%", r"\%").replace("_", r"\_") + "%",))
        return [r[0] for r in rows]

    def set_user_state(self, note_id: str, state: str, via: str | None, now: datetime) -> None:
        """Record the user's word on a note (done or dismissed)."""
        self._conn.execute(
            "UPDATE notes SET user_state = ?, user_via = ?, user_at = ?, state = ?, "
            "data = json_set(data, '$.state', ?), updated_at = ? WHERE id = ?",
            (state, via, now.isoformat(), state, state, now.isoformat(), note_id))

    def mark_drafted(self, note_ids: Iterable[str], draft_hash: str, account: str,
                     message_id: str, now: datetime) -> None:
        """Record a draft appended for these notes."""
        ids = sorted(note_ids)
        self._conn.execute("INSERT OR REPLACE INTO drafts VALUES(?, ?, ?, ?, ?)",
                           (draft_hash, json.dumps(ids), account, message_id, now.isoformat()))
        self._conn.executemany(
            "UPDATE notes SET drafted_at = COALESCE(drafted_at, ?), draft_hash = ?, "
            "draft_missing_since = NULL, state = 'drafted', "
            "data = json_set(data, '$.state', 'drafted') WHERE id = ?",
            ((now.isoformat(), draft_hash, i) for i in ids))

    def unrecorded_drafts(self) -> list[tuple[str, Outgoing]]:
        """(account, draft) of thankful's drafts found in a Drafts folder that the drafts
        table does not know: saved just before a crash, before they were recorded."""
        from thankful.core import serde

        recorded = {r[0] for r in self._conn.execute("SELECT hash FROM drafts")}
        rows = self._conn.execute("SELECT source, data FROM outgoing WHERE kind = 'draft'")
        found = [(r[0], serde.outgoing_from_dict(json.loads(r[1]))) for r in rows]
        return [(source, o) for source, o in found if o.note_hash and o.note_hash not in recorded]

    # --- reminders, ignores, runs ------------------------------------------------------

    def last_reminder_slot(self) -> str | None:
        """The slot of the newest reminder delivered."""
        row = self._conn.execute(
            "SELECT slot FROM reminders ORDER BY delivered_at DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def reminder_delivered(self, slot: str) -> bool:
        """Whether the reminder of a slot went out."""
        return self._conn.execute("SELECT 1 FROM reminders WHERE slot = ?",
                                  (slot,)).fetchone() is not None

    def mark_reminded(self, slot: str, message_id: str, note_ids: Iterable[str],
                      now: datetime) -> None:
        """Record a delivered reminder."""
        self._conn.execute("INSERT OR REPLACE INTO reminders VALUES(?, ?, ?, ?)",
                           (slot, message_id, json.dumps(sorted(note_ids)), now.isoformat()))

    def ignores(self) -> frozenset[str]:
        """Companies (normalised) and addresses the user ignores for good."""
        return frozenset(r[0] for r in self._conn.execute("SELECT value FROM ignores"))

    def add_ignore(self, value: str, now: datetime) -> None:
        """Ignore a company or an address from now on."""
        self._conn.execute("INSERT OR IGNORE INTO ignores VALUES(?, ?)", (value, now.isoformat()))

    def start_run(self, run_id: str, now: datetime, started: datetime) -> None:
        """Record the start of a cycle."""
        self._conn.execute("INSERT INTO runs(id, now, started) VALUES(?, ?, ?)",
                           (run_id, now.isoformat(), started.isoformat()))

    def finish_run(self, run_id: str, finished: datetime, ok: bool,
                   summary: dict[str, Any]) -> None:
        """Record the end of a cycle with its counts and errors; forget the cycles before
        the last :data:`KEEP_RUNS` (but never the latest ``now``, which the clock check
        compares with)."""
        self._conn.execute("UPDATE runs SET finished = ?, ok = ?, summary = ? WHERE id = ?",
                           (finished.isoformat(), int(ok), json.dumps(summary), run_id))
        self._conn.execute(
            "DELETE FROM runs WHERE started < (SELECT started FROM runs ORDER BY started DESC "
            "LIMIT 1 OFFSET ?) AND now < (SELECT MAX(now) FROM runs)", (KEEP_RUNS - 1,))

    def last_run(self) -> dict[str, Any] | None:
        """The newest finished cycle."""
        row = self._conn.execute("SELECT * FROM runs WHERE finished IS NOT NULL "
                                 "ORDER BY started DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"id": row["id"], "now": row["now"], "started": row["started"],
                "finished": row["finished"], "ok": bool(row["ok"]),
                "summary": json.loads(row["summary"])}

    def latest_now(self) -> datetime | None:
        """The latest clock a (non-dry) cycle ran with."""
        row = self._conn.execute("SELECT MAX(now) FROM runs").fetchone()
        return _dt(row[0]) if row and row[0] else None

    # --- per-source health (backoff) ---------------------------------------------------

    def health(self) -> dict[str, Health]:
        """source -> health of every source that is failing."""
        out = {}
        for r in self._conn.execute("SELECT * FROM health ORDER BY source"):
            out[r["source"]] = Health(
                source=r["source"], failures=r["failures"], next_attempt=_dt(r["next_attempt"]),
                last_error=r["last_error"], must_act=bool(r["must_act"]),
                failing_since=_dt(r["failing_since"]), last_told=_dt(r["last_told"]))
        return out

    def put_health(self, h: Health) -> None:
        """Record a failing source's health."""
        self._conn.execute("INSERT OR REPLACE INTO health VALUES(?, ?, ?, ?, ?, ?, ?)",
                           (h.source, h.failures, _iso(h.next_attempt), h.last_error,
                            int(h.must_act), _iso(h.failing_since), _iso(h.last_told)))

    def drop_health(self, source: str) -> None:
        """Forget a source's failures (it works again)."""
        self._conn.execute("DELETE FROM health WHERE source = ?", (source,))

    def retry_now(self) -> None:
        """Let every failing source be tried at the next cycle (the config changed)."""
        self._conn.execute("UPDATE health SET next_attempt = NULL")

    # --- calendar files --------------------------------------------------------------

    def calfiles(self, source: str) -> dict[str, str]:
        """path -> fingerprint of the files of one calendar source."""
        rows = self._conn.execute("SELECT path, fingerprint FROM calfiles WHERE source = ?",
                                  (source,))
        return {r[0]: r[1] for r in rows}

    def set_calfile(self, source: str, path: str, fingerprint: str | None) -> None:
        """Remember (or forget, with None) a calendar file's fingerprint."""
        if fingerprint is None:
            self._conn.execute("DELETE FROM calfiles WHERE source = ? AND path = ?",
                               (source, path))
        else:
            self._conn.execute("INSERT OR REPLACE INTO calfiles VALUES(?, ?, ?)",
                               (source, path, fingerprint))
