"""Headers first: which messages need their body read at all. Pure.

Reading a message's headers costs a fraction of reading the whole of it. The scan reads
every new message's headers and decides, for each, one of three things:

* ``skip``: the headers alone prove the message is bulk mail from a sender no
  recruiting system uses, with a subject that says nothing of a job search, or an
  automatic reply;
* ``body``: it may be about a job search (a recruiting service sent it, the subject
  speaks of one, the user sent it, it carries an invitation): read it whole;
* ``preview``: personal mail whose subject says nothing either way ("hi", "Re:
  Flights"). A referral often hides in such a message, so its first few kilobytes of
  text are read (:data:`PREVIEW_BYTES`) and the whole body only when that text speaks
  of a job search (:func:`preview_needs_body`).

The rule is cautious by design: every message of the labelled detection corpus that
is not "other" gets its body read (a test holds this, previews included).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from collections.abc import Mapping
from typing import Literal

from thankful.core.lexicon import ROBOT_DOMAINS
from thankful.core.model import Glance
from thankful.core.model import Identity
from thankful.core.model import MailItem
from thankful.core.parse_mail import glance

Action = Literal["skip", "preview", "body"]

#: How much of a message's text a preview reads.
PREVIEW_BYTES = 4096


#: The characters other than A-Z that ``re.IGNORECASE`` matches to an ASCII letter and
#: that ``str.lower`` does not lower to it (the others are KELVIN SIGN, which it does).
#: A test sweeps every code point for this.
_ASCII_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


class _Words:
    """A case-blind search for a lower-case pattern of ASCII letters: the text is
    lower-cased and searched as it is. For a pattern of ASCII letters that finds what
    ``re.IGNORECASE`` finds (a test holds this for every code point), several times
    quicker, most of all for text that is not ASCII."""

    __slots__ = ("_exact",)

    def __init__(self, pattern: str) -> None:
        if pattern != pattern.lower() or not pattern.isascii():
            raise ValueError("the pattern must be lower-case ASCII")
        self._exact = re.compile(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        if text.isascii():
            return self._exact.search(text.lower())
        return self._exact.search(text.translate(_ASCII_FOLDS).lower())


#: Subject words that make a message worth reading whatever its headers say. (No
#: alternative starts with ``\b``, so that the engine passes over the letters no word
#: starts with: ``i(?<=\bi)ntro`` is ``\bintro``.)
_CUES = _Words(
    r"interview|offer|screen|call\b|chat|talk|speak|conversation|connect|meet|introduc|"
    r"i(?<=\bi)ntro\b|referr|refer\b|recommend|application|applied|apply|position|role\b|job|"
    r"candida|recruit|hiring|hire\b|talent|career|opportunit|next steps?|schedul|"
    r"availab|invit|confirm|reschedul|cancel|update on|follow[- ]?up|your (?:time|visit)|"
    r"onsite|on-site|zoom|teams|webex|itinerar|agenda|assessment|offer letter|sign|"
    r"welcome|congrat|decision|feedback|thank|round\b|"
    # A job title in the subject: "Logistics Systems Engineer - next round".
    r"engineer|developer|manager|designer|analyst|scientist|director|architect|"
    r"consultant|specialist|coordinator|associate|intern\b|internship|lead\b",
)
#: Subject words that make bulk mail worth reading: narrower than :data:`_CUES`, as
#: shops "offer" and "confirm" and mailing lists "meet" every day.
_BULK_CUES = _Words(
    r"interview|screen(?:ing)?\b|applica|applied|applying|candida|recruit|position\b|"
    r"next steps?|invit|schedul|availab|onsite|on-site|assessment|itinerar|referr|"
    r"introduc|i(?<=\bi)ntro\b|your (?:time|visit)|job offer|offer (?:letter|of employment|"
    r"details|from|to join)|(?:your|an|the|verbal|written) offer\b",
)
#: Words in a preview of personal mail that make its whole body worth reading (the
#: text is lower-cased first: a case-blind search of a few kilobytes is several times
#: slower, and a search at word starts only several times quicker again).
_TEXT_CUES = re.compile(
    r"\b(?:interview|recruit|hiring|\bhire|job|position|role\b|opening|vacanc|opportunit|"
    r"applica|applied|apply|candida|r[eé]sum[eé]|\bcv\b|portfolio|referr|refer\b|"
    r"introduc|\bintro\b|connect (?:you|the two)|put in a (?:good )?word|offer|salary|"
    r"compensation|start date|onboard|headhunt|talent|career|linkedin|team is looking|"
    r"looking for (?:a|someone)|begin:vcalendar|text/calendar|invit|schedul|"
    r"whiteboard|panel\b|on-?site|campus|lobby|take-home|coding|next round|the team\b|"
    r"engineers?\b|hiring manager|"
    r"bewerbung|vorstellungsgespr|stelle|entretien|candidature|poste\b|entrevista|oferta"
    r")",
)
_CALENDAR_TYPE = re.compile(r"text/calendar|application/ics", re.IGNORECASE)
_BULK_PRECEDENCE = re.compile(r"bulk|list|junk", re.IGNORECASE)
_GENERATED = re.compile(r"auto-generated", re.IGNORECASE)
_SERVICE_HEADERS = frozenset((
    "feedback-id", "x-sg-eid", "x-mailgun-sid", "x-ses-outgoing", "x-campaign", "x-campaignid",
    "x-mc-user", "x-mailchimp-campaign", "x-marketoid", "x-sfmc-stack", "x-csa-complaints"))
_MACHINE_SENDER = re.compile(
    r"(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|alerts?|mailer|"
    r"news(?:letter)?|updates|info|marketing|promo(?:tions)?|deals|orders?|shipping|"
    r"receipts?|billing|accounts?|security|support|service|hello|team)(?:[-_.+].*)?")
_AUTO_REPLY = re.compile(r"auto-replied", re.IGNORECASE)


_ROBOTS = frozenset(d.lower() for d in ROBOT_DOMAINS)


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[1].lower() if "@" in email else ""


def _service_domain(domain: str) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in _ROBOTS for i in range(len(labels) - 1))


def needs_body(head: MailItem, identity: Identity) -> tuple[bool, str]:
    """Whether the headers leave a doubt (a preview or the whole body), and why."""
    action, why = triage(head, identity)
    return action != "skip", why


def triage(head: MailItem, identity: Identity) -> tuple[Action, str]:
    """What to read of a message judged by its headers alone, and why."""
    return _judge(head.sender.email if head.sender else "", head.subject, head.headers,
                  head.headers, identity)


def triage_glance(head: Glance, identity: Identity) -> tuple[Action, str]:
    """:func:`triage` of a :class:`Glance` (what a scan makes of every new message)."""
    return _judge(head.sender, head.subject, head.values, head.present, identity)


def judge_head(raw: bytes, identity: Identity) -> tuple[Action, str] | None:
    """:func:`triage_glance` of a header block's glance: what a scan decides for nearly
    every new message. None when the glance cannot tell: thankful's own drafts and
    reminders (their slot may need recording) and a block the glance could not read.
    The caller then reads the block with ``parse_mail.triage_headers``."""
    seen = glance(raw)
    if seen is None or seen.is_thankful:
        return None
    return triage_glance(seen, identity)


def _judge(sender: str, subject: str, h: Mapping[str, str], present: Collection[str],
           identity: Identity) -> tuple[Action, str]:
    """The rule: ``h`` holds the values of the triage headers it reads, ``present``
    the names of the triage headers the message has."""
    if "x-thankful-note" in present or "x-thankful-kind" in present:
        return "skip", "thankful's own message"
    if _AUTO_REPLY.search(h.get("auto-submitted", "")) or "x-autoreply" in present \
            or "x-autorespond" in present:
        return "skip", "an automatic reply"
    if sender and identity.is_me(sender):
        return "body", "sent by you"
    if _CALENDAR_TYPE.search(h.get("content-type", "")):
        return "body", "an invitation"
    local = sender.split("@", 1)[0].lower() if "@" in sender else ""
    bulk = bool(h.get("list-id") or h.get("list-unsubscribe")
                or _BULK_PRECEDENCE.search(h.get("precedence", ""))
                # Sent by a bulk-mail service, or by a machine.
                or not _SERVICE_HEADERS.isdisjoint(present)
                or _GENERATED.search(h.get("auto-submitted", ""))
                or _MACHINE_SENDER.fullmatch(local))
    if _service_domain(_domain(sender)):
        return "body", "from a recruiting or scheduling service"
    if not bulk:
        if _CUES.search(subject):
            return "body", "personal mail that speaks of a job search"
        return "preview", "personal mail"
    if _BULK_CUES.search(subject):
        return "body", "the subject speaks of a job search"
    return "skip", "bulk mail with nothing of a job search in its subject"


def preview_needs_body(preview: str) -> tuple[bool, str]:
    """Whether the first text of personal mail speaks of a job search (then read it all)."""
    hit = _TEXT_CUES.search(preview.lower())
    if hit:
        return True, f"its text speaks of a job search ({hit.group(0).lower()!r})"
    return False, "personal mail that says nothing of a job search"
