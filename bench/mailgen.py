"""A realistic job seeker's mailbox, and the fastest way into Dovecot: Maildir files.

The mix (shares of the folder, by message count), after published measurements that
most mail is machine-made (Grbovic et al., "How many folders do you really need?",
CIKM 2014: about 90 %):

========================  =====  ==============================================
personal                    8 %  friends, family, colleagues; non-ASCII names and
                                 subjects; replies; a fifth with a photo or PDF
newsletters                26 %  List-Id, List-Unsubscribe, Precedence: bulk, HTML
promotions                 16 %  HTML only, List-Unsubscribe, emoji; some "offer"
list notifications         24 %  GitHub-, forum- and social-style (List-Id, no bulk)
transactional              22 %  receipts, shipping, bank, sign-in codes: no list
                                 headers; some Auto-Submitted; invoices as PDF
job-search mail             4 %  job alerts, ATS acknowledgements, career
                                 newsletters, webinar invitations (with .ics)
planted search            ~20    the demo's job search (interviews, an offer, a
                                 referral; its 14 notes are the ground truth)
========================  =====  ==============================================

Every message carries the trace headers real mail has (Received chain, DKIM,
ARC, Authentication-Results, ESP headers): header blocks of 1.5-5 KB, which is what
a header FETCH moves. Messages are made from a pool of 660 templates, each copy with a
fresh Message-ID, Date and Received stamps (fast: 100,000 in seconds). The
job-search templates are dated by the copy too, but an .ics inside a webinar
invitation keeps the template's date (2001: outside every calendar window).

Loading follows NOTES.md (Dovecot): files straight into ``~/Maildir/cur`` owned by
the mail user, named ``<time>.<unique>.<host>,S=<size>,W=<vsize>:2,<flags>``, mtime =
INTERNALDATE; then one read-write SELECT, which builds the index.
"""

from __future__ import annotations

import base64
import os
import random
import re
import time
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

from thankful import demo_text as t
from thankful.demo_data import ALEX

SENTINEL = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
_SENT_DATE = format_datetime(SENTINEL).encode()
_SENT_RCVD = format_datetime(SENTINEL + timedelta(seconds=3)).encode()
_MID = re.compile(rb"^Message-ID: <([^>\r\n]*)>", re.MULTILINE | re.IGNORECASE)

MIX = (("personal", 0.08), ("newsletter", 0.26), ("promo", 0.16), ("list", 0.24),
       ("transactional", 0.22), ("jobsearch", 0.04))

FIRST = ("Amara", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Isabel",
         "Jonas", "Kavya", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa",
         "Zoë", "José", "Søren", "Renée", "Łukasz", "Björn", "François", "Ayşe", "Chloé",
         "Анна", "Дмитрий", "陽菜", "Mårten", "Siobhán", "Jürgen")
LAST = ("Adler", "Brooks", "Castillo", "Dubois", "Eriksen", "Fischer", "Haddad", "Iyer",
        "Jansen", "Kowalski", "García", "Schäfer", "Wójcik", "Núñez", "Ødegaard", "Müller",
        "Иванова", "佐藤", "Şahin", "Côté")
PERSONAL_SUBJECTS = (
    "Dinner on Saturday?", "Photos from the weekend", "Grüße aus München", "Re: Rent for March",
    "Café next week?", "Fwd: the article I mentioned", "Happy birthday!!", "Re: Flights",
    "Фото с выходных", "週末の予定", "Plans for Easter", "Re: Re: book club",
    "Quick question about the bike", "Ça va ? Nouvelles de Lyon", "Re: moving boxes",
    "Der Schlüssel liegt beim Nachbarn", "Wedding RSVP", "Recipe, as promised",
    "Re: Kids' football on Sunday", "Løbetur i morgen?")
