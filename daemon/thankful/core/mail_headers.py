"""Header values of received mail, decoded and made safe for reuse. Pure: no I/O.

Every string returned here has all line-break characters (everything
``str.splitlines`` splits on), other control characters and NUL removed: these
values end up in draft headers, and Python < 3.11.10 lets an encoded newline
through (CVE-2024-6923). Values are cut at ``MAX_HEADER`` characters *before* the
stdlib header parser sees them, because it has quadratic cases on long input.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import re
from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from email.header import decode_header
from email.message import EmailMessage
from email.message import Message
from email.policy import Compat32
from email.policy import EmailPolicy
from email.utils import getaddresses
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from typing import Any

from thankful.core.model import Address

MAX_HEADER = 4000
MAX_ADDRESSES = 100
#: A header block is cut here before it is read.
MAX_HEADER_BLOCK = 512 * 1024

Problem = Callable[[str], None]

# Everything str.splitlines() splits on, plus NUL and the other C0/C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<[^<>\s]{1,500}>")
_EMAIL_OK = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\.]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_FOLD_BYTES = re.compile(rb"\r?\n(?=[ \t])")
# A value and its continuation lines, from just after the colon.
_VALUE = re.compile(rb"[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)")


_PATTERNS: dict[frozenset[str], re.Pattern[bytes]] = {}


def _fields_pattern(names: frozenset[str]) -> re.Pattern[bytes]:
    """Finds ``<name>:`` at a line start for any of the names (any case) and captures the
    name and the value with its continuation lines, as :data:`_VALUE` reads it."""
    pattern = _PATTERNS.get(names)
    if pattern is None:
        alternatives = b"|".join(re.escape(n.encode("ascii")) for n in sorted(names))
        # The look-ahead at the first letters passes over most lines at once (a case-blind
        # alternation is tried letter by letter: twice as slow).
        first = re.escape(bytes(sorted({ord(n[0]) for n in names if n})))
        pattern = _PATTERNS[names] = re.compile(
            rb"\n(?=[" + first + rb"])(" + alternatives + rb"):" + _VALUE.pattern,
            re.IGNORECASE)
    return pattern


def _value_at(head: bytes, pos: int) -> bytes:
    """The value (with its continuation lines) of the field whose colon ends at pos."""
    m = _VALUE.match(head, pos)
    return m.group(1) if m else b""


def value_text(value: bytes) -> str:
    """A raw value (continuation lines included) as text: unfolded, 8-bit repaired. Not
    cut: each reader cuts what it reads (References keeps its end), and the block is."""
    if b"\n" in value:
        value = _FOLD_BYTES.sub(b"", value)
    return _text(value.rstrip(b"\r"))


def _ignore(_note: str) -> None:
    return None


if TYPE_CHECKING:
    _PolicyBase = EmailPolicy[EmailMessage]
else:  # EmailPolicy is generic only in typeshed
    _PolicyBase = EmailPolicy


class _BoundedPolicy(_PolicyBase):
    """policy.default, except that a header value is cut before it is parsed."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if isinstance(value, str) and len(value) > MAX_HEADER:
            value = value[:MAX_HEADER]
        return super().header_fetch_parse(name, value)


POLICY = _BoundedPolicy()


