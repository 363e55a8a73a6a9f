"""thankful: drafts the thank-you notes a job seeker owes, from their mail and calendars."""

from __future__ import annotations

__version__ = "0.1.0"
