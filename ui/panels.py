"""Pure rendering of the side panels: recommended methods, comparison, process plan, profile summary.

Plain data in (the `ask --json` contract, advisor.MethodCard), Markdown or HTML out; corpus text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.advisor import MethodCard
from assistant.vocab import label, labels, sek, weeks_text
from ui.render import card_href, empty_html, esc

# --- methods ------------------------------------------------------------------------------------------


def _span(v: tuple[float, float] | None, fmt: Any) -> str:
    return f"{fmt(v[0])}–{fmt(v[1])}" if v else "uppgift saknas"


def card_facts(card: MethodCard) -> list[tuple[str, str]]:
    """(label, value) rows of a card's key figures in Swedish."""
    basis = {"kalla": "enligt källorna", "uppskattning": "uppskattning"}.get(card.cost_basis, "")
    cost = (
        _span(card.cost_sek, lambda x: sek(x).replace(" kr", "")) + " kr"
        if card.cost_sek
        else "uppgift saknas"
    )
    return [
        ("Typisk kostnad", cost + (f" ({basis})" if basis and card.cost_sek else "")),
        ("Typisk tid", _span(card.duration_weeks, weeks_text)),
        ("Deltagare", _span(card.participants, lambda x: str(int(x)))),
        ("Personalinsats", label("level", card.staff_effort) if card.staff_effort else "uppgift saknas"),
    ]


def score_text(score: float) -> str:
    """A fit score as '65 av 100'."""
    return f"{round(max(0.0, min(1.0, score)) * 100)} av 100"


def method_cards_html(methods: Sequence[Mapping[str, Any]], cards: Mapping[str, MethodCard]) -> str:
    """Recommended methods as cards: fit, reasons for and against, cost and time, link to the full card."""
    if not methods:
        return empty_html(
            "Rekommenderade metoder",
            "När du frågar vilken metod som passar visas förslagen här, med skälen för och emot, "
            "typisk kostnad och tid.",
        )
    out = ['<div class="mg-methods">']
    for i, m in enumerate(methods, start=1):
        mid = str(m["id"])
        card = cards.get(mid)
        reasons = [str(r) for r in m.get("reasons", [])]
        pros = [r[2:] for r in reasons if r.startswith("+ ")]
        cons = [r[2:] for r in reasons if r.startswith(("− ", "- "))]
        score = float(m.get("score", 0.0))
        heading_id = f"mg-m-{esc(mid)}"
        out.append(f'<article class="mg-method" aria-labelledby="{heading_id}">')
        out.append(f'<h3 id="{heading_id}">{i}. {esc(m["title"])}</h3>')
        out.append(
            f'<p class="mg-score"><meter min="0" max="1" value="{score:.3f}" '
            f'aria-label="Hur väl metoden passar: {score_text(score)}"></meter> '
            f"Matchar det du har beskrivit: <strong>{score_text(score)} poäng</strong></p>"
        )
        if card is not None and card.summary:
            out.append(f"<p>{esc(card.summary)}</p>")
        out.append('<div class="mg-procon">')
        out.append(_reason_list("Talar för", pros, "mg-pro"))
        out.append(_reason_list("Tänk på", cons, "mg-con"))
        out.append("</div>")
        if card is not None:
            rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in card_facts(card))
            out.append(f'<dl class="mg-facts">{rows}</dl>')
        out.append(
            f'<p><a class="mg-card-link" href="{card_href(mid)}">Visa hela metodkortet för {esc(m["title"])}</a></p>'
        )
        out.append("</article>")
    out.append("</div>")
    return "".join(out)


def _reason_list(title: str, items: Sequence[str], cls: str) -> str:
    body = "".join(f"<li>{esc(r)}</li>" for r in items) or "<li>Inget särskilt utifrån det du berättat.</li>"
    return f'<div class="{cls}"><h4>{esc(title)}</h4><ul>{body}</ul></div>'


def compare_markdown(cards: Sequence[MethodCard], fits: Mapping[str, Any] | None = None) -> str:
    """Two or three method cards side by side as a Markdown table; fits: id → advisor.Fit for 'Passar er'."""
    if len(cards) < 2:
        return "Välj två eller tre metoder att jämföra."
    fits = fits or {}

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ") or "–"

    rows: list[tuple[str, list[str]]] = []
    if fits:
        rows.append(("Passar er", [score_text(fits[c.id].score) if c.id in fits else "–" for c in cards]))
    rows += [
        ("Sammanfattning", [c.summary for c in cards]),
        ("Syfte", [labels("purposes", list(c.purposes)) for c in cards]),
        ("Inflytande", [labels("influence", list(c.influence)) for c in cards]),
        ("Rekrytering", [labels("recruitment", list(c.recruitment)) for c in cards]),
        ("Målgrupper", [labels("target_groups", list(c.target_groups)) for c in cards]),
        ("Format", [labels("formats", list(c.formats)) for c in cards]),
    ]
    for i, (name, _) in enumerate(card_facts(cards[0])):
        rows.append((name, [card_facts(c)[i][1] for c in cards]))
    if fits:
        rows.append(
            ("Talar för", ["; ".join(r.sv for r in fits[c.id].pros) if c.id in fits else "" for c in cards])
        )
        rows.append(
            ("Tänk på", ["; ".join(r.sv for r in fits[c.id].cons) if c.id in fits else "" for c in cards])
        )
    lines = ["| | " + " | ".join(cell(c.title) for c in cards) + " |", "|---" * (len(cards) + 1) + "|"]
    lines += [f"| **{name}** | " + " | ".join(cell(v) for v in values) + " |" for name, values in rows]
    return "\n".join(lines)


