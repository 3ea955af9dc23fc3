"""Word files (.docx): paragraphs in order, Word headings kept as Markdown headings, lists and tables kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.errors import CorpusError
from assistant.importers.common import Converted

_HEADING = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)


def heading_level(style_name: str) -> int | None:
    """Markdown level for a Word paragraph style: Heading 1 → 2 (our sections), Heading 2 → 3, deeper → 4."""
    m = _HEADING.match(style_name.strip())
    if not m:
        return None
    return min(int(m.group(1)) + 1, 4)


def _paragraph(par: Any) -> tuple[str, str]:
    """(kind, markdown) for one paragraph; kind is 'title', 'heading', 'item' or 'text'."""
    text = " ".join(par.text.split())
    style = par.style.name if par.style is not None else ""
    if not text:
        return "text", ""
    if style.lower() in ("title", "rubrik"):
        return "title", text
    level = heading_level(style)
    if level is not None:
        return "heading", "#" * level + " " + text
    if style.lower().startswith(("list number", "numrerad lista")):
        return "item", f"1. {text}"
    if style.lower().startswith(("list", "lista")):
        return "item", f"- {text}"
    return "text", re.sub(r"^(#+)", r"\\\1", text)


def _table(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells = [" ".join(c.text.split()).replace("|", "/") for c in row.cells]
        rows.append("| " + " | ".join(cells) + " |")
    if rows:
        width = rows[0].count("|") - 1
        rows.insert(1, "|" + " --- |" * width)
    return "\n".join(rows)


def convert_docx(path: Path) -> Converted:
    """Markdown from a .docx; the Title style (or the file's title property) becomes the title."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
        title = (document.core_properties.title or "").strip()
        blocks: list[str] = []
        notes: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.append(_table(item))
                continue
            kind, text = _paragraph(item)
            if kind == "title" and not title:
                title = text
                notes.append("Titeln hämtades från dokumentets rubrik (formatmallen Titel).")
            elif text:
                # Consecutive list items stay one list; everything else is its own paragraph.
                if kind == "item" and blocks and blocks[-1].startswith(("- ", "1. ")):
                    blocks[-1] += "\n" + text
                else:
                    blocks.append(text)
    except Exception as exc:  # python-docx raises zip, XML and key errors on damaged files
        raise CorpusError(
            f"Word-filen {path.name!r} går inte att läsa: den är trasig eller ingen .docx ({type(exc).__name__}).",
            hint="Öppna den i Word eller LibreOffice och spara den som .docx på nytt.",
        ) from None
    body = "\n\n".join(b for b in blocks if b.strip())
    if not body.strip():
        raise CorpusError(
            f"Word-filen {path.name!r} innehåller ingen text.", hint="Välj filen med innehållet."
        )
    front = {"title": title} if title else {}
    if title and not notes:
        notes.append("Titeln hämtades från dokumentets egenskaper.")
    return Converted(body=body, front=front, notes=tuple(notes))
