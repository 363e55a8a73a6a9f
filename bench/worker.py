"""One measured process of the benchmarks (started by ``imap_scan.py`` and
``maildir_scan.py``; not for users).

``worker.py SPEC.json`` with ``mode``:

* ``imapclient``: the baseline: the same header FETCH thankful sends for every message
  (``BODY.PEEK[HEADER]``, UID lists of the adapter's HEADER_BATCH), nothing else;
* ``imaplib``: the floor: the same commands through the standard library's imaplib,
  which splits out the literals and parses nothing;
* ``imapclient_fields``, ``imaplib_fields``: the same two for what a scan's survey
  fetches, ``BODY.PEEK[HEADER.FIELDS (...)]`` of the fields it reads (SCAN_FIELDS);
* ``cycle``: ``run_cycle`` steps in one process, as the daemon runs them (a step may
  first APPEND new messages over IMAP, ``append``, or deliver them into a Maildir's
  ``new/``, ``deliver``: untimed).

For ``maildir_scan.py``, over the message files of the Maildir folders ``maildirs``
(listing included):

* ``stdlib_headers``: the baseline: ``email.parser.BytesHeaderParser`` (compat32) on
  each opened file, nothing else;
* ``read_headers``: the floor: each file's header block read as bytes (open, read
  until the blank line), no parsing;
* ``stdlib_headblock``: the header block read as the floor does, then parsed with
  ``BytesHeaderParser.parsebytes`` (the parser without the rest of the file).

Each timed part is bracketed by ``READY``/``DONE`` lines on stdout; the parent answers
each with a line on stdin (it resets and reads the proxy's counters meanwhile). Peak
RSS inside the process is VmHWM, reset before each part (``/proc/self/clear_refs``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any


def scan_item() -> str:
    """The header section a scan's survey fetches: the lines of SCAN_FIELDS."""
    from thankful.adapters.imap import _header_section
    from thankful.core.parse_mail import SCAN_FIELDS

    return f"BODY.PEEK{_header_section(SCAN_FIELDS)}"


