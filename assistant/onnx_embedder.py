"""EmbeddingGemma run by ONNX Runtime from its verified fp32 export: PyTorch's vectors, without torch."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import Role, describe_model, model_identity, read_prompts

MODEL_FILE = "model.onnx"  # the graph
DATA_FILE = "model.onnx.data"  # its weights, mapped by ONNX Runtime rather than parsed from the graph file


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class OnnxGemmaEmbedder:
    """EmbeddingGemma's ONNX export (transformer, mean pooling, both Dense layers, L2 norm in one graph).

    Its `identity` is the PyTorch gemma embedder's, on purpose: the same weights compute the same function
    (the folder's tokenizer, the same prompt text prepended, the same token limit) in fp32, so the two backends'
    vectors differ by about 1e-6, far below the float16 rounding of the corpus embedding cache (~1e-3).
    The embedding cache, the Chroma collection and the fitted reader therefore serve both backends.
    `metodguiden models install` enforces it: an export whose vectors come closer than cosine 0.9999 to
    PyTorch's on the probe texts is refused. The session is loaded on the first `embed`, as the PyTorch
    model is, so an index built entirely from the embedding cache loads no model.
    """

    backend = "onnx"

    def __init__(
        self, model_folder: Path, export_folder: Path, batch_size: int = 16, key: str = "gemma"
    ) -> None:
        self.key = key
        self.device = "cpu"
        self.batch_size = max(batch_size, 1)
        self.model_folder = model_folder
        self.export_folder = export_folder
        self.dim, _, self.max_tokens = describe_model(model_folder)
        self.identity = model_identity(model_folder, key)
        self.prompts: dict[Role, str] = read_prompts(model_folder)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        """The tokenizer and the ONNX Runtime session (loaded once, on first use)."""
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.model_folder / "tokenizer.json"))
                tokenizer.enable_truncation(self.max_tokens)  # as sentence-transformers cuts: <bos> … <eos>
                tokenizer.no_padding()
                options = ort.SessionOptions()
                options.intra_op_num_threads = available_cores()
                options.log_severity_level = 3  # warnings about unused initializers are noise here
                self._tokenizer = tokenizer
                self._session = ort.InferenceSession(
                    str(self.export_folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
                )
            return self._session, self._tokenizer

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Prepend the role's prompt, tokenize, and run the graph in length-sorted batches."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = self._load()
        prompt = self.prompts.get(role, "")
        ids = [e.ids for e in tokenizer.encode_batch([prompt + text for text in texts])]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))  # little padding per batch
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)  # padded on the right; masked out
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            (vectors,) = session.run(None, {"input_ids": input_ids, "attention_mask": mask})
            out[rows] = vectors
        return out
