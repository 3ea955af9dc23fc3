"""Load and validate corpus documents: Markdown with YAML front matter (schema in corpus/README.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from assistant import safe_yaml
from assistant.corpus_links import folder_links, link_problem
from assistant.lexicon import lexicon
from assistant.types import Source, SourceDocument


def _in(dimension: str) -> AfterValidator:
    """A check that a text is one of the lexicon's values for a dimension (assistant/lexicon/)."""
    allowed = lexicon().values(dimension)

    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "vocabulary",
                "{value} is not a known {dimension} value; use one of: {allowed}",
                {"value": repr(value), "dimension": dimension, "allowed": ", ".join(allowed)},
            )
        return value

    return AfterValidator(check)


Level = Annotated[str, _in("complexity")]  # lag / medel / hog, the same scale for every level field
Purpose = Annotated[str, _in("purposes")]
Influence = Annotated[str, _in("influence")]
Recruitment = Annotated[str, _in("recruitment")]
TargetGroup = Annotated[str, _in("target_groups")]
Scale = Annotated[str, _in("scale")]
Format = Annotated[str, _in("formats")]

METHOD_SECTIONS: tuple[str, ...] = (
    "Vad är det",
    "När passar det",
    "När passar det inte",
    "Så går det till",
    "Resurser och tid",
    "Exempel",
    "Styrkor och svagheter",
    "Vanliga fallgropar",
)
CASE_SECTIONS: tuple[str, ...] = (
    "Bakgrund",
    "Vad gjordes",
    "Vilka deltog",
    "Kostnad och tid",
    "Resultat",
    "Lärdomar",
)
MAX_FILE_BYTES = 2_000_000
_ID_RE = r"^[a-z0-9][a-z0-9-]{1,80}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceModel(_Strict):
    """One public source."""

    title: str = Field(min_length=2)
    url: str
    publisher: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/$.?#].[^\s]*$", value):
            raise ValueError(f"not a web address: {value!r}")
        return value


class Range(_Strict):
    """An inclusive numeric span."""

    min: float = Field(ge=0)
    max: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class DocumentModel(_Strict):
    """Fields every document has."""

    id: str = Field(pattern=_ID_RE)
    kind: Literal["method", "course", "principle", "case"]
    title: str = Field(min_length=2)
    lang: Literal["sv", "en"]
    summary: str = Field(min_length=10)
    aliases: list[str] = []
    sources: list[SourceModel] = Field(min_length=1)
    licence: str = Field(min_length=2)
    source: str = "metodguiden"
    attribution: str = ""  # credit line required by the licence of imported text
    imported: dt.date | None = None  # set by the importers (assistant/importers/)
    # What the answer side asks this document for (assistant/data/sections.toml); kept with the attributes.
    role: str = Field(default="", pattern=r"^([a-z][a-z-]*)?$")


EnglishLine = Annotated[str, Field(min_length=3)]


class MethodModel(DocumentModel):
    """A method card: the attributes the advisor reasons over."""

    purposes: list[Purpose] = Field(min_length=1)
    influence: list[Influence] = Field(min_length=1)
    recruitment: list[Recruitment] = Field(min_length=1)
    participants: Range
    duration_weeks: Range
    cost_sek: Range
    cost_basis: Literal["kalla", "uppskattning"]
    staff_effort: Level
    formats: list[Format] = Field(min_length=1)
    target_groups: list[TargetGroup] = Field(min_length=1)
    scale: list[Scale] = Field(min_length=1)
    complexity: list[Level] = Field(min_length=1)
    polarisation: list[Level] = Field(min_length=1)
    # English text quoted in English answers, so they need not quote the Swedish card.
    summary_en: str = Field(min_length=10, description="one or two English sentences on what the method is")
    fits_en: list[EnglishLine] = Field(min_length=1, description="an English list of when the method fits")
    not_fits_en: list[EnglishLine] = Field(
        min_length=1, description="an English list of when the method does not fit"
    )
    sources: list[SourceModel] = Field(min_length=2)


