"""Build and open the index: Chroma vectors + BM25 + chunk table, swapped in atomically.

Each build writes a new generation (a new Chroma collection and a new folder) and only then
points the manifest at it with an atomic rename, so a failed or killed build leaves the
previous generation serving. Chunks whose content hash is unchanged reuse their stored vectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.chunking import chunk_with
from assistant.config import Settings
from assistant.corpus import Problem
from assistant.embedding_cache import open_cache
from assistant.embeddings import Embedder
from assistant.errors import AssistantError, IndexError_, IndexNotBuiltError
from assistant.index_check import check_manifest, damaged_files, file_checksums
from assistant.index_files import (
    chunk_to_row,
    doc_to_row,
    load_chunks,
    load_documents,
    write_json_atomic,
)
from assistant.index_lock import build_lock
from assistant.keyword import KeywordIndex
from assistant.needs import NeedIndex, embed_needs, need_statements, with_needs
from assistant.store import (
    COLLECTION_PREFIX,
    ChunkStore,
    delete_collection,
    list_collections,
    open_client,
    open_client_for_build,
    prune_vector_folders,
    reset_client_cache,
    reset_embedded_store,
)
from assistant.types import Chunk, SourceDocument

MANIFEST_VERSION = 1
REPAIR_HINT = "Run `metodguiden index`: it rebuilds what is damaged."
log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    generation: str
    documents: int
    chunks: int
    embedded: int
    reused: int
    removed: int
    unchanged: bool
    seconds: float
    problems: tuple[Problem, ...] = ()
    repaired: tuple[str, ...] = ()  # damage found in the previous index, which this build replaced


def _manifest_path(settings: Settings, key: str) -> Path:
    return settings.index_dir / f"manifest-{key}.json"


def read_manifest(settings: Settings, key: str) -> dict[str, Any] | None:
    """The active generation's manifest, or None when nothing is built."""
    path = _manifest_path(settings, key)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:  # truncated JSON, garbage bytes (UnicodeDecodeError), unreadable
        raise IndexError_(f"{path} is damaged ({exc}).", hint=REPAIR_HINT) from None
    return check_manifest(data, path)


def _generation_dir(settings: Settings, key: str, generation: str) -> Path:
    return settings.index_dir / key / generation


def _reusable(
    settings: Settings, key: str, manifest: dict[str, Any] | None, chunks: Sequence[Chunk]
) -> list[str]:
    """Ids whose stored vector still fits: same id and the same embedded text (a new title changes it)."""
    if manifest is None:
        return []
    try:
        old = load_chunks(_generation_dir(settings, key, manifest["generation"]))
    except (OSError, ValueError, TypeError):
        return []
    return [c.id for c in chunks if c.id in old and old[c.id].embed_text == c.embed_text]


def _cleanup_orphans(settings: Settings, client: Any, key: str, keep: str | None) -> None:
    """Remove generations left behind by interrupted builds."""
    prefix = f"{COLLECTION_PREFIX}{key}_"
    for name in list_collections(client):
        if name.startswith(prefix) and name != (f"{prefix}{keep}" if keep else None):
            delete_collection(client, name)
    root = settings.index_dir / key
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name != keep:
                shutil.rmtree(folder, ignore_errors=True)
    # Chroma leaves a deleted collection's vector folder on disk (~330 KB a build otherwise).
    prune_vector_folders(settings)


def build_index(
    settings: Settings,
    embedder: Embedder,
    documents: Sequence[SourceDocument],
    *,
    problems: Sequence[Problem] = (),
    full: bool = False,
    progress: Progress = _no_progress,
) -> BuildResult:
    """Build a new generation from documents and swap it in; reuse vectors of unchanged chunks.

    One build runs at a time per data dir (others wait up to `index_lock_timeout_s`, then refuse),
    and damage to the previous index (manifest, files, vector store) is found and rebuilt.
    """
    with build_lock(
        settings.index_dir,
        timeout=settings.index_lock_timeout_s,
        on_wait=lambda message: progress("Väntar på ett annat indexbygge", 0, 0),
    ):
        return _build_locked(settings, embedder, documents, problems=problems, full=full, progress=progress)


def _damage(settings: Settings, key: str, manifest: dict[str, Any], client: Any) -> tuple[list[str], bool]:
    """What is wrong with the active generation, and whether its vectors can still be reused.

    Raises _StoreBroken when the collection is listed but cannot be read.
    """
    folder = _generation_dir(settings, key, manifest["generation"])
    files = manifest.get("files")
    if not isinstance(files, dict):
        found = [f"{_manifest_path(settings, key).name} has no checksums (built by an older version)"]
        bad: list[str] = [] if (folder / "chunks.jsonl").is_file() else ["chunks.jsonl"]
    else:
        bad = damaged_files(folder, files)
        found = [f"{folder / name} is missing or damaged (checksum)" for name in bad]
    if manifest["collection"] not in list_collections(client):
        return [*found, f"the collection {manifest['collection']!r} is missing"], False
    try:
        count = ChunkStore(client, manifest["collection"]).count()
    except Exception as exc:  # chromadb raises many types for a damaged store
        raise _StoreBroken(f"the collection {manifest['collection']!r} cannot be read ({exc})") from None
    if count != len(manifest["chunk_ids"]):
        found.append(
            f"the collection {manifest['collection']!r} holds {count} of {len(manifest['chunk_ids'])}"
        )
        return found, False
    return found, "chunks.jsonl" not in bad


