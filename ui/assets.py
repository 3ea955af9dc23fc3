"""The page's theme, CSS and script: readable contrast, visible focus, and clicks on in-page links as events."""

from __future__ import annotations

from typing import Any


def theme() -> Any:
    """Gradio's default theme with a dark blue accent: white on it and it on white pass WCAG AA (4.5:1)."""
    import gradio as gr

    return gr.themes.Default(primary_hue="blue").set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        button_primary_text_color_hover="white",
        color_accent="*primary_700",
        color_accent_soft="*primary_50",
        block_info_text_color="*neutral_600",
        input_placeholder_color="*neutral_500",
        checkbox_background_color_selected="*primary_700",
        checkbox_border_color_selected="*primary_700",
        slider_color="*primary_700",
    )


# In-page links (#mg-cite-<turn>-<n>, #mg-card-<id>) are caught before the browser follows them: the
# target is kept in window.__mgTarget and the hidden trigger button runs the Python handler, whose
# `js` hook passes the target in as its input. Links are focusable, so Enter works like a click.
JS = """
() => {
  if (window.__mgInstalled) return;
  window.__mgInstalled = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#mg-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    window.__mgTarget = link.getAttribute('href').slice(4);
    const trigger = document.getElementById('mg-trigger');
    if (trigger) trigger.click();
    // Bring the opened panel into view and move keyboard focus to it once it has rendered.
    const panel = window.__mgTarget.startsWith('card-') ? 'card-acc' : 'sources';
    setTimeout(() => {
      const el = document.getElementById(panel);
      if (!el) return;
      el.setAttribute('tabindex', '-1');
      el.scrollIntoView({block: 'start', behavior: 'smooth'});
      el.focus({preventScroll: true});
    }, 600);
  }, true);
  // In a dropdown, Enter takes the option whose name was typed in full, not the first that contains
  // it ("Medborgarbudget" must not become "Digital medborgarbudget"): move the highlight there first.
  document.addEventListener('keydown', (event) => {
    const input = event.target;
    if (event.key !== 'Enter' || !input.matches || !input.matches('input[role="combobox"], .wrap-inner input')) return;
    const typed = (input.value || '').trim().toLowerCase();
    const list = document.getElementById(input.getAttribute('aria-controls') || '') || document.querySelector('[role="listbox"]');
    if (!typed || !list) return;
    const options = [...list.querySelectorAll('[role="option"]')];
    const want = options.findIndex((o) => (o.getAttribute('aria-label') || o.innerText).trim().toLowerCase() === typed);
    const active = options.findIndex((o) => o.classList.contains('active'));
    if (want < 0 || want === active) return;
    const key = want > active ? 'ArrowDown' : 'ArrowUp';
    for (let i = 0; i < Math.abs(want - Math.max(active, 0)); i++) {
      input.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
    }
  }, true);
}
"""

TARGET_JS = "() => window.__mgTarget || ''"

# After an answer: bring the start of the newest answer into view (inside the chat and on the page),
# so that it is read from its first line, not from its source list. The message may render a moment
# after the event ends, hence the short retries.
SCROLL_TO_ANSWER_JS = """
() => {
  let tries = 0;
  const go = () => {
    const rows = document.querySelectorAll('#chat .message-row.bot-row');
    const last = rows[rows.length - 1];
    if (!last) { if (++tries < 20) setTimeout(go, 50); return; }
    let box = last.parentElement;
    while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
    if (box && box !== document.body && box !== document.documentElement) {
      box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
    }
    const chat = document.getElementById('chat');
    const r = chat.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight * 0.5) chat.scrollIntoView({block: 'start'});
    window.__mgScrolled = (window.__mgScrolled || 0) + 1;
  };
  setTimeout(go, 50);
}
"""

