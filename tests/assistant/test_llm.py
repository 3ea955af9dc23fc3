"""The LLM backend against a scripted OpenAI-compatible server on loopback (streamed SSE, errors, no server)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.context import AdviceContext
from assistant.answer.generator import Composer
from assistant.answer.llm import LLMGenerator, budget_sources, validate_citations
from assistant.config import Settings
from assistant.types import Answer, Chunk, ContextProfile, Intent, ScoredChunk

# --- the scripted server ----------------------------------------------------------------------------


@dataclass
class Script:
    """What the server answers next, and every request body it received."""

    pieces: list[str] = field(default_factory=list)  # streamed as separate SSE chunks
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        return None

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.script.requests.append({"path": self.path, **body})
        if self.path != "/v1/chat/completions" or self.script.status != 200:
            payload = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
            self.send_response(self.script.status if self.script.status != 200 else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        base = {"id": "chatcmpl-1", "created": 0, "model": body.get("model", "")}
        if not body.get("stream"):
            text = "".join(self.script.pieces)
            payload = json.dumps(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
        deltas = [{"role": "assistant", "content": ""}] + [{"content": p} for p in self.script.pieces]
        for i, delta in enumerate(deltas):
            last = i == len(deltas) - 1
            chunk = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if last else None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@pytest.fixture()
def server() -> Iterator[tuple[str, Script]]:
    """(base URL, script) of a scripted OpenAI-compatible server on 127.0.0.1."""
    script = Script()
    handler = type("Handler", (_Handler,), {"script": script})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- contexts ---------------------------------------------------------------------------------------

PASSAGES = [
    (
        "medborgarrad",
        "Medborgarråd",
        "Vad är det",
        "Ett medborgarråd är en lottad grupp invånare som överlägger.",
    ),
    ("medborgarrad", "Medborgarråd", "Resurser och tid", "Ett medborgarråd tar ofta fyra till nio månader."),
    ("fokusgrupp", "Fokusgrupp", "Vad är det", "En fokusgrupp är ett lett samtal i en liten grupp."),
]


def _scored(i: int, doc: str, title: str, section: str, text: str) -> ScoredChunk:
    chunk = Chunk(
        id=f"{doc}:{i:016x}",
        doc_id=doc,
        text=text,
        title=title,
        section=section,
        kind="method",
        lang="sv",
        urls=(f"https://example.org/{doc}",),
        licence="CC-BY-4.0",
    )
    return ScoredChunk(chunk, 1.0 / (i + 1), i + 1, "test")


def _ctx(
    question: str = "Vad är ett medborgarråd?",
    intent: Intent = "general",
    passages: tuple[ScoredChunk, ...] = (),
) -> AdviceContext:
    passages = passages or tuple(_scored(i, *p) for i, p in enumerate(PASSAGES))
    return AdviceContext(question, "sv", intent, ContextProfile(), passages=passages)


@pytest.fixture()
def make_settings(models_dir: Path) -> Callable[..., Settings]:
    def make(base_url: str, **kw: Any) -> Settings:
        return Settings(
            models_dir=models_dir,
            generator="llm",
            llm_base_url=base_url,
            llm_model="scripted",
            llm_timeout_s=10,
            **kw,
        )

    return make


# --- answers ----------------------------------------------------------------------------------------


def test_streamed_answer_keeps_valid_citations_renumbered(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    # The model cites source 2 first, then 1 and 2; markers are split over SSE chunks on purpose.
    script.pieces = [
        "Ett medborgarråd tar ofta fyra till nio månader [",
        "2]. Det är en lottad ",
        "grupp [1][2].",
    ]
    ctx = _ctx()
    answer = LLMGenerator(make_settings(url)).generate(ctx)
    assert (
        answer.text == "Ett medborgarråd tar ofta fyra till nio månader [1]. Det är en lottad grupp [2][1]."
    )
    assert [(c.n, c.section) for c in answer.citations] == [(1, "Resurser och tid"), (2, "Vad är det")]
    assert [c.chunk_id for c in answer.citations] == [ctx.passages[1].chunk.id, ctx.passages[0].chunk.id]
    assert answer.citations[0].url == "https://example.org/medborgarrad"
    assert not answer.abstained and answer.notes == ()
    assert len(script.requests) == 1 and script.requests[0]["stream"] is True


def test_stream_yields_the_deltas_in_order(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    script.pieces = ["Ett ", "medborgarråd ", "[1]."]
    assert "".join(LLMGenerator(make_settings(url)).deltas(_ctx())) == "Ett medborgarråd [1]."


def test_stream_yields_the_model_deltas_then_the_checked_answer(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    script.pieces = ["Ett ", "medborgarråd ", "[1] [9]."]
    generator = LLMGenerator(make_settings(url))
    parts = list(generator.stream(_ctx()))
    assert generator.streams
    assert parts[:-1] == ["Ett ", "medborgarråd ", "[1] [9]."]  # the model's own deltas, as written
    final = parts[-1]
    assert isinstance(final, Answer) and final.text == "Ett medborgarråd [1]."  # checked: [9] removed
    assert final.notes and final.citations


def test_stream_from_a_failing_server_yields_only_the_composed_answer(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    script.status = 500
    parts = list(LLMGenerator(make_settings(url)).stream(_ctx()))
    assert len(parts) == 1 and isinstance(parts[0], Answer)
    assert parts[0].text == Composer().generate(_ctx()).text
    assert "kompositören" in parts[0].notes[-1]


def test_the_composer_streams_its_finished_answer_at_once() -> None:
    composer = Composer()
    assert not composer.streams
    assert list(composer.stream(_ctx())) == [composer.generate(_ctx())]


def test_invalid_markers_are_removed_and_reported(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    script.pieces = [
        "Ett medborgarråd överlägger [1]. ",
        "Det kostar en miljon [7]. ",
        "En fokusgrupp är liten [3, 9].",
    ]
    answer = LLMGenerator(make_settings(url)).generate(_ctx())
    assert answer.text == "Ett medborgarråd överlägger [1]. Det kostar en miljon. En fokusgrupp är liten [2]."
    assert [c.doc_id for c in answer.citations] == ["medborgarrad", "fokusgrupp"]
    assert any("[7, 9]" in n and "Tog bort" in n for n in answer.notes)


@pytest.mark.parametrize("reply", ["Ett medborgarråd är bra.", "Ett medborgarråd är bra [12].", ""])
def test_no_valid_citation_falls_back_to_the_composer(
    server: tuple[str, Script], make_settings: Callable[..., Settings], reply: str
) -> None:
    url, script = server
    script.pieces = [reply]
    ctx = _ctx()
    answer = LLMGenerator(make_settings(url)).generate(ctx)
    expected = Composer().generate(ctx)
    assert answer.text == expected.text and answer.citations == expected.citations
    assert answer.citations  # the composer cites the passages
    assert any("saknade giltiga källhänvisningar" in n for n in answer.notes)
    assert len(script.requests) == 1


def test_server_error_falls_back_with_a_note(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    script.status = 500
    ctx = _ctx()
    answer = LLMGenerator(make_settings(url)).generate(ctx)
    assert answer.text == Composer().generate(ctx).text
    assert len(script.requests) == 1  # no retries
    note = answer.notes[-1]
    assert url in note and "Svaret skrevs av kompositören" in note


def test_no_server_falls_back_with_a_note(make_settings: Callable[..., Settings]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    ctx = _ctx()
    answer = LLMGenerator(make_settings(url)).generate(ctx)
    assert answer.text == Composer().generate(ctx).text
    assert answer.citations
    assert url in answer.notes[-1] and "kompositören" in answer.notes[-1]


def test_out_of_scope_never_reaches_the_server(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    answer = LLMGenerator(make_settings(url)).generate(_ctx("Vad blir vädret?", intent="out_of_scope"))
    assert answer.abstained and script.requests == []


# --- the request ------------------------------------------------------------------------------------


def test_request_holds_numbered_sources_and_the_question(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    url, script = server
    script.pieces = ["Svar [1]."]
    LLMGenerator(make_settings(url)).generate(_ctx("Vad är ett medborgarråd?"))
    body = script.requests[0]
    assert body["path"] == "/v1/chat/completions" and body["model"] == "scripted"
    system, user = body["messages"]
    assert system["role"] == "system" and "ENDAST de numrerade källorna" in system["content"]
    assert user["role"] == "user"
    for n, (_, title, section, text) in enumerate(PASSAGES, start=1):
        assert f"[{n}] {title} – {section}: {text}" in user["content"]
    assert user["content"].rstrip().endswith("Fråga: Vad är ett medborgarråd?")


def test_request_sources_stay_within_the_token_budget(
    server: tuple[str, Script], make_settings: Callable[..., Settings]
) -> None:
    import tiktoken

    url, script = server
    script.pieces = ["Svar [1]."]
    budget = 600
    settings = make_settings(url, llm_context_tokens=budget)
    enc = tiktoken.get_encoding(settings.encoding_name)
    long_text = " ".join(f"Mening {i} om medborgarråd och lottning i kommunen." for i in range(10))
    passages = tuple(_scored(i, "medborgarrad", "Medborgarråd", f"Del {i}", long_text) for i in range(10))
    per_chunk = len(enc.encode(long_text)) + 20
    assert per_chunk * len(passages) > budget  # the test only means something if not everything fits
    LLMGenerator(settings).generate(_ctx(passages=passages))
    content = script.requests[0]["messages"][1]["content"]
    sent = re.findall(r"^\[(\d+)\] Medborgarråd – Del \d+: (.*)$", content, flags=re.MULTILINE)
    assert 1 <= len(sent) < len(passages)
    assert [int(n) for n, _ in sent] == list(range(1, len(sent) + 1))
    assert sum(len(enc.encode(text)) + 20 for _, text in sent) <= budget
    assert len(sent) == budget // per_chunk  # as many as fit, in retrieval order


# --- wired into the pipeline -------------------------------------------------------------------------


def test_assistant_with_the_llm_setting_answers_through_the_server(
    server: tuple[str, Script], make_settings: Callable[..., Settings], small_corpus: Path, tmp_path: Path
) -> None:
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant, index_corpus

    url, script = server
    script.pieces = ["Ett medborgarråd är en lottad grupp invånare [1]."]
    settings = make_settings(url, data_dir=tmp_path / "data", corpus_dirs=(small_corpus,), embedder="fake64")
    index_corpus(settings, make_embedder(settings))
    assistant = Assistant.from_settings(settings)
    assert isinstance(assistant.generator, LLMGenerator)
    answer = assistant.ask("Vad är ett medborgarråd?")
    assert answer.intent == "factual" and answer.text == "Ett medborgarråd är en lottad grupp invånare [1]."
    (citation,) = answer.citations
    chunk = assistant.index.chunks[citation.chunk_id]
    assert (chunk.doc_id, chunk.section) == ("medborgarrad", "Sammanfattning")  # source 1: the card's summary
    content = script.requests[0]["messages"][1]["content"]
    assert f"[1] {chunk.title} – Sammanfattning: {chunk.text}" in content


# --- pure helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "valid", "clean", "cited", "removed"),
    [
        ("A [1]. B [2].", {1, 2}, "A [1]. B [2].", [1, 2], []),
        ("A [2]. B [1][2].", {1, 2}, "A [2]. B [1][2].", [2, 1], []),
        ("A [3].", {1, 2}, "A.", [], [3]),
        ("A [1, 3].", {1}, "A [1].", [1], [3]),
        ("A [0] och [1].", {1}, "A och [1].", [1], [0]),
        ("Inga hänvisningar.", {1}, "Inga hänvisningar.", [], []),
    ],
)
def test_validate_citations(
    text: str, valid: set[int], clean: str, cited: list[int], removed: list[int]
) -> None:
    assert validate_citations(text, valid) == (clean, cited, removed)


def test_budget_sources_keeps_order_and_stops_at_the_budget(models_dir: Path) -> None:
    chunks = [_scored(i, "d", "T", "S", "ord " * n) for i, n in enumerate([50, 50, 500, 10])]
    kept = budget_sources(chunks, 150, "o200k_base")
    assert [sc.chunk.id for sc in kept] == [chunks[0].chunk.id, chunks[1].chunk.id]
    assert budget_sources(chunks, 10, "o200k_base") == []
