"""Method advice: score method cards against the context profile, ask what is missing, plan a process.

Every reason names the card field it comes from, so the composer can cite the card's key facts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.types import ContextProfile, Lang, PlanPhase
from assistant.vocab import label, labels, sek, weeks_text


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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> MethodCard:
        """From a document row of the index (documents.json)."""
        a = row.get("attributes", {})

        def span(key: str) -> tuple[float, float] | None:
            v = a.get(key)
            return (float(v["min"]), float(v["max"])) if isinstance(v, dict) else None

        def tup(key: str) -> tuple[str, ...]:
            return tuple(a.get(key) or ())

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
        )


@dataclass(frozen=True)
class Reason:
    """One plain-language reason for or against a method, traceable to a card field."""

    field: str
    sv: str
    en: str
    weight: float = 0.0

    def text(self, lang: Lang) -> str:
        """The reason in the user's language."""
        return self.sv if lang == "sv" else self.en


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

    def pro(self, points: float, fld: str, sv: str, en: str) -> None:
        self.raw += points
        self.pros.append(Reason(fld, sv, en, points))

    def con(self, points: float, fld: str, sv: str, en: str, hard: bool = False) -> None:
        self.raw -= points
        self.cons.append(Reason(fld, sv, en, points))
        self.hard |= hard


def _fits_money(t: _Tally, card: MethodCard, budget: int | None) -> None:
    if budget is None or card.cost_sek is None:
        return
    lo, hi = card.cost_sek
    span_sv, span_en = f"{sek(lo)}–{sek(hi)}", f"SEK {int(lo):,}–{int(hi):,}"
    if budget < 0.5 * lo:
        t.con(
            4,
            "cost_sek",
            f"budgeten ({sek(budget)}) ligger långt under metodens typiska kostnad ({span_sv})",
            f"the budget (SEK {budget:,}) is far below the method's typical cost ({span_en})",
            hard=True,
        )
    elif budget < lo:
        t.con(
            1,
            "cost_sek",
            f"budgeten är snäv: metoden kostar typiskt {span_sv}",
            f"the budget is tight: the method typically costs {span_en}",
        )
    else:
        t.pro(
            0.8,
            "cost_sek",
            f"budgeten räcker (typisk kostnad {span_sv})",
            f"the budget is enough (typical cost {span_en})",
        )


def _fits_time(t: _Tally, card: MethodCard, weeks: float | None) -> None:
    if weeks is None or card.duration_weeks is None:
        return
    if weeks < 1:
        # 'en kväll', 'en halvdag', 'under en dag': the length of the meeting itself. The card's span is
        # the calendar time from planning to feedback, so the two cannot be compared.
        return
    lo, hi = card.duration_weeks
    span_sv = f"{weeks_text(lo)} till {weeks_text(hi)}"
    span_en = f"{weeks_text(lo, 'en')} to {weeks_text(hi, 'en')}"
    if weeks < 0.5 * lo:
        t.con(
            4,
            "duration_weeks",
            f"tiden ({weeks_text(weeks)}) räcker inte: metoden tar typiskt {span_sv}",
            f"the time ({weeks_text(weeks, 'en')}) is too short: the method typically takes {span_en}",
            hard=True,
        )
    elif weeks < lo:
        t.con(
            1,
            "duration_weeks",
            f"tiden är knapp: metoden tar typiskt {span_sv}",
            f"time is tight: the method typically takes {span_en}",
        )
    else:
        t.pro(
            0.6,
            "duration_weeks",
            f"tiden räcker (typiskt {span_sv})",
            f"there is enough time (typically {span_en})",
        )


def _fits_people(t: _Tally, card: MethodCard, n: int | None) -> None:
    if n is None or card.participants is None:
        return
    lo, hi = card.participants
    if n > 2 * hi or n < 0.5 * lo:
        t.con(
            3,
            "participants",
            f"{n} deltagare passar inte metodens skala ({int(lo)}–{int(hi)} deltagare)",
            f"{n} participants does not fit the method's scale ({int(lo)}–{int(hi)})",
            hard=True,
        )
    elif lo <= n <= hi:
        t.pro(
            0.4,
            "participants",
            f"{n} deltagare ryms i metodens typiska storlek ({int(lo)}–{int(hi)})",
            f"{n} participants fits the typical size ({int(lo)}–{int(hi)})",
        )


