"""The SQLite state store: schema, permissions, transactions, refusal of bad files."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from thankful.adapters.store import DB_NAME
from thankful.adapters.store import MIGRATIONS
from thankful.adapters.store import Store
from thankful.core.model import Detection
from thankful.core.model import Person
from thankful.core.rules import Outgoing
from thankful.core.rules import Signal
from thankful.core.rules import ThreadRef
from thankful.errors import StateError

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def test_files_are_private_and_schema_versioned(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Store(state):
        pass
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state / DB_NAME).st_mode) == 0o600
    conn = sqlite3.connect(state / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.commit()
    conn.close()
    with pytest.raises(StateError, match="newer thankful"):
        Store(tmp_path)


def test_garbage_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="unreadable"):
        Store(tmp_path)
    assert (tmp_path / DB_NAME).read_bytes().startswith(b"this is not")


def test_signals_round_trip_and_the_users_word_stands(tmp_path: Path) -> None:
    det = Detection(kind="offer", company="Acme", confidence=0.5,
                    people=(Person(name="Rita", email="rita@acme.example", role="recruiter"),),
                    reasons=("subject says offer",))
    sig = Signal(ident="mail:a:<1@x>", at=NOW, detection=det,
                 thread=ThreadRef(message_id="<1@x>", subject="Offer",
                                  participants=frozenset({"rita@acme.example"}), date=NOW))
    with Store(tmp_path) as st:
        with st.transaction():
            st.put_signal(sig, "review", "r1")
        assert st.signals() == []
        [(rid, _, back)] = st.review_items()
        assert rid == "r1" and back == sig
        with st.transaction():
            assert st.set_review("r1", "accepted") == 1
        with st.transaction():
            st.put_signal(sig, "review", "r1")  # read again: the acceptance stays
        assert st.signals() == [sig]


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    with Store(tmp_path) as st:
        st.begin_dry_run()
        with st.transaction():
            st.set_meta("k", "v")
        out = Outgoing(recipients=frozenset({"a@b"}), date=NOW)
        with st.transaction():
            st.put_outgoing("acc", "Sent", "sent", "1", out)
        assert st.outgoing("sent") == [out]
    with Store(tmp_path) as st:
        assert st.get_meta("k") is None and st.outgoing("sent") == []


def test_readonly_on_a_missing_state_dir_creates_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "none", readonly=True) as st:
        assert st.notes() == []
    assert not (tmp_path / "none").exists()


def test_a_migration_another_process_applied_meanwhile_is_not_applied_again(
        tmp_path: Path) -> None:
    """Two processes open a state written by an older thankful: the second read the
    old version before the first moved it on, and must not fail on the triggers."""
    with Store(tmp_path) as st, st.transaction():
        st.set_meta("k", "v")
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")  # as the second saw it
    conn.commit()
    conn.close()
    with Store(tmp_path) as st:
        assert st.get_meta("k") == "v"
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_older_states_get_the_quiet_triggers(tmp_path: Path) -> None:
    """A state of schema 2 (before quiet cycles) is moved on, its data kept."""
    conn = sqlite3.connect(tmp_path / DB_NAME)
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO ignores VALUES('acme', '2026-01-01')")
    conn.commit()
    conn.close()
    with Store(tmp_path) as st:
        assert st.ignores() == frozenset({"acme"})
        with st.transaction():
            st.set_quiet({"since": "x"})
        assert st.quiet() == {"since": "x"}
        with st.transaction():
            st.add_ignore("globex", NOW)
        assert st.quiet() is None
