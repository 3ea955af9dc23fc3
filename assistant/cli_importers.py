"""CLI commands for trainers' importers (`metodguiden corpus add`, `corpus import-participedia`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli import corpus_app, err, out, settings
from assistant.errors import AssistantError


def _refused(exc: AssistantError) -> None:
    err.print(f"[bold red]Avvisad:[/] {exc.message}", highlight=False)
    if exc.hint:
        err.print(f"  Tips: {exc.hint}", highlight=False)


@corpus_app.command("add")
def corpus_add(
    paths: Annotated[list[Path], typer.Argument(help="Files to import: .md, .txt, .pdf, .docx, .html.")],
    kind: Annotated[str | None, typer.Option(help="method, course, principle or case.")] = None,
    lang: Annotated[str | None, typer.Option(help="sv or en.")] = None,
    title: Annotated[str | None, typer.Option(help="Title (only with one file).")] = None,
    summary: Annotated[str | None, typer.Option(help="One sentence on what the document is about.")] = None,
    licence: Annotated[str | None, typer.Option(help="Licence of the text, e.g. CC-BY-4.0.")] = None,
    source_url: Annotated[str | None, typer.Option(help="Public address of the original.")] = None,
    doc_id: Annotated[str | None, typer.Option("--id", help="Document id (only with one file).")] = None,
    dest: Annotated[
        Path | None, typer.Option(help="Target folder (default: <corpus>/<kind folder>).")
    ] = None,
) -> None:
    """Import files as corpus documents; missing fields are listed and the file is written as a draft."""
    from assistant.importers import ImportOverrides, import_file

    if len(paths) > 1 and (title or doc_id):
        err.print("[bold red]Fel:[/] --title och --id gäller bara när en fil importeras.", highlight=False)
        err.print("Tips: Importera filerna en i taget, eller utelämna --title/--id.", highlight=False)
        raise typer.Exit(1)
    try:
        overrides = ImportOverrides(
            kind=kind,
            lang=lang,
            title=title,
            summary=summary,
            licence=licence,
            source_url=source_url,
            doc_id=doc_id,
        )
    except AssistantError as exc:
        _refused(exc)
        raise typer.Exit(1) from None
    refused = drafts = 0
    for path in paths:
        try:
            result = import_file(path, dest, overrides, corpus_dirs=settings().corpus_dirs)
        except AssistantError as exc:
            refused += 1
            _refused(exc)
            continue
        for note in result.notes:
            out.print(f"  [dim]{note}[/]", highlight=False)
        if result.complete:
            out.print(f"Klar: {path.name} → {result.path}", highlight=False)
        else:
            drafts += 1
            out.print(f"[yellow]Utkast:[/] {path.name} → {result.path} – komplettera:", highlight=False)
            for problem in result.problems:
                out.print(f"  - {problem}", highlight=False, markup=False)
    done = len(paths) - refused
    out.print(
        f"{done} av {len(paths)} filer importerade ({drafts} utkast att komplettera, {refused} avvisade)."
    )
    if drafts:
        out.print("Utkast indexeras inte förrän `metodguiden corpus validate` godkänner dem.")
    if refused:
        raise typer.Exit(1)


@corpus_app.command("import-participedia")
def corpus_import_participedia(
    csv_file: Annotated[Path, typer.Argument(help="Participedia's CSV export of methods.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Target folder, kept apart from corpus/.")] = Path(
        "corpus-imports/participedia"
    ),
    details: Annotated[bool, typer.Option(help="List every unmapped value, row by row.")] = False,
) -> None:
    """Import Participedia's methods (CC BY-NC-SA 3.0) as English documents outside the default corpus."""
    from assistant.importers import import_participedia

    try:
        report = import_participedia(csv_file, out_dir)
    except AssistantError as exc:
        _refused(exc)
        raise typer.Exit(1) from None
    for issue in report.skipped:
        err.print(f"[yellow]Hoppade över[/] {issue}", highlight=False, markup=False)
    if details:
        for issue in report.unmapped:
            err.print(f"Ej mappat: {issue}", highlight=False, markup=False)
    elif report.unmapped:
        counts = Counter((i.field, i.value, i.reason) for i in report.unmapped)
        out.print("Värden utan motsvarighet i våra fält (lämnas tomma; --details visar raderna):")
        for (field, value, reason), n in counts.most_common():
            shown = f"{field}={value!r}" if value else field
            out.print(f"  {n:4} × {shown}: {reason}", highlight=False, markup=False)
    out.print(
        f"{report.imported} av {report.rows} metoder importerade till {report.out_dir} "
        f"({len(report.written)} nya eller ändrade, {len(report.unchanged)} oförändrade, "
        f"{len(report.skipped)} överhoppade) på {report.seconds:.1f} s.",
        highlight=False,
    )
    out.print(
        "Licens CC BY-NC-SA 3.0 (Participedia): ange källan, ingen kommersiell användning, dela lika. "
        f"Ta med dem i indexet med --corpus corpus --corpus {report.out_dir}.",
        highlight=False,
    )
