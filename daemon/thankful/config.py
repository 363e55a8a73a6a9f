"""Loads and validates ``config.toml`` into frozen dataclasses.

Every problem in the file is gathered (with its table and key, and a "did you mean"
for unknown keys) and reported in one :class:`~thankful.errors.ConfigError`. The
validators are pure; only :func:`load` reads a file.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from thankful.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityConfig:
    """``[identity]``: who the user is."""

    name: str
    addresses: tuple[str, ...]
    employer_domains: tuple[str, ...] = ()
    timezone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        """The user's zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountConfig:
    """``[[accounts]]``: one mail store."""

    name: str
    kind: str
    address: str
    path: Path | None = None
    layout: str = "maildir++"
    lookback_days: int | None = 120
    folders: tuple[str, ...] = ("INBOX",)
    sent_folder: str = "Sent"
    drafts_folder: str = "Drafts"
    #: The server settings of an IMAP account (None for Maildir).
    imap: ImapSettings | None = None
    #: The IMAP keys as written in the file, for code that wants them raw.
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapSettings:
    """The server part of an ``[[accounts]]`` table with ``kind = "imap"``.

    At most one secret source is named; with none, the system keyring is asked.
    """

    host: str
    port: int
    security: str = "tls"
    username: str
    cafile: Path | None = None
    password_command: str | None = None
    password_env: str | None = None
    oauth2_token_command: str | None = None
    idle: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    """``[smtp]``: reminders submitted to a mail server instead of put into the inbox.

    For users who want the digest at another address. At most one secret source is
    named; with none, the system keyring entry ``smtp`` is asked.
    """

    host: str
    port: int
    security: str = "starttls"
    username: str
    cafile: Path | None = None
    password_command: str | None = None
    password_env: str | None = None
    #: The envelope recipients: the reminder goes to these and to no other address.
    to: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarConfig:
    """``[[calendars]]``: one calendar source.

    ``kind = "ics"``: ``location`` is a file, a vdir folder, or an http(s):// or
    webcal:// address. ``kind = "caldav"``: ``url`` is a calendar collection, or a
    server or principal address meaning all its calendars; the secret comes from at
    most one of ``password_command`` and ``password_env``, else the system keyring.
    """

    name: str
    kind: str
    #: Not in the repr: an ICS address may hold a login, or be the secret itself.
    location: str = field(default="", repr=False)
    url: str = ""
    username: str = ""
    password_command: str | None = None
    password_env: str | None = None
    #: The PEM file of the CA that signed the server's certificate (a private server).
    cafile: Path | None = None

    @property
    def is_url(self) -> bool:
        """Whether an ``ics`` calendar is fetched over the network."""
        return self.kind == "ics" and "://" in self.location


@dataclass(frozen=True, slots=True, kw_only=True)
class Etiquette:
    """``[etiquette]``: when notes are ready, due and gone."""

    ready_after_hours: float = 2.0
    due_working_days: int = 1
    offer_due_days: int = 3
    backfill_days: int = 7
    expire_days: int = 30
    phone_screen_note: bool = True
    draft_gone_days: int = 2
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reminders:
    """``[reminders]``: the digest delivered to the user's inbox."""

    enabled: bool = True
    every_days: int = 1
    account: str | None = None
    suggest_card: bool = True
    suggest_gift: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole validated configuration."""

    path: Path
    state_dir: Path
    identity: IdentityConfig
    accounts: tuple[AccountConfig, ...] = ()
    calendars: tuple[CalendarConfig, ...] = ()
    etiquette: Etiquette = Etiquette()
    reminders: Reminders = Reminders()
    #: Set when reminders are submitted over SMTP rather than delivered to the inbox.
    smtp: SmtpConfig | None = None
    #: ``[tasks]``: where each owed note is written as a VTODO (off when absent).
    tasks: CalendarConfig | None = None
    scan_interval_minutes: float = 10
    #: A failing source is retried after one scan interval, then 2, 4, 8... at most this.
    retry_max_minutes: float = 60

    @property
    def retry_base(self) -> timedelta:
        """The first wait after a source failed: one scan interval."""
        return timedelta(minutes=self.scan_interval_minutes)

    @property
    def retry_cap(self) -> timedelta:
        """The longest wait between two tries of a failing source (never below the base)."""
        return max(self.retry_base, timedelta(minutes=self.retry_max_minutes))

    @property
    def templates_dir(self) -> Path:
        """Where the user's own templates override the bundled ones."""
        return self.path.parent / "templates"


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/thankful/config.toml``, else ``~/.config/thankful/config.toml``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "thankful" / "config.toml"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/thankful``, else ``~/.local/state/thankful``."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(base) / "thankful"


