"""The ONNX export of EmbeddingGemma: a real export, run by ONNX Runtime, against the real PyTorch model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant import models
from assistant.config import Settings
from assistant.embeddings import FakeEmbedder
from assistant.errors import ModelInstallError
from assistant.onnx_export import MIN_COSINE, adopt, lowest_cosine

QUESTIONS = [
    "Hur rekryterar man deltagare till ett medborgarråd?",
    "Vad kostar en medborgarbudget?",
    "Hur gör man en trygghetsvandring?",
    "How many people take part in a focus group?",
    "What should a process plan for citizen dialogue contain?",
    "Hur återkopplar vi till deltagarna efter en dialog?",
]


class Skewed:
    """The fake embedder with every vector turned a little: another function than the reference."""

    key, dim = "fake16", 16

    def embed(self, texts: Any, role: Any) -> np.ndarray:
        vectors = FakeEmbedder(16).embed(texts, role)
        vectors[:, 0] += 0.5
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# ---------------------------------------------------------------- adopting an export (no model)


def test_an_export_that_matches_is_moved_into_place_with_its_marker(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "model.onnx").write_bytes(b"graph")
    target = tmp_path / "models" / "export"
    target.mkdir(parents=True)
    (target / "old.onnx").write_bytes(b"an older export")
    assert adopt(fresh, target, FakeEmbedder(16), FakeEmbedder(16)) == pytest.approx(1.0)
    assert not fresh.exists() and sorted(p.name for p in target.iterdir()) == [".verified", "model.onnx"]
    assert models.onnx_export_problem(target) == ""


def test_an_export_that_differs_is_deleted_and_refused_with_its_cosine(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "model.onnx").write_bytes(b"graph")
    target = tmp_path / "export"
    with pytest.raises(ModelInstallError) as info:
        adopt(fresh, target, FakeEmbedder(16), Skewed())
    assert "refused and deleted" in info.value.message and str(MIN_COSINE) in info.value.message
    assert "METODGUIDEN_GEMMA_BACKEND=torch" in info.value.hint
    assert not fresh.exists() and not target.exists()


def test_lowest_cosine_is_one_for_the_same_embedder_and_lower_for_another() -> None:
    texts = ["Hur går ett medborgarråd till?", "En fokusgrupp samtalar med en moderator."]
    assert lowest_cosine(FakeEmbedder(16), FakeEmbedder(16), texts) == pytest.approx(1.0)
    assert lowest_cosine(FakeEmbedder(16), Skewed(), texts) < 0.99


# ---------------------------------------------------------------- the real export


@pytest.fixture(scope="session")
def exported(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[str]]:
    """A fresh export of the installed EmbeddingGemma (about a minute and a half), made once per session."""
    settings = Settings(models_dir=tmp_path_factory.mktemp("onnx") / "models")
    settings.model_dir.mkdir()
    models.gemma_path(settings).symlink_to(models.gemma_path(Settings(models_dir=models_dir)))
    steps: list[str] = []
    assert models.install_gemma_onnx(settings, lambda step, done, total: steps.append(step)) is True
    return settings, steps


@pytest.mark.integration
@pytest.mark.slow
def test_install_exports_a_verified_graph_once(exported: tuple[Settings, list[str]]) -> None:
    settings, steps = exported
    folder = models.gemma_onnx_path(settings)
    assert models.onnx_export_problem(folder) == ""
    assert (folder / "model.onnx.data").stat().st_size > 1_000_000_000  # fp32 weights, mapped at load
    assert (folder / "model.onnx").stat().st_size < 50_000_000  # the graph alone
    assert set(json.loads((folder / ".verified").read_text())["files"]) == {"model.onnx", "model.onnx.data"}
    assert steps[0] == "EmbeddingGemma ONNX: exporterar" and steps[-1] == "EmbeddingGemma ONNX: klar"
    assert models.install_gemma_onnx(settings) is False  # a verified export is kept
    assert not [p for p in settings.model_dir.iterdir() if p.name.startswith(".gemma-onnx-")]


@pytest.mark.integration
@pytest.mark.slow
def test_the_export_gives_pytorchs_vectors_and_rankings_on_real_passages(
    exported: tuple[Settings, list[str]], gemma_torch: Any, small_corpus: Path
) -> None:
    from assistant.chunking import chunk_with
    from assistant.corpus import load_corpus
    from assistant.embeddings import make_embedder
    from assistant.onnx_embedder import OnnxGemmaEmbedder

    settings, _ = exported
    onnx = make_embedder(settings.replace(gemma_backend="onnx", embed_batch_size=4))
    assert isinstance(onnx, OnnxGemmaEmbedder) and onnx.identity == gemma_torch.identity
    chunks = chunk_with(settings, load_corpus((small_corpus,)).documents)
    passages = [c.embed_text for c in chunks[:: max(1, len(chunks) // 12)][:12]]
    docs_t, docs_o = gemma_torch.embed(passages, "document"), onnx.embed(passages, "document")
    q_t, q_o = gemma_torch.embed(QUESTIONS, "query"), onnx.embed(QUESTIONS, "query")
    assert np.sum(docs_t * docs_o, axis=1).min() >= MIN_COSINE
    assert np.sum(q_t * q_o, axis=1).min() >= MIN_COSINE
    top_t = np.argsort(-(q_t @ docs_t.T), axis=1)[:, :5]
    top_o = np.argsort(-(q_o @ docs_o.T), axis=1)[:, :5]
    assert top_t.tolist() == top_o.tolist()
