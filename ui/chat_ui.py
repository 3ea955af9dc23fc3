"""The officials' tab: chat, 'Vad jag har förstått', methods, sources, plan, rating and export."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, QuestionError
from assistant.pipeline import Assistant
from assistant.types import Answer, ContextProfile
from ui import panels, render
from ui.assets import SCROLL_TO_ANSWER_JS, TARGET_JS
from ui.chat import answer_stream, chunk_texts, documents_by_id, history_of, resolve_profile
from ui.chat_panels import EMPTY_PROFILE, card_markdown, is_method_advice, rate_answer, side_panels
from ui.chat_relabel import relabel, relabel_outputs
from ui.export import export_files, new_export_dir
from ui.i18n import UiLang, t, t_list, ui_lang
from ui.profile_form import FIELDS, build_form, form_to_profile, profile_to_form

log = logging.getLogger(__name__)
ICONS = Path(__file__).with_name("icons")


class ChatTab:
    """Builds the tab's components and wires their events to one assistant."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    # --- layout --------------------------------------------------------------------------------------

    def build(self, lang: Any) -> None:
        """Create the components (inside a gr.Tab) and their events; `lang` is the language switch."""
        import gradio as gr

        self.lang = lang
        titles = sorted(((c.title, c.id) for c in self.assistant.cards.values()), key=lambda t: t[0].lower())
        self.turns = gr.State([])
        self.extracted = gr.State(dict(EMPTY_PROFILE))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                self.chat = gr.Chatbot(
                    elem_id="chat",
                    label=t("chat.label"),
                    height=540,
                    placeholder=t("chat.welcome"),
                    buttons=["copy"],
                    autoscroll=False,  # each new answer is scrolled to its start instead (SCROLL_TO_ANSWER_JS)
                )
                self.notice = gr.HTML(render.notice_html(""), elem_id="notice")
                with gr.Row(equal_height=True, elem_id="ask-row"):
                    self.question = gr.Textbox(
                        elem_id="question",
                        label=t("chat.question"),
                        placeholder=t("chat.placeholder"),
                        lines=1,
                        max_lines=8,
                        scale=5,
                    )
                    with gr.Column(scale=1, min_width=130):
                        self.send = gr.Button(t("chat.send"), elem_id="send", variant="primary")
                        self.new_chat = gr.Button(t("chat.new"), elem_id="new-chat", variant="secondary")
                self.examples = gr.Examples(
                    [[q] for q in t_list("chat.examples.list")],
                    inputs=self.question,
                    label=t("chat.examples"),
                )
                with gr.Accordion(
                    t("feedback.box"), open=True, visible=False, elem_id="feedback-box"
                ) as self.feedback_box:
                    self.rate_which = gr.Dropdown(
                        label=t("feedback.which"),
                        choices=[],
                        value=None,
                        elem_id="rate-which",
                        interactive=True,
                    )
                    self.comment = gr.Textbox(label=t("feedback.comment"), lines=2, elem_id="rate-comment")
                    with gr.Row():
                        self.up = gr.Button(
                            t("feedback.up"),
                            icon=str(ICONS / "thumb-up.svg"),
                            elem_id="rate-up",
                            interactive=False,
                        )
                        self.down = gr.Button(
                            t("feedback.down"),
                            icon=str(ICONS / "thumb-down.svg"),
                            elem_id="rate-down",
                            interactive=False,
                        )
                    self.rate_msg = gr.HTML(render.notice_html(""), elem_id="rate-msg")
                with gr.Row():
                    self.export_md = gr.DownloadButton(
                        t("chat.export_md"), elem_id="export-md", interactive=False
                    )
                    self.export_docx = gr.DownloadButton(
                        t("chat.export_docx"), elem_id="export-docx", interactive=False
                    )
            with (
                gr.Column(scale=2, min_width=300),
                gr.Tabs(elem_id="side-tabs", selected="profile") as self.side,
            ):
                with gr.Tab(t("side.profile"), id="profile", elem_id="tab-profile") as self.tab_profile:
                    self.profile_intro = gr.Markdown(t("profile.before"), elem_id="profile-intro")
                    # The 15 fields stay folded until there is an answer to correct (or the official opens them).
                    with gr.Accordion(t("profile.form"), open=False, elem_id="profile-form") as self.form_box:
                        self.form = build_form()
                        with gr.Row():
                            self.apply = gr.Button(
                                t("profile.apply"), elem_id="profile-apply", variant="primary"
                            )
                            self.clear = gr.Button(t("profile.clear"), elem_id="profile-clear")
                with gr.Tab(t("side.methods"), id="methods", elem_id="tab-methods") as self.tab_methods:
                    self.methods = gr.HTML(panels.method_cards_html([], {}), elem_id="methods")
                    self.card_pick = gr.Dropdown(
                        label=t("methods.card_pick"), choices=titles, value=None, elem_id="card-pick"
                    )
                    with gr.Accordion(t("methods.card"), open=False, elem_id="card-acc") as self.card_acc:
                        self.card_view = gr.Markdown(t("methods.card_hint"), elem_id="card-view")
                with gr.Tab(t("side.sources"), id="sources", elem_id="tab-sources") as self.tab_sources:
                    self.sources = gr.HTML(render.sources_panel_html([], {}, {}, 0), elem_id="sources")
                with gr.Tab(t("side.plan"), id="plan", elem_id="tab-plan") as self.tab_plan:
                    self.plan = gr.HTML(panels.plan_html([]), elem_id="plan")
        self.target = gr.Textbox(visible="hidden", elem_id="mg-target", label="Vald länk")
        self.trigger = gr.Button("Öppna vald länk", visible="hidden", elem_id="mg-trigger")
        self._wire()

    # --- events --------------------------------------------------------------------------------------

    def _panel_outputs(self) -> list[Any]:
        return [
            self.chat,
            self.question,
            self.turns,
            self.extracted,
            self.notice,
            self.sources,
            self.methods,
            self.plan,
            self.side,
            self.feedback_box,
            self.form_box,
            self.profile_intro,
            self.rate_which,
            self.rate_msg,
            self.up,
            self.down,
            self.export_md,
            self.export_docx,
            self.send,
            self.apply,
            *self.form,
        ]

    def _wire(self) -> None:
        import gradio as gr

        state_in = [self.lang, self.chat, self.turns, self.extracted, *self.form]
        gr.on(
            [self.send.click, self.question.submit],
            self.respond,
            [self.question, *state_in],
            self._panel_outputs(),
            api_visibility="private",
        ).then(None, js=SCROLL_TO_ANSWER_JS, api_visibility="private").then(
            self.exports, self.turns, [self.export_md, self.export_docx], api_visibility="private"
        )
        self.apply.click(self.rerun, state_in, self._panel_outputs(), api_visibility="private").then(
            None, js=SCROLL_TO_ANSWER_JS, api_visibility="private"
        ).then(self.exports, self.turns, [self.export_md, self.export_docx], api_visibility="private")
        self.clear.click(lambda: profile_to_form(EMPTY_PROFILE), None, self.form, api_visibility="private")
        # The chat's trash icon and 'Nytt samtal' are one action: screen, profile and turns start over.
        for event in (self.new_chat.click, self.chat.clear):
            event(self.reset, self.lang, self._panel_outputs(), api_visibility="private")
        self.trigger.click(None, None, self.target, js=TARGET_JS, api_visibility="private", queue=False).then(
            self.open_target,
            [self.target, self.turns, self.lang],
            [self.sources, self.side, self.card_view, self.card_acc, self.card_pick],
            api_visibility="private",
        )
        self.card_pick.input(
            self.show_card,
            [self.card_pick, self.lang],
            [self.card_view, self.card_acc],
            api_visibility="private",
        )
        for button, rating in ((self.up, 1), (self.down, -1)):
            button.click(
                lambda which, comment, turns, lang, r=rating: self.rate(which, comment, turns, r, lang),
                [self.rate_which, self.comment, self.turns, self.lang],
                [self.rate_msg, self.comment],
                api_visibility="private",
            )

    def respond(
        self,
        question: str,
        lang: str,
        chat: list[Any],
        turns: list[dict[str, Any]],
        extracted: dict[str, Any],
        *form: Any,
    ) -> Iterator[dict[Any, Any]]:
        """A new question: resolve the profile (edits win), answer, then fill every panel."""
        history = history_of(turns)
        try:
            profile, fresh = resolve_profile(
                self.assistant, question, history, extracted, form_to_profile(form)
            )
        except QuestionError as exc:
            yield {self.notice: render.notice_html(f"{exc.message} {exc.hint}".strip(), "warning")}
            return
        shown = [*list(chat or []), {"role": "user", "content": question.strip()}]
        yield from self._answer(
            question.strip(),
            list(turns),
            shown,
            profile,
            fresh,
            ui_lang(lang),
            replace_last=False,
            clear=True,
        )

    def rerun(
        self, lang: str, chat: list[Any], turns: list[dict[str, Any]], extracted: dict[str, Any], *form: Any
    ) -> Iterator[dict[Any, Any]]:
        """The method advice again with the form as the profile.

        After a method answer that answer is replaced; after any other answer (a follow-up about
        invitations, say) the latest method question, or the default one, is asked anew.
        """
        lg = ui_lang(lang)
        profile = ContextProfile.from_json(form_to_profile(form))
        keep_extracted = extracted if extracted else profile.to_json()
        if turns and is_method_advice(turns[-1]["answer"]):
            last = turns[-1]
            shown = list(chat or [])[:-2]  # the last question and answer are shown anew
            shown.append({"role": "user", "content": str(last["question"])})
            yield from self._answer(
                str(last["question"]), list(turns[:-1]), shown, profile, keep_extracted, lg, replace_last=True
            )
            return
        asked = [str(tn["question"]) for tn in turns if is_method_advice(tn["answer"])]
        question = asked[-1] if asked else t("chat.default_question", lg)
        shown = [*list(chat or []), {"role": "user", "content": question}]
        yield from self._answer(
            question, list(turns), shown, profile, keep_extracted, lg, replace_last=bool(turns)
        )

    def _answer(
        self,
        question: str,
        prior: list[dict[str, Any]],
        shown: list[Any],
        profile: ContextProfile | None,
        extracted: dict[str, Any],
        lang: UiLang,
        replace_last: bool,
        clear: bool = False,
    ) -> Iterator[dict[Any, Any]]:
        import gradio as gr

        busy = {self.send: gr.Button(interactive=False), self.apply: gr.Button(interactive=False)}
        first = {self.chat: shown, self.notice: render.notice_html(t("chat.writing", lang)), **busy}
        yield {**first, self.question: ""} if clear else first
        answer: Answer | None = None
        try:
            for text, final in answer_stream(self.assistant, question, history_of(prior), profile):
                answer = final
                if final is None:  # an LLM's own deltas; a composed answer arrives finished
                    yield {self.chat: [*shown, {"role": "assistant", "content": text}]}
        except AssistantError as exc:
            level = "warning" if isinstance(exc, QuestionError) else "error"
            yield {
                self.notice: render.notice_html(f"{exc.message} {exc.hint}".strip(), level),  # type: ignore[arg-type]
                self.chat: shown[:-1],
                self.send: gr.Button(interactive=True),
                self.apply: gr.Button(interactive=True),
            }
            return
        except Exception as exc:  # the page must survive; the log keeps the traceback
            log.exception("answering %r failed", question)
            yield {
                self.notice: render.notice_html(t("chat.failed", lang, kind=type(exc).__name__), "error"),
                self.send: gr.Button(interactive=True),
                self.apply: gr.Button(interactive=True),
            }
            return
        assert answer is not None
        data = answer.to_json()
        turns = [*prior, {"question": question, "answer": data}]
        yield self._panels(turns, shown, extracted, data, lang, replaced=replace_last)

    def _notice(self, data: Mapping[str, Any], lang: UiLang, replaced: bool) -> str:
        if data.get("abstained") and data.get("intent") == "out_of_scope":
            return render.notice_html(t("notice.out_of_scope", lang), "warning")
        if data.get("abstained"):
            return render.notice_html(t("notice.nothing_found", lang), "warning")
        if replaced:
            return render.notice_html(t("notice.updated", lang), "success")
        return render.notice_html("")

    def _panels(
        self,
        turns: list[dict[str, Any]],
        shown: list[Any],
        extracted: dict[str, Any],
        data: dict[str, Any],
        lang: UiLang,
        replaced: bool,
    ) -> dict[Any, Any]:
        import gradio as gr

        turn = len(turns) - 1
        chat = [*shown, {"role": "assistant", "content": render.format_answer(data, turn)}]
        cits = data.get("citations") or []
        side = (
            "plan"
            if data.get("plan")
            else ("methods" if data.get("recommended_methods") else "sources" if cits else "profile")
        )
        choices = [
            (t("feedback.answer_n", lang, n=i + 1, question=tn["question"][:70]), i)
            for i, tn in enumerate(turns)
        ]
        sources, methods, plan = self.side_panels(turns, lang)
        return {
            self.chat: chat,
            self.turns: turns,
            self.extracted: extracted,
            self.notice: self._notice(data, lang, replaced),
            self.sources: sources,
            self.methods: methods,
            self.plan: plan,
            self.side: gr.Tabs(selected=side),
            self.feedback_box: gr.Accordion(visible=True),
            self.form_box: gr.Accordion(open=True),
            self.profile_intro: t("profile.intro", lang),
            self.rate_which: gr.Dropdown(choices=choices, value=turn),
            self.rate_msg: render.notice_html(""),
            self.up: gr.Button(interactive=True),
            self.down: gr.Button(interactive=True),
            self.send: gr.Button(interactive=True),
            self.apply: gr.Button(interactive=True),
            **dict(zip(self.form, profile_to_form(data.get("profile") or EMPTY_PROFILE), strict=True)),
        }

    def exports(self, turns: list[dict[str, Any]]) -> tuple[Any, Any]:
        """The conversation as Markdown and Word downloads, written after the answer is on screen."""
        import gradio as gr

        if not turns:
            return gr.DownloadButton(value=None, interactive=False), gr.DownloadButton(
                value=None, interactive=False
            )
        md, docx = export_files(turns, new_export_dir())
        return gr.DownloadButton(value=str(md), interactive=True), gr.DownloadButton(
            value=str(docx), interactive=True
        )

    def reset(self, lang: str = "sv") -> dict[Any, Any]:
        """A new, empty conversation: screen, profile, answers and turn numbers start over."""
        import gradio as gr

        lg = ui_lang(lang)
        sources, methods, plan = self.side_panels([], lg)
        return {
            self.chat: [],
            self.question: "",
            self.turns: [],
            self.extracted: dict(EMPTY_PROFILE),
            self.notice: render.notice_html(""),
            self.sources: sources,
            self.methods: methods,
            self.plan: plan,
            self.side: gr.Tabs(selected="profile"),
            self.feedback_box: gr.Accordion(visible=False),
            self.form_box: gr.Accordion(open=False),
            self.profile_intro: t("profile.before", lg),
            self.rate_which: gr.Dropdown(choices=[], value=None),
            self.rate_msg: render.notice_html(""),
            self.up: gr.Button(interactive=False),
            self.down: gr.Button(interactive=False),
            self.export_md: gr.DownloadButton(value=None, interactive=False),
            self.export_docx: gr.DownloadButton(value=None, interactive=False),
            self.send: gr.Button(interactive=True),
            self.apply: gr.Button(interactive=True),
            **dict(zip(self.form, profile_to_form(EMPTY_PROFILE), strict=True)),
        }

    def relabel(self, lang: str, turns: Sequence[Mapping[str, Any]]) -> dict[Any, Any]:
        """Every label, button, heading and panel of the tab in `lang` (what was typed or chosen stays)."""
        return relabel(self, lang, turns)

    def relabel_outputs(self) -> list[Any]:
        """The components relabel() updates."""
        return relabel_outputs(self)

    def open_target(self, target: str, turns: list[dict[str, Any]], lang: str = "sv") -> tuple[Any, ...]:
        """A click on a [n] marker or a method card link."""
        import gradio as gr

        kind, args = render.parse_target(target)
        skip = gr.skip()
        if kind == "cite":
            turn, n = int(args[0]), int(args[1])
            if turn >= len(turns):
                return skip, skip, skip, skip, skip
            cits = turns[turn]["answer"].get("citations") or []
            html = render.sources_panel_html(
                cits,
                chunk_texts(self.assistant, cits),
                documents_by_id(self.assistant),
                turn,
                selected=n,
                lang=ui_lang(lang),
            )
            return html, gr.Tabs(selected="sources"), skip, skip, skip
        if kind == "card":
            view, acc = self.show_card(args[0], lang)
            return skip, gr.Tabs(selected="methods"), view, acc, args[0]
        return skip, skip, skip, skip, skip

    def show_card(self, method_id: str | None, lang: str = "sv") -> tuple[Any, Any]:
        """The full Markdown of a method card, in its accordion."""
        import gradio as gr

        text, title = card_markdown(self.assistant, method_id, ui_lang(lang))
        label = t("methods.card_of", lang, title=title) if title else t("methods.card", lang)
        return text, gr.Accordion(label=label, open=True)

    def side_panels(self, turns: Sequence[Mapping[str, Any]], lang: UiLang) -> tuple[str, str, str]:
        """(sources, methods, plan) HTML for the latest answer, in the interface language."""
        return side_panels(self.assistant, turns, lang)

    def rate(
        self,
        which: int | None,
        comment: str,
        turns: Sequence[Mapping[str, Any]],
        rating: int,
        lang: str = "sv",
    ) -> tuple[str, str]:
        """Store a thumbs up/down with the question, the answer JSON and the configuration."""
        return rate_answer(self.assistant, which, comment, turns, rating, ui_lang(lang))


__all__ = ["FIELDS", "ChatTab"]
