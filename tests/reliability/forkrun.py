"""Run the ``thankful`` command line many times over, each run a process of its own.

Starting Python and importing thankful's libraries (icalendar, imapclient, structlog,
APScheduler) costs most of a second, which a test running a few hundred short runs
cannot pay each time. :class:`Forker` starts one helper process that imports them
once; for each run it forks a child that sets the run's environment (re-reading the
crash variables, see :mod:`thankful.crashpoints`), points stdout and stderr at a file,
takes /dev/null as stdin, closes every other descriptor it inherited (as ``exec`` of
a new ``thankful`` would with Python's ``close_fds``) and calls
:func:`thankful.cli.main` with the run's arguments, exactly as the ``thankful`` script
does, then exits with its status. The child is a real process: a SIGKILL it takes
ends it as it would end ``thankful scan``, leaving the state, the lock and the
mailboxes as a crash leaves them; a SIGTERM reaches ``thankful run``'s own handler.

The helper only imports: it never opens a state store, a lock or a mailbox, and it
forks from its only thread, so a child starts with nothing a fresh process would not
have.

:meth:`Forker.run` waits for its run. :meth:`Forker.spawn` and
:meth:`Forker.spawn_together` return at once with the children's PIDs (the runs of
one ``spawn_together`` call are held at a gate, once set up, and let go in the same
instant: a race between them is a real one); :meth:`Forker.poll` and
:meth:`Forker.wait` give their exit statuses. A spawned child stays unreaped (its PID
is not reused) until ``poll`` or ``wait`` has seen it end, so a test may signal it by
its PID until then.

Run as a script (``python forkrun.py``) it is that helper: one JSON request a line on
stdin, one JSON answer a line on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from typing import NamedTuple

_PRELOAD = ("thankful.cli", "thankful.service", "thankful.config", "thankful.log",
            "thankful.report", "thankful.adapters.lock", "thankful.adapters.maildir",
            "thankful.adapters.imap", "thankful.adapters.tasks", "thankful.adapters.store",
            "thankful.core.parse_ics", "thankful.core.compose", "thankful.crashpoints",
            "thankful.core.parse_mail", "thankful.core.prefilter", "thankful.core.html_text",
            "thankful.daemon", "thankful.adapters.idle", "concurrent.futures.thread",
            "apscheduler.schedulers.background", "apscheduler.events",
            "apscheduler.triggers.interval", "apscheduler.executors.pool",
            "apscheduler.jobstores.memory",
            "icalendar", "recurring_ical_events", "imapclient", "structlog")

#: The status :meth:`Forker.run` and :meth:`Forker.wait` give a run they had to kill.
TIMED_OUT = -999


class Command(NamedTuple):
    """One ``thankful ARGV`` run: ``env`` is added to the helper's environment, and
    stdout and stderr are appended to ``out``."""

    argv: list[str]
    out: Path
    env: Mapping[str, str] | None = None

    def request(self) -> dict[str, Any]:
        return {"argv": list(self.argv), "env": dict(self.env or {}), "out": str(self.out)}


class Forker:
    """``Forker()`` starts the helper; ``run(argv, env=..., out=...)`` is one command line
    in a process of its own: its exit status, or minus the signal that ended it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env=dict(os.environ))
        ready = self._answer()
        assert ready == {"ready": True}, ready

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork helper died ({self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the fork helper: {answer['error']}")
        return answer

    def _ask(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, out: Path,
            timeout: float = 120) -> int:
        """Run ``thankful ARGV``; stdout and stderr are appended to ``out``."""
        req = {"op": "run", **Command(argv, out, env).request(), "timeout": timeout}
        status: int = self._ask(req)["status"]
        return status

    def spawn(self, argv: list[str], *, env: Mapping[str, str] | None = None,
              out: Path) -> int:
        """Start ``thankful ARGV`` and return its PID without waiting for it."""
        return self.spawn_together([Command(argv, out, env)])[0]

    def spawn_together(self, commands: Sequence[Command]) -> list[int]:
        """Start the runs at once (forked, then let go through one gate); their PIDs."""
        answer = self._ask({"op": "spawn", "runs": [c.request() for c in commands]})
        pids: list[int] = answer["pids"]
        return pids

    def poll(self, pids: Sequence[int]) -> list[int | None]:
        """Each spawned run's exit status (minus a signal), or None while it runs."""
        statuses: list[int | None] = self._ask({"op": "poll", "pids": list(pids)})["statuses"]
        return statuses

    def wait(self, pid: int, timeout: float = 120) -> int:
        """A spawned run's exit status once it ended; SIGKILLed after ``timeout`` seconds
        (then :data:`TIMED_OUT`)."""
        status: int = self._ask({"op": "wait", "pid": pid, "timeout": timeout})["status"]
        return status

    def close(self) -> None:
        """End the helper (closing its stdin ends its loop; it kills the runs still
        going)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _child(req: dict[str, Any], gate: int | None = None) -> None:
    """In the forked child: become ``thankful ARGV`` and never return.

    With a ``gate`` (a pipe's read end) it waits, once set up, until the helper closes
    the pipe's write end, which lets go every child of one spawn at once.
    """
    code = 70
    try:
        fd = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # not the helper's request pipe
        os.close(null)
        sys.stdin = open(os.devnull)  # noqa: SIM115
        # Nothing else the helper had open reaches the run (as exec with close_fds).
        keep = gate if gate is not None else 2
        os.closerange(3, keep)
        os.closerange(max(3, keep + 1), os.sysconf("SC_OPEN_MAX"))
        os.environ.update(req["env"])
        from thankful import crashpoints
        from thankful.cli import main

        crashpoints.configure()
        if gate is not None:
            os.read(gate, 1)  # end of file once the helper let go of the gate
            os.close(gate)
        code = main(req["argv"])
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException as exc:  # the parent must hear of it, never a second helper
        os.write(2, f"forkrun: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(code)


def _fork() -> int:
    """fork(), from the helper's only thread (a fork from a threaded process is unsafe)."""
    assert threading.active_count() == 1, threading.enumerate()
    sys.stdout.flush()
    sys.stderr.flush()
    return os.fork()


def _reap(pid: int, block: bool) -> int | None:
    done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def _wait(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        status = _reap(pid, block=False)
        if status is not None:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return TIMED_OUT
        time.sleep(0.002)


class _Helper:
    """The helper's state: the spawned runs, running or ended (until asked)."""

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.ended: dict[int, int] = {}

    def run(self, req: dict[str, Any]) -> dict[str, Any]:
        pid = _fork()
        if pid == 0:
            _child(req)
        return {"status": _wait(pid, float(req["timeout"]))}

    def spawn(self, req: dict[str, Any]) -> dict[str, Any]:
        gate_r, gate_w = os.pipe()
        pids = []
        try:
            for run in req["runs"]:
                pid = _fork()
                if pid == 0:
                    os.close(gate_w)
                    _child(run, gate_r)
                pids.append(pid)
                self.running.add(pid)
        finally:
            os.close(gate_r)
            os.close(gate_w)  # every child of this spawn goes now
        return {"pids": pids}

    def _status(self, pid: int, timeout: float | None) -> int | None:
        if pid in self.ended:
            return self.ended[pid]
        if pid not in self.running:
            raise ValueError(f"PID {pid} is no run of this helper")
        status = _reap(pid, block=False) if timeout is None else _wait(pid, timeout)
        if status is not None:
            self.running.discard(pid)
            self.ended[pid] = status
        return status

    def poll(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"statuses": [self._status(int(p), None) for p in req["pids"]]}

    def wait(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"status": self._status(int(req["pid"]), float(req["timeout"]))}

    def end(self) -> None:
        """No more requests: the runs still going are killed (no daemon outlives a test)."""
        for pid in self.running:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
        self.running.clear()


def serve() -> None:
    """The helper's loop."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    helper = _Helper()
    ops = {"run": helper.run, "spawn": helper.spawn, "poll": helper.poll, "wait": helper.wait}
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            req = json.loads(line)
            try:
                answer = ops[req.get("op", "run")](req)
            except (ValueError, KeyError, OSError) as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
    finally:
        helper.end()


if __name__ == "__main__":
    serve()
