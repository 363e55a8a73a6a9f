"""Issue 8, test 3: the user's mailbox is unchanged.

A 10,000-message mailbox (bench/mailgen.py: INBOX, Archive, a list folder, Sent, the
user's own drafts, a Trash with a message marked \\Deleted but not expunged, some
messages flagged, answered or with a keyword) with the demo's job search planted in
it, on a Dovecot that records every session after login (``rawlog_dir``). Every
message is digested (bytes by ``BODY.PEEK[]``, FLAGS, INTERNALDATE, by folder and
UID) before; thankful runs a first full scan (``lookback_days = "all"``), a rescan
right after and a rescan after a few new messages (one of them the offer, so that
rescan drafts too); then everything is digested again.

Passes when every message that was there before is identical, the only new messages
are the ones the test appended, thankful's drafts (in Drafts, flagged \\Draft) and its
reminder (in INBOX, the bytes the cycle reported), and thankful's sessions sent only
read-only commands: no STORE, EXPUNGE, COPY, MOVE, DELETE, RENAME (nor their UID
forms), no CREATE or SUBSCRIBE, no SELECT (only EXAMINE), and no FETCH of
``BODY[...]``, ``BINARY[...]``, ``RFC822`` or ``RFC822.TEXT`` (they set \\Seen).
Commands before login (CAPABILITY, STARTTLS, LOGIN) are not in a rawlog.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import imaplib
import re
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.test_imap_cycle import write_config
from thankful.config import load
from thankful.demo_data import build_demo
from thankful.service import CycleResult
from thankful.service import run_cycle

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from mailgen import Maker
from mailgen import fill

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TOTAL = 10_000
ARCHIVE, LIST_FOLDER = 800, 150

#: What a read-only client may send after login (the UID forms are classified apart).
ALLOWED = {"CAPABILITY", "NOOP", "LOGOUT", "ID", "ENABLE", "NAMESPACE", "LIST", "LSUB",
           "STATUS", "EXAMINE", "UNSELECT", "CLOSE", "CHECK", "SEARCH", "UID SEARCH",
           "FETCH", "UID FETCH", "APPEND", "IDLE", "DONE"}
FORBIDDEN = {"STORE", "EXPUNGE", "COPY", "MOVE", "DELETE", "RENAME", "UID STORE",
             "UID EXPUNGE", "UID COPY", "UID MOVE", "CREATE", "SUBSCRIBE", "UNSUBSCRIBE",
             "SELECT"}
#: FETCH items that set \Seen: BODY[...] and BINARY[...] without .PEEK, RFC822, RFC822.TEXT.
SETS_SEEN = re.compile(rb"(?<![.\w])(?:BODY|BINARY)\[|(?<![.\w])RFC822(?:\.TEXT)?(?![.\w])",
                       re.IGNORECASE)

Digest = dict[tuple[str, int], tuple[str, tuple[bytes, ...], bytes]]


# --- the record of commands -------------------------------------------------------------

def client_commands(rawlog_in: Path) -> list[bytes]:
    """The commands of one session's ``*.in`` rawlog, literals replaced by ``{n}``."""
    # Each line starts with a timestamp (a line continued in a later read does not).
    data = re.sub(rb"(?m)^\d+\.\d+ ", b"", rawlog_in.read_bytes())
    out, pos = [], 0
    while pos < len(data):
        cmd = b""
        while True:
            end = data.find(b"\r\n", pos)
            assert end >= 0, f"{rawlog_in.name}: unterminated line at {pos}"
            line, pos = data[pos:end], end + 2
            cmd += line
            lit = re.search(rb"\{(\d+)\+?\}$", line)
            if not lit:
                break
            pos += int(lit.group(1))  # the literal's bytes, then the rest of the command
        out.append(cmd)
    return out


def kind(cmd: bytes) -> str:
    """``FETCH``, ``UID FETCH``, ``DONE``, ...: what a command line is."""
    words = cmd.split(b" ", 3)
    if words[0].upper() == b"DONE":
        return "DONE"
    name = words[1].upper().decode() if len(words) > 1 else "?"
    if name == "UID" and len(words) > 2:
        return "UID " + words[2].upper().decode()
    return name


def sessions(user: ImapUser) -> set[Path]:
    return set((user.server.root / "home" / user.name / "rawlog").glob("*.in"))


# --- the digest ---------------------------------------------------------------------------

def plain(user: ImapUser) -> imaplib.IMAP4:
    """An admin session without TLS and imapclient's parsing: 150 MB go by twice."""
    conn = imaplib.IMAP4("127.0.0.1", user.server.imap_port, timeout=60)
    conn.login(user.name, user.password)
    return conn


def folders(conn: imaplib.IMAP4) -> list[str]:
    typ, data = conn.list()
    assert typ == "OK"
    out = []
    for line in data:
        assert isinstance(line, bytes)
        m = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) "?([^"]*)"?$', line)
        assert m, line
        if b"\\noselect" not in m.group(1).lower():
            out.append(m.group(2).decode())
    return out


