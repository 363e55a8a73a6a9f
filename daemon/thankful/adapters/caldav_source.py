"""A CalDAV server's calendars (Nextcloud, Fastmail, iCloud, Radicale, Baïkal). Adapter.

Uses the caldav library, the optional extra ``thankful[caldav]``: it brings a package
that replaces urllib3 for every library in the environment, so it is never a hard
dependency and is imported only when a CalDAV calendar is read. Without it, such a
calendar fails alone, each cycle, with the one command that adds it; the mail and the
other calendars go on.

``url`` is a calendar collection (used as it is) or a server or principal address
(meaning every calendar of the user). Each cycle asks for the events of a window around
now with one REPORT per calendar; every object comes back whole, as raw iCalendar
text, so the cycle parses and expands it exactly as it does a file.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING
from typing import Any

from thankful.errors import CredentialsError
from thankful.errors import PermanentSourceError
from thankful.errors import TransientSourceError

if TYPE_CHECKING:
    from thankful.config import CalendarConfig

#: Seconds to wait for each answer of the server.
TIMEOUT = 30
INSTALL_HINT = "pip install 'thankful[caldav]'"
_CALDAV_NS = "{urn:ietf:params:xml:ns:caldav}"


def load_caldav(name: str) -> ModuleType:
    """The caldav package, or an error of this calendar saying how to add it."""
    try:
        return importlib.import_module("caldav")
    except ImportError:
        raise PermanentSourceError(
            name, "reading a CalDAV calendar needs the optional caldav package, which is "
            f"not installed; add it with: {INSTALL_HINT}") from None


class CalDavSource:
    """Every event object of one CalDAV calendar, or of all of a user's calendars."""

    def __init__(self, cal: CalendarConfig, *, start: datetime, end: datetime,
                 timeout: int = TIMEOUT) -> None:
        self.name = cal.name
        self.cal = cal
        self.start = start
        self.end = end
        self.timeout = timeout
        self.stale: str | None = None  # a failed server is an error: nothing is reused
        #: The addresses of the calendars read by the last ``files()``.
        self.calendars: list[str] = []
        self._objects: dict[str, bytes] = {}

    def describe(self) -> str:
        """The server's address (it holds no secret: the password comes from elsewhere)."""
        return self.cal.url

    def files(self) -> dict[str, str]:
        """object address -> digest of its data, for every event object in the window."""
        caldav = load_caldav(self.name)
        objects: dict[str, bytes] = {}
        try:
            with self.client() as client:
                self.calendars = []
                for calendar in self._calendars(caldav, client):
                    self.calendars.append(str(calendar.url))
                    for obj in self._search(caldav, calendar):
                        data = obj.data
                        if isinstance(data, str):
                            data = data.encode("utf-8", "surrogateescape")
                        if isinstance(data, bytes) and data.strip():
                            objects[str(obj.url)] = data
        except (PermanentSourceError, TransientSourceError):
            raise
        except Exception as exc:
            # A third-party library over a network may raise anything; the cycle goes on.
            raise self.error(caldav, exc) from None
        self._objects = objects
        return {url: hashlib.sha256(data).hexdigest()[:24] for url, data in objects.items()}

    def read(self, path: str) -> bytes:
        """An object's data as the last ``files()`` received it."""
        try:
            return self._objects[path]
        except KeyError:
            raise ValueError("not on the server as last read") from None

    def client(self) -> Any:
        """A connected client for other uses of the same server (the task list)."""
        caldav = load_caldav(self.name)
        try:
            password = _password(self.cal)
        except CredentialsError as exc:
            raise PermanentSourceError(
                self.name, str(exc).removeprefix(f"calendar {self.name}: ")) from None
        return self._client(caldav, password)

    # --- talking to the server ---------------------------------------------------------

    def _client(self, caldav: ModuleType, password: str) -> Any:
        kwargs: dict[str, Any] = {
            "url": self.cal.url, "username": self.cal.username, "password": password,
            "timeout": self.timeout,
            "ssl_verify_cert": str(self.cal.cafile) if self.cal.cafile else True}
        # The address is used as configured: no DNS discovery that could send the login
        # elsewhere (caldav 2 and later; 1.x never discovers).
        if "enable_rfc6764" in inspect.signature(caldav.DAVClient).parameters:
            kwargs["enable_rfc6764"] = False
        return caldav.DAVClient(**kwargs)

    def _calendars(self, caldav: ModuleType, client: Any) -> list[Any]:
        """The collection at ``url`` when it is a calendar, else every calendar there."""
        dav = importlib.import_module("caldav.elements.dav")
        target = client.calendar(url=self.cal.url)
        props = target.get_properties([dav.ResourceType()])
        kinds = props.get("{DAV:}resourcetype") or []
        if isinstance(kinds, str):
            kinds = [kinds]
        if f"{_CALDAV_NS}calendar" in kinds:
            return [target]
        return list(client.principal().calendars())

    def _search(self, caldav: ModuleType, calendar: Any) -> list[Any]:
        try:
            return list(calendar.search(event=True, start=self.start, end=self.end,
                                        expand=False))
        except caldav.lib.error.ReportError:
            # A task list refuses an event search on some servers: skip one that holds
            # no events, fail for one that does.
            try:
                holds_events = "VEVENT" in calendar.get_supported_components()
            except Exception:
                holds_events = True
            if holds_events:
                raise
            return []

    def error(self, caldav: ModuleType, exc: Exception) -> Exception:
        """A library error as this calendar's error: permanent when the user must act."""
        errors = caldav.lib.error
        what = _first_line(exc)
        if isinstance(exc, errors.AuthorizationError):
            return PermanentSourceError(
                self.name, f"the server refused the login of {self.cal.username!r} "
                f"({what}); check username and the password (an app password for iCloud "
                "and Fastmail)")
        if isinstance(exc, errors.NotFoundError):
            return PermanentSourceError(self.name, f"{self.cal.url} was not found on the "
                                        f"server ({what}); check url")
        text = f"{type(exc).__name__}: {what}"
        if "certificate" in what.lower() or "ssl" in type(exc).__name__.lower():
            return PermanentSourceError(self.name, f"TLS failed ({text}); if it is a private "
                                        "server, set cafile")
        return TransientSourceError(self.name, f"cannot read the calendars ({text})")


def _password(cal: CalendarConfig) -> str:
    from thankful.adapters.secrets import get_calendar_secret

    return get_calendar_secret(cal)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
