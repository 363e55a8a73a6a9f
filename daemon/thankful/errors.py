"""Exception hierarchy and exit codes. Pure.

A :class:`UserError` is a mistake the user can fix: the CLI prints its message and
never a traceback. Every other exception is a bug and is logged with its traceback.
"""

from __future__ import annotations

import os

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CONFIG = getattr(os, "EX_CONFIG", 78)


class ThankfulError(Exception):
    """Base of thankful's own errors; ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_FAILURE


class UserError(ThankfulError):
    """Something the user can fix; shown without a traceback."""


class UsageError(UserError):
    """A wrong command line or a refused request (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UserError):
    """The config file is wrong: every problem is listed, with the file's path."""

    exit_code = EXIT_CONFIG

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = [f"{path}: the configuration has {len(problems)} problem(s):"]
        lines += [f"  - {p}" for p in problems]
        lines.append("  (config.example.toml documents every key)")
        super().__init__("\n".join(lines))


class CredentialsError(UserError):
    """A secret could not be had (keyring missing or locked, command failed)."""


class SourceError(ThankfulError):
    """A mail store or calendar could not be read or written; the other sources go on."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class TransientSourceError(SourceError):
    """Worth retrying next cycle (timeouts, dropped connections)."""


class PermanentSourceError(SourceError):
    """Needs the user (a missing path, bad credentials)."""


class StateError(ThankfulError):
    """The state database is unusable (newer schema, corrupt)."""
