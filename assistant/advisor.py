"""Method advice: score method cards against the context profile, and ask what is missing.

`fit(card, profile, relevance)` is the one function that scores a method; the chat, the Metoder
panel and the Jämför tab all call it. Weights are data (`assistant/data/fit.toml`); every reason is a
message key with its numbers (`assistant/data/messages.toml`) and names the card field it comes from,
so the composer can cite the card's key facts. The process plan is in `assistant/plan.py`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from assistant.messages import DATA_DIR, Labels, Money, Weeks, say
from assistant.needs import NeedMatch
from assistant.types import ContextProfile, Lang

WEIGHTS_FILE = DATA_DIR / "fit.toml"


@cache
def weights(path: Path = WEIGHTS_FILE) -> dict[str, dict[str, float]]:
    """The scoring weights, by section."""
    with path.open("rb") as f:
        return tomllib.load(f)


@dataclass(frozen=True)
class MethodCard:
    """The structured attributes of one method card."""

    id: str
    title: str
    summary: str
    purposes: tuple[str, ...] = ()
    influence: tuple[str, ...] = ()
    recruitment: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    scale: tuple[str, ...] = ()
    complexity: tuple[str, ...] = ()
    polarisation: tuple[str, ...] = ()
    participants: tuple[float, float] | None = None
    duration_weeks: tuple[float, float] | None = None
    cost_sek: tuple[float, float] | None = None
    cost_basis: str = ""
    staff_effort: str = ""
    summary_en: str = ""  # English front matter, written from the same sources (empty until a card has it)
    fits_en: tuple[str, ...] = ()
    not_fits_en: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> MethodCard:
        """From a document row of the index (documents.json)."""
        a = row.get("attributes", {})

        def span(key: str) -> tuple[float, float] | None:
            v = a.get(key)
            return (float(v["min"]), float(v["max"])) if isinstance(v, dict) else None

        def tup(key: str) -> tuple[str, ...]:
            return tuple(str(x) for x in (a.get(key) or ()))

        return cls(
            id=row["id"],
            title=row["title"],
            summary=row.get("summary", ""),
            purposes=tup("purposes"),
            influence=tup("influence"),
            recruitment=tup("recruitment"),
            target_groups=tup("target_groups"),
            formats=tup("formats"),
            scale=tup("scale"),
            complexity=tup("complexity"),
            polarisation=tup("polarisation"),
            participants=span("participants"),
            duration_weeks=span("duration_weeks"),
            cost_sek=span("cost_sek"),
            cost_basis=str(a.get("cost_basis", "")),
            staff_effort=str(a.get("staff_effort", "")),
            summary_en=str(a.get("summary_en") or ""),
            fits_en=tup("fits_en"),
            not_fits_en=tup("not_fits_en"),
        )


@dataclass(frozen=True)
class Reason:
    """One reason for or against a method: a message key and its values, traceable to a card field."""

    field: str
    key: str  # the message `reason.<key>` in messages.toml
    params: tuple[tuple[str, object], ...] = ()
    weight: float = 0.0
    means: str = ""  # the message `means.<means>`: what the fact means for the official, if it needs saying

    def text(self, lang: Lang) -> str:
        """The reason in the user's language: the fact, as the card's key facts state it."""
        return say(f"reason.{self.key}", lang, **dict(self.params))

    def explained(self, lang: Lang) -> str:
        """The reason and, where it needs saying, what it means ('… : räcker till en enkel variant …')."""
        return f"{self.text(lang)}: {say(f'means.{self.means}', lang)}" if self.means else self.text(lang)

    @property
    def sv(self) -> str:
        """The reason in Swedish."""
        return self.text("sv")

    @property
    def en(self) -> str:
        """The reason in English."""
        return self.text("en")


@dataclass(frozen=True)
class Fit:
    """How well one card fits the profile."""

    card: MethodCard
    score: float  # 0..1
    raw: float
    pros: tuple[Reason, ...] = ()
    cons: tuple[Reason, ...] = ()
    hard_conflict: bool = False
    relevance: float = 0.0


@dataclass
class _Tally:
    raw: float = 0.0
    pros: list[Reason] = field(default_factory=list)
    cons: list[Reason] = field(default_factory=list)
    hard: bool = False

    def pro(self, points: float, fld: str, key: str, **params: object) -> None:
        self.raw += points
        self.pros.append(Reason(fld, key, tuple(params.items()), points))

    def con(
        self, points: float, fld: str, key: str, hard: bool = False, means: str = "", **params: object
    ) -> None:
        self.raw -= points
        self.cons.append(Reason(fld, key, tuple(params.items()), points, means))
        self.hard |= hard


def _low_end(value: float, lo: float, hi: float) -> bool:
    """True when a resource reaches the span but lies in its lowest part: enough for a simple variant."""
    return lo <= value < lo + weights()["resources"]["low_end_share"] * (hi - lo)


def _fits_money(t: _Tally, card: MethodCard, budget: int | None) -> bool:
    """Scores the budget; True when it sits at the low end of the card's cost span."""
    if budget is None or card.cost_sek is None:
        return False
    w = weights()["resources"]
    lo, hi = card.cost_sek
    if budget < w["far_below"] * lo:
        t.con(
            w["far_below_points"],
            "cost_sek",
            "money_far_below",
            hard=True,
            budget=Money(budget),
            lo=Money(lo),
            hi=Money(hi),
        )
    elif budget < lo:
        t.con(w["tight_points"], "cost_sek", "money_tight", lo=Money(lo), hi=Money(hi))
    elif _low_end(budget, lo, hi):
        t.pro(w["enough_money"], "cost_sek", "money_simple_variant", lo=Money(lo), hi=Money(hi))
        t.con(
            w["low_end_points"],
            "cost_sek",
            "money_low_end",
            means="simple_variant",
            budget=Money(budget),
            lo=Money(lo),
            hi=Money(hi),
        )
        return True
    else:
        t.pro(w["enough_money"], "cost_sek", "money_enough", lo=Money(lo), hi=Money(hi))
    return False


