"""Keyword retrieval: BM25 over Swedish-stemmed tokens (bm25s + PyStemmer), persisted beside Chroma."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("swedish")


@lru_cache(maxsize=1)
def _stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

    # English questions meet English aliases in the corpus; their function words must not match.
    return sorted(set(STOPWORDS_SWEDISH) | set(STOPWORDS_EN))


def _tokenize(texts: Sequence[str]) -> Any:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords=_stopwords(), stemmer=_stemmer(), show_progress=False)


class KeywordIndex:
    """BM25 over chunk texts, keyed by chunk id."""

    def __init__(self, ids: list[str], model: Any) -> None:
        self.ids = ids
        self.model = model

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> KeywordIndex:
        """Index texts (title and section included by the caller)."""
        import bm25s

        model = bm25s.BM25()
        if texts:
            model.index(_tokenize(texts), show_progress=False)
        return cls(list(ids), model)

    def save(self, folder: Path) -> None:
        """Write the index and its id list into folder."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self.model.save(str(folder / "bm25"))
        (folder / "bm25_ids.json").write_text(json.dumps(self.ids), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Read an index written by save()."""
        import bm25s

        ids = json.loads((folder / "bm25_ids.json").read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(folder / "bm25")) if ids else bm25s.BM25()
        return cls(ids, model)

    def scores(self, query: str) -> list[tuple[str, float]]:
        """Every chunk with a positive BM25 score, best first."""
        if not self.ids:
            return []
        tokens = _tokenize([query])
        vocab = tokens.vocab
        if not vocab:
            return []
        id_to_word = {v: k for k, v in vocab.items()}
        words = [id_to_word[t] for t in tokens.ids[0] if t in id_to_word]
        known = [w for w in words if w in self.model.vocab_dict]
        if not known:
            return []
        raw = np.asarray(self.model.get_scores(known))
        order = np.argsort(-raw)
        return [(self.ids[i], float(raw[i])) for i in order if raw[i] > 0]
