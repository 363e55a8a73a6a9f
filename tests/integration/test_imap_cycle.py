"""Whole cycles against a real Dovecot: the demo's job search loaded by APPEND.

The same search written as a Maildir must give the same notes and drafts; the user's
mail must come out byte-for-byte and flag-for-flag as it went in; a rerun, a new
UIDVALIDITY and a server killed mid-cycle must never give a second draft.
"""

from __future__ import annotations

import email
import email.utils
import hashlib
import os
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.dovecot import running
from thankful.adapters import helper_process
from thankful.adapters.imap import ImapStore
from thankful.config import AccountConfig
from thankful.config import Config
from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import DemoData
from thankful.demo_data import build_demo
from thankful.service import CycleResult
from thankful.service import run_cycle

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def load_demo(user: ImapUser, data: DemoData) -> None:
    """INBOX (every other message unread) and Sent, dated as the messages are."""
    admin = user.client()
    for folder, msgs in (("INBOX", data.inbox), ("Sent", data.sent)):
        for i, raw in enumerate(msgs):
            date = email.message_from_bytes(raw)["Date"]
            when = email.utils.parsedate_to_datetime(date) if date else None
            seen = folder == "Sent" or i % 2 == 0
            admin.append(folder, raw, flags=(b"\\Seen",) if seen else (), msg_time=when)
    admin.logout()


def write_config(tmp_path: Path, user: ImapUser, data: DemoData) -> Path:
    cal = tmp_path / "calendar"
    cal.mkdir()
    for name, ics in data.calendar:
        (cal / name).write_bytes(ics)
    account = user.toml_account(extra='lookback_days = "all"\n')
    addresses = ", ".join(f'"{a}"' for a in data.addresses)
    employers = ", ".join(f'"{d}"' for d in data.employer_domains)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""state_dir = "state"
[identity]
name = "{data.identity_name}"
addresses = [{addresses}]
employer_domains = [{employers}]
timezone = "{data.timezone}"

{account}
[[calendars]]
name = "demo"
kind = "ics"
location = "calendar"

[etiquette]
backfill_days = 30
""")
    os.chmod(cfg, 0o600)
    return cfg


def digest(user: ImapUser) -> dict[str, tuple[str, tuple[bytes, ...]]]:
    """Every message's bytes and flags, by folder and UID, seen through an admin session."""
    admin = user.client()
    out = {}
    for _flags, _sep, folder in admin.list_folders():
        admin.select_folder(folder, readonly=True)
        uids = admin.search("ALL")
        for uid, d in admin.fetch(uids, ["FLAGS", "BODY.PEEK[]"]).items():
            flags = tuple(sorted(f for f in d[b"FLAGS"] if f != b"\\Recent"))
            out[f"{folder}/{uid}"] = (hashlib.sha256(d[b"BODY[]"]).hexdigest(), flags)
    admin.logout()
    return out


def count(user: ImapUser, folder: str) -> int:
    admin = user.client()
    n = int(admin.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])
    admin.logout()
    return n


def owed(result: CycleResult) -> set[tuple[str, str]]:
    return {(n.occasion, n.recipient.email or n.recipient.name) for n in result.notes
            if n.state != "history"}


def drafts(result: CycleResult) -> set[tuple[str, str]]:
    return {(d.to, d.subject) for d in result.drafts}


@pytest.fixture
def demo(tmp_path: Path, imap_user: ImapUser) -> tuple[ImapUser, Config, DemoData]:
    data = build_demo(NOW)
    load_demo(imap_user, data)
    return imap_user, load(write_config(tmp_path, imap_user, data)), data


def test_same_notes_and_drafts_as_on_maildir(tmp_path: Path,
                                             demo: tuple[ImapUser, Config, DemoData]) -> None:
    user, cfg, data = demo
    maildir = run_cycle(load(write_search(tmp_path / "md", data, NOW)), NOW)
    before = digest(user)
    result = run_cycle(cfg, NOW)
    assert result.ok, result.errors
    assert owed(result) == owed(maildir) and owed(result)
    assert drafts(result) == drafts(maildir) and result.drafts
    assert (result.reminder is None) == (maildir.reminder is None)
    # Nothing of the user's changed: no flag, no byte; only drafts and a reminder added.
    after = digest(user)
    assert {k: after[k] for k in before} == before
    added = sorted(k.split("/")[0] for k in set(after) - set(before))
    assert added == sorted(["Drafts"] * len(result.drafts) + ["INBOX"] * bool(result.reminder))
    for key in set(after) - set(before):
        if key.startswith("Drafts/"):
            assert after[key][1] == (b"\\Draft", b"\\Seen")
        else:
            assert b"\\Seen" not in after[key][1]


