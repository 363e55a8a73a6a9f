"""Stable ids and hashes of notes and sources. Pure.

A module of its own so that a cycle with nothing new can name things without loading
the rules.
"""

from __future__ import annotations

import hashlib


def note_hash(key: str) -> str:
    """The opaque fixed-length value of an ``X-Thankful-Note`` header."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def short_id(key: str) -> str:
    """A short, stable id a person can type."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