NEWSLETTERS = (
    ("The Morning Brief", "news.morningbrief-daily.com"), ("Rust Weekly", "rustweekly.dev"),
    ("Kochen & Genießen", "kochen-geniessen.de"), ("Hacker Digest", "hackerdigest.io"),
    ("City Culture Guide", "cityculture-guide.com"), ("Python Weekly", "pythonweekly-mail.com"),
    ("Der Tagesspiegel Checkpoint", "checkpoint-news.de"), ("Runner's Notes", "runnersnotes.cc"),
    ("Product Hunt Daily", "producthunt-mail.com"), ("Money Matters", "moneymatters-letter.com"))
NEWS_TOPICS = ("5 things to know today", "This week in systems programming",
               "Spargelzeit: 7 Rezepte für den Frühling", "The best of the week",
               "What to do this weekend", "Issue {n}: async, typing and packaging",
               "Morgens um halb sieben in Berlin", "Marathon training: week {n}",
               "Top products of the day", "Rates are moving: what it means for you",
               "Weekly roundup #{n}", "Les meilleurs articles de la semaine",
               "Your weekly digest — {n} new stories")
SHOPS = (("Peak & Pine Outfitters", "peakandpine-outfitters.com"),
         ("Lumen Home Store", "lumenhome-store.com"), ("Nordlicht Mode", "nordlicht-mode.de"),
         ("GadgetHub", "gadgethub-shop.com"), ("Café Crème Roasters", "cafecreme-roasters.fr"))
PROMO_SUBJECTS = ("Spring sale: up to {p}% off 🌷", "Last chance! Free shipping ends tonight",
                  "New arrivals you'll love ✨", "Special offer: {p}% off everything",
                  "Your exclusive offer inside 🎁", "Nur heute: {p}% Rabatt auf alles",
                  "Thank you for being a member — here's {p}% off",
                  "Back in stock: the one you wanted", "Weekend deals 🔥 {p}% off",
                  "Soldes : jusqu'à -{p}%")
LISTS = (("github", "notifications@github.com", "github.com"),
         ("forum", "noreply@discuss.python-forum.org", "discuss.python-forum.org"),
         ("social", "notify@social-network-mail.com", "social-network-mail.com"),
         ("mailman", "dev-bounces@lists.opensource-project.org", "lists.opensource-project.org"))
REPOS = ("acme/widget", "pallets/flask-like", "tokio-rs/mini", "thankful/thankful",
         "rust-lang/cargo-ish", "numpy/numpyish")
TRANSACTIONAL = (
    ("Your order #{n} has shipped", "Parcel Express", "shipping@parcel-express.com"),
    ("Your receipt from GadgetHub (#{n})", "GadgetHub", "receipts@gadgethub-shop.com"),
    ("Kontoauszug verfügbar", "Sparkasse Online", "noreply@sparkasse-online.de"),
    ("Your sign-in code: {n}", "CloudDrive", "no-reply@clouddrive-accounts.com"),
    ("Payment received — invoice {n}", "Stadtwerke Berlin", "rechnung@stadtwerke-b.de"),
    ("Your ride on Tuesday", "CityRide", "receipts@cityride-app.com"),
    ("Reminder: dentist appointment on {d}", "Praxis Dr. Weiß", "termine@praxis-weiss.de"),
    ("Booking confirmed: Hotel Alpenblick", "Booking Portal", "noreply@booking-portal.com"),
    ("Password changed", "CloudDrive", "no-reply@clouddrive-accounts.com"),
    ("Your statement is ready", "Northbank", "alerts@northbank-online.com"))
JOB_BOARDS = ("Fabrikam Logistics", "Tailspin Toys", "Lakeshore Retail Group",
              "Blue Yonder Airlines", "Wide World Importers", "Contoso Pharma")
ROLES = ("Senior Data Engineer", "Backend Engineer", "Staff Software Engineer",
         "Data Scientist", "Engineering Manager", "Platform Engineer")


def _b64(rng: random.Random, n: int) -> str:
    return base64.b64encode(rng.randbytes(n)).decode()


