"""The MailStore contract, run against every adapter: Maildir++, verbatim Maildir, IMAP.

Each backend comes with a small harness that can look behind the adapter's back (the
files on disk, or an admin IMAP session): a digest of every message's bytes and flags,
a message's flags, and a way to add a message or mark everything read as a mail
client would. The IMAP case runs against the integration tests' Dovecot.
"""

from __future__ import annotations

import hashlib
import mailbox
import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from typing import ClassVar
from typing import Protocol

import pytest

from thankful.adapters.maildir import MaildirStore
from thankful.errors import PermanentSourceError
from thankful.ports import MailStore


def message(n: int) -> bytes:
    m = EmailMessage()
    m["From"] = f"Sender {n} <s{n}@example.org>"
    m["To"] = "alex@example.net"
    m["Subject"] = f"Message {n}"
    m["Message-ID"] = f"<m{n}@example.org>"
    m.set_content(f"Body {n}\n" * 20)
    return m.as_bytes()


def draft(n: int) -> bytes:
    m = EmailMessage()
    m["From"] = "alex@example.net"
    m["To"] = f"person{n}@example.org"
    m["Subject"] = f"Thank you {n}"
    m["X-Thankful-Note"] = hashlib.sha256(str(n).encode()).hexdigest()[:32]
    m["X-Thankful-Kind"] = "draft"
    m.set_content("Thank you.\n")
    return m.as_bytes()


class Harness(Protocol):
    store: MailStore

    def digest(self) -> dict[str, Any]: ...
    def flags(self, folder: str, ident: str) -> set[str]: ...
    def add(self, folder: str, data: bytes) -> None: ...
    def mark_all_read(self, folder: str) -> None: ...
    def remove(self, folder: str, ident: str) -> None: ...


# --- Maildir ---------------------------------------------------------------------------

def make_tree(root: Path, layout: str) -> None:
    inbox = mailbox.Maildir(root, create=True)
    for n in range(3):
        inbox.add(message(n))  # into new/, unseen
    msg = mailbox.MaildirMessage(message(9))
    msg.set_subdir("cur")
    msg.set_flags("S")
    inbox.add(msg)
    sent = root / (".Sent" if layout == "maildir++" else "Sent")
    for sub in ("cur", "new", "tmp"):
        (sent / sub).mkdir(parents=True)


class MaildirHarness:
    _FLAGS: ClassVar[dict[str, str]] = {"D": "draft", "S": "seen", "F": "flagged",
                                        "R": "answered"}

    def __init__(self, root: Path, layout: str) -> None:
        make_tree(root, layout)
        self.store = MaildirStore(name="t", address="alex@example.net", path=root, layout=layout)

    def digest(self) -> dict[str, Any]:
        out = {}
        for dirpath, _, files in os.walk(self.store.root):
            for f in files:
                p = Path(dirpath) / f
                out[str(p.relative_to(self.store.root))] = hashlib.sha256(
                    p.read_bytes()).hexdigest()
        return out

    def flags(self, folder: str, ident: str) -> set[str]:
        path = self.store.folder_path(folder)
        for sub in ("new", "cur"):
            for f in os.listdir(path / sub):
                if f.startswith(ident):
                    info = f.split(":2,", 1)[1] if ":2," in f else ""
                    return {self._FLAGS[c] for c in info if c in self._FLAGS}
        raise KeyError(ident)

    def add(self, folder: str, data: bytes) -> None:
        mailbox.Maildir(self.store.folder_path(folder), create=False).add(data)
        # Two adds within one clock tick must still change the token.
        os.utime(self.store.folder_path(folder) / "new", ns=(1, 1))

    def mark_all_read(self, folder: str) -> None:
        root = self.store.folder_path(folder)
        for f in os.listdir(root / "new"):  # what a mail client does on reading
            os.rename(root / "new" / f, root / "cur" / (f + ":2,S"))

    def remove(self, folder: str, ident: str) -> None:
        root = self.store.folder_path(folder)
        for sub in ("new", "cur"):
            for f in os.listdir(root / sub):
                if f.split(":", 1)[0] == ident:
                    os.unlink(root / sub / f)
        os.utime(root / "cur", ns=(2, 2))
        os.utime(root / "new", ns=(2, 2))


# --- IMAP ------------------------------------------------------------------------------

