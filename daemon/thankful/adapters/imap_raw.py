"""The bulk FETCH of a scan, read straight from imaplib. Adapter helper; pure functions.

imapclient parses every response into Python values with a general tokenizer; for
the one command a first scan sends thousands of times over — ``UID FETCH`` of the
UID, INTERNALDATE, RFC822.SIZE and header block of each message — that parser is
most of the time (NOTES.md: 5.0 s against 1.5 s at 100,000 messages). imaplib has
already split each response into its text and its literals, so a scan reads those
few atoms with regular expressions here. Malformed responses give fewer messages,
never an exception: a message missing from the answer is read again by the next scan.

LIST and STATUS answers are read here too (see below); every other command is left
to imapclient.
"""

from __future__ import annotations

import binascii
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
# A UID has up to 10 digits (32 bits): one of more than 20 is a broken or hostile answer,
# not read (int() refuses some 4,300 digits and more). A longer size reads as huge.
_UID = re.compile(rb"\bUID (\d{1,20})(?!\d)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
#: What a size of more than 20 digits reads as: more than any bound on message sizes.
HUGE_SIZE = 1 << 64
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
#: The longest literal read: a scan reads header blocks, previews and messages of at
#: most a few megabytes; a server announcing more is broken or hostile.
MAX_LITERAL = 256 * 1024 * 1024
_UNTAGGED = re.compile(rb"\* (?P<type>[A-Z-]+)( (?P<data>.*))?")
_UNTAGGED_STATUS = re.compile(rb"\* (?P<data>\d+) (?P<type>[A-Z-]+)( (?P<data2>.*))?", re.ASCII)
_LITERAL = re.compile(rb".*{(?P<size>\d+)}$", re.ASCII)


#: A FETCH answer of the usual shape, as Dovecot and most servers give a survey's items
#: (the date read as :data:`_INTERNALDATE` can read it, so nothing in it reads as an
#: item): sequence number, the item list up to the literal, UID, INTERNALDATE,
#: RFC822.SIZE, the literal's name and size.
_USUAL = re.compile(
    rb'\* (\d+) FETCH (\(UID (\d{1,20}) INTERNALDATE "([-+: 0-9A-Za-z]*)" '
    rb"RFC822\.SIZE (\d{1,20}) (BODY\[[^\]]*\]) \{(\d{1,20})\})", re.ASCII)


def read_fetch(readline: Callable[[int], bytes], read: Callable[[int], bytes], tag: bytes,
               usual: frozenset[bytes] = frozenset()
               ) -> list[bytes | tuple[bytes, bytes] | Fetched]:
    """The FETCH data of the answer to the command tagged ``tag``, read up to its tagged
    completion, exactly as imaplib's ``uid("FETCH", ...)`` gives it (see
    :func:`parse_fetch`); other untagged responses are passed over.

    imaplib reads the same lines, but with a dozen regular expressions, a debug log and
    a dictionary append for each; a first scan reads a million of them. ``readline(n)``
    and ``read(n)`` are those of the connection's buffered socket file.

    ``usual``: upper-case literal names (a survey's header section). A response of the
    usual shape (:data:`_USUAL`, then ``)``) with one of them is read by one expression
    and handed over as the :class:`Fetched` that :func:`parse_fetch` would make of it;
    ``parse_fetch`` of the list is the same as without ``usual`` (a test holds this).
    """
    data: list[bytes | tuple[bytes, bytes] | Fetched] = []
    done = tag + b" "
    # The last response read the quick way: where it is in data, its match and literal
    # (put back as plain parts if the next response would add to it, as a malformed
    # one can).
    quick: tuple[int, re.Match[bytes], bytes] | None = None
    while True:
        resp = _line(readline)
        if resp.startswith(done):
            typ = resp[len(done):].split(b" ", 1)[0]
            if typ == b"OK":
                return data
            raise FetchRefusedError(resp[len(done):][:300].decode("ascii", "replace"))
        first: tuple[bytes, bytes] | None = None  # a literal read already, and the line after
        q = _USUAL.fullmatch(resp) if usual else None
        if q is not None and q.group(6).upper() in usual:
            literal = _literal(read, q.group(7))
            after = _line(readline)
            if after == b")":
                quick = (len(data), q, literal)
                data.append(Fetched(uid=int(q.group(3)), internaldate=internaldate(q.group(4)),
                                    size=int(q.group(5)), literals={q.group(6).upper(): literal}))
                continue
            typ, dat = b"FETCH", _plain_head(q)
            first = (literal, after)
        else:
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
        if typ == b"FETCH" and quick is not None and quick[0] == len(data) - 1 \
                and not _START.match(dat):
            # This would add to the message before: that one as plain parts.
            data[quick[0]:] = [(_plain_head(quick[1]), quick[2]), b")"]
        if typ == b"FETCH":
            quick = None
        if first is not None:
            data.append((dat, first[0]))
            dat = first[1]
        while (lit := _LITERAL.match(dat)) is not None:
            literal = _literal(read, lit.group("size"))
            if typ == b"FETCH":
                data.append((dat, literal))
            dat = _line(readline)
        if typ == b"FETCH":
            data.append(dat)
        elif typ == b"BYE":
            raise FetchAbortedError(f"the server ended the session: {dat[:200]!r}")


def _plain_head(q: re.Match[bytes]) -> bytes:
    """What the plain reading hands over of a response of the usual shape before its
    literal: the sequence number and the item list."""
    return q.group(1) + b" " + q.group(2)


def _literal(read: Callable[[int], bytes], digits: bytes) -> bytes:
    """The literal announced by ``{digits}``, read whole."""
    size = int(digits) if len(digits) <= 20 else MAX_LITERAL + 1
    if size > MAX_LITERAL:
        raise FetchAbortedError(f"a literal of more than {MAX_LITERAL} bytes announced")
    literal = read(size)
    if len(literal) < size:
        raise FetchAbortedError("the connection closed inside a literal")
    return literal


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


def _literal_name(head: bytes, known: tuple[bytes, ...] = ()) -> tuple[bytes, int] | None:
    """The name of the literal that ends ``head`` (``... BODY[HEADER] {4444}``) and where
    it starts, as :data:`_LITERAL_NAME` finds it. The usual answers are read by hand:
    the expression tries every position of the line."""
    line = head[:-1] if head.endswith(b"\n") else head  # "$" also matches before one
    i = line.rfind(b" {")
    if i <= 0 or not line.endswith(b"}") or not line[i + 2:-1].isdigit():
        return None  # no literal ends the line: the expression cannot match either
    for name in (*known, *_KNOWN_LITERALS):
        start = i - len(name)
        # The first "[" of the line is the name's: no other reading is possible.
        if start > 0 and head[start - 1:start] in (b" ", b"(") \
                and head[start:i].upper() == name and head.find(b"[") == start + 4:
            return name, start
    # Anything else by the expression, over the end of the line only: it tries every
    # position, each up to the end (a hostile line of a megabyte would take hours).
    m = _LITERAL_NAME.search(head, max(0, i - _NAME_MAX))
    return (m.group(1).upper(), m.start(1)) if m else None


def parse_fetch(data: Sequence[bytes | tuple[bytes, bytes] | Fetched | None],
                known: tuple[bytes, ...] = ()) -> list[Fetched]:
    """The messages of imaplib's FETCH answer (``IMAP4.uid("FETCH", ...)[1]``).
    ``known``: upper-case literal names asked for besides the usual ones (a
    ``BODY[HEADER.FIELDS (...)]``), read without the general expression.

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
            digits = m.group(1)
            cur.size = int(digits) if len(digits) <= 20 else HUGE_SIZE
        m = _DATE.search(text)
        if m:
            cur.internaldate = internaldate(m.group(1))
        if cur.uid:
            out.append(cur)

    for part in data:
        if part is None:
            continue
        if isinstance(part, Fetched):
            finish()
            cur = None
            if part.uid:
                out.append(part)
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
            named = _literal_name(head, known)
            if named:
                cur.literals[named[0]] = literal
                head = head[:named[1]]
        text += head + b" "
    finish()
    return out


# --- the commands of a session that reads nothing (LIST, STATUS) ----------------------
#
# A rescan with nothing new logs in, lists the folders and asks each for its STATUS:
# done through imaplib with these, it never loads imapclient (a sixth of such a run
# as a new process). Folder names go out and come back as imapclient has them:
# modified UTF-7 (RFC 3501 5.1.3), always quoted.

_PRINTABLE_RUNS = re.compile(r"([\x20-\x7e]*)([^\x20-\x7e]*)")
_SHIFTED = re.compile(rb"&([^-]*)(?:-|$)")


def encode_utf7(name: str) -> bytes:
    """A folder name in IMAP's modified UTF-7: printable ASCII as it is (``&`` as
    ``&-``), every other run as ``&`` + base64 of its UTF-16 (``,`` for ``/``) + ``-``."""
    out = []
    for plain, other in _PRINTABLE_RUNS.findall(name):
        out.append(plain.replace("&", "&-").encode("ascii"))
        if other:
            b64 = binascii.b2a_base64(other.encode("utf-16be"), newline=False)
            out.append(b"&" + b64.rstrip(b"=").replace(b"/", b",") + b"-")
    return b"".join(out)


def decode_utf7(raw: bytes) -> str:
    """The inverse of :func:`encode_utf7`; ValueError on a broken base64 run."""
    out = []
    pos = 0
    for m in _SHIFTED.finditer(raw):
        out.append(raw[pos:m.start()].decode("latin-1"))
        body = m.group(1)
        if not body:
            out.append("&")
        else:
            padded = body.replace(b",", b"/") + b"=" * (-len(body) % 4)
            out.append(binascii.a2b_base64(padded).decode("utf-16be"))
        pos = m.end()
    out.append(raw[pos:].decode("latin-1"))
    return "".join(out)


def quote(value: bytes) -> bytes:
    """An IMAP quoted string."""
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


_LIST_HEAD = re.compile(rb'\s*\(([^)]*)\)\s+(NIL|"(?:\\.|[^"\\])")\s*', re.IGNORECASE)
_QUOTED = re.compile(rb'"((?:\\.|[^"\\])*)"\s*$')
_LITERAL_END = re.compile(rb"\{\d+\+?\}$")
_UNESCAPE = re.compile(rb"\\(.)")

#: One folder of a LIST answer: its flags, hierarchy delimiter (None for NIL), name.
Listed = tuple[tuple[bytes, ...], bytes | None, str]


def parse_list(data: Sequence[bytes | tuple[bytes, bytes] | None]) -> list[Listed]:
    """The untagged data of a LIST (as imaplib gives it, a literal as a pair) as
    imapclient's ``list_folders`` gives it; ValueError on a line that is not a LIST
    answer."""
    out: list[Listed] = []
    for item in data:
        if item is None or item == b"":
            continue
        literal: bytes | None = None
        if isinstance(item, tuple):
            line, literal = item
            line = _LITERAL_END.sub(b"", line.rstrip())
        else:
            line = item
        head = _LIST_HEAD.match(line)
        if head is None:
            raise ValueError(f"not a LIST answer: {line[:100]!r}")
        flags = tuple(head.group(1).split())
        delim = None if head.group(2).upper() == b"NIL" else _UNESCAPE.sub(
            rb"\1", head.group(2)[1:-1])
        rest = line[head.end():]
        if literal is not None:
            if rest.strip():
                raise ValueError(f"not a LIST answer: {line[:100]!r}")
            raw = literal
        elif (q := _QUOTED.match(rest)) is not None:
            raw = _UNESCAPE.sub(rb"\1", q.group(1))
        else:
            raw = rest.strip()
            if not raw or b" " in raw or b'"' in raw:
                raise ValueError(f"not a LIST answer: {line[:100]!r}")
        out.append((flags, delim, decode_utf7(raw)))
    return out


_STATUS_ITEMS = re.compile(rb"\(([^()]*)\)\s*$")


def parse_status(data: Sequence[bytes | tuple[bytes, bytes] | None]) -> dict[bytes, int]:
    """The numbers of a STATUS answer (``{b"UIDNEXT": 5, ...}``); ValueError when it
    has none."""
    last = next((d for d in reversed(data) if isinstance(d, bytes) and d.strip()), None)
    m = _STATUS_ITEMS.search(last or b"")
    if m is None:
        raise ValueError(f"not a STATUS answer: {data!r:.100}")
    words = m.group(1).split()
    if len(words) % 2:
        raise ValueError(f"not a STATUS answer: {data!r:.100}")
    return {words[i].upper(): int(words[i + 1]) for i in range(0, len(words), 2)}
