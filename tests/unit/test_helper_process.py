"""Header blocks judged and messages read in a worker process give what this process
gives, in the same order; a worker that cannot start, dies or stalls loses nothing: its
chunks are done here.

These start real worker processes (a new interpreter each, about a tenth of a second).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.spawn
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest

from thankful.adapters import helper_process
from thankful.adapters.helper_process import HelperProcess
from thankful.core.model import Identity
from thankful.core.prefilter import judge_head
from thankful.core.reading import Reading
from thankful.core.reading import read_message
from thankful.demo_data import build_demo

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)
ME = Identity(name="Sam Rivera", addresses=frozenset({"sam@example.org"}),
              employer_domains=frozenset({"acme.com"}))
WINDOW = (NOW - timedelta(days=180), NOW + timedelta(days=60))
CORPUS = sorted(Path(__file__).resolve().parents[1].joinpath("detection").rglob("*.eml"))


def _blocks() -> list[bytes]:
    """The labelled corpus, the demo's mail (thankful's own reminder and drafts among
    it: the glance leaves those to the caller) and blocks the glance cannot read."""
    demo = build_demo(NOW)
    blocks = [p.read_bytes() for p in CORPUS] + list(demo.inbox) + list(demo.sent)
    blocks += [b"X-Thankful-Note: n1\r\nFrom: sam@example.org\r\n\r\n", b"", b"\xff\xfe\x00",
               # Bulk mail to skip, but from the user: its verdict depends on who they are.
               b"From: Sam <sam@example.org>\r\nList-Id: <team.example.com>\r\n"
               b"Subject: hi\r\n\r\n",
               b"From: =?x-unknown?q?=FF?= <a@b.c>\r\nSubject: =?utf-8?b?!!?=\r\n\r\n"]
    return blocks


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker from the first chunk, small chunks, on any machine."""
    monkeypatch.setattr(helper_process, "START_AFTER", 0)
    monkeypatch.setattr(helper_process, "READ_START_AT", 0)
    monkeypatch.setattr(helper_process, "CHUNK", 7)
    monkeypatch.setattr(helper_process, "READ_CHUNK", 3)
    monkeypatch.setattr(helper_process, "_cores", lambda: 2)


