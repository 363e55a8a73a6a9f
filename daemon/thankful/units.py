"""The systemd user units, and ``thankful install-unit`` which writes them.

The text of each unit lives here, once; ``systemd/`` in the repository holds the same
files for people who install by hand, and a test keeps the two identical.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from thankful.config import Config

PIPX_EXEC = "%h/.local/bin/thankful"

_HARDENING = """\
# Hardening: it needs the network (IMAP, CalDAV), the session D-Bus (the keyring), its
# state directory, and write access to a Maildir it drafts into (see the drop-in that
# `thankful install-unit` writes).
NoNewPrivileges=yes
PrivateUsers=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=-%h/.local/state/thankful
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
CapabilityBoundingSet=
UMask=0077
"""


def service_unit(exec_path: str = PIPX_EXEC) -> str:
    """``thankful.service``: the daemon."""
    return f"""\
[Unit]
Description=thankful: drafts the thank-you notes you owe after interviews and offers
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=1h
StartLimitBurst=10

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_path} run
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=30
# A config error exits 78 (EX_CONFIG): fix the file instead of restarting in a loop.
RestartPreventExitStatus=78
WatchdogSec=10min
TimeoutStopSec=15
{_HARDENING}
[Install]
WantedBy=default.target
"""


def scan_service_unit(exec_path: str = PIPX_EXEC) -> str:
    """``thankful-scan.service``: one cycle, for people who prefer a timer."""
    return f"""\
[Unit]
Description=thankful: one scan for the thank-you notes you owe
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart={exec_path} scan --once
TimeoutStartSec=30min
{_HARDENING}"""


TIMER_UNIT = """\
[Unit]
Description=thankful: scan every 10 minutes

[Timer]
OnStartupSec=1min
OnUnitActiveSec=10min
RandomizedDelaySec=1min
Persistent=true

[Install]
WantedBy=timers.target
"""


def dropin(paths: Iterable[Path]) -> str:
    """A drop-in that lets the hardened units write to the user's own paths."""
    lines = ["# Written by `thankful install-unit`: the folders thankful writes to.",
             "[Service]"]
    lines += [f"ReadWritePaths=-{p}" for p in sorted(set(paths))]
    return "\n".join(lines) + "\n"


def writable_paths(cfg: Config) -> list[Path]:
    """The state directory and every Maildir thankful drafts or delivers into."""
    paths = [cfg.state_dir]
    paths += [a.path for a in cfg.accounts if a.kind == "maildir" and a.path]
    return paths


def install(cfg: Config, *, config_dir: Path | None = None) -> list[Path]:
    """Write the units and the drop-in under ``~/.config/systemd/user``; returns the files."""
    base = config_dir or Path(os.environ.get("XDG_CONFIG_HOME")
                              or Path("~/.config").expanduser()) / "systemd" / "user"
    base.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("thankful") or str(Path(sys.argv[0]).resolve())
    home_bin = Path("~/.local/bin/thankful").expanduser()
    exec_path = PIPX_EXEC if Path(exe) == home_bin else exe
    written = []
    for name, text in (("thankful.service", service_unit(exec_path)),
                       ("thankful-scan.service", scan_service_unit(exec_path)),
                       ("thankful-scan.timer", TIMER_UNIT)):
        (base / name).write_text(text, encoding="utf-8")
        written.append(base / name)
    extra = [f"--config {cfg.path}"] if cfg.path != _default_config() else []
    for name in ("thankful.service", "thankful-scan.service"):
        d = base / f"{name}.d"
        d.mkdir(exist_ok=True)
        text = dropin(writable_paths(cfg))
        if extra:
            verb = "run" if name == "thankful.service" else "scan --once"
            text += f"ExecStart=\nExecStart={exec_path} {verb} {' '.join(extra)}\n"
        (d / "paths.conf").write_text(text, encoding="utf-8")
        written.append(d / "paths.conf")
    return written


def _default_config() -> Path:
    from thankful.config import default_config_path

    return default_config_path()
