"""`metodguiden corpus`: validate, list, count and import corpus documents."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli._shared import err, out, refused, settings
from assistant.errors import AssistantError

app = typer.Typer(no_args_is_help=True, help="The corpus of method cards and course material.")


@app.command("validate")
def corpus_validate(ctx: typer.Context) -> None:
    """Check every corpus document; list each problem with file, line and field."""
    from assistant.corpus import load_corpus

    report = load_corpus(settings(ctx).corpus_dirs)
    for problem in report.problems:
        err.print(str(problem), highlight=False, markup=False)
    out.print(f"{len(report.documents)} dokument giltiga, {len(report.problems)} problem.")
    if report.problems:
        raise typer.Exit(1)


@app.command("list")
def corpus_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List documents with kind, language, licence and sources."""
    from assistant.corpus import load_corpus

    report = load_corpus(settings(ctx).corpus_dirs)
    rows = [
        {
            "id": d.id,
            "kind": d.kind,
            "lang": d.lang,
            "title": d.title,
            "licence": d.licence,
            "origin": d.origin,
            "imported": d.imported,
            "sources": [s.url for s in d.sources],
            "path": d.path,
        }
        for d in report.documents
    ]
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        out.print(
            f"{r['kind']:9} {r['lang']} {r['id']:34} {r['origin']:12} {r['licence']:16} {len(r['sources'])} källor",
            highlight=False,
        )
    out.print(f"{len(rows)} dokument.")


@app.command("stats")
def corpus_stats(
    ctx: typer.Context,
    sources_out: Annotated[
        Path | None, typer.Option("--sources-out", help="Write every source URL here (Markdown).")
    ] = None,
) -> None:
    """Count documents and words by kind, and list the sources the corpus cites."""
    from assistant.corpus import load_corpus

    report = load_corpus(settings(ctx).corpus_dirs)
    kinds: dict[str, list[int]] = {}
    cited: dict[str, tuple[str, list[str]]] = {}
    for d in report.documents:
        kinds.setdefault(d.kind, []).append(len(d.body.split()))
        for src in d.sources:
            cited.setdefault(src.url, (src.title, []))[1].append(d.id)
    for kind, words in sorted(kinds.items()):
        out.print(f"{kind:10} {len(words):4} dokument {sum(words):7} ord")
    total = sum(sum(w) for w in kinds.values())
    out.print(f"{'totalt':10} {len(report.documents):4} dokument {total:7} ord, {len(cited)} unika källor")
    if sources_out is not None:
        lines = [
            "# Källor i korpusen",
            "",
            f"{len(cited)} unika adresser, med de dokument som citerar dem.",
            "",
        ]
        lines += [
            f"- [{title}]({url}) – {', '.join(sorted(set(ids)))}"
            for url, (title, ids) in sorted(cited.items())
        ]
        sources_out.write_text("\n".join(lines) + "\n", encoding="utf-8")


@app.command("add")
def corpus_add(
    ctx: typer.Context,
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
        refused(exc)
        raise typer.Exit(1) from None
    n_refused = drafts = 0
    for path in paths:
        try:
            result = import_file(path, dest, overrides, corpus_dirs=settings(ctx).corpus_dirs)
        except AssistantError as exc:
            n_refused += 1
            refused(exc)
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
    done = len(paths) - n_refused
    out.print(
        f"{done} av {len(paths)} filer importerade ({drafts} utkast att komplettera, {n_refused} avvisade)."
    )
    if drafts:
        out.print("Utkast indexeras inte förrän `metodguiden corpus validate` godkänner dem.")
    if n_refused:
        raise typer.Exit(1)


@app.command("import-participedia")
def corpus_import_participedia(
    ctx: typer.Context,
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
        refused(exc)
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
