"""The bulk FETCH reader (adapters/imap_raw.py): exact on good answers, calm on bad ones.

Answers are written as imaplib hands them over (text up to each literal paired with the
literal, then the text after it), including the item orders servers really use; a
seeded fuzzer then cuts, duplicates and garbles them: the reader must never raise and
never invent a message or a literal.
"""

from __future__ import annotations

import imaplib
import io
import random
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest

from thankful.adapters.imap_raw import HUGE_SIZE
from thankful.adapters.imap_raw import FetchAbortedError
from thankful.adapters.imap_raw import Fetched
from thankful.adapters.imap_raw import FetchRefusedError
from thankful.adapters.imap_raw import internaldate
from thankful.adapters.imap_raw import parse_fetch
from thankful.adapters.imap_raw import read_fetch
from thankful.adapters.imap_raw import uid_set

HEAD = b"From: a@example.com\r\nSubject: hi\r\n\r\n"


def test_uid_sets_are_written_as_ranges() -> None:
    assert uid_set([]) == ""
    assert uid_set([7]) == "7"
    assert uid_set([1, 2, 3, 5, 9, 10, 3]) == "1:3,5,9:10"
    uids = random.Random(1).sample(range(1, 100_000), 5000)
    expanded: list[int] = []
    for part in uid_set(uids).split(","):
        lo, _, hi = part.partition(":")
        expanded += range(int(lo), int(hi or lo) + 1)
    assert expanded == sorted(uids)


def test_internaldate() -> None:
    want = datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7)))
    assert internaldate(b"17-Jul-1996 02:44:25 -0700") == want.timestamp()
    assert internaldate(b" 7-Jul-1996 02:44:25 +0000") == datetime(
        1996, 7, 7, 2, 44, 25, tzinfo=UTC).timestamp()
    for bad in (b"", b"31-Feb-2020 00:00:00 +0000", b"17-Foo-1996 02:44:25 -0700",
                b"17-Jul-1996 25:44:25 -0700", b"17-Jul-1996 02:44:25", b"\xff" * 30):
        assert internaldate(bad) is None


def test_uid_first_and_uid_last_answers() -> None:
    data = [
        (b'1 (UID 11 INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 310 '
         b"BODY[HEADER] {%d}" % len(HEAD), HEAD), b")",
        # UID after the literal (as some servers order the items), and a NIL body.
        (b'2 (INTERNALDATE "18-Jul-1996 02:44:25 +0000" BODY[HEADER] {%d}' % len(HEAD),
         HEAD.replace(b"hi", b"ho")), b" RFC822.SIZE 99 UID 12)",
        b'3 (UID 13 RFC822.SIZE 5 INTERNALDATE "18-Jul-1996 02:44:25 +0000" BODY[HEADER] NIL)',
        # An unsolicited flag update has no UID here: not a message of ours.
        b"4 (FLAGS (\\Seen))",
    ]
    got = {f.uid: f for f in parse_fetch(data)}
    assert sorted(got) == [11, 12, 13]
    assert got[11].literals == {b"BODY[HEADER]": HEAD} and got[11].size == 310
    assert got[12].literals[b"BODY[HEADER]"].endswith(b"ho\r\n\r\n") and got[12].size == 99
    assert got[12].internaldate == internaldate(b"18-Jul-1996 02:44:25 +0000")
    assert got[13].literals == {} and got[13].size == 5


def test_partial_body_and_two_literals() -> None:
    data = [(b"5 (UID 40 BODY[HEADER] {4}", b"ab\r\n"), (b" BODY[TEXT]<0> {3}", b"xyz"), b")"]
    (f,) = parse_fetch(data)
    assert f.uid == 40
    assert f.literals == {b"BODY[HEADER]": b"ab\r\n", b"BODY[TEXT]<0>": b"xyz"}