class ImapHarness:
    def __init__(self) -> None:
        from integration.dovecot import ImapUser
        from integration.dovecot import shared
        from thankful.adapters.imap import ImapStore

        self.user = ImapUser.new(shared())
        self.admin = self.user.client()
        for n in range(3):
            self.admin.append("INBOX", message(n))
        self.admin.append("INBOX", message(9), flags=(b"\\Seen",))
        self.store = ImapStore(self.user.account())

    def digest(self) -> dict[str, Any]:
        out = {}
        for _flags, _sep, folder in self.admin.list_folders():
            self.admin.select_folder(folder, readonly=True)
            uids = self.admin.search("ALL")
            for uid, d in self.admin.fetch(uids, ["FLAGS", "BODY.PEEK[]"]).items():
                out[f"{folder}/{uid}"] = (hashlib.sha256(d[b"BODY[]"]).hexdigest(),
                                          sorted(f for f in d[b"FLAGS"] if f != b"\\Recent"))
        return out

    def flags(self, folder: str, ident: str) -> set[str]:
        self.admin.select_folder(folder, readonly=True)
        uid = int(ident.split(":")[1])
        got = self.admin.fetch([uid], ["FLAGS"])[uid][b"FLAGS"]
        return {f.decode().lstrip("\\").lower() for f in got} - {"recent"}

    def add(self, folder: str, data: bytes) -> None:
        self.admin.append(folder, data)

    def mark_all_read(self, folder: str) -> None:
        self.admin.select_folder(folder)
        self.admin.add_flags(self.admin.search("ALL"), [b"\\Seen"])
        self.admin.unselect_folder()

    def remove(self, folder: str, ident: str) -> None:
        self.admin.select_folder(folder)
        self.admin.delete_messages([int(ident.split(":")[1])])
        self.admin.expunge()
        self.admin.unselect_folder()


@pytest.fixture(params=["maildir++", "verbatim",
                        pytest.param("imap", marks=pytest.mark.integration)])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    h: Harness
    if request.param == "imap":
        h = ImapHarness()
    else:
        h = MaildirHarness(tmp_path / "mail", request.param)
    h.store.open()
    yield h
    h.store.close()


