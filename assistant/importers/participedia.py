"""Participedia's CSV export of methods → one English method document per row, with licence and attribution.

The documents live apart from our own corpus (default `corpus-imports/participedia/`) and carry
`source: participedia`, which selects the lenient schema (`ImportedMethodModel`): Participedia has no
cost, duration or staff effort, so those stay empty rather than guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.corpus import parse_document, split_front_matter
from assistant.errors import CorpusError
from assistant.importers.common import MAX_CSV_BYTES, URL_RE, check_size, render_document, write_inside
from assistant.importers.participedia_vocab import (
    FIELD_LABELS,
    LABELS,
    LEGACY,
    MAPPING,
    MULTI_FIELDS,
    PARTICIPANTS,
    SECTION_SLOTS,
    SINGLE_FIELDS,
    VALUES,
)

LICENCE = "CC-BY-NC-SA-3.0"
SOURCE = "participedia"
DEFAULT_OUT = Path("corpus-imports/participedia")
REQUIRED_COLUMNS: tuple[str, ...] = ("id", "title", "url", "description", "body")
FACTS_HEADING = "Key facts (Participedia)"
_PROMPT = re.compile(r"(?:Know|Want)[^?]{0,160}\?\s*Help us complete this section!\s*")


@dataclass(frozen=True)
class RowIssue:
    """Something in one CSV row that could not be imported or mapped, and why (Swedish)."""

    row: int  # line in the CSV file; 0 for the file as a whole
    method_id: str
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = (
            f"rad {self.row}" + (f" (id {self.method_id})" if self.method_id else "") if self.row else "filen"
        )
        value = f" = {self.value!r}" if self.value else ""
        return f"{where}: {self.field}{value}: {self.reason}"


@dataclass(frozen=True)
class ParticipediaReport:
    """What an import did: files written or already up to date, rows skipped, values left unmapped."""

    out_dir: Path
    rows: int
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    skipped: tuple[RowIssue, ...]
    unmapped: tuple[RowIssue, ...]
    seconds: float

    @property
    def imported(self) -> int:
        """Rows that are now documents in out_dir."""
        return len(self.written) + len(self.unchanged)


# --- pure helpers -------------------------------------------------------------------------------


def _heading_ok(text: str, start: int, end: int) -> bool:
    """A heading phrase counts only where the export glued or spaced it like a heading, not mid-sentence."""
    before = text[start - 1] if start > 0 else ""
    before2 = text[start - 2 : start]
    pre = (
        not text[:start].strip()
        or not before.isspace()
        or before == "\n"
        or (len(before2) == 2 and before2.isspace())
        or (before == " " and start >= 2 and text[start - 2] in ".!?]):\"”'")
    )
    after = text[end : end + 2]
    strong_after = not after or after[0] == "\n" or after.isspace()
    if not pre:
        return strong_after  # "budgeting Origins and Development  Adhocracy": the export's own spacing
    if strong_after:
        return True
    rest = text[end:].lstrip(" ")
    if rest.startswith(("http", "www.")):  # "External Linkshttps://…"
        return True
    first = after[0]
    if first.isspace():
        return not after[1].islower()
    return not first.islower() and first not in ",;"


def find_headings(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) of Participedia's template headings, searched in template order."""
    found: list[tuple[int, int, str]] = []
    pos = 0
    for slot in SECTION_SLOTS:
        best: tuple[int, int, str] | None = None
        for heading in slot:  # alternatives, longest first: at the same start the longer one wins
            for m in re.finditer(re.escape(heading), text[pos:]):
                start, end = pos + m.start(), pos + m.end()
                if _heading_ok(text, start, end):
                    if best is None or start < best[0]:
                        best = (start, end, heading)
                    break
        if best is not None:
            found.append(best)
            pos = best[1]
    return found


