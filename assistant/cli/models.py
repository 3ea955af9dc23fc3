"""`metodguiden models`: install and check the offline models."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli._shared import errors, out, progress, settings

app = typer.Typer(no_args_is_help=True, help="Offline models.")


@app.command("install")
def models_install(
    ctx: typer.Context,
    export_later: Annotated[
        bool,
        typer.Option(
            help="Skip the ONNX export (about a minute); `metodguiden serve` then makes it in the background."
        ),
    ] = False,
) -> None:
    """Install the offline models (EmbeddingGemma, its ONNX export, tiktoken encodings); finished work is reused."""
    from assistant import models

    with errors(ctx), progress() as bar:
        done = models.install_all(settings(ctx), bar, onnx=not export_later)
    for name, installed in done.items():
        out.print(f"{name}: {'installerad' if installed else 'redan installerad'}")
    if export_later and models.onnx_export_problem(models.gemma_onnx_path(settings(ctx))):
        out.print("gemma-onnx: görs av `metodguiden serve` i bakgrunden")


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
