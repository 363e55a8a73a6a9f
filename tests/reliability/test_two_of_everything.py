"""Issue 8, test 9: two of everything.

Two daemons started at the same moment on one state directory, a hundred times: exactly
one runs (it says READY=1 on its own notify socket), the other exits 2 naming the
winner's PID. The daemons are real ``thankful run`` processes, each with a notify
socket of its own, forked from a helper that imported thankful once
(:class:`reliability.forkrun.Forker`: a fresh Python per daemon would take ~0.4 s of
CPU each); the two of a pair are held at a gate once forked and let go together, so
they race for the lock for real. Two accounts that both hold the same person's
interview mail (two Maildir trees; a Maildir tree and an IMAP mailbox): exactly one
note per person and one draft per note, in one of the two Drafts folders, and nothing
more on a second cycle.
"""

from __future__ import annotations

import email
import mailbox
import os
import shutil
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reliability.forkrun import TIMED_OUT
from reliability.forkrun import Command
from reliability.forkrun import Forker
from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import build_demo
from thankful.service import run_cycle

pytestmark = pytest.mark.integration

PAIRS = 100
AT_ONCE = 5  # pairs going at a time (each pair: two daemons let go in the same instant)


def _minimal(root: Path) -> Path:
    """A user with an empty Maildir: the daemon's first cycle is quick."""
    mail = mailbox.Maildir(root / "mail", create=True)
    mail.add_folder("Sent")
    cfg = root / "config.toml"
    cfg.write_text('state_dir = "state"\n[identity]\nname = "Alex Morgan"\n'
                   'addresses = ["alex.morgan@example.net"]\n'
                   '[[accounts]]\nname = "home"\nkind = "maildir"\npath = "mail"\n')
    os.chmod(cfg, 0o600)
    return cfg


class Racer:
    """One ``thankful run`` with a notify socket of its own; its output in ``NAME.out``."""

    def __init__(self, cfg: Path, root: Path, name: str) -> None:
        sock_path = root / f"{name}.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(sock_path))
        self.sock.setblocking(False)
        self.command = Command(["run", "--config", str(cfg)], out=root / f"{name}.out",
                               env={"NOTIFY_SOCKET": str(sock_path)})
        self.pid = 0
        self.status: int | None = None  # the exit status, once it ended
        self.ready = False

    def poll_ready(self) -> bool:
        try:
            while True:
                if self.sock.recv(4096).startswith(b"READY=1"):
                    self.ready = True
        except BlockingIOError:
            pass
        return self.ready

    def output(self) -> str:
        return self.command.out.read_text() if self.command.out.exists() else ""


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    f = Forker()
    yield f
    f.close()


def _finish(forker: Forker, r: Racer) -> str:
    """The daemon's output once it ended (killed, and the test failed, after 30 s)."""
    if r.status is None:
        r.status = forker.wait(r.pid, timeout=30)
    if r.status == TIMED_OUT:
        pytest.fail(f"PID {r.pid} (ready: {r.ready}) did not end: {r.output()[-3000:]}")
    return r.output()


def test_two_daemons_at_once_a_hundred_times(tmp_path: Path, forker: Forker) -> None:
    started = time.monotonic()
    outcomes: list[tuple[int, int]] = []  # (winner's exit status, loser's)
    first_won = 0  # how often the first forked of a pair won: both should win at times
    for batch in range(0, PAIRS, AT_ONCE):
        pairs = []
        for i in range(batch, min(PAIRS, batch + AT_ONCE)):
            root = tmp_path / f"p{i}"
            root.mkdir()
            cfg = _minimal(root)
            pairs.append((Racer(cfg, root, "a"), Racer(cfg, root, "b")))
        for a, b in pairs:
            a.pid, b.pid = forker.spawn_together([a.command, b.command])
        deadline = time.monotonic() + 60
        pending = list(pairs)
        while pending and time.monotonic() < deadline:
            racers = [r for pair in pending for r in pair if r.status is None]
            for r, status in zip(racers, forker.poll([r.pid for r in racers]), strict=True):
                r.status = status
            for a, b in list(pending):
                a.poll_ready()
                b.poll_ready()
                ready = [r for r in (a, b) if r.ready]
                done = [r for r in (a, b) if r.status is not None]
                if ready and done:
                    pending.remove((a, b))
                    if ready[0].status is None:  # unreaped: the PID is still the daemon's
                        os.kill(ready[0].pid, signal.SIGTERM)
            time.sleep(0.01)
        assert not pending, "a pair had no daemon READY and one daemon exited within 60 s"
        for a, b in pairs:
            assert [a.ready, b.ready].count(True) == 1, "exactly one daemon runs"
            winner, loser = (a, b) if a.ready else (b, a)
            lerr, werr = _finish(forker, loser), _finish(forker, winner)
            assert loser.status == 2, lerr
            assert f"PID {winner.pid}" in lerr, lerr
            assert winner.status == 0, werr[-2000:]
            assert "Traceback" not in werr + lerr
            outcomes.append((winner.status, loser.status))
            first_won += winner is a
            a.sock.close()
            b.sock.close()
    assert outcomes == [(0, 2)] * PAIRS
    print(f"\n{PAIRS} pairs in {time.monotonic() - started:.1f} s; "
          f"the first forked of a pair won {first_won} times")


