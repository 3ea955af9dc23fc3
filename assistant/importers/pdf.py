"""PDF files: the text of every page, each page a `## Sida N` section so citations can name the page."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import CorpusError
from assistant.importers.common import Converted


def page_markdown(number: int, text: str) -> str:
    """One page as a Markdown section; lines that look like headings are escaped so pages stay sections."""
    lines = [re.sub(r"^(\s*)#", r"\1\\#", line.rstrip()) for line in text.splitlines()]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return f"## Sida {number}\n\n{cleaned}"


def convert_pdf(path: Path) -> Converted:
    """Text per page with page numbers kept; a PDF without text (a scan) is refused."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError(
                f"PDF-filen {path.name!r} är lösenordsskyddad.",
                hint="Spara en kopia utan lösenord och försök igen.",
            )
        texts = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        title = str(meta.title or "").strip() if meta is not None else ""
    except CorpusError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; all mean "cannot read it"
        raise CorpusError(
            f"PDF-filen {path.name!r} går inte att läsa: den är trasig eller ingen PDF ({type(exc).__name__}).",
            hint="Öppna filen i en PDF-läsare och spara den på nytt, eller exportera den igen från källan.",
        ) from None
    sections = [page_markdown(i, t) for i, t in enumerate(texts, start=1) if t.strip()]
    if not sections:
        raise CorpusError(
            f"PDF-filen {path.name!r} innehåller ingen text som går att läsa ut ({len(texts)} sidor).",
            hint="Den är troligen inskannad: kör textigenkänning (OCR) och försök igen.",
        )
    notes = [f"{len(sections)} av {len(texts)} sidor hade text; varje sida blev ett avsnitt '## Sida N'."]
    front = {}
    if title:
        front["title"] = title
        notes.append("Titeln hämtades från PDF-filens egenskaper.")
    return Converted(body="\n\n".join(sections), front=front, notes=tuple(notes))
