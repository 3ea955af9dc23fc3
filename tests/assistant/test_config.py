"""Settings: eager validation, and load_settings layering (defaults < TOML < env < overrides)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings, apply_process_environment, load_settings
from assistant.errors import ConfigError


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"retrieval_mode": "semantic"}, "'semantic'"),
        ({"top_k": 0}, "0"),
        ({"top_k": 51}, "51"),
        ({"chunk_tokens": 31}, "31"),
        ({"chunk_tokens": 2001}, "2001"),
        ({"chunk_overlap": -1}, "-1"),
        ({"chunk_tokens": 64, "chunk_overlap": 64}, "64"),
        ({"embedder": "   "}, "embedder"),
        ({"gemma_backend": "gpu"}, "'gpu'"),
    ],
)
def test_settings_refuse_bad_values_and_name_them(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings(**changes)
    assert named in info.value.message


@pytest.mark.parametrize(
    "changes",
    [
        {"top_k": 1},
        {"top_k": 50},
        {"chunk_tokens": 32, "chunk_overlap": 0},
        {"chunk_tokens": 2000, "chunk_overlap": 1999},
        {"retrieval_mode": "keyword"},
    ],
)
def test_settings_accept_boundary_values(changes: dict[str, Any]) -> None:
    s = Settings(**changes)
    for key, value in changes.items():
        assert getattr(s, key) == value


def test_retrieval_mode_error_hint_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        Settings(retrieval_mode="bm25")  # type: ignore[arg-type]
    assert "hybrid" in info.value.hint and "keyword" in info.value.hint


def test_derived_paths() -> None:
    s = Settings(data_dir=Path("/d"))
    assert s.model_dir == Path("/d/models")
    assert s.tiktoken_dir == Path("/d/models/tiktoken")
    assert s.index_dir == Path("/d/index")
    s2 = s.replace(models_dir=Path("/m"))
    assert s2.model_dir == Path("/m") and s2.tiktoken_dir == Path("/m/tiktoken")


def test_replace_validates_again() -> None:
    with pytest.raises(ConfigError):
        Settings().replace(top_k=0)


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.top_k = 3  # type: ignore[misc]


def test_load_settings_defaults_without_sources(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path / "missing.toml") == Settings()
    assert load_settings() == Settings()


def test_load_settings_layers_toml_env_and_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "mg.toml"
    toml.write_text('top_k = 3\nchunk_tokens = 200\nretrieval_mode = "dense"\nembedder = "fake32"\n')
    env = {"METODGUIDEN_TOP_K": "4", "METODGUIDEN_RETRIEVAL_MODE": "keyword", "TOP_K": "9"}
    s = load_settings(env, toml, retrieval_mode="hybrid", embedder=None)
    assert s.chunk_tokens == 200  # TOML only
    assert s.top_k == 4  # env beats TOML; an unprefixed variable is ignored
    assert s.retrieval_mode == "hybrid"  # an override beats env
    assert s.embedder == "fake32"  # a None override leaves the lower layer alone


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        ({"METODGUIDEN_DATA_DIR": "/x/y"}, "data_dir", Path("/x/y")),
        ({"METODGUIDEN_MODELS_DIR": "~/m"}, "models_dir", Path("~/m").expanduser()),
        ({"METODGUIDEN_CORPUS_DIRS": f"a{os.pathsep}b{os.pathsep}"}, "corpus_dirs", (Path("a"), Path("b"))),
        ({"METODGUIDEN_CHROMA_HOST": ""}, "chroma_host", None),
        ({"METODGUIDEN_CHROMA_HOST": "127.0.0.1"}, "chroma_host", "127.0.0.1"),
        ({"METODGUIDEN_CHROMA_PORT": "8123"}, "chroma_port", 8123),
        ({"METODGUIDEN_EMBED_BATCH_SIZE": " 8 "}, "embed_batch_size", 8),
        ({"METODGUIDEN_NOT_A_SETTING": "1"}, "top_k", 6),
        ({"METODGUIDEN_EXTRA": "x"}, "extra", {}),
    ],
)
def test_load_settings_coerces_env_values(env: dict[str, str], field: str, expected: object) -> None:
    assert getattr(load_settings(env), field) == expected


def test_toml_lists_become_path_tuples(tmp_path: Path) -> None:
    toml = tmp_path / "mg.toml"
    toml.write_text('corpus_dirs = ["corpus", "more"]\ndata_dir = "data"\n')
    s = load_settings({}, toml)
    assert s.corpus_dirs == (Path("corpus"), Path("more"))
    assert s.data_dir == Path("data")


@pytest.mark.parametrize(
    ("toml_text", "named"),
    [
        ("top_k = 3\ncolour = 'red'\n", "'colour'"),
        ("top_k = = 3\n", "mg.toml"),
        ("top_k = 'many'\n", "'many'"),
        ("extra = 1\n", "'extra'"),
    ],
)
def test_bad_toml_is_a_config_error_naming_the_problem(tmp_path: Path, toml_text: str, named: str) -> None:
    toml = tmp_path / "mg.toml"
    toml.write_text(toml_text)
    with pytest.raises(ConfigError) as info:
        load_settings({}, toml)
    assert named in info.value.message


def test_bad_env_number_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"METODGUIDEN_CHROMA_PORT": "eighty"})
    assert "chroma_port" in info.value.message and "'eighty'" in info.value.message


def test_env_value_is_validated_like_any_other() -> None:
    with pytest.raises(ConfigError):
        load_settings({"METODGUIDEN_RETRIEVAL_MODE": "fuzzy"})


@pytest.mark.parametrize("backend", ["auto", "torch", "onnx"])
def test_gemma_backend_from_the_environment(backend: str) -> None:
    assert Settings().gemma_backend == "auto"
    assert load_settings({"METODGUIDEN_GEMMA_BACKEND": backend}).gemma_backend == backend


def test_bad_gemma_backend_hint_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"METODGUIDEN_GEMMA_BACKEND": "ONNX"})
    assert "'ONNX'" in info.value.message and "auto, torch, onnx" in info.value.hint


def test_apply_process_environment_points_libraries_at_local_files(tmp_path: Path) -> None:
    environ = {"HF_HUB_OFFLINE": "0"}
    apply_process_environment(Settings(data_dir=tmp_path), environ)
    assert environ["TIKTOKEN_CACHE_DIR"] == str((tmp_path / "models" / "tiktoken").resolve())
    assert environ["HF_HUB_OFFLINE"] == "0"  # an explicit choice is kept
    assert environ["TRANSFORMERS_OFFLINE"] == "1"
    assert environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert environ["ANONYMIZED_TELEMETRY"] == "False"
