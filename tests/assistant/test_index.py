"""Index builds: generations swapped in atomically, unchanged chunks reused, failures leave the old index serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.embeddings import FakeEmbedder, Role
from assistant.errors import IndexError_, IndexNotBuiltError
from assistant.index import BuildResult, build_index, open_index, read_manifest
from assistant.pipeline import index_corpus
from assistant.retrieval import DenseRetriever, KeywordRetriever
from assistant.store import list_collections, open_client
from assistant.types import Filters
from tests._support_cli import CLI, clean_env


class Recording:
    """Wraps an embedder: records what it embeds, and can fail after a number of batches."""

    def __init__(self, inner: Any, fail_after: int | None = None) -> None:
        self.inner = inner
        self.key: str = inner.key
        self.dim: int = inner.dim
        self.identity: str = getattr(inner, "identity", "")  # the index records whose vectors these are
        self.fail_after = fail_after
        self.batches = 0
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise RuntimeError("embedder failed mid-build")
        self.batches += 1
        self.texts += list(texts)
        return np.asarray(self.inner.embed(texts, role))


def _build(settings: Settings, embedder: Any, *, full: bool = False) -> BuildResult:
    report = load_corpus(settings.corpus_dirs)
    return build_index(settings, embedder, report.documents, problems=report.problems, full=full)


def _collections(settings: Settings) -> list[str]:
    return sorted(list_collections(open_client(settings)))


def _generations(settings: Settings, key: str) -> list[str]:
    return sorted(p.name for p in (settings.index_dir / key).iterdir())


@pytest.fixture()
def cards(fake_settings: Settings, write_method: Callable[..., Path]) -> Path:
    """Three method cards in the fake settings' corpus folder."""
    folder = fake_settings.corpus_dirs[0] / "methods"
    write_method(folder, "alfa", title="Alfametoden", body="Alfa handlar om lottade medborgarråd.")
    write_method(folder, "beta", title="Betametoden", body="Beta handlar om budget för unga.")
    write_method(folder, "gamma", title="Gammametoden", body="Gamma handlar om kvällsvandringar.")
    return folder


# ---------------------------------------------------------------- fake embedder: the build logic


def test_build_writes_a_generation_that_opens(fake_settings: Settings, cards: Path) -> None:
    emb = Recording(FakeEmbedder())
    result = _build(fake_settings, emb)
    assert (result.documents, result.embedded, result.reused, result.removed, result.unchanged) == (
        3,
        result.chunks,
        0,
        0,
        False,
    )
    assert result.chunks >= 27  # summary + eight sections per card
    index = open_index(fake_settings, "fake64")
    # Each card's fit statements ("När passar det" bullets and fits_en) are embedded one by one beside the chunks.
    statements = index.needs.statements
    assert {s.doc_id for s in statements} == {"alfa", "beta", "gamma"} and all(s.text for s in statements)
    assert len(emb.texts) == result.chunks + len(statements)
    assert index.manifest["generation"] == result.generation
    assert index.manifest["dim"] == 64 and index.manifest["documents"] == 3
    assert len(index.chunks) == index.store.count() == result.chunks
    assert sorted(index.keyword.ids) == sorted(index.chunks)
    assert {c.doc_id for c in index.chunks.values()} == {"alfa", "beta", "gamma"}


def test_second_build_of_an_unchanged_corpus_does_nothing(fake_settings: Settings, cards: Path) -> None:
    first = _build(fake_settings, FakeEmbedder())
    emb = Recording(FakeEmbedder())
    second = _build(fake_settings, emb)
    assert second.unchanged and second.generation == first.generation
    assert (second.embedded, second.reused, second.chunks) == (0, first.chunks, first.chunks)
    assert emb.texts == []


