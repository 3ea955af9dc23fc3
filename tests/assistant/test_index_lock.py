"""Two index builds at once: the second waits for the first (or refuses after its timeout), neither crashes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import open_index, read_manifest
from assistant.index_lock import LOCK_NAME, build_lock
from assistant.store import list_collections, open_client
from tests._support_cli import clean_env, run_cli

# A build in its own process: the fake embedder, slowed down so that two builds overlap for seconds.
BUILDER = """\
import os, sys, time
from pathlib import Path
from assistant.config import Settings, apply_process_environment
from assistant.corpus import load_corpus
from assistant.embeddings import FakeEmbedder
from assistant.index import build_index

class Slow(FakeEmbedder):
    def embed(self, texts, role):
        time.sleep(0.1)
        return super().embed(texts, role)

settings = Settings(data_dir=Path(sys.argv[1]), corpus_dirs=(Path(sys.argv[2]),), embedder="fake64",
                    models_dir=Path(sys.argv[3]), embed_batch_size=1, index_lock_timeout_s=int(sys.argv[4]))
apply_process_environment(settings, os.environ)

def progress(step, done, total):
    if step.startswith("Väntar"):
        print("WAITING", flush=True)
    elif done == 1:
        print("EMBEDDING", flush=True)

result = build_index(settings, Slow(), load_corpus(settings.corpus_dirs).documents, full=True, progress=progress)
print("DONE", result.generation, result.chunks, flush=True)
"""


def _start(settings: Settings, timeout_s: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            BUILDER,
            str(settings.data_dir),
            str(settings.corpus_dirs[0]),
            str(settings.model_dir),
            str(timeout_s),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=Path(__file__).resolve().parents[2],
    )


def _wait_for(proc: subprocess.Popen[str], word: str, timeout: float = 120) -> list[str]:
    """Lines of the child's stdout up to and including the first that starts with word."""
    seen = _lines_until(proc, word, timeout)
    if not seen or not seen[-1].startswith(word):
        pytest.fail(f"no {word!r} from the child: {seen} {proc.stderr.read() if proc.stderr else ''}")
    return seen


def _lines_until(proc: subprocess.Popen[str], word: str, timeout: float = 120) -> list[str]:
    """The child's stdout lines up to the first that starts with word, or to its end."""
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line.strip())
        if line.startswith(word):
            break
    return seen


@pytest.fixture()
def cards(fake_settings: Settings, write_method: Callable[..., Path]) -> Path:
    folder = fake_settings.corpus_dirs[0]
    for i in range(4):
        write_method(folder, f"metod{i}", title=f"Metod {i}", body=f"Metod {i} handlar om dialog nummer {i}.")
    return folder


@pytest.mark.slow
def test_a_second_build_waits_for_the_first_and_both_succeed(fake_settings: Settings, cards: Path) -> None:
    first = _start(fake_settings, 120)
    second: subprocess.Popen[str] | None = None
    try:
        _wait_for(first, "EMBEDDING")  # the first build's new collection is half filled now
        second = _start(fake_settings, 120)
        said = _lines_until(second, "WAITING")
        out1, err1 = first.communicate(timeout=180)
        out2, err2 = second.communicate(timeout=180)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    # Before the lock, the second build deleted the first one's collection: NotFoundError in the first.
    assert first.returncode == 0 and "Traceback" not in err1, err1
    assert second.returncode == 0 and "Traceback" not in err2, err2
    assert said[-1] == "WAITING", said  # it said it waits, before embedding anything
    gen1, gen2 = out1.split()[-2], out2.split()[-2]
    assert gen1 < gen2  # the second started only after the first had finished
    assert read_manifest(fake_settings, "fake64")["generation"] == gen2  # type: ignore[index]
    index = open_index(fake_settings, "fake64")
    assert len(index.chunks) == index.store.count() == int(out2.split()[-1])
    assert sorted(list_collections(open_client(fake_settings))) == [f"mg_fake64_{gen1}", f"mg_fake64_{gen2}"]


def test_a_build_refuses_clearly_when_the_lock_stays_taken(
    fake_settings: Settings, cards: Path, models_dir: Path
) -> None:
    fake_settings.index_dir.mkdir(parents=True)
    fd = os.open(fake_settings.index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"pid 4242 since 2026-01-01T00:00:00+00:00")
        started = time.monotonic()
        done = run_cli(
            "--data-dir",
            fake_settings.data_dir,
            "--corpus",
            cards,
            "--embedder",
            "fake64",
            "index",
            models_dir=models_dir,
            cwd=fake_settings.data_dir.parent,
            env={"METODGUIDEN_INDEX_LOCK_TIMEOUT_S": "1"},
        )
        waited = time.monotonic() - started
    finally:
        os.close(fd)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Another index build (pid 4242 since 2026-01-01T00:00:00+00:00) still holds" in done.stderr
    assert "Tips: Let it finish" in done.stderr
    assert waited < 60
    assert read_manifest(fake_settings, "fake64") is None
    # Once the holder is gone (even killed: the kernel drops its lock), the next build runs.
    again = run_cli(
        "--data-dir",
        fake_settings.data_dir,
        "--corpus",
        cards,
        "--embedder",
        "fake64",
        "index",
        models_dir=models_dir,
        cwd=fake_settings.data_dir.parent,
    )
    assert again.returncode == 0, again.stderr
    assert read_manifest(fake_settings, "fake64") is not None


def test_lock_excludes_threads_too_and_reports_the_wait(tmp_path: Path) -> None:
    messages: list[str] = []
    with build_lock(tmp_path, timeout=5):
        from assistant.errors import IndexBusyError

        with (
            pytest.raises(IndexBusyError) as info,
            build_lock(tmp_path, timeout=0.3, on_wait=messages.append),
        ):
            pass
    assert f"pid {os.getpid()}" in info.value.message and "metodguiden index" in info.value.hint
    assert len(messages) == 1 and "waiting up to 0 s" in messages[0]
    with build_lock(tmp_path, timeout=0.3, on_wait=messages.append):
        pass  # released on exit
    assert len(messages) == 1
