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
