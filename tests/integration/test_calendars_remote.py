"""Calendars over the network: an ICS feed on a local HTTP server, and a real Radicale.

Both servers are plain subprocesses on 127.0.0.1, stopped by PID. The HTTP server
(``ics_server.py``) serves a folder's .ics files with ETag and Last-Modified, and a
``.mode`` file in that folder makes it answer 500, an HTML page, or nothing for a
while. Radicale comes from PyPI (the ``test`` extra); without it these tests are
skipped, except on CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from thankful.adapters.caldav_source import INSTALL_HINT
from thankful.adapters.caldav_source import CalDavSource
from thankful.adapters.ics_url import IcsUrl
from thankful.adapters.ics_url import https_url
from thankful.adapters.ics_url import split_feed
from thankful.cli import main
from thankful.config import load
from thankful.demo import write_search
from thankful.demo_data import DemoData
from thankful.demo_data import build_demo
from thankful.errors import PermanentSourceError
from thankful.errors import TransientSourceError
from thankful.service import run_cycle

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "ics"
CORPUS_FILES = ("google_feed_moved_occurrence.ics", "lightning_exdate_mozlastack_attendees.ics")
PW_ENV = "THANKFUL_TEST_CALDAV_PASSWORD"


# --- the ICS server ----------------------------------------------------------------------

class IcsServer:
    """The running server: its folder, address, and what it was asked."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.base = f"http://127.0.0.1:{port}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def mode(self, mode: str) -> None:
        (self.root / ".mode").write_text(mode)

    def requests(self, n: int) -> list[dict[str, str | int | None]]:
        """The first ``n`` requests (each is logged just after its answer went out)."""
        log = self.root / ".log"
        deadline = time.monotonic() + 5
        while True:
            lines = log.read_text().splitlines() if log.exists() else []
            if len(lines) >= n or time.monotonic() > deadline:
                return [json.loads(line) for line in lines]
            time.sleep(0.01)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started, by its PID."""
    if proc.poll() is None:
        os.kill(proc.pid, 15)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, 9)
            proc.wait(timeout=5)


def _start_ics_server(root: Path, *tls: Path) -> tuple[subprocess.Popen[bytes], IcsServer]:
    root.mkdir()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("ics_server.py")),
                             str(root), *map(str, tls)], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (root / ".port").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail("the ICS server did not start")
        time.sleep(0.02)
    server = IcsServer(root, int((root / ".port").read_text()))
    if tls:
        server.base = server.base.replace("http://", "https://")
    return proc, server


@pytest.fixture
def ics_server(tmp_path: Path) -> Iterator[IcsServer]:
    proc, server = _start_ics_server(tmp_path / "www")
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[IcsServer, Path]]:
    """The same server over TLS, with a self-signed certificate; and that certificate."""
    from integration.dovecot import make_cert

    cert, key = make_cert(tmp_path)
    proc, server = _start_ics_server(tmp_path / "tls", cert, key)
    try:
        yield server, cert
    finally:
        _stop(proc)


# --- Radicale ---------------------------------------------------------------------------

class Radicale:
    """A running Radicale with no authentication (any user name is that user)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def _request(self, method: str, path: str, user: str, data: bytes | None = None) -> int:
        auth = base64.b64encode(f"{user}:x".encode()).decode()
        req = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers={
            "Authorization": f"Basic {auth}", "Content-Type": "text/calendar; charset=utf-8"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)

    def calendar(self, user: str, name: str, files: dict[str, bytes]) -> str:
        """MKCALENDAR and a PUT per file; returns the collection's address."""
        path = f"/{user}/{name}/"
        assert self._request("MKCALENDAR", path, user) == 201
        for fn, data in files.items():
            assert self._request("PUT", path + fn, user, data) in (201, 204)
        return self.base + path


def need(module: str) -> None:
    """Skip without a test dependency; on CI (``CI=true``) that is a failure."""
    try:
        __import__(module)
    except ImportError:
        reason = f"{module} is not installed (pip install -e '.[test]')"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    need("radicale")
    need("caldav")
    store = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    log = store / "radicale.log"
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stop the server
        proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", "", "--server-hosts",
             f"127.0.0.1:{port}", "--auth-type", "none", "--auth-delay", "0",
             "--storage-filesystem-folder", str(store / "collections")],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"radicale exited: {log.read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "radicale did not start"
                time.sleep(0.05)
        yield Radicale(port)
    finally:
        _stop(proc)