def _fold(name: str, value: str, width: int = 76) -> str:
    line, out = f"{name}: ", []
    for word in value.split(" "):
        while len(word) > width:  # base64 runs: cut anywhere (folding whitespace)
            room = max(width - len(line), 8)
            out.append(line + word[:room])
            line, word = " ", word[room:]
        if len(line) + len(word) + 1 > width and line.strip():
            out.append(line.rstrip())
            line = " "
        line += word + " "
    out.append(line.rstrip())
    return "\r\n".join(out) + "\r\n"


def trace_headers(rng: random.Random, domain: str, *, esp: bool, hops: int = 3) -> bytes:
    """The trace a delivered message carries before its own headers (CRLF)."""
    me = ALEX[1]
    stamp = format_datetime(SENTINEL + timedelta(seconds=3))
    out = []
    for i in range(hops):
        out.append(_fold("Received", f"from mail{i}.{domain} (mail{i}.{domain} "
                         f"[192.0.2.{rng.randrange(1, 250)}]) by mx{i}.example.net with ESMTPS "
                         f"id {_b64(rng, 9)} (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 "
                         f"bits=256/256) for <{me}>; {stamp}"))
    out.append(_fold("Authentication-Results", f"mx.example.net; dkim=pass header.d={domain} "
                     f"header.s=s1 header.b={_b64(rng, 6)}; spf=pass (mx.example.net: domain "
                     f"of bounce@{domain} designates 192.0.2.8 as permitted sender) "
                     f"smtp.mailfrom=bounce@{domain}; dmarc=pass (p=REJECT sp=REJECT "
                     f"dis=NONE) header.from={domain}"))
    if rng.random() < 0.6:
        out.append(_fold("ARC-Seal", f"i=1; a=rsa-sha256; t=981173106; cv=none; d=example.net; "
                         f"s=arc-20160816; b={_b64(rng, 256)}"))
        out.append(_fold("ARC-Message-Signature", "i=1; a=rsa-sha256; c=relaxed/relaxed; "
                         "d=example.net; s=arc-20160816; h=to:subject:message-id:date:from:"
                         f"mime-version:dkim-signature; bh={_b64(rng, 32)}; b={_b64(rng, 256)}"))
    sigs = 2 if esp else 1
    for k in range(sigs):
        d = domain if k == 0 else f"esp{rng.randrange(9)}.mailsender-cloud.net"
        out.append(_fold("DKIM-Signature", f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={d}; "
                         "s=s1; t=981173106; h=from:to:subject:date:message-id:mime-version:"
                         f"content-type:list-unsubscribe; bh={_b64(rng, 32)}; "
                         f"b={_b64(rng, 256)}"))
    if esp:
        out.append(f"X-SG-EID: {_b64(rng, 90)}\r\n")
        out.append(f"X-Feedback-ID: {rng.randrange(10**8)}:{domain}:campaign\r\n")
        out.append(f"X-Mailer: Campaign Mailer {rng.randrange(3, 9)}.{rng.randrange(10)}\r\n")
    out.append(f"X-Spam-Status: No, score=-{rng.randrange(1, 40) / 10} required=5.0\r\n")
    return "".join(out).encode()


