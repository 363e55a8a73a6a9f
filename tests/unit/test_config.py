"""Config loading: the example loads, and every mistake is named with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from thankful.config import default_config_path
from thankful.config import default_state_dir
from thankful.config import load
from thankful.errors import EXIT_CONFIG
from thankful.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
MINIMAL = '[identity]\nname = "A"\naddresses = ["a@example.net"]\n'


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, text))
    assert info.value.exit_code == EXIT_CONFIG == 78
    assert str(tmp_path / "config.toml") in str(info.value)
    return info.value.problems


def test_example_loads_with_every_key() -> None:
    cfg = load(EXAMPLE, env={})
    assert cfg.identity.name == "Alex Morgan"
    assert cfg.accounts[0].layout == "maildir++"
    assert cfg.accounts[0].path == Path("~/Mail/personal").expanduser()
    assert cfg.etiquette.backfill_days == 7 and cfg.etiquette.working_days == (0, 1, 2, 3, 4)


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, MINIMAL), env={"XDG_STATE_HOME": str(tmp_path / "st")})
    assert cfg.state_dir == tmp_path / "st" / "thankful"
    assert cfg.etiquette.ready_after_hours == 2.0 and cfg.reminders.every_days == 1


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    text = MINIMAL + (
        '[[accounts]]\nname = "m"\nkind = "maildir"\npath = "mail"\n'
        '[[calendars]]\nkind = "ics"\nlocation = "cal"\n')
    cfg = load(write(tmp_path, 'state_dir = "s"\n' + text))
    assert cfg.state_dir == tmp_path / "s"
    assert cfg.accounts[0].path == tmp_path / "mail"
    assert cfg.calendars[0].location == str(tmp_path / "cal")
    assert cfg.accounts[0].address == "a@example.net"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(tmp_path, (
        'scan_intervall_minutes = 5\n[identity]\nname = "A"\naddresses = ["not-an-address"]\n'
        'timezone = "Mars/Olympus"\n[[accounts]]\nname = "m"\nkind = "pop3"\n'
        '[etiquette]\nbackfill_days = "seven"\n'))
    text = "\n".join(found)
    assert 'scan_intervall_minutes: unknown key (did you mean "scan_interval_minutes"?)' in text
    assert "identity.addresses" in text and "identity.timezone" in text
    assert 'accounts[0].kind: expected one of "maildir"' in text
    assert "etiquette.backfill_days: expected an integer" in text
    assert len(found) >= 5


def test_missing_identity(tmp_path: Path) -> None:
    assert any(p.startswith("identity: missing") for p in problems(tmp_path, "state_dir = 'x'\n"))


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    assert "TOML syntax error" in problems(tmp_path, "[identity\n")[0]


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "nope.toml")
    assert "config.example.toml" in str(info.value)


def test_default_paths_follow_xdg(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s"}
    assert default_config_path(env) == Path("/c/thankful/config.toml")
    assert default_state_dir(env) == Path("/s/thankful")
    assert default_state_dir({}) == Path("~/.local/state/thankful").expanduser()


# --- IMAP accounts ---------------------------------------------------------------------

IMAP = MINIMAL + '[[accounts]]\nname = "w"\nkind = "imap"\n'


def example_imap_blocks() -> list[str]:
    """The commented IMAP account blocks of config.example.toml, uncommented."""
    import re

    lines = EXAMPLE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# --- IMAP accounts"))
    blocks: list[str] = []
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith("#"):
            break
        if re.fullmatch(r"# \[\[accounts\]\]", line):
            blocks.append("[[accounts]]\n")
        elif blocks and re.fullmatch(r"# [a-z_0-9]+ = .*", line):
            blocks[-1] += line[2:] + "\n"
    return blocks


def test_example_imap_blocks_are_valid(tmp_path: Path) -> None:
    blocks = example_imap_blocks()
    assert len(blocks) == 5
    cfg = load(write(tmp_path, MINIMAL + "".join(blocks)))
    by_name = {a.name: a for a in cfg.accounts}
    assert set(by_name) == {"work", "gmail", "office", "fastmail", "icloud"}
    for acc in cfg.accounts:
        assert acc.kind == "imap" and acc.imap is not None and acc.path is None
    work = by_name["work"].imap
    assert work is not None and (work.security, work.port, work.username) == (
        "starttls", 143, "alex")
    office = by_name["office"].imap
    assert office is not None and (office.port, office.security) == (993, "tls")
    assert office.oauth2_token_command and not office.password_command


def test_imap_defaults(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, IMAP + 'host = "imap.example.org"\n'))
    imap = cfg.accounts[0].imap
    assert imap is not None
    assert (imap.port, imap.security, imap.username, imap.cafile) == (
        993, "tls", "a@example.net", None)
    assert cfg.accounts[0].extra == {"host": "imap.example.org"}
    starttls = load(write(tmp_path, IMAP + 'host = "h"\nsecurity = "starttls"\n'))
    assert starttls.accounts[0].imap is not None and starttls.accounts[0].imap.port == 143


def test_imap_mistakes_are_named(tmp_path: Path) -> None:
    found = "\n".join(problems(tmp_path, IMAP + (
        'path = "mail"\nport = 70000\nsecurity = "ssl"\npassword_command = "pass x"\n'
        'password_env = "PW"\ncafile = "nope.pem"\nidle = "yes"\n')))
    assert "accounts[0].host: missing" in found
    assert "accounts[0].path: only for maildir accounts" in found
    assert "accounts[0].port: expected an integer 1-65535" in found
    assert 'accounts[0].security: expected one of "tls", "starttls", "none"' in found
    assert "accounts[0].password_env: name at most one of" in found
    assert f"accounts[0].cafile: {tmp_path / 'nope.pem'} does not exist" in found
    assert "accounts[0].idle: expected true or false" in found


def test_plaintext_only_to_loopback(tmp_path: Path) -> None:
    found = problems(tmp_path, IMAP + 'host = "imap.example.org"\nsecurity = "none"\n')
    assert any('security: "none" sends the password unencrypted' in p for p in found)
    for host in ("localhost", "127.0.0.1", "::1"):
        cfg = load(write(tmp_path, IMAP + f'host = "{host}"\nsecurity = "none"\n'))
        assert cfg.accounts[0].imap is not None and cfg.accounts[0].imap.port == 143


def test_imap_keys_refused_on_maildir(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + '[[accounts]]\nname = "m"\nkind = "maildir"\n'
                     'path = "mail"\nhost = "imap.example.org"\n')
    assert found == ["accounts[0].host: only for imap accounts"]


def test_cafile_resolves_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    cfg = load(write(tmp_path, IMAP + 'host = "h"\ncafile = "ca.pem"\nusername = "U"\n'))
    imap = cfg.accounts[0].imap
    assert imap is not None and imap.cafile == tmp_path / "ca.pem" and imap.username == "U"


# --- [smtp] ----------------------------------------------------------------------------

SMTP = MINIMAL + '[smtp]\nhost = "smtp.example.org"\n'


def example_smtp_block() -> str:
    """The commented [smtp] block of config.example.toml, uncommented."""
    import re

    lines = EXAMPLE.read_text().splitlines()
    start = lines.index("# [smtp]")
    block = "[smtp]\n"
    for line in lines[start + 1:]:
        if not line.startswith("#"):
            break
        if re.fullmatch(r"# [a-z_0-9]+ = .*", line):
            block += line[2:] + "\n"
    return block


def test_no_smtp_table_means_the_inbox(tmp_path: Path) -> None:
    assert load(write(tmp_path, MINIMAL)).smtp is None
    assert load(EXAMPLE, env={}).smtp is None  # the example's block is commented out


def test_example_smtp_block_is_valid(tmp_path: Path) -> None:
    block = example_smtp_block()
    assert "password_command" in block and "to = " in block
    smtp = load(write(tmp_path, MINIMAL + block)).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.example.org", 587, "starttls")
    assert smtp.to == ("alex.phone@example.org",) and smtp.password_command


def test_smtp_defaults(tmp_path: Path) -> None:
    smtp = load(write(tmp_path, SMTP)).smtp
    assert smtp is not None
    assert (smtp.port, smtp.security, smtp.username, smtp.to, smtp.cafile) == (
        587, "starttls", "a@example.net", ("a@example.net",), None)
    assert smtp.password_command is None and smtp.password_env is None  # -> keyring
    tls = load(write(tmp_path, SMTP + 'security = "tls"\n')).smtp
    assert tls is not None and tls.port == 465
    (tmp_path / "ca.pem").write_text("x")
    own = load(write(tmp_path, SMTP + (
        'port = 2525\nusername = "u"\npassword_env = "PW"\ncafile = "ca.pem"\n'
        'to = ["x@example.org", "y@example.org"]\n'))).smtp
    assert own is not None
    assert (own.port, own.username, own.password_env, own.cafile, own.to) == (
        2525, "u", "PW", tmp_path / "ca.pem", ("x@example.org", "y@example.org"))


def test_smtp_mistakes_are_named(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + (
        '[smtp]\nport = 0\nsecurity = "ssl"\npassword_command = "pass x"\n'
        'password_env = "PW"\ncafile = "nope.pem"\nto = ["not-an-address"]\nusername = ""\n'
        'too = ["x@example.org"]\n'))
    text = "\n".join(found)
    assert "smtp.host: missing; this key is required" in text
    assert "smtp.port: expected an integer 1-65535" in text
    assert 'smtp.security: expected one of "starttls", "tls", "none"' in text
    assert "smtp.password_env: name at most one of password_command, password_env" in text
    assert f"smtp.cafile: {tmp_path / 'nope.pem'} does not exist" in text
    assert "smtp.to: not an email address: 'not-an-address'" in text
    assert "smtp.username: expected a non-empty string" in text
    assert 'smtp.too: unknown key (did you mean "to"?)' in text
    assert problems(tmp_path, "smtp = 1\n" + MINIMAL) == ["smtp: expected a [smtp] table"]
    assert problems(tmp_path, SMTP + "to = []\n") == [
        "smtp.to: expected a non-empty list of email addresses, got []"]


def test_smtp_plaintext_only_to_loopback(tmp_path: Path) -> None:
    found = problems(tmp_path, SMTP + 'security = "none"\n')
    assert len(found) == 1 and found[0].startswith(
        'smtp.security: "none" sends the password and the reminder unencrypted')
    for host in ("localhost", "127.0.0.1", "::1"):
        smtp = load(write(tmp_path, MINIMAL + f'[smtp]\nhost = "{host}"\nsecurity = "none"\n')
                    ).smtp
        assert smtp is not None and smtp.port == 25


# --- calendars --------------------------------------------------------------------------

CAL = MINIMAL + '[[calendars]]\nname = "c"\n'


def example_calendar_blocks() -> list[str]:
    """The commented [[calendars]] blocks of config.example.toml, uncommented."""
    import re

    lines = EXAMPLE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# --- more calendars"))
    blocks: list[str] = []
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith("#"):
            break
        if re.fullmatch(r"# \[\[calendars\]\]", line):
            blocks.append("[[calendars]]\n")
        elif blocks and re.fullmatch(r"# [a-z_0-9]+ = .*", line):
            blocks[-1] += line[2:] + "\n"
    return blocks


def test_example_calendar_blocks_are_valid(tmp_path: Path) -> None:
    blocks = example_calendar_blocks()
    cfg = load(write(tmp_path, MINIMAL + "".join(blocks)))
    kinds = {c.name: (c.kind, c.is_url) for c in cfg.calendars}
    assert kinds == {"vdirsyncer": ("ics", False), "google": ("ics", True),
                     "outlook": ("ics", True), "fastmail": ("caldav", False),
                     "icloud": ("caldav", False), "nextcloud": ("caldav", False)}
    assert all(c.url.startswith("https://") for c in cfg.calendars if c.kind == "caldav")
    assert load(EXAMPLE, env={}).calendars[0].kind == "ics"  # the live block


def test_ics_address_is_kept_as_written(tmp_path: Path) -> None:
    for loc in ("https://calendar.example/a.ics", "webcal://calendar.example/a.ics",
                "http://127.0.0.1:8080/feed.ics"):
        cal = load(write(tmp_path, CAL + f'kind = "ics"\nlocation = "{loc}"\n')).calendars[0]
        assert cal.location == loc and cal.is_url and cal.username == ""
    (tmp_path / "ca.pem").write_text("x")
    cal = load(write(tmp_path, CAL + 'kind = "ics"\nlocation = "https://c.example/a.ics"\n'
                     'cafile = "ca.pem"\n')).calendars[0]
    assert cal.cafile == tmp_path / "ca.pem"


def test_caldav_calendar_and_its_defaults(tmp_path: Path) -> None:
    cal = load(write(tmp_path, CAL + 'kind = "caldav"\nurl = "https://dav.example/cal/"\n')
               ).calendars[0]
    assert (cal.kind, cal.url, cal.username, cal.location, cal.is_url) == (
        "caldav", "https://dav.example/cal/", "a@example.net", "", False)
    assert cal.password_command is None and cal.password_env is None  # -> keyring
    own = load(write(tmp_path, CAL + 'kind = "caldav"\nurl = "http://localhost:5232/"\n'
                     'username = "alex"\npassword_env = "PW"\n')).calendars[0]
    assert (own.username, own.password_env) == ("alex", "PW")


def test_calendar_mistakes_are_named(tmp_path: Path) -> None:
    def one(text: str) -> str:
        found = problems(tmp_path, MINIMAL + "[[calendars]]\n" + text)
        assert len(found) == 1, found
        return found[0]

    assert one('kind = "ics"\n').startswith("calendars[0].location: missing")
    assert one('kind = "ical"\nlocation = "x"\n').startswith(
        'calendars[0].kind: expected one of "ics", "caldav"')
    assert one('kind = "ics"\nlocation = "ftp://c.example/a.ics"\n').startswith(
        "calendars[0].location: expected a file, a folder, or an http://")
    assert one('kind = "ics"\nlocation = "x"\nurl = "https://c.example/"\n') == (
        "calendars[0].url: only for caldav calendars")
    assert one('kind = "ics"\nlocation = "x"\ncafile = "ca.pem"\n').startswith(
        "calendars[0].cafile: only for a calendar fetched from an https:// address")
    assert one('kind = "caldav"\n').startswith("calendars[0].url: missing")
    assert one('kind = "caldav"\nurl = "https://c.example/"\nlocation = "x"\n').startswith(
        "calendars[0].location: only for ics calendars")
    assert one('kind = "caldav"\nurl = "caldav.example.org"\n').startswith(
        'calendars[0].url: expected an https:// address like')
    assert "password unencrypted" in one('kind = "caldav"\nurl = "http://dav.example.org/"\n')
    login = one('kind = "caldav"\nurl = "https://alex:s3cret@dav.example.org/dav/"\n')
    assert login.startswith("calendars[0].url: no login in the address") and "s3cret" not in login
    assert one('kind = "caldav"\nurl = "https://c.example/"\npassword_command = "x"\n'
               'password_env = "PW"\n').startswith(
        "calendars[0].password_env: name at most one of password_command, password_env")
    assert one('kind = "caldav"\nurl = "https://c.example/"\npasword_command = "x"\n') == (
        'calendars[0].pasword_command: unknown key (did you mean "password_command"?)')
    assert one('kind = "caldav"\nurl = "https://c.example/"\ncafile = "nope.pem"\n').startswith(
        f"calendars[0].cafile: {tmp_path / 'nope.pem'} does not exist")
    assert one('kind = "ics"\nlocation = "a"\n[[calendars]]\nkind = "ics"\nlocation = "b"\n'
               'name = "calendar1"\n') == "calendars[1].name: 'calendar1' is used twice"


def test_no_secret_address_in_a_config_error(tmp_path: Path) -> None:
    found = problems(tmp_path, CAL + 'kind = "ics"\n'
                     'location = "gopher://calendar.example/private-s3cret/basic.ics"\n')
    assert "s3cret" not in "\n".join(found) and "calendar.example" in found[0]
