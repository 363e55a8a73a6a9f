"""`thankful demo` end to end, through the real command line in a subprocess."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def thankful(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thankful", *args], capture_output=True,
                          text=True, timeout=120, env=env or dict(os.environ), check=False)


def drafts(d: Path) -> list[email.message.EmailMessage]:
    cur = d / "mail" / ".Drafts" / "cur"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(cur.iterdir())] if cur.is_dir() else []


def test_demo_drafts_every_owed_note_and_nothing_for_the_noise(tmp_path: Path) -> None:
    from thankful.demo_data import build_demo

    d = tmp_path / "demo"
    run = thankful("demo", "--dir", str(d))
    assert run.returncode == 0, run.stderr
    assert "Who is owed a thank-you note" in run.stdout
    assert "Reminder delivered" in run.stdout
    made = drafts(d)
    expected = build_demo(
        __import__("datetime").datetime.fromisoformat(
            json.loads((d / ".thankful-demo").read_text())["now"])).expected_notes
    want = {e.email for e in expected}
    got = [email.utils.parseaddr(str(m["To"]))[1] for m in made]
    assert sorted(got) == sorted(want)  # one draft per person: interview + offer combined
    assert all(m["X-Thankful-Note"] for m in made)
    # Interviewers compare notes: no two drafts read the same but for the name.
    bodies = []
    for m in made:
        name = email.utils.parseaddr(str(m["To"]))[0]
        text = m.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for part in (name, name.upper(), *name.split()):
            text = text.replace(part, "NAME")
        bodies.append(text)
    assert len(set(bodies)) == len(bodies)
    owed = json.loads(thankful("owed", "--all", "--json", "--config",
                               str(d / "config.toml")).stdout)
    got_notes = {(n["occasion"], n["recipient"]["email"], n["recipient"]["role"]) for n in owed}
    assert got_notes == {(e.occasion, e.email, e.role) for e in expected}
    assert {n["state"] for n in owed} == {"drafted"}
    # The reminder is in the inbox, unread.
    new = list((d / "mail" / "new").iterdir())
    assert len(new) == 1 and b"X-Thankful-Kind: reminder" in new[0].read_bytes()


def test_demo_twice_adds_nothing(tmp_path: Path) -> None:
    d = tmp_path / "demo"
    assert thankful("demo", "--dir", str(d)).returncode == 0
    before = sorted(p.name for p in (d / "mail").rglob("*") if p.is_file())
    second = thankful("demo", "--dir", str(d))
    assert second.returncode == 0, second.stderr
    after = sorted(p.name for p in (d / "mail").rglob("*") if p.is_file())
    assert before == after


def test_two_demos_in_two_folders_each_draft(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert thankful("demo", "--dir", str(tmp_path / name)).returncode == 0
    assert len(drafts(tmp_path / "a")) == len(drafts(tmp_path / "b")) > 0


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("mine")
    run = thankful("demo", "--dir", str(tmp_path))
    assert run.returncode == 2
    assert "not a thankful demo folder" in run.stderr
    assert "Traceback" not in run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]
