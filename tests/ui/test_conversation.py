"""A conversation an official trusts (issue 12), in Debian's chromium: instant answers, clearing,
scrolling to each answer, one fit score, updating the method advice, and a calmer first screen.

Each test serves the real app on a free loopback port (five real corpus documents, the fake embedder).
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from tests._support_ui import (
    CHROMIUM,
    TRAINER,
    Served,
    ask,
    ask_timed,
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

PARK = "Vilken metod passar för att nå unga om en ny park? Vi har 200 000 kr och tre månader."
ANSWER_BUDGET_MS = 1500  # issue 12: send → complete answer on these 2 cores


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A Swedish page at the desktop size of the issue (1366×900)."""
    context = browser.new_context(
        locale="sv-SE", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


@pytest.fixture()
def served(fake_settings: Settings, small_corpus: Path) -> Iterator[Served]:
    """The app with the fake embedder on the small corpus."""
    settings = fake_settings.replace(
        corpus_dirs=(small_corpus,), feedback_db=fake_settings.data_dir / "fb.sqlite3"
    )
    with serve(settings) as s:
        yield s


def test_a_composed_answer_is_on_screen_within_the_budget(
    page: Any, served: Served, record_property: Any
) -> None:
    # The fake embedder isolates what the UI adds: the composer's answer used to be handed out in
    # pieces with pauses (7–10 s); the query embedding's own cost is measured by `metodguiden bench`.
    open_app(page, served.url)
    ask_timed(page, "Hur går en fokusgrupp till?", timeout=60_000)  # warms the page and the index
    questions = (PARK, "Vad kostar ett medborgarråd?", "Gör en processplan för ett medborgarråd.")
    times = [ask_timed(page, q) for q in questions]  # the best of three: the machine is shared
    record_property("send_to_answer_ms", [round(t) for t in times])
    print(f"send → complete answer: {[round(t) for t in times]} ms")
    text = page.locator("#chat .message.bot").last.inner_text()
    assert "[1]" in text and "Källor" in text  # the whole answer, with its sources
    assert min(times) < ANSWER_BUDGET_MS, f"send → answer took {times} ms"


def test_the_trash_icon_starts_a_new_conversation_profile_and_turns_included(
    page: Any, served: Served
) -> None:
    open_app(page, served.url)
    first = ask(page, "Vilken metod passar oss? Vi har 3 000 000 kr och 40 veckor.")
    assert "3 000 000 kr" in first
    page.click("#chat button[aria-label='Rensa chatten']")
    page.wait_for_function("document.querySelectorAll('#chat .message').length === 0")
    page.wait_for_timeout(300)
    assert not page.locator("#feedback-box").is_visible()  # nothing left to rate
    text = ask(page, "Vilken metod passar för att nå unga om en ny park?")
    assert "3 000 000" not in text  # the old budget is gone with the old conversation
    open_profile_form(page)
    assert page.locator("#profile-budget-sek input").input_value() == ""
    assert page.locator("#rate-which input").input_value().startswith("Svar 1:")  # turn numbers restart
    with page.expect_download() as md:
        page.click("#export-md")
    exported = Path(md.value.path()).read_text(encoding="utf-8")
    assert "## Fråga 1: Vilken metod passar för att nå unga" in exported and "Fråga 2" not in exported


def _answer_start_offset(page: Any) -> float:
    """Pixels from the top of the chat's scroll box to the start of the newest answer."""
    return float(
        page.evaluate(
            """() => {
                const rows = document.querySelectorAll('#chat .message-row.bot-row');
                const last = rows[rows.length - 1];
                let box = last.parentElement;
                while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
                return last.getBoundingClientRect().top - box.getBoundingClientRect().top;
            }"""
        )
    )


def test_each_new_answer_is_shown_from_its_start(page: Any, served: Served) -> None:
    open_app(page, served.url)
    for question in (PARK, "Gör en processplan för ett medborgarråd med sex månader till beslut."):
        ask(page, question)
        page.wait_for_function("(window.__mgScrolled || 0) > 0")
        page.wait_for_timeout(300)
        offset = _answer_start_offset(page)
        assert -5 <= offset <= 60, f"the newest answer starts {offset:.0f} px from the top of the chat"
        box = page.locator("#chat .message-row.bot-row").last.bounding_box()
        assert box is not None and 0 <= box["y"] < 900  # and it is on screen
        page.evaluate("window.__mgScrolled = 0")
    shot(page, "20-answer-scrolled-to-its-start")


def _panel_scores(page: Any) -> dict[str, str]:
    page.get_by_role("tab", name="Metoder", exact=True).click()
    fits = page.locator("#methods .mg-fit")
    return {
        fits.nth(i).get_attribute("data-method"): re.sub(r"\s*poäng$", "", fits.nth(i).inner_text())
        for i in range(fits.count())
    }


def _compare_scores(page: Any) -> dict[str, str]:
    rows = page.locator("#compare .mg-compare-table tbody tr")
    heads = page.locator("#compare .mg-compare-table thead th").all_inner_texts()
    fit_row = next(
        rows.nth(i) for i in range(rows.count()) if rows.nth(i).locator("th").inner_text() == "Passar er"
    )
    return dict(zip(heads, fit_row.locator("td").all_inner_texts(), strict=True))


def test_the_methods_panel_and_the_comparison_show_the_same_fit(page: Any, served: Served) -> None:
    open_app(page, served.url)
    ask(page, PARK)
    panel = _panel_scores(page)
    titles = {c.id: c.title for c in served.assistant.cards.values()}
    page.get_by_role("tab", name="Jämför metoder").click()
    page.click("#compare-btn")
    page.locator("#compare .mg-compare-table").wait_for()
    compared = _compare_scores(page)
    assert len(compared) >= 2
    for title, score in compared.items():
        mid = next(i for i, t in titles.items() if t == title)
        assert panel[mid] == score, f"{title}: Metoder says {panel[mid]}, Jämför says {score}"
    # An edited profile changes both views alike.
    page.get_by_role("tab", name="Rådgivning").click()
    page.get_by_role("tab", name="Vad jag har förstått").click()
    page.fill("#profile-budget-sek input", "3000000")
    page.fill("#profile-time-weeks input", "40")
    page.click("#profile-apply")
    page.wait_for_function("document.querySelector('#notice').innerText.includes('Rådet är uppdaterat')")
    wait_idle(page)
    panel = _panel_scores(page)
    page.get_by_role("tab", name="Jämför metoder").click()
    page.click("#compare-btn")
    page.wait_for_timeout(500)
    page.locator("#compare .mg-compare-table").wait_for()
    for title, score in _compare_scores(page).items():
        mid = next(i for i, t in titles.items() if t == title)
        if mid in panel:
            assert panel[mid] == score, f"after the edit, {title}: {panel[mid]} vs {score}"
    shot(page, "21-compare-same-fit")


def test_updating_the_profile_after_a_follow_up_updates_the_method_advice(page: Any, served: Served) -> None:
    open_app(page, served.url)
    ask(page, "Vilken metod passar för att nå unga om en ny park?")
    before = page.locator("#methods h3").first.inner_text()
    assert "Medborgarbudget" in before
    ask(page, "Hur skriver vi inbjudan så att fler kommer?")
    page.get_by_role("tab", name="Vad jag har förstått").click()
    page.get_by_label("Ta fram genomarbetade rekommendationer").check()
    page.fill("#profile-budget-sek input", "3000000")
    page.fill("#profile-time-weeks input", "40")
    page.fill("#profile-participants input", "60")
    page.click("#profile-apply")
    page.wait_for_function("document.querySelector('#notice').innerText.includes('Rådet är uppdaterat')")
    wait_idle(page)
    page.get_by_role("tab", name="Metoder", exact=True).click()
    assert "Medborgarråd" in page.locator("#methods h3").first.inner_text()
    texts = page.locator("#chat .message.bot").all_inner_texts()
    assert len(texts) == 3  # the follow-up's answer stays; the method advice comes anew below it
    assert "3 000 000 kr" in texts[-1] and "Medborgarråd" in texts[-1]
    shot(page, "22-advice-updated-after-follow-up")


def test_the_first_screen_is_calm_and_the_details_appear_with_an_answer(page: Any, served: Served) -> None:
    open_app(page, served.url)
    assert not page.locator("#feedback-box").is_visible()
    assert page.locator("#profile-budget-sek input").count() == 0  # the 15 fields are folded away
    shot(page, "23-first-screen")
    ask(page, "Gör en processplan för ett medborgarråd med sex månader till beslut.")
    overlap = page.evaluate(
        """() => {
            const label = document.querySelector('#chat [data-testid="block-label"]').getBoundingClientRect();
            const box = document.querySelector('#chat .bubble-wrap').getBoundingClientRect();
            return label.bottom - box.top;
        }"""
    )
    assert overlap <= 1, f"the chat's label covers {overlap:.0f} px of the messages"
    assert page.locator("#feedback-box").is_visible()
    for button in ("#rate-up", "#rate-down"):  # icons that need no emoji font
        text = page.locator(button).inner_text()
        assert not re.search(r"[\U0001F300-\U0001FAFF]", text)
        img = page.locator(f"{button} img")
        assert img.count() == 1 and img.evaluate("i => i.complete && i.naturalWidth > 0")
    page.get_by_role("tab", name="Processplan").click()
    found = re.findall(r"vecka (\d+)(?:–(\d+))?", page.locator("#plan").inner_text())
    weeks = [(int(a), int(b or a)) for a, b in found]
    assert weeks and weeks[0][0] == 1
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in itertools.pairwise(weeks)), weeks
    page.get_by_role("tab", name="Vad jag har förstått").click()
    assert re.fullmatch(r"\d+", page.locator("#profile-time-weeks input").input_value())  # 26, not 26.1
    assert not re.search(r"\d[.,]\d+ veckor", page.locator("body").inner_text())
    shot(page, "24-plan-and-profile-after-answer")


