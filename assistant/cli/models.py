"""`metodguiden models`: install and check the offline models."""

from __future__ import annotations

import typer

from assistant.cli._shared import errors, out, progress, settings

app = typer.Typer(no_args_is_help=True, help="Offline models.")


@app.command("install")
def models_install(ctx: typer.Context) -> None:
    """Install the offline models (EmbeddingGemma, tiktoken encodings); finished work is reused."""
    from assistant import models

    with errors(ctx), progress() as bar:
        done = models.install_all(settings(ctx), bar)
    for name, installed in done.items():
        out.print(f"{name}: {'installerad' if installed else 'redan installerad'}")


@app.command("status")
def models_status(ctx: typer.Context) -> None:
    """Show which models are installed."""
    from assistant import models

    bad = False
    for st in models.status(settings(ctx)):
        mark = "ok" if st.installed else "saknas"
        bad |= not st.installed
        out.print(f"{mark:7} {st.name}  {st.location} {st.note}".rstrip(), highlight=False)
    if bad:
        raise typer.Exit(1)
