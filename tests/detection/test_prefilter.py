"""Headers first: no message of the labelled corpus that matters goes unread.

Each message is judged as the scan judges it: by its header block, and where that says
"preview", by the first PREVIEW_BYTES of its body, exactly what a server sends for
``BODY.PEEK[TEXT]<0.4096>``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thankful.core.model import Identity
from thankful.core.parse_mail import glance
from thankful.core.parse_mail import preview_text
from thankful.core.parse_mail import triage_headers
from thankful.core.prefilter import PREVIEW_BYTES
from thankful.core.prefilter import preview_needs_body
from thankful.core.prefilter import triage
from thankful.core.prefilter import triage_glance

HERE = Path(__file__).resolve().parent
ME = Identity(name="Alex Morgan", addresses=frozenset({"alex.morgan@example.net"}),
              employer_domains=frozenset({"globex-corp.com"}))


def labelled() -> list[tuple[Path, str]]:
    out = []
    for part in ("tune", "holdout"):
        data = json.loads((HERE / part / "labels.json").read_text())
        labels = data["labels"] if isinstance(data, dict) else data
        out += [(HERE / part / row["file"], row["kind"]) for row in labels]
    return out


def read_whole(raw: bytes) -> tuple[bool, str]:
    """Whether the scan would read this message whole, and why."""
    seen = glance(raw)  # what the scan judges every message by
    assert seen is not None and seen.is_thankful is False
    action, why = triage_glance(seen, ME)
    assert (action, why) == triage(triage_headers(raw), ME)
    if action != "preview":
        return action == "body", why
    sep = min((p for p in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if p >= 0),
              default=len(raw))
    head = raw[:sep]
    body = raw[sep:].lstrip(b"\r\n")[:PREVIEW_BYTES]
    return preview_needs_body(preview_text(head, body, cut=len(body) >= PREVIEW_BYTES))


@pytest.mark.parametrize(("path", "kind"), [x for x in labelled() if x[1] != "other"],
                         ids=lambda x: x.name if isinstance(x, Path) else x)
def test_every_message_that_matters_gets_its_body_read(path: Path, kind: str) -> None:
    need, why = read_whole(path.read_bytes())
    assert need, f"{path.name} ({kind}) would be skipped: {why}"


def test_some_noise_is_skipped() -> None:
    noise = [p for p, kind in labelled() if kind == "other"]
    by_headers = [p for p in noise if triage(triage_headers(p.read_bytes()), ME)[0] == "skip"]
    assert by_headers, "the headers never rule anything out"


def test_a_preview_rules_out_ordinary_personal_mail() -> None:
    raw = (b"From: Rosa Dubois <rosa@example.com>\r\nTo: alex.morgan@example.net\r\n"
           b"Subject: Re: Saturday?\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           + "Sounds great! Shall we try the new café by the river? I can bring the "
             "photos from Lisbon. Bis dann, Rosa\r\n".encode() * 3)
    assert triage(triage_headers(raw), ME)[0] == "preview"
    assert read_whole(raw) == (False, "personal mail that says nothing of a job search")
    referral = raw.replace(b"Sounds great!", b"My team is hiring, want me to refer you?")
    assert read_whole(referral)[0]


def test_a_preview_decodes_what_it_reads() -> None:
    head = (b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: base64\r\n")
    import base64
    body = base64.encodebytes(("Hallo! Anbei mein Lebenslauf für die Stelle. " * 200)
                              .encode()).replace(b"\n", b"\r\n")
    text = preview_text(head, body[:PREVIEW_BYTES], cut=True)
    assert text.startswith("Hallo! Anbei mein Lebenslauf für die Stelle.")
    assert "\ufffd" not in text
    assert preview_needs_body(text)[0]
    # Multipart: the first text part, its quoted-printable decoded.
    head = b'Content-Type: multipart/alternative; boundary="b1"\r\n'
    body = (b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Mein Chef sucht jemanden f=C3=BCr das Team =E2=80=94 Interesse an der R=\r\n"
            b"olle?\r\n" + b"x" * PREVIEW_BYTES)
    text = preview_text(head, body[:PREVIEW_BYTES], cut=True)
    assert "für das Team — Interesse an der Rolle?" in text
