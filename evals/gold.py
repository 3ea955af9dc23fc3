"""Gold cases: loading and validating JSONL files, and resolving method names to card ids."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from assistant.errors import AssistantError
from assistant.types import SourceDocument

Category = Literal["method_fit", "factual", "comparison", "process_planning", "out_of_scope"]
Behavior = Literal["answer", "refuse_or_redirect"]
CATEGORIES: tuple[str, ...] = get_args(Category)
BEHAVIORS: tuple[str, ...] = get_args(Behavior)
_REQUIRED = ("id", "lang", "category", "question", "expected_methods", "expected_behavior")
_KNOWN = set(_REQUIRED) | {"expected_sources", "must_cover", "history", "notes"}


class GoldError(AssistantError):
    """A gold file or case is malformed."""


@dataclass(frozen=True)
class Turn:
    """An earlier message of the conversation a case continues."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class GoldCase:
    """One evaluation question with what a good answer must contain."""

    id: str
    lang: Literal["sv", "en"]
    category: Category
    question: str
    expected_methods: tuple[str, ...]  # card ids, resolved from the names in the file
    expected_behavior: Behavior
    expected_sources: tuple[str, ...] = ()
    must_cover: tuple[str, ...] = ()
    history: tuple[Turn, ...] = ()
    source: str = ""  # file:line


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower().replace("’", "'")
    return re.sub(r"\s+", " ", text).strip()


class MethodCatalog:
    """Method cards by id, title and alias, so gold files may name a method any way a reader would."""

    def __init__(self, cards: Iterable[tuple[str, str, Sequence[str]]]) -> None:
        self.ids: set[str] = set()
        self.titles: dict[str, str] = {}
        self._exact: dict[str, str] = {}
        self._alias: dict[str, dict[str, int]] = {}  # alias → {card id: position in its alias list}
        for card_id, title, aliases in cards:
            self.ids.add(card_id)
            self.titles[card_id] = title
            self._exact[_norm(title)] = card_id
            short = re.sub(r"\s*\(.*\)\s*$", "", title)  # "Enkät" for "Enkät (webbenkät)"
            self._exact.setdefault(_norm(short), card_id)
            for pos, alias in enumerate(aliases):
                self._alias.setdefault(_norm(alias), {}).setdefault(card_id, pos)

    @classmethod
    def from_documents(cls, documents: Iterable[SourceDocument]) -> MethodCatalog:
        """The catalogue of every method card among the documents."""
        return cls((d.id, d.title, d.aliases) for d in documents if d.kind == "method")

    def resolve(self, name: str) -> tuple[str, ...]:
        """Card ids a name stands for: an id, a title, or the card(s) that list it as an alias.

        When several cards share an alias, the card that lists it earliest wins ("citizens' assembly"
        is the first alias of Medborgarråd and a late one of Medborgarberedning); ties keep them all.
        """
        key = _norm(name)
        if key in self.ids:
            return (key,)
        if key in self._exact:
            return (self._exact[key],)
        found = self._alias.get(key, {})
        best = min(found.values(), default=0)
        return tuple(sorted(card for card, pos in found.items() if pos == best))


def _fail(where: str, message: str, hint: str = "") -> GoldError:
    return GoldError(f"{where}: {message}", hint=hint or "See evals/README.md for the gold format.")


def _strings(where: str, field: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, f"{field} must be a list of non-empty strings, got {value!r}.")
    return tuple(v.strip() for v in value)


def parse_case(
    data: Any, where: str, catalog: MethodCatalog | None = None, doc_ids: set[str] | None = None
) -> GoldCase:
    """Validate one case; method names are resolved and sources checked when a corpus is given."""
    if not isinstance(data, dict):
        raise _fail(where, f"a case must be a JSON object, got {type(data).__name__}.")
    if data.get("needs_review"):
        raise _fail(
            where,
            f"case {data.get('id')!r} is a feedback candidate that has not been reviewed.",
            hint="Fill in its expected fields and remove needs_review before adding it to the gold set.",
        )
    missing = [f for f in _REQUIRED if f not in data]
    if missing:
        raise _fail(where, f"missing field(s) {', '.join(missing)}.")
    unknown = sorted(set(data) - _KNOWN - {"review", "needs_review"})
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)}.", hint=f"Known fields: {sorted(_KNOWN)}.")
    for field, allowed in (
        ("lang", ("sv", "en")),
        ("category", CATEGORIES),
        ("expected_behavior", BEHAVIORS),
    ):
        if data[field] not in allowed:
            raise _fail(where, f"{field} is {data[field]!r}; use one of {', '.join(allowed)}.")
    if not isinstance(data["id"], str) or not data["id"].strip():
        raise _fail(where, f"id must be a non-empty string, got {data['id']!r}.")
    if not isinstance(data["question"], str) or not data["question"].strip():
        raise _fail(where, f"case {data['id']!r} has an empty question.")
    names = _strings(where, "expected_methods", data["expected_methods"])
    methods: list[str] = []
    for name in names:
        if catalog is None:
            methods.append(name)
            continue
        ids = catalog.resolve(name)
        if not ids:
            raise _fail(
                where,
                f"case {data['id']!r}: no method card is called {name!r}.",
                hint="Use a card id, title or alias from corpus/methods (metodguiden corpus list).",
            )
        methods.extend(i for i in ids if i not in methods)
    sources = _strings(where, "expected_sources", data.get("expected_sources", []))
    if doc_ids is not None:
        bad = [s for s in sources if s not in doc_ids]
        if bad:
            raise _fail(where, f"case {data['id']!r}: unknown document id(s) {', '.join(map(repr, bad))}.")
    history: list[Turn] = []
    for turn in data.get("history", []):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise _fail(
                where, f"case {data['id']!r}: history turns need role user|assistant and content text."
            )
        history.append(Turn(turn["role"], turn["content"]))
    if data["expected_behavior"] == "refuse_or_redirect" and methods:
        raise _fail(where, f"case {data['id']!r} expects a refusal but lists expected methods.")
    return GoldCase(
        id=data["id"].strip(),
        lang=data["lang"],
        category=data["category"],
        question=data["question"].strip(),
        expected_methods=tuple(methods),
        expected_behavior=data["expected_behavior"],
        expected_sources=sources,
        must_cover=_strings(where, "must_cover", data.get("must_cover", [])),
        history=tuple(history),
        source=where,
    )


def gold_files(path: Path) -> list[Path]:
    """The JSONL files a path names: the file itself, or every *.jsonl under a folder."""
    if path.is_dir():
        files = sorted(path.rglob("*.jsonl"))
        if not files:
            raise GoldError(f"No .jsonl files in {path}.", hint="Give a gold file or a folder of them.")
        return files
    if not path.exists():
        raise GoldError(f"The gold file {path} does not exist.", hint="Check the --gold path.")
    return [path]


def load_gold(
    path: Path, catalog: MethodCatalog | None = None, doc_ids: set[str] | None = None
) -> list[GoldCase]:
    """Every case in a gold file or folder; raises GoldError naming file, line and problem."""
    cases: list[GoldCase] = []
    seen: dict[str, str] = {}
    for file in gold_files(path):
        for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            where = f"{file}:{lineno}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _fail(where, f"not valid JSON ({exc.msg}).") from None
            case = parse_case(data, where, catalog, doc_ids)
            if case.id in seen:
                raise _fail(where, f"duplicate case id {case.id!r} (first at {seen[case.id]}).")
            seen[case.id] = where
            cases.append(case)
    if not cases:
        raise GoldError(f"No cases in {path}.", hint="Each line of a gold file holds one JSON case.")
    return cases
