"""The UI in Debian's chromium (Playwright): chat with citations, profile edits, rating, trainer tab, export.

Each test serves the real app (fake embedder, five real corpus documents in tmp) on a free loopback
port. Screenshots of the main views land in test-artifacts/.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from tests._support_ui import (
    CHROMIUM,
    ROOT,
    TRAINER,
    Served,
    accessibility_problems,
    ask,
    open_app,
    open_profile_form,
    serve,
    shot,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh Swedish-language page that accepts downloads."""
    context = browser.new_context(
        locale="sv-SE", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


@pytest.fixture()
def ui_settings(fake_settings: Settings, small_corpus: Path) -> Settings:
    """Fake embedder, the small corpus, trainer credentials, feedback in tmp."""
    return fake_settings.replace(
        corpus_dirs=(small_corpus,), feedback_db=fake_settings.data_dir / "fb.sqlite3", **TRAINER
    )


@pytest.fixture()
def served(ui_settings: Settings) -> Iterator[Served]:
    """The app on a free port."""
    with serve(ui_settings) as s:
        yield s


def _open(page: Any, served: Served) -> None:
    open_app(page, served.url)


def _login(page: Any, password: str) -> None:
    page.get_by_role("tab", name="Utbildare").click()
    page.fill("#trainer-user :is(input, textarea)", TRAINER["trainer_user"])
    page.fill("#trainer-password :is(input, textarea)", password)
    page.click("#trainer-login")


def test_swedish_question_gets_cited_answer_and_a_click_opens_the_passage(page: Any, served: Served) -> None:
    _open(page, served)
    expect_welcome = page.locator("#chat").inner_text()
    assert "Välkommen till Metodguiden" in expect_welcome
    shot(page, "01-empty-state")
    text = ask(page, "Vilken metod passar för att nå unga om en ny park? Vi har 200 000 kr och tre månader.")
    assert re.search(r"\[1\]", text) and "Källor" in text
    methods = page.locator("#methods").inner_text()
    assert "Matchar det du har beskrivit" in methods and "Typisk kostnad" in methods
    shot(page, "02-answer-with-methods")
    page.locator("#chat .message.bot a[href^='#mg-cite-0-1']").first.click()
    selected = page.locator("#sources .mg-selected")
    selected.wait_for()
    data = served.assistant.ask(
        "Vilken metod passar för att nå unga om en ny park? Vi har 200 000 kr och tre månader."
    ).to_json()
    first = data["citations"][0]
    assert first["title"] in selected.inner_text()
    assert "Licens: CC-BY-4.0" in selected.inner_text()
    marked = selected.locator("mark").inner_text()
    assert marked and marked.split()[0] in first["quote"]
    assert selected.locator("a[href^='https://']").count() >= 1
    shot(page, "03-source-passage")
    page.get_by_role("tab", name="Metoder", exact=True).click()
    page.locator("#methods a.mg-card-link").first.click()
    page.wait_for_function("(document.querySelector('#card-view')?.innerText || '').includes('Vad är det')")
    shot(page, "04-method-card")
    # The compare tab starts from the methods just recommended: comparing them is one click.
    page.get_by_role("tab", name="Jämför metoder").click()
    page.click("#compare-btn")
    table = page.locator("#compare table")
    table.wait_for()
    for m in data["recommended_methods"][:3]:
        assert re.sub(r"\s*\(.*?\)", "", m["title"]).strip() in table.inner_text()
    shot(page, "05b-compare-preselected")


def test_editing_the_profile_changes_the_recommendation(page: Any, served: Served) -> None:
    _open(page, served)
    ask(page, "Vilken metod passar för att nå unga om en ny park?")
    first = page.locator("#methods h3").first.inner_text()
    assert "Medborgarbudget" in first
    page.get_by_role("tab", name="Vad jag har förstått").click()
    assert page.locator("#profile-target-groups").inner_text().count("Unga") >= 1
    page.get_by_label("Ta fram genomarbetade rekommendationer").check()
    page.fill("#profile-budget-sek input", "3000000")
    page.fill("#profile-time-weeks input", "40")
    page.fill("#profile-participants input", "60")
    shot(page, "05-profile-form-edited")
    page.click("#profile-apply")
    page.wait_for_function("document.querySelector('#notice').innerText.includes('Rådet är uppdaterat')")
    wait_idle(page)
    page.get_by_role("tab", name="Metoder", exact=True).click()
    assert "Medborgarråd" in page.locator("#methods h3").first.inner_text()
    assert page.locator("#chat .message.bot").count() == 1  # the answer was replaced, not added
    assert "3 000 000 kr" in page.locator("#chat .message.bot").last.inner_text()
    shot(page, "06-recommendation-after-edit")


def test_form_filled_before_asking_shapes_the_first_answer(page: Any, served: Served) -> None:
    _open(page, served)
    open_profile_form(page)
    # The load event empties the profile form (numbers show their placeholder, not 0).
    page.wait_for_function("document.querySelector('#profile-budget-sek input').value === ''")
    page.fill("#profile-budget-sek input", "3000000")
    page.fill("#profile-time-weeks input", "40")
    page.get_by_label("Ta fram genomarbetade rekommendationer").check()
    text = ask(page, "Vilken metod passar oss?")
    assert "3 000 000 kr" in text
    assert "Medborgarråd" in page.locator("#methods h3").first.inner_text()


def test_empty_too_long_and_out_of_scope_questions_get_visible_messages(page: Any, served: Served) -> None:
    _open(page, served)
    page.click("#send")
    page.wait_for_function("document.querySelector('#notice').innerText.includes('Frågan är tom')")
    page.fill("#question textarea", "ord " * 600)
    page.click("#send")
    page.wait_for_function("document.querySelector('#notice').innerText.includes('för lång')")
    assert page.locator("#chat .message.bot").count() == 0
    ask(page, "Vad blir det för väder i morgon i Stockholm?")
    assert "utanför" in page.locator("#notice").inner_text()
    shot(page, "07-out-of-scope")
    ask(page, "Hur går en fokusgrupp till?")  # the page still answers afterwards
    assert page.locator("#chat .message.bot").count() == 2


def test_rating_is_stored_and_found_in_the_trainer_tab(
    page: Any, served: Served, ui_settings: Settings
) -> None:
    _open(page, served)
    ask(page, "Hur går en fokusgrupp till?")
    page.fill("#rate-comment textarea", "Saknar exempel från små kommuner")
    page.click("#rate-down")
    page.wait_for_function("document.querySelector('#rate-msg').innerText.includes('Tack')")
    with sqlite3.connect(ui_settings.feedback_path) as conn:
        rows = conn.execute("SELECT question, rating, comment, answer_json, config FROM feedback").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Hur går en fokusgrupp till?", -1, "Saknar exempel från små kommuner")
    ]
    assert json.loads(rows[0][3])["citations"] and json.loads(rows[0][4])["embedder"] == "fake64"
    _login(page, TRAINER["trainer_password"])
    page.get_by_role("tab", name="Omdömen").click()
    page.get_by_label("Bara tumme ner").check()
    page.wait_for_function(
        "document.querySelector('#feedback-table').innerText.includes('Saknar exempel från små kommuner')"
    )
    shot(page, "08-trainer-feedback")
    with page.expect_download() as info:
        page.click("#feedback-export")
        page.locator("#feedback-file a").first.click()
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    case = json.loads(lines[0])
    assert case["question"] == "Hur går en fokusgrupp till?" and case["expected_behavior"] == "answer"


