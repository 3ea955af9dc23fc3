"""An OpenAI-compatible chat API beside the UI: `GET /v1/models`, `POST /v1/chat/completions`.

Other chat front-ends use Metodguiden as a model: the messages become the conversation, the answer is
the same cited text as in the UI (with its source list), and the citations, recommended methods and
intent travel in the extra field `metodguiden`. Documented in ui/API.md.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request  # at module level: FastAPI reads the handler's annotation by name

from assistant.errors import AssistantError, BackendError, QuestionError
from assistant.pipeline import Assistant, Turn
from assistant.types import Answer, ContextProfile
from ui.chat import answer_stream

MODEL_ID = "metodguiden"
MAX_MESSAGES = 100
MAX_TOTAL_CHARS = 100_000
ROLES = ("system", "developer", "user", "assistant")


class RequestProblem(Exception):
    """A request the API refuses: HTTP status, message (what was wrong and what to do), offending param."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat request: the question, the conversation before it, an optional profile."""

    question: str
    history: tuple[Turn, ...]
    profile: ContextProfile | None
    stream: bool


def _text(content: Any, where: str) -> str:
    """A message's content: a string, or a list of text parts (the OpenAI content-part shape)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "".join(str(p.get("text", "")) for p in content)
    raise RequestProblem(
        400, f"{where}.content must be a string or a list of text parts, got {type(content).__name__}.", where
    )


def parse_request(body: Any, max_question_chars: int) -> ChatRequest:
    """Check a /v1/chat/completions body; raises RequestProblem naming the field and the fix."""
    if not isinstance(body, dict):
        raise RequestProblem(400, "The request body must be a JSON object with 'messages'.")
    model = body.get("model", MODEL_ID)
    if model not in (MODEL_ID, None, ""):
        raise RequestProblem(
            404, f"The model {model!r} does not exist here; use {MODEL_ID!r}.", "model", "model_not_found"
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestProblem(
            400,
            "'messages' must be a non-empty list of {role, content} objects, the last from the user.",
            "messages",
        )
    if len(messages) > MAX_MESSAGES:
        raise RequestProblem(
            400, f"Too many messages ({len(messages)}); send at most {MAX_MESSAGES}.", "messages"
        )
    turns: list[Turn] = []
    total = 0
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise RequestProblem(400, f"{where} must be an object with 'role' and 'content'.", where)
        role = m.get("role")
        if role not in ROLES:
            raise RequestProblem(400, f"{where}.role must be one of {', '.join(ROLES)}, got {role!r}.", where)
        text = _text(m.get("content"), where)
        total += len(text)
        if role in ("user", "assistant"):
            turns.append(Turn(str(role), text))
    if total > MAX_TOTAL_CHARS:
        raise RequestProblem(
            400,
            f"The conversation is too long ({total} characters; at most {MAX_TOTAL_CHARS}). Start a new one.",
            "messages",
        )
    if messages[-1].get("role") != "user":
        raise RequestProblem(
            400, "The last message must come from the user (role 'user'): it is the question.", "messages"
        )
    question = turns[-1].content
    if len(question) > max_question_chars:
        raise RequestProblem(
            400,
            f"The question is too long ({len(question)} characters; at most {max_question_chars}). Shorten it.",
            "messages",
            "question_too_long",
        )
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise RequestProblem(400, f"'stream' must be true or false, got {stream!r}.", "stream")
    extra = body.get("metodguiden") or {}
    if not isinstance(extra, dict):
        raise RequestProblem(
            400, "'metodguiden' must be an object such as {\"profile\": {...}}.", "metodguiden"
        )
    profile = None
    if extra.get("profile") not in (None, {}):
        if not isinstance(extra["profile"], dict):
            raise RequestProblem(400, "'metodguiden.profile' must be a JSON object.", "metodguiden.profile")
        try:
            profile = ContextProfile.from_json(extra["profile"])
        except (ValueError, TypeError, KeyError) as exc:
            raise RequestProblem(
                400, f"'metodguiden.profile' could not be read: {exc}.", "metodguiden.profile"
            ) from exc
    return ChatRequest(question, tuple(turns[:-1]), profile, stream)


def content_text(answer: Answer) -> str:
    """The answer's cited text with its numbered source list, as a plain chat client shows it."""
    data = answer.to_json()
    text = str(data.get("answer", "")).rstrip()
    cits = data.get("citations") or []
    if not cits:
        return text
    head = "Källor" if data.get("language", "sv") == "sv" else "Sources"
    lines = [
        f"[{c['n']}] {c['title']}"
        + (f" – {c['section']}" if c.get("section") else "")
        + (f" ({c['url']})" if c.get("url") else "")
        for c in cits
    ]
    return f"{text}\n\n{head}:\n" + "\n".join(lines)