def score_card(card: MethodCard, profile: ContextProfile, relevance: float = 0.0) -> Fit:
    """Score one card: relevance to the question, soft fit on each dimension, hard conflicts."""
    # The question's wording matters most when the official has told us little about the context.
    t = _Tally(raw=(1.5 if profile.known() >= 2 else 2.5) * relevance)
    wanted = [p for p in profile.purposes if p in card.purposes]
    if wanted:
        t.pro(
            min(3.0, 1.5 * len(wanted)),
            "purposes",
            f"syftet att {labels('purposes', wanted)} är vad metoden är till för",
            f"it is made for {labels('purposes', wanted, 'en')}",
        )
    elif profile.purposes:
        t.con(
            1,
            "purposes",
            f"metoden är inte främst till för att {labels('purposes', list(profile.purposes))}",
            f"it is not mainly for {labels('purposes', list(profile.purposes), 'en')}",
        )
    groups = [g for g in profile.target_groups if g != "alla"]
    hit = [g for g in groups if g in card.target_groups]
    # A card made for children (barn first, at most one more group) fits badly when the age span
    # reaches adulthood: 'unga 16–25 år' are mostly not children in the barnkonvention's sense.
    child_card = card.target_groups[:1] == ("barn",) and len(card.target_groups) <= 2
    if hit and child_card and profile.ages is not None and profile.ages[1] >= 18:
        lo, hi = profile.ages
        t.con(
            1.2,
            "target_groups",
            f"den är gjord för barn (under 18 år), medan er målgrupp är {lo}–{hi} år",
            f"it is made for children (under 18), while your target group is {lo}–{hi}",
        )
    elif hit:
        t.pro(
            1.2 * len(hit),
            "target_groups",
            f"den är särskilt lämpad för att nå {labels('target_groups', hit)}",
            f"it is well suited to reach {labels('target_groups', hit, 'en')}",
        )
    elif groups and "underrepresenterade" in card.target_groups:
        t.pro(
            0.5,
            "target_groups",
            "den är gjord för att nå grupper som sällan hörs",
            "it is designed to reach seldom-heard groups",
        )
    elif groups:
        t.con(
            0.6,
            "target_groups",
            f"den är inte särskilt inriktad på {labels('target_groups', groups)}",
            f"it is not aimed at {labels('target_groups', groups, 'en')}",
        )
    if profile.influence:
        if set(profile.influence) & set(card.influence):
            t.pro(
                0.8,
                "influence",
                "den ger den nivå av inflytande ni kan erbjuda",
                "it offers the level of influence you can give",
            )
        elif "medbestammande" in profile.influence:
            t.con(
                1,
                "influence",
                "den ger inte invånarna beslutsmakt",
                "it does not give residents decision power",
            )
    _fits_money(t, card, profile.budget_sek)
    _fits_time(t, card, profile.time_weeks)
    _fits_people(t, card, profile.participants)
    if profile.complexity == "hog":
        if "hog" in card.complexity:
            t.pro(0.8, "complexity", "den klarar komplexa frågor", "it handles complex issues")
        else:
            t.con(0.8, "complexity", "den passar bäst för enklare frågor", "it suits simpler issues best")
    if profile.conflict == "hog":
        if "hog" in card.polarisation:
            t.pro(
                1.0,
                "polarisation",
                "den klarar frågor med hög konfliktnivå",
                "it copes with polarised issues",
            )
        else:
            t.con(
                1.5,
                "polarisation",
                "den är inte byggd för en polariserad fråga",
                "it is not built for a polarised issue",
            )
    if profile.format:
        if profile.format in card.formats or "hybrid" in card.formats:
            t.pro(
                0.4,
                "formats",
                f"den fungerar {label('formats', profile.format)}",
                f"it works {label('formats', profile.format, 'en')}",
            )
        else:
            t.con(
                0.6,
                "formats",
                f"den görs normalt {labels('formats', list(card.formats))}",
                f"it is normally run {labels('formats', list(card.formats), 'en')}",
            )
    if profile.scale and profile.scale in card.scale:
        t.pro(
            0.4,
            "scale",
            f"den används på nivån {label('scale', profile.scale)}",
            f"it is used at {label('scale', profile.scale, 'en')} level",
        )
    if profile.population is not None and profile.population < 15000 and card.staff_effort == "hog":
        t.con(
            0.5,
            "staff_effort",
            "den kräver mycket personal, vilket är tungt för en liten kommun",
            "it takes a lot of staff time, which is heavy for a small municipality",
        )
    if profile.commitment is False and {"inflytande", "medbestammande"} & set(card.influence):
        t.con(
            0.5,
            "influence",
            "den förutsätter att beslutsfattarna lovar att ta ställning till resultatet",
            "it needs decision-makers to commit to respond to the result",
        )
    score = 1 / (1 + math.exp(-(t.raw - 2.0) / 1.5))
    pros = tuple(sorted(t.pros, key=lambda r: -r.weight))
    cons = tuple(sorted(t.cons, key=lambda r: -r.weight))
    return Fit(card, round(score, 3), round(t.raw, 3), pros, cons, t.hard, relevance)