# --- the same mail in two accounts ------------------------------------------------------

NOW = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)


def _drafts(paths: list[Path]) -> list[email.message.Message]:
    out = []
    for p in paths:
        for sub in ("cur", "new"):
            if (p / sub).is_dir():
                out += [email.message_from_bytes(f.read_bytes()) for f in (p / sub).iterdir()]
    return out


def _imap_drafts(client: object) -> list[email.message.Message]:
    c: object = client
    c.select_folder("Drafts", readonly=True)  # type: ignore[attr-defined]
    uids = c.search("ALL")  # type: ignore[attr-defined]
    if not uids:
        return []
    got = c.fetch(uids, ["BODY.PEEK[]"])  # type: ignore[attr-defined]
    return [email.message_from_bytes(d[b"BODY[]"]) for d in got.values()]


@pytest.mark.parametrize("second", ["maildir", "imap"])
def test_the_same_interview_in_two_accounts_gives_one_note_and_one_draft(
        tmp_path: Path, second: str) -> None:
    data = build_demo(NOW)
    cfg_path = write_search(tmp_path / "s", data, NOW)
    text = cfg_path.read_text()
    client = None
    if second == "maildir":
        # The same mail, copied by the user's sync tool into a second tree.
        shutil.copytree(tmp_path / "s" / "mail", tmp_path / "s" / "mail2")
        shutil.rmtree(tmp_path / "s" / "mail2" / ".Drafts", ignore_errors=True)
        text += ('\n[[accounts]]\nname = "copy"\nkind = "maildir"\npath = "mail2"\n'
                 'lookback_days = "all"\n')
    else:
        from integration.dovecot import ImapUser
        from integration.dovecot import shared

        user = ImapUser.new(shared())
        client = user.client()
        for raw in data.inbox:
            client.append("INBOX", raw, flags=(b"\\Seen",))
        for raw in data.sent:
            client.append("Sent", raw, flags=(b"\\Seen",))
        text += "\n" + user.toml_account(name="copy", extra='lookback_days = "all"\n')
    cfg_path.write_text(text)
    cfg = load(cfg_path)
    assert [a.name for a in cfg.accounts] == ["demo", "copy"]

    first = run_cycle(cfg, NOW)
    assert first.ok, first.errors
    expected = len(data.expected_notes)
    owed = [n for n in first.notes if n.state in ("ready", "drafted")]
    assert len(owed) == expected
    people = Counter((n.recipient.email, n.occasion, n.occasion_start) for n in owed)
    assert max(people.values()) == 1, people

    def all_drafts() -> list[email.message.Message]:
        found = _drafts([tmp_path / "s" / "mail" / ".Drafts",
                         tmp_path / "s" / "mail2" / ".Drafts"])
        return found + (_imap_drafts(client) if client is not None else [])

    drafts = all_drafts()
    hashes = Counter(str(m["X-Thankful-Note"]) for m in drafts)
    tos = Counter(str(m["To"]) for m in drafts)
    # A draft per person (their notes together), each note in exactly one draft.
    recipients = {n.recipient.email for n in owed}
    assert len(drafts) == len(first.drafts) == len(recipients), (len(drafts), recipients)
    in_drafts = Counter(i for d in first.drafts for i in d.note_ids)
    assert set(in_drafts) == {n.id for n in owed} and max(in_drafts.values()) == 1
    assert max(hashes.values()) == 1 and max(tos.values()) == 1, (hashes, tos)
    # The next cycles see both copies again, and the draft in one Drafts folder: nothing new.
    for _ in range(2):
        again = run_cycle(load(cfg_path), NOW + timedelta(minutes=10))
        assert again.ok and not again.drafts, again.errors
    assert len(all_drafts()) == len(recipients)
    if client is not None:
        client.logout()
