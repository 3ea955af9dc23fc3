"""A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb on a temp dir, a free port, stop at the end."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run the command as the package's `postgres` user."""
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@contextmanager
def throwaway_cluster(base: Path) -> Iterator[str]:
    """Start a cluster under base (trust auth, loopback only); yields its postgresql:// URL."""
    bindir = postgres_bin()
    if bindir is None:
        raise FileNotFoundError("initdb")
    owner = "postgres" if os.geteuid() == 0 else None
    data, sock = base / "pgdata", base / "pgsock"
    sock.mkdir(parents=True, exist_ok=True)
    if owner:
        shutil.chown(base, owner)
        shutil.chown(sock, owner)
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(
        _as_owner(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"], owner
        ),
        **run,  # type: ignore[call-overload]
    )
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(base / "pg.log"),
        "-w",
        "start",
    ]
    subprocess.run(_as_owner(start, owner), **run)  # type: ignore[call-overload]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # pg_ctl -w waits, but keep a bound of our own
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_owner(stop, owner), check=False, capture_output=True, timeout=60)
