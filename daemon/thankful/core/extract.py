"""Who and what a job mail is about: company, role title, people. Pure: no I/O.

Used by classify.py. Everything here works on already-parsed values and the
lexicon; nothing raises on odd input (an unknown value is None or left out).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from thankful.core import lexicon
from thankful.core.model import ROLES
from thankful.core.model import Address
from thankful.core.model import Attendee
from thankful.core.model import Identity
from thankful.core.model import Role

_FLAGS = re.IGNORECASE | re.MULTILINE
_UPPER = "A-ZÀ-ÖØ-ÞĄĆČĎĘĚŁŃŇŒŘŚŠŤŮŹŻŽ"
# One capitalised word ("O'Brien", "Jean-Luc", "Booking.com", an initial "Q."). Case-sensitive
# inside patterns that are otherwise case-insensitive.
_CAPWORD = rf"(?-i:[{_UPPER}](?:[\w'’&+-]{{0,40}}(?:\.\w{{1,20}}){{0,3}}|\.))"
_NAME = rf"(?P<name>{_CAPWORD}(?:[ ]{_CAPWORD}){{0,4}})"
_NAMES = r"(?P<names>(?:\([^()\n]{0,80}\)|[^\n.;:!?()]){1,300})"
_ROLE = r"(?P<role>[\w/+#&.,()–-]{1,40}(?:[ ][\w/+#&.()–-]{1,40}){0,7})"
_LEGAL = re.compile(
    r"[ ,]+(?:inc|llc|ltd|limited|gmbh|corp|corporation|co|plc|ag|sa|bv|oy|ab|srl|sas)\.?$", re.I
)
_TITLE_SPLIT = re.compile(r"\s+[-–|:]\s+|\s*[|:,]\s*")
_VIA = re.compile(r"^(?P<x>.+?)\s+(?:via|through|from)\s+(?P<y>[\w .-]+)$", re.I)


@cache
def rx(pattern: str) -> re.Pattern[str]:
    """A whole-word, case-insensitive pattern (lookarounds: patterns may end in ':')."""
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", _FLAGS)


def langs() -> Iterable[lexicon.Language]:
    """Every language's data."""
    return lexicon.LANGUAGES.values()


def any_of(patterns: Iterable[str]) -> re.Pattern[str]:
    """One compiled alternation of several lexicon patterns."""
    return rx("|".join(f"(?:{p})" for p in patterns))


TemplateKey = Literal[
    "company_subject", "company_text", "role_context", "role_subject", "people_context",
    "intro_context",
]


@cache
def _templates(key: TemplateKey) -> tuple[re.Pattern[str], ...]:
    fills = {"{NAME}": _NAME, "{NAMES}": _NAMES, "{ROLE}": _ROLE}
    out = []
    for lang in langs():
        for template in lang[key]:
            for hole, fill in fills.items():
                template = template.replace(hole, fill)
            out.append(re.compile(rf"(?<!\w){template}", _FLAGS))
    return tuple(out)


@cache
def _not_names() -> frozenset[str]:
    return frozenset(w for lang in langs() for w in lang["not_names"])


# --- addresses and domains ----------------------------------------------------------------------

_ROBOT_LOCAL = re.compile(
    r"(?:^|[._+-])(?:no-?reply|noreply|do-?not-?reply|donotreply|mailer-daemon|postmaster|"
    r"notifications?|calendar-notification|bounces?|inmail-hit-reply|hit-reply)(?:$|[._+-])", re.I
)
_ROLE_LOCAL = re.compile(
    rf"(?:{lexicon.ROBOT_LOCALPARTS})(?:[._-]?(?:{lexicon.ROLE_SUFFIXES}))?", re.I
)


def domain_of(email: str | None) -> str:
    """The lower-cased domain of an address ("" when there is none)."""
    return email.rsplit("@", 1)[1].lower().strip(".") if email and "@" in email else ""


def _under(domain: str, suffixes: Iterable[str]) -> bool:
    return any(domain == s or domain.endswith("." + s) for s in suffixes)


def registrable_label(domain: str) -> str:
    """The label a company registered: jobs.acme-robotics.com -> acme-robotics, acme.co.uk -> acme.
    """
    labels = [x for x in domain.lower().split(".") if x]
    if len(labels) < 2:
        return labels[0] if labels else ""
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in lexicon.SECOND_LEVEL:
        return labels[-3]
    return labels[-2]


