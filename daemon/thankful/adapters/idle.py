"""IMAP IDLE: a new message in INBOX starts a cycle within seconds.

One thread per account with ``idle = true``, on a connection of its own. IDLE is
renewed every few minutes, well before the 29 the standard allows and the 10-15 after
which servers and NAT boxes drop quiet connections. A ``* BYE``, a dropped socket or a
suspend (the wall clock jumps while the monotonic clock stood still) means a new
connection, with exponential backoff and jitter; so does a socket closed without a word
(imapclient answers it with an empty list, at once, again and again). Without IDLE on
the server the thread ends and the interval alone finds new mail.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from thankful import log as tlog
from thankful.config import AccountConfig

log = tlog.get_logger("thankful.idle")

RENEW = 9 * 60.0  # seconds between IDLE renewals
CHECK = 20.0  # seconds one idle_check waits: also how fast a stop is noticed
SUSPEND_GAP = 60.0  # wall-clock time that passed beyond monotonic time: a suspend
MAX_BACKOFF = 300.0


class Reconnect(Exception):  # noqa: N818 - control flow, not an error to report
    """The connection must be made anew."""


class IdleWatcher(threading.Thread):
    """Watches one account's INBOX and calls ``on_new`` when mail arrives."""

    def __init__(self, acc: AccountConfig, on_new: Callable[[], None],
                 stop: threading.Event, *, renew: float = RENEW, check: float = CHECK) -> None:
        super().__init__(name=f"idle-{acc.name}", daemon=True)
        self.acc = acc
        self.on_new = on_new
        self.stop_event = stop
        self.renew = renew
        self.check = check

    def run(self) -> None:
        """Connect, IDLE, renew, reconnect, until told to stop."""
        backoff = 2.0
        lost = False  # told already: a server down for hours is one warning, not hundreds
        while not self.stop_event.is_set():
            client: Any = None
            try:
                from thankful.adapters.imap import ImapStore

                client = ImapStore(self.acc, timeout=self.check + 30).idle_session()
                if client is None:
                    log.info("idle_unsupported", account=self.acc.name,
                             fallback="the scan interval")
                    return
                log.info("idle_started", account=self.acc.name)
                backoff, lost = 2.0, False
                self._idle(client)
            except Exception as exc:
                (log.info if lost else log.warning)(
                    "idle_lost", account=self.acc.name, error=str(exc)[:200],
                    retry_in=round(backoff))
                lost = True
                self.stop_event.wait(backoff * (1 + random.random() / 2))
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                if client is not None:
                    with contextlib.suppress(Exception):
                        client.shutdown()

    def _idle(self, client: Any) -> None:
        while not self.stop_event.is_set():
            client.idle()
            started = time.monotonic()
            wall, mono = time.time(), time.monotonic()
            quick = 0  # empty answers in a row that came back at once
            try:
                while not self.stop_event.is_set() and time.monotonic() - started < self.renew:
                    asked = time.monotonic()
                    responses = client.idle_check(timeout=self.check)
                    now_wall, now_mono = time.time(), time.monotonic()
                    # imapclient answers a closed socket (a silent drop: NAT, a proxy)
                    # with an empty list at once, every time: without this the loop spins.
                    quick = quick + 1 if not responses and now_mono - asked < self.check / 2 else 0
                    if quick >= 3:
                        raise Reconnect("the connection was closed")
                    if (now_wall - wall) - (now_mono - mono) > SUSPEND_GAP:
                        raise Reconnect("the machine was suspended")
                    wall, mono = now_wall, now_mono
                    if any(isinstance(r, tuple) and len(r) > 0 and r[0] == b"BYE"
                           for r in responses):
                        raise Reconnect("the server said BYE")
                    if any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT")
                           for r in responses):
                        log.info("idle_new_mail", account=self.acc.name)
                        self.on_new()
            finally:
                with contextlib.suppress(Exception):
                    client.idle_done()
