"""A second process for a large scan: it judges header blocks and reads messages while
this process fetches the next ones.

A first scan of a large folder spends most of its time on steps that take turns on one
core: fetching header blocks (FETCH answers, or files), judging each by its glance
(:func:`thankful.core.prefilter.judge_head`), then fetching the few messages left in
doubt and reading them whole (:func:`thankful.core.reading.read_message`: parsing,
invitations, detection). Both the judging and the reading are pure functions of the
bytes, the user's identity and the calendar window. Once a folder has shown it is
large, :class:`HelperProcess` starts one worker process and hands it chunks of that work;
this process does the chunks the worker has no room for.

The worker reads nothing from the mailbox, records nothing and logs nothing. When it
cannot be started, fails or stalls, it is killed and its chunks are done here; the
scan goes on without it. The results, in the order the items came, are the same either
way, and so is everything the scan records. It ignores SIGINT and SIGTERM (this process
decides when it stops) and exits when this process is gone, however it went.

The worker is a new interpreter (``spawn``), never a fork: the daemon has threads (the
scheduler's, IDLE's), and a fork of a threaded process can hang in the child. Like
every ``spawn`` user, a script that runs a cycle must keep its top level under
``if __name__ == "__main__":``: the worker imports the main module. thankful's own
entry points are safe: the ``thankful`` script keeps that guard, and spawn never
imports a package's ``__main__`` module (``python -m thankful``) again.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import NamedTuple
from typing import TypeVar

from thankful.core.model import Identity
from thankful.core.prefilter import Action
from thankful.core.prefilter import judge_head
from thankful.log import get_logger

if TYPE_CHECKING:
    from concurrent.futures import Future
    from concurrent.futures import ProcessPoolExecutor

    from thankful.core.reading import Reading

log = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Verdict = tuple[Action, str] | None

#: Header blocks handed to the worker at once.
CHUNK = 500
#: Messages handed to it at once to be read whole, and at most this many bytes of them
#: (or one message: a message is read whole up to 10 MB).
READ_CHUNK = 16
READ_CHUNK_BYTES = 1_000_000
#: Bytes of header blocks or messages this process holds between taking them from the
#: mailbox and handing them back judged or read (past it, it waits for the oldest
#: chunk), besides the chunk just taken and the one being filled.
HELD_BYTES = 16_000_000
#: Header blocks of one folder judged here before a worker is started. Its start (a
#: new interpreter importing the judging modules: about a fifth of a second of a core)
#: pays off in a large scan, a first one; the cycles after it see a handful of messages.
START_AFTER = 4_000
#: Messages to be read whole that start a worker for them when none is running (each
#: takes about a millisecond here, the worker's start some 200).
READ_START_AT = 400
#: Chunks in the worker's hands at once: enough to keep it busy while this process
#: fetches; more would only hold more in memory.
AHEAD = 6
#: Chunks done here that may wait for the worker's older ones before this process
#: waits for the oldest (the results come out in order).
WAITING = 12
#: How long this process waits for the worker's oldest chunk, once it has nothing
#: else to do, before it kills the worker and does the chunk itself (a chunk takes the
#: worker some 20 ms; its start, a few tenths of a second).
STALL_S = 30.0


class HelperProcess:
    """One folder's scan's worker process (started when the scan shows it is large),
    and what it did. Use as a context manager: the worker is stopped at the end."""

    def __init__(self, identity: Identity, window: tuple[datetime, datetime]) -> None:
        self.identity = identity
        self.window = window
        #: Header blocks judged, and messages read, by the worker.
        self.judged = 0
        self.read = 0
        #: Why it stopped helping, if it did ("" when it was not needed or did its part).
        self.failed = ""
        self._worker: _Worker | None = None
        self._clean = False

    def __enter__(self) -> HelperProcess:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        self.close(kill=kind is not None)

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker; ``kill``: at once (the scan was cut short, and the worker
        may be in the middle of a chunk nobody waits for)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop(kill=kill or not self._clean)
        if self.judged or self.read:
            log.debug("helper_process_done", judged=self.judged, read=self.read)

    def judge(self, items: Iterable[T], head: Callable[[T], bytes]
              ) -> Iterator[tuple[T, Verdict]]:
        """Each item with :func:`~thankful.core.prefilter.judge_head` of its header
        block, in order; a worker starts once more than :data:`START_AFTER` came."""
        return self._mapped(items, head, "judge", chunk=CHUNK, chunk_bytes=None,
                            start_after=START_AFTER)

    def read_whole(self, items: Iterable[T], body: Callable[[T], tuple[bytes, bool]],
                   count: int) -> Iterator[tuple[T, Reading]]:
        """Each item with :func:`~thankful.core.reading.read_message` of its bytes
        (``body``: the bytes and whether they are the headers alone), in order; of
        ``count`` items, so many that a worker is started for them, or it is running."""
        return self._mapped(items, body, "read", chunk=READ_CHUNK,
                            chunk_bytes=READ_CHUNK_BYTES,
                            start_after=0 if count >= READ_START_AT else None)

    def _mapped(self, items: Iterable[T], payload: Callable[[T], Any], task: str, *,
                chunk: int, chunk_bytes: int | None, start_after: int | None
                ) -> Iterator[tuple[T, Any]]:
        """``_TASKS[task]`` of each item's payload, some in the worker, in order. When
        the items end in an error (the mailbox failed), every item taken comes out
        first, then the error; any other error comes out at once."""
        work = _TASKS[task]
        context = (self.identity, self.window)
        # Oldest first: a chunk and its results (done here) or the worker's future.
        queue: deque[tuple[_Part, list[Any] | Future[list[Any]]]] = deque()
        held = count = 0
        self._clean = False
        source = _Chunks(items, chunk, payload, _SIZES[task], chunk_bytes)
        for part in source:
            count += len(part.items)
            held += part.size
            while queue and _ready(queue[0][1]):
                held -= queue[0][0].size
                yield from self._collect(task, *queue.popleft())
            if self._worker is None and not self.failed and start_after is not None \
                    and count > start_after and _cores() > 1:
                self._start()
            done: list[Any] | Future[list[Any]] | None = None
            if self._worker is not None and _in_hand(queue) < AHEAD:
                try:
                    done = self._worker.pool.submit(_run, task, part.payloads)
                except Exception as exc:  # a pool that broke meanwhile: done here
                    self._give_up(exc)
            queue.append((part, work(part.payloads, *context) if done is None else done))
            while queue and (len(queue) > WAITING or held > HELD_BYTES):
                held -= queue[0][0].size
                yield from self._collect(task, *queue.popleft())
        while queue:
            yield from self._collect(task, *queue.popleft())
        if source.error is not None:
            raise source.error
        self._clean = True

    def _collect(self, task: str, part: _Part, done: list[Any] | Future[list[Any]]
                 ) -> Iterator[tuple[Any, Any]]:
        if isinstance(done, list):
            yield from zip(part.items, done, strict=True)
            return
        results: list[Any] | None = None
        if self._worker is not None:
            try:
                results = done.result(timeout=STALL_S)
                if len(results) != len(part.items):
                    raise RuntimeError(f"{len(results)} results for {len(part.items)} items")
            except Exception as exc:  # done here, below
                self._give_up(exc)
                results = None
        if results is None:  # the worker failed: this chunk is done here
            results = _TASKS[task](part.payloads, self.identity, self.window)
        elif task == "judge":
            self.judged += len(part.items)
        else:
            self.read += len(part.items)
        yield from zip(part.items, results, strict=True)

    def _start(self) -> None:
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init, initargs=(self.identity, self.window, os.getpid()))
        except Exception as exc:  # no processes here: everything is done here
            self._unavailable(exc)
            return
        try:
            self._worker = _Worker(pool)
        except Exception as exc:  # its process could not be started
            pool.shutdown(wait=False, cancel_futures=True)
            self._unavailable(exc)
            return
        log.debug("helper_process_started")

    def _unavailable(self, exc: Exception) -> None:
        self.failed = _why(exc)
        log.info("helper_process_unavailable", reason=self.failed,
                 effect="this scan judges and reads every message in this process")

    def _give_up(self, exc: Exception) -> None:
        """Stop the worker after it failed (the caller does the rest here)."""
        self.failed = _why(exc)
        log.info("helper_process_failed", reason=self.failed,
                 effect="the rest of this scan is done in this process")
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop(kill=True)


def _why(exc: Exception) -> str:
    # The exception's name alone: its text could quote a message (a parser's error).
    return type(exc).__name__


def _ready(done: list[Any] | Future[list[Any]]) -> bool:
    return isinstance(done, list) or done.done()


def _in_hand(queue: deque[tuple[_Part, list[Any] | Future[list[Any]]]]) -> int:
    """Chunks the worker has and has not finished."""
    return sum(1 for _, done in queue if not isinstance(done, list) and not done.done())


class _Part(NamedTuple):
    """A chunk: its items, their payloads, and the payloads' bytes."""

    items: list[Any]
    payloads: list[Any]
    size: int