class CaseModel(DocumentModel):
    """A real process, linked to the method cards it used."""

    methods: list[str] = Field(min_length=1)
    place: str = Field(min_length=2)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    years: str | int


class ImportedMethodModel(DocumentModel):
    """A method imported from an outside catalogue: attributes where the source has them, none guessed."""

    summary: str = ""
    purposes: list[Purpose] = []
    influence: list[Influence] = []
    recruitment: list[Recruitment] = []
    participants: Range | None = None
    duration_weeks: Range | None = None
    cost_sek: Range | None = None
    cost_basis: Literal["kalla", "uppskattning"] | None = None
    staff_effort: Level | None = None
    formats: list[Format] = []
    target_groups: list[TargetGroup] = []
    scale: list[Scale] = []
    complexity: list[Level] = []
    polarisation: list[Level] = []
    participedia: dict[str, Any] = {}  # the catalogue's own field values, kept for provenance


# `source` values whose method documents use the lenient ImportedMethodModel (no card sections required).
IMPORTED_METHOD_SOURCES: frozenset[str] = frozenset({"participedia"})

MODELS: dict[str, type[DocumentModel]] = {
    "method": MethodModel,
    "case": CaseModel,
    "course": DocumentModel,
    "principle": DocumentModel,
}


@dataclass(frozen=True)
class Problem:
    """One validation problem, located by file, line and field."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class LoadReport:
    """Documents that loaded, and every problem found on the way."""

    documents: tuple[SourceDocument, ...]
    problems: tuple[Problem, ...]


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Return (front matter, body, body start line); raises ValueError without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("the file does not start with a '---' line of YAML front matter")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise ValueError("the front matter has no closing '---' line")


def _field_line(front: str, field: str) -> int:
    """Line (1-based, in the file) where a top-level field is written; 1 when absent."""
    for i, line in enumerate(front.splitlines(), start=2):
        if re.match(rf"^{re.escape(field)}\s*:", line):
            return i
    return 1


def _headings(body: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^##\s+(.+?)\s*$", body, flags=re.MULTILINE)]


def _check_sections(path: str, body: str, body_line: int, required: Iterable[str]) -> list[Problem]:
    found = _headings(body)
    missing = [s for s in required if s not in found]
    if missing:
        return [
            Problem(path, body_line, "body", f"missing section(s): {', '.join('## ' + m for m in missing)}")
        ]
    return []


def parse_document(path: Path, text: str) -> tuple[SourceDocument | None, list[Problem]]:
    """Validate one document's text; returns the document (or None) and its problems."""
    shown = str(path)
    try:
        front, body, body_line = split_front_matter(text)
    except ValueError as exc:
        return None, [Problem(shown, 1, "", str(exc))]
    try:
        data = safe_yaml.load(front, first_line=2)
    except safe_yaml.YamlProblem as exc:
        return None, [Problem(shown, exc.line, "", exc.english())]
    if not isinstance(data, dict):
        return None, [Problem(shown, 2, "", "the front matter is not a mapping of fields")]
    kind = data.get("kind")
    model = MODELS.get(str(kind))
    imported_method = kind == "method" and data.get("source") in IMPORTED_METHOD_SOURCES
    if imported_method:
        model = ImportedMethodModel
    if model is None:
        allowed = ", ".join(sorted(MODELS))
        return None, [
            Problem(shown, _field_line(front, "kind"), "kind", f"got {kind!r}, expected one of {allowed}")
        ]
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            field = ".".join(loc)
            spec = model.model_fields.get(loc[0]) if loc else None
            # A missing field's description says what to write, not just that something is absent.
            hint = (
                f": add {spec.description}" if err["type"] == "missing" and spec and spec.description else ""
            )
            problems.append(
                Problem(shown, _field_line(front, loc[0]) if loc else 1, field, err["msg"] + hint)
            )
        return None, problems
    problems = []
    if parsed.id != path.stem:
        problems.append(
            Problem(
                shown,
                _field_line(front, "id"),
                "id",
                f"id {parsed.id!r} differs from the file name {path.stem!r}",
            )
        )
    if not body.strip():
        problems.append(Problem(shown, body_line, "body", "the document has no text after the front matter"))
    if parsed.kind == "method" and not imported_method:
        problems += _check_sections(shown, body, body_line, METHOD_SECTIONS)
    elif parsed.kind == "case":
        problems += _check_sections(shown, body, body_line, CASE_SECTIONS)
    if problems:
        return None, problems
    base = set(DocumentModel.model_fields) - {"role"}
    attributes: dict[str, Any] = {
        k: (v.model_dump() if isinstance(v, BaseModel) else v)
        for k, v in parsed.model_dump().items()
        if k not in base and not (imported_method and v in (None, [], {}))  # imports: only what is known
    }
    attributes.pop("sources", None)
    doc = SourceDocument(
        id=parsed.id,
        kind=parsed.kind,
        title=parsed.title,
        lang=parsed.lang,
        body=body,
        path=shown,
        summary=parsed.summary,
        aliases=tuple(parsed.aliases),
        sources=tuple(Source(s.title, s.url, s.publisher) for s in parsed.sources),
        licence=parsed.licence,
        origin=parsed.source,
        attributes=attributes,
        body_line=body_line,
        imported=parsed.imported.isoformat() if parsed.imported else "",
    )
    return doc, []


