"""English front matter of method cards: every card has it, it is English, and the validator insists on it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus, load_file
from assistant.embeddings import FakeEmbedder
from assistant.index import build_index, open_index
from assistant.understanding import detect_language
from tests.conftest import CORPUS

CARDS = sorted((CORPUS / "methods").glob("*.md"))
FIELDS = ("summary_en", "fits_en", "not_fits_en")
MAX_BULLET = 200
# Common Swedish words with no English homograph: one of them in a line means Swedish crept in.
SWEDISH_WORDS = frozenset(
    [
        "och",
        "att",
        "som",
        "det",
        "inte",
        "eller",
        "kan",
        "vill",
        "har",
        "ska",
        "när",
        "där",
        "också",
        "samt",
        "utan",
        "eftersom",
        "kommunen",
        "deltagarna",
    ]
)


def _english(card: Path) -> dict[str, Any]:
    doc, problems = load_file(card)
    assert doc is not None, problems
    return {f: doc.attributes.get(f) for f in FIELDS}


def _swedish_traces(text: str) -> list[str]:
    words = re.findall(r"[a-zåäöé]+", text.lower())
    return [w for w in words if w in SWEDISH_WORDS or re.search(r"[åäö]", w)]


def test_the_corpus_has_the_method_cards() -> None:
    assert len(CARDS) >= 46


@pytest.mark.parametrize("card", CARDS, ids=lambda p: p.stem)
def test_card_has_english_summary_and_fit_bullets(card: Path) -> None:
    en = _english(card)
    assert isinstance(en["summary_en"], str) and 40 <= len(en["summary_en"]) <= 400, en["summary_en"]
    assert isinstance(en["fits_en"], list) and 2 <= len(en["fits_en"]) <= 4, en["fits_en"]
    assert isinstance(en["not_fits_en"], list) and 2 <= len(en["not_fits_en"]) <= 3, en["not_fits_en"]
    for bullet in [*en["fits_en"], *en["not_fits_en"]]:
        assert isinstance(bullet, str) and 10 <= len(bullet.strip()) <= MAX_BULLET, bullet
    assert len(set(en["fits_en"]) | set(en["not_fits_en"])) == len(en["fits_en"]) + len(en["not_fits_en"])


@pytest.mark.parametrize("card", CARDS, ids=lambda p: p.stem)
def test_card_english_reads_as_english(card: Path) -> None:
    en = _english(card)
    lines = [en["summary_en"], *en["fits_en"], *en["not_fits_en"]]
    for line in lines:
        assert _swedish_traces(line) == [], line
    assert detect_language(" ".join(lines)) == "en"


def test_the_english_differs_from_the_swedish_summary() -> None:
    for card in CARDS:
        doc, _ = load_file(card)
        assert doc is not None and doc.attributes["summary_en"] != doc.summary, card.name


@pytest.mark.parametrize("field", FIELDS)
def test_card_without_an_english_field_is_refused_with_what_to_add(
    tmp_path: Path, write_method: Callable[..., Path], field: str
) -> None:
    path = write_method(tmp_path / "methods", "testkort")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(rf"^{field}:.*\n", "", text, flags=re.MULTILINE), encoding="utf-8")
    doc, problems = load_file(path)
    assert doc is None
    assert [p.field for p in problems] == [field]
    assert "required" in problems[0].message and "English" in problems[0].message, problems[0].message
    assert str(path) in str(problems[0]) and f": {field}: " in str(problems[0])


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        ('fits_en: ["You want to collect ideas."]', "fits_en: []", "fits_en", "at least 1"),
        ('not_fits_en: ["Nothing can be influenced."]', "not_fits_en: [1]", "not_fits_en.0", "string"),
        ('summary_en: "A method used in tests."', 'summary_en: ""', "summary_en", "at least 10"),
        ('fits_en: ["You want to collect ideas."]', 'fits_en: "You want ideas."', "fits_en", "list"),
    ],
)
def test_empty_or_wrong_english_fields_are_refused(
    tmp_path: Path, write_method: Callable[..., Path], old: str, new: str, field: str, says: str
) -> None:
    path = write_method(tmp_path / "methods", "testkort")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    doc, problems = load_file(path)
    assert doc is None
    match = [p for p in problems if p.field == field]
    assert match and says in match[0].message, problems
    assert match[0].line == text.splitlines().index(old) + 1


def test_other_kinds_need_no_english_fields() -> None:
    report = load_corpus([CORPUS])
    others = [d for d in report.documents if d.kind != "method"]
    assert others and all("summary_en" not in d.attributes for d in others)


def test_index_document_rows_keep_the_english_fields(
    fake_settings: Settings, write_method: Callable[..., Path]
) -> None:
    write_method(fake_settings.corpus_dirs[0] / "methods", "alfa", title="Alfametoden")
    report = load_corpus(fake_settings.corpus_dirs)
    build_index(fake_settings, FakeEmbedder(), report.documents, problems=report.problems)
    rows = open_index(fake_settings, "fake64").documents
    assert [r["id"] for r in rows] == ["alfa"]
    attributes = rows[0]["attributes"]
    assert attributes["summary_en"] == "A method used in tests."
    assert attributes["fits_en"] == ["You want to collect ideas."]
    assert attributes["not_fits_en"] == ["Nothing can be influenced."]
