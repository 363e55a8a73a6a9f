"""Maildir mail stores (Maildir++ as Dovecot and mbsync keep them, or verbatim folders).

Reading never changes the user's tree: no message moves from new/ to cur/, no flag is
set, and nothing is created except a missing Drafts folder. Drafts are written through
tmp/ into cur/ with the D and S flags (stdlib :mod:`mailbox`), reminders into new/.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from thankful import crashpoints
from thankful.core.blank import blank_line
from thankful.errors import PermanentSourceError
from thankful.ports import Entry
from thankful.ports import Headed
from thankful.ports import Survey

_HEADER_LIMIT = 256 * 1024
_FIRST_READ = 16 * 1024  # most header blocks fit: one read() per message
_SURVEY_BATCH = 500


class MaildirStore:
    """A local Maildir tree."""

    def __init__(self, *, name: str, address: str, path: Path, layout: str = "maildir++",
                 folders: tuple[str, ...] = ("INBOX",), sent: str = "Sent",
                 drafts: str = "Drafts") -> None:
        self.name = name
        self.address = address
        self.root = path
        self.layout = layout
        self._folders = folders
        self._sent = sent
        self._drafts = drafts
        self._paths: dict[tuple[str, str], str] = {}  # paths as str: no pathlib per message

    # --- folders ---------------------------------------------------------------------

    def folder_path(self, folder: str) -> Path:
        """Where a folder lives on disk."""
        if folder.upper() == "INBOX":
            return self.root
        if self.layout == "verbatim":
            return self.root / folder
        return self.root / ("." + folder.replace("/", "."))

    @staticmethod
    def _is_maildir(path: Path) -> bool:
        return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))

    def has_folder(self, folder: str) -> bool:
        """Whether a folder exists."""
        return self._is_maildir(self.folder_path(folder))

    def open(self, *, create_drafts: bool = True) -> None:
        """Check the tree is there; create the Drafts folder if it is missing."""
        if not self._is_maildir(self.root):
            raise PermanentSourceError(
                self.name, f"{self.root} is not a Maildir (no cur/, new/ and tmp/); fix "
                f"accounts.path in the config")
        for folder in self._folders:
            if not self._is_maildir(self.folder_path(folder)):
                raise PermanentSourceError(
                    self.name, f"folder {folder!r} not found at {self.folder_path(folder)}; "
                    "fix accounts.folders (or accounts.layout)")
        if not self._is_maildir(self.folder_path(self._sent)):
            raise PermanentSourceError(
                self.name, f"Sent folder {self._sent!r} not found at "
                f"{self.folder_path(self._sent)}; set accounts.sent_folder (or accounts.layout)")
        drafts = self.folder_path(self._drafts)
        if create_drafts and not self._is_maildir(drafts):
            for sub in ("cur", "new", "tmp"):
                (drafts / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
            marker = drafts / "maildirfolder"
            if not marker.exists():
                marker.touch(mode=0o600)

    def scan_folders(self) -> tuple[str, ...]:
        """The folders whose messages are classified."""
        return self._folders

    def sent_folder(self) -> str:
        """The Sent folder's name."""
        return self._sent

    def drafts_folder(self) -> str:
        """The Drafts folder's name."""
        return self._drafts

    # --- reading ---------------------------------------------------------------------

    def token(self, folder: str) -> str:
        """Changes whenever a file is added to, removed from or renamed in the folder."""
        path = self.folder_path(folder)
        try:
            return ":".join(str((path / sub).stat().st_mtime_ns) for sub in ("new", "cur"))
        except OSError as exc:
            raise PermanentSourceError(self.name, f"cannot read {path}: {exc.strerror}") from None

    def entries(self, folder: str) -> list[Entry]:
        """Every message of a folder; the ident is the file name up to its ':2,' flags."""
        return [e for ident, where in self._names(folder).items()
                if (e := self._entry(folder, ident, where)) is not None]

    def _entry(self, folder: str, ident: str, where: str) -> Entry | None:
        """A listed file's entry (one stat); None if it is gone or no regular file."""
        try:
            st = os.stat(where)
        except OSError:
            return None  # renamed or removed while we listed
        if not stat.S_ISREG(st.st_mode):
            return None
        self._paths[(folder, ident)] = where
        return Entry(ident=ident, timestamp=st.st_mtime, size=st.st_size)

    def _names(self, folder: str) -> dict[str, str]:
        """ident -> path of every message file, from the directory listings alone."""
        path = self.folder_path(folder)
        out: dict[str, str] = {}
        for sub in ("new", "cur"):
            try:
                it = os.scandir(path / sub)
            except OSError as exc:
                raise PermanentSourceError(self.name,
                                           f"cannot list {path / sub}: {exc.strerror}") from None
            with it:
                for de in it:
                    if not de.name.startswith("."):
                        out[de.name.split(":", 1)[0].split("!", 1)[0]] = de.path
        return out

    def survey(self, folder: str, known: Callable[[], Collection[str]], since: float | None,
               previous: str | None = None, fields: Collection[str] = ()) -> Survey:
        """Every ident (listing only), and the header blocks of the new messages (whole:
        reading a file's head costs the same whatever ``fields`` says)."""
        names = self._names(folder)
        seen = known()
        new: list[Entry] = []
        old: list[str] = []
        for ident, where in names.items():
            if ident in seen:
                continue
            entry = self._entry(folder, ident, where)
            if entry is None:
                continue
            if since is not None and entry.timestamp < since:
                old.append(ident)
            else:
                new.append(entry)
        new.sort(key=lambda e: (e.timestamp, e.ident))

        def batches() -> Iterator[list[Headed]]:
            for start in range(0, len(new), _SURVEY_BATCH):
                yield [Headed(entry=e, head=self.read(folder, e.ident, headers_only=True))
                       for e in new[start:start + _SURVEY_BATCH]]

        return Survey(present=frozenset(names), old=tuple(old), batches=batches())

    def previews(self, folder: str, idents: Sequence[str], size: int) -> dict[str, bytes]:
        """The first ``size`` bytes of each message's body."""
        out: dict[str, bytes] = {}
        for ident in idents:
            head = self.read(folder, ident, headers_only=True)
            path = self._paths.get((folder, ident))
            if head is None or path is None:
                continue
            try:
                with open(path, "rb") as fh:
                    fh.seek(len(head))
                    out[ident] = fh.read(size)
            except OSError:
                continue  # gone since: the scan reads it as gone later
        return out

    def _locate(self, folder: str, ident: str) -> str | None:
        known = self._paths.get((folder, ident))
        if known is not None:
            return known  # if it moved since, reading it finds out (and looks again)
        self.entries(folder)
        return self._paths.get((folder, ident))

    def read(self, folder: str, ident: str, *, headers_only: bool = False) -> bytes | None:
        """A message's bytes, or only its header block; None if it vanished."""
        path = self._locate(folder, ident)
        if path is None:
            return None
        try:
            with open(path, "rb") as fh:
                if not headers_only:
                    return fh.read()
                head = fh.read(_FIRST_READ)
                if len(head) == _FIRST_READ and b"\n\n" not in head \
                        and b"\r\n\r\n" not in head:
                    head += fh.read(_HEADER_LIMIT - _FIRST_READ)
        except FileNotFoundError:
            # A mail client flagged it (renamed) between listing and reading.
            self._paths.pop((folder, ident), None)
            path = self._locate(folder, ident)
            return self.read(folder, ident, headers_only=headers_only) if path else None
        if head.startswith((b"\r\n", b"\n")):  # no header at all
            return head[:2] if head.startswith(b"\r\n") else head[:1]
        found = blank_line(head)
        return head[:found[1]] if found else head

    # --- writing ---------------------------------------------------------------------

    def _add(self, folder: str, data: bytes, subdir: Literal["new", "cur"], flags: str) -> str:
        import mailbox  # only to write: a scan with nothing new never loads it

        box = mailbox.Maildir(self.folder_path(folder), factory=None, create=False)
        msg = mailbox.MaildirMessage(data)
        msg.set_subdir(subdir)
        if flags:
            msg.set_flags(flags)
        tmp = self.folder_path(folder) / "tmp"
        before = set(os.listdir(tmp)) if tmp.is_dir() else set()
        try:
            key = box.add(msg)
        except OSError as exc:
            # mailbox leaves its half-written file in tmp/ when the final flush fails
            # (a full disk): remove the ones this process made just now.
            mine = f"P{os.getpid()}Q"
            with contextlib.suppress(OSError):
                for name in set(os.listdir(tmp)) - before:
                    if mine in name:
                        os.remove(tmp / name)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise PermanentSourceError(self.name, (
                    f"cannot write to {folder}: the disk holding {self.root} is full (or "
                    "over its quota); free some space: thankful tries again")) from None
            raise PermanentSourceError(self.name, f"cannot write to {folder}: {exc}") from None
        return str(key)

    def append_draft(self, data: bytes) -> str:
        """Save a draft into Drafts/cur with the D(raft) and S(een) flags."""
        crashpoints.step("append_draft")
        return self._add(self._drafts, data, "cur", "DS")

    def deliver(self, data: bytes) -> str:
        """Put a reminder into the inbox's new/, unread."""
        crashpoints.step("append_reminder")
        return self._add("INBOX", data, "new", "")

    def close(self) -> None:
        """Nothing to release."""
