"""Shared fixtures: settings on temp dirs, the installed models, tiny corpora, and a network guard."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings, apply_process_environment

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
MODELS = Path(os.environ.get("METODGUIDEN_MODELS_DIR", ROOT / ".metodguiden" / "models")).resolve()


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX paths


@pytest.fixture(autouse=True, scope="session")
def _offline_guard() -> Iterator[None]:
    """Every test runs with outside connections refused: a test that reaches out fails loudly."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            raise RuntimeError(f"test tried to open a network connection to {address!r}")
        return original(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[method-assign]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The models installed by `make setup` (tiktoken files and EmbeddingGemma)."""
    base = Settings(models_dir=MODELS)
    apply_process_environment(base, os.environ)  # type: ignore[arg-type]
    if not (MODELS / "tiktoken").is_dir():
        pytest.fail(f"No models in {MODELS}: run `make setup` (or `metodguiden models install`) first.")
    return MODELS


@pytest.fixture()
def fake_settings(tmp_path: Path, models_dir: Path) -> Settings:
    """Settings on temp dirs with the deterministic fake embedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(
        data_dir=tmp_path / "data", models_dir=models_dir, corpus_dirs=(corpus,), embedder="fake64"
    )


METHOD_TEMPLATE = """\
---
id: {id}
kind: method
title: {title}
aliases: ["{alias}"]
lang: sv
summary: {summary}
purposes: [ideer]
influence: [konsultation]
recruitment: [oppen]
participants: {{min: 5, max: 50}}
duration_weeks: {{min: 2, max: 8}}
cost_sek: {{min: 10000, max: 100000}}
cost_basis: uppskattning
staff_effort: lag
formats: [fysiskt]
target_groups: [alla]
scale: [kommun]
complexity: [lag]
polarisation: [lag]
sources:
  - {{title: "Källa ett", url: "https://example.org/a", publisher: "Test"}}
  - {{title: "Källa två", url: "https://example.org/b", publisher: "Test"}}
summary_en: "A method used in tests."
fits_en: ["You want to collect ideas."]
not_fits_en: ["Nothing can be influenced."]
licence: CC-BY-4.0
---
## Vad är det
{body}

## När passar det
När man vill samla idéer.

## När passar det inte
När inget kan påverkas.

## Så går det till
1. Bjud in. 2. Genomför. 3. Återkoppla.

## Resurser och tid
Några veckor.

## Exempel
Ett exempel.

## Styrkor och svagheter
Enkel men begränsad.

## Vanliga fallgropar
Att glömma återkopplingen.
"""


@pytest.fixture()
def write_method() -> Callable[..., Path]:
    """Write a valid method card into a folder; override any field of the template."""

    def write(
        folder: Path, id: str, title: str = "Testmetod", body: str = "En metod för test.", **kw: str
    ) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        text = METHOD_TEMPLATE.format(
            id=id,
            title=title,
            alias=kw.get("alias", f"{id} alias"),
            summary=kw.get("summary", f"{title} är en metod som används i tester."),
            body=textwrap.dedent(body),
        )
        path = folder / f"{id}.md"
        path.write_text(text, encoding="utf-8")
        return path

    return write


SMALL_CORPUS = [
    "methods/medborgarbudget.md",
    "methods/medborgarrad.md",
    "methods/fokusgrupp.md",
    "methods/trygghetsvandring.md",
    "course/kurs-processdesign.md",
]


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    """A copy of five real corpus documents (three seed cards, one more card, one course module)."""
    target = tmp_path / "small-corpus"
    for rel in SMALL_CORPUS:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / rel, dest)
    return target


@pytest.fixture(scope="session")
def gemma(models_dir: Path) -> object:
    """The real EmbeddingGemma as the default settings run it (ONNX Runtime on a CPU), loaded once per session."""
    from assistant.embeddings import make_embedder

    return make_embedder(Settings(models_dir=models_dir, embedder="gemma"))


@pytest.fixture(scope="session")
def gemma_torch(models_dir: Path) -> object:
    """The real EmbeddingGemma through PyTorch and sentence-transformers, loaded once per session."""
    from assistant.embeddings import make_embedder

    return make_embedder(Settings(models_dir=models_dir, embedder="gemma", gemma_backend="torch"))
