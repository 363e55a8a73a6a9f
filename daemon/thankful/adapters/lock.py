"""One writer per state directory: an advisory lock on ``<state dir>/lock``.

The daemon holds it for its whole life; ``scan`` holds it for one cycle. The lock
file records the holder's PID so that a refused second instance can say who has it.
The kernel releases the lock when the holder dies, so a crash never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from thankful.adapters.store import ensure_private_dir
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
        try:
            pid = self.path.read_text().strip()
        except OSError:
            return "another thankful"
        return f"thankful (PID {pid})" if pid.isdigit() else "another thankful"

    def holder(self) -> int | None:
        """The PID holding the lock now, or None when nobody does."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = self.path.read_text().strip()
            return int(pid) if pid.isdigit() else -1
        finally:
            os.close(fd)
        return None

    def __enter__(self) -> StateLock:
        ensure_private_dir(self.state_dir)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
