"""The official's context, read from text: size, budget, time, target groups, purpose, influence, …

Numbers, money, durations, ages and counts are parsed here by rules, with unit handling ("2 MSEK",
"en halv miljon", "fyra månader", "40,000 residents"); the named dimensions (purposes, target groups,
scale …) by the lexicon's cues (assistant/lexicon/). Later turns refine what earlier turns said.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from assistant.lexicon import lexicon
from assistant.types import ContextProfile

# --- numbers -----------------------------------------------------------------------------------------

_NUM = r"(\d{1,3}(?:[ \u00a0.,]\d{3})+|\d+(?:[.,]\d+)?)"
_WORD_NUMBERS = {
    "en": 1,
    "ett": 1,
    "one": 1,
    "a": 1,
    "två": 2,
    "two": 2,
    "tre": 3,
    "three": 3,
    "fyra": 4,
    "four": 4,
    "fem": 5,
    "five": 5,
    "sex": 6,
    "six": 6,
    "sju": 7,
    "seven": 7,
    "åtta": 8,
    "eight": 8,
    "nio": 9,
    "nine": 9,
    "tio": 10,
    "ten": 10,
    "elva": 11,
    "eleven": 11,
    "tolv": 12,
    "twelve": 12,
    "arton": 18,
    "tjugo": 20,
    "twenty": 20,
    "några": 3,
    "ett par": 2,
    "a few": 3,
    "a couple of": 2,
    "några få": 3,
}
_WORD_NUM = "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True))
# A number word that starts a word: the "a" of "nästa vecka" or "sista deltagare" is none.
_WORD_NUM_WORD = rf"(?<![a-zåäö])({_WORD_NUM})"


def parse_number(raw: str) -> float:
    """'15 000' → 15000, '40,000' → 40000, '2,5' → 2.5, '1.5' → 1.5."""
    s = raw.replace("\u00a0", " ").strip()
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", s):
        return float(re.sub(r"[ .,]", "", s))
    return float(s.replace(",", "."))


_MULT = {
    "miljarder": 1e9,
    "miljard": 1e9,
    "mdkr": 1e9,
    "billion": 1e9,
    "miljoner": 1e6,
    "miljon": 1e6,
    "mkr": 1e6,
    "mnkr": 1e6,
    "msek": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "tkr": 1e3,
    "tusen": 1e3,
    "thousand": 1e3,
    "k": 1e3,
    "ksek": 1e3,
}
_MULT_RE = "|".join(sorted(_MULT, key=len, reverse=True))
_CURRENCY = r"(?:kr|kronor|sek|svenska kronor|:-|kr\.)"


def parse_budget(text: str) -> int | None:
    """Money in kronor: '300 000 kr', '2 MSEK', 'en halv miljon', 'budget of 500k', '1,5 miljoner kronor'."""
    t = text.lower().replace("\u00a0", " ")
    m = re.search(r"(?:en\s+)?halv\s+miljon|half a million", t)
    if m:
        return 500_000
    m = re.search(rf"{_NUM}\s*({_MULT_RE})(?![a-zåäö])\.?\s*{_CURRENCY}?", t)
    if m and (
        re.search(_CURRENCY, t[m.end(2) : m.end(2) + 12])
        or m.group(2) in {"mkr", "mnkr", "msek", "tkr", "ksek"}
        or re.search(r"budget|kosta|pengar|avsätt|money|fund|spend|pott|€|\$", t)
    ):
        return int(parse_number(m.group(1)) * _MULT[m.group(2)])
    m = re.search(rf"{_WORD_NUM_WORD}\s+({_MULT_RE})(?![a-zåäö])", t)
    if m and re.search(r"budget|kr|kronor|sek|kosta|pengar|avsätt", t):
        return int(_WORD_NUMBERS[m.group(1)] * _MULT[m.group(2)])
    m = re.search(rf"{_NUM}\s*{_CURRENCY}(?![a-zåäö])", t)
    if m:
        return int(parse_number(m.group(1)))
    m = re.search(rf"(?:budget\w*|sek)\s*(?:på|är|om|of|is|:)?\s*(?:ca\.?|cirka|about|around)?\s*{_NUM}", t)
    if m and parse_number(m.group(1)) >= 1000:
        return int(parse_number(m.group(1)))
    return None


def parse_population(text: str) -> int | None:
    """Municipality or area size: '15 000 invånare', '40,000 residents', 'population of 90 000'."""
    t = text.lower()
    m = re.search(
        rf"{_NUM}\s*(?:({_MULT_RE})\s+)?(?:kommun)?(?:invånare|innevånare|residents|inhabitants|people live)",
        t,
    )
    if m:
        mult = _MULT.get(m.group(2) or "", 1)
        return int(parse_number(m.group(1)) * mult)
    m = re.search(rf"(?:population|befolkning)\w*\s*(?:of|på|om|är)?\s*{_NUM}", t)
    if m:
        return int(parse_number(m.group(1)))
    m = re.search(
        rf"(?:kommun|stad|town|city|municipality)\w*\s+(?:of|with|med|på)\s+(?:about\s+|around\s+|ca\.?\s+|cirka\s+)?"
        rf"{_NUM}\s*(?:people|personer)",
        t,
    )
    if m:
        return int(parse_number(m.group(1)))
    return None


def parse_participants(text: str) -> int | None:
    """How many should take part: '30 deltagare', 'about 200 participants'."""
    t = text.lower()
    m = re.search(
        rf"{_NUM}\s*(?:deltagare|participants|personer ska delta|people to take part|personer deltar)", t
    )
    if m:
        return int(parse_number(m.group(1)))
    m = re.search(rf"{_WORD_NUM_WORD}\s+(?:deltagare|participants)", t)
    if m:
        return _WORD_NUMBERS[m.group(1)]
    # 'ett 80-tal deltagare', 'ett femtiotal föreningsrepresentanter', 'ett hundratal invånare'
    m = re.search(r"\bett\s+(?:(\d{2,3})-tal|(" + "|".join(_ROUND) + r")tal)\b", t)
    if m:
        return int(m.group(1)) if m.group(1) else _ROUND[m.group(2)]
    return None


_ROUND = {
    "tjugo": 20,
    "trettio": 30,
    "fyrtio": 40,
    "femtio": 50,
    "sextio": 60,
    "sjuttio": 70,
    "åttio": 80,
    "nittio": 90,
    "hundra": 100,
}


_UNIT_WEEKS = {
    "dag": 1 / 7,
    "dagar": 1 / 7,
    "day": 1 / 7,
    "days": 1 / 7,
    "vecka": 1.0,
    "veckor": 1.0,
    "week": 1.0,
    "weeks": 1.0,
    "veckors": 1.0,
    "månad": 4.345,
    "månader": 4.345,
    "månaders": 4.345,
    "month": 4.345,
    "months": 4.345,
    "mån": 4.345,
    "år": 52.0,
    "year": 52.0,
    "years": 52.0,
    "års": 52.0,
}
_UNIT_RE = r"(dagar|dag|veckors|veckor|vecka|weeks|week|days|day|månaders|månader|månad|mån|months|month|års|år|years|year)"


_AGE_SPANS = (
    r"(\d{1,2})\s*[–\-]\s*(\d{1,2})\s*(?:år|years|yrs|-?åringar)(?![a-zåäö])",
    r"(?:mellan|between)\s+(\d{1,2})\s+(?:och|and)\s+(\d{1,2})\s*(?:år|years)(?![a-zåäö])",
    r"(\d{1,2})\s+(?:till|to)\s+(\d{1,2})\s*(?:år|years)(?![a-zåäö])",
)


def _age_match(t: str) -> tuple[int, int, int, int] | None:
    """(low, high, start, end) of an age span in lower-cased text, or None."""
    m = re.search(
        r"(?:aged|ages|i åldern|åldern|\bär|\bare)\s+(\d{1,2})\s*(?:[–\-]|till|to)\s*(\d{1,2})"
        r"(?:\s*(?:år|years)(?![a-zåäö]))?",
        t,
    )
    if m and m.group(0).startswith(("är", "are")) and not re.search(r"(?:år|years)$", m.group(0)):
        m = None  # 'de är 10–12' needs its 'år' to be an age: 'de är 2–3 stycken' is not
    if m and 0 < int(m.group(1)) < int(m.group(2)) <= 99:
        return int(m.group(1)), int(m.group(2)), m.start(), m.end()
    if lexicon().pattern("age_context").search(t):
        # Without an age word, '1–2 år' is a duration, not an age.
        for pattern in _AGE_SPANS:
            m = re.search(pattern, t)
            if m and 0 < int(m.group(1)) < int(m.group(2)) <= 99:
                return int(m.group(1)), int(m.group(2)), m.start(), m.end()
    m = re.search(r"(\d{1,2})\s*[–\-]\s*(\d{1,2})\b", t)
    if m and lexicon().pattern("young_context").search(t):
        lo, hi = int(m.group(1)), int(m.group(2))
        if 0 < lo < hi <= 30:
            return lo, hi, m.start(), m.end()
    m = re.search(
        r"(?:över|äldre än|over|above|aged)\s+(\d{2})\s*(?:år|years)?|(\d{2})\s*\+|"
        r"(\d{2})\s*(?:år\s+|years\s+)?(?:och|and)\s+(?:äldre|över|older|above|over)",
        t,
    )
    if m:
        n = int(next(g for g in m.groups() if g))
        if 55 <= n <= 99:  # 'över 18 år' says who may take part, not an age group
            return n, 99, m.start(), m.end()
    return None


def parse_ages(text: str) -> tuple[int, int] | None:
    """An age span: 'unga 16–25 år', '13-19 years old', 'barn 6–12 år', 'mellan 13 och 19 år', 'över 65 år'."""
    m = _age_match(text.lower())
    return (m[0], m[1]) if m else None


def parse_time_weeks(text: str) -> float | None:
    """Time available, in weeks: 'fyra månader', 'en halvdag', '6 weeks', 'ett halvår', 'till sommaren' is ignored.

    Ages ('unga 16–25 år', 'barn som är 4 år') are not durations; a range ('2–3 månader') counts
    by its lower bound, so a plan never assumes more time than was promised.
    """
    t = text.lower()
    if re.search(r"halvdag|half a day|half-day|halv dag|en kväll|an evening|one evening|en eftermiddag", t):
        return round(0.5 / 7, 3)
    if re.search(r"\ben helg\b|\bhelgen\b|a weekend|one weekend", t):
        return round(2 / 7, 3)
    m = re.search(r"(?:ett|en|one) (?:och|and) (?:ett |en |a )?(?:halvt?|half) (år|years?|månad|months?)", t)
    if m:
        return round(1.5 * (52.0 if m.group(1).startswith(("år", "year")) else 4.345), 3)
    if re.search(r"halvår|half a year|six months' time", t):
        return 26.0
    age = _age_match(t)
    for m in re.finditer(rf"(?:{_NUM}|{_WORD_NUM_WORD})\s*{_UNIT_RE}(?![a-zåäö])", t):
        if age is not None and m.start() < age[3] and age[2] < m.end():
            continue  # part of the age span
        value = parse_number(m.group(1)) if m.group(1) else float(_WORD_NUMBERS[m.group(2)])
        unit = m.group(3)
        before = t[max(0, m.start() - 14) : m.start()]
        if unit in {"år", "years", "year", "års"} and (
            value > 5
            or re.match(r"\s*(?:gaml|old\b)", t[m.end() :])
            or re.search(r"(?:\bär|\bis|aged|\bage|åldern|ålder)\s*$", before)
        ):
            continue  # '15 år', 'barn som är 4 år', '4 years old' are ages
        rng = re.search(r"(\d+(?:[.,]\d+)?)\s*(?:[–\-]|till|to)\s*$", before)
        if rng:
            value = parse_number(rng.group(1))
        return round(value * _UNIT_WEEKS[unit], 3)
    return None


# --- dimensions read by the lexicon's cues ------------------------------------------------------------


# When a text names several levels, the wider one wins, except that 'hela kommunen' next to a park
# or a district is about that park or district.
_SCALE_FIRST = ("nationell", "region", "grannskap", "stadsdel", "kommun")


def _first(dimension: str, text: str) -> str | None:
    """The first value in lexicon order whose cues occur: for single-valued dimensions."""
    found = lexicon().matches(dimension, text)
    return found[0] if found else None


def parse_profile(text: str) -> ContextProfile:
    """Everything one message says about the official's situation."""
    t = text.lower()
    lex = lexicon()
    found = lex.matches("target_groups", t)
    targets = [g for g in found if g != "alla"] + [g for g in found if g == "alla"]  # 'alla' says least
    ages = parse_ages(t)
    if ages and not ({"unga", "barn", "aldre"} & set(targets)):
        group = (
            "barn" if ages[1] <= 12 else "aldre" if ages[0] >= 60 else "unga" if 12 <= ages[1] <= 30 else None
        )
        if group:
            targets.append(group)
    preconditions = set(lex.matches("preconditions", t))
    commitment: bool | None = None
    if "no_mandate" in preconditions:
        commitment = False
    elif "mandate_given" in preconditions:
        commitment = True
    # file order in the lexicon decides between values: 'ingen konflikt' (lag) before 'konflikt' (hog)
    return ContextProfile(
        purposes=lex.matches("purposes", t),
        influence=tuple(reversed(lex.matches("influence", t))),  # the strongest level stated first
        # a decision beside a part said to be open ('däremot är gården inte gestaltad än') leaves something
        nothing_to_influence=bool({"already_decided", "nothing_to_influence"} & preconditions)
        and "still_open" not in preconditions,
        population=parse_population(t),
        budget_sek=parse_budget(t),
        time_weeks=parse_time_weeks(t),
        target_groups=tuple(targets),
        ages=ages,
        participants=parse_participants(t),
        scale=next((s for s in _SCALE_FIRST if s in lex.matches("scale", t)), None),
        complexity=_first("complexity", t),
        conflict=_first("polarisation", t),
        format=_first("formats", t),
        commitment=commitment,
    )


def merge_profiles(earlier: ContextProfile, later: ContextProfile) -> ContextProfile:
    """A later message refines or corrects an earlier one: stated values win, lists are joined."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(ContextProfile):
        old, new = getattr(earlier, f.name), getattr(later, f.name)
        if isinstance(new, tuple) and f.name != "ages":
            changes[f.name] = tuple(dict.fromkeys(old + new)) if new else old
        elif f.name == "nothing_to_influence":
            changes[f.name] = new or old
        else:
            changes[f.name] = new if new is not None else old
    return ContextProfile(**changes)  # type: ignore[arg-type]


def profile_from_conversation(user_messages: Sequence[str]) -> ContextProfile:
    """The profile built over every user message, oldest first."""
    profile = ContextProfile()
    for message in user_messages:
        profile = merge_profiles(profile, parse_profile(message))
    return profile