class _StoreBroken(Exception):
    """The vector store lists a collection it cannot read."""


def _build_locked(
    settings: Settings,
    embedder: Embedder,
    documents: Sequence[SourceDocument],
    *,
    problems: Sequence[Problem],
    full: bool,
    progress: Progress,
) -> BuildResult:
    started = time.perf_counter()
    key = embedder.key
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    chunks = chunk_with(settings, documents)
    needs = need_statements(documents)
    cache = open_cache(settings.corpus_dirs, embedder, documents, settings.embedding_cache)
    new_ids = [c.id for c in chunks]
    if len(set(new_ids)) != len(new_ids):
        raise IndexError_("Two chunks got the same id; the corpus has duplicate documents.")
    docs_hash = hashlib.sha256(
        json.dumps([doc_to_row(d) for d in documents], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    client, store_note = open_client_for_build(settings)
    repaired = [store_note] if store_note else []
    try:
        manifest = read_manifest(settings, key)
    except IndexError_ as exc:  # a damaged manifest is rebuilt from scratch
        repaired.append(exc.message)
        manifest = None
    old_store: ChunkStore | None = None
    old_ids: set[str] = set()
    reusable = False
    if manifest is not None:
        try:
            found, reusable = _damage(settings, key, manifest, client)
        except _StoreBroken as exc:
            # A Chroma server is never wiped: its broken collection is dropped and rebuilt.
            client = client if settings.chroma_host else reset_embedded_store(settings)
            found, reusable = [f"{exc}; rebuilding its vectors"], False
        repaired += found
        old_ids = set(manifest.get("chunk_ids", []))
        if (
            not full
            and not repaired
            and old_ids == set(new_ids)
            and manifest.get("chunk_order") == new_ids
            and manifest.get("documents_hash") == docs_hash
            and manifest.get("need_statements") == len(needs)
        ):
            # Leftovers of a killed build go even when nothing changed.
            _cleanup_orphans(settings, client, key, keep=manifest["generation"])
            old_needs = NeedIndex.load(_generation_dir(settings, key, manifest["generation"]))
            cache.refresh(
                [*chunks, *needs], with_needs(ChunkStore(client, manifest["collection"]).vectors, old_needs)
            )
            write_json_atomic(
                _manifest_path(settings, key), {**manifest, "problems": [str(p) for p in problems]}
            )
            return BuildResult(
                manifest["generation"],
                len(documents),
                len(chunks),
                0,
                len(chunks),
                0,
                True,
                time.perf_counter() - started,
                tuple(problems),
            )
        if reusable:
            old_store = ChunkStore(client, manifest["collection"])
    for line in repaired:
        log.warning("Repairing the index: %s", line)
    keep = manifest["generation"] if manifest is not None and old_store is not None else None
    _cleanup_orphans(settings, client, key, keep=keep)

    generation = datetime.now(UTC).strftime("g%Y%m%d%H%M%S%f")
    collection = f"{COLLECTION_PREFIX}{key}_{generation}"
    reuse_ids = [] if full or old_store is None else _reusable(settings, key, manifest, chunks)
    reused = old_store.vectors(reuse_ids) if old_store is not None and reuse_ids else {}
    need_vectors: dict[str, np.ndarray] = {}
    if not full:  # the corpus's own embedding cache: a fresh clone embeds only chunks that changed
        reused = {**cache.vectors_for(c for c in chunks if c.id not in reused), **reused}
        if manifest is not None and old_store is not None:
            old = NeedIndex.load(_generation_dir(settings, key, manifest["generation"]))
            need_vectors = {s.id: v for s, v in zip(old.statements, old.vectors, strict=True)}
        need_vectors = {**cache.vectors_for(n for n in needs if n.id not in need_vectors), **need_vectors}
    # Sorted by length so each batch pads little: on CPU this is most of the embedding time.
    to_embed = sorted((c for c in chunks if c.id not in reused), key=lambda c: len(c.embed_text))
    store = ChunkStore(client, collection, create=True)
    folder = _generation_dir(settings, key, generation)
    try:
        folder.mkdir(parents=True)
        if reused:
            keep = [c for c in chunks if c.id in reused]
            store.add(keep, np.stack([reused[c.id] for c in keep]))
        batch = max(1, settings.embed_batch_size)
        total = len(to_embed)
        progress("Bäddar in avsnitt", 0, total)
        for start in range(0, total, batch):
            part = to_embed[start : start + batch]
            store.add(part, embedder.embed([c.embed_text for c in part], "document"))
            progress("Bäddar in avsnitt", min(start + batch, total), total)
        need_index = embed_needs(embedder, needs, need_vectors, batch, progress)
        need_index.save(folder)
        with (folder / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for chunk in chunks:
                f.write(json.dumps(chunk_to_row(chunk), ensure_ascii=False) + "\n")
        KeywordIndex.build(new_ids, [c.embed_text for c in chunks]).save(folder)
        write_json_atomic(folder / "documents.json", [doc_to_row(d) for d in documents])
        if store.count() != len(chunks):
            raise IndexError_(f"The new collection holds {store.count()} chunks, expected {len(chunks)}.")
        checksums = file_checksums(folder)
    except BaseException:
        delete_collection(client, collection)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    write_json_atomic(
        _manifest_path(settings, key),
        {
            "version": MANIFEST_VERSION,
            "embedder": key,
            "dim": embedder.dim,
            "identity": cache.identity or key,
            "generation": generation,
            "collection": collection,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "documents": len(documents),
            "chunk_ids": sorted(new_ids),
            "chunk_order": new_ids,
            "documents_hash": docs_hash,
            "need_statements": len(needs),
            "problems": [str(p) for p in problems],
            "files": checksums,
        },
    )
    cache.refresh([*chunks, *needs], with_needs(store.vectors, need_index))
    # The previous generation stays on disk until the next build, so a server that opened it
    # keeps answering until it notices the new manifest and reopens.
    return BuildResult(
        generation,
        len(documents),
        len(chunks),
        len(to_embed),
        len(reused),
        len(old_ids - set(new_ids)),
        False,
        time.perf_counter() - started,
        tuple(problems),
        tuple(repaired),
    )


@dataclass
class OpenIndex:
    """A loaded generation: the vector store, the keyword index and the chunk table."""

    manifest: dict[str, Any]
    store: ChunkStore
    keyword: KeywordIndex
    chunks: dict[str, Chunk]
    documents: list[dict[str, Any]]
    needs: NeedIndex = field(default_factory=lambda: NeedIndex((), np.zeros((0, 0), dtype=np.float32)))


def open_index(settings: Settings, key: str) -> OpenIndex:
    """Open the active generation for an embedder, checking every file against its checksum.

    IndexNotBuiltError when there is none; IndexError_ (with a repair hint) when anything is damaged.
    """
    manifest = read_manifest(settings, key)
    if manifest is None:
        raise IndexNotBuiltError(
            f"No index for the embedder {key!r} in {settings.index_dir}.", hint="Run `metodguiden index`."
        )
    folder = _generation_dir(settings, key, manifest["generation"])
    if not (folder / "chunks.jsonl").exists():
        raise IndexError_(f"The index folder {folder} is incomplete.", hint=REPAIR_HINT)
    files = manifest.get("files")
    bad = damaged_files(folder, files) if isinstance(files, dict) else []
    if bad:
        raise IndexError_(
            f"The index files {', '.join(bad)} in {folder} are damaged (their checksums do not match).",
            hint=REPAIR_HINT,
        )
    try:
        keyword, chunks, documents = KeywordIndex.load(folder), load_chunks(folder), load_documents(folder)
        needs = NeedIndex.load(folder)
    except (ValueError, OSError, KeyError, TypeError, EOFError) as exc:  # damaged before checksums existed
        raise IndexError_(f"The index in {folder} cannot be read ({exc}).", hint=REPAIR_HINT) from None
    store = _open_store(settings, manifest, len(chunks))
    return OpenIndex(manifest, store, keyword, chunks, documents, needs)


def _open_store(settings: Settings, manifest: dict[str, Any], expected: int) -> ChunkStore:
    """The generation's collection, whole, with its vectors also in memory (the fallback if it breaks)."""
    problem: Exception | None = None
    for attempt in range(2):
        try:
            store = ChunkStore(open_client(settings), manifest["collection"])
            count = store.count()
            if count != expected:
                raise IndexError_(
                    f"The collection {manifest['collection']!r} holds {count} vectors, expected {expected}.",
                    hint=REPAIR_HINT,
                )
            store.keep_in_memory()
            return store
        except Exception as exc:  # chromadb raises many types for a damaged store
            problem = exc
            if attempt == 0 and not settings.chroma_host:
                # This process may hold a client on a store that a repair has since replaced on disk.
                reset_client_cache()
    if isinstance(problem, AssistantError):
        raise problem
    raise IndexError_(f"The vector store cannot be read ({problem}).", hint=REPAIR_HINT) from None
