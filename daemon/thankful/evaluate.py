"""``thankful eval LABELS DIR``: detection measured like a classifier on a labelled corpus.

The labels file is a JSON list of objects, one per message file in DIR::

    {"file": "gh-invite.eml", "kind": "interview_invite", "mode": "video",
     "company": "Acme Robotics",
     "people": [{"name": "Jane Doe", "email": "jane.doe@acme.example", "role": "recruiter"}]}

It may instead be an object ``{"identity": {...}, "labels": [...]}``; the identity then
says who the user is: ``{"name": ..., "addresses": [...], "employer_domains": [...],
"timezone": "Europe/Berlin"}`` (every key optional). Without one, the user is
:data:`DEFAULT_IDENTITY`: Alex Morgan <alex.morgan@example.net>, who works at
globex-corp.com (as alex.morgan@globex-corp.com), in Europe/Berlin.

The report gives, per kind, precision, recall and F1; the confusion matrix; mode
accuracy over labelled interviews; company accuracy; and precision and recall of the
people a note would go to, by lowercased address, counted only where the kind is
right, for interviews, offers, referrals and outreach. The last line is
``macro_f1=<number>``: the mean F1 over the six kinds (a kind that is neither labelled
nor predicted counts as 1). An interview detection that carries only cancelled events
counts as "other", as the labels have it (see :func:`cancelled_only`). Calendar parts
are read in a window around each message's own Date, so the result does not depend on
the day the eval runs.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from thankful.core.classify import classify_message
from thankful.core.model import KINDS
from thankful.core.model import CalEvent
from thankful.core.model import Detection
from thankful.core.model import Identity
from thankful.core.model import Kind
from thankful.core.parse_ics import parse_calendar
from thankful.core.parse_mail import parse_message

EXIT_OK = 0
EXIT_UNREADABLE = 1
EXIT_BAD_LABELS = 2

#: The user of the labelled corpus, when the labels file does not name one.
DEFAULT_IDENTITY = Identity(
    name="Alex Morgan",
    addresses=frozenset({"alex.morgan@example.net", "alex.morgan@globex-corp.com"}),
    employer_domains=frozenset({"globex-corp.com"}),
    timezone=ZoneInfo("Europe/Berlin"),
)
#: Kinds whose people a note would go to.
NOTE_KINDS: frozenset[str] = frozenset(
    {"interview_invite", "offer", "referral_intro", "recruiter_outreach"}
)
_BEFORE = timedelta(days=400)
_AFTER = timedelta(days=800)
_NO_DATE = datetime(2024, 1, 1, tzinfo=UTC)


class LabelError(ValueError):
    """The labels file is not what the eval needs."""


@dataclass(frozen=True, slots=True)
class Label:
    """What one file should be detected as."""

    file: str
    kind: Kind
    mode: str | None
    company: str | None
    emails: frozenset[str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the detector made of one labelled file."""

    label: Label
    kind: Kind
    mode: str | None
    company: str | None
    emails: frozenset[str]


@dataclass
class Report:
    """Every number the eval prints."""

    outcomes: list[Outcome] = field(default_factory=list)

    def confusion(self) -> Counter[tuple[str, str]]:
        """(labelled kind, detected kind) -> count."""
        return Counter((o.label.kind, o.kind) for o in self.outcomes)

    def per_kind(self, kind: str) -> tuple[float, float, float, int]:
        """(precision, recall, F1, support) of one kind."""
        tp = sum(1 for o in self.outcomes if o.label.kind == kind and o.kind == kind)
        predicted = sum(1 for o in self.outcomes if o.kind == kind)
        gold = sum(1 for o in self.outcomes if o.label.kind == kind)
        return (*prf(tp, predicted, gold), gold)

    def macro_f1(self) -> float:
        """The mean F1 over the six kinds."""
        return sum(self.per_kind(k)[2] for k in KINDS) / len(KINDS)

    def mode_accuracy(self) -> tuple[float, int]:
        """Share of labelled interviews (with a mode) whose detected mode is right."""
        rows = [o for o in self.outcomes
                if o.label.kind == "interview_invite" and o.label.mode is not None]
        right = sum(1 for o in rows if o.mode == o.label.mode)
        return (right / len(rows) if rows else 1.0), len(rows)

    def company_accuracy(self) -> tuple[float, int]:
        """Share of labelled non-other files whose company is right (case-insensitive)."""
        rows = [o for o in self.outcomes if o.label.kind != "other" and o.label.company]
        right = sum(1 for o in rows if _norm(o.company) == _norm(o.label.company))
        return (right / len(rows) if rows else 1.0), len(rows)

    def people(self) -> tuple[float, float, float, int, int, int]:
        """(precision, recall, F1, tp, predicted, labelled) of the note recipients."""
        tp = predicted = gold = 0
        for o in self.outcomes:
            if o.label.kind not in NOTE_KINDS or o.kind != o.label.kind:
                continue
            tp += len(o.emails & o.label.emails)
            predicted += len(o.emails)
            gold += len(o.label.emails)
        p, r, f = prf(tp, predicted, gold)
        return p, r, f, tp, predicted, gold


