"""Gradio's upload folder: a size limit for its upload route, a folder of our own, and cleaning it.

Gradio's `/gradio_api/upload` route takes files from any client before any handler runs, so the
limit (`max_file_size`) and the cleaning happen here; that only trainers may upload at all has to
be enforced by the reverse proxy (ui/TRAINER.md), since Gradio has no per-route login.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable, MutableMapping
from pathlib import Path

from assistant.config import Settings

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the largest document a trainer adds (a long PDF) is a few MB
STALE_AFTER_S = 3600  # an upload nobody reviewed within an hour is gone
CACHE_CLEANING = (600, STALE_AFTER_S)  # gr.Blocks(delete_cache=…): every 10 min, files older than 1 h


def upload_dir(settings: Settings) -> Path:
    """The folder Gradio writes uploads to: inside the data dir, not a /tmp folder shared with others."""
    return (settings.data_dir / "upload-tmp").resolve()


def use_upload_dir(settings: Settings, environ: MutableMapping[str, str]) -> Path:
    """Point Gradio at upload_dir (read when the app is built) and remove what a previous run left behind."""
    folder = upload_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    environ["GRADIO_TEMP_DIR"] = str(folder)
    removed = prune(folder, STALE_AFTER_S)
    if removed:
        log.info("removed %d stale upload(s) from %s", removed, folder)
    return folder


def prune(folder: Path, max_age_s: float, now: float | None = None) -> int:
    """Delete entries of folder older than max_age_s (a second instance's fresh uploads stay); returns how many."""
    now = time.time() if now is None else now
    removed = 0
    for entry in folder.iterdir() if folder.is_dir() else []:
        try:
            if now - entry.lstat().st_mtime <= max_age_s:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError as exc:  # another instance removed it first, or it is in use
            log.debug("could not remove %s: %s", entry, exc)
    return removed


def discard(paths: Iterable[Path], folder: Path) -> int:
    """Delete reviewed uploads, but only files inside Gradio's upload folder; returns how many."""
    root = folder.resolve()
    removed = 0
    for path in paths:
        real = path.resolve()
        if real.is_relative_to(root) and real.is_file():
            real.unlink(missing_ok=True)
            parent = real.parent
            if parent != root and parent.is_relative_to(root) and not any(parent.iterdir()):
                parent.rmdir()  # Gradio keeps each upload in a folder named after its hash
            removed += 1
    return removed


def gradio_upload_folder() -> Path:
    """Where Gradio puts uploads now (GRADIO_TEMP_DIR, or its /tmp default)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())
