"""English cue lists and patterns for detection: the ``Language`` data of lexicon.py.

Plain data; see lexicon.py for what the keys and weights mean. Another language is a
module like this one, added to ``lexicon.LANGUAGES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thankful.core.lexicon import Language

# Shared fragments keep the cue lists readable.
_A = r"(?:an? |the |your |our |this |that )?"
_WORDS = r"(?:[\w-]+ ){0,3}"
_MEETING = (
    r"(?:interview|phone screen|screening(?: call)?|screen|call|chat|conversation|onsite|"
    r"on-site|video call|meeting|round)"
)
_NOT = r"(?:not|\w*n['’]t|unable to|cannot)"
_DAY = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|next week|"
        r"(?:mon|tue|tues|wed|thu|thur|thurs|fri)\.?)")
_TIME = r"(?:\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?)?|\d{1,2} ?[ap]\.?m\.?|noon)"
_PLACE = r"(?:office|offices|studio|headquarters|hq|campus|site)"
_CV = r"(?:r[eé]sum[eé]|cv|profile)"
_NO_OFFER = rf"{_NOT} (?:be )?(?:extending|making|able to (?:extend|make)) (?:you )?(?:an? )?offer"
_OFFER_ELSEWHERE = (r"(?:extend|extended|extending|make|made|making) (?:an |the |our )?offer to "
                    r"(?:another|a different|the other|someone else|other)")

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
            ((r"meet (?:the|our) team", r"(?:quick|short|brief) (?:call|chat)"), 0.25),
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
              "open to", r"(?:consider|considering) joining", r"join(?:ing)? us",
              r"(?:might|may|could) interest you"), 0.3),
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
            ((rf"(?:like|love|want|excited|pleased|glad) to (?:schedule|set up|arrange|book|have|"
              rf"do|hop on|jump on|invite you (?:to|for)|have you (?:in|come in|on-?site)) "
              rf"{_A}{_WORDS}{_MEETING}",), 0.45),
            ((r"(?:like|love|want|glad|happy|keen) to (?:meet|get to know|speak (?:with|to)|talk "
              r"(?:with|to)) you", rf"(?:for|in|to) an? (?:[\w-]+ ){{0,3}}(?:interview|{_MEETING} "
              r"(?:interview|screen))"), 0.25),
            ((rf"(?:are you|would you be|you(?:'re| are)?) (?:free|available) (?:for |on |at )?"
              rf"(?:an? )?(?:[\w-]+ ){{0,3}}{_MEETING}", rf"invit\w* you (?:to|for) (?:[\w-]+ "
                                                         rf"){{0,3}}"
              rf"{_PLACE}", rf"(?:confirmed|booked|scheduled|set|locked in)(?: for|:) {_DAY}",
              r"(?:I'?ll|I will|we'?ll|we will|she'?ll|he'?ll|\w+ will) (?:call|ring|phone) you",
              rf"(?:can|could) you do (?:an? )?(?:[\w-]+ ){{0,2}}{_MEETING}"),
             0.4),
            ((rf"{_DAY},? (?:the )?(?:\d{{1,2}}(?:st|nd|rd|th)? \w+ |\w+ \d{{1,2}}(?:st|nd|rd|"
              rf"th)? )?"
              rf"(?:at |from |between |@ |, ?)?{_TIME}", rf"{_DAY} at \d{{1,2}}(?!\d)",
              rf"(?:at|in|to) our (?:[\w-]+ ){{0,2}}{_PLACE}", r"to meet (?:the|our|some of the) "
              r"(?:[\w-]+ ){0,2}(?:team|squad|engineers|founders)",
              r"(?:on|via|over) (?:zoom|google meet|(?:microsoft |ms )?teams|webex)"), 0.2),
            ((r"(?:you'?re|you are) (?:coming|going to come) (?:in|by|over|to)",
              r"(?:for|at) (?:the|your) (?:on-?site|final round|panel|loop)",
              r"(?:\d+|thirty|forty-five|an?) (?:min|mins|minutes|hours?) (?:[\w-]+ ){0,2}with",
              r"(?:calendar )?invit(?:e|ation) (?:is|will be) (?:on its way|coming|sent)",
              r"(?:sent|send|sending|I'?ll send) (?:you )?(?:a |the )?(?:calendar )?invit(?:e|"
              r"ation)",
              r"(?:link|invite|invitation) (?:to follow|will follow)",
              r"(?:send|share) (?:you )?(?:a |the )?(?:meet|zoom|teams|calendar|video) (?:link|"
              r"invite)",
              r"(?:the|your) (?:final |full )?(?:schedule|agenda|itinerary|loop) (?:for|below)",
              r"check in (?:at|with) (?:the )?(?:\w+ )?(?:reception|front desk|lobby|security)",
              rf"let'?s (?:do|say|go with|meet|book|pencil in) {_DAY}",
              r"you(?:'ll|'d| will| would) (?:do|have) (?:a |an )?(?:[\w-]+ ){0,3}with"),
             0.3),
            ((r"(?:does|would|will|could) (?:[\w:.,'-]+ ){1,6}(?:work|suit)(?: for you| you)?\?",
              r"(?:are you|you) (?:free|available) (?:on |for |at |this |next |tomorrow)",
              r"free for (?:\d+|a|an) (?:min|minutes|hour|call|chat|quick)"), 0.2),
            ((r"give you a (?:ring|call|buzz)", r"(?:ring|phone) you (?:on|at|tomorrow)",
              r"(?:come|coming|pop|stop) (?:in|by|into|over) (?:to )?(?:our|the) (?:office|offices|"
              r"studio|campus)", rf"see you (?:on |at |this |next )?{_DAY}",
              r"ask for (?:me|\w+) at (?:the )?(?:\w+ )?(?:reception|front desk|lobby)",
              r"see you (?:then|there)"), 0.3),
            ((r"(?:whiteboard|pairing|pair programming|coding|design|portfolio) (?:session|"
              r"exercise|"
              r"review)",), 0.15),
            ((rf"(?:your|the|this) {_WORDS}(?:interview|phone screen|screen|call) "
              r"(?:is|has been|was) (?:now )?(?:scheduled|confirmed|booked|set|rescheduled)",),
             0.5),
            ((rf"(?:schedule|book|set up|arrange) {_A}{_WORDS}(?:interview|phone screen|"
              r"screening call|time to (?:talk|chat|connect|speak))",), 0.3),
            ((r"interview(?:s|ing)?", "phone screen", "screening call"), 0.2),
            ((r"you(?:'ll| will|'d| would) (?:be )?(?:meet|meeting|speak|speaking|talk|talking|"
              r"chat|chatting|interview|interviewing) with",
              r"you(?:'ll|’ll|'d|’d| will| would)(?: [\w-]+){0,8} meet(?:ing)?"), 0.3),
            ((r"(?:select|choose|pick|book|let (?:me|us) know) (?:a |your )?(?:time|times|slot|"
              r"availability)", "your availability", r"what times? works?",
              r"when (?:are|would) you (?:be )?(?:free|available)"), 0.25),
            ((r"(?:next|final|technical|on-?site|panel|first|second|2nd|third|3rd) "
              r"(?:rounds?|stages?|interviews?)",), 0.25),
            ((r"intro(?:ductory)? call", "initial call", "recruiter call", "screening call"), 0.3),
            ((r"looking forward to (?:speaking|talking|meeting|chatting|connecting) with you",),
             0.1),
            ((r"(?:your|the) (?:interview )?itinerary",
              r"(?:welcome|welcoming|host|hosting|see) you (?:to|at|in) our (?:\w+ )?(?:office|"
              r"offices|headquarters|hq|campus|studio)", r"(?:your|the) interview (?:schedule|"
                                                         r"agenda)",
              r"(?:here is|here's|below is) your (?:schedule|agenda)"), 0.3),
            ((r"zoom\.us/", r"meet\.google\.com/", r"teams\.microsoft\.com/", r"webex\.com/"),
             0.1),
            # Against: talk about interviews that is not an invitation.
            (("mock interview",
              r"interview (?:tips|questions|prep|preparation guide|advice|skills)",
              r"user interviews?", r"customer interviews?", "research interview", "exit interview",
              "podcast"), -0.4),
            ((r"thank(?:s| you) for (?:the|your time|today'?s|our|taking the time|interviewing)"
              r"(?: \w+){0,4} (?:interview|conversation|chat|call)",), -0.3),
            ((r"if (?:\w+\W+){0,12}(?:we|someone|the team|a recruiter|our team|they)(?:'ll| will) "
              r"(?:reach out|contact you|be in touch|get back)",), -0.35),
            (("unfortunately", rf"{_NOT} (?:be )?(?:moving|proceeding|progressing) forward"), -0.3),
        ),
        "offer": (
            ((r"(?:bring|have) you (?:on ?board|aboard)", r"(?:join|joining) (?:us|the team) as "
              r"(?:our|an?|the)"), 0.4),
            ((r"(?:pleased|happy|delighted|excited|thrilled|glad) to (?:extend|offer|present)"
              r"(?: you)?(?: with)? (?:an? |the |our )?(?:formal |verbal |written |official )?"
              r"(?:offer|position)",), 0.6),
            ((r"(?:extend|extending|extended) (?:you )?(?:an? |the |our |this )?(?:formal |verbal |"
              r"written |official )?offer",), 0.5),
            (("offer letter", "offer of employment", "employment agreement", "offer package",
              r"(?:make|making|made) you an? (?:\w+ )?offer", r"(?:formally )?offer(?:ing)? you "
              r"(?:the |a |an |this )?(?:[\w/&-]+ ){0,5}(?:role|position|job|post)"), 0.5),
            ((r"(?:written|formal|official|final) offer",
              r"(?:employment|your|the) contract"), 0.25),
            (("base salary", "annual salary", "signing bonus", "sign-on bonus", "equity grant",
              "stock options", "start date", "compensation package"), 0.2),
            ((r"(?:accept|sign|countersign)\W+(?:\w+\W+){0,4}offer",), 0.25),
            (("congratulations",), 0.1),
            (("sent you a document to review and sign", "review and sign", r"e-?sign"), 0.1),
            (("unfortunately", rf"{_NOT} (?:able to )?offer you", _NO_OFFER, _OFFER_ELSEWHERE),
             -0.6),
        ),
        "referral_intro": (
            ((r"(?:I'?d|I would|let me|wanted to|want to|happy to|glad to|pleased to|delighted to)"
              r"(?: like to)? (?:introduce|connect) you",), 0.5),
            ((r"(?:I'?d|I would|let me|allow me to|wanted to|want to|happy to|glad to|pleased to|"
              r"delighted to)(?: like to)? (?:introduce|connect|refer)",
              r"(?:looping|loop) in", r"(?:said yes to|agreed to) an? intro",
              r"(?:I'?m|I am) connecting (?:you|\w+) (?:with|to)",
              r"(?:you two|you both|both of you) (?:should|will|would|might|could)",
              r"(?:I'?ll|I will|I shall) (?:step back|leave (?:it to )?you|let you)", "over to you",
              r"take it from here", r"(?:put|putting) (?:your name|you) (?:in|forward)",
              r"(?:submitted|made|put in) (?:a |an )?(?:internal )?referral"), 0.4),
            ((r"(?:referred|recommended) (?:[\w-]+ ){1,3}for (?:the|a|an|this|our)",), 0.4),
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
            ((r"(?:came across|found|saw|viewed|reviewed|impressed by|read|watched|loved) your "
              r"(?:[\w-]+ ){0,3}(?:profile|background|resume|cv|experience|work|github|linkedin|"
              r"portfolio|talk|post|blog|article|project|repo|paper|presentation)",), 0.45),
            ((r"(?:role|position|vacancy|opening|seat) (?:I'?m|we'?re|I am|we are) (?:trying "
              r"to fill|"
              r"recruiting for|hiring for)", r"(?:I'?m|we'?re|I am|we are) hiring (?:for )?an?",
              r"(?:wrote|reached out|messaged|contacted|emailed|sent you a (?:note|message)) "
              r"(?:to )?"
              r"(?:you )?(?:on linkedin |a (?:few days|couple of weeks|week) ago|last week|"
              r"earlier)",
              r"(?:be )?of interest(?: to you)?\?", r"worth a (?:quick |short )?(?:chat|call)",
              r"(?:seat|opening|vacancy|position|role) (?:open|available)\b",
              r"(?:background|experience|profile) is (?:well )?suited"), 0.3),
            ((r"(?:remains|is still) open", r"(?:if|whether) you(?:'d| would) like to "
                                            r"(?:discuss|talk|"
              r"chat|hear more)"), 0.2),
            ((r"(?:I'?m|I am) (?:a |the )?(?:[\w-]+ ){0,2}recruiter", r"(?:I'?m|I am|I work) "
                                                                      r"(?:part "
              r"of|on|in|with) (?:the )?(?:[\w-]+ ){0,2}(?:recruitment|recruiting|talent) team",
              r"I (?:lead|run|head) (?:recruiting|talent)", r"reaching out (?:on behalf of|from)"),
             0.3),
            ((r"(?:reaching out|reach out|contacting you|writing to you) "
              r"(?:about|regarding|because|with|to see|to share)",), 0.25),
            ((r"(?:are|would) you (?:be )?(?:open|interested)(?: to| in)",
              r"open to (?:new |exploring )?(?:opportunities|roles|a conversation|a chat)",
              r"open to an? (?:quick |short |brief |informal |exploratory )?(?:chat|call|"
              r"conversation)", r"(?:would|could) you (?:ever )?(?:consider|be up for|be keen)",
              r"any (?:chance|interest) (?:you'?d|in)", r"(?:if you'?d|would you) like to (?:hear|"
              r"learn|know) more", r"(?:might|may|could|would) (?:be of )?interest you",
              r"open to exploring"), 0.35),
            ((r"(?:your|the) (?:profile|background|experience|skill ?set|cv|resume) (?:[\w-]+ "
              r"){0,9}"
              r"(?:great|strong|perfect|good|excellent|natural) (?:match|fit)",
              r"(?:caught my eye|stood out)", r"(?:love|like|happy) to (?:tell|share) (?:you "
                                              r")?more",
              r"(?:is|are|be) (?:very |highly )?relevant", r"(?:your name came up|came across your "
              r"name)", r"(?:strong|great|good|perfect|close) (?:match|fit) (?:with|for) "
                        r"(?:your|you)",
              r"(?:think|believe) you(?:'d| would) be (?:an? )?(?:excellent|great|perfect|"
              r"strong|good|"
              r"ideal|natural)", r"to explore (?:it|this|the role|the opportunity|further)"), 0.3),
            ((r"(?:working on|running|retained on|partnering on) an? (?:[\w-]+ ){0,4}search",
              r"(?:the|a) (?:job )?spec\b"), 0.2),
            ((r"(?:exciting|new|great|unique) (?:opportunity|role|position)",), 0.2),
            ((r"we(?:'re| are) (?:hiring|looking for|growing)", "is hiring", r"I'?m hiring",
              r"(?:my|our|a) client", r"thought of you"), 0.15),
        ),
        "rejection": (
            (("unfortunately",), 0.25),
            ((r"(?:move|moving|proceed|proceeding|go|going|pursue|pursuing) (?:forward )?(?:with )?"
              r"(?:other|another|a different|more qualified) (?:[\w-]+ ){0,2}(?:candidates?|"
              r"applicants?)",), 0.6),
            ((r"(?:decided|chosen|elected|opted) (?:not to|to not) (?:move|proceed|continue|pursue|"
              r"advance)", rf"{_NOT} (?:be )?(?:moving|proceeding|progressing|advancing) forward",
              rf"{_NOT} (?:be )?(?:able to )?(?:moving|proceeding|progressing|advancing|continuing|"
              r"taking|move|proceed|progress|advance|continue|take)(?: forward| ahead| further)?"
              r"(?: with)? (?:your|you)(?: (?:application|candidacy))?(?: (?:further|forward))?",
              rf"{_NOT} (?:\w+ ){{0,2}}consider (?:you|your \w+) (?:further|any further|for)",
              r"(?:decided|chosen|elected|opted) to (?:go|move|proceed|continue) (?:forward )?with "
              r"(?:a|another|the other|other|a different) (?:[\w-]+ ){0,2}(?:candidates?|"
              r"applicants?"
              r"|person)", r"go (?:in )?(?:another|a different) direction", _NO_OFFER,
              _OFFER_ELSEWHERE, r"not (?:been )?shortlisted", r"(?:was|were|has been|have been) "
              r"unsuccessful", rf"{_NOT} (?:be )?(?:[\w-]+ ){{0,2}}you (?:to|through to|forward to|"
              r"for) (?:the |a )?(?:next|final|further|later|another) (?:stage|round|step|"
              r"interview)"),
             0.5),
            ((r"(?:pursue|pursuing|proceed|proceeding|progress|progressing|focus on|go with|move "
              r"forward with) (?:other |another |a different |more )?(?:[\w-]+ ){0,2}"
              r"(?:candidates?|"
              r"applicants?|profiles?) (?:whose|who|with)", r"(?:decided|chosen) to (?:hire|"
                                                            r"appoint|go "
              r"with|offer the (?:role|position) to) (?:someone|somebody|another|a candidate|"
              r"the other)",
              r"(?:it'?s|that'?s) a no", rf"{_NOT} (?:think|feel|believe) (?:the|this) (?:role|"
                                         rf"position|"
              r"opportunity) is (?:the )?right", r"not (?:the )?right (?:fit|match) for you",
              rf"{_NOT} (?:be )?(?:able to )?continue (?:the|this) process"), 0.5),
            ((r"(?:position|role|opening|vacancy|req) (?:has|have) (?:now )?been (?:filled|closed|"
              r"cancell?ed|put on hold|paused)", r"(?:close|closed|pause|paused) (?:the )?"
              r"(?:[\w-]+ ){0,3}(?:position|role|opening|vacancy)"), 0.4),
            ((r"(?:disappointing|better) news", r"not the news you", r"(?:sorry|sad|regret|afraid) "
              r"(?:\w+ ){0,3}(?:to (?:say|tell you|let you know|share)|that)"), 0.2),
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
            r"upgrade (?:now|today)", "your subscription", r"pre-?approved", "APR", "credit card",
            "rewards card", "reactivate",
        ),
        "property or loan offer": (
            "mortgage", r"offer (?:of [£$€][\d,.]+k? )?on \d+[a-z]? [A-Z]\w+ (?:[A-Z]\w+ )?"
            r"(?:Close|Road|Street|Lane|Avenue|Drive|Way|Court|Place|Gardens)",
            "memorandum of sale", r"estate agents?", r"(?:vendors?|sellers?) (?:have )?accepted",
        ),
        "survey": (
            r"(?:how was|rate|tell us about|feedback on) your (?:\w+ )?(?:interview|candidate|"
            r"application|hiring) experience", r"candidate (?:experience )?survey",
            r"(?:take|start|complete) (?:our|a|the|this) (?:short |quick |brief )?survey",
        ),
        "press or podcast interview": (
            r"interview (?:you )?for (?:our|the|a|an) (?:[\w-]+ ){0,2}(?:blog|podcast|series|"
            r"newsletter|"
            r"magazine|publication|show|article|feature|episode)", r"(?:before|after) publishing",
            r"(?:on|for) (?:our|my|the) (?:podcast|show)", r"be (?:a |our )?guest",
            r"(?:we'?d|we would|we'?ll|we will) publish", r"(?:our|the) readers",
            r"I (?:edit|host|produce|write for) (?:the|a|our) (?:[\w\"'-]+ ){0,4}"
            r"(?:series|podcast|show|"
            r"newsletter|magazine|blog|column)",
        ),
        "profile views or search appearances": (
            r"(?:viewed|visited) your profile", r"appeared in \d+ searches", r"search appearances",
        ),
        "interview practice or coaching": (
            r"mock interviews?", r"interview (?:practice|coaching|prep course|bootcamp)",
            r"career coach(?:ing)?",
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
            r"you(?:'ve| have) been (?:scheduled|added|assigned) (?:to|as)(?: an?)? interviewer",
            r"(?:added|invited|assigned|scheduled) as (?:an? )?interviewer", "interview kit",
            "scorecard",
            r"submit (?:your )?(?:interview )?feedback", "interviewer feedback",
            r"for (?:taking the time to )?interview(?:ing)? me",
            r"(?:you are|you're) (?:confirmed|booked|scheduled|listed) as (?:an? )?interviewer",
        ),
    },
    # Mail about an application already made (an interview invitation mentions one).
    "application_context": (
        r"you(?:'ve| have)? applied", "your application", "applying", "your candidacy",
        "the role you applied", "you interviewed", r"our (?:call|chat|conversation|interview)",
        r"next (?:round|stage|step)",
    ),
    "application_received": (
        r"we(?:'ve| have)? received your application",
        r"thank you for (?:applying|your application)", r"thanks for (?:applying|your application)",
        r"application (?:has been )?(?:received|submitted)",
        r"your application (?:to|for) .{1,80}? (?:has been|was) (?:received|submitted)",
    ),
    # Cancelled interviews ("other"), unless the text also gives the new time.
    "cancellation": (
        r"^(?:cancell?ed(?: event)?|cancell?ation)\s*[:–-]", r"(?:this|the) event has been "
                                                             r"cancell?ed",
        rf"(?:need|have|had|must) to cancel (?:[\w'’-]+ ){{0,4}}{_MEETING}",
        rf"{_MEETING} (?:has been|is|was|had to be) (?:cancell?ed|called off)",
    ),
    "rescheduled": (
        rf"(?:move|moved|moving|reschedule|rescheduled|rebook|rebooked) (?:\w+ ){{0,4}}(?:to|for) "
        rf"(?:{_DAY}|\d|(?:the )?\d)", r"new time:",
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
        r"on-?site", r"(?:first|second|next|final|technical) (?:round|stage)", "panel",
        "pair programming", "system design", r"coding (?:round|exercise)",
    ),
    "event_not_interview": (
        "webinar", "workshop", "info session", "office hours", "masterclass", "bootcamp", "tips",
        "how to", "mock interview", "user interview", "customer interview", "exit interview",
        "podcast", r"interview (?:prep|preparation|practice|coaching)", r"prep(?:aration)? for",
    ),
    "event_chat": (r"(?:chat|call|conversation|coffee|meeting|sync|meet|intro)\s+(?:with|w/)",),
    # Mode words (classify.py decides the order they are tried in).
    "mode_words": {
        "onsite": (r"on-?site", r"in[- ]person", r"visitor (?:lot|parking|badge|pass)",
                   r"(?:the|our) (?:[\w-]+ ){0,3}(?:campus|lobby|reception|front desk)",
                   r"(?:photo|government-issued) (?:photo )?id(?:entification)?",
                   r"(?:at|visit|to) our (?:office|offices|headquarters|hq|campus)",
                   r"come (?:in|by) (?:to )?(?:our|the) office"),
        "video": (rf"video[- ]{_MEETING}", r"(?:on|via|over|using) (?:zoom|teams|google meet|webex|"
                  r"skype|whereby|hangouts)", r"(?:format|type|medium)\W{1,3}(?:video|virtual|"
                  r"remote)",
                  r"(?:meet|zoom|teams|video) link", "via zoom", "on zoom",
                  r"zoom (?:call|meeting)", "google meet", "microsoft teams", "ms teams", "webex",
                  "hangouts"),
        "phone": (rf"(?:tele)?phone {_MEETING}", "screening call", r"(?:ring|phone) you",
                  r"(?:best |your )?(?:phone )?number to (?:reach|call)",
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
        "scheduling", "resourcing",
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
        # A LinkedIn or Wellfound header line: "Senior Technical Recruiter at Aldermoor".
        r"^[ \t]*(?=[^\n]{0,60}?(?:recruit|manag|engineer|director|lead|partner|founder|cto|ceo|"
        r"vp|head|specialist|consultant|advis|talent))[\w ,&/-]{2,60}? (?:at|@) {NAME}[ \t]*$",
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
