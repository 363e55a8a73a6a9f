"""Folder discovery on the listings real providers send (no server: a canned LIST)."""

from __future__ import annotations

from typing import Any

import pytest

from thankful.adapters.imap import ImapStore
from thankful.config import AccountConfig
from thankful.config import ImapSettings
from thankful.errors import PermanentSourceError

GMAIL = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasChildren", b"\\Noselect"), b"/", "[Gmail]"),
    ((b"\\All", b"\\HasNoChildren"), b"/", "[Gmail]/All Mail"),
    ((b"\\Drafts", b"\\HasNoChildren"), b"/", "[Gmail]/Drafts"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "[Gmail]/Sent Mail"),
    ((b"\\HasNoChildren", b"\\Trash"), b"/", "[Gmail]/Trash"),
]
OUTLOOK = [  # Office 365 marks its folders; the names are localised
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasNoChildren", b"\\Drafts"), b"/", "Entwürfe"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "Gesendete Elemente"),
]
COURIER = [  # no SPECIAL-USE: only names, with "." as the separator
    ((b"\\HasChildren",), b".", "INBOX"),
    ((b"\\HasNoChildren",), b".", "INBOX.drafts"),
    ((b"\\HasNoChildren",), b".", "INBOX.Sent"),
    ((b"\\HasNoChildren",), b".", "INBOX.Jobs"),
]
OLD_EXCHANGE = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasNoChildren",), b"/", "Sent Items"),
    ((b"\\HasNoChildren",), b"/", "Entwürfe"),
]


def store(listing: list[Any], **kw: Any) -> ImapStore:
    acc = AccountConfig(name="t", kind="imap", address="a@example.net",
                        imap=ImapSettings(host="imap.example.net", port=993,
                                          username="a@example.net"), **kw)
    s = ImapStore(acc)
    s._find_folders(listing)  # what LIST said; no other command (CREATE!) can go out
    return s


def test_gmail_uses_special_use_and_never_scans_all_mail() -> None:
    s = store(GMAIL, folders=("INBOX", "[Gmail]/All Mail"))
    assert s.drafts_folder() == "[Gmail]/Drafts" and s.sent_folder() == "[Gmail]/Sent Mail"
    assert s.scan_folders() == ("INBOX",)
    assert any("skips [Gmail]/All Mail" in line for line in s.describe())


def test_localised_names_found_by_special_use() -> None:
    s = store(OUTLOOK)
    assert (s.drafts_folder(), s.sent_folder()) == ("Entwürfe", "Gesendete Elemente")


def test_usual_names_case_insensitive_without_special_use() -> None:
    s = store(COURIER, folders=("inbox", "inbox.jobs"))
    assert (s.drafts_folder(), s.sent_folder()) == ("INBOX.drafts", "INBOX.Sent")
    assert s.scan_folders() == ("INBOX", "INBOX.Jobs")


def test_configured_name_before_usual_names() -> None:
    s = store(OLD_EXCHANGE, drafts_folder="entwürfe")
    assert (s.drafts_folder(), s.sent_folder()) == ("Entwürfe", "Sent Items")
    assert any("(configured)" in line for line in s.describe())


def test_missing_drafts_is_never_created() -> None:
    listing = [f for f in COURIER if "drafts" not in f[2]]
    with pytest.raises(PermanentSourceError, match="set drafts_folder") as info:
        store(listing)
    assert "never creates" in str(info.value)


def test_missing_sent_names_the_key() -> None:
    with pytest.raises(PermanentSourceError, match="set sent_folder"):
        store([f for f in GMAIL if b"\\Sent" not in f[0]])
