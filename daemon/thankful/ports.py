"""The interfaces the service drives: mail stores and calendar sources. Types only.

An IMAP adapter (a later issue) implements :class:`MailStore` just as the Maildir
adapter does; the core and the service never learn which one they talk to.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One message in a folder: its stable ident, delivery time and size."""

    ident: str
    timestamp: float
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Headed:
    """A new message and its header block (None when it vanished before it was read)."""

    entry: Entry
    head: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Survey:
    """What a scan needs of a folder: every ident, and the new messages' headers.

    ``batches`` is read lazily (a first scan of a large folder must not hold every
    header block in memory at once); the store's errors surface while it is read.
    """

    #: Every message now in the folder; None when the store knows that none was removed
    #: since the ``previous`` token (then ``batches`` may repeat a message the caller
    #: already knows, which it skips).
    present: frozenset[str] | None
    #: New messages delivered before the scan window: neither listed nor read.
    old: tuple[str, ...]
    #: The other new messages with their header blocks, in batches.
    batches: Iterator[list[Headed]]


class MailStore(Protocol):
    """A mailbox thankful reads and adds drafts and reminders to."""

    name: str
    address: str

    def open(self, *, create_drafts: bool = True) -> None:
        """Check the store is there (raise a SourceError naming the fix if not).

        Creates the Drafts folder when it is missing, unless told not to (a dry run).
        """

    def has_folder(self, folder: str) -> bool:
        """Whether a folder exists."""

    def scan_folders(self) -> tuple[str, ...]:
        """The folders whose messages are classified (INBOX and any configured)."""

    def sent_folder(self) -> str:
        """The Sent folder's name."""

    def drafts_folder(self) -> str:
        """The Drafts folder's name (created if missing)."""

    def token(self, folder: str) -> str:
        """A cheap marker that changes whenever the folder's contents change."""

    def entries(self, folder: str) -> list[Entry]:
        """Every message of a folder (idents stable across flag changes)."""

    def survey(self, folder: str, known: Callable[[], Collection[str]], since: float | None,
               previous: str | None = None, fields: Collection[str] = ()) -> Survey:
        """Every ident of a folder, and the header block of each message not in
        ``known()`` delivered at or after ``since`` (a POSIX time; None: all).

        ``fields``: the (lower-case) names of the only fields the caller reads; a store
        that can fetch just those lines of a header block (IMAP's HEADER.FIELDS) may
        hand over only them, in their order; the others give the whole block.

        ``previous`` is the folder's token when it was last surveyed in full: a store
        that can tell from it that messages were only added lists just those, without
        calling ``known`` (a rescan of a large folder then costs what is new). A store
        may hand over a few messages from just before ``since`` (a server searches by
        day): the caller checks each entry's timestamp.
        """

    def previews(self, folder: str, idents: Sequence[str], size: int) -> dict[str, bytes]:
        """The first ``size`` bytes of each message's body (after its header block),
        where a scan needs a glimpse before deciding to read the whole message."""

    def read(self, folder: str, ident: str, *, headers_only: bool = False) -> bytes | None:
        """A message's bytes (or only its header block); None when it is gone."""

    # Optional: ``hint_bodies(folder, idents)`` tells a store which bodies the scan is
    # about to read (after judging every new message by its headers), so that it can
    # fetch exactly those ahead in batches. The Maildir store has no need of it.

    def append_draft(self, data: bytes) -> str:
        """Save a draft (with the draft flag) and return its ident."""

    def deliver(self, data: bytes) -> str:
        """Put a message (a reminder) into the inbox, unread."""

    def close(self) -> None:
        """Release connections."""


class CalendarSource(Protocol):
    """Where calendar files come from."""

    name: str

    def files(self) -> dict[str, str]:
        """Every calendar file: its path (or URL) and a fingerprint that changes with it."""

    def read(self, path: str) -> bytes:
        """One file's bytes."""
