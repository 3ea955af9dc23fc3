"""Readable Swedish and English labels for the controlled vocabularies of the method cards (from the lexicon)."""

from __future__ import annotations

from typing import Any

from assistant.lexicon import lexicon
from assistant.types import Lang

# The method cards' controlled vocabularies; their values and labels live in the lexicon (assistant/lexicon/).
CARD_FIELDS: tuple[str, ...] = (
    "purposes",
    "influence",
    "recruitment",
    "target_groups",
    "scale",
    "formats",
    "complexity",
    "polarisation",
    "staff_effort",
)


def _labels() -> dict[str, dict[str, tuple[str, str]]]:
    lex = lexicon()
    table = {name: {v.key: (v.sv, v.en) for v in lex.dimension(name).values} for name in CARD_FIELDS}
    table["level"] = table["complexity"]  # low/medium/high, whatever it measures
    return table


LABELS: dict[str, dict[str, tuple[str, str]]] = _labels()


def label(field: str, value: str, lang: Lang = "sv") -> str:
    """Readable label of one vocabulary value; the raw value when unknown."""
    table = LABELS.get(field if field in LABELS else "level", {})
    pair = table.get(value)
    if pair is None:
        return value
    return pair[0] if lang == "sv" else pair[1]


def labels(field: str, values: list[str], lang: Lang = "sv") -> str:
    """Comma-joined labels, 'och'/'and' before the last."""
    items = [label(field, v, lang) for v in values]
    if len(items) <= 1:
        return "".join(items)
    joiner = " och " if lang == "sv" else " and "
    return ", ".join(items[:-1]) + joiner + items[-1]


def sek(amount: float) -> str:
    """Swedish-style kronor: 1 500 000 kr."""
    return f"{round(amount):,}".replace(",", " ") + " kr"


def weeks_text(weeks: float, lang: Lang = "sv") -> str:
    """A duration in words a reader grasps: days, weeks or months."""
    if weeks < 1:
        days = max(1, round(weeks * 7))
        return (
            f"{days} dag{'ar' if days != 1 else ''}"
            if lang == "sv"
            else f"{days} day{'s' if days != 1 else ''}"
        )
    if weeks < 9:
        w = round(weeks)
        return f"{w} veck{'or' if w != 1 else 'a'}" if lang == "sv" else f"{w} week{'s' if w != 1 else ''}"
    months = round(weeks / 4.345)
    return f"{months} månader" if lang == "sv" else f"{months} months"


def key_facts_text(attributes: dict[str, Any]) -> str:
    """The card's structured attributes as Swedish sentences, indexed as the chunk 'Nyckeluppgifter'."""
    a = attributes
    lines = []
    if "purposes" in a:
        lines.append(f"Metoden passar för att {labels('purposes', a['purposes'])}.")
    if "influence" in a:
        lines.append(f"Nivå på delaktighetstrappan: {labels('influence', a['influence'])}.")
    if "recruitment" in a:
        lines.append(f"Deltagare rekryteras genom {labels('recruitment', a['recruitment'])}.")
    if "participants" in a:
        p = a["participants"]
        lines.append(f"Typiskt antal deltagare: {int(p['min'])}–{int(p['max'])}.")
    if "duration_weeks" in a:
        d = a["duration_weeks"]
        lines.append(
            f"Typisk tid från planering till återkoppling: {weeks_text(d['min'])} till {weeks_text(d['max'])}."
        )
    if "cost_sek" in a:
        c = a["cost_sek"]
        basis = "enligt källorna" if a.get("cost_basis") == "kalla" else "uppskattning"
        lines.append(f"Typisk kostnad: {sek(c['min'])} till {sek(c['max'])} ({basis}).")
    if "staff_effort" in a:
        lines.append(f"Arbetsinsats för kommunens personal: {label('level', a['staff_effort'])}.")
    if "target_groups" in a:
        lines.append(f"Särskilt lämpad för att nå {labels('target_groups', a['target_groups'])}.")
    if "formats" in a:
        lines.append(f"Format: {labels('formats', a['formats'])}.")
    if "scale" in a:
        lines.append(f"Används på nivån {labels('scale', a['scale'])}.")
    if "complexity" in a:
        lines.append(f"Klarar frågor med {labels('level', a['complexity'])} komplexitet.")
    if "polarisation" in a:
        lines.append(f"Klarar {labels('level', a['polarisation'])} konfliktnivå.")
    return "\n".join(lines)
