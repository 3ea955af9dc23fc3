"""Optional LLM judge over an OpenAI-compatible endpoint; the evaluation skips it when none is configured."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.errors import BackendError

PROMPT = (
    "Du bedömer svar från en rådgivare om medborgardialog. Fråga:\n{question}\n\nSvar:\n{answer}\n\n"
    "Källutdrag som svaret hänvisar till:\n{quotes}\n\n"
    "Hur väl besvarar svaret frågan, korrekt och enbart utifrån källutdragen? "
    "Svara med en enda siffra från 1 (inte alls) till 5 (helt)."
)


def parse_grade(text: str) -> float | None:
    """The first digit 1–5 in the reply, scaled to 0–1; None when there is none."""
    found = re.search(r"\b([1-5])\b", text)
    return None if found is None else (int(found.group(1)) - 1) / 4


class LLMJudge:
    """Grades answers with a chat model at `{base_url}/chat/completions`."""

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 60.0) -> None:
        import httpx

        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def score(self, question: str, answer: str, quotes: Sequence[str]) -> float | None:
        """0–1, or None when the reply holds no grade."""
        import httpx

        body: dict[str, Any] = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {
                    "role": "user",
                    "content": PROMPT.format(
                        question=question,
                        answer=answer,
                        quotes="\n".join(f"[{i}] {q}" for i, q in enumerate(quotes, start=1)) or "(inga)",
                    ),
                }
            ],
        }
        try:
            reply = self._client.post("/chat/completions", json=body)
            reply.raise_for_status()
            text = reply.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise BackendError(
                f"The judge endpoint {self._client.base_url} failed: {exc}.",
                hint="Check --judge-url and --judge-model, or leave them out to skip the judge.",
            ) from None
        return parse_grade(str(text))
