"""The `ask --json` contract: one pydantic model, and the README block generated from it."""

from __future__ import annotations

from typing import get_args

from assistant.answer.contract import README, example, readme_block, replace_block, schema
from assistant.types import Answer, Intent


def test_readme_contract_is_generated_from_the_answer_model() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_block() in readme, (
        "README.md is out of date: run .venv/bin/python -m assistant.answer.contract --write"
    )
    assert replace_block(readme) == readme


def test_the_example_round_trips_and_the_schema_names_every_key() -> None:
    data = example().to_json()
    assert Answer.from_json(data) == example()
    props = schema()["properties"]
    assert list(props) == list(data)  # the schema and the JSON use the same names, in the same order
    assert data["answer"] == example().text
    assert set(props["intent"]["enum"]) == set(get_args(Intent))


def test_answers_with_an_unknown_intent_are_refused() -> None:
    data = {**example().to_json(), "intent": "method_facts"}
    try:
        Answer.from_json(data)
    except ValueError as exc:
        assert "intent" in str(exc)
    else:
        raise AssertionError("an unknown intent was accepted")
