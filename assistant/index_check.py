"""Checksums of an index generation's files, and the checks that tell a whole index from a damaged one."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from assistant.errors import IndexError_


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by its path relative to folder."""
    return {
        p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def damaged_files(folder: Path, expected: dict[str, str]) -> list[str]:
    """Files of a generation that are missing or differ from the checksum its manifest recorded."""
    bad: list[str] = []
    for name, digest in sorted(expected.items()):
        path = folder / name
        try:
            if sha256_file(path) != digest:
                bad.append(name)
        except OSError:
            bad.append(name)
    return bad


def check_manifest(data: Any, path: Path) -> dict[str, Any]:
    """The manifest when it has the fields a generation needs; IndexError_ naming the file otherwise."""
    whole = (
        isinstance(data, dict)
        and all(isinstance(data.get(k), str) and data[k] for k in ("generation", "collection"))
        and isinstance(data.get("chunk_ids"), list)
    )
    if not whole:
        raise IndexError_(
            f"{path} is damaged (fields missing or of the wrong type).",
            hint="Run `metodguiden index`: it rebuilds what is damaged.",
        )
    assert isinstance(data, dict)
    return data
