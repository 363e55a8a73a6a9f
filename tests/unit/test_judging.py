"""Header blocks judged in a worker process give the verdicts judged here, and a worker
that cannot start, dies or stalls loses nothing: its chunks are judged here.

These start real worker processes (a new interpreter each, about a tenth of a second).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from thankful.adapters import judging
from thankful.adapters.judging import Aside
from thankful.adapters.judging import judged
from thankful.core.model import Identity
from thankful.core.prefilter import judge_head
from thankful.demo_data import build_demo

ME = Identity(name="Sam Rivera", addresses=frozenset({"sam@example.org"}),
              employer_domains=frozenset({"acme.com"}))
CORPUS = sorted(Path(__file__).resolve().parents[1].joinpath("detection").rglob("*.eml"))


def _blocks() -> list[bytes]:
    """The labelled corpus, the demo's mail (thankful's own reminder and drafts among
    it: the glance leaves those to the caller) and blocks the glance cannot read."""
    demo = build_demo(datetime(2026, 3, 20, 18, 0, tzinfo=UTC))
    blocks = [p.read_bytes() for p in CORPUS] + list(demo.inbox) + list(demo.sent)
    blocks += [b"X-Thankful-Note: n1\r\nFrom: sam@example.org\r\n\r\n", b"", b"\xff\xfe\x00",
               b"From: =?x-unknown?q?=FF?= <a@b.c>\r\nSubject: =?utf-8?b?!!?=\r\n\r\n"]
    return blocks


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker from the first chunk, small chunks, on any machine."""
    monkeypatch.setattr(judging, "START_AFTER", 0)
    monkeypatch.setattr(judging, "CHUNK", 7)
    monkeypatch.setattr(judging, "_cores", lambda: 2)


def _items() -> list[tuple[int, bytes]]:
    return list(enumerate(_blocks() * 3))


def _check(out: list[tuple[tuple[int, bytes], object]], items: list[tuple[int, bytes]]) -> None:
    """Every item once, with the verdict judged here."""
    assert sorted(i for (i, _), _v in out) == [i for i, _ in items]
    for (_i, raw), verdict in out:
        assert verdict == judge_head(raw, ME)


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


def test_the_worker_gives_the_verdicts_judged_here(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judging, "AHEAD", 10**6)  # every chunk to the worker
    items = _items()
    verdicts = {judge_head(raw, ME) for _, raw in items}
    assert None in verdicts and len(verdicts) > 5  # thankful's own, unreadable, and many rules
    aside = Aside()
    out = list(judged(items, lambda item: item[1], ME, aside=aside))
    _check(out, items)
    assert aside.failed == ""
    assert aside.judged == len(items)
    _gone()


def test_a_busy_worker_leaves_chunks_to_be_judged_here(eager: None) -> None:
    items = _items()  # read at once: faster than one worker judges them
    aside = Aside()
    out = list(judged(items, lambda item: item[1], ME, aside=aside))
    _check(out, items)
    assert aside.failed == ""
    assert 0 < aside.judged < len(items)
    _gone()


def test_a_small_scan_starts_no_worker() -> None:
    items = _items()
    assert len(items) < judging.START_AFTER
    aside = Aside()
    out = list(judged(items, lambda item: item[1], ME, aside=aside))
    _check(out, items)
    assert aside.judged == 0 and aside.failed == ""
    assert not _workers()


def _slow(items: list[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """The items, a little at a time (as a mailbox is read), so the worker has some."""
    for k, item in enumerate(items):
        if k % 7 == 0:
            time.sleep(0.002)
        yield item


def test_a_worker_killed_midway_loses_nothing(eager: None) -> None:
    items = _items()
    aside = Aside()
    out = []
    killed = False
    for pair in judged(_slow(items), lambda item: item[1], ME, aside=aside):
        out.append(pair)
        if not killed and aside.judged:
            os.kill(_one_worker(), signal.SIGKILL)
            killed = True
    assert killed
    _check(out, items)
    assert "BrokenProcessPool" in aside.failed
    _gone()


def test_a_stalled_worker_is_killed_and_its_chunks_judged_here(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judging, "STALL_S", 0.5)
    items = _items()
    aside = Aside()
    out = []
    stopped = 0
    for pair in judged(_slow(items), lambda item: item[1], ME, aside=aside):
        out.append(pair)
        if not stopped and aside.judged:
            stopped = _one_worker()
            os.kill(stopped, signal.SIGSTOP)  # as if stuck: it answers no more
    assert stopped
    _check(out, items)
    assert "TimeoutError" in aside.failed
    _gone()  # killed, not left stopped


def test_no_worker_when_processes_cannot_be_made(
        eager: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise OSError(38, "Function not implemented")  # as sem_open where /dev/shm is missing

    monkeypatch.setattr(multiprocessing, "get_context", refuse)
    items = _items()
    aside = Aside()
    out = list(judged(items, lambda item: item[1], ME, aside=aside))
    _check(out, items)
    assert aside.judged == 0 and "OSError" in aside.failed
    assert not _workers()


def test_leaving_early_stops_the_worker(eager: None) -> None:
    items = _items()
    aside = Aside()
    it = judged(_slow(items), lambda item: item[1], ME, aside=aside)
    for _pair in it:
        if aside.judged:
            break
    _one_worker()
    it.close()  # the scan ended early (a server gone, a shutdown)
    _gone()
