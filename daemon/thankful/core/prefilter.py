"""Headers first: which messages need their body read at all. Pure.

Reading a message's headers costs a fraction of reading the whole of it. The scan reads
every new message's headers, and the body only of the messages that could be about a
job search. The rule is cautious by design: a body is skipped only when the headers
alone prove the message is bulk mail from a sender no recruiting system uses, with a
subject that says nothing of a job search, or an automatic reply. Every message of the
labelled detection corpus that is not "other" needs its body (a test holds this).
"""

from __future__ import annotations

import re

from thankful.core.lexicon import ROBOT_DOMAINS
from thankful.core.model import Identity
from thankful.core.model import MailItem

#: Subject words that make a message worth reading whatever its headers say.
_CUES = re.compile(
    r"interview|offer|screen|call\b|chat|talk|speak|conversation|connect|meet|introduc|"
    r"\bintro\b|referr|refer\b|recommend|application|applied|apply|position|role\b|job|"
    r"candida|recruit|hiring|hire\b|talent|career|opportunit|next steps?|schedul|"
    r"availab|invit|confirm|reschedul|cancel|update on|follow[- ]?up|your (?:time|visit)|"
    r"onsite|on-site|zoom|teams|webex|itinerar|agenda|assessment|offer letter|sign|"
    r"welcome|congrat|decision|feedback|thank",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = re.compile(r"bulk|list|junk", re.IGNORECASE)
_GENERATED = re.compile(r"auto-generated", re.IGNORECASE)
_SERVICE_HEADERS = ("feedback-id", "x-sg-eid", "x-mailgun-sid", "x-ses-outgoing", "x-campaign",
                    "x-campaignid", "x-mc-user", "x-mailchimp-campaign", "x-marketoid",
                    "x-sfmc-stack", "x-csa-complaints")
_MACHINE_SENDER = re.compile(
    r"(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|alerts?|mailer|"
    r"news(?:letter)?|updates|info|marketing|promo(?:tions)?|deals|orders?|shipping|"
    r"receipts?|billing|accounts?|security|support|service|hello|team)(?:[-_.+].*)?")
_AUTO_REPLY = re.compile(r"auto-replied", re.IGNORECASE)


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[1].lower() if "@" in email else ""


def _service_domain(domain: str) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in ROBOT_DOMAINS)


def needs_body(head: MailItem, identity: Identity) -> tuple[bool, str]:
    """Whether to read the whole message, and why (judged from its headers alone)."""
    h = head.headers
    if head.is_thankful:
        return False, "thankful's own message"
    if _AUTO_REPLY.search(h.get("auto-submitted", "")) or "x-autoreply" in h \
            or "x-autorespond" in h:
        return False, "an automatic reply"
    sender = head.sender.email if head.sender else ""
    if sender and identity.is_me(sender):
        return True, "sent by you"
    local = sender.split("@", 1)[0].lower() if "@" in sender else ""
    bulk = bool(h.get("list-id") or h.get("list-unsubscribe")
                or _BULK_PRECEDENCE.search(h.get("precedence", ""))
                # Sent by a bulk-mail service, or by a machine.
                or any(name in h for name in _SERVICE_HEADERS)
                or _GENERATED.search(h.get("auto-submitted", ""))
                or _MACHINE_SENDER.fullmatch(local))
    if not bulk:
        return True, "personal mail"
    if _service_domain(_domain(sender)):
        return True, "from a recruiting or scheduling service"
    if _CUES.search(head.subject):
        return True, "the subject speaks of a job search"
    return False, "bulk mail with nothing of a job search in its subject"
