"""structlog set-up: JSON lines on stderr for journald, readable lines on a terminal.

Named ``log`` so that it does not shadow the standard library's ``logging``. Stdlib
loggers (apscheduler, imapclient) go through the same renderer. Tracebacks never show
frame locals (they could hold passwords).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_LEVELS = ("debug", "info", "warning", "error")


def configure(level: str = "info", *, stream: Any = None) -> None:
    """Configure structlog and the stdlib root logger's thankful handler."""
    stream = stream or sys.stderr
    numeric = getattr(logging, level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    tty = hasattr(stream, "isatty") and stream.isatty()
    renderer: Any
    if tty:
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback)
        exc: list[Any] = []
    else:
        renderer = structlog.processors.JSONRenderer()
        exc = [structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False))]
    structlog.configure(
        processors=[*shared, *exc, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name("thankful")
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    ))
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == "thankful":
            root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(min(numeric, logging.WARNING))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def levels() -> tuple[str, ...]:
    """The accepted ``--log-level`` values."""
    return _LEVELS
