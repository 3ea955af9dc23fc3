"""Text helpers for the metrics: content-word stems, answer sentences and their [n] markers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Lang = Literal["sv", "en"]

# Numbers (with decimals, "2016:5", "1,2") are one token; words may hold hyphens and apostrophes.
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•>]|\d+[.)]|#+)\s+")
_LEADING_MARKERS = re.compile(r"^(?:\s*" + _MARKER.pattern + r")+\s*")


@lru_cache(maxsize=4)
def _stemmer(lang: Lang) -> Any:
    import Stemmer

    return Stemmer.Stemmer("swedish" if lang == "sv" else "english")


@lru_cache(maxsize=2)
def _stopwords(lang: Lang) -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

    return frozenset(STOPWORDS_SWEDISH if lang == "sv" else STOPWORDS_EN)


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens."""
    return [t.lower() for t in _TOKEN.findall(text)]


def content_stems(text: str, lang: Lang = "sv") -> list[str]:
    """Stems of the content words (stop words dropped); numbers are kept as they are."""
    stop = _stopwords(lang)
    words = [t for t in tokens(text) if t not in stop and (t[0].isdigit() or len(t) > 1)]
    stemmer = _stemmer(lang)
    return [w if w[0].isdigit() else str(stemmer.stemWord(w)) for w in words]


def markers(text: str) -> list[int]:
    """Every citation number in the text, in order, e.g. "[1] … [2, 3]" → [1, 2, 3]."""
    return [int(n) for group in _MARKER.findall(text) for n in group.split(",")]


def strip_markers(text: str) -> str:
    """The text without its [n] markers."""
    return re.sub(r"\s+", " ", re.sub(r"\s*" + _MARKER.pattern, "", text)).strip()


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer with the citation numbers that cover it."""

    text: str  # without markers or Markdown list/emphasis syntax
    markers: tuple[int, ...]
    own_markers: bool  # False when the markers were inherited from a later sentence of the paragraph
    paragraph: int


def split_sentences(answer: str) -> list[Sentence]:
    """Sentences of an answer, paragraph by paragraph (each line is a paragraph).

    A marker group standing after the final full stop ("… slut. [1]") belongs to the sentence before
    it. A sentence without markers inherits those of the next marked sentence in the same paragraph,
    so one citation at the end of a paragraph covers the whole paragraph. In a Markdown table each
    row is one sentence, covered by the markers of the header row (a column per cited source).
    """
    out: list[Sentence] = []
    table_markers: tuple[int, ...] = ()
    for p, raw in enumerate(answer.splitlines()):
        if raw.lstrip().startswith("|"):
            # A Markdown table: the header's markers (one per column source) cover every row.
            cells = [strip_markers(c).replace("**", "") for c in raw.strip().strip("|").split("|")]
            if all(re.fullmatch(r"\s*:?-+:?\s*", c) for c in cells if c.strip()):
                continue
            own = tuple(markers(raw))
            if not table_markers and own:
                table_markers = own
                continue
            text = "; ".join(c.strip() for c in cells if c.strip())
            if text:
                out.append(Sentence(text, own or table_markers, bool(own), p))
            continue
        table_markers = ()
        line = _LIST_PREFIX.sub("", raw.replace("**", "").replace("__", "")).strip()
        if not line:
            continue
        pieces: list[tuple[str, list[int]]] = []
        for piece in _SENTENCE_END.split(line):
            lead = _LEADING_MARKERS.match(piece)
            if lead and pieces:  # "… slut. [1] Nästa …": the group cites the sentence before it
                pieces[-1][1].extend(markers(lead.group(0)))
                piece = piece[lead.end() :]
            nums = markers(piece)
            text = strip_markers(piece)
            if not re.search(r"\w", text):
                if pieces and nums:  # a lone marker group: it cites the sentence before it
                    pieces[-1][1].extend(nums)
                continue
            pieces.append((text, nums))
        inherited: list[int] = []
        para: list[Sentence] = []
        for text, nums in reversed(pieces):
            if nums:
                inherited = nums
            para.append(Sentence(text, tuple(nums or inherited), bool(nums), p))
        out.extend(reversed(para))
    return out


def is_factual(sentence: Sentence, lang: Lang = "sv", min_words: int = 5) -> bool:
    """A sentence that states something checkable: has a number or at least `min_words` content words.

    Questions and lead-ins ending in ':' are not claims.
    """
    text = sentence.text.rstrip().rstrip("*_").rstrip()  # "*Vad vill ni uppnå?*" is an italic question
    if text.endswith(("?", ":")):
        return False
    stems = content_stems(text, lang)
    return any(s[0].isdigit() for s in stems) or len(stems) >= min_words
