"""`metodguiden index`, `serve` and `bench`: build the index, serve the UI, measure speed."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli._shared import err, errors, out, progress, settings


def index(
    ctx: typer.Context, full: Annotated[bool, typer.Option(help="Re-embed everything.")] = False
) -> None:
    """Build or update the index from the corpus; unchanged chunks are not embedded again."""
    from assistant.embeddings import make_embedder
    from assistant.pipeline import index_corpus

    with errors(ctx):
        embedder = make_embedder(settings(ctx))
        with progress() as bar:
            result, report = index_corpus(settings(ctx), embedder, full=full, progress=bar)
    for problem in report.problems:
        err.print(f"[yellow]Hoppade över:[/] {problem}", highlight=False)
    for damage in result.repaired:
        err.print("[yellow]Reparerat:[/] ", end="")
        err.print(damage, highlight=False, markup=False)
    if result.unchanged:
        out.print(f"Indexet är aktuellt: {result.documents} dokument, {result.chunks} avsnitt.")
    else:
        out.print(
            f"Indexerade {result.documents} dokument, {result.chunks} avsnitt "
            f"({result.embedded} nya, {result.reused} återanvända, {result.removed} borttagna) "
            f"på {result.seconds:.1f} s."
        )


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 7860,
) -> None:
    """Start the chat UI."""
    from assistant import background_export
    from ui.app import launch

    with errors(ctx):
        from assistant.pipeline import Assistant

        s = settings(ctx)
        assistant = Assistant.from_settings(s)
        export = background_export.wanted(s)
        if export:
            out.print(
                "ONNX-exporten av EmbeddingGemma görs i bakgrunden när chatten är igång (en till två minuter); "
                "svaren går via PyTorch tills den är klar."
            )

        def warm_up() -> None:
            # The model loads while the UI starts and the official types, not after the first question;
            # then the export, if one is due, runs at a low priority beside the answers.
            assistant.warm_up()
            if export:
                background_export.BackgroundExport(s, assistant.embedder.swap, say=out.print).start()

        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        out.print(f"Metodguiden svarar på http://{host}:{port}")
        launch(assistant, host=host, port=port)


def bench(
    ctx: typer.Context,
    queries: Annotated[int, typer.Option(help="Queries per measurement.")] = 50,
    output: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Measure index build, query latency and memory, against a naive LangChain baseline."""
    from assistant.bench import format_report, run_benchmark

    with errors(ctx), progress() as bar:
        report = run_benchmark(settings(ctx), queries=queries, progress=bar)
    out.print(format_report(report), highlight=False, markup=False)
    if output is not None:
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
