"""``thankful run``: the APScheduler 3 service.

A BackgroundScheduler runs the cycle on an interval (coalesced, never two at once,
with a grace time for late runs); the main thread sleeps on a pipe that the signals
are written to (``signal.set_wakeup_fd``), so a handler does nothing at all: not even
take a lock. SIGTERM and SIGINT stop it after the cycle in flight; SIGHUP rereads the
config (and tries every failing source again) and keeps the old one if the new one is
broken. A failing source waits for its next try (:mod:`thankful.backoff`); the next
cycle is brought forward when a try is due before it. Under systemd it says READY=1
once the lock is held and the scheduler runs, reports each cycle in STATUS=, pings the
watchdog from a heartbeat job of its own (which stops while a cycle hangs past its
limit, so systemd restarts it), and says STOPPING=1 on the way out.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sys
import threading
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from thankful import backoff
from thankful import log as tlog
from thankful.adapters.lock import StateLock
from thankful.adapters.sdnotify import notify
from thankful.adapters.sdnotify import watchdog_interval
from thankful.config import Config
from thankful.config import load
from thankful.errors import EXIT_OK
from thankful.errors import ConfigError
from thankful.errors import ThankfulError

log = tlog.get_logger("thankful.daemon")

#: A cycle running longer than this is taken as hung: the watchdog pings stop.
MAX_CYCLE = timedelta(hours=1)
#: How long a stop waits for the cycle in flight (systemd and the issue allow 10 s).
STOP_GRACE = 8.0


def _wall() -> datetime:
    return datetime.now().astimezone()


def run(config_path: Path) -> int:
    """Run until SIGTERM or SIGINT; returns the exit status (2 if another holds the lock)."""
    cfg = load(config_path)
    with StateLock(cfg.state_dir):
        return Daemon(cfg, config_path).serve()


class Daemon:
    """The scheduler, its jobs and the signals."""

    def __init__(self, cfg: Config, config_path: Path) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.stop = threading.Event()
        self.cycle_started: float | None = None
        self.scheduler: Any = None
        #: New mail arrived (IDLE) while a cycle ran: run another right after it.
        self.pending = threading.Event()
        self.idle_stop = threading.Event()
        #: The state database failed (a full disk, say): whole cycles back off.
        self.state_health: backoff.Health | None = None

    def cycle(self) -> None:
        """One scan cycle (a scheduler job)."""
        from thankful.service import run_cycle

        cfg = self.cfg
        if self.state_health is not None and not backoff.due(self.state_health, _wall()):
            self._after_cycle()
            return
        self.cycle_started = time.monotonic()
        try:
            result = run_cycle(cfg, datetime.now(cfg.identity.tz).replace(microsecond=0),
                               backoff=True, quiet_notes=False)
            if self.state_health is not None:
                log.info("state_recovered", failures=self.state_health.failures)
                self.state_health = None
            states = result.note_states
            status = (f"last cycle {datetime.now(cfg.identity.tz):%H:%M}: "
                      f"{'ok' if result.ok else f'{len(result.errors)} source(s) failed'}; "
                      f"{states.get('ready', 0) + states.get('drafted', 0)} note(s) open")
            notify(f"STATUS={status}")
        except ThankfulError as exc:
            # A full disk under the state, say: told once an hour, retried with backoff.
            at = _wall()
            self.state_health, tell = backoff.after_failure(
                self.state_health, source="state", now=at, error=str(exc), must_act=True,
                base=cfg.retry_base, cap=cfg.retry_cap, rand=random.random())
            assert self.state_health.next_attempt is not None
            (log.error if tell else log.info)(
                "cycle_failed", error=str(exc), failures=self.state_health.failures,
                retry_in=round((self.state_health.next_attempt - at).total_seconds(), 2))
            notify(f"STATUS=last cycle failed: {exc}"[:200])
        finally:
            self.cycle_started = None
            if self.pending.is_set():
                self.pending.clear()
                self.wake()
            self._after_cycle()

    def _after_cycle(self) -> None:
        """Run the next cycle early when a failing source is due before it; remember when."""
        from thankful.adapters.store import DatabaseError
        from thankful.adapters.store import Store

        job = self.scheduler.get_job("scan") if self.scheduler else None
        if not job or not job.next_run_time:
            return
        retry = [self.state_health.next_attempt] if self.state_health else []
        try:
            with Store(self.cfg.state_dir) as st:
                retry += [h.next_attempt for h in st.health().values()]
                due = min((r for r in retry if r is not None), default=None)
                next_run = job.next_run_time
                if due is not None and due < next_run:
                    next_run = max(due, _wall())
                    with contextlib.suppress(Exception):  # the scheduler may be stopping
                        self.scheduler.modify_job("scan", next_run_time=next_run)
                with st.transaction():
                    st.set_meta("next_run", next_run.isoformat())
        except (ThankfulError, DatabaseError, OSError) as exc:
            log.debug("next_run_not_saved", error=str(exc))

    def wake(self) -> None:
        """Run a cycle now (new mail seen by IDLE); after the current one if one runs."""
        if self.cycle_started is not None:
            self.pending.set()
            return
        with contextlib.suppress(Exception):  # the scheduler may be shutting down
            self.scheduler.modify_job("scan", next_run_time=datetime.now(self.cfg.identity.tz))

    def _start_idle(self) -> None:
        from thankful.adapters.idle import IdleWatcher

        self.idle_stop.set()  # ends watchers of a previous configuration
        self.idle_stop = threading.Event()
        for acc in self.cfg.accounts:
            if acc.imap is not None and acc.imap.idle:
                IdleWatcher(acc, self.wake, self.idle_stop).start()

    def heartbeat(self) -> None:
        """Ping the watchdog unless a cycle has hung."""
        started = self.cycle_started
        if started is not None and time.monotonic() - started > MAX_CYCLE.total_seconds():
            log.error("cycle_hung", seconds=int(time.monotonic() - started))
            return
        notify("WATCHDOG=1")

    def _schedule(self) -> None:
        seconds = max(3, round(self.cfg.scan_interval_minutes * 60))
        self.scheduler.add_job(self.cycle, "interval", seconds=seconds,
                               jitter=min(30, seconds // 10), id="scan",
                               next_run_time=datetime.now(self.cfg.identity.tz),
                               replace_existing=True)

    def _reload(self) -> None:
        try:
            new = load(self.config_path)
        except ConfigError as exc:
            log.error("reload_refused", error=str(exc), keeping="the running configuration")
            return
        if new.state_dir != self.cfg.state_dir:
            log.error("reload_refused", error="state_dir cannot change while running; restart",
                      keeping="the running configuration")
            return
        self.cfg = new
        from thankful.adapters.store import DatabaseError
        from thankful.adapters.store import Store

        # The user may have fixed what failed: every source is tried again now.
        self.state_health = None
        with contextlib.suppress(ThankfulError, DatabaseError, OSError), \
                Store(new.state_dir) as st, st.transaction():
            st.retry_now()
        self._schedule()
        self._start_idle()
        log.info("reloaded", config=str(self.config_path))

    def serve(self) -> int:
        """Start the scheduler and wait for a signal."""
        from apscheduler.events import EVENT_JOB_ERROR
        from apscheduler.events import JobExecutionEvent
        from apscheduler.schedulers.background import BackgroundScheduler

        def on_error(event: JobExecutionEvent) -> None:
            log.error("cycle_crashed", error=repr(event.exception), traceback=event.traceback)

        self.scheduler = BackgroundScheduler(
            timezone=self.cfg.identity.tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            executors={"default": {"type": "threadpool", "max_workers": 1},
                       "heartbeat": {"type": "threadpool", "max_workers": 1}},
        )
        self.scheduler.add_listener(on_error, EVENT_JOB_ERROR)
        self._schedule()

        # A handler takes no lock: a SIGTERM that came while the main thread held the
        # log's lock (or an Event's) and logged or set() in the handler hung the daemon
        # for good. The signal's number reaches the main thread through a pipe instead.
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        old_wakeup = signal.set_wakeup_fd(wake_w)

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            """Nothing: the wakeup fd carries the signal to the main thread."""

        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, on_signal)
        self.scheduler.start()
        self._start_idle()
        notify("READY=1")
        ping = watchdog_interval()
        if ping:  # after READY=1: the first ping must not come before it
            self.scheduler.add_job(self.heartbeat, "interval", seconds=ping, id="heartbeat",
                                   executor="heartbeat", next_run_time=datetime.now())
        log.info("started", config=str(self.config_path),
                 interval=str(timedelta(minutes=self.cfg.scan_interval_minutes)))
        while True:
            got = os.read(wake_r, 1)  # sleeps until a signal; no CPU meanwhile
            if got and got[0] == signal.SIGHUP:
                notify("RELOADING=1")
                self._reload()
                notify("READY=1")
                continue
            if got and got[0] in (signal.SIGTERM, signal.SIGINT):
                log.info("stopping", signal=signal.Signals(got[0]).name)
                self.stop.set()
                break
        signal.set_wakeup_fd(old_wakeup)
        os.close(wake_r)
        os.close(wake_w)
        notify("STOPPING=1")
        self.idle_stop.set()
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + STOP_GRACE
        while self.cycle_started is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.cycle_started is not None:
            # Abandon the cycle in flight: every step it finished is committed, and a
            # transaction it left open is rolled back by SQLite on the next start.
            log.warning("cycle_abandoned", reason="still running at shutdown")
            log.info("stopped")
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_OK)
        log.info("stopped")
        return EXIT_OK
