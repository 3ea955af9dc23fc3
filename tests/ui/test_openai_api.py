"""The OpenAI-compatible chat API beside the UI, through the official `openai` client over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.pipeline import Turn
from tests._support_ui import Served, serve_small_corpus

openai = pytest.importorskip("openai")

FIRST = "Vilken metod passar för att nå unga om en ny park?"
SECOND = "Vi har 3 000 000 kr och 40 veckor och vill ta fram genomarbetade rekommendationer. Vilken metod passar då?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Served]:
    """One app for the module (the API is stateless): fake embedder, the small corpus."""
    with serve_small_corpus(tmp_path_factory.mktemp("openai"), models_dir) as s:
        yield s


@pytest.fixture(scope="module")
def client(served: Served) -> Any:
    """The official OpenAI client pointed at the running app."""
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key="not-needed", max_retries=0, timeout=60)


def test_models_lists_metodguiden(client: Any) -> None:
    assert [m.id for m in client.models.list().data] == ["metodguiden"]


def test_a_two_turn_conversation_carries_the_history(client: Any, served: Served) -> None:
    first = client.chat.completions.create(model="metodguiden", messages=[{"role": "user", "content": FIRST}])
    text = first.choices[0].message.content
    assert first.choices[0].finish_reason == "stop" and "[1]" in text and "Källor:" in text
    extra = first.model_extra["metodguiden"]
    assert extra["intent"] == "method_fit" and extra["citations"] and extra["recommended_methods"]
    expected = served.assistant.ask(FIRST).to_json()
    assert text.startswith(expected["answer"].rstrip())  # the same cited text as the UI and /ask
    messages = [
        {"role": "system", "content": "Du är en hjälpsam assistent."},
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": text},
        {"role": "user", "content": SECOND},
    ]
    second = client.chat.completions.create(model="metodguiden", messages=messages)
    extra2 = second.model_extra["metodguiden"]
    assert extra2["profile"]["budget_sek"] == 3000000
    assert "unga" in extra2["profile"]["target_groups"]  # read from the first turn: the history counts
    direct = served.assistant.ask(SECOND, [Turn("user", FIRST), Turn("assistant", text)]).to_json()
    assert extra2["recommended_methods"] == direct["recommended_methods"]


def test_streaming_sends_openai_chunks_and_ends_with_the_citations(client: Any) -> None:
    stream = client.chat.completions.create(
        model="metodguiden", messages=[{"role": "user", "content": FIRST}], stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    plain = client.chat.completions.create(model="metodguiden", messages=[{"role": "user", "content": FIRST}])
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["metodguiden"]["citations"] == plain.model_extra["metodguiden"]["citations"]


def test_the_stream_is_server_sent_events_ending_in_done(served: Served) -> None:
    import httpx

    body = {"model": "metodguiden", "stream": True, "messages": [{"role": "user", "content": FIRST}]}
    with httpx.stream("POST", f"{served.url}/v1/chat/completions", json=body, timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    assert json.loads(lines[0][6:])["object"] == "chat.completion.chunk"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"model": "metodguiden", "messages": []}, 400, "messages"),
        ({"model": "metodguiden"}, 400, "messages"),
        ({"model": "metodguiden", "messages": "hej"}, 400, "messages"),
        ({"model": "metodguiden", "messages": [{"role": "user", "content": 5}]}, 400, "content"),
        ({"model": "metodguiden", "messages": [{"role": "robot", "content": "hej"}]}, 400, "role"),
        (
            {"model": "metodguiden", "messages": [{"role": "assistant", "content": "hej"}]},
            400,
            "last message",
        ),
        ({"model": "metodguiden", "messages": [{"role": "user", "content": "ord " * 600}]}, 400, "too long"),
        ({"model": "metodguiden", "messages": [{"role": "user", "content": "   "}]}, 400, "tom"),
        (
            {"model": "metodguiden", "stream": "ja", "messages": [{"role": "user", "content": FIRST}]},
            400,
            "stream",
        ),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": FIRST}]}, 404, "gpt-4o"),
    ],
)
def test_bad_requests_get_a_clear_4xx(served: Served, body: dict[str, Any], status: int, words: str) -> None:
    import httpx

    r = httpx.post(f"{served.url}/v1/chat/completions", json=body, timeout=60)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert words in error["message"] and error["type"] == "invalid_request_error"


def test_the_openai_client_raises_bad_request_with_the_message(client: Any) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="metodguiden", messages=[{"role": "assistant", "content": "Hej"}]
        )
    assert info.value.status_code == 400 and "last message must come from the user" in str(info.value)
    broken = client.with_options(max_retries=0)
    with pytest.raises(openai.BadRequestError):
        broken.chat.completions.create(model="metodguiden", messages=[])


def test_ask_takes_the_history_and_the_profile(served: Served) -> None:
    from gradio_client import Client

    gc = Client(served.url, verbose=False)
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "Se metoderna ovan."}]
    data = gc.predict("Vi har 3 000 000 kr. Vilken metod passar då?", "", history, api_name="/ask")
    assert data["profile"]["budget_sek"] == 3000000 and "unga" in data["profile"]["target_groups"]
    profile = json.dumps({**data["profile"], "time_weeks": 40})
    edited = gc.predict("Vilken metod passar?", profile, history, api_name="/ask")
    assert edited["profile"]["time_weeks"] == 40
