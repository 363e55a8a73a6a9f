"""Maildir mail stores (Maildir++ as Dovecot and mbsync keep them, or verbatim folders).

Reading never changes the user's tree: no message moves from new/ to cur/, no flag is
set, and nothing is created except a missing Drafts folder. Drafts are written through
tmp/ into cur/ with the D and S flags (stdlib :mod:`mailbox`), reminders into new/.
"""

from __future__ import annotations

import mailbox
import os
from pathlib import Path
from typing import Literal

from thankful.errors import PermanentSourceError
from thankful.ports import Entry

_HEADER_LIMIT = 256 * 1024


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
        self._paths: dict[tuple[str, str], Path] = {}

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
        path = self.folder_path(folder)
        out = []
        for sub in ("new", "cur"):
            try:
                it = os.scandir(path / sub)
            except OSError as exc:
                raise PermanentSourceError(self.name,
                                           f"cannot list {path / sub}: {exc.strerror}") from None
            with it:
                for de in it:
                    if de.name.startswith("."):
                        continue
                    ident = de.name.split(":", 1)[0].split("!", 1)[0]
                    try:
                        st = de.stat()
                    except OSError:
                        continue  # renamed or removed while we listed
                    if not de.is_file():
                        continue
                    self._paths[(folder, ident)] = Path(de.path)
                    out.append(Entry(ident=ident, timestamp=st.st_mtime, size=st.st_size))
        return out

    def _locate(self, folder: str, ident: str) -> Path | None:
        known = self._paths.get((folder, ident))
        if known and known.exists():
            return known
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
                head = fh.read(_HEADER_LIMIT)
        except FileNotFoundError:
            # A mail client flagged it (renamed) between listing and reading.
            self._paths.pop((folder, ident), None)
            path = self._locate(folder, ident)
            return self.read(folder, ident, headers_only=headers_only) if path else None
        for sep in (b"\r\n\r\n", b"\n\n"):
            pos = head.find(sep)
            if pos >= 0:
                return head[: pos + len(sep)]
        return head

    # --- writing ---------------------------------------------------------------------

    def _add(self, folder: str, data: bytes, subdir: Literal["new", "cur"], flags: str) -> str:
        box = mailbox.Maildir(self.folder_path(folder), factory=None, create=False)
        msg = mailbox.MaildirMessage(data)
        msg.set_subdir(subdir)
        if flags:
            msg.set_flags(flags)
        try:
            key = box.add(msg)
        except OSError as exc:
            raise PermanentSourceError(self.name, f"cannot write to {folder}: {exc}") from None
        return str(key)

    def append_draft(self, data: bytes) -> str:
        """Save a draft into Drafts/cur with the D(raft) and S(een) flags."""
        return self._add(self._drafts, data, "cur", "DS")

    def deliver(self, data: bytes) -> str:
        """Put a reminder into the inbox's new/, unread."""
        return self._add("INBOX", data, "new", "")

    def close(self) -> None:
        """Nothing to release."""
