"""Issue-10 figures from an eval run over a held-out set: in-scope questions refused, out-of-scope questions
refused, and precondition cases that tell the official to inform instead of consulting.

Usage: python evals/heldout/stats.py RESULTS.jsonl HELDOUT.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any


def _cases(path: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows if r}


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    values = [r["metrics"][key] for r in rows if r["metrics"].get(key) is not None]
    return float(sum(values)) / max(1, len(values))


def is_precondition(case: dict[str, Any]) -> bool:
    """A case where dialogue would be empty: its answer must advise to inform (the sets' two conventions:
    notes that start 'Precondition', or a must_cover that asks for informing)."""
    informs = any("inform" in str(m).lower() for m in case.get("must_cover") or ())
    return informs or str(case.get("notes", "")).lower().startswith("precondition")


def _informs(row: dict[str, Any]) -> bool:
    text = str((row.get("answer") or {}).get("answer", "")).lower()
    return bool(re.search(r"informer|information|\binform", text)) and not row["metrics"].get("abstained")


def report(results: Path, heldout: Path) -> list[str]:
    """The lines the held-out file's header quotes."""
    lines = heldout.read_text(encoding="utf-8").splitlines()
    gold = {json.loads(x)["id"]: json.loads(x) for x in lines if x.strip() and not x.startswith("//")}
    rows = [json.loads(x) for x in results.read_text(encoding="utf-8").splitlines() if x.strip()]
    in_scope = [r for r in rows if r["category"] != "out_of_scope"]
    out_scope = [r for r in rows if r["category"] == "out_of_scope"]
    pre = [r for r in rows if is_precondition(gold[r["id"]])]
    refused_in = [r["id"] for r in in_scope if r["metrics"].get("abstained")]
    refused_out = [r for r in out_scope if r["metrics"].get("abstained")]
    missed = [r["id"] for r in pre if not _informs(r)]
    passed = sum(bool(r["passed"]) for r in rows) / max(1, len(rows))
    return [
        f"cases {len(rows)}  hit@1 {_mean(rows, 'hit@1'):.2f}  hit@3 {_mean(rows, 'hit@3'):.2f}  "
        f"intent {_mean(rows, 'intent_correct'):.2f}  behaviour {_mean(rows, 'behavior_correct'):.2f}  "
        f"pass {passed:.2f}",
        f"in-scope refused: {len(refused_in)} of {len(in_scope)} {refused_in}",
        f"out-of-scope refused: {len(refused_out)} of {len(out_scope)} "
        f"({len(refused_out) / max(1, len(out_scope)):.2f})",
        f"precondition cases telling to inform: {len(pre) - len(missed)} of {len(pre)}; missed: {missed}",
    ]


if __name__ == "__main__":
    print("\n".join(report(Path(sys.argv[1]), Path(sys.argv[2]))))
