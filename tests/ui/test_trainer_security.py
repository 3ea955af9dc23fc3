"""Trainer login throttling per client, and uploads: a size limit on Gradio's own route, a cleaned folder."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import Settings
from assistant.embeddings import FakeEmbedder
from assistant.pipeline import Assistant, index_corpus
from tests._support_ui import Served, serve
from ui.login_throttle import LoginThrottle, client_of
from ui.trainer import TrainerTab
from ui.uploads import MAX_UPLOAD_BYTES, discard, prune, upload_dir

# --- the throttle alone --------------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_delays_grow_then_the_client_is_locked_out_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    with caplog.at_level(logging.WARNING, logger="ui.login_throttle"):
        delays = [throttle.failure("10.0.0.1") for _ in range(4)]
        assert delays == [0.5, 1.0, 2.0, 4.0] and throttle.locked_for("10.0.0.1") == 0
        throttle.failure("10.0.0.1")  # the fifth
    assert throttle.locked_for("10.0.0.1") == 15 * 60
    assert throttle.locked_for("10.0.0.2") == 0  # per client
    assert any("10.0.0.1 locked out" in r.getMessage() for r in caplog.records)
    assert sum("login failed from 10.0.0.1" in r.getMessage() for r in caplog.records) == 4
    clock.now += 14 * 60
    assert 0 < throttle.locked_for("10.0.0.1") <= 60
    clock.now += 61
    assert throttle.locked_for("10.0.0.1") == 0 and throttle.failure("10.0.0.1") == 0.5  # starts over


def test_success_resets_and_old_failures_are_forgotten() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(4):
        throttle.failure("a")
    throttle.success("a")
    assert throttle.failure("a") == 0.5
    clock.now += 2 * 3600
    assert throttle.failure("a") == 0.5  # an hour without failures: a new start


def test_memory_stays_bounded_when_many_addresses_try() -> None:
    throttle = LoginThrottle(max_clients=100, clock=Clock())
    for i in range(1000):
        throttle.failure(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle._clients) <= 100


def test_client_of_a_gradio_request() -> None:
    class Req:
        client = type("C", (), {"host": "192.0.2.7"})()

    assert client_of(Req()) == "192.0.2.7" and client_of(None) == "unknown"


# --- through the login handler -------------------------------------------------------------------------


@pytest.fixture()
def tab(fake_settings: Settings, small_corpus: Path) -> TrainerTab:
    """The trainer tab with a configured login, on a small index; delays shortened for the test."""
    settings = fake_settings.replace(
        corpus_dirs=(small_corpus,), trainer_user="utbildare", trainer_password="rätt-lösen"
    )
    index_corpus(settings, FakeEmbedder(64))
    tab = TrainerTab(Assistant.from_settings(settings, FakeEmbedder(64)))
    tab.throttle = LoginThrottle(base_delay_s=0.01, max_delay_s=0.05)
    return tab


def test_the_handler_locks_out_after_five_failures_even_for_the_right_password(tab: TrainerTab) -> None:
    attacker, trainer = "203.0.113.9", "198.51.100.4"
    for _ in range(5):
        ok, *_rest, msg, _pw, _ov, _fb = tab.do_login("utbildare", "fel", "all", attacker)
        assert ok is False
    assert "spärrad i 15 minuter" in msg
    started = time.monotonic()
    ok, *_rest, msg, _pw, _ov, _fb = tab.do_login("utbildare", "rätt-lösen", "all", attacker)
    assert ok is False and "spärrad" in msg and time.monotonic() - started < 1  # refused at once
    ok, *_rest = tab.do_login("utbildare", "rätt-lösen", "all", trainer)
    assert ok is True  # another client is not affected


def test_gradio_injects_the_request_into_the_login_handler(tab: TrainerTab) -> None:
    import gradio as gr
    from gradio.utils import get_type_hints

    blocks = gr.Blocks()
    with blocks:
        tab.build()
    fns = [bf.fn for bf in blocks.fns.values() if getattr(bf.fn, "__name__", "") == "login"]
    assert fns and get_type_hints(fns[0])["request"] is gr.Request


# --- uploads -------------------------------------------------------------------------------------------


def test_prune_removes_only_stale_uploads(tmp_path: Path) -> None:
    old, fresh = tmp_path / "abc123", tmp_path / "def456"
    old.mkdir()
    (old / "gammal.pdf").write_bytes(b"x")
    fresh.mkdir()
    (fresh / "ny.pdf").write_bytes(b"x")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    assert prune(tmp_path, 3600) == 1
    assert not old.exists() and (fresh / "ny.pdf").exists()


def test_discard_deletes_reviewed_uploads_but_nothing_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "gradio"
    (folder / "hash1").mkdir(parents=True)
    upload = folder / "hash1" / "metod.md"
    upload.write_text("x", encoding="utf-8")
    elsewhere = tmp_path / "corpus.md"
    elsewhere.write_text("x", encoding="utf-8")
    assert discard([upload, elsewhere, folder / ".." / "corpus.md"], folder) == 1
    assert not upload.exists() and not (folder / "hash1").exists() and elsewhere.exists()


def test_review_removes_the_uploaded_originals(
    tab: TrainerTab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_method: Any
) -> None:
    folder = tmp_path / "gradio-uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    path = write_method(folder / "hash9", "grannskapsrad", title="Grannskapsråd")
    reviewed, _html, _button = tab.review(True, [str(path)])
    assert reviewed[0]["status"] == "ok" and Path(reviewed[0]["staged"]).is_file()
    assert not path.exists()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Served]:
    """The real app; a stale upload from an earlier run is waiting in its upload folder."""
    from tests.conftest import CORPUS, SMALL_CORPUS

    root = tmp_path_factory.mktemp("uploads")
    for rel in SMALL_CORPUS:
        (root / "corpus" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "corpus" / rel).write_bytes((CORPUS / rel).read_bytes())
    settings = Settings(
        data_dir=root / "data", models_dir=models_dir, corpus_dirs=(root / "corpus",), embedder="fake64"
    )
    stale = upload_dir(settings) / "old-hash" / "kvarglömd.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.4")
    hours_ago = time.time() - 3 * 3600
    os.utime(stale.parent, (hours_ago, hours_ago))
    before = os.environ.get("GRADIO_TEMP_DIR")
    try:
        with serve(settings) as s:
            yield s
    finally:
        if before is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = before


def test_the_upload_route_refuses_files_over_the_limit(served: Served) -> None:
    settings = served.assistant.settings
    assert not (upload_dir(settings) / "old-hash").exists()  # cleaned on start
    with httpx.Client(base_url=served.url, timeout=60) as http:
        small = http.post("/gradio_api/upload", files={"files": ("liten.md", b"# Rubrik\n", "text/markdown")})
        assert small.status_code == 200, small.text
        stored = Path(small.json()[0])
        assert stored.is_relative_to(upload_dir(settings))  # in the data dir, not a shared /tmp folder
        big = b"0" * (MAX_UPLOAD_BYTES + 1024)
        refused = http.post("/gradio_api/upload", files={"files": ("stor.pdf", big, "application/pdf")})
    assert refused.status_code == 413, refused.text[:300]
    assert not any(p.name == "stor.pdf" for p in upload_dir(settings).rglob("*"))
