"""The one translation mechanism: messages as data, rendered in the user's language; one list joiner.

Messages live in `assistant/data/messages.toml` as `[key] sv = "…" en = "…"`; `say(key, lang, **params)`
renders one. A parameter may be a plain string or number, or a value that renders itself per
language (`Money`, `Weeks`, `Labels`), so a reason like "the budget (SEK 300,000) …" is a key and
its numbers, not two hand-written sentences.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from assistant.types import Lang
from assistant.vocab import label, sek, weeks_text

DATA_DIR = Path(__file__).resolve().parent / "data"
MESSAGES_FILE = DATA_DIR / "messages.toml"


@runtime_checkable
class Term(Protocol):
    """A message parameter that renders itself in the user's language."""

    def render(self, lang: Lang) -> str:
        """The value as text in `lang`."""
        ...


@dataclass(frozen=True)
class Money:
    """An amount in kronor: '300 000 kr' in Swedish, 'SEK 300,000' in English."""

    amount: float

    def render(self, lang: Lang) -> str:
        """The amount as text."""
        return sek(self.amount) if lang == "sv" else f"SEK {round(self.amount):,}"


@dataclass(frozen=True)
class Weeks:
    """A duration: days, weeks or months as the length suggests."""

    weeks: float

    def render(self, lang: Lang) -> str:
        """The duration as text."""
        return weeks_text(self.weeks, lang)


@dataclass(frozen=True)
class Labels:
    """Controlled vocabulary values of one field, shown as a joined list of labels."""

    field: str
    values: tuple[str, ...]

    def render(self, lang: Lang) -> str:
        """The labels joined ('a, b och c')."""
        return join([label(self.field, v, lang) for v in self.values], lang)


def join(items: Sequence[str], lang: Lang) -> str:
    """'a, b och c' / 'a, b and c'; the one list joiner of the answer side."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" och " if lang == "sv" else " and ") + items[-1]


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "sv" in value and "en" in value:
            out[name] = {"sv": str(value["sv"]), "en": str(value["en"])}
        elif isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
    return out


@cache
def messages(path: Path = MESSAGES_FILE) -> dict[str, dict[str, str]]:
    """The message catalogue: key → {sv, en}."""
    with path.open("rb") as f:
        return _flatten(tomllib.load(f))


def say(key: str, lang: Lang, **params: object) -> str:
    """Message `key` in `lang`, its {placeholders} filled; Terms render in the same language."""
    entry = messages().get(key)
    if entry is None:
        raise KeyError(f"No message {key!r} in {MESSAGES_FILE.name}")
    return localise(entry, lang, **params)


def localise(entry: Mapping[str, Any], lang: Lang, **params: object) -> str:
    """A {sv, en} text from any data file in `lang`, its {placeholders} filled (Terms render in `lang`)."""
    shown = {k: (v.render(lang) if isinstance(v, Term) else v) for k, v in params.items()}
    return str(entry[lang]).format(**shown)
