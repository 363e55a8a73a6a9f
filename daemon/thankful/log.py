"""structlog set-up: JSON lines on stderr for journald, readable lines on a terminal.

Named ``log`` so that it does not shadow the standard library's ``logging``. Stdlib
loggers (apscheduler, imapclient) go through the same renderer. Tracebacks never show
frame locals (they could hold passwords).

Importing structlog (and the asyncio it imports) costs a tenth of ``thankful scan
--once`` when nothing is new, a run that usually logs nothing at its level. So in a
process that has not imported structlog yet, :func:`configure` only records the level,
and structlog is imported and set up when an event first passes it. thankful's modules
log through :func:`get_logger` (never ``structlog.get_logger``), and stdlib records
reach the same set-up through the root handler.
"""

from __future__ import annotations

import logging
import sys
import threading
from contextvars import ContextVar
from typing import Any

_LEVELS = ("debug", "info", "warning", "error")

#: (level, stream) recorded by configure() while structlog is not imported yet.
_pending: tuple[int, Any] | None = None
#: Context variables bound before structlog was imported (see bind_contextvars).
_early_context: ContextVar[dict[str, Any] | None] = ContextVar("thankful_log_context",
                                                               default=None)


def configure(level: str = "info", *, stream: Any = None) -> None:
    """Configure structlog and the stdlib root logger's thankful handler (structlog
    itself only once it is needed, when it is not imported yet)."""
    global _pending
    stream = stream or sys.stderr
    numeric = getattr(logging, level.upper(), logging.INFO)
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == "thankful":
            root.removeHandler(h)
    root.addHandler(_Handler(stream))
    root.setLevel(min(numeric, logging.WARNING))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if "structlog" in sys.modules:
        _pending = None
        _set_up(numeric, stream)
        return
    _pending = (numeric, stream)


def _set_up(numeric: int, stream: Any) -> None:
    import structlog

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _merge_early_context,
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
    for h in logging.getLogger().handlers:
        if h.get_name() == "thankful":
            h.setFormatter(structlog.stdlib.ProcessorFormatter(
                processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                            renderer],
                foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            ))


def _merge_early_context(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """What was bound before structlog was imported, in this thread's context (a
    processor: set-up may happen in another thread, which cannot see it)."""
    early = _early_context.get()
    if early:
        for key, value in early.items():
            event.setdefault(key, value)
    return event


_setting_up = threading.Lock()


def _ensure() -> None:
    """Import structlog and set it up as configured, if that is still pending (once,
    and no thread logs through structlog before it is done)."""
    global _pending
    with _setting_up:
        if _pending is not None:
            _set_up(*_pending)
            _pending = None


class _Handler(logging.StreamHandler[Any]):
    """The stdlib root logger's thankful handler; its formatter (structlog's) is set up
    with structlog, when a record first reaches it."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.set_name("thankful")

    def format(self, record: logging.LogRecord) -> str:
        if self.formatter is None:
            _ensure()
        return super().format(record)


def get_logger(name: str) -> Logger:
    """A logger that imports structlog only when one of its events passes the level."""
    return Logger(name, {})


class Logger:
    """structlog's logger of ``name``, bound to ``context``, once it is needed."""

    __slots__ = ("_bound", "_context", "_name")

    def __init__(self, name: str, context: dict[str, Any]) -> None:
        self._name = name
        self._context = context
        self._bound: Any = None

    def bind(self, **kw: Any) -> Any:
        """A logger with more context (structlog's own once structlog is set up)."""
        if _pending is None:
            import structlog

            return structlog.get_logger(self._name).bind(**self._context, **kw)
        return Logger(self._name, {**self._context, **kw})

    def _log(self, level: int, method: str, event: str, kw: dict[str, Any]) -> Any:
        pending = _pending  # read once: another thread may set up meanwhile
        if pending is not None:
            if level < pending[0]:
                return None
            _ensure()
        if self._bound is None:
            import structlog

            if not self._context:  # structlog's proxy: it follows later set-ups
                return getattr(structlog.get_logger(self._name), method)(event, **kw)
            self._bound = structlog.get_logger(self._name).bind(**self._context)
        return getattr(self._bound, method)(event, **kw)

    def debug(self, event: str, **kw: Any) -> Any:
        """Log at debug level."""
        return self._log(logging.DEBUG, "debug", event, kw)

    def info(self, event: str, **kw: Any) -> Any:
        """Log at info level."""
        return self._log(logging.INFO, "info", event, kw)

    def warning(self, event: str, **kw: Any) -> Any:
        """Log at warning level."""
        return self._log(logging.WARNING, "warning", event, kw)

    def error(self, event: str, **kw: Any) -> Any:
        """Log at error level."""
        return self._log(logging.ERROR, "error", event, kw)

    def exception(self, event: str, **kw: Any) -> Any:
        """Log at error level with the exception being handled."""
        return self._log(logging.ERROR, "exception", event, kw)


def bind_contextvars(**kw: Any) -> None:
    """structlog's ``bind_contextvars``, kept aside until structlog is imported."""
    if "structlog" in sys.modules:
        import structlog

        structlog.contextvars.bind_contextvars(**kw)
    else:
        _early_context.set({**(_early_context.get() or {}), **kw})


def unbind_contextvars(*keys: str) -> None:
    """structlog's ``unbind_contextvars``, also of what was kept aside."""
    early = _early_context.get() or {}
    if any(k in early for k in keys):
        _early_context.set({k: v for k, v in early.items() if k not in keys})
    if "structlog" in sys.modules:
        import structlog

        structlog.contextvars.unbind_contextvars(*keys)


def levels() -> tuple[str, ...]:
    """The accepted ``--log-level`` values."""
    return _LEVELS