def load_file(path: Path) -> tuple[SourceDocument | None, list[Problem]]:
    """Read and validate one file, turning I/O and encoding failures into problems."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                Problem(str(path), 1, "", f"file is {size} bytes, above the limit of {MAX_FILE_BYTES}")
            ]
        text = path.read_text(encoding="utf-8-sig")  # a BOM from Windows editors is not text
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, [Problem(str(path), 1, "", f"cannot read the file: {exc.strerror}")]
    return parse_document(path, text)


def corpus_files(dirs: Iterable[Path]) -> list[Path]:
    """Every document file under the corpus dirs; upper-case names (README.md, SOURCES.md) are documentation."""
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files += [p for p in sorted(d.rglob("*.md")) if not p.stem.isupper()]
    return files


def load_corpus(dirs: Iterable[Path]) -> LoadReport:
    """Load every document; a broken file is reported and skipped, never fatal to the others."""
    dirs = list(dirs)
    docs: list[SourceDocument] = []
    problems: list[Problem] = []
    for d in dirs:
        if not d.is_dir():
            problems.append(Problem(str(d), 0, "", "corpus folder does not exist"))
    problems += [Problem(str(p), 1, "", why) for p, why in folder_links(dirs)]
    for path in corpus_files(dirs):
        if (why := link_problem(path, dirs)) is not None:
            problems.append(Problem(str(path), 1, "", why))
            continue
        doc, found = load_file(path)
        problems += found
        if doc is not None:
            docs.append(doc)
    docs, cross = _cross_check(docs)
    return LoadReport(tuple(docs), tuple(problems + cross))


def _cross_check(docs: list[SourceDocument]) -> tuple[list[SourceDocument], list[Problem]]:
    """Drop duplicate ids and report case links to missing methods."""
    problems: list[Problem] = []
    seen: dict[str, SourceDocument] = {}
    unique: list[SourceDocument] = []
    for doc in docs:
        if doc.id in seen:
            problems.append(
                Problem(doc.path, 2, "id", f"id {doc.id!r} is already used by {seen[doc.id].path}")
            )
            continue
        seen[doc.id] = doc
        unique.append(doc)
    method_ids = {d.id for d in unique if d.kind == "method"}
    for doc in unique:
        if doc.kind == "case" and method_ids:
            for mid in doc.attributes.get("methods", []):
                if mid not in method_ids:
                    problems.append(Problem(doc.path, 2, "methods", f"links to unknown method id {mid!r}"))
    return unique, problems