def test_literal_contents_never_count_as_items() -> None:
    evil = b"UID 999 RFC822.SIZE 1\r\n1 (UID 998 BODY[HEADER] {3}\r\n"
    data = [(b"1 (UID 7 BODY[HEADER] {%d}" % len(evil), evil), b")"]
    (f,) = parse_fetch(data)
    assert f.uid == 7 and f.size is None and f.literals[b"BODY[HEADER]"] == evil


def _answer(rng: random.Random, n: int) -> tuple[list[bytes | tuple[bytes, bytes]], set[int]]:
    data: list[bytes | tuple[bytes, bytes]] = []
    uids = set()
    for seq in range(1, n + 1):
        uid = rng.randrange(1, 10**9)
        uids.add(uid)
        lit = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        data += [(b"%d (UID %d RFC822.SIZE %d BODY[HEADER] {%d}" % (seq, uid, len(lit), len(lit)),
                  lit), b")"]
    return data, uids


@pytest.mark.parametrize("seed", range(40))
def test_garbled_answers_never_raise_or_invent(seed: int) -> None:
    rng = random.Random(seed)
    data, uids = _answer(rng, 30)
    for _ in range(rng.randrange(1, 12)):
        i = rng.randrange(len(data))
        op = rng.randrange(6)
        part = data[i]
        if op == 0:
            del data[i]
        elif op == 1:
            data.insert(i, part)
        elif op == 2 and isinstance(part, tuple):
            head = part[0]
            cut = rng.randrange(len(head) + 1)
            data[i] = (head[:cut] + bytes(rng.randrange(256) for _ in range(5)), part[1])
        elif op == 3:
            data[i] = bytes(rng.randrange(256) for _ in range(rng.randrange(30)))
        elif op == 4:
            data.insert(i, None)  # type: ignore[arg-type]  # imaplib can hand over None
        else:
            data[i] = b"* BYE going away"
    for f in parse_fetch(data):
        assert f.uid > 0
        for name, lit in f.literals.items():
            assert name.startswith(b"BODY[") or name
            assert isinstance(lit, bytes)
        # Nothing is invented: any UID read is one the answer named in its text.
        texts = [p[0] if isinstance(p, tuple) else p for p in data if p is not None]
        assert f.uid in uids or any(b"UID %d" % f.uid in t for t in texts)


def _internaldate_by_datetime(text: bytes) -> float | None:
    """The reading :func:`internaldate` stands in for: a datetime per message."""
    from thankful.adapters.imap_raw import _INTERNALDATE
    from thankful.adapters.imap_raw import _MONTHS

    m = _INTERNALDATE.match(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    try:
        offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == b"-" else 1)
        when = datetime(int(year), month, int(day), int(hh), int(mm), int(ss),
                        tzinfo=timezone(offset))
    except ValueError:
        return None
    return when.timestamp()


@pytest.mark.parametrize("seed", range(4))
def test_internaldate_arithmetic_is_the_datetime_reading(seed: int) -> None:
    rng = random.Random(seed)
    months = [b"Jan", b"feb", b"MAR", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct",
              b"Nov", b"Dec", b"Foo"]
    for _ in range(5_000):
        text = b"%2d-%s-%04d %02d:%02d:%02d %s%02d%02d" % (
            rng.randrange(0, 33), rng.choice(months), rng.choice([0, 1, 1969, 1970, 2026, 9999,
                                                                  rng.randrange(10000)]),
            rng.randrange(0, 26), rng.randrange(0, 62), rng.randrange(0, 62),
            rng.choice([b"+", b"-"]), rng.randrange(0, 30), rng.randrange(0, 99))
        assert internaldate(text) == _internaldate_by_datetime(text), text


@pytest.mark.parametrize("seed", range(4))
def test_literal_names_are_read_as_the_expression_reads_them(seed: int) -> None:
    from thankful.adapters.imap_raw import _LITERAL_NAME
    from thankful.adapters.imap_raw import _literal_name

    rng = random.Random(seed)
    pieces = [b"BODY[HEADER]", b"body[header]", b"BODY[TEXT]<0>", b"BODY[]", b"BODY[", b"]",
              b"[", b" ", b"UID 5", b"{12}", b"BODY[HEADER.FIELDS (FROM TO)]", b"x", b"<0>",
              b"RFC822", b"\t", b"}"]
    for _ in range(8_000):
        head = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 7)))
        head += rng.choice([b" {12}", b" {x}", b"{3}", b" {}", b" {7}\n", b""])
        m = _LITERAL_NAME.search(head)
        assert _literal_name(head) == ((m.group(1).upper(), m.start(1)) if m else None), head