def extra_field(answer: Answer) -> dict[str, Any]:
    """The documented extra field: citations, recommended methods, intent and more of the answer JSON."""
    data = answer.to_json()
    keys = (
        "citations",
        "recommended_methods",
        "intent",
        "language",
        "clarifying_question",
        "plan",
        "profile",
        "abstained",
    )
    return {k: data.get(k) for k in keys}


def _error(problem: RequestProblem) -> Any:
    from fastapi.responses import JSONResponse

    kind = "invalid_request_error" if problem.status < 500 else "server_error"
    body = {"error": {"message": problem.message, "type": kind, "param": problem.param, "code": problem.code}}
    return JSONResponse(body, status_code=problem.status)


def _assistant_problem(exc: AssistantError) -> RequestProblem:
    text = f"{exc.message} {exc.hint}".strip()
    if isinstance(exc, QuestionError):
        return RequestProblem(400, text, "messages", "bad_question")
    status = 503 if isinstance(exc, BackendError) else 500
    return RequestProblem(status, text, None, "backend_error")


def _chunk(cid: str, created: int, delta: Mapping[str, Any], finish: str | None = None, **extra: Any) -> str:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": dict(delta), "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def completion(answer: Answer, cid: str, created: int) -> dict[str, Any]:
    """A non-streamed chat.completion object."""
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content_text(answer)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "metodguiden": extra_field(answer),
    }


def stream_events(
    first: tuple[str, Answer | None], rest: Iterator[tuple[str, Answer | None]], cid: str, created: int
) -> Iterator[str]:
    """SSE lines: the role, the text as it is written (an LLM's deltas; a composed answer at once), the
    source list and the extra field with finish_reason 'stop', then [DONE]."""
    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    sent = ""
    answer: Answer | None = None
    try:
        for text, final in _chain(first, rest):
            if final is not None:
                answer = final
                break
            if text.startswith(sent) and len(text) > len(sent):
                yield _chunk(cid, created, {"content": text[len(sent) :]})
                sent = text
    except AssistantError as exc:
        problem = _assistant_problem(exc)
        yield f"data: {json.dumps({'error': {'message': problem.message, 'type': 'server_error'}}, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
        return
    assert answer is not None
    full = content_text(answer)
    # A composed answer arrives whole; an LLM's checked text may differ from its raw deltas at the end.
    rest_text = full[len(sent) :] if full.startswith(sent) else "\n\n" + full
    if rest_text:
        yield _chunk(cid, created, {"content": rest_text})
    yield _chunk(cid, created, {}, "stop", metodguiden=extra_field(answer))
    yield "data: [DONE]\n\n"


def _chain(
    first: tuple[str, Answer | None], rest: Iterator[tuple[str, Answer | None]]
) -> Iterator[tuple[str, Answer | None]]:
    yield first
    yield from rest


def mount_openai_api(app: Any, assistant: Assistant) -> None:
    """Add the /v1 routes to the running FastAPI app (in front of Gradio's own routes)."""
    from fastapi import APIRouter
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse, StreamingResponse

    router = APIRouter()
    started = int(time.time())

    @router.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": started, "owned_by": "metodguiden"}],
        }

    @router.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Any:
        try:
            raw = await request.body()
            try:
                body = json.loads(raw or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise RequestProblem(400, f"The request body is not valid JSON: {exc}.") from exc
            req = parse_request(body, assistant.settings.max_question_chars)
            stream = answer_stream(assistant, req.question, req.history, req.profile)
            try:
                # The first item carries a composed answer, or the LLM's first delta; a bad question fails here.
                first = await run_in_threadpool(next, stream)
            except AssistantError as exc:
                raise _assistant_problem(exc) from exc
        except RequestProblem as problem:
            return _error(problem)
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if req.stream:
            return StreamingResponse(
                stream_events(first, stream, cid, created), media_type="text/event-stream"
            )
        answer = first[1]
        if answer is None:
            try:
                answer = await run_in_threadpool(_last_answer, stream)
            except AssistantError as exc:
                return _error(_assistant_problem(exc))
        return JSONResponse(completion(answer, cid, created))

    before = len(app.router.routes)
    app.include_router(router)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added


def _last_answer(stream: Iterator[tuple[str, Answer | None]]) -> Answer:
    for _, final in stream:
        if final is not None:
            return final
    raise BackendError("The answer ended without a result.", "Try again.")
