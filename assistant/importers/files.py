"""`import_file`: one trainer file (Markdown, text, PDF, Word, saved web page) → one corpus document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.corpus import MAX_FILE_BYTES, parse_document
from assistant.errors import CorpusError
from assistant.importers.common import (
    DRAFT_FOLDER,
    ID_RE,
    KIND_FIELDS,
    KIND_FOLDERS,
    KINDS,
    MAX_SOURCE_BYTES,
    Converted,
    ImportOverrides,
    ImportResult,
    check_file_name,
    check_size,
    find_duplicate,
    find_id,
    mb,
    render_document,
    slugify,
    write_inside,
)

Converter = Callable[[Path], Converted]
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(MAX_SOURCE_BYTES)

# What to write in the draft's comment block when a common field is missing.
_TODO: dict[str, str] = {
    "kind": "kind: ange dokumenttyp – method, course, principle eller case (--kind)",
    "title": "title: ange en rubrik (--title)",
    "lang": "lang: ange språk – sv eller en (--lang)",
    "summary": "summary: skriv en mening om vad dokumentet handlar om (--summary)",
    "sources": "sources: ange minst en källa med webbadress (--source-url; metodkort behöver två)",
    "licence": "licence: ange textens licens, t.ex. CC-BY-4.0 för egen text (--licence)",
}
_EMPTY_RANGE: dict[str, None] = {"min": None, "max": None}
_RANGES = {"participants", "duration_weeks", "cost_sek"}
_LISTS = {
    "purposes",
    "influence",
    "recruitment",
    "formats",
    "target_groups",
    "scale",
    "complexity",
    "polarisation",
    "methods",
}


def _converter(ext: str) -> Converter:
    from assistant.importers.docx import convert_docx
    from assistant.importers.html import convert_html
    from assistant.importers.markdown import convert_markdown
    from assistant.importers.pdf import convert_pdf

    table: dict[str, Converter] = {
        ".md": convert_markdown,
        ".markdown": convert_markdown,
        ".txt": convert_markdown,
        ".pdf": convert_pdf,
        ".docx": convert_docx,
        ".html": convert_html,
        ".htm": convert_html,
    }
    return table[ext]


def _check_extension(name: str) -> str:
    ext = Path(name).suffix.lower()
    if ext in MAX_SOURCE_BYTES:
        return ext
    known = ", ".join(SUPPORTED_EXTENSIONS)
    if ext == ".doc":
        raise CorpusError(
            f"{name!r} är en äldre Word-fil (.doc), som inte kan läsas.",
            hint="Öppna den i Word eller LibreOffice och spara som .docx.",
        )
    raise CorpusError(
        f"Filtypen {ext or '(ingen ändelse)'!r} i {name!r} kan inte importeras.",
        hint=f"Spara dokumentet som en av: {known}.",
    )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or value == _EMPTY_RANGE


def build_front(
    converted: Converted, overrides: ImportOverrides, name: str, today: dt.date
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Front matter from the file plus the trainer's values; returns (front, todo lines, notes). Pure."""
    front = dict(converted.front)
    notes = list(converted.notes)
    found_url = front.pop("source_url", None)
    for key in ("kind", "lang", "title", "summary", "licence"):
        value = getattr(overrides, key)
        if value is not None:
            if front.get(key) not in (None, "", value):
                notes.append(f"{key}: {front[key]!r} i filen ersattes av {value!r}.")
            front[key] = value
    doc_id = overrides.doc_id or (str(front["id"]) if front.get("id") else "")
    if doc_id and not ID_RE.match(doc_id):
        fixed = slugify(doc_id)
        notes.append(
            f"Id {doc_id!r} i filen gick inte att använda som filnamn; {fixed!r} används (ändra med --id)."
        )
        doc_id = fixed
    if not doc_id:
        doc_id = slugify(Path(name).stem) or slugify(str(front.get("title") or ""))
        if doc_id:
            notes.append(f"Id {doc_id!r} bildades av filnamnet (ändra med --id).")
    if not doc_id:
        raise CorpusError(
            f"Det går inte att bilda ett id av filnamnet {name!r}.",
            hint="Ange ett id med --id, t.ex. --id handbok-dialog.",
        )
    front["id"] = doc_id
    sources = list(front.get("sources") or [])
    url = overrides.source_url or found_url
    if url and not any(isinstance(s, dict) and s.get("url") == url for s in sources):
        sources.append({"title": str(front.get("title") or doc_id), "url": url, "publisher": ""})
    front["sources"] = sources
    front["imported"] = today
    todo = [line for key, line in _TODO.items() if _is_empty(front.get(key))]
    for key in _TODO:
        front.setdefault(key, [] if key == "sources" else "")
        if front[key] is None:
            front[key] = ""
    for key in KIND_FIELDS.get(str(front.get("kind")), ()):
        if _is_empty(front.get(key)):
            front[key] = _EMPTY_RANGE if key in _RANGES else [] if key in _LISTS else ""
            todo.append(f"{key}: fyll i enligt corpus/README.md")
    return front, todo, notes


