"""The real `metodguiden` CLI in a child process: exit codes, messages, and the JSON contracts."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.lexicon import lexicon
from tests._support_cli import run_cli
from tests.conftest import METHOD_TEMPLATE


def _write_card(folder: Path, id: str, title: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{id}.md"
    path.write_text(
        METHOD_TEMPLATE.format(
            id=id, title=title, alias=f"{id} alias", summary=f"{title} är en testmetod.", body=body
        ),
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Workspace:
    """A corpus and a data dir indexed once with the fake embedder, shared by the read-only tests."""

    root: Path
    corpus: Path
    data: Path
    models: Path
    first_index: subprocess.CompletedProcess[str]

    def run(
        self, *args: str | Path, data: Path | None = None, **kw: object
    ) -> subprocess.CompletedProcess[str]:
        """The CLI with this workspace's global options (fake embedder, temp data dir)."""
        return run_cli(
            "--data-dir",
            data or self.data,
            "--corpus",
            self.corpus,
            "--embedder",
            "fake64",
            *args,
            models_dir=self.models,
            cwd=self.root,
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Workspace:
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    _write_card(corpus / "methods", "budgetmetod", "Budgetmetoden", "Invånarna röstar om pengar i budgeten.")
    _write_card(corpus / "methods", "vandring", "Vandringsmetoden", "Trygghetsvandring en mörk kväll.")
    _write_card(corpus / "methods", "samtal", "Samtalsmetoden", "Ett samtal i liten grupp med en moderator.")
    first = run_cli(
        "--data-dir",
        root / "data",
        "--corpus",
        corpus,
        "--embedder",
        "fake64",
        "index",
        models_dir=models_dir,
        cwd=root,
    )
    return Workspace(root, corpus, root / "data", models_dir, first)


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


def _error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


# ---------------------------------------------------------------- index


def test_index_then_index_again_is_current(ws: Workspace) -> None:
    first = ws.first_index
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Indexerade 3 dokument, ")
    chunks = int(first.stdout.split(", ")[1].split()[0])
    assert f"({chunks} nya, 0 återanvända, 0 borttagna)" in first.stdout
    again = ws.run("index")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Indexet är aktuellt: 3 dokument, {chunks} avsnitt."


def test_index_reports_a_broken_file_and_indexes_the_rest(ws: Workspace, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_card(corpus, "hel", "Hela metoden", "Text.")
    broken = _write_card(corpus, "trasig", "Trasiga metoden", "Text.")
    broken.write_text(broken.read_text().replace("scale: [kommun]", "scale: [planet]"))
    done = run_cli(
        "--data-dir",
        tmp_path / "data",
        "--corpus",
        corpus,
        "--embedder",
        "fake64",
        "index",
        models_dir=ws.models,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Indexerade 1 dokument, ")
    assert (
        f"Hoppade över: {broken}:18: scale.0: 'planet' is not a known scale value; use one of:" in done.stderr
    )
    _no_traceback(done)


# ---------------------------------------------------------------- search


SEARCH_KEYS = {"rank", "score", "chunk_id", "doc_id", "title", "section", "kind", "url", "text"}


def test_search_json(ws: Workspace) -> None:
    done = ws.run("search", "Trygghetsvandring en mörk kväll", "-k", "3", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 3
    assert all(set(r) == SEARCH_KEYS for r in rows)
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["doc_id"] == "vandring" and rows[0]["section"] == "Vad är det"
    assert rows[0]["url"] == "https://example.org/a"
    assert rows[0]["chunk_id"].startswith("vandring:")


@pytest.mark.parametrize(
    ("options", "check"),
    [
        (["--mode", "keyword"], lambda r: r["score"] > 0),
        (["--doc", "samtal"], lambda r: r["doc_id"] == "samtal"),
        (["--kind", "method", "--lang", "sv", "--mode", "dense"], lambda r: r["kind"] == "method"),
    ],
)
def test_search_options(ws: Workspace, options: list[str], check: object) -> None:
    done = ws.run("search", "budget pengar samtal moderator", "-k", "4", *options, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(check(r) for r in rows)  # type: ignore[operator]


def test_search_human_output(ws: Workspace) -> None:
    done = ws.run("search", "budget", "-k", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1. ") and "(budgetmetod)" in done.stdout
    _no_traceback(done)


@pytest.mark.parametrize(
    ("options", "message", "hint"),
    [
        (["--mode", "fuzzy"], "Fel: Unknown mode 'fuzzy'.", "Tips: Use hybrid, dense or keyword."),
        (["--kind", "recipe"], "Fel: Unknown kind 'recipe'.", "Tips: Use method, course, principle or case."),
        (["--lang", "de"], "Fel: Unknown language 'de'.", "Tips: Use sv or en."),
    ],
)
def test_bad_search_option_is_one_line_and_a_hint(
    ws: Workspace, options: list[str], message: str, hint: str
) -> None:
    done = ws.run("search", "budget", *options)
    assert done.returncode == 1
    assert _error_lines(done) == [message, hint]


def test_error_text_with_brackets_is_printed_verbatim(ws: Workspace) -> None:
    done = ws.run("search", "budget", "--mode", "[/]")
    assert done.returncode == 1
    assert _error_lines(done)[0] == "Fel: Unknown mode '[/]'."


# ---------------------------------------------------------------- ask


def test_ask_json_contract(ws: Workspace) -> None:
    done = ws.run("ask", "Hur röstar invånarna om pengar i budgeten?", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {
        "answer",
        "language",
        "citations",
        "recommended_methods",
        "abstained",
        "clarifying_question",
    } <= set(data)
    assert isinstance(data["answer"], str) and data["answer"].strip()
    assert data["language"] == "sv"
    assert isinstance(data["abstained"], bool)
    assert data["clarifying_question"] is None or isinstance(data["clarifying_question"], str)
    assert data["citations"], data
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    for c in data["citations"]:
        assert {"n", "chunk_id", "doc_id", "title", "section", "url", "quote"} <= set(c)
        assert c["chunk_id"].startswith(c["doc_id"] + ":")
        assert c["doc_id"] in {"budgetmetod", "vandring", "samtal"}
        assert c["url"].startswith("https://example.org/")
        assert isinstance(c["quote"], str) and c["quote"]
    assert any(c["doc_id"] == "budgetmetod" for c in data["citations"])
    for m in data["recommended_methods"]:
        assert set(m) >= {"id", "title", "score", "reasons"}
        assert isinstance(m["score"], int | float) and all(isinstance(r, str) for r in m["reasons"])


def test_ask_in_english_answers_in_english(ws: Workspace) -> None:
    done = ws.run("ask", "What is the best way for residents to vote on the budget?", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["language"] == "en"


def test_ask_human_output_lists_sources(ws: Workspace) -> None:
    done = ws.run("ask", "Hur röstar invånarna om pengar i budgeten?")
    assert done.returncode == 0, done.stderr
    assert "Källor:" in done.stdout and "https://example.org/" in done.stdout


def test_empty_question_is_one_line_and_a_hint(ws: Workspace) -> None:
    done = ws.run("ask", "   ")
    assert done.returncode == 1
    lines = _error_lines(done)
    assert lines[0] == "Fel: Frågan är tom." and lines[1].startswith("Tips: ") and len(lines) == 2


# ---------------------------------------------------------------- errors: hint without, traceback with --debug


def test_search_without_index_says_run_index(ws: Workspace, tmp_path: Path) -> None:
    done = ws.run("search", "budget", data=tmp_path / "empty")
    assert done.returncode == 1
    lines = _error_lines(done)
    assert len(lines) == 2
    assert lines[0].startswith("Fel: No index for the embedder 'fake64' in ")
    assert lines[1] == "Tips: Run `metodguiden index`."
    _no_traceback(done)


def test_debug_shows_the_traceback(ws: Workspace, tmp_path: Path) -> None:
    done = run_cli(
        "--debug",
        "--data-dir",
        tmp_path / "empty",
        "--corpus",
        ws.corpus,
        "--embedder",
        "fake64",
        "search",
        "x",
        models_dir=ws.models,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "IndexNotBuiltError" in done.stderr
    assert "Tips:" not in done.stderr


def test_bad_setting_in_the_environment(ws: Workspace) -> None:
    done = ws.run("models", "status", env={"METODGUIDEN_TOP_K": "abc"})
    assert done.returncode == 1
    assert _error_lines(done) == ["Fel: Setting top_k must be a whole number, got 'abc'."]


def test_bad_setting_in_the_config_file(ws: Workspace, tmp_path: Path) -> None:
    toml = tmp_path / "mg.toml"
    toml.write_text("top_k = 3\ncolour = 'röd'\n")
    done = ws.run("--config", toml, "models", "status")
    assert done.returncode == 1
    lines = _error_lines(done)
    assert lines[0] == f"Fel: {toml}: unknown setting 'colour'." and lines[1].startswith("Tips: Known: ")


def test_missing_model_says_install(ws: Workspace, tmp_path: Path) -> None:
    done = run_cli(
        "--data-dir",
        tmp_path / "data",
        "--corpus",
        ws.corpus,
        "--embedder",
        "gemma",
        "ask",
        "Vad är en metod?",
        models_dir=tmp_path / "no-models",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    lines = _error_lines(done)
    assert lines[0].startswith("Fel: EmbeddingGemma is not installed in ")
    assert lines[1] == "Tips: Run `metodguiden models install`."


# ---------------------------------------------------------------- corpus and models


def test_corpus_validate_ok(ws: Workspace) -> None:
    done = ws.run("corpus", "validate")
    assert done.returncode == 0
    assert done.stdout.strip() == "3 dokument giltiga, 0 problem."


def test_corpus_validate_lists_file_line_field_message(ws: Workspace, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_card(corpus, "hel", "Hela metoden", "Text.")
    broken = _write_card(corpus, "trasig", "Trasiga metoden", "Text.")
    broken.write_text(
        broken.read_text()
        .replace("formats: [fysiskt]", "formats: [telepati]")
        .replace("lang: sv", "lang: fi")
    )
    done = run_cli("--corpus", corpus, "corpus", "validate", models_dir=ws.models, cwd=tmp_path)
    assert done.returncode == 1
    assert _error_lines(done) == [
        f"{broken}:6: lang: Input should be 'sv' or 'en'",
        f"{broken}:16: formats.0: 'telepati' is not a known formats value; use one of: "
        + ", ".join(lexicon().values("formats")),
    ]
    assert done.stdout.strip() == "1 dokument giltiga, 2 problem."


def test_corpus_list_json(ws: Workspace) -> None:
    done = ws.run("corpus", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert sorted(r["id"] for r in rows) == ["budgetmetod", "samtal", "vandring"]
    assert all(r["sources"] == ["https://example.org/a", "https://example.org/b"] for r in rows)


def test_models_status(ws: Workspace, tmp_path: Path) -> None:
    done = ws.run("models", "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 5 and all(line.startswith("ok ") for line in lines)
    assert str(ws.models / "embeddinggemma-300m") in done.stdout
    assert str(ws.models / "embeddinggemma-300m-onnx") in done.stdout
    missing = run_cli("models", "status", models_dir=tmp_path / "none", cwd=tmp_path)
    assert missing.returncode == 1
    assert [line.split()[0] for line in missing.stdout.splitlines()[:3]] == ["saknas"] * 3