def rank_methods(
    cards: Iterable[MethodCard], profile: ContextProfile, relevance: Mapping[str, float] | None = None
) -> list[Fit]:
    """Every card scored, best first; cards with a hard conflict sort below all others."""
    relevance = relevance or {}
    fits = [score_card(c, profile, relevance.get(c.id, 0.0)) for c in cards]
    return sorted(fits, key=lambda f: (f.hard_conflict, -f.raw, f.card.id))


def relevance_from_ranks(doc_ranks: Sequence[str]) -> dict[str, float]:
    """Doc ids in retrieval order → relevance 1, 1/2, 1/3 … (reciprocal rank)."""
    out: dict[str, float] = {}
    for i, doc in enumerate(doc_ranks, start=1):
        out.setdefault(doc, 1.0 / i)
    return out


def clarifying_question(intent: str, profile: ContextProfile, lang: Lang) -> str | None:
    """At most one question about the decisive dimension that is missing."""
    if intent not in ("method_fit", "process_planning") or profile.nothing_to_influence:
        return None
    if not profile.purposes and intent == "method_fit":
        return (
            "Vad vill ni främst uppnå – samla idéer, prioritera, få genomarbetade rekommendationer, "
            "låta invånarna besluta, eller få synpunkter på ett färdigt förslag?"
            if lang == "sv"
            else "What do you mainly want to achieve – collect ideas, prioritise, get considered recommendations, "
            "let residents decide, or get feedback on a finished proposal?"
        )
    if not profile.influence and profile.commitment is None:
        return (
            "Vad kan invånarna faktiskt påverka, och har beslutsfattarna lovat att ta ställning till resultatet?"
            if lang == "sv"
            else "What can residents actually influence, and have decision-makers committed to respond to the result?"
        )
    return None


_RECRUIT_STEPS: dict[str, tuple[str, str]] = {
    "slumpvis": (
        "Skicka inbjudan till ett lottat urval ur befolkningen.",
        "Send invitations to a random sample of residents.",
    ),
    "stratifierat": (
        "Lotta deltagare med kvoter (ålder, kön, område, utbildning) så att gruppen speglar befolkningen.",
        "Select participants by stratified lottery so the group mirrors the population.",
    ),
    "oppen": (
        "Sprid inbjudan brett i flera kanaler och på flera språk.",
        "Spread the invitation widely, in several channels and languages.",
    ),
    "riktad": (
        "Bjud in de grupper frågan gäller direkt, via nätverk och föreningar.",
        "Invite the groups concerned directly, through networks and associations.",
    ),
    "uppsokande": (
        "Sök upp grupperna där de redan finns: skolor, föreningar, bibliotek, torg.",
        "Go where people already are: schools, associations, libraries, squares.",
    ),
    "representanter": (
        "Be organisationerna utse företrädare.",
        "Ask organisations to appoint representatives.",
    ),
}
_BROAD_FIRST = ("enkat", "kartbaserad-dialog", "uppsokande-dialog", "world-cafe")