def is_robot(email: str | None) -> bool:
    """A service, robot or role account (no-reply, ATS, notifications@, careers@)."""
    if not email or "@" not in email:
        return False
    local, domain = email.lower().rsplit("@", 1)
    return (
        _under(domain, lexicon.ROBOT_DOMAINS)
        or bool(_ROBOT_LOCAL.search(local))
        or bool(_ROLE_LOCAL.fullmatch(local.split("+", 1)[0]))
    )


def is_freemail(email: str | None) -> bool:
    """An address at a mail service anyone can use (gmail.com, gmx.*)."""
    domain = domain_of(email)
    return _under(domain, lexicon.FREEMAIL_DOMAINS) or (
        registrable_label(domain) in lexicon.FREEMAIL_LABELS
    )


def company_domain(email: str | None, identity: Identity) -> str:
    """The address's domain when it can name the company, else ""."""
    if not email or identity.is_me(email) or identity.at_employer(email):
        return ""
    if is_robot(email) or is_freemail(email):
        return ""
    return domain_of(email)


# --- names ---------------------------------------------------------------------------------------


def squash(text: str) -> str:
    """Letters and digits only, lower-cased: for comparing spellings."""
    return re.sub(r"[\W_]+", "", text).lower()


def _via(display: str) -> tuple[str, str]:
    """Split "Acme via Greenhouse" into ("Acme", "greenhouse"); ("", "") when not that form."""
    m = _VIA.match(display.strip())
    return (m.group("x").strip(" \"'"), m.group("y").strip().lower()) if m else ("", "")


def person_name(display: str, email: str | None) -> str:
    """A display name fit for a greeting, derived from the address when needed."""
    name = display.strip().strip("\"'").strip()
    x, _ = _via(name)
    if x:
        name = x
    name = re.sub(r"\s*[(\[].*?[)\]]\s*", " ", name)  # "Jane Doe (Acme)"
    name = re.split(r"\s+[|/–-]\s+|\s+at\s+|\s+@\s+", name, maxsplit=1)[0].strip()
    if "@" in name or not re.search(r"[^\W\d_]", name):
        name = ""
    if not name and email and "@" in email:
        local = email.split("@", 1)[0].split("+", 1)[0]
        pieces = [p for p in re.split(r"[._-]+", local) if p]
        if 2 <= len(pieces) <= 3 and all(p.isalpha() and len(p) >= 2 for p in pieces):
            name = " ".join(p.capitalize() for p in pieces)
    if name.isupper() and len(name) > 3:
        name = name.title()
    return name[:100]


def _is_person_name(text: str, company: str | None) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 4:
        return False
    stop = _not_names() | _role_nouns()
    if any(w.lower().strip(".") in stop for w in words) or title_role(text):
        return False
    if company and squash(text) == squash(company):
        return False
    return all(w[0].isupper() for w in words)


def is_room(att: Attendee) -> bool:
    """A room or resource rather than a person."""
    if att.cutype.upper() in ("ROOM", "RESOURCE"):
        return True
    return bool(re.search(lexicon.ROOM_NAMES, att.name, re.I)) or domain_of(att.email).startswith(
        "resource."
    )


_ROLES: dict[str, Role] = {r: r for r in ROLES}


def title_role(text: str) -> Role | None:
    """The role a job title implies ("Technical Recruiter" -> recruiter), or None."""
    for lang in langs():
        for patterns, role in lang["titles"]:
            if role in _ROLES and any_of(patterns).search(text):
                return _ROLES[role]
    return None


# --- company -------------------------------------------------------------------------------------


def _clean_company(text: str) -> str:
    text = text.strip(" .,-–|:\"'")
    for lang in langs():
        for suffix in lang["team_suffixes"]:
            text = re.sub(rf"\s+(?:{suffix})$", "", text, flags=re.I)
    text = _LEGAL.sub("", text).strip(" .,-")
    return text


def _ok_company(text: str) -> bool:
    if not text or len(text) > 60 or text.lower() in _not_names():
        return False
    label = squash(text)
    robots = {squash(registrable_label(d)) for d in lexicon.ROBOT_DOMAINS}
    return bool(label) and label not in robots and not label.isdigit()


