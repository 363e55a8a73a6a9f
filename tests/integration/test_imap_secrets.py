"""Where an IMAP account's secret comes from: commands, environment, keyring."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest

from thankful import cli
from thankful.adapters.secrets import get_secret
from thankful.adapters.secrets import set_password
from thankful.config import AccountConfig
from thankful.config import ImapSettings
from thankful.config import load
from thankful.errors import CredentialsError
from thankful.errors import UsageError


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class FailingKeyring(MemoryKeyring):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    mem = MemoryKeyring()
    keyring.set_keyring(mem)
    yield mem
    keyring.set_keyring(before)


def acc(**kw: Any) -> AccountConfig:
    return AccountConfig(name="work", kind="imap", address="a@example.net",
                         imap=ImapSettings(host="h", port=993, username="a", **kw))


class TestGetSecret:
    def test_command_first_line_only(self) -> None:
        assert get_secret(acc(password_command="printf 's3cret\\nsecond'")) == "s3cret"

    def test_command_cannot_prompt(self) -> None:
        # stdin is /dev/null: a command that reads a terminal gets nothing at once.
        with pytest.raises(CredentialsError, match="printed nothing"):
            get_secret(acc(password_command="read line; echo \"$line\""))

    def test_failing_command_names_account_and_key(self) -> None:
        with pytest.raises(CredentialsError) as info:
            get_secret(acc(password_command="echo 'gpg: decryption failed' >&2; exit 2"))
        msg = str(info.value)
        assert msg.startswith("account work: password_command failed with exit status 2")
        assert "decryption failed" in msg

    def test_command_timeout(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("thankful.adapters.secrets.COMMAND_TIMEOUT", 0.2)
        with pytest.raises(CredentialsError, match="did not finish"):
            get_secret(acc(oauth2_token_command="sleep 5"))

    def test_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MAIL_PW", "pw")
        assert get_secret(acc(password_env="MAIL_PW")) == "pw"
        monkeypatch.delenv("MAIL_PW")
        with pytest.raises(CredentialsError, match="MAIL_PW"):
            get_secret(acc(password_env="MAIL_PW"))

    def test_keyring_when_nothing_is_named(self, ring: MemoryKeyring) -> None:
        with pytest.raises(CredentialsError, match="thankful set-password work"):
            get_secret(acc())
        ring.set_password("thankful", "work", "kr")
        assert get_secret(acc()) == "kr"

    @pytest.mark.parametrize("error", [keyring.errors.NoKeyringError(),
                                       keyring.errors.KeyringLocked()])
    def test_no_keyring_points_to_password_command(self, error: Exception) -> None:
        before = keyring.get_keyring()
        keyring.set_keyring(FailingKeyring(error))
        try:
            with pytest.raises(CredentialsError, match="set password_command"):
                get_secret(acc())
        finally:
            keyring.set_keyring(before)


class TestSetPassword:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Path:
        p = tmp_path / "config.toml"
        p.write_text('[identity]\nname = "A"\naddresses = ["a@example.net"]\n'
                     '[[accounts]]\nname = "work"\nkind = "imap"\nhost = "imap.example.net"\n')
        p.chmod(0o600)
        return p

    def test_reads_stdin_and_never_echoes(self, ring: MemoryKeyring, config: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO("pa ss\n"))
        assert set_password(load(config), "work") == 0
        assert ring.store[("thankful", "work")] == "pa ss"
        out = capsys.readouterr()
        assert "pa ss" not in out.out + out.err
        assert out.out.count("\n") == 1 and "work" in out.out

    def test_unknown_account(self, ring: MemoryKeyring, config: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
        with pytest.raises(UsageError, match="no account is named 'home'"):
            set_password(load(config), "home")

    def test_no_keyring(self, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        before = keyring.get_keyring()
        keyring.set_keyring(FailingKeyring(keyring.errors.NoKeyringError()))
        monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
        try:
            with pytest.raises(CredentialsError, match="password_command"):
                set_password(load(config), "work")
        finally:
            keyring.set_keyring(before)

    def test_through_the_command_line(self, ring: MemoryKeyring, config: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
        assert cli.main(["set-password", "work", "--config", str(config)]) == 0
        assert ring.store[("thankful", "work")] == "pw"
