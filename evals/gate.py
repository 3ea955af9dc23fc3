"""The CI gate: compare a configuration's overall metrics with evals/thresholds.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.gold import GoldError

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"
DEFAULT_GOLD = Path(__file__).resolve().parent / "gold"


@dataclass(frozen=True)
class Thresholds:
    """Lower bounds ([min]) and upper bounds ([max]) on summary metrics, and which configuration to run."""

    config: str
    minimum: Mapping[str, float]
    maximum: Mapping[str, float]


@dataclass(frozen=True)
class Violation:
    """A metric outside its bound."""

    metric: str
    value: float | None
    bound: float
    kind: str  # "min" | "max"

    def describe(self) -> str:
        """One line for the gate's output."""
        if self.value is None:
            return f"{self.metric}: kunde inte mätas (gränsen är {self.kind} {self.bound:g})"
        op = "under" if self.kind == "min" else "över"
        return f"{self.metric} = {self.value:.3f} är {op} gränsen {self.bound:g}"


def load_thresholds(path: Path) -> Thresholds:
    """Read a thresholds file; GoldError naming the file and the bad key on problems."""
    if not path.exists():
        raise GoldError(f"The thresholds file {path} does not exist.", hint="Give --thresholds FILE.")
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise GoldError(f"{path}: {exc}", hint="Fix the TOML syntax.") from None
    unknown = sorted(set(data) - {"config", "min", "max"})
    if unknown:
        raise GoldError(f"{path}: unknown key(s) {unknown}.", hint="Use config, [min] and [max].")
    bounds: dict[str, dict[str, float]] = {}
    for kind in ("min", "max"):
        table = data.get(kind, {})
        if not isinstance(table, dict):
            raise GoldError(f"{path}: [{kind}] must be a table of metric = number.")
        for name, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise GoldError(f"{path}: [{kind}] {name} must be a number, got {value!r}.")
        bounds[kind] = {str(k): float(v) for k, v in table.items()}
    return Thresholds(str(data.get("config", "hybrid")), bounds["min"], bounds["max"])


def check(overall: Mapping[str, Any], thresholds: Thresholds) -> list[Violation]:
    """Every bound the summary breaks; a metric that could not be measured breaks its bound."""
    out: list[Violation] = []
    for kind, table in (("min", thresholds.minimum), ("max", thresholds.maximum)):
        for name, bound in table.items():
            value = overall.get(name)
            if value is None or (value < bound if kind == "min" else value > bound):
                out.append(Violation(name, None if value is None else float(value), bound, kind))
    return out


def failed_cases(results: Sequence[Any]) -> list[str]:
    """'id: reason; reason' for every failed case, for the gate's output."""
    return [f"{r.case.id}: {'; '.join(r.failures)}" for r in results if not r.passed]
