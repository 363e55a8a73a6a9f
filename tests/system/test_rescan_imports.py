"""A rescan with nothing new, as a timer runs it (``thankful scan --once``, a new
process), loads none of the modules that only reading mail, logging or an IMAP account
needs: it starts little slower than ``thankful --help``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

#: Loaded only when there is mail to read, a line to log or an IMAP account to reach.
HEAVY = ("structlog", "asyncio", "uuid", "difflib", "imapclient", "keyring", "icalendar",
         "mailbox", "email.policy", "thankful.core.parse_mail", "thankful.core.prefilter",
         "thankful.core.classify", "thankful.adapters.smtp",
         # A quiet cycle does not derive the notes: none of the core's rules is loaded.
         "thankful.core.rules", "thankful.core.model", "thankful.core.plan",
         "thankful.core.compose", "thankful.core.serde", "thankful.report")

RUN = """
import json, sys
from thankful.cli import main
code = main(sys.argv[1:])
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
sys.exit(code)
"""


def scan(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN.format(heavy=HEAVY), "scan", "--once",
                           "--config", str(config), *extra], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ), check=False)


def test_a_rescan_with_nothing_new_loads_no_heavy_module(tmp_path: Path) -> None:
    d = tmp_path / "demo"
    made = subprocess.run([sys.executable, "-m", "thankful", "demo", "--dir", str(d)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    config = d / "config.toml"
    first = scan(config)  # reads the drafts and the reminder the demo wrote
    assert first.returncode == 0, first.stderr
    again = scan(config)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert "0 message(s) and 0 calendar file(s) read" in again.stdout
    assert json.loads(again.stdout.splitlines()[-1]) == []
    # Logging at info level still logs the cycle, as before.
    info = scan(config, "--log-level", "info")
    assert info.returncode == 0
    finished = [json.loads(line) for line in info.stderr.splitlines()
                if '"cycle_finished"' in line]
    assert len(finished) == 1 and finished[0]["level"] == "info"
    assert finished[0]["cycle_id"] and finished[0]["ok"] is True
