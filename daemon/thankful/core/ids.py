"""Stable ids and hashes of notes and sources. Pure.

A module of its own so that a cycle with nothing new can name things without loading
the rules.
"""

from __future__ import annotations

try:  # The interpreter's own SHA-256: importing hashlib loads OpenSSL (5-15 ms, on
    # every start, a fifth of a rescan with nothing new). The same digest.
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.12 and later call it _sha2
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:  # a Python built without them
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]


def note_hash(key: str) -> str:
    """The opaque fixed-length value of an ``X-Thankful-Note`` header."""
    return str(sha256(key.encode("utf-8")).hexdigest())[:32]


def short_id(key: str) -> str:
    """A short, stable id a person can type."""
    return str(sha256(key.encode("utf-8")).hexdigest())[:10]
