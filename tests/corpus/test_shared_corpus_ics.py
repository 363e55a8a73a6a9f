"""Every calendar file of the shared corpus, parsed with an expectation read from the file.

Each expectation was worked out from the file's text (zones, rules, exceptions),
not copied from the parser's output. Times are UTC; the user's zone is Berlin.
"""

from __future__ import annotations

import email
import email.policy
import time
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thankful.core.model import ParsedCalendar
from thankful.core.parse_ics import parse_calendar

pytestmark = pytest.mark.corpus

TZ = ZoneInfo("Europe/Berlin")
NA, ACC, DEC, TENT = "NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE"
IND = "INDIVIDUAL"


@dataclass(frozen=True, kw_only=True)
class Expect:
    """What one file (each calendar part of an .eml) must give in its window."""

    window: tuple[str, str]
    count: int
    #: The first event (earliest start) in the window.
    start: str
    end: str
    organizer: str | None
    #: (email, PARTSTAT, CUTYPE) of the first event's attendees, in file order.
    attendees: tuple[tuple[str | None, str, str], ...]
    cancelled: bool = False
    all_day: bool = False
    summary: str | None = None
    method: str | None = None
    recurrence_id: str | None = None
    sequence: int | None = None
    #: Starts of every event in the window, when the series' shape is what is tested.
    starts: tuple[str, ...] = ()
    #: Per event in the window: cancelled or not.
    cancelled_flags: tuple[bool, ...] = ()
    #: Substrings that must appear among the problems (none means: no problems at all).
    problems: tuple[str, ...] = ()
    uid: str | None = None
    location: str | None = None
    organizer_name: str | None = None
    attendee_names: tuple[str, ...] = ()
    dtstamp: str | None = None
    description_has: str | None = None
    #: For .eml files: how many calendar parts the message carries.
    parts: int = 1
    extra: dict[str, object] = field(default_factory=dict)


