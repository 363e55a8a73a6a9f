"""The command line: exit codes, messages, and `explain` on every real-world file."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thankful.cli import main
from thankful.demo import write_search
from thankful.demo_data import build_demo

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "ics"


@pytest.fixture
def search(tmp_path: Path) -> Path:
    return write_search(tmp_path / "s", build_demo(NOW), NOW)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


class TestExitCodes:
    def test_version_and_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as info:
            main(["--version"])
        assert info.value.code == 0
        assert "thankful" in capsys.readouterr().out

    def test_usage_error_is_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "scan", "--bogus")
        assert code == 2 and "--bogus" in err and "Traceback" not in err

    def test_config_error_is_78_and_names_the_key(self, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
        cfg = tmp_path / "c.toml"
        cfg.write_text('[identity]\nname = "A"\naddresses = ["a@b.example"]\n[etiquete]\n')
        code, _, err = run(capsys, "check", "--config", str(cfg))
        assert code == 78
        assert str(cfg) in err and 'did you mean "etiquette"' in err
        assert "Traceback" not in err

    def test_missing_config_is_78(self, capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path) -> None:
        code, _, err = run(capsys, "owed", "--config", str(tmp_path / "none.toml"))
        assert code == 78 and "does not exist" in err

    def test_check_names_a_missing_source_and_exits_1(
            self, capsys: pytest.CaptureFixture[str], search: Path) -> None:
        search.write_text(search.read_text().replace('location = "calendar"',
                                                     'location = "nowhere"'))
        code, out, _ = run(capsys, "check", "--config", str(search))
        assert code == 1 and "nowhere" in out and "ok: account demo" in out

    def test_check_passes_on_a_good_config(self, capsys: pytest.CaptureFixture[str],
                                           search: Path) -> None:
        code, out, _ = run(capsys, "check", "--config", str(search))
        assert code == 0, out


class TestScan:
    def test_scan_then_owed_done_dismiss(self, capsys: pytest.CaptureFixture[str],
                                         search: Path) -> None:
        cfg = str(search)
        code, out, _ = run(capsys, "scan", "--once", "--now", NOW.isoformat(), "--config", cfg)
        assert code == 0 and "Drafts written" in out
        code, out, _ = run(capsys, "owed", "--json", "--config", cfg)
        notes = json.loads(out)
        assert notes and {n["state"] for n in notes} == {"drafted"}
        first, second = notes[0]["id"], notes[1]["id"]
        assert run(capsys, "done", first, "--via", "card", "--config", cfg)[0] == 0
        assert run(capsys, "dismiss", second, "--config", cfg)[0] == 0
        code, out, _ = run(capsys, "owed", "--json", "--all", "--config", cfg)
        states = {n["id"]: n["state"] for n in json.loads(out)}
        assert states[first] == "done" and states[second] == "dismissed"
        # The user's word survives the next cycle.
        run(capsys, "scan", "--now", "2026-03-20T19:00", "--config", cfg)
        code, out, _ = run(capsys, "owed", "--json", "--all", "--config", cfg)
        states = {n["id"]: n["state"] for n in json.loads(out)}
        assert states[first] == "done" and states[second] == "dismissed"

    def test_now_before_the_last_cycle_is_refused(self, capsys: pytest.CaptureFixture[str],
                                                  search: Path) -> None:
        cfg = str(search)
        assert run(capsys, "scan", "--now", "2026-03-20T18:00", "--config", cfg)[0] == 0
        code, _, err = run(capsys, "scan", "--now", "2026-03-19T18:00", "--config", cfg)
        assert code == 2 and "before the last cycle" in err
        assert run(capsys, "scan", "--dry-run", "--now", "2026-03-19T18:00",
                   "--config", cfg)[0] == 0

    def test_bad_now_is_a_usage_error(self, capsys: pytest.CaptureFixture[str],
                                      search: Path) -> None:
        code, _, err = run(capsys, "scan", "--now", "yesterday", "--config", str(search))
        assert code == 2 and "ISO 8601" in err

    def test_unknown_note_id(self, capsys: pytest.CaptureFixture[str], search: Path) -> None:
        code, _, err = run(capsys, "done", "nope", "--config", str(search))
        assert code == 2 and "owed --all" in err

    def test_ignore_a_company(self, capsys: pytest.CaptureFixture[str], search: Path) -> None:
        cfg = str(search)
        assert run(capsys, "ignore", "Northwind Analytics, Inc.", "--config", cfg)[0] == 0
        code, out, _ = run(capsys, "scan", "--dry-run", "--now", NOW.isoformat(), "--config", cfg)
        assert code == 0 and "Drafts would be written" not in out

    def test_notes_of_an_ignored_company_are_gone(self, capsys: pytest.CaptureFixture[str],
                                                  search: Path) -> None:
        cfg = str(search)
        assert run(capsys, "scan", "--now", NOW.isoformat(), "--config", cfg)[0] == 0
        assert json.loads(run(capsys, "owed", "--json", "--config", cfg)[1])
        assert run(capsys, "ignore", "Northwind Analytics", "--config", cfg)[0] == 0
        assert run(capsys, "scan", "--now", "2026-03-20T19:00", "--config", cfg)[0] == 0
        assert json.loads(run(capsys, "owed", "--json", "--config", cfg)[1]) == []
        states = {n["state"] for n in json.loads(run(capsys, "owed", "--json", "--all",
                                                     "--config", cfg)[1])}
        assert states == {"gone"}

    def test_failed_source_exits_1_after_the_others(
            self, capsys: pytest.CaptureFixture[str], search: Path) -> None:
        search.write_text(search.read_text() + '\n[[calendars]]\nname = "gone"\nkind = "ics"\n'
                          'location = "/nonexistent/cal"\n')
        code, out, _ = run(capsys, "scan", "--now", NOW.isoformat(), "--config", str(search))
        assert code == 1 and "error in gone" in out and "Drafts written" in out


class TestExplain:
    def test_message_without_config(self, capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
        data = build_demo(NOW)
        offer = next(m for m in data.inbox if b"delighted" in m or b"Offer" in m)
        (tmp_path / "offer.eml").write_bytes(offer)
        code, out, err = run(capsys, "explain", str(tmp_path / "offer.eml"))
        assert code == 0 and err == ""
        obj = json.loads(out)
        assert {"kind", "mode", "company", "role_title", "confidence", "occasion", "people",
                "events", "reasons"} <= set(obj)
        assert obj["kind"] == "offer"
        assert all(p["email"] is None or p["email"] == p["email"].lower() for p in obj["people"])

    def test_unreadable_file_exits_1_with_one_line(self, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
        code, out, err = run(capsys, "explain", str(tmp_path / "missing.eml"))
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1

    @pytest.mark.corpus
    @pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*")
                                            if p.suffix in (".ics", ".eml"))
                             if CORPUS.is_dir() else [])
    def test_every_corpus_file(self, capsys: pytest.CaptureFixture[str], name: str) -> None:
        code, out, err = run(capsys, "explain", str(CORPUS / name))
        if code == 0:
            assert err == ""
            obj = json.loads(out)
            assert len(obj["events"]) <= 50
            for ev in obj["events"]:
                assert ev["all_day"] or ("T" in ev["start"] and ("+" in ev["start"]
                                                               or "-" in ev["start"][10:]))
        else:
            assert code == 1 and out == "" and len(err.strip().splitlines()) == 1


def test_corpus_is_present_in_ci() -> None:
    if os.environ.get("CI") == "true":
        assert CORPUS.is_dir(), f"{CORPUS} is missing"


def test_status_after_a_cycle(capsys: pytest.CaptureFixture[str], search: Path) -> None:
    cfg = str(search)
    assert run(capsys, "status", "--config", cfg)[1].splitlines() == [
        "daemon: not running", "last cycle: none yet"]
    run(capsys, "scan", "--now", NOW.isoformat(), "--config", cfg)
    code, out, _ = run(capsys, "status", "--config", cfg)
    assert code == 0
    assert "last cycle:" in out and "  demo: ok" in out and "drafted" in out
