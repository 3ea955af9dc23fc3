"""The 'Jämför metoder' tab: two or three method cards side by side, with their fit to the profile form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.advisor import score_card
from assistant.pipeline import Assistant
from assistant.types import ContextProfile
from ui import panels
from ui.profile_form import form_to_profile


class CompareTab:
    """Builds the comparison; `form` is the profile form of the chat tab, read when comparing."""

    def __init__(self, assistant: Assistant, form: Sequence[Any]) -> None:
        self.assistant = assistant
        self.form = list(form)

    def build(self) -> None:
        """Create the components (inside a gr.Tab) and their event."""
        import gradio as gr

        titles = sorted(((c.title, c.id) for c in self.assistant.cards.values()), key=lambda t: t[0].lower())
        gr.Markdown(
            "Välj två eller tre metoder. Jämförelsen bygger på metodkortens uppgifter och, om du har fyllt i "
            "*Vad jag har förstått* på fliken Rådgivning, hur väl varje metod passar er."
        )
        self.pick = gr.Dropdown(
            label="Metoder att jämföra (två eller tre)",
            choices=titles,
            multiselect=True,
            max_choices=3,
            value=[],
            elem_id="compare-pick",
        )
        self.button = gr.Button("Jämför", elem_id="compare-btn", variant="primary")
        self.out = gr.Markdown(panels.compare_markdown([]), elem_id="compare")
        self.button.click(self.view, [self.pick, *self.form], self.out, api_visibility="private")

    def follow(self, turns: Sequence[Any]) -> Any:
        """Preselect the latest answer's recommended methods (two or three), so that comparing them is
        one click; an answer without recommendations leaves the choice as it was."""
        import gradio as gr

        ids = latest_recommended(turns, self.assistant.cards)
        return gr.update(value=ids) if ids else gr.update()

    def view(self, ids: Sequence[str] | None, *form: Any) -> str:
        """The comparison table, with 'Passar er' when the profile form says something."""
        cards = [self.assistant.cards[i] for i in (ids or []) if i in self.assistant.cards]
        profile = ContextProfile.from_json(form_to_profile(form))
        fits = {c.id: score_card(c, profile) for c in cards} if not profile.is_empty() else {}
        return panels.compare_markdown(cards, fits)


def latest_recommended(turns: Sequence[Any], known: Any) -> list[str] | None:
    """Ids of the top three methods of the latest answer that recommended at least two; None if none did."""
    for turn in reversed(turns):
        ids = [str(m["id"]) for m in turn["answer"].get("recommended_methods") or [] if m["id"] in known]
        if len(ids) >= 2:
            return ids[:3]
    return None
