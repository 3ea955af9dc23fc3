"""Leave-one-set-out figures for the reading of the question: for each adopted held-out set, the reader is
fitted again without that set's labelled questions and reads the set (scope refusals, intent, preconditions).

It reads with the real pipeline (`Assistant.understand`: the real embedder, the closest-passage check, the
rules) and only swaps the fitted reader, so its figures are what that set's first run would have shown for
the reading, had the set not been adopted. Older sets are optimistic all the same: their failures shaped
exemplars and cues before they were adopted.

Usage: python evals/heldout/loso.py [SET.jsonl ...]   (default: every set whose questions were adopted)
Needs the installed model and an index (`metodguiden index`).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DECIDED = {"already_decided", "nothing_to_influence", "maybe_decided"}


def _cases(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip() and not x.startswith("//")]


def main(paths: list[Path]) -> int:
    import os

    from assistant.config import load_settings
    from assistant.lexicon import lexicon
    from assistant.pipeline import Assistant, Turn
    from assistant.semantic import SIMILAR, SemanticReader, exemplar_vectors, fit, reader_dir, training_set
    from evals.heldout.stats import is_precondition

    settings = load_settings(dict(os.environ))
    assistant = Assistant.from_settings(settings)
    lex = lexicon()
    sources = {q.source.split("#", 1)[0] for q in lex.questions}
    paths = paths or sorted(p for p in HERE.glob("*.jsonl") if p.name in sources)
    folder = reader_dir(settings.model_dir)
    # Labelled questions teach scope, intent and the preconditions only (see semantic.training_set): the other
    # dimensions are fitted once, and only these again per set.
    per_set = ("scope", "intents", "preconditions", SIMILAR)
    texts, labels = training_set(lex)
    vectors = exemplar_vectors(assistant.embedder.inner, texts, folder)
    shared = fit(vectors, {k: v for k, v in labels.items() if k not in per_set or k == "scope"})
    totals = dict.fromkeys(
        ("out", "out_refused", "in", "in_refused", "intent", "pre", "pre_found", "flags"), 0
    )
    for path in paths:
        kept = tuple(q for q in lex.questions if q.source.split("#", 1)[0] != path.name)
        texts, labels = training_set(dataclasses.replace(lex, questions=kept))
        vectors = exemplar_vectors(assistant.embedder.inner, texts, folder)
        own = fit(vectors, {k: v for k, v in labels.items() if k in per_set})
        reader = SemanticReader({**shared, **own})
        assistant._reader = reader  # the only swap: everything else reads as in production
        row = dict.fromkeys(totals, 0)
        misses: list[str] = []
        for case in _cases(path):
            history = [Turn(t["role"], t["content"]) for t in case.get("history") or ()]
            u = assistant.understand(case["question"], history)
            refused = u.intent == "out_of_scope"
            if case["category"] == "out_of_scope":
                row["out"] += 1
                row["out_refused"] += refused
                if not refused:
                    misses.append(f"kept {case['id']}: {case['question'][:90]}")
                continue
            row["in"] += 1
            row["in_refused"] += refused
            row["intent"] += u.intent == case["category"]
            flagged = bool(DECIDED & set(u.preconditions))
            if is_precondition(case):
                row["pre"] += 1
                row["pre_found"] += flagged
            else:
                row["flags"] += flagged
            if refused:
                misses.append(f"refused {case['id']}: {case['question'][:90]}")
        for k, v in row.items():
            totals[k] += v
        print(_line(path.name, row), flush=True)
        for m in misses:
            print("   ", m)
    print(_line("all", totals))
    return 0


def _line(name: str, r: dict[str, int]) -> str:
    return (
        f"{name:26} out-of-scope refused {r['out_refused']}/{r['out']}  in-scope refused {r['in_refused']}/{r['in']}"
        f"  intent {r['intent']}/{r['in']}  preconditions found {r['pre_found']}/{r['pre']}"
        f"  other questions flagged {r['flags']}"
    )


if __name__ == "__main__":
    sys.exit(main([Path(p) for p in sys.argv[1:]]))
