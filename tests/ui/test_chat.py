"""The UI's logic without a browser: profile edits, streamed answers (composer and LLM), feedback, trainer ops."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import FakeEmbedder, Role
from assistant.errors import ConfigError, QuestionError
from assistant.pipeline import Assistant, index_corpus
from tests._support_ui import ROOT, free_port
from ui.chat import answer_stream, config_json, resolve_profile
from ui.feedback import list_feedback, save_rating, set_comment
from ui.profile_form import form_to_profile, profile_to_form
from ui.trainer_ops import (
    ReindexJob,
    add_to_corpus,
    check_login,
    corpus_overview,
    export_candidates,
    hash_password,
    review_uploads,
    verify_password,
)


@pytest.fixture()
def settings(fake_settings: Settings, small_corpus: Path) -> Settings:
    """Fake embedder on the small corpus."""
    return fake_settings.replace(corpus_dirs=(small_corpus,))


@pytest.fixture()
def assistant(settings: Settings) -> Assistant:
    """An assistant over a freshly built index, wired for the UI."""
    index_corpus(settings, FakeEmbedder(64))
    return Assistant.from_settings(settings, FakeEmbedder(64))


# --- profile and streaming ----------------------------------------------------------------------------


def test_form_edits_win_over_the_question_and_no_edits_mean_no_override(assistant: Assistant) -> None:
    q = "Vilken metod passar för att nå unga? Vi har 100 000 kr."
    profile, fresh = resolve_profile(assistant, q, [], {}, form_to_profile(profile_to_form({})))
    assert fresh["budget_sek"] == 100000 and profile is None
    form = form_to_profile(profile_to_form({**fresh, "budget_sek": 3000000}))
    profile, fresh = resolve_profile(assistant, q, [], fresh, form)
    assert profile is not None and profile.budget_sek == 3000000
    assert profile.target_groups == (
        "unga",
    )  # what the question says is kept where the official did not edit
    with pytest.raises(QuestionError):
        resolve_profile(assistant, "   ", [], {}, form)


def test_a_composed_answer_arrives_at_once_as_one_finished_item(assistant: Assistant) -> None:
    events = list(answer_stream(assistant, "Hur går en fokusgrupp till?"))
    assert len(events) == 1  # no pieces handed out with pauses: the composer's answer is shown at once
    text, final = events[0]
    assert final is not None and text == final.text and final.citations


class _FakeOpenAI(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on loopback that streams a fixed answer (or fails)."""

    deltas: Sequence[str] = ()
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        if self.status != 200:
            self.send_response(self.status)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i, delta in enumerate(self.deltas):
            chunk = {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "fake",
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": delta} if i else {"role": "assistant", "content": delta},
                    }
                ],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture()
