"""The chat UI: Swedish first, answers with their cited sources; `/ask` is the named API endpoint."""

from __future__ import annotations

import html
from typing import Any

from assistant.errors import AssistantError, QuestionError
from assistant.pipeline import Assistant, Turn

EXAMPLES = [
    "Vilken metod passar för att nå unga 16–25 år om ett nytt fritidsområde?",
    "Hur går ett medborgarråd till, från inbjudan till återkoppling?",
    "Vad kostar en medborgarbudget och hur lång tid tar den?",
    "When should we use a focus group instead of a survey?",
]


def format_answer(data: dict[str, Any]) -> str:
    """Answer text followed by a numbered list of its sources, as Markdown."""
    parts = [data["answer"]]
    if data.get("clarifying_question"):
        parts.append(f"*{data['clarifying_question']}*")
    if data["citations"]:
        heading = "Källor" if data["language"] == "sv" else "Sources"
        lines = [f"**{heading}**"]
        for c in data["citations"]:
            section = f" – {c['section']}" if c["section"] else ""
            link = f" ([källa]({c['url']}))" if c["url"] else ""
            lines.append(f"{c['n']}. {html.escape(c['title'])}{html.escape(section)}{link}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


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
    """Chat history from the UI as Turns."""
    turns = []
    for m in history or []:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant"):
            turns.append(Turn(m["role"], _content_text(m.get("content"))))
    return turns


def answer_json(assistant: Assistant, question: str, history: list[Any] | None = None) -> dict[str, Any]:
    """The same JSON as `metodguiden ask --json`; a bad question gives an `error` field instead of a crash."""
    try:
        return assistant.ask(question, history_turns(history or [])).to_json()
    except QuestionError as exc:
        return {"error": exc.message, "hint": exc.hint}


def build_app(assistant: Assistant) -> Any:
    """The Gradio Blocks app."""
    import gradio as gr

    def respond(message: str, history: list[Any]) -> tuple[list[Any], str]:
        history = list(history or [])
        try:
            data = assistant.ask(message, history_turns(history)).to_json()
            reply = format_answer(data)
        except QuestionError as exc:
            reply = f"⚠️ {exc.message} {exc.hint}".strip()
        except AssistantError as exc:
            reply = f"⚠️ Något gick fel: {exc.message} {exc.hint}".strip()
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
        return history, ""

    def api_ask(question: str) -> dict[str, Any]:
        return answer_json(assistant, question)

    with gr.Blocks(title="Metodguiden") as demo:
        gr.Markdown(
            "# Metodguiden\nFråga om metoder för medborgardialog – vilken metod passar er, och varför. "
            "Varje svar visar källorna det bygger på."
        )
        chat = gr.Chatbot(elem_id="chat", label="Samtal", height=520)
        with gr.Row():
            question = gr.Textbox(
                elem_id="question", label="Din fråga", placeholder="Skriv din fråga här …", scale=5, lines=2
            )
            send = gr.Button("Skicka", elem_id="send", variant="primary", scale=1)
        gr.Examples(EXAMPLES, inputs=question, label="Exempel på frågor")
        send.click(respond, [question, chat], [chat, question], api_name="chat")
        question.submit(respond, [question, chat], [chat, question], api_name=False)
        api_in = gr.Textbox(visible=False)
        api_out = gr.JSON(visible=False)
        api_btn = gr.Button(visible=False)
        api_btn.click(api_ask, api_in, api_out, api_name="ask")
    return demo


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the app until interrupted."""
    build_app(assistant).queue(default_concurrency_limit=2).launch(
        server_name=host, server_port=port, show_error=False, share=False
    )