EXPECTED: dict[str, Expect | tuple[Expect, ...]] = {
    "apple_ical4_attendee_empty_cn.ics": Expect(
        window=("2010-12-01", "2011-01-01"), count=1,
        start="2010-12-14T14:00:00+00:00", end="2010-12-14T15:00:00+00:00",
        summary="Telko axel", sequence=1, organizer="rassmatazzznn@axelhuepper.de",
        organizer_name="",
        # The second address is written 'name<addr>' (percent-encoded): the <addr> counts.
        attendees=(("kai@axelhuepfer.de", NA, IND), ("bambi.rentz@axelhuepferxxas.de", NA, IND)),
        attendee_names=("", "hansii.fleche@axelhuepferxxas.de<bambi.rentz@axelhuepferxxas.de>"),
    ),
    "apple_mail_invitation_qp.eml": Expect(
        window=("2011-11-01", "2011-12-01"), count=1, method="REQUEST",
        start="2011-11-29T06:15:00+00:00", end="2011-11-29T07:15:00+00:00",
        summary="Einladung", sequence=3, organizer="pwulf@tine20.org",
        organizer_name="Cornelius Weiss",
        attendees=(("pwulf@tine20.org", ACC, IND), ("unittest@tine20.org", NA, IND)),
    ),
    "calendarserver_request.ics": Expect(
        window=("2012-02-01", "2012-03-01"), count=1, method="REQUEST",
        start="2012-02-29T13:15:00+00:00", end="2012-02-29T14:15:00+00:00",
        summary="noch mal neu", sequence=3,
        # Principal paths: the address is only in EMAIL=.
        organizer="mail@corneliusweiss.de",
        attendees=(("s.clever@tine20.org", NA, IND), ("mail@corneliusweiss.de", ACC, IND)),
    ),
    "cyrus_fastmail_duplicated_rrule.ics": Expect(
        # COUNT=20 weekly on Thursdays; the duplicated RRULE must not double them.
        window=("2023-01-01", "2024-01-01"), count=20,
        start="2023-01-12T10:00:00+00:00", end="2023-01-12T12:00:00+00:00",
        recurrence_id="2023-01-12T10:00:00+00:00", summary="My repeating event",
        organizer=None, attendees=(),
    ),
    "davx5_exdate.ics": Expect(
        # 16 Tuesdays until 2020-02-04T15:14:59Z (Feb 4 16:15 CET is after it), 9 EXDATEs.
        window=("2019-10-01", "2020-03-01"), count=7,
        start="2019-10-29T15:15:00+00:00", end="2019-10-29T16:45:00+00:00",
        starts=("2019-10-29T15:15:00+00:00", "2019-11-12T15:15:00+00:00",
                "2019-12-10T15:15:00+00:00", "2020-01-07T15:15:00+00:00",
                "2020-01-14T15:15:00+00:00", "2020-01-21T15:15:00+00:00",
                "2020-01-28T15:15:00+00:00"),
        sequence=11, organizer=None, attendees=(),
    ),
    "exchange2007_request.ics": Expect(
        window=("2015-03-01", "2015-04-01"), count=1, method="REQUEST",
        start="2015-03-04T12:00:00+00:00", end="2015-03-04T13:00:00+00:00",
        summary="Blocker Wie bleibe ich gesund? Ernährung",
        organizer="name@example.com", organizer_name="Name",
        attendees=(("name@example.net", NA, IND),), attendee_names=("name@example.net",),
    ),
    "exchange2010_allday_moved_recurrence.ics": Expect(
        # Tue/Thu all-day from Thu 19 Feb; the 26 Feb one (RECURRENCE-ID written as a
        # W. Europe midnight date-time) moved to 27 Feb.
        window=("2026-02-01", "2026-03-01"), count=3, method="PUBLISH", all_day=True,
        start="2026-02-18T23:00:00+00:00", end="2026-02-19T23:00:00+00:00",
        starts=("2026-02-18T23:00:00+00:00", "2026-02-23T23:00:00+00:00",
                "2026-02-26T23:00:00+00:00"),
        recurrence_id="2026-02-18T23:00:00+00:00", organizer=None, attendees=(),
    ),
    "exchange2010_bad_ms_tz.ics": Expect(
        # 'Customized Time Zone' = US Eastern: 10:35 EDT, then EST after 1 Nov.
        window=("2020-08-01", "2021-01-01"), count=34, method="PUBLISH",
        start="2020-08-25T14:35:00+00:00", end="2020-08-25T15:50:00+00:00",
        extra={"last_start": "2020-12-17T15:35:00+00:00"},
        organizer=None, attendees=(),
    ),
    "exchange2010_ms_timezones.ics": Expect(
        # 6 x 'Log Yesterday's Jira time' (Mo-Sa, its DTSTART recovered from inside the
        # quoted TZID), 'test' on Thursday, 4 x the Pacific series (Tu, Th, Fr, Su).
        window=("2020-09-07", "2020-09-14"), count=11, method="PUBLISH",
        start="2020-09-07T07:00:00+00:00", end="2020-09-07T07:30:00+00:00",
        summary="Log Yesterday's Jira time", organizer=None, attendees=(),
        starts=("2020-09-07T07:00:00+00:00", "2020-09-08T07:00:00+00:00",
                "2020-09-08T19:00:00+00:00", "2020-09-09T07:00:00+00:00",
                "2020-09-10T07:00:00+00:00", "2020-09-10T07:00:00+00:00",
                "2020-09-10T19:00:00+00:00", "2020-09-11T07:00:00+00:00",
                "2020-09-11T19:00:00+00:00", "2020-09-12T07:00:00+00:00",
                "2020-09-13T19:00:00+00:00"),
        problems=("inside a quoted TZID",),
    ),
    "exchange2010_multi_exdate_same_line.ics": Expect(
        window=("2022-03-01", "2022-05-01"), count=5, method="PUBLISH",
        start="2022-03-11T16:00:00+00:00", end="2022-03-11T16:30:00+00:00",
        starts=("2022-03-11T16:00:00+00:00", "2022-03-25T15:00:00+00:00",
                "2022-04-15T15:00:00+00:00", "2022-04-22T15:00:00+00:00",
                "2022-04-29T15:00:00+00:00"),
        location="Microsoft Teams Meeting", organizer=None, attendees=(),
    ),
    "exchange2010_recurrence_id_dtstart_mismatch.ics": Expect(
        # Overrides listed before the master; the April one moved from 13:00 to 10:30.
        window=("2022-03-01", "2022-05-01"), count=2, method="PUBLISH",
        start="2022-03-09T18:00:00+00:00", end="2022-03-09T19:00:00+00:00",
        summary="Recurring Event - Exception 1", sequence=8,
        recurrence_id="2022-03-09T18:00:00+00:00",
        starts=("2022-03-09T18:00:00+00:00", "2022-04-13T14:30:00+00:00"),
        extra={"last_recurrence_id": "2022-04-13T17:00:00+00:00"},
        organizer=None, attendees=(),
    ),
    "exchange2010_reply_multi_attendee.ics": Expect(
        window=("2021-06-01", "2021-07-01"), count=1, method="REPLY",
        start="2021-06-07T11:30:00+00:00", end="2021-06-07T12:30:00+00:00",
        summary="Declined: *[T] Beratung - Martin Eigenmann", sequence=1,
        organizer=None,
        attendees=(("calendar@gmail.com", DEC, IND), ("calendar@microsoft.com", NA, IND)),
        attendee_names=("Eigenmann, Martin", "Eigenmann, Isabel"),
    ),
    "exchange2010_request_rsvps.ics": Expect(
        window=("2015-04-01", "2015-05-01"), count=1, method="REQUEST",
        start="2015-04-01T14:00:00+00:00", end="2015-04-01T14:30:00+00:00",
        summary="Spot le chien", organizer="test2@example.com",
        attendees=(("karim@example.com", NA, IND), ("test1@example.com", NA, IND)),
    ),
    "exchange2010_request_tz_same_start.ics": Expect(
        window=("2017-02-01", "2017-03-01"), count=1, method="REQUEST",
        start="2017-02-24T20:00:00+00:00", end="2017-02-24T20:30:00+00:00",
        summary="Test 4", organizer=None, attendees=(),
    ),
    "exchange_cdo_request.ics": Expect(
        # Lost folds in the UID and inside the ATTENDEE's quoted CN are repaired.
        window=("2012-03-01", "2012-04-01"), count=1, method="REQUEST",
        start="2012-03-16T17:00:00+00:00", end="2012-03-16T17:30:00+00:00",
        uid="040000008200E00074C5B7101A82E00800000000F04200929A03CD01000000000000000"
            "010000000A9E90330A8A0F547903AAFDBDD6A0D26",
        organizer="name@example.com",
        attendees=(("name@example.net", NA, IND),), attendee_names=("name@example.net",),
        problems=("badly folded",),
    ),
    "exchange_cdo_request_missing_event.ics": Expect(
        # No UID; RRULE 'BYDAY=MO\\, TU, ...' repaired: weekdays 3-22 July 2015.
        window=("2015-07-01", "2015-08-01"), count=14, method="REQUEST",
        start="2015-07-03T08:00:00+00:00", end="2015-07-03T08:30:00+00:00",
        summary="Sprint 25 Daily Standup", organizer=None, attendees=(),
        extra={"last_start": "2015-07-22T08:00:00+00:00", "uid_prefix": "no-uid-"},
        problems=("without UID", "RRULE"),
    ),
    "exchange_online_graph_docs_publish.ics": Expect(
        window=("2019-04-01", "2019-05-01"), count=1, method="PUBLISH",
        start="2019-04-09T21:00:00+00:00", end="2019-04-09T23:00:00+00:00",
        summary="Review Megan's docs", organizer="adelev@contoso.com",
        organizer_name="Adele Vance", attendees=(("adelev@contoso.com", NA, IND),),
    ),
    "exchange_zoom_request_malformed.ics": Expect(
        # Floating 10:00 (Berlin, CEST) every other Monday until 7 Oct 08:00Z; the
        # trailing VEVENT with only a UID is skipped; raw newlines join DESCRIPTION.
        window=("2024-09-01", "2024-11-01"), count=2, method="REQUEST",
        start="2024-09-23T08:00:00+00:00", end="2024-09-23T08:30:00+00:00",
        starts=("2024-09-23T08:00:00+00:00", "2024-10-07T08:00:00+00:00"),
        summary="Team Meeting", sequence=7, organizer="organizer@example.com",
        attendees=(("attendee1@example.com", NA, IND), ("attendee2@example.com", NA, IND),
                   ("attendee3@example.com", NA, IND)),
        description_has="Join Zoom Meeting",
        problems=("'UniqueIDValueHere' skipped", "badly folded", "without UID"),
    ),
    "floating_time.ics": Expect(
        window=("2017-10-01", "2017-11-01"), count=1,
        start="2017-10-06T13:00:01+00:00", end="2017-10-09T08:00:02+00:00",
        summary="160:Susan", organizer=None, attendees=(),
    ),
    "google_feed_allday_rrule_until_attendees.ics": Expect(
        # Three RECURRENCE-ID instances, no master; all-day in the user's zone.
        window=("2021-03-01", "2021-05-01"), count=3, method="PUBLISH", all_day=True,
        start="2021-03-23T23:00:00+00:00", end="2021-03-26T23:00:00+00:00",
        starts=("2021-03-23T23:00:00+00:00", "2021-03-30T22:00:00+00:00",
                "2021-04-06T22:00:00+00:00"),
        recurrence_id="2021-03-23T23:00:00+00:00", summary="Busy", organizer=None,
        attendees=(("hst9ma4s2h5hf2iafmrqffki9o@group.calendar.google.com", NA, IND),),
    ),
    "google_feed_icsparser_example.ics": Expect(
        # The VFREEBUSY that sinks icalendar's parse is dropped; day 32 is skipped;
        # in Sep 2016: BYMONTHDAY Test (DTSTART 22nd + the 23rd), Paris (21st, 28th).
        window=("2016-09-01", "2016-10-01"), count=4, method="PUBLISH",
        start="2016-09-21T06:00:00+00:00", end="2016-09-21T07:00:00+00:00",
        summary="Paris TimeZone Test",
        starts=("2016-09-21T06:00:00+00:00", "2016-09-22T13:00:00+00:00",
                "2016-09-23T13:00:00+00:00", "2016-09-28T06:00:00+00:00"),
        organizer=None, attendees=(),
        problems=("'f81b0b41a2e138ae0903daee0a966e1e' skipped",
                  "unknown TZID '(UTC-05:00) Eastern Time (US & Canada)'"),
    ),
    "google_feed_moved_occurrence.ics": Expect(
        # Last Friday 21:30 Berlin; the 31 Dec one moved to 17 Dec (override listed first).
        window=("2021-11-01", "2022-02-01"), count=3, method="PUBLISH",
        start="2021-11-26T20:30:00+00:00", end="2021-11-26T20:30:00+00:00",
        starts=("2021-11-26T20:30:00+00:00", "2021-12-17T20:30:00+00:00",
                "2022-01-28T20:30:00+00:00"),
        extra={"second_recurrence_id": "2021-12-31T20:30:00+00:00"},
        summary="Karaoke", organizer=None, attendees=(),
    ),
    "google_feed_recurrence_id_attendees.ics": Expect(
        window=("2021-03-01", "2021-04-01"), count=4, method="PUBLISH",
        start="2021-03-24T11:00:00+00:00", end="2021-03-24T12:00:00+00:00",
        recurrence_id="2021-03-24T11:00:00+00:00", summary="Busy", organizer=None,
        attendees=(("hst9ma4s2h5hf2iafmrqffki9o@group.calendar.google.com", NA, IND),),
    ),
    "google_feed_x_wr_timezone.ics": Expect(
        window=("2021-12-01", "2022-01-01"), count=2, method="PUBLISH",
        start="2021-12-22T17:00:00+00:00", end="2021-12-22T18:00:00+00:00",
        starts=("2021-12-22T17:00:00+00:00", "2021-12-23T02:00:00+00:00"),
        organizer=None, attendees=(),
    ),
    "google_invite_request.ics": Expect(
        # All-day Su/We/Sa from Sun 10 Aug: 10 of them in August.
        window=("2014-08-01", "2014-09-01"), count=10, method="REQUEST", all_day=True,
        start="2014-08-09T22:00:00+00:00", end="2014-08-10T22:00:00+00:00",
        summary="test recurring event", organizer="charles@inboxapp.com",
        attendees=(("johnqpublic@example.com", NA, IND), ("alyssaphacker@example.com", ACC, IND),
                   ("benbitdit@example.com", DEC, IND), ("filet.minyon@example.com", TENT, IND)),
    ),
    "google_reply_invalid_rsvp.ics": Expect(
        window=("2015-04-01", "2015-05-01"), count=1, method="REPLY",
        start="2015-04-01T14:00:00+00:00", end="2015-04-01T14:30:00+00:00",
        organizer="test2@example.com", attendees=(("karim@example.com", DEC, IND),),
    ),
    "google_request_bad_tz.ics": Expect(
        # TZID=BRT has no VTIMEZONE: read in the user's zone (Berlin, CET).
        window=("2019-02-01", "2019-03-01"), count=1, method="REQUEST",
        start="2019-02-05T14:00:00+00:00", end="2019-02-05T16:00:00+00:00",
        organizer="xxxxx@gmail.com",
        attendees=(("unittest@tine20.org", NA, IND), ("xxxxx@gmail.com", ACC, IND)),
        problems=("unknown TZID 'BRT'",),
    ),
    "google_request_multiple_summaries_malformed.ics": Expect(
        window=("2015-03-01", "2015-04-01"), count=1, method="REQUEST",
        start="2015-03-19T23:30:00+00:00", end="2015-03-20T00:30:00+00:00",
        summary="The Strokes", organizer="test@nilas.com",
        attendees=(("test@nilas.com", ACC, IND), ("testaccount@gmail.com", NA, IND)),
    ),
    "google_request_recurring.ics": Expect(
        window=("2015-01-01", "2015-02-01"), count=3, method="REQUEST",
        start="2015-01-12T21:30:00+00:00", end="2015-01-12T22:30:00+00:00",
        summary="Weekly Planning Meeting", organizer="foobar@nilas.com",
        attendees=(("foobar2@nilas.com", NA, IND), ("foobar@nilas.com", ACC, IND),
                   ("foobar3@nilas.com", NA, IND), ("foobar4@nilas.com", NA, IND),
                   ("foobar5@nilas.com", NA, IND)),
    ),
    "google_request_seq_v1.ics": Expect(
        window=("2015-03-01", "2015-04-01"), count=1, method="REQUEST",
        start="2015-03-19T23:30:00+00:00", end="2015-03-20T00:30:00+00:00",
        uid="jvbroggos139aumnj4p5og9rd0@google.com", sequence=0,
        dtstamp="2015-03-18T19:03:09+00:00", organizer="karim@nilas.com",
        attendees=(("karim@nilas.com", ACC, IND), ("inboxapptest.french@gmail.com", NA, IND)),
    ),
    "google_request_seq_v2_update.ics": Expect(
        window=("2015-03-01", "2015-04-01"), count=1, method="REQUEST",
        start="2015-03-19T23:30:00+00:00", end="2015-03-20T00:30:00+00:00",
        uid="jvbroggos139aumnj4p5og9rd0@google.com", sequence=0,
        dtstamp="2015-03-18T19:04:31+00:00", organizer="karim@nilas.com",
        attendees=(("karim@nilas.com", ACC, IND), ("inboxapptest.french@gmail.com", NA, IND)),
    ),
    "gotomeeting_publish.ics": Expect(
        # Every 12 days x 11 from 19 Jan; the 10 later ones are all moved by overrides.
        window=("2018-01-01", "2019-01-01"), count=11, method="PUBLISH",
        start="2018-01-19T08:30:00+00:00", end="2018-01-19T09:30:00+00:00",
        summary="Meeting", location="GoToTraining", organizer=None, attendees=(),
        extra={"last_start": "2018-12-03T08:00:00+00:00"},
    ),
    "horde_broken.ics": Expect(
        # Cut off inside the VEVENT: everything the event needs is there.
        window=("2009-01-01", "2009-02-01"), count=1, method="PUBLISH",
        start="2009-01-02T06:00:00+00:00", end="2009-01-02T12:30:00+00:00",
        summary="Urlaub", organizer="roellig@de", attendees=(), problems=("truncated",),
    ),
    "horde_quoted_params_cn.ics": Expect(
        window=("2005-05-01", "2005-06-01"), count=1, all_day=True,
        start="2005-05-02T22:00:00+00:00", end="2005-05-03T22:00:00+00:00",
        organizer="mueller@example.org", organizer_name="Klä,rchen; Mül:ler", attendees=(),
        dtstamp="2004-11-19T23:00:00+00:00",
    ),
    "icloud_allday_request.ics": Expect(
        window=("2015-03-01", "2015-04-01"), count=1, method="REQUEST", all_day=True,
        start="2015-03-15T23:00:00+00:00", end="2015-03-16T23:00:00+00:00",
        location="1, Infinite Loop",
        # The value is an imip.me.com relay; EMAIL= has the organizer's real address.
        organizer="benbitdiddle@icloud.com", organizer_name="Ben Bitdiddle",
        attendees=(("karim@nilas.com", NA, IND), ("benbitdiddle@icloud.com", ACC, IND)),
    ),
    "ios5_invalid_utf8.ics": Expect(
        window=("2012-05-01", "2012-06-01"), count=1,
        start="2012-05-27T11:00:00+00:00", end="2012-05-27T12:00:00+00:00",
        summary="\U0001f40eHoppegarten Day", organizer=None, attendees=(),
    ),
    "iphone_os_26_structured_location.ics": Expect(
        window=("2026-05-01", "2026-06-01"), count=1,
        start="2026-05-22T08:30:00+00:00", end="2026-05-22T08:40:00+00:00",
        location="Hauptstraße 1-5; 4041 Linz", organizer=None, attendees=(),
    ),
    "iphone_via_exchange_request.ics": Expect(
        window=("2014-12-01", "2015-01-01"), count=1, method="REQUEST",
        start="2014-12-27T15:00:00+00:00", end="2014-12-27T16:00:00+00:00",
        summary="Nouvel ?v?nement", organizer="inbox.apptest2@inboxapp.onmicrosoft.com",
        attendees=(("khamidou@inboxapp.com", NA, IND),),
    ),
    "lightning_exdate_mozlastack_attendees.ics": Expect(
        # Daily 18:00 Berlin from 25 Dec; the 26th moved to the 24th 19:00, the 27th to
        # 19:00; the 25th overridden in place; the 28th plain.
        window=("2013-12-20", "2013-12-29"), count=4,
        start="2013-12-24T18:00:00+00:00", end="2013-12-24T19:00:00+00:00",
        starts=("2013-12-24T18:00:00+00:00", "2013-12-25T17:00:00+00:00",
                "2013-12-27T18:00:00+00:00", "2013-12-28T17:00:00+00:00"),
        recurrence_id="2013-12-26T17:00:00+00:00", sequence=3,
        summary="abendessen später am heiligabend", organizer="sclever@tine20.org",
        attendees=(("sclever@tine20.org", NA, IND), ("unittest@tine20.org", NA, IND),
                   ("jmcblack@tine20.org", NA, IND)),
    ),
    "lightning_group_recurrence_exception_attendees.ics": Expect(
        # The RRULE ends on 25 Nov, but six overrides (one per listed week) stand.
        window=("2015-11-01", "2016-02-01"), count=6,
        start="2015-11-25T09:30:00+00:00", end="2015-11-25T10:30:00+00:00",
        starts=("2015-11-25T09:30:00+00:00", "2015-12-02T09:30:00+00:00",
                "2015-12-09T09:30:00+00:00", "2015-12-23T09:30:00+00:00",
                "2016-01-06T09:30:00+00:00", "2016-01-13T09:30:00+00:00"),
        recurrence_id="2015-11-25T09:30:00+00:00", sequence=4,
        summary="MA Besprechung", organizer="unittest@tine20.org",
        attendees=(("jmcblack@tine20.org", NA, IND), ("unittest@tine20.org", NA, IND),
                   ("rwright@tine20.org", NA, IND), ("pwulf@tine20.org", NA, IND),
                   ("jsmith@tine20.org", NA, IND), ("sclever@tine20.org", NA, IND),
                   (None, NA, "GROUP")),
    ),
    "macos11_tentative_attendees.ics": Expect(
        window=("2022-07-01", "2022-08-01"), count=4, method="PUBLISH",
        start="2022-07-04T23:00:00+00:00", end="2022-07-04T23:50:00+00:00",
        summary="Tentative", organizer="tentative@example.com",
        attendees=(("tentative@example.com", TENT, IND),),
        starts=("2022-07-04T23:00:00+00:00", "2022-07-05T16:00:00+00:00",
                "2022-07-06T20:00:00+00:00", "2022-07-07T16:00:00+00:00"),
        cancelled_flags=(False, False, True, False),
    ),
    "macos_accept_exdate_invite.ics": Expect(
        window=("2013-10-01", "2013-11-01"), count=1,
        start="2013-10-23T12:00:00+00:00", end="2013-10-23T13:00:00+00:00",
        recurrence_id="2013-10-23T12:00:00+00:00", summary="Meeting",
        organizer="l.kneschke@metaways.de", organizer_name="Lars Kneschke",
        attendees=(("pwulf@tine20.org", ACC, IND), ("l.kneschke@metaways.de", ACC, IND)),
    ),
    "macos_yosemite_attendees.ics": Expect(
        window=("2015-08-01", "2015-09-01"), count=1,
        start="2015-08-14T11:45:00+00:00", end="2015-08-14T12:45:00+00:00",
        summary="TEST20", organizer="unittest@tine20.org",
        organizer_name="Admin Account, Tine 2.0",
        attendees=(("unittest@tine20.org", ACC, IND), ("sclever@tine20.org", NA, IND),
                   ("pwulf@tine20.org", NA, IND)),
        attendee_names=("Admin Account, Tine 2.0", "Clever, Susan", "Wulf, Paul"),
    ),
    "meetup_infinite.ics": Expect(
        # No DTEND or DURATION: zero length. The UID is on the VCALENDAR, not the VEVENT.
        window=("2011-04-01", "2011-05-01"), count=1, method="PUBLISH",
        start="2011-04-20T00:00:00+00:00", end="2011-04-20T00:00:00+00:00",
        summary="Bay Area Video Game Development Meetup Group Monthly Meetup",
        organizer="info@meetup.com", organizer_name="Meetup Reminder", attendees=(),
        problems=("without UID",),
    ),
    "nextcloud_calendar_app_5.ics": Expect(
        window=("2025-06-01", "2027-01-01"), count=2, all_day=True,
        start="2025-06-30T22:00:00+00:00", end="2025-07-01T22:00:00+00:00",
        starts=("2025-06-30T22:00:00+00:00", "2026-06-30T22:00:00+00:00"),
        summary="Foobar", organizer=None, attendees=(),
    ),
    "nextcloud_calendar_app_recurring_allday.ics": Expect(
        # 1 April starts at 31 March 22:00Z and overlaps the window's start.
        window=("2020-04-01", "2020-05-01"), count=5, all_day=True,
        start="2020-03-31T22:00:00+00:00", end="2020-04-01T22:00:00+00:00",
        summary="Weekly test", organizer=None, attendees=(),
    ),
    "o365_teams_request_no_organizer.ics": Expect(
        window=("2020-11-01", "2020-12-01"), count=2, method="REQUEST",
        start="2020-11-24T10:00:00+00:00", end="2020-11-24T10:30:00+00:00",
        starts=("2020-11-24T10:00:00+00:00", "2020-11-26T10:00:00+00:00"),
        summary="Testmeeting \u27a1 ignore it!", organizer=None,
        attendees=(("annonym.usernames@email.com", NA, IND),
                   ("testmeeting.channel@email365.onmicrosoft.com", NA, IND)),
    ),
    "outlook12_line_folds.ics": Expect(
        window=("2009-06-01", "2009-07-01"), count=1, method="PUBLISH", all_day=True,
        start="2009-06-20T22:00:00+00:00", end="2009-06-21T22:00:00+00:00",
        location="The Exceptionally Long Named Meeting Room Whose Name Wraps Over Several "
                 "Lines When Exported From Leading Calendar and Office Software Application "
                 "Microsoft Office 2007",
        organizer="some.attendee@somewhere.com",
        attendees=(("some.attendee@event.com", NA, IND), ("event@calendardemo.net", NA, IND),
                   ("4th.floor.meeting.room@somewhere.com", NA, "RESOURCE")),
    ),
    "outlook12_many_events_attendees.ics": (
        Expect(
            # Athens (UTC+2 in January). Two events are in the file twice; the 10 Jan
            # "Team's JF" override states no SUMMARY or people (taken from its master);
            # the "Canceled:" Automation Workshop series still runs on Fridays.
            window=("2014-01-09", "2014-01-11"), count=8,
            start="2014-01-09T09:00:00+00:00", end="2014-01-09T09:15:00+00:00",
            summary="MDH Daily", recurrence_id="2014-01-09T09:00:00+00:00",
            organizer="marius.hacman@1and1.ro",
            attendees=tuple((f"{who}@1and1.ro", NA, IND) for who in (
                "daniel.iancu", "mircea.oprea", "bogdanmihail.sava", "alexandru.vladutu",
                "anamaria.lazar", "marius.dinu", "cristian.moldoveanu", "valeriu.vrabie")),
            starts=("2014-01-09T09:00:00+00:00", "2014-01-09T11:00:00+00:00",
                    "2014-01-09T13:00:00+00:00", "2014-01-09T15:00:00+00:00",
                    "2014-01-10T09:00:00+00:00", "2014-01-10T12:30:00+00:00",
                    "2014-01-10T13:00:00+00:00", "2014-01-10T14:00:00+00:00"),
            cancelled_flags=(False,) * 7 + (True,),
            extra={"summaries": ("MDH Daily", "Security Workshop #5 - SQL injection examples "
                                 "& TBD", "FW: [Presentation] Portal Operation JIRA",
                                 "Meal tickets&payslips", "MDH Daily", "Team's JF",
                                 "MaM application monitoring",
                                 "Canceled: Automation Workshop")},
        ),
        Expect(
            # 26 attendees, one of them 'invalid:nomail', several with non-ASCII CNs.
            window=("2013-08-07", "2013-08-08"), count=1,
            start="2013-08-07T11:00:00+00:00", end="2013-08-07T12:00:00+00:00",
            summary="M&M Roadshow presentation",
            location="1002 - Meeting Room - 10th floor - audio-conf (754) 9084; "
                     "ext: +40 31 223 9084",
            organizer="vlad.salagean@1and1.ro", organizer_name="Vlad Salagean",
            attendees=tuple((e, NA, IND) for e in (
                "mam-ro@1and1.ro", "andre.blaschke@1und1.de", "sorin.sfirlogea@1and1.ro",
                "marius.hacman@1and1.ro", "gflorian.georgescu@1and1.ro",
                "dan.georgeoni@1and1.ro", "catalin.merlusca@1and1.ro", None,
                "george.serban@1and1.ro", "mihai.craiu@1and1.ro", "ovidiu.pricop@1and1.ro",
                "radu.sirbu@1and1.ro", "anamaria.circo@1and1.ro", "ulrich.kuehlwein@1und1.de",
                "valentin.carnu@1and1.ro", "alexandru.ionescu@1and1.ro", "dan.mares@1and1.ro",
                "iulian.plesoianu@1and1.ro", "veronica.sevan@1and1.ro", "elena.balan@1and1.ro",
                "octavian.rafaila@1and1.ro", "alexandru.nicolita@1and1.ro",
                "andrei.ghinea@1and1.ro", "veronica.naum@1and1.ro", "anca.vlad@1and1.ro",
                "johannes.schritz@1und1.de")),
            extra={"names_include": ("André Blaschke", "Dan Frincu", "Ulrich Kühlwein")},
        ),
    ),
    "owncloud_mixed_awareness.ics": Expect(
        # Floating ends/starts in the user's zone; 'TZID=Europe/Berlin:...Z' keeps the TZID.
        window=("2015-05-01", "2015-07-01"), count=2,
        start="2015-05-30T10:00:00+00:00", end="2015-05-30T14:00:00+00:00",
        starts=("2015-05-30T10:00:00+00:00", "2015-06-02T10:00:00+00:00"),
        sequence=10172, organizer=None, attendees=(),
    ),
    "rim_bis_request_property_params.ics": Expect(
        window=("2012-08-01", "2012-09-01"), count=1, method="REQUEST", all_day=True,
        start="2012-08-13T22:00:00+00:00", end="2012-08-14T22:00:00+00:00",
        sequence=2, organizer="rembrand@daxlab.com", organizer_name="",
        attendees=(("rembrand@xs4all.nl", NA, IND), ("rembrand@daxlab.com", NA, IND),
                   ("rembspam@xs4all.nl", NA, IND)),
        attendee_names=("RembrandXS", "RembrandDX", "RembrandSB"),
    ),
    "thunderbird_cancelled_instance.ics": Expect(
        window=("2020-01-01", "2020-02-01"), count=3,
        start="2020-01-28T21:00:00+00:00", end="2020-01-28T22:00:00+00:00",
        starts=("2020-01-28T21:00:00+00:00", "2020-01-29T21:00:00+00:00",
                "2020-01-30T21:00:00+00:00"),
        cancelled_flags=(False, True, False), organizer=None, attendees=(),
    ),
    "tine20_cancel_email.eml": Expect(
        # text/calendar and an application/ics attachment; METHOD after the VEVENT.
        parts=2, window=("2011-11-01", "2011-12-01"), count=1, method="CANCEL",
        cancelled=True, start="2011-11-21T12:00:00+00:00", end="2011-11-21T13:00:00+00:00",
        summary="test mit extern", organizer="l.kneschke@caldav.org",
        attendees=(("l.kneschke@caldav.org", ACC, IND), ("j.loew@caldav.org", NA, IND),
                   ("tine20admin@caldav.net", NA, IND)),
        attendee_names=("Admin Account, Tine 2.0", "Löw, Jogi", "External, Caldav"),
    ),
    "windows_live_request.ics": Expect(
        window=("2014-01-01", "2014-02-01"), count=1, method="REQUEST",
        start="2014-01-31T21:30:00+00:00", end="2014-01-31T22:30:00+00:00",
        summary="Event from outlook 2", organizer="abc@outlook.com",
        attendees=(("abc@web.de", NA, IND),),
    ),
    "yahoo_double_mailto_organizer.ics": Expect(
        # mailto:MAILTO: on both sides; STATUS written twice (the first counts).
        window=("2015-01-29", "2015-01-31"), count=1,
        start="2015-01-29T23:00:00+00:00", end="2015-01-29T23:30:00+00:00",
        summary="C502150229 - Testtermin für GMX-Support",
        organizer="wolfgang.reisser@strabag-pfs.com", organizer_name="Reißer, Wolfgang",
        attendees=(("wolfgang.reisser@gmx.de", NA, IND), ("begenda.als5@gmx.de", NA, IND)),
    ),
    "zimbra_recur_instances.ics": Expect(
        # 1st Tuesday + RDATEs (5, 10, 30 Nov); 2 Oct moved to 15:00, the 5 Nov RDATE
        # (RECURRENCE-ID in UTC) moved to 6 Nov 20:00 PST. Overrides keep the master's people.
        window=("2012-10-01", "2012-12-01"), count=5,
        start="2012-10-02T22:00:00+00:00", end="2012-10-02T22:30:00+00:00",
        starts=("2012-10-02T22:00:00+00:00", "2012-11-06T18:00:00+00:00",
                "2012-11-07T04:00:00+00:00", "2012-11-10T18:00:00+00:00",
                "2012-11-30T18:00:00+00:00"),
        recurrence_id="2012-10-02T17:00:00+00:00", summary="Crazy Event Thingy!",
        organizer="jlal@mozilla.com",
        attendees=(("calmozilla1@gmail.com", ACC, IND), ("james@lightsofapollo.com", NA, IND),
                   ("iam.revelation@gmail.com", NA, IND)),
    ),
}


