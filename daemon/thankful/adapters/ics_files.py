"""Calendar sources on disk: a single .ics file or a directory of them (a vdir)."""

from __future__ import annotations

import os
from pathlib import Path

from thankful.errors import PermanentSourceError

MAX_FILE_BYTES = 5 * 1024 * 1024


class IcsFiles:
    """A .ics file or a folder tree of .ics files, as vdirsyncer and khal keep them."""

    def __init__(self, *, name: str, location: Path) -> None:
        self.name = name
        self.location = location

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
