"""The officials' tab in the other language: label, button, heading and panel updates for a switch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ui.chat_panels import side_panels
from ui.i18n import t, t_list, ui_lang
from ui.profile_form import form_relabel

if TYPE_CHECKING:
    from ui.chat_ui import ChatTab


def relabel(tab: ChatTab, lang: str, turns: Sequence[Mapping[str, Any]]) -> dict[Any, Any]:
    """Every label, button, heading and panel of the tab in `lang` (what was typed or chosen stays)."""
    import gradio as gr

    lg = ui_lang(lang)
    sources, methods, plan = side_panels(tab.assistant, turns, lg)
    choices = [
        (t("feedback.answer_n", lg, n=i + 1, question=tn["question"][:70]), i) for i, tn in enumerate(turns)
    ]
    return {
        tab.chat: gr.update(label=t("chat.label", lg), placeholder=t("chat.welcome", lg)),
        tab.question: gr.update(label=t("chat.question", lg), placeholder=t("chat.placeholder", lg)),
        tab.send: gr.update(value=t("chat.send", lg)),
        tab.new_chat: gr.update(value=t("chat.new", lg)),
        tab.examples.dataset: gr.update(
            label=t("chat.examples", lg), samples=[[q] for q in t_list("chat.examples.list", lg)]
        ),
        tab.feedback_box: gr.update(label=t("feedback.box", lg)),
        tab.rate_which: gr.update(label=t("feedback.which", lg), choices=choices),
        tab.comment: gr.update(label=t("feedback.comment", lg)),
        tab.up: gr.update(value=t("feedback.up", lg)),
        tab.down: gr.update(value=t("feedback.down", lg)),
        tab.export_md: gr.update(label=t("chat.export_md", lg)),
        tab.export_docx: gr.update(label=t("chat.export_docx", lg)),
        tab.tab_profile: gr.update(label=t("side.profile", lg)),
        tab.tab_methods: gr.update(label=t("side.methods", lg)),
        tab.tab_sources: gr.update(label=t("side.sources", lg)),
        tab.tab_plan: gr.update(label=t("side.plan", lg)),
        tab.profile_intro: t("profile.intro" if turns else "profile.before", lg),
        tab.form_box: gr.update(label=t("profile.form", lg)),
        tab.apply: gr.update(value=t("profile.apply", lg)),
        tab.clear: gr.update(value=t("profile.clear", lg)),
        tab.card_pick: gr.update(label=t("methods.card_pick", lg)),
        tab.card_acc: gr.update(label=t("methods.card", lg)),
        tab.sources: sources,
        tab.methods: methods,
        tab.plan: plan,
        **dict(zip(tab.form, form_relabel(lg), strict=True)),
    }


def relabel_outputs(tab: ChatTab) -> list[Any]:
    """The components relabel() updates."""
    return [
        tab.chat,
        tab.question,
        tab.send,
        tab.new_chat,
        tab.examples.dataset,
        tab.feedback_box,
        tab.rate_which,
        tab.comment,
        tab.up,
        tab.down,
        tab.export_md,
        tab.export_docx,
        tab.tab_profile,
        tab.tab_methods,
        tab.tab_sources,
        tab.tab_plan,
        tab.profile_intro,
        tab.form_box,
        tab.apply,
        tab.clear,
        tab.card_pick,
        tab.card_acc,
        tab.sources,
        tab.methods,
        tab.plan,
        *tab.form,
    ]
