"""A preview of plain text read without the email parser reads what the parser reads.

``parse_mail._plain_preview`` stands in for the long way (``_preview``: the message
walked as ``parse_message`` walks it) for a single part of plain text; it must give the
same text for every body, every transfer encoding and every charset, and leave every
other shape to the long way.
"""

from __future__ import annotations

import base64
import quopri
import random
from datetime import UTC
from datetime import datetime
from email.message import Message
from pathlib import Path

import pytest

from thankful.core import parse_mail
from thankful.core.mail_headers import MIME_POLICY
from thankful.core.prefilter import PREVIEW_BYTES
from thankful.demo_data import build_demo

CORPUS = sorted(Path(__file__).resolve().parents[1].joinpath("detection").rglob("*.eml"))


def _agree(head: bytes, start: bytes) -> bool:
    """Both readings of a cut body agree; whether the quick one answered."""
    quick = parse_mail._plain_preview(head, start)
    if quick is not None:
        assert quick == parse_mail._preview(head, start), (head, start[:200])
    assert parse_mail.preview_text(head, start, cut=False) == parse_mail._preview(head, start)
    whole = start + b"a partial line"
    kept = whole[:whole.rfind(b"\n") + 1]
    assert parse_mail.preview_text(head, whole, cut=True) == parse_mail._preview(head, kept)
    return quick is not None


def test_real_messages_read_the_same_either_way() -> None:
    demo = build_demo(datetime(2026, 3, 20, 18, 0, tzinfo=UTC))
    quick = 0
    for raw in [p.read_bytes() for p in CORPUS] + list(demo.inbox) + list(demo.sent):
        head, body = parse_mail._split_head(raw)
        start = body[:PREVIEW_BYTES]
        start = start[:start.rfind(b"\n") + 1] if len(body) > PREVIEW_BYTES else start
        quick += _agree(parse_mail.mime_head(head), start)
        quick += _agree(head, start)
    assert quick > 50


_TYPES = ["text/plain", "TEXT/Plain", 'text/plain; charset="utf-8"', "text/plain; charset=UTF-8",
          "text/plain; charset=iso-8859-1; format=flowed", "text/plain; format=flowed",
          'text/plain; charset="utf-8"; delsp=yes; format=flowed', "text/plain;charset=us-ascii",
          "text/plain; charset=x-unknown-thing", "text/plain; charset=utf-16",
          "text/plain; charset=windows-1252 ", "text/plain; charset=utf-8; charset=latin-1",
          "text/plain; charset*=utf-8''x", "text/plain; charset=\"utf-8", "text/plain; name=a.txt",
          "text/html; charset=utf-8", "multipart/mixed; boundary=x", "text/calendar", "garbage",
          "text/plain; charset=cp1252; x=\"a;b\"", "text/plain ; charset=koi8-r", "", "text/plainx",
          # A name can make the part a calendar file (or an attachment).
          "text/plain; name=invite.ics", 'text/plain; charset=utf-8; name="A.ICS"',
          "text/plain; name*=utf-8''a.ics", "text/plain; filename=a.ics",
          # The email package reads only the first MAX_HEADER characters of a value.
          "text/plain" + " " * 4000 + "; charset=koi8-r", "text/plain; charset=koi8-r" + " " * 3990,
          "text/plain" + "; format=flowed" * 300 + "; charset=koi8-r"]
_CTES = ["", "7bit", "8bit", "quoted-printable", "Quoted-Printable ", "base64", " BASE64",
         "binary", "x-uuencode", "garbage", "base64" + " " * 4000 + "x", "base64" + " " * 3990]


def _body(rng: random.Random, cte: str) -> bytes:
    words = ["Hello", "Jürgen", "interview", "naïve café", "日本語", "\r\n", "\n", "\x00",
             "= ", "=3D", "=\r\n", "=C3=A9", "=ZZ", "====", "  ", "\t", "\u2028", "Привет",
             "BEGIN:VCALENDAR\r\n"]
    text = "".join(rng.choice(words) for _ in range(rng.randrange(0, 60)))
    data = text.encode(rng.choice(["utf-8", "latin-1", "utf-16", "koi8-r"]), "replace")
    kind = cte.strip().lower()
    if kind == "base64" and rng.random() < 0.7:
        data = base64.encodebytes(data)
        if rng.random() < 0.3:  # cut or broken padding
            data = data[:rng.randrange(len(data) + 1)] + rng.choice([b"", b"=", b"!!", b"\r\n"])
    elif kind == "quoted-printable" and rng.random() < 0.7:
        data = quopri.encodestring(data)
    if rng.random() < 0.2:
        data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
    return data


@pytest.mark.parametrize("seed", range(4))
def test_generated_plain_text_reads_the_same_either_way(seed: int) -> None:
    rng = random.Random(seed)
    quick = 0
    for _ in range(1500):
        lines = []
        if rng.random() < 0.9:
            lines.append(f"Content-Type: {rng.choice(_TYPES)}")
        if rng.random() < 0.8:
            lines.append(f"Content-Transfer-Encoding: {rng.choice(_CTES)}")
        if rng.random() < 0.1:
            lines.append("Content-Type: text/html")  # a second one: the first counts
        rng.shuffle(lines)
        head = ("\r\n".join(["From: a@example.com", *lines]) + "\r\n").encode()
        cte = next((x.split(":", 1)[1][:4000] for x in lines if x.startswith("Content-Trans")), "")
        quick += _agree(head, _body(rng, cte))
    assert quick > 500


@pytest.mark.parametrize("seed", range(2))
def test_quoted_printable_is_undone_as_the_email_package_undoes_it(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = b"=abc \t\r\n0123456789ABCDEFZ\xff"
    for _ in range(3000):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        part = Message(policy=MIME_POLICY)
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(body.decode("ascii", "surrogateescape"))
        assert parse_mail._undo_transfer("quoted-printable", body) == part.get_payload(decode=True)