CSS = """
:root { --mg-ink: #1b1f24; --mg-muted: #4a5563; --mg-accent: #0b5cab; --mg-line: #c9d1da; }
.gradio-container { max-width: 1400px !important; }
#mg-header h1 { margin-bottom: 0.2em; }
#mg-header p { color: var(--mg-muted); margin-top: 0; }
a { color: var(--mg-accent); text-decoration: underline; }
.dark a { color: #8cc4ff; }
:focus-visible { outline: 3px solid #f0a000 !important; outline-offset: 2px; }
#chat .message a[href^="#mg-cite"] { font-weight: 600; text-decoration: none; padding: 0 1px;
  border-bottom: 2px solid currentColor; }
.mg-notice { padding: 0.6em 0.9em; border-radius: 6px; border: 1px solid; margin: 0.3em 0; }
.mg-notice, .mg-notice * { color: var(--mg-ink) !important; }
.mg-info { background: #eaf2fb; border-color: #8db3dd; }
.mg-warning { background: #fff4d6; border-color: #c99a00; }
.mg-error { background: #fde8e8; border-color: #c53030; }
.mg-success { background: #e7f6ea; border-color: #3f8f4f; }
.mg-empty { color: var(--mg-muted); padding: 0.5em 0.2em; }
.mg-empty strong { color: var(--mg-ink); }
.dark .mg-empty strong, .dark .mg-notice { color: inherit; }
.mg-source { border: 1px solid var(--mg-line); border-radius: 8px; padding: 0.6em 0.9em; margin-bottom: 0.8em; }
.mg-selected { border: 2px solid var(--mg-accent); }
.mg-source h3, .mg-method h3 { margin: 0.1em 0 0.3em; font-size: 1.05em; }
.mg-n { color: var(--mg-accent); }
.mg-meta, .mg-hint { color: var(--mg-muted); font-size: 0.92em; margin: 0.3em 0; }
.mg-passage { white-space: pre-wrap; line-height: 1.5; margin: 0.5em 0; }
.mg-passage mark { background: #ffe58a; color: #1b1f24; padding: 0 2px; }
.mg-source-list blockquote { margin: 0.2em 0 0.6em; padding-left: 0.7em; border-left: 3px solid var(--mg-line);
  color: var(--mg-muted); font-size: 0.92em; }
.mg-method { border: 1px solid var(--mg-line); border-radius: 8px; padding: 0.6em 0.9em; margin-bottom: 0.8em; }
.mg-score meter { width: 8em; height: 0.9em; vertical-align: middle; }
.mg-procon h4 { margin: 0.4em 0 0.1em; font-size: 0.95em; }
.mg-procon ul { margin-top: 0.1em; }
.mg-pro h4 { color: #1d6b2f; }
.mg-con h4 { color: #8a4b00; }
.dark .mg-pro h4 { color: #7fd492; }
.dark .mg-con h4 { color: #ffc27a; }
.mg-facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 0.8em; margin: 0.4em 0; }
.mg-facts dt { font-weight: 600; }
.mg-facts dd { margin: 0; }
.mg-timeline { list-style: none; padding-left: 0; border-left: 4px solid var(--mg-line); margin-left: 0.5em; }
.mg-phase { position: relative; padding: 0.2em 0 0.6em 1.1em; }
.mg-phase::before { content: ""; position: absolute; left: -0.55em; top: 0.55em; width: 0.8em; height: 0.8em;
  border-radius: 50%; background: var(--mg-accent); }
.mg-phase h3 { margin: 0.1em 0; font-size: 1em; }
.mg-stage { display: inline-block; font-size: 0.8em; font-weight: 700; text-transform: uppercase;
  letter-spacing: 0.05em; padding: 0 0.5em; border-radius: 4px; color: #fff; }
.mg-stage-0 .mg-stage { background: #0b5cab; }
.mg-stage-1 .mg-stage { background: #6b3fa0; }
.mg-stage-2 .mg-stage { background: #1d6b2f; }
.mg-progress progress { width: 100%; height: 1.2em; }
.mg-hidden { display: none !important; }
.mg-compare-table { border-collapse: collapse; width: 100%; }
.mg-compare-table th, .mg-compare-table td { border: 1px solid var(--mg-line); padding: 0.4em 0.6em;
  vertical-align: top; text-align: left; }
.mg-compare-table tbody th { white-space: nowrap; }
.mg-compare-cards { display: none; }
.mg-compare-card { border: 1px solid var(--mg-line); border-radius: 8px; padding: 0.6em 0.9em; margin-bottom: 0.8em; }
.mg-compare-card h3 { margin: 0.1em 0 0.4em; font-size: 1.1em; }
.mg-compare-card dt { font-weight: 600; margin-top: 0.4em; }
.mg-compare-card dd { margin: 0; overflow-wrap: normal; word-break: normal; }
/* The chat's label sits above the messages instead of floating over the first line. */
#chat label[data-testid="block-label"] { position: static; }
#rate-up img, #rate-down img { width: 1.25em; height: 1.25em; }
#mg-lang { margin-left: auto; align-self: flex-start; }
#mg-lang .wrap { flex-wrap: nowrap; gap: 0.3em; }
/* Phones: the question box is in sight on load, the comparison stacks method by method, and the side
   panels' tabs wrap instead of hiding in a menu. */
@media (max-width: 700px) {
  #mg-header p { display: none; }
  #mg-header h1 { font-size: 1.15em; margin: 0; white-space: nowrap; }
  /* The title and the language switch share one line at 360 px: the switch gives up its desktop width. */
  #mg-header { min-width: 0 !important; flex: 1 1 auto; }
  #mg-lang { min-width: 0 !important; flex: 0 0 auto; }
  #mg-lang label { padding: 0.25em 0.45em !important; font-size: 0.85em; }
  #mg-lang input { margin-right: 0.3em !important; }
  #chat { height: 42vh !important; min-height: 16em; }
  #ask-row { flex-wrap: wrap; }
  #ask-row > div { min-width: 100% !important; }
  #ask-row > div:last-child { flex-direction: row; }
  /* Gradio measures a hidden copy of the tab buttons to decide which go into its 'more' menu: both
     copies get the compact size, so all four side tabs fit at 390 px. */
  #side-tabs .tab-container button { padding: 0.3em 0.4em; font-size: 0.8em; }
  .mg-compare-table { display: none; }
  .mg-compare-cards { display: block; }
}
.mg-review td, .mg-feedback td { vertical-align: top; }
#trainer-logout { max-width: 12em; }
footer .show-api, footer .divider, footer a { color: #4a5563 !important; }
"""
