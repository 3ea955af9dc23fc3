"""One index build at a time per data dir: an exclusive `flock` on a file beside the manifests.

The lock belongs to an open file description, so it excludes other processes and other threads
alike, and the kernel releases it when its holder exits, even after kill -9: a stale lock file
never blocks the next build.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import IndexBusyError

LOCK_NAME = "build.lock"
log = logging.getLogger(__name__)


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it (best effort: it may be mid-write)."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", errors="replace").strip()
    except OSError:
        return ""
    return text


@contextmanager
def build_lock(
    index_dir: Path,
    *,
    timeout: float,
    on_wait: Callable[[str], None] = lambda message: None,
    poll: float = 0.1,
) -> Iterator[None]:
    """Hold the build lock of index_dir; wait up to timeout seconds for another holder, then refuse."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd) or "another process"
                if not waiting:
                    waiting = True
                    message = f"Another index build is running ({holder}); waiting up to {timeout:.0f} s."
                    log.warning(message)
                    on_wait(message)
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"Another index build ({holder}) still holds {path} after {timeout:.0f} s.",
                        hint="Let it finish, then run `metodguiden index` again "
                        "(or raise METODGUIDEN_INDEX_LOCK_TIMEOUT_S).",
                    ) from None
                time.sleep(poll)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {since}".encode(), 0)
        if waiting:
            log.warning("The other index build finished; this one starts now.")
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
