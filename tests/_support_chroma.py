"""A real `chroma run` server on loopback for tests: start, stop, restart on the same folder and port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._support_cli import clean_env

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer:
    """One `chroma run` process on loopback; restartable on the same folder and port."""

    def __init__(self, path: Path, port: int, log: Path) -> None:
        self.path, self.port, self.log = path, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def heartbeat_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2/heartbeat"

    def start(self, timeout: float = 60) -> None:
        import httpx

        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(CHROMA),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=clean_env(ANONYMIZED_TELEMETRY="False"),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Our own process must be the one answering (a taken port prints an error and exits 0).
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            try:
                if httpx.get(self.heartbeat_url, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"chroma run did not answer within {timeout} s:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.proc = None
