"""Evaluation metrics as small pure functions; each returns None when it does not apply to a case.

Definitions and thresholds are documented in evals/README.md.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence

from evals.text import Lang, Sentence, content_stems, is_factual, markers, tokens

# A cited sentence counts as supported when its support score reaches this (see README).
SUPPORT_THRESHOLD = 0.5
# must_cover: a phrase is covered when this share of its content stems occurs in the answer.
COVER_THRESHOLD = 1.0
# Swedish compounds: a phrase stem this long also matches a word that starts with it.
COMPOUND_MIN = 5


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats (chunks → documents)."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


# --- retrieval (document level) -------------------------------------------------------------------


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float | None:
    """Share of the relevant documents found among the first k distinct ranked documents."""
    if not relevant:
        return None
    top = set(unique(ranked)[:k])
    return len(top & set(relevant)) / len(set(relevant))


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str]) -> float | None:
    """1 / rank of the first relevant document (0 when none is found)."""
    if not relevant:
        return None
    for rank, doc in enumerate(unique(ranked), start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float | None:
    """Normalised discounted cumulative gain with binary relevance over distinct documents."""
    if not relevant:
        return None
    rel = set(relevant)
    dcg = sum(1.0 / math.log2(i + 1) for i, doc in enumerate(unique(ranked)[:k], start=1) if doc in rel)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(rel), k) + 1))
    return dcg / ideal


# --- advice -----------------------------------------------------------------------------------------


def hit_at_k(recommended: Sequence[str], expected: Collection[str], k: int) -> float | None:
    """1.0 when any expected method is among the first k recommended, else 0.0."""
    if not expected:
        return None
    return 1.0 if set(unique(recommended)[:k]) & set(expected) else 0.0


def precision(recommended: Sequence[str], expected: Collection[str]) -> float | None:
    """Share of the recommended methods that are expected; None when nothing was recommended."""
    recs = unique(recommended)
    if not expected or not recs:
        return None
    return sum(r in expected for r in recs) / len(recs)


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """Precision and recall of refusing, from (should_refuse, did_refuse) pairs."""
    tp = fp = fn = 0
    for should, did in pairs:
        tp += should and did
        fp += did and not should
        fn += should and not did
    return {
        "abstention_precision": tp / (tp + fp) if tp + fp else None,
        "abstention_recall": tp / (tp + fn) if tp + fn else None,
    }


# --- citations --------------------------------------------------------------------------------------


def citation_validity(answer: str, citation_numbers: Collection[int]) -> float | None:
    """Share of the [n] markers in the answer that resolve to a returned citation; None without markers."""
    found = markers(answer)
    if not found:
        return None
    return sum(n in citation_numbers for n in found) / len(found)


def lexical_support(sentence: str, quote: str, lang: Lang = "sv") -> float:
    """Share of the sentence's content-word stems that occur in the quote (0 for an empty sentence)."""
    stems = set(content_stems(sentence, lang))
    if not stems:
        return 0.0
    return len(stems & set(content_stems(quote, lang))) / len(stems)


def support_score(lexical: float, cosine: float | None) -> float:
    """The lexical score alone, or its mean with the embedding cosine when an embedder was used."""
    return lexical if cosine is None else (lexical + max(cosine, 0.0)) / 2


def supported_share(
    sentences: Sequence[Sentence],
    scores: Mapping[tuple[int, int], float],
    threshold: float = SUPPORT_THRESHOLD,
) -> float | None:
    """Share of cited sentences whose best cited passage scores at least `threshold`.

    `scores[(sentence index, n)]` is the support score of citation n for that sentence; a marker
    without a score (an invalid citation) supports nothing.
    """
    cited = [(i, s) for i, s in enumerate(sentences) if s.markers]
    if not cited:
        return None
    ok = sum(max((scores.get((i, n), 0.0) for n in s.markers), default=0.0) >= threshold for i, s in cited)
    return ok / len(cited)


def uncited_factual(sentences: Sequence[Sentence], lang: Lang = "sv") -> int:
    """Number of factual-looking sentences that no citation covers."""
    return sum(1 for s in sentences if not s.markers and is_factual(s, lang))


# --- content ----------------------------------------------------------------------------------------


def stem_found(stem: str, text_stems: Collection[str]) -> bool:
    """The stem occurs in the text, or (from COMPOUND_MIN letters) opens a compound: 'delphi' in 'delphimetod'."""
    if stem in text_stems:
        return True
    return len(stem) >= COMPOUND_MIN and not stem[0].isdigit() and any(t.startswith(stem) for t in text_stems)


def phrase_covered(phrase: str, text_stems: Collection[str], lang: Lang = "sv") -> bool:
    """True when one of the phrase's '|'-separated alternatives has all its stems in the text."""
    for alternative in phrase.split("|"):
        stems = content_stems(alternative, lang) or tokens(alternative)
        if stems and sum(stem_found(s, text_stems) for s in stems) / len(stems) >= COVER_THRESHOLD:
            return True
    return False


def must_cover_coverage(phrases: Sequence[str], text: str, lang: Lang = "sv") -> float | None:
    """Share of the must-cover phrases found in the text, compared stem by stem."""
    if not phrases:
        return None
    stems = set(content_stems(text, lang)) | set(tokens(text))
    return sum(phrase_covered(p, stems, lang) for p in phrases) / len(phrases)


# --- aggregation ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean_defined(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None