class _BoundedCompat32(Compat32):
    """compat32, except that a header value is cut before its parameters are parsed
    (``Message.get_param`` is quadratic in the number of quotes and semicolons)."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if isinstance(value, str) and len(value) > MAX_HEADER:
            value = value[:MAX_HEADER]
        return super().header_fetch_parse(name, value)


#: How MIME parts' header blocks are parsed: for their structure only.
MIME_POLICY = _BoundedCompat32()


def clean_header_text(value: str, limit: int = MAX_HEADER) -> str:
    """A header-derived string made safe for reuse: one line, no controls, no surrogates."""
    if value.isascii() and value.isprintable():  # the usual case, and quick
        return " ".join(value.split())[:limit]
    value = _SURROGATE.sub("\ufffd", value)
    value = _CONTROL.sub(" ", value)
    return _SPACES.sub(" ", value).strip()[:limit]


def decode_bytes(data: bytes, charset: str, problem: Problem = _ignore) -> str:
    """Decode text with its declared charset, falling back to UTF-8; never raises.

    :param problem: called with a one-line note when bytes had to be replaced.
    """
    charset = (charset or "").strip().strip("\"'").lower()
    if charset in ("", "us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        charset = "utf-8"  # mislabelled 8-bit text is nearly always UTF-8 today
    try:
        if not codecs.lookup(charset)._is_text_encoding:
            raise LookupError(charset)
    except (LookupError, ValueError, TypeError):
        problem(f"unknown charset {clean_header_text(charset, 40)!r}: read as UTF-8")
        return data.decode("utf-8", "replace")
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, ValueError, TypeError, LookupError):
        problem(f"bytes invalid for charset {charset!r}: replaced")
        try:
            return data.decode(charset, "replace")
        except (ValueError, TypeError, LookupError):
            return data.decode("utf-8", "replace")


def repair(value: str) -> str:
    """Unfold a raw value and read raw 8-bit bytes in it (mostly UTF-8)."""
    value = _FOLD.sub("", value).replace("\r", "").replace("\n", "")
    if _SURROGATE.search(value):
        b = value.encode("ascii", "surrogateescape")
        try:
            value = b.decode("utf-8")
        except UnicodeDecodeError:
            value = b.decode("cp1252", "replace")
    return value


def _block(head: bytes) -> bytes:
    """A header block as it is read: cut at :data:`MAX_HEADER_BLOCK`, an mbox "From "
    line first skipped."""
    head = head[:MAX_HEADER_BLOCK]
    if head.startswith(b"From "):
        head = head[head.find(b"\n") + 1:] if b"\n" in head else b""
    return head


def raw_fields(head: bytes, names: frozenset[str]) -> dict[str, list[bytes]]:
    """The raw values (continuation lines included; see :func:`value_text`) of the
    fields of a header block with these lower-case names, by name; absent names are
    left out. One pass of one expression over the block: a scan reads every new
    message this way, so no per-line work in Python."""
    return _fields_of(_block(head), names)


def _fields_of(block: bytes, names: frozenset[str]) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for name, value in _fields_pattern(names).findall(b"\n" + block):
        key = name.lower().decode("ascii")
        got = found.get(key)
        if got is None:
            found[key] = [value]
        else:
            got.append(value)
    return found


class HeaderIndex:
    """Raw header values by lower-case name (unfolded, 8-bit repaired).

    Looking a name up in an ``EmailMessage`` walks every header each time; a scan asks
    for some twenty names per message, so the values are indexed once instead. An
    index of a raw header block (:meth:`of_block`) is lazy: a field is looked for only
    when asked for, with ``bytes.find`` in a lower-cased copy of the block, so judging a
    message by a few fields costs a few searches, not a parse of every Received line.
    """

    __slots__ = ("_head", "_lower", "_values")

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        self._head: bytes | None = None  # the raw block, for lazy lookups
        self._lower: bytes | None = None  # its lower-cased copy, made at the first one
        for key, value in items:
            self._values.setdefault(key.lower(), []).append(value)

    @classmethod
    def of_message(cls, msg: Message) -> HeaderIndex:
        """The index of a parsed message's headers."""
        return cls((key, repair(str(value))) for key, value in msg.raw_items())

    @classmethod
    def of_block(cls, head: bytes, names: frozenset[str] = frozenset()) -> HeaderIndex:
        """The (lazy) index of a raw header block, split by hand, not by the email
        parser. The ``names`` (lower-case) a caller will ask for are all found in one
        pass. Lines that are not fields are passed over (the caller cuts the block at its
        first empty line); an mbox "From " line first is skipped."""
        head = _block(head)
        index = cls(())
        index._head = head
        if names:
            values = index._values
            for name in names:
                values[name] = []
            for name, raws in _fields_of(head, names).items():
                values[name] = [value_text(v) for v in raws]
        return index

    def _find(self, name: str) -> list[str]:
        if self._head is None:
            return []
        if self._lower is None:
            # Lower-casing keeps the length (ASCII only): a match's offset is the field's.
            self._lower = b"\n" + self._head.lower()
        key = b"\n" + name.encode("ascii", "replace") + b":"
        found: list[str] = []
        pos = self._lower.find(key)
        while pos >= 0:
            found.append(value_text(_value_at(self._head, pos + len(key) - 1)))
            pos = self._lower.find(key, pos + len(key))
        return found

    def values(self, name: str) -> list[str]:
        """The values of one header (lower-case name), in order."""
        got = self._values.get(name)
        if got is None:
            got = self._values[name] = self._find(name)
        return got

    def __contains__(self, name: str) -> bool:
        if self._head is not None:
            return bool(self.values(name))
        return name in self._values