def test_trainer_login_refuses_a_wrong_password_and_accepts_the_right_one(page: Any, served: Served) -> None:
    _open(page, served)
    _login(page, "fel-lösenord")
    page.wait_for_function(
        "document.querySelector('#trainer-login-msg').innerText.includes('Fel användarnamn')"
    )
    assert not page.locator("#trainer-area").is_visible()
    shot(page, "09-trainer-login-refused")
    page.fill("#trainer-password :is(input, textarea)", TRAINER["trainer_password"])
    page.click("#trainer-login")
    page.locator("#trainer-area").wait_for()
    page.get_by_role("tab", name="Kunskapsbasen").click()
    assert "dokument" in page.locator("#corpus-overview").inner_text()
    shot(page, "10-trainer-overview")


def test_trainer_tab_is_disabled_without_credentials(
    page: Any, fake_settings: Settings, small_corpus: Path
) -> None:
    with serve(fake_settings.replace(corpus_dirs=(small_corpus,))) as s:
        _open(page, s)
        page.get_by_role("tab", name="Utbildare").click()
        assert "inte påslagen" in page.locator("#trainer-disabled").inner_text()
        assert page.locator("#trainer-password").count() == 0
        page.get_by_role("tab", name="Rådgivning").click()
        ask(page, "Hur går en fokusgrupp till?")  # the chat stays open


