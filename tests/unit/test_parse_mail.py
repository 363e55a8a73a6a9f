"""parse_message / parse_headers on inline messages: headers, bodies, quoting, hostile input."""

from __future__ import annotations

import base64
import random
import time
from datetime import UTC
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from thankful.core.html_text import html_to_text
from thankful.core.model import MailItem
from thankful.core.parse_mail import MAX_HEADER
from thankful.core.parse_mail import MAX_PARTS
from thankful.core.parse_mail import parse_headers
from thankful.core.parse_mail import parse_message

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "ics"
# Every character str.splitlines() splits on, and NUL.
BREAKS = ("\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00")


def raw(*headers: str, body: str | bytes = "hello\r\n") -> bytes:
    """A message written byte for byte: header lines as given (no encoding done for us)."""
    head = "\r\n".join(headers).encode("utf-8", "surrogateescape")
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head + b"\r\n\r\n" + data


def mail(
    text: str | None = "Hello",
    *,
    html: str | None = None,
    subject: str = "Hi",
    sender: str = "Jane Doe <jane@acme.com>",
    to: str = "Alex <alex@example.net>",
    attachments: tuple[tuple[bytes, str, str, str], ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """A well-formed message built with the stdlib; attachments are (data, maintype, subtype, name)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 05 Mar 2024 10:00:00 -0500"
    msg["Message-ID"] = "<m1@acme.com>"
    for name, value in headers:
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def single_line(value: str) -> bool:
    return "".join(value.splitlines()) == value and "\x00" not in value


ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


class TestHeaders:
    @pytest.mark.parametrize("char", BREAKS, ids=[f"U+{ord(c):04X}" for c in BREAKS])
    def test_encoded_line_breaks_are_stripped_everywhere(self, char: str) -> None:
        q = "".join(f"={b:02X}" for b in char.encode("utf-8"))
        item = parse_message(raw(
            f"Subject: =?UTF-8?Q?Hi{q}Bcc:_evil@x.com?=",
            f"From: =?UTF-8?Q?Jane{q}Bcc:_evil@x.com?= <jane@acme.com>",
            f"Message-ID: <a{char if char not in chr(13) + chr(10) else ''}b@acme.com>",
        ))
        for value in (item.subject, item.sender.name if item.sender else "", item.message_id):
            assert single_line(value), repr(value)
        assert "Bcc: evil@x.com" in item.subject  # kept as text, not as a header

    def test_cve_2024_6923_subject(self) -> None:
        item = parse_message(raw("Subject: =?UTF-8?Q?Hi=0ABcc:_evil@x.com?=", "From: a@b.com"))
        assert item.subject == "Hi Bcc: evil@x.com"

    @pytest.mark.parametrize(("header", "name", "email"), [
        ("From: =?utf-8?q?Jos=C3=A9_M=C3=BCller?= <Jose.Muller@Acme.COM>", "José Müller",
         "jose.muller@acme.com"),
        ("From: =?iso-8859-1?q?Zo=EB?= Brandt <zoe@acme.com>", "Zoë Brandt", "zoe@acme.com"),
        ("From: Zo\udcc3\udcab Brandt <zoe@acme.com>", "Zoë Brandt", "zoe@acme.com"),  # raw 8-bit
        ('From: "Doe, Jane" <jane@acme.com>', "Doe, Jane", "jane@acme.com"),
        ("From: =?utf-8?q?Doe=2C_Jane?= <jane@acme.com>", "Doe, Jane", "jane@acme.com"),
        ('From: "=?utf-8?q?Ren=C3=A9e?=" <renee@acme.com>', "Renée", "renee@acme.com"),
        ("From: jane@acme.com", "", "jane@acme.com"),
        ("From: =?x-unknown?q?Jane?= <jane@acme.com>", "Jane", "jane@acme.com"),
    ])
    def test_sender_name_and_address(self, header: str, name: str, email: str) -> None:
        item = parse_message(raw(header))
        assert item.sender is not None
        assert (item.sender.name, item.sender.email) == (name, email)

    @pytest.mark.parametrize(("value", "emails"), [
        ("undisclosed-recipients:;", ()),
        ("Alex <alex@example.net>, nobody, Bob <BOB@Y.ORG>", ("alex@example.net", "bob@y.org")),
        ("a@x.com, a@x.com", ("a@x.com",)),
        ("Team: a@x.com, b@x.com;", ("a@x.com", "b@x.com")),
        ("<>", ()),
    ])
    def test_recipients_without_at_are_dropped(self, value: str, emails: tuple[str, ...]) -> None:
        item = parse_message(raw(f"To: {value}"))
        assert tuple(a.email for a in item.to) == emails

    @pytest.mark.parametrize(("value", "expected"), [
        ("Tue, 05 Mar 2024 10:00:00 -0500", datetime(2024, 3, 5, 15, 0, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 10:00:00 -0000", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),
        ("5 Mar 2024 10:00 +0100", datetime(2024, 3, 5, 9, 0, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("Tue, 05 Mar 99999 10:00:00 +0000", None),
        ("", None),
    ])
    def test_date_is_aware_utc_or_none(self, value: str, expected: datetime | None) -> None:
        item = parse_message(raw(f"Date: {value}"))
        assert item.date == expected
        if item.date is not None:
            assert item.date.utcoffset() is not None

    def test_message_ids(self) -> None:
        item = parse_message(raw(
            "Message-ID: <m3@acme.com>", "In-Reply-To: <m2@acme.com> (comment)",
            "References: <m1@acme.com>\r\n <m2@acme.com>",
        ))
        assert (item.message_id, item.in_reply_to) == ("<m3@acme.com>", "<m2@acme.com>")
        assert item.references == ("<m1@acme.com>", "<m2@acme.com>")

    def test_message_id_without_brackets(self) -> None:
        assert parse_message(raw("Message-ID: abc@robot.io")).message_id == "<abc@robot.io>"

    def test_long_references_keep_the_nearest_ancestors(self) -> None:
        refs = " ".join(f"<r{i}@x.com>" for i in range(2000))
        item = parse_message(raw(f"References: {refs}"))
        assert item.references[-1] == "<r1999@x.com>"

    def test_long_header_is_cut_quickly(self) -> None:
        start = time.perf_counter()
        item = parse_message(raw("Subject: " + "=?utf-8?q?a?= (" * 40_000, "To: " + "a, " * 100_000))
        assert time.perf_counter() - start < 2.0
        assert len(item.subject) <= MAX_HEADER

    def test_selected_headers_lower_case(self) -> None:
        item = parse_message(raw(
            "List-Id: Tips <tips.example.com>", "List-Unsubscribe: <https://x/u>",
            "Auto-Submitted: auto-replied", "X-Autoreply: yes", "Precedence: bulk",
            "X-Mailer: Thing 1.0", "X-Thankful-Note: abc", "Delivered-To: Alex@Example.net",
            "X-Original-To: alex+jobs@example.net", "X-Secret: not kept",
        ))
        assert item.headers["list-id"] == "Tips <tips.example.com>"
        assert {"list-unsubscribe", "auto-submitted", "x-autoreply", "precedence",
                "x-mailer", "x-thankful-note", "delivered-to"} <= set(item.headers)
        assert "x-secret" not in item.headers
        assert item.delivered_to == ("alex@example.net", "alex+jobs@example.net")
        assert item.is_thankful


class TestBodies:
    @pytest.mark.parametrize(("ctype", "payload", "text", "problem"), [
        ("text/plain; charset=utf-8", "Grüße".encode(), "Grüße", None),
        ("text/plain; charset=iso-8859-1", "Grüße".encode("latin-1"), "Grüße", None),
        ("text/plain", "Grüße".encode(), "Grüße", None),  # undeclared 8-bit: UTF-8
        ("text/plain; charset=x-no-such-charset", "Grüße".encode(), "Grüße", "unknown charset"),
        ("text/plain; charset=base64", b"hello", "hello", "unknown charset"),  # not a text codec
        ("text/plain; charset=utf-8", b"Gr\xfc\xdfe", "Gr\ufffd\ufffde", "invalid for charset"),
    ])
    def test_charsets(self, ctype: str, payload: bytes, text: str, problem: str | None) -> None:
        item = parse_message(raw(f"Content-Type: {ctype}", body=payload))
        assert item.text == text
        assert (problem is None) == (not item.problems)
        if problem:
            assert any(problem in p for p in item.problems)

    def test_plain_preferred_over_html(self) -> None:
        item = parse_message(mail("plain words", html="<p>html words</p>"))
        assert item.text == "plain words"

    def test_empty_plain_alternative_loses_to_html(self) -> None:
        assert parse_message(mail(" ", html="<p>Interview on Monday</p>")).text == (
            "Interview on Monday")

    def test_html_charset_from_meta(self) -> None:
        html = '<html><head><meta charset="windows-1252"></head><body>Caf\xe9</body></html>'
        item = parse_message(raw("Content-Type: text/html", body=html.encode("latin-1")))
        assert (item.text, item.problems) == ("Café", ())

    def test_html_only_becomes_readable_text(self) -> None:
        html = (
            "<html><head><title>T</title><style>p{color:red}</style></head><body>"
            "<script>alert(1)</script><p>Hi Alex,</p><div>Join here: "
            '<a href="https://acme.zoom.us/j/123">Zoom link</a></div>'
            "<ul><li>Priya &amp; Tom</li><li>Caf&eacute;</li></ul></body></html>"
        )
        item = parse_message(mail(None, html=html))
        assert "alert" not in item.text and "color" not in item.text
        assert "Zoom link (https://acme.zoom.us/j/123)" in item.text
        assert "Priya & Tom\nCafé" in item.text
        assert item.text.startswith("Hi Alex,\n")

    def test_html_blockquote_is_quoted_history(self) -> None:
        html = "<div>See you then!</div><blockquote><p>Your offer letter is attached</p></blockquote>"
        item = parse_message(mail(None, html=html))
        assert "Your offer letter" in item.text
        assert item.new_text == "See you then!"

    def test_attachment_recorded_not_decoded(self) -> None:
        item = parse_message(mail(attachments=((b"%PDF-1.4 x" * 100, "application", "pdf",
                                                "Offer Letter.pdf"),)))
        assert [(a.filename, a.content_type) for a in item.attachments] == [
            ("Offer Letter.pdf", "application/pdf")]
        assert abs(item.attachments[0].size - 1000) <= 3
        assert item.text == "Hello"

    @pytest.mark.parametrize(("maintype", "subtype", "name"), [
        ("text", "calendar", "invite.ics"),
        ("application", "ics", "invite.ics"),
        ("application", "octet-stream", "Interview.ICS"),
    ])
    def test_calendar_attachments_are_decoded(self, maintype: str, subtype: str, name: str) -> None:
        item = parse_message(mail(attachments=((ICS, maintype, subtype, name),)))
        assert item.calendar_parts == (ICS,)

    def test_inline_calendar_alternative(self) -> None:
        # Outlook: text/plain, text/html and text/calendar as alternatives.
        body = (
            "--b1\r\nContent-Type: text/plain\r\n\r\nInterview invite\r\n"
            "--b1\r\nContent-Type: text/html\r\n\r\n<p>Interview invite</p>\r\n"
            "--b1\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(ICS).decode() + "--b1--\r\n"
        )
        item = parse_message(raw('Content-Type: multipart/alternative; boundary="b1"', body=body))
        assert item.calendar_parts == (ICS,)
        assert item.text == "Interview invite"
        assert item.attachments == ()

    def test_forwarded_message_attachment(self) -> None:
        inner = EmailMessage()
        inner["From"] = "Priya <priya@acme.com>"
        inner["Subject"] = "Your offer"
        inner.set_content("We are delighted to offer you the role.")
        outer = EmailMessage()
        outer["From"] = "sam@gmail.com"
        outer.set_content("FYI, look at this!")
        outer.add_attachment(inner)
        item = parse_message(outer.as_bytes())
        assert "delighted to offer" in item.text
        assert "Subject: Your offer" in item.text
        assert item.new_text == "FYI, look at this!"

    def test_text_bounded_by_max_text(self) -> None:
        item = parse_message(mail("word " * 100_000), max_text=1000)
        assert len(item.text) <= 1000
        assert any("limit" in p for p in item.problems)


# (text, new_text): what a sender wrote, without quoted history.
QUOTES = [
    pytest.param(
        "Thanks, see you then!\n\nOn Tue, Mar 5, 2024 at 10:00 AM Priya Shah <priya@acme.com>\n"
        "wrote:\n> We are delighted to offer you\n> the position.", "Thanks, see you then!",
        id="gmail-wrapped"),
    pytest.param(
        "Sounds good.\n\nOn 5 Mar 2024, at 10:00, Priya wrote:\n\n> Offer attached.",
        "Sounds good.", id="apple"),
    pytest.param(
        "Great!\r\n\r\n-----Original Message-----\r\nFrom: Priya\r\nSent: Tuesday\r\n\r\nOffer",
        "Great!", id="original-message"),
    pytest.param(
        "Great!\n\n________________________________\nFrom: Priya Shah <priya@acme.com>\n"
        "Sent: Tuesday, March 5, 2024 10:00 AM\nTo: Alex\nSubject: Offer\n\nWe are delighted",
        "Great!", id="outlook"),
    pytest.param(
        "Merci !\n\nLe mar. 5 mars 2024 à 10:00, Priya <priya@acme.com> a écrit :\n> Offre",
        "Merci !", id="french"),
    pytest.param(
        "Danke!\n\nAm Di., 5. März 2024 um 10:00 Uhr schrieb Priya <priya@acme.com>:\n> Angebot",
        "Danke!", id="german"),
    pytest.param(
        "See below, thought you'd like this.\n\n---------- Forwarded message ---------\n"
        "From: Priya <priya@acme.com>\nSubject: Offer\n\nWe are delighted to offer you",
        "See below, thought you'd like this.", id="gmail-forward"),
    pytest.param(
        "FYI\n\nBegin forwarded message:\n\nFrom: Priya <priya@acme.com>\nOffer letter",
        "FYI", id="apple-forward"),
    pytest.param(
        "On Tue, Priya wrote:\n> Can you do Tuesday?\n\nYes, Tuesday works.\n> And Wednesday?\nNo.",
        "Yes, Tuesday works.\nNo.", id="inline-reply"),
    pytest.param("> quoted only\n>> deeper", "", id="only-quotes"),
]


class TestQuotes:
    @pytest.mark.parametrize(("text", "new_text"), QUOTES)
    def test_new_text(self, text: str, new_text: str) -> None:
        item = parse_message(raw("Content-Type: text/plain; charset=utf-8", body=text))
        assert item.new_text == new_text
        assert item.text.replace("\r\n", "\n").strip() == text.replace("\r\n", "\n").strip()


def _multipart(parts: str, boundary: str = "b") -> bytes:
    return raw(f'Content-Type: multipart/mixed; boundary="{boundary}"', "Subject: x", body=parts)


class TestBrokenInput:
    @pytest.mark.parametrize(("data", "text", "problem"), [
        (raw("Content-Type: multipart/mixed", "Subject: x", body="just words\r\n"),
         "just words", "without boundary"),
        (_multipart("preamble\r\nno parts here\r\n"), "preamble\nno parts here", "not found"),
        (_multipart("--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b\r\n"
                    "Content-Type: text/plain\r\n\r\nsecond, cut off"),
         "first part\n\nsecond, cut off", "truncated"),
        (_multipart("--b\r\nContent-Type: text/plain\r\n\r\nok\r\n--bx\r\nstill part one\r\n--b--\r\n"),
         "ok\r\n--bx\r\nstill part one", None),
        (raw("Content-Type: text/plain", "Content-Transfer-Encoding: base64", body="aGVsbG8=!!*\r\n"),
         "hello", None),
    ], ids=["no-boundary", "boundary-missing", "truncated", "longer-boundary", "bad-base64"])
    def test_broken_mime(self, data: bytes, text: str, problem: str | None) -> None:
        item = parse_message(data)
        assert item.text.replace("\r\n", "\n") == text.replace("\r\n", "\n")
        if problem:
            assert any(problem in p for p in item.problems), item.problems

    @pytest.mark.parametrize("data", [
        b"", b"\r\n\r\n", b"no colon here", b"Subject: only headers", b"\xff\xfe\x00" * 100,
        b"From: <<<@@@>>>\r\nTo: ,,,;;;\r\nDate: \x00\r\n\r\n\x00",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
    ])
    def test_garbage_never_raises(self, data: bytes) -> None:
        assert isinstance(parse_message(data), MailItem)
        assert isinstance(parse_headers(data), MailItem)

    def test_random_and_truncated_input_never_raises(self) -> None:
        rng = random.Random(7)
        good = mail("Hello there", html="<p>Hello</p>",
                    attachments=((ICS, "text", "calendar", "i.ics"),))
        for cut in range(0, len(good), max(1, len(good) // 60)):
            parse_message(good[:cut])
        for _ in range(50):
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
            parse_message(good[: rng.randrange(len(good))] + noise)

    def test_part_count_is_bounded(self) -> None:
        parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(5000))
        start = time.perf_counter()
        item = parse_message(_multipart(parts + "--b--\r\n"))
        assert time.perf_counter() - start < 2.0
        assert any(str(MAX_PARTS) in p for p in item.problems)

    def test_depth_is_bounded(self) -> None:
        body = ""
        for i in range(40):
            body += f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
        item = parse_message(raw('Content-Type: multipart/mixed; boundary="b0"', body=body))
        assert any("deeper" in p for p in item.problems)

    def test_twenty_megabyte_attachment_is_fast(self) -> None:
        big = random.Random(1).randbytes(15_000_000)  # 20 MB once base64-encoded
        data = _multipart(
            "--b\r\nContent-Type: text/plain\r\n\r\nOffer attached\r\n--b\r\n"
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
            'Content-Disposition: attachment; filename="offer.pdf"\r\n\r\n'
            + base64.encodebytes(big).decode("ascii") + "--b--\r\n"
        )
        assert len(data) > 20_000_000
        start = time.perf_counter()
        item = parse_message(data)
        elapsed = time.perf_counter() - start
        assert elapsed < 1.5, elapsed
        assert item.text == "Offer attached"
        assert abs(item.attachments[0].size - 15_000_000) <= 3
        start = time.perf_counter()
        assert parse_headers(data).subject == "x"
        assert time.perf_counter() - start < 0.5

    def test_many_lines_of_text_are_bounded(self) -> None:
        data = raw("Content-Type: text/plain", body=b"a\r\n" * 5_000_000)
        start = time.perf_counter()
        item = parse_message(data)
        assert time.perf_counter() - start < 2.0
        assert len(item.text) <= 200_000

    @pytest.mark.parametrize("markup", [
        "<a" * 200_000, "</" * 200_000, "<!" * 200_000, "<b>x</b>" * 50_000, "<?" * 200_000,
        '<a x=">' * 50_000, "<blockquote>" * 50_000,
    ], ids=["lt", "lt-slash", "bang", "tags", "pi", "attr", "deep-quotes"])
    def test_hostile_html_is_bounded(self, markup: str) -> None:
        start = time.perf_counter()
        html_to_text(markup)
        assert time.perf_counter() - start < 1.5


class TestParseHeaders:
    def test_headers_only(self) -> None:
        item = parse_headers(mail("Body text", headers=(("X-Thankful-Note", "k1"),
                                                        ("In-Reply-To", "<p@acme.com>"))))
        assert (item.subject, item.in_reply_to, item.text) == ("Hi", "<p@acme.com>", "")
        assert item.sender is not None and item.sender.email == "jane@acme.com"
        assert item.to[0].email == "alex@example.net"
        assert item.is_thankful


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "subject", "parts"), [
    ("apple_mail_invitation_qp.eml", "Einladung zum iCal-Ereignis: Einladung", 1),
    ("tine20_cancel_email.eml", 'Termin "test mit extern" am 21.11.2011 13:00:00 wurde abgesagt', 2),
])
def test_corpus_invitations(name: str, subject: str, parts: int) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    item = parse_message(path.read_bytes())
    assert item.subject == subject
    assert len(item.calendar_parts) == parts
    assert all(p.startswith(b"BEGIN:VCALENDAR") for p in item.calendar_parts)
    assert not item.problems
