"""From notes to actions: which drafts to write and which reminder to deliver. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

from thankful.core.compose import DraftRequest
from thankful.core.compose import ReminderRequest
from thankful.core.ids import short_id
from thankful.core.rules import Note
from thankful.core.rules import ThreadRef
from thankful.core.rules import person_key


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What one cycle will write."""

    drafts: tuple[DraftRequest, ...] = ()
    reminder: ReminderRequest | None = None
    #: Notes that need the user before anything can be drafted (no address known).
    need_address: tuple[Note, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Writer:
    """Who drafts are from and where reminders go."""

    account: str
    name: str
    address: str
    drafts_folder: str = "Drafts"


def latest_thread(threads: Sequence[ThreadRef], address: str | None) -> ThreadRef | None:
    """The newest message of a conversation with ``address``."""
    if not address:
        return None
    mine = [t for t in threads if address in t.participants and t.message_id]
    if not mine:
        return None
    return max(mine, key=lambda t: (t.date.timestamp() if t.date else 0.0, t.message_id))


def reminder_slot(now: datetime, tz: ZoneInfo, every_days: int) -> str:
    """The reminder period ``now`` falls in: one digest at most per slot."""
    day = now.astimezone(tz).date()
    start = day.toordinal() - (day.toordinal() % max(every_days, 1))
    return f"{every_days}d-{start}"


def next_slot(now: datetime, tz: ZoneInfo, every_days: int) -> datetime:
    """When the reminder period after the one ``now`` falls in starts (local midnight)."""
    every = max(every_days, 1)
    day = now.astimezone(tz).date()
    start = day.toordinal() - (day.toordinal() % every) + every
    return datetime.combine(date.fromordinal(start), time(), tzinfo=tz)


def _variants(notes: Sequence[Note]) -> dict[str, int]:
    """A wording index per note: people of one occasion get different wordings."""
    by_occasion: dict[tuple[str, str], list[Note]] = {}
    for n in notes:
        by_occasion.setdefault((n.application, n.occasion_key), []).append(n)
    index: dict[str, int] = {}
    for (app, occ), group in by_occasion.items():
        offset = int(short_id(app + occ), 16) % 7
        for i, n in enumerate(sorted(group, key=lambda n: person_key(n.recipient))):
            index[n.id] = offset + i
    return index


def plan(notes: Sequence[Note], *, writers: Mapping[str, Writer], default_writer: Writer,
         threads: Sequence[ThreadRef] | Mapping[str, Sequence[ThreadRef]], now: datetime,
         tz: ZoneInfo,
         reminders_enabled: bool = True, every_days: int = 1, last_slot: str | None = None,
         suggest_card: bool = True, suggest_gift: bool = True,
         allow_drafts: bool = True, blocked_accounts: frozenset[str] = frozenset()) -> Plan:
    """Group the ready notes into drafts (one per recipient) and decide on a reminder.

    :param writers: the writer per application key (the account its mail came through).
    :param threads: the conversations a draft may reply to, per application key (or
        one list for all).
    :param allow_drafts: False to draft nothing at all this cycle.
    :param blocked_accounts: accounts whose Sent folder could not be read this cycle:
        nothing is drafted through them, so a note already sent is never drafted again.
    """
    variants = _variants(notes)
    groups: dict[tuple[str, str], list[Note]] = {}
    by_account = {w.account: w for w in (*writers.values(), default_writer)}
    need_address = []
    for n in notes:
        if n.state != "ready":
            continue
        if not n.deliver_to:
            need_address.append(n)
            continue
        w = writers.get(n.application, default_writer)
        groups.setdefault((w.account, n.deliver_to), []).append(n)
    drafts = []
    drafted: set[str] = set()
    if allow_drafts:
        for (account, to_addr), group in sorted(groups.items()):
            if account in blocked_accounts:
                continue
            writer = by_account[account]
            app_threads = (threads.get(group[0].application, ()) if isinstance(threads, Mapping)
                           else threads)
            own = [n for n in group if n.recipient.email == to_addr]
            passed = [n for n in group if not n.recipient.email]
            # The wording follows the note that picks the template: an offer's, if any.
            lead = next((n for n in own if n.occasion == "offer"), own[0]) if own else group[0]
            to_name = lead.deliver_name
            drafts.append(DraftRequest(
                notes=tuple(group), account=account, from_name=writer.name,
                from_address=writer.address,
                to_name=to_name, to_address=to_addr,
                thread=latest_thread(app_threads, to_addr), variant=variants.get(lead.id, 0),
                now=now, tz=tz, pass_on=tuple(dict.fromkeys(n.recipient.name for n in passed)),
            ))
            drafted.update(n.id for n in group)
    reminder = None
    open_notes = [replace(n, state="drafted") if n.id in drafted else n
                  for n in notes if n.open]
    slot = reminder_slot(now, tz, every_days)
    if reminders_enabled and open_notes and slot != last_slot:
        reminder = ReminderRequest(
            notes=tuple(sorted(open_notes, key=lambda n: (n.due_at, n.id))),
            to_name=default_writer.name, to_address=default_writer.address, slot=slot,
            now=now, tz=tz, drafts_folder=default_writer.drafts_folder,
            suggest_card=suggest_card, suggest_gift=suggest_gift,
        )
    return Plan(drafts=tuple(drafts), reminder=reminder, need_address=tuple(need_address))
