"""Every range on a method card is stated in its "Resurser och tid" text, and estimates say they are estimates.

The advisor ranks methods by the front-matter ranges (participants, duration_weeks, cost_sek); a reader checking
an answer only sees the text. These tests read the shipped cards and fail when a range is changed without the
text, or when a cost marked as our own estimate does not say so. The matcher accepts the ways the cards write
figures: digits with spaces as thousands separators ("300 000 kr"), decimal commas ("0,4–1,5 miljoner kronor"),
ranges with a dash or "till", Swedish number words ("fyra till nio månader") and durations in days, weeks,
months or years, converted to weeks with a tolerance.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from assistant.corpus import load_corpus
from assistant.types import SourceDocument

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SECTION = "Resurser och tid"

_WORDS = {
    "en": 1.0,
    "ett": 1.0,
    "två": 2.0,
    "tre": 3.0,
    "fyra": 4.0,
    "fem": 5.0,
    "sex": 6.0,
    "sju": 7.0,
    "åtta": 8.0,
    "nio": 9.0,
    "tio": 10.0,
    "elva": 11.0,
    "tolv": 12.0,
    "femton": 15.0,
    "tjugo": 20.0,
    "trettio": 30.0,
    "fyrtio": 40.0,
    "femtio": 50.0,
    "hundra": 100.0,
    "tusen": 1000.0,
    "halv": 0.5,
}
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_WORD = r"(?<![\w])(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")(?![\w])"
_NUM = rf"(?:{_DIGITS}|{_WORD})"
# Weeks per unit. A day counts both as a working day (a fifth of a week, as the corpus README counts a half day
# as 0.1 weeks) and as a calendar day; either reading may match.
_WEEKS = {
    "vecka": (1.0,),
    "veckor": (1.0,),
    "veckan": (1.0,),
    "veckors": (1.0,),
    "månad": (52 / 12,),
    "månader": (52 / 12,),
    "månaders": (52 / 12,),
    "dag": (0.2, 1 / 7),
    "dagar": (0.2, 1 / 7),
    "dagars": (0.2, 1 / 7),
    "halvdag": (0.1,),
    "halvdagar": (0.1,),
    "kväll": (0.1,),
    "kvällar": (0.1,),
    "timmar": (0.025,),
    "år": (52.0,),
    "års": (52.0,),
}
_MONEY = {"miljon": 1e6, "miljoner": 1e6, "mkr": 1e6, "mnkr": 1e6, "tkr": 1e3}
_QUANTITY = re.compile(
    rf"(?P<a>{_NUM})(?:\s*(?:–|-|till|à|eller|och)\s*(?P<b>{_NUM}))?"
    r"\s*(?P<mult>miljoner|miljon|mnkr|mkr|tkr)?"
    r"\s*(?P<unit>kronor|kr|sek|" + "|".join(sorted(_WEEKS, key=len, reverse=True)) + r")?(?![\w])",
    flags=re.IGNORECASE,
)


def _value(token: str) -> float:
    token = token.strip().lower()
    if token in _WORDS:
        return _WORDS[token]
    return float(re.sub(r"[ \u00a0\u202f]", "", token).replace(",", "."))


def _quantities(text: str) -> list[tuple[float, str, str]]:
    """(value, multiplier word, unit) for every number in the text; both ends of a range get the range's unit."""
    found: list[tuple[float, str, str]] = []
    for m in _QUANTITY.finditer(text):
        mult, unit = (m.group("mult") or "").lower(), (m.group("unit") or "").lower()
        for end in ("a", "b"):
            if m.group(end):
                found.append((_value(m.group(end)), mult, unit))
    return found


def numbers(text: str) -> set[float]:
    """Every plain number in the text, digits or Swedish number words."""
    return {value for value, mult, _ in _quantities(text) if not mult}


def durations_in_weeks(text: str) -> set[float]:
    """Every duration in the text, converted to weeks (one value per plausible reading of the unit)."""
    return {value * f for value, _, unit in _quantities(text) if unit in _WEEKS for f in _WEEKS[unit]}


def amounts_in_kronor(text: str) -> set[float]:
    """Every sum of money in the text, in kronor ("300 000 kr", "0,4 miljoner kronor", "1,5 mkr")."""
    return {
        value * _MONEY.get(mult, 1.0)
        for value, mult, unit in _quantities(text)
        if unit in {"kr", "kronor", "sek"} or mult in _MONEY
    }


def states_weeks(text: str, weeks: float) -> bool:
    """True if the text states this many weeks, in any unit, within a fifth (or 0.15 weeks for short ones)."""
    return any(abs(q - weeks) <= max(0.15, 0.2 * weeks) for q in durations_in_weeks(text))


def states_kronor(text: str, kronor: float) -> bool:
    """True if the text states this sum, allowing for rounding to two significant figures."""
    return any(abs(q - kronor) <= 0.03 * kronor for q in amounts_in_kronor(text))