def test_a_helper_process_gives_the_same_cycle(
        tmp_path: Path, demo: tuple[ImapUser, Config, DemoData],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large first scan has a second process judge header blocks and read messages
    whole: the notes and drafts are the ones of a scan done in one process (here every
    chunk of four header blocks, or two messages, may go to it)."""
    _user, cfg, data = demo
    alone = run_cycle(load(write_search(tmp_path / "md", data, NOW)), NOW)
    assert alone.counts.get("headers_judged_by_helper", 0) == 0
    monkeypatch.setattr(helper_process, "START_AFTER", 0)
    monkeypatch.setattr(helper_process, "READ_START_AT", 0)
    monkeypatch.setattr(helper_process, "CHUNK", 4)
    monkeypatch.setattr(helper_process, "READ_CHUNK", 2)
    monkeypatch.setattr(helper_process, "_cores", lambda: 2)
    result = run_cycle(cfg, NOW)
    assert result.ok, result.errors
    assert result.counts.get("headers_judged_by_helper", 0) > 0
    assert result.counts.get("messages_read_by_helper", 0) > 0
    assert owed(result) == owed(alone) and drafts(result) == drafts(alone)
    # Its own reminder, which the helper leaves to this process, is known as its own.
    second = run_cycle(cfg, NOW + timedelta(minutes=10))
    assert second.ok and second.drafts == [] and second.reminder is None
    assert second.counts.get("headers_read", 0) == 1


def test_second_cycle_appends_nothing(demo: tuple[ImapUser, Config, DemoData]) -> None:
    user, cfg, _ = demo
    first = run_cycle(cfg, NOW)
    assert first.ok and first.drafts
    before = digest(user)
    second = run_cycle(cfg, NOW + timedelta(minutes=10))
    assert second.ok, second.errors
    assert second.drafts == [] and second.reminder is None
    # Only the reminder it delivered is new, and its headers say it is its own.
    assert second.counts.get("headers_read", 0) == 1
    assert second.counts.get("messages_read", 0) == 0
    assert digest(user) == before


def test_new_uidvalidity_gives_no_duplicate(demo: tuple[ImapUser, Config, DemoData]) -> None:
    user, cfg, _ = demo
    first = run_cycle(cfg, NOW)
    assert first.ok and first.drafts
    n_drafts, n_inbox = count(user, "Drafts"), count(user, "INBOX")
    # INBOX and Sent get a new UIDVALIDITY in place; Drafts is deleted and recreated
    # with its messages, as a user moving folders around would.
    for n, folder in enumerate(("INBOX", "Sent")):
        user.server.doveadm("mailbox", "update", "-u", user.name, "--uid-validity",
                            str(1_000_001 + n), folder)
    admin = user.client()
    admin.select_folder("Drafts")
    saved = admin.fetch(admin.search("ALL"), ["BODY.PEEK[]", "FLAGS"])
    admin.close_folder()
    admin.delete_folder("Drafts")
    admin.create_folder("Drafts")
    for d in saved.values():
        admin.append("Drafts", d[b"BODY[]"], flags=[f for f in d[b"FLAGS"]
                                                    if f != b"\\Recent"])
    admin.logout()
    store = ImapStore(cfg.accounts[0])
    store.open()
    old_ident = first.drafts[0].ident
    assert store.read("Drafts", old_ident) is None  # the old ident is gone
    store.close()
    again = run_cycle(cfg, NOW + timedelta(minutes=10))
    assert again.ok, again.errors
    assert again.counts.get("headers_read", 0) >= n_inbox  # everything reread
    assert again.drafts == [] and again.reminder is None
    assert count(user, "Drafts") == n_drafts and count(user, "INBOX") == n_inbox


class _Killer:
    """A store factory whose store stops the server at a chosen point of the cycle."""

    def __init__(self, server: Dovecot, when: str) -> None:
        self.server, self.when, self.done = server, when, False

    def __call__(self, acc: AccountConfig) -> ImapStore:
        killer = self

        class Store(ImapStore):
            def read(self, folder: str, ident: str, *, headers_only: bool = False) -> Any:
                if killer.when == "scan" and not killer.done:
                    killer.done = True
                    killer.server.stop()
                return super().read(folder, ident, headers_only=headers_only)

            def append_draft(self, data: bytes) -> str:
                if killer.when == "append" and not killer.done:
                    killer.done = True
                    killer.server.stop()
                return super().append_draft(data)

        return Store(acc)


def _killed_mid_cycle(tmp_path: Path, when: str) -> None:
    data = build_demo(NOW)
    with running() as server:
        user = ImapUser.new(server)
        load_demo(user, data)
        cfg = load(write_config(tmp_path, user, data))
        cut = run_cycle(cfg, NOW, store_factory=_Killer(server, when))
        assert not cut.ok and cut.errors[0][0] == "demo"
        assert "connection" in cut.errors[0][1] or "refused" in cut.errors[0][1]
        assert cut.drafts == []
        server.start()
        again = run_cycle(cfg, NOW + timedelta(minutes=1))
        assert again.ok, again.errors
        assert again.drafts
        third = run_cycle(cfg, NOW + timedelta(minutes=2))
        assert third.drafts == []
        assert count(user, "Drafts") == len(again.drafts)


def test_server_killed_mid_scan_ends_the_cycle_cleanly(tmp_path: Path) -> None:
    _killed_mid_cycle(tmp_path, "scan")


def test_server_killed_before_an_append_ends_the_cycle_cleanly(tmp_path: Path) -> None:
    _killed_mid_cycle(tmp_path, "append")


def test_a_rescan_with_nothing_new_never_loads_imapclient(
        tmp_path: Path, imap_user: ImapUser) -> None:
    """As a timer runs it (a new process): LOGIN, LIST and a STATUS per folder through
    imaplib alone, and a quiet cycle (no rules, no drafts)."""
    import json
    import subprocess
    import sys

    data = build_demo(NOW)
    load_demo(imap_user, data)
    path = write_config(tmp_path, imap_user, data)
    heavy = ("imapclient", "thankful.core.rules", "thankful.core.compose", "email.parser")
    script = ("import json, sys\nfrom thankful.cli import main\ncode = main(sys.argv[1:])\n"
              f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))\n"
              "sys.exit(code)\n")

    def scan() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, "scan", "--once", "--now",
                               NOW.isoformat(), "--config", str(path)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)

    first = scan()  # drafts and a reminder: imapclient is needed to write them
    assert first.returncode == 0, first.stderr
    assert "imapclient" in json.loads(first.stdout.splitlines()[-1])
    second = scan()  # reads what the first wrote
    assert second.returncode == 0, second.stderr
    quiet = scan()
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert json.loads(quiet.stdout.splitlines()[-1]) == []
    # The same report as the cycle before, which derived the notes.
    assert quiet.stdout.splitlines()[1:-1] == second.stdout.splitlines()[1:-1]
    assert "Who is owed a thank-you note" in quiet.stdout


def test_a_message_missing_from_the_fetch_answer_is_read_next_cycle(
        tmp_path: Path, demo: tuple[ImapUser, Config, DemoData],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A message the survey listed but whose FETCH answer did not come (expunged
    meanwhile, or a response that could not be read; here the referral) is neither
    recorded nor passed by the folder's token: the next cycle finds it, although only
    the cycle's own reminder was added since (which alone reads as "added since")."""
    import thankful.adapters.imap as imap_adapter

    _, cfg, data = demo
    want = owed(run_cycle(load(write_search(tmp_path / "md", data, NOW)), NOW))
    real = imap_adapter.parse_fetch
    dropped: list[int] = []

    def lossy(data: Any, known: tuple[bytes, ...] = ()) -> Any:
        got = real(data, known)
        for f in got:
            head = next(iter(f.literals.values()), b"")
            if known and not dropped and b"from: sam okafor" in head.lower():
                dropped.append(f.uid)
                return [g for g in got if g is not f]
        return got

    monkeypatch.setattr(imap_adapter, "parse_fetch", lossy)
    first = run_cycle(cfg, NOW)
    assert dropped and first.ok, first.errors
    assert ("offer", "sam.okafor.dev@gmail.com") in want - owed(first)  # the referral's
    monkeypatch.setattr(imap_adapter, "parse_fetch", real)
    second = run_cycle(cfg, NOW + timedelta(minutes=5))
    assert second.ok, second.errors
    assert owed(second) == want
