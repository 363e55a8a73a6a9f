"""Where a message's header block ends. Pure, and light to import (the Maildir store
reads header blocks with it on every scan, before detection is loaded)."""

from __future__ import annotations

import re

#: A candidate empty line: LF LF, or LF CR LF (an empty line only after a CR).
_BLANK_LINE = re.compile(rb"\n\r?\n")


def blank_line(raw: bytes) -> tuple[int, int] | None:
    """Where the first empty line after the first line is: the leftmost CRLF CRLF or LF
    LF, as (start, end), found in one pass; None when there is none."""
    pos = 0
    while (m := _BLANK_LINE.search(raw, pos)) is not None:
        start, end = m.span()
        if end - start == 2:
            return start, end
        if start > 0 and raw[start - 1] == 0x0D:
            return start - 1, end
        pos = start + 1
    return None