def test_changed_section_is_the_only_text_embedded_again(
    fake_settings: Settings, cards: Path, write_method: Callable[..., Path]
) -> None:
    first = _build(fake_settings, FakeEmbedder())
    old = open_index(fake_settings, "fake64")
    old_beta = {cid for cid, c in old.chunks.items() if c.doc_id == "beta" and c.section == "Vad är det"}
    write_method(cards, "beta", title="Betametoden", body="Beta handlar nu om budget för äldre.")
    emb = Recording(FakeEmbedder())
    second = _build(fake_settings, emb)
    assert not second.unchanged and second.generation != first.generation
    assert (second.embedded, second.reused, second.removed) == (1, first.chunks - 1, 1)
    assert emb.texts == ["Betametoden – Vad är det\n\nBeta handlar nu om budget för äldre."]
    new = open_index(fake_settings, "fake64")
    assert not old_beta & set(new.chunks)
    assert new.store.collection.get(ids=sorted(old_beta))["ids"] == []
    assert len(new.chunks) == new.store.count() == first.chunks
    # Reused vectors are the stored ones (Chroma may renormalise them by a rounding error).
    same = sorted(set(old.chunks) & set(new.chunks))
    assert len(same) == first.chunks - 1
    before, after = old.store.vectors(same), new.store.vectors(same)
    assert all(np.allclose(before[i], after[i], atol=1e-6) for i in same)


def test_removed_document_disappears_everywhere(fake_settings: Settings, cards: Path) -> None:
    first = _build(fake_settings, FakeEmbedder())
    gamma_ids = {cid for cid, c in open_index(fake_settings, "fake64").chunks.items() if c.doc_id == "gamma"}
    (cards / "gamma.md").unlink()
    emb = Recording(FakeEmbedder())
    second = _build(fake_settings, emb)
    assert (second.documents, second.embedded, second.removed) == (2, 0, len(gamma_ids))
    assert second.chunks == first.chunks - len(gamma_ids)
    index = open_index(fake_settings, "fake64")
    assert not gamma_ids & set(index.chunks)
    assert not gamma_ids & set(index.keyword.ids)
    assert index.store.collection.get(ids=sorted(gamma_ids))["ids"] == []
    hits = KeywordRetriever(index).retrieve("kvällsvandringar gammametoden", 10)
    assert all(h.chunk.doc_id != "gamma" for h in hits)


def test_title_change_reaches_the_index_and_the_vectors(fake_settings: Settings, cards: Path) -> None:
    _build(fake_settings, FakeEmbedder())
    alfa = sum(c.doc_id == "alfa" for c in open_index(fake_settings, "fake64").chunks.values())
    path = cards / "alfa.md"
    path.write_text(path.read_text().replace("title: Alfametoden", "title: Omdöpta metoden"))
    emb = Recording(FakeEmbedder())
    result = _build(fake_settings, emb)
    assert not result.unchanged
    titles = {c.title for c in open_index(fake_settings, "fake64").chunks.values() if c.doc_id == "alfa"}
    assert titles == {"Omdöpta metoden"}
    # The title is part of every passage's embedded text, so exactly those passages are embedded again.
    assert len(emb.texts) == alfa == result.embedded
    assert all(t.startswith("Omdöpta metoden – ") for t in emb.texts)


def test_source_url_change_reaches_the_index_without_embedding(fake_settings: Settings, cards: Path) -> None:
    _build(fake_settings, FakeEmbedder())
    path = cards / "beta.md"
    path.write_text(path.read_text().replace("https://example.org/a", "https://example.org/ny"))
    emb = Recording(FakeEmbedder())
    result = _build(fake_settings, emb)
    assert not result.unchanged and emb.texts == []
    urls = {c.urls[0] for c in open_index(fake_settings, "fake64").chunks.values() if c.doc_id == "beta"}
    assert urls == {"https://example.org/ny"}


def test_full_build_embeds_everything_again(fake_settings: Settings, cards: Path) -> None:
    first = _build(fake_settings, FakeEmbedder())
    emb = Recording(FakeEmbedder())
    again = _build(fake_settings, emb, full=True)
    assert (again.embedded, again.reused, again.unchanged) == (first.chunks, 0, False)
    assert len(emb.texts) == first.chunks + len(open_index(fake_settings, "fake64").needs.statements)


