"""The vector store: the only module that imports chromadb."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import BackendError
from assistant.types import Chunk, Filters

COLLECTION_PREFIX = "mg_"


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
                    hint="Rebuild the index with `metodguiden index --full`.",
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

    def query(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity (1 - distance), best first."""
        n = min(k, self.count())
        if n == 0:
            return []
        res = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=n, where=_where(filters), include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]


def list_collections(client: Any) -> list[str]:
    """Names of our collections on the client."""
    return [c.name if hasattr(c, "name") else str(c) for c in client.list_collections()]


def delete_collection(client: Any, name: str) -> None:
    """Remove a collection; a missing one is fine."""
    with contextlib.suppress(Exception):  # already gone is the desired state
        client.delete_collection(name)
