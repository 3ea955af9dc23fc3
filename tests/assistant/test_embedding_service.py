"""The OpenAI-compatible embeddings client against a real HTTP server with the real MiniLM model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding_service import OpenAIEmbedder
from assistant.embeddings import check_index_embedder, make_embedder, minilm_path
from assistant.errors import BackendError, ConfigError, IndexError_
from assistant.index import open_index
from assistant.pipeline import Assistant, index_corpus
from tests._support_embedding_server import ServerState, serve

MODEL = "all-MiniLM-L6-v2"
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, ServerState]]:
    with serve(str(minilm_path()), MODEL) as running:
        yield running


@pytest.fixture()
def state(server: tuple[str, ServerState]) -> Iterator[ServerState]:
    st = server[1]
    st.fail_next, st.delay_s = 0, 0.0
    st.requests.clear()
    yield st
    st.fail_next, st.delay_s = 0, 0.0


def _settings(url: str, tmp_path: Path, corpus: Path, models_dir: Path, model: str = MODEL) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        models_dir=models_dir,
        corpus_dirs=(corpus,),
        embedder=f"openai:{model}",
        embeddings_base_url=url,
        embeddings_timeout_s=120,  # a loaded CI machine embeds 64 passages slowly
    )


def test_vectors_are_the_served_models_in_batches(
    server: tuple[str, ServerState], state: ServerState, tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    embedder = make_embedder(_settings(server[0], tmp_path, small_corpus, models_dir))
    assert isinstance(embedder, OpenAIEmbedder) and embedder.dim == 384
    assert embedder.key.startswith("openai-") and embedder.identity == f"openai:{MODEL}|dim:384"
    texts = [f"Medborgarråd nummer {i} lottas fram." for i in range(150)]
    state.requests.clear()
    vectors = embedder.embed(texts, "document")
    assert vectors.shape == (150, 384) and state.requests == [64, 64, 22]
    local = make_embedder(Settings(embedder="minilm")).embed(texts[:3], "document")
    assert np.min(np.sum(local * vectors[:3], axis=1)) > 0.999


def test_index_and_answer_through_the_service(
    server: tuple[str, ServerState], state: ServerState, tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    settings = _settings(server[0], tmp_path, small_corpus, models_dir)
    embedder = make_embedder(settings)
    result, _ = index_corpus(settings, embedder)
    assert result.embedded == result.chunks > 0
    assert open_index(settings, embedder.key).manifest["identity"] == embedder.identity  # type: ignore[attr-defined]
    hits = Assistant.from_settings(settings, embedder).search("trygghetsvandring en kväll", 3)
    assert hits[0].chunk.doc_id == "trygghetsvandring"


def test_overloaded_server_is_retried(
    server: tuple[str, ServerState], state: ServerState, tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    embedder = make_embedder(_settings(server[0], tmp_path, small_corpus, models_dir))
    state.fail_next = 2
    assert embedder.embed(["hej"], "query").shape == (1, 384)
    state.fail_next = 5
    with pytest.raises(BackendError) as info:
        embedder.embed(["hej"], "query")
    assert "HTTP 503 after 3 tries" in info.value.message


def test_slow_server_times_out_with_a_hint(server: tuple[str, ServerState], state: ServerState) -> None:
    embedder = OpenAIEmbedder(server[0], MODEL, "openai-test", timeout_s=5, retries=1)
    state.delay_s = 1.5
    embedder._client.timeout = 0.5  # type: ignore[assignment]
    with pytest.raises(BackendError) as info:
        embedder.embed(["hej"], "query")
    assert "did not answer in time" in info.value.message and "TIMEOUT_S" in (info.value.hint or "")


def test_a_model_the_server_does_not_serve_is_named(
    server: tuple[str, ServerState], state: ServerState, tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    with pytest.raises(BackendError) as info:
        make_embedder(_settings(server[0], tmp_path, small_corpus, models_dir, model="bge-m3"))
    assert "'bge-m3'" in info.value.message and "/v1/models" in (info.value.hint or "")


def test_unreachable_endpoint_and_missing_url_are_clear(
    tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    with pytest.raises(ConfigError):
        make_embedder(Settings(embedder=f"openai:{MODEL}"))
    dead = _settings("http://127.0.0.1:9/v1", tmp_path, small_corpus, models_dir)
    with pytest.raises(BackendError) as info:
        OpenAIEmbedder(dead.embeddings_base_url, MODEL, "k", timeout_s=1, retries=2)
    assert "could not be reached" in info.value.message


def test_an_index_built_by_another_model_is_refused(
    server: tuple[str, ServerState], state: ServerState, tmp_path: Path, small_corpus: Path, models_dir: Path
) -> None:
    settings = _settings(server[0], tmp_path, small_corpus, models_dir)
    embedder = make_embedder(settings)
    index_corpus(settings, embedder)
    manifest = open_index(settings, embedder.key).manifest
    check_index_embedder(manifest, embedder)  # the same model: fine
    with pytest.raises(IndexError_) as info:
        check_index_embedder(manifest, make_embedder(Settings(embedder="fake64")))
    assert "384" in info.value.message and "64" in info.value.message
