"""The vector store: the only module that imports chromadb."""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import BackendError
from assistant.types import Chunk, Filters

COLLECTION_PREFIX = "mg_"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
log = logging.getLogger(__name__)


def open_client(settings: Settings) -> Any:
    """An embedded PersistentClient in the data dir, or an HttpClient when a Chroma server is configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several transport types
            raise BackendError(
                f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} does not answer ({exc}).",
                hint="Start it with `chroma run --path DIR --host 127.0.0.1 --port PORT`, or unset chroma_host.",
            ) from None
        return client
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _where(filters: Filters) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = [
        {key: value}
        for key, value in (("kind", filters.kind), ("lang", filters.lang), ("doc_id", filters.doc_id))
        if value is not None
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChunkStore:
    """One Chroma collection of chunk vectors, in cosine space, with our own embeddings only."""

    def __init__(self, client: Any, name: str, *, create: bool = False) -> None:
        self.client = client
        self.name = name
        self._memory: tuple[list[str], np.ndarray, list[dict[str, Any]]] | None = None
        self._warned = False
        if create:
            self.collection = client.create_collection(
                name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
        else:
            try:
                self.collection = client.get_collection(name, embedding_function=None)
            except Exception as exc:
                raise BackendError(
                    f"The Chroma collection {name!r} is missing ({exc}).",
                    hint="Run `metodguiden index`: it rebuilds what is damaged.",
                ) from None

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray, batch: int = 512) -> None:
        """Store chunks with their precomputed vectors."""
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            self.collection.add(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + batch].tolist(),
                documents=[c.text for c in part],
                metadatas=[
                    {
                        "doc_id": c.doc_id,
                        "kind": c.kind,
                        "lang": c.lang,
                        "section": c.section,
                        "title": c.title,
                    }
                    for c in part
                ],
            )

    def vectors(self, ids: Sequence[str], batch: int = 512) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id, for reuse in the next generation."""
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), batch):
            got = self.collection.get(ids=list(ids[start : start + batch]), include=["embeddings"])
            for cid, vec in zip(got["ids"], got["embeddings"], strict=True):
                out[cid] = np.asarray(vec, dtype=np.float32)
        return out

    def count(self) -> int:
        """Number of stored chunks."""
        return int(self.collection.count())

    def keep_in_memory(self) -> None:
        """Copy every vector and its metadata into memory: queries fall back to it if the store breaks."""
        got = self.collection.get(include=["embeddings", "metadatas"])
        ids = list(got["ids"])
        if not ids:
            self._memory = ([], np.zeros((0, 1), dtype=np.float32), [])
            return
        raw = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(ids), -1)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        vectors = np.asarray(raw / np.where(norms == 0, 1.0, norms), dtype=np.float32)
        self._memory = (ids, vectors, [dict(m or {}) for m in got["metadatas"]])

    def query(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity (1 - distance), best first."""
        try:
            return self._query(vector, k, filters)
        except Exception as exc:  # chromadb raises many types; a broken store must not stop answers
            if self._memory is None:
                raise BackendError(
                    f"The vector store failed on a query ({exc}).",
                    hint="Run `metodguiden index` to repair the index.",
                ) from None
            if not self._warned:
                self._warned = True
                log.error(
                    "The vector store failed (%s); answering from the %d vectors loaded at start "
                    "until `metodguiden index` repairs it.",
                    exc,
                    len(self._memory[0]),
                )
            return self._memory_query(vector, k, filters)

    def _query(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        n = min(k, self.count())
        if n == 0:
            return []
        res = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=n, where=_where(filters), include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def _memory_query(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        assert self._memory is not None
        ids, vectors, metas = self._memory
        wanted = {
            k_: v for k_, v in (("kind", filters.kind), ("lang", filters.lang), ("doc_id", filters.doc_id))
        }
        rows = [i for i, m in enumerate(metas) if all(v is None or m.get(f) == v for f, v in wanted.items())]
        if not rows:
            return []
        norm = float(np.linalg.norm(vector)) or 1.0
        sims = vectors[rows] @ (np.asarray(vector, dtype=np.float32) / norm)
        order = np.argsort(-sims)[:k]
        return [(ids[rows[i]], float(sims[i])) for i in order]


def list_collections(client: Any) -> list[str]:
    """Names of our collections on the client."""
    return [c.name if hasattr(c, "name") else str(c) for c in client.list_collections()]


def delete_collection(client: Any, name: str) -> None:
    """Remove a collection; a missing one is fine."""
    with contextlib.suppress(Exception):  # already gone is the desired state
        client.delete_collection(name)


def reset_client_cache() -> None:
    """Forget chromadb's per-path embedded clients, so the next open reads the store on disk afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def open_client_for_build(settings: Settings) -> tuple[Any, str]:
    """A client whose store answers, and a note when an unreadable embedded store had to be started afresh.

    The vectors are derived data (the corpus is the source), so a damaged embedded store is replaced;
    a Chroma server is never touched: its failure is a BackendError.
    """
    try:
        client = open_client(settings)
        client.list_collections()
        return client, ""
    except BackendError:
        raise
    except Exception as exc:  # sqlite and chromadb raise many types for a damaged file
        if settings.chroma_host:
            raise BackendError(
                f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} failed ({exc}).",
                hint="Check the server's log; restart it with `chroma run`.",
            ) from None
        return reset_embedded_store(settings), f"The vector store could not be read ({exc}); it was rebuilt."


def reset_embedded_store(settings: Settings) -> Any:
    """Replace a damaged embedded store with an empty one (its vectors are rebuilt from the corpus)."""
    reset_client_cache()
    shutil.rmtree(settings.index_dir / "chroma", ignore_errors=True)
    return open_client(settings)


def prune_vector_folders(settings: Settings) -> int:
    """Remove the vector folders of deleted collections from an embedded store; how many went."""
    if settings.chroma_host:
        return 0
    path = settings.index_dir / "chroma"
    db = path / "chroma.sqlite3"
    if not db.is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            live = {str(row[0]) for row in con.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return 0  # an unreadable catalogue: removing folders blind could hit live ones
    removed = 0
    for folder in path.iterdir():
        if folder.is_dir() and _UUID.match(folder.name) and folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
