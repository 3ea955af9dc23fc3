"""Markdown (and plain text) files: front matter, if any, is read and validated with the rest."""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.corpus import split_front_matter
from assistant.errors import CorpusError
from assistant.importers.common import Converted


def read_text(path: Path) -> str:
    """The file as UTF-8 text, refused with a clear message when it is not."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"Filen {path.name!r} är inte UTF-8-text (fel vid byte {exc.start}).",
            hint="Spara om filen som UTF-8 (i de flesta redigerare: Spara som → Kodning UTF-8).",
        ) from None


def convert_markdown(path: Path) -> Converted:
    """Body and front matter fields of a Markdown file; a file without front matter is all body."""
    text = read_text(path)
    if not text.strip():
        raise CorpusError(f"Filen {path.name!r} innehåller ingen text.", hint="Välj filen med innehållet.")
    if not text.lstrip("\ufeff").startswith("---"):
        return Converted(body=text, notes=("Filen saknade framsida (front matter); den skapades.",))
    try:
        front_text, body, _ = split_front_matter(text)
        data = yaml.safe_load(front_text)
    except ValueError as exc:
        raise CorpusError(
            f"Framsidan i {path.name!r} är trasig: {exc}.", hint="Avsluta framsidan med en rad '---'."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise CorpusError(
            f"YAML-fel i framsidan i {path.name!r} rad {line}: {problem}.",
            hint="Rätta raden (citattecken runt text med ':' eller apostrof) och försök igen.",
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorpusError(
            f"Framsidan i {path.name!r} är ingen lista av fält (fält: värde).",
            hint="Skriv framsidan som 'title: ...', 'lang: sv' osv., en rad per fält.",
        )
    return Converted(body=body, front={str(k): v for k, v in data.items()})