def test_upload_valid_and_broken_documents_then_reindex(
    page: Any, served: Served, small_corpus: Path, write_method: Callable[..., Path], tmp_path: Path
) -> None:
    good = write_method(
        tmp_path / "up", "grannskapsrad", title="Grannskapsråd", body="Ett zebrafinkråd i kvarteret."
    )
    broken = tmp_path / "up" / "trasig.md"
    broken.write_text(
        "---\nid: trasig\nkind: method\ntitle: Trasig\nlang: sv\n---\nBara text.\n", encoding="utf-8"
    )
    yaml_error = tmp_path / "up" / "yamlfel.md"
    yaml_error.write_text("---\ntitle: [trasig\n---\nText.\n", encoding="utf-8")
    before = len(served.assistant.index.documents)
    _open(page, served)
    _login(page, TRAINER["trainer_password"])
    page.locator("#trainer-area").wait_for()
    page.locator("#upload-files input[type=file]").set_input_files([str(good), str(broken), str(yaml_error)])
    page.wait_for_timeout(500)
    page.click("#upload-review")
    result = page.locator("#upload-result")
    page.wait_for_function(
        "document.querySelector('#upload-result').innerText.includes('Resultat av granskningen')"
    )
    rows = result.locator("tbody tr")
    assert "Klar att läggas till" in rows.nth(0).inner_text()
    assert "Behöver kompletteras" in rows.nth(1).inner_text() and "sources" in rows.nth(1).inner_text()
    assert "Avvisad" in rows.nth(2).inner_text() and "YAML" in rows.nth(2).inner_text()
    assert not (small_corpus / "methods" / "grannskapsrad.md").exists()  # nothing added before the click
    page.wait_for_function("!document.querySelector('#upload-add').disabled")
    page.wait_for_timeout(300)  # the button leaves its loading look
    shot(page, "11-upload-review")
    page.click("#upload-add")
    page.wait_for_function(
        "document.querySelector('#reindex-progress').innerText.includes('Indexet är uppdaterat')",
        timeout=60_000,
    )
    shot(page, "12-reindex-done")
    assert (small_corpus / "methods" / "grannskapsrad.md").exists()
    assert not list(small_corpus.rglob("trasig.md"))
    assert len(served.assistant.index.documents) == before + 1
    page.get_by_role("tab", name="Rådgivning").click()
    text = ask(page, "Berätta om grannskapsråd och zebrafinkråd")
    assert "Grannskapsråd" in text