def _fits_time(t: _Tally, card: MethodCard, weeks: float | None) -> bool:
    """Scores the time; True when it sits at the low end of the card's duration span."""
    if weeks is None or card.duration_weeks is None or weeks < 1:
        # 'en kväll', 'en halvdag': the length of the meeting itself. The card's span is the calendar
        # time from planning to feedback, so the two cannot be compared.
        return False
    w = weights()["resources"]
    lo, hi = card.duration_weeks
    if weeks < w["far_below"] * lo:
        t.con(
            w["far_below_points"],
            "duration_weeks",
            "time_far_below",
            hard=True,
            time=Weeks(weeks),
            lo=Weeks(lo),
            hi=Weeks(hi),
        )
    elif weeks < lo:
        t.con(w["tight_points"], "duration_weeks", "time_tight", lo=Weeks(lo), hi=Weeks(hi))
    elif _low_end(weeks, lo, hi):
        t.pro(w["enough_time"], "duration_weeks", "time_simple_variant", lo=Weeks(lo), hi=Weeks(hi))
        t.con(
            w["low_end_points"],
            "duration_weeks",
            "time_low_end",
            means="shorter_process",
            time=Weeks(weeks),
            lo=Weeks(lo),
            hi=Weeks(hi),
        )
        return True
    else:
        t.pro(w["enough_time"], "duration_weeks", "time_enough", lo=Weeks(lo), hi=Weeks(hi))
    return False


def _fits_people(t: _Tally, card: MethodCard, n: int | None) -> None:
    if n is None or card.participants is None:
        return
    w = weights()["resources"]
    lo, hi = card.participants
    if n > w["participants_over"] * hi or n < w["far_below"] * lo:
        t.con(
            w["participants_out_points"],
            "participants",
            "participants_out",
            hard=True,
            n=n,
            lo=int(lo),
            hi=int(hi),
        )
    elif lo <= n <= hi:
        t.pro(w["participants_fit"], "participants", "participants_fit", n=n, lo=int(lo), hi=int(hi))


def _fits_groups(t: _Tally, card: MethodCard, profile: ContextProfile) -> None:
    w = weights()["target_groups"]
    groups = tuple(g for g in profile.target_groups if g != "alla")
    hit = tuple(g for g in groups if g in card.target_groups)
    # A card made for children (barn first, at most one more group) fits badly when the age span
    # reaches adulthood: 'unga 16–25 år' are mostly not children in the barnkonvention's sense.
    child_card = card.target_groups[:1] == ("barn",) and len(card.target_groups) <= 2
    if hit and child_card and profile.ages is not None and profile.ages[1] >= w["adult_age"]:
        lo, hi = profile.ages
        t.con(w["children_card_for_adults"], "target_groups", "children_card", lo=lo, hi=hi)
    elif hit:
        t.pro(
            w["match_each"] * len(hit), "target_groups", "groups_match", groups=Labels("target_groups", hit)
        )
    elif groups and "underrepresenterade" in card.target_groups:
        t.pro(w["seldom_heard"], "target_groups", "groups_seldom_heard")
    elif groups:
        t.con(w["mismatch"], "target_groups", "groups_mismatch", groups=Labels("target_groups", groups))


def _fits_issue(t: _Tally, card: MethodCard, profile: ContextProfile) -> None:
    """Complexity, conflict, format and scale."""
    w = weights()["other"]
    if profile.complexity == "hog":
        if "hog" in card.complexity:
            t.pro(w["complexity"], "complexity", "complex_ok")
        else:
            t.con(w["complexity"], "complexity", "complex_not")
    if profile.conflict == "hog":
        if "hog" in card.polarisation:
            t.pro(w["polarisation_match"], "polarisation", "polarised_ok")
        else:
            t.con(w["polarisation_mismatch"], "polarisation", "polarised_not")
    if profile.format:
        if profile.format in card.formats or "hybrid" in card.formats:
            t.pro(w["format_match"], "formats", "format_ok", format=Labels("formats", (profile.format,)))
        else:
            t.con(w["format_mismatch"], "formats", "format_not", formats=Labels("formats", card.formats))
    if profile.scale and profile.scale in card.scale:
        t.pro(w["scale_match"], "scale", "scale_ok", scale=Labels("scale", (profile.scale,)))