def says_estimate(text: str) -> bool:
    """True if the text marks a figure as the corpus's own estimate."""
    return (
        re.search(r"uppskattning|uppskattad|egen bedömning|vår bedömning", text, flags=re.IGNORECASE)
        is not None
    )


@lru_cache(maxsize=1)
def _methods() -> tuple[SourceDocument, ...]:
    docs = load_corpus([CORPUS]).documents
    return tuple(
        sorted((d for d in docs if d.kind == "method" and d.origin == "metodguiden"), key=lambda d: d.id)
    )


def _section(doc: SourceDocument) -> str:
    parts = re.split(r"^##\s+", doc.body, flags=re.MULTILINE)
    matching = [p for p in parts if p.startswith(SECTION)]
    assert matching, f"{doc.id}: no '## {SECTION}' section"
    return matching[0][len(SECTION) :]


# --- the matcher itself -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weeks"),
    [
        ("Processen tar 8–40 veckor.", (8, 40)),
        ("Räkna med 2–9 månader.", (8.7, 39)),
        ("vanligtvis fyra till nio månader", (17.3, 39)),
        ("ett möte på en halvdag", (0.1,)),
        ("tre heldagar eller ett år", (52,)),
        ("möts i fyra dagar", (0.8,)),
    ],
)
def test_durations_are_read_in_any_unit(text: str, weeks: tuple[float, ...]) -> None:
    assert all(states_weeks(text, w) for w in weeks), sorted(durations_in_weeks(text))


@pytest.mark.parametrize(
    ("text", "kronor"),
    [
        ("kostar 300 000 kr", (300_000,)),
        ("grovt 0,4–1,5 miljoner kronor", (400_000, 1_500_000)),
        ("mellan 50 000 och 200 000 kronor", (50_000, 200_000)),
        ("400 000–3 000 000 kr", (400_000, 3_000_000)),
        ("1–5 miljoner kronor per år", (1_000_000, 5_000_000)),
    ],
)
def test_sums_are_read_with_separators_and_millions(text: str, kronor: tuple[float, ...]) -> None:
    assert all(states_kronor(text, k) for k in kronor), sorted(amounts_in_kronor(text))


def test_a_figure_without_the_right_unit_does_not_count() -> None:
    text = "30 deltagare träffas, och 40 personer bjuds in."
    assert not states_weeks(text, 30) and not states_kronor(text, 40)
    assert not states_kronor("12 veckor", 12)
    assert not states_weeks("300 000 kr", 12)
    assert {30.0, 40.0} <= numbers(text)


def test_a_wrong_figure_is_not_accepted() -> None:
    assert not states_weeks("fyra till nio månader", 52)
    assert not states_kronor("0,4–1,5 miljoner kronor", 3_000_000)
    assert not says_estimate("Kostnaden bygger på kommunens redovisning.")
    assert says_estimate("Kostnaden är vår uppskattning.")


# --- the shipped cards --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", _methods(), ids=lambda d: d.id)
def test_participant_range_is_stated_in_the_text(doc: SourceDocument) -> None:
    span, text = doc.attributes["participants"], _section(doc)
    missing = [v for v in (span["min"], span["max"]) if float(v) not in numbers(text)]
    assert not missing, f"{doc.id}: participants {span} – {missing} not in '{SECTION}'"


@pytest.mark.parametrize("doc", _methods(), ids=lambda d: d.id)
def test_duration_range_is_stated_in_the_text(doc: SourceDocument) -> None:
    span, text = doc.attributes["duration_weeks"], _section(doc)
    missing = [v for v in (span["min"], span["max"]) if not states_weeks(text, float(v))]
    assert not missing, f"{doc.id}: duration_weeks {span} – {missing} weeks not in '{SECTION}'"


@pytest.mark.parametrize("doc", _methods(), ids=lambda d: d.id)
def test_cost_range_is_stated_in_the_text(doc: SourceDocument) -> None:
    span, text = doc.attributes["cost_sek"], _section(doc)
    missing = [v for v in (span["min"], span["max"]) if not states_kronor(text, float(v))]
    assert not missing, f"{doc.id}: cost_sek {span} – {missing} kr not in '{SECTION}'"


@pytest.mark.parametrize("doc", _methods(), ids=lambda d: d.id)
def test_cost_basis_is_explained(doc: SourceDocument) -> None:
    text = _section(doc)
    if doc.attributes["cost_basis"] == "uppskattning":
        assert says_estimate(text), (
            f"{doc.id}: cost_basis uppskattning, but '{SECTION}' never says it is an estimate"
        )
    else:
        publishers = {s.publisher for s in doc.sources if s.publisher}
        named = [p for p in publishers if p.split(" (")[0].split(",")[0] in text]
        assert named or re.search(r"\benligt\b", text), f"{doc.id}: cost from sources, but none is named"
