"""The `ask --json` contract in README.md, generated from the `Answer` model so the two cannot drift.

`.venv/bin/python -m assistant.answer.contract` prints the README block, `--write` puts it into
README.md (between the contract heading and the next `## ` heading), `--schema` prints the JSON Schema.
tests/assistant/test_contract.py fails when README.md differs from what this module renders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, get_args

from assistant.answer.text import DATA_DIR
from assistant.types import Answer, Intent

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### `ask --json` contract"
EXAMPLE_FILE = DATA_DIR / "answer_example.json"


def example() -> Answer:
    """A small but complete answer (assistant/data/answer_example.json), validated by the model."""
    return Answer.from_json(json.loads(EXAMPLE_FILE.read_text(encoding="utf-8")))


def schema() -> dict[str, Any]:
    """The JSON Schema of an answer as serialised (field names as in the JSON)."""
    return Answer.model_json_schema(by_alias=True, mode="serialization")


def readme_block() -> str:
    """The README text under the contract heading: an example generated from the model, and what it means."""
    data = json.dumps(example().to_json(), ensure_ascii=False, indent=2)
    intents = ", ".join(f"`{i}`" for i in get_args(Intent))
    fields = ", ".join(f"`{k}`" for k in example().to_json())
    return "\n".join(
        [
            "Generated from `assistant.types.Answer` by `.venv/bin/python -m assistant.answer.contract --write`",
            "(`--schema` prints the JSON Schema); `tests/assistant/test_contract.py` fails when this block is out of date.",
            "```json",
            data,
            "```",
            f"Every answer has the keys {fields}. `intent` is one of {intents}.",
            "`profile` is the context the assistant understood (the UI shows it as an editable form), `plan` the",
            "beginning–middle–end process plan when the answer has one (`key` names the template phase), `notes`",
            "diagnostics (instructions in the question ignored, LLM citations removed). `recommended_methods[].reasons`",
            "start with `+` (for) or `−` (against). The UI's `/ask` endpoint and the evaluation harness read the same JSON.",
            "",
        ]
    )


def replace_block(readme: str) -> str:
    """README text with the contract block regenerated."""
    start = readme.index(HEADING) + len(HEADING) + 1
    end = readme.index("\n## ", start) + 1
    return readme[:start] + readme_block() + readme[end:]


def main(argv: list[str]) -> int:
    """Print the block (default), write it into README.md (--write) or print the schema (--schema)."""
    if "--schema" in argv:
        print(json.dumps(schema(), ensure_ascii=False, indent=2))
    elif "--write" in argv:
        README.write_text(replace_block(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(readme_block())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