# --- the spec ------------------------------------------------------------------------

Check = Callable[[Any], str | None]  # returns a problem ("expected ...") or None


def _str(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "expected a non-empty string"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "expected true or false"


def _int(lo: int, hi: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"expected an integer {lo}-{hi}"

    return check


def _num(lo: float, hi: float) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int | float) and not isinstance(v, bool) and lo <= v <= hi
        return None if ok else f"expected a number {lo:g}-{hi:g}"

    return check


def _one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        if v in choices:
            return None
        return "expected one of " + ", ".join(f'"{c}"' for c in choices)

    return check


def _str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)
    return None if ok else "expected a list of strings"


def _email(v: Any) -> str | None:
    if not isinstance(v, str) or "@" not in v or any(c.isspace() for c in v):
        return "expected an email address like name@example.org"
    return None


def _emails(v: Any) -> str | None:
    if _str_list(v) or not v:
        return "expected a non-empty list of email addresses"
    bad = [x for x in v if _email(x)]
    return f"not an email address: {bad[0]!r}" if bad else None


def _tz(v: Any) -> str | None:
    if not isinstance(v, str):
        return "expected an IANA time zone name like \"Europe/Berlin\""
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {v!r}; use an IANA name like \"Europe/Berlin\""
    return None


def _lookback(v: Any) -> str | None:
    if v == "all" or (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 36500):
        return None
    return 'expected a number of days (1-36500) or "all"'


def _weekdays(v: Any) -> str | None:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    if isinstance(v, list) and v and all(isinstance(x, str) and x[:3].lower() in names for x in v):
        return None
    return 'expected a list of weekday names like ["mon", "tue", "wed", "thu", "fri"]'


# table name -> key -> (check, required)
_TOP: dict[str, tuple[Check, bool]] = {
    "state_dir": (_str, False),
    "scan_interval_minutes": (_num(0.05, 1440), False),
    "retry_max_minutes": (_num(0.05, 1440), False),
}
_IDENTITY: dict[str, tuple[Check, bool]] = {
    "name": (_str, True),
    "addresses": (_emails, True),
    "employer_domains": (_str_list, False),
    "timezone": (_tz, False),
}
def _host(v: Any) -> str | None:
    if not isinstance(v, str) or not v.strip() or any(c.isspace() or c in "/@" for c in v):
        return 'expected a host name or address like "imap.example.org" (no scheme, no path)'
    return None