def test_exception_mid_build_keeps_the_old_generation_serving(
    fake_settings: Settings, cards: Path, write_method: Callable[..., Path]
) -> None:
    settings = fake_settings.replace(embed_batch_size=2)
    first = _build(settings, FakeEmbedder())
    query = FakeEmbedder().embed(["lottade medborgarråd"], "query")[0]
    before = open_index(settings, "fake64").store.query(query, 3, Filters())
    write_method(cards, "delta", title="Deltametoden", body="Delta är ny.")
    failing = Recording(FakeEmbedder(), fail_after=1)
    with pytest.raises(RuntimeError, match="mid-build"):
        _build(settings, failing, full=True)
    assert failing.batches == 1  # it failed with work half done
    assert read_manifest(settings, "fake64")["generation"] == first.generation  # type: ignore[index]
    assert _generations(settings, "fake64") == [first.generation]
    assert _collections(settings) == [f"mg_fake64_{first.generation}"]
    index = open_index(settings, "fake64")
    assert "delta" not in {c.doc_id for c in index.chunks.values()}
    assert index.store.query(query, 3, Filters()) == before
    # The next build recovers.
    assert _build(settings, FakeEmbedder()).documents == 4


def test_leftovers_of_a_killed_build_are_removed_by_the_next_run(
    fake_settings: Settings, cards: Path
) -> None:
    first = _build(fake_settings, FakeEmbedder())
    client = open_client(fake_settings)
    client.create_collection("mg_fake64_g19990101000000000000", embedding_function=None)
    client.create_collection("other_collection", embedding_function=None)
    (fake_settings.index_dir / "fake64" / "g19990101000000000000").mkdir()
    again = _build(fake_settings, FakeEmbedder())
    assert again.unchanged
    assert _generations(fake_settings, "fake64") == [first.generation]
    assert _collections(fake_settings) == sorted([f"mg_fake64_{first.generation}", "other_collection"])


def test_open_before_any_build_says_run_index(fake_settings: Settings) -> None:
    with pytest.raises(IndexNotBuiltError) as info:
        open_index(fake_settings, "fake64")
    assert "'fake64'" in info.value.message and "metodguiden index" in info.value.hint


