"""Which section heading a key names (`assistant/data/sections.toml`), so no heading is written in Python.

The answer side asks documents for passages by key ("process-design.invitation", a card's "key_facts");
the index reads a card's fit statements from its "fits" section. Both look the heading up here.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from assistant.messages import DATA_DIR

SECTIONS_FILE = DATA_DIR / "sections.toml"


@cache
def sections(path: Path = SECTIONS_FILE) -> dict[str, Any]:
    """The whole sections.toml."""
    with path.open("rb") as f:
        return tomllib.load(f)


def heading(table: str, key: str) -> str:
    """The section heading that `key` names for a kind or role ('kind.method', 'role.process-design')."""
    group, _, name = table.partition(".")
    try:
        return str(sections()[group][name][key])
    except KeyError:
        raise KeyError(f"{SECTIONS_FILE.name} has no [{table}] {key}") from None


def setting(table: str, key: str) -> Any:
    """A plain value from sections.toml ('resources', 'asks')."""
    return sections()[table][key]
