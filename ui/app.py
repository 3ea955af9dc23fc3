"""The Gradio app: officials' chat (open to everyone), method comparison, and the trainers' tab.

Named API endpoints for gradio_client: `/ask` (the `metodguiden ask --json` contract, with the
conversation so far and an optional profile JSON) and `/compare` (two or three method cards side by
side). Beside them, an OpenAI-compatible chat API under /v1 (ui/openai_api.py, documented in ui/API.md).
"""

from __future__ import annotations

import json
import os
from typing import Any

from assistant.errors import QuestionError
from assistant.inputs import InputError, check_question, checked_history, checked_methods, checked_profile
from assistant.pipeline import Assistant, Turn
from assistant.types import ContextProfile
from ui.assets import CSS, JS, theme
from ui.chat_ui import ChatTab
from ui.compare_ui import CompareTab
from ui.i18n import BROWSER_LANG_JS, LANG_CHOICES, t, ui_lang
from ui.openai_api import mount_openai_api
from ui.panels import card_facts, compare_markdown, fit_of
from ui.profile_form import profile_to_form
from ui.texts import EXAMPLES
from ui.trainer import TrainerTab
from ui.uploads import CACHE_CLEANING, MAX_UPLOAD_BYTES, use_upload_dir

__all__ = ["EXAMPLES", "answer_json", "build_app", "history_turns", "launch", "parse_profile"]


def _content_text(content: Any) -> str:
    """Gradio 6 gives message content as a list of parts; older shapes are plain strings."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content)


def history_turns(history: list[Any]) -> list[Turn]:
    """Chat history in Gradio's message shape as Turns."""
    turns = []
    for m in history or []:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant"):
            turns.append(Turn(m["role"], _content_text(m.get("content"))))
    return turns


def parse_profile(profile: Any) -> ContextProfile | None:
    """An optional profile given to the API: a JSON object or its text; None when empty."""
    if profile in (None, "", {}):
        return None
    data = json.loads(profile) if isinstance(profile, str) else profile
    if not isinstance(data, dict):
        raise ValueError("the profile must be a JSON object")
    return ContextProfile.from_json(data)


def answer_json(
    assistant: Assistant, question: str, history: list[Any] | None = None, profile: Any = None
) -> dict[str, Any]:
    """The same JSON as `metodguiden ask --json`; a bad question or profile gives `error` and `hint`."""
    try:
        text = check_question(question, assistant.settings.max_question_chars)
        turns = [Turn(m.role, m.text) for m in checked_history(history)]
        return assistant.ask(text, turns, checked_profile(profile)).to_json()
    except (QuestionError, InputError) as exc:
        return {"error": exc.message, "hint": exc.hint}


def compare_json(assistant: Assistant, methods: Any, profile: Any = None) -> dict[str, Any]:
    """Method cards side by side: key facts, and fit when a profile is given."""
    try:
        methods = checked_methods(methods)
        parsed = checked_profile(profile)
    except InputError as exc:
        return {"error": exc.message, "hint": exc.hint}
    unknown = [m for m in methods if m not in assistant.cards]
    if unknown or not 2 <= len(methods) <= 3:
        return {
            "error": f"Jämförelsen behöver två eller tre kända metod-id:n, fick {methods!r}.",
            "hint": "Använd id:n som 'medborgarrad' och 'fokusgrupp' (se recommended_methods i /ask).",
        }
    cards = [assistant.cards[m] for m in methods]
    fits = {c.id: fit_of(c, parsed) for c in cards} if parsed is not None else {}
    return {
        "methods": [
            {
                "id": c.id,
                "title": c.title,
                "summary": c.summary,
                "facts": dict(card_facts(c)),
                "score": fits[c.id].score if c.id in fits else None,
                "for": [r.sv for r in fits[c.id].pros] if c.id in fits else [],
                "against": [r.sv for r in fits[c.id].cons] if c.id in fits else [],
            }
            for c in cards
        ],
        "table_markdown": compare_markdown(cards, fits),
    }


