"""Rules for reading the question: validation, language, rule intent, methods named, follow-ups, injection.

The words the rules look for are cues in the lexicon (assistant/lexicon/); the semantic reading that
generalises beyond them is `assistant.semantic`, and `assistant.reading` combines both. The context
profile (size, budget, time …) is read by `assistant.context_profile`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.errors import QuestionError
from assistant.lexicon import lexicon
from assistant.types import ContextProfile, Intent, Lang


def detect_language(text: str) -> Lang:
    """'sv' or 'en' from common function words and Swedish letters; Swedish when unsure."""
    words = re.findall(r"[a-zåäöé']+", text.lower())
    function_words = lexicon().function_words
    sv = sum(w in function_words["sv"] or bool(re.search(r"[åäö]", w)) for w in words)
    en = sum(w in function_words["en"] for w in words)
    return "en" if en > sv else "sv"


def clean_question(question: str, max_chars: int) -> str:
    """Normalise whitespace and refuse empty or over-long questions with a clear message."""
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError(
            "Frågan är tom.", hint="Skriv en fråga, till exempel: Vilken metod passar för att nå unga?"
        )
    if len(text) > max_chars:
        raise QuestionError(
            f"Frågan är för lång ({len(text)} tecken, högst {max_chars}).",
            hint="Korta ner frågan till det viktigaste: syfte, målgrupp, resurser och tid.",
        )
    return text


# --- methods mentioned -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodName:
    """A method id with every name it is known by."""

    id: str
    title: str
    names: tuple[str, ...]


def method_names(doc_id: str, title: str, aliases: Iterable[str]) -> MethodName:
    """Names to look for: the title without its parenthesis, and every alias of 4+ letters."""
    base = re.sub(r"\s*\(.*?\)\s*", " ", title).strip()
    names = [base.lower(), doc_id.replace("-", " ")] + [
        a.strip().lower() for a in aliases if len(a.strip()) >= 4
    ]
    return MethodName(doc_id, title, tuple(dict.fromkeys(names)))  # title first, then aliases in card order


_SUFFIX = r"(?:en|et|er|erna|ar|arna|na|n|s|t|ens|ets|s)?"


@functools.lru_cache(maxsize=8)
def _name_patterns(catalog: tuple[MethodName, ...]) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """Every name compiled once per catalog: longer names first; a name shared by several cards
    goes to the card that lists it earliest."""
    ranked = [(n, m.id, pos) for m in catalog for pos, n in enumerate(m.names)]
    ordered = sorted(ranked, key=lambda p: (-len(p[0]), p[2]))
    return tuple(
        (name, re.compile(r"(?<![\wåäö])" + re.escape(name) + _SUFFIX + r"(?![\wåäö])"), mid)
        for name, mid, _ in ordered
    )


def _mentions(text: str, catalog: Sequence[MethodName]) -> list[tuple[int, int, str]]:
    """(start, end, method id) of every method name in lower-cased text; longer names win over shorter ones."""
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(text)
    for name, pattern, mid in _name_patterns(tuple(catalog)):
        if name not in text:  # the pattern starts with the literal name: skip the regex
            continue
        for match in pattern.finditer(text):
            if not any(taken[match.start() : match.end()]):
                spans.append((match.start(), match.end(), mid))
                for i in range(match.start(), match.end()):
                    taken[i] = True
    return sorted(spans)


_PROPER = re.compile(r"[A-ZÅÄÖÉ][\wåäöéáíóúñçãõ'’-]{2,}")
_WORD = re.compile(r"[\wåäöéáíóúñçãõ'’-]+")


def named_cases(text: str, cases: Sequence[tuple[str, str]]) -> list[str]:
    """The cases, of (id, title) pairs, whose title's proper names the text uses ('Porto Alegre', 'Lunds').

    The title's first word is left out (a capital that starts the title names nothing); a name matches a
    word of the text as it is, or with or without a genitive s ('Lund' – 'Lunds')."""
    words = set(_WORD.findall(text.lower()))
    out: list[str] = []
    for case_id, title in cases:
        names = [m.group().lower() for m in _PROPER.finditer(title) if m.start() > 0]
        if case_id not in out and any({n, n + "s", n.removesuffix("s")} & words for n in names):
            out.append(case_id)
    return out


def find_methods(text: str, catalog: Sequence[MethodName]) -> list[str]:
    """Method ids named in the text, in order of appearance; longer names win over shorter ones.

    A name inside an out-of-scope term names no method: 'staff survey' is not the survey method."""
    lowered = text.lower()
    terms = [m.span() for m in _cue("scope", "out").finditer(lowered)]
    out: list[str] = []
    for start, end, mid in _mentions(lowered, catalog):
        if any(s <= start and end <= e for s, e in terms):
            continue
        if mid not in out:
            out.append(mid)
    return out


def rejected_methods(text: str, catalog: Sequence[MethodName]) -> list[str]:
    """Methods the text names only to rule them out ('de svarar aldrig på enkäter', 'not another survey')."""
    lowered = text.lower()
    before = _pattern("rejected_before")
    verdicts: dict[str, bool] = {}
    for start, _, mid in _mentions(lowered, catalog):
        ruled_out = bool(before.search(lowered[max(0, start - 60) : start]))
        verdicts[mid] = verdicts.get(mid, True) and ruled_out
    return [mid for mid, out in verdicts.items() if out]


# --- intent ---------------------------------------------------------------------------------------

# Rule intents in the order they are tried; their cues are in the lexicon (assistant/lexicon/reading.yaml).
_RULE_INTENTS: tuple[Intent, ...] = ("comparison", "method_fit", "process_planning", "factual")


def _cue(dimension: str, key: str) -> re.Pattern[str]:
    pattern = lexicon().cue(dimension, key)
    assert pattern is not None, f"the lexicon has no cues for {dimension}.{key}"
    return pattern


def _pattern(name: str) -> re.Pattern[str]:
    return lexicon().pattern(name)


def out_of_scope_cue(text: str) -> bool:
    """True when lower-cased text names a subject outside participation (tax, weather, hacking …)."""
    return bool(_cue("scope", "out").search(text))


def mentions_scope(text: str) -> bool:
    """True when the text speaks of participation, municipal planning or the people involved."""
    return bool(_cue("scope", "in").search(text.lower()))


def detect_intent(
    text: str,
    profile: ContextProfile,
    methods: Sequence[str],
    conversation_in_scope: bool = False,
    own: ContextProfile | None = None,
) -> Intent:
    """Method fit, facts about a method, comparison, process planning, general in scope, or out of scope.

    `profile` is the context of the whole conversation, `own` what this turn says by itself (default:
    `profile`); only the turn's own words can put it in scope. `conversation_in_scope`: the turn
    continues a conversation about participation (it refines the context or leans on what was said).
    """
    t = text.lower()
    own = own if own is not None else profile
    in_scope = (
        mentions_scope(t)
        or bool(methods)
        or conversation_in_scope
        or own.known() >= 2
        or bool(set(own.target_groups) - {"alla"})  # reaching nyanlända, unga, äldre … is the topic
    )
    if out_of_scope_cue(t) and not (methods or _pattern("participation").search(t)):
        return "out_of_scope"
    if not in_scope:
        return "out_of_scope"  # 'Vem vann Melodifestivalen?' must not pass as a factual question
    compares = len(methods) >= 2 and bool(
        _cue("intents", "comparison").search(t) or _pattern("either_or").search(t)
    )
    if compares:
        return "comparison"  # 'World Café eller Open Space – vad passar bäst?' weighs the two named
    if methods and _pattern("what_is").search(t):
        return "factual"
    if _pattern("why").search(t):
        return "factual" if methods else "general"  # a why-question asks for reasons, not a plan
    for intent in _RULE_INTENTS:
        if _cue("intents", intent).search(t):
            if intent == "comparison" and len(methods) < 2 and not _pattern("compare_word").search(t):
                continue
            if intent == "factual" and not methods and profile.known() >= 2:
                return "method_fit"
            return intent
    if len(methods) >= 2:
        return "comparison"
    if profile.known() >= 2:
        return "method_fit"
    if methods:
        return "factual"
    if "?" not in t and _pattern("situation").search(t):
        return "method_fit"  # 'vi vill lösa upp knutarna.': a described need, not a question, asks for a way
    return "general"


def is_follow_up(text: str, methods: Sequence[str]) -> bool:
    """A short question that leans on the conversation ('och vad kostar det?', 'hur bjuder vi in?')."""
    t = text.lower().strip()
    if out_of_scope_cue(t):
        return False  # 'hur deklarerar jag?' must not borrow the conversation's methods and come into scope
    return (
        not methods
        and len(t) < 90
        and bool(_pattern("follow_up").search(t) or _pattern("follow_up_start").search(t))
    )


def has_injection(text: str) -> bool:
    """True when the question tries to instruct the assistant; such text changes nothing, but is noted."""
    return bool(_pattern("injection").search(text.lower()))


def strip_injection(text: str) -> str:
    """The question without the instructions it tries to give: from each injection to the end of its sentence."""
    injection = _pattern("injection").pattern
    stripped = re.sub(rf"(?:{injection})[^.!?]*[.!?]?", " ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", stripped).strip(" ,;:–-")
