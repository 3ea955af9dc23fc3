"""The files of one index generation: the chunk table (chunks.jsonl), document metadata (documents.json),
and atomic JSON writes."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.types import Chunk, SourceDocument


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file, fsync it and rename it into place: readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def chunk_to_row(chunk: Chunk) -> dict[str, Any]:
    """One line of chunks.jsonl."""
    row = asdict(chunk)
    row["urls"] = list(chunk.urls)
    return row


def row_to_chunk(row: dict[str, Any]) -> Chunk:
    """A chunk back from one line of chunks.jsonl."""
    return Chunk(**{**row, "urls": tuple(row.get("urls", ()))})


def doc_to_row(doc: SourceDocument) -> dict[str, Any]:
    """Document metadata without the body: what the advisor and the UI need at answer time."""
    return {
        "id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "lang": doc.lang,
        "summary": doc.summary,
        "aliases": list(doc.aliases),
        "licence": doc.licence,
        "origin": doc.origin,
        "path": doc.path,
        "sources": [{"title": s.title, "url": s.url, "publisher": s.publisher} for s in doc.sources],
        "attributes": doc.attributes,
    }


def load_documents(folder: Path) -> list[dict[str, Any]]:
    """Document metadata of one generation (empty for generations built before it was stored)."""
    path = folder / "documents.json"
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return rows


def load_chunks(folder: Path) -> dict[str, Chunk]:
    """The chunk table of one generation, by id."""
    out: dict[str, Chunk] = {}
    with (folder / "chunks.jsonl").open(encoding="utf-8") as f:
        for line in f:
            chunk = row_to_chunk(json.loads(line))
            out[chunk.id] = chunk
    return out
