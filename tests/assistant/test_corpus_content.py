"""Content checks on the shipped corpus: schema, coverage, sources, attribute sanity and near-duplicates.

These tests read /corpus as it is in the repository. They fail when a writer breaks the schema, drops a
required section, cites a link that is not a web address, lets two method cards converge on the same text,
or sets attribute ranges that contradict each other.
"""

from __future__ import annotations

import math
import re
import typing
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from assistant import corpus as corpus_module
from assistant.corpus import CASE_SECTIONS, METHOD_SECTIONS, MethodModel, load_corpus
from assistant.types import SourceDocument

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
README = CORPUS / "README.md"

# Course modules that together cover the seed course (Digidem Lab, "Metodöversikt för medborgardeltagande"):
# overview of methods, the two key methods, other deliberative tools, choosing for the local context,
# own goals and values, feedback and trust, avoiding empty dialogues, why method choice matters,
# reaching more people, and process design from invitation to feedback.
COURSE_IDS = frozenset(
    {
        "kurs-metodoversikt",
        "kurs-medborgarbudget",
        "kurs-medborgarrad",
        "kurs-valja-metod",
        "kurs-egna-mal-och-varderingar",
        "kurs-aterkoppling-och-tillit",
        "kurs-undvik-tomma-dialoger",
        "kurs-varfor-metodval",
        "kurs-na-fler-rostar",
        "kurs-processdesign",
    }
)
PRINCIPLE_IDS = frozenset(
    {
        "princip-delaktighetstrappan",
        "princip-iap2",
        "princip-arnstein",
        "princip-oecd-deliberativa-processer",
        "princip-kommunallagen",
        "princip-pbl-samrad",
        "princip-barnkonventionen",
        "princip-demokratiutredningen",
    }
)
# Method cards the advisor leans on most; they must exist under these ids.
CORE_METHOD_IDS = frozenset(
    {
        "medborgarbudget",
        "medborgarrad",
        "fokusgrupp",
        "enkat",
        "world-cafe",
        "oppet-dialogmote",
        "uppsokande-dialog",
        "ungdomsrad",
        "samrad-pbl",
        "e-forslag",
        "folkinitiativ-folkomrostning",
        "barns-delaktighet",
        "medborgarberedning",
    }
)
METHOD_ATTRIBUTES = tuple(
    name for name in MethodModel.model_fields if name not in corpus_module.DocumentModel.model_fields
)
# Words that mark an alias as English. Swedish aliases rarely contain them; every card has used at least one.
_ENGLISH_WORDS = (
    "citizens citizen citizens' public participatory participation participative deliberative assembly "
    "jury panel council dialogue meeting walk walks review survey surveys questionnaire group groups the "
    "of and for with youth children children's child people's online mapping map future open space world "
    "cafe café search hearing living lab hackathon study circle circles kitchen table conversations "
    "co-design design workshop photovoice delphi charrette appreciative inquiry scenario poll polling "
    "budgeting referendum initiative petition petitions e-petition e-petitions platform platforms civic "
    "user users service reference safety audit consensus conference town planning cell outreach "
    "engagement community consultation statutory inquiry proposal proposals budget deliberation forum "
    "forums sortition lottery mini-public mini-publics standing permanent residents tenants housing local "
    "advisory focus interview interviews visioning method approach spectrum ladder local-area "
)
ENGLISH_MARKERS = frozenset(_ENGLISH_WORDS.split())
SHORTENER_HOSTS = ("tinyurl.com", "bit.ly", "goo.gl", "t.co", "ow.ly")
# Near-duplicate thresholds, calibrated on the corpus (see test_near_duplicate_detector_is_calibrated):
# the most similar pair of distinct cards (digital medborgarbudget vs digital plattform) scores about 0.39
# TF-IDF cosine and under 0.02 on 5-word-shingle Jaccard, while a card with a fifth of its sentences removed
# still scores above 0.9 and 0.6. The thresholds sit well between the two.
MAX_COSINE = 0.6
MAX_JACCARD = 0.25


@lru_cache(maxsize=1)
def _documents() -> tuple[SourceDocument, ...]:
    report = load_corpus([CORPUS])
    return report.documents


def _of_kind(kind: str) -> list[SourceDocument]:
    return sorted((d for d in _documents() if d.kind == kind), key=lambda d: d.id)


