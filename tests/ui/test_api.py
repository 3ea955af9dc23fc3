"""The named API endpoints through gradio_client: `/ask` (the `ask --json` contract) and `/compare`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._support_ui import ROOT, Served, serve_small_corpus

QUESTION = "Vilken metod passar för att nå unga om en ny park?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Served]:
    """One app for the module (the API is stateless): fake embedder, the small corpus."""
    with serve_small_corpus(tmp_path_factory.mktemp("api"), models_dir) as s:
        yield s


@pytest.fixture(scope="module")
def client(served: Served) -> Any:
    """A gradio_client Client of the served app."""
    from gradio_client import Client

    return Client(served.url, verbose=False)


def test_ask_returns_the_ask_json_contract(client: Any, served: Served) -> None:
    data = client.predict(QUESTION, api_name="/ask")
    assert data == served.assistant.ask(QUESTION).to_json()
    assert data["citations"] and data["recommended_methods"] and data["language"] == "sv"


@pytest.mark.slow
def test_ask_matches_the_cli_json(client: Any, served: Served) -> None:
    s = served.assistant.settings
    env = {**os.environ, "METODGUIDEN_MODELS_DIR": str(s.model_dir)}
    args = ["--data-dir", str(s.data_dir), "--corpus", str(s.corpus_dirs[0]), "--embedder", "fake64"]
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", *args, "ask", QUESTION, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert client.predict(QUESTION, api_name="/ask") == json.loads(proc.stdout)


def test_ask_accepts_a_profile_that_overrides_the_parsed_one(client: Any) -> None:
    plain = client.predict(QUESTION, api_name="/ask")
    profile = {**plain["profile"], "purposes": ["rekommendationer"], "budget_sek": 3000000, "time_weeks": 40}
    edited = client.predict(QUESTION, json.dumps(profile), api_name="/ask")
    assert edited["profile"]["budget_sek"] == 3000000
    assert edited["recommended_methods"][0]["id"] == "medborgarrad" != plain["recommended_methods"][0]["id"]


@pytest.mark.parametrize(
    ("question", "profile", "error"),
    [
        ("   ", "", "tom"),
        ("x" * 2001, "", "för lång"),
        (QUESTION, "{inte json", "Profilen"),
        (QUESTION, "[1]", "Profilen"),
    ],
)
def test_ask_reports_bad_input_as_error_and_hint(
    client: Any, question: str, profile: str, error: str
) -> None:
    data = client.predict(question, profile, api_name="/ask")
    assert error in data["error"] and data["hint"]


def test_compare_two_methods_with_fit(client: Any) -> None:
    profile = json.dumps({"budget_sek": 100000})
    data = client.predict(["fokusgrupp", "medborgarrad"], profile, api_name="/compare")
    ids = [m["id"] for m in data["methods"]]
    assert ids == ["fokusgrupp", "medborgarrad"]
    assert data["methods"][1]["against"] and data["methods"][0]["facts"]["Typisk kostnad"].endswith(
        "(uppskattning)"
    )
    assert data["table_markdown"].startswith("| | Fokusgrupp | Medborgarråd |")
    bad = client.predict(["fokusgrupp", "finns-inte"], "", api_name="/compare")
    assert "finns-inte" in bad["error"]
