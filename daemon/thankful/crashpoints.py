"""Numbered durable steps, for the crash-at-every-step test (issue 8).

Every durable step of a cycle calls :func:`step` just before it happens: each state
commit (scan positions move inside one), each draft or reminder append, each task
written. With ``THANKFUL_CRASH_AT=k`` in the environment the process kills itself
with SIGKILL at the k-th step (so the k-th step never happens and the ones before it
all did); with ``THANKFUL_CRASH_LOG=path`` each step's number, name and caller are
appended to ``path`` first, so a test learns how many steps a clean run has.

The environment is read once, at import; with neither variable set a step is one
test of a module-level flag.
"""

from __future__ import annotations

import os
import sys

_enabled = False
_crash_at = 0
_log_path = ""
_count = 0


def configure() -> None:
    """Read the two variables (done at import; again in a process forked by a test)."""
    global _enabled, _crash_at, _log_path, _count
    try:
        _crash_at = int(os.environ.get("THANKFUL_CRASH_AT", "") or 0)
    except ValueError:
        _crash_at = 0
    _log_path = os.environ.get("THANKFUL_CRASH_LOG", "")
    _enabled = _crash_at > 0 or bool(_log_path)
    _count = 0


def count() -> int:
    """How many steps this process has passed (0 unless enabled)."""
    return _count


def _caller() -> str:
    """Who took the step: the first frame outside the store's transaction and contextlib."""
    frame = sys._getframe(2)
    while frame.f_back is not None and (frame.f_code.co_name == "transaction"
                                        or frame.f_code.co_filename.endswith("contextlib.py")):
        frame = frame.f_back
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_name}"


def step(name: str) -> None:
    """A durable step is about to happen; die here if it is the one asked for."""
    if not _enabled:
        return
    global _count
    _count += 1
    if _log_path:
        line = f"{_count}\t{name}\t{_caller()}\n".encode()
        fd = os.open(_log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)  # in the kernel before the kill: survives it
        finally:
            os.close(fd)
    if _count == _crash_at:
        import signal  # (the crash tests only)

        os.kill(os.getpid(), signal.SIGKILL)


configure()