def digest(user: ImapUser) -> tuple[Digest, dict[tuple[str, int], bytes]]:
    """(folder, UID) -> (sha256 of the bytes, FLAGS without \\Recent, INTERNALDATE); and the
    raw bytes of every message that carries a thankful header (for the checks after)."""
    conn = plain(user)
    out: Digest = {}
    ours: dict[tuple[str, int], bytes] = {}
    for folder in folders(conn):
        typ, _ = conn.select(f'"{folder}"', readonly=True)
        assert typ == "OK", folder
        typ, data = conn.uid("SEARCH", "ALL")
        uids = [int(u) for u in data[0].split()] if data and data[0] else []
        for i in range(0, len(uids), 500):
            chunk = uids[i:i + 500]
            typ, data = conn.uid("FETCH", f"{chunk[0]}:{chunk[-1]}",
                                 "(UID FLAGS INTERNALDATE BODY.PEEK[])")
            assert typ == "OK"
            for part in data:
                if not isinstance(part, tuple):
                    continue
                head, body = part
                m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\) INTERNALDATE \"([^\"]+)\"", head)
                assert m, head
                uid = int(m.group(1))
                flags = tuple(sorted(f for f in m.group(2).split() if f != b"\\Recent"))
                out[folder, uid] = (hashlib.sha256(body).hexdigest(), flags, m.group(3))
                if b"X-Thankful-" in body[:body.find(b"\r\n\r\n")]:
                    ours[folder, uid] = body
        conn.close()
    conn.logout()
    return out, ours


# --- the mailbox ----------------------------------------------------------------------------