def _text(raw: bytes) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return repair(raw.decode("ascii", "surrogateescape"))


#: A parsed message or the index of a header block: what the functions below read.
Headers = Message | HeaderIndex


def raw_values(msg: Headers, name: str) -> list[str]:
    """Raw (undecoded, unfolded, 8-bit repaired) values of one header, in order."""
    if isinstance(msg, HeaderIndex):
        return msg.values(name)
    return [repair(str(value)) for key, value in msg.raw_items() if key.lower() == name]


def decode_words(value: str) -> str:
    """RFC 2047 decoding that survives unknown charsets and broken words (compat32 style)."""
    quick = _decode_words_quick(value)
    return quick if quick is not None else _decode_words_email(value)


def _decode_words_email(value: str) -> str:
    """:func:`decode_words` through the email package's ``decode_header``."""
    chunks = []
    try:
        parts = decode_header(value)
    except Exception:
        return value
    for chunk, charset in parts:
        if isinstance(chunk, str):
            chunks.append(chunk)
        else:
            chunks.append(decode_bytes(chunk, charset or "utf-8"))
    return "".join(chunks)


#: An encoded word as ``email.header.decode_header`` finds it.
_ENCODED_WORD = re.compile(r"=\?([^?]*?)\?([qQbB])\?(.*?)\?=", re.MULTILINE)
_BAD_ESCAPE = re.compile(r"=(?![0-9A-Fa-f]{2})")


def _decode_words_quick(value: str) -> str | None:
    """:func:`_decode_words_email` of the usual encoded value (ASCII, nothing but encoded
    words in one charset, whitespace between them, their text without whitespace and,
    in Q words, no "=" but escapes), 2.6 times quicker (the email package decodes each Q
    word with a Python call per escape). None for any other value. A test holds
    the two to the same text."""
    if not (value.isascii() and value.replace("\t", " ").isprintable()):
        return None  # (decode_header splits lines at more than CR and LF)
    parts = _ENCODED_WORD.split(value)
    if len(parts) < 4 or parts[0].strip() or parts[-1]:
        return None
    charset = parts[1].lower()
    data = []
    for i in range(1, len(parts), 4):
        cs, kind, text, after = parts[i], parts[i + 1], parts[i + 2], parts[i + 3]
        if cs.lower() != charset or (after and not after.isspace()) or not text.isprintable() \
                or " " in text:
            return None
        if kind in "qQ":
            if _BAD_ESCAPE.search(text):
                return None
            data.append(binascii.a2b_qp(text.encode("ascii"), header=True))
        else:
            if len(text) % 4:
                text += "==="[:4 - len(text) % 4]
            try:
                data.append(binascii.a2b_base64(text.encode("ascii")))
            except binascii.Error:
                return None
    return decode_bytes(b"".join(data), charset or "utf-8")


def decode_unstructured(value: str, problem: Problem = _ignore) -> str:
    """An unstructured header value (Subject, a display name) decoded, not yet cleaned."""
    value = value[:MAX_HEADER]
    if "=?" not in value:
        return value  # nothing encoded: the header registry would give it back as it is
    # The compat32 decoder is many times quicker than the header registry; the
    # registry is asked only when an encoded word is left (one inside a word, say).
    text = decode_words(value)
    if "=?" in text and "?=" in text:
        with contextlib.suppress(Exception):
            text = str(POLICY.header_factory("subject", value))
    if "\ufffd" in text and "\ufffd" not in value:
        problem("undecodable characters in a header: replaced")
    return text


def header_text(msg: Headers, name: str, problem: Problem = _ignore) -> str:
    """The first value of an unstructured header, decoded and cleaned ("" when absent)."""
    values = raw_values(msg, name)
    return clean_header_text(decode_unstructured(values[0], problem)) if values else ""


def addresses(msg: Headers, name: str, problem: Problem = _ignore) -> tuple[Address, ...]:
    """Mailboxes of an address header: names decoded, emails lower-cased, no '@' dropped."""
    out: list[Address] = []
    seen: set[str] = set()
    for value in raw_values(msg, name):
        try:
            pairs = _pairs(value[:MAX_HEADER])
        except Exception:
            problem(f"unreadable {name} header")
            continue
        for disp, addr in pairs[:MAX_ADDRESSES]:
            email = clean_header_text(addr, 320).lower()
            if not _EMAIL_OK.fullmatch(email) or email in seen:
                continue
            seen.add(email)
            disp_text = clean_header_text(decode_unstructured(disp, problem), 200).strip("\"' ")
            out.append(Address(name=disp_text, email=email))
    return tuple(out)


