"""Links in the corpus folders: a file may link only within the corpus roots, and folder links are not followed.

A link could otherwise pull any file the server can read (a key, another customer's data) into the
index and serve it as a cited source.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def link_problem(path: Path, roots: Iterable[Path]) -> str | None:
    """Why a corpus file must not be read (a link resolving outside every root, a broken link), or None."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a dangling link or a link loop
        return f"cannot follow the link: {exc}"
    if any(real.is_relative_to(root.resolve()) for root in roots):
        return None
    return f"links to {real}, outside every corpus folder; refused (copy the file into the corpus instead)"


def folder_links(dirs: Iterable[Path]) -> list[tuple[Path, str]]:
    """Linked folders inside the corpus, each with the message that it is not followed."""
    return [
        (p, f"is a link to the folder {p.resolve()}; folder links are not followed")
        for d in dirs
        if d.is_dir()
        for p in sorted(d.rglob("*"))
        if p.is_symlink() and p.is_dir()
    ]
