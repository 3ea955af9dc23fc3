"""Embeddings that travel with the corpus: sha256 of a chunk's text + the embedder's identity → a vector.

Beside every corpus folder lies `corpus-embeddings/<embedder key>/`: an `embedder.json` naming the
embedder's identity (model, weights hash, document prompt, length limit) and one `<doc id>.npy` per
document (float16 vectors with the sha256 of each chunk's text), so that editing one document changes
one file in git. A fresh clone's `index` takes every unchanged chunk's vector from there instead of
embedding it. A folder made by another identity is ignored, and replaced when the cache is refreshed:
vectors of different weights are never mixed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.embeddings import Embedder
from assistant.types import SourceDocument

CACHE_DIRNAME = "corpus-embeddings"
FORMAT = "metodguiden-embedding-cache/1"
log = logging.getLogger(__name__)
FetchVectors = Callable[[Sequence[str]], dict[str, np.ndarray]]  # chunk ids → stored vectors


class Embeddable(Protocol):
    """What the cache needs of a row: a chunk, or a card's fit statement (`assistant.needs`)."""

    @property
    def id(self) -> str: ...
    @property
    def doc_id(self) -> str: ...
    @property
    def embed_text(self) -> str: ...


def text_hash(text: str) -> bytes:
    """The content address of a chunk: sha256 of the exact text that is embedded."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def cache_folder(corpus_dir: Path, key: str) -> Path:
    """Where the vectors of one corpus folder live for one embedder."""
    return corpus_dir.parent / CACHE_DIRNAME / key


def embedder_identity(embedder: Embedder) -> str:
    """What makes two embedders' vectors interchangeable; empty for embedders that are not cached."""
    return str(getattr(embedder, "identity", "") or "")


def _row_dtype(dim: int) -> np.dtype[Any]:
    return np.dtype([("sha256", "S32"), ("vector", "<f2", (dim,))])


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = (vectors / norms).astype(np.float32)
    return out


def encode_rows(hashes: Sequence[bytes], vectors: np.ndarray) -> bytes:
    """One document's rows as .npy bytes; the same rows always give the same bytes."""
    import io

    rows = np.zeros(len(hashes), dtype=_row_dtype(vectors.shape[1]))
    rows["sha256"] = list(hashes)
    rows["vector"] = vectors.astype(np.float16)
    buf = io.BytesIO()
    np.save(buf, rows, allow_pickle=False)
    return buf.getvalue()


def _read_rows(path: Path, dim: int) -> list[tuple[bytes, np.ndarray]]:
    """A document file's (text hash, vector) rows; empty (and a log line) when it is damaged."""
    try:
        rows = np.load(path, allow_pickle=False)
        if rows.dtype != _row_dtype(dim) or rows.ndim != 1:
            raise ValueError(f"unexpected layout {rows.dtype}")
    except (OSError, ValueError, EOFError) as exc:
        log.warning("Ignoring the damaged embedding cache file %s (%s); it is rewritten.", path, exc)
        return []
    vectors = _normalise(rows["vector"].astype(np.float32))
    return list(zip(stored_hashes(rows), vectors, strict=True))


