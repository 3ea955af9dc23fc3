"""What the officials' tab shows beside the chat, without Gradio: side panels, a method card, a rating."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.types import ContextProfile
from ui import panels, render
from ui.chat import chunk_texts, config_json, documents_by_id
from ui.feedback import save_rating
from ui.i18n import UiLang, t
from ui.profile_form import form_to_profile, profile_to_form

log = logging.getLogger(__name__)
EMPTY_PROFILE = ContextProfile().to_json()


def is_method_advice(answer: Mapping[str, Any]) -> bool:
    """An answer that recommends methods or plans a whole process (not a follow-up about one phase)."""
    intent = answer.get("intent")
    return intent == "method_fit" or (intent == "process_planning" and bool(answer.get("plan")))


def shown_profile(profile: Mapping[str, Any]) -> ContextProfile:
    """The profile as the form shows it (whole weeks): what both the methods panel and the comparison score."""
    return ContextProfile.from_json(form_to_profile(profile_to_form(profile)))


def side_panels(
    assistant: Assistant, turns: Sequence[Mapping[str, Any]], lang: UiLang
) -> tuple[str, str, str]:
    """(sources, methods, plan) HTML for the latest answer, in the interface language."""
    if not turns:
        return (
            render.sources_panel_html([], {}, {}, 0, lang=lang),
            panels.method_cards_html([], {}, lang=lang),
            panels.plan_html([], lang),
        )
    turn = len(turns) - 1
    data = turns[-1]["answer"]
    cits = data.get("citations") or []
    return (
        render.sources_panel_html(
            cits, chunk_texts(assistant, cits), documents_by_id(assistant), turn, lang=lang
        ),
        panels.method_cards_html(
            data.get("recommended_methods") or [],
            assistant.cards,
            shown_profile(data.get("profile") or EMPTY_PROFILE),
            lang,
        ),
        panels.plan_html(data.get("plan") or [], lang),
    )


def card_markdown(assistant: Assistant, method_id: str | None, lang: UiLang) -> tuple[str, str]:
    """(the full Markdown of a method card, its title); the title is empty when the card is missing."""
    doc = documents_by_id(assistant).get(str(method_id or ""))
    if doc is None:
        return t("methods.card_missing", lang), ""
    path = Path(str(doc.get("path", "")))
    if not path.is_file():  # the index stores the path as given at build time, maybe relative
        found = [f for d in assistant.settings.corpus_dirs for f in d.rglob(f"{doc['id']}.md")]
        path = found[0] if found else path
    try:
        body = panels.strip_front_matter(path.read_text(encoding="utf-8"))
    except OSError:
        body = f"{path}: {doc.get('summary', '')}"
    sources = "\n".join(f"- [{s['title']}]({s['url']})" for s in doc.get("sources") or [])
    text = (
        f"## {doc['title']}\n\n{body}\n\n**{t('methods.card_sources', lang)}**\n\n{sources}\n\n"
        f"*{t('methods.card_licence', lang)}: {doc.get('licence', '')}*"
    )
    return text, str(doc["title"])


def rate_answer(
    assistant: Assistant,
    which: int | None,
    comment: str,
    turns: Sequence[Mapping[str, Any]],
    rating: int,
    lg: UiLang,
) -> tuple[str, str]:
    """Store a thumbs up/down with the question, the answer JSON and the configuration; (notice, comment)."""
    if which is None or not isinstance(which, int) or not 0 <= which < len(turns):
        return render.notice_html(t("feedback.choose", lg), "warning"), comment
    turn = turns[which]
    try:
        save_rating(
            assistant.settings,  # the PostgreSQL URL or the SQLite file
            str(turn["question"]),
            dict(turn["answer"]),
            rating,
            comment or "",
            config_json(assistant),
        )
    except AssistantError as exc:
        log.exception("saving feedback failed")
        return render.notice_html(t("feedback.failed", lg, reason=exc.message), "error"), comment
    except Exception as exc:  # e.g. an unwritable disk: say so, keep the page, log the traceback
        log.exception("saving feedback failed")
        return render.notice_html(
            t("feedback.failed", lg, reason=f"{type(exc).__name__}: {exc}"), "error"
        ), comment
    key = "feedback.thanks_up" if rating > 0 else "feedback.thanks_down"
    return render.notice_html(t(key, lg, n=which + 1), "success"), ""