# --- helpers ---------------------------------------------------------------------------

def feed_of(files: tuple[tuple[str, bytes], ...]) -> bytes:
    """The calendar files as one feed, as Google or Outlook publish a whole calendar."""
    import icalendar

    feed = icalendar.Calendar()
    feed.add("prodid", "-//thankful tests//feed//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", "Alex")
    zones: set[str] = set()
    for _, data in files:
        for comp in icalendar.Calendar.from_ical(data).subcomponents:
            if comp.name == "VTIMEZONE":
                if str(comp["TZID"]) in zones:
                    continue
                zones.add(str(comp["TZID"]))
            feed.add_component(comp)
    return feed.to_ical()


def notes_of(result: Any) -> set[tuple[object, ...]]:
    return {(n.id, n.occasion, n.recipient.email, n.state, n.occasion_start, n.due_at)
            for n in result.notes}


def demo(tmp_path: Path, sub: str, calendar: str | None = None) -> tuple[Path, DemoData]:
    """The demo search; ``calendar`` replaces its vdir calendar's kind and location."""
    data = build_demo(NOW)
    path = write_search(tmp_path / sub, data, NOW)
    if calendar is not None:
        text = path.read_text()
        old = 'kind = "ics"\nlocation = "calendar"\n'
        assert old in text
        path.write_text(text.replace(old, calendar))
    return path, data


@pytest.fixture(scope="module")
def vdir_notes(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[object, ...]]:
    """The notes of the demo with its calendar as a vdir: what every source must give."""
    path, _ = demo(tmp_path_factory.mktemp("vdir"), "s")
    result = run_cycle(load(path), NOW)
    assert result.ok and result.notes, result.errors
    return notes_of(result)


def url_source(server: IcsServer, cache: Path, name: str = "feed.ics",
               **kw: Any) -> IcsUrl:
    return IcsUrl(name="feed", url=server.url(name), cache_dir=cache, **kw)


# --- ICS over HTTP -----------------------------------------------------------------------