class Maker:
    """Makes messages of the mix, with their dates, spread over ``years`` before ``now``."""

    def __init__(self, seed: int, now: datetime, *, years: float = 3.0) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.span = years * 365 * 86400
        self.counter = 0
        self.templates: dict[str, list[bytes]] = {}
        for kind, make, count in (
                ("newsletter", self._newsletter, 60), ("promo", self._promo, 60),
                ("list", self._list, 60), ("transactional", self._transactional, 60),
                ("personal", self._personal, 300), ("jobsearch", self._jobsearch, 120)):
            self.templates[kind] = [make(i) for i in range(count)]

    # --- one message -------------------------------------------------------------------

    def when(self) -> datetime:
        """A moment before now: denser recently (a mailbox grows)."""
        back = self.span * self.rng.random() ** 1.6
        return (self.now - timedelta(seconds=back + 60)).replace(microsecond=0)

    def message(self, when: datetime | None = None) -> tuple[bytes, datetime, str]:
        """(raw, date, kind) of one message drawn from the mix."""
        when = when or self.when()
        r, kind = self.rng.random(), MIX[-1][0]
        for k, share in MIX:
            if r < share:
                kind = k
                break
            r -= share
        self.counter += 1
        raw = self.rng.choice(self.templates[kind])
        uniq = f"{self.counter:x}.{self.rng.getrandbits(32):08x}.".encode()
        raw = _MID.sub(lambda m: b"Message-ID: <" + uniq + m.group(1) + b">", raw, count=1)
        raw = raw.replace(_SENT_DATE, format_datetime(when.astimezone(UTC)).encode(), 1)
        raw = raw.replace(_SENT_RCVD, format_datetime(
            (when + timedelta(seconds=3)).astimezone(UTC)).encode())
        return raw, when, kind

    def stream(self, n: int) -> Iterator[tuple[bytes, datetime, str]]:
        for _ in range(n):
            yield self.message()

    # --- kinds -------------------------------------------------------------------------

    def _person(self) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        local = f"{self.rng.choice(('x', 'm', 'k'))}{self.rng.randrange(10**6)}"
        dom = self.rng.choice(("gmail.com", "web.de", "outlook.com", "posteo.de", "gmx.net",
                               "yahoo.fr", "proton.me", "globex-corp.com"))
        return f"{first} {last}", f"{local}@{dom}"

    def _personal(self, i: int) -> bytes:
        rng = self.rng
        who = self._person()
        subject = rng.choice(PERSONAL_SUBJECTS)
        text = (f"Hi Alex,\n\n{'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ' * rng.randint(2, 12)}"
                f"\n\nSee you soon,\n{who[0].split()[0]}\n")
        atts = []
        if rng.random() < 0.2:
            if rng.random() < 0.6:
                atts.append((f"IMG_{rng.randrange(10**4)}.jpg", "image/jpeg",
                             rng.randbytes(rng.randint(60_000, 400_000))))
            else:
                atts.append(("document.pdf", "application/pdf",
                             t.fake_pdf(subject, ["page"] * 5) + rng.randbytes(40_000)))
        reply = f"<{rng.getrandbits(64):x}@mail.gmail.com>" if subject.startswith("Re:") else ""
        raw = t.mail(sender=who, to=[ALEX], date=SENTINEL, subject=subject,
                     message_id=t.msgid(f"p{i}", "mail.gmail.com", "gmail"),
                     text=text, in_reply_to=reply, attachments=atts, delivered_to=ALEX[1])
        return self._traced(raw, who[1].split("@")[1], esp=False, hops=2)

    def _traced(self, raw: bytes, domain: str, *, esp: bool, hops: int) -> bytes:
        return trace_headers(self.rng, domain, esp=esp, hops=hops) + raw

    def _newsletter(self, i: int) -> bytes:
        rng = self.rng
        brand, domain = NEWSLETTERS[i % len(NEWSLETTERS)]
        topic = rng.choice(NEWS_TOPICS).format(n=rng.randrange(10, 400))
        paras = "".join(f"<tr><td style=\"padding:12px;font-family:Georgia,serif\"><h3>Story "
                        f"{k}</h3><p>{'Lorem ipsum dolor sit amet, consectetur. ' * 12}</p>"
                        f"<a href=\"https://{domain}/r/{_b64(rng, 24)}\">Read more</a></td></tr>"
                        for k in range(rng.randint(6, 30)))
        html = f"<html><body><table width=\"600\">{paras}</table></body></html>"
        unsub = f"https://{domain}/u/{_b64(rng, 18).replace('/', '_')}"
        raw = t.mail(sender=(brand, f"newsletter@{domain}"), to=[ALEX], date=SENTINEL,
                     subject=topic, message_id=t.msgid(f"n{i}", f"mail.{domain}"),
                     text=re.sub(r"<[^>]+>", " ", html)[:4000], html=html,
                     delivered_to=ALEX[1],
                     headers=[("List-Id", f"{brand} <weekly.{domain}>"),
                              ("List-Unsubscribe", f"<{unsub}>, <mailto:unsub@{domain}>"),
                              ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                              ("Precedence", "bulk")])
        return self._traced(raw, domain, esp=True, hops=3)

    def _promo(self, i: int) -> bytes:
        rng = self.rng
        shop, domain = SHOPS[i % len(SHOPS)]
        subject = rng.choice(PROMO_SUBJECTS).format(p=rng.choice((15, 20, 30, 40, 50)))
        cells = "".join(f"<td><img src=\"https://cdn.{domain}/p/{_b64(rng, 12)}.jpg\" width=180>"
                        f"<p>Product {k} — €{rng.randrange(9, 300)}</p></td>"
                        for k in range(rng.randint(6, 40)))
        html = (f"<html><head><style>{'td{padding:4px} ' * 50}</style></head><body><h1>{shop}"
                f"</h1><table><tr>{cells}</tr></table><p>Unsubscribe | Privacy</p></body></html>")
        raw = t.mail(sender=(shop, f"news@{domain}"), to=[ALEX], date=SENTINEL, subject=subject,
                     message_id=t.msgid(f"s{i}", domain), html=html, delivered_to=ALEX[1],
                     headers=[("List-Unsubscribe", f"<mailto:unsubscribe@{domain}>, "
                               f"<https://{domain}/unsub/{_b64(rng, 12)}>"),
                              ("Precedence", "bulk")])
        return self._traced(raw, domain, esp=True, hops=3)

    def _list(self, i: int) -> bytes:
        rng = self.rng
        kind, addr, domain = LISTS[i % len(LISTS)]
        if kind == "github":
            repo = rng.choice(REPOS)
            num = rng.randrange(100, 9000)
            subject = f"{rng.choice(('', 'Re: '))}[{repo}] Fix flaky test in CI (PR #{num})"
            name = rng.choice(FIRST)
            headers = [("List-ID", f"{repo} <{repo.replace('/', '.')}.github.com>"),
                       ("List-Unsubscribe", f"<mailto:unsub+{_b64(rng, 20)}@reply.github.com>"),
                       ("List-Archive", f"https://github.com/{repo}"),
                       ("X-GitHub-Sender", name.lower()), ("X-GitHub-Reason", "subscribed")]
            text = f"@{name.lower()} commented on this pull request.\n\nLGTM, one nit.\n" * 3
            sender = (f"{name} via GitHub", addr)
        elif kind == "social":
            subject = rng.choice(("You have 3 new notifications", "Mia liked your photo",
                                  "See what your friends are up to", "Jonas mentioned you"))
            headers = [("List-Unsubscribe", f"<https://{domain}/unsub/{_b64(rng, 12)}>")]
            text = "You have new activity.\n" * 10
            sender = ("Social Network", addr)
        else:
            subject = f"Re: [{kind}] {rng.choice(('Proposal: new release cadence', 'Build broken on ARM', 'Question about the API', 'Meeting minutes'))}"
            headers = [("List-Id", f"dev list <dev.{domain}>"),
                       ("List-Unsubscribe", f"<mailto:dev-leave@{domain}>"),
                       ("List-Post", f"<mailto:dev@{domain}>"), ("Precedence", "list")]
            text = "> quoted text\n" * 20 + "I agree with the above.\n"
            sender = (f"{rng.choice(FIRST)} {rng.choice(LAST)}", addr)
        raw = t.mail(sender=sender, to=[ALEX], date=SENTINEL, subject=subject,
                     message_id=t.msgid(f"l{i}", domain), text=text,
                     html=f"<p>{text}</p>" if kind != "mailman" else None,
                     delivered_to=ALEX[1], headers=headers)
        return self._traced(raw, domain, esp=kind != "mailman", hops=3)

    def _transactional(self, i: int) -> bytes:
        rng = self.rng
        subject, name, addr = TRANSACTIONAL[i % len(TRANSACTIONAL)]
        subject = subject.format(n=rng.randrange(10**5, 10**6), d="12.04.")
        domain = addr.split("@")[1]
        headers = [("Auto-Submitted", "auto-generated")] if rng.random() < 0.4 else []
        atts = []
        if rng.random() < 0.25:
            atts.append((f"invoice-{rng.randrange(10**5)}.pdf", "application/pdf",
                         t.fake_pdf(subject, ["Amount due: 0.00 EUR"] * 4) +
                         rng.randbytes(rng.randint(10_000, 80_000))))
        html = (f"<html><body><h2>{name}</h2><p>Hello Alex,</p><p>{subject}.</p>"
                f"<table>{'<tr><td>Item</td><td>1</td><td>€9.99</td></tr>' * 8}</table>"
                "</body></html>")
        raw = t.mail(sender=(name, addr), to=[ALEX], date=SENTINEL, subject=subject,
                     message_id=t.msgid(f"t{i}", domain), text=re.sub(r"<[^>]+>", " ", html),
                     html=html, attachments=atts, delivered_to=ALEX[1], headers=headers)
        return self._traced(raw, domain, esp=True, hops=3)

    def _jobsearch(self, i: int) -> bytes:
        rng, when = self.rng, SENTINEL
        k = rng.randrange(4)
        if k == 0:
            raw = t.job_alert(ALEX, when, rng.randrange(100), rng.randint(5, 60))
        elif k == 1:
            raw = t.ats_ack(ALEX, when, rng.choice(JOB_BOARDS), rng.choice(ROLES),
                            rng.choice(tuple(t.ATS_SENDERS)))
        elif k == 2:
            raw = t.newsletter(ALEX, when, rng.randrange(100))
        else:
            raw = t.webinar(ALEX, when - timedelta(days=rng.randint(4, 9)), when,
                            rng.randrange(2))
        return self._traced(raw, "mailer.jobs-example.com", esp=True, hops=2)