class TestMailStoreContract:
    def test_reading_changes_nothing(self, harness: Harness) -> None:
        store = harness.store
        before = harness.digest()
        for e in store.entries("INBOX"):
            assert store.read("INBOX", e.ident)
            assert store.read("INBOX", e.ident, headers_only=True)
        store.token("INBOX")
        store.entries(store.sent_folder())
        assert harness.digest() == before

    def test_entries_have_sizes_and_times(self, harness: Harness) -> None:
        entries = harness.store.entries("INBOX")
        assert len(entries) == 4 and len({e.ident for e in entries}) == 4
        for e in entries:
            raw = harness.store.read("INBOX", e.ident)
            assert raw is not None and abs(e.size - len(raw)) <= len(raw) // 10 + 40
            assert e.timestamp > 1e9

    def test_headers_only_stops_at_the_blank_line(self, harness: Harness) -> None:
        e = harness.store.entries("INBOX")[0]
        head = harness.store.read("INBOX", e.ident, headers_only=True)
        assert head is not None and b"Body" not in head
        assert head.replace(b"\r\n", b"\n").endswith(b"\n\n")

    def test_unknown_ident_reads_as_none(self, harness: Harness) -> None:
        harness.store.entries("INBOX")
        assert harness.store.read("INBOX", "123:456") is None

    def test_idents_survive_a_flag_change(self, harness: Harness) -> None:
        before = {e.ident for e in harness.store.entries("INBOX")}
        harness.mark_all_read("INBOX")
        assert {e.ident for e in harness.store.entries("INBOX")} == before

    def test_survey_gives_every_new_message_with_its_headers(self, harness: Harness) -> None:
        store = harness.store
        before = harness.digest()
        survey = store.survey("INBOX", set, None)
        got = [h for batch in survey.batches for h in batch]
        assert survey.present == {h.entry.ident for h in got} and len(got) == 4
        for h in got:
            assert h.head is not None and b"Subject: Message" in h.head
            assert h.head.replace(b"\r\n", b"\n").endswith(b"\n\n") and b"Body" not in h.head
            assert h.entry.timestamp > 1e9 and h.entry.size > len(h.head)
        again = store.survey("INBOX", lambda: survey.present or set(), None)
        assert [h for batch in again.batches for h in batch] == []
        starts = store.previews("INBOX", [h.entry.ident for h in got], 6)
        assert sorted(starts.values()) == [b"Body 0", b"Body 1", b"Body 2", b"Body 9"]
        assert harness.digest() == before

    def test_a_survey_left_after_its_first_batch_leaves_the_store_in_step(
            self, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        # One message per batch: the IMAP store has asked for the second (pipelined)
        # when the first is handed over; leaving must not leave that answer unread.
        monkeypatch.setattr("thankful.adapters.imap.SURVEY_BATCH", 1)
        monkeypatch.setattr("thankful.adapters.maildir._SURVEY_BATCH", 1)
        store = harness.store
        survey = store.survey("INBOX", set, None)
        assert len(next(survey.batches)) == 1
        close = getattr(survey.batches, "close", None)
        if close is not None:
            close()
        for e in store.entries("INBOX"):
            data = store.read("INBOX", e.ident)
            assert data is not None and data.count(b"Subject: Message") == 1
        again = store.survey("INBOX", set, None)
        heads = [h.head for batch in again.batches for h in batch]
        assert len(heads) == 4 and all(h and b"Subject: Message" in h for h in heads)

    def test_a_survey_after_additions_gives_just_those(self, harness: Harness) -> None:
        store = harness.store
        first = store.token("INBOX")
        old = store.survey("INBOX", set, None).present
        assert old is not None
        harness.add("INBOX", message(21))
        harness.add("INBOX", message(22))
        store.token("INBOX")  # as a scan does, before it surveys
        survey = store.survey("INBOX", lambda: old, None, previous=first)
        new = [h for batch in survey.batches for h in batch if h.entry.ident not in old]
        assert sorted(h.head.split(b"Subject: ")[1][:10] for h in new if h.head) == [
            b"Message 21", b"Message 22"]
        # A store may list only what was added (IMAP: UID SEARCH UID n:*) or everything.
        assert survey.present is None or survey.present == old | {h.entry.ident for h in new}

    def test_a_removal_is_seen_whatever_was_added(self, harness: Harness) -> None:
        store = harness.store
        first = store.token("INBOX")
        old = store.survey("INBOX", set, None).present
        assert old is not None
        gone = sorted(old)[0]
        harness.remove("INBOX", gone)
        harness.add("INBOX", message(23))
        store.token("INBOX")
        survey = store.survey("INBOX", lambda: old, None, previous=first)
        assert survey.present is not None and gone not in survey.present
        assert len(survey.present) == 4

    def test_token_changes_with_contents(self, harness: Harness) -> None:
        t1 = harness.store.token("INBOX")
        assert harness.store.token("INBOX") == t1
        harness.add("INBOX", message(20))
        t2 = harness.store.token("INBOX")
        assert t2 != t1
        assert len(harness.store.entries("INBOX")) == 5

    def test_draft_saved_with_draft_and_seen_flags(self, harness: Harness) -> None:
        store = harness.store
        ident = store.append_draft(draft(5))
        assert [e.ident for e in store.entries(store.drafts_folder())] == [ident]
        assert {"draft", "seen"} <= harness.flags(store.drafts_folder(), ident)
        data = store.read(store.drafts_folder(), ident)
        assert data is not None and b"X-Thankful-Note" in data

    def test_reminder_lands_unread_in_the_inbox(self, harness: Harness) -> None:
        ident = harness.store.deliver(message(7))
        assert ident in {e.ident for e in harness.store.entries("INBOX")}
        assert "seen" not in harness.flags("INBOX", ident)


class TestMaildirOnly:
    @pytest.mark.parametrize("layout", ["maildir++", "verbatim"])
    def test_drafts_folder_created_with_marker(self, tmp_path: Path, layout: str) -> None:
        make_tree(tmp_path / "mail", layout)
        store = MaildirStore(name="t", address="a@b", path=tmp_path / "mail", layout=layout)
        store.open()
        drafts = store.folder_path("Drafts")
        assert (drafts / "cur").is_dir()
        if layout == "maildir++":
            assert (drafts / "maildirfolder").exists()
        ident = store.append_draft(message(5))
        [name] = os.listdir(drafts / "cur")
        assert name.startswith(ident) and name.endswith(":2,DS")

    def test_missing_tree_names_the_key(self, tmp_path: Path) -> None:
        s = MaildirStore(name="t", address="a@b", path=tmp_path / "none")
        with pytest.raises(PermanentSourceError, match=r"accounts\.path"):
            s.open()

    def test_missing_sent_names_the_key(self, tmp_path: Path) -> None:
        mailbox.Maildir(tmp_path / "m", create=True)
        s = MaildirStore(name="t", address="a@b", path=tmp_path / "m")
        with pytest.raises(PermanentSourceError, match="sent_folder"):
            s.open()
        assert not (tmp_path / "m" / ".Drafts").exists()
