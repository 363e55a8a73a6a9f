"""The IMAP adapter against a real Dovecot: TLS, logins, errors, APPEND safety, costs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient.exceptions import IMAPClientAbortError

from integration.dovecot import Dovecot
from integration.dovecot import ImapUser
from integration.dovecot import free_port
from thankful import cli
from thankful.adapters.imap import BODY_PREFETCH_MAX
from thankful.adapters.imap import ImapStore
from thankful.config import AccountConfig
from thankful.errors import PermanentSourceError
from thankful.errors import TransientSourceError

pytestmark = pytest.mark.integration


def mail(n: int, *, note: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = f"Sender {n} <s{n}@example.org>"
    m["To"] = "alex.morgan@example.net"
    m["Subject"] = f"Message {n}"
    m["Message-ID"] = f"<m{n}@example.org>"
    if note:
        m["X-Thankful-Note"] = note
    m.set_content(f"Body {n}\n" * 10)
    return m.as_bytes()


NOTE = "5f2a" * 8  # an opaque fixed-length value, like note_hash()


@pytest.fixture
def commands() -> Iterator[list[str]]:
    """Every IMAP command line imapclient sends (LOGIN is redacted by imapclient)."""
    sent: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            msg = record.getMessage()
            if msg.startswith("> "):
                sent.append(msg[2:].strip("b'\"").split(" ", 1)[1])

    logger = logging.getLogger("imapclient.imaplib")
    handler, level = Grab(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield sent
    logger.removeHandler(handler)
    logger.setLevel(level)


def opened(acc: AccountConfig) -> ImapStore:
    store = ImapStore(acc, sleep=lambda s: None)
    store.open()
    return store


class TestConnect:
    @pytest.mark.parametrize("security", ["starttls", "tls"])
    def test_tls_with_cafile_and_what_check_shows(self, imap_user: ImapUser,
                                                  security: str) -> None:
        store = opened(imap_user.account(security=security))
        lines = store.describe()
        store.close()
        text = "\n".join(lines)
        how = "STARTTLS" if security == "starttls" else "implicit TLS"
        assert f"{how}, TLSv1." in text and "certificate verified against cafile" in text
        assert f"logged in as {imap_user.name} (password from password_env)" in text
        assert "CONDSTORE yes, IDLE yes, SPECIAL-USE yes" in text
        assert "scans INBOX" in text and "saves drafts to Drafts (SPECIAL-USE \\Drafts)" in text
        assert "reads sent mail in Sent (SPECIAL-USE \\Sent)" in text

    def test_plain_only_to_loopback(self, imap_user: ImapUser) -> None:
        acc = imap_user.account(security="none", cafile=False)
        store = opened(acc)
        assert "no TLS" in store.describe()[1]
        store.close()
        assert acc.imap is not None
        far = replace(acc, imap=replace(acc.imap, host="192.0.2.1"))
        with pytest.raises(PermanentSourceError, match="only to localhost"):
            ImapStore(far).open()

    def test_non_ascii_password(self, dovecot: Dovecot) -> None:
        # LOGIN is ASCII only: such a password goes by AUTHENTICATE PLAIN (UTF-8).
        name, password = dovecot.add_user(password="pässwörd-€-" + "x" * 8)
        time.sleep(1.1)  # passwd-file looks at a changed file at most once a second
        store = opened(ImapUser(dovecot, name, password).account())
        assert store.token("INBOX")
        store.close()

    def test_wrong_password_is_one_clear_sentence(self, imap_user: ImapUser,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        acc = imap_user.account()
        monkeypatch.setenv(imap_user.env, "not-the-password")
        with pytest.raises(PermanentSourceError) as info:
            ImapStore(acc).open()
        msg = str(info.value)
        assert f"refused the password for {imap_user.name}" in msg
        assert "not-the-password" not in msg and "\n" not in msg

    @pytest.mark.parametrize("security", ["starttls", "tls"])
    def test_self_signed_certificate_fails_verification(self, imap_user: ImapUser,
                                                        security: str) -> None:
        with pytest.raises(PermanentSourceError) as info:
            ImapStore(imap_user.account(security=security, cafile=False)).open()
        assert "certificate of 127.0.0.1 failed verification" in str(info.value)
        assert "set cafile" in str(info.value)

    def test_unknown_host(self, imap_user: ImapUser) -> None:
        acc = imap_user.account()
        assert acc.imap is not None
        acc = replace(acc, imap=replace(acc.imap, host="no-such-host.invalid"))
        with pytest.raises((PermanentSourceError, TransientSourceError),
                           match=r"unknown host|cannot resolve"):
            ImapStore(acc, sleep=lambda s: None).open()

    def test_refused_connection_retried_with_backoff(self, imap_user: ImapUser) -> None:
        acc = imap_user.account()
        assert acc.imap is not None
        acc = replace(acc, imap=replace(acc.imap, port=free_port()))
        pauses: list[float] = []
        with pytest.raises(TransientSourceError, match="refused the connection"):
            ImapStore(acc, sleep=pauses.append).open()
        assert len(pauses) == 2 and 0.5 <= pauses[0] <= 1.0 and 1.0 <= pauses[1] <= 2.0

    def test_missing_folder_names_the_key(self, imap_user: ImapUser) -> None:
        with pytest.raises(PermanentSourceError, match="fix folders"):
            opened(imap_user.account(folders=("INBOX", "Jobs")))

    def test_check_command(self, imap_user: ImapUser, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
        cfg = tmp_path / "config.toml"
        cfg.write_text(f"""[identity]
