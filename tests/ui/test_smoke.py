"""UI smoke test: `metodguiden serve` on loopback answers through gradio_client's `/ask` endpoint."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.embeddings import FakeEmbedder
from assistant.index import build_index
from tests._support_cli import CLI, clean_env


def _wait_until_up(url: str, proc: subprocess.Popen[str], timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"serve exited with {proc.returncode}:\n{out}\n{err}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"serve did not answer on {url} within {timeout} s")


@pytest.fixture()
def server(
    fake_settings: Settings,
    write_method: Callable[..., Path],
    free_tcp_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A fake-embedded index of two cards, served by the real CLI on a free loopback port."""
    folder = fake_settings.corpus_dirs[0]
    write_method(folder, "budgetmetod", title="Budgetmetoden", body="Invånarna röstar om pengar i budgeten.")
    write_method(folder, "vandring", title="Vandringsmetoden", body="Trygghetsvandring en mörk kväll.")
    build_index(fake_settings, FakeEmbedder(), load_corpus(fake_settings.corpus_dirs).documents)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    cmd = [
        *CLI,
        "--data-dir",
        str(fake_settings.data_dir),
        "--corpus",
        str(folder),
        "--embedder",
        "fake64",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_tcp_port),
    ]
    env = clean_env(METODGUIDEN_MODELS_DIR=str(fake_settings.model_dir))
    proc = subprocess.Popen(
        cmd, env=env, cwd=folder.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{free_tcp_port}/"
    try:
        _wait_until_up(url, proc, timeout=90)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        proc.communicate()


@pytest.mark.slow
def test_ask_endpoint_returns_cited_answer(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    data: Any = client.predict("Hur röstar invånarna om pengar i budgeten?", api_name="/ask")
    assert isinstance(data, dict), data
    assert data["language"] == "sv" and data["abstained"] is False
    assert data["citations"], data
    first = data["citations"][0]
    assert first["doc_id"] in {"budgetmetod", "vandring"} and first["url"] == "https://example.org/a"
    assert any(c["doc_id"] == "budgetmetod" for c in data["citations"])
    assert f"[{first['n']}]" in data["answer"]
    # A bad question gives an error field, and the server keeps answering.
    bad: Any = client.predict("   ", api_name="/ask")
    assert bad["error"] == "Frågan är tom." and bad["hint"]
    again: Any = client.predict("Hur går en trygghetsvandring till?", api_name="/ask")
    assert again["answer"] and "error" not in again
