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
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date

_START = re.compile(rb"^\d+ \(")
# A name never starts with the "(" that opens the item list ("1 (BODY[HEADER] {3}").
_LITERAL_NAME = re.compile(rb"(BODY\[[^\]]*\](?:<\d+>)?|[^\s(]\S*) \{\d+\}$", re.IGNORECASE)
#: How far before its literal a name is looked for (real ones are under 100 bytes).
_NAME_MAX = 1000
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_DATE = re.compile(rb'\bINTERNALDATE "([^"]*)"')
_INTERNALDATE = re.compile(
    rb" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")
_EPOCH_DAY = date(1970, 1, 1).toordinal()
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


class FetchAbortedError(Exception):
    """The answer broke off: the connection closed, a line had no end, the server said
    BYE or something no server says. The session is unusable."""


class FetchRefusedError(Exception):
    """The command ended with NO or BAD (the text says why)."""


#: The longest line read (imaplib's bound): a longer one is an attack or a broken server.
MAX_LINE = 1_000_000
_UNTAGGED = re.compile(rb"\* (?P<type>[A-Z-]+)( (?P<data>.*))?")
_UNTAGGED_STATUS = re.compile(rb"\* (?P<data>\d+) (?P<type>[A-Z-]+)( (?P<data2>.*))?", re.ASCII)
_LITERAL = re.compile(rb".*{(?P<size>\d+)}$", re.ASCII)


def read_fetch(readline: Callable[[int], bytes], read: Callable[[int], bytes],
               tag: bytes) -> list[bytes | tuple[bytes, bytes]]:
    """The FETCH data of the answer to the command tagged ``tag``, read up to its tagged
    completion, exactly as imaplib's ``uid("FETCH", ...)`` gives it (see
    :func:`parse_fetch`); other untagged responses are passed over.

    imaplib reads the same lines, but with a dozen regular expressions, a debug log and
    a dictionary append for each; a first scan reads a million of them. ``readline(n)``
    and ``read(n)`` are those of the connection's buffered socket file.
    """
    data: list[bytes | tuple[bytes, bytes]] = []
    done = tag + b" "
    while True:
        resp = _line(readline)
        if resp.startswith(done):
            typ = resp[len(done):].split(b" ", 1)[0]
            if typ == b"OK":
                return data
            raise FetchRefusedError(resp[len(done):][:300].decode("ascii", "replace"))
        m = _UNTAGGED.match(resp)
        dat2 = None
        if m is None:
            m = _UNTAGGED_STATUS.match(resp)
            if m is None:
                if resp.startswith(b"+"):
                    continue  # a continuation no FETCH asks for: imaplib passes it over too
                raise FetchAbortedError(f"unexpected response: {resp[:100]!r}")
            dat2 = m.group("data2")
        typ, dat = m.group("type"), m.group("data") or b""
        if dat2:
            dat = dat + b" " + dat2
        while (lit := _LITERAL.match(dat)) is not None:
            size = int(lit.group("size"))
            literal = read(size)
            if len(literal) < size:
                raise FetchAbortedError("the connection closed inside a literal")
            if typ == b"FETCH":
                data.append((dat, literal))
            dat = _line(readline)
        if typ == b"FETCH":
            data.append(dat)
        elif typ == b"BYE":
            raise FetchAbortedError(f"the server ended the session: {dat[:200]!r}")


def _line(readline: Callable[[int], bytes]) -> bytes:
    line = readline(MAX_LINE + 1)
    if not line:
        raise FetchAbortedError("the connection closed (EOF)")
    if len(line) > MAX_LINE:
        raise FetchAbortedError(f"a line longer than {MAX_LINE} bytes")
    if not line.endswith(b"\r\n"):
        raise FetchAbortedError("a line without its CRLF")
    return line[:-2]


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
    """An INTERNALDATE (``17-Jul-1996 02:44:25 -0700``) as a POSIX time; None if bad.
    (Arithmetic, not a datetime per message: a first scan reads one for each.)"""
    m = _INTERNALDATE.match(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    h, mi, sec, offset = int(hh), int(mm), int(ss), int(oh) * 3600 + int(om) * 60
    if h > 23 or mi > 59 or sec > 59 or offset >= 86400:
        return None  # as datetime and timezone refuse them
    try:
        days = date(int(year), month, int(day)).toordinal() - _EPOCH_DAY
    except ValueError:
        return None
    return float(days * 86400 + h * 3600 + mi * 60 + sec
                 + (offset if sign == b"-" else -offset))


#: The literals a scan asks for, by the name the server gives them.
_KNOWN_LITERALS = (b"BODY[HEADER]", b"BODY[TEXT]<0>", b"BODY[]")


def _literal_name(head: bytes) -> tuple[bytes, int] | None:
    """The name of the literal that ends ``head`` (``... BODY[HEADER] {4444}``) and where
    it starts, as :data:`_LITERAL_NAME` finds it. The usual answers are read by hand:
    the expression tries every position of the line."""
    line = head[:-1] if head.endswith(b"\n") else head  # "$" also matches before one
    i = line.rfind(b" {")
    if i <= 0 or not line.endswith(b"}") or not line[i + 2:-1].isdigit():
        return None  # no literal ends the line: the expression cannot match either
    for name in _KNOWN_LITERALS:
        start = i - len(name)
        # The first "[" of the line is the name's: no other reading is possible.
        if start > 0 and head[start - 1:start] in (b" ", b"(") \
                and head[start:i].upper() == name and head.find(b"[") == start + 4:
            return name, start
    # Anything else by the expression, over the end of the line only: it tries every
    # position, each up to the end (a hostile line of a megabyte would take hours).
    m = _LITERAL_NAME.search(head, max(0, i - _NAME_MAX))
    return (m.group(1).upper(), m.start(1)) if m else None


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
            named = _literal_name(head)
            if named:
                cur.literals[named[0]] = literal
                head = head[:named[1]]
        text += head + b" "
    finish()
    return out
