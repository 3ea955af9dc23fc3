"""Hostile arguments to `/ask` and `/compare` through the real Gradio server: each a clear error and hint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.inputs import InputError, checked_history, checked_profile
from tests._support_ui import Served, serve_small_corpus

QUESTION = "Vilken metod passar för att nå unga om en ny park?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Served]:
    """The app on the small corpus with the fake embedder."""
    with serve_small_corpus(tmp_path_factory.mktemp("api-input"), models_dir) as s:
        yield s


@pytest.fixture(scope="module")
def client(served: Served) -> Any:
    """A gradio_client Client of the served app."""
    from gradio_client import Client

    return Client(served.url, verbose=False)


def _error(data: Any, *expected: str) -> None:
    assert isinstance(data, dict) and set(data) == {"error", "hint"}, data
    assert data["hint"] and all(e in data["error"] for e in expected), data


DEEP = '{"purposes": ' + "[" * 3000 + "]" * 3000 + "}"


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ('{"ages": [1]}', ("ages", "åldrar")),
        ('{"population": "many"}', ("population",)),
        ('{"population": 1e400}', ("population", "ändligt")),
        ('{"time_weeks": NaN}', ("time_weeks", "ändligt")),
        ('{"budget_sek": -5}', ("budget_sek",)),
        ('{"ages": [19, 13]}', ("lägsta åldern",)),
        ('{"colour": "blå"}', ("colour", "okänt fält")),
        ('{"scale": "\\ud800"}', ("scale",)),
        ("[1]", ("inte ett objekt",)),
        ("{inte json", ("inte giltig JSON",)),
        (DEEP, ("för djupt",)),
        ("x" * 30_000, ("för lång",)),
    ],
)
def test_ask_refuses_a_bad_profile_with_error_and_hint(
    client: Any, profile: str, expected: tuple[str, ...]
) -> None:
    _error(client.predict(QUESTION, profile, api_name="/ask"), "Profilen", *expected)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (5, "måste vara text"),
        ({"q": "x"}, "måste vara text"),
        (None, "måste vara text"),
        ("   ", "tom"),
    ],
)
def test_ask_refuses_a_bad_question(client: Any, question: Any, expected: str) -> None:
    _error(client.predict(question, "", api_name="/ask"), expected)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([{"role": "bot", "content": "x"}], "Meddelande 1"),
        ([{"role": "user", "content": {"a": {"b": {"c": 1}}}}], "Meddelande 1"),
        ("inte en lista", "Samtalet"),
        ([{"role": "user", "content": "x"}] * 101, "högst 100"),
    ],
)
def test_ask_refuses_a_bad_history(client: Any, history: Any, expected: str) -> None:
    _needs_history(client)
    _error(client.predict(QUESTION, "", history, api_name="/ask"), expected)


def _needs_history(client: Any) -> None:
    """The `history` argument of /ask arrives with the UI's conversation API (issue 12)."""
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/ask"]["parameters"]
    if "history" not in {p["parameter_name"] for p in params}:
        pytest.skip("/ask has no history parameter in this tree yet")


def _raw_call(url: str, api: str, body: str) -> Any:
    """POST a hand-written JSON body to Gradio's REST API (gradio_client cannot send a lone surrogate)."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as http:
        started = http.post(
            f"/gradio_api/call/{api}", content=body.encode(), headers={"content-type": "application/json"}
        )
        started.raise_for_status()
        stream = http.get(f"/gradio_api/call/{api}/{started.json()['event_id']}").text
    event = ""
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "complete":
            return json.loads(line.split(":", 1)[1])[0]
    raise AssertionError(f"no complete event in {stream[:500]!r}")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (json.dumps({"data": ["Hur når vi unga \ud800?", "", None]}), "UTF-8"),
        (json.dumps({"data": [QUESTION, "", [{"role": "user", "content": "hej \udfff"}]]}), "Meddelande 1"),
        (json.dumps({"data": [QUESTION, {"scale": "\ud800"}, None]}), "Profilen"),
    ],
)
def test_a_lone_surrogate_anywhere_is_refused(served: Served, client: Any, body: str, expected: str) -> None:
    if "Meddelande" in expected:
        _needs_history(client)
    _error(_raw_call(served.url, "ask", body), expected)


def test_a_good_profile_and_history_still_answer(client: Any) -> None:
    history = [
        {"role": "user", "content": "Vi planerar en park."},
        {"role": "assistant", "content": [{"type": "text", "text": "Berätta mer."}]},
    ]
    profile = json.dumps({"population": 5000, "ages": [13, 19], "budget_sek": 100000, "time_weeks": 8})
    _needs_history(client)
    data = client.predict(QUESTION, profile, history, api_name="/ask")
    assert "error" not in data and data["profile"]["ages"] == [13, 19] and data["citations"]


@pytest.mark.parametrize(
    ("methods", "profile", "expected"),
    [
        ("fokusgrupp", "", "lista"),
        ([1, 2], "", "lista"),
        ([["fokusgrupp"], "medborgarrad"], "", "lista"),
        (["fokusgrupp", "medborgarrad"], '{"population": 1e400}', "Profilen"),
        (["fokusgrupp", "medborgarrad"], '{"ages": [1]}', "Profilen"),
        (["fokusgrupp"], "", "två eller tre"),
    ],
)
def test_compare_refuses_bad_arguments(client: Any, methods: Any, profile: str, expected: str) -> None:
    _error(client.predict(methods, profile, api_name="/compare"), expected)


def test_the_validators_alone_never_raise_anything_but_input_errors() -> None:
    nasty: list[Any] = [
        1e400,
        float("nan"),
        [],
        "[]",
        {"ages": "13-19"},
        {"ages": [1, 2, 3]},
        {"purposes": "x"},
    ]
    for value in nasty:
        try:
            checked_profile(value)
        except InputError as exc:
            assert exc.message and exc.hint
    for value in [{"role": "user"}, [None], [[]], "[" * 5000]:
        with pytest.raises(InputError):
            checked_history(value)