name = "Alex"
addresses = ["alex.morgan@example.net"]
{imap_user.toml_account(name="work", security="tls")}""")
        cfg.chmod(0o600)
        assert cli.main(["check", "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        assert f"ok: account work: reached 127.0.0.1:{imap_user.server.imaps_port}; " \
               "implicit TLS" in out
        cfg.write_text(cfg.read_text().replace(imap_user.env, imap_user.env + "_NOPE"))
        assert cli.main(["check", "--config", str(cfg)]) == 1
        out = capsys.readouterr().out
        assert f"FAILED: account work: the environment variable {imap_user.env}_NOPE" in out


    def test_capabilities_are_asked_again_after_starttls(self, imap_user: ImapUser,
                                                        commands: list[str]) -> None:
        store = opened(imap_user.account(security="starttls"))
        store.close()
        verbs = [c.split(" ")[0].upper() for c in commands]
        # The greeting's list decided that STARTTLS is there; nothing said before TLS is
        # trusted after it.
        assert verbs[:3] == ["STARTTLS", "CAPABILITY", "LOGIN"]
        assert store.commands == len(verbs)  # nothing sent before the trace began


class TestReading:
    def test_scan_sends_only_read_only_commands(self, imap_user: ImapUser,
                                                commands: list[str]) -> None:
        admin = imap_user.client()
        for n in range(30):
            admin.append("INBOX", mail(n))
            admin.append("Sent", mail(100 + n), flags=[b"\\Seen"])
        admin.logout()
        commands.clear()
        store = opened(imap_user.account())
        # As the service reads: whole messages in INBOX, header blocks in Sent and Drafts.
        for folder in ("INBOX", "Sent", "Drafts"):
            store.token(folder)
            for e in store.entries(folder):
                assert store.read(folder, e.ident, headers_only=folder != "INBOX")
        store.close()
        verbs = [c.split(" ")[0].upper() for c in commands]
        assert set(verbs) <= {"STARTTLS", "CAPABILITY", "LOGIN", "LIST", "STATUS", "EXAMINE",
                              "UID", "LOGOUT"}
        uid_cmds = [c.upper() for c in commands if c.upper().startswith("UID ")]
        assert all(c.startswith(("UID SEARCH", "UID FETCH")) for c in uid_cmds)
        fetches = [c for c in uid_cmds if c.startswith("UID FETCH")]
        assert all("BODY.PEEK[" in c or "(INTERNALDATE RFC822.SIZE)" in c for c in fetches)
        # Batched: 30 bodies and 30 headers take one fetch each, not one per message.
        assert len([c for c in fetches if "BODY.PEEK[]" in c]) == 1
        assert len([c for c in fetches if "BODY.PEEK[HEADER]" in c]) == 1

    def test_hinted_bodies_come_in_pipelined_batches_each_once(
            self, imap_user: ImapUser, commands: list[str]) -> None:
        """The scan's way: survey, hint the bodies it will read, read them in order. The
        next batch is asked for before this one is used; a command sent in between
        (a STATUS) first reads that answer, and every body comes back exactly once."""
        admin = imap_user.client()
        sent = {n: mail(n) for n in range(130)}
        big = mail(999) + b"x" * (BODY_PREFETCH_MAX + 10)  # read alone, when asked for
        for n, raw in sent.items():
            admin.append("INBOX", raw)
            if n == 119:
                admin.append("INBOX", big)  # 121st: among the ones read
        admin.logout()
        store = opened(imap_user.account())
        store.token("INBOX")
        survey = store.survey("INBOX", set, None)
        idents = [h.entry.ident for batch in survey.batches for h in batch]
        wanted = idents[::2]  # every other message, as triage leaves them
        assert len(wanted) == 66 and store._sizes[("INBOX", int(wanted[60].split(":")[1]))] \
            > BODY_PREFETCH_MAX
        for interrupt in (True, False):
            store.hint_bodies("INBOX", wanted)
            commands.clear()
            got = {}
            for k, ident in enumerate(wanted):
                if interrupt and k == 30:
                    store.token("Sent")  # another command while a batch is on its way
                got[ident] = store.read("INBOX", ident)
            assert store._cache == {} and store._ahead is None  # nothing read twice
            fetches = [c for c in commands if c.upper().startswith("UID FETCH")]
            # 65 bodies of the plan in batches of 50 (2 FETCHes), the big one alone.
            assert len(fetches) == 3, fetches
        store.close()
        by_subject = {bytes(v).split(b"Subject: ", 1)[1].split(b"\n", 1)[0].strip(): v
                      for v in got.values() if v}
        assert len(by_subject) == len(wanted)
        for raw in [*sent.values(), big]:
            subject = raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0].strip()
            if subject in by_subject:
                assert by_subject[subject].replace(b"\r\n", b"\n") == raw.replace(b"\r\n",
                                                                                 b"\n")

    def test_unchanged_folder_costs_one_status(self, imap_user: ImapUser,
                                               commands: list[str]) -> None:
        store = opened(imap_user.account(security="tls"))
        tokens = [store.token(f) for f in ("INBOX", "Sent", "Drafts")]
        store.close()
        commands.clear()
        again = opened(imap_user.account(security="tls"))
        assert [again.token(f) for f in ("INBOX", "Sent", "Drafts")] == tokens
        again.close()
        verbs = [c.split(" ")[0].upper() for c in commands]
        # INBOX's STATUS comes first (Dovecot answers it from its index only then), and
        # the capabilities come from the greeting: no CAPABILITY before the login.
        assert verbs == ["LOGIN", "STATUS", "LIST", "STATUS", "STATUS", "LOGOUT"]
        assert again.commands == 6

    def test_token_ignores_flags_but_sees_new_and_removed_mail(self,
                                                               imap_user: ImapUser) -> None:
        admin = imap_user.client()
        admin.append("INBOX", mail(1))
        store = opened(imap_user.account())
        t1 = store.token("INBOX")
        admin.select_folder("INBOX")
        admin.add_flags([1], [b"\\Seen"])
        assert store.token("INBOX") == t1
        admin.append("INBOX", mail(2))
        t2 = store.token("INBOX")
        assert t2 != t1
        admin.delete_messages([1])
        admin.expunge()
        assert store.token("INBOX") not in (t1, t2)
        admin.logout()
        store.close()


class TestAppend:
    def drafts(self, user: ImapUser) -> list[int]:
        admin = user.client()
        admin.select_folder("Drafts", readonly=True)
        uids: list[int] = admin.search(["HEADER", "X-Thankful-Note", NOTE])
        admin.logout()
        return uids

    def test_same_note_is_never_appended_twice(self, imap_user: ImapUser) -> None:
        store = opened(imap_user.account())
        first = store.append_draft(mail(1, note=NOTE))
        assert store.append_draft(mail(1, note=NOTE)) == first
        store.close()
        assert len(self.drafts(imap_user)) == 1

    @pytest.mark.parametrize("stored", [True, False], ids=["after-store", "before-store"])
    def test_lost_answer_is_searched_before_a_retry(self, imap_user: ImapUser,
                                                    stored: bool) -> None:
        store = opened(imap_user.account())
        real = store._full().append

        def lost(*args: object, **kw: object) -> bytes:
            if stored:
                real(*args, **kw)
            raise IMAPClientAbortError("socket error: EOF")

        store._full().append = lost
        ident = store.append_draft(mail(1, note=NOTE))
        store.close()
        uids = self.drafts(imap_user)
        assert len(uids) == 1 and ident.endswith(f":{uids[0]}")

    def test_without_appenduid_a_search_confirms(self, imap_user: ImapUser) -> None:
        store = opened(imap_user.account())
        real = store._full().append
        store._full().append = lambda *a, **k: (real(*a, **k), b"Append completed.")[1]
        ident = store.append_draft(mail(1, note=NOTE))
        store.close()
        assert ident.endswith(f":{self.drafts(imap_user)[0]}")

    def test_ok_without_storing_is_not_a_draft(self, imap_user: ImapUser) -> None:
        store = opened(imap_user.account())
        store._full().append = lambda *a, **k: b"Append completed."
        with pytest.raises(TransientSourceError, match="it is not there"):
            store.append_draft(mail(1, note=NOTE))
        store.close()

    def test_reminder_is_unseen_in_inbox(self, imap_user: ImapUser) -> None:
        store = opened(imap_user.account())
        ident = store.deliver(mail(3))
        store.close()
        admin = imap_user.client()
        admin.select_folder("INBOX", readonly=True)
        uid = int(ident.split(":")[1])
        assert b"\\Seen" not in admin.get_flags([uid])[uid]
        admin.logout()


def test_the_scan_fields_judge_every_message_as_the_whole_block_does(
        imap_user: ImapUser) -> None:
    """A scan fetches only the lines of SCAN_FIELDS of each new header block
    (HEADER.FIELDS): for every message of the demo, of random job searches and of odd
    blocks, the glance, the triage and the preview's MIME lines read from those lines
    are what the whole block gives."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from jobsearch import generate
    from thankful.core.model import Identity
    from thankful.core.parse_mail import SCAN_FIELDS
    from thankful.core.parse_mail import glance
    from thankful.core.parse_mail import mime_head
    from thankful.core.parse_mail import triage_headers
    from thankful.core.prefilter import triage
    from thankful.core.prefilter import triage_glance
    from thankful.demo_data import build_demo

    now = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    raws = [*build_demo(now).inbox, *(m for seed in range(6) for m in generate(seed, now).inbox)]
    raws += [
        b"Subject: =?utf-8?q?Interview_=E2=80=93_Acme?=\r\n\tfolded on\r\n"
        b"From: \"Rita, Recruiter\" <rita@acme.example>\r\nList-Id: <jobs.acme>\r\n"
        b"Subject: a second subject\r\nX-Thankful-Reminder: 1d-1\r\n\r\nbody\r\n",
        b"From: a@b.example\r\nContent-Type: multipart/alternative;\r\n boundary=\"x\"\r\n"
        b"Content-Transfer-Encoding: 7bit\r\nPrecedence: bulk\r\n\r\n--x--\r\n",
        b"Received: from x\r\nX-Unrelated: 1\r\n\r\nno fields at all\r\n",
    ]
    admin = imap_user.client()
    for raw in raws:
        admin.append("INBOX", raw)
    admin.logout()
    me = Identity(name="Alex", addresses=frozenset({"alex.morgan@example.net"}))

    def heads(fields: frozenset[str]) -> list[bytes]:
        store = opened(imap_user.account())
        store.token("INBOX")
        survey = store.survey("INBOX", set, None, fields=fields)
        out = [h.head or b"" for batch in survey.batches for h in batch]
        store.close()
        return out

    whole, few = heads(frozenset()), heads(SCAN_FIELDS)
    assert len(whole) == len(few) == len(raws)
    assert sum(map(len, few)) < sum(map(len, whole)) / 2
    for full, part in zip(whole, few, strict=True):
        seen, got = glance(full), glance(part)
        assert seen == got, (full[:300], part[:300])
        if seen is not None:
            assert triage_glance(seen, me) == triage_glance(got, me)  # type: ignore[arg-type]
        assert triage(triage_headers(full), me) == triage(triage_headers(part), me)
        assert triage_headers(full).message_id == triage_headers(part).message_id
        assert mime_head(full) == mime_head(part)