def build_app(assistant: Assistant) -> Any:
    """The Gradio Blocks app."""
    import gradio as gr

    chat = ChatTab(assistant)
    trainer = TrainerTab(assistant)
    with gr.Blocks(title="Metodguiden", delete_cache=CACHE_CLEANING) as demo:
        with gr.Row(equal_height=True):
            header = gr.Markdown(t("app.header"), elem_id="mg-header")
            # Follows the browser's language on load (BROWSER_LANG_JS); the official can switch.
            lang = gr.Radio(
                LANG_CHOICES,
                value="sv",
                label=t("app.lang"),
                show_label=False,
                container=False,
                elem_id="mg-lang",
                scale=0,
                min_width=190,
            )
        with gr.Tabs(elem_id="main-tabs"):
            with gr.Tab(t("app.tab.chat"), id="chat-tab", elem_id="tab-chat") as tab_chat:
                chat.build(lang)
            with gr.Tab(t("app.tab.compare"), id="compare-tab", elem_id="tab-compare") as tab_compare:
                compare_tab = CompareTab(assistant, chat.form)
                compare_tab.build(lang)
            with gr.Tab(t("app.tab.trainer"), id="trainer-tab", elem_id="tab-trainer") as tab_trainer:
                trainer.build()

        def relabel(code: str, turns: list[Any]) -> dict[Any, Any]:
            lg = ui_lang(code)
            return {
                header: t("app.header", lg),
                lang: gr.update(label=t("app.lang", lg)),
                tab_chat: gr.update(label=t("app.tab.chat", lg)),
                tab_compare: gr.update(label=t("app.tab.compare", lg)),
                tab_trainer: gr.update(label=t("app.tab.trainer", lg)),
                **chat.relabel(code, turns),
                **compare_tab.relabel(code),
                **trainer.relabel(code),
            }

        relabelled = [
            header,
            lang,
            tab_chat,
            tab_compare,
            tab_trainer,
            *chat.relabel_outputs(),
            *compare_tab.relabel_outputs(),
            *trainer.relabel_outputs(),
        ]
        lang.change(relabel, [lang, chat.turns], relabelled, api_visibility="private", queue=False)

        def ask(
            question: str, profile: str = "", history: list[dict[str, Any]] | None = None
        ) -> dict[str, Any]:
            """Answer a question in its conversation with cited sources.

            `profile` (optional JSON object) overrides the profile read from the conversation;
            `history`: the earlier messages, [{"role": "user"|"assistant", "content": "…"}, …].
            """
            return answer_json(assistant, question, history, profile)

        def compare(methods: list[str], profile: str = "") -> dict[str, Any]:
            """Two or three method cards (by id) side by side; with a profile JSON, how well each fits."""
            return compare_json(assistant, methods, profile)

        chat.turns.change(compare_tab.follow, chat.turns, compare_tab.pick, api_visibility="private")
        # Gradio's number inputs show 0 for an initial None; an update to None shows the placeholder.
        # Done in the browser (no queued round trip), so a slow server never clears what the official
        # has already typed into the form.
        empty_form = json.dumps(profile_to_form(ContextProfile().to_json()))
        demo.load(None, None, chat.form, js=f"() => {empty_form}", api_visibility="private")
        demo.load(None, None, lang, js=BROWSER_LANG_JS, api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(compare, api_name="compare")
    return demo


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> Any:
    """Serve the app; blocks until interrupted unless block=False (then returns the Blocks app)."""
    use_upload_dir(assistant.settings, os.environ)  # before the app is built
    app = build_app(assistant).queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        show_error=False,
        share=False,
        max_file_size=MAX_UPLOAD_BYTES,  # Gradio's upload route refuses larger files with HTTP 413
        css=CSS,
        js=JS,
        theme=theme(),
        prevent_thread_lock=True,
        quiet=not block,
        footer_links=["api"],
    )
    mount_openai_api(app.server_app, assistant)  # the server looks routes up per request
    if block:
        app.block_thread()
    return app
