"""Reading the question: validation and language (the context profile grows here later)."""

from __future__ import annotations

import re

from assistant.errors import QuestionError
from assistant.types import Lang

_SV_WORDS = {
    "och", "är", "att", "som", "för", "vad", "hur", "vilken", "vilka", "vi", "det", "en", "ett", "med",
    "kommun", "kommunen", "inte", "kan", "ska", "vill", "om", "på", "av", "till", "när", "varför", "metod",
}
_EN_WORDS = {
    "the", "and", "is", "are", "what", "how", "which", "we", "our", "for", "of", "to", "a", "an", "with",
    "can", "should", "want", "when", "why", "method", "does", "do", "in", "it", "citizens",
}


def detect_language(text: str) -> Lang:
    """'sv' or 'en' from common function words and Swedish letters; Swedish when unsure."""
    words = re.findall(r"[a-zåäöé']+", text.lower())
    sv = sum(w in _SV_WORDS for w in words) + 2 * len(re.findall(r"[åäö]", text.lower()))
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
