"""The domain vocabulary as data: every controlled value with its labels, cues and example phrasings.

The YAML files beside this module are the one place where a value, a label or a new way of saying
something is added (see README.md here). `lexicon()` loads and validates them once per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError
from assistant.types import Lang

FOLDER = Path(__file__).parent
_FILE_KEYS = {"dimensions", "patterns", "function_words"}
_DIMENSION_KEYS = {"sv", "en", "doc", "values"}
_VALUE_KEYS = {"sv", "en", "cues", "exemplars"}
_LANGS: tuple[Lang, ...] = ("sv", "en")
QUESTIONS_FILE = "questions.jsonl"  # labelled questions from evaluation sets that are no longer unseen
_QUESTION_KEYS = {"text", "scope", "intent", "precondition", "methods", "source"}


class LexiconError(ConfigError):
    """A lexicon file breaks the schema; the message names the file and line."""


@dataclass(frozen=True)
class Value:
    """One controlled value: its key, Swedish and English label, recognition cues and example phrasings."""

    key: str
    sv: str
    en: str
    cues: tuple[str, ...] = ()
    exemplars_sv: tuple[str, ...] = ()
    exemplars_en: tuple[str, ...] = ()

    def label(self, lang: Lang = "sv") -> str:
        """The label in a language."""
        return self.sv if lang == "sv" else self.en

    @property
    def exemplars(self) -> tuple[str, ...]:
        """Every example phrasing, Swedish first."""
        return self.exemplars_sv + self.exemplars_en


@dataclass(frozen=True)
class Dimension:
    """A named vocabulary (purposes, intents, scope …) and its values in file order."""

    name: str
    sv: str
    en: str
    values: tuple[Value, ...]

    def keys(self) -> tuple[str, ...]:
        """The value keys, in file order."""
        return tuple(v.key for v in self.values)

    def get(self, key: str) -> Value | None:
        """One value by key; None when unknown."""
        return next((v for v in self.values if v.key == key), None)

    def __contains__(self, key: object) -> bool:
        return any(v.key == key for v in self.values)


@dataclass(frozen=True)
class LabelledQuestion:
    """A whole question as officials wrote it, labelled with its scope and intent.

    They come from evaluation sets after their first run (`evals/heldout/adopt.py`): real questions
    teach the reader what a request sounds like beside its topic, which single exemplars do not.
    `intent` is empty for a question out of scope. `precondition`: the set marks it as a case where
    dialogue would be empty (decided, nothing to influence, no mandate) without saying which; every
    other question is a negative for the preconditions ("the budget is set, the design is open").
    `methods`: for a request for method advice, the method card ids its set expects among the first
    recommendations (a similar new question leans towards them, see `assistant/semantic.py`).
    """

    text: str
    scope: str
    intent: str
    source: str
    precondition: bool = False
    methods: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)  # identity hash: the compiled cues are cached per lexicon
class Lexicon:
    """Every dimension, the glue patterns and the function words used to tell Swedish from English."""

    dimensions: Mapping[str, Dimension]
    patterns: Mapping[str, tuple[str, ...]]
    function_words: Mapping[str, frozenset[str]]
    digest: str  # sha256 of the files: exemplar embeddings are cached under it
    questions: tuple[LabelledQuestion, ...] = ()

    def dimension(self, name: str) -> Dimension:
        """One dimension by name; LexiconError names the known ones when it is missing."""
        try:
            return self.dimensions[name]
        except KeyError:
            known = ", ".join(sorted(self.dimensions))
            raise LexiconError(f"No lexicon dimension {name!r}; known: {known}.") from None

    def values(self, name: str) -> tuple[str, ...]:
        """The value keys of a dimension."""
        return self.dimension(name).keys()

    def cue(self, name: str, key: str) -> re.Pattern[str] | None:
        """The compiled cues of one value (None when it has none)."""
        return _cue(self, name, key)

    def matches(self, name: str, text: str) -> tuple[str, ...]:
        """Values of a dimension whose cues occur in lower-cased text, in file order."""
        out = []
        for value in self.dimension(name).values:
            pattern = self.cue(name, value.key)
            if pattern is not None and pattern.search(text):
                out.append(value.key)
        return tuple(out)

    def pattern(self, name: str) -> re.Pattern[str]:
        """A glue pattern (follow-up, injection …) compiled from its cue list."""
        return _pattern(self, name)


@functools.lru_cache(maxsize=512)
def _cue(lex: Lexicon, name: str, key: str) -> re.Pattern[str] | None:
    value = lex.dimension(name).get(key)
    if value is None or not value.cues:
        return None
    return re.compile("|".join(f"(?:{c})" for c in value.cues))


@functools.lru_cache(maxsize=64)
def _pattern(lex: Lexicon, name: str) -> re.Pattern[str]:
    if name not in lex.patterns:
        raise LexiconError(f"No lexicon pattern {name!r}; known: {', '.join(sorted(lex.patterns))}.")
    return re.compile("|".join(f"(?:{c})" for c in lex.patterns[name]))


# --- loading and validation ------------------------------------------------------------------------


def _where(path: Path, node: yaml.Node) -> str:
    return f"{path.name}:{node.start_mark.line + 1}"


def _mapping(path: Path, node: yaml.Node, what: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise LexiconError(f"{_where(path, node)}: {what} must be a mapping (key: value).")
    pairs: list[tuple[yaml.ScalarNode, yaml.Node]] = []
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise LexiconError(f"{_where(path, k)}: a key in {what} must be plain text.")
        pairs.append((k, v))
    return pairs


def _check_keys(path: Path, node: yaml.Node, allowed: set[str], what: str) -> None:
    for k, _ in _mapping(path, node, what):
        if k.value not in allowed:
            raise LexiconError(
                f"{_where(path, k)}: unknown key {k.value!r} in {what}; allowed: {', '.join(sorted(allowed))}."
            )


def _strings(path: Path, node: yaml.Node, what: str) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode) or not all(
        isinstance(n, yaml.ScalarNode) and n.value.strip() for n in node.value
    ):
        raise LexiconError(f"{_where(path, node)}: {what} must be a list of non-empty texts.")
    return tuple(str(n.value) for n in node.value)


def _text(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
        raise LexiconError(f"{_where(path, node)}: {what} must be a non-empty text.")
    return str(node.value)


def _cues(path: Path, node: yaml.Node, what: str) -> tuple[str, ...]:
    cues = _strings(path, node, what)
    for cue in cues:
        try:
            re.compile(cue)
        except re.error as exc:
            raise LexiconError(
                f"{_where(path, node)}: the cue {cue!r} in {what} is not valid: {exc}."
            ) from None
    return cues


def _value(path: Path, key: yaml.ScalarNode, node: yaml.Node, dim: str) -> Value:
    what = f"{dim}.{key.value}"
    _check_keys(path, node, _VALUE_KEYS, what)
    fields = {k.value: v for k, v in _mapping(path, node, what)}
    for lang in _LANGS:
        if lang not in fields:
            raise LexiconError(f"{_where(path, key)}: {what} has no {lang!r} label.")
    exemplars: dict[str, tuple[str, ...]] = {"sv": (), "en": ()}
    if "exemplars" in fields:
        _check_keys(path, fields["exemplars"], set(_LANGS), f"{what}.exemplars")
        for k, v in _mapping(path, fields["exemplars"], f"{what}.exemplars"):
            exemplars[k.value] = _strings(path, v, f"{what}.exemplars.{k.value}")
    return Value(
        key=str(key.value),
        sv=_text(path, fields["sv"], f"{what}.sv"),
        en=_text(path, fields["en"], f"{what}.en"),
        cues=_cues(path, fields["cues"], f"{what}.cues") if "cues" in fields else (),
        exemplars_sv=exemplars["sv"],
        exemplars_en=exemplars["en"],
    )


def _read_file(
    path: Path,
    dimensions: dict[str, Dimension],
    patterns: dict[str, tuple[str, ...]],
    words: dict[str, frozenset[str]],
) -> None:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path.name}: not valid YAML: {exc}") from None
    if root is None:
        return
    _check_keys(path, root, _FILE_KEYS, "the file")
    for section, body in _mapping(path, root, "the file"):
        for key, node in _mapping(path, body, section.value):
            name = str(key.value)
            if section.value == "patterns":
                if name in patterns:
                    raise LexiconError(f"{_where(path, key)}: the pattern {name!r} is defined twice.")
                patterns[name] = _cues(path, node, f"patterns.{name}")
            elif section.value == "function_words":
                if name not in _LANGS:
                    raise LexiconError(
                        f"{_where(path, key)}: function words are for 'sv' or 'en', not {name!r}."
                    )
                words[name] = frozenset(w.lower() for w in _strings(path, node, f"function_words.{name}"))
            else:
                if name in dimensions:
                    raise LexiconError(f"{_where(path, key)}: the dimension {name!r} is defined twice.")
                _check_keys(path, node, _DIMENSION_KEYS, name)
                fields = {k.value: v for k, v in _mapping(path, node, name)}
                if "values" not in fields:
                    raise LexiconError(f"{_where(path, key)}: the dimension {name!r} has no values.")
                values = tuple(_value(path, k, v, name) for k, v in _mapping(path, fields["values"], name))
                keys = [v.key for v in values]
                if len(set(keys)) != len(keys):
                    raise LexiconError(f"{_where(path, key)}: {name!r} lists a value twice.")
                dimensions[name] = Dimension(
                    name,
                    _text(path, fields.get("sv", key), f"{name}.sv"),
                    _text(path, fields.get("en", key), f"{name}.en"),
                    values,
                )


def load_lexicon(folder: Path = FOLDER) -> Lexicon:
    """Read and validate every `*.yaml` in a folder; LexiconError says which file and line is wrong."""
    dimensions: dict[str, Dimension] = {}
    patterns: dict[str, tuple[str, ...]] = {}
    words: dict[str, frozenset[str]] = {}
    digest = hashlib.sha256()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise LexiconError(f"No lexicon files (*.yaml) in {folder}.")
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        _read_file(path, dimensions, patterns, words)
    questions: tuple[LabelledQuestion, ...] = ()
    path = folder / QUESTIONS_FILE
    if path.exists():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        questions = read_questions(path, dimensions)
    return Lexicon(dimensions, patterns, words, digest.hexdigest()[:16], questions)


def read_questions(path: Path, dimensions: Mapping[str, Dimension]) -> tuple[LabelledQuestion, ...]:
    """The labelled questions, one JSON object per line; LexiconError names the line that is wrong."""
    scopes = dimensions["scope"].keys() if "scope" in dimensions else ()
    intents = dimensions["intents"].keys() if "intents" in dimensions else ()
    out: list[LabelledQuestion] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LexiconError(f"{where}: not valid JSON ({exc.msg}).") from None
        if not isinstance(row, dict) or set(row) - _QUESTION_KEYS or not {"text", "scope"} <= set(row):
            raise LexiconError(
                f"{where}: a labelled question is an object with text, scope, intent, precondition, methods and source."
            )
        text, scope, intent = str(row["text"]).strip(), str(row["scope"]), str(row.get("intent") or "")
        if not text:
            raise LexiconError(f"{where}: the question's text is empty.")
        if scope not in scopes:
            raise LexiconError(f"{where}: scope {scope!r} is none of {', '.join(scopes)}.")
        if (intent not in intents) if scope == "in" else intent:
            raise LexiconError(
                f"{where}: intent {intent!r} must be one of {', '.join(intents)} in scope, empty out of it."
            )
        precondition = row.get("precondition", False)
        if not isinstance(precondition, bool):
            raise LexiconError(f"{where}: precondition must be true or false, not {precondition!r}.")
        methods = row.get("methods", [])
        if not isinstance(methods, list) or not all(isinstance(m, str) and m for m in methods):
            raise LexiconError(f"{where}: methods must be a list of method card ids, not {methods!r}.")
        if methods and (scope != "in" or precondition):
            raise LexiconError(f"{where}: only a question in scope without a precondition lists methods.")
        out.append(
            LabelledQuestion(text, scope, intent, str(row.get("source") or ""), precondition, tuple(methods))
        )
    return tuple(out)


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The package's lexicon, loaded once per process."""
    return load_lexicon()


def as_plain(lex: Lexicon) -> dict[str, Any]:
    """Labels only, as plain data (value key → (sv, en)) per dimension: what a form or a report needs."""
    return {name: {v.key: (v.sv, v.en) for v in d.values} for name, d in lex.dimensions.items()}