def paragraphs(text: str) -> str:
    """Paragraph breaks back where the export left double spaces or newlines after a sentence."""
    text = _PROMPT.sub("", text)
    text = re.sub(r"[ \t]*\n[\s]*", "\n\n", text.strip())
    text = re.sub(r"(?<=[.!?\]”\"])[ \t]{2,}(?=[A-Z“\"\[(0-9])", "\n\n", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([.,;:!?])(?=\s|$)", r"\1", text)
    text = re.sub(r"([‘“(]) +", r"\1", text)
    text = re.sub(r" +([’”)])", r"\1", text)
    text = re.sub(r"(?m)^(#+)", r"\\\1", text)
    return text.strip()


def restore_body(raw: str) -> str:
    """Markdown from Participedia's flattened body: template headings become `## Heading`, empty ones go."""
    text = html.unescape(raw).replace("\xa0", " ").replace("\r\n", "\n")
    heads = find_headings(text)
    parts: list[str] = []
    intro = paragraphs(text[: heads[0][0]] if heads else text)
    if intro:
        parts.append(intro)
    for i, (_, end, heading) in enumerate(heads):
        stop = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        content = paragraphs(text[end:stop])
        if content:
            parts.append(f"## {heading}\n\n{content}")
    return "\n\n".join(parts)


def field_values(row: dict[str, str], name: str) -> list[str]:
    """The non-empty values of a field, from `name` or `name_1.._3`, stripped and normalised."""
    raw = [row.get(name, "")] if name in SINGLE_FIELDS else [row.get(f"{name}_{i}", "") for i in (1, 2, 3)]
    out: list[str] = []
    for value in raw:
        v = (value or "").strip()
        v = LEGACY.get(name, {}).get(v, v)
        if v and v not in out:
            out.append(v)
    return out


def _add(target: dict[str, list[str]], key: str, values: Sequence[str]) -> None:
    bucket = target.setdefault(key, [])
    bucket += [v for v in values if v not in bucket]


def map_attributes(
    row: dict[str, str],
) -> tuple[dict[str, Any], dict[str, list[str]], list[tuple[str, str, str]]]:
    """(our attributes, Participedia's raw values, [(field, value, why unmapped)]) for one row. Pure."""
    ours: dict[str, list[str]] = {}
    raw: dict[str, list[str]] = {}
    gaps: list[tuple[str, str, str]] = []
    low: list[int] = []
    high: list[int] = []
    for name in (*SINGLE_FIELDS, *MULTI_FIELDS):
        values = field_values(row, name)
        if values:
            raw[name] = values
        for value in values:
            if value not in VALUES[name]:
                gaps.append((name, value, "okänt värde, finns inte i Participedias ordlista"))
            elif name == "number_of_participants":
                low.append(PARTICIPANTS[value][0])
                high.append(PARTICIPANTS[value][1])
            elif name in MAPPING:
                target, table = MAPPING[name]
                mapped = table[value]
                if isinstance(mapped, str):
                    gaps.append((name, value, mapped))
                else:
                    _add(ours, target, mapped)
    attributes: dict[str, Any] = dict(ours)
    if low:
        attributes["participants"] = {"min": min(low), "max": max(high)}
    return attributes, raw, gaps


def facts_text(raw: dict[str, list[str]]) -> str:
    """Participedia's structured fields as an English list, so retrieval can find them too."""
    lines = []
    for name, label in FIELD_LABELS.items():
        if raw.get(name):
            values = "; ".join(LABELS.get(name, {}).get(v, v) for v in raw[name])
            lines.append(f"- {label}: {values}")
    return "\n".join(lines)


def _clean(text: str) -> str:
    return " ".join(html.unescape(text or "").replace("\xa0", " ").split())


def document_for_row(
    row: dict[str, str], today: dt.date
) -> tuple[str, str, dict[str, Any], str, list[tuple[str, str, str]]]:
    """(doc id, file text, front matter, body, gaps) for one CSV row; raises ValueError with a reason. Pure."""
    method_id = (row.get("id") or "").strip()
    if not method_id.isdigit():
        raise ValueError(f"id {method_id!r} är inte ett Participedia-nummer")
    if (row.get("type") or "method").strip() != "method":
        raise ValueError(f"raden är av typen {row.get('type')!r}, inte method")
    title = _clean(row.get("title", ""))
    if len(title) < 2:
        raise ValueError("titeln saknas")
    url = (row.get("url") or "").strip()
    if not URL_RE.match(url):
        raise ValueError(f"adressen {url!r} är ingen webbadress")
    attributes, raw, gaps = map_attributes(row)
    summary = _clean(row.get("description", ""))
    if len(summary) < 10:
        gaps.append(("description", summary, "beskrivningen är tom: dokumentet får ingen sammanfattning"))
        summary = ""
    facts = facts_text(raw)
    parts = [restore_body(row.get("body") or "")]
    if facts:
        parts.append(f"## {FACTS_HEADING}\n\n{facts}")
    body = "\n\n".join(p for p in parts if p)
    if not body:
        body = f"Participedia has only the title of this method so far: {url}"
        gaps.append(("body", "", "texten och fälten är tomma: bara titel och adress importerades"))
    alias = re.sub(r"\s*[®™©]\s*", " ", title).strip()
    info: dict[str, Any] = {"id": method_id}
    for column in ("updated_date", "original_language"):
        if (row.get(column) or "").strip():
            info[column] = row[column].strip()
    info.update(raw)
    doc_id = f"participedia-{method_id}"
    front: dict[str, Any] = {
        "id": doc_id,
        "kind": "method",
        "title": title,
        "aliases": [alias] if alias != title else [],
        "lang": "en",
        "summary": summary,
        **attributes,
        "participedia": info,
        "sources": [{"title": f"Participedia: {title}", "url": url, "publisher": "Participedia"}],
        "licence": LICENCE,
        "source": SOURCE,
        "attribution": f"{title} – Participedia, {url} (CC BY-NC-SA 3.0)",
        "imported": today,
    }
    return doc_id, render_document(front, body), front, body, gaps


# --- file I/O -------------------------------------------------------------------------------------


def read_rows(csv_path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(line number, row) pairs and the attribute columns the file lacks; refuses files that are no export."""
    check_size(csv_path, MAX_CSV_BYTES)
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise CorpusError(
                    f"{csv_path.name!r} saknar kolumnerna {', '.join(missing)} "
                    f"(hittade: {', '.join(columns[:8]) or 'inga'}{' …' if len(columns) > 8 else ''}).",
                    hint="Använd Participedias CSV-export av metoder "
                    "(participedia.net/search?selectedCategory=method&returns=csv).",
                )
            reader.fieldnames = columns
            rows: list[tuple[int, dict[str, str]]] = []
            start = reader.line_num + 1
            for row in reader:  # a row spans several lines when its body has line breaks
                rows.append((start, row))
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{csv_path.name!r} är inte UTF-8-text (fel vid byte {exc.start}).",
            hint="Spara CSV-filen som UTF-8 och försök igen.",
        ) from None
    except csv.Error as exc:
        raise CorpusError(
            f"{csv_path.name!r} är ingen läsbar CSV-fil ({exc}).",
            hint="Ladda ner exporten från Participedia igen.",
        ) from None
    if not rows:
        raise CorpusError(
            f"{csv_path.name!r} har inga rader med metoder.", hint="Kontrollera att exporten är hel."
        )
    expected = [*SINGLE_FIELDS, *(f"{n}_1" for n in MULTI_FIELDS)]
    return rows, [c for c in expected if c not in columns]


def _without_date(text: str) -> str:
    return re.sub(r"(?m)^imported:.*$", "", text)


def _same_as_file(path: Path, text: str) -> bool:
    """True when the file already holds this document (apart from its import date)."""
    try:
        old = path.read_text(encoding="utf-8")
        split_front_matter(old)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return _without_date(old) == _without_date(text)


def import_participedia(
    csv_path: Path, out_dir: Path = DEFAULT_OUT, *, today: dt.date | None = None
) -> ParticipediaReport:
    """Write one document per method row into out_dir; unchanged documents are left untouched.

    Rows that cannot be imported are reported with the reason and skipped; the others still import.
    Raises CorpusError (Swedish message) only when the file as a whole is unusable.
    """
    started = time.perf_counter()
    rows, missing_columns = read_rows(csv_path)
    today = today or dt.date.today()
    written: list[Path] = []
    unchanged: list[Path] = []
    skipped: list[RowIssue] = []
    unmapped = [
        RowIssue(0, "", c, "", "kolumnen saknas i filen; fältet lämnas tomt") for c in missing_columns
    ]
    seen: dict[str, int] = {}
    for line, row in rows:
        method_id = (row.get("id") or "").strip()
        try:
            doc_id, text, _, _, gaps = document_for_row(row, today)
        except ValueError as exc:
            skipped.append(RowIssue(line, method_id, "rad", "", str(exc)))
            continue
        if doc_id in seen:
            skipped.append(RowIssue(line, method_id, "id", method_id, f"samma id som rad {seen[doc_id]}"))
            continue
        seen[doc_id] = line
        target = out_dir / f"{doc_id}.md"
        _, problems = parse_document(target, text)
        if problems:
            reasons = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
            skipped.append(RowIssue(line, method_id, "dokument", "", f"klarar inte valideringen: {reasons}"))
            continue
        unmapped += [RowIssue(line, method_id, f, v, why) for f, v, why in gaps]
        if _same_as_file(target, text):
            unchanged.append(target)
        else:
            written.append(write_inside(out_dir, target.name, text))
    return ParticipediaReport(
        out_dir,
        len(rows),
        tuple(written),
        tuple(unchanged),
        tuple(skipped),
        tuple(unmapped),
        time.perf_counter() - started,
    )
