"""The bulk FETCH of a scan, read straight from imaplib. Adapter helper; pure functions.

imapclient parses every response into Python values with a general tokenizer; for
the one command a first scan sends thousands of times over — ``UID FETCH`` of the
UID, INTERNALDATE, RFC822.SIZE and header block of each message — that parser is
most of the time (NOTES.md: 5.0 s against 1.5 s at 100,000 messages). imaplib has
already split each response into its text and its literals, so a scan reads those
few atoms with regular expressions here and leaves every other command to
imapclient. Malformed responses give fewer messages, never an exception: a message
missing from the answer is read again by the next scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import timezone

_START = re.compile(rb"^\d+ \(")
_LITERAL_NAME = re.compile(rb"(BODY\[[^\]]*\](?:<\d+>)?|\S+) \{\d+\}$", re.IGNORECASE)
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_DATE = re.compile(rb'\bINTERNALDATE "([^"]*)"')
_INTERNALDATE = re.compile(
    rb" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")
_MONTHS = {m: i for i, m in enumerate(
    (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct",
     b"nov", b"dec"), start=1)}


@dataclass(slots=True)
class Fetched:
    """One message of a FETCH answer: the atoms a scan reads, and its literals by name
    (``b"BODY[HEADER]"``, ``b"BODY[TEXT]<0>"``, as the server names them)."""

    uid: int = 0
    internaldate: float | None = None
    size: int | None = None
    literals: dict[bytes, bytes] = field(default_factory=dict)


def uid_set(uids: Iterable[int]) -> str:
    """A UID set with runs written as ranges: ``1:5,9,12:13``."""
    out: list[str] = []
    run_start = prev = -2
    for u in sorted(set(uids)):
        if u == prev + 1:
            prev = u
            continue
        if prev >= 0:
            out.append(str(prev) if run_start == prev else f"{run_start}:{prev}")
        run_start = prev = u
    if prev >= 0:
        out.append(str(prev) if run_start == prev else f"{run_start}:{prev}")
    return ",".join(out)


def internaldate(text: bytes) -> float | None:
    """An INTERNALDATE (``17-Jul-1996 02:44:25 -0700``) as a POSIX time; None if bad."""
    m = _INTERNALDATE.match(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    try:
        offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == b"-" else 1)
        when = datetime(int(year), month, int(day), int(hh), int(mm), int(ss),
                        tzinfo=timezone(offset))
    except ValueError:
        return None
    return when.timestamp()


def parse_fetch(data: Sequence[bytes | tuple[bytes, bytes] | None]) -> list[Fetched]:
    """The messages of imaplib's FETCH answer (``IMAP4.uid("FETCH", ...)[1]``).

    imaplib gives, per message, its text up to each literal together with that literal
    (a tuple), then the text after the last one (bytes, often just ``)``).
    """
    out: list[Fetched] = []
    cur: Fetched | None = None
    text = b""

    def finish() -> None:
        if cur is None:
            return
        m = _UID.search(text)
        if m:
            cur.uid = int(m.group(1))
        m = _SIZE.search(text)
        if m:
            cur.size = int(m.group(1))
        m = _DATE.search(text)
        if m:
            cur.internaldate = internaldate(m.group(1))
        if cur.uid:
            out.append(cur)

    for part in data:
        if part is None:
            continue
        head, literal = (part if isinstance(part, tuple) else (part, None))
        if not isinstance(head, bytes):
            continue
        if _START.match(head):
            finish()
            cur, text = Fetched(), b""
        if cur is None:
            continue
        if literal is not None and isinstance(literal, bytes):
            m = _LITERAL_NAME.search(head)
            if m:
                cur.literals[m.group(1).upper()] = literal
            head = head[:m.start(1)] if m else head
        text += head + b" "
    finish()
    return out
