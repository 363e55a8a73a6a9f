"""Reminders submitted over SMTP to addresses the user chose. Adapter.

Only for users with an ``[smtp]`` table: otherwise the reminder goes into the inbox of
their own account. Message submission (RFC 6409) on 587 with STARTTLS or 465 with
implicit TLS (RFC 8314), certificates verified against the system CAs or the
``cafile``; plain text only to a loopback relay. The envelope recipients come from
the config alone (never from the message's headers) and the message is sent as the
exact bytes it was built as. Every socket operation has a timeout, and every failure
becomes a :class:`~thankful.errors.SourceError` named ``smtp`` with one sentence
saying what to do; no secret is ever logged or put into an error message.
"""

from __future__ import annotations

import base64
import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable
from collections.abc import Iterator

from thankful import crashpoints
from thankful import log as tlog
from thankful.adapters.secrets import KEYRING_SERVICE
from thankful.adapters.secrets import get_secret
from thankful.config import AccountConfig
from thankful.config import ImapSettings
from thankful.config import SmtpConfig
from thankful.config import is_loopback
from thankful.errors import CredentialsError
from thankful.errors import PermanentSourceError
from thankful.errors import SourceError
from thankful.errors import TransientSourceError

log = tlog.get_logger("thankful.smtp")

#: The source name in errors and logs, and the keyring entry of the password.
SOURCE = "smtp"
#: Seconds for the connection and for each answer (a big DATA answer can be slow).
TIMEOUT = 30.0


def smtp_secret(s: SmtpConfig) -> str:
    """The submission password: ``password_command``, ``password_env``, else the keyring.

    The keyring entry is service "thankful", user "smtp" (``thankful set-password smtp``).
    """
    if s.password_command or s.password_env:
        # The same sources, with the same no-prompt and no-leak rules, as an account's.
        shim = AccountConfig(name=SOURCE, kind="imap", address=s.username, imap=ImapSettings(
            host=s.host, port=s.port, username=s.username,
            password_command=s.password_command, password_env=s.password_env))
        try:
            return get_secret(shim)
        except CredentialsError as exc:
            raise CredentialsError("[smtp] " + str(exc).removeprefix(
                f"account {SOURCE}: ")) from None
    return _from_keyring()


def _from_keyring() -> str:
    import keyring
    import keyring.errors

    fix = ("store it with `thankful set-password smtp`, or name password_command or "
           "password_env in [smtp]")
    try:
        value = keyring.get_password(KEYRING_SERVICE, SOURCE)
    except keyring.errors.NoKeyringError:
        raise CredentialsError("[smtp]: no system keyring is available here for the SMTP "
                               'password; name password_command (for example "pass show '
                               'mail/smtp") or password_env in [smtp]') from None
    except keyring.errors.KeyringLocked:
        raise CredentialsError(f"[smtp]: the system keyring is locked; unlock it, or {fix}"
                               ) from None
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"[smtp]: the system keyring failed ({type(exc).__name__}); "
                               f"{fix}") from None
    if not value:
        raise CredentialsError(f"[smtp]: no SMTP password in the system keyring; {fix}")
    return value


def submit(s: SmtpConfig, data: bytes, *, sender: str,
           secret: Callable[[SmtpConfig], str] = smtp_secret,
           timeout: float = TIMEOUT) -> tuple[str, ...]:
    """Send ``data`` as it is from ``sender`` to ``s.to``; the recipients refused.

    Returns only when the server accepted the message for at least one recipient
    (an empty tuple: for all of them); raises a :class:`SourceError` otherwise.
    """
    if s.security == "none" and not is_loopback(s.host):
        # The config refuses this too; a hand-built SmtpConfig must not slip past.
        raise PermanentSourceError(SOURCE, 'security = "none" is allowed only to localhost; '
                                   "use starttls or tls")
    client = _connect(s, timeout)
    try:
        _login(client, s, secret)
        refused = _send(client, s, data, sender)
    finally:
        # QUIT is a courtesy: the message is already accepted (or not) by now.
        with contextlib.suppress(Exception):
            client.quit()
        with contextlib.suppress(Exception):
            client.close()
    return refused


@contextlib.contextmanager
def _io(s: SmtpConfig, doing: str) -> Iterator[None]:
    """Turn every library, socket and TLS failure into a one-sentence SourceError."""
    try:
        yield
    except SourceError:
        raise
    except Exception as exc:
        raise _translate(s, exc, doing) from None


