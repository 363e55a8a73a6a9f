"""Header values of received mail, decoded and made safe for reuse. Pure: no I/O.

Every string returned here has all line-break characters (everything
``str.splitlines`` splits on), other control characters and NUL removed: these
values end up in draft headers, and Python < 3.11.10 lets an encoded newline
through (CVE-2024-6923). Values are cut at ``MAX_HEADER`` characters *before* the
stdlib header parser sees them, because it has quadratic cases on long input.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from email.header import decode_header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from typing import Any

from thankful.core.model import Address

MAX_HEADER = 4000
MAX_ADDRESSES = 100

Problem = Callable[[str], None]

# Everything str.splitlines() splits on, plus NUL and the other C0/C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_MSGID = re.compile(r"<[^<>\s]{1,500}>")
_EMAIL_OK = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\.]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


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


def clean_header_text(value: str, limit: int = MAX_HEADER) -> str:
    """A header-derived string made safe for reuse: one line, no controls, no surrogates."""
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


def raw_values(msg: EmailMessage, name: str) -> list[str]:
    """Raw (undecoded, unfolded, 8-bit repaired) values of one header, in order."""
    out = []
    for key, value in msg.raw_items():
        if key.lower() != name:
            continue
        value = _FOLD.sub("", str(value)).replace("\r", "").replace("\n", "")
        if _SURROGATE.search(value):  # raw 8-bit bytes in the header: mostly UTF-8
            b = value.encode("ascii", "surrogateescape")
            try:
                value = b.decode("utf-8")
            except UnicodeDecodeError:
                value = b.decode("cp1252", "replace")
        out.append(value)
    return out


def decode_words(value: str) -> str:
    """RFC 2047 decoding that survives unknown charsets and broken words (compat32 style)."""
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


def decode_unstructured(value: str, problem: Problem = _ignore) -> str:
    """An unstructured header value (Subject, a display name) decoded, not yet cleaned."""
    value = value[:MAX_HEADER]
    try:
        text = str(POLICY.header_factory("subject", value))
    except Exception:
        text = decode_words(value)
    if "\ufffd" in text and "\ufffd" not in value:
        problem("undecodable characters in a header: replaced")
    return text


def header_text(msg: EmailMessage, name: str, problem: Problem = _ignore) -> str:
    """The first value of an unstructured header, decoded and cleaned ("" when absent)."""
    values = raw_values(msg, name)
    return clean_header_text(decode_unstructured(values[0], problem)) if values else ""


def addresses(msg: EmailMessage, name: str, problem: Problem = _ignore) -> tuple[Address, ...]:
    """Mailboxes of an address header: names decoded, emails lower-cased, no '@' dropped."""
    out: list[Address] = []
    seen: set[str] = set()
    for value in raw_values(msg, name):
        try:
            pairs = getaddresses([value[:MAX_HEADER]])
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


def date(msg: EmailMessage) -> datetime | None:
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


def ids(msg: EmailMessage, name: str, *, tail: bool = False) -> tuple[str, ...]:
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


