"""IMAP mail stores: read without a trace, write only drafts. Adapter.

A session logs in and asks LIST and STATUS through imaplib itself, and reads the
survey's bulk FETCH with :mod:`imap_raw`; imapclient is put over the same connection
only for what else a scan sends (EXAMINE, SEARCH, FETCH of whole messages, APPEND,
IDLE). A rescan with nothing new thus never loads imapclient.

Folders are opened with EXAMINE and read only with ``BODY.PEEK``: no flag ever moves.
An ident is ``"UIDVALIDITY:UID"``, so a new UIDVALIDITY makes the folder new (its
drafts are still recognised by ``X-Thankful-Note``); a token is one STATUS. Folders
are found by SPECIAL-USE, the configured name, then the usual names, never created.
A draft is APPENDed (``\\Draft \\Seen``) only when a search finds no message with its
note hash, confirmed by APPENDUID (else a search), and after a lost answer retried
only when a new search finds nothing (NOTES.md). Library, socket and TLS errors
each become a :class:`~thankful.errors.SourceError`: one sentence saying what to do.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from thankful import crashpoints
from thankful import log as tlog
from thankful.adapters.imap_raw import FetchAbortedError
from thankful.adapters.imap_raw import Fetched
from thankful.adapters.imap_raw import FetchRefusedError
from thankful.adapters.imap_raw import encode_utf7
from thankful.adapters.imap_raw import parse_fetch
from thankful.adapters.imap_raw import parse_list
from thankful.adapters.imap_raw import parse_status
from thankful.adapters.imap_raw import quote
from thankful.adapters.imap_raw import read_fetch
from thankful.adapters.imap_raw import uid_set
from thankful.adapters.secrets import get_secret
from thankful.adapters.secrets import secret_source
from thankful.adapters.secrets import uses_oauth2
from thankful.config import is_loopback
from thankful.errors import CredentialsError
from thankful.errors import PermanentSourceError
from thankful.errors import SourceError
from thankful.errors import TransientSourceError
from thankful.ports import Entry
from thankful.ports import Headed
from thankful.ports import Survey

if TYPE_CHECKING:
    from thankful.config import AccountConfig

log = tlog.get_logger("thankful.imap")

#: What imaplib raises for a NO or BAD answer, and for a broken session (imapclient's
#: IMAPClientError and IMAPClientAbortError are these very classes).
_Refused = imaplib.IMAP4.error
_Aborted = imaplib.IMAP4.abort

#: How every message is read: BODY.PEEK, which never sets \\Seen (a guard: see
#: tests/reliability/test_guards.py).
PEEK = "BODY.PEEK"
HEADER_BATCH = 200  # header blocks per fetch (one by one reads)
SURVEY_BATCH = 1000  # messages per FETCH of a survey: about 4 MB of headers
BODY_BATCH = 50  # whole messages per fetch ...
BODY_BATCH_BYTES = 8 * 1024 * 1024  # ... and at most this many bytes
BODY_PREFETCH_MAX = 1024 * 1024  # larger messages are fetched only when asked for
_USUAL = {
    "Drafts": ("Drafts", "INBOX.Drafts", "INBOX/Drafts", "Draft", "[Gmail]/Drafts"),
    "Sent": ("Sent", "Sent Items", "INBOX.Sent", "INBOX/Sent", "Sent Messages",
             "Sent Mail", "[Gmail]/Sent Mail"),
}
_TRANSIENT_CODES = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]", "socket error")


_CONTEXTS: dict[tuple[str | None, int], ssl.SSLContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def _tls_context(cafile: str | None) -> ssl.SSLContext:
    """A verifying TLS context per CA file (and its version on disk), built once:
    loading the system CAs costs tens of milliseconds, on every connection otherwise.
    Contexts are thread-safe."""
    try:
        stamp = os.stat(cafile).st_mtime_ns if cafile else 0
    except OSError:
        stamp = -1  # let create_default_context say what is wrong with it
    with _CONTEXTS_LOCK:
        ctx = _CONTEXTS.get((cafile, stamp))
        if ctx is None:
            ctx = ssl.create_default_context(cafile=cafile)
            if stamp != -1:
                _CONTEXTS[(cafile, stamp)] = ctx
        return ctx


class _IMAP4(imaplib.IMAP4):
    """imaplib's connection as imapclient makes it (a connect timeout; implicit TLS when
    given a context), that takes the capabilities from the server's greeting.

    imaplib sends CAPABILITY after every greeting, though Dovecot, Gmail, Fastmail and
    most others list them in it (``* OK [CAPABILITY ...]``): one round trip fewer on
    every connection. After STARTTLS they are asked for, as RFC 2595 requires: nothing
    said before TLS is trusted.
    """

    def __init__(self, host: str, port: int, timeout: float | None,
                 tls: ssl.SSLContext | None) -> None:
        self._tls_context = tls
        self._connect_timeout = timeout
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = socket.create_connection(
            (self.host, self.port), self._connect_timeout if timeout is None else timeout)
        if self._tls_context is None:
            return sock
        return self._tls_context.wrap_socket(sock, server_hostname=self.host)

    def _get_capabilities(self) -> None:
        told = self.untagged_responses.pop("CAPABILITY", None)
        if told and isinstance(told[-1], bytes) and not self._tls_established:
            self.capabilities = tuple(told[-1].decode("ascii", "replace").upper().split())
            return
        super()._get_capabilities()  # type: ignore[misc]


def _adopt(imap: _IMAP4, *, tls: bool, starttls: bool, caps: frozenset[bytes],
           timeout: tuple[float, float]) -> Any:
    """An imapclient client over a session already connected and logged in through
    imaplib (what a rescan with nothing new needs, it does without imapclient)."""
    from imapclient import IMAPClient
    from imapclient import SocketTimeout

    class Adopted(IMAPClient):  # type: ignore[misc]  # imapclient has no type information
        def _create_IMAP4(self) -> _IMAP4:  # noqa: N802  (imapclient's name)
            return imap

    client = Adopted(imap.host, port=imap.port, ssl=tls,
                     timeout=SocketTimeout(connect=timeout[0], read=timeout[1]))
    client._starttls_done = starttls
    client._cached_capabilities = tuple(sorted(caps))
    client.normalise_times = False  # aware INTERNALDATEs
    _trace(imap)  # imapclient turned imaplib's trace on (debug = 5) whoever listens
    return client


def _trace(imap: _IMAP4) -> None:
    """imaplib's protocol trace, to the ``imapclient.imaplib`` logger at debug level, as
    imapclient sends it there: only when someone listens (formatting every line read
    costs half the time of a bulk FETCH), and never a LOGIN's or AUTHENTICATE's words."""
    trace = logging.getLogger("imapclient.imaplib")
    if not trace.isEnabledFor(logging.DEBUG):
        imap.debug = 0
        return

    def mesg(text: Any, secs: Any = None) -> None:
        if isinstance(text, bytes):
            text = text.decode("ascii", "ignore")
        text = str(text)
        for command in ("LOGIN", "AUTHENTICATE"):
            if text.lstrip().startswith(">") and command in text.upper():
                text = text[:text.upper().index(command)] + command + " **REDACTED**"
                break
        trace.debug(text)

    imap.debug = 5
    imap._mesg = mesg  # type: ignore[attr-defined]


_FIELD_NAME = re.compile(r"[A-Za-z0-9-]+")


def _header_section(fields: Collection[str]) -> str:
    """``[HEADER]``, or ``[HEADER.FIELDS (A B ...)]`` of these field names (upper case,
    sorted: the server names the literal so). A name that is not a plain field name
    gives the whole block."""
    names = sorted({f.upper() for f in fields})
    if not names or not all(_FIELD_NAME.fullmatch(n) for n in names):
        return "[HEADER]"
    return f"[HEADER.FIELDS ({' '.join(names)})]"


def _is_imapclient(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is imapclient's exception of that name (imported only if used)."""
    return any(c.__name__ == name and c.__module__.startswith("imapclient")
               for c in type(exc).__mro__)


