"""Leave-one-set-out figures for the reading of the question: for each adopted held-out set, the reader is
fitted again without that set's labelled questions and reads the set (scope refusals, intent, preconditions).

It reads with the real pipeline (`Assistant.understand`: the real embedder, the closest-passage check, the
rules) and only swaps the fitted reader, so its figures are what that set's first run would have shown for
the reading, had the set not been adopted. Older sets are optimistic all the same: their failures shaped
exemplars and cues before they were adopted.

Usage: python evals/heldout/loso.py [--features OUT.jsonl] [SET.jsonl ...]
(default: every set whose questions were adopted). --features writes each question's scope features as the
set's first run would have seen them (the reading's p(out), its nearest in/out exemplars, the closest passage,
named methods and cases, participation words, an out-of-scope cue) with the label and the decision.
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


def main(paths: list[Path], features: Path | None = None) -> int:
    import os

    from assistant.config import load_settings
    from assistant.lexicon import lexicon
    from assistant.pipeline import Assistant, Turn
    from assistant.reading import semantic_text
    from assistant.semantic import SIMILAR, SemanticReader, exemplar_vectors, fit, reader_dir, training_set
    from assistant.types import Filters
    from assistant.understanding import clean_question, find_methods, mentions_scope, out_of_scope_cue
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
    dump = features.open("w", encoding="utf-8") if features else None
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
            if dump is not None:
                text = semantic_text(clean_question(case["question"], settings.max_question_chars))
                vector = assistant.embedder.embed([text], "query")[0]
                r = reader.read(vector)
                best = assistant.index.store.query(vector, 1, Filters())
                low = text.lower()
                row_out = {
                    "set": path.name,
                    "id": case["id"],
                    "category": case["category"],
                    "precondition": is_precondition(case),
                    "question": case["question"],
                    "history": bool(history),
                    "p_out": round(r.get("scope", "out"), 4),
                    "nearest_in": round(r.get("scope_nearest", "in"), 4),
                    "nearest_out": round(r.get("scope_nearest", "out"), 4),
                    "closest_passage": round(best[0][1], 4) if best else 0.0,
                    "methods": find_methods(text, assistant.catalog),
                    "cases": find_methods(text, assistant.case_names),
                    "participation": bool(lex.pattern("participation").search(low)),
                    "cue": bool(out_of_scope_cue(low)),
                    "conversation": any(mentions_scope(t.content) for t in history if t.role == "user"),
                    "intent": u.intent,
                }
                dump.write(json.dumps(row_out, ensure_ascii=False) + "\n")
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
    if dump is not None:
        dump.close()
    return 0


def _line(name: str, r: dict[str, int]) -> str:
    return (
        f"{name:26} out-of-scope refused {r['out_refused']}/{r['out']}  in-scope refused {r['in_refused']}/{r['in']}"
        f"  intent {r['intent']}/{r['in']}  preconditions found {r['pre_found']}/{r['pre']}"
        f"  other questions flagged {r['flags']}"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    out = None
    if args[:1] == ["--features"]:
        out, args = Path(args[1]), args[2:]
    sys.exit(main([Path(p) for p in args], out))