@pytest.fixture
def all_to_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chunk to the worker (this process never runs out of room for them)."""
    monkeypatch.setattr(helper_process, "AHEAD", 10**6)
    monkeypatch.setattr(helper_process, "WAITING", 10**6)


def _items() -> list[tuple[int, bytes]]:
    return list(enumerate(_blocks() * 3))


def _head(item: tuple[int, bytes]) -> bytes:
    return item[1]


def _body(item: tuple[int, bytes]) -> tuple[bytes, bool]:
    """Every third message as one over the size limit (its headers alone)."""
    return item[1], item[0] % 3 == 0


@cache
def _verdict_here(raw: bytes) -> object:
    return judge_head(raw, ME)


@cache
def _reading_here(raw: bytes, headers_only: bool) -> Reading:
    return read_message(raw, ME, window=WINDOW, headers_only=headers_only)


def _judged(out: list[tuple[tuple[int, bytes], object]], items: list[tuple[int, bytes]]
            ) -> None:
    """Every item once, in order, with the verdict judged here."""
    assert [item for item, _ in out] == items
    for (_i, raw), verdict in out:
        assert verdict == _verdict_here(raw)


def _read(out: list[tuple[tuple[int, bytes], object]], items: list[tuple[int, bytes]]
          ) -> None:
    """Every item once, in order, with the reading made here."""
    assert [item for item, _ in out] == items
    for item, reading in out:
        assert reading == _reading_here(*_body(item))


def _workers() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def _one_worker() -> int:
    """The pid of the one worker process alive (waits for it to start)."""
    for _ in range(200):
        alive = _workers()
        if alive:
            assert len(alive) == 1
            pid = alive[0].pid
            assert pid is not None
            return pid
        time.sleep(0.01)
    raise AssertionError("no worker process started")


def _gone() -> None:
    for _ in range(300):
        if not _workers():
            return
        time.sleep(0.01)
    raise AssertionError(f"worker processes left behind: {_workers()}")


def test_the_worker_judges_as_this_process_does(eager: None, all_to_worker: None) -> None:
    items = _items()
    verdicts = {_verdict_here(raw) for _, raw in items}
    assert None in verdicts and len(verdicts) > 5  # thankful's own, unreadable, and many rules
    with HelperProcess(ME, WINDOW) as helper:
        out = list(helper.judge(items, _head))
    _judged(out, items)
    assert helper.failed == ""
    assert helper.judged == len(items) and helper.read == 0
    _gone()


def test_the_worker_reads_messages_as_this_process_does(eager: None, all_to_worker: None) -> None:
    items = _items()[:len(_blocks())]
    readings = [_reading_here(*_body(item)) for item in items]
    # Detections of every kind, invitations read, thankful's own, cut and broken mail.
    assert {r.detection.kind for r in readings if r.detection} >= {"interview_invite", "offer", "other"}
    assert any(r.calendar_problems or (r.detection and r.detection.events) for r in readings)
    assert any(r.own for r in readings) and any(r.problems for r in readings)
    with HelperProcess(ME, WINDOW) as helper:
        out = list(helper.read_whole(items, _body, len(items)))
    _read(out, items)
    assert helper.failed == "" and helper.read == len(items)
    _gone()


def test_a_busy_worker_leaves_chunks_to_this_process(eager: None) -> None:
    items = _items()  # at hand at once: faster than one worker judges them
    with HelperProcess(ME, WINDOW) as helper:
        out = list(helper.judge(items, _head))
    _judged(out, items)
    assert helper.failed == ""
    assert 0 < helper.judged < len(items)
    _gone()


def test_a_small_scan_starts_no_worker() -> None:
    items = _items()
    assert len(items) < helper_process.START_AFTER
    reads = items[:helper_process.READ_START_AT - 1]
    with HelperProcess(ME, WINDOW) as helper:
        _judged(list(helper.judge(items, _head)), items)
        _read(list(helper.read_whole(reads, _body, len(reads))), reads)
        assert not _workers()
    assert helper.judged == helper.read == 0 and helper.failed == ""


def test_the_worker_of_the_headers_reads_the_bodies_too(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    items = _items()
    reads = items[:20]
    with HelperProcess(ME, WINDOW) as helper:
        _judged(list(helper.judge(_slow(items), _head)), items)
        pid = _one_worker()
        monkeypatch.setattr(helper_process, "READ_START_AT", 10**6)  # too few to start one
        _read(list(helper.read_whole(_slow(reads), _body, len(reads))), reads)
        assert _one_worker() == pid
    assert helper.judged and helper.read
    _gone()


def _slow(items: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """The items, a little at a time (as a mailbox is read), so the worker has some."""
    for k, item in enumerate(items):
        if k % 7 == 0:
            time.sleep(0.002)
        yield item


def test_a_worker_killed_midway_loses_nothing(eager: None) -> None:
    items = _items()
    out = []
    killed = False
    with HelperProcess(ME, WINDOW) as helper:
        for pair in helper.judge(_slow(items), _head):
            out.append(pair)
            if not killed and helper.judged:
                os.kill(_one_worker(), signal.SIGKILL)
                killed = True
    assert killed
    _judged(out, items)
    assert helper.failed == "BrokenProcessPool"  # by name alone: its text could quote mail
    _gone()


def test_a_stalled_worker_is_killed_and_its_chunks_done_here(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper_process, "STALL_S", 0.5)
    items = _items()[:120]
    out = []
    stopped = 0
    with HelperProcess(ME, WINDOW) as helper:
        for pair in helper.read_whole(_slow(items), _body, len(items)):
            out.append(pair)
            if not stopped and helper.read:
                stopped = _one_worker()
                os.kill(stopped, signal.SIGSTOP)  # as if stuck: it answers no more
    assert stopped
    _read(out, items)
    assert helper.failed == "TimeoutError"
    _gone()  # killed, not left stopped


def test_a_worker_stuck_as_it_starts_is_killed(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper_process, "STALL_S", 0.5)
    items = _items()[:60]
    started = time.monotonic()
    with HelperProcess(ME, WINDOW) as helper:
        out = []
        for pair in helper.judge(_stop_the_worker_first(items), _head):
            out.append(pair)
    _judged(out, items)
    assert helper.judged == 0 and "TimeoutError" in helper.failed
    _gone()
    assert time.monotonic() - started < 30


def _stop_the_worker_first(items: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """The items; the worker is stopped as soon as it exists, before it has said a word."""
    for k, item in enumerate(items):
        if k == helper_process.CHUNK:  # the first chunk has started it
            os.kill(_one_worker(), signal.SIGSTOP)
        yield item


def test_no_worker_when_processes_cannot_be_made(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The interpreter a worker is made of is missing (as if it was upgraded away).
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", b"/nonexistent/python3")
    items = _items()
    with HelperProcess(ME, WINDOW) as helper:
        _judged(list(helper.judge(items, _head)), items)
        _read(list(helper.read_whole(items[:30], _body, 30)), items[:30])
    assert helper.judged == helper.read == 0
    # The exec fails in the child: the pool finds its process dead.
    assert helper.failed == "BrokenProcessPool"  # by name alone: its text could quote mail
    assert not _workers()


def test_no_worker_on_one_core(eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper_process, "_cores", lambda: 1)
    items = _items()
    with HelperProcess(ME, WINDOW) as helper:
        _judged(list(helper.judge(_slow(items), _head)), items)
        assert not _workers()
    assert helper.judged == 0 and helper.failed == ""


def test_a_worker_starts_once_more_than_start_after_came(
        eager: None, all_to_worker: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper_process, "START_AFTER", 2 * helper_process.CHUNK)
    items = _items()
    with HelperProcess(ME, WINDOW) as helper:
        _judged(list(helper.judge(items, _head)), items)
    assert helper.judged == len(items) - 2 * helper_process.CHUNK
    _gone()


def test_a_failed_worker_is_not_started_again(eager: None) -> None:
    items = _items()
    with HelperProcess(ME, WINDOW) as helper:
        out = []
        for pair in helper.judge(_slow(items), _head):
            out.append(pair)
            if len(out) == 3 * helper_process.CHUNK:
                # The pool breaks between two chunks (its queue closed under it).
                assert helper._worker is not None
                helper._worker.pool.shutdown(wait=False)
        _judged(out, items)
        assert helper.failed == "RuntimeError"
        _gone()
        _read(list(helper.read_whole(_slow(items[:40]), _body, 40)), items[:40])
        assert not _workers()
    assert helper.read == 0


@pytest.mark.parametrize("cores", [1, 2])
def test_what_is_held_at_once_stays_bounded(
        eager: None, monkeypatch: pytest.MonkeyPatch, cores: int) -> None:
    monkeypatch.setattr(helper_process, "_cores", lambda: cores)
    monkeypatch.setattr(helper_process, "HELD_BYTES", 10_000)
    monkeypatch.setattr(helper_process, "READ_CHUNK_BYTES", 3_000)
    sizes = [random.Random(k).choice((100, 900, 2_500, 15_000)) for k in range(80)]
    items = [(k, b"Subject: big\r\n\r\n" + b"lorem ipsum dolor \r\n" * (n // 20))
             for k, n in enumerate(sizes)]
    taken = 0
    most = 0

    def fetched() -> Iterator[tuple[int, bytes]]:
        nonlocal taken
        for item in items:
            taken += len(item[1])
            yield item

    out = []
    with HelperProcess(ME, WINDOW) as helper:
        for pair in helper.read_whole(fetched(), _body, len(items)):
            out.append(pair)
            most = max(most, taken - sum(len(raw) for (_k, raw), _r in out))
    _read(out, items)
    # The bound, the chunk just taken and the one being filled (each the chunk bound,
    # or one message over it).
    biggest = max(3_000, *(len(raw) for _k, raw in items))
    assert most <= 10_000 + 2 * biggest
    assert (helper.read > 0) == (cores > 1)
    _gone()


def test_the_worker_leaves_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "scan.py"
    script.write_text(f"""