def prf(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1; with nothing predicted and nothing labelled all are 1."""
    if predicted == 0 and gold == 0:
        return 1.0, 1.0, 1.0
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


# --- reading ------------------------------------------------------------------------------------


def _identity(raw: Any) -> Identity:
    if not isinstance(raw, dict):
        raise LabelError("identity must be an object")
    try:
        zone = ZoneInfo(str(raw.get("timezone", "Europe/Berlin")))
    except (ValueError, KeyError) as exc:
        raise LabelError(f"identity timezone: {exc}") from exc
    addresses = raw.get("addresses", sorted(DEFAULT_IDENTITY.addresses))
    domains = raw.get("employer_domains", sorted(DEFAULT_IDENTITY.employer_domains))
    if not isinstance(addresses, list) or not isinstance(domains, list):
        raise LabelError("identity addresses and employer_domains must be lists")
    return Identity(
        name=str(raw.get("name", DEFAULT_IDENTITY.name)),
        addresses=frozenset(str(a).lower() for a in addresses),
        employer_domains=frozenset(str(d).lower() for d in domains),
        timezone=zone,
    )


def _label(raw: Any, index: int) -> Label:
    where = f"label {index + 1}"
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
        raise LabelError(f"{where}: an object with a \"file\" is needed")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise LabelError(f"{where} ({raw['file']}): unknown kind {kind!r}")
    mode = raw.get("mode")
    if mode not in (None, "phone", "video", "onsite"):
        raise LabelError(f"{where} ({raw['file']}): unknown mode {mode!r}")
    people = raw.get("people") or []
    if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
        raise LabelError(f"{where} ({raw['file']}): people must be a list of objects")
    emails = frozenset(str(p["email"]).lower() for p in people if p.get("email"))
    company = raw.get("company")
    return Label(file=raw["file"], kind=kind, mode=mode,
                 company=str(company) if company else None, emails=emails)


def load_labels(path: Path) -> tuple[list[Label], Identity]:
    """The labels and the identity they were written for.

    :raises OSError: unreadable file. :raises LabelError: not valid labels.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelError(f"not JSON: {exc}") from exc
    identity = DEFAULT_IDENTITY
    if isinstance(data, dict):
        if "identity" in data:
            identity = _identity(data["identity"])
        data = data.get("labels")
    if not isinstance(data, list) or not data:
        raise LabelError("expected a non-empty JSON list of labels")
    labels = [_label(raw, i) for i, raw in enumerate(data)]
    seen = Counter(lab.file for lab in labels)
    dupes = [name for name, n in seen.items() if n > 1]
    if dupes:
        raise LabelError(f"labelled twice: {dupes[0]}")
    return labels, identity


def detect_file(data: bytes, identity: Identity) -> Detection:
    """Classify one message file as the daemon would, calendar parts included."""
    item = parse_message(data)
    anchor = item.date or _NO_DATE
    events: list[CalEvent] = []
    for part in item.calendar_parts:
        parsed = parse_calendar(part, default_tz=identity.timezone,
                                window_start=anchor - _BEFORE, window_end=anchor + _AFTER)
        events.extend(parsed.events)
    return classify_message(item, identity, events)


def cancelled_only(det: Detection) -> bool:
    """An interview detection that only carries cancelled events: a cancellation.

    The classifier keeps these as ``interview_invite`` so that the rules can withdraw
    the interview's note; no note comes of them, so the eval counts them as "other".
    """
    return det.kind == "interview_invite" and bool(det.events) and all(
        ev.cancelled for ev in det.events)


def evaluate(labels: list[Label], folder: Path, identity: Identity) -> Report:
    """Run detection over every labelled file. :raises OSError: a file cannot be read."""
    report = Report()
    for label in labels:
        det = detect_file((folder / label.file).read_bytes(), identity)
        emails = frozenset(p.email.lower() for p in det.people if p.email)
        kind, mode = det.kind, det.mode
        if cancelled_only(det):
            kind, mode, emails = "other", None, frozenset()
        report.outcomes.append(Outcome(label=label, kind=kind, mode=mode,
                                       company=det.company, emails=emails))
    return report


# --- printing -----------------------------------------------------------------------------------

_SHORT = {"interview_invite": "interview", "offer": "offer", "referral_intro": "referral",
          "recruiter_outreach": "outreach", "rejection": "rejection", "other": "other"}


def format_report(report: Report) -> list[str]:
    """The report as lines; the last is ``macro_f1=<number>``."""
    lines = [f"files: {len(report.outcomes)}", "",
             f"{'kind':<20}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>5}"]
    for kind in KINDS:
        p, r, f, n = report.per_kind(kind)
        lines.append(f"{kind:<20}{p:>10.3f}{r:>8.3f}{f:>8.3f}{n:>5}")
    conf = report.confusion()
    lines += ["", "confusion (rows: labelled, columns: detected)",
              f"{'':<11}" + "".join(f"{_SHORT[k]:>11}" for k in KINDS)]
    for gold in KINDS:
        lines.append(f"{_SHORT[gold]:<11}" + "".join(f"{conf[(gold, k)]:>11}" for k in KINDS))
    acc, n = report.mode_accuracy()
    lines += ["", f"mode accuracy: {acc:.3f} ({n} interviews with a mode)"]
    acc, n = report.company_accuracy()
    lines.append(f"company accuracy: {acc:.3f} ({n} files with a company)")
    p, r, f, tp, found, labelled = report.people()
    lines.append(f"people: precision {p:.3f} recall {r:.3f} f1 {f:.3f} "
                 f"({tp} right of {found} found, {labelled} labelled)")
    wrong = [o for o in report.outcomes if o.kind != o.label.kind]
    if wrong:
        lines += ["", "misclassified:"]
        lines += [f"  {o.label.file}: labelled {o.label.kind}, detected {o.kind}" for o in wrong]
    modes = [o for o in report.outcomes if o.label.kind == o.kind == "interview_invite"
             and o.label.mode is not None and o.mode != o.label.mode]
    if modes:
        lines += ["", "wrong mode:"]
        lines += [f"  {o.label.file}: labelled {o.label.mode}, detected {o.mode}" for o in modes]
    missed = [o for o in report.outcomes if o.kind == o.label.kind and o.kind in NOTE_KINDS
              and o.emails != o.label.emails]
    if missed:
        lines += ["", "people differ:"]
        for o in missed:
            lost = ", ".join(sorted(o.label.emails - o.emails)) or "-"
            extra = ", ".join(sorted(o.emails - o.label.emails)) or "-"
            lines.append(f"  {o.label.file}: missed {lost}; extra {extra}")
    lines += ["", f"macro_f1={report.macro_f1():.4f}"]
    return lines


def run_eval(labels: Path, folder: Path) -> int:
    """The ``eval`` command: print the report; 1 for unreadable input, 2 for bad labels."""
    try:
        parsed, identity = load_labels(labels)
    except OSError as exc:
        print(f"thankful: cannot read {labels}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except LabelError as exc:
        print(f"thankful: bad labels in {labels}: {exc}"[:300], file=sys.stderr)
        return EXIT_BAD_LABELS
    if not folder.is_dir():
        print(f"thankful: not a folder: {folder}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        report = evaluate(parsed, folder, identity)
    except OSError as exc:
        print(f"thankful: cannot read {exc.filename or folder}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_UNREADABLE
    print("\n".join(format_report(report)))
    return EXIT_OK
