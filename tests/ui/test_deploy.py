"""Several instances, one truth: two `metodguiden serve` processes share one `chroma run` server and one data
dir (docs/deploy.md); a reindex run with either instance's settings is answered from by both, without a restart."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from evals.loadtest import ask_http, run_load
from tests._support_chroma import ChromaServer
from tests._support_cli import CLI, clean_env, run_cli
from tests._support_ui import free_port


class Instance:
    """One `metodguiden serve` process on loopback."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*CLI, "serve", "--port", str(self.port)],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 240) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            try:
                if httpx.get(f"{self.base}/gradio_api/info", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        pytest.fail(f"serve did not answer within {timeout} s:\n{self.log.read_text(errors='replace')}")

    def cited(self, question: str) -> set[str]:
        import httpx

        with httpx.Client() as client:
            data = ask_http(client, self.base, question)
        assert data.get("answer") and not data.get("error"), data
        return {c["doc_id"] for c in data["citations"]}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


@pytest.fixture()
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server", free_port(), tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _index(env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([*CLI, "index"], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_two_instances_share_one_chroma_server_and_see_every_reindex(
    tmp_path: Path,
    fake_settings: Settings,
    models_dir: Path,
    write_method: Callable[..., Path],
    chroma: ChromaServer,
) -> None:
    corpus = fake_settings.corpus_dirs[0]
    write_method(corpus, "alfa", title="Alfametoden", body="Alfa handlar om lottade medborgarråd.")
    write_method(corpus, "gamma", title="Gammametoden", body="Gamma handlar om kvällsvandringar.")
    # Both instances get the same settings: the deployment's environment file (docs/deploy.md).
    env = clean_env(
        METODGUIDEN_MODELS_DIR=str(models_dir),
        METODGUIDEN_DATA_DIR=str(fake_settings.data_dir),
        METODGUIDEN_CORPUS_DIRS=str(corpus),
        METODGUIDEN_EMBEDDER="fake64",
        METODGUIDEN_CHROMA_HOST="127.0.0.1",
        METODGUIDEN_CHROMA_PORT=str(chroma.port),
    )
    _index(env, tmp_path)
    assert not (fake_settings.index_dir / "chroma").exists()  # the vectors live on the server only
    instances = [Instance(env, tmp_path, tmp_path / f"serve-{name}.log") for name in "ab"]
    try:
        for inst in instances:
            inst.wait_ready()
        for inst in instances:
            assert "alfa" in inst.cited("Hur går Alfametoden till?")

        # A trainer adds a card and reindexes on instance a's host: both answer from it, no restart.
        write_method(corpus, "delta", title="Deltametoden", body="Delta handlar om skolval för unga.")
        assert "Indexerade 3 dokument" in _index(env, tmp_path)
        for inst in instances:
            assert "delta" in inst.cited("Hur går Deltametoden till?")

        # A reindex on instance b's host, while both are under load, removes a card for both.
        (corpus / "gamma.md").unlink()
        report = run_load(
            instances[1].base,
            users=4,
            per_user=3,
            questions=["Hur går Alfametoden till?", "Hur går Deltametoden till?"],
            during=lambda: {"out": _index(env, tmp_path)},
            during_after=0.25,
        )
        assert report.errors == 0, report
        assert "Indexerade 2 dokument" in report.fault["out"]
        for inst in instances:
            assert "gamma" not in inst.cited("Vilken metod passar för kvällsvandringar? Gammametoden?")
            assert "delta" in inst.cited("Hur går Deltametoden till?")
        for inst in instances:
            assert inst.proc.poll() is None  # neither was restarted
    finally:
        for inst in instances:
            inst.stop()


@pytest.mark.parametrize("url", ["http://example.org:7860", "http://10.0.0.5:7860", "http://0.0.0.0:7860"])
def test_loadtest_talks_only_to_this_machine(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_load(url, users=1, per_user=1)


@pytest.mark.parametrize(("users", "per_user"), [(0, 1), (201, 1), (1, 101)])
def test_loadtest_is_bounded(users: int, per_user: int) -> None:
    with pytest.raises(ValueError, match="users must be"):
        run_load("http://127.0.0.1:9", users=users, per_user=per_user)


def test_loadtest_counts_a_dead_server_as_errors() -> None:
    report = run_load(f"http://127.0.0.1:{free_port()}", users=2, per_user=2, timeout=5, time_limit=30)
    assert (report.questions, report.ok, report.errors) == (4, 0, 4)
    assert report.error_samples and "ConnectError" in report.error_samples[0]


def test_loadtest_command_refuses_another_host(tmp_path: Path, models_dir: Path) -> None:
    done = run_cli("loadtest", "--url", "http://example.org:7860", models_dir=models_dir, cwd=tmp_path)
    assert done.returncode == 2 and "loopback" in done.stderr and "Traceback" not in done.stderr
