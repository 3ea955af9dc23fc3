"""Reading the question: validation, language, intent, methods mentioned, follow-ups and injection.

The context profile (size, budget, time, target groups …) is read by `assistant.context_profile`.

Everything here is a pure function of text (plus the method catalogue), tested over real phrasings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.errors import QuestionError
from assistant.types import ContextProfile, Intent, Lang

_SV_WORDS = {
    "och",
    "är",
    "att",
    "som",
    "för",
    "vad",
    "hur",
    "vilken",
    "vilka",
    "vi",
    "det",
    "en",
    "ett",
    "med",
    "kommun",
    "kommunen",
    "inte",
    "kan",
    "ska",
    "vill",
    "om",
    "på",
    "av",
    "till",
    "när",
    "varför",
    "metod",
    "jag",
    "har",
    "vår",
    "våra",
    "eller",
    "mellan",
    "skillnaden",
    "kostar",
}
_EN_WORDS = {
    "the",
    "and",
    "is",
    "are",
    "what",
    "how",
    "which",
    "we",
    "our",
    "for",
    "of",
    "to",
    "a",
    "an",
    "with",
    "can",
    "should",
    "want",
    "when",
    "why",
    "method",
    "does",
    "do",
    "in",
    "it",
    "citizens",
    "between",
    "difference",
    "cost",
    "much",
    "long",
    "would",
    "you",
    "i",
    "have",
    "there",
    "best",
    "me",
    "about",
    "your",
    "tell",
    "my",
    "us",
    "give",
    "please",
    "use",
    "one",
    "this",
    "that",
    "they",
    "their",
    "from",
    "be",
    "will",
    "run",
    "people",
    "young",
    "need",
    "who",
    "where",
    "residents",
    "municipality",
    "council",
    "budget",
}


def detect_language(text: str) -> Lang:
    """'sv' or 'en' from common function words and Swedish letters; Swedish when unsure."""
    words = re.findall(r"[a-zåäöé']+", text.lower())
    sv = sum(w in _SV_WORDS or bool(re.search(r"[åäö]", w)) for w in words)
    en = sum(w in _EN_WORDS for w in words)
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


def find_methods(text: str, catalog: Sequence[MethodName]) -> list[str]:
    """Method ids named in the text, in order of appearance; longer names win over shorter ones."""
    lowered = text.lower()
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(lowered)
    for name, pattern, mid in _name_patterns(tuple(catalog)):
        if name not in lowered:  # the pattern starts with the literal name: skip the regex
            continue
        for match in pattern.finditer(lowered):
            if not any(taken[match.start() : match.end()]):
                spans.append((match.start(), match.end(), mid))
                for i in range(match.start(), match.end()):
                    taken[i] = True
    out: list[str] = []
    for _, _, mid in sorted(spans):
        if mid not in out:
            out.append(mid)
    return out


# --- intent ---------------------------------------------------------------------------------------

_IN_SCOPE = (
    r"dialog|medborgar|deltag|delaktig|invånar|metod|workshop|samråd|enkät|fokusgrupp|rekryt|inbjud|återkoppl|"
    r"inflytande|synpunkt|lottad|lottning|kommun|förvaltning|politiker|beslutsfatt|process|möte|panel|budget|"
    r"participat|citizen|resident|engagement|consult|assembly|deliberat|method|survey|focus group|public meeting|"
    r"community|stakeholder|co-design|jury|referendum|folkomröst|barnkonvention|pbl|kommunallag|unga|ungdom|"
    r"röster|nå fler|målgrupp|påverka|beslutet|voices|seldom heard|hard to reach|feedback|"
    # what municipalities hold dialogues about, and with whom
    r"detaljplan|översiktsplan|planering|stadsutveckl|stadsdel|bostadsområde|miljonprogram|skolgård|"
    r"fritidsområde|fritidsgård|fastighetsägare|bostadsbolag|föreningar|civilsamhälle|referensgrupp|"
    r"intressent|trygghet|urban planning|neighbourhood|neighborhood|council|municipal|local government"
)
_OUT_OF_SCOPE = (
    r"(?<!upp)skatt|deklar|väder|vädret|regna|temperatur|vilket parti|vilka partier|(?:ska|bör) jag rösta|"
    r"rösta på i valet|partival|hacka|lösenord|intrång|"
    r"skadlig kod|malware|phishing|virus|recept|aktie|bitcoin|krypto|\btax\b|taxes|weather|which party|"
    r"should i vote|vote for in the election|"
    r"\bhack|password|exploit|recipe|stock market|crypto|fotboll|football|horoskop|dikt om|poem about"
)
_INTENT_PATTERNS: list[tuple[Intent, str]] = [
    (
        "comparison",
        r"skillnad(?:en)? mellan|jämför|jämföra|versus|\bvs\.?\b|compare|difference between|"
        r"bättre än|better than|eller (?:ett |en )?\w+\?|which is better",
    ),
    (
        "method_fit",
        r"vilken metod|vilka metoder|vilket sätt|passar (?:bäst|oss|för)|rekommender|vad ska vi välja|"
        r"which method|what method|best way|suit|recommend|should we use|what approach|vilken form|"
        r"vilka alternativ finns|vad finns det för (?:metod|metoder|\w*sätt|alternativ|modell|form)|"
        r"finns det (?:en|någon) (?:modell|metod)|which (?:\w+ ){1,2}methods?|what (?:\w+ ){1,2}methods?|"
        r"what options",
    ),
    (
        "process_planning",
        r"hur (?:ska vi |kan vi |gör vi |bjuder|rekryterar|återkopplar|planerar|lägger vi upp)|"
        r"planera|processplan|tidsplan|upplägg|steg för steg|vilka steg|bjuda in|inbjudan|"
        r"rekrytera|återkoppl|how (?:do|should|can) we (?:invite|recruit|plan|run|organise|organize|"
        r"give feedback|report back)|process plan|step by step|timeline|design a process",
    ),
    (
        "factual",
        r"vad är|vad innebär|hur fungerar|vad kostar|hur lång tid|hur många|vad säger|när (?:började|infördes)|"
        r"what is|what are|how does|how much|how long|how many|what does|"
        r"(?:^|[.!?]\s+)(?:vem|vilka|who)\s+(?:är|var|har|startade|började|is|was|has|started)\b",
    ),
]


def mentions_scope(text: str) -> bool:
    """True when the text speaks of participation, municipal planning or the people involved."""
    return bool(re.search(_IN_SCOPE, text.lower()))


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
    if re.search(_OUT_OF_SCOPE, t) and not (
        methods or re.search(r"dialog|medborgar|deltag|delaktig|metod", t)
    ):
        return "out_of_scope"
    if not in_scope:
        return "out_of_scope"  # 'Vem vann Melodifestivalen?' must not pass as a factual question
    compares = len(methods) >= 2 and re.search(_INTENT_PATTERNS[0][1] + r"|\beller\b|\bor\b", t)
    if compares:
        return "comparison"  # 'World Café eller Open Space – vad passar bäst?' weighs the two named
    if (
        methods
        and not compares
        and re.search(r"^(?:vad är|vad innebär|hur fungerar|what is|what are|how does)\b", t)
    ):
        return "factual"
    if re.search(r"^(?:varför|why)\b", t) and not compares:
        return "factual" if methods else "general"  # a why-question asks for reasons, not a plan
    for intent, pattern in _INTENT_PATTERNS:
        if re.search(pattern, t):
            if intent == "comparison" and len(methods) < 2 and not re.search(r"jämför|compare", t):
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
    if "?" not in t and re.search(_SITUATION, t):
        return "method_fit"  # 'vi vill lösa upp knutarna.': a described need, not a question, asks for a way
    return "general"


# An official describing what they want to achieve, without asking a question in so many words.
_SITUATION = (
    r"\b(?:vill|behöver|önskar|skulle vilja|wants?|needs?|would like)\b|"
    r"\b(?:vi|we)\b.*\b(?:ska|planerar|plan)\b|"
    r"\bska (?:få )?(?:vara med|involveras|delta|tycka till|kunna påverka)|\b(?:be|get) involved|have a say"
)


_FOLLOW_UP = r"^(?:och|men|okej|ok|så|then|and|but|what about)\b|\b(?:det|den|dem|denna|detta|metoden|it|that|them|this one)\b"


def is_follow_up(text: str, methods: Sequence[str]) -> bool:
    """A short question that leans on the conversation ('och vad kostar det?', 'hur bjuder vi in?')."""
    t = text.lower().strip()
    if re.search(_OUT_OF_SCOPE, t):
        return False  # 'hur deklarerar jag?' must not borrow the conversation's methods and come into scope
    return not methods and (len(t) < 90) and bool(re.search(_FOLLOW_UP, t) or re.search(r"^hur |^how ", t))


_INJECTION = (
    r"(?:ignore|disregard|forget) (?:all |your |the |any |of )*(?:previous |prior |earlier |above )?(?:instructions|sources|rules)|"
    r"(?:ignorera|glöm|strunta i|bortse från) (?:dina |alla |de |tidigare )*(?:källor|källorna|instruktioner|instruktionerna|regler)|"
    r"system ?prompt|systemprompt|du är nu|you are now|(?:^|(?<=[.!?])\s*)act as|pretend (?:to be|you are)|låtsas att du|"
    r"från och med nu ska du|from now on you"
)


def has_injection(text: str) -> bool:
    """True when the question tries to instruct the assistant; such text changes nothing, but is noted."""
    return bool(re.search(_INJECTION, text.lower()))


def strip_injection(text: str) -> str:
    """The question without the instructions it tries to give: from each injection to the end of its sentence."""
    stripped = re.sub(rf"(?:{_INJECTION})[^.!?]*[.!?]?", " ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", stripped).strip(" ,;:–-")
