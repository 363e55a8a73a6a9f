"""Loads and validates ``config.toml`` into frozen dataclasses.

Every problem in the file is gathered (with its table and key, and a "did you mean"
for unknown keys) and reported in one :class:`~thankful.errors.ConfigError`. The
validators are pure; only :func:`load` reads a file.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
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
    #: Keys a later adapter (IMAP) reads; kept raw so the core never sees them.
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarConfig:
    """``[[calendars]]``: one calendar source."""

    name: str
    kind: str
    location: str


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
    scan_interval_minutes: int = 10

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
    "scan_interval_minutes": (_int(1, 1440), False),
}
_IDENTITY: dict[str, tuple[Check, bool]] = {
    "name": (_str, True),
    "addresses": (_emails, True),
    "employer_domains": (_str_list, False),
    "timezone": (_tz, False),
}
# Keys the IMAP adapter (a later issue) reads; accepted so configs written for it load.
_IMAP_KEYS = ("host", "port", "security", "cafile", "username", "password_command",
              "password_env", "oauth2_token_command", "idle")
_ACCOUNT: dict[str, tuple[Check, bool]] = {
    "name": (_str, True),
    "kind": (_one_of("maildir"), True),
    "path": (_str, False),
    "layout": (_one_of("maildir++", "verbatim"), False),
    "address": (_email, False),
    "lookback_days": (_lookback, False),
    "folders": (_str_list, False),
    "sent_folder": (_str, False),
    "drafts_folder": (_str, False),
}
_CALENDAR: dict[str, tuple[Check, bool]] = {
    "name": (_str, False),
    "kind": (_one_of("ics"), True),
    "location": (_str, True),
}
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
_TABLES = {"identity": _IDENTITY, "accounts": _ACCOUNT, "calendars": _CALENDAR,
           "etiquette": _ETIQUETTE, "reminders": _REMINDERS}


def _check_table(where: str, data: Mapping[str, Any], spec: Mapping[str, tuple[Check, bool]],
                 problems: list[str], also_known: tuple[str, ...] = (),
                 hints: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        if key in spec:
            problem = spec[key][0](value)
            if problem:
                problems.append(f"{where}{key}: {problem}, got {value!r}")
        elif key not in also_known:
            near = difflib.get_close_matches(key, [*spec, *also_known, *hints], n=1)
            hint = f' (did you mean "{near[0]}"?)' if near else ""
            problems.append(f"{where}{key}: unknown key{hint}")
    for key, (_, required) in spec.items():
        if required and key not in data:
            problems.append(f"{where}{key}: missing; this key is required")


def _resolve(base: Path, raw: str) -> Path:
    p = Path(os.path.expandvars(raw)).expanduser()
    return p if p.is_absolute() else (base / p)


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
        _check_table(f"accounts[{i}].", acc, _ACCOUNT, problems, also_known=_IMAP_KEYS)
        if acc.get("kind") == "maildir" and "path" not in acc:
            problems.append(f"accounts[{i}].path: missing; a maildir account needs its folder")
        if acc.get("name") in names:
            problems.append(f"accounts[{i}].name: {acc.get('name')!r} is used twice")
        names.add(str(acc.get("name")))
    for i, cal in enumerate(tables["calendars"]):
        _check_table(f"calendars[{i}].", cal, _CALENDAR, problems)
    _check_table("etiquette.", tables["etiquette"], _ETIQUETTE, problems)
    _check_table("reminders.", tables["reminders"], _REMINDERS, problems)
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
        accounts.append(AccountConfig(
            name=acc["name"], kind=acc["kind"],
            address=(acc.get("address") or identity.addresses[0]).lower(),
            path=_resolve(base, acc["path"]) if "path" in acc else None,
            layout=acc.get("layout", "maildir++"),
            lookback_days=None if lookback == "all" else lookback,
            folders=tuple(acc.get("folders", ["INBOX"])),
            sent_folder=acc.get("sent_folder", "Sent"),
            drafts_folder=acc.get("drafts_folder", "Drafts"),
            extra={k: acc[k] for k in _IMAP_KEYS if k in acc},
        ))
    calendars = []
    for i, cal in enumerate(t["calendars"]):
        loc = cal["location"]
        if "://" not in loc:
            loc = str(_resolve(base, loc))
        calendars.append(CalendarConfig(name=cal.get("name") or f"calendar{i + 1}",
                                        kind=cal["kind"], location=loc))
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
        scan_interval_minutes=data.get("scan_interval_minutes", 10),
    )


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