class _Chunks:
    """The items in chunks of at most ``n`` (and, with ``max_bytes``, of payloads whose
    bytes add up to at most that, or of one item). An error while the items are taken
    ends the chunks (the items taken so far come first) and is kept in
    :attr:`error`."""

    def __init__(self, items: Iterable[T], n: int, payload: Callable[[T], Any],
                 size_of: Callable[[Any], int], max_bytes: int | None) -> None:
        self.items, self.n, self.payload = items, n, payload
        self.size_of, self.max_bytes = size_of, max_bytes
        self.error: Exception | None = None

    def __iter__(self) -> Iterator[_Part]:
        items: list[Any] = []
        payloads: list[Any] = []
        size = 0
        it = iter(self.items)
        while True:
            try:
                item = next(it)
            except StopIteration:
                break
            except Exception as exc:  # the mailbox's error: raised after the rest
                self.error = exc
                break
            payload = self.payload(item)
            grows = self.size_of(payload)
            if self.max_bytes is not None and items and size + grows > self.max_bytes:
                yield _Part(items, payloads, size)
                items, payloads, size = [], [], 0
            items.append(item)
            payloads.append(payload)
            size += grows
            if len(items) >= self.n:
                yield _Part(items, payloads, size)
                items, payloads, size = [], [], 0
        if items:
            yield _Part(items, payloads, size)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class _Worker:
    """The worker process: a pool of one, and the process it made (to kill)."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        from multiprocessing import active_children

        before = set(active_children())
        self.pool = pool
        # A no-op first task makes the pool start its process now, to be known here
        # (its pid would not come back from a worker stuck while it starts).
        pool.submit(int)
        self.processes = [p for p in active_children() if p not in before]

    def stop(self, *, kill: bool = False) -> None:
        """Shut the pool down; ``kill``: the worker too, at once (it may be stuck)."""
        if kill:
            for process in self.processes:
                with suppress(OSError, ValueError):  # gone already
                    process.kill()
        self.pool.shutdown(wait=not kill, cancel_futures=True)


# --- the work, here and in the worker ------------------------------------------------


def _judge(raws: list[bytes], identity: Identity, _window: tuple[datetime, datetime]
           ) -> list[Verdict]:
    return [judge_head(raw, identity) for raw in raws]


def _read(bodies: list[tuple[bytes, bool]], identity: Identity,
          window: tuple[datetime, datetime]) -> list[Reading]:
    # Imported here: a scan that reads no message whole (most rescans) never loads
    # detection.
    from thankful.core.reading import read_message

    return [read_message(raw, identity, window=window, headers_only=headers_only)
            for raw, headers_only in bodies]


_TASKS: dict[str, Callable[..., list[Any]]] = {"judge": _judge, "read": _read}
_SIZES: dict[str, Callable[[Any], int]] = {"judge": len, "read": lambda body: len(body[0])}

_context: tuple[Identity, tuple[datetime, datetime]] | None = None  # in the worker


def _init(identity: Identity, window: tuple[datetime, datetime], parent: int) -> None:
    """The worker's start: its context; signals left to the parent; gone with it."""
    import signal
    import threading
    import time

    global _context
    _context = (identity, window)
    # Ctrl-C at a terminal and systemd's stop reach every process of the group: the
    # parent stops (and kills) the worker, which ignores them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def orphaned() -> None:
        # A parent killed outright (kill -9, out of memory, a daemon's abandoned cycle)
        # leaves the worker waiting on a queue it holds both ends of: it leaves too.
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=orphaned, name="orphaned", daemon=True).start()


def _run(task: str, payloads: list[Any]) -> list[Any]:
    if _context is None:
        raise RuntimeError("the worker was not initialised")
    return _TASKS[task](payloads, *_context)
