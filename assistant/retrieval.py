"""Dense, keyword and hybrid retrieval over an open index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from assistant.config import RetrievalMode
from assistant.embeddings import Embedder
from assistant.index import OpenIndex
from assistant.types import Filters, ScoredChunk

RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank), rank from 1; best first.

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


class Retriever(Protocol):
    """Finds the chunks most relevant to a query."""

    def retrieve(self, query: str, k: int, filters: Filters = Filters()) -> list[ScoredChunk]:
        """Best chunks first."""
        ...


class DenseRetriever:
    """Cosine similarity between the query vector and chunk vectors in Chroma."""

    name = "dense"

    def __init__(self, index: OpenIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def ranked_ids(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        """(chunk id, similarity) best first."""
        vector = self.embedder.embed([query], "query")[0]
        return [(i, s) for i, s in self.index.store.query(vector, k, filters) if i in self.index.chunks]

    def retrieve(self, query: str, k: int, filters: Filters = Filters()) -> list[ScoredChunk]:
        """Top-k chunks by cosine similarity."""
        return _scored(self.index, self.ranked_ids(query, k, filters), self.name)


class KeywordRetriever:
    """BM25 over Swedish-stemmed tokens; filters are applied to the ranked list."""

    name = "keyword"

    def __init__(self, index: OpenIndex) -> None:
        self.index = index

    def ranked_ids(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first."""
        out = []
        for cid, score in self.index.keyword.scores(query):
            chunk = self.index.chunks.get(cid)
            if chunk is not None and filters.matches(chunk):
                out.append((cid, score))
                if len(out) >= k:
                    break
        return out

    def retrieve(self, query: str, k: int, filters: Filters = Filters()) -> list[ScoredChunk]:
        """Top-k chunks by BM25."""
        return _scored(self.index, self.ranked_ids(query, k, filters), self.name)


class HybridRetriever:
    """Dense and keyword rankings fused by reciprocal rank."""

    name = "hybrid"

    def __init__(self, dense: DenseRetriever, keyword: KeywordRetriever, depth: int = 30) -> None:
        self.dense = dense
        self.keyword = keyword
        self.depth = depth

    def retrieve(self, query: str, k: int, filters: Filters = Filters()) -> list[ScoredChunk]:
        """Top-k chunks by fused rank; each list is cut at `depth` before fusing."""
        depth = max(self.depth, k)
        dense = [i for i, _ in self.dense.ranked_ids(query, depth, filters)]
        keyword = [i for i, _ in self.keyword.ranked_ids(query, depth, filters)]
        return _scored(self.dense.index, reciprocal_rank_fusion([dense, keyword])[:k], self.name)


def _scored(index: OpenIndex, ranked: Sequence[tuple[str, float]], name: str) -> list[ScoredChunk]:
    return [
        ScoredChunk(index.chunks[cid], score, rank, name)
        for rank, (cid, score) in enumerate(ranked, start=1)
        if cid in index.chunks
    ]


def make_retriever(mode: RetrievalMode, index: OpenIndex, embedder: Embedder) -> Retriever:
    """The retriever for a mode."""
    if mode == "dense":
        return DenseRetriever(index, embedder)
    if mode == "keyword":
        return KeywordRetriever(index)
    return HybridRetriever(DenseRetriever(index, embedder), KeywordRetriever(index))