def _problems(todo: Sequence[str], text: str, target: Path) -> list[str]:
    """The draft's missing fields first, then anything else the validator finds."""
    _, found = parse_document(target, text)
    out = list(todo)
    covered = {line.split(":", 1)[0] for line in todo}
    for p in found:
        root = p.field.split(".", 1)[0]
        if root in covered:
            continue
        if root:
            covered.add(root)
        where = f"{p.field}: " if p.field else ""
        out.append(f"{where}{p.message} (rad {p.line})")
    return out


def import_file(
    path: Path,
    dest_dir: Path | None = None,
    overrides: ImportOverrides | None = None,
    *,
    corpus_dirs: Sequence[Path] = (),
    today: dt.date | None = None,
) -> ImportResult:
    """Convert one file into dest_dir/<id>.md; raises CorpusError (Swedish message) when it is refused.

    A document with missing fields is still written, as a draft: its front matter starts with a
    comment block listing what to fill in, and the empty fields fail `metodguiden corpus validate`,
    so `metodguiden index` skips it until the trainer has completed it.
    """
    overrides = overrides or ImportOverrides()
    name = overrides.filename or path.name
    check_file_name(name)
    ext = _check_extension(name)
    check_size(path, MAX_SOURCE_BYTES[ext])
    converted = _converter(ext)(path)
    if not converted.body.strip():
        raise CorpusError(f"Filen {name!r} innehåller ingen text.", hint="Välj filen med innehållet.")
    front, todo, notes = build_front(converted, overrides, name, today or dt.date.today())
    if dest_dir is None:
        if not corpus_dirs:
            raise CorpusError("Ingen målmapp angavs.", hint="Ange --dest MAPP eller --corpus MAPP.")
        kind = str(front.get("kind"))
        dest_dir = corpus_dirs[0] / (KIND_FOLDERS[kind] if kind in KINDS else DRAFT_FOLDER)
    search = [dest_dir, *corpus_dirs]
    duplicate = find_duplicate(converted.body, search)
    if duplicate is not None:
        raise CorpusError(
            f"{name!r} har samma innehåll som det befintliga dokumentet {str(duplicate)!r}.",
            hint="Dubbletten importerades inte. Ändra i den befintliga filen i stället.",
        )
    doc_id = str(front["id"])
    existing = find_id(doc_id, search)
    if existing is not None:
        raise CorpusError(
            f"Id {doc_id!r} används redan av {str(existing)!r}.",
            hint="Ange ett annat id med --id, eller ta bort den gamla filen först.",
        )
    text = render_document(front, converted.body, todo)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"Texten i {name!r} blir {mb(size)}, över gränsen {mb(MAX_FILE_BYTES)} per korpusdokument.",
            hint="Dela upp källan i flera filer (t.ex. ett kapitel per fil) och importera dem var för sig.",
        )
    target = dest_dir / f"{doc_id}.md"
    problems = _problems(todo, text, target)
    written = write_inside(dest_dir, f"{doc_id}.md", text)
    return ImportResult(path, written, doc_id, not problems, tuple(problems), tuple(notes))