def fit(
    card: MethodCard,
    profile: ContextProfile,
    relevance: float = 0.0,
    need: NeedMatch | None = None,
    form: bool = False,
    similar: float = 0.0,
    named: bool = False,
) -> Fit:
    """How well one method fits: relevance to the question, soft fit on each dimension, hard conflicts.

    `need` is how closely the card's own "När passar det" statements meet the question
    (`assistant.needs`); a close one is also said, quoting the statement. `similar` (0..1) is how much
    the labelled questions most like this one expect the method (`Understanding.similar`): it ranks, and
    is never quoted, since those questions are evaluation data, not sources. `form`: the official set the
    profile in the form, so its purposes are their own words, not a reading, and lead over the wording.
    `named`: the official asked about this method by name ("would a World Café work for …?"); its card's
    statements against are then weighed against its statements for in the same language, and a closer one
    answers the question: the method gives way to the alternatives, and the answer says why.

    The one scoring function: the chat's recommendations, the Metoder panel and the Jämför tab call
    it with the same profile and relevance, so they show the same score.
    """
    w = weights()
    # The question's wording matters most when the official has told us little about the context:
    # its retrieval relevance and the closeness of the card's own fit statements count alike.
    rel = w["relevance"]
    wn = w["need"]
    strength = need.strength if need is not None else 0.0
    many = profile.known() >= rel["known_threshold"]
    words = rel["many_known"] if many else rel["few_known"]
    said = (wn["form"] if form else wn["many_known"] if many else wn["few_known"]) * strength
    t = _Tally(raw=words * relevance + said + w["similar"]["weight"] * similar)
    if need is not None and strength >= wn["said_from"]:
        t.pros.append(Reason("fits", "need_match", (("statement", need.statement),), said))
    wu = w["unfit"]
    if need is not None and (
        (need.against >= wu["floor"] and need.against - need.similarity >= wu["margin"])
        or (named and need.against >= wu["named_floor"] and need.against - need.peer >= wu["named_margin"])
    ):
        weight = wu["named_weight"] if named else wu["weight"]
        t.con(weight, "fits", "unfit_match", statement=need.against_statement.rstrip(". "))
    wp = w["purposes"]
    wanted = tuple(p for p in profile.purposes if p in card.purposes)
    if wanted:
        t.pro(
            min(wp["match_max"], wp["match_each"] * len(wanted)) * (wp["form_factor"] if form else 1.0),
            "purposes",
            "purpose_match",
            purposes=Labels("purposes", wanted),
        )
    elif profile.purposes:
        # Said as what the card is for (its key facts state that word for word), not as what it is not for.
        t.con(wp["mismatch"], "purposes", "purpose_mismatch", purposes=Labels("purposes", card.purposes))
    _fits_groups(t, card, profile)
    wi = w["influence"]
    if profile.influence:
        if set(profile.influence) & set(card.influence):
            t.pro(wi["match"], "influence", "influence_match")
        elif "medbestammande" in profile.influence:
            t.con(wi["no_decision_power"], "influence", "no_decision_power")
    low_money = _fits_money(t, card, profile.budget_sek)
    low_time = _fits_time(t, card, profile.time_weeks)
    _fits_people(t, card, profile.participants)
    _fits_issue(t, card, profile)
    wo = w["other"]
    if (
        profile.population is not None
        and profile.population < wo["small_municipality"]
        and card.staff_effort == "hog"
    ):
        t.con(wo["staff_heavy_small"], "staff_effort", "staff_heavy_small")
    elif card.staff_effort == "hog" and (low_money or low_time):
        t.con(wo["staff_heavy_low_end"], "staff_effort", "staff_heavy_low_end", means="project_lead")
    if profile.commitment is False and {"inflytande", "medbestammande"} & set(card.influence):
        t.con(wi["needs_commitment"], "influence", "needs_commitment")
    s = w["score"]
    score = 1 / (1 + math.exp(-(t.raw - s["center"]) / s["scale"]))
    pros = tuple(sorted(t.pros, key=lambda r: -r.weight))
    cons = tuple(sorted(t.cons, key=lambda r: -r.weight))
    return Fit(card, round(score, 3), round(t.raw, 3), pros, cons, t.hard, relevance)


def clarifying_question(intent: str, profile: ContextProfile, lang: Lang) -> str | None:
    """At most one question about the decisive dimension that is missing."""
    if intent not in ("method_fit", "process_planning") or profile.nothing_to_influence:
        return None
    if not profile.purposes and intent == "method_fit":
        return say("clarify.purpose", lang)
    if not profile.influence and profile.commitment is None:
        return say("clarify.influence", lang)
    return None
