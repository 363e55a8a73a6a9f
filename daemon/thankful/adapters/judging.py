"""New messages' header blocks judged partly in a second process, for a large scan.

A first scan of a large folder spends most of its time on two steps that take turns
on one core: reading the header blocks (FETCH answers, or files) and judging each by
its glance (:func:`thankful.core.prefilter.judge_head`). Once a folder has shown it
is large, :func:`judged` starts one worker process, hands it chunks of header blocks
and judges the other chunks here while the next ones are read.

The worker only computes verdicts, a pure function of a header block and the user's
identity: it reads nothing, records nothing and logs nothing. When it cannot be
started, fails or stalls, its chunks are judged here and the scan goes on without it.
The verdicts, and so everything the scan records, are the same either way; only the
order in which messages come back differs.

The worker is a new interpreter (``spawn``), never a fork: the daemon has threads
(the scheduler's, IDLE's), and a fork of a threaded process can hang in the child.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING
from typing import TypeVar

from thankful.core.model import Identity
from thankful.core.prefilter import Action
from thankful.core.prefilter import judge_head
from thankful.log import get_logger

if TYPE_CHECKING:
    from concurrent.futures import Future
    from concurrent.futures import ProcessPoolExecutor

log = get_logger(__name__)

T = TypeVar("T")
Verdict = tuple[Action, str] | None

#: Header blocks handed to the worker at once.
CHUNK = 500
#: Messages of one folder judged here before a worker is started. Its start (a new
#: interpreter importing the judging modules: about 0.2 s of a core) pays off only in a
#: large scan, a first one; the cycles after it judge a handful of messages.
START_AFTER = 4_000
#: Chunks in the worker's hands at once: enough to keep it busy while this process
#: reads; more would only hold more header blocks in memory.
AHEAD = 6
#: How long a chunk may take in the worker before it is judged here instead (a chunk
#: takes it some 20 ms; its start, a few tenths of a second).
STALL_S = 30.0


@dataclass(slots=True)
class Aside:
    """What the worker did in one :func:`judged` (for the cycle's counts and logs)."""

    #: Messages judged by the worker.
    judged: int = 0
    #: Why it stopped helping, if it did ("" when it was not needed or did its part).
    failed: str = ""


def judged(items: Iterable[T], head: Callable[[T], bytes], identity: Identity, *,
           aside: Aside | None = None) -> Iterator[tuple[T, Verdict]]:
    """Each item with :func:`judge_head` of its header block (``head(item)``), some
    judged by a worker process once more than :data:`START_AFTER` have come. Every
    item comes out once; not necessarily in the order it went in."""
    aside = aside if aside is not None else Aside()
    worker: _Worker | None = None
    finished = False
    ahead: deque[tuple[list[T], Future[list[Verdict]]]] = deque()
    count = 0

    def here(chunk: list[T]) -> Iterator[tuple[T, Verdict]]:
        for item in chunk:
            yield item, judge_head(head(item), identity)

    def collect(chunk: list[T], future: Future[list[Verdict]]) -> Iterator[tuple[T, Verdict]]:
        nonlocal worker
        verdicts: list[Verdict] | None = None
        if worker is not None:
            try:
                verdicts = future.result(timeout=STALL_S)
                if len(verdicts) != len(chunk):
                    raise RuntimeError(f"{len(verdicts)} verdicts for {len(chunk)} messages")
            except Exception as exc:  # judged here, below
                _give_up(worker, aside, exc)
                worker = None
                verdicts = None
        if verdicts is None:
            yield from here(chunk)
            return
        aside.judged += len(chunk)
        yield from zip(chunk, verdicts, strict=True)

    try:
        for chunk in _chunks(items, CHUNK):
            count += len(chunk)
            while ahead and ahead[0][1].done():
                yield from collect(*ahead.popleft())
            if worker is None and not aside.failed and count > START_AFTER and _cores() > 1:
                worker = _start(identity, aside)
            if worker is not None and len(ahead) < AHEAD:
                try:
                    ahead.append((chunk, worker.pool.submit(
                        _judge_chunk, [head(item) for item in chunk])))
                    continue
                except Exception as exc:  # a pool that broke meanwhile
                    _give_up(worker, aside, exc)
                    worker = None
            yield from here(chunk)
        while ahead:
            yield from collect(*ahead.popleft())
        finished = True
    finally:
        if worker is not None:
            # Left early (the mailbox failed, the scan was stopped): the worker may be
            # in the middle of a chunk nobody waits for; it is not waited for either.
            worker.stop(kill=not finished)
    if aside.judged:
        log.debug("judged_aside", messages=aside.judged)


def _chunks(items: Iterable[T], n: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, n)):
        yield chunk


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class _Worker:
    """The worker process (a pool of one) and, once it has said so, its pid."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool
        self.pid: Future[int] = pool.submit(os.getpid)

    def stop(self, *, kill: bool = False) -> None:
        """Shut the pool down; ``kill``: the worker too, at once (it may be stuck)."""
        if kill and self.pid.done() and not self.pid.cancelled() \
                and self.pid.exception() is None:
            with suppress(OSError):  # gone already
                os.kill(self.pid.result(), signal.SIGKILL)
        self.pool.shutdown(wait=not kill, cancel_futures=True)


def _start(identity: Identity, aside: Aside) -> _Worker | None:
    try:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init, initargs=(identity,))
        worker = _Worker(pool)
    except Exception as exc:  # no processes here: judged here
        aside.failed = f"{type(exc).__name__}: {exc}"
        log.info("judge_worker_unavailable", reason=aside.failed)
        return None
    log.debug("judge_worker_started")
    return worker


def _give_up(worker: _Worker | None, aside: Aside, exc: Exception) -> None:
    """Stop the worker after it failed (the caller judges the rest here)."""
    aside.failed = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    log.info("judge_worker_failed", reason=aside.failed,
             effect="the rest of the scan judges every message in this process")
    if worker is not None:
        worker.stop(kill=True)
    return None


# --- in the worker -------------------------------------------------------------------

_identity: Identity | None = None


def _init(identity: Identity) -> None:
    global _identity
    _identity = identity


def _judge_chunk(raws: list[bytes]) -> list[Verdict]:
    identity = _identity
    if identity is None:
        raise RuntimeError("the judge worker was not initialised")
    return [judge_head(raw, identity) for raw in raws]
