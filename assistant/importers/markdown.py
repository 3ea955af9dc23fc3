"""Markdown (and plain text) files: front matter, if any, is read and validated with the rest."""

from __future__ import annotations

from pathlib import Path

from assistant import safe_yaml
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


def _yaml_error(path: Path, exc: safe_yaml.YamlProblem) -> CorpusError:
    """Refused front matter YAML as a message in Swedish that names the file and its line."""
    if exc.reason in ("alias", "anchor"):
        return CorpusError(
            f"Framsidan i {path.name!r} rad {exc.line} använder YAML-ankare eller alias ({exc.detail}); "
            "det tillåts inte, eftersom alias kan blåsa upp en liten fil till gigabyte.",
            hint="Skriv ut värdena i sin helhet i stället för &namn och *namn.",
        )
    if exc.reason == "depth":
        return CorpusError(
            f"Framsidan i {path.name!r} rad {exc.line} är för djupt nästlad ({exc.detail}).",
            hint="Framsidans fält behöver bara några nivåer; förenkla strukturen.",
        )
    return CorpusError(
        f"YAML-fel i framsidan i {path.name!r} rad {exc.line}: {exc.detail}.",
        hint="Rätta raden (citattecken runt text med ':' eller apostrof) och försök igen.",
    )


def convert_markdown(path: Path) -> Converted:
    """Body and front matter fields of a Markdown file; a file without front matter is all body."""
    text = read_text(path)
    if not text.strip():
        raise CorpusError(f"Filen {path.name!r} innehåller ingen text.", hint="Välj filen med innehållet.")
    if not text.lstrip("\ufeff").startswith("---"):
        return Converted(body=text, notes=("Filen saknade framsida (front matter); den skapades.",))
    try:
        front_text, body, _ = split_front_matter(text)
        data = safe_yaml.load(front_text, first_line=2)
    except safe_yaml.YamlProblem as exc:
        raise _yaml_error(path, exc) from None
    except ValueError as exc:
        raise CorpusError(
            f"Framsidan i {path.name!r} är trasig: {exc}.", hint="Avsluta framsidan med en rad '---'."
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorpusError(
            f"Framsidan i {path.name!r} är ingen lista av fält (fält: värde).",
            hint="Skriv framsidan som 'title: ...', 'lang: sv' osv., en rad per fält.",
        )
    return Converted(body=body, front={str(k): v for k, v in data.items()})
