"""Keyword and pattern data for detection, as plain data. Pure: no I/O, no logic.

Language data lives in ``LANGUAGES`` under a language code. To add a language, add a
``Language`` dict with the same keys: classify.py uses every entry at once (mails mix
languages). Patterns are case-insensitive regular expressions that must match whole
words; a tuple of patterns means "any of these", so a phrase is added by adding a string.

A cue is ``(patterns, weight)``: positive weights are evidence for a kind, negative ones
against it. Weights add up and are clipped to [0, 1]; classify.py's ``MIN_SCORE`` decides
whether the best kind wins and ``SURE_THRESHOLD`` whether it acts without review.

Extraction templates contain placeholders that extract.py fills in: ``{NAME}`` (a
capitalised name or company), ``{NAMES}`` (a list of names) and ``{ROLE}`` (a job title).
"""

from __future__ import annotations

from typing import TypedDict

Patterns = tuple[str, ...]
Cue = tuple[Patterns, float]


class Language(TypedDict):
    """The data one language provides."""

    subject: dict[str, tuple[Cue, ...]]
    text: dict[str, tuple[Cue, ...]]
    veto: dict[str, Patterns]
    application_received: Patterns
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


# Shared fragments keep the cue lists readable.
_A = r"(?:an? |the |your |our |this |that )?"
_WORDS = r"(?:[\w-]+ ){0,3}"
_MEETING = (
    r"(?:interview|phone screen|screening(?: call)?|screen|call|chat|conversation|onsite|"
    r"on-site|video call|meeting|round)"
)
_NOT = r"(?:not|n't|unable to)"
_CV = r"(?:r[eé]sum[eé]|cv|profile)"

