"""Runs ``thankful`` the way the CLI does, for tests/reliability/test_secrets.py.

Run as ``python secrets_wrapper.py ARGS...``. Before calling :func:`thankful.cli.main`:

- ``LEAK_KEYRING`` (a JSON file): the keyring backend is a small file-backed one
  (this machine has no Secret Service); ``LEAK_KEYRING_FAIL=1`` makes storing fail.
- ``LEAK_PATCH`` (``module:attr.path``, several with commas): each function is replaced by one that raises
  ``RuntimeError`` while its arguments and its own locals hold a secret (``LEAK_SECRET``).
  It forces the failure where no real one can reach the code path. This is the only
  patching the secret-leak tests do; every other failure is a real server's.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors


class FileKeyring(keyring.backend.KeyringBackend):
    """Secrets in a JSON file outside the state folder (it plays the user's keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _all(self) -> dict[str, str]:
        return dict(json.loads(self.path.read_text())) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._all().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        if os.environ.get("LEAK_KEYRING_FAIL"):
            # As a real backend may: the error's arguments hold what was to be stored.
            raise keyring.errors.PasswordSetError(service, username, password)
        data = self._all()
        data[f"{service}/{username}"] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._all()
        data.pop(f"{service}/{username}", None)
        self.path.write_text(json.dumps(data))


def _patch(spec: str, secret: str) -> None:
    module_name, _, attr_path = spec.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = attr_path.split(".")
    for part in parents:
        owner = getattr(owner, part)

    def forced(*args: Any, **kwargs: Any) -> Any:
        password = secret  # a local holding the secret, as a real frame would
        held = (args, kwargs, password)
        raise RuntimeError(f"forced failure in {spec} ({len(held)} values held)")

    setattr(owner, name, forced)


def run() -> int:
    if os.environ.get("LEAK_KEYRING"):
        keyring.set_keyring(FileKeyring(Path(os.environ["LEAK_KEYRING"])))
    for spec in filter(None, os.environ.get("LEAK_PATCH", "").split(",")):
        _patch(spec, os.environ.get("LEAK_SECRET", ""))
    from thankful.cli import main

    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(run())