def _by_imaplib(stream: bytes, tag: bytes) -> tuple[str, list[Any]]:
    """What imaplib itself reads of ``stream`` for the command tagged ``tag``: the
    reading :func:`read_fetch` stands in for (an unconnected IMAP4 on a byte stream)."""
    imap = imaplib.IMAP4.__new__(imaplib.IMAP4)
    imap.debug = 0
    imap._mode_ascii()
    imap.tagpre = b"T"
    imap.tagre = re.compile(rb"(?P<tag>T\d+) (?P<type>[A-Z]+) (?P<data>.*)", re.ASCII)
    imap.tagged_commands = {tag: None}
    imap.untagged_responses = {}
    imap.continuation_response = ""
    imap._cmd_log_len, imap._cmd_log_idx, imap._cmd_log = 10, 0, {}
    imap.file = io.BufferedReader(io.BytesIO(stream))  # type: ignore[assignment]
    try:
        typ, _ = imap._command_complete("UID", tag)
    except (imap.abort, imap.error) as exc:
        return f"error: {type(exc).__name__}", []
    return typ, list(imap.untagged_responses.get("FETCH", []))


def _by_us(stream: bytes, tag: bytes, usual: frozenset[bytes] = frozenset()
           ) -> tuple[str, list[Any]]:
    f = io.BufferedReader(io.BytesIO(stream))
    try:
        return "OK", read_fetch(f.readline, f.read, tag, usual)
    except FetchRefusedError:
        return "NO", []
    except FetchAbortedError:
        return "error: abort", []


def _server_answer(rng: random.Random) -> bytes:
    lines = []
    for seq in range(1, rng.randrange(1, 8)):
        lit = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 60)))
        if rng.random() < 0.3:
            lit = lit.replace(b"\r", b"") + b"\r\nT7 OK fake\r\n* 9 FETCH (UID 9)\r\n"
        head = b'* %d FETCH (UID %d INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE %d ' \
               b"BODY[HEADER] {%d}\r\n" % (seq, seq + 100, len(lit), len(lit))
        lines.append(head + lit + rng.choice([b")\r\n", b" BODY[TEXT]<0> {2}\r\nxy)\r\n"]))
        if rng.random() < 0.2:
            lines.append(rng.choice([b"* 3 EXISTS\r\n", b"* OK [ALERT] hi\r\n", b"+ go on\r\n",
                                     b"* 4 FETCH (FLAGS (\\Seen))\r\n", b"* 2 EXPUNGE\r\n"]))
    lines.append(rng.choice([b"T7 OK done\r\n", b"T7 NO [SERVERBUG] oops\r\n",
                             b"T7 BAD syntax\r\n", b"* BYE bye\r\n"]))
    return _garble(rng, b"".join(lines), rng.choice([0, 0, 1, 3]), line_breaks=True)


def _garble(rng: random.Random, stream: bytes, times: int, *, line_breaks: bool) -> bytes:
    """``stream`` cut, spliced with noise or holes (and, ``line_breaks``, stray CRLFs)
    ``times`` times."""
    for _ in range(times):
        i = rng.randrange(len(stream) + 1)
        op = rng.randrange(4 if line_breaks else 3)
        if op == 0:
            stream = stream[:i]
        elif op == 1:
            stream = stream[:i] + bytes(rng.randrange(256) for _ in range(3)) + stream[i:]
        elif op == 2:
            stream = stream[:i] + stream[i + rng.randrange(1, 9):]
        else:
            stream = stream[:i] + b"\r\n" + stream[i:]
    return stream