def _calendar_parts(path: Path) -> list[bytes]:
    """The file itself, or an .eml's text/calendar parts and .ics attachments."""
    data = path.read_bytes()
    if path.suffix != ".eml":
        return [data]
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    parts = []
    for part in message.walk():
        name = part.get_filename() or ""
        if part.get_content_type() == "text/calendar" or name.lower().endswith(".ics"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts.append(payload)
    return parts


def _parse(data: bytes, expect: Expect) -> ParsedCalendar:
    start, end = (datetime.fromisoformat(d).replace(tzinfo=UTC) for d in expect.window)
    return parse_calendar(data, default_tz=TZ, window_start=start, window_end=end)


def test_every_corpus_file_has_an_expectation(shared_corpus: Path) -> None:
    files = {p.name for p in (shared_corpus / "ics").iterdir() if p.name != "MANIFEST.tsv"}
    assert set(EXPECTED) == files


def _cases() -> list[tuple[str, Expect]]:
    cases = []
    for name, expected in sorted(EXPECTED.items()):
        for expect in expected if isinstance(expected, tuple) else (expected,):
            cases.append((name, expect))
    return cases


@pytest.mark.parametrize(("name", "expect"), [
    pytest.param(name, expect, id=f"{name}@{expect.window[0]}") for name, expect in _cases()
])
def test_corpus_file(shared_corpus: Path, name: str, expect: Expect) -> None:
    parts = _calendar_parts(shared_corpus / "ics" / name)
    assert len(parts) == expect.parts
    for data in parts:
        result = _parse(data, expect)
        events = result.events
        assert len(events) == expect.count, result.problems
        first = events[0]
        assert first.start.isoformat() == expect.start
        assert first.end.isoformat() == expect.end
        assert first.all_day is expect.all_day
        assert first.cancelled is expect.cancelled
        assert result.method == expect.method
        assert all(e.method == expect.method for e in events)
        assert (first.organizer.email if first.organizer else None) == expect.organizer
        got = tuple((a.email, a.partstat, a.cutype) for a in first.attendees)
        assert got == expect.attendees
        if expect.starts:
            assert tuple(e.start.isoformat() for e in events) == expect.starts
        if expect.cancelled_flags:
            assert tuple(e.cancelled for e in events) == expect.cancelled_flags
        _check_optional(result, expect)


def _check_optional(result: ParsedCalendar, expect: Expect) -> None:
    first, last = result.events[0], result.events[-1]
    if expect.problems:
        for wanted in expect.problems:
            assert any(wanted in p for p in result.problems), (wanted, result.problems)
    else:
        assert result.problems == ()
    checks: list[tuple[object, object]] = [
        (expect.summary, first.summary), (expect.recurrence_id, first.recurrence_id),
        (expect.sequence, first.sequence), (expect.uid, first.uid),
        (expect.location, first.location),
        (expect.organizer_name, first.organizer.name if first.organizer else None),
        (expect.dtstamp, first.dtstamp.isoformat() if first.dtstamp else None),
        (expect.extra.get("last_start"), last.start.isoformat()),
        (expect.extra.get("last_recurrence_id"), last.recurrence_id),
    ]
    for expected_value, got in checks:
        if expected_value is not None:
            assert got == expected_value
    if expect.attendee_names:
        assert tuple(a.name for a in first.attendees) == expect.attendee_names
    if expect.description_has:
        assert expect.description_has in first.description
    if "second_recurrence_id" in expect.extra:
        assert result.events[1].recurrence_id == expect.extra["second_recurrence_id"]
    if "summaries" in expect.extra:
        assert tuple(e.summary for e in result.events) == expect.extra["summaries"]
    if "names_include" in expect.extra:
        names = {a.name for a in first.attendees}
        assert names.issuperset(expect.extra["names_include"])  # type: ignore[arg-type]
    if "uid_prefix" in expect.extra:
        assert first.uid.startswith(str(expect.extra["uid_prefix"]))
    assert all(e.start.tzinfo is UTC and e.end.tzinfo is UTC for e in result.events)
    assert all(e.end >= e.start for e in result.events)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_over_decades_is_bounded(shared_corpus: Path, name: str) -> None:
    """No file raises or runs away when asked for a 30-year window."""
    for data in _calendar_parts(shared_corpus / "ics" / name):
        began = time.monotonic()
        result = parse_calendar(data, default_tz=TZ, window_start=datetime(2000, 1, 1, tzinfo=UTC),
                                window_end=datetime(2030, 1, 1, tzinfo=UTC))
        assert time.monotonic() - began < 15
        assert len(result.events) <= 500
