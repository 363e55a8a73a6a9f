"""One writer per state directory: an advisory lock on ``<state dir>/lock``.

The daemon holds it for its whole life; ``scan`` holds it for one cycle. The lock
file records the holder's PID so that a refused second instance can say who has it.
The kernel releases the lock when the holder dies, so a crash never leaves it stuck.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from thankful.errors import StateError
from thankful.errors import UsageError


class LockedError(UsageError):
    """Another thankful holds the state directory (exit 2)."""


class StateLock:
    """``with StateLock(dir, wait=30):`` holds the lock or raises :class:`LockedError`."""

    def __init__(self, state_dir: Path, *, wait: float = 0.0) -> None:
        self.path = state_dir / "lock"
        self.state_dir = state_dir
        self.wait = wait
        self._fd: int | None = None

    def _holder(self) -> str:
        pid = self._holder_pid()
        return f"thankful (PID {pid})" if pid else "another thankful"

    def _holder_pid(self, wait: float = 2.0) -> int | None:
        """The PID of the lock's holder, as it wrote it into the file.

        The holder writes it just after taking the lock, so a loser of a race may look
        too early, and a file may still name an earlier holder that died: a PID counts
        only once the kernel says that process holds a lock on this file.
        """
        deadline = time.monotonic() + wait
        while True:
            try:
                text = self.path.read_text().split()
                inode = os.stat(self.path)
            except OSError:
                text, inode = [], None
            pid = int(text[0]) if text and text[0].isdigit() else None
            if pid and pid != os.getpid() and inode is not None and _holds(pid, inode):
                return pid
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def holder(self) -> int | None:
        """The PID holding the lock now, or None when nobody does."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._holder_pid(wait=0.5) or -1
        finally:
            os.close(fd)
        return None

    def __enter__(self) -> StateLock:
        # Made here, not through the store: a refused second start stays quick (it never
        # imports the store and the core).
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(OSError):
                os.chmod(self.state_dir, 0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateError(f"cannot create the lock file {self.path}: "
                             f"{exc.strerror or exc}") from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self._holder()
                    os.close(fd)
                    waited = f" (waited {self.wait:.0f} s)" if self.wait else ""
                    raise LockedError(f"{holder} is running on {self.state_dir}{waited}; "
                                      "stop it first, or let it do the work") from None
                time.sleep(0.2)
        # Written over the old content, then cut: the file is never empty on the way.
        # The PID only names the holder to others: a full disk must not stop the work.
        data = f"{os.getpid()}\n".encode()
        with contextlib.suppress(OSError):
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _holds(pid: int, st: os.stat_result) -> bool:
    """Whether ``pid`` holds a lock on the file ``st`` describes (``/proc/locks``); where
    that cannot be read, whether the process is alive."""
    # By inode number alone: on overlayfs stat() and the lock may name other devices.
    ino = str(st.st_ino)
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if "->" in fields:
                    continue  # a waiter, not a holder
                if len(fields) >= 6 and fields[4] == str(pid) \
                        and fields[5].rsplit(":", 1)[-1] == ino:
                    return True
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
