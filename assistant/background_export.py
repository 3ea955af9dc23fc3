"""Make the ONNX export of EmbeddingGemma while the chat already answers, then answer through it.

A fresh `make run` installs the weights without the export (`models install --export-later`), so the UI opens
about a minute sooner; the first questions are answered through PyTorch, whose vectors are the export's (the
export is only kept when they match). `serve` starts the export in a low-priority child process and, once a
verified export is there, swaps ONNX Runtime in under the running assistant (the same weights' identity, so
the index and the reader stay valid). If the export fails, PyTorch simply goes on answering.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from assistant import models
from assistant.config import Settings
from assistant.embeddings import Embedder, choose_gemma_backend

Say = Callable[[str], None]


def wanted(settings: Settings) -> bool:
    """True when the settings would answer through the ONNX export but no usable export is there yet."""
    if settings.embedder != "gemma" or settings.gemma_backend != "auto":
        return False
    if not (models.gemma_path(settings) / ".verified").exists():
        return False  # nothing to export from; make_embedder says so already
    problem = models.onnx_export_problem(models.gemma_onnx_path(settings))
    return bool(problem) and choose_gemma_backend("auto", settings.device, "") == "onnx"


def export_command(settings: Settings) -> list[str]:
    """The child process: the ordinary `models install`, which reuses the weights and makes the export."""
    return [sys.executable, "-m", "assistant", "--data-dir", str(settings.data_dir), "models", "install"]


def _lower_priority() -> None:  # pragma: no cover - runs in the child between fork and exec
    os.nice(10)  # the export must not slow the answers the official is waiting for


class BackgroundExport:
    """Runs `command` in a child process; when it succeeds and the export is verified, calls `ready`."""

    def __init__(
        self,
        settings: Settings,
        ready: Callable[[Embedder], None],
        say: Say = print,
        command: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        self.ready = ready
        self.say = say
        self.command = list(command) if command is not None else export_command(settings)
        self.log = settings.model_dir / "onnx-export.log"
        self.outcome = ""  # '', then 'swapped' or why not
        self._thread = threading.Thread(target=self._run, name="onnx-export", daemon=True)

    def start(self) -> BackgroundExport:
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> str:
        """Wait for the export (and the swap) to finish; returns the outcome."""
        self._thread.join(timeout)
        return self.outcome

    def _run(self) -> None:
        env = dict(os.environ)
        env["METODGUIDEN_MODELS_DIR"] = str(self.settings.model_dir)
        env["HF_HUB_OFFLINE"] = "1"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w", encoding="utf-8") as log:
            code = subprocess.run(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_lower_priority if os.name == "posix" else None,
                check=False,
            ).returncode
        problem = models.onnx_export_problem(models.gemma_onnx_path(self.settings))
        if code != 0 or problem:
            self.outcome = f"the export failed (exit {code}; {problem or 'no problem recorded'})"
            self.say(
                "ONNX-exporten av EmbeddingGemma misslyckades; svaren fortsätter via PyTorch. "
                f"Se {self.log} och kör `metodguiden models install` för att försöka igen."
            )
            return
        try:
            from assistant.onnx_embedder import OnnxGemmaEmbedder

            embedder = OnnxGemmaEmbedder(
                models.gemma_path(self.settings),
                models.gemma_onnx_path(self.settings),
                self.settings.embed_batch_size,
            )
            self.ready(embedder)
        except Exception as exc:
            self.outcome = f"the swap failed: {exc}"
            self.say(
                f"ONNX-exporten är klar men kunde inte tas i bruk ({exc}); svaren fortsätter via PyTorch."
            )
            return
        self.outcome = "swapped"
        self.say("ONNX-exporten av EmbeddingGemma är klar: svaren går nu via ONNX Runtime (snabbare).")