def test_damaged_manifest_and_missing_folder_are_index_errors(fake_settings: Settings, cards: Path) -> None:
    result = _build(fake_settings, FakeEmbedder())
    manifest = fake_settings.index_dir / "manifest-fake64.json"
    text = manifest.read_text()
    manifest.write_text(text[: len(text) // 2])
    with pytest.raises(IndexError_) as info:
        open_index(fake_settings, "fake64")
    assert str(manifest) in info.value.message and "metodguiden index" in info.value.hint
    manifest.write_text(text)
    (fake_settings.index_dir / "fake64" / result.generation / "chunks.jsonl").unlink()
    with pytest.raises(IndexError_, match="incomplete"):
        open_index(fake_settings, "fake64")


def test_empty_corpus_builds_an_empty_index(fake_settings: Settings) -> None:
    result = _build(fake_settings, FakeEmbedder())
    assert (result.documents, result.chunks) == (0, 0)
    index = open_index(fake_settings, "fake64")
    assert index.chunks == {} and index.store.count() == 0
    assert DenseRetriever(index, FakeEmbedder()).retrieve("medborgarråd", 5) == []
    assert KeywordRetriever(index).retrieve("medborgarråd", 5) == []


def test_duplicate_documents_are_refused(fake_settings: Settings, cards: Path) -> None:
    docs = load_corpus(fake_settings.corpus_dirs).documents
    with pytest.raises(IndexError_, match="same id"):
        build_index(fake_settings, FakeEmbedder(), [*docs, docs[0]])
    assert read_manifest(fake_settings, "fake64") is None


def test_each_embedder_has_its_own_index(fake_settings: Settings, cards: Path) -> None:
    _build(fake_settings, FakeEmbedder(64))
    _build(fake_settings, FakeEmbedder(16))
    assert open_index(fake_settings, "fake16").manifest["dim"] == 16
    assert open_index(fake_settings, "fake64").manifest["dim"] == 64
    assert len(_collections(fake_settings)) == 2


def test_broken_file_is_reported_and_the_rest_indexed(fake_settings: Settings, cards: Path) -> None:
    broken = cards / "trasig.md"
    broken.write_text(
        (cards / "alfa.md")
        .read_text()
        .replace("id: alfa", "id: trasig")
        .replace("staff_effort: lag", "staff_effort: enorm")
    )
    result, report = index_corpus(fake_settings, FakeEmbedder())
    assert result.documents == 3
    # The wording of the vocabulary check belongs to the corpus validation; the index reports it by file and line.
    assert len(report.problems) == 1
    shown = str(report.problems[0])
    assert shown.startswith(f"{broken}:15: staff_effort: ") and "lag" in shown and "medel" in shown
    assert read_manifest(fake_settings, "fake64")["problems"] == [str(report.problems[0])]  # type: ignore[index]


# ---------------------------------------------------------------- EmbeddingGemma and a real Chroma store

COURSE = """\
---
id: {id}
kind: course
title: {title}
lang: sv
summary: {summary}
sources:
  - {{title: "Källa", url: "https://example.org/{id}"}}
licence: CC-BY-4.0
---
{body}
"""


def _write_course(folder: Path, id: str, title: str, summary: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{id}.md"
    path.write_text(COURSE.format(id=id, title=title, summary=summary, body=body), encoding="utf-8")
    return path


def _gemma_corpus(folder: Path) -> None:
    _write_course(
        folder,
        "budget",
        "Medborgarbudget",
        "Invånarna föreslår och röstar om hur en del av kommunens pengar ska användas.",
        "## Så går det till\nKommunen avsätter en summa. Invånare lämnar förslag, förvaltningen prövar dem "
        "och alla får rösta.\n\n## Kostnad\nRäkna med personaltid för att pröva förslagen.",
    )
    _write_course(
        folder,
        "vandring",
        "Trygghetsvandring",
        "Boende går runt i sitt område en kväll och pekar ut platser som känns otrygga.",
        "## Så går det till\nEn grupp boende, polis och fastighetsägare går en bestämd slinga när det är mörkt "
        "och antecknar brister i belysning och skötsel.",
    )
    _write_course(
        folder,
        "fokus",
        "Fokusgrupp",
        "Ett samtal i en liten grupp om sex till tio personer, lett av en moderator.",
        "## Så går det till\nModeratorn ställer öppna frågor och ser till att alla kommer till tals.",
    )


@pytest.fixture(scope="module")
def gemma_base(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, gemma: Any) -> Path:
    """Three short documents indexed once with EmbeddingGemma; tests get a copy."""
    base = tmp_path_factory.mktemp("gemma-base")
    _gemma_corpus(base / "corpus")
    settings = Settings(data_dir=base / "data", models_dir=models_dir, corpus_dirs=(base / "corpus",))
    result, report = index_corpus(settings, gemma)
    assert (result.documents, report.problems) == (3, ())
    return base


@pytest.fixture()
def gemma_settings(gemma_base: Path, tmp_path: Path, models_dir: Path, gemma: Any) -> Settings:
    """Settings on a private copy of the base corpus and its built index (generation already swapped in)."""
    shutil.copytree(gemma_base, tmp_path, dirs_exist_ok=True)
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=models_dir,
        corpus_dirs=(tmp_path / "corpus",),
        embedder="gemma",
    )
    # The documents' paths moved with the copy: one cheap build records them, reusing every vector.
    recording = Recording(gemma)
    moved, _ = index_corpus(settings, recording)
    assert recording.texts == [] and moved.reused == moved.chunks
    return settings


def _generation(settings: Settings) -> str:
    return str(read_manifest(settings, "gemma")["generation"])  # type: ignore[index]


@pytest.mark.integration
def test_gemma_index_search_and_ask(gemma_settings: Settings, gemma: Any) -> None:
    from assistant.pipeline import Assistant

    again, _ = index_corpus(gemma_settings, gemma)
    assert again.unchanged and again.chunks >= 6  # the copied index is complete and current
    assistant = Assistant.from_settings(gemma_settings, gemma)
    for mode in ("dense", "hybrid"):
        hits = assistant.search("Var känns det otryggt på kvällen?", 3, mode=mode)
        assert hits[0].chunk.doc_id == "vandring", mode
    hits = assistant.search("How can residents vote on how money is spent?", 3, mode="dense")
    assert hits[0].chunk.doc_id == "budget"
    data = assistant.ask("Hur många deltar i en fokusgrupp?").to_json()
    assert data["abstained"] is False and data["language"] == "sv"
    assert data["citations"], data
    chunk_ids = set(assistant.index.chunks)
    for cit in data["citations"]:
        assert cit["chunk_id"] in chunk_ids
        assert cit["url"] == f"https://example.org/{cit['doc_id']}"
        assert f"[{cit['n']}]" in data["answer"]
    assert data["citations"][0]["doc_id"] == "fokus"


@pytest.mark.integration
def test_gemma_incremental_reindex(gemma_settings: Settings, gemma: Any) -> None:
    from assistant.pipeline import Assistant

    folder = gemma_settings.corpus_dirs[0]
    before = open_index(gemma_settings, "gemma").chunks
    old_fokus = {cid for cid, c in before.items() if c.doc_id == "fokus"}
    old_cost = {cid for cid, c in before.items() if c.doc_id == "budget" and c.section == "Kostnad"}
    assert len(old_cost) == 1
    (folder / "fokus.md").unlink()
    path = folder / "budget.md"
    path.write_text(path.read_text().replace("Räkna med personaltid", "Räkna med mycket personaltid"))
    emb = Recording(gemma)
    second, _ = index_corpus(gemma_settings, emb)
    assert emb.texts == ["Medborgarbudget – Kostnad\n\nRäkna med mycket personaltid för att pröva förslagen."]
    assert (second.documents, second.embedded, second.removed) == (2, 1, len(old_fokus) + 1)
    assistant = Assistant.from_settings(gemma_settings, gemma)
    gone = old_fokus | old_cost
    assert not gone & set(assistant.index.chunks) and not gone & set(assistant.index.keyword.ids)
    assert assistant.index.store.collection.get(ids=sorted(gone))["ids"] == []
    assert len(assistant.index.chunks) == assistant.index.store.count() == len(before) - len(old_fokus)
    hits = assistant.search("moderator liten grupp samtal", 5)
    assert hits and "fokus" not in {h.chunk.doc_id for h in hits}
    assert any("mycket personaltid" in h.chunk.text for h in assistant.search("personaltid kostnad", 3))


@pytest.mark.integration
def test_gemma_failed_rebuild_keeps_serving(gemma_settings: Settings, gemma: Any) -> None:
    from assistant.pipeline import Assistant

    settings = gemma_settings.replace(embed_batch_size=2)
    first = _generation(settings)
    assistant = Assistant.from_settings(settings, gemma)
    before = [h.chunk.id for h in assistant.search("otrygga platser i mörker", 3)]
    failing = Recording(gemma, fail_after=2)
    with pytest.raises(RuntimeError, match="mid-build"):
        index_corpus(settings, failing, full=True)
    assert failing.batches == 2 and len(failing.texts) == 4  # it failed with work half done
    assert not assistant.refresh()
    assert [h.chunk.id for h in assistant.search("otrygga platser i mörker", 3)] == before
    fresh = Assistant.from_settings(settings, gemma)
    assert fresh.index.manifest["generation"] == first
    assert [h.chunk.id for h in fresh.search("otrygga platser i mörker", 3)] == before
    assert _generations(settings, "gemma") == [first]
    assert _collections(settings) == [f"mg_gemma_{first}"]


@pytest.mark.integration
def test_gemma_broken_file_is_reported_by_name_and_line(gemma_settings: Settings, gemma: Any) -> None:
    from assistant.pipeline import Assistant

    broken = gemma_settings.corpus_dirs[0] / "trasig.md"
    broken.write_text("---\nid: trasig\nkind: course\ntitle: Trasig\nlang: svenska\n---\nText.\n")
    result, report = index_corpus(gemma_settings, gemma)
    assert result.documents == 3 and result.embedded == 0
    shown = [str(p) for p in report.problems]
    assert f"{broken}:5: lang: Input should be 'sv' or 'en'" in shown
    assert all(s.startswith(f"{broken}:") for s in shown)
    assert read_manifest(gemma_settings, "gemma")["problems"] == shown  # type: ignore[index]
    assert (
        Assistant.from_settings(gemma_settings, gemma).search("trygghetsvandring", 1)[0].chunk.doc_id
        == "vandring"
    )


@pytest.mark.integration
@pytest.mark.slow
def test_index_process_killed_mid_embedding_leaves_the_previous_generation(
    gemma_settings: Settings, gemma: Any
) -> None:
    from assistant.pipeline import Assistant

    folder = gemma_settings.corpus_dirs[0]
    first = _generation(gemma_settings)
    chunks = len(open_index(gemma_settings, "gemma").chunks)
    before = [h.chunk.id for h in Assistant.from_settings(gemma_settings, gemma).search("otrygga platser", 3)]
    # Enough new text that embedding it one passage at a time takes several seconds.
    body = "\n\n".join(
        f"## Del {i}\nStycke {i} om hur kommunen planerar dialog, bjuder in, genomför och återkopplar till "
        f"invånarna i steg {i}."
        for i in range(40)
    )
    extra = _write_course(folder, "lang-modul", "Lång modul", "En lång kursmodul för att mäta avbrott.", body)
    env = clean_env(METODGUIDEN_MODELS_DIR=str(gemma_settings.model_dir), METODGUIDEN_EMBED_BATCH_SIZE="1")
    cmd = [*CLI, "--data-dir", str(gemma_settings.data_dir), "--corpus", str(folder), "index", "--full"]
    gen_root = gemma_settings.index_dir / "gemma"
    existing = set(os.listdir(gen_root))
    proc = subprocess.Popen(cmd, env=env, cwd=folder.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if set(os.listdir(gen_root)) - existing:  # the new generation's folder: embedding starts now
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.5)  # inside the embedding loop: dozens of single-passage batches remain
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    partial = [p for p in gen_root.iterdir() if p.name != first]
    assert len(partial) == 1 and not (partial[0] / "chunks.jsonl").exists()  # killed before embedding ended
    assert f"mg_gemma_{partial[0].name}" in _collections(gemma_settings)
    assert _generation(gemma_settings) == first
    # A new process (a fresh Chroma client, no model) opens the previous generation and queries it.
    code = (
        "import json; from pathlib import Path\n"
        "from assistant.config import Settings\n"
        "from assistant.index import open_index\n"
        "from assistant.types import Filters\n"
        f"idx = open_index(Settings(data_dir=Path({str(gemma_settings.data_dir)!r})), 'gemma')\n"
        "ids = sorted(idx.chunks)\n"
        "hits = idx.store.query(idx.store.vectors(ids[:1])[ids[0]], 3, Filters())\n"
        "print(json.dumps({'generation': idx.manifest['generation'], 'top': hits[0][0], 'first': ids[0],"
        " 'stored': idx.store.count(), 'chunks': len(ids)}))\n"
    )
    check = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=folder.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    seen = json.loads(check.stdout)
    assert seen["generation"] == first and seen["top"] == seen["first"]
    assert seen["stored"] == seen["chunks"] == chunks
    assistant = Assistant.from_settings(gemma_settings, gemma)
    assert [h.chunk.id for h in assistant.search("otrygga platser", 3)] == before
    # The trainer takes the long module out again: nothing to embed, and the leftovers are removed.
    extra.unlink()
    result, _ = index_corpus(gemma_settings, gemma)
    assert result.unchanged and result.generation == first
    assert _generations(gemma_settings, "gemma") == [first]
    assert _collections(gemma_settings) == [f"mg_gemma_{first}"]
