"""`metodguiden loadtest`: many users against a running server's `/ask`, with an optional reindex or fault."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli._shared import settings


def loadtest(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option(help="A running `metodguiden serve` on this machine.")
    ] = "http://127.0.0.1:7860",
    users: Annotated[int, typer.Option(help="Concurrent users (at most 200).")] = 20,
    per_user: Annotated[int, typer.Option(help="Questions per user (at most 100).")] = 10,
    reindex: Annotated[
        bool, typer.Option(help="Rebuild the index when half the questions are answered.")
    ] = False,
    full: Annotated[bool, typer.Option(help="The rebuild re-embeds everything (a longer overlap).")] = False,
    fault: Annotated[str, typer.Option(help="none, kill-index (SIGKILL the rebuild) or damage.")] = "none",
    kill_after: Annotated[float, typer.Option(help="kill-index: seconds into the build.")] = 1.0,
    damage_file: Annotated[Path | None, typer.Option(help="damage: the index file to truncate.")] = None,
    time_limit: Annotated[float, typer.Option(help="Stop asking after this many seconds.")] = 600,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Measure throughput, p50/p95 and errors of `/ask` under load; the rebuild runs with these settings."""
    from evals.loadtest import main

    s = settings(ctx)
    cmd = [sys.executable, "-m", "assistant", "--data-dir", str(s.data_dir), "--embedder", s.embedder]
    for folder in s.corpus_dirs:
        cmd += ["--corpus", str(folder)]
    cmd += ["index", *(["--full"] if full else [])]
    argv = ["--url", url, "--users", str(users), "--per-user", str(per_user), "--time-limit", str(time_limit)]
    argv += ["--fault", fault, "--kill-after", str(kill_after), "--data-dir", str(s.data_dir)]
    if reindex or fault != "none":
        argv += ["--reindex", shlex.join(cmd), "--repair", shlex.join([c for c in cmd if c != "--full"])]
    if damage_file is not None:
        argv += ["--damage-file", str(damage_file)]
    if as_json:
        argv.append("--json")
    raise typer.Exit(main(argv))