def spelled(label: str, texts: Sequence[str]) -> str:
    """The company as written in the texts ("Acme Robotics" for acme-robotics), else title case."""
    letters = squash(label)
    if 2 <= len(letters) <= 40:
        # The label's letters with optional spaces, hyphens or "&" between them, not inside a
        # URL; accents do not count ("Lumière" for lumiere), "_" ends a word ("Acme_Offer").
        joined = r"(?:[ -]|[ ]?&[ ]?|[ ]and[ ])?".join(map(re.escape, letters))
        exact = re.compile(rf"(?<![\w.@/-]){joined}(?![^\W_]|[@-])", re.I)
        # "Kestrel Systems" for kestrelsys, "Oakridge Insurance" for oakridge-ins.
        longer = re.compile(rf"(?<![\w.@/-]){joined}[^\W\d_]{{1,12}}(?![\w@-])", re.I)
        for rx, least in ((exact, 2), (longer, 5)):
            if len(letters) < least:
                continue
            for text in texts:
                text = text[:20000]
                for m in rx.finditer(unaccented(text)):
                    found = text[m.start():m.end()]
                    if not all(w[0].isupper() for w in found.split() if w not in ("&", "and")):
                        continue
                    if not found.isupper() or len(letters) <= 4:
                        return found
    # "emberlight-hq", "getacme": the name as written starts with the core of the label.
    core = _AFFIX.sub("", label.lower()).strip("-_")
    if core != label.lower() and len(squash(core)) >= 3:
        prefix = re.compile(
            rf"(?<![\w.@/-])({re.escape(core)}(?:[ ]{_CAPWORD}){{0,2}})(?![\w@-])", re.I
        )
        for text in texts:
            for m in prefix.finditer(text[:20000]):
                words = m.group(1).split()
                while len(words) > 1 and words[-1].lower() in _GENERIC:
                    words.pop()
                if words[0][0].isupper():
                    return " ".join(words)
    words = [w for w in re.split(r"[-_]+", label) if w]
    if len(words) == 1:  # "ironbarksoftware" -> "Ironbark Software"
        ends = "|".join(lexicon.COMPANY_WORDS)
        split = re.fullmatch(rf"([a-z]{{3,}}?)({ends})", words[0].lower())
        if split:
            words = [split.group(1), split.group(2)]
    return " ".join(w.capitalize() for w in words)


def unaccented(text: str) -> str:
    """The text with accents dropped, character for character (same length and offsets)."""
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFKD", c)[0] for c in text)


_AFFIX = re.compile(
    r"^(?:get|try|join|go|use|hello|meet|team)(?=[a-z]{3})|[-_]?(?:hq|inc|corp|group|careers|jobs|"
    r"app|team|global|hr|recruiting|talent|mail)$"
)
# Capitalised words after a company name that are not part of it ("Acme Offer Letter").
_GENERIC = frozenset({
    "offer", "letter", "interview", "team", "recruiting", "careers", "hiring", "confirmation",
    "update", "invitation", "application", "is", "the", "and", "phone", "screen", "call", "hr",
})


@dataclass(frozen=True)
class CompanyGuess:
    """A company name with where it came from (for the reasons)."""

    name: str
    source: str


def find_company(
    domains: Sequence[str],
    senders: Sequence[Address],
    subject: str,
    text: str,
    people_names: Iterable[str] = (),
) -> CompanyGuess | None:
    """The employer the mail is about.

    :param domains: counterpart domains usable as the company, best first.
    :param senders: From/Reply-To addresses, for "Acme via Greenhouse" style names.
    """
    texts = [subject, text] + [a.name for a in senders]
    for domain in domains:
        name = spelled(registrable_label(domain), texts)
        if _ok_company(name):
            return CompanyGuess(name, f"domain {domain}")
    people = {squash(n) for n in people_names if n}
    for addr in senders:
        x, y = _via(addr.name)
        if x and y not in lexicon.PERSON_VIA and _ok_company(_clean_company(x)):
            return CompanyGuess(_clean_company(x), f"sender name {addr.name!r}")
        suffixes = "|".join(s for lang in langs() for s in lang["team_suffixes"])
        m = re.match(rf"(.+?)\s+(?:{suffixes})$", addr.name.strip(), re.I)
        if m and _ok_company(_clean_company(m.group(1))):
            return CompanyGuess(_clean_company(m.group(1)), f"sender name {addr.name!r}")
    tenant = _tenant(text)
    places: tuple[tuple[str, TemplateKey, str], ...] = (
        ("subject", "company_subject", subject), ("text", "company_text", text)
    )
    for source, key, where in places:
        for rx in _templates(key):
            for m in rx.finditer(where[:20000]):
                name = _clean_company(m.group("name"))
                if _ok_company(name) and squash(name) not in people:
                    return CompanyGuess(name, f"{source} {m.group(0).strip()!r}")
        if source == "subject" and tenant:
            return CompanyGuess(spelled(tenant, texts), f"careers link ({tenant})")
    return _service_sender(senders, subject + "\n" + text, people)


