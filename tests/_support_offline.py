"""Run Python code in a child process that records every network event through `sys.addaudithook`."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# Prepended to the child's code: every socket event is written, as one JSON line, to $MG_AUDIT_LOG.
AUDIT_PRELUDE = """\
import json as _json, os as _os, sys as _sys
_fd = _os.open(_os.environ["MG_AUDIT_LOG"], _os.O_WRONLY | _os.O_CREAT | _os.O_APPEND, 0o600)
_WATCHED = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
            "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg"}
def _hook(event, args):
    if event not in _WATCHED:
        return
    if event == "socket.connect":
        sock, address = args
        row = {"event": event, "family": int(sock.family), "address": repr(address),
               "host": address[0] if isinstance(address, tuple) else None}
    elif event == "socket.getaddrinfo":
        row = {"event": event, "host": args[0] if isinstance(args[0], str) or args[0] is None
               else args[0].decode("ascii", "replace"), "port": repr(args[1])}
    elif event in ("socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1]
        row = {"event": event, "family": int(sock.family), "address": repr(address),
               "host": address[0] if isinstance(address, tuple) else None}
    else:
        row = {"event": event, "host": str(args[0])}
    _os.write(_fd, (_json.dumps(row) + "\\n").encode())
_sys.addaudithook(_hook)
"""


def is_local_host(host: object) -> bool:
    """Loopback addresses, 'localhost', and no host at all (AF_UNIX, getaddrinfo(None, ...))."""
    if host is None or host == "localhost" or host == "":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def outside_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events that reached for a non-loopback, non-unix address or name."""
    import socket

    out = []
    for e in events:
        if e.get("family") == int(socket.AF_UNIX):
            continue
        if not is_local_host(e.get("host")):
            out.append(e)
    return out


def run_audited(
    code: str, log: Path, *, env: dict[str, str], cwd: Path, timeout: float = 240
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run code after the audit prelude; return the finished process and the recorded events."""
    child_env = {**env, "MG_AUDIT_LOG": str(log)}
    done = subprocess.run(
        [sys.executable, "-c", AUDIT_PRELUDE + code],
        capture_output=True,
        text=True,
        env=child_env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    events = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, events
