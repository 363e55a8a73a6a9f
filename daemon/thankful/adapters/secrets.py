"""Where an account's password or OAuth2 token comes from. Adapter.

Exactly the source the account names: ``password_command`` (the first line of a
command's output, as mbsync's PassCmd), ``password_env`` (an environment variable),
``oauth2_token_command`` (prints a fresh access token); when none is named, the system
keyring, where ``thankful set-password ACCOUNT`` stored it. A daemon never prompts: the
commands run with no terminal on stdin, and every failure is a
:class:`~thankful.errors.CredentialsError` that names the account, the key and the fix.
No secret is ever logged or put into an error message.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from thankful.errors import EXIT_OK
from thankful.errors import CredentialsError
from thankful.errors import UsageError

if TYPE_CHECKING:
    from thankful.config import AccountConfig
    from thankful.config import CalendarConfig
    from thankful.config import Config

#: The keyring "service" under which every account's secret is stored.
KEYRING_SERVICE = "thankful"
#: A password manager may need to unlock its store (a GPG agent asks for a passphrase).
COMMAND_TIMEOUT = 60.0


def get_secret(acc: AccountConfig) -> str:
    """The account's password, or its OAuth2 access token when it names a token command."""
    imap = acc.imap
    if imap is not None and imap.password_command:
        return _run(acc.name, "password_command", imap.password_command)
    if imap is not None and imap.password_env:
        value = os.environ.get(imap.password_env, "")
        if not value:
            raise CredentialsError(
                f"account {acc.name}: the environment variable {imap.password_env} "
                "(password_env) is not set or empty")
        return value
    if imap is not None and imap.oauth2_token_command:
        return _run(acc.name, "oauth2_token_command", imap.oauth2_token_command)
    return _from_keyring(acc.name)


def get_calendar_secret(cal: CalendarConfig) -> str:
    """A CalDAV calendar's password, from the same sources as an account's.

    The keyring entry is the calendar's name. The messages of the shared helpers speak
    of an "account"; here they name the calendar instead.
    """
    try:
        if cal.password_command:
            return _run(cal.name, "password_command", cal.password_command)
        if cal.password_env:
            value = os.environ.get(cal.password_env, "")
            if not value:
                raise CredentialsError(
                    f"account {cal.name}: the environment variable {cal.password_env} "
                    "(password_env) is not set or empty")
            return value
        return _from_keyring(cal.name)
    except CredentialsError as exc:
        raise CredentialsError(str(exc).replace(f"account {cal.name}", f"calendar {cal.name}")
                               ) from None


def uses_oauth2(acc: AccountConfig) -> bool:
    """Whether the secret is an OAuth2 access token (XOAUTH2) rather than a password."""
    return bool(acc.imap and acc.imap.oauth2_token_command)


def secret_source(acc: AccountConfig) -> str:
    """Where the secret comes from, for ``thankful check`` (never the secret)."""
    imap = acc.imap
    for key in ("password_command", "password_env", "oauth2_token_command"):
        if imap is not None and getattr(imap, key):
            return key
    return "keyring"


def _run(account: str, key: str, command: str) -> str:
    """The first line a command prints; it runs through sh, with no terminal to ask on."""
    where = f"account {account}: {key}"
    try:
        # stdin is /dev/null so a command that would prompt fails at once instead of
        # hanging a daemon; its own agent (gpg-agent, a keychain) may still ask.
        res = subprocess.run(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=COMMAND_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise CredentialsError(f"{where} did not finish within {COMMAND_TIMEOUT:.0f} s "
                               "(is it waiting for a passphrase?)") from None
    except OSError as exc:
        raise CredentialsError(f"{where} could not be run: {exc.strerror}") from None
    if res.returncode != 0:
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f": {err[-1][:200]}" if err else ""
        raise CredentialsError(f"{where} failed with exit status {res.returncode}{why}")
    lines = res.stdout.decode("utf-8", "replace").splitlines()
    value = lines[0].strip("\r\n") if lines else ""
    if not value:
        raise CredentialsError(f"{where} printed nothing on its first line")
    return value


def _keyring_fix(account: str) -> str:
    return (f"set password_command for account {account} in the config (for example "
            '"pass show mail/work" or "secret-tool lookup ..."), or password_env')


def _from_keyring(account: str) -> str:
    import keyring
    import keyring.errors

    try:
        value = keyring.get_password(KEYRING_SERVICE, account)
    except keyring.errors.NoKeyringError:
        raise CredentialsError(
            f"account {account}: no system keyring is available here (no Secret Service "
            f"on the session bus?); {_keyring_fix(account)}") from None
    except keyring.errors.KeyringLocked:
        raise CredentialsError(f"account {account}: the system keyring is locked; unlock it, "
                               f"or {_keyring_fix(account)}") from None
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"account {account}: the system keyring failed "
                               f"({type(exc).__name__}); {_keyring_fix(account)}") from None
    if not value:
        raise CredentialsError(
            f"account {account}: no password in the system keyring; run `thankful "
            f"set-password {account}`, or {_keyring_fix(account)}")
    return value


def set_password(cfg: Config, account_name: str) -> int:
    """``thankful set-password ACCOUNT``: store a secret in the system keyring.

    Reads one line from stdin when it is not a terminal (so a script can pipe it in),
    else asks with :func:`getpass.getpass`, which does not echo.
    """
    import keyring
    import keyring.errors

    acc = next((a for a in cfg.accounts if a.name == account_name), None)
    # "smtp" names the [smtp] table's login, kept in the keyring under that name.
    is_smtp = acc is None and account_name == "smtp" and cfg.smtp is not None
    if acc is None and not is_smtp:
        names = ", ".join(a.name for a in cfg.accounts) or "none"
        extra = " (or smtp, with an [smtp] table)" if cfg.smtp is None else ", smtp"
        raise UsageError(f"no account is named {account_name!r} in {cfg.path} "
                         f"(accounts: {names}{extra})")
    if sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(f"Password for account {account_name}: ")
    else:
        value = (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")
    if not value:
        raise UsageError("no password given; nothing was stored")
    try:
        keyring.set_password(KEYRING_SERVICE, account_name, value)
    except keyring.errors.NoKeyringError:
        raise CredentialsError(
            f"no system keyring is available here to store the password; "
            f"{_keyring_fix(account_name)}") from None
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"the system keyring refused the password "
                               f"({type(exc).__name__}); {_keyring_fix(account_name)}") from None
    used = secret_source(acc) if acc is not None else next(
        (k for k in ("password_command", "password_env") if cfg.smtp and getattr(cfg.smtp, k)),
        "keyring")
    note = "" if used == "keyring" else f" (but the config names {used}, which is used instead)"
    print(f"Stored the password for account {account_name} in the system keyring{note}.")
    return EXIT_OK
