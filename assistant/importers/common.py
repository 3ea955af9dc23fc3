"""Shared parts of the importers: limits, overrides, front matter rendering, safe writing, duplicates."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import safe_yaml
from assistant.errors import CorpusError

KINDS: tuple[str, ...] = ("method", "course", "principle", "case")
LANGS: tuple[str, ...] = ("sv", "en")
KIND_FOLDERS: dict[str, str] = {
    "method": "methods",
    "course": "course",
    "principle": "principles",
    "case": "cases",
}
DRAFT_FOLDER = "utkast"  # where drafts without a kind go, inside the first corpus folder
MB = 1_000_000
# Refused by size before a byte is read: a trainer's upload is a handbook, not a 200 MB scan.
MAX_SOURCE_BYTES: dict[str, int] = {
    ".md": 2 * MB,
    ".markdown": 2 * MB,
    ".txt": 2 * MB,
    ".html": 20 * MB,
    ".htm": 20 * MB,
    ".pdf": 50 * MB,
    ".docx": 50 * MB,
}
MAX_CSV_BYTES = 100 * MB
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$")
# Fields a kind needs beyond the common ones; a draft gets them as empty placeholders to fill in.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "method": (
        "purposes",
        "influence",
        "recruitment",
        "participants",
        "duration_weeks",
        "cost_sek",
        "cost_basis",
        "staff_effort",
        "formats",
        "target_groups",
        "scale",
        "complexity",
        "polarisation",
    ),
    "case": ("methods", "place", "country", "years"),
}
# The order of front-matter fields in a written document: common fields, then each kind's own.
FIELD_ORDER: tuple[str, ...] = (
    "id",
    "kind",
    "title",
    "aliases",
    "lang",
    "summary",
    *KIND_FIELDS["method"],
    *KIND_FIELDS["case"],
    "participedia",
    "sources",
    "licence",
    "source",
    "attribution",
    "imported",
)


def mb(n: int) -> str:
    """Bytes as megabytes for messages."""
    return f"{n / MB:.1f} MB"


@dataclass(frozen=True)
class ImportOverrides:
    """Values the trainer gives (CLI flags or upload form); they win over what the file says."""

    kind: str | None = None
    lang: str | None = None
    title: str | None = None
    summary: str | None = None
    licence: str | None = None
    source_url: str | None = None
    doc_id: str | None = None
    filename: str | None = None  # the original name of an upload; the UI passes it, the CLI does not

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise CorpusError(
                f"Okänd dokumenttyp {self.kind!r}.", hint=f"Ange en av: {', '.join(KINDS)} (--kind)."
            )
        if self.lang is not None and self.lang not in LANGS:
            raise CorpusError(f"Okänt språk {self.lang!r}.", hint="Ange sv eller en (--lang).")
        if self.source_url is not None and not URL_RE.match(self.source_url):
            raise CorpusError(
                f"Källadressen {self.source_url!r} är ingen webbadress.",
                hint="Ange en fullständig adress som börjar med https:// (--source-url).",
            )
        if self.doc_id is not None and not ID_RE.match(self.doc_id):
            raise CorpusError(
                f"Id {self.doc_id!r} går inte att använda som filnamn.",
                hint="Använd gemener a–z, siffror och bindestreck, t.ex. 'handbok-dialog' (--id).",
            )
        if self.filename is not None:
            check_file_name(self.filename)


@dataclass(frozen=True)
class Converted:
    """What a converter read from a file: Markdown body plus any metadata the file itself declares."""

    body: str
    front: dict[str, Any] = field(default_factory=dict)  # fields found in the file (front matter, metadata)
    notes: tuple[str, ...] = ()  # where derived values came from, shown to the trainer


@dataclass(frozen=True)
class ImportResult:
    """One imported file: where the document was written and what the trainer still has to fill in."""

    source: Path
    path: Path
    doc_id: str
    complete: bool
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def check_file_name(name: str) -> None:
    """Refuse a file name that carries a path ('../', '/', '\\'): uploads never choose where they land."""
    parts = re.split(r"[\\/]", name)
    if len(parts) > 1 or name in ("", ".", "..") or ".." in parts or "\x00" in name:
        raise CorpusError(
            f"Filnamnet {name!r} innehåller en sökväg ('..', '/' eller '\\').",
            hint="Byt namn på filen till ett vanligt namn, t.ex. 'handbok.pdf', och försök igen.",
        )


def slugify(text: str) -> str:
    """A corpus id from a file name or title: lowercase ascii, digits and hyphens."""
    folded = unicodedata.normalize("NFKD", text.lower())
    ascii_text = folded.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:70].strip("-")
    return f"{slug}-dokument" if len(slug) == 1 else slug  # ids need two characters


def check_size(path: Path, limit: int) -> int:
    """The file's size; refuses a missing, empty or too large file before anything is read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CorpusError(
            f"Filen {str(path)!r} finns inte.", hint="Kontrollera sökvägen och försök igen."
        ) from None
    except OSError as exc:
        raise CorpusError(f"Filen {str(path)!r} går inte att läsa ({exc.strerror}).") from None
    if not path.is_file():
        raise CorpusError(f"{str(path)!r} är ingen vanlig fil.", hint="Ange en fil, inte en mapp.")
    if st.st_size == 0:
        raise CorpusError(
            f"Filen {path.name!r} är tom (0 byte).", hint="Välj filen med innehållet och försök igen."
        )
    if st.st_size > limit:
        raise CorpusError(
            f"Filen {path.name!r} är {mb(st.st_size)}, över gränsen {mb(limit)} för den här filtypen.",
            hint="Dela upp dokumentet i mindre filer eller spara bara de delar som behövs.",
        )
    return st.st_size


