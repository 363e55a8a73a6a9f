"""LIST and STATUS read without imapclient (adapters/imap_raw.py): folder names go out
and come back exactly as imapclient sends and reads them.

imapclient is the oracle: its modified UTF-7 codec and its LIST reader
(``IMAPClient._proc_folder_list``) on seeded random folder names, written the three
ways servers write them (an atom, a quoted string, a literal).
"""

from __future__ import annotations

import random
import string
import types

import pytest
from imapclient import IMAPClient
from imapclient import imap_utf7

from thankful.adapters.imap_raw import decode_utf7
from thankful.adapters.imap_raw import encode_utf7
from thankful.adapters.imap_raw import parse_list
from thankful.adapters.imap_raw import parse_status
from thankful.adapters.imap_raw import quote

ALPHABET = string.ascii_letters + string.digits + " éüßЖ中😀&\\\"~-,/+.[]()%*{}_"


def names(seed: int, n: int) -> list[str]:
    rnd = random.Random(seed)
    out = ["INBOX", "Entwürfe", "[Gmail]/Sent Mail", "&", "&-", "Ünïcödé & Co", "2024",
           "007", "a\\b", 'say "hi"', "", " "]
    for _ in range(n):
        out.append("".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(1, 14))))
    return out


def test_modified_utf7_as_imapclient_writes_and_reads_it() -> None:
    for name in names(1, 5000):
        raw = encode_utf7(name)
        assert raw == imap_utf7.encode(name), name
        assert decode_utf7(raw) == name == imap_utf7.decode(raw)


def reference(data: list[object]) -> list[tuple[tuple[bytes, ...], bytes | None, str]]:
    found = IMAPClient._proc_folder_list(types.SimpleNamespace(folder_encode=True), data)
    return [(tuple(f), d, str(n)) for f, d, n in found]


def test_list_answers_read_as_imapclient_reads_them() -> None:
    rnd = random.Random(2)
    flagsets = [b"", b"\\HasNoChildren", b"\\HasChildren \\Sent", b"\\Noselect \\HasChildren",
                b"\\Drafts \\Marked", b"\\All \\HasNoChildren", b"\\Junk \\UnMarked"]
    delims = [b'"/"', b'"."', b"NIL", b'"\\\\"']
    compared = 0
    for name in names(3, 4000):
        raw = encode_utf7(name)
        head = b"(" + rnd.choice(flagsets) + b") " + rnd.choice(delims) + b" "
        style = rnd.choice(("atom", "quoted", "literal"))
        if style == "atom" and raw and not any(c in raw for c in b' "\\(){%*]'):
            data: list[object] = [head + raw]
        elif style == "literal":
            data = [(head + b"{%d}" % len(raw), raw), b""]
        else:
            data = [head + quote(raw)]
        data = data * rnd.randint(1, 3)
        try:
            want = reference(data)
        except Exception:
            continue
        assert parse_list(data) == want, data  # type: ignore[arg-type]
        compared += 1
    assert compared > 3500


@pytest.mark.parametrize("line", [b"", b"garbage", b'(\\Sent "/" Sent', b'() "/" two words',
                                  b'() "/" "unterminated'])
def test_a_list_line_that_is_not_one_is_refused(line: bytes) -> None:
    if line == b"":
        assert parse_list([line, None]) == []
        return
    with pytest.raises(ValueError):
        parse_list([line])


def test_status_numbers_whatever_the_name() -> None:
    assert parse_status([b'"INBOX" (UIDVALIDITY 17 UIDNEXT 5 MESSAGES 4)']) == {
        b"UIDVALIDITY": 17, b"UIDNEXT": 5, b"MESSAGES": 4}
    # A name sent as a literal; the items in another order, in lower case.
    assert parse_status([(b"{6}", b"Sent (x"), b" (messages 0 uidnext 1 uidvalidity 9)"]) == {
        b"MESSAGES": 0, b"UIDNEXT": 1, b"UIDVALIDITY": 9}
    for bad in ([], [None], [b"Sent"], [b"Sent (UIDNEXT)"], [b"Sent (UIDNEXT x)"]):
        with pytest.raises(ValueError):
            parse_status(bad)  # type: ignore[arg-type]
