"""The people a detection involves, each with the part they played. Pure: no I/O.

Never included: the user's own addresses, robots and role accounts (no-reply,
notifications@, ATS domains, careers@), rooms and resources, attendees who declined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from thankful.core import extract
from thankful.core import lexicon
from thankful.core.model import Address
from thankful.core.model import Attendee
from thankful.core.model import CalEvent
from thankful.core.model import Identity
from thankful.core.model import Kind
from thankful.core.model import MailItem
from thankful.core.model import Person
from thankful.core.model import Role

MAX_PEOPLE = 16
_CAP = extract.CAPWORD


class _People:
    """An ordered, de-duplicated list: by address, else by name."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.items: list[Person] = []

    def _same(self, a: Person, b: Person) -> bool:
        if a.email and b.email:
            return a.email == b.email
        if a.name and b.name and extract.squash(a.name) == extract.squash(b.name):
            return True
        # "Priya Shah" named in the text is the attendee priya.shah@acme.com
        named, addressed = (a, b) if not a.email else (b, a)
        if named.email or not addressed.email or not named.name:
            return False
        local = extract.squash(addressed.email.split("@", 1)[0])
        words = [extract.squash(w) for w in named.name.split()]
        if len(words) >= 2 and all(w and w in local for w in words[:2]):
            return True
        # "Tom" in the text is the attendee "Tom Becker".
        return bool(addressed.name) and extract.squash(addressed.name).startswith(
            extract.squash(named.name))

    def add(self, name: str, email: str | None, role: Role) -> None:
        email = email.lower() if email else None
        if email and (self.identity.is_me(email) or extract.is_robot(email)):
            return
        name = extract.person_name(name, email)
        if not name and not email:
            return
        if name and extract.squash(name) == extract.squash(self.identity.name):
            return
        person = Person(name=name, email=email, role=role)
        for i, known in enumerate(self.items):
            if self._same(known, person):
                if not known.email and email:  # the address makes the person reachable
                    self.items[i] = Person(name=known.name or name, email=email, role=known.role)
                elif not known.name and name:
                    self.items[i] = Person(name=name, email=known.email, role=known.role)
                return
        if len(self.items) < MAX_PEOPLE:
            self.items.append(person)


def _role_near(name: str, texts: str) -> Role | None:
    """A title written right after a person's name ("Priya Shah - Hiring Manager").

    Only an explicit hiring manager, recruiter or coordinator counts: an "Engineering
    Manager" on an interview panel is still an interviewer.
    """
    if not name or len(name) < 3:
        return None
    rx = re.compile(re.escape(name) + r"\s*(?:,|\(|-|–|\||/)\s*([^,()\n]{2,60})")
    for m in rx.finditer(texts[:50000]):
        title = m.group(1)
        if re.search(r"hiring manager", title, re.I):
            return "hiring_manager"
        role = extract.title_role(title)
        if role in ("recruiter", "coordinator"):
            return role
    # "Łukasz is Talent Acquisition Partner at ...", "Dana leads the data platform team".
    names = "|".join(re.escape(n) for n in dict.fromkeys((name, name.split()[0])))
    said = re.compile(rf"(?<!\w)(?:{names})\s+(is|leads|heads|runs|manages)\s+"
                      r"(?:a |an |the |our |their )?([^.,;\n]{2,60})")
    for m in said.finditer(texts[:50000]):
        role = extract.title_role(m.group(2))
        if role is None and m.group(1) != "is":
            return "hiring_manager"  # someone who leads a team is who you would work for
        if role in ("recruiter", "coordinator", "hiring_manager"):
            return role
    return None


def _human_sender(item: MailItem, identity: Identity) -> Address | None:
    """The person behind a message: the sender, a robot's human Reply-To, "X via LinkedIn"."""
    sender = item.sender
    if sender is None or identity.is_me(sender.email):
        return None
    if not extract.is_robot(sender.email):
        return sender
    for addr in item.reply_to:
        if not extract.is_robot(addr.email) and not identity.is_me(addr.email):
            x, y = _split_via(sender.name)
            name = addr.name or (x if y in lexicon.PERSON_VIA else "")
            return Address(name=name, email=addr.email)
    x, y = _split_via(sender.name)
    if x and y in lexicon.PERSON_VIA and len(x.split()) >= 2:
        return Address(name=x, email="")
    return None


