"""Who and what a job mail is about: company, role title, people. Pure: no I/O.

Used by classify.py. Everything here works on already-parsed values and the
lexicon; nothing raises on odd input (an unknown value is None or left out).
"""

from __future__ import annotations

import re
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
from thankful.core.model import Person
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
        # The label's letters with optional spaces or hyphens between them, not inside a URL.
        rx = re.compile(
            r"(?<![\w.@/-])" + r"[ -]?".join(map(re.escape, letters)) + r"(?![\w@-])", re.I
        )
        for text in texts:
            for m in rx.finditer(text[:20000]):
                found = m.group(0)
                if found[0].isupper() and (not found.isupper() or len(letters) <= 4):
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
    return " ".join(w.capitalize() for w in words)


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


# --- people named in text -----------------------------------------------------------------------


def _split_names(segment: str) -> list[tuple[str, str]]:
    """("Name", "Title") pairs from "Priya Shah (Engineering Manager) and Tom Lee"."""
    items = re.split(r",\s*and\s+|,\s*|\s+and\s+|\s*&\s*", segment)
    out: list[tuple[str, str]] = []
    for item in items:
        item = item.strip()
        m = re.match(rf"({_CAPWORD}(?: {_CAPWORD}){{0,3}})\s*(?:\(([^()]*)\))?\s*(.*)$", item)
        if not m:
            if out and title_role(item) and not out[-1][1]:
                out[-1] = (out[-1][0], item)  # "Priya Shah, Engineering Manager"
                continue
            break
        name, title, rest = m.group(1), m.group(2) or "", m.group(3)
        if title_role(name) and out and not out[-1][1]:
            out[-1] = (out[-1][0], name)
            continue
        out.append((name, title))
        if rest:
            break
    return out


def named_people(
    text: str, company: str | None, *, key: TemplateKey = "people_context"
) -> list[Person]:
    """People named without addresses, with a role from their title (interviewer by default)."""
    found: list[Person] = []
    segments = [m.group("names") for rx in _templates(key) for m in rx.finditer(text[:20000])]
    if key == "people_context":
        m = _INTERVIEWER_LIST.search(text[:20000])
        if m:
            segments += [ln.strip(" \t-*•") for ln in m.group(1).splitlines()]
    pairs = [pair for segment in segments for pair in _split_names(segment)]
    if key == "people_context":
        pairs += _schedule(text)
    for name, title in pairs:
        name = name.strip()
        if not _is_person_name(name, company):
            continue
        implied = title_role(title) if title else None
        role: Role
        if key == "intro_context":
            role = implied or "hiring_manager"
        elif "hiring manager" in title.lower():
            role = "hiring_manager"
        elif implied in ("recruiter", "coordinator"):
            role = implied
        else:  # named as an interviewer; "Engineering Manager" still interviews
            role = "interviewer"
        if all(squash(p.name) != squash(name) for p in found):
            found.append(Person(name=name, email=None, role=role))
    return found[:12]


_INTERVIEWER_LIST = re.compile(
    r"interviewers?\s*(?:include|are|will be)?\s*:\s*\n((?:[ \t]*[-*•]?[ \t]*\S.*\n?){1,8})", re.I
)
_SCHEDULE = re.compile(
    rf"^[ \t]*\d{{1,2}}[:.]\d{{2}}\b.*?(?P<name>{_CAPWORD}(?: {_CAPWORD}){{1,3}})"
    r"\s*(?:,\s*(?P<t1>[^\n]{2,80})|\((?P<t2>[^)\n]{2,80})\))\s*$",
    re.MULTILINE,
)


def _schedule(text: str) -> list[tuple[str, str]]:
    """(name, title) from itinerary lines: "09:45 Design José Álvarez, Staff Engineer"."""
    out = []
    for m in _SCHEDULE.finditer(text[:20000]):
        words = m.group("name").split()
        while len(words) > 2 and words[0].isupper():  # "SQL Ingrid Solberg": a topic, then a name
            words = words[1:]
        out.append((" ".join(words), m.group("t1") or m.group("t2") or ""))
    return out[:12]


def signature_role(text: str, name: str) -> Role | None:
    """The role a signature gives its writer ("Jane Doe\nTechnical Recruiter"), else None.

    Only the last lines count, and only the name's line and the three after it when the
    name is there: job titles quoted in the body ("the Product Manager role") are not the
    writer's.
    """
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-8:]
    first = name.split()[0].lower() if name.split() else ""
    window = lines[-4:]
    for i in range(len(lines) - 1, -1, -1):
        if first and first in lines[i].lower() and len(lines[i]) < 60:
            window = [lines[i].lower().replace(name.lower(), " "), *lines[i + 1:i + 4]]
            break
    for line in window:
        if len(line) < 80 and not re.search(r"\b(?:role|position|opening|interview)\b", line, re.I):
            role = title_role(line)
            if role:
                return role
    m = re.search(r"\bI(?:'m| am) (?:a |an |the )?([\w -]{0,40}?(?:recruiter|coordinator))\b", text,
                  re.I)
    return title_role(m.group(1)) if m else None