def test_feed_over_http_gives_the_same_notes_as_the_vdir(
        tmp_path: Path, ics_server: IcsServer, vdir_notes: set[tuple[object, ...]],
        capsys: pytest.CaptureFixture[str]) -> None:
    path, data = demo(tmp_path, "s", f'kind = "ics"\nlocation = "{ics_server.url("cal.ics")}"\n')
    (ics_server.root / "cal.ics").write_bytes(feed_of(data.calendar))
    result = run_cycle(load(path), NOW)
    assert result.ok, result.errors
    assert notes_of(result) == vdir_notes
    assert result.drafts and result.counts["calendar_files_read"] == len(data.calendar)
    cache = tmp_path / "s" / "state" / "calendars"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    kept = sorted(cache.iterdir())
    assert [p.suffix for p in kept] == [".ics", ".json"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    # The address is the calendar's only secret: nothing in the state names it.
    db = (tmp_path / "s" / "state" / "thankful.sqlite3").read_bytes()
    assert b"cal.ics" not in db and not any(b"cal.ics" in p.read_bytes() for p in kept)

    # Unchanged: a conditional request, a 304, and nothing parsed again.
    again = run_cycle(load(path), NOW + timedelta(minutes=10))
    assert again.ok and again.counts.get("calendar_files_read", 0) == 0
    first, second = ics_server.requests(2)
    assert (first["status"], first["inm"]) == (200, None)
    assert second["status"] == 304 and second["inm"] and second["ims"]
    assert notes_of(again) == notes_of(result)
    code, out = _check(capsys, path)
    assert code == 0 and "ok: calendar demo: reached http://127.0.0.1/…" in out
    # `check` uses the wall clock: how many of the demo's events are recent depends on it.
    assert re.search(r"\d+ event UID\(s\), \d+ event\(s\) from ", out)
    assert "cal.ics" not in out


def test_server_error_keeps_the_last_good_copy_and_fails_that_calendar_alone(
        tmp_path: Path, ics_server: IcsServer, capsys: pytest.CaptureFixture[str]) -> None:
    path, data = demo(tmp_path, "s", f'kind = "ics"\nlocation = "{ics_server.url("cal.ics")}"\n')
    (ics_server.root / "cal.ics").write_bytes(feed_of(data.calendar))
    before = run_cycle(load(path), NOW)
    assert before.ok
    ics_server.mode("500")
    with capture_logs() as logs:
        during = run_cycle(load(path), NOW + timedelta(hours=1))
    assert [s for s, _ in during.errors] == ["demo"]
    message = during.errors[0][1]
    assert "500" in message and "using the copy fetched" in message
    assert "cal.ics" not in message  # never the address itself
    assert any(e["event"] == "source_failed" and e["source"] == "demo" for e in logs)
    # Every interview is still known: the notes are those of the last good copy.
    assert {n.id for n in during.notes} == {n.id for n in before.notes}
    assert "ok: account demo" in _check(capsys, path)[1]
    code, out = _check(capsys, path)
    assert code == 1 and "FAILED: calendar demo:" in out and "500" in out

    # Back up, with one interview cancelled: the note goes.
    ics_server.mode("ok")
    cancelled = _cancel_first_interview(data)
    (ics_server.root / "cal.ics").write_bytes(feed_of(cancelled))
    after = run_cycle(load(path), NOW + timedelta(hours=2))
    assert after.ok and after.counts["calendar_files_read"] == 1
    assert {n.id for n in after.notes if n.state != "gone"} < {n.id for n in before.notes}


def _check(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", "--config", str(path)])
    return code, capsys.readouterr().out


def _cancel_first_interview(data: DemoData) -> tuple[tuple[str, bytes], ...]:
    """The demo calendar with its first interview marked cancelled (a newer SEQUENCE)."""
    out = []
    done = False
    for name, ics in data.calendar:
        if not done and b"ATTENDEE" in ics and b"STATUS:CONFIRMED" in ics:
            ics = ics.replace(b"STATUS:CONFIRMED", b"STATUS:CANCELLED").replace(
                b"SEQUENCE:0", b"SEQUENCE:5")
            done = True
        out.append((name, ics))
    assert done
    return tuple(out)


def test_first_fetch_failing_has_no_copy_to_fall_back_on(tmp_path: Path,
                                                        ics_server: IcsServer) -> None:
    ics_server.mode("500")
    with pytest.raises(TransientSourceError, match=r"500.*no earlier copy"):
        url_source(ics_server, tmp_path / "cache").files()
    ics_server.mode("ok")
    with pytest.raises(PermanentSourceError, match="404"):
        url_source(ics_server, tmp_path / "cache", "missing.ics").files()


def test_last_modified_alone_makes_a_conditional_request(tmp_path: Path,
                                                        ics_server: IcsServer) -> None:
    (ics_server.root / "feed.ics").write_bytes((CORPUS / CORPUS_FILES[0]).read_bytes())
    ics_server.mode("no-etag")
    src = url_source(ics_server, tmp_path / "cache")
    first = src.files()
    assert src.outcome == "fetched" and first
    again = url_source(ics_server, tmp_path / "cache")
    assert again.files() == first and again.outcome == "not modified"
    first_req, second_req = ics_server.requests(2)
    assert (first_req["status"], second_req["status"]) == (200, 304)
    assert second_req["ims"] and not second_req["inm"]
    assert {again.read(p) for p in first} == {src.read(p) for p in first}


def test_a_server_that_does_not_answer_in_time(tmp_path: Path, ics_server: IcsServer) -> None:
    (ics_server.root / "feed.ics").write_bytes((CORPUS / CORPUS_FILES[0]).read_bytes())
    good = url_source(ics_server, tmp_path / "cache").files()
    ics_server.mode("sleep:5")
    src = url_source(ics_server, tmp_path / "cache", timeout=0.5)
    started = time.monotonic()
    assert src.files() == good
    assert time.monotonic() - started < 3
    assert src.stale and "timed out" in src.stale and src.outcome == "last good copy"
    with pytest.raises(TransientSourceError, match="timed out"):
        url_source(ics_server, tmp_path / "other-cache", timeout=0.5).files()


def test_a_login_in_the_address_is_sent_as_basic_auth(tmp_path: Path,
                                                     ics_server: IcsServer) -> None:
    (ics_server.root / "feed.ics").write_bytes((CORPUS / CORPUS_FILES[0]).read_bytes())
    url = ics_server.url("feed.ics").replace("http://", "http://alex:p%40ss@")
    src = IcsUrl(name="feed", url=url, cache_dir=tmp_path)
    assert src.files() and "p%40ss" not in src.describe() and "alex" not in src.describe()
    (req,) = ics_server.requests(1)
    assert req["auth"] == "Basic " + base64.b64encode(b"alex:p@ss").decode()
    assert req["path"] == "/feed.ics"


def test_a_login_page_is_not_a_calendar(tmp_path: Path, ics_server: IcsServer) -> None:
    ics_server.mode("html")
    with pytest.raises(PermanentSourceError, match=r"other than a calendar.*text/html"):
        url_source(ics_server, tmp_path / "cache").files()


def test_tls_is_verified(tmp_path: Path, tls_server: tuple[IcsServer, Path],
                         ics_server: IcsServer) -> None:
    server, cert = tls_server
    (server.root / "feed.ics").write_bytes((CORPUS / CORPUS_FILES[0]).read_bytes())
    with pytest.raises(PermanentSourceError, match=r"certificate was refused.*set cafile"):
        url_source(server, tmp_path / "cache").files()
    trusted = url_source(server, tmp_path / "cache", cafile=cert)
    assert trusted.files() and trusted.outcome == "fetched"
    # A redirect may never take the secret address from https to plain http.
    server.mode(f"redirect:{ics_server.url('feed.ics')}")
    again = url_source(server, tmp_path / "cache", cafile=cert)
    assert again.files() == trusted.files()
    assert again.stale and "redirect from https to plain http refused" in again.stale
    assert ics_server.requests(0) == []


def test_gzip_and_webcal(tmp_path: Path, ics_server: IcsServer) -> None:
    data = (CORPUS / CORPUS_FILES[1]).read_bytes()
    (ics_server.root / "feed.ics").write_bytes(data)
    plain = url_source(ics_server, tmp_path / "a")
    expected = plain.files()
    ics_server.mode("gzip")
    zipped = url_source(ics_server, tmp_path / "b")
    assert zipped.files() == expected
    assert https_url("webcal://calendar.example/x.ics") == "https://calendar.example/x.ics"
    assert https_url("WEBCAL://calendar.example/x.ics") == "https://calendar.example/x.ics"


def test_a_feed_split_per_uid_keeps_every_event() -> None:
    """Each piece parses to the events the whole feed has for its UID."""
    from thankful.core.parse_ics import parse_calendar

    tz = ZoneInfo("Europe/Berlin")
    wide = (datetime(2019, 1, 1, tzinfo=tz), datetime(2022, 6, 1, tzinfo=tz))
    # Narrower where the whole file would hit the per-object cap on occurrences
    # (each piece has a cap of its own).
    windows = {"outlook12_many_events_attendees.ics": (datetime(2014, 9, 1, tzinfo=tz),
                                                       datetime(2014, 9, 20, tzinfo=tz)),
               "lightning_exdate_mozlastack_attendees.ics": (datetime(2013, 12, 1, tzinfo=tz),
                                                             datetime(2014, 2, 1, tzinfo=tz))}
    for name in (*CORPUS_FILES, "google_feed_x_wr_timezone.ics",
                 "exchange2010_ms_timezones.ics", "outlook12_many_events_attendees.ics"):
        start, end = windows.get(name, wide)
        window = {"default_tz": tz, "window_start": start, "window_end": end}
        whole = (CORPUS / name).read_bytes()
        parsed = parse_calendar(whole, **window)
        assert parsed.events and not any("capped" in p for p in parsed.problems), name
        expected = sorted((e.uid, e.recurrence_id or "", e.start, e.end, e.cancelled)
                          for e in parsed.events)
        pieces = split_feed(whole)
        assert len(pieces) >= len({e.uid for e in parsed.events})
        got = sorted((e.uid, e.recurrence_id or "", e.start, e.end, e.cancelled)
                     for piece in pieces.values()
                     for e in parse_calendar(piece, **window).events)
        assert got == expected, name
        # Left out unparsed: only what surely ended a week before the window.
        recent = split_feed(whole, before=(start - timedelta(days=7)).strftime("%Y%m%d"))
        assert set(recent) <= set(pieces)
        assert sorted((e.uid, e.recurrence_id or "", e.start, e.end, e.cancelled)
                      for piece in recent.values()
                      for e in parse_calendar(piece, **window).events) == expected, name
    # A feed of Google's, downloaded again: every DTSTAMP is new, nothing else is.
    whole = (CORPUS / "google_feed_moved_occurrence.ics").read_bytes()
    assert b"DTSTAMP:" in whole
    renewed = re.sub(rb"DTSTAMP:\d{8}T\d{6}Z", b"DTSTAMP:20991231T000000Z", whole)
    assert renewed != whole
    fingerprints = []
    for body in (whole, renewed):
        src = IcsUrl(name="g", url="https://calendar.example/x.ics", cache_dir=None)
        src._fetch = lambda body=body: body  # type: ignore[method-assign]
        fingerprints.append(src.files())
    assert fingerprints[0] == fingerprints[1]


# --- CalDAV against Radicale -------------------------------------------------------------

def caldav_block(url: str, user: str) -> str:
    return (f'kind = "caldav"\nurl = "{url}"\nusername = "{user}"\n'
            f'password_env = "{PW_ENV}"\n')


def test_caldav_calendar_gives_the_same_notes_as_the_vdir(
        tmp_path: Path, radicale: Radicale, monkeypatch: pytest.MonkeyPatch,
        vdir_notes: set[tuple[object, ...]], capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(PW_ENV, "unused")
    data = build_demo(NOW)
    url = radicale.calendar("alex1", "interviews", dict(data.calendar))
    path, _ = demo(tmp_path, "s", caldav_block(url, "alex1"))
    result = run_cycle(load(path), NOW)
    assert result.ok, result.errors
    assert notes_of(result) == vdir_notes
    assert result.counts["calendar_files_read"] == len(data.calendar)
    again = run_cycle(load(path), NOW + timedelta(minutes=10))
    assert again.ok and again.counts.get("calendar_files_read", 0) == 0
    code, out = _check(capsys, path)
    assert code == 0 and f"ok: calendar demo: reached {url}: 1 calendar(s), " in out


def test_caldav_server_address_means_every_calendar(
        tmp_path: Path, radicale: Radicale, monkeypatch: pytest.MonkeyPatch) -> None:
    from thankful.core.parse_ics import parse_calendar

    monkeypatch.setenv(PW_ENV, "unused")
    data = build_demo(NOW)
    interviews = radicale.calendar("alex2", "interviews", dict(data.calendar))
    corpus = radicale.calendar("alex2", "corpus", {
        n: (CORPUS / n).read_bytes() for n in CORPUS_FILES})
    path, _ = demo(tmp_path, "s", caldav_block(radicale.base + "/", "alex2"))
    cfg = load(path).calendars[0]
    src = CalDavSource(cfg, start=NOW - timedelta(days=180), end=NOW + timedelta(days=30))
    objects = src.files()
    assert sorted(src.calendars) == sorted([corpus, interviews])
    assert len([u for u in objects if u.startswith(interviews)]) == len(data.calendar)
    # The corpus files, read through the server in their own time, give the events
    # the files give.
    tz = ZoneInfo("Europe/Berlin")
    start, end = datetime(2021, 11, 1, tzinfo=tz), datetime(2022, 1, 15, tzinfo=tz)
    old = CalDavSource(replace(cfg, url=corpus), start=start, end=end)
    served = old.files()
    assert old.calendars == [corpus]
    found = 0
    for name in CORPUS_FILES:
        window = {"default_tz": tz, "window_start": start, "window_end": end}
        want = sorted((e.uid, e.recurrence_id or "", e.start, e.end) for e in
                      parse_calendar((CORPUS / name).read_bytes(), **window).events)
        got = sorted((e.uid, e.recurrence_id or "", e.start, e.end) for e in
                     parse_calendar(old.read(corpus + name), **window).events
                     ) if corpus + name in served else []
        assert got == want, name
        found += len(got)
    assert found


def test_caldav_without_the_extra_fails_that_calendar_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As if `thankful[caldav]` were not installed: the import fails."""
    monkeypatch.setitem(sys.modules, "caldav", None)
    path, _ = demo(tmp_path, "s")
    path.write_text(path.read_text() + '\n[[calendars]]\nname = "work"\n'
                    + caldav_block("https://caldav.example.org/dav/", "alex"))
    for hour in (0, 1):  # reported every cycle; the mail and the vdir go on each time
        with capture_logs() as logs:
            result = run_cycle(load(path), NOW + timedelta(hours=hour))
        assert [s for s, _ in result.errors] == ["work"]
        assert INSTALL_HINT in result.errors[0][1]
        assert any(e["event"] == "source_failed" and INSTALL_HINT in e["error"] for e in logs)
        assert result.notes
        assert bool(result.drafts) == (hour == 0)
    code, out = _check(capsys, path)
    assert code == 1 and "FAILED: calendar work: " in out and INSTALL_HINT in out


def test_caldav_server_down_is_a_transient_error(tmp_path: Path) -> None:
    need("caldav")
    path, _ = demo(tmp_path, "s", caldav_block(f"http://127.0.0.1:{_free_port()}/", "alex")
                   .replace(f'password_env = "{PW_ENV}"', 'password_command = "echo x"'))
    cfg = load(path).calendars[0]
    with pytest.raises(TransientSourceError, match="cannot read the calendars"):
        CalDavSource(cfg, start=NOW, end=NOW + timedelta(days=1), timeout=5).files()


def test_tasks_written_back_to_a_caldav_task_list(tmp_path: Path, radicale: Radicale,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The notes of the demo become VTODOs on the server, then COMPLETED when done."""
    from thankful.adapters.tasks import open_task_list
    from thankful.adapters.tasks import sync_tasks

    monkeypatch.setenv(PW_ENV, "unused")
    path, _ = demo(tmp_path, "s")
    result = run_cycle(load(path), NOW)
    url = radicale.calendar("alex3", "tasks", {})
    cfg = replace(load(path).calendars[0], kind="caldav", url=url, username="alex3",
                  password_env=PW_ENV)
    tasks = open_task_list(cfg)
    owed = [n for n in result.notes if n.state in ("ready", "drafted")]
    assert sync_tasks(result.notes, tasks, NOW) == {"created": len(owed)}
    on_server = open_task_list(cfg).existing()
    assert len(on_server) == len(owed)
    assert all(b"STATUS:NEEDS-ACTION" in d and b"DUE:" in d for d in on_server.values())
    assert sync_tasks(result.notes, tasks, NOW) == {}
    done = [replace(n, state="done") if n.id == owed[0].id else n for n in result.notes]
    assert sync_tasks(done, tasks, NOW + timedelta(hours=1)) == {"completed": 1}
    assert b"STATUS:COMPLETED" in open_task_list(cfg).existing()[f"{owed[0].id}@thankful"]


def test_a_caldav_task_list_that_fails_fails_alone(
        tmp_path: Path, radicale: Radicale, monkeypatch: pytest.MonkeyPatch) -> None:
    """A task list the server cannot give (here: none at that address) is one source's
    clear error; the drafts are made and nothing escapes as an unexpected error."""
    monkeypatch.setenv(PW_ENV, "unused")
    path, _ = demo(tmp_path, "s")
    path.write_text(path.read_text() + "\n[tasks]\n"
                    + caldav_block(radicale.base + "/alex9/no-such-list/", "alex9"))
    result = run_cycle(load(path), NOW)
    assert result.drafts
    assert [source for source, _ in result.errors] == ["tasks"]
    assert "not found on the server" in result.errors[0][1], result.errors
