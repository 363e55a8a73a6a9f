"""Keyword and pattern data for detection, as plain data. Pure: no I/O, no logic.

Language data lives in ``LANGUAGES`` under a language code; English is in lexicon_en.py.
To add a language, add a module with a ``Language`` dict with the same keys and list it
in ``LANGUAGES``: classify.py uses every entry at once (mails mix languages). Patterns
are case-insensitive regular expressions that must match whole words; a tuple of
patterns means "any of these", so a phrase is added by adding a string.

A cue is ``(patterns, weight)``: positive weights are evidence for a kind, negative ones
against it. Weights add up and are clipped to [0, 1]; classify.py's ``MIN_SCORE`` decides
whether the best kind wins and ``SURE_THRESHOLD`` whether it acts without review.

Extraction templates contain placeholders that extract.py fills in: ``{NAME}`` (a
capitalised name or company), ``{NAMES}`` (a list of names) and ``{ROLE}`` (a job title).
"""

from __future__ import annotations

from typing import TypedDict

from thankful.core.lexicon_en import EN

Patterns = tuple[str, ...]
Cue = tuple[Patterns, float]


class Language(TypedDict):
    """The data one language provides."""

    subject: dict[str, tuple[Cue, ...]]
    text: dict[str, tuple[Cue, ...]]
    veto: dict[str, Patterns]
    application_context: Patterns
    application_received: Patterns
    cancellation: Patterns
    rescheduled: Patterns
    newsletter: Patterns
    event_interview: Patterns
    event_not_interview: Patterns
    event_chat: Patterns
    mode_words: dict[str, Patterns]
    screen: Patterns
    technical: Patterns
    titles: tuple[tuple[Patterns, str], ...]
    role_nouns: Patterns
    not_names: Patterns
    team_suffixes: Patterns
    company_subject: Patterns
    company_text: Patterns
    role_context: Patterns
    role_subject: Patterns
    people_context: Patterns
    intro_context: Patterns

#: Every language's data; classify.py and extract.py merge them.
LANGUAGES: dict[str, Language] = {"en": EN}

# --- data that does not depend on language ---------------------------------------------------

#: Senders from these domains are services: never a person, never the company.
ROBOT_DOMAINS: tuple[str, ...] = (
    "greenhouse.io", "greenhouse-mail.io", "lever.co", "hire.lever.co", "myworkday.com",
    "myworkdayjobs.com", "workday.com", "ashbyhq.com", "ashby.io", "icims.com",
    "smartrecruiters.com", "taleo.net", "successfactors.com", "jobvite.com", "bamboohr.com",
    "workable.com", "breezy.hr", "recruitee.com", "teamtailor.com", "personio.de",
    "personio.com", "jazzhr.com", "applytojob.com", "calendly.com", "goodtime.io",
    "linkedin.com", "indeed.com", "indeedemail.com", "glassdoor.com", "ziprecruiter.com",
    "docusign.net", "docusign.com", "hellosign.com", "dropboxsign.com", "echosign.com",
    "adobesign.com", "pandadoc.com", "pandadoc.net", "successfactors.eu", "workablemail.com",
    "zoom.us", "hirevue.com", "codility.com",
    "hackerrank.com", "codesignal.com", "coderpad.io", "sendgrid.net", "mcsv.net",
    "mcdlv.net", "amazonses.com", "mailgun.org", "wellfound.com", "angel.co", "hired.com",
    "otta.com", "dice.com", "monster.com", "paradox.ai", "avature.net", "beamery.com",
    "rippling.com", "gusto.com", "calendar.google.com", "resource.calendar.google.com",
    "group.calendar.google.com",
)
#: Mail services anyone can use: their users are people, but not the company.
FREEMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "pm.me", "fastmail.com", "fastmail.fm", "web.de", "mail.com",
    "zoho.com", "yandex.com", "yandex.ru", "qq.com", "163.com", "hey.com", "tutanota.com",
    "posteo.de", "mailbox.org", "t-online.de",
)
#: Registrable labels that are freemail under any suffix (gmx.at, yahoo.co.uk, ...).
FREEMAIL_LABELS: tuple[str, ...] = ("gmx", "yahoo", "hotmail", "outlook", "gmail", "live")
#: Local parts of robots and role accounts: never a person to thank (matched whole, or with
#: a suffix from ROLE_SUFFIXES: "careers-eu", "talent-acquisition").
ROBOT_LOCALPARTS: str = (
    r"no-?reply|noreply|do-?not-?reply|donotreply|no_reply|do_not_reply|notifications?|"
    r"notify|mailer-daemon|postmaster|bounces?|calendar-notification|alerts?|news(?:letter)?|"
    r"updates|info|support|hello|jobs|careers|recruiting|recruitment|talent|hiring|hr|team|"
    r"invitations?|messages?|inmail-hit-reply|hit-reply|dse(?:_\w+)?|automated|system|admin|"
    r"scheduling|resourcing|offers?|deals|promo(?:tions)?|marketing|events|surveys?"
)
ROLE_SUFFIXES: str = r"team|ops|eu|us|uk|de|emea|apac|global|hq|acquisition|coordinators?|noreply"
#: Last words of company names, for splitting a one-word domain ("ironbarksoftware").
COMPANY_WORDS: tuple[str, ...] = (
    "software", "systems", "labs", "health", "bio", "games", "robotics", "analytics", "mobility",
    "bank", "insurance", "payments", "data", "cloud", "logistics", "energy", "studios", "retail",
    "aviation", "maritime", "capital", "group", "tech", "media", "freight", "ledger", "foods",
    "security", "networks", "therapeutics", "consulting", "partners", "ventures", "solutions",
)
#: Display names of the services that send on a company's behalf (never the company).
SERVICE_NAMES: tuple[str, ...] = (
    "adobe acrobat sign", "adobe sign", "docusign", "dropbox sign", "hellosign", "pandadoc",
    "calendly", "goodtime", "linkedin", "greenhouse", "lever", "workday", "ashby", "icims",
    "smartrecruiters", "taleo", "indeed", "glassdoor", "wellfound", "otta", "teamtailor",
    "jobvite", "bamboohr", "workable", "zoom", "google calendar", "microsoft outlook",
)
#: Sender local parts of recruiting channels: a message from one is outreach evidence.
OUTREACH_SENDERS: str = r"inmail"
#: Services whose "Name via Service" display names carry a person's name.
PERSON_VIA: tuple[str, ...] = (
    "linkedin", "docusign", "calendly", "hellosign", "dropbox sign", "adobe sign", "goodtime",
)
#: Second-level labels under two-letter country suffixes (acme.co.uk -> acme).
SECOND_LEVEL: tuple[str, ...] = ("co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "gv")
#: Attachment names of offer letters.
OFFER_ATTACHMENT: str = r"offer[ _-]?letter|offer[ _-]of[ _-]employment|employment[ _-]offer|offer"
#: Room and resource names that are not people ("Conf Room 4B").
ROOM_NAMES: str = (
    r"\b(?:conf(?:erence)?\.?\s*room|meeting room|room|boardroom|huddle|auditorium|"
    r"projector|resource)\b|^\d+[-\s]?[A-Z]?\d*\s*[-(]"
)