def normalise_text(text: str) -> str:
    """Whitespace-insensitive form used for duplicate detection."""
    return " ".join(text.split())


def content_hash(body: str) -> str:
    """sha256 of a body's words, so reflowed copies of the same text count as duplicates."""
    return hashlib.sha256(normalise_text(body).encode()).hexdigest()


def _body_of(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "".join(lines[i + 1 :])
    return text


def find_duplicate(body: str, dirs: Iterable[Path]) -> Path | None:
    """An existing document (valid or draft) whose body has the same content hash, if any."""
    wanted = content_hash(body)
    seen: set[Path] = set()
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.rglob("*.md")):
            if path.name.lower() == "readme.md" or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if content_hash(_body_of(text)) == wanted:
                return path
    return None


def find_id(doc_id: str, dirs: Iterable[Path]) -> Path | None:
    """An existing file named <doc_id>.md in any of the folders."""
    for d in dirs:
        if d.is_dir():
            for path in d.rglob(f"{doc_id}.md"):
                return path
    return None


def _ordered(front: Mapping[str, Any]) -> dict[str, Any]:
    known = [k for k in FIELD_ORDER if k in front]
    return {k: front[k] for k in known + [k for k in front if k not in FIELD_ORDER]}


def _dump(value: Any) -> str:
    return safe_yaml.dump(value, allow_unicode=True, sort_keys=False, width=100_000, default_flow_style=None)


def render_document(front: Mapping[str, Any], body: str, todo: Iterable[str] = ()) -> str:
    """Markdown with YAML front matter; `todo` lines become a comment block the trainer reads first."""
    lines = [f"# - {line}" for line in todo]
    header = "".join(
        line + "\n"
        for line in [
            "# UTKAST – komplettera innan dokumentet kan indexeras (ta sedan bort de här raderna):",
            *lines,
        ]
    )
    parts: list[str] = []
    for key, value in _ordered(front).items():
        if key == "sources" and value:
            # One source per line, each a flow mapping: easy to read and to extend by hand.
            items = "".join(
                "  - "
                + safe_yaml.dump(
                    s, allow_unicode=True, sort_keys=False, width=100_000, default_flow_style=True
                )
                for s in value
            )
            parts.append("sources:\n" + items)
        elif isinstance(value, (list, dict)):
            parts.append(_dump({key: value}))  # leaf lists and ranges come out in flow style: [a, b]
        else:
            parts.append(
                safe_yaml.dump({key: value}, allow_unicode=True, width=100_000, default_flow_style=False)
            )
    text = "---\n" + (header if lines else "") + "".join(parts) + "---\n"
    return text + body.strip("\n") + "\n"


def write_inside(dest_dir: Path, name: str, text: str) -> Path:
    """Write text atomically as dest_dir/name, refusing any name that would land outside dest_dir."""
    check_file_name(name)
    dest_dir.mkdir(parents=True, exist_ok=True)
    root = dest_dir.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise CorpusError(f"Filnamnet {name!r} pekar utanför mappen {str(dest_dir)!r}.", hint="Byt filnamn.")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
