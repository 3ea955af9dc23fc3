"""Adopting seen held-out sets as the reader's labelled questions: only sets with a recorded run, never
the gold set, no question that needs its conversation, precondition cases marked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.lexicon import lexicon
from evals.heldout.adopt import ROOT, NotSeen, adopt

HEADER_SEEN = "// Held-out set h9.\n// Run 1 (old code): cases 4  hit@1 0.50  hit@3 0.75\n"


def _case(n: int, **fields: object) -> str:
    case = {
        "id": f"h9-{n:03d}",
        "category": "method_fit",
        "lang": "sv",
        "question": f"Fråga nummer {n} om hur vi når fler unga i Norrby?",
        "expected_methods": ["fokusgrupp"],
        "expected_behavior": "answer",
        "notes": "",
    }
    case.update(fields)
    return json.dumps(case, ensure_ascii=False) + "\n"


def _set(tmp_path: Path, header: str, *cases: str) -> Path:
    path = tmp_path / "2026-12-09-h9.jsonl"
    path.write_text(header + "".join(cases), encoding="utf-8")
    return path


def test_a_seen_set_becomes_labelled_questions(tmp_path: Path) -> None:
    exemplar = lexicon().dimension("intents").get("method_fit").exemplars_sv[0]  # type: ignore[union-attr]
    path = _set(
        tmp_path,
        HEADER_SEEN,
        _case(1),
        _case(2, expected_methods=[], must_cover=["informera|information"], notes="Decided."),
        _case(3, expected_methods=[], notes="Precondition: no mandate."),
        _case(4, category="out_of_scope", expected_methods=[], expected_behavior="refuse_or_redirect"),
        _case(5, history=[{"role": "user", "content": "Vilken metod?"}], question="Och de äldre?"),
        _case(6, question=exemplar),
    )
    out = tmp_path / "questions.jsonl"
    assert adopt([path], out) == 4
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["scope"], r["intent"], r["precondition"]) for r in rows] == [
        ("in", "method_fit", False),
        ("in", "method_fit", True),  # must_cover says inform
        ("in", "method_fit", True),  # the notes say precondition
        ("out", "", False),
    ]
    assert rows[0]["source"] == "2026-12-09-h9.jsonl#h9-001"
    # Only a request for method advice that is no precondition case carries its expected methods.
    assert [r["methods"] for r in rows] == [["fokusgrupp"], [], [], []]
    # Left out: a follow-up needs its conversation, and an exemplar is there already.
    assert "Och de äldre?" not in {r["text"] for r in rows}
    assert exemplar not in {r["text"] for r in rows}


def test_adopting_a_set_keeps_the_sets_adopted_before_and_replaces_its_own_rows(tmp_path: Path) -> None:
    out = tmp_path / "questions.jsonl"
    earlier = {"text": "En äldre fråga?", "scope": "in", "intent": "factual", "precondition": False}
    earlier |= {"methods": [], "source": "2026-12-01-h2.jsonl#h2-001"}
    stale = {
        **earlier,
        "text": "Fråga nummer 1 med en gammal etikett",
        "source": "2026-12-09-h9.jsonl#h9-001",
    }
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (earlier, stale)), encoding="utf-8"
    )
    path = _set(tmp_path, HEADER_SEEN, _case(1), _case(2, question=earlier["text"]))
    assert adopt([path], out) == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # h2 stays; h9's old row is replaced by its new one; a text adopted already is not repeated.
    assert [r["source"] for r in rows] == ["2026-12-01-h2.jsonl#h2-001", "2026-12-09-h9.jsonl#h9-001"]
    assert rows[1]["text"] == "Fråga nummer 1 om hur vi når fler unga i Norrby?"


def test_an_unseen_set_or_the_gold_set_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    unseen = _set(tmp_path, "// Held-out set h9, written before any run.\n", _case(1))
    out = tmp_path / "questions.jsonl"
    with pytest.raises(NotSeen, match="records no run"):
        adopt([unseen], out)
    with pytest.raises(NotSeen, match="gold set"):
        adopt([ROOT / "evals" / "gold" / "method_fit.jsonl"], out)
    assert not out.exists()
    script = ROOT / "evals" / "heldout" / "adopt.py"
    done = subprocess.run(
        [sys.executable, str(script), str(unseen), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert "still unseen; run it first" in done.stderr


def test_the_shipped_questions_come_from_seen_sets_only() -> None:
    """Every adopted set records runs in its header; the newest set is adopted only after its first run."""
    for question in lexicon().questions:
        name = question.source.split("#")[0]
        assert name, question
        header = (ROOT / "evals" / "heldout" / name).read_text(encoding="utf-8").split("\n{", 1)[0]
        assert "hit@3" in header, name
