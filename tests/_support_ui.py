"""Helpers for UI tests: serve the real Gradio app on a free loopback port, and drive it with chromium."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.embeddings import Embedder, make_embedder
from assistant.index import read_manifest
from assistant.pipeline import Assistant, index_corpus

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TRAINER = {"trainer_user": "utbildare", "trainer_password": "rätt-lösen-123"}


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running app: its URL, the assistant behind it and the Blocks object."""

    url: str
    assistant: Assistant
    app: Any


@contextmanager
def serve(settings: Settings, embedder: Embedder | None = None, build: bool = True) -> Iterator[Served]:
    """Index the corpus if needed, launch the app in this process (non-blocking) and close it afterwards."""
    from ui.app import launch

    embedder = embedder or make_embedder(settings)
    if build and read_manifest(settings, embedder.key) is None:
        index_corpus(settings, embedder)
    assistant = Assistant.from_settings(settings, embedder)
    port = free_port()
    app = launch(assistant, host="127.0.0.1", port=port, block=False)
    try:
        yield Served(f"http://127.0.0.1:{port}", assistant, app)
    finally:
        app.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def bot_count(page: Any) -> int:
    """How many assistant messages the chat shows."""
    return int(page.locator("#chat .message.bot").count())


def wait_idle(page: Any, timeout: float = 30_000) -> None:
    """Wait until no answer is being written: the send button is enabled and the notice is not 'skriver'."""
    page.wait_for_function(
        """() => {
            const send = document.querySelector('#send');
            const notice = document.querySelector('#notice');
            return send && !send.disabled && notice && !notice.innerText.includes('skriver');
        }""",
        timeout=timeout,
    )


def ask(page: Any, question: str, expect_answer: bool = True, timeout: float = 30_000) -> str:
    """Type a question, send it, wait for the finished answer; returns the last bot message's text."""
    before = bot_count(page)
    page.fill("#question textarea", question)
    page.click("#send")
    if expect_answer:
        page.wait_for_function(
            f"document.querySelectorAll('#chat .message.bot').length > {before}", timeout=timeout
        )
    page.wait_for_timeout(200)  # let the first streamed piece replace the notice before checking idleness
    wait_idle(page, timeout)
    if not expect_answer:
        return ""
    return str(page.locator("#chat .message.bot").last.inner_text())


# WCAG 2.1 contrast of every visible text node against its (composited) background: 4.5:1, or 3:1 for
# large text. Returns one line per failure.
CONTRAST_JS = r"""
() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(x => parseFloat(x)); return {r:p[0], g:p[1], b:p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); }; return 0.2126*f(c.r) + 0.7152*f(c.g) + 0.0722*f(c.b); };
  const bgOf = (el) => { let layers = []; for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } } let base = {r:255,g:255,b:255}; for (const c of layers.reverse()) { base = {r: c.r*c.a + base.r*(1-c.a), g: c.g*c.a + base.g*(1-c.a), b: c.b*c.a + base.b*(1-c.a)}; } return base; };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const t = walker.currentNode; const el = t.parentElement;
    if (!el || seen.has(el) || !t.textContent.trim()) continue; seen.add(el);
    const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) continue;
    const st = getComputedStyle(el); if (st.visibility === 'hidden' || parseFloat(st.opacity) === 0) continue;
    if (el.closest('[disabled], .disabled, [aria-disabled=true]')) continue;
    const fg = parse(st.color); if (!fg) continue;
    const bg = bgOf(el); const L1 = lum(fg), L2 = lum(bg);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) bad.push(`${ratio.toFixed(2)} < ${need}: "${t.textContent.trim().slice(0,40)}" ${st.color} on rgb(${bg.r|0},${bg.g|0},${bg.b|0}) <${el.tagName.toLowerCase()} class="${el.className}">`);
  }
  return bad;
}
"""

# Visible controls without an accessible name (aria-label, aria-labelledby, <label>, title or text).
UNLABELLED_JS = """
() => {
  const out = [];
  const els = document.querySelectorAll('input, textarea, select, button, [role=button], [role=tab], a[href]');
  for (const el of els) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.type === 'hidden') continue;
    let name = el.getAttribute('aria-label') || el.getAttribute('title') || '';
    const by = el.getAttribute('aria-labelledby');
    if (!name && by) name = by.split(' ').map((id) => document.getElementById(id)?.innerText || '').join(' ');
    if (!name && el.labels) name = [...el.labels].map((l) => l.innerText).join(' ');
    if (!name && !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) name = el.innerText || '';
    if (!name.trim()) out.push(el.outerHTML.slice(0, 160));
  }
  return out;
}
"""


def accessibility_problems(page: Any) -> list[str]:
    """Contrast failures and unlabelled controls on the page as it is now."""
    return [*page.evaluate(CONTRAST_JS), *page.evaluate(UNLABELLED_JS)]


def open_app(page: Any, url: str) -> None:
    """Load the app and wait until its load events have run (the language follows the browser)."""
    page.goto(url)
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#mg-lang input:checked")
    page.wait_for_timeout(300)  # the load events' updates (empty form, labels in the page's language)


def open_profile_form(page: Any) -> None:
    """Show the profile tab and unfold its form (it stays folded until there is an answer)."""
    page.locator("#side-tabs [role='tab']").first.click()  # 'Vad jag har förstått'
    if page.locator("#profile-budget-sek input").count() == 0:
        page.locator("#profile-form button.label-wrap, #profile-form .label-wrap").first.click()
    page.locator("#profile-budget-sek input").wait_for()


def ask_timed(page: Any, question: str, timeout: float = 30_000) -> float:
    """Send a question and return the milliseconds from the click to the complete answer on screen.

    Complete: a new assistant message is rendered with its citations and the send button is enabled
    again (the final update that fills the chat and every panel at once). Timed inside the page,
    polled on every frame.
    """
    before = bot_count(page)
    page.fill("#question textarea", question)
    page.evaluate("() => { window.__mgT0 = performance.now(); document.querySelector('#send').click(); }")
    handle = page.wait_for_function(
        f"""() => {{
            const bots = document.querySelectorAll('#chat .message.bot');
            const done = bots.length > {before}
                && /\\[1\\]/.test(bots[bots.length - 1].innerText)
                && !document.querySelector('#send').disabled
                && !document.querySelector('#notice').innerText.includes('skriver')
                && !document.querySelector('#notice').innerText.includes('writing');
            return done ? performance.now() - window.__mgT0 : false;
        }}""",
        polling="raf",
        timeout=timeout,
    )
    return float(handle.json_value())


@contextmanager
def serve_small_corpus(root: Path, models_dir: Path) -> Iterator[Served]:
    """The app on a copy of the five-document small corpus with the fake embedder (the API is stateless)."""
    from tests.conftest import CORPUS, SMALL_CORPUS

    for rel in SMALL_CORPUS:
        (root / "corpus" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "corpus" / rel).write_bytes((CORPUS / rel).read_bytes())
    settings = Settings(
        data_dir=root / "data", models_dir=models_dir, corpus_dirs=(root / "corpus",), embedder="fake64"
    )
    with serve(settings) as s:
        yield s