def stored_hashes(rows: np.ndarray) -> list[bytes]:
    """The rows' text hashes, all 32 bytes: numpy's bytes_ would drop a hash's trailing zero bytes, and that
    chunk (one in 256) would never be found and be embedded again on every fresh clone."""
    raw = np.ascontiguousarray(rows["sha256"]).view(np.uint8).reshape(len(rows), 32)
    return [r.tobytes() for r in raw]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class EmbeddingCache:
    """The corpus's embedding caches for one embedder: lookups by chunk text, refreshed after a build."""

    def __init__(
        self,
        embedder: Embedder,
        home: dict[str, Path],
        writable: bool = True,
        roots: dict[Path, list[Path]] | None = None,
    ) -> None:
        self.embedder = embedder
        self.identity = embedder_identity(embedder)
        self.home = home  # doc id → its cache folder
        self.roots = roots or {}  # cache folder → the corpus folders it serves
        self.writable = writable
        self._vectors: dict[bytes, np.ndarray] = {}  # every vector known, by text hash
        self._file_hashes: dict[Path, list[bytes]] = {}  # what each document file read holds, in order
        self.hits = 0
        if self.identity:
            for folder in sorted(set(home.values())):
                self._load(folder)

    @property
    def enabled(self) -> bool:
        """False for embedders without an identity (the fakes of the unit tests)."""
        return bool(self.identity)

    def _stamp(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "key": self.embedder.key,
            "identity": self.identity,
            "dim": self.embedder.dim,
        }

    def _matches(self, folder: Path) -> bool:
        try:
            stamp = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(stamp, dict) and stamp == self._stamp()

    def _load(self, folder: Path) -> None:
        if not folder.is_dir():
            return
        if not self._matches(folder):
            log.warning("%s was made by another embedder (or is damaged): not used.", folder)
            return
        for path in sorted(folder.glob("*.npy")):
            rows = _read_rows(path, self.embedder.dim)
            self._vectors.update(rows)
            self._file_hashes[path] = [h for h, _ in rows]

    def vectors_for(self, chunks: Iterable[Embeddable]) -> dict[str, np.ndarray]:
        """The cached vector of every chunk the cache holds, by chunk id; the others must be embedded."""
        if not self.enabled:
            return {}
        out = {}
        for chunk in chunks:
            vector = self._vectors.get(text_hash(chunk.embed_text))
            if vector is not None:
                out[chunk.id] = vector
        self.hits += len(out)
        return out

    def refresh(self, chunks: Iterable[Embeddable], fetch: FetchVectors) -> int:
        """Rewrite the files of documents whose chunks changed; returns how many files changed.

        Vectors the cache does not hold (chunks embedded or reused by this build) come from `fetch`.
        """
        if not (self.enabled and self.writable):
            return 0
        by_doc: dict[str, list[Embeddable]] = {doc_id: [] for doc_id in self.home}
        for chunk in chunks:
            if chunk.doc_id in by_doc:
                by_doc[chunk.doc_id].append(chunk)
        unknown = {
            c.id: c for cs in by_doc.values() for c in cs if text_hash(c.embed_text) not in self._vectors
        }
        if unknown:
            for cid, vector in fetch(list(unknown)).items():
                self._vectors[text_hash(unknown[cid].embed_text)] = np.asarray(vector, dtype=np.float32)
        changed = 0
        try:
            for folder in sorted(set(self.home.values())):
                docs = {d: cs for d, cs in by_doc.items() if self.home[d] == folder}
                changed += self._refresh_folder(folder, docs)
        except OSError as exc:  # a read-only checkout still indexes; it just cannot share its vectors
            log.warning("Could not write the embedding cache: %s", exc)
        return changed

    def _refresh_folder(self, folder: Path, docs: dict[str, list[Embeddable]]) -> int:
        if folder.is_dir() and not self._matches(folder):
            for stale in folder.glob("*.npy"):  # another embedder's vectors: never mixed with ours
                stale.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = json.dumps(self._stamp(), indent=1, ensure_ascii=False) + "\n"
        if not self._matches(folder):
            _write_atomic(folder / "embedder.json", stamp.encode())
        changed = 0
        for doc_id, doc_chunks in sorted(docs.items()):
            hashes = [text_hash(c.embed_text) for c in doc_chunks]
            path = folder / f"{doc_id}.npy"
            hashes = [h for h in hashes if h in self._vectors]  # all of them unless a vector went missing
            # Content-addressed: a file whose hashes are unchanged stays byte for byte as it is.
            if not hashes or self._file_hashes.get(path) == hashes:
                continue
            _write_atomic(path, encode_rows(hashes, np.stack([self._vectors[h] for h in hashes])))
            self._file_hashes[path] = hashes
            changed += 1
        roots = self.roots.get(folder, [])
        for path in folder.glob("*.npy"):  # documents that left the corpus (a document's id is its file name)
            if path.stem not in docs and not any(any(r.rglob(f"{path.stem}.*")) for r in roots):
                path.unlink()
                self._file_hashes.pop(path, None)
                changed += 1
        return changed


def _home_folders(
    corpus_dirs: Sequence[Path], key: str, documents: Sequence[SourceDocument]
) -> tuple[dict[str, Path], dict[Path, list[Path]]]:
    """Each document's cache folder (the one beside the corpus folder it was loaded from), and its inverse."""
    pairs = [(d.resolve(), cache_folder(d.resolve(), key)) for d in corpus_dirs]
    home: dict[str, Path] = {}
    for doc in documents:
        path = Path(doc.path).resolve()
        for root, folder in pairs:
            if path.is_relative_to(root):
                home[doc.id] = folder
                break
    roots: dict[Path, list[Path]] = {}
    for root, folder in pairs:
        roots.setdefault(folder, []).append(root)
    return home, roots


def open_cache(
    corpus_dirs: Sequence[Path], embedder: Embedder, documents: Sequence[SourceDocument], mode: str = "write"
) -> EmbeddingCache:
    """The cache for these documents; mode 'write' (refresh after builds), 'read' or 'off'."""
    if mode == "off" or not embedder_identity(embedder):
        return EmbeddingCache(embedder, {}, writable=False)
    home, roots = _home_folders(corpus_dirs, embedder.key, documents)
    return EmbeddingCache(embedder, home, mode == "write", roots)
