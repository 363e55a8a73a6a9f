"""A calendar published at an address: Google's secret address, a published Outlook
calendar, any http(s):// or webcal:// feed. Adapter.

Fetched with the standard library: a timeout on every read and on the whole transfer,
TLS always verified, conditional requests (ETag / If-None-Match, Last-Modified /
If-Modified-Since), and the last good copy with its validators kept in thankful's
state folder (``calendars/``, files readable by the user alone). A 304 reuses that
copy; a server error or a network failure reuses it too and is reported as an error
of this calendar alone. The address is never logged: it is often the only secret
that guards the calendar.

A feed is handed to the cycle as one piece per event UID (with the feed's header and
time zones): a feed larger than the parser's per-object limits (5 MB, a few hundred
occurrences) still works whole, and a change to one event parses that event again and
nothing else. A piece's fingerprint leaves out DTSTAMP, which Google's feeds set to the
time of every download. Events that ended long before the window, without recurrence,
are left out unparsed: years of history cost nothing each cycle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import ssl
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.message import Message
from http.client import HTTPException
from http.client import HTTPMessage
from http.client import InvalidURL
from pathlib import Path
from typing import IO
from urllib.parse import unquote
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from thankful import __version__
from thankful.errors import PermanentSourceError
from thankful.errors import SourceError
from thankful.errors import TransientSourceError

#: Seconds to wait for the server to answer (and for each read after).
FETCH_TIMEOUT = 30.0
#: Seconds the whole download may take: a server trickling bytes is cut off.
FETCH_DEADLINE = 120.0
#: A feed larger than this (after decompression) is refused; years of a busy
#: calendar are a few MB.
MAX_FEED_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024


def https_url(url: str) -> str:
    """``webcal://`` is https in disguise (calendar apps register the scheme)."""
    scheme, _, rest = url.strip().partition("://")
    return f"https://{rest}" if scheme.lower() in ("webcal", "webcals") else url.strip()


def label_of(url: str) -> str:
    """A name for the address fit for logs and the state: host and a digest, no path.

    A login with an unencoded / ? or # ("https://to/ken@host/...") makes its start
    read as the host: a one-word host in an address with an "@" after it is not shown.
    """
    parts = urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    host = parts.hostname or "?"
    if ("@" in url and "@" not in parts.netloc and "." not in host and ":" not in host
            and host != "localhost"):
        host = "?"
    return f"{parts.scheme}://{host}/…{digest}"


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but never from https to plain http (the address is a secret)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
        if req.full_url.lower().startswith("https:") and not newurl.lower().startswith("https:"):
            raise urllib.error.HTTPError(req.full_url, code, "redirect from https to plain "
                                         "http refused", headers, fp)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.headers.pop("Authorization", None)  # the login is for its own host only
        return new