def is_loopback(host: str) -> bool:
    """Whether a host name or address stays on this machine."""
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: The keys of an IMAP account's server table; refused on a maildir account.
_IMAP: dict[str, tuple[Check, bool]] = {
    "host": (_host, False),
    "port": (_int(1, 65535), False),
    "security": (_one_of("tls", "starttls", "none"), False),
    "cafile": (_str, False),
    "username": (_str, False),
    "password_command": (_str, False),
    "password_env": (_str, False),
    "oauth2_token_command": (_str, False),
    "idle": (_bool, False),
}
_IMAP_KEYS = tuple(_IMAP)
_SECRET_KEYS = ("password_command", "password_env", "oauth2_token_command")
_MAILDIR_KEYS = ("path", "layout")
_DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
_ACCOUNT: dict[str, tuple[Check, bool]] = {
    "name": (_str, True),
    "kind": (_one_of("maildir", "imap"), True),
    "path": (_str, False),
    "layout": (_one_of("maildir++", "verbatim"), False),
    "address": (_email, False),
    "lookback_days": (_lookback, False),
    "folders": (_str_list, False),
    "sent_folder": (_str, False),
    "drafts_folder": (_str, False),
    **_IMAP,
}
_CALENDAR: dict[str, tuple[Check, bool]] = {
    "name": (_str, False),
    "kind": (_one_of("ics", "caldav"), True),
    "location": (_str, False),
    "url": (_str, False),
    "username": (_str, False),
    "password_command": (_str, False),
    "password_env": (_str, False),
    "cafile": (_str, False),
}
_CALDAV_ONLY = ("url", "username", "password_command", "password_env")
_URL_SCHEMES = ("http", "https", "webcal", "webcals")
_ETIQUETTE: dict[str, tuple[Check, bool]] = {
    "ready_after_hours": (_num(0, 24 * 14), False),
    "due_working_days": (_int(0, 30), False),
    "offer_due_days": (_int(0, 60), False),
    "backfill_days": (_int(0, 3650), False),
    "expire_days": (_int(1, 3650), False),
    "phone_screen_note": (_bool, False),
    "draft_gone_days": (_int(0, 60), False),
    "working_days": (_weekdays, False),
}
_REMINDERS: dict[str, tuple[Check, bool]] = {
    "enabled": (_bool, False),
    "every_days": (_int(1, 60), False),
    "account": (_str, False),
    "suggest_card": (_bool, False),
    "suggest_gift": (_bool, False),
}
#: ``[smtp]``: optional as a whole; ``host`` is required once the table is there.
_SMTP: dict[str, tuple[Check, bool]] = {
    "host": (_host, True),
    "port": (_int(1, 65535), False),
    "security": (_one_of("starttls", "tls", "none"), False),
    "username": (_str, False),
    "password_command": (_str, False),
    "password_env": (_str, False),
    "cafile": (_str, False),
    "to": (_emails, False),
}
_SMTP_SECRET_KEYS = ("password_command", "password_env")
# Submission (RFC 6409) is 587 with STARTTLS, 465 with implicit TLS (RFC 8314); a
# plain-text server can only be a local relay, which listens on 25.
_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_TABLES = {"identity": _IDENTITY, "accounts": _ACCOUNT, "calendars": _CALENDAR,
           "etiquette": _ETIQUETTE, "reminders": _REMINDERS, "smtp": _SMTP,
           "tasks": _CALENDAR}


