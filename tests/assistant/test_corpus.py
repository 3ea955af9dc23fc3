"""Corpus loading and validation: every problem located by file, line and field; broken files never fatal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.corpus import Problem, load_corpus, load_file, parse_document, split_front_matter
from tests.conftest import CORPUS, METHOD_TEMPLATE


def _card(id: str = "testkort", **replace: str) -> str:
    text = METHOD_TEMPLATE.format(
        id=id,
        title="Testmetod",
        alias="test alias",
        summary="En metod som används i tester.",
        body="Brödtext.",
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


COURSE = """\
---
id: {id}
kind: course
title: Kursmodul
lang: sv
summary: En kursmodul som används i tester.
sources:
  - {{title: "Källa", url: "https://example.org/kurs"}}
licence: CC-BY-4.0
---
## Del ett
Text ett.
"""


# ---------------------------------------------------------------- split_front_matter


@pytest.mark.parametrize(
    ("text", "front", "body", "line"),
    [
        ("---\na: 1\n---\nbody\n", "a: 1\n", "body\n", 4),
        ("---\n---\n", "", "", 3),
        ("---\na: 1\nb: 2\n---\n", "a: 1\nb: 2\n", "", 5),
        ("---  \r\na: 1\r\n---\r\n# H\r\n", "a: 1\r\n", "# H\r\n", 4),
        ("---\na: 1\n---\nx\n---\ny\n", "a: 1\n", "x\n---\ny\n", 4),  # a later rule belongs to the body
    ],
)
def test_split_front_matter(text: str, front: str, body: str, line: int) -> None:
    assert split_front_matter(text) == (front, body, line)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "does not start"),
        ("# Rubrik\n---\na: 1\n---\n", "does not start"),
        ("\n---\na: 1\n---\n", "does not start"),
        ("---\na: 1\nbody without end\n", "no closing"),
        ("---", "no closing"),
    ],
)
def test_split_front_matter_refuses(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        split_front_matter(text)


# ---------------------------------------------------------------- parse_document


def test_valid_method_card_parses_with_attributes() -> None:
    doc, problems = parse_document(Path("m/testkort.md"), _card())
    assert problems == []
    assert doc is not None
    assert (doc.id, doc.kind, doc.title, doc.lang) == ("testkort", "method", "Testmetod", "sv")
    assert doc.aliases == ("test alias",)
    assert [s.url for s in doc.sources] == ["https://example.org/a", "https://example.org/b"]
    assert doc.attributes["purposes"] == ["ideer"]
    assert doc.attributes["participants"] == {"min": 5, "max": 50}
    assert "sources" not in doc.attributes and "title" not in doc.attributes
    assert doc.body.startswith("## Vad är det")
    assert doc.body_line == _card().splitlines().index("## Vad är det") + 1
    assert doc.origin == "metodguiden"


def test_crlf_file_parses_like_lf() -> None:
    doc_lf, _ = parse_document(Path("testkort.md"), _card())
    doc_crlf, problems = parse_document(Path("testkort.md"), _card().replace("\n", "\r\n"))
    assert problems == []
    assert doc_crlf is not None and doc_lf is not None
    assert doc_crlf.attributes == doc_lf.attributes and doc_crlf.body_line == doc_lf.body_line


@pytest.mark.parametrize(
    ("replace", "line", "field", "says"),
    [
        ({"purposes: [ideer]": "purposes: [ideer, dans]"}, 8, "purposes.1", "ideer"),
        (
            {"participants: {min: 5, max: 50}": "participants: {min: 50, max: 5}"},
            11,
            "participants",
            "larger",
        ),
        ({"cost_sek: {min: 10000, max: 100000}": "cost_sek: {min: -1, max: 100000}"}, 13, "cost_sek.min", ""),
        ({"lang: sv\n": "lang: sv\ncolour: red\n"}, 7, "colour", "Extra inputs"),
        ({"lang: sv": "lang: de"}, 6, "lang", "'sv'"),
        ({'url: "https://example.org/a"': 'url: "example.org/a"'}, 21, "sources.0.url", "'example.org/a'"),
        (
            {'  - {title: "Källa två", url: "https://example.org/b", publisher: "Test"}\n': ""},
            21,
            "sources",
            "at least 2",
        ),
        ({"summary: En metod": "summary_: En metod"}, 1, "summary", "required"),
        ({"id: testkort": "id: Test_Kort"}, 2, "id", "pattern"),
        ({"id: testkort": "id: annat-kort"}, 2, "id", "'annat-kort' differs from the file name 'testkort'"),
        ({"kind: method": "kind: metod"}, 3, "kind", "'metod'"),
        ({"summary: En metod": "summary: a: b"}, 7, "", "YAML syntax error"),
        ({"## Exempel\n": "## Exempel på\n"}, 29, "body", "## Exempel"),
        (
            {"## Vad är det\n": "## Vad är det?\n", "## Resurser och tid\n": "### Resurser och tid\n"},
            29,
            "body",
            "## Vad är det, ## Resurser och tid",
        ),
    ],
)
def test_problems_name_file_line_and_field(replace: dict[str, str], line: int, field: str, says: str) -> None:
    text = _card(**replace)
    doc, problems = parse_document(Path("methods/testkort.md"), text)
    assert doc is None
    assert problems, "a broken card must give at least one problem"
    match = [p for p in problems if p.field == field]
    assert match, problems
    assert match[0].line == line
    assert says in match[0].message
    assert match[0].path == "methods/testkort.md"


def test_every_problem_of_a_card_is_reported_at_once() -> None:
    text = _card(**{"purposes: [ideer]": "purposes: [dans]", "staff_effort: lag": "staff_effort: mycket"})
    _, problems = parse_document(Path("testkort.md"), text)
    assert {p.field for p in problems} == {"purposes.0", "staff_effort"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Ingen framsida alls.\n", "does not start"),
        ("---\n- en\n- lista\n---\ntext\n", "not a mapping"),
        ("---\nid: x\n", "no closing"),
    ],
)
def test_unusable_files_give_one_problem(text: str, says: str) -> None:
    doc, problems = parse_document(Path("x.md"), text)
    assert doc is None and len(problems) == 1 and says in problems[0].message


def test_course_without_body_is_a_problem() -> None:
    text = COURSE.format(id="kurs").split("## Del ett")[0]
    _, problems = parse_document(Path("kurs.md"), text)
    assert [p.field for p in problems] == ["body"]
    assert problems[0].line == 11


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        (Problem("a/b.md", 7, "purposes.0", "bad"), "a/b.md:7: purposes.0: bad"),
        (Problem("a/b.md", 1, "", "no front matter"), "a/b.md:1: no front matter"),
    ],
)
def test_problem_text_is_file_line_field_message(problem: Problem, shown: str) -> None:
    assert str(problem) == shown


# ---------------------------------------------------------------- files and folders


def test_load_file_reports_encoding_and_size(tmp_path: Path) -> None:
    latin = tmp_path / "latin.md"
    latin.write_bytes(_card(id="latin").encode("latin-1"))
    doc, problems = load_file(latin)
    assert doc is None and "not UTF-8" in problems[0].message and problems[0].line == 1

    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 2_000_001)
    doc, problems = load_file(big)
    assert doc is None and "2000001 bytes" in problems[0].message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    """Editors on Windows may save with a byte-order mark; the file still starts with '---'."""
    path = tmp_path / "testkort.md"
    path.write_bytes(b"\xef\xbb\xbf" + _card().encode())
    doc, problems = load_file(path)
    assert problems == [] and doc is not None and doc.id == "testkort"


def test_broken_file_is_reported_and_the_others_load(
    tmp_path: Path, write_method: Callable[..., Path]
) -> None:
    corpus = tmp_path / "corpus"
    write_method(corpus / "methods", "alfa")
    write_method(corpus / "methods", "beta")
    broken = corpus / "methods" / "trasig.md"
    broken.write_text(_card(id="trasig", **{"formats: [fysiskt]": "formats: [telepati]"}), encoding="utf-8")
    (corpus / "README.md").write_text("# Om korpusen\nInte ett dokument.\n")
    report = load_corpus([corpus])
    assert sorted(d.id for d in report.documents) == ["alfa", "beta"]
    assert [str(p) for p in report.problems] == [
        f"{broken}:16: formats.0: 'telepati' is not a known formats value; use one of: hybrid, digitalt, fysiskt"
    ]


def test_duplicate_ids_across_folders(tmp_path: Path, write_method: Callable[..., Path]) -> None:
    first = write_method(tmp_path / "a", "samma")
    second = write_method(tmp_path / "b", "samma")
    report = load_corpus([tmp_path / "a", tmp_path / "b"])
    assert [d.path for d in report.documents] == [str(first)]
    assert len(report.problems) == 1
    assert report.problems[0].path == str(second) and str(first) in report.problems[0].message


def test_missing_corpus_folder_is_a_problem(tmp_path: Path, write_method: Callable[..., Path]) -> None:
    write_method(tmp_path / "ok", "alfa")
    report = load_corpus([tmp_path / "ok", tmp_path / "nope"])
    assert [d.id for d in report.documents] == ["alfa"]
    assert [p.path for p in report.problems] == [str(tmp_path / "nope")]
    assert "does not exist" in report.problems[0].message


CASE = """\
---
id: fall-test
kind: case
title: Ett fall
lang: sv
summary: Ett verkligt fall som används i tester.
sources:
  - {{title: "Källa", url: "https://example.org/fall"}}
