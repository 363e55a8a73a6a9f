"""The systemd units: generated once, identical to systemd/, valid, and hardened."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from thankful import units
from thankful.cli import main
from thankful.demo import write_search
from thankful.demo_data import build_demo

REPO = Path(__file__).resolve().parents[2]
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None and os.environ.get("CI") != "true",
    reason="systemd-analyze is not installed (scripts/test installs it in CI)")


def test_repository_units_are_the_generated_ones() -> None:
    assert (REPO / "systemd" / "thankful.service").read_text() == units.service_unit()
    assert (REPO / "systemd" / "thankful-scan.service").read_text() == \
        units.scan_service_unit()
    assert (REPO / "systemd" / "thankful-scan.timer").read_text() == units.TIMER_UNIT


def _user_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    exe = home / ".local" / "bin" / "thankful"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} -m thankful \"$@\"\n")
    exe.chmod(0o755)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    return {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}


@needs_analyze
def test_units_verify_clean(tmp_path: Path) -> None:
    files = [str(REPO / "systemd" / n) for n in
             ("thankful.service", "thankful-scan.service", "thankful-scan.timer")]
    proc = subprocess.run([ANALYZE or "systemd-analyze", "--user", "verify", "--man=no",
                           *files], capture_output=True, text=True, env=_user_env(tmp_path),
                          timeout=60, check=False)
    # systemd-analyze exits 0 even for unknown keys: any output is a failure.
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stderr


@needs_analyze
def test_service_exposure_is_3_or_better(tmp_path: Path) -> None:
    proc = subprocess.run([ANALYZE or "systemd-analyze", "--user", "security", "--offline=yes",
                           str(REPO / "systemd" / "thankful.service")], capture_output=True,
                          text=True, env=_user_env(tmp_path), timeout=60, check=False)
    m = re.search(r"Overall exposure level for thankful.service: ([0-9.]+)", proc.stdout)
    assert m, proc.stdout + proc.stderr
    assert float(m.group(1)) <= 3.0


def test_install_unit_writes_units_and_a_dropin(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime(2026, 3, 20, 18, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    cfg = write_search(tmp_path / "s", build_demo(now), now)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert main(["install-unit", "--config", str(cfg)]) == 0
    base = tmp_path / "cfg" / "systemd" / "user"
    dropin = (base / "thankful.service.d" / "paths.conf").read_text()
    assert f"ReadWritePaths=-{tmp_path / 's' / 'mail'}" in dropin
    assert f"ReadWritePaths=-{tmp_path / 's' / 'state'}" in dropin
    assert f"--config {cfg}" in dropin
    assert (base / "thankful-scan.timer").exists()
    assert "systemctl --user" in capsys.readouterr().out
