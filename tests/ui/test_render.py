"""Pure rendering and export functions of the UI: markers, passages, cards, plans, profile form, export."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.advisor import MethodCard
from assistant.advisor import fit as score_card
from assistant.types import ContextProfile
from ui import panels, render
from ui.export import conversation_markdown, export_files, markdown_to_docx, prune_old_dirs
from ui.profile_form import FIELDS, apply_edits, form_to_profile, profile_edits, profile_to_form

CARD = MethodCard(
    id="medborgarrad",
    title="Medborgarråd",
    summary="En lottad grupp <invånare> överlägger.",
    purposes=("rekommendationer",),
    influence=("konsultation", "inflytande"),
    recruitment=("slumpvis",),
    participants=(30.0, 160.0),
    duration_weeks=(16.0, 40.0),
    cost_sek=(400000.0, 3000000.0),
    cost_basis="uppskattning",
    staff_effort="hog",
)
FOKUS = MethodCard(
    id="fokusgrupp", title="Fokusgrupp", summary="Ett lett samtal.", cost_sek=(20000.0, 250000.0)
)


def _answer(**over: Any) -> dict[str, Any]:
    data = {
        "answer": "Ett medborgarråd passar [1]. Det tar tid [2].",
        "language": "sv",
        "intent": "method_fit",
        "citations": [
            {
                "n": 1,
                "chunk_id": "c1",
                "doc_id": "medborgarrad",
                "title": "Medborgarråd",
                "section": "Vad är det",
                "url": "https://example.org/a",
                "quote": "En lottad grupp.",
                "licence": "CC-BY-4.0",
            },
            {
                "n": 2,
                "chunk_id": "c2",
                "doc_id": "medborgarrad",
                "title": "Medborgarråd",
                "section": "Resurser och tid",
                "url": "",
                "quote": "Fyra till nio månader.",
                "licence": "CC-BY-4.0",
            },
        ],
        "recommended_methods": [
            {
                "id": "medborgarrad",
                "title": "Medborgarråd",
                "score": 0.78,
                "reasons": ["+ tiden räcker", "− dyrt"],
            }
        ],
        "abstained": False,
        "clarifying_question": "Vad kan invånarna påverka?",
        "profile": ContextProfile(budget_sek=800000, time_weeks=26.07).to_json(),
        "plan": [],
        "notes": [],
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("text", "valid", "expected"),
    [
        ("A [1].", None, "A [\\[1\\]](#mg-cite-3-1)."),
        ("A [1][2].", {1, 2}, "A [\\[1\\]](#mg-cite-3-1)[\\[2\\]](#mg-cite-3-2)."),
        ("A [7].", {1}, "A [7]."),  # unknown numbers stay plain text
        ("[1](https://x)", None, "[1](https://x)"),  # an existing link is left alone
        ("Inga markörer.", None, "Inga markörer."),
    ],
)
def test_link_markers(text: str, valid: set[int] | None, expected: str) -> None:
    assert render.link_markers(text, 3, valid) == expected


def test_format_answer_links_markers_lists_sources_and_adds_the_open_question_once() -> None:
    md = render.format_answer(_answer(), 0)
    assert "[\\[2\\]](#mg-cite-0-2)" in md
    assert "1. [Medborgarråd – Vad är det](#mg-cite-0-1)" in md
    assert md.count("Vad kan invånarna påverka?") == 1
    again = render.format_answer(_answer(answer="Text [1]. *Vad kan invånarna påverka?*"), 0)
    assert again.count("Vad kan invånarna påverka?") == 1
    # The question back stands out as a callout, in the language of the answer.
    assert "> **En fråga till dig:** Vad kan invånarna påverka?" in again
    english = render.format_answer(
        _answer(language="en", clarifying_question="What can residents change?"), 0
    )
    assert "> **A question for you:** What can residents change?" in english


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("cite-2-13", ("cite", ("2", "13"))),
        ("card-medborgarrad", ("card", ("medborgarrad",))),
        ("card-../../etc", ("", ())),
        ("cite-x-1", ("", ())),
        ("", ("", ())),
    ],
)
def test_parse_target(target: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert render.parse_target(target) == expected


@pytest.mark.parametrize(
    ("text", "quote", "expected"),
    [
        ("Första meningen. Andra.", "Första meningen.", "Första meningen."),
        (
            "Intro.\n\n1. **Mandat.** Beslut om\nuppdraget.",
            "Mandat. Beslut om uppdraget.",
            "Mandat.** Beslut om\nuppdraget.",
        ),
        (
            "Intro.\n\n1. **Mandat.** Beslut om\nuppdraget.",
            "Mandat: Beslut om uppdraget.",  # compose.first_sentences writes a bold lead-in as 'X:'
            "Mandat.** Beslut om\nuppdraget.",
        ),
        ("- punkt ett\n- punkt två", "punkt ett punkt två", "punkt ett\n- punkt två"),
        ("Lång text som fortsätter här.", "Lång text som …", "Lång text som"),
        ("Helt annat.", "Finns inte", None),
        ("Något.", "", None),
    ],
)
def test_quote_span_finds_the_flattened_quote_in_the_original(
    text: str, quote: str, expected: str | None
) -> None:
    span = render.quote_span(text, quote)
    assert (text[span[0] : span[1]] if span else None) == expected


def test_passage_html_marks_the_quote_and_escapes_the_corpus_text() -> None:
    out = render.passage_html("Före <b>. Citat här. Efter.", "Citat här.")
    assert "<mark>Citat här.</mark>" in out and "&lt;b&gt;" in out
    missing = render.passage_html("", "Bara citatet")
    assert "<mark>Bara citatet</mark>" in missing


def test_sources_panel_shows_the_selected_passage_first_with_links_and_licence() -> None:
    data = _answer()
    docs = {
        "medborgarrad": {"sources": [{"title": "OECD", "url": "https://oecd.org/x", "publisher": "OECD"}]}
    }
    html = render.sources_panel_html(
        data["citations"], {"c2": "Det tar fyra till nio månader."}, docs, 4, selected=2
    )
    assert html.index("mg-selected") < html.index("Övriga källor")
    assert 'href="https://oecd.org/x"' in html and "Licens: CC-BY-4.0" in html
    assert 'href="#mg-cite-4-1"' in html  # the other source stays clickable
    assert "Välj en källa" in render.sources_panel_html(data["citations"], {}, {}, 0)
    assert "Ställ en fråga" in render.sources_panel_html([], {}, {}, 0)


def test_method_cards_show_fit_reasons_cost_time_and_card_link() -> None:
    html = panels.method_cards_html(_answer()["recommended_methods"], {"medborgarrad": CARD})
    assert "78 av 100" in html and "tiden räcker" in html and "dyrt" in html
    assert "400 000–3 000 000 kr (uppskattning)" in html and "4 månader–9 månader" in html
    assert 'href="#mg-card-medborgarrad"' in html and "&lt;invånare&gt;" in html
    assert "Rekommenderade metoder" in panels.method_cards_html([], {})


def test_compare_markdown_puts_cards_side_by_side_with_fit() -> None:
    profile = ContextProfile(budget_sek=100000)
    md = panels.compare_markdown([CARD, FOKUS], {c.id: score_card(c, profile) for c in (CARD, FOKUS)})
    header, rule, *rows = md.splitlines()
    assert header == "| | Medborgarråd | Fokusgrupp |" and rule == "|---|---|---|"
    cost = next(r for r in rows if r.startswith("| **Typisk kostnad**"))
    assert "400 000–3 000 000 kr" in cost and "20 000–250 000 kr" in cost
    assert any(r.startswith("| **Passar er**") for r in rows)
    assert "Välj två eller tre" in panels.compare_markdown([CARD])


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (6, ["Början", "Början", "Mitten", "Mitten", "Slut", "Slut"]),
        (3, ["Början", "Mitten", "Slut"]),
        (1, ["Början"]),
    ],
)
def test_stage_of_splits_a_plan_into_beginning_middle_end(count: int, expected: list[str]) -> None:
    assert [panels.stage_of(i, count) for i in range(count)] == expected


def test_plan_rows_count_weeks_from_the_start_and_never_overlap() -> None:
    plan = [{"name": "A", "weeks": 2.5, "activities": []}, {"name": "B", "weeks": 4, "activities": ["x"]}]
    rows = panels.plan_rows(plan)
    assert [r["span"] for r in rows] == ["vecka 1–3", "vecka 4–7"]  # was 1–3, 3–7: week 3 twice
    assert "mg-timeline" in panels.plan_html(plan) and "Be om en processplan" in panels.plan_html([])


@pytest.mark.parametrize(("level", "role"), [("warning", "alert"), ("info", "status"), ("success", "status")])
def test_notice_html_is_announced(level: Any, role: str) -> None:
    out = render.notice_html("Frågan är <tom>.", level)
    assert f'role="{role}"' in out and "&lt;tom&gt;" in out


# --- profile form ---------------------------------------------------------------------------------------


def test_profile_round_trips_through_the_form() -> None:
    profile = ContextProfile(
        purposes=("ideer",),
        influence=("dialog",),
        budget_sek=200000,
        time_weeks=12.0,
        target_groups=("unga",),
        ages=(16, 25),
        scale="kommun",
        commitment=False,
    ).to_json()
    values = profile_to_form(profile)
    assert len(values) == len(FIELDS)
    assert form_to_profile(values) == profile


@pytest.mark.parametrize(
    ("extracted", "form", "edits"),
    [
        ({"time_weeks": 26.07}, {"time_weeks": 26.1}, {}),  # rounding in the form is not an edit
        ({"budget_sek": 100}, {"budget_sek": 200}, {"budget_sek": 200}),
        ({"purposes": ["a", "b"]}, {"purposes": ["b", "a"]}, {}),
        ({"commitment": None}, {"commitment": False}, {"commitment": False}),
        ({}, {"nothing_to_influence": False}, {}),
        ({"scale": "kommun"}, {"scale": None}, {"scale": None}),  # clearing a field is an edit
    ],
)
def test_profile_edits(extracted: dict[str, Any], form: dict[str, Any], edits: dict[str, Any]) -> None:
    assert profile_edits(extracted, form) == edits


def test_edits_win_over_a_new_extraction() -> None:
    merged = apply_edits({"budget_sek": 5, "time_weeks": 10}, {"budget_sek": 9})
    assert merged["budget_sek"] == 9 and merged["time_weeks"] == 10 and merged["purposes"] == []


def test_ages_from_one_bound() -> None:
    values = profile_to_form(ContextProfile().to_json())
    values[[f.key for f in FIELDS].index("age_min")] = 60
    assert form_to_profile(values)["ages"] == [60, 99]


# --- export ---------------------------------------------------------------------------------------------


def test_conversation_markdown_holds_questions_answers_methods_plan_and_sources() -> None:
    plan = [{"name": "Förberedelse", "weeks": 4, "activities": ["Få ett mandat."], "citation": None}]
    turns = [{"question": "Vilken metod?", "answer": _answer(plan=plan)}]
    md = conversation_markdown(turns, datetime(2025, 3, 1, 10, 0))
    assert "Exporterat 2025-03-01 10:00." in md
    assert "## Fråga 1: Vilken metod?" in md and "Ett medborgarråd passar [1]." in md
    assert "- **Medborgarråd** (passar er: 78 av 100)" in md and "  - + tiden räcker" in md
    assert "| Början | 1. Förberedelse | vecka 1–4 | Få ett mandat. |" in md
    assert "1. Medborgarråd – Vad är det. <https://example.org/a> Licens: CC-BY-4.0." in md
    assert "- Budget: 800 000 kr" in md
    assert "Samtalet är tomt." in conversation_markdown([])


def test_docx_has_headings_bold_runs_and_tables(tmp_path: Path) -> None:
    from docx import Document

    md = "# Rubrik\n\nText med **fet** del.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n- punkt\n> citat\n"
    doc = Document(str(markdown_to_docx(md, tmp_path / "x.docx")))
    texts = [p.text for p in doc.paragraphs]
    assert "Rubrik" in texts and "Text med fet del." in texts and "punkt" in texts and "citat" in texts
    bold = [r.text for p in doc.paragraphs for r in p.runs if r.bold]
    assert "fet" in bold
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows] == [["A", "B"], ["1", "2"]]


def test_export_files_writes_both_formats(tmp_path: Path) -> None:
    md, docx = export_files(
        [{"question": "Q?", "answer": _answer()}], tmp_path, datetime(2025, 1, 2, 3, 4, 5)
    )
    assert md.name == "metodguiden-samtal-20250102-030405.md" and docx.suffix == ".docx"
    assert re.search(r"## Fråga 1: Q\?", md.read_text(encoding="utf-8"))
    assert docx.stat().st_size > 1000


def test_prune_old_dirs_removes_only_old_folders(tmp_path: Path) -> None:
    import os

    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "f.md").write_text("x", encoding="utf-8")
    os.utime(old, (1000, 1000))
    assert prune_old_dirs(tmp_path, 3600, now=10_000) == 1
    assert not old.exists() and new.exists()
    assert prune_old_dirs(tmp_path / "missing", 1) == 0


def test_compare_follows_the_latest_answer_that_recommended_two_or_more() -> None:
    from ui.compare_ui import latest_recommended

    known = {"a": 1, "b": 1, "c": 1, "d": 1}

    def turn(*ids: str) -> dict[str, object]:
        return {"question": "q", "answer": {"recommended_methods": [{"id": i} for i in ids]}}

    assert latest_recommended([turn("a", "b", "c", "d"), turn("x")], known) == ["a", "b", "c"]
    assert latest_recommended([turn("a", "b"), turn("c", "d")], known) == ["c", "d"]
    assert latest_recommended([turn("a")], known) is None  # one method is nothing to compare
    assert latest_recommended([], known) is None


def test_the_methods_panel_and_the_comparison_render_the_same_fit_for_a_profile() -> None:
    profile = ContextProfile.from_json({**ContextProfile().to_json(), "budget_sek": 150000, "time_weeks": 10})
    methods = [{"id": c.id, "title": c.title, "score": 0.99, "reasons": []} for c in (CARD, FOKUS)]
    html = panels.method_cards_html(methods, {c.id: c for c in (CARD, FOKUS)}, profile)
    shown = dict(re.findall(r'data-method="([^"]+)">(\d+ av 100)', html))
    fits = {c.id: panels.fit_of(c, profile) for c in (CARD, FOKUS)}
    compared = dict(zip([CARD.id, FOKUS.id], panels.compare_rows([CARD, FOKUS], fits)[0][1], strict=True))
    assert shown == compared and "99 av 100" not in html  # the answer's own number is not shown beside it


def test_every_catalogue_text_has_swedish_and_english_and_fills_its_fields() -> None:
    from ui.i18n import catalogue, t

    assert all(set(v) == {"sv", "en"} for v in catalogue().values())
    assert t("methods.of", "en", score=65) == "65 of 100" and t("methods.of", "sv", score=65) == "65 av 100"
    assert t("chat.send", "de") == "Skicka"  # an unknown language falls back to Swedish


def test_the_form_shows_whole_weeks_and_that_is_no_edit() -> None:
    extracted = {**ContextProfile().to_json(), "time_weeks": 21.7}
    values = profile_to_form(extracted)
    assert values[[f.key for f in FIELDS].index("time_weeks")] == 22
    assert profile_edits(extracted, form_to_profile(values)) == {}
