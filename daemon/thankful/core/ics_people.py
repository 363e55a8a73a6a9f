"""ORGANIZER and ATTENDEE properties as model.Attendee values. Pure: no I/O.

Producers disagree on how a calendar user is written: Yahoo doubles the scheme
(``mailto:MAILTO:x@y``), Apple servers write principal paths with the address in
the EMAIL parameter, iCloud relays the organizer through ``2_...@imip.me.com``
with the real address in EMAIL, Lightning writes ``urn:uuid:``, Outlook
``invalid:nomail``, Exchange wraps CN in single quotes. This module turns all of
them into one shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from icalendar import Component

from thankful.core.model import Attendee

_MAILTO = re.compile(r"^\s*mailto:", re.IGNORECASE)
_BRACKETED = re.compile(r"<([^<>]*)>")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")


def email_of(value: str) -> str | None:
    """The lower-cased address in a CAL-ADDRESS value, or None if it holds none."""
    text = value.strip()
    while _MAILTO.match(text):
        text = _MAILTO.sub("", text, count=1)
    text = unquote(text).strip()
    bracketed = _BRACKETED.search(text)
    if bracketed:  # 'name<addr>' written into the URI (Apple iCal 4): the address is in <>
        text = bracketed[1].strip()
    return text.lower() if _EMAIL.match(text) else None


def _param(params: Any, name: str) -> str:
    """A parameter as one stripped string ('' when absent); lists give their first item."""
    value = params.get(name) if params is not None else None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()


def _name(cn: str) -> str:
    # Exchange writes CN="'name@example.net'": the single quotes are not part of the name.
    if len(cn) >= 2 and cn[0] == cn[-1] == "'":
        cn = cn[1:-1].strip()
    return cn


def person(prop: Any) -> Attendee:
    """One ORGANIZER/ATTENDEE property (vCalAddress, or vBroken kept by icalendar) as an Attendee.

    The EMAIL parameter wins when it holds an address: it is the person's real
    address where the value is a principal path, a urn:uuid or a relay.
    """
    params = getattr(prop, "params", None)
    email = email_of(_param(params, "EMAIL")) or email_of(str(prop))
    return Attendee(
        name=_name(_param(params, "CN")),
        email=email,
        partstat=_param(params, "PARTSTAT").upper() or "NEEDS-ACTION",
        cutype=_param(params, "CUTYPE").upper() or "INDIVIDUAL",
        role=_param(params, "ROLE").upper() or "REQ-PARTICIPANT",
    )


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def organizer_of(component: Component) -> Attendee | None:
    """The first ORGANIZER (macOS repeats it), or None."""
    props = _as_list(component.get("ORGANIZER"))
    return person(props[0]) if props else None


def attendees_of(component: Component) -> tuple[Attendee, ...]:
    """Every ATTENDEE once, in file order; a repeated address keeps its first entry."""
    seen: set[str] = set()
    out: list[Attendee] = []
    for prop in _as_list(component.get("ATTENDEE")):
        who = person(prop)
        key = who.email or f"name:{who.name}:{prop}"
        if key in seen:
            continue
        seen.add(key)
        out.append(who)
    return tuple(out)