def test_the_trainer_tab_shows_officials_no_server_setup(
    page: Any, fake_settings: Settings, small_corpus: Path
) -> None:
    with serve(fake_settings.replace(corpus_dirs=(small_corpus,))) as s:
        open_app(page, s.url)
        page.get_by_role("tab", name="Utbildare").click()
        text = page.locator("#trainer-disabled").inner_text()
        assert "administrerar" in text
        assert not re.search(r"METODGUIDEN_|toml|trainer_password|miljövariab", text)


def test_typing_a_method_name_and_enter_selects_that_method(
    page: Any, fake_settings: Settings, tmp_path: Path
) -> None:
    from tests.conftest import CORPUS

    corpus = tmp_path / "pick"
    for rel in ("methods/medborgarbudget.md", "methods/digital-medborgarbudget.md", "methods/fokusgrupp.md"):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_bytes((CORPUS / rel).read_bytes())
    with serve(fake_settings.replace(corpus_dirs=(corpus,), **TRAINER)) as s:
        open_app(page, s.url)
        page.get_by_role("tab", name="Jämför metoder").click()
        pick = page.locator("#compare-pick input")
        pick.click()
        pick.press_sequentially("Medborgarbudget")
        page.get_by_role(
            "option", name="Digital medborgarbudget"
        ).wait_for()  # listed first, contains the name
        pick.press("Enter")
        page.keyboard.press("Escape")
        assert page.locator("#compare-pick .token").all_inner_texts() == ["Medborgarbudget"]
