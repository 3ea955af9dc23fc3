"""Chroma in client/server mode: a real `chroma run` on loopback holds the vectors, across a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.embeddings import FakeEmbedder
from assistant.errors import BackendError
from assistant.index import build_index, open_index
from assistant.retrieval import DenseRetriever
from assistant.store import list_collections, open_client
from tests._support_chroma import ChromaServer


@pytest.fixture()
def chroma_server(tmp_path: Path, free_tcp_port: int) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server", free_tcp_port, tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_index_lives_on_the_server_and_survives_a_restart(
    chroma_server: ChromaServer, fake_settings: Settings, write_method: Callable[..., Path]
) -> None:
    import httpx

    assert chroma_server.proc is not None and chroma_server.proc.poll() is None
    beat = httpx.get(chroma_server.heartbeat_url, timeout=5)
    assert beat.status_code == 200 and "nanosecond heartbeat" in beat.json()

    folder = fake_settings.corpus_dirs[0]
    write_method(folder, "budgetmetod", title="Budgetmetoden", body="Invånarna röstar om pengar i budgeten.")
    write_method(folder, "vandring", title="Vandringsmetoden", body="Trygghetsvandring en mörk kväll.")
    settings = fake_settings.replace(chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    result = build_index(settings, FakeEmbedder(), load_corpus(settings.corpus_dirs).documents)
    assert result.chunks > 0
    # The vectors are on the server, not in an embedded store in the data dir.
    assert not (settings.index_dir / "chroma").exists()
    assert any(p.is_file() for p in chroma_server.path.rglob("*"))
    assert f"mg_fake64_{result.generation}" in list_collections(open_client(settings))

    def top() -> list[str]:
        index = open_index(settings, "fake64")
        assert index.store.count() == result.chunks
        return [
            h.chunk.id for h in DenseRetriever(index, FakeEmbedder()).retrieve("trygghetsvandring kväll", 3)
        ]

    before = top()
    assert before and before[0].startswith("vandring:")

    chroma_server.stop()
    with pytest.raises(BackendError) as info:
        open_index(settings, "fake64")
    assert f"127.0.0.1:{chroma_server.port}" in info.value.message and "chroma run" in info.value.hint

    chroma_server.start()
    assert top() == before
    # An incremental build against the restarted server reuses the stored vectors.
    again = build_index(settings, FakeEmbedder(), load_corpus(settings.corpus_dirs).documents)
    assert again.unchanged and again.generation == result.generation


def test_unreachable_server_is_a_backend_error(fake_settings: Settings, free_tcp_port: int) -> None:
    settings = fake_settings.replace(chroma_host="127.0.0.1", chroma_port=free_tcp_port)
    with pytest.raises(BackendError) as info:
        open_client(settings)
    assert f"127.0.0.1:{free_tcp_port}" in info.value.message
    assert "chroma run" in info.value.hint