import os, sys, time
sys.path[:0] = {[str(Path(helper_process.__file__).parents[2])]!r}
from datetime import datetime, timedelta, timezone
from thankful import log
from thankful.adapters import helper_process
from thankful.core.model import Identity

def items():
    while True:
        time.sleep(0.01)
        yield b"From: a@b.c\\r\\nSubject: hi\\r\\n\\r\\n"

if __name__ == "__main__":
    log.configure("warning")
    helper_process.START_AFTER, helper_process.CHUNK = 0, 5
    helper_process._cores = lambda: 2
    now = datetime.now(timezone.utc)
    me = Identity(name="x", addresses=frozenset({{"x@y.z"}}))
    with helper_process.HelperProcess(me, (now - timedelta(1), now)) as helper:
        for _ in helper.judge(items(), lambda raw: raw):
            if helper.judged:
                print(helper._worker.processes[0].pid, flush=True)
                time.sleep(600)
""")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        os.kill(worker, 0)  # alive
        proc.kill()  # as kill -9 or the out-of-memory killer would
        proc.wait()
        for _ in range(100):
            if not _alive(worker):
                break
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        proc.kill()


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_scan_cut_short_keeps_what_was_handed_over_and_kills_the_worker(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helper_process, "STALL_S", 0.5)
    items = _items()

    def failing() -> Iterator[tuple[int, bytes]]:
        yield from _slow(items[:60])
        os.kill(_one_worker(), signal.SIGSTOP)  # busy with a chunk that is waited for
        raise ConnectionResetError("the server went away")

    out: list[tuple[tuple[int, bytes], object]] = []
    started = time.monotonic()
    with pytest.raises(ConnectionResetError), HelperProcess(ME, WINDOW) as helper:
        out.extend(helper.judge(failing(), _head))
    _judged(out, items[:60])  # every item handed over came out, then the error
    assert time.monotonic() - started < 30
    _gone()


def test_a_scan_that_stops_reading_stops_the_worker_at_once(eager: None) -> None:
    items = _items()
    with HelperProcess(ME, WINDOW) as helper:
        for _pair in helper.judge(_slow(items), _head):
            if helper.judged:
                os.kill(_one_worker(), signal.SIGSTOP)  # nobody waits for it: killed
                break
    _gone()