def _service_sender(senders: Sequence[Address], text: str, people: set[str]) -> CompanyGuess | None:
    """ "Zephyr Mobility <noreply@smartrecruiters.com>": a service sending in a company's name.

    The name must also appear in the text and not be a person named there.
    """
    services = {squash(n) for n in lexicon.SERVICE_NAMES}
    for addr in senders:
        name = _clean_company(addr.name)
        if not is_robot(addr.email) or not _ok_company(name) or squash(name) in services:
            continue
        if squash(name) in people or not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            continue
        return CompanyGuess(name, f"sender name {addr.name!r}")
    return None


# Careers-site links name the company's tenant. Labels are bounded (DNS allows 63) and must
# start a word: an unbounded [\w-]+ before a literal rescans long words (quadratic).
_TENANT = re.compile(
    r"(?:boards|job-boards|jobs)\.(?:eu\.)?greenhouse\.io/(?P<a>[\w-]{1,63})"
    r"|jobs\.(?:eu\.)?lever\.co/(?P<b>[\w-]{1,63})|jobs\.ashbyhq\.com/(?P<c>[\w-]{1,63})"
    r"|(?<![\w-])(?P<d>[\w-]{1,63})\.wd\d{1,3}\.myworkdayjobs\.com"
    r"|(?<![\w-])(?P<e>[\w-]{1,63})\.(?:bamboohr|workable|recruitee|teamtailor)\.com",
    re.I,
)


def _tenant(text: str) -> str:
    m = _TENANT.search(text[:50000])
    return next((g for g in m.groups() if g), "") if m else ""


# --- role title -----------------------------------------------------------------------------------


@cache
def _role_nouns() -> frozenset[str]:
    return frozenset(w for lang in langs() for w in lang["role_nouns"])


_ROLE_JOINERS = frozenset({"of", "and", "&", "/", "-", "–"})
_ROLE_LEVEL = re.compile(r"I{1,3}|IV|V|\d|\(\w+\)")
_ROLE_STOP = frozenset({"the", "a", "an", "our", "this", "about", "for", "as", "of", "new", "open"})


def _clean_role(raw: str) -> str:
    """The title inside a captured phrase: the capitalised run that ends in a head noun."""
    nouns = _role_nouns()
    for piece in reversed(_TITLE_SPLIT.split(raw)):
        words = piece.strip(" .,()").split()
        last = max((i for i, w in enumerate(words) if w.lower().strip(".,()") in nouns), default=-1)
        if last < 0:
            continue
        start = last
        if any(w[:1].isupper() for w in words[:last + 1]):
            # Walk back over capitalised words (and joiners between them): "VP of Data Platform".
            while start > 0 and (words[start - 1][:1].isupper() or (
                    words[start - 1].lower() in _ROLE_JOINERS and start > 1
                    and words[start - 2][:1].isupper())):
                start -= 1
            # "Head of Data", "Director of Engineering": the noun comes first.
            end = last + 1
            if end + 1 < len(words) + 1 and end < len(words) and words[end].lower() == "of":
                more = end + 1
                while more < len(words) and words[more][:1].isupper():
                    more += 1
                if more > end + 1:
                    end = more
        else:  # "for the senior data engineer role"
            while start > 0 and last - start < 4 and words[start - 1].lower() not in _ROLE_STOP:
                start -= 1
            end = last + 1
        while start < last and words[start].lower() in _ROLE_JOINERS:
            start += 1
        tail = [w for w in words[end:end + 1] if _ROLE_LEVEL.fullmatch(w)]
        title = " ".join(words[start:end] + tail)
        return title.title() if title.islower() else title
    return ""


def find_role(subject: str, text: str) -> str | None:
    """A job title such as "Senior Data Engineer", from context phrases; None if unsure."""
    subject = re.sub(r"^(?:(?:re|fwd?|aw|sv|wg|tr)\s*:\s*)+", "", subject, flags=re.I)
    places: tuple[tuple[str, TemplateKey], ...] = (
        (text[:20000], "role_context"), (subject, "role_subject"), (subject, "role_context")
    )
    for where, key in places:
        for rx in _templates(key):
            for m in rx.finditer(where):
                title = _clean_role(m.group("role"))
                if title:
                    return title
    return None


# Shared with people.py, which finds the people named in a text.
CAPWORD = _CAPWORD
templates = _templates
is_person_name = _is_person_name
