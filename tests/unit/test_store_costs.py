"""What opening the state costs a rescan: every page is read once per file and day (a
new process trusts the record the last one left beside the file, if the file is as it
was left), and the table of past cycles does not grow for ever."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from thankful.adapters import store as store_mod
from thankful.adapters.store import DB_NAME
from thankful.adapters.store import Store
from thankful.adapters.store import distrust
from thankful.errors import StateError

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the store's connections run; a fresh record of checked files."""
    monkeypatch.setattr(store_mod, "_CHECKED", {})
    seen: list[str] = []
    real = sqlite3.connect

    def connect(*args: object, **kw: object) -> sqlite3.Connection:
        conn = real(*args, **kw)  # type: ignore[arg-type]
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return seen


def quick_checks(seen: list[str]) -> int:
    return sum("quick_check" in s for s in seen)


def test_every_page_is_read_once_per_process_and_file(tmp_path: Path,
                                                      checks: list[str]) -> None:
    for _ in range(3):
        with Store(tmp_path):
            pass
    assert quick_checks(checks) == 1
    distrust(tmp_path / DB_NAME)  # it failed in use: looked at again
    with Store(tmp_path):
        pass
    assert quick_checks(checks) == 2


def test_and_again_after_a_day(tmp_path: Path, checks: list[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(tmp_path):
        pass
    later = store_mod.time.monotonic() + store_mod.CHECK_EVERY + 1
    monkeypatch.setattr(store_mod.time, "monotonic", lambda: later)
    with Store(tmp_path):
        pass
    assert quick_checks(checks) == 2


def _filled(tmp_path: Path) -> Path:
    with Store(tmp_path) as st, st.transaction():
        st.add_items("a", "INBOX", [(f"1:{n}", "other", "x" * 200) for n in range(3000)])
    return tmp_path / DB_NAME


def test_a_cut_file_is_looked_at_again(tmp_path: Path, checks: list[str]) -> None:
    db = _filled(tmp_path)
    data = db.read_bytes()
    with open(db, "r+b") as fh:  # the same file, shorter
        fh.truncate(len(data) // 2)
    with pytest.raises(StateError, match="unreadable"):
        Store(tmp_path)


def test_a_file_moved_in_is_looked_at_again(tmp_path: Path, checks: list[str]) -> None:
    db = _filled(tmp_path)
    data = bytearray(db.read_bytes())
    data[4096 * 3:] = os.urandom(len(data) - 4096 * 3)  # damaged past its first pages
    other = tmp_path / "copy"
    other.write_bytes(bytes(data))
    os.replace(other, db)
    with pytest.raises(StateError, match="unreadable"):
        Store(tmp_path)
    assert db.read_bytes() == bytes(data)


def test_past_cycles_are_forgotten_but_the_latest_clock(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "KEEP_RUNS", 5)
    with Store(tmp_path) as st:
        for n in range(12):
            started = NOW + timedelta(minutes=n)
            # The third cycle ran with --now a year ahead: the clock check keeps it.
            now = started + timedelta(days=365) if n == 2 else started
            with st.transaction():
                st.start_run(f"r{n}", now, started)
                st.finish_run(f"r{n}", started, True, {"n": n})
        last = st.last_run()
        assert last is not None and last["id"] == "r11"
        assert st.latest_now() == NOW + timedelta(minutes=2, days=365)
        kept = [r[0] for r in st._conn.execute("SELECT id FROM runs ORDER BY started")]
    assert kept == ["r2", "r7", "r8", "r9", "r10", "r11"]


def test_a_file_written_over_in_place_is_looked_at_again(tmp_path: Path,
                                                         checks: list[str]) -> None:
    db = _filled(tmp_path)
    data = db.read_bytes()
    with Store(tmp_path):  # as this process left it: not checked again
        pass
    assert quick_checks(checks) == 1
    # Another program writes the same size back into the same file (a restore with
    # cp, a sync tool): its pages are read again before use.
    written_over(db, data)
    with Store(tmp_path):
        pass
    assert quick_checks(checks) == 2


def written_over(db: Path, data: bytes) -> None:
    """The same bytes written back in place by another program, a moment later."""
    with open(db, "r+b") as fh:
        fh.write(data)
    os.utime(db, ns=(os.stat(db).st_atime_ns, os.stat(db).st_mtime_ns + 1_000_000))


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process knows of checked files: only the record beside each."""
    monkeypatch.setattr(store_mod, "_CHECKED", {})


def test_a_new_process_trusts_the_record_the_last_one_left(
        tmp_path: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    db = _filled(tmp_path)
    assert quick_checks(checks) == 1
    record = tmp_path / (DB_NAME + store_mod.CHECKED_SUFFIX)
    assert record.exists() and record.stat().st_mode & 0o777 == 0o600
    for _ in range(3):  # each a timer's run: reads and writes, checks nothing
        new_process(monkeypatch)
        with Store(tmp_path) as st, st.transaction():
            st.set_meta("k", os.urandom(8).hex())
    assert quick_checks(checks) == 1
    # Written by another program since: checked again.
    new_process(monkeypatch)
    written_over(db, db.read_bytes())
    with Store(tmp_path):
        pass
    assert quick_checks(checks) == 2
    # Failed in use: the record goes, and the next process checks.
    distrust(db)
    assert not record.exists()
    new_process(monkeypatch)
    with Store(tmp_path):
        pass
    assert quick_checks(checks) == 3


def test_a_new_process_checks_a_day_after_the_last_check(
        tmp_path: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _filled(tmp_path)
    new_process(monkeypatch)
    later = store_mod.time.time() + store_mod.CHECK_EVERY + 1
    monkeypatch.setattr(store_mod.time, "time", lambda: later)
    with Store(tmp_path):
        pass
    assert quick_checks(checks) == 2


def test_a_file_damaged_behind_a_stale_record_is_caught(
        tmp_path: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    db = _filled(tmp_path)
    data = bytearray(db.read_bytes())
    data[4096 * 3:] = os.urandom(len(data) - 4096 * 3)
    other = tmp_path / "copy"
    other.write_bytes(bytes(data))
    os.replace(other, db)  # another inode: the record does not match
    new_process(monkeypatch)
    with pytest.raises(StateError, match="unreadable"):
        Store(tmp_path)
    assert not (tmp_path / (DB_NAME + store_mod.CHECKED_SUFFIX)).exists()


def test_the_daemon_trusts_what_a_command_wrote_and_left(
        tmp_path: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A long-running daemon and a `thankful done` in another process: the daemon's
    next open finds the file as the command left it, and does not read it all again."""
    _filled(tmp_path)
    daemon = dict(store_mod._CHECKED)
    new_process(monkeypatch)  # the command
    with Store(tmp_path) as st, st.transaction():
        st.set_meta("k", "done")
    monkeypatch.setattr(store_mod, "_CHECKED", daemon)  # back in the daemon
    with Store(tmp_path) as st:
        assert st.get_meta("k") == "done"
    assert quick_checks(checks) == 1