def _headings(body: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^##\s+(.+?)\s*$", body, flags=re.MULTILINE)]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-zåäöéüæø0-9]+", text.lower())


def _tfidf(bodies: list[list[str]]) -> np.ndarray:
    vocab = {w: i for i, w in enumerate(sorted({w for toks in bodies for w in toks}))}
    counts = np.zeros((len(bodies), len(vocab)))
    for row, toks in enumerate(bodies):
        for word, n in Counter(toks).items():
            counts[row, vocab[word]] = n
    present = counts > 0
    idf = np.log((1 + len(bodies)) / (1 + present.sum(axis=0))) + 1
    weights = np.where(present, 1 + np.log(np.where(present, counts, 1)), 0.0) * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return np.asarray(weights / np.where(norms == 0, 1, norms))


def _shingles(tokens: list[str], n: int = 5) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _near_duplicates(named_bodies: Iterable[tuple[str, str]]) -> list[tuple[str, str, float, float]]:
    """Pairs whose TF-IDF cosine or shingle Jaccard is above the thresholds: (id, id, cosine, jaccard)."""
    items = list(named_bodies)
    toks = [_tokens(body) for _, body in items]
    sims = _tfidf(toks) @ _tfidf(toks).T
    shingles = [_shingles(t) for t in toks]
    found = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            jac = _jaccard(shingles[i], shingles[j])
            if sims[i, j] >= MAX_COSINE or jac >= MAX_JACCARD:
                found.append((items[i][0], items[j][0], float(sims[i, j]), jac))
    return found


def test_every_document_validates_without_problems() -> None:
    report = load_corpus([CORPUS])
    assert [str(p) for p in report.problems] == []
    files = [p for p in CORPUS.rglob("*.md") if not p.stem.isupper()]  # README.md, SOURCES.md are docs
    assert len(report.documents) == len(files), "every file must load as a document"


def test_ids_are_unique_and_match_folders() -> None:
    ids = [d.id for d in _documents()]
    assert len(ids) == len(set(ids))
    folders = {"method": "methods", "course": "course", "principle": "principles", "case": "cases"}
    misplaced = [d.id for d in _documents() if Path(d.path).parent.name != folders[d.kind]]
    assert misplaced == []


def test_corpus_has_the_required_coverage() -> None:
    kinds = Counter(d.kind for d in _documents())
    assert kinds["method"] >= 45
    assert kinds["case"] >= 20
    ids = {d.id for d in _documents()}
    assert ids >= COURSE_IDS, f"missing course modules: {sorted(COURSE_IDS - ids)}"
    assert ids >= PRINCIPLE_IDS, f"missing principles: {sorted(PRINCIPLE_IDS - ids)}"
    assert ids >= CORE_METHOD_IDS, f"missing core method cards: {sorted(CORE_METHOD_IDS - ids)}"


@pytest.mark.parametrize("doc", _of_kind("method"), ids=lambda d: d.id)
def test_method_card_is_complete(doc: SourceDocument) -> None:
    missing = [name for name in METHOD_ATTRIBUTES if name not in doc.attributes]
    assert missing == []
    assert _headings(doc.body) == list(METHOD_SECTIONS), "exactly the schema's sections, in order"
    web = [s for s in doc.sources if re.match(r"^https?://", s.url)]
    assert len(web) >= 2
    english = [a for a in doc.aliases if set(_tokens(a.replace("'", ""))) & ENGLISH_MARKERS or "'" in a]
    assert english, f"{doc.id} needs at least one English alias, has {doc.aliases}"
    assert 450 <= len(doc.body.split()) <= 2000, "a method card is roughly 600–1000 words of body"


@pytest.mark.parametrize("doc", _of_kind("case"), ids=lambda d: d.id)
def test_case_is_complete_and_links_to_existing_methods(doc: SourceDocument) -> None:
    method_ids = {d.id for d in _of_kind("method")}
    linked = list(doc.attributes["methods"])
    assert linked and set(linked) <= method_ids, f"unknown methods: {set(linked) - method_ids}"
    assert _headings(doc.body) == list(CASE_SECTIONS)


@pytest.mark.parametrize("doc", list(_documents()), ids=lambda d: d.id)
def test_sources_are_plain_distinct_web_addresses(doc: SourceDocument) -> None:
    urls = [s.url for s in doc.sources]
    assert all(re.match(r"^https?://[^\s]+$", u) for u in urls)
    assert len(urls) == len(set(urls)), "the same address is listed twice"
    assert not [u for u in urls if any(f"//{h}/" in u or f".{h}/" in u for h in SHORTENER_HOSTS)]
    assert doc.lang == "sv" and doc.licence


@pytest.mark.parametrize("doc", _of_kind("method"), ids=lambda d: d.id)
def test_ranges_are_ordered_and_sane(doc: SourceDocument) -> None:
    bounds = {"participants": (1, 1_000_000), "duration_weeks": (0.05, 520), "cost_sek": (1_000, 50_000_000)}
    for name, (low, high) in bounds.items():
        span = doc.attributes[name]
        assert span["min"] <= span["max"], name
        assert low <= span["min"] and span["max"] <= high, f"{name} {span} outside [{low}, {high}]"
        assert all(math.isfinite(v) for v in span.values())


def _attr(method_id: str, name: str) -> dict[str, float]:
    doc = next(d for d in _documents() if d.id == method_id)
    value = doc.attributes[name]
    assert isinstance(value, dict)
    return value


@pytest.mark.parametrize(
    ("cheaper", "dearer"),
    [
        ("world-cafe", "medborgarrad"),
        ("oppet-dialogmote", "medborgarrad"),
        ("dialogpromenad", "medborgarjury"),
        ("fokusgrupp", "medborgarrad"),
        ("enkat", "deliberativ-opinionsmatning"),
        ("medborgarjury", "permanent-medborgarrad"),
    ],
)
def test_cost_ranges_of_comparable_methods_are_ordered(cheaper: str, dearer: str) -> None:
    assert _attr(cheaper, "cost_sek")["max"] <= _attr(dearer, "cost_sek")["min"] * 1.5
    assert _attr(cheaper, "cost_sek")["min"] < _attr(dearer, "cost_sek")["min"]


@pytest.mark.parametrize(
    ("method_id", "min_weeks"),
    [("medborgarbudget", 12), ("digital-medborgarbudget", 12), ("ungdomsbudget", 12), ("medborgarrad", 8)],
)
def test_long_processes_run_for_months(method_id: str, min_weeks: float) -> None:
    assert _attr(method_id, "duration_weeks")["min"] >= min_weeks


@pytest.mark.parametrize("doc", _of_kind("method"), ids=lambda d: d.id)
def test_attributes_agree_with_each_other(doc: SourceDocument) -> None:
    a = doc.attributes
    sortition = {"slumpvis", "stratifierat"} <= set(a["recruitment"])
    if sortition and "rekommendationer" in a["purposes"]:
        # a lottery-selected mini-public: stratified sortition is there to reach groups that seldom take part
        assert "underrepresenterade" in a["target_groups"]
    if "medbestammande" in a["influence"]:
        assert {"beslut", "prioritering", "samskapande"} & set(a["purposes"]), "co-decision needs a purpose"
    if "beslut" in a["purposes"]:
        assert {"inflytande", "medbestammande"} & set(a["influence"])
    if a["staff_effort"] == "hog":
        assert a["cost_sek"]["max"] >= 300_000, "high staff effort cannot be cheap"


def test_no_two_method_cards_are_near_duplicates() -> None:
    pairs = _near_duplicates((d.id, d.body) for d in _of_kind("method"))
    assert pairs == []


def test_near_duplicate_detector_is_calibrated() -> None:
    """A lightly edited copy of a card is caught; the corpus's most similar distinct pair is not."""
    card = next(d for d in _documents() if d.id == "medborgarrad").body
    sentences = re.split(r"(?<=[.!?])\s+", card)
    edited = " ".join(s for i, s in enumerate(sentences) if i % 5 != 0)
    assert [p[:2] for p in _near_duplicates([("original", card), ("edited", edited)])] == [
        ("original", "edited")
    ]
    a = next(d for d in _documents() if d.id == "digital-medborgarbudget").body
    b = next(d for d in _documents() if d.id == "digital-plattform").body
    assert _near_duplicates([("a", a), ("b", b)]) == []


def _literal_values(tp: object) -> set[str]:
    """All string values of a Literal, or of Literals nested in list[...] / unions."""
    if typing.get_origin(tp) is typing.Literal:
        return {str(v) for v in typing.get_args(tp)}
    return {v for arg in typing.get_args(tp) for v in _literal_values(arg)}


CARD_DIMENSIONS = ("purposes", "influence", "recruitment", "target_groups", "scale", "formats")


def _schema_vocabulary() -> dict[str, set[str]]:
    """Fixed choices of the schema (Literals) and the controlled values the validator takes from the lexicon."""
    from assistant.lexicon import lexicon

    found: dict[str, set[str]] = {}
    for model in (corpus_module.DocumentModel, corpus_module.MethodModel, corpus_module.CaseModel):
        for name, field in model.model_fields.items():
            values = _literal_values(field.annotation)
            if values:
                found.setdefault(name, set()).update(values)
    for dimension in CARD_DIMENSIONS:
        found.setdefault(dimension, set()).update(lexicon().values(dimension))
    return found


def test_schema_vocabulary_is_found() -> None:
    vocabulary = _schema_vocabulary()
    assert {"kind", "lang", "purposes", "influence", "recruitment", "target_groups", "scale"} <= set(
        vocabulary
    )
    assert "underrepresenterade" in vocabulary["target_groups"]


@pytest.mark.parametrize(("field", "values"), sorted(_schema_vocabulary().items()))
def test_readme_documents_every_vocabulary_value(field: str, values: set[str]) -> None:
    readme = README.read_text(encoding="utf-8")
    undocumented = sorted(v for v in values if f"`{v}`" not in readme)
    assert undocumented == [], f"{field}: values not written as `value` in corpus/README.md"