#: One mailbox in its usual forms, ``Name <a@b>`` and ``a@b``. The runs of blanks are
#: possessive and only short values are tried (:data:`_SIMPLE_MAX`): thousands of blanks
#: (a field of folded empty lines) cost the expression no backtracking.
#: A display name with "@" or brackets ("j@x.com <k@y.com>", "Jane [Acme] <...>") is
#: left to the full parser, which reads such names as addresses and domain literals.
_SIMPLE_MAILBOX = re.compile(
    r'[ \t]*+(?:"?([^"<>,;:\\()@\[\]]*?)"?[ \t]*+)?'
    r'<([^<>@\s,;:"\\()\[\]]+@[^<>@\s,;:"\\()\[\]]+)>[ \t]*+'
    r'|[ \t]*+([^<>@\s,;:"\\()\[\]]+@[^<>@\s,;:"\\()\[\]]+)[ \t]*+')
_SIMPLE_MAX = 400


def _pairs(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address list: the usual lists of ``Name
    <a@b>`` and ``a@b`` are read by one expression each (no commas can hide in them),
    anything else by the full address parser."""
    pairs: list[tuple[str, str]] = []
    for part in value.split(","):
        m = _SIMPLE_MAILBOX.fullmatch(part) if len(part) <= _SIMPLE_MAX else None
        if m is None:
            return getaddresses([value])
        pairs.append((m.group(1) or "", m.group(2) or m.group(3)))
    return pairs


def _simple(value: str) -> tuple[str, str] | None:
    """(raw display name, address) of a value that is one usual mailbox, as
    :func:`addresses` would read it; None for anything else."""
    m = _SIMPLE_MAILBOX.fullmatch(value) if len(value) <= _SIMPLE_MAX else None
    if m is None:
        return None
    email = clean_header_text(m.group(2) or m.group(3), 320).lower()
    return (m.group(1) or "", email) if _EMAIL_OK.fullmatch(email) else None


def first_address(msg: Headers, name: str, problem: Problem = _ignore) -> Address | None:
    """The first mailbox of an address header, as :func:`addresses` reads it, but
    without the full address parser for the usual ``Name <a@b>`` and bare ``a@b``."""
    values = raw_values(msg, name)
    hit = _simple(values[0]) if values else None
    if hit is not None:
        disp = clean_header_text(decode_unstructured(hit[0], problem), 200).strip("\"' ")
        return Address(name=disp, email=hit[1])
    found = addresses(msg, name, problem)
    return found[0] if found else None


def first_email(values: list[str]) -> str:
    """The address of :func:`first_address` of a header with these raw values ("" when
    none), without decoding the display name: what a scan judges a sender by."""
    hit = _simple(values[0]) if values else None
    if hit is not None:
        return hit[1]
    found = addresses(HeaderIndex([("from", v) for v in values]), "from")
    return found[0].email if found else ""


def date(msg: Headers) -> datetime | None:
    """The Date header as an aware UTC datetime, or None."""
    values = raw_values(msg, "date")
    if not values:
        return None
    try:
        moment = parsedate_to_datetime(clean_header_text(values[0], 200))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # "-0000": UTC with the sender's zone unknown
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def ids(msg: Headers, name: str, *, tail: bool = False) -> tuple[str, ...]:
    """The "<...>" tokens of Message-ID, In-Reply-To or References (tail=True keeps the end)."""
    values = raw_values(msg, name)
    if not values:
        return ()
    joined = " ".join(values)
    # References grow at the end: keep the nearest ancestors when cutting.
    joined = joined[-MAX_HEADER:] if tail else joined[:MAX_HEADER]
    tokens = [_CONTROL.sub("", t) for t in _MSGID.findall(joined)]
    if not tokens and name == "message-id":  # some robots omit the brackets
        bare = clean_header_text(joined, 500)
        if bare and " " not in bare and "@" in bare:
            tokens = [f"<{bare.strip('<>')}>"]
    tokens = [t for t in tokens if t]
    return tuple(tokens[-200:] if tail else tokens[:200])


