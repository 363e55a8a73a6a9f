"""structlog is imported only when something is logged at the configured level, and every
line is then rendered as configured: through thankful's loggers or a stdlib logger. In a
new process: the test session has structlog imported already."""

from __future__ import annotations

import json
import subprocess
import sys


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)


def lines(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines()]


def test_nothing_at_the_level_imports_nothing() -> None:
    out = run("""
import sys
from thankful import log as tlog
tlog.configure("warning")
tlog.bind_contextvars(cycle_id="c1")
log = tlog.get_logger("thankful.service")
log.info("not shown", n=1)
log.bind(account="a").debug("not shown either")
tlog.unbind_contextvars("cycle_id")
print("structlog" in sys.modules, "asyncio" in sys.modules)
""")
    assert out.stdout.split() == ["False", "False"] and out.stderr == ""


def test_what_passes_the_level_is_rendered_as_configured() -> None:
    out = run("""
import logging
from thankful import log as tlog
tlog.configure("info")
tlog.bind_contextvars(cycle_id="c1")
log = tlog.get_logger("thankful.service")
log.debug("dropped")
log.bind(account="a").info("bound", n=1)
tlog.get_logger("thankful.smtp").info("direct")
logging.getLogger("imapclient").warning("stdlib %s", 2)
tlog.unbind_contextvars("cycle_id")
log.warning("after")
""")
    got = lines(out.stderr)
    assert [(g["event"], g["level"], g.get("cycle_id")) for g in got] == [
        ("bound", "info", "c1"), ("direct", "info", "c1"), ("stdlib 2", "warning", "c1"),
        ("after", "warning", None)]
    assert got[0]["account"] == "a" and got[0]["n"] == 1
    assert got[2]["logger"] == "imapclient" and all("timestamp" in g for g in got)


def test_context_bound_early_survives_a_set_up_in_another_thread() -> None:
    out = run("""
import threading
from thankful import log as tlog
tlog.configure("info")
tlog.bind_contextvars(cycle_id="c1")
other = threading.Thread(target=lambda: tlog.get_logger("thankful.idle").info("watcher"))
other.start(); other.join()
tlog.get_logger("thankful.service").info("in_cycle")
""")
    got = {g["event"]: g.get("cycle_id") for g in lines(out.stderr)}
    assert got == {"watcher": None, "in_cycle": "c1"}
