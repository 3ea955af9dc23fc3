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
from ui.assets import TARGET_JS
from ui.chat import answer_stream, chunk_texts, config_json, documents_by_id, history_of, resolve_profile
from ui.export import export_files, new_export_dir
from ui.feedback import save_rating
from ui.profile_form import FIELDS, build_form, form_to_profile, profile_to_form
from ui.texts import DEFAULT_QUESTION, EXAMPLES, PROFILE_INTRO, WELCOME

log = logging.getLogger(__name__)
EMPTY_PROFILE = ContextProfile().to_json()


class ChatTab:
    """Builds the tab's components and wires their events to one assistant."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    # --- layout --------------------------------------------------------------------------------------

    def build(self) -> None:
        """Create the components (inside a gr.Tab) and their events."""
        import gradio as gr

        titles = sorted(((c.title, c.id) for c in self.assistant.cards.values()), key=lambda t: t[0].lower())
        self.turns = gr.State([])
        self.extracted = gr.State(dict(EMPTY_PROFILE))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                self.chat = gr.Chatbot(
                    elem_id="chat",
                    label="Samtal med Metodguiden",
                    height=540,
                    placeholder=WELCOME,
                    buttons=["copy"],
                )
                self.notice = gr.HTML(render.notice_html(""), elem_id="notice")
                with gr.Row(equal_height=True):
                    self.question = gr.Textbox(
                        elem_id="question",
                        label="Din fråga",
                        placeholder="Skriv din fråga och tryck Enter eller Skicka (Skift+Enter ger ny rad) …",
                        lines=1,
                        max_lines=8,
                        scale=5,
                    )
                    with gr.Column(scale=1, min_width=130):
                        self.send = gr.Button("Skicka", elem_id="send", variant="primary")
                        self.new_chat = gr.Button("Nytt samtal", elem_id="new-chat", variant="secondary")
                gr.Examples(
                    EXAMPLES, inputs=self.question, label="Exempel på frågor (klicka för att fylla i)"
                )
                with gr.Accordion("Ge omdöme om ett svar", open=True, elem_id="feedback-box"):
                    self.rate_which = gr.Dropdown(
                        label="Vilket svar?", choices=[], value=None, elem_id="rate-which", interactive=True
                    )
                    self.comment = gr.Textbox(
                        label="Kommentar (valfritt) – skriv den före du klickar på tummen",
                        lines=2,
                        elem_id="rate-comment",
                    )
                    with gr.Row():
                        self.up = gr.Button("👍 Bra svar", elem_id="rate-up", interactive=False)
                        self.down = gr.Button("👎 Dåligt svar", elem_id="rate-down", interactive=False)
                    self.rate_msg = gr.HTML(render.notice_html(""), elem_id="rate-msg")
                with gr.Row():
                    self.export_md = gr.DownloadButton(
                        "Ladda ner samtalet (Markdown)", elem_id="export-md", interactive=False
                    )
                    self.export_docx = gr.DownloadButton(
                        "Ladda ner samtalet (Word)", elem_id="export-docx", interactive=False
                    )
            with (
                gr.Column(scale=2, min_width=340),
                gr.Tabs(elem_id="side-tabs", selected="profile") as self.side,
            ):
                with gr.Tab("Vad jag har förstått", id="profile", elem_id="tab-profile"):
                    gr.Markdown(PROFILE_INTRO)
                    self.form = build_form()
                    with gr.Row():
                        self.apply = gr.Button("Uppdatera rådet", elem_id="profile-apply", variant="primary")
                        self.clear = gr.Button("Töm formuläret", elem_id="profile-clear")
                with gr.Tab("Metoder", id="methods", elem_id="tab-methods"):
                    self.methods = gr.HTML(panels.method_cards_html([], {}), elem_id="methods")
                    self.card_pick = gr.Dropdown(
                        label="Visa ett metodkort", choices=titles, value=None, elem_id="card-pick"
                    )
                    with gr.Accordion("Metodkort", open=False, elem_id="card-acc") as self.card_acc:
                        self.card_view = gr.Markdown(
                            "Välj en metod ovan eller klicka på *Visa hela metodkortet*.", elem_id="card-view"
                        )
                with gr.Tab("Källor", id="sources", elem_id="tab-sources"):
                    self.sources = gr.HTML(render.sources_panel_html([], {}, {}, 0), elem_id="sources")
                with gr.Tab("Processplan", id="plan", elem_id="tab-plan"):
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
            self.rate_which,
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

        state_in = [self.chat, self.turns, self.extracted, *self.form]
        gr.on(
            [self.send.click, self.question.submit],
            self.respond,
            [self.question, *state_in],
            self._panel_outputs(),
            api_visibility="private",
        )
        self.apply.click(self.rerun, state_in, self._panel_outputs(), api_visibility="private")
        self.clear.click(lambda: profile_to_form(EMPTY_PROFILE), None, self.form, api_visibility="private")
        self.new_chat.click(self.reset, None, self._panel_outputs(), api_visibility="private")
        self.trigger.click(None, None, self.target, js=TARGET_JS, api_visibility="private", queue=False).then(
            self.open_target,
            [self.target, self.turns],
            [self.sources, self.side, self.card_view, self.card_acc, self.card_pick],
            api_visibility="private",
        )
        self.card_pick.input(
            self.show_card, self.card_pick, [self.card_view, self.card_acc], api_visibility="private"
        )
        for button, rating in ((self.up, 1), (self.down, -1)):
            button.click(
                lambda which, comment, turns, r=rating: self.rate(which, comment, turns, r),
                [self.rate_which, self.comment, self.turns],
                [self.rate_msg, self.comment],
                api_visibility="private",
            )

    def respond(
        self,
        question: str,
        chat: list[Any],
        turns: list[dict[str, Any]],
        extracted: dict[str, Any],
        *form: Any,
    ) -> Iterator[dict[Any, Any]]:
        """A new question: resolve the profile (edits win), stream the answer, then fill every panel."""
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
            question.strip(), list(turns), shown, profile, fresh, replace_last=False, clear=True
        )

    def rerun(
        self, chat: list[Any], turns: list[dict[str, Any]], extracted: dict[str, Any], *form: Any
    ) -> Iterator[dict[Any, Any]]:
        """Re-run the advice for the last question with the form as the profile (or ask a first question)."""
        profile = ContextProfile.from_json(form_to_profile(form))
        if not turns:
            shown = [*list(chat or []), {"role": "user", "content": DEFAULT_QUESTION}]
            yield from self._answer(
                DEFAULT_QUESTION, [], shown, profile, profile.to_json(), replace_last=False
            )
            return
        last = turns[-1]
        shown = list(chat or [])[:-1]  # the last answer is replaced
        keep_extracted = extracted if extracted else profile.to_json()
        yield from self._answer(
            str(last["question"]), list(turns[:-1]), shown, profile, keep_extracted, replace_last=True
        )

    def _answer(
        self,
        question: str,
        prior: list[dict[str, Any]],
        shown: list[Any],
        profile: ContextProfile | None,
        extracted: dict[str, Any],
        replace_last: bool,
        clear: bool = False,
    ) -> Iterator[dict[Any, Any]]:
        import gradio as gr

        busy = {self.send: gr.Button(interactive=False), self.apply: gr.Button(interactive=False)}
        first = {self.chat: shown, self.notice: render.notice_html("Metodguiden skriver …"), **busy}
        yield {**first, self.question: ""} if clear else first
        answer: Answer | None = None
        try:
            for text, final in answer_stream(self.assistant, question, history_of(prior), profile):
                answer = final
                if final is None:
                    yield {self.chat: [*shown, {"role": "assistant", "content": text}]}
        except AssistantError as exc:
            level = "warning" if isinstance(exc, QuestionError) else "error"
            yield {
                self.notice: render.notice_html(f"{exc.message} {exc.hint}".strip(), level),  # type: ignore[arg-type]
                self.chat: shown[:-1] if not replace_last else shown,
                self.send: gr.Button(interactive=True),
                self.apply: gr.Button(interactive=True),
            }
            return
        except Exception as exc:  # the page must survive; the log keeps the traceback
            log.exception("answering %r failed", question)
            yield {
                self.notice: render.notice_html(
                    f"Något gick fel när svaret skrevs ({type(exc).__name__}). Försök igen eller formulera om frågan.",
                    "error",
                ),
                self.send: gr.Button(interactive=True),
                self.apply: gr.Button(interactive=True),
            }
            return
        assert answer is not None
        data = answer.to_json()
        turns = [*prior, {"question": question, "answer": data}]
        yield self._panels(turns, shown, extracted, data, replaced=replace_last)

    def _panels(
        self,
        turns: list[dict[str, Any]],
        shown: list[Any],
        extracted: dict[str, Any],
        data: dict[str, Any],
        replaced: bool,
    ) -> dict[Any, Any]:
        import gradio as gr

        turn = len(turns) - 1
        chat = [*shown, {"role": "assistant", "content": render.format_answer(data, turn)}]
        if data.get("abstained") and data.get("intent") == "out_of_scope":
            notice = render.notice_html(
                "Frågan ligger utanför det Metodguiden kan svara på: metoder för medborgardialog och hur de planeras.",
                "warning",
            )
        elif data.get("abstained"):
            notice = render.notice_html(
                "Jag hittade inget i källorna som svarar på frågan. Prova att formulera om den.", "warning"
            )
        elif replaced:
            notice = render.notice_html(
                "Rådet är uppdaterat efter dina ändringar i ”Vad jag har förstått”.", "success"
            )
        else:
            notice = render.notice_html("")
        cits = data.get("citations") or []
        side = (
            "plan"
            if data.get("plan")
            else ("methods" if data.get("recommended_methods") else "sources" if cits else "profile")
        )
        md, docx = export_files(turns, new_export_dir())
        choices = [(f"Svar {i + 1}: {t['question'][:70]}", i) for i, t in enumerate(turns)]
        return {
            self.chat: chat,
            self.turns: turns,
            self.extracted: extracted,
            self.notice: notice,
            self.sources: render.sources_panel_html(
                cits, chunk_texts(self.assistant, cits), documents_by_id(self.assistant), turn
            ),
            self.methods: panels.method_cards_html(
                data.get("recommended_methods") or [], self.assistant.cards
            ),
            self.plan: panels.plan_html(data.get("plan") or []),
            self.side: gr.Tabs(selected=side),
            self.rate_which: gr.Dropdown(choices=choices, value=turn),
            self.up: gr.Button(interactive=True),
            self.down: gr.Button(interactive=True),
            self.export_md: gr.DownloadButton(value=str(md), interactive=True),
            self.export_docx: gr.DownloadButton(value=str(docx), interactive=True),
            self.send: gr.Button(interactive=True),
            self.apply: gr.Button(interactive=True),
            **dict(zip(self.form, profile_to_form(data.get("profile") or EMPTY_PROFILE), strict=True)),
        }

    def reset(self) -> dict[Any, Any]:
        """A new, empty conversation."""
        import gradio as gr

        return {
            self.chat: [],
            self.question: "",
            self.turns: [],
            self.extracted: dict(EMPTY_PROFILE),
            self.notice: render.notice_html(""),
            self.sources: render.sources_panel_html([], {}, {}, 0),
            self.methods: panels.method_cards_html([], {}),
            self.plan: panels.plan_html([]),
            self.side: gr.Tabs(selected="profile"),
            self.rate_which: gr.Dropdown(choices=[], value=None),
            self.up: gr.Button(interactive=False),
            self.down: gr.Button(interactive=False),
            self.export_md: gr.DownloadButton(value=None, interactive=False),
            self.export_docx: gr.DownloadButton(value=None, interactive=False),
            self.send: gr.Button(interactive=True),
            self.apply: gr.Button(interactive=True),
            **dict(zip(self.form, profile_to_form(EMPTY_PROFILE), strict=True)),
        }

    def open_target(self, target: str, turns: list[dict[str, Any]]) -> tuple[Any, ...]:
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
                cits, chunk_texts(self.assistant, cits), documents_by_id(self.assistant), turn, selected=n
            )
            return html, gr.Tabs(selected="sources"), skip, skip, skip
        if kind == "card":
            view, acc = self.show_card(args[0])
            return skip, gr.Tabs(selected="methods"), view, acc, args[0]
        return skip, skip, skip, skip, skip

    def show_card(self, method_id: str | None) -> tuple[Any, Any]:
        """The full Markdown of a method card, in its accordion."""
        import gradio as gr

        doc = documents_by_id(self.assistant).get(str(method_id or ""))
        if doc is None:
            return "Metodkortet finns inte i indexet.", gr.Accordion(open=True)
        path = Path(str(doc.get("path", "")))
        if not path.is_file():  # the index stores the path as given at build time, maybe relative
            found = [f for d in self.assistant.settings.corpus_dirs for f in d.rglob(f"{doc['id']}.md")]
            path = found[0] if found else path
        try:
            body = panels.strip_front_matter(path.read_text(encoding="utf-8"))
        except OSError:
            body = f"Filen {path} kunde inte läsas. Sammanfattning: {doc.get('summary', '')}"
        sources = "\n".join(f"- [{s['title']}]({s['url']})" for s in doc.get("sources") or [])
        text = f"## {doc['title']}\n\n{body}\n\n**Källor**\n\n{sources}\n\n*Licens: {doc.get('licence', '')}*"
        return text, gr.Accordion(label=f"Metodkort: {doc['title']}", open=True)

    def rate(
        self, which: int | None, comment: str, turns: Sequence[Mapping[str, Any]], rating: int
    ) -> tuple[str, str]:
        """Store a thumbs up/down with the question, the answer JSON and the configuration."""
        if which is None or not isinstance(which, int) or not 0 <= which < len(turns):
            return render.notice_html("Välj först vilket svar omdömet gäller.", "warning"), comment
        turn = turns[which]
        try:
            save_rating(
                self.assistant.settings,  # the PostgreSQL URL or the SQLite file
                str(turn["question"]),
                dict(turn["answer"]),
                rating,
                comment or "",
                config_json(self.assistant),
            )
        except AssistantError as exc:
            log.exception("saving feedback failed")
            return render.notice_html(f"Omdömet kunde inte sparas: {exc.message}", "error"), comment
        except Exception as exc:  # e.g. an unwritable disk: say so, keep the page, log the traceback
            log.exception("saving feedback failed")
            msg = f"Omdömet kunde inte sparas ({type(exc).__name__}: {exc})."
            return render.notice_html(msg, "error"), comment
        thumb = "tumme upp" if rating > 0 else "tumme ner"
        return render.notice_html(
            f"Tack! Ditt omdöme ({thumb}) om svar {which + 1} är sparat.", "success"
        ), ""


__all__ = ["FIELDS", "ChatTab"]