@pytest.mark.parametrize("seed", range(8))
def test_read_fetch_reads_what_imaplib_reads(seed: int) -> None:
    rng = random.Random(seed)
    agreed = 0
    for _ in range(500):
        stream = _server_answer(rng)
        want_typ, want = _by_imaplib(stream, b"T7")
        got_typ, got = _by_us(stream, b"T7")
        if want_typ == "OK":
            assert (got_typ, got) == ("OK", want), stream
            agreed += 1
        elif want_typ == "NO":
            assert got_typ == "NO", stream
        else:  # refused or broken: never data passed on as if the answer were whole
            assert got_typ != "OK" or got == want, stream
    assert agreed > 50


def test_a_literal_first_in_the_item_list_keeps_its_name() -> None:
    (f,) = parse_fetch([(b"1 (BODY[HEADER] {3}", b"A: "), b" UID 5 RFC822.SIZE 3)"])
    assert f.uid == 5 and f.literals == {b"BODY[HEADER]": b"A: "}


def test_hostile_item_lines_are_read_in_one_pass() -> None:
    # Each of these made the name expression try every position to the end (hours at
    # imaplib's megabyte line limit); now they are answered from the line's end.
    for head in (b"1 (UID 5 " + b"x" * 500_000 + b"{3}", b"1 (" + b"BODY[ " * 100_000 + b"{3}",
                 b"1 (" + b"a" * 500_000 + b" {3}", b"1 (" + b"BODY[ " * 100_000 + b" {3}"):
        (f,) = parse_fetch([(head, b"abc"), b")"]) or [Fetched(uid=1)]
        assert b"BODY[HEADER]" not in f.literals


_FIELDS = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"


def _survey_answer(rng: random.Random) -> bytes:
    """A survey's FETCH answer: mostly the usual shape, with every way a response can
    stray from it (another order or name, more items, a malformed response that adds to
    the message before it, other responses between), then a completion, and sometimes
    garbled."""
    out = []
    for seq in range(1, rng.randrange(1, 12)):
        lit = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        uid = rng.choice([b"%d" % (seq + 100)] * 2 + [b"0", b"7", b"7", b"9" * 5000])
        date = b"17-Jul-1996 02:44:25 -0700" if rng.random() < 0.8 else rng.choice(
            [b" 7-Jul-1996 02:44:25 +0000", b"31-Feb-2020 00:00:00 +0000", b"x[y",
             b"RFC822.SIZE 3", b""])
        name = _FIELDS if rng.random() < 0.8 else rng.choice(
            [_FIELDS.lower(), b"BODY[HEADER.FIELDS (X)]", b"BODY[HEADER]"])
        first = (b'* %d FETCH (UID %s INTERNALDATE "%s" RFC822.SIZE %d %s {%d}'
                 if rng.random() < 0.8 else rng.choice([
                     b'* %d FETCH (UID %s INTERNALDATE "%s" RFC822.SIZE %d  %s {%d}',
                     b'* %d FETCH (UID %s INTERNALDATE "%s" RFC822.SIZE %d FLAGS () %s {%d}',
                 ])) % (seq, uid, date, len(lit), name, len(lit))
        if rng.random() < 0.1:
            first = b'* %d FETCH (INTERNALDATE "%s" UID %s RFC822.SIZE %d %s {%d}' % (
                seq, date, uid, len(lit), name, len(lit))
        if rng.random() < 0.02:  # a literal no scan asks for: the session is given up
            first = first[:first.rfind(b"{")] + rng.choice([b"{%d}" % (1 << 40), b"{" + b"9" * 30 + b"}"])
        out.append(first + b"\r\n" + lit + (b")\r\n" if rng.random() < 0.8 else rng.choice(
            [b" BODY[TEXT]<0> {2}\r\nxy)\r\n", b" FLAGS (\\Seen))\r\n", b"\r\n", b") \r\n"])))
        if rng.random() < 0.25:
            out.append(rng.choice([
                b"* 3 EXISTS\r\n", b"+ go on\r\n", b"* OK [ALERT] hi\r\n",
                b"* 9 FETCH UID 99 RFC822.SIZE 5)\r\n",  # no "(": adds to the message before
                b"* 9 FETCH BODY[TEXT]<0> {3}\r\nabc)\r\n",
                b"* 9 FETCH (FLAGS (\\Seen))\r\n", b"* 9 FETCH (UID 7 RFC822.SIZE 1)\r\n"]))
    out.append(rng.choice([b"T7 OK done\r\n"] * 6 + [b"T7 NO [SERVERBUG] oops\r\n",
                                                     b"* BYE bye\r\n", b""]))
    return _garble(rng, b"".join(out), rng.choice([0, 0, 0, 1, 2]), line_breaks=False)


