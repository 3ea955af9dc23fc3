"""Adopt held-out sets that are no longer unseen as the reader's labelled questions.

A held-out set measures generalisation until its first run; after that its questions are the most
realistic training data there is: whole questions written by someone who read no code. This adds
their texts with scope and intent to `assistant/lexicon/questions.jsonl` (sets adopted before stay), which
the semantic reader learns from (scope and intent), and, for requests for method advice, the methods the set expects (a
similar new question leans towards them). A set whose header records no run (no `hit@3` figure) is refused:
it is still unseen, and adopting it would spend the only honest measurement it can give.

Cases with a conversation history are left out: the question alone does not carry their meaning.
The gold set (`evals/gold/`) is never adopted: the CI gate scores it.

Usage: python evals/heldout/adopt.py SET.jsonl [SET.jsonl ...] [--out assistant/lexicon/questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.lexicon import FOLDER, QUESTIONS_FILE, lexicon, read_questions
from evals.heldout.stats import is_precondition

ROOT = Path(__file__).resolve().parents[2]


class NotSeen(ValueError):
    """A set whose header records no run: it is still unseen."""


def header(path: Path) -> str:
    """The set's comment lines (its description and the runs recorded on it)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.lstrip().startswith("//"))


def labelled(path: Path, known: set[str]) -> Iterable[dict[str, object]]:
    """The set's questions without history, labelled; `known` texts (exemplars, earlier rows) are skipped."""
    if path.resolve().is_relative_to((ROOT / "evals" / "gold").resolve()):
        raise NotSeen(f"{path}: the gold set is scored by the CI gate and is never adopted.")
    if "hit@3" not in header(path):
        raise NotSeen(f"{path}: its header records no run, so it is still unseen; run it first.")
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        case = json.loads(line)
        text = str(case["question"]).strip()
        if case.get("history") or text in known:
            continue
        known.add(text)
        out = case["expected_behavior"] == "refuse_or_redirect"
        precondition = is_precondition(case)
        advice = case["category"] == "method_fit" and not out and not precondition
        yield {
            "text": text,
            "scope": "out" if out else "in",
            "intent": "" if out else str(case["category"]),
            "precondition": precondition,
            "methods": [str(m) for m in case.get("expected_methods") or ()] if advice else [],
            "source": f"{path.name}#{case['id']}",
        }


def _earlier(out: Path, replaced: set[str]) -> list[dict[str, object]]:
    """The rows already in `out` from sets other than `replaced` (file names), in their order.

    They are read by the lexicon's own reader, so a damaged row stops the adoption with its line number.
    """
    if not out.exists():
        return []
    questions = read_questions(out, lexicon().dimensions)
    return [
        {
            "text": q.text,
            "scope": q.scope,
            "intent": q.intent,
            "precondition": q.precondition,
            "methods": list(q.methods),
            "source": q.source,
        }
        for q in questions
        if q.source.split("#", 1)[0] not in replaced
    ]


def adopt(sets: Sequence[Path], out: Path) -> int:
    """Add the labelled questions of `sets` to `out`; returns how many rows it holds now.

    Sets adopted earlier stay; a set adopted again replaces its own rows (its labels may have been corrected).
    """
    lex = lexicon()
    known = {t for dim in lex.dimensions.values() for v in dim.values for t in v.exemplars}
    rows = _earlier(out, {p.name for p in sets})
    known |= {str(r["text"]) for r in rows}
    rows += [row for path in sets for row in labelled(path, known)]
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(out)
    return len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=FOLDER / QUESTIONS_FILE)
    args = parser.parse_args(argv)
    try:
        n = adopt(args.sets, args.out)
    except NotSeen as exc:
        print(f"Inget antogs: {exc}", file=sys.stderr)
        return 2
    print(
        f"{args.out} har nu {n} frågor ({len(args.sets)} set lades till). Passa in läsaren igen (metodguiden index)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