def _translate(s: SmtpConfig, exc: BaseException, doing: str) -> SourceError:
    where = f"{s.host}:{s.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentSourceError(SOURCE, (
            f"the TLS certificate of {s.host} failed verification ({exc.verify_message}); "
            "if the server uses a private CA, set cafile in [smtp] to its PEM file"))
    if isinstance(exc, smtplib.SMTPResponseException):
        text = _reply(exc.smtp_error)
        # 4xx is "try again later" in SMTP; the next cycle does exactly that.
        cls = TransientSourceError if 400 <= exc.smtp_code < 500 else PermanentSourceError
        return cls(SOURCE, f"{where} refused {doing}: {exc.smtp_code} {text}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{a} ({c} {_reply(m)})" for a, (c, m) in exc.recipients.items())
        return PermanentSourceError(SOURCE, f"{where} refused every recipient: {refused}; "
                                    "check to in [smtp]")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib reports its socket's timeout as a disconnection; say which it was.
        if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc):
            return TransientSourceError(SOURCE, f"no answer from {where} while {doing} "
                                        "(timed out); will retry next cycle")
        return TransientSourceError(SOURCE, f"{where} closed the connection while {doing}; "
                                    "will retry next cycle")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentSourceError(SOURCE, f"{where} does not support {doing} ({exc}); "
                                    "check port and security in [smtp]")
    if isinstance(exc, smtplib.SMTPException):  # e.g. no AUTH mechanism in common
        return PermanentSourceError(SOURCE, f"{where} failed {doing}: {exc}; check port "
                                    "and security in [smtp]")
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return TransientSourceError(SOURCE, f"no answer from {where} while {doing} "
                                    "(timed out); will retry next cycle")
    if isinstance(exc, socket.gaierror):
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return PermanentSourceError(SOURCE, f"unknown host {s.host!r}: the name does not "
                                        "resolve; check host in [smtp]")
        return TransientSourceError(SOURCE, f"cannot resolve {s.host!r} ({exc.strerror}); "
                                    "will retry next cycle")
    if isinstance(exc, ConnectionRefusedError):
        return TransientSourceError(SOURCE, f"{where} refused the connection (is the server "
                                    "up, and is the port right?); will retry next cycle")
    if isinstance(exc, ssl.SSLError):
        return PermanentSourceError(SOURCE, f"TLS with {where} failed ({exc.reason}); check "
                                    'port and security in [smtp] ("tls" is port 465, '
                                    '"starttls" port 587)')
    if isinstance(exc, OSError | EOFError):
        return TransientSourceError(SOURCE, f"the connection to {where} was lost while "
                                    f"{doing}; will retry next cycle")
    return TransientSourceError(SOURCE, f"{type(exc).__name__} while {doing}")


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:200]


def _connect(s: SmtpConfig, timeout: float) -> smtplib.SMTP:
    """Connected, greeted and, unless to a loopback relay, encrypted and verified."""
    # Verified against the system CAs, or only the given CA file; smtplib checks the
    # host name against the certificate (it passes server_hostname).
    ctx = ssl.create_default_context(cafile=str(s.cafile) if s.cafile else None)
    # An explicit EHLO name: smtplib would otherwise look up this machine's FQDN in
    # DNS, a lookup with no timeout of ours. The host name alone is what mutt sends.
    helo = socket.gethostname() or "localhost"
    client: smtplib.SMTP
    with _io(s, f"connecting to {s.host}:{s.port}"):
        if s.security == "tls":
            client = smtplib.SMTP_SSL(s.host, s.port, local_hostname=helo, timeout=timeout,
                                      context=ctx)
        else:
            client = smtplib.SMTP(s.host, s.port, local_hostname=helo, timeout=timeout)
    try:
        with _io(s, "the greeting (EHLO)"):
            client.ehlo()
        if s.security == "starttls":
            if not client.has_extn("starttls"):
                # Never fall back to plain text: the password would cross the network.
                raise PermanentSourceError(SOURCE, f"{s.host}:{s.port} does not offer "
                                           "STARTTLS; check port and security in [smtp] "
                                           '("starttls" is port 587, "tls" port 465)')
            with _io(s, "starting TLS (STARTTLS)"):
                client.starttls(context=ctx)
                client.ehlo()  # the extensions may differ once encrypted (AUTH often)
    except SourceError:
        with contextlib.suppress(Exception):
            client.close()
        raise
    return client


def _login(client: smtplib.SMTP, s: SmtpConfig, secret: Callable[[SmtpConfig], str]) -> None:
    """Authenticate, unless a loopback relay offers no AUTH at all."""
    if not client.has_extn("auth"):
        if s.security == "none":
            # A local MTA (postfix, msmtpd) relaying for this machine needs no login.
            return
        raise PermanentSourceError(SOURCE, f"{s.host}:{s.port} offers no login (AUTH); "
                                   "check port and security in [smtp]")
    try:
        password = secret(s)
    except CredentialsError as exc:
        raise PermanentSourceError(SOURCE, str(exc).removeprefix("[smtp]: ")
                                   .removeprefix("[smtp] ")) from None
    with _io(s, "logging in"):
        try:
            if (s.username + password).isascii():
                client.login(s.username, password)  # CRAM-MD5, PLAIN or LOGIN
            else:
                _plain_utf8(client, s.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.smtp_code < 500:
                raise  # "temporary authentication failure": retried next cycle
            raise PermanentSourceError(SOURCE, (
                f"{s.host} refused the password for {s.username} ({exc.smtp_code}); "
                "check the password and username in [smtp] (Gmail, iCloud and "
                "Fastmail want an app password)")) from None


def _plain_utf8(client: smtplib.SMTP, username: str, password: str) -> None:
    """AUTH PLAIN with UTF-8 (RFC 4616): smtplib encodes credentials as ASCII only."""
    if "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
        raise PermanentSourceError(SOURCE, "the password has non-ASCII characters, which "
                                   "only AUTH PLAIN carries, and the server does not offer it")
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, resp = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, resp)


def _send(client: smtplib.SMTP, s: SmtpConfig, data: bytes, sender: str) -> tuple[str, ...]:
    """MAIL FROM, RCPT TO each configured address, DATA: the bytes as they are."""
    options: list[str] = []
    # The reminder's body may be 8-bit UTF-8; say so where the server understands it.
    if not data.isascii() and client.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if not all(a.isascii() for a in (sender, *s.to)):
        if not client.has_extn("smtputf8"):
            raise PermanentSourceError(SOURCE, f"{s.host} does not accept non-ASCII addresses "
                                       "(no SMTPUTF8); use an ASCII address in to")
        options.append("SMTPUTF8")
    crashpoints.step("submit_reminder")
    with _io(s, "sending the reminder"):
        # sendmail, not send_message: the envelope is the config's, never the headers'.
        refused = client.sendmail(sender, list(s.to), data, mail_options=options)
    return tuple(sorted(refused))