EN: Language = {
    "subject": {
        "interview_invite": (
            ((r"interview(?:s|ing)?",), 0.4),
            ((r"phone screen(?:ing)?", "screening call", r"intro(?:ductory)? call",
              r"recruiter (?:call|screen|chat)"), 0.45),
            ((r"on-?site", "final round", "next round", "technical round", "panel"), 0.3),
            ((r"next steps?", "scheduling", "schedule", "availability", r"book (?:a|your) time"),
             0.2),
            ((r"interview (?:confirmation|confirmed|scheduled|invitation|invite|request)",
              r"(?:confirmed|scheduled|invitation):.{0,60}interview"), 0.25),
            (("invitation:", "confirmed:", "updated invitation:"), 0.1),
            # Answers to an invitation the user sent are not invitations.
            ((r"^(?:accepted|declined|tentative|tentatively accepted|new time proposed)\s*:",),
             -0.4),
        ),
        "offer": (
            (("offer letter", "offer of employment", "job offer", "employment offer", "your offer",
              r"offer (?:from|for|details|package)", "verbal offer", "formal offer"), 0.5),
            (("offer",), 0.25),
            ((r"(?:please docusign|complete with docusign|docusign|signature requested|"
              r"please sign)\W.{0,80}offer",), 0.3),
        ),
        "referral_intro": (
            (("intro", "introduction", "introducing"), 0.35),
            (("<>", "<->"), 0.2),
            (("referral", "referred"), 0.35),
        ),
        "recruiter_outreach": (
            ((r"opportunit(?:y|ies)", r"exciting (?:role|position)", "hiring for", "are you open",
              "open to"), 0.3),
            ((r"your (?:background|profile|experience)",), 0.25),
        ),
        "rejection": (
            ((r"(?:update on|regarding|about) your application",
              r"your application (?:status|update)", r"application (?:update|status)"), 0.25),
            (("unfortunately",), 0.3),
        ),
    },
    "text": {
        "interview_invite": (
            ((rf"invit\w* you (?:to|for) {_A}{_WORDS}{_MEETING}",), 0.5),
            ((rf"(?:like|love|want|happy|excited|pleased|glad) to (?:schedule|set up|arrange|book|"
              rf"invite you (?:to|for)|have you (?:in|come in|on-?site)) {_A}{_WORDS}{_MEETING}",),
             0.45),
            ((rf"(?:your|the|this) {_WORDS}(?:interview|phone screen|screen|call) "
              r"(?:is|has been|was) (?:now )?(?:scheduled|confirmed|booked|set|rescheduled)",),
             0.5),
            ((rf"(?:schedule|book|set up|arrange) {_A}{_WORDS}(?:interview|phone screen|"
              r"screening call|time to (?:talk|chat|connect|speak))",), 0.3),
            ((r"interview(?:s|ing)?", "phone screen", "screening call"), 0.2),
            ((r"you(?:'ll| will|'d| would) (?:be )?(?:meet|meeting|speak|speaking|talk|talking|"
              r"chat|chatting|interview|interviewing) with",), 0.3),
            ((r"(?:select|choose|pick|book|let (?:me|us) know) (?:a |your )?(?:time|times|slot|"
              r"availability)", "your availability", r"what times? works?",
              r"when (?:are|would) you (?:be )?(?:free|available)"), 0.25),
            ((r"(?:next|final|technical|on-?site|panel|second|2nd|third|3rd) "
              r"(?:round|stage|interview)",), 0.25),
            ((r"intro(?:ductory)? call", "initial call", "recruiter call", "screening call"), 0.3),
            ((r"looking forward to (?:speaking|talking|meeting|chatting|connecting) with you",),
             0.1),
            ((r"(?:your|the) (?:interview )?itinerary",
              r"(?:welcome|welcoming) you (?:to|at) our (?:\w+ )?(?:office|offices|headquarters|"
              r"hq|campus)", r"(?:your|the) interview (?:schedule|agenda)",
              r"(?:here is|here's|below is) your (?:schedule|agenda)"), 0.3),
            ((r"zoom\.us/", r"meet\.google\.com/", r"teams\.microsoft\.com/", r"webex\.com/"),
             0.1),
            # Against: talk about interviews that is not an invitation.
            (("mock interview",
              r"interview (?:tips|questions|prep|preparation guide|advice|skills)",
              r"user interviews?", r"customer interviews?", "research interview", "exit interview",
              "podcast"), -0.4),
            ((r"if (?:\w+\W+){0,12}(?:we|someone|the team|a recruiter|our team|they)(?:'ll| will) "
              r"(?:reach out|contact you|be in touch|get back)",), -0.35),
            (("unfortunately", rf"{_NOT} (?:be )?(?:moving|proceeding|progressing) forward"), -0.3),
        ),
        "offer": (
            ((r"(?:pleased|happy|delighted|excited|thrilled|glad) to (?:extend|offer|present)"
              r"(?: you)?(?: with)? (?:an? |the |our )?(?:formal |verbal |written |official )?"
              r"(?:offer|position)",), 0.6),
            ((r"(?:extend|extending|extended) (?:you )?(?:an? |the |our |this )?(?:formal |verbal |"
              r"written |official )?offer",), 0.5),
            (("offer letter", "offer of employment", "employment agreement", "offer package"), 0.4),
            (("base salary", "annual salary", "signing bonus", "sign-on bonus", "equity grant",
              "stock options", "start date", "compensation package"), 0.2),
            ((r"(?:accept|sign|countersign)\W+(?:\w+\W+){0,4}offer",), 0.25),
            (("congratulations",), 0.1),
            (("sent you a document to review and sign", "review and sign", r"e-?sign"), 0.1),
            (("unfortunately", rf"{_NOT} (?:able to )?offer you", "cannot offer you"), -0.4),
        ),
        "referral_intro": (
            ((r"(?:I'?d|I would|let me|wanted to|want to|happy to|glad to|pleased to|delighted to)"
              r"(?: like to)? (?:introduce|connect) you",), 0.5),
            ((r"connecting (?:you )?(?:two|both)",
              r"(?:you two|you both) should (?:talk|connect|chat|meet)",
              r"introducing you (?:two|both|to)"), 0.45),
            ((r"(?:referred|recommended) you", rf"submitted (?:you|your {_CV})",
              rf"(?:passed|sent|forwarded) (?:along |on )?your {_CV}"), 0.45),
            ((r"\w+, meet \w+",
              r"(?:I'?ll|I will) let (?:you two|you both|the two of you) (?:take it|connect|find a "
              r"time)", r"(?:you two|you both) (?:should|will) (?:get along|hit it off)"), 0.4),
            ((r"(?:immediately |instantly )?thought of (?:you|your team)",), 0.15),
            (("hiring manager", "is hiring", r"looking for (?:a|an|someone)", "great fit",
              "perfect fit"), 0.15),
            ((r"(?:moving|move) (?:you |\w+ )?to bcc", r"thanks for the intro(?:duction)?"), -0.4),
        ),
        "recruiter_outreach": (
            ((r"(?:came across|found|saw|viewed|reviewed|impressed by|read) your (?:\w+ )?"
              r"(?:profile|background|resume|cv|experience|work|github|linkedin|portfolio)",),
             0.45),
            ((r"(?:I'?m|I am) (?:a |the )?(?:[\w-]+ ){0,2}recruiter",
              r"I (?:lead|run|head) (?:recruiting|talent)", r"reaching out (?:on behalf of|from)"),
             0.3),
            ((r"(?:reaching out|reach out|contacting you|writing to you) "
              r"(?:about|regarding|because|with|to see|to share)",), 0.25),
            ((r"(?:are|would) you (?:be )?(?:open|interested)(?: to| in)",
              r"open to (?:new |exploring )?(?:opportunities|roles|a conversation|a chat)"), 0.35),
            ((r"(?:exciting|new|great|unique) (?:opportunity|role|position)",), 0.2),
            ((r"we(?:'re| are) (?:hiring|looking for|growing)", "is hiring"), 0.15),
        ),
        "rejection": (
            (("unfortunately",), 0.25),
            ((r"(?:move|moving|proceed|proceeding|go|going|pursue|pursuing) (?:forward )?with "
              r"(?:other|another|a different|more qualified) (?:candidates?|applicants?)",), 0.6),
            ((r"(?:decided|chosen|elected|opted) (?:not to|to not) (?:move|proceed|continue|pursue|"
              r"advance)", rf"{_NOT} (?:be )?(?:moving|proceeding|progressing|advancing) forward",
              rf"{_NOT} (?:be )?(?:moving|proceeding|progressing|advancing|continuing) "
              r"(?:with your|further|to the next)"), 0.5),
            ((r"(?:position|role) has (?:now )?been filled",
              r"no longer (?:considering|under consideration)", r"not (?:been )?selected",
              "regret to inform", r"not a (?:fit|match) (?:at this time|for)",
              rf"{_NOT} (?:able to )?offer you", "cannot offer you"), 0.5),
            ((r"wish you (?:the best|all the best|luck|success)", "best of luck",
              r"keep your (?:resume|information|details|profile) on file",
              r"future (?:openings|opportunities|roles)"), 0.15),
        ),
    },
    # Mail that is never a detection, whatever else it says (subject + own text).
    "veto": {
        "job alert": (
            r"jobs? you may (?:like|be interested in)",
            r"new jobs? (?:matching|for you|that match)",
            r"job alerts?", "recommended jobs", r"jobs (?:based on|similar to)", r"\d+\+? new jobs",
            "job recommendations", "jobs for you", "top job picks",
        ),
        "shopping or subscription offer": (
            r"special offers?", r"\d+\s?% off", r"limited[- ]time offer", r"exclusive offers?",
            r"(?:promo|discount|coupon) code", "free shipping", "black friday", "cyber monday",
            "shop now", "buy now", r"subscription (?:offer|deal)", "offer ends", "sale ends",
            r"upgrade (?:now|today)", "your subscription",
        ),
        "webinar or event invitation": (
            "webinar", r"register (?:now|here|today)", r"save your (?:seat|spot)", "virtual event",
            "masterclass", r"info(?:rmation)? session", "career fair", r"live (?:session|workshop)",
        ),
        "automatic reply": (
            r"^(?:auto(?:matic)?[- ]?reply|autoreply|out of (?:the )?office|ooo|abwesenheit)",
            r"I(?:'m| am) (?:currently )?(?:out of (?:the )?office|"
            r"away from (?:the office|my desk)|on (?:vacation|leave|holiday|pto))",
            r"limited access to (?:my )?e-?mail",
        ),
        "you are the interviewer": (
            r"you(?:'ve| have) been (?:scheduled|added|invited|assigned) (?:to|as)(?: an?)? "
            r"interview(?:er)?", "interview kit", "scorecard",
            r"submit (?:your )?(?:interview )?feedback", "interviewer feedback",
        ),
    },
    "application_received": (
        r"we(?:'ve| have)? received your application",
        r"thank you for (?:applying|your application)", r"thanks for (?:applying|your application)",
        r"application (?:has been )?(?:received|submitted)",
        r"your application (?:to|for) .{1,80}? (?:has been|was) (?:received|submitted)",
    ),
    # Interview-tips newsletters: bulk mail (list headers) plus any of these.
    "newsletter": (
        "newsletter", "digest", "roundup", r"this week(?:'s)?", "weekly", "read more",
        r"view (?:this email )?in (?:your )?browser", "blog", "tips", "advice", "how to", "ways to",
        "mistakes", "questions to ask", r"(?:ace|nail|crush) (?:your|the|an?|that)",
        r"prepare for (?:your|an?) (?:next )?interview", "guide", r"issue #?\d+",
        r"full (?:story|article)", r"you(?:'re| are) receiving this", "you subscribed",
        r"negotiation (?:scripts|tips|tactics)",
    ),
    # Calendar SUMMARY/DESCRIPTION wording that makes an event interview-relevant.
    "event_interview": (
        r"interview(?:s|ing)?", "phone screen", "screening", "screen", r"recruiter (?:call|chat)",
        r"intro(?:ductory)? call", "hiring manager", r"technical (?:round|call|assessment)",
        r"on-?site", "final round", "panel", "pair programming", "system design",
        r"coding (?:round|exercise)",
    ),
    "event_not_interview": (
        "webinar", "workshop", "info session", "office hours", "masterclass", "bootcamp", "tips",
        "how to", "mock interview", "user interview", "customer interview", "exit interview",
        "podcast", r"interview (?:prep|preparation|practice|coaching)", r"prep(?:aration)? for",
    ),
    "event_chat": (r"(?:chat|call|conversation|coffee|meeting|sync|meet|intro)\s+(?:with|w/)",),
    # Mode words (classify.py decides the order they are tried in).
    "mode_words": {
        "onsite": (r"on-?site", r"in[- ]person",
                   r"(?:at|visit|to) our (?:office|offices|headquarters|hq|campus)",
                   r"come (?:in|by) (?:to )?(?:our|the) office"),
        "video": (r"video (?:call|interview|conference|chat)", "via zoom", "on zoom",
                  r"zoom (?:call|meeting)", "google meet", "microsoft teams", "ms teams", "webex",
                  "hangouts"),
        "phone": (r"phone (?:screen|call|interview|conversation)", "screening call",
                  r"call you (?:at|on)", "will call you", "by phone", "over the phone",
                  "telephone"),
    },
    "screen": (r"phone screen(?:ing)?", "screening call", r"intro(?:ductory)? call",
               r"initial (?:call|screen)", r"recruiter (?:call|screen|chat)"),
    "technical": ("technical", "coding", "system design", r"engineering (?:screen|interview)"),
    # Signature titles -> person role (first match wins: specific before general).
    "titles": (
        (("recruiting coordinator", "recruitment coordinator", "interview coordinator",
          "scheduling coordinator", "candidate experience", "recruiting operations", "coordinator",
          "scheduler"), "coordinator"),
        (("recruiter", "talent acquisition", "talent partner", "talent advisor", "sourcer",
          "recruiting", "recruitment", "head of talent"), "recruiter"),
        (("hiring manager",), "hiring_manager"),
        (("engineering manager", "director", "head of", "vp", "vice president", "cto", "ceo",
          "founder", "manager", "team lead"), "hiring_manager"),
    ),
    # Job-title head words: a role title must contain one.
    "role_nouns": (
        "engineer", "developer", "programmer", "manager", "scientist", "analyst", "designer",
        "architect", "lead", "director", "specialist", "consultant", "administrator", "researcher",
        "intern", "associate", "coordinator", "officer", "representative", "technician", "owner",
        "writer", "recruiter", "sre", "devops", "head", "vp", "accountant", "editor", "strategist",
        "advocate", "partner", "executive", "assistant", "counsel", "nurse", "teacher", "marketer",
    ),
    # Capitalised words that are not people's names.
    "not_names": (
        "the", "a", "an", "our", "your", "team", "engineering", "product", "design", "sales",
        "marketing", "hr", "recruiting", "leadership", "data", "zoom", "google", "teams", "meet",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
        "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "us", "me", "you", "them", "everyone", "both", "each", "all",
        "some", "members", "panel", "interviewers", "manager", "recruiter", "hiring", "i", "we",
        "please", "thanks", "thank", "hi", "hello", "dear", "best", "regards", "cheers", "today",
        "tomorrow", "next", "this", "that", "someone", "one", "two", "three", "few", "several",
    ),
    # Display-name suffixes of company role accounts ("Acme Robotics Careers").
    "team_suffixes": (
        "careers", r"recruiting(?: team)?", "recruitment", r"talent(?: acquisition| team)?",
        "jobs", r"hiring(?: team)?", "hr", r"people(?: team)?", "team", r"notifications?",
    ),
    # Where a company name follows in a subject line.
    "company_subject": (
        r"(?:interview|phone screen|screen|call|chat|conversation|meeting|onsite) (?:with|at) "
        r"{NAME}",
        r"(?:application|interview|offer|opportunity|role|position|update) (?:to|with|from|at) "
        r"{NAME}",
        r"(?:docusign|sign):\s*{NAME} (?:offer|employment|contract)",
        r"^{NAME} (?:interview|offer|application|phone screen|recruiting|careers)",
        r"(?:offer|interview) (?:letter )?- {NAME}$",
        r"(?:join|joining|welcome to) {NAME}",
    ),
    # Where a company name follows in running text.
    "company_text": (
        r"(?:team|everyone|recruiting team|talent team|hiring team|people team|folks) (?:at|@) "
        r"{NAME}",
        r"interest in (?:joining |working (?:at|for|with) |the [\w ]{1,40} (?:role|position) at )?"
        r"{NAME}",
        r"(?:applying|applied|application) (?:to|at|with) {NAME}",
        r"(?:interview|position|role|opportunity|opening|career|job|offer)s? (?:with|at|from) "
        r"{NAME}",
        r"on behalf of {NAME}",
        r"(?:join|joining) {NAME}",
        r"(?:I'?m|I am) (?:a |the )?[\w -]{0,40}(?:recruiter|manager|engineer|lead|partner) "
        r"(?:at|with) {NAME}",
    ),
    # Where a job title follows or precedes in running text.
    "role_context": (
        r"for (?:the|our|a|an|this) {ROLE} (?:role|position|opening|opportunity|job|req)",
        r"(?:role|position|title) (?:of|as) (?:an? )?{ROLE}",
        r"as (?:a|an|our|the) {ROLE} (?:at|with|on|in)",
        r"{ROLE} (?:role|position|opening|opportunity)",
        r"(?:interview|application|candidacy) for (?:the )?{ROLE}(?: (?:role|position))?"
        r"(?: (?:is|has|at|with|on)\b|[,.]|$)",
    ),
    # Job titles in subject lines and event summaries.
    "role_subject": (
        r"(?:interview|application|offer|screen|call|confirmation)(?: for| -|:)? (?:the )?{ROLE}"
        r"(?: (?:role|position))?(?: at| with| -|,|$)",
        r"(?:interview|phone screen|offer)[^\n:]{0,60}:\s*{ROLE}",
        r"^{ROLE} (?:at|with|-|–|\||@) ",
        r"{ROLE} (?:interview|role|position|opening|opportunity)",
    ),
    # Named interviewers: "you'll meet with Priya Shah (Engineering Manager) and Tom Lee".
    "people_context": (
        r"you(?:'ll| will)? (?:be )?(?:meet|meeting|speak|speaking|talk|talking|chat|chatting|"
        r"interview|interviewing) with {NAMES}",
        r"(?:your )?interviewers?[ \t]*(?:is|are|will be|include|today)?[ \t]*:?[ \t]*{NAMES}",
        r"(?:interview|call|chat|screen|panel) with {NAMES}",
    ),
    # The person introduced in a referral: "I'd like to introduce you to Priya Shah".
    "intro_context": (
        r"introduce you to {NAMES}",
        r"(?:meet|introducing) {NAMES}",
        r"connect you (?:with|to) {NAMES}",
    ),
}

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
    "adobesign.com", "pandadoc.com", "zoom.us", "hirevue.com", "codility.com",
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
    r"invitations?|messages?|inmail-hit-reply|hit-reply|dse(?:_\w+)?|automated|system|admin"
)
ROLE_SUFFIXES: str = r"team|ops|eu|us|uk|de|emea|apac|global|hq|acquisition|coordinators?|noreply"
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
