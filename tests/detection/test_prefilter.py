"""Headers first: no message of the labelled corpus that matters is judged by its headers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thankful.core.model import Identity
from thankful.core.parse_mail import parse_headers
from thankful.core.prefilter import needs_body

HERE = Path(__file__).resolve().parent
ME = Identity(name="Alex Morgan", addresses=frozenset({"alex.morgan@example.net"}),
              employer_domains=frozenset({"globex-corp.com"}))


def labelled() -> list[tuple[Path, str]]:
    out = []
    for part in ("tune", "holdout"):
        data = json.loads((HERE / part / "labels.json").read_text())
        labels = data["labels"] if isinstance(data, dict) else data
        out += [(HERE / part / row["file"], row["kind"]) for row in labels]
    return out


@pytest.mark.parametrize(("path", "kind"), [x for x in labelled() if x[1] != "other"],
                         ids=lambda x: x.name if isinstance(x, Path) else x)
def test_every_message_that_matters_gets_its_body_read(path: Path, kind: str) -> None:
    need, why = needs_body(parse_headers(path.read_bytes()), ME)
    assert need, f"{path.name} ({kind}) would be skipped: {why}"


def test_some_noise_is_skipped_by_its_headers() -> None:
    noise = [p for p, kind in labelled() if kind == "other"]
    skipped = [p for p in noise if not needs_body(parse_headers(p.read_bytes()), ME)[0]]
    assert skipped, "the prefilter never skips anything"
