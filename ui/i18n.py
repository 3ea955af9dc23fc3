"""The interface's words in Swedish and English, read from ui/catalogue.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

UiLang = Literal["sv", "en"]
LANGS: tuple[UiLang, ...] = ("sv", "en")
LANG_CHOICES = [("Svenska", "sv"), ("English", "en")]
CATALOGUE = Path(__file__).with_name("catalogue.yaml")

# The page asks the browser which language its user reads; anything but Swedish gets English.
BROWSER_LANG_JS = "() => ((navigator.language || 'sv').toLowerCase().startsWith('sv') ? 'sv' : 'en')"


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    """Every key with its Swedish and English text; a key missing a language is refused at load."""
    import yaml

    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    missing = [k for k, v in data.items() if not isinstance(v, dict) or set(v) != set(LANGS)]
    if missing:
        raise ValueError(f"{CATALOGUE.name}: keys without exactly sv and en: {missing!r}")
    return cast(dict[str, dict[str, Any]], data)


def ui_lang(value: object) -> UiLang:
    """'en' for English, otherwise Swedish (the default for anything unknown)."""
    return "en" if value == "en" else "sv"


def t(key: str, lang: object = "sv", **fields: object) -> str:
    """The text of `key` in `lang`, with {name} fields filled in."""
    text = str(catalogue()[key][ui_lang(lang)])
    return text.format(**fields) if fields else text


def t_list(key: str, lang: object = "sv") -> list[str]:
    """A list entry of the catalogue (e.g. example questions) in `lang`."""
    return [str(x) for x in catalogue()[key][ui_lang(lang)]]
