"""Calendar sources: the common shape, the factory, and the files on disk.

Every source offers ``files()`` (path -> fingerprint, so that only what changed is
parsed again) and ``read(path)``. On disk that is a single .ics file or a folder tree
of them (a vdir, as vdirsyncer and khal keep it); over the network it is an ICS
address (:mod:`thankful.adapters.ics_url`) or a CalDAV server
(:mod:`thankful.adapters.caldav_source`), both imported only when configured.
"""

from __future__ import annotations

import os
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Protocol

from thankful.errors import PermanentSourceError

if TYPE_CHECKING:
    from thankful.config import CalendarConfig

MAX_FILE_BYTES = 5 * 1024 * 1024
#: Remote calendars are read from this far back (as far as calendar files are parsed):
#: a CalDAV server is asked for the events from then to 30 days ahead, and a feed's
#: events that ended before then are left out unparsed.
REMOTE_PAST = timedelta(days=180)
CALDAV_AHEAD = timedelta(days=30)


class CalendarSource(Protocol):
    """What the cycle needs from a calendar."""

    name: str
    #: Set by ``files()`` when the server failed and the last good copy was used
    #: instead: the failure, reported as an error of this calendar.
    stale: str | None

    def files(self) -> dict[str, str]:
        """path -> fingerprint of every calendar object; raises SourceError."""
        ...

    def read(self, path: str) -> bytes:
        """One object's bytes; raises OSError or ValueError when it cannot be had."""
        ...

    def describe(self) -> str:
        """Where the calendar is, for ``thankful check`` (never a secret)."""
        ...


def open_calendar(cal: CalendarConfig, *, state_dir: Path, now: datetime,
                  persist: bool = True) -> CalendarSource:
    """The source for a ``[[calendars]]`` table.

    :param state_dir: where an ICS address's last good copy is kept (``calendars/``).
    :param persist: False in a dry run and in ``thankful check``: nothing is written.
    """
    if cal.kind == "caldav":
        # Imported here: the caldav package itself is loaded only when a server is asked.
        from thankful.adapters.caldav_source import CalDavSource

        return CalDavSource(cal, start=now - REMOTE_PAST, end=now + CALDAV_AHEAD)
    if cal.is_url:
        from thankful.adapters.ics_url import IcsUrl

        return IcsUrl(name=cal.name, url=cal.location, cache_dir=state_dir / "calendars",
                      cafile=cal.cafile, persist=persist, since=now - REMOTE_PAST)
    return IcsFiles(name=cal.name, location=Path(cal.location))


class IcsFiles:
    """A .ics file or a folder tree of .ics files, as vdirsyncer and khal keep them."""

    def __init__(self, *, name: str, location: Path) -> None:
        self.name = name
        self.location = location
        self.stale: str | None = None  # files on disk are never stale copies

    def describe(self) -> str:
        """The file or folder."""
        return str(self.location)

    def files(self) -> dict[str, str]:
        """path -> "mtime_ns:size" for every .ics file."""
        loc = self.location
        if loc.is_file():
            st = loc.stat()
            return {str(loc): f"{st.st_mtime_ns}:{st.st_size}"}
        if not loc.is_dir():
            raise PermanentSourceError(
                self.name, f"{loc} does not exist; fix calendars.location in the config")
        out = {}
        for dirpath, dirnames, filenames in os.walk(loc):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in sorted(filenames):
                if fn.lower().endswith(".ics") and not fn.startswith("."):
                    p = os.path.join(dirpath, fn)
                    try:
                        st = os.stat(p)
                    except OSError:
                        continue
                    out[p] = f"{st.st_mtime_ns}:{st.st_size}"
        return out

    def read(self, path: str) -> bytes:
        """A file's bytes (refused when larger than 5 MB)."""
        p = Path(path)
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return p.read_bytes()