def test_export_conversation_as_markdown_and_word(page: Any, served: Served) -> None:
    from docx import Document

    _open(page, served)
    ask(page, "Gör en processplan för ett medborgarråd med sex månader till beslut.")
    page.get_by_role("tab", name="Processplan").click()
    plan = page.locator("#plan").inner_text().lower()
    assert "början" in plan and "mitten" in plan and "slut" in plan
    shot(page, "13-process-plan")
    with page.expect_download() as md_info:
        page.click("#export-md")
    md = Path(md_info.value.path()).read_text(encoding="utf-8")
    assert "## Fråga 1: Gör en processplan" in md and "### Processplan" in md and "### Källor" in md
    with page.expect_download() as docx_info:
        page.click("#export-docx")
    doc = Document(docx_info.value.path())
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Samtal med Metodguiden" in text and "Källor" in text
    assert doc.tables, "the plan becomes a Word table"


def test_compare_tab_shows_methods_side_by_side(page: Any, served: Served) -> None:
    _open(page, served)
    page.get_by_role("tab", name="Jämför metoder").click()
    pick = page.locator("#compare-pick input")
    for name in ("Fokusgrupp", "Medborgarråd"):
        pick.click()
        pick.press_sequentially(name)
        page.get_by_role("option", name=name, exact=True).wait_for()
        pick.press("Enter")
        page.keyboard.press("Escape")
    page.click("#compare-btn")
    page.wait_for_function("document.querySelector('#compare table') !== null")
    table = page.locator("#compare table").inner_text()
    assert "Fokusgrupp" in table and "Medborgarråd" in table and "Typisk kostnad" in table
    shot(page, "14-compare")


@pytest.mark.integration
@pytest.mark.slow
def test_real_index_answers_with_sources(page: Any, gemma: Any, models_dir: Path, tmp_path: Path) -> None:
    data_dir = ROOT / ".metodguiden"
    if not (data_dir / "index" / "manifest-gemma.json").exists():
        pytest.skip("no index of the full corpus: run `metodguiden index`")
    settings = Settings(
        data_dir=data_dir,
        models_dir=models_dir,
        corpus_dirs=(ROOT / "corpus",),
        feedback_db=tmp_path / "fb.sqlite3",
    )
    with serve(settings, embedder=gemma, build=False) as s:
        _open(page, s)
        text = ask(
            page,
            "Vi vill låta invånarna i en stadsdel själva bestämma hur två miljoner kronor ska användas. "
            "Vilken metod passar?",
            timeout=90_000,
        )
        assert "Medborgarbudget" in text and "[1]" in text
        page.get_by_role("tab", name="Metoder", exact=True).click()
        assert "Typisk kostnad" in page.locator("#methods").inner_text()
        shot(page, "15-real-index-answer")
        page.locator("#chat .message.bot a[href^='#mg-cite-0-1']").first.click()
        page.locator("#sources .mg-selected mark").wait_for()
        shot(page, "16-real-index-source")


def test_main_views_have_readable_contrast_labelled_controls_and_work_by_keyboard(
    page: Any, served: Served
) -> None:
    _open(page, served)
    problems = accessibility_problems(page)
    page.focus("#question textarea")
    page.keyboard.type("Gör en processplan för ett medborgarråd med sex månader till beslut.")
    page.keyboard.press("Enter")  # Enter sends the question
    page.wait_for_function("document.querySelectorAll('#chat .message.bot a[href^=\"#mg-cite\"]').length > 0")
    wait_idle(page)
    for tab in ("Vad jag har förstått", "Metoder", "Processplan"):
        page.get_by_role("tab", name=tab, exact=True).click()
        problems += [f"{tab}: {p}" for p in accessibility_problems(page)]
    page.locator("#chat .message.bot a[href^='#mg-cite-0-2']").first.focus()
    page.keyboard.press("Enter")  # a focused citation opens like a click, and focus moves to the passage
    page.locator("#sources .mg-selected").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'sources'")
    problems += [f"Källor: {p}" for p in accessibility_problems(page)]
    page.get_by_role("tab", name="Jämför metoder").click()
    problems += [f"Jämför: {p}" for p in accessibility_problems(page)]
    page.get_by_role("tab", name="Utbildare").click()
    problems += [f"Utbildare: {p}" for p in accessibility_problems(page)]
    assert problems == []
