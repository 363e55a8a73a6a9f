"""``thankful run``: the APScheduler 3 service.

A BackgroundScheduler runs the cycle on an interval (coalesced, never two at once,
with a grace time for late runs); the main thread waits on an Event that the signal
handlers set, so no real work happens inside a handler. SIGTERM and SIGINT stop it
cleanly after the cycle in flight.
"""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from types import FrameType

import structlog

from thankful.adapters.lock import StateLock
from thankful.config import Config
from thankful.config import load
from thankful.errors import EXIT_OK
from thankful.errors import ThankfulError

log = structlog.get_logger("thankful.daemon")


def run(config_path: Path) -> int:
    """Run until SIGTERM or SIGINT; returns the exit status (2 if another holds the lock)."""
    cfg = load(config_path)
    with StateLock(cfg.state_dir):
        return _serve(cfg, config_path)


def _serve(cfg: Config, config_path: Path) -> int:
    from apscheduler.events import EVENT_JOB_ERROR
    from apscheduler.events import JobExecutionEvent
    from apscheduler.schedulers.background import BackgroundScheduler

    from thankful.service import run_cycle

    stop = threading.Event()

    def cycle() -> None:
        try:
            run_cycle(cfg, datetime.now(cfg.identity.tz).replace(microsecond=0))
        except ThankfulError as exc:
            log.error("cycle_failed", error=str(exc))

    def on_error(event: JobExecutionEvent) -> None:
        log.error("cycle_crashed", error=repr(event.exception), traceback=event.traceback)

    scheduler = BackgroundScheduler(
        timezone=cfg.identity.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        executors={"default": {"type": "threadpool", "max_workers": 1}},
    )
    scheduler.add_listener(on_error, EVENT_JOB_ERROR)
    scheduler.add_job(cycle, "interval", minutes=cfg.scan_interval_minutes, jitter=30,
                      id="scan", next_run_time=datetime.now(cfg.identity.tz))

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    log.info("started", config=str(config_path),
             interval=str(timedelta(minutes=cfg.scan_interval_minutes)))
    stop.wait()
    scheduler.shutdown(wait=True)
    log.info("stopped")
    return EXIT_OK