def _check_table(where: str, data: Mapping[str, Any], spec: Mapping[str, tuple[Check, bool]],
                 problems: list[str], also_known: tuple[str, ...] = (),
                 hints: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        if key in spec:
            problem = spec[key][0](value)
            if problem:
                problems.append(f"{where}{key}: {problem}, got {value!r}")
        elif key not in also_known:
            import difflib  # only for a mistyped key

            near = difflib.get_close_matches(key, [*spec, *also_known, *hints], n=1)
            hint = f' (did you mean "{near[0]}"?)' if near else ""
            problems.append(f"{where}{key}: unknown key{hint}")
    for key, (_, required) in spec.items():
        if required and key not in data:
            problems.append(f"{where}{key}: missing; this key is required")


def _resolve(base: Path, raw: str) -> Path:
    p = Path(os.path.expandvars(raw)).expanduser()
    return p if p.is_absolute() else (base / p)


def _check_kind(where: str, acc: Mapping[str, Any], base: Path, problems: list[str]) -> None:
    """The rules that depend on an account's kind (its keys' own types are checked already)."""
    kind = acc.get("kind")
    if kind == "maildir":
        if "path" not in acc:
            problems.append(f"{where}path: missing; a maildir account needs its folder")
        problems += [f"{where}{k}: only for imap accounts" for k in _IMAP_KEYS if k in acc]
        return
    if kind != "imap":
        return
    problems += [f"{where}{k}: only for maildir accounts" for k in _MAILDIR_KEYS if k in acc]
    host = acc.get("host")
    if "host" not in acc:
        problems.append(f"{where}host: missing; an imap account needs its server's name")
    security = acc.get("security", "tls")
    if security == "none" and isinstance(host, str) and not is_loopback(host):
        # A password in clear text over a network is never what anyone wants.
        problems.append(f'{where}security: "none" sends the password unencrypted and is '
                        f'allowed only to this machine (localhost), not to {host!r}; use '
                        '"tls" or "starttls"')
    named = [k for k in _SECRET_KEYS if k in acc]
    if len(named) > 1:
        problems.append(f"{where}{named[1]}: name at most one of " + ", ".join(_SECRET_KEYS)
                        + f" (this account also has {named[0]})")
    cafile = acc.get("cafile")
    if isinstance(cafile, str) and cafile.strip() and not _resolve(base, cafile).is_file():
        problems.append(f"{where}cafile: {_resolve(base, cafile)} does not exist; give the "
                        "PEM file of the CA that signed the server's certificate")


def _check_smtp(smtp: Mapping[str, Any], base: Path, problems: list[str]) -> None:
    """The ``[smtp]`` rules between keys (each key's own type is checked already)."""
    host = smtp.get("host")
    if smtp.get("security", "starttls") == "none" and isinstance(host, str) \
            and not is_loopback(host):
        # The password and the digest in clear text over a network: never wanted.
        problems.append('smtp.security: "none" sends the password and the reminder '
                        'unencrypted and is allowed only to this machine (localhost), not '
                        f'to {host!r}; use "starttls" (port 587) or "tls" (port 465)')
    named = [k for k in _SMTP_SECRET_KEYS if k in smtp]
    if len(named) > 1:
        problems.append(f"smtp.{named[1]}: name at most one of password_command, "
                        f"password_env (the table also has {named[0]})")
    cafile = smtp.get("cafile")
    if isinstance(cafile, str) and cafile.strip() and not _resolve(base, cafile).is_file():
        problems.append(f"smtp.cafile: {_resolve(base, cafile)} does not exist; give the "
                        "PEM file of the CA that signed the server's certificate")


def _check_calendar(where: str, cal: Mapping[str, Any], base: Path,
                    problems: list[str]) -> None:
    """The rules that depend on a calendar's kind (its keys' own types are checked already)."""
    kind = cal.get("kind")
    if kind == "ics":
        if "location" not in cal:
            problems.append(f"{where}location: missing; an ics calendar needs its file, "
                            "folder or http(s):// address")
        problems += [f"{where}{k}: only for caldav calendars" for k in _CALDAV_ONLY if k in cal]
        loc = cal.get("location")
        if isinstance(loc, str) and "://" in loc:
            scheme = loc.split("://", 1)[0].lower()
            if scheme not in _URL_SCHEMES or not _url_host(loc):
                problems.append(f"{where}location: expected a file, a folder, or an "
                                "http://, https:// or webcal:// address, got "
                                f"{_redact(loc)!r}")
            elif _bad_port(loc) or _hidden_login(loc):
                problems.append(f"{where}location: {_BAD_PORT}")
            elif (scheme == "http" and "@" in loc.split("://", 1)[1].split("/", 1)[0]
                  and not is_loopback(_url_host(loc))):
                problems.append(f"{where}location: http:// would send the login in the "
                                "address unencrypted; use https://")
        elif "cafile" in cal:
            problems.append(f"{where}cafile: only for a calendar fetched from an https:// "
                            "address or a caldav calendar")
            return
    elif kind == "caldav":
        if "location" in cal:
            problems.append(f"{where}location: only for ics calendars; a caldav calendar "
                            "has url")
        url = cal.get("url")
        if "url" not in cal:
            problems.append(f"{where}url: missing; a caldav calendar needs the address of "
                            "the calendar, or of the server to read all its calendars")
        elif isinstance(url, str) and url.strip():
            scheme = url.split("://", 1)[0].lower() if "://" in url else ""
            host = _url_host(url)
            if scheme not in ("http", "https") or not host:
                problems.append(f"{where}url: expected an https:// address like "
                                f'"https://caldav.fastmail.com/dav/", got {_redact(url)!r}')
            elif _bad_port(url) or _hidden_login(url):
                problems.append(f"{where}url: {_BAD_PORT}")
            elif "@" in url.split("://", 1)[1].split("/", 1)[0]:
                problems.append(f"{where}url: no login in the address ({_redact(url)!r}); "
                                "give username, and the password through password_command, "
                                "password_env or the keyring")
            elif scheme == "http" and not is_loopback(host):
                # A password in clear text over a network is never what anyone wants.
                problems.append(f"{where}url: http:// sends the password unencrypted and "
                                f"is allowed only to this machine (localhost), not to "
                                f"{host!r}; use https://")
        named = [k for k in _SMTP_SECRET_KEYS if k in cal]
        if len(named) > 1:
            problems.append(f"{where}{named[1]}: name at most one of password_command, "
                            f"password_env (this calendar also has {named[0]})")
    cafile = cal.get("cafile")
    if isinstance(cafile, str) and cafile.strip() and not _resolve(base, cafile).is_file():
        problems.append(f"{where}cafile: {_resolve(base, cafile)} does not exist; give the "
                        "PEM file of the CA that signed the server's certificate")


def _url_host(url: str) -> str:
    """The host of an address, without user, port or brackets ("" when there is none)."""
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""


#: Never echoes the address: the text read as a port is often part of a password.
_BAD_PORT = ("not a valid address: what follows its host is not a port number or a path; "
             "a password in the address must write / ? # @ : as %2F %3F %23 %40 %3A")


def _bad_port(url: str) -> bool:
    """Whether an address's port is not a number, as when a login in it has an unencoded
    / ? or #: the password's start then reads as the port (and would be echoed)."""
    try:
        urlsplit(url.strip()).port  # noqa: B018 (raises ValueError when not a number)
    except ValueError:
        return True
    return False


def _hidden_login(url: str) -> bool:
    """Whether a login with an unencoded / ? or # hides in an address: an "@" after a
    one-word host, as in "https://to/ken@host/..." (the token's start reads as the host).
    An "@" after a real host name, as in CalDAV paths ("/dav/alex@example.org/"), is fine."""
    host = _url_host(url)
    try:
        netloc = urlsplit(url.strip()).netloc
    except ValueError:
        return False
    return ("@" in url and "@" not in netloc and "." not in host and ":" not in host
            and host != "localhost")


def _redact(url: str) -> str:
    """An address fit for a message: its scheme and host, never a secret path or login.

    The host is what follows the last "@" up to the first / ? or #: a password holding
    an unencoded "/" (before an "@") is then never shown.
    """
    scheme, _, rest = url.partition("://")
    host = rest.rsplit("@", 1)[-1]
    for stop in "/?#":
        host = host.split(stop, 1)[0]
    return f"{scheme}://{host}/..." if host != rest else f"{scheme}://{host}"


def parse(data: Mapping[str, Any], path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Validate parsed TOML; raise :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    top = {k: v for k, v in data.items() if k not in _TABLES}
    _check_table("", top, _TOP, problems, hints=tuple(_TABLES))
    tables: dict[str, Any] = {}
    for name in _TABLES:
        value = data.get(name, [] if name in ("accounts", "calendars") else {})
        is_array = name in ("accounts", "calendars")
        if is_array and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            problems.append(f"{name}: expected [[{name}]] tables")
            value = []
        elif not is_array and not isinstance(value, dict):
            problems.append(f"{name}: expected a [{name}] table")
            value = {}
        tables[name] = value
    if "identity" not in data:
        problems.append("identity: missing; add an [identity] table with name and addresses")
    else:
        _check_table("identity.", tables["identity"], _IDENTITY, problems)
    names: set[str] = set()
    for i, acc in enumerate(tables["accounts"]):
        _check_table(f"accounts[{i}].", acc, _ACCOUNT, problems)
        _check_kind(f"accounts[{i}].", acc, path.parent, problems)
        if acc.get("name") in names:
            problems.append(f"accounts[{i}].name: {acc.get('name')!r} is used twice")
        names.add(str(acc.get("name")))
    cal_names: set[str] = set()
    for i, cal in enumerate(tables["calendars"]):
        _check_table(f"calendars[{i}].", cal, _CALENDAR, problems)
        _check_calendar(f"calendars[{i}].", cal, path.parent, problems)
        # The name keys the calendar's records in the state: two would mix them.
        cal_name = cal.get("name") or f"calendar{i + 1}"
        if cal_name in cal_names:
            problems.append(f"calendars[{i}].name: {cal_name!r} is used twice")
        cal_names.add(str(cal_name))
    _check_table("etiquette.", tables["etiquette"], _ETIQUETTE, problems)
    _check_table("reminders.", tables["reminders"], _REMINDERS, problems)
    if isinstance(data.get("tasks"), dict):  # optional write-back of notes as VTODOs
        _check_table("tasks.", tables["tasks"], _CALENDAR, problems)
        _check_calendar("tasks.", tables["tasks"], path.parent, problems)
        if "://" in str(tables["tasks"].get("location", "")):
            problems.append('tasks.location: a task list is a local folder (a vdir); for a '
                            'server use kind = "caldav" with url')
    if isinstance(data.get("smtp"), dict):  # optional; a non-table is reported above
        _check_table("smtp.", tables["smtp"], _SMTP, problems)
        _check_smtp(tables["smtp"], path.parent, problems)
    rem_account = tables["reminders"].get("account")
    if isinstance(rem_account, str) and rem_account not in names:
        problems.append(f"reminders.account: no account is named {rem_account!r}")
    if problems:
        raise ConfigError(str(path), problems)
    return _build(data, tables, path, env)


def _build(data: Mapping[str, Any], t: Mapping[str, Any], path: Path,
           env: Mapping[str, str] | None) -> Config:
    base = path.parent
    ident = t["identity"]
    identity = IdentityConfig(
        name=ident["name"].strip(),
        addresses=tuple(a.strip().lower() for a in ident["addresses"]),
        employer_domains=tuple(d.strip().lower().lstrip("@") for d in
                               ident.get("employer_domains", [])),
        timezone=ident.get("timezone") or system_timezone(),
    )
    accounts = []
    for acc in t["accounts"]:
        lookback = acc.get("lookback_days", 120)
        address = (acc.get("address") or identity.addresses[0]).lower()
        accounts.append(AccountConfig(
            name=acc["name"], kind=acc["kind"], address=address,
            path=_resolve(base, acc["path"]) if "path" in acc else None,
            layout=acc.get("layout", "maildir++"),
            lookback_days=None if lookback == "all" else lookback,
            folders=tuple(acc.get("folders", ["INBOX"])),
            sent_folder=acc.get("sent_folder", "Sent"),
            drafts_folder=acc.get("drafts_folder", "Drafts"),
            imap=_imap_settings(acc, base, address) if acc["kind"] == "imap" else None,
            extra={k: acc[k] for k in _IMAP_KEYS if k in acc},
        ))
    calendars = [_calendar(cal, cal.get("name") or f"calendar{i + 1}", base, identity)
                 for i, cal in enumerate(t["calendars"])]
    et = dict(t["etiquette"])
    if "working_days" in et:
        order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        et["working_days"] = tuple(sorted({order.index(d[:3].lower()) for d in et["working_days"]}))
    state_dir = (_resolve(base, data["state_dir"]) if "state_dir" in data
                 else default_state_dir(env))
    return Config(
        path=path, state_dir=state_dir, identity=identity,
        accounts=tuple(accounts), calendars=tuple(calendars),
        etiquette=Etiquette(**et), reminders=Reminders(**t["reminders"]),
        smtp=_smtp_settings(t["smtp"], base, identity) if "smtp" in data else None,
        tasks=_calendar(t["tasks"], "tasks", base, identity) if "tasks" in data else None,
        scan_interval_minutes=data.get("scan_interval_minutes", 10),
        retry_max_minutes=data.get("retry_max_minutes", 60),
    )


def _calendar(cal: Mapping[str, Any], name: str, base: Path,
              identity: IdentityConfig) -> CalendarConfig:
    loc = cal.get("location", "").strip()
    if loc and "://" not in loc:
        loc = str(_resolve(base, loc))
    return CalendarConfig(
        name=name, kind=cal["kind"], location=loc, url=cal.get("url", "").strip(),
        # As for IMAP: most providers' login is the user's address.
        username=cal.get("username") or (identity.addresses[0]
                                         if cal["kind"] == "caldav" else ""),
        password_command=cal.get("password_command"), password_env=cal.get("password_env"),
        cafile=_resolve(base, cal["cafile"]) if "cafile" in cal else None)


def _smtp_settings(smtp: Mapping[str, Any], base: Path, identity: IdentityConfig) -> SmtpConfig:
    security = smtp.get("security", "starttls")
    # Both default to the user's first address: the usual login name of a mail provider,
    # and the inbox the digest would otherwise have gone to.
    return SmtpConfig(
        host=smtp["host"], port=smtp.get("port", _SMTP_PORTS[security]), security=security,
        username=smtp.get("username") or identity.addresses[0],
        cafile=_resolve(base, smtp["cafile"]) if "cafile" in smtp else None,
        password_command=smtp.get("password_command"), password_env=smtp.get("password_env"),
        to=tuple(a.strip() for a in smtp.get("to", [identity.addresses[0]])))


def _imap_settings(acc: Mapping[str, Any], base: Path, address: str) -> ImapSettings:
    security = acc.get("security", "tls")
    return ImapSettings(
        host=acc["host"], port=acc.get("port", _DEFAULT_PORTS[security]), security=security,
        username=acc.get("username") or address,
        cafile=_resolve(base, acc["cafile"]) if "cafile" in acc else None,
        password_command=acc.get("password_command"), password_env=acc.get("password_env"),
        oauth2_token_command=acc.get("oauth2_token_command"), idle=acc.get("idle", False))


def system_timezone() -> str:
    """The system's IANA zone name ($TZ, else /etc/localtime), else "UTC"."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and _tz(tz) is None:
        return tz
    try:
        link = os.readlink("/etc/localtime")
        name = link.split("zoneinfo/", 1)[1]
        if _tz(name) is None:
            return name
    except (OSError, IndexError):
        pass
    return "UTC"


def load(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file."""
    # Absolute, so that paths in it resolve the same whatever the working directory.
    path = Path(os.path.abspath(path.expanduser()))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), ["the file does not exist; copy config.example.toml there "
                                      "and edit it, or pass --config PATH"]) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"TOML syntax error: {exc}"]) from None
    return parse(data, path, env)


def readable_by_others(path: Path) -> bool:
    """Whether group or others may read the file (worth a warning, not a refusal)."""
    try:
        return bool(path.stat().st_mode & 0o077)
    except OSError:
        return False