class IcsUrl:
    """An ICS feed at an http(s):// or webcal:// address."""

    def __init__(self, *, name: str, url: str, cache_dir: Path | None,
                 cafile: Path | None = None, timeout: float = FETCH_TIMEOUT,
                 deadline: float = FETCH_DEADLINE, persist: bool = True,
                 since: datetime | None = None) -> None:
        self.name = name
        self.url = https_url(url)
        self.label = label_of(self.url)
        # A login in the address (a private export, say) goes in a header, not the URL.
        parts = urlsplit(self.url)
        self._auth = ""
        if parts.username is not None:
            login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._auth = "Basic " + base64.b64encode(login.encode()).decode()
            host = parts.netloc.rsplit("@", 1)[1]
            self.url = urlunsplit(parts._replace(netloc=host))
        try:
            urlsplit(self.url).port  # noqa: B018 (raises ValueError when not a number)
            self._bad_address = False
        except ValueError:
            # A password with an unencoded / ? or #: its start reads as the port, which
            # http.client would echo in its error. Never fetched, never echoed.
            self._bad_address = True
        self.cache_dir = cache_dir
        self.cafile = cafile
        self.timeout = timeout
        self.deadline = deadline
        self.persist = persist
        #: Events that ended before this (a week's slack for zones) are left out.
        self.since = since
        self.stale: str | None = None
        #: How the last ``files()`` got the feed: "fetched", "not modified" or "last good copy".
        self.outcome = ""
        self._pieces: dict[str, bytes] = {}
        key = hashlib.sha256(self.url.encode()).hexdigest()[:24]
        self._body_path = cache_dir / f"{key}.ics" if cache_dir else None
        self._meta_path = cache_dir / f"{key}.json" if cache_dir else None

    def describe(self) -> str:
        """The host, never the secret part of the address."""
        return self.label

    def files(self) -> dict[str, str]:
        """Fetch the feed (or reuse the last good copy): one piece per event UID."""
        self.stale = None
        body = self._fetch()
        before = (self.since - timedelta(days=7)).strftime("%Y%m%d") if self.since else None
        pieces = split_feed(body, before=before)
        self._pieces = {f"{self.label}/{_digest(uid, 16)}": data for uid, data in pieces.items()}
        return {path: _fingerprint(data) for path, data in self._pieces.items()}

    def read(self, path: str) -> bytes:
        """One event's piece of the feed fetched by the last ``files()``."""
        try:
            return self._pieces[path]
        except KeyError:
            raise ValueError("not in the feed as last fetched") from None

    # --- fetching ----------------------------------------------------------------------

    def _fetch(self) -> bytes:
        if self._bad_address:
            raise PermanentSourceError(self.name, (
                f"{self.label}: not a valid address: what follows the host's ':' is not a "
                "port number; a password in the address must write / ? # @ : as %2F %3F "
                "%23 %40 %3A"))
        cached = self._load_cache()
        headers = {"User-Agent": f"thankful/{__version__}", "Accept": "text/calendar, */*;q=0.5",
                   "Accept-Encoding": "gzip"}
        if self._auth:
            headers["Authorization"] = self._auth
        if cached is not None:
            meta = cached[1]
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        req = urllib.request.Request(self.url, headers=headers)
        context = ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                             _NoDowngrade())
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                resp_headers: Message = resp.headers
                body = self._read_body(resp, resp_headers.get("Content-Encoding", ""))
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 304 and cached is not None:
                self.outcome = "not modified"
                self._save_meta(cached[1], exc.headers)
                return cached[0]
            # 5xx, 408 and 429 pass; any other answer needs the user (a reset secret
            # address answers 404, a calendar no longer shared 401 or 403).
            transient = exc.code >= 500 or exc.code in (408, 429)
            return self._fallback(cached, f"the server answered {exc.code} {exc.reason}",
                                  transient=transient)
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLCertVerificationError):
                return self._fallback(cached, "the server's TLS certificate was refused "
                                      f"({reason.verify_message}); if it is a private server, "
                                      "set cafile", transient=False)
            return self._fallback(cached, f"cannot reach the server: {_why(reason)}",
                                  transient=True)
        except (OSError, HTTPException, ValueError) as exc:
            # A timeout while reading, a connection dropped mid-body, a truncated body,
            # a broken gzip stream: all worth trying again next cycle.
            return self._fallback(cached, f"the download failed: {_why(exc)}", transient=True)
        problem = _not_a_calendar(body, resp_headers.get("Content-Type", ""))
        if problem:
            return self._fallback(cached, problem, transient=False)
        self.outcome = "fetched"
        self._save(body, resp_headers, cached[1].get("sha256") if cached else None)
        return body

    def _read_body(self, resp: IO[bytes], encoding: str) -> bytes:
        """The whole body, decompressed, within the size limit and the deadline."""
        gzip = encoding.strip().lower() in ("gzip", "x-gzip")
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None
        out = bytearray()
        ends = time.monotonic() + self.deadline
        while True:
            chunk = resp.read(_CHUNK)
            if not chunk:
                break
            if inflate is not None:
                # Bounded, so that a small compressed body cannot expand without end.
                chunk = inflate.decompress(chunk, MAX_FEED_BYTES + 1 - len(out))
            out += chunk
            if len(out) > MAX_FEED_BYTES:
                raise ValueError(f"the feed is over the {MAX_FEED_BYTES // 2**20} MB limit")
            if time.monotonic() > ends:
                raise TimeoutError(f"the download took over {self.deadline:.0f} s")
        if inflate is not None:
            out += inflate.flush()
            if not inflate.eof:
                raise ValueError("the compressed body is truncated")
        return bytes(out)

    def _fallback(self, cached: tuple[bytes, dict[str, str]] | None, problem: str, *,
                  transient: bool) -> bytes:
        """The last good copy, with the failure noted; without one, the failure itself."""
        error: type[SourceError] = TransientSourceError if transient else PermanentSourceError
        if cached is None:
            raise error(self.name, f"{self.label}: {problem}; no earlier copy to use")
        self.outcome = "last good copy"
        when = cached[1].get("fetched_at", "earlier")
        self.stale = f"{self.label}: {problem}; using the copy fetched {when}"
        return cached[0]

    # --- the last good copy ------------------------------------------------------------

    def _load_cache(self) -> tuple[bytes, dict[str, str]] | None:
        if self._body_path is None or self._meta_path is None:
            return None
        try:
            meta = json.loads(self._meta_path.read_text(encoding="utf-8"))
            body = self._body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None  # half-written or from another address: as if none
        return body, {k: v for k, v in meta.items() if isinstance(v, str)}

    def _save(self, body: bytes, headers: Message, cached_sha: str | None) -> None:
        if not self.persist or self._body_path is None:
            return
        sha = hashlib.sha256(body).hexdigest()
        if sha != cached_sha:  # a server without validators sends the same bytes again
            _write_private(self._body_path, body)
        self._save_meta({"sha256": sha,
                         "fetched_at": datetime.now(UTC).isoformat(timespec="seconds")}, headers)

    def _save_meta(self, meta: Mapping[str, str], headers: Message) -> None:
        """Keep the validators the server gave last (a 304 may renew them)."""
        if not self.persist or self._meta_path is None:
            return
        new = dict(meta)
        for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
            value = headers.get(header)
            if value:
                new[key] = str(value)
        if new != meta or not self._meta_path.exists():
            _write_private(self._meta_path, json.dumps(new, indent=1).encode())


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the user alone, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fingerprint(piece: bytes) -> str:
    """A digest of a piece without its DTSTAMP lines (Google renews them on every download)."""
    h = hashlib.sha256()
    for line in piece.splitlines():
        if line[:7].upper() != b"DTSTAMP":
            h.update(line + b"\n")
    return h.hexdigest()[:24]


