"""Export EmbeddingGemma to ONNX (fp32) and verify it against the PyTorch model before anything uses it."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import Embedder, SentenceTransformerEmbedder
from assistant.errors import ModelInstallError
from assistant.models import write_onnx_marker
from assistant.onnx_embedder import DATA_FILE, MODEL_FILE, OnnxGemmaEmbedder

OPSET = 17
MIN_COSINE = 0.9999  # below this an export is refused: the backends must give the same vectors
# Swedish and English, questions and passages, short and past the token limit; each is embedded with both prompts.
PROBES: tuple[str, ...] = (
    "Vilken metod passar för att nå unga 16–25 år om ett nytt fritidsområde?",
    "Hur lång tid tar ett medborgarråd?",
    "How does participatory budgeting work?",
    "What is a citizens' assembly and when should we use one?",
    "Medborgarbudget: invånarna föreslår projekt och röstar om hur en del av kommunens budget ska användas.",
    "Trygghetsvandring: boende går en kvällspromenad i området och noterar platser som känns otrygga.",
    "A focus group brings six to ten people together with a moderator to talk about one clearly bounded question.",
    "Ja",
    " ".join(
        ["Deltagarna i ett medborgarråd lottas fram så att gruppen liknar befolkningen, lär sig av experter,"]
        + ["överlägger i små grupper och lämnar rekommendationer som kommunen lovar att svara på."] * 60
    ),
)
Progress = Callable[[str, int, int], None]


def _embedding_graph(model: Any) -> Any:
    """A torch module: (input_ids, attention_mask) → unit sentence embeddings, for the exporter to trace.

    It builds the bidirectional 4-D additive masks itself with plain tensor ops (every token sees every
    unpadded token; on the sliding-window layers only those closer than the window) and hands them to the
    transformer, so transformers' own mask building, which the exporter cannot trace, is skipped.
    """
    import torch

    body = model[0].auto_model
    first, second = model[2].linear, model[3].linear
    window = int(body.config.sliding_window)

    class Graph(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.body, self.first, self.second = body, first, second

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            keys = attention_mask.bool()[:, None, None, :]  # (batch, 1, 1, keys)
            pos = torch.arange(input_ids.shape[1], device=input_ids.device)
            near = (pos[:, None] - pos[None, :]).abs() < window  # (queries, keys)
            blocked = torch.finfo(torch.float32).min
            zero = torch.zeros((), dtype=torch.float32)
            full = torch.where(keys & torch.ones_like(near)[None, None], zero, blocked)
            sliding = torch.where(keys & near[None, None], zero, blocked)
            masks = {"full_attention": full, "sliding_attention": sliding}
            hidden = self.body(input_ids=input_ids, attention_mask=masks, use_cache=False).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(self.second(self.first(pooled)), p=2, dim=1)

    return Graph().eval()


def row_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two equally shaped matrices (divided by both norms)."""
    return np.asarray(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


def lowest_cosine(reference: Embedder, candidate: Embedder, texts: Sequence[str]) -> float:
    """The lowest cosine between the two embedders' vectors of the same texts, over both prompts."""
    lowest = 1.0
    for role in ("query", "document"):
        a = reference.embed(texts, role).astype(np.float64)
        b = candidate.embed(texts, role).astype(np.float64)
        lowest = min(lowest, float(row_cosine(a, b).min()))
    return lowest


def export_gemma(model_folder: Path, target: Path, progress: Progress) -> float:
    """Export the installed model to `target`, verified against PyTorch; returns the lowest probe cosine."""
    if importlib.util.find_spec("onnx") is None:
        raise ModelInstallError(
            "The onnx package, which the ONNX export needs, is not installed.", hint="Run `make setup`."
        )
    import torch

    steps = 3
    progress("EmbeddingGemma ONNX: exporterar", 0, steps)
    # One text at a time: the reference is each text unpadded; the export is checked in padded pairs.
    reference = SentenceTransformerEmbedder(str(model_folder), "gemma", batch_size=1, device="cpu")
    model = reference.model
    sample = model.tokenizer(list(PROBES[:2]), padding=True, return_tensors="pt")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".gemma-onnx-") as tmp:
        folder = Path(tmp) / "export"
        folder.mkdir()
        # The tracer warns that the attention code's branch on the query length becomes a constant: the traced
        # branch (more than one query token) is the only one here, since every text has at least <bos> <eos>.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(
                _embedding_graph(model),
                (sample["input_ids"], sample["attention_mask"]),
                str(folder / MODEL_FILE),
                dynamo=False,  # the TorchScript exporter traces this graph; the dynamo one does not
                opset_version=OPSET,
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "sentence_embedding": {0: "batch"},
                },
            )
        _weights_beside_graph(folder / MODEL_FILE)
        progress("EmbeddingGemma ONNX: jämför med PyTorch", 1, steps)
        lowest = adopt(folder, target, reference, OnnxGemmaEmbedder(model_folder, folder, batch_size=2))
    progress("EmbeddingGemma ONNX: klar", steps, steps)
    return lowest


def _weights_beside_graph(graph: Path) -> None:
    """Move the weights out of the graph file into DATA_FILE beside it, rewriting the graph in place.

    A 1.2 GB protobuf must be parsed and copied whole when a session loads it (about 7 s and 2 GB here); as
    external data ONNX Runtime maps the weights from the file instead (under 2 s, about 0.5 GB).
    """
    import onnx

    proto = onnx.load(str(graph))
    onnx.save_model(
        proto,
        str(graph),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=DATA_FILE,
        size_threshold=1024,
    )


def adopt(folder: Path, target: Path, reference: Embedder, candidate: Embedder) -> float:
    """Move a fresh export into `target` with its marker if its vectors match the reference's on the probes.

    Otherwise the export is deleted and ModelInstallError says why. Returns the lowest probe cosine.
    """
    lowest = lowest_cosine(reference, candidate, PROBES)
    if not lowest >= MIN_COSINE:  # a NaN is refused too
        shutil.rmtree(folder, ignore_errors=True)
        raise ModelInstallError(
            f"The ONNX export of EmbeddingGemma was refused and deleted: on the probe texts its vectors reach "
            f"only cosine {lowest:.6f} to PyTorch's (at least {MIN_COSINE} is required).",
            hint="EmbeddingGemma still works through PyTorch (METODGUIDEN_GEMMA_BACKEND=torch); "
            "report the versions of torch, onnx and onnxruntime.",
        )
    write_onnx_marker(folder, lowest)
    if target.exists():
        shutil.rmtree(target)
    folder.rename(target)
    return lowest
