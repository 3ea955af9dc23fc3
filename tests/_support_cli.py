"""Run the real `metodguiden` CLI in a child process, isolated from the repo's own data and settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "assistant"]


def clean_env(**extra: str) -> dict[str, str]:
    """os.environ without METODGUIDEN_* settings from the outside, without colours, plus extra values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("METODGUIDEN_")}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False"})
    env.pop("FORCE_COLOR", None)
    env.update(extra)
    return env


def run_cli(
    *args: str | Path,
    models_dir: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ARGS` with METODGUIDEN_MODELS_DIR set; never raises on a non-zero exit."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(METODGUIDEN_MODELS_DIR=str(models_dir), **(env or {})),
        timeout=timeout,
        input=input,
        check=False,
    )
