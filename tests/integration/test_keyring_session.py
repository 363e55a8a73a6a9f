"""A password stored with `thankful set-password` is read by the daemon with no terminal:
under a D-Bus session with an unlocked keyring daemon (gnome-keyring, from Debian)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.dovecot import ImapUser
from integration.test_idle import draft_count
from integration.test_imap_cycle import load_demo
from integration.test_imap_cycle import write_config
from thankful.demo_data import build_demo

pytestmark = pytest.mark.integration

TOOLS = [shutil.which(t) for t in ("dbus-run-session", "gnome-keyring-daemon")]
if not all(TOOLS):
    if os.environ.get("CI") == "true":
        pytest.fail("dbus-run-session and gnome-keyring-daemon are needed (scripts/test "
                    "installs them)", pytrace=False)
    pytest.skip("dbus-run-session or gnome-keyring-daemon is not installed",
                allow_module_level=True)

SCRIPT = """
set -e
eval "$(printf 'unlock' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
printf '%s\\n' "$IMAP_PASSWORD" | "$PY" -m thankful set-password demo --config "$CFG"
unset IMAP_PASSWORD
"$PY" -m thankful run --config "$CFG" </dev/null &
pid=$!
i=0
while [ $i -lt 120 ] && ! [ -s "$DONE" ]; do sleep 0.5; i=$((i+1)); done
kill -TERM $pid
wait $pid
"""


def test_daemon_reads_the_keyring_without_a_terminal(tmp_path: Path,
                                                     imap_user: ImapUser) -> None:
    now = datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0) - timedelta(minutes=5)
    data = build_demo(now)
    load_demo(imap_user, data)
    cfg = write_config(tmp_path, imap_user, data)
    # No password source named: the keyring it is.
    cfg.write_text(cfg.read_text().replace(f'password_env = "{imap_user.env}"\n', ""))
    done = tmp_path / "done"
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != imap_user.env and
           not k.startswith("DBUS_")}
    env.update(HOME=str(home), PY=sys.executable, CFG=str(cfg), DONE=str(done),
               IMAP_PASSWORD=imap_user.password, XDG_RUNTIME_DIR=str(tmp_path))
    proc = subprocess.Popen(["dbus-run-session", "--", "sh", "-c", SCRIPT], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        import time

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and draft_count(imap_user) == 0:
            time.sleep(0.5)
        drafted = draft_count(imap_user)
        done.write_text("1")
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Stored the password for account demo in the system keyring" in out, err[-2000:]
    assert drafted > 0, err[-3000:]
    assert proc.returncode == 0, err[-2000:]
