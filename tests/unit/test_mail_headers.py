"""The scan's quick header readers agree with the slow, general ones they stand in for.

A first scan judges every message by ``triage_headers`` (a header block split by one
regular expression, the sender read without the full address parser); drafts and
detection use ``parse_headers``/``parse_message``. On the labelled corpus, the demo
mail and thousands of generated and garbled values both give the same answers.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path

import pytest

from thankful.core import mail_headers as mh
from thankful.core.model import Address
from thankful.core.model import Identity
from thankful.core.parse_mail import GLANCE_VALUES
from thankful.core.parse_mail import TRIAGE_FIELDS
from thankful.core.parse_mail import glance
from thankful.core.parse_mail import parse_headers
from thankful.core.parse_mail import parse_message
from thankful.core.parse_mail import triage_headers
from thankful.core.prefilter import triage
from thankful.core.prefilter import triage_glance
from thankful.demo_data import build_demo

ME = Identity(name="Sam Rivera", addresses=frozenset({"sam@example.org"}),
              employer_domains=frozenset({"acme.com"}))
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


def _glance_agrees(raw: bytes) -> None:
    quick, item = glance(raw), triage_headers(raw)
    assert quick is not None
    assert quick.sender == (item.sender.email if item.sender else "")
    assert quick.subject == item.subject
    assert quick.present == frozenset(item.headers)
    assert quick.values == {k: v for k, v in item.headers.items() if k in GLANCE_VALUES}
    assert quick.is_thankful == item.is_thankful
    assert triage_glance(quick, ME) == triage(item, ME)


def test_a_glance_reads_what_triage_headers_reads() -> None:
    for raw in _samples():
        _glance_agrees(raw)


@pytest.mark.parametrize("seed", range(4))
def test_a_glance_of_garbled_blocks_reads_what_triage_headers_reads(seed: int) -> None:
    rng = random.Random(seed)
    names = ["From", "FROM", "from", "Subject", "subject", "SUBJECT", "List-Id",
             "List-Unsubscribe", "Precedence", "Auto-Submitted", "X-Autoreply", "Content-Type",
             "Feedback-ID", "X-SG-EID", "X-Thankful-Note", "X-Thankful-Kind", "Received",
             "To", "List-Idx", "Fromage", "X-Campaign", "X-CampaignID", " From", "From "]
    values = ["Jane <jane@acme.com>", "=?utf-8?b?SW50ZXJ2aWV3IGludml0ZQ==?=", "bulk",
              "auto-replied", "text/calendar; method=REQUEST", "<list.example.com>", "",
              "Interview next week", "J\xfcrgen <j@x.de>", "noreply@shop.example",
              "=?iso-8859-1?q?Caf=E9?=", "a@b, c@d", "  spaced   out  ", "x\x00y",
              "recruiting@greenhouse.io", "sam@example.org"]
    for _ in range(3000):
        lines = []
        for _ in range(rng.randrange(0, 9)):
            value = rng.choice(values)
            if rng.random() < 0.2:
                value = value[:len(value) // 2] + "\r\n\t" + value[len(value) // 2:]
            lines.append(f"{rng.choice(names)}:{rng.choice(['', ' ', '  '])}{value}")
            if rng.random() < 0.1:
                lines.append(rng.choice(["garbage line", " continued", "", "From x"]))
        end = rng.choice(["\r\n", "\n"])
        raw = end.join(lines).encode() + end.encode() * 2
        if rng.random() < 0.3:
            raw += b"From: body@example.com\r\nSubject: interview\r\n"
        if rng.random() < 0.2:  # raw 8-bit bytes, as careless senders write them
            raw = raw.replace("ü".encode(), b"\xfc")
        _glance_agrees(raw)


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


def _addresses_by_parser(value: str) -> tuple[Address, ...]:
    """What :func:`mh.addresses` gives, read by the full address parser only."""
    out: list[Address] = []
    for disp, addr in getaddresses([value[:mh.MAX_HEADER]])[:mh.MAX_ADDRESSES]:
        email = mh.clean_header_text(addr, 320).lower()
        if not mh._EMAIL_OK.fullmatch(email) or email in {a.email for a in out}:
            continue
        name = mh.clean_header_text(mh.decode_unstructured(disp), 200).strip("\"' ")
        out.append(Address(name=name, email=email))
    return tuple(out)


@pytest.mark.parametrize("seed", range(4))
def test_address_lists_are_read_as_the_parser_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    mailboxes = ['Jane Doe <jane@acme.com>', '"Doe, Jane" <jane@acme.com>', "jane@acme.com",
                 "=?utf-8?q?J=C3=BCrgen?= <j@x.de>", '"a@b.com" <evil@x.com>', "<bo@x.io>",
                 "jane@acme.com (Jane Doe)", "Maïa <maia@x.fr>", "  Foo   Bar <f@b.io> ",
                 "undisclosed-recipients:;", "", "Team <team@acme.com>", "x", "a@b",
                 "j@x.com <k@y.com>", "Jane [Acme] <j@a.com>", "Jane Q. Doe <j@a.com>",
                 "O'Brien <o@b.ie>", "a@[10.0.0.1]", "Ana María <a@b.es>", "<a[b]@c.d>"]
    alphabet = 'ab@.<>" ,;:\\()=?\t\r\n\x00é'
    for _ in range(4000):
        if rng.random() < 0.7:
            value = ",".join(rng.choice(mailboxes) for _ in range(rng.randrange(1, 6)))
        else:
            value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        idx = mh.HeaderIndex([("to", value)])
        assert mh.addresses(idx, "to") == _addresses_by_parser(value), repr(value)


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


def _encoded_value(rng: random.Random) -> str:
    """An encoded header value: mostly the usual shape, often not."""
    words = []
    charset = rng.choice(["utf-8", "UTF-8", "iso-8859-1", "", "x-unknown", "utf-8*en"])
    for _ in range(rng.randrange(1, 5)):
        text = "".join(rng.choice(["J", "=C3=BC", "rgen", "_", "=3F", "=", "=Z1", "=e9", "a b",
                                   "\t", "?", "4pyU", "SGVsbG8", "=="]) for _ in range(rng.randrange(0, 6)))
        if rng.random() < 0.4:  # a base64 word, sometimes broken
            raw = "".join(rng.choice(["Jürgen ", "Interview", "日本", "\u2028", "x"])
                          for _ in range(rng.randrange(0, 4)))
            text = base64.b64encode(raw.encode(rng.choice(["utf-8", "latin-1"]), "replace")).decode()
            if rng.random() < 0.2:
                text = text.rstrip("=") + rng.choice(["", "!", "=", "A"])
            kind = rng.choice("bB")
        else:
            kind = rng.choice("qQ")
        cs = charset if rng.random() < 0.9 else rng.choice(["utf-8", "koi8-r", "Utf-8"])
        words.append(f"=?{cs}?{kind}?{text}?=")
    seps = [rng.choice([" ", "  ", "\t", "", " \t", "x", " plain ", "\x0c"]) for _ in words]
    value = "".join(w + s for w, s in zip(words, seps, strict=True))
    value = value[:-len(seps[-1])] if seps[-1] and rng.random() < 0.8 else value
    return rng.choice(["", " ", "Re: ", "\t"]) + value if rng.random() < 0.3 else value


_ODD_ENCODED = [
    "=?utf-8?q?a?==?utf-8?q? ?==?utf-8?q?b?=",  # decode_header drops the middle word
    "=?utf-8?q?a?= =?utf-8?q?\t?= =?utf-8?q?b?=", "=?utf-8?b??=", "=??q?abc?=",
    "=?utf-8?q?a?=\x0b=?utf-8?q?b?=", "=?utf-8?q?caf=C3=A9?= ", " =?utf-8?B?SGk=?=",
    "=?utf-8?q?=C3?= =?utf-8?q?=A9?=",  # one character across two words
]


@pytest.mark.parametrize("seed", range(4))
def test_encoded_words_decode_as_the_email_package_decodes_them(seed: int) -> None:
    for value in _ODD_ENCODED:
        assert mh.decode_words(value) == mh._decode_words_email(value), value
    rng = random.Random(seed)
    quick = 0
    for _ in range(5000):
        value = _encoded_value(rng)
        assert mh.decode_words(value) == mh._decode_words_email(value), value
        quick += mh._decode_words_quick(value) is not None
    assert quick > 500
