"""A real OpenAI-compatible `/v1/embeddings` server for tests: FastAPI + uvicorn, backed by a real model.

infinity-emb would be the off-the-shelf choice, but it pulls its own torch build and more; this server
speaks the same protocol over real HTTP with the installed all-MiniLM-L6-v2 (see tests/assistant/test_embedding_service.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ServerState:
    """Knobs a test turns: fail the next requests, answer slowly, count what arrives."""

    fail_next: int = 0
    delay_s: float = 0.0
    requests: list[int] = field(default_factory=list)  # batch sizes received


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_app(model_path: str, model_name: str, state: ServerState) -> Any:
    """The app: POST /v1/embeddings and GET /v1/models, as Infinity, vLLM and TEI serve them."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model"}]}

    @app.post("/v1/embeddings")
    def embeddings(body: dict[str, Any]) -> Any:
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        state.requests.append(len(inputs))
        if state.delay_s:
            time.sleep(state.delay_s)
        if state.fail_next > 0:
            state.fail_next -= 1
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=503)
        if body.get("model") != model_name:
            return JSONResponse(
                {"error": {"message": f"model {body.get('model')!r} not found"}}, status_code=404
            )
        vectors = model.encode(inputs, normalize_embeddings=True, convert_to_numpy=True)
        return {
            "object": "list",
            "model": model_name,
            "data": [
                {"object": "embedding", "index": i, "embedding": [float(x) for x in v]}
                for i, v in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    return app


@contextmanager
def serve(model_path: str, model_name: str) -> Iterator[tuple[str, ServerState]]:
    """Run the server in a thread on a free local port; yields (base URL ending in /v1, state)."""
    import uvicorn

    state = ServerState()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(model_path, model_name, state), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test embeddings server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/v1", state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
