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
                       extract.signature_role(item.new_text, name) or "recruiter")
    if kind == "offer" and item is not None and sender is not None and sender.email:
        # Colleagues copied on an offer are owed thanks too: the hiring manager when a
        # recruiter sends it, the recruiter when the hiring manager does.
        home = extract.domain_of(sender.email)
        writer = people.items[0].role if people.items else "recruiter"
        other: Role = "recruiter" if writer == "hiring_manager" else "hiring_manager"
        for addr in item.cc:
            if extract.domain_of(addr.email) == home:
                near = _role_near(addr.name, texts) if addr.name else None
                people.add(addr.name, addr.email, near or other)
    if kind == "referral_intro" and item is not None:
        for addr in (*item.to, *item.cc):
            if sender is None or addr.email != sender.email:
                near = _role_near(addr.name, texts) if addr.name else None
                people.add(addr.name, addr.email, near or "hiring_manager")
        for person in extract.named_people(texts, company, key="intro_context"):
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
        for person in extract.named_people(texts, company):
            people.add(person.name, None, person.role)
    return people.items