def _split_via(display: str) -> tuple[str, str]:
    m = re.match(r"^(.+?)\s+via\s+(.+)$", display.strip(), re.I)
    return (m.group(1).strip(" \"'"), m.group(2).strip().lower()) if m else ("", "")


def _usable(att: Attendee, identity: Identity) -> bool:
    return not (
        identity.is_me(att.email)
        or extract.is_room(att)
        or extract.is_robot(att.email)
        or att.partstat.upper() == "DECLINED"
    )


def gather_people(
    item: MailItem | None,
    identity: Identity,
    kind: Kind,
    events: Sequence[CalEvent],
    texts: str,
    *,
    screen: bool,
    company: str | None,
) -> list[Person]:
    """Everyone worth knowing for a detection, best first.

    :param texts: the sender's own text plus event descriptions (for titles and named people).
    :param screen: a recruiter screen: a lone organizer is then the recruiter, not an interviewer.
    """
    people = _People(identity)
    sender = _human_sender(item, identity) if item is not None else None
    if sender is not None and item is not None:
        if kind == "referral_intro":
            people.add(sender.name, sender.email or None, "referrer")
        else:
            name = extract.person_name(sender.name, sender.email)
            people.add(name, sender.email or None,
                       signature_role(item.new_text, name) or "recruiter")
    if kind in ("offer", "interview_invite") and item is not None and sender is not None \
            and sender.email:
        # Colleagues copied on an offer or an invitation are owed thanks too: the hiring
        # manager when a recruiter writes, the recruiter when the hiring manager does.
        home = extract.domain_of(sender.email)
        writer = people.items[0].role if people.items else "recruiter"
        # A coordinator copies the recruiter who runs the process, not a hiring manager.
        other: Role = "recruiter" if writer in ("hiring_manager", "coordinator") \
            else "hiring_manager"
        for addr in item.cc:
            if extract.domain_of(addr.email) == home:
                near = _role_near(addr.name, texts) if addr.name else None
                people.add(addr.name, addr.email, near or other)
        # Whoever wrote the forwarded or quoted part from the same company ("Fwd: ... From:
        # Sam Okonkwo <sam@acme.com>") is part of the process as well.
        for name, email in _history_writers(item.text, home):
            people.add(name, email, _role_near(name, item.text) or "interviewer")
    if kind == "referral_intro" and item is not None:
        for addr in (*item.to, *item.cc):
            if sender is None or addr.email != sender.email:
                near = _role_near(addr.name, texts) if addr.name else None
                people.add(addr.name, addr.email, near or "hiring_manager")
        for person in named_people(texts, company, key="intro_context"):
            people.add(person.name, None, person.role)
    for ev in events:
        others = [a for a in ev.attendees if _usable(a, identity)
                  and not (ev.organizer and a.email and a.email == ev.organizer.email)]
        org = ev.organizer
        if org is not None and _usable(org, identity):
            local = (org.email or "").split("@", 1)[0]
            org_role: Role | None
            if not others:
                org_role = "recruiter" if screen else "interviewer"
            elif re.search(r"coordinat|schedul", f"{local} {org.name}", re.I):
                org_role = "coordinator"
            else:
                org_role = _role_near(org.name, texts) or "recruiter"
            people.add(org.name, org.email, org_role or "recruiter")
        for att in others:
            near = _role_near(att.name, texts)
            people.add(att.name, att.email, near or "interviewer")
    if kind in ("interview_invite", "offer", "rejection") or events:
        for person in named_people(texts, company):
            people.add(person.name, None, person.role)
    # "Host: Nora Castellanos (nora@vantablue.ai)", "your recruiter, Hector Vallejo, at ...".
    fallback: Role = "recruiter"
    if kind == "referral_intro":
        fallback = "hiring_manager"
    elif kind == "interview_invite" and not screen:
        fallback = "interviewer"
    for name, email in addressed_names(texts):
        if identity.at_employer(email):
            continue
        people.add(name, email, _role_near(name, texts) or fallback)
    return people.items


_HISTORY_FROM = re.compile(
    r"^[ \t>]*\*?(?:From|Von|De|Van|Da)\s*:\*?[ \t]*\"?([^\n<>\"]{2,80}?)\"?[ \t]*"
    r"<([^<>@\s]{1,64}@[^<>\s]{1,255})>", re.M | re.I)