def llm_server() -> Iterator[Callable[[Sequence[str], int], str]]:
    """Start a fake endpoint with the given deltas and status; returns its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(deltas: Sequence[str], status: int = 200) -> str:
        handler = type("H", (_FakeOpenAI,), {"deltas": tuple(deltas), "status": status})
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for s in servers:
        s.shutdown()


def _llm_assistant(settings: Settings, url: str) -> Assistant:
    index_corpus(settings, FakeEmbedder(64))
    llm = settings.replace(generator="llm", llm_base_url=url, llm_model="fake", llm_timeout_s=5)
    return Assistant.from_settings(llm, FakeEmbedder(64))


def test_llm_deltas_stream_as_they_arrive_and_citations_are_checked(
    settings: Settings, llm_server: Callable[..., str]
) -> None:
    url = llm_server(["En fokus", "grupp är ett ", "samtal [1]. Påhittad [99]."])
    a = _llm_assistant(settings, url)
    assert a.generator.streams  # the UI wraps nothing: the generator itself declares that it streams
    events = list(answer_stream(a, "Hur går en fokusgrupp till?"))
    partial = [t for t, ans in events if ans is None]
    assert partial == ["En fokus", "En fokusgrupp är ett ", "En fokusgrupp är ett samtal [1]. Påhittad [99]."]
    final = events[-1][1]
    assert (
        final is not None
        and "[99]" not in final.text
        and final.text.startswith("En fokusgrupp är ett samtal [1]")
    )
    assert len(final.citations) == 1 and any("99" in n for n in final.notes)


def test_a_failing_llm_endpoint_falls_back_to_the_composer(
    settings: Settings, llm_server: Callable[..., str]
) -> None:
    a = _llm_assistant(settings, llm_server([], 500))
    final = list(answer_stream(a, "Hur går en fokusgrupp till?"))[-1][1]
    assert final is not None and final.citations and any("kompositören" in n for n in final.notes)


def test_config_json_names_the_generator_embedder_and_index(assistant: Assistant) -> None:
    cfg = json.loads(config_json(assistant))
    assert cfg["embedder"] == "fake64" and cfg["generator"] == "composer"
    assert cfg["index_generation"] == assistant.index.manifest["generation"]


# --- feedback -----------------------------------------------------------------------------------------


def test_ratings_are_stored_in_wal_mode_listed_and_commented(tmp_path: Path) -> None:
    db = tmp_path / "fb" / "feedback.sqlite3"
    good = save_rating(db, "Fråga ett?", {"answer": "Svar"}, 1, "", "{}")
    bad = save_rating(db, "Fråga två?", {"answer": "Dåligt"}, -1, "fel metod", "{}")
    set_comment(db, good, "bra källor")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = list_feedback(db)
    assert {(r["id"], r["rating"], r["comment"]) for r in rows} == {
        (good, 1, "bra källor"),
        (bad, -1, "fel metod"),
    }
    assert [r["question"] for r in list_feedback(db, only_bad=True)] == ["Fråga två?"]
    assert list_feedback(tmp_path / "none.sqlite3") == []


def test_a_rating_survives_an_abrupt_kill_of_the_process(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    code = (
        "import os, signal, sys; from pathlib import Path; from ui.feedback import save_rating; "
        f"save_rating(Path({str(db)!r}), 'Överlevde?', {{'answer': 'ja'}}, -1, 'kill'); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT question, rating, comment FROM feedback").fetchall() == [
            ("Överlevde?", -1, "kill")
        ]


def test_thumbs_down_export_as_candidate_gold_cases(tmp_path: Path) -> None:
    db = tmp_path / "fb.sqlite3"
    save_rating(
        db, "Vilken metod passar för unga?", {"answer": "x", "intent": "method_fit"}, -1, "saknar skäl"
    )
    save_rating(db, "Bra fråga?", {"answer": "y"}, 1)
    out = tmp_path / "cands.jsonl"
    assert export_candidates(db, out, tmp_path / "no-gold") == 1
    case = json.loads(out.read_text(encoding="utf-8"))
    assert case["question"] == "Vilken metod passar för unga?" and case["category"] == "method_fit"
    assert case["expected_methods"] == [] and case["expected_behavior"] == "answer"
    assert export_candidates(tmp_path / "missing.sqlite3", out, tmp_path) == 0


# --- trainer login ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "user", "password", "ok"),
    [
        ({"trainer_user": "u", "trainer_password": "p"}, "u", "p", True),
        ({"trainer_user": "u", "trainer_password": "p"}, "u", "P", False),
        ({"trainer_user": "u", "trainer_password": "p"}, "x", "p", False),
        ({"trainer_user": "u"}, "u", "", False),  # no password set: locked
        ({}, "", "", False),
        (
            {"trainer_user": "u", "trainer_password_hash": hash_password("hemligt", 1000)},
            "u",
            "hemligt",
            True,
        ),
        ({"trainer_user": "u", "trainer_password_hash": hash_password("hemligt", 1000)}, "u", "fel", False),
    ],
)
def test_check_login(configured: dict[str, str], user: str, password: str, ok: bool) -> None:
    assert check_login(Settings(**configured), user, password) is ok


def test_a_malformed_password_hash_is_a_config_error_with_a_hint() -> None:
    with pytest.raises(ConfigError) as info:
        verify_password("x", "sha1$abc")
    assert "hash_password" in info.value.hint
    assert verify_password("x", hash_password("x", 1000))


def test_password_is_not_in_the_settings_repr() -> None:
    assert "hemligt" not in repr(Settings(trainer_user="u", trainer_password="hemligt"))


# --- uploads and reindex ------------------------------------------------------------------------------


def _uploads(folder: Path, write_method: Callable[..., Path]) -> list[tuple[Path, str]]:
    good = write_method(folder, "grannskapsrad", title="Grannskapsråd", body="Ett zebrafinkråd i kvarteret.")
    draft = folder / "utkast.md"
    draft.write_text("---\nid: utkast\nkind: method\ntitle: Utkast\nlang: sv\n---\nText.\n", encoding="utf-8")
    yaml_error = folder / "yamlfel.md"
    yaml_error.write_text("---\ntitle: [trasig\n---\nText.\n", encoding="utf-8")
    old_word = folder / "gammal.doc"
    old_word.write_bytes(b"\xd0\xcf\x11\xe0")
    return [(p, p.name) for p in (good, draft, yaml_error, old_word)]


def test_review_reports_each_file_and_leaves_the_corpus_untouched(
    settings: Settings, write_method: Callable[..., Path], tmp_path: Path
) -> None:
    corpus = settings.corpus_dirs[0]
    before = sorted(corpus.rglob("*.md"))
    items = review_uploads(
        _uploads(tmp_path / "in", write_method), tmp_path / "staging", settings.corpus_dirs
    )
    assert [(r.name, r.status) for r in items] == [
        ("grannskapsrad.md", "ok"),
        ("utkast.md", "draft"),
        ("yamlfel.md", "refused"),
        ("gammal.doc", "refused"),
    ]
    assert items[0].kind == "method" and items[0].title == "Grannskapsråd"
    assert any(p.startswith("sources:") and "--" not in p for p in items[1].problems)
    assert "YAML" in items[2].problems[0] and ".docx" in items[3].problems[0]
    assert sorted(corpus.rglob("*.md")) == before
    again = review_uploads(
        [(Path(items[0].staged), "kopia.md")], tmp_path / "staging", [tmp_path / "staging"]
    )
    assert again[0].status == "refused" and "samma innehåll" in again[0].problems[0]


def test_reindex_in_the_background_adds_the_document_and_the_assistant_picks_it_up(
    assistant: Assistant, write_method: Callable[..., Path], tmp_path: Path
) -> None:
    corpus = assistant.settings.corpus_dirs[0]
    items = review_uploads(_uploads(tmp_path / "in", write_method), tmp_path / "staging", [corpus])
    added, problems = add_to_corpus(items, corpus)
    assert added == [corpus / "methods" / "grannskapsrad.md"] and problems == []
    old = assistant.index.manifest["generation"]
    job = ReindexJob(assistant)
    assert job.start()
    state = job.wait(60)
    assert state.status == "done" and "Indexet är uppdaterat" in state.message, state.message
    assert assistant.index.manifest["generation"] != old and "grannskapsrad" in assistant.cards
    ov = corpus_overview(assistant)
    assert ov["documents"] == 6 and ov["by_kind_lang"][("method", "sv")] == 5
    again, problems = add_to_corpus(items, corpus)
    assert again == [] and problems  # the staged file was moved; a second add finds nothing


class _BrokenEmbedder(FakeEmbedder):
    """The fake embedder, failing on documents: a reindex breaks half-way."""

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if role == "document":
            raise RuntimeError("disk full")
        return super().embed(texts, role)


def test_a_failed_reindex_leaves_the_old_index_serving(
    settings: Settings, write_method: Callable[..., Path]
) -> None:
    index_corpus(settings, FakeEmbedder(64))
    a = Assistant.from_settings(settings, _BrokenEmbedder(64))
    old = a.index.manifest["generation"]
    write_method(settings.corpus_dirs[0] / "methods", "ny-metod", title="Ny metod")
    job = ReindexJob(a)
    job.start()
    state = job.wait(60)
    assert state.status == "failed" and "disk full" in state.message
    assert a.index.manifest["generation"] == old and "ny-metod" not in a.cards
    assert a.ask("Hur går en fokusgrupp till?").citations


class _SlowEmbedder(FakeEmbedder):
    """The fake embedder, slow on documents: a reindex takes a while."""

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        if role == "document":
            time.sleep(0.1)
        return super().embed(texts, role)


def test_the_chat_answers_from_the_old_index_while_a_reindex_runs(
    settings: Settings, write_method: Callable[..., Path]
) -> None:
    index_corpus(settings, FakeEmbedder(64))
    a = Assistant.from_settings(settings.replace(embed_batch_size=4), _SlowEmbedder(64))
    old = a.index.manifest["generation"]
    for i in range(3):
        write_method(
            settings.corpus_dirs[0] / "methods", f"ny-metod-{i}", title=f"Ny metod {i}", body=f"Text {i}."
        )
    job = ReindexJob(a)
    job.start()
    answered = 0
    while job.state.status == "running":
        assert a.ask("Hur går en fokusgrupp till?").citations
        answered += 1
        if job.state.status == "running":
            assert a.index.manifest["generation"] == old
    assert answered >= 2 and job.wait(60).status == "done"
    assert a.index.manifest["generation"] != old and "ny-metod-2" in a.cards


def test_the_build_that_wrote_a_generation_waits_for_a_question_checking_the_old_one(
    settings: Settings, write_method: Callable[..., Path]
) -> None:
    index_corpus(settings, FakeEmbedder(64))
    a = Assistant.from_settings(settings, FakeEmbedder(64))
    old = a.index.manifest["generation"]
    write_method(settings.corpus_dirs[0] / "methods", "ny-metod", title="Ny metod", body="Text.")
    index_corpus(settings, FakeEmbedder(64))
    a._refreshing.acquire()  # a question's check is under way: it read the manifest before the build
    assert a.refresh() is False  # another question does not wait for it
    loaded: list[bool] = []
    build = threading.Thread(target=lambda: loaded.append(a.refresh(wait=True)))
    build.start()
    time.sleep(0.2)
    assert build.is_alive()  # the build waits for that check …
    a._refreshing.release()
    build.join(10)
    assert (
        loaded == [True] and a.index.manifest["generation"] != old and "ny-metod" in a.cards
    )  # … then loads