def _digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:n]


def _why(exc: object) -> str:
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "no answer in time (timed out)"
    if isinstance(exc, InvalidURL):  # its text quotes the address, login and all
        return "not a valid address"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text)[:200]


def _not_a_calendar(body: bytes, content_type: str) -> str | None:
    """Why a 200 answer is not the calendar (a login page, a truncated download)."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        kind = content_type.split(";", 1)[0].strip() or "no content type"
        return (f"the server answered with something other than a calendar ({kind}); "
                "is the address the calendar's secret or public ICS address?")
    if b"END:VCALENDAR" not in body[-4096:].upper():
        return "the calendar ended early (no END:VCALENDAR): a truncated download"
    return None


# --- one piece per event --------------------------------------------------------------

def split_feed(body: bytes, *, before: str | None = None) -> dict[str, bytes]:
    """UID -> a calendar with the feed's header, its time zones and that UID's events.

    Works on the lines without parsing them, so that nothing the parser would accept
    is lost on the way: properties and components are copied byte for byte. Events of
    one UID (a series and its moved occurrences) stay together.

    :param before: "YYYYMMDD": a UID whose events all start and end before that day,
        with no recurrence, is left out.
    """
    lines = body.splitlines(keepends=True)
    header: list[bytes] = []
    zones: list[bytes] = []
    groups: dict[str, list[bytes]] = {}
    depth = 0  # 1 inside a VCALENDAR
    block: list[bytes] = []
    block_depth = 0
    block_kind = b""
    calendars = 0
    for line in lines:
        word = line.strip().upper()
        if block:
            block.append(line)
            if word.startswith(b"BEGIN:"):
                block_depth += 1
            elif word.startswith(b"END:"):
                block_depth -= 1
                if block_depth == 0:
                    data = b"".join(block)
                    if block_kind == b"VTIMEZONE":
                        if data not in zones:
                            zones.append(data)
                    elif block_kind == b"VEVENT":
                        groups.setdefault(_uid(block), []).append(data)
                    block = []
            continue
        if word == b"BEGIN:VCALENDAR":
            depth, calendars = 1, calendars + 1
        elif word == b"END:VCALENDAR":
            depth = 0
        elif depth == 1 and word.startswith(b"BEGIN:"):
            block, block_depth, block_kind = [line], 1, word[6:]
        elif depth == 1 and calendars == 1 and word:
            # The first calendar's own properties (METHOD, X-WR-TIMEZONE), folds and all.
            header.append(line)
    if block:
        # An event cut off by the end of the feed: the parser says what it makes of it.
        groups.setdefault(_uid(block), []).append(b"".join(block))
    if not calendars:
        return {"": body} if body.strip() else {}
    nl = b"\r\n" if b"\r\n" in body[:200] else b"\n"
    top = b"BEGIN:VCALENDAR" + nl + b"".join(_ended(h, nl) for h in header)
    tz = b"".join(_ended(z, nl) for z in zones)
    return {uid: top + tz + b"".join(_ended(e, nl) for e in events) + b"END:VCALENDAR" + nl
            for uid, events in groups.items() if not (before and _all_before(events, before))}


def _ended(data: bytes, nl: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + nl


def _all_before(events: list[bytes], day: str) -> bool:
    """Whether events surely ended before ``day``: each DTSTART and DTEND is a plain
    earlier date, and nothing recurs or lasts a DURATION. Any doubt keeps them."""
    limit = day.encode()
    for event in events:
        seen = False
        for line in event.splitlines():
            name = line.split(b":", 1)[0].split(b";", 1)[0].strip().upper()
            if name in (b"RRULE", b"RDATE", b"DURATION"):
                return False
            if name in (b"DTSTART", b"DTEND"):
                value = line.rsplit(b":", 1)[-1].strip()
                if not (value[:8].isdigit() and value[:8] < limit):
                    return False
                seen = True
        if not seen:
            return False
    return True


def _uid(block: list[bytes]) -> str:
    """The UID of a VEVENT's lines (unfolded), "" when it has none."""
    depth = 0
    for i, line in enumerate(block):
        word = line.strip().upper()
        if word.startswith(b"BEGIN:"):
            depth += 1
        elif word.startswith(b"END:"):
            depth -= 1
        elif depth == 1 and word[:4] in (b"UID:", b"UID;"):
            value = line.rstrip(b"\r\n")
            for more in block[i + 1:]:
                if more[:1] not in (b" ", b"\t"):
                    break
                value += more.rstrip(b"\r\n")[1:]
            return value.split(b":", 1)[1].strip().decode("utf-8", "surrogateescape")
    return ""
