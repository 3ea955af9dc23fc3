"""The 'Jämför metoder' tab: two or three method cards side by side, with their fit to the profile form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.pipeline import Assistant
from assistant.types import ContextProfile
from ui import panels
from ui.i18n import t, ui_lang
from ui.profile_form import form_to_profile


class CompareTab:
    """Builds the comparison; `form` is the profile form of the chat tab, read when comparing."""

    def __init__(self, assistant: Assistant, form: Sequence[Any]) -> None:
        self.assistant = assistant
        self.form = list(form)

    def build(self, lang: Any) -> None:
        """Create the components (inside a gr.Tab) and their event; `lang` is the language switch."""
        import gradio as gr

        titles = sorted(((c.title, c.id) for c in self.assistant.cards.values()), key=lambda t: t[0].lower())
        self.intro = gr.Markdown(t("compare.intro"))
        self.pick = gr.Dropdown(
            label=t("compare.pick"),
            choices=titles,
            multiselect=True,
            max_choices=3,
            value=[],
            elem_id="compare-pick",
        )
        self.button = gr.Button(t("compare.button"), elem_id="compare-btn", variant="primary")
        self.out = gr.HTML(panels.compare_html([]), elem_id="compare")
        self.button.click(self.view, [self.pick, lang, *self.form], self.out, api_visibility="private")

    def follow(self, turns: Sequence[Any]) -> Any:
        """Preselect the latest answer's recommended methods (two or three), so that comparing them is
        one click; an answer without recommendations leaves the choice as it was."""
        import gradio as gr

        ids = latest_recommended(turns, self.assistant.cards)
        return gr.update(value=ids) if ids else gr.update()

    def view(self, ids: Sequence[str] | None, lang: str, *form: Any) -> str:
        """The comparison, with 'Passar er' (panels.fit_of, as on the Metoder panel) when the form says something."""
        cards = [self.assistant.cards[i] for i in (ids or []) if i in self.assistant.cards]
        profile = ContextProfile.from_json(form_to_profile(form))
        fits = {c.id: panels.fit_of(c, profile) for c in cards} if not profile.is_empty() else {}
        return panels.compare_html(cards, fits, ui_lang(lang))

    def relabel(self, lang: str) -> dict[Any, Any]:
        """The tab's texts in `lang`; the comparison itself is redrawn on the next click."""
        import gradio as gr

        lg = ui_lang(lang)
        return {
            self.intro: t("compare.intro", lg),
            self.pick: gr.update(label=t("compare.pick", lg)),
            self.button: gr.update(value=t("compare.button", lg)),
        }

    def relabel_outputs(self) -> list[Any]:
        """The components relabel() updates."""
        return [self.intro, self.pick, self.button]


def latest_recommended(turns: Sequence[Any], known: Any) -> list[str] | None:
    """Ids of the top three methods of the latest answer that recommended at least two; None if none did."""
    for turn in reversed(turns):
        ids = [str(m["id"]) for m in turn["answer"].get("recommended_methods") or [] if m["id"] in known]
        if len(ids) >= 2:
            return ids[:3]
    return None
