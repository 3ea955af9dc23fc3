"""`metodguiden search`, `ask` and `chat`: the retrieval and the answers from the terminal."""

from __future__ import annotations

import io
import json
import sys
from typing import Annotated, Any

import typer

from assistant.cli._shared import err, errors, out, settings
from assistant.errors import AssistantError
from assistant.inputs import check_question
from assistant.types import Filters


def _assistant(ctx: typer.Context) -> Any:
    from assistant.pipeline import Assistant

    return Assistant.from_settings(settings(ctx))


def search(
    ctx: typer.Context,
    query: str,
    k: Annotated[int, typer.Option("-k", help="Number of passages.")] = 5,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or keyword.")] = None,
    kind: Annotated[str | None, typer.Option(help="method, course, principle or case.")] = None,
    lang: Annotated[str | None, typer.Option(help="sv or en.")] = None,
    doc: Annotated[str | None, typer.Option(help="Only this document id.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the passages that best match a query, with scores and where they come from."""
    with errors(ctx):
        if mode is not None and mode not in ("hybrid", "dense", "keyword"):
            raise AssistantError(f"Unknown mode {mode!r}.", hint="Use hybrid, dense or keyword.")
        if kind is not None and kind not in ("method", "course", "principle", "case"):
            raise AssistantError(f"Unknown kind {kind!r}.", hint="Use method, course, principle or case.")
        if lang is not None and lang not in ("sv", "en"):
            raise AssistantError(f"Unknown language {lang!r}.", hint="Use sv or en.")
        query = check_question(query, settings(ctx).max_question_chars)  # before any model loads
        hits = _assistant(ctx).search(query, k, Filters(kind=kind, lang=lang, doc_id=doc), mode)  # type: ignore[arg-type]
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


def ask(ctx: typer.Context, question: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Answer a question with cited sources."""
    with errors(ctx):
        question = check_question(question, settings(ctx).max_question_chars)  # before any model loads
        answer = _assistant(ctx).ask(question)
    data = answer.to_json()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        _print_answer(data)


def chat(ctx: typer.Context) -> None:
    """Ask several questions in the terminal; an empty line ends the chat."""
    from assistant.errors import QuestionError
    from assistant.pipeline import Turn

    with errors(ctx):
        assistant = _assistant(ctx)
    history: list[Turn] = []
    out.print("Metodguiden – skriv din fråga (tom rad avslutar).")
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")  # bad bytes become a message, not a traceback
    for line in sys.stdin:
        if not line.strip():
            break
        try:
            line = check_question(line, settings(ctx).max_question_chars)
            answer = assistant.ask(line, history)
        except QuestionError as exc:
            err.print(f"{exc.message} {exc.hint}", highlight=False)
            continue
        _print_answer(answer.to_json())
        history += [Turn("user", line.strip()), Turn("assistant", answer.text)]
        out.print("")
