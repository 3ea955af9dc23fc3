"""The trainers' tab, behind a login: add documents, reindex, corpus overview, review feedback."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.feedback import store_for
from assistant.pipeline import Assistant
from ui import render
from ui.feedback import list_feedback
from ui.i18n import t, ui_lang
from ui.login_throttle import LoginThrottle, client_of
from ui.trainer_ops import (
    ReindexJob,
    Reviewed,
    add_to_corpus,
    check_login,
    corpus_overview,
    export_candidates,
    overview_markdown,
    review_uploads,
    trainer_configured,
)
from ui.uploads import discard, gradio_upload_folder

log = logging.getLogger(__name__)
GOLD_DIR = Path(__file__).resolve().parent.parent / "evals" / "gold"  # data only: ui does not import evals
STATUS_TEXT = {"ok": "Klar att läggas till", "draft": "Behöver kompletteras", "refused": "Avvisad"}


def locked_text(wait_s: float) -> str:
    """What a locked-out client reads."""
    minutes = max(1, round(wait_s / 60))
    return (
        f"För många misslyckade inloggningar. Inloggningen är spärrad i {minutes} minut"
        f"{'er' if minutes > 1 else ''} till; försök igen sedan."
    )


def review_html(items: Sequence[Reviewed]) -> str:
    """The per-file result of a review as an accessible table."""
    if not items:
        return render.empty_html("Inga filer granskade", "Välj filer ovan och klicka på Granska filerna.")
    rows = []
    for r in items:
        what = r.title or r.doc_id
        detail = "".join(f"<li>{render.esc(p)}</li>" for p in r.problems)
        notes = "".join(f"<li>{render.esc(n)}</li>" for n in r.notes)
        body = (f"<ul>{detail}</ul>" if detail else "Inga fel.") + (
            f"<details><summary>Anteckningar</summary><ul>{notes}</ul></details>" if notes else ""
        )
        rows.append(
            f'<tr class="mg-review-{r.status}"><td>{render.esc(r.name)}</td>'
            f"<td><strong>{STATUS_TEXT[r.status]}</strong>{'<br>' + render.esc(what) if what else ''}</td>"
            f"<td>{body}</td></tr>"
        )
    ok = sum(1 for r in items if r.status == "ok")
    summary = (
        f"<p>{ok} av {len(items)} filer kan läggas till. Filer med fel läggs inte till; rätta dem och ladda upp "
        "dem igen.</p>"
    )
    return (
        f'{summary}<table class="mg-review"><caption>Resultat av granskningen</caption>'
        '<thead><tr><th scope="col">Fil</th><th scope="col">Resultat</th><th scope="col">Det här behöver åtgärdas'
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def feedback_html(rows: Sequence[dict[str, Any]]) -> str:
    """Stored ratings as a table."""
    if not rows:
        return render.empty_html("Inga omdömen", "Inga omdömen matchar filtret ännu.")
    body = []
    for r in rows:
        answer = r["answer"] if isinstance(r["answer"], dict) else {}
        methods = ", ".join(m.get("title", "") for m in answer.get("recommended_methods", [])) or "–"
        rating = "👍 Bra" if r["rating"] > 0 else "👎 Dåligt"
        body.append(
            f"<tr><td>{render.esc(r['created_at'])}</td><td>{rating}</td><td>{render.esc(r['question'])}</td>"
            f"<td>{render.esc(r['comment'] or '–')}</td><td>{render.esc(methods)}</td>"
            f"<td>{len(answer.get('citations', []))}</td></tr>"
        )
    return (
        '<table class="mg-feedback"><caption>Omdömen, nyaste först</caption><thead><tr>'
        '<th scope="col">Tid (UTC)</th><th scope="col">Omdöme</th><th scope="col">Fråga</th>'
        '<th scope="col">Kommentar</th><th scope="col">Rekommenderade metoder</th><th scope="col">Källor</th>'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


class TrainerTab:
    """Builds the trainer tab; every handler checks the session's login on the server."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.job = ReindexJob(assistant)
        self.throttle = LoginThrottle()

    def relabel(self, lang: str) -> dict[Any, Any]:
        """The tab's texts for officials in `lang` (the trainers' own tools stay Swedish)."""
        return {self.disabled: t("trainer.disabled", ui_lang(lang))} if self.disabled is not None else {}

    def relabel_outputs(self) -> list[Any]:
        """The components relabel() updates."""
        return [self.disabled] if self.disabled is not None else []

    def build(self) -> None:
        """Create the components (inside a gr.Tab) and their events."""
        import gradio as gr

        self.disabled: Any = None
        if not trainer_configured(self.settings):
            # Officials see who to ask, not how to configure the server (that is in the README).
            self.disabled = gr.Markdown(t("trainer.disabled"), elem_id="trainer-disabled")
            return
        self.ok = gr.State(False)
        with gr.Column(visible=True) as self.login_box:
            gr.Markdown(
                "### Logga in som utbildare\nHär lägger utbildare till dokument och granskar omdömen."
            )
            self.user = gr.Textbox(label="Användarnamn", elem_id="trainer-user")
            self.password = gr.Textbox(label="Lösenord", type="password", elem_id="trainer-password")
            self.login = gr.Button("Logga in", variant="primary", elem_id="trainer-login")
            self.login_msg = gr.HTML(render.notice_html(""), elem_id="trainer-login-msg")
        with gr.Column(visible=False, elem_id="trainer-area") as self.area:
            self.logout = gr.Button("Logga ut", elem_id="trainer-logout", size="sm")
            with gr.Tabs():
                with gr.Tab("Lägg till dokument", id="upload"):
                    self._upload_section()
                with gr.Tab("Kunskapsbasen", id="overview"):
                    self.overview = gr.Markdown(elem_id="corpus-overview")
                    self.overview_btn = gr.Button("Uppdatera översikten", elem_id="corpus-refresh")
                with gr.Tab("Omdömen", id="feedback"):
                    self._feedback_section()
        self._wire()

    def _upload_section(self) -> None:
        import gradio as gr

        gr.Markdown(
            "Ladda upp Markdown med framsida (front matter), PDF, Word (.docx), HTML eller text. Filerna granskas "
            "först; inget läggs till i kunskapsbasen förrän du klickar på *Lägg till och indexera*. Chatten "
            "svarar från det gamla indexet medan det nya byggs."
        )
        self.files = gr.File(
            label="Dokument att lägga till",
            file_count="multiple",
            file_types=[".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"],
            elem_id="upload-files",
        )
        self.review_btn = gr.Button("Granska filerna", elem_id="upload-review", variant="primary")
        self.reviewed = gr.State([])
        self.review_out = gr.HTML(review_html([]), elem_id="upload-result")
        with gr.Row():
            self.add_btn = gr.Button("Lägg till och indexera", elem_id="upload-add", interactive=False)
            self.reindex_btn = gr.Button("Indexera om kunskapsbasen", elem_id="reindex")
        self.progress = gr.HTML(render.notice_html(""), elem_id="reindex-progress")
        self.timer = gr.Timer(1.0, active=False)

    def _feedback_section(self) -> None:
        import gradio as gr

        self.fb_filter = gr.Radio(
            [("Alla omdömen", "all"), ("Bara tumme ner", "bad")],
            value="all",
            label="Visa",
            elem_id="feedback-filter",
        )
        self.fb_table = gr.HTML(elem_id="feedback-table")
        self.fb_refresh = gr.Button("Uppdatera listan", elem_id="feedback-refresh")
        self.fb_export = gr.Button(
            "Exportera tumme ner som kandidater till guldfrågor (JSONL)", elem_id="feedback-export"
        )
        self.fb_file = gr.File(label="Exporterad fil", elem_id="feedback-file", interactive=False)
        self.fb_msg = gr.HTML(render.notice_html(""), elem_id="feedback-msg")

    def _wire(self) -> None:
        import gradio as gr

        private: dict[str, Any] = {"api_visibility": "private"}
        after_login = [
            self.ok,
            self.login_box,
            self.area,
            self.login_msg,
            self.password,
            self.overview,
            self.fb_table,
        ]

        def login(user: str, password: str, fb_filter: str, request: gr.Request) -> tuple[Any, ...]:
            return self.do_login(user, password, fb_filter, client_of(request))

        login.__annotations__["request"] = gr.Request  # resolved here, so Gradio injects the request
        gr.on(
            [self.login.click, self.password.submit],
            login,
            [self.user, self.password, self.fb_filter],
            after_login,
            **private,
        )
        self.logout.click(
            lambda: (False, gr.Column(visible=True), gr.Column(visible=False)),
            None,
            [self.ok, self.login_box, self.area],
            **private,
        )
        self.review_btn.click(
            self.review, [self.ok, self.files], [self.reviewed, self.review_out, self.add_btn], **private
        )
        self.add_btn.click(
            self.add_and_index,
            [self.ok, self.reviewed],
            [self.progress, self.timer, self.add_btn, self.reviewed],
            **private,
        )
        self.reindex_btn.click(self.reindex, self.ok, [self.progress, self.timer], **private)
        self.timer.tick(self.poll, self.ok, [self.progress, self.timer, self.overview], **private)
        self.overview_btn.click(self.overview_text, self.ok, self.overview, **private)
        gr.on(
            [self.fb_filter.change, self.fb_refresh.click],
            self.feedback_rows,
            [self.ok, self.fb_filter],
            self.fb_table,
            **private,
        )
        self.fb_export.click(self.export, self.ok, [self.fb_file, self.fb_msg], **private)

    # --- handlers ------------------------------------------------------------------------------------

    def do_login(self, user: str, password: str, fb_filter: str, client: str = "unknown") -> tuple[Any, ...]:
        """Check the credentials (throttled per client); open the trainer area on success."""
        import gradio as gr

        refused = (False, gr.Column(visible=True), gr.Column(visible=False))
        wait = self.throttle.locked_for(client)
        if wait > 0:  # locked out: the password is not even checked
            return (*refused, render.notice_html(locked_text(wait), "error"), "", gr.skip(), gr.skip())
        try:
            ok = check_login(self.settings, user or "", password or "")
        except AssistantError as exc:
            msg = render.notice_html(f"Inloggningen är felkonfigurerad: {exc.message}", "error")
            return False, gr.skip(), gr.skip(), msg, "", gr.skip(), gr.skip()
        if not ok:
            time.sleep(self.throttle.failure(client))
            wait = self.throttle.locked_for(client)
            text = locked_text(wait) if wait > 0 else "Fel användarnamn eller lösenord."
            return (*refused, render.notice_html(text, "error"), "", gr.skip(), gr.skip())
        self.throttle.success(client)
        return (
            True,
            gr.Column(visible=False),
            gr.Column(visible=True),
            render.notice_html("Inloggad.", "success"),
            "",
            self.overview_text(True),
            self.feedback_rows(True, fb_filter),
        )

    def review(self, ok: bool, files: list[Any] | None) -> tuple[Any, ...]:
        """Import and validate the uploads in a staging folder; nothing enters the corpus yet."""
        import gradio as gr

        if not ok:
            return [], render.notice_html("Logga in först.", "error"), gr.Button(interactive=False)
        pairs = []
        for f in files or []:
            path = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
            pairs.append((path, path.name))
        if not pairs:
            return (
                [],
                render.notice_html("Välj minst en fil att granska.", "warning"),
                gr.Button(interactive=False),
            )
        staging = self.settings.data_dir / "uploads"
        items = review_uploads(pairs, staging, self.settings.corpus_dirs)
        discard([p for p, _ in pairs], gradio_upload_folder())  # the converted copies wait in staging
        any_ok = any(r.status == "ok" for r in items)
        return (
            [r.to_json() for r in items],
            review_html(items),
            gr.Button(interactive=any_ok, variant="primary"),
        )

    def add_and_index(self, ok: bool, reviewed: list[dict[str, Any]]) -> tuple[Any, ...]:
        """Move the valid documents into the corpus and start a background reindex."""
        import gradio as gr

        if not ok:
            return (
                render.notice_html("Logga in först.", "error"),
                gr.Timer(active=False),
                gr.skip(),
                gr.skip(),
            )
        items = [Reviewed.from_json(r) for r in reviewed or []]
        added, problems = add_to_corpus(items, self.settings.corpus_dirs[0])
        if not added:
            text = "Inget lades till. " + " ".join(problems)
            return (
                render.notice_html(text.strip(), "warning"),
                gr.Timer(active=False),
                gr.Button(interactive=False),
                [],
            )
        started = self.job.start()
        names = ", ".join(p.name for p in added)
        text = f"Lade till {names}." + (" " + " ".join(problems) if problems else "")
        if not started:
            text += " En indexering pågår redan; klicka på Indexera om kunskapsbasen när den är klar."
        return render.notice_html(text, "info"), gr.Timer(active=started), gr.Button(interactive=False), []

    def reindex(self, ok: bool) -> tuple[Any, ...]:
        """Rebuild the index from the corpus as it is now."""
        import gradio as gr

        if not ok:
            return render.notice_html("Logga in först.", "error"), gr.Timer(active=False)
        if not self.job.start():
            return render.notice_html("En indexering pågår redan.", "info"), gr.Timer(active=True)
        return render.progress_html("Läser korpusen", 0, 0), gr.Timer(active=True)

    def poll(self, ok: bool) -> tuple[Any, ...]:
        """Progress of the running reindex; stops the timer when it ends."""
        import gradio as gr

        if not ok:
            return gr.skip(), gr.Timer(active=False), gr.skip()
        s = self.job.state
        if s.status == "running":
            return render.progress_html(s.step, s.done, s.total), gr.Timer(active=True), gr.skip()
        if s.status == "done":
            return render.notice_html(s.message, "success"), gr.Timer(active=False), self.overview_text(True)
        if s.status == "failed":
            msg = s.message + " Det gamla indexet används fortfarande."
            return render.notice_html(msg, "error"), gr.Timer(active=False), gr.skip()
        return gr.skip(), gr.Timer(active=False), gr.skip()

    def overview_text(self, ok: bool) -> str:
        """The corpus overview."""
        if not ok:
            return "Logga in först."
        self.assistant.refresh()
        return overview_markdown(corpus_overview(self.assistant))

    def feedback_rows(self, ok: bool, which: str) -> str:
        """The feedback table, all or thumbs down only."""
        if not ok:
            return render.notice_html("Logga in först.", "error")
        try:
            rows = list_feedback(self.settings, only_bad=which == "bad")
        except AssistantError as exc:
            return render.notice_html(f"Omdömena kunde inte läsas: {exc.message}", "error")
        return feedback_html(rows)

    def export(self, ok: bool) -> tuple[Any, str]:
        """Thumbs-down answers as candidate gold cases (JSONL) for review."""
        if not ok:
            return None, render.notice_html("Logga in först.", "error")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(tempfile.mkdtemp(prefix="metodguiden-gold-")) / f"guldkandidater-{stamp}.jsonl"
        gold_dir = GOLD_DIR
        try:
            n = export_candidates(store_for(self.settings), out, gold_dir)
        except AssistantError as exc:
            return None, render.notice_html(f"Exporten misslyckades: {exc.message}", "error")
        if n == 0:
            return str(out), render.notice_html(
                "Inga nya svar med tumme ner att exportera (filen är tom).", "info"
            )
        return str(out), render.notice_html(
            f"{n} kandidater exporterade. Granska dem och fyll i förväntade metoder innan de läggs i guldfrågorna.",
            "success",
        )