def build(user: ImapUser, maker: Maker, planted: tuple[bytes, ...], sent: tuple[bytes, ...]
          ) -> None:
    """10,000 messages over INBOX, Archive, Lists/Rust, Sent, Drafts and Trash."""
    server = user.server
    home = server.root / "home" / user.name / "Maildir"
    extras = [(b"From: Alex Morgan <alex.morgan@example.net>\r\nTo: sam@example.org\r\n"
               b"Subject: half-written\r\nDate: Thu, 19 Mar 2026 09:00:00 +0100\r\n"
               b"Message-ID: <mine-%d@example.net>\r\n\r\nDear Sam,\r\n" % i, folder, flags)
              for i, (folder, flags) in enumerate((
                  ("Drafts", (b"\\Draft",)), ("Drafts", (b"\\Draft", b"\\Seen")),
                  ("Trash", (b"\\Seen",)), ("Trash", (b"\\Seen", b"\\Deleted")),
                  ("Trash", ())))]
    inbox = TOTAL - ARCHIVE - LIST_FOLDER - len(planted) - len(sent) - len(extras)
    fill(home, server.uid, server.gid, maker.stream(inbox), seed=1)
    fill(home, server.uid, server.gid,
         ((raw, email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"]), "")
          for raw in planted), seen=0.5, seed=2)
    fill(home / ".Archive", server.uid, server.gid, maker.stream(ARCHIVE), seed=3)
    fill(home / ".Lists.Rust", server.uid, server.gid, maker.stream(LIST_FOLDER), seed=4)
    admin = user.client()
    for folder in ("INBOX", "Archive", "Lists/Rust"):
        admin.select_folder(folder)  # read-write, once: Dovecot indexes the new files
    admin.select_folder("INBOX")
    uids = admin.search("ALL")
    admin.add_flags(uids[::97], [b"\\Flagged"])
    admin.add_flags(uids[::53], [b"\\Answered"])
    admin.add_flags(uids[::211], [b"$Forwarded"])
    for raw in sent:
        when = email.utils.parsedate_to_datetime(email.message_from_bytes(raw)["Date"])
        admin.append("Sent", raw, flags=(b"\\Seen",), msg_time=when)
    for raw, folder, flags in extras:
        admin.append(folder, raw, flags=flags)
    admin.logout()


def cycle(user: ImapUser, cfg: Path, record: set[Path]) -> tuple[CycleResult, float]:
    """One cycle, in process; its sessions' rawlogs go into ``record``."""
    before = sessions(user)
    t0 = time.perf_counter()
    result = run_cycle(load(cfg), NOW)
    took = time.perf_counter() - t0
    assert result.ok, result.errors
    record |= sessions(user) - before
    return result, took


def test_the_mailbox_is_unchanged(tmp_path: Path, server: Dovecot) -> None:
    user = ImapUser.new(server)
    data = build_demo(NOW)
    offer = next(m for m in data.inbox if b"Offer Letter" in m or b"delighted" in m)
    planted = tuple(m for m in data.inbox if m is not offer)
    t0 = time.perf_counter()
    maker = Maker(8, NOW)
    build(user, maker, planted, data.sent)
    t_build = time.perf_counter() - t0
    cfg = write_config(tmp_path, user, data)
    cfg.write_text(cfg.read_text().replace(
        'lookback_days = "all"', 'lookback_days = "all"\nfolders = ["INBOX", "Archive"]'))

    t0 = time.perf_counter()
    before, _ = digest(user)
    t_digest = time.perf_counter() - t0
    assert len(before) == TOTAL

    record: set[Path] = set()
    first, t_first = cycle(user, cfg, record)
    again, t_again = cycle(user, cfg, record)
    assert first.drafts and not again.drafts
    # A few new messages, the offer among them: the rescan drafts the offer's notes.
    admin = user.client()
    added = [offer, *(raw for raw, _when, _kind in Maker(9, NOW, years=1 / 365).stream(4))]
    for raw in added:
        admin.append("INBOX", raw, msg_time=NOW)
    admin.logout()
    rescan, t_rescan = cycle(user, cfg, record)
    assert rescan.drafts, "the offer gave no draft"

    after, ours = digest(user)

    # Every message that was there is still there, byte for byte, flag for flag.
    changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
    assert not changed, f"{len(changed)} messages changed, e.g. {next(iter(changed.items()))}"
    # The only new messages: ours, thankful's drafts in Drafts and its reminder in INBOX.
    new = {k: after[k] for k in after.keys() - before.keys()}
    added_sums = Counter(hashlib.sha256(raw).hexdigest() for raw in added)
    reminders = [r for r in (first.reminder, again.reminder, rescan.reminder) if r]
    reminder_sums = Counter(hashlib.sha256(msg).hexdigest() for _where, msg in reminders)
    drafts = {k: v for k, v in new.items() if k[0] == "Drafts"}
    others = Counter(v[0] for k, v in new.items() if k[0] != "Drafts")
    assert others == added_sums + reminder_sums, (others, added_sums, reminder_sums)
    assert all(k[0] == "INBOX" for k in new.keys() - drafts.keys())
    written = [*first.drafts, *again.drafts, *rescan.drafts]
    assert len(drafts) == len(written)
    for key, (_sha, flags, _date) in drafts.items():
        assert b"\\Draft" in flags, (key, flags)
        assert key in ours and b"X-Thankful-Note:" in ours[key], key
    subjects = {str(email.message_from_bytes(ours[k], policy=email.policy.default)["Subject"])
                for k in drafts}
    assert subjects == {d.subject for d in written}

    # Thankful's sessions sent only read-only commands.
    assert record, "no rawlog: rawlog_dir did not record thankful's sessions"
    commands = [c for path in sorted(record) for c in client_commands(path)]
    kinds = Counter(kind(c) for c in commands)
    assert not kinds.keys() & FORBIDDEN, kinds
    assert kinds.keys() <= ALLOWED, kinds
    seen = [c for c in commands if kind(c) in ("FETCH", "UID FETCH") and SETS_SEEN.search(c)]
    assert not seen, seen[:5]
    appends = Counter(re.match(rb'\S+ APPEND "?([^" ]+)', c).group(1)  # type: ignore[union-attr]
                      for c in commands if kind(c) == "APPEND")
    assert appends == {b"Drafts": len(written), b"INBOX": len(reminders)}, appends

    print(f"\nmessages before {len(before)}, after {len(after)}: {len(drafts)} drafts, "
          f"{len(reminders)} reminders, {len(added)} appended by the test; cycles "
          f"{t_first:.1f} s, {t_again:.1f} s, {t_rescan:.1f} s (build {t_build:.1f} s, "
          f"digest {t_digest:.1f} s); {len(record)} sessions, "
          f"{len(commands)} commands: {dict(sorted(kinds.items()))}")


def test_the_rawlog_parser_sees_literals_and_uid_forms(tmp_path: Path) -> None:
    raw = (b"1.5 a1 UID FETCH 1:3 (BODY.PEEK[HEADER])\r\n"
           b"1.6 a2 APPEND \"Drafts\" (\\Draft) {10}\r\n"
           b"1.6 a3 STORE\r\n"  # inside the literal: not a command
           b"1.6 \r\n"
           b"1.7 a4 idle\r\n1.9 DONE\r\n"
           b"2.0 a5 FETCH 1 (RFC822.SIZE RFC822)\r\n")
    path = tmp_path / "x.in"
    path.write_bytes(raw)
    cmds = client_commands(path)
    assert [kind(c) for c in cmds] == ["UID FETCH", "APPEND", "IDLE", "DONE", "FETCH"]
    assert not SETS_SEEN.search(cmds[0]) and SETS_SEEN.search(cmds[-1])
    assert not SETS_SEEN.search(b"a FETCH 1 (RFC822.SIZE RFC822.HEADER BODY.PEEK[])")
    assert SETS_SEEN.search(b"a FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])")