def plan_process(
    fits: Sequence[Fit], profile: ContextProfile, lang: Lang, cards: Mapping[str, MethodCard] | None = None
) -> tuple[list[PlanPhase], list[str]]:
    """A beginning–middle–end plan around the best method; returns phases and the method ids it uses.

    A mini-public (lottery recruitment) gets a broad idea-collection step in front of it, so that
    many can contribute before the few deliberate.
    """
    if not fits:
        return [], []
    main = fits[0].card
    used = [main.id]
    broad: MethodCard | None = None
    # A broad method (a survey with a random sample) is not a mini-public and gets no step in front of it.
    if cards and main.id not in _BROAD_FIRST and ({"slumpvis", "stratifierat"} & set(main.recruitment)):
        broad = next((cards[i] for i in _BROAD_FIRST if i in cards), None)
        if broad is not None:
            used.insert(0, broad.id)
    lo, hi = main.duration_weeks or (8.0, 16.0)
    total = profile.time_weeks if profile.time_weeks else (lo + hi) / 2
    total = max(total, 0.1)
    sv = lang == "sv"
    recruit = [_RECRUIT_STEPS[r][0 if sv else 1] for r in main.recruitment if r in _RECRUIT_STEPS][:2]
    share = [0.25, 0.15, 0.25, 0.1, 0.15, 0.1]
    names_sv = [
        "Förberedelse och mandat",
        "Inbjudan och rekrytering",
        "Dialogen",
        "Analys",
        "Beslut",
        "Återkoppling",
    ]
    names_en = [
        "Preparation and mandate",
        "Invitation and recruitment",
        "The dialogue",
        "Analysis",
        "Decision",
        "Feedback",
    ]
    staff = {
        "lag": ("en liten insats", "a small effort"),
        "medel": ("en måttlig insats", "a moderate effort"),
        "hog": ("en stor insats", "a large effort"),
    }.get(main.staff_effort, ("", ""))
    acts_sv = [
        [
            "Förankra syfte och vad som går att påverka hos beslutsfattarna; få ett skriftligt mandat.",
            "Utse en ansvarig projektledare"
            + (f" (metoden kräver {staff[0]} av personalen)" if staff[0] else "")
            + ".",
            "Ta fram en tidsplan och bestäm hur resultatet ska tas om hand.",
        ],
        recruit
        or [
            "Bjud in brett och tydligt: vad frågan gäller, vad deltagarna kan påverka och vad som händer sedan."
        ],
        ([f"Samla idéer brett med {broad.title.lower()} innan det fördjupade samtalet."] if broad else [])
        + [f"Genomför {main.title.lower()} enligt metodkortet."],
        ["Sammanställ resultatet öppet och låt deltagarna se sammanställningen."],
        ["Lämna resultatet till beslutsfattarna, som tar ställning och motiverar sina beslut."],
        [
            "Återkoppla till deltagarna och alla invånare: vad blev det, vad blev det inte och varför.",
            "Utvärdera processen.",
        ],
    ]
    acts_en = [
        [
            "Anchor the purpose and what can be influenced with decision-makers; get a written mandate.",
            "Appoint a responsible project lead"
            + (f" (the method takes {staff[1]} from staff)" if staff[1] else "")
            + ".",
            "Draw up a timeline and decide how the result will be handled.",
        ],
        recruit
        or [
            "Invite widely and clearly: what it is about, what participants can influence and what happens next."
        ],
        ([f"Collect ideas broadly with {broad.title} before the in-depth deliberation."] if broad else [])
        + [f"Run the {main.title} as the method card describes."],
        ["Compile the result openly and let participants see the summary."],
        ["Hand the result to decision-makers, who respond and explain their decisions."],
        [
            "Report back to participants and all residents: what was done, what was not, and why.",
            "Evaluate the process.",
        ],
    ]
    phases = [
        PlanPhase(
            name=(names_sv if sv else names_en)[i],
            weeks=round(total * share[i], 1),
            activities=tuple((acts_sv if sv else acts_en)[i]),
        )
        for i in range(6)
    ]
    return phases, used