def _history_writers(text: str, domain: str) -> list[tuple[str, str]]:
    """(name, address) of the writers of quoted or forwarded parts at ``domain``."""
    out = []
    for m in _HISTORY_FROM.finditer(text[:50000]):
        email = m.group(2).lower()
        if extract.domain_of(email) == domain and not extract.is_robot(email):
            out.append((m.group(1).strip(), email))
    return out[:8]


# --- people named in text -----------------------------------------------------------------------


def _split_names(segment: str) -> list[tuple[str, str]]:
    """("Name", "Title") pairs from "Priya Shah (Engineering Manager) and Tom Lee"."""
    items = re.split(r",\s*and\s+|,\s*|\s+and\s+|\s*&\s*", segment)
    out: list[tuple[str, str]] = []
    for item in items:
        item = item.strip()
        m = re.match(rf"({_CAP}(?: {_CAP}){{0,3}})\s*(?:\(([^()]*)\))?\s*(.*)$", item)
        if not m:
            if out and extract.title_role(item) and not out[-1][1]:
                out[-1] = (out[-1][0], item)  # "Priya Shah, Engineering Manager"
                continue
            break
        name, title, rest = m.group(1), m.group(2) or "", m.group(3)
        if extract.title_role(name) and out and not out[-1][1]:
            out[-1] = (out[-1][0], name)
            continue
        out.append((name, title))
        if rest:
            break
    return out


def named_people(
    text: str, company: str | None, *, key: extract.TemplateKey = "people_context"
) -> list[Person]:
    """People named without addresses, with a role from their title (interviewer by default)."""
    found: list[Person] = []
    segments = [m.group("names") for rx in extract.templates(key)
                for m in rx.finditer(text[:20000])]
    if key == "people_context":
        m = _INTERVIEWER_LIST.search(text[:20000])
        if m:
            segments += [ln.strip(" \t-*•") for ln in m.group(1).splitlines()]
    pairs = [pair for segment in segments for pair in _split_names(segment)]
    if key == "people_context":
        pairs += _schedule(text)
    for name, title in pairs:
        name = name.strip()
        if not extract.is_person_name(name, company):
            continue
        implied = extract.title_role(title) if title else None
        role: Role
        if key == "intro_context":
            role = implied or "hiring_manager"
        elif "hiring manager" in title.lower():
            role = "hiring_manager"
        elif implied in ("recruiter", "coordinator"):
            role = implied
        else:  # named as an interviewer; "Engineering Manager" still interviews
            role = "interviewer"
        if all(extract.squash(p.name) != extract.squash(name) for p in found):
            found.append(Person(name=name, email=None, role=role))
    return found[:12]


_INTERVIEWER_LIST = re.compile(
    r"interviewers?\s*(?:include|are|will be)?\s*:\s*\n((?:[ \t]*[-*•]?[ \t]*\S.*\n?){1,8})", re.I
)
_SCHEDULE = re.compile(
    rf"^[ \t]*\d{{1,2}}[:.]\d{{2}}\b.*?(?P<name>{_CAP}(?: {_CAP}){{1,3}})"
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


_ADDRESSED = re.compile(
    rf"(?P<name>{_CAP}(?:[ ]{_CAP}){{1,3}})(?:,[ ][^,()<>\n@]{{2,60}}?)?[ \t]*"
    r"(?:\(|<|\[|,?[ ]at[ ]|:[ \t]*)[ \t]*"
    r"(?:mailto:)?(?P<email>[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4})(?![\w.-]*@)"
)


def addressed_names(text: str) -> list[tuple[str, str]]:
    """(name, address) written together: "Nora Castellanos (nora@vantablue.ai)"."""
    out = []
    for m in _ADDRESSED.finditer(text[:20000]):
        words = m.group("name").split()[-3:]
        email = m.group("email").lower().rstrip(".")
        name = " ".join(words)
        if extract.is_robot(email) or not extract.is_person_name(name, None):
            continue
        out.append((name, email))
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
            role = extract.title_role(line)
            if role:
                return role
    m = re.search(r"\bI(?:'m| am) (?:a |an |the )?([\w -]{0,40}?(?:recruiter|coordinator))\b", text,
                  re.I)
    return extract.title_role(m.group(1)) if m else None
