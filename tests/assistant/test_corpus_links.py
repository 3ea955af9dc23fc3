"""Files linked into the corpus from outside its folders are refused with a message; the rest is indexed."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from assistant.corpus import load_corpus
from tests._support_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _corpus_with_links(tmp_path: Path, small_corpus: Path, write_method: Callable[..., Path]) -> Path:
    outside = tmp_path / "outside"
    secret = write_method(outside, "hemlig", title="Hemlig metod", body="Lönelistan för hela kommunen.")
    (small_corpus / "methods" / "hemlig.md").symlink_to(secret)  # a file linked in
    linked_dir = tmp_path / "outside-folder"
    write_method(linked_dir, "annan", title="Annan metod")
    os.symlink(linked_dir, small_corpus / "methods" / "extra", target_is_directory=True)  # a folder linked in
    (small_corpus / "methods" / "trasig.md").symlink_to(tmp_path / "finns-inte.md")  # a dangling link
    inside = small_corpus / "kopior"
    inside.mkdir()
    shutil.move(str(small_corpus / "methods" / "fokusgrupp.md"), inside / "fokusgrupp.md")
    (small_corpus / "methods" / "fokusgrupp.md").symlink_to(inside / "fokusgrupp.md")  # inside: allowed
    return secret


def test_links_out_of_the_corpus_are_refused_and_the_rest_loads(
    tmp_path: Path, small_corpus: Path, write_method: Callable[..., Path]
) -> None:
    secret = _corpus_with_links(tmp_path, small_corpus, write_method)
    report = load_corpus([small_corpus])
    ids = {d.id for d in report.documents}
    assert {"medborgarrad", "medborgarbudget", "trygghetsvandring", "kurs-processdesign", "fokusgrupp"} <= ids
    assert "hemlig" not in ids and "annan" not in ids  # folder links are not followed at all
    refused = {
        Path(p.path).name: p.message for p in report.problems if "outside every corpus folder" in p.message
    }
    assert refused["hemlig.md"].startswith(f"links to {secret.resolve()}")
    assert any(
        p.path.endswith("trasig.md") and "cannot follow the link" in p.message for p in report.problems
    )
    linked = (tmp_path / "outside-folder").resolve()
    folder = [p.message for p in report.problems if p.path.endswith("extra")]
    assert folder == [f"is a link to the folder {linked}; folder links are not followed"]


def test_index_through_the_cli_skips_the_linked_file_and_says_so(
    tmp_path: Path, small_corpus: Path, write_method: Callable[..., Path], models_dir: Path
) -> None:
    _corpus_with_links(tmp_path, small_corpus, write_method)
    base: list[str | Path] = [
        "--data-dir",
        tmp_path / "data",
        "--corpus",
        small_corpus,
        "--embedder",
        "fake64",
    ]
    built = run_cli(*base, "index", models_dir=models_dir, cwd=ROOT, timeout=300)
    assert built.returncode == 0, built.stderr
    assert "outside every corpus folder" in built.stdout + built.stderr
    found = run_cli(
        *base, "search", "Lönelistan för hela kommunen", "--json", models_dir=models_dir, cwd=ROOT
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and all(h["doc_id"] not in ("hemlig", "annan") for h in hits)
