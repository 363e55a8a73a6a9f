"""The scan's quick header readers agree with the slow, general ones they stand in for.

A first scan judges every message by ``triage_headers`` (a header block split by one
regular expression, the sender read without the full address parser); drafts and
detection use ``parse_headers``/``parse_message``. On the labelled corpus, the demo
mail and thousands of generated and garbled values both give the same answers.
"""

from __future__ import annotations

import random
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from thankful.core import mail_headers as mh
from thankful.core.parse_mail import TRIAGE_FIELDS
from thankful.core.parse_mail import parse_headers
from thankful.core.parse_mail import parse_message
from thankful.core.parse_mail import triage_headers
from thankful.demo_data import build_demo

CORPUS = sorted(Path(__file__).resolve().parents[1].joinpath("detection").rglob("*.eml"))


def _samples() -> list[bytes]:
    demo = build_demo(datetime(2026, 3, 20, 18, 0, tzinfo=UTC))
    return [p.read_bytes() for p in CORPUS] + list(demo.inbox) + list(demo.sent)


def test_triage_headers_read_what_the_email_parser_reads() -> None:
    samples = _samples()
    assert len(samples) > 200
    for raw in samples:
        quick, full = triage_headers(raw), parse_message(raw)
        assert quick.sender == full.sender
        assert quick.subject == full.subject
        assert quick.message_id == full.message_id
        assert quick.headers == {k: v for k, v in full.headers.items() if k in TRIAGE_FIELDS}
        assert parse_headers(raw).to == full.to


@pytest.mark.parametrize("seed", range(4))
def test_first_address_is_the_parsers_first_address(seed: int) -> None:
    rng = random.Random(seed)
    values = ['Jane Doe <jane@acme.com>', '"Doe, Jane" <jane@acme.com>', "jane@acme.com",
              "=?utf-8?q?J=C3=BCrgen?= <j@x.de>", '"a@b.com" <evil@x.com>',
              "a@b.com, c@d.com", "jane@acme.com (Jane Doe)", '"Jane \\"JD\\" Doe" <j@a.com>',
              "undisclosed-recipients:;", "Maïa <maia@x.fr>", '"<a@b.com>" <c@d.com>',
              "Foo Bar<foo@bar.io>", "=?utf-8?q?=0ABcc:_x@y.com?= <a@b.com>"]
    alphabet = 'ab@.<>" ,;:\\()=?\t\r\n\x00é'
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30)))
               for _ in range(5000)]
    for value in values:
        idx = mh.HeaderIndex([("from", value)])
        full = mh.addresses(idx, "from")
        assert mh.first_address(idx, "from") == (full[0] if full else None), repr(value)


def test_a_block_is_split_as_the_parser_splits_it() -> None:
    block = (b"From nobody Mon Jan  1 00:00:00 2024\r\n"
             b"Subject: one\r\n two\r\n\tthree\r\nX-Thankful-Note: n1\r\n"
             b"subject: again\r\nList-Id: <x.example.com>\r\nFrom:jane@acme.com\r\n"
             b"Received: from a\r\n by b\r\n")
    idx = mh.HeaderIndex.of_block(block)
    assert idx.values("subject") == ["one two\tthree", "again"]
    assert idx.values("from") == ["jane@acme.com"]
    assert idx.values("received") == ["from a by b"]
    assert idx.values("x-thankful-note") == ["n1"] and "x-thankful-kind" not in idx
    assert "subject" in idx and "Subject" not in idx
    # 8-bit bytes are read as UTF-8, else cp1252, exactly as for a parsed message.
    idx = mh.HeaderIndex.of_block("Subject: Grüße\r\n".encode() + b"From: J\xfcrgen <j@x.de>\r\n")
    assert idx.values("subject") == ["Grüße"] and idx.values("from") == ["Jürgen <j@x.de>"]