def strip_front_matter(text: str) -> str:
    """A corpus file's Markdown body without its YAML front matter."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "".join(lines[i + 1 :]).lstrip("\n")
    return text


# --- plan ---------------------------------------------------------------------------------------------

STAGES = ("Början", "Mitten", "Slut")


def stage_of(index: int, count: int) -> str:
    """Beginning, middle or end for phase `index` of `count`."""
    return STAGES[min(2, index * 3 // max(1, count))]


def plan_rows(plan: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Phases with their stage and week span (weeks counted from the start, 1-based)."""
    rows = []
    start = 0.0
    for i, phase in enumerate(plan):
        weeks = float(phase.get("weeks") or 0)
        first = math.floor(start) + 1
        last = max(first, math.ceil(start + weeks))
        rows.append(
            {
                "stage": stage_of(i, len(plan)),
                "name": str(phase["name"]),
                "weeks": weeks,
                "span": f"vecka {first}" if first == last else f"vecka {first}–{last}",
                "activities": [str(a) for a in phase.get("activities", [])],
            }
        )
        start += weeks
    return rows


def plan_html(plan: Sequence[Mapping[str, Any]]) -> str:
    """A beginning–middle–end timeline of a process plan."""
    if not plan:
        return empty_html(
            "Processplan",
            "Be om en processplan, till exempel: ”Gör en processplan för ett medborgarråd om vår "
            "klimatstrategi med sex månader till beslut.”",
        )
    total = sum(float(p.get("weeks") or 0) for p in plan)
    out = [
        f'<p class="mg-hint">Grov tidsplan, totalt {esc(weeks_text(total))}. Justera efter er kalender.</p>'
    ]
    out.append('<ol class="mg-timeline">')
    for i, row in enumerate(plan_rows(plan), start=1):
        stage = row["stage"]
        acts = "".join(f"<li>{esc(a)}</li>" for a in row["activities"])
        out.append(
            f'<li class="mg-phase mg-stage-{STAGES.index(stage)}">'
            f'<span class="mg-stage">{esc(stage)}</span>'
            f"<h3>{i}. {esc(row['name'])}</h3>"
            f'<p class="mg-meta">{esc(row["span"])} (ca {esc(weeks_text(row["weeks"]))})</p>'
            f"<ul>{acts}</ul></li>"
        )
    out.append("</ol>")
    return "".join(out)


# --- profile ------------------------------------------------------------------------------------------


def profile_summary(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for each stated dimension of a profile JSON, in Swedish."""
    p = profile
    rows: list[tuple[str, str]] = []
    if p.get("purposes"):
        rows.append(("Syfte", labels("purposes", list(p["purposes"]))))
    if p.get("influence"):
        rows.append(("Inflytande", labels("influence", list(p["influence"]))))
    if p.get("nothing_to_influence"):
        rows.append(("Påverkan", "inget går att påverka"))
    if p.get("target_groups"):
        groups = labels("target_groups", list(p["target_groups"]))
        if p.get("ages"):
            groups += f" ({p['ages'][0]}–{p['ages'][1]} år)"
        rows.append(("Målgrupper", groups))
    if p.get("population"):
        rows.append(("Invånare", f"{int(p['population']):,}".replace(",", " ")))
    if p.get("participants"):
        rows.append(("Deltagare", str(p["participants"])))
    if p.get("budget_sek"):
        rows.append(("Budget", sek(float(p["budget_sek"]))))
    if p.get("time_weeks"):
        rows.append(("Tid", weeks_text(float(p["time_weeks"]))))
    for key, name, fld in (
        ("scale", "Nivå", "scale"),
        ("format", "Mötesform", "formats"),
        ("complexity", "Komplexitet", "level"),
        ("conflict", "Konfliktnivå", "level"),
    ):
        if p.get(key):
            rows.append((name, label(fld, str(p[key]))))
    if p.get("commitment") is not None:
        rows.append(("Beslutsfattarna har lovat att ta ställning", "ja" if p["commitment"] else "nej"))
    return rows