licence: CC-BY-4.0
methods: [{methods}]
place: Teststad
country: SE
years: 2020
---
## Bakgrund
a
## Vad gjordes
b
## Vilka deltog
c
## Kostnad och tid
d
## Resultat
e
## Lärdomar
f
"""


def test_case_links_are_checked_against_method_ids(tmp_path: Path, write_method: Callable[..., Path]) -> None:
    write_method(tmp_path / "methods", "alfa")
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "fall-test.md").write_text(CASE.format(methods="alfa, okand"), encoding="utf-8")
    report = load_corpus([tmp_path])
    assert sorted(d.id for d in report.documents) == ["alfa", "fall-test"]
    assert [(p.field, p.message) for p in report.problems] == [
        ("methods", "links to unknown method id 'okand'")
    ]


def test_case_fields_are_validated(tmp_path: Path) -> None:
    text = CASE.format(methods="alfa").replace("country: SE", "country: Sverige")
    _, problems = parse_document(Path("fall-test.md"), text)
    assert [(p.field, p.line) for p in problems] == [("country", 12)]


def test_the_shipped_corpus_is_valid() -> None:
    report = load_corpus([CORPUS])
    assert [str(p) for p in report.problems] == []
    kinds = {d.kind for d in report.documents}
    assert kinds == {"method", "course", "principle", "case"}
    assert len([d for d in report.documents if d.kind == "method"]) >= 20