def _status(key: str, pid: int | str = "self") -> float:
    text = open(f"/proc/{pid}/status").read()
    return int(re.search(rf"{key}:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


#: The helper process's own peak RSS (MB) in the cycle being timed: its VmHWM, read
#: just before it is stopped. Not the kernel's ru_maxrss of a reaped child, which
#: counts this process's RSS at the fork that made it.
HELPER_PEAK = {"mb": 0.0}


def _watch_helpers() -> None:
    from thankful.adapters import helper_process

    close = helper_process.HelperProcess.close

    def watched(self: Any, *, kill: bool = False) -> None:
        worker = self._worker
        for process in worker.processes if worker is not None else ():
            with contextlib.suppress(OSError, AttributeError):  # gone already
                HELPER_PEAK["mb"] = max(HELPER_PEAK["mb"], _status("VmHWM", process.pid))
        close(self, kill=kill)

    helper_process.HelperProcess.close = watched  # type: ignore[method-assign]


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _talk(line: str) -> None:
    print(line, flush=True)
    sys.stdin.readline()


def _cpu() -> float:
    """CPU seconds of this process and of its children reaped so far (a helper process)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(name: str, fn: Any) -> Any:
    _talk(f"READY {name}")
    rss0 = _status("VmRSS")
    _reset_peak()
    HELPER_PEAK["mb"] = 0.0
    cpu0 = _cpu()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    info = {"name": name, "seconds": seconds, "cpu_s": _cpu() - cpu0, "rss_before_mb": rss0,
            "peak_rss_mb": _status("VmHWM"),
            # The helper process's (thankful.adapters.helper_process), apart: the figure
            # above is this process's alone; 0: none ran.
            "helper_peak_rss_mb": HELPER_PEAK["mb"], **(out or {})}
    _talk("DONE " + json.dumps(info, default=str))
    return out


def chunks(seq: list[Any], n: int) -> list[list[Any]]:
    return [seq[i:i + n] for i in range(0, len(seq), n)]


def fetch_imapclient(spec: dict[str, Any], item: str = "BODY.PEEK[HEADER]") -> dict[str, Any]:
    from imapclient import IMAPClient

    c = IMAPClient("127.0.0.1", port=spec["port"], ssl=False, timeout=120)
    c.login(spec["user"], spec["password"])
    c.select_folder(spec["folder"], readonly=True)
    uids = c.search("ALL")
    n = size = 0
    for chunk in chunks(uids, spec["batch"]):
        for data in c.fetch(chunk, [item.encode()]).values():
            n += 1
            size += len(next(v for k, v in data.items() if k.startswith(b"BODY[HEADER")))
    c.logout()
    return {"messages": n, "header_bytes": size}


def fetch_imaplib(spec: dict[str, Any], item: str) -> dict[str, Any]:
    import imaplib

    m = imaplib.IMAP4("127.0.0.1", spec["port"])
    m.login(spec["user"], spec["password"])
    m.select(spec["folder"], readonly=True)
    uids = m.uid("SEARCH", "ALL")[1][0].split()
    n = size = 0
    for chunk in chunks(uids, spec["batch"]):
        typ, data = m.uid("FETCH", b",".join(chunk), f"({item})")
        for part in data:
            if isinstance(part, tuple):
                n += 1
                size += len(part[1])
    m.logout()
    return {"messages": n, "header_bytes": size}


def maildir_files(dirs: list[str]) -> list[str]:
    """Every message file of these Maildir folders (new/ and cur/), as thankful lists them."""
    out = []
    for d in dirs:
        for sub in ("new", "cur"):
            with os.scandir(os.path.join(d, sub)) as it:
                out += [de.path for de in it if not de.name.startswith(".")]
    return out


def head_block(fh: Any, chunk: int = 16 * 1024) -> bytes:
    """The header block of an open message file: read until the blank line."""
    head = b""
    while True:
        data = fh.read(chunk)
        head += data
        for sep in (b"\r\n\r\n", b"\n\n"):
            pos = head.find(sep)
            if pos >= 0:
                return head[:pos + len(sep)]
        if not data:
            return head


def read_maildir(spec: dict[str, Any], how: str) -> dict[str, Any]:
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    parser = BytesHeaderParser(policy=compat32)
    n = size = fields = 0
    for path in maildir_files(spec["maildirs"]):
        with open(path, "rb") as fh:
            if how == "stdlib_headers":
                fields += len(parser.parse(fh))
            else:
                head = head_block(fh)
                size += len(head)
                if how == "stdlib_headblock":
                    fields += len(parser.parsebytes(head))
        n += 1
    return {"messages": n, "header_bytes": size, "fields": fields}


def deliver(maildir: str, path: str) -> int:
    """Deliver a pickled batch of ``(raw, date)`` into a Maildir's ``new/`` as an MDA does
    (tmp/, then a rename; mtime = date): untimed."""
    import pickle
    from datetime import datetime

    with open(path, "rb") as fh:
        batch: list[tuple[bytes, datetime]] = pickle.load(fh)
    tag = Path(path).stem
    for i, (raw, when) in enumerate(batch):
        ts = when.timestamp()
        name = f"{int(ts)}.M{i}P{os.getpid()}Q{tag}.bench"
        tmp = os.path.join(maildir, "tmp", name)
        with open(tmp, "wb") as out:
            out.write(raw)
        os.utime(tmp, (ts, ts))
        os.rename(tmp, os.path.join(maildir, "new", name))
    return len(batch)


def cycles(spec: dict[str, Any]) -> None:
    from datetime import datetime

    from thankful import log as tlog
    from thankful.config import load
    from thankful.service import open_mail_store
    from thankful.service import run_cycle

    os.umask(0o077)
    tlog.configure("warning")
    _watch_helpers()
    cfg = load(Path(spec["config"]))
    now = datetime.fromisoformat(spec["now"])
    expected = {tuple(x) for x in spec.get("expected", [])}
    for step in spec["steps"]:
        if step.get("append"):
            append(spec, step["append"])
        if step.get("deliver"):
            deliver(spec["maildir"], step["deliver"])
        stores: list[Any] = []

        def factory(acc: Any) -> Any:
            ms = open_mail_store(acc)
            stores.append(ms)
            return ms

        def run() -> dict[str, Any]:
            if spec.get("profile"):
                import cProfile

                prof = cProfile.Profile()
                res = prof.runcall(run_cycle, cfg, now, store_factory=factory)
                prof.dump_stats(spec["profile"])
            else:
                res = run_cycle(cfg, now, store_factory=factory)
            found = {(n.occasion, n.recipient.email or n.recipient.name) for n in res.notes
                     if n.state != "history"}
            return {"counts": res.counts, "errors": res.errors,
                    "adapter_commands": sum(getattr(s, "commands", 0) for s in stores),
                    "notes_found": len(found), "notes_missing": sorted(expected - found),
                    "notes_extra": sorted(found - expected), "drafts": len(res.drafts)}

        timed(step["name"], run)


def append(spec: dict[str, Any], path: str) -> None:
    """APPEND a batch of new messages (MULTIAPPEND), straight to the server: untimed."""
    import pickle
    from datetime import datetime

    from imapclient import IMAPClient

    with open(path, "rb") as fh:
        batch: list[tuple[bytes, datetime]] = pickle.load(fh)
    c = IMAPClient("127.0.0.1", port=spec["direct_port"], ssl=False, timeout=120)
    c.login(spec["user"], spec["password"])
    c.multiappend(spec.get("folder", "INBOX"), [{"msg": raw, "date": when, "flags": ()}
                                                 for raw, when in batch])
    c.logout()


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    mode = spec["mode"]
    fields = scan_item() if mode.endswith("_fields") else ""  # not timed either
    if mode.startswith("imapclient"):
        import imapclient  # noqa: F401  (imports are not the FETCH's cost)
    elif mode.startswith("imaplib"):
        import imaplib  # noqa: F401
    elif mode in ("stdlib_headers", "stdlib_headblock"):
        import email.parser
        import email.policy  # noqa: F401
    _talk(f"STARTED {_status('VmRSS'):.1f}")
    if mode == "imapclient":
        timed(mode, lambda: fetch_imapclient(spec))
    elif mode == "imaplib":
        timed(mode, lambda: fetch_imaplib(spec, "BODY.PEEK[HEADER]"))
    elif mode == "imaplib_fields":
        timed(mode, lambda: fetch_imaplib(spec, fields))
    elif mode == "imapclient_fields":
        timed(mode, lambda: fetch_imapclient(spec, fields))
    elif mode in ("stdlib_headers", "read_headers", "stdlib_headblock"):
        timed(mode, lambda: read_maildir(spec, mode))
    elif mode == "cycle":
        cycles(spec)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
