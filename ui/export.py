"""Export a conversation (questions, answers, methods, plan, sources) as Markdown or as a Word file."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ui.panels import plan_rows, profile_summary, score_text

DISCLAIMER = (
    "Metodguiden bygger sina svar på metodkort, kursmaterial och fall i sin kunskapsbas. "
    "Läs källorna innan ni fattar beslut; kostnader och tider är typiska spann, inte offerter."
)


def _turn_blocks(n: int, turn: Mapping[str, Any]) -> list[str]:
    data = turn["answer"]
    out = [f"## Fråga {n}: {turn['question']}", "", str(data.get("answer", "")).strip(), ""]
    question = data.get("clarifying_question")
    if question and question not in str(data.get("answer", "")):
        out += [f"*{question}*", ""]
    profile = profile_summary(data.get("profile") or {})
    if profile:
        out += ["### Vad Metodguiden förstod", ""]
        out += [f"- {name}: {value}" for name, value in profile] + [""]
    methods = data.get("recommended_methods") or []
    if methods:
        out += ["### Rekommenderade metoder", ""]
        for m in methods:
            out.append(f"- **{m['title']}** (passar er: {score_text(float(m.get('score', 0)))})")
            out += [f"  - {r}" for r in m.get("reasons", [])]
        out.append("")
    plan = data.get("plan") or []
    if plan:
        out += ["### Processplan", "", "| Del | Fas | När | Aktiviteter |", "|---|---|---|---|"]
        for i, row in enumerate(plan_rows(plan), start=1):
            acts = " ".join(row["activities"]).replace("|", "/")
            out.append(f"| {row['stage']} | {i}. {row['name']} | {row['span']} | {acts} |")
        out.append("")
    citations = data.get("citations") or []
    if citations:
        out += ["### Källor", ""]
        for c in citations:
            section = f" – {c['section']}" if c.get("section") else ""
            url = f" <{c['url']}>" if c.get("url") else ""
            licence = f" Licens: {c['licence']}." if c.get("licence") else ""
            out.append(f"{c['n']}. {c['title']}{section}.{url}{licence}")
            if c.get("quote"):
                out.append(f"   > {c['quote']}")
        out.append("")
    return out


def conversation_markdown(turns: Sequence[Mapping[str, Any]], now: datetime | None = None) -> str:
    """The whole conversation as a Markdown document an official can share internally."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    out = ["# Samtal med Metodguiden", "", f"Exporterat {stamp}.", "", f"> {DISCLAIMER}", ""]
    if not turns:
        out.append("Samtalet är tomt.")
    for n, turn in enumerate(turns, start=1):
        out += _turn_blocks(n, turn)
    return "\n".join(out).rstrip() + "\n"


_INLINE = re.compile(r"(\*\*[^*]+\*\*|\*[^*\s][^*]*\*)")


def _add_runs(paragraph: Any, text: str) -> None:
    """Markdown **bold** and *italic* as Word runs."""
    for part in _INLINE.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            paragraph.add_run(part[2:-2]).bold = True
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            paragraph.add_run(part[1:-1]).italic = True
        else:
            paragraph.add_run(part)


def _table_cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split("|")]


def markdown_to_docx(markdown: str, path: Path) -> Path:
    """Write the Markdown this module produces (headings, lists, quotes, tables, bold) as a .docx file."""
    from docx import Document

    doc = Document()
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                if not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i].strip()):
                    block.append(_table_cells(lines[i]))
                i += 1
            width = max(len(r) for r in block)
            table = doc.add_table(rows=len(block), cols=width)
            table.style = "Table Grid"
            for r, row in enumerate(block):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = ""
                    _add_runs(cell.paragraphs[0], value)
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", line)
        if heading:
            doc.add_heading(
                heading.group(2), level=len(heading.group(1)) - 1 if len(heading.group(1)) > 1 else 0
            )
        elif line.startswith("  - "):
            _add_runs(doc.add_paragraph(style="List Bullet 2"), line[4:])
        elif line.startswith("- "):
            _add_runs(doc.add_paragraph(style="List Bullet"), line[2:])
        elif line.strip().startswith(">"):
            _add_runs(doc.add_paragraph(style="Quote"), line.strip().lstrip("> ").strip())
        elif line.strip():
            _add_runs(doc.add_paragraph(), line)
        i += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def export_files(
    turns: Sequence[Mapping[str, Any]], folder: Path, now: datetime | None = None
) -> tuple[Path, Path]:
    """Write the conversation as .md and .docx into folder; returns both paths."""
    now = now or datetime.now()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"metodguiden-samtal-{now.strftime('%Y%m%d-%H%M%S')}"
    text = conversation_markdown(turns, now)
    md = folder / f"{stem}.md"
    md.write_text(text, encoding="utf-8")
    docx = markdown_to_docx(text, folder / f"{stem}.docx")
    return md, docx


def prune_old_dirs(root: Path, max_age_s: float, now: float | None = None) -> int:
    """Remove sub-folders of root older than max_age_s (finished exports, abandoned uploads); returns how many."""
    if not root.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - max_age_s
    removed = 0
    for child in root.iterdir():
        try:
            if child.is_dir() and child.stat().st_mtime < limit:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def new_export_dir(max_age_s: float = 6 * 3600) -> Path:
    """A fresh folder for one conversation's export files; old ones are cleared on the way."""
    root = Path(tempfile.gettempdir()) / "metodguiden-export"
    root.mkdir(parents=True, exist_ok=True)
    prune_old_dirs(root, max_age_s)
    return Path(tempfile.mkdtemp(dir=root))
