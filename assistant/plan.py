"""The process plan: the template in `assistant/data/plan.toml` filled in for the best-fitting method.

A mini-public (lottery recruitment) gets a broad idea-collection step in front of it, so that many
can contribute before the few deliberate.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from assistant.advisor import Fit, MethodCard
from assistant.messages import DATA_DIR, localise
from assistant.types import ContextProfile, Lang, PlanPhase

PLAN_FILE = DATA_DIR / "plan.toml"
LOTTERY = frozenset({"slumpvis", "stratifierat"})


@cache
def template(path: Path = PLAN_FILE) -> dict[str, Any]:
    """The plan template as read from its data file."""
    with path.open("rb") as f:
        return tomllib.load(f)


def phase_passages() -> dict[str, str]:
    """Phase key → the course passage ('role.key') the answer quotes for that phase."""
    return {p["key"]: p["passage"] for p in template()["phase"]}


def broad_method(main: MethodCard, cards: Mapping[str, MethodCard] | None) -> MethodCard | None:
    """The idea-collection method to put in front of a lottery-based one, if any is available."""
    broad_ids = template()["broad_first"]
    # A broad method (a survey with a random sample) is not a mini-public and gets no step in front of it.
    if not cards or main.id in broad_ids or not (LOTTERY & set(main.recruitment)):
        return None
    return next((cards[i] for i in broad_ids if i in cards), None)


def _activities(
    phase: Mapping[str, Any], main: MethodCard, broad: MethodCard | None, lang: Lang
) -> tuple[str, ...]:
    t = template()
    staff = t["staff_note"].get(main.staff_effort)
    params = {
        "method": main.title,
        "method_lc": main.title.lower(),
        "broad": broad.title if broad else "",
        "broad_lc": broad.title.lower() if broad else "",
        "staff_note": localise(staff, lang) if staff else "",
    }
    if phase.get("recruitment"):
        steps = [localise(t["recruit"][r], lang) for r in main.recruitment if r in t["recruit"]][:2]
        if steps:
            return tuple(steps)
    return tuple(
        localise(a, lang, **params)
        for a in phase["activities"]
        if a.get("only_with") != "broad" or broad is not None
    )


def plan_process(
    fits: Sequence[Fit], profile: ContextProfile, lang: Lang, cards: Mapping[str, MethodCard] | None = None
) -> tuple[list[PlanPhase], list[str]]:
    """A beginning–middle–end plan around the best method; returns phases and the method ids it uses."""
    if not fits:
        return [], []
    main = fits[0].card
    broad = broad_method(main, cards)
    used = [broad.id, main.id] if broad else [main.id]
    lo, hi = main.duration_weeks or tuple(template()["default_weeks"])
    total = max(profile.time_weeks if profile.time_weeks else (lo + hi) / 2, 0.1)
    phases = [
        PlanPhase(
            name=localise(p["name"], lang),
            weeks=round(total * float(p["share"]), 1),
            activities=_activities(p, main, broad, lang),
            key=str(p["key"]),
        )
        for p in template()["phase"]
    ]
    return phases, used
