"""Separate what the sender wrote from quoted history and forwarded parts. Pure: no I/O.

Reply headers ("On ... wrote:") followed by "> " lines only drop those lines, so inline
and bottom-posted replies keep the sender's words; separators that are followed by
unmarked history (Outlook's "From: ... Sent: ..." block, "-----Original Message-----",
forwarded-message banners) cut everything after them.
"""

from __future__ import annotations

import re

# Attribution lines, by language. Gmail wraps long ones, so up to three lines are joined.
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\b.{0,300}\bwrote\s*:"                      # en: On Tue, Jane Doe <j@x> wrote:
    r"|Le\b.{0,300}\ba\s+écrit\s*:"                 # fr
    r"|Am\b.{0,300}\bschrieb\b.{0,300}:"            # de: Am ... schrieb Jane Doe:
    r"|El\b.{0,300}\bescribió\s*:"                  # es
    r"|Op\b.{0,300}\bschreef\b.{0,300}:"            # nl
    r"|Il\b.{0,300}\bha scritto\s*:"                # it
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)"
    r"\s*-{2,}"
    r"|-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}"
    r"|Begin forwarded message\s*:"
    r"|-{2,}\s*Forwarded by\b.*"
    r")\s*$",
    re.IGNORECASE,
)
# Outlook: a "From:" line with a "Sent:"/"Date:" line shortly after (bold in HTML mails).
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|De|Von|Van|Da)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Envoyé|Gesendet|Verzonden|Inviato|Enviado)\s*:\*?\s*\S", re.IGNORECASE
)
_UNDERSCORES = re.compile(r"^\s*_{8,}\s*$")


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Le|Am|El|Op|Il)\b", re.IGNORECASE)


def _attribution_span(lines: list[str], i: int) -> int:
    """Number of lines (1-3) of an attribution starting at line i, or 0."""
    if not _ATTRIBUTION_START.match(lines[i]):  # cheap test first: this runs for every line
        return 0
    for span in (1, 2, 3):
        if i + span > len(lines):
            break
        if _ATTRIBUTION.match(" ".join(line.strip() for line in lines[i:i + span])):
            return span
    return 0


def _outlook_block(lines: list[str], i: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[i]):
        return False
    return any(_OUTLOOK_SENT.match(line) for line in lines[i + 1:i + 5])


def strip_quoted(text: str) -> str:
    """The text minus quoted lines, attributions and everything after a history separator."""
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _SEPARATOR.match(line) or _outlook_block(lines, i):
            break
        if _UNDERSCORES.match(line) and i + 1 < len(lines) and _outlook_block(lines, i + 1):
            break
        span = _attribution_span(lines, i)
        if span:
            following = next((ln for ln in lines[i + span:] if ln.strip()), "")
            if _is_quote(following):
                i += span  # quoted lines follow: drop them one by one, keep any reply below
                continue
            break  # history without quote marks follows: cut here
        if not _is_quote(line):
            kept.append(line.rstrip())
        i += 1
    out = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
