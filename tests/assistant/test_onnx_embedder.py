"""EmbeddingGemma's backends: which one runs, the export's marker, and the ONNX embedder's contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import models
from assistant.config import Settings
from assistant.embeddings import SentenceTransformerEmbedder, choose_gemma_backend, make_embedder
from assistant.errors import ConfigError, ModelUnavailableError
from assistant.onnx_embedder import OnnxGemmaEmbedder
from tests.conftest import ROOT

BROKEN = "there is no verified export in /m"


def _no_gpu_question() -> bool:
    raise AssertionError("torch was asked about a GPU although the answer could not change the choice")


# ---------------------------------------------------------------- the choice


@pytest.mark.parametrize(
    ("setting", "device", "problem", "gpu", "expected"),
    [
        ("auto", "auto", "", False, "onnx"),  # the CPU, a verified export: ONNX Runtime
        ("auto", "cpu", "", None, "onnx"),
        ("auto", "auto", "", True, "torch"),  # a GPU: PyTorch with CUDA stays
        ("auto", "cuda", "", None, "torch"),
        ("auto", "cuda:1", "", None, "torch"),
        ("auto", "auto", BROKEN, None, "torch"),  # no usable export: PyTorch, quietly
        ("auto", "cpu", BROKEN, None, "torch"),
        ("torch", "auto", "", None, "torch"),
        ("torch", "cpu", "", None, "torch"),
        ("onnx", "auto", "", None, "onnx"),
        ("onnx", "cpu", "", None, "onnx"),
    ],
)
def test_choose_gemma_backend(
    setting: str, device: str, problem: str, gpu: bool | None, expected: str
) -> None:
    ask = _no_gpu_question if gpu is None else (lambda: gpu)
    assert choose_gemma_backend(setting, device, problem, ask) == expected  # type: ignore[arg-type]


def test_onnx_without_a_usable_export_says_why_and_how_to_install() -> None:
    with pytest.raises(ModelUnavailableError) as info:
        choose_gemma_backend("onnx", "auto", BROKEN, _no_gpu_question)
    assert BROKEN in info.value.message
    assert "metodguiden models install" in info.value.hint


def test_onnx_on_a_gpu_device_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        choose_gemma_backend("onnx", "cuda", "", _no_gpu_question)
    assert "'cuda'" in info.value.message and "METODGUIDEN_DEVICE" in info.value.hint


# ---------------------------------------------------------------- the marker


def _export(folder: Path, content: bytes = b"graph" * 100) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(content)
    models.write_onnx_marker(folder, 0.99999)
    return folder


def test_a_fresh_export_is_usable_and_its_marker_records_the_files(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    assert models.onnx_export_problem(folder) == ""
    record = (folder / models.ONNX_MARKER).read_text(encoding="utf-8")
    assert models.GEMMA_SAFETENSORS_SHA256 in record
    assert models.sha256_file(folder / "model.onnx") in record


def test_a_touched_but_unchanged_file_is_hashed_again_and_accepted(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    os.utime(folder / "model.onnx", ns=(1, 1))
    assert models.onnx_export_problem(folder) == ""


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda f: (f / "model.onnx").unlink(), "is missing"),
        (lambda f: (f / "model.onnx").write_bytes(b"graph" * 99), "bytes"),  # shorter
        (lambda f: (f / "model.onnx").write_bytes(b"GRAPH" * 100), "sha256"),  # same size, other content
        (lambda f: (f / models.ONNX_MARKER).unlink(), "no verified export"),
        (lambda f: (f / models.ONNX_MARKER).write_text("{", encoding="utf-8"), "cannot be read"),
        (lambda f: (f / models.ONNX_MARKER).write_text('{"files": 3}', encoding="utf-8"), "cannot be read"),
        (
            lambda f: (f / models.ONNX_MARKER).write_text(
                (f / models.ONNX_MARKER).read_text().replace(models.GEMMA_SAFETENSORS_SHA256, "0" * 64)
            ),
            "other weights",
        ),
    ],
)
def test_a_damaged_export_is_not_usable(tmp_path: Path, damage: object, says: str) -> None:
    folder = _export(tmp_path / "export")
    damage(folder)  # type: ignore[operator]
    assert says in models.onnx_export_problem(folder)


# ---------------------------------------------------------------- make_embedder (nothing is loaded)


@pytest.fixture()
def with_export(tmp_path: Path, models_dir: Path) -> Settings:
    """A models folder with the installed EmbeddingGemma and a (stand-in) verified export beside it."""
    settings = Settings(models_dir=tmp_path / "models", embedder="gemma")
    settings.model_dir.mkdir()
    models.gemma_path(settings).symlink_to(models.gemma_path(Settings(models_dir=models_dir)))
    _export(models.gemma_onnx_path(settings))
    return settings


def test_auto_takes_the_export_with_the_pytorch_identity(with_export: Settings) -> None:
    onnx = make_embedder(with_export.replace(device="cpu"))
    torch = make_embedder(with_export.replace(gemma_backend="torch"))
    assert isinstance(onnx, OnnxGemmaEmbedder) and isinstance(torch, SentenceTransformerEmbedder)
    assert onnx.key == torch.key == "gemma" and onnx.dim == torch.dim == 768
    assert onnx.identity == torch.identity  # the cache, the collection and the fitted reader serve both
    assert onnx._session is None  # loaded on the first embed, not before


def test_a_tampered_export_is_passed_over_by_auto_and_refused_for_onnx(with_export: Settings) -> None:
    (models.gemma_onnx_path(with_export) / "model.onnx").write_bytes(b"evil")
    assert isinstance(make_embedder(with_export.replace(device="cpu")), SentenceTransformerEmbedder)
    with pytest.raises(ModelUnavailableError) as info:
        make_embedder(with_export.replace(gemma_backend="onnx"))
    assert "model.onnx" in info.value.message and "metodguiden models install" in info.value.hint


def test_a_missing_export_is_passed_over_by_auto_and_refused_for_onnx(with_export: Settings) -> None:
    (models.gemma_onnx_path(with_export) / models.ONNX_MARKER).unlink()
    assert isinstance(make_embedder(with_export.replace(device="cpu")), SentenceTransformerEmbedder)
    with pytest.raises(ModelUnavailableError, match="no verified export"):
        make_embedder(with_export.replace(gemma_backend="onnx"))


def test_the_backend_is_read_from_the_environment_and_a_bad_value_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "METODGUIDEN_GEMMA_BACKEND": "tensorrt", "METODGUIDEN_MODELS_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "assistant", "--data-dir", str(tmp_path), "models", "status"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)
    assert done.returncode == 1
    assert "'tensorrt'" in done.stderr and "auto, torch, onnx" in done.stderr


@pytest.mark.integration
def test_the_onnx_backend_embeds_without_importing_torch(models_dir: Path) -> None:
    """The installed export answers a query in a fresh process that never imports torch (a CPU-only build)."""
    if models.onnx_export_problem(models.gemma_onnx_path(Settings(models_dir=models_dir))):
        pytest.fail("No verified ONNX export: run `metodguiden models install` first.")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from assistant.config import Settings\n"
        "from assistant.embeddings import make_embedder\n"
        f"e = make_embedder(Settings(models_dir=Path({str(models_dir)!r}), device='cpu'))\n"
        "v = e.embed(['Hur går ett medborgarråd till?'], 'query')\n"
        "print(type(e).__name__, v.shape, 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["OnnxGemmaEmbedder", "(1,", "768)", "False"]