# --- Maildir ------------------------------------------------------------------------------

class MaildirWriter:
    """Writes messages straight into a Maildir's ``cur`` as Dovecot expects them."""

    def __init__(self, maildir: Path, uid: int, gid: int) -> None:
        self.dir = maildir
        self.uid, self.gid = uid, gid
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
            os.chown(maildir / sub, uid, gid)
            os.chmod(maildir / sub, 0o700)
        os.chown(maildir, uid, gid)
        os.chmod(maildir, 0o700)
        self.cur = maildir / "cur"
        self.n = 0
        self.bytes = 0
        self.pid = os.getpid()

    def add(self, raw: bytes, when: datetime, *, seen: bool = True) -> None:
        self.n += 1
        ts = when.timestamp()
        vsize = len(raw) + raw.count(b"\n") - raw.count(b"\r\n")
        name = (f"{int(ts)}.M{self.n}P{self.pid}.bench,S={len(raw)},W={vsize}"
                f":2,{'S' if seen else ''}")
        path = os.path.join(self.cur, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, raw)
            os.fchown(fd, self.uid, self.gid)
        finally:
            os.close(fd)
        os.utime(path, (ts, ts))
        self.bytes += len(raw)


def fill(maildir: Path, uid: int, gid: int,
         messages: Iterable[tuple[bytes, datetime, str]], *, seen: float = 0.85,
         seed: int = 0) -> dict[str, int]:
    """Write ``messages`` (e.g. ``Maker.stream(n)``) into a user's Maildir: ``~/Maildir``
    for INBOX, ``~/Maildir/.Name`` for a Maildir++ folder (write INBOX first: its
    directory is the parent). A ``seen`` share of them is read. How many of each kind.

    Dovecot indexes the files at the folder's first read-write SELECT.
    """
    writer = MaildirWriter(maildir, uid, gid)
    rng = random.Random(seed)
    kinds: dict[str, int] = {}
    for raw, when, kind in messages:
        writer.add(raw, when, seen=rng.random() < seen)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def sizes_summary(sizes: list[int]) -> str:
    s = sorted(sizes)
    return (f"median {s[len(s) // 2] / 1024:.1f} KB, mean {sum(s) / len(s) / 1024:.1f} KB, "
            f"p95 {s[int(len(s) * 0.95)] / 1024:.1f} KB")


def now_s() -> float:
    return time.perf_counter()
