"""An embedder behind an OpenAI-compatible `/v1/embeddings` endpoint (vLLM, Infinity, TEI, Ollama, llama.cpp).

For deployments that outgrow one machine: `METODGUIDEN_EMBEDDER=openai:<model>` and
`METODGUIDEN_EMBEDDINGS_BASE_URL=http://host:port/v1`. Texts go in batches, each request has a
timeout and is retried on connection errors, 429 and 5xx; a server that does not serve the model,
or returns vectors of another size than the index holds, is a clear error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.embeddings import Role
from assistant.errors import BackendError, ConfigError

PREFIX = "openai:"
RETRIES = 3
BATCH = 64  # texts per request: servers batch on their side, so fewer round trips is what matters


class OpenAIEmbedder:
    """Vectors from a server's `/embeddings` endpoint; the model is named `openai:<model>`."""

    def __init__(
        self,
        base_url: str,
        model: str,
        key: str,
        *,
        api_key: str = "",
        timeout_s: float = 30,
        batch_size: int = BATCH,
        retries: int = RETRIES,
    ) -> None:
        import httpx

        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.key = key
        self.batch_size = max(1, batch_size)
        self.retries = max(1, retries)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)
        self.dim = int(self._post(["dimension probe"]).shape[1])
        # Vectors are interchangeable only from the same model at the same size.
        self.identity = f"{PREFIX}{model}|dim:{self.dim}"

    @classmethod
    def from_settings(cls, settings: Settings, key: str) -> OpenAIEmbedder:
        """Build from `openai:<model>` and the embeddings_* settings."""
        model = settings.embedder[len(PREFIX) :].strip()
        if not model:
            raise ConfigError("The embedder 'openai:' names no model.", hint="Use e.g. openai:bge-m3.")
        if not settings.embeddings_base_url:
            raise ConfigError(
                f"The embedder {settings.embedder!r} needs the endpoint's address.",
                hint="Set METODGUIDEN_EMBEDDINGS_BASE_URL, e.g. http://127.0.0.1:7997/v1.",
            )
        return cls(
            settings.embeddings_base_url,
            model,
            key,
            api_key=settings.embeddings_api_key,
            timeout_s=settings.embeddings_timeout_s,
        )

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Unit vectors for texts, in batches; the server's model sees no query/document prompt."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._post(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)
        ]
        out = np.concatenate(parts)
        if out.shape[1] != self.dim:
            raise BackendError(
                f"The endpoint {self.url} now returns {out.shape[1]}-dimensional vectors for {self.model!r}, "
                f"not {self.dim}: it serves another model than before.",
                hint="Point METODGUIDEN_EMBEDDINGS_BASE_URL at the server the index was built with, "
                "or rebuild it with `metodguiden index --full`.",
            )
        return out

    def _post(self, texts: list[str]) -> np.ndarray:
        import httpx

        problem = ""
        for attempt in range(self.retries):
            if attempt:
                time.sleep(0.5 * 2 ** (attempt - 1))
            try:
                response = self._client.post(self.url, json={"model": self.model, "input": texts})
            except httpx.TimeoutException:
                problem = "did not answer in time"
                continue
            except httpx.HTTPError as exc:
                problem = f"could not be reached ({exc})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"answered HTTP {response.status_code}"
                continue
            if response.status_code in (400, 404, 422):
                raise BackendError(
                    f"The endpoint {self.url} refused the model {self.model!r} "
                    f"(HTTP {response.status_code}: {response.text[:200]}).",
                    hint="Check the model name after 'openai:' against the models the server lists (/v1/models).",
                )
            if response.status_code in (401, 403):
                raise BackendError(
                    f"The endpoint {self.url} refused the key (HTTP {response.status_code}).",
                    hint="Set METODGUIDEN_EMBEDDINGS_API_KEY.",
                )
            if response.status_code != 200:
                raise BackendError(f"The endpoint {self.url} answered HTTP {response.status_code}.")
            return _vectors(response.json(), len(texts), self.url)
        raise BackendError(
            f"The embeddings endpoint {self.url} {problem} after {self.retries} tries.",
            hint="Check that the server runs and METODGUIDEN_EMBEDDINGS_BASE_URL points at it; "
            "raise METODGUIDEN_EMBEDDINGS_TIMEOUT_S for a slow one.",
        )


def _vectors(body: Any, expected: int, url: str) -> np.ndarray:
    """The `data[].embedding` arrays in input order, L2-normalised."""
    try:
        rows = sorted(body["data"], key=lambda row: int(row.get("index", 0)))
        vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
    except (KeyError, TypeError, ValueError) as exc:
        raise BackendError(
            f"The endpoint {url} did not answer in the OpenAI embeddings format ({exc})."
        ) from None
    if vectors.ndim != 2 or len(vectors) != expected:
        raise BackendError(f"The endpoint {url} returned {len(vectors)} vectors for {expected} texts.")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = (vectors / norms).astype(np.float32)
    return out
