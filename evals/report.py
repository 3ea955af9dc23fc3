"""Evaluation output: results.jsonl, summary.json, report.md and report.html (with SVG bar charts)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.metrics import mean_defined
from evals.runner import CaseResult

MAIN_COLUMNS: tuple[str, ...] = (
    "hit@1",
    "hit@3",
    "method_precision",
    "recall@5",
    "mrr",
    "ndcg@10",
    "must_cover",
    "behavior_correct",
    "abstention_precision",
    "abstention_recall",
    "intent_correct",
    "citation_validity",
    "citation_support",
    "uncited_factual",
    "judge",
    "pass_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "index_s_per_1000",
    "embedder_rss_mb",
)
CATEGORY_COLUMNS: tuple[str, ...] = (
    "cases",
    "hit@3",
    "method_precision",
    "recall@5",
    "ndcg@10",
    "must_cover",
    "behavior_correct",
    "pass_rate",
)
WORST_PER_CONFIG = 8
ANSWER_CHARS = 700
_COLORS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5")


def fmt(value: Any) -> str:
    """A table cell: '–' for not applicable, whole numbers for counts and milliseconds, else 2 decimals."""
    if value is None:
        return "–"
    if isinstance(value, int) or (isinstance(value, float) and value >= 100):
        return f"{value:.0f}"
    return f"{value:.2f}"


def cell(metric: str, value: Any) -> str:
    """fmt, with milliseconds always whole."""
    if metric.endswith("_ms") and isinstance(value, int | float):
        return f"{value:.0f}"
    return fmt(value)


def worst(results: Sequence[CaseResult], n: int = WORST_PER_CONFIG) -> list[CaseResult]:
    """The failed cases with the most failed checks first, then the lowest scores."""

    def badness(r: CaseResult) -> tuple[int, float]:
        keys = ("hit@3", "recall@5", "must_cover", "behavior_correct")
        return (-len(r.failures), mean_defined(r.metrics.get(k) for k in keys) or 0.0)

    return sorted((r for r in results if not r.passed), key=badness)[:n]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def markdown(summary: dict[str, Any], results: Sequence[CaseResult], meta: dict[str, Any]) -> str:
    """The report as Markdown."""
    configs = list(summary)
    lines = [
        "# Utvärdering av Metodguiden",
        "",
        f"Guldfil: `{meta.get('gold')}` · {meta.get('cases')} fall · korpus: {', '.join(meta.get('corpus', []))}",
        f"Stödmått med inbäddning: {meta.get('support_embedder') or 'nej (bara lexikalt)'} · "
        f"LLM-domare: {meta.get('judge') or 'hoppades över'} · {meta.get('started')}",
        "",
        "## Sammanfattning",
        "",
    ]
    lines += _table(
        ["konfiguration", *MAIN_COLUMNS],
        [[c, *(cell(k, summary[c]["overall"].get(k)) for k in MAIN_COLUMNS)] for c in configs],
    )
    lines += ["", "## Per kategori", ""]
    categories = sorted({cat for c in configs for cat in summary[c]["by_category"]})
    for cat in categories:
        lines += [f"### {cat}", ""]
        rows = [
            [c, *(fmt(summary[c]["by_category"].get(cat, {}).get(k)) for k in CATEGORY_COLUMNS)]
            for c in configs
        ]
        lines += [*_table(["konfiguration", *CATEGORY_COLUMNS], rows), ""]
    lines += ["## Per språk", ""]
    for lang in ("sv", "en"):
        rows = [
            [c, *(fmt(summary[c]["by_lang"].get(lang, {}).get(k)) for k in CATEGORY_COLUMNS)]
            for c in configs
            if lang in summary[c]["by_lang"]
        ]
        if rows:
            lines += [f"### {lang}", "", *_table(["konfiguration", *CATEGORY_COLUMNS], rows), ""]
    lines += ["## Sämsta fallen", ""]
    for c in configs:
        bad = worst([r for r in results if r.config == c])
        lines += [f"### {c}", ""] + (["Inga misslyckade fall.", ""] if not bad else [])
        for r in bad:
            ans = r.response.answer
            got = [str(x.get("id")) for x in ans.get("recommended_methods", [])][:5]
            lines += [
                f"**{r.case.id}** ({r.case.category}, {r.case.lang}): {r.case.question}",
                "",
                *(f"- {f}" for f in r.failures),
                f"- förväntade metoder: {', '.join(r.case.expected_methods) or '–'}; fick: {', '.join(got) or '–'}",
                f"- förväntade källor: {', '.join(r.case.expected_sources) or '–'}; hämtade: "
                f"{', '.join(dict.fromkeys(r.response.retrieved).keys()) or '–'}",
                "",
                "> "
                + (str(ans.get("answer") or r.response.error or "")[:ANSWER_CHARS]).replace("\n", "\n> "),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], unit: str = ""
) -> str:
    """A grouped horizontal bar chart as standalone SVG (one group per label, one bar per series)."""
    bar_h, gap, left, width, value_w = 14, 10, 150, 360, 70
    group_h = bar_h * len(series) + gap
    legend_h = 20
    height = 30 + legend_h + group_h * len(labels)
    top = max((v for _, vals in series for v in vals if v is not None), default=0.0) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + value_w}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}" font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    for s, (name, _) in enumerate(series):
        x = left + s * 120
        out.append(f'<rect x="{x}" y="24" width="10" height="10" fill="{_COLORS[s % len(_COLORS)]}"/>')
        out.append(f'<text x="{x + 14}" y="33">{html.escape(name)}</text>')
    for g, label in enumerate(labels):
        y0 = 30 + legend_h + g * group_h
        out.append(
            f'<text x="{left - 6}" y="{y0 + group_h / 2}" text-anchor="end">{html.escape(label)}</text>'
        )
        for s, (_, values) in enumerate(series):
            value = values[g]
            y = y0 + s * bar_h
            w = 0.0 if value is None else width * value / top
            out.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{_COLORS[s % len(_COLORS)]}"/>'
            )
            text = "–" if value is None else f"{cell('_ms' if unit else '', value)}{unit}"
            out.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}">{html.escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(summary: dict[str, Any], results: Sequence[CaseResult], meta: dict[str, Any]) -> str:
    """The report as one self-contained HTML page with the charts inline."""
    configs = list(summary)
    overall = [summary[c]["overall"] for c in configs]
    charts = [
        bar_chart("hit@3 per konfiguration", configs, [("hit@3", [o.get("hit@3") for o in overall])]),
        bar_chart(
            "Svarstid per konfiguration",
            configs,
            [
                ("p50", [o.get("latency_p50_ms") for o in overall]),
                ("p95", [o.get("latency_p95_ms") for o in overall]),
            ],
            " ms",
        ),
    ]
    parts = [
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>Utvärdering av Metodguiden</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;"
        "text-align:right}td:first-child,th:first-child{text-align:left}blockquote{white-space:pre-wrap;"
        "background:#f6f6f6;padding:.5em;font-size:13px}.charts{display:flex;gap:2em;flex-wrap:wrap}</style>",
        "</head><body><h1>Utvärdering av Metodguiden</h1>",
        f"<p>Guldfil: <code>{html.escape(str(meta.get('gold')))}</code> · {meta.get('cases')} fall · "
        f"{html.escape(str(meta.get('started')))}</p>",
        "<h2>Sammanfattning</h2>",
        "<div style='overflow-x:auto'>",
        _html_table(
            ["konfiguration", *MAIN_COLUMNS],
            [[c, *(cell(k, summary[c]["overall"].get(k)) for k in MAIN_COLUMNS)] for c in configs],
        ),
        "</div>",
        f"<div class='charts'>{''.join(charts)}</div>",
        "<h2>Per kategori</h2>",
    ]
    for cat in sorted({cat for c in configs for cat in summary[c]["by_category"]}):
        rows = [
            [c, *(fmt(summary[c]["by_category"].get(cat, {}).get(k)) for k in CATEGORY_COLUMNS)]
            for c in configs
        ]
        parts += [f"<h3>{html.escape(cat)}</h3>", _html_table(["konfiguration", *CATEGORY_COLUMNS], rows)]
    parts.append("<h2>Sämsta fallen</h2>")
    for c in configs:
        parts.append(f"<h3>{html.escape(c)}</h3>")
        for r in worst([r for r in results if r.config == c]):
            ans = r.response.answer
            got = ", ".join(str(x.get("id")) for x in ans.get("recommended_methods", [])[:5]) or "–"
            parts += [
                f"<p><b>{html.escape(r.case.id)}</b> ({r.case.category}, {r.case.lang}): "
                f"{html.escape(r.case.question)}</p><ul>",
                *(f"<li>{html.escape(f)}</li>" for f in r.failures),
                f"<li>förväntade metoder: {html.escape(', '.join(r.case.expected_methods) or '–')}; "
                f"fick: {html.escape(got)}</li></ul>",
                f"<blockquote>{html.escape(str(ans.get('answer') or r.response.error or '')[:ANSWER_CHARS])}"
                "</blockquote>",
            ]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_outputs(
    out_dir: Path, results: Sequence[CaseResult], summary: dict[str, Any], meta: dict[str, Any]
) -> dict[str, Path]:
    """Write every output file into out_dir; returns their paths by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in ("results.jsonl", "summary.json", "report.md", "report.html")}
    with paths["results.jsonl"].open("w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
    paths["summary.json"].write_text(
        json.dumps({"meta": meta, "configs": summary}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    paths["report.md"].write_text(markdown(summary, results, meta), encoding="utf-8")
    paths["report.html"].write_text(html_report(summary, results, meta), encoding="utf-8")
    return paths