def _messages(stream: bytes, usual: frozenset[bytes]) -> tuple[str, list[Fetched], int]:
    """The messages read from a survey's answer, with the quick reading (``usual``) or
    the plain one (which ``test_read_fetch_reads_what_imaplib_reads`` holds to imaplib),
    and how many responses the quick reading took."""
    typ, data = _by_us(stream, b"T7", usual)
    return typ, parse_fetch(data, (_FIELDS,)), sum(isinstance(p, Fetched) for p in data)


@pytest.mark.parametrize("seed", range(8))
def test_the_usual_responses_read_quickly_give_what_the_plain_reading_gives(seed: int) -> None:
    rng = random.Random(seed)
    quick = plain_only = 0
    for _ in range(600):
        stream = _survey_answer(rng)
        want = _messages(stream, frozenset())
        got = _messages(stream, frozenset({_FIELDS}))
        assert got[:2] == want[:2], stream
        quick += got[2]
        plain_only += got[2] == 0 and bool(got[1])
    assert quick > 300 and plain_only > 20  # both readings were exercised


def test_a_malformed_response_after_a_quick_one_adds_to_it_as_before() -> None:
    lit = b"From: a@b.c\r\n\r\n"
    stream = (b'* 1 FETCH (UID 5 INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 9 '
              + _FIELDS + b" {%d}\r\n" % len(lit) + lit + b")\r\n* 3 EXISTS\r\n"
              + b"* 2 FETCH BODY[TEXT]<0> {3}\r\nabc)\r\nT7 OK done\r\n")
    f = io.BufferedReader(io.BytesIO(stream))
    data = read_fetch(f.readline, f.read, b"T7", frozenset({_FIELDS}))
    assert not any(isinstance(p, Fetched) for p in data)  # put back as plain parts
    (m,) = parse_fetch(data, (_FIELDS,))
    assert m.uid == 5 and m.size == 9
    assert m.literals == {_FIELDS: lit, b"BODY[TEXT]<0>": b"abc"}


def test_a_huge_literal_or_number_ends_the_answer_calmly() -> None:
    for size in (b"%d" % (1 << 40), b"9" * 30, b"9" * 5000):
        stream = b"* 1 FETCH (UID 5 BODY[HEADER] {" + size + b"}\r\nabc)\r\nT7 OK done\r\n"
        for usual in (frozenset(), frozenset({b"BODY[HEADER]"})):
            f = io.BufferedReader(io.BytesIO(stream))
            with pytest.raises(FetchAbortedError, match="literal of more than"):
                read_fetch(f.readline, f.read, b"T7", usual)
    # A UID of thousands of digits (int() refuses them) is no message, not an error; a
    # size of more than 20 digits reads as larger than any bound on message sizes.
    data = [(b"1 (UID " + b"9" * 5000 + b" RFC822.SIZE 3 BODY[HEADER] {3}", b"A: "), b")"]
    assert parse_fetch(data) == []
    for digits in (b"9" * 21, b"9" * 5000):
        data = [(b"1 (UID 7 RFC822.SIZE " + digits + b" BODY[HEADER] {3}", b"A: "), b")"]
        (f,) = parse_fetch(data)
        assert f.uid == 7 and f.size == HUGE_SIZE > 10**19