class ImapStore:
    """One IMAP account (a MailStore). ``commands`` counts the commands sent."""

    def __init__(self, acc: AccountConfig, *, secret: Callable[[AccountConfig], str] = get_secret,
                 timeout: float = 60.0, connect_timeout: float = 15.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if acc.imap is None:
            raise ValueError(f"account {acc.name} is not an IMAP account")
        self.name = acc.name
        self.address = acc.address
        self.commands = 0
        self._acc = acc
        self._s = acc.imap
        self._secret = secret
        self._timeout = (connect_timeout, timeout)
        self._sleep = sleep
        #: The session through imaplib: logged in; LIST, STATUS, NOOP and the survey's
        #: FETCHes go through it. ``_client``: imapclient over it, for the rest.
        self._imap: _IMAP4 | None = None
        self._client: Any = None
        self._starttls = False
        self._caps: frozenset[bytes] = frozenset()
        self._tls = ""
        self._folders: tuple[str, ...] = ()
        self._skipped: tuple[str, ...] = ()
        self._sent = self._drafts = ""
        self._how: dict[str, str] = {}
        self._selected: str | None = None
        self._fresh: set[str] = set()  # folders re-opened since connecting
        self._uidvalidity: dict[str, int] = {}
        self._tokens: dict[str, str] = {}  # folder -> the token STATUS gave this session
        self._early: dict[str, str] = {}  # folder -> a token read at login, not yet used
        self._order: dict[str, dict[int, int]] = {}  # folder -> uid -> position
        self._uids: dict[str, list[int]] = {}  # folder -> uids by date
        self._sizes: dict[tuple[str, int], int] = {}
        self._cache: dict[tuple[str, int, bool], bytes] = {}
        #: folder -> the bodies the scan will read, in its order, in FETCH-sized batches
        self._plan: dict[str, list[list[int]]] = {}
        #: A body FETCH sent ahead and not read yet: (folder, batch index, tag).
        self._ahead: tuple[str, int, Any] | None = None
        self._fetched: set[tuple[str, int]] = set()  # batches of the plan read

    # --- connection ------------------------------------------------------------------

    @contextlib.contextmanager
    def _io(self, doing: str) -> Iterator[None]:
        """Turn every failure into a SourceError (dropping a broken connection)."""
        try:
            yield
        except SourceError:
            raise
        except Exception as exc:
            err = self._translate(exc, doing)
            if isinstance(err, TransientSourceError):
                self._drop()  # a half-read answer leaves the session unusable
            raise err from None

    def _translate(self, exc: BaseException, doing: str) -> SourceError:
        s, where = self._s, f"{self._s.host}:{self._s.port}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return PermanentSourceError(self.name, (
                f"the TLS certificate of {s.host} failed verification "
                f"({exc.verify_message}); if the server uses a private CA, set cafile to "
                "its PEM file"))
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
            return TransientSourceError(self.name, f"no answer from {where} while {doing} "
                                        "(timed out); will retry next cycle")
        if isinstance(exc, socket.gaierror):
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                return PermanentSourceError(self.name, f"unknown host {s.host!r}: the name "
                                            "does not resolve; check host in the config")
            return TransientSourceError(self.name, f"cannot resolve {s.host!r} "
                                        f"({exc.strerror}); will retry next cycle")
        if isinstance(exc, ConnectionRefusedError):
            return TransientSourceError(self.name, f"{where} refused the connection (is the "
                                        "server up, and is the port right?); will retry")
        if isinstance(exc, ssl.SSLError):
            return PermanentSourceError(self.name, f"TLS with {where} failed ({exc.reason}); "
                                        "check port and security (tls or starttls)")
        if _is_imapclient(exc, "CapabilityError"):
            return PermanentSourceError(self.name, f"{where} does not offer {exc} (needed "
                                        f"for {doing}); check security and port")
        if isinstance(exc, _Aborted | OSError | EOFError):
            return TransientSourceError(self.name, f"the connection to {where} was lost while "
                                        f"{doing}; will retry next cycle")
        if isinstance(exc, _Refused):
            text = str(exc)
            if "[OVERQUOTA]" in text.upper() or "quota exceeded" in text.lower():
                return PermanentSourceError(self.name, f"the mailbox on {s.host} is full (over "
                                            f"its quota) while {doing}; free some space "
                                            "(empty Trash, delete old mail): thankful tries "
                                            "again")
            if any(code in text for code in _TRANSIENT_CODES):
                return TransientSourceError(self.name, f"{where} is busy or unavailable "
                                            f"while {doing} ({text[:200]}); will retry")
            return PermanentSourceError(self.name, f"the server refused {doing}: {text[:200]}")
        return TransientSourceError(self.name, f"{type(exc).__name__} while {doing}")

    def _connect_once(self) -> _IMAP4:
        s = self._s
        if s.security == "none" and not is_loopback(s.host):
            raise PermanentSourceError(self.name, 'security = "none" is allowed only to '
                                       "localhost; use tls or starttls")
        # Verified against the system CAs, or only the given CA file; none without TLS
        # (loading the system CAs costs more than the rest of a rescan with nothing new).
        ctx = _tls_context(str(s.cafile) if s.cafile else None) \
            if s.security != "none" else None
        with self._io(f"connecting to {s.host}:{s.port}"):
            imap = _IMAP4(s.host, s.port, self._timeout[0],
                          ctx if s.security == "tls" else None)
        self._count(imap)
        _trace(imap)
        try:
            if s.security == "starttls":
                assert ctx is not None
                with self._io("starting TLS (STARTTLS)"):
                    self._start_tls(imap, ctx)
            # Connected: from now on each answer may take the read timeout.
            imap.sock.settimeout(self._timeout[1])
        except SourceError:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise
        sock = imap.sock
        # imaplib (and imapclient) write a command and its CRLF in two sends; with
        # Nagle's algorithm the second waits for the server's (possibly delayed) ACK of
        # the first: up to 40 ms on every SEARCH and APPEND, more than the command itself.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(sock, ssl.SSLSocket):
            how = "implicit TLS" if s.security == "tls" else "STARTTLS"
            ca = f"cafile {s.cafile}" if s.cafile else "the system CAs"
            self._tls = f"{how}, {sock.version()}, certificate verified against {ca}"
        else:
            self._tls = "no TLS (security = none, loopback only)"
        return imap

    def _start_tls(self, imap: _IMAP4, ctx: ssl.SSLContext) -> None:
        """STARTTLS through imaplib, as imapclient does it; the capabilities are then
        asked for again (RFC 2595: nothing said before TLS is kept)."""
        if "STARTTLS" not in imap.capabilities:
            raise PermanentSourceError(self.name, f"{self._s.host}:{self._s.port} does not "
                                       "offer STARTTLS; check security and port")
        typ, data = imap.starttls(ssl_context=ctx)
        if typ != "OK":
            raise _Refused(f"STARTTLS failed: {data!r:.200}")
        self._starttls = True

    def _connect(self) -> Any:
        """Connect, retrying a refused or dropped connection with backoff and jitter."""
        for attempt in range(3):
            try:
                return self._connect_once()
            except TransientSourceError as exc:
                if attempt == 2 or "timed out" in str(exc) or "resolve" in str(exc):
                    raise
                self._sleep(0.5 * 2 ** attempt * (1 + random.random()))
        raise AssertionError("unreachable")

    def _login(self, imap: _IMAP4) -> None:
        """LOGIN (AUTHENTICATE PLAIN for a non-ASCII password, XOAUTH2 for a token), as
        imapclient sends them; then the capabilities the server tells a logged-in user."""
        s = self._s
        try:
            secret = self._secret(self._acc)
        except CredentialsError as exc:
            imap.shutdown()
            raise PermanentSourceError(self.name, str(exc).removeprefix(
                f"account {self.name}: ")) from None
        oauth = uses_oauth2(self._acc)
        try:
            with self._io("logging in"):
                try:
                    if oauth:
                        token = f"user={s.username}\1auth=Bearer {secret}\1\1"
                        imap.authenticate("XOAUTH2", lambda _: token.encode())
                    elif secret.isascii():
                        imap.login(s.username, secret)
                    else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
                        plain = f"\0{s.username}\0{secret}".encode()
                        imap.authenticate("PLAIN", lambda _: plain)
                except _Aborted:
                    raise
                except _Refused as exc:
                    if any(code in str(exc) for code in _TRANSIENT_CODES):
                        raise _Aborted(str(exc)) from None
                    what = "OAuth2 token" if oauth else "password"
                    hint = ("is the token command's token fresh, and for this user?" if oauth
                            else "check the password (Gmail, iCloud and Fastmail want an app "
                            "password, Microsoft 365 oauth2_token_command)")
                    raise PermanentSourceError(self.name, f"{s.host} refused the {what} for "
                                               f"{s.username}; {hint}") from None
            # Read again after login: servers add CONDSTORE, SPECIAL-USE... only then.
            # Most put them in the login answer (no round trip).
            with self._io("reading capabilities"):
                told = imap.untagged_responses.pop("CAPABILITY", None)
                if not told or not isinstance(told[-1], bytes):
                    typ, told = imap._simple_command("CAPABILITY")
                    if typ != "OK":
                        raise _Refused(f"CAPABILITY failed: {told!r:.200}")
                    told = imap.untagged_responses.pop("CAPABILITY", None) or [b""]
                last = told[-1]
                self._caps = frozenset((last if isinstance(last, bytes) else b"").upper().split())
        except SourceError:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise

    def _count(self, imap: _IMAP4) -> None:
        """Count each command from now on (``commands``): imaplib tags every one."""
        # Those sent inside the constructor: a CAPABILITY, unless the greeting said them.
        self.commands += imap.tagnum
        new_tag = imap._new_tag

        def counted() -> Any:
            self.commands += 1
            return new_tag()

        imap._new_tag = counted  # type: ignore[attr-defined]

    def _session(self) -> None:
        """A new connection, logged in; a connection lost during the login (a server
        still starting, or busy) is made once more before the cycle gives up on it."""
        for attempt in range(2):
            imap = self._connect()
            try:
                self._login(imap)
            except TransientSourceError:
                if attempt:
                    raise
                self._sleep(0.5 + random.random())
                continue
            self._imap, self._client = imap, None
            return

    def _full(self) -> Any:
        """imapclient over the session, for the commands imaplib leaves raw (SELECT,
        SEARCH, FETCH of whole messages, APPEND, IDLE): made on first need, so that a
        session that only reads STATUS never loads it."""
        self._catch_up()
        if self._client is None:
            assert self._imap is not None
            self._client = _adopt(self._imap, tls=self._s.security == "tls",
                                  starttls=self._starttls, caps=self._caps,
                                  timeout=self._timeout)
        return self._client

    def _drop(self, *, logout: bool = False) -> None:
        """Forget the connection: log out politely, or just close a broken one."""
        imap, self._imap, self._client = self._imap, None, None
        self._ahead = None
        self._selected = None
        self._fresh.clear()
        self._early.clear()
        if imap is None:
            return
        with contextlib.suppress(Exception):
            if logout:
                imap.logout()
                return
        with contextlib.suppress(Exception):
            imap.shutdown()

    def open(self, *, create_drafts: bool = True) -> None:
        """Connect, log in and find the folders; an IMAP folder is never created."""
        if self._imap is not None:
            return
        self._session()
        try:
            self._status_first()
            self._find_folders()
        except SourceError:
            self.close()
            raise
        log.debug("imap_opened", account=self.name, host=self._s.host, tls=self._tls,
                  folders=self._folders, sent=self._sent, drafts=self._drafts)

    def idle_session(self) -> Any:
        """A logged-in client with INBOX opened read-only, for IMAP IDLE; None when the
        server has no IDLE (the interval alone then finds new mail)."""
        self._session()
        if b"IDLE" not in self._caps:
            self._drop(logout=True)
            return None
        with self._io("opening INBOX"):
            self._full().select_folder("INBOX", readonly=True)
        client, self._client, self._imap = self._client, None, None
        return client

    def close(self) -> None:
        """Log out (or just drop a broken connection); never raises."""
        with contextlib.suppress(SourceError):
            self._catch_up()
        self._cache.clear()
        self._drop(logout=True)

    def _status_first(self) -> None:
        """The STATUS of a scanned INBOX as the session's first command, kept for
        :meth:`token`.

        Dovecot (Maildir) answers it from its index only while INBOX is the first
        mailbox a session touches; after a LIST or another folder's STATUS it reads
        INBOX's whole uid list again: 0.1 s at 100,000 messages, on every rescan.
        Read a little before it is used, the token is never newer than the scan: what
        arrives in between is listed by this scan and looked at again by the next.
        """
        if any(f.upper() == "INBOX" for f in self._acc.folders):
            self._early["INBOX"] = self._status("INBOX")

    # --- folders ---------------------------------------------------------------------

    def _list_folders(self) -> list[tuple[tuple[bytes, ...], bytes | None, str]]:
        """``LIST "" "*"``, read as imapclient's ``list_folders`` reads it."""
        self._catch_up()
        assert self._imap is not None
        with self._io("listing the folders"):
            typ, data = self._imap._simple_command("LIST", '""', '"*"')
            if typ != "OK":
                raise _Refused(f"LIST failed: {data!r:.200}")
            found = self._imap._untagged_response(typ, data, "LIST")[1]
            self._imap.untagged_responses.clear()
            try:
                return parse_list(found)
            except ValueError as exc:
                raise _Refused(str(exc)) from None

    def _find_folders(self, listing: list[tuple[tuple[bytes, ...], bytes | None, str]]
                      | None = None) -> None:
        if listing is None:
            listing = self._list_folders()
        flags: dict[str, set[bytes]] = {
            str(name): {f.lower() for f in fl} for fl, _sep, name in listing
            if b"\\noselect" not in {f.lower() for f in fl}}
        by_lower = {name.lower(): name for name in flags}

        def named(name: str) -> str | None:
            return "INBOX" if name.upper() == "INBOX" else by_lower.get(name.lower())

        def find(role: str, flag: bytes, configured: str, key: str) -> str:
            for name, fl in flags.items():
                if flag in fl:
                    self._how[role] = f"SPECIAL-USE \\{role}"
                    return name
            for how, candidates in (("configured", (configured,)), ("usual name", _USUAL[role])):
                for cand in candidates:
                    if (hit := named(cand)) is not None:
                        self._how[role] = how
                        return hit
            raise PermanentSourceError(self.name, (
                f"no {role} folder on the server (none is marked \\{role}, none is "
                f"named {configured!r}); set {key} to the folder your mail client uses "
                "(thankful never creates IMAP folders)"))

        self._drafts = find("Drafts", b"\\drafts", self._acc.drafts_folder, "drafts_folder")
        self._sent = find("Sent", b"\\sent", self._acc.sent_folder, "sent_folder")
        scan: list[str] = []
        skipped: list[str] = []
        for want in self._acc.folders:
            name = named(want)
            if name is None:
                raise PermanentSourceError(self.name, f"folder {want!r} not found on the "
                                           "server; fix folders in the config")
            # Gmail's All Mail holds INBOX and Sent again: never scanned twice over.
            (skipped if b"\\all" in flags.get(name, set()) else scan).append(name)
        self._folders, self._skipped = tuple(dict.fromkeys(scan)), tuple(skipped)
        if skipped:
            log.warning("folder_skipped", account=self.name, folders=skipped,
                        reason="marked \\All (every message again, e.g. Gmail's All Mail)")

    def has_folder(self, folder: str) -> bool:
        """Whether a folder exists (only the found ones are known)."""
        return folder in (*self._folders, self._sent, self._drafts, "INBOX")

    def scan_folders(self) -> tuple[str, ...]:
        """The folders whose messages are classified (never an \\All folder)."""
        return self._folders

    def sent_folder(self) -> str:
        """The Sent folder as found on the server."""
        return self._sent

    def drafts_folder(self) -> str:
        """The Drafts folder as found on the server."""
        return self._drafts

    def describe(self) -> list[str]:
        """What ``thankful check`` shows: reach, TLS, login, capabilities, folders."""
        s = self._s
        caps = ", ".join(f"{c} {'yes' if c.encode() in self._caps else 'no'}"
                         for c in ("CONDSTORE", "IDLE", "SPECIAL-USE", "UIDPLUS"))
        auth = "XOAUTH2" if uses_oauth2(self._acc) else "password"
        lines = [f"reached {s.host}:{s.port}", self._tls,
                 f"logged in as {s.username} ({auth} from {secret_source(self._acc)})",
                 f"capabilities: {caps}", "scans " + ", ".join(self._folders)]
        if self._skipped:
            lines.append("skips " + ", ".join(self._skipped) + " (\\All)")
        lines += [f"reads sent mail in {self._sent} ({self._how.get('Sent')})",
                  f"saves drafts to {self._drafts} ({self._how.get('Drafts')})",
                  "delivers reminders to INBOX"]
        return lines

    # --- reading ---------------------------------------------------------------------

    def _live(self) -> None:
        if self._imap is None:
            raise TransientSourceError(self.name, "not connected (an earlier error)")

    def _catch_up(self) -> None:
        """Before a command goes out: the answer of a body FETCH sent ahead is read (its
        bodies kept for :meth:`read`), so that answers never interleave."""
        self._live()
        if self._ahead is not None:
            folder, k, tag = self._ahead
            self._ahead = None
            self._fetched.add((folder, k))
            self._take_bodies(folder, tag)

    def _examine(self, folder: str, *, fresh: bool = False) -> int:
        """Open a folder read-only (EXAMINE) unless it already is; its UIDVALIDITY."""
        self._live()
        if fresh or self._selected != folder:
            with self._io(f"opening {folder}"):
                resp = self._full().select_folder(folder, readonly=True)
            self._selected = folder
            self._uidvalidity[folder] = int(resp.get(b"UIDVALIDITY", 0))
        return self._uidvalidity[folder]

    def token(self, folder: str) -> str:
        """``UIDVALIDITY:UIDNEXT:MESSAGES`` from one STATUS command.

        Messages never change in IMAP, so a new one moves UIDNEXT and a removed one
        MESSAGES; flag changes (the user reading mail) leave the token alone.
        """
        self._live()
        token = self._early.pop(folder, None) or self._status(folder)
        self._tokens[folder] = token
        return token

    def _status(self, folder: str) -> str:
        self._catch_up()
        imap = self._imap
        assert imap is not None
        with self._io(f"reading the status of {folder}"):
            if self._selected == folder:
                # STATUS of the open folder may give this session's old view (RFC 3501
                # 6.3.10); a NOOP brings the view up to date first.
                imap.noop()
            typ, data = imap._simple_command("STATUS", quote(encode_utf7(folder)).decode(
                "ascii"), "(UIDVALIDITY UIDNEXT MESSAGES)")
            if typ != "OK":
                raise _Refused(f"STATUS failed: {data!r:.200}")
            found = imap._untagged_response(typ, data, "STATUS")[1]
            # What else the server told meanwhile (EXISTS, FLAGS of the open folder after
            # the NOOP) is dropped, as imapclient drops it: never read as a later answer.
            imap.untagged_responses.clear()
            try:
                st = parse_status(found)
            except ValueError as exc:
                raise _Refused(str(exc)) from None
        return ":".join(str(st.get(k, "")) for k in (b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"))

    def _added_since(self, folder: str, uidvalidity: int, previous: str | None) -> list[int] | None:
        """The UIDs added since the ``previous`` token when none was removed (the count
        grew by exactly the number added); None when the folder must be listed in full."""
        try:
            old_uv, old_next, old_count = (int(x) for x in (previous or "").split(":"))
            uv, _next, count = (int(x) for x in self._tokens.get(folder, "").split(":"))
        except ValueError:
            return None
        if not old_uv == uv == uidvalidity or old_next < 1:
            return None
        # "n:*" always answers the last message, even an older one (NOTES.md): filtered.
        added = [u for u in self._search(folder, "UID", f"{old_next}:*") if u >= old_next]
        return added if old_count + len(added) == count else None

    def entries(self, folder: str) -> list[Entry]:
        """Every message: ident ``UIDVALIDITY:UID``, INTERNALDATE, RFC822.SIZE; by date.
        (The scan uses :meth:`survey`, which reads the header blocks in the same FETCH.)"""
        uidvalidity = self._examine(folder)
        with self._io(f"listing {folder}"):
            uids = self._full().search("ALL")
        known: dict[int, tuple[float, int]] = {}
        # Explicit UID lists: imapclient refuses "1:*", and "n:*" always answers the
        # last message (NOTES.md).
        for start in range(0, len(uids), SURVEY_BATCH):
            with self._io(f"listing {folder}"):
                resp = self._full().fetch(uids[start:start + SURVEY_BATCH],
                                          ("INTERNALDATE", "RFC822.SIZE"))
            for uid, data in resp.items():
                when = data.get(b"INTERNALDATE")
                known[uid] = (when.timestamp() if when else 0.0, int(data.get(b"RFC822.SIZE", 0)))
        order = sorted(known, key=lambda u: (known[u][0], u))
        self._uids[folder] = order
        self._order[folder] = {u: i for i, u in enumerate(order)}
        self._sizes.update({(folder, u): known[u][1] for u in order})
        return [Entry(ident=f"{uidvalidity}:{u}", timestamp=known[u][0], size=known[u][1])
                for u in order]

    def _raw(self, doing: str, command: str, *args: str) -> list[Any]:
        """A UID command sent through imaplib itself (see imap_raw); its untagged data."""
        self._catch_up()
        assert self._imap is not None
        with self._io(doing):
            typ, data = self._imap.uid(command, *args)
            self._imap.untagged_responses.clear()
            if typ != "OK":
                raise _Refused(f"{command} failed: {data!r:.200}")
        return list(data)

    def _search(self, folder: str, *criteria: str) -> list[int]:
        data = self._raw(f"listing {folder}", "SEARCH", *criteria)
        return [int(x) for x in b" ".join(d for d in data if isinstance(d, bytes)).split()
                if x.isdigit() and len(x) <= 20]  # (a UID has up to 10 digits)

    def survey(self, folder: str, known: Callable[[], Collection[str]], since: float | None,
               previous: str | None = None, fields: Collection[str] = ()) -> Survey:
        """The new UIDs, then one FETCH per thousand of them of UID, INTERNALDATE,
        RFC822.SIZE and the header block: only the lines of ``fields`` when given
        (``HEADER.FIELDS``; about a quarter of a real block, and the server answers
        from its cache).

        When the token shows that messages were only added since ``previous`` (UIDNEXT
        moved by as many as MESSAGES grew), one ``UID SEARCH UID n:*`` finds them;
        otherwise ``UID SEARCH ALL`` lists the folder against ``known()`` (and SEARCH
        SINCE leaves out what is older than the window).
        """
        uidvalidity = self._examine(folder)
        prefix = f"{uidvalidity}:"
        added = self._added_since(folder, uidvalidity, previous)
        present: frozenset[str] | None = None
        if added is not None:
            new = added
        else:
            uids = self._search(folder, "ALL")
            seen = known()
            new = [u for u in uids if prefix + str(u) not in seen]
            present = frozenset(prefix + str(u) for u in uids)
        old: list[int] = []
        if since is not None and new and added is None:
            # SEARCH SINCE counts whole days in the server's zone: a day early, and
            # the caller checks each INTERNALDATE.
            day = datetime.fromtimestamp(since, UTC) - timedelta(days=1)
            recent = set(self._search(folder, "SINCE", day.strftime("%d-%b-%Y")))
            old = [u for u in new if u not in recent]
            new = [u for u in new if u in recent]
        order: list[int] = []
        self._uids[folder], self._order[folder] = order, {}

        section = _header_section(fields)
        answer = f"BODY{section}".encode("ascii")
        usual = frozenset({answer.upper()})

        def batches() -> Iterator[list[Headed]]:
            chunks = [new[i:i + SURVEY_BATCH] for i in range(0, len(new), SURVEY_BATCH)]
            doing, items = f"reading headers in {folder}", \
                f"(UID INTERNALDATE RFC822.SIZE {PEEK}{section})"
            tag = self._fetch_send(doing, chunks[0], items) if chunks else None
            sent_on = self._imap
            try:
                for k, chunk in enumerate(chunks):
                    # The tag is forgotten first: a refused answer is read whole already.
                    pending, tag = tag, None
                    data = self._fetch_answer(doing, pending, usual)
                    if k + 1 < len(chunks):
                        # The next thousand is asked for before this one is judged: the
                        # server reads them meanwhile (pipelining, RFC 3501 5.5).
                        tag = self._fetch_send(doing, chunks[k + 1], items)
                    yield self._headed(folder, prefix, chunk, parse_fetch(data, (answer,)),
                                       order, answer)
            finally:
                if tag is not None and self._imap is not None and self._imap is sent_on:
                    # Left early: the answer asked for is read, so the session stays in step.
                    with contextlib.suppress(SourceError):
                        self._fetch_answer(doing, tag)

        return Survey(present=present, old=tuple(prefix + str(u) for u in old),
                      batches=batches())

    def _fetch_send(self, doing: str, uids: list[int], items: str) -> Any:
        """Send a ``UID FETCH`` through imaplib without waiting for its answer; its tag."""
        self._catch_up()
        assert self._imap is not None
        with self._io(doing):
            return self._imap._command("UID", "FETCH", uid_set(uids), items)

    def _fetch_answer(self, doing: str, tag: Any, usual: frozenset[bytes] = frozenset()
                      ) -> list[Any]:
        """The untagged data of a ``UID FETCH`` sent by :meth:`_fetch_send`, as imaplib's
        ``uid("FETCH", ...)`` gives it, read by :func:`read_fetch` (imaplib's own reading
        costs more than the server's answering; ``usual``: see there)."""
        self._live()
        imap = self._imap
        assert imap is not None
        with self._io(doing):
            file: Any = imap.file  # binary: imaplib opens it "rb"
            try:
                data = read_fetch(file.readline, file.read, tag, usual)
            except FetchRefusedError as exc:
                raise _Refused(f"FETCH failed: {exc}") from None
            except FetchAbortedError as exc:
                raise _Aborted(str(exc)) from None
            finally:
                imap.tagged_commands.pop(tag, None)  # answered here, not through imaplib
        return data

    def _headed(self, folder: str, prefix: str, chunk: list[int], answer: list[Fetched],
                order: list[int], name: bytes) -> list[Headed]:
        """A FETCH answer of a survey as Headed messages, in the order asked for (the
        header literal by its ``name``)."""
        got = {f.uid: f for f in answer}
        out = []
        positions = self._order[folder]
        for u in chunk:
            f = got.get(u)
            when = f.internaldate if f and f.internaldate is not None else 0.0
            size = f.size if f and f.size is not None else 0
            head = f.literals.get(name) if f else None
            self._sizes[(folder, u)] = size
            positions[u] = len(order)
            order.append(u)
            out.append(Headed(entry=Entry(ident=prefix + str(u), timestamp=when, size=size),
                              head=head))
        return out

    def previews(self, folder: str, idents: Sequence[str], size: int) -> dict[str, bytes]:
        """``BODY.PEEK[TEXT]<0.size>`` of each message, a thousand per FETCH."""
        uidvalidity = self._examine(folder)
        uids = [int(i.split(":", 1)[1]) for i in idents
                if i.startswith(f"{uidvalidity}:") and i.split(":", 1)[1].isdigit()]
        out: dict[str, bytes] = {}
        doing = f"reading messages in {folder}"
        for start in range(0, len(uids), SURVEY_BATCH):
            tag = self._fetch_send(doing, uids[start:start + SURVEY_BATCH],
                                   f"(UID {PEEK}[TEXT]<0.{int(size)}>)")
            for f in parse_fetch(self._fetch_answer(doing, tag)):
                text = f.literals.get(b"BODY[TEXT]<0>")
                if text is not None:
                    out[f"{uidvalidity}:{f.uid}"] = text
        return out

    def _batch(self, folder: str, uid: int, headers_only: bool) -> list[int]:
        """The asked message and the next ones by date (the order the service reads in)."""
        order, pos = self._uids.get(folder, []), self._order.get(folder, {})
        if uid not in pos or (not headers_only and folder in self._plan):
            return [uid]  # (planned bodies come in the plan's batches)
        out, total = [uid], self._sizes.get((folder, uid), 0)
        for u in order[pos[uid] + 1:]:
            if len(out) >= (HEADER_BATCH if headers_only else BODY_BATCH):
                break
            if (folder, u, headers_only) in self._cache:
                continue
            size = self._sizes.get((folder, u), 0)
            if not headers_only and (size > BODY_PREFETCH_MAX or total + size > BODY_BATCH_BYTES):
                continue
            out.append(u)
            total += size
        return out

    def hint_bodies(self, folder: str, idents: list[str]) -> None:
        """The messages whose bodies the scan will read, in the order it reads them:
        fetched in batches, the next batch asked for while the scan reads this one."""
        self._catch_up()  # an answer of an earlier plan on its way is taken first
        uids = [int(i.split(":", 1)[1]) for i in idents
                if ":" in i and i.split(":", 1)[1].isdigit()]
        batches: list[list[int]] = []
        total = 0
        for u in uids:
            size = self._sizes.get((folder, u), 0)
            if size > BODY_PREFETCH_MAX:
                continue  # read alone when asked for
            if not batches or len(batches[-1]) >= BODY_BATCH or total + size > BODY_BATCH_BYTES:
                batches.append([])
                total = 0
            batches[-1].append(u)
            total += size
        self._plan[folder] = batches
        self._fetched = {f for f in self._fetched if f[0] != folder}

    def _take_bodies(self, folder: str, tag: Any) -> None:
        """Read the answer of a body FETCH sent ahead into the cache."""
        for f in parse_fetch(self._fetch_answer(f"reading messages in {folder}", tag)):
            body = f.literals.get(b"BODY[]")
            if body is not None:
                self._cache[(folder, f.uid, False)] = body

    def _planned(self, folder: str, uid: int) -> bool:
        """Fetch the planned batch holding ``uid`` into the cache (its answer may already
        be on the way), and send the next batch's FETCH before returning: the server
        reads those messages while the scan parses these. False if ``uid`` is not
        planned."""
        plan = self._plan.get(folder)
        k = next((i for i, b in enumerate(plan or ()) if uid in b), None)
        if plan is None or k is None:
            return False
        doing, items = f"reading messages in {folder}", f"(UID {PEEK}[])"
        if self._ahead is not None and self._ahead[:2] == (folder, k):
            tag = self._ahead[2]  # asked for while the last batch was read: take it
            self._ahead = None
        elif (folder, k) in self._fetched:
            return False  # read already, and this one was not in it
        else:
            tag = self._fetch_send(doing, plan[k], items)
        self._fetched.add((folder, k))
        self._take_bodies(folder, tag)
        if k + 1 < len(plan) and (folder, k + 1) not in self._fetched:
            self._ahead = (folder, k + 1, self._fetch_send(doing, plan[k + 1], items))
        return True

    def read(self, folder: str, ident: str, *, headers_only: bool = False) -> bytes | None:
        """A message (or its header block) by ``BODY.PEEK``; None when it is gone."""
        try:
            uv_text, uid_text = ident.split(":", 1)
            uidvalidity, uid = int(uv_text), int(uid_text)
        except ValueError:
            return None
        if self._examine(folder) != uidvalidity:
            return None  # the folder was recreated: this message is gone
        hit = self._cache.pop((folder, uid, headers_only), None)
        if hit is not None:
            return hit
        if not headers_only and self._planned(folder, uid):
            hit = self._cache.pop((folder, uid, headers_only), None)
            if hit is not None:
                return hit
            # Not in the answer as a literal (gone, or sent in another form): asked alone.
        self._catch_up()  # a batch on its way may hold it
        hit = self._cache.pop((folder, uid, headers_only), None)
        if hit is not None:
            return hit
        item = f"{PEEK}[HEADER]" if headers_only else f"{PEEK}[]"
        answer = b"BODY[HEADER]" if headers_only else b"BODY[]"
        with self._io(f"reading messages in {folder}"):
            resp = self._full().fetch(self._batch(folder, uid, headers_only), (item,))
        for u, data in resp.items():
            if u != uid and isinstance(data.get(answer), bytes):
                self._cache[(folder, u, headers_only)] = data[answer]
        value = resp.get(uid, {}).get(answer)
        return value if isinstance(value, bytes) else None

    # --- writing ---------------------------------------------------------------------

    def _find(self, folder: str, header: str, value: str, *, fresh: bool = True) -> int | None:
        """The UID of a message with this header value (``fresh``: seen from a new EXAMINE,
        so that what another session saved before it crashed is seen too)."""
        self._examine(folder, fresh=fresh)
        with self._io(f"searching {folder}"):
            # The value is a fixed-length hash, so SEARCH's substring match is exact.
            found = self._full().search(["NOT", "DELETED", "HEADER", header, value])
        return max(found) if found else None

    def _append(self, folder: str, data: bytes, flags: tuple[bytes, ...],
                header: str) -> str:
        value = _header(data, header)
        step = "append_draft" if header == "X-Thankful-Note" else "append_reminder"
        try:
            crashpoints.step(step)
            with self._io(f"saving a message to {folder}"):
                resp = self._full().append(folder, data, flags=flags)
        except TransientSourceError:
            if not value:
                raise
            # The answer was lost: it may or may not be there. Look before a retry.
            self._drop()
            self._session()
            if (uid := self._find(folder, header, value)) is not None:
                return f"{self._uidvalidity[folder]}:{uid}"
            log.warning("append_retried", account=self.name, folder=folder)
            crashpoints.step(step)
            with self._io(f"saving a message to {folder}"):
                resp = self._full().append(folder, data, flags=flags)
        got = re.search(rb"\[APPENDUID (\d+) (\d+)\]", resp if isinstance(resp, bytes) else b"")
        if got or not value:
            return f"{int(got.group(1))}:{int(got.group(2))}" if got else ""
        # No UIDPLUS: confirm by searching, as a server may say OK and store nothing.
        if (uid := self._find(folder, header, value)) is not None:
            return f"{self._uidvalidity[folder]}:{uid}"
        raise TransientSourceError(self.name, f"the server said the message was saved to "
                                   f"{folder}, but it is not there; will retry")

    def append_draft(self, data: bytes) -> str:
        """Save a draft with ``\\Draft \\Seen``, unless one with its note hash is there."""
        self._live()
        note = _header(data, "X-Thankful-Note")
        # A fresh view once per connection: what an earlier session saved is then seen;
        # later drafts of this session have other note hashes.
        fresh = self._drafts not in self._fresh
        self._fresh.add(self._drafts)
        if note and (uid := self._find(self._drafts, "X-Thankful-Note", note,
                                       fresh=fresh)) is not None:
            log.info("draft_already_saved", account=self.name, draft=note)
            return f"{self._uidvalidity[self._drafts]}:{uid}"
        return self._append(self._drafts, data, (b"\\Draft", b"\\Seen"), "X-Thankful-Note")

    def deliver(self, data: bytes) -> str:
        """Put a reminder into INBOX, unseen."""
        self._live()
        return self._append("INBOX", data, (), "X-Thankful-Reminder")


def _header(data: bytes, name: str) -> str:
    """A header's value, parsed from the message's bytes (never guessed from text)."""
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    msg = BytesHeaderParser(policy=compat32).parsebytes(data)
    return " ".join(str(msg.get(name, "")).split())
