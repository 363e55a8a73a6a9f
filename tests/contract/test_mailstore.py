"""The MailStore contract, run against every adapter (Maildir++ and verbatim here)."""

from __future__ import annotations

import hashlib
import mailbox
import os
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from thankful.adapters.maildir import MaildirStore
from thankful.errors import PermanentSourceError


def message(n: int) -> bytes:
    m = EmailMessage()
    m["From"] = f"Sender {n} <s{n}@example.org>"
    m["To"] = "alex@example.net"
    m["Subject"] = f"Message {n}"
    m["Message-ID"] = f"<m{n}@example.org>"
    m.set_content(f"Body {n}\n" * 20)
    return m.as_bytes()


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


def digest(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(params=["maildir++", "verbatim"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MaildirStore]:
    make_tree(tmp_path / "mail", request.param)
    s = MaildirStore(name="t", address="alex@example.net", path=tmp_path / "mail",
                     layout=request.param)
    s.open()
    yield s
    s.close()


class TestMailStoreContract:
    def test_reading_changes_nothing(self, store: MaildirStore) -> None:
        before = digest(store.root)
        for e in store.entries("INBOX"):
            assert store.read("INBOX", e.ident)
            assert store.read("INBOX", e.ident, headers_only=True)
        store.token("INBOX")
        assert digest(store.root) == before

    def test_headers_only_stops_at_the_blank_line(self, store: MaildirStore) -> None:
        e = store.entries("INBOX")[0]
        head = store.read("INBOX", e.ident, headers_only=True)
        assert head is not None and b"Body" not in head and head.endswith(b"\n\n")

    def test_idents_survive_a_flag_change(self, store: MaildirStore) -> None:
        before = {e.ident for e in store.entries("INBOX")}
        new = store.root / "new"
        for f in os.listdir(new):  # what a mail client does on reading
            os.rename(new / f, store.root / "cur" / (f + ":2,S"))
        assert {e.ident for e in store.entries("INBOX")} == before

    def test_token_changes_with_contents(self, store: MaildirStore) -> None:
        t1 = store.token("INBOX")
        assert store.token("INBOX") == t1
        os.utime(store.root / "new", ns=(1, 1))
        assert store.token("INBOX") != t1

    def test_drafts_folder_created_with_marker_and_draft_flag(self, store: MaildirStore) -> None:
        drafts = store.folder_path("Drafts")
        assert (drafts / "cur").is_dir()
        if store.layout == "maildir++":
            assert (drafts / "maildirfolder").exists()
        ident = store.append_draft(message(5))
        [name] = os.listdir(drafts / "cur")
        assert name.startswith(ident) and name.endswith(":2,DS")
        assert [e.ident for e in store.entries("Drafts")] == [ident]

    def test_reminder_lands_unread_in_the_inbox(self, store: MaildirStore) -> None:
        ident = store.deliver(message(7))
        assert ident in os.listdir(store.root / "new")

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
