"""Pure rendering of the side panels: recommended methods, comparison, process plan, profile summary.

Plain data in (the `ask --json` contract, advisor.MethodCard), Markdown or HTML out, in the interface's
language (ui.i18n); corpus text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.advisor import Fit, MethodCard, fit
from assistant.types import ContextProfile
from assistant.vocab import label, labels, sek, weeks_text
from ui.i18n import UiLang, t
from ui.render import card_href, empty_html, esc

# --- fit ----------------------------------------------------------------------------------------------


def fit_of(card: MethodCard, profile: ContextProfile) -> Fit:
    """How well a card fits a profile: the one score both the Metoder panel and the Jämför tab show.

    advisor.fit without the question's relevance: the panel and the comparison score the profile alone,
    so the same profile gives the same number in both views."""
    return fit(card, profile, 0.0)


# --- methods ------------------------------------------------------------------------------------------


def _span(v: tuple[float, float] | None, fmt: Any, lang: UiLang) -> str:
    return f"{fmt(v[0])}–{fmt(v[1])}" if v else t("facts.missing", lang)


def card_facts(card: MethodCard, lang: UiLang = "sv") -> list[tuple[str, str]]:
    """(label, value) rows of a card's key figures."""
    basis = {"kalla": t("facts.by_sources", lang), "uppskattning": t("facts.estimate", lang)}.get(
        card.cost_basis, ""
    )
    unit = " kr" if lang == "sv" else " SEK"
    cost = (
        _span(card.cost_sek, lambda x: sek(x).replace(" kr", ""), lang) + unit
        if card.cost_sek
        else t("facts.missing", lang)
    )
    return [
        (t("facts.cost", lang), cost + (f" ({basis})" if basis and card.cost_sek else "")),
        (t("facts.time", lang), _span(card.duration_weeks, lambda w: weeks_text(w, lang), lang)),
        (t("facts.participants", lang), _span(card.participants, lambda x: str(int(x)), lang)),
        (
            t("facts.staff", lang),
            label("level", card.staff_effort, lang) if card.staff_effort else t("facts.missing", lang),
        ),
    ]


def score_text(score: float, lang: UiLang = "sv") -> str:
    """A fit score as '65 av 100'."""
    return t("methods.of", lang, score=round(max(0.0, min(1.0, score)) * 100))


def method_cards_html(
    methods: Sequence[Mapping[str, Any]],
    cards: Mapping[str, MethodCard],
    profile: ContextProfile | None = None,
    lang: UiLang = "sv",
) -> str:
    """Recommended methods as cards: fit, reasons for and against, cost and time, link to the full card.

    With a profile, the fit and its reasons come from fit_of (the same as the comparison shows)."""
    if not methods:
        return empty_html(t("methods.empty_title", lang), t("methods.empty", lang))
    out = ['<div class="mg-methods">']
    for i, m in enumerate(methods, start=1):
        mid = str(m["id"])
        card = cards.get(mid)
        if card is not None and profile is not None:
            fit = fit_of(card, profile)
            score = fit.score
            pros = [r.text(lang) for r in fit.pros]
            cons = [r.text(lang) for r in fit.cons]
        else:
            reasons = [str(r) for r in m.get("reasons", [])]
            pros = [r[2:] for r in reasons if r.startswith("+ ")]
            cons = [r[2:] for r in reasons if r.startswith(("− ", "- "))]
            score = float(m.get("score", 0.0))
        heading_id = f"mg-m-{esc(mid)}"
        out.append(f'<article class="mg-method" aria-labelledby="{heading_id}">')
        out.append(f'<h3 id="{heading_id}">{i}. {esc(m["title"])}</h3>')
        out.append(
            f'<p class="mg-score"><meter min="0" max="1" value="{score:.3f}" '
            f'aria-label="{esc(t("methods.fit_aria", lang))}: {score_text(score, lang)}"></meter> '
            f'{esc(t("methods.fit", lang))}: <strong class="mg-fit" data-method="{esc(mid)}">'
            f"{score_text(score, lang)} {esc(t('methods.points', lang))}</strong></p>"
        )
        if card is not None and card.summary:
            out.append(f"<p>{esc(card.summary)}</p>")
        out.append('<div class="mg-procon">')
        out.append(_reason_list(t("methods.pro", lang), pros, "mg-pro", lang))
        out.append(_reason_list(t("methods.con", lang), cons, "mg-con", lang))
        out.append("</div>")
        if card is not None:
            rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in card_facts(card, lang))
            out.append(f'<dl class="mg-facts">{rows}</dl>')
        link = t("methods.show_card", lang, title=m["title"])
        out.append(f'<p><a class="mg-card-link" href="{card_href(mid)}">{esc(link)}</a></p>')
        out.append("</article>")
    out.append("</div>")
    return "".join(out)


def _reason_list(title: str, items: Sequence[str], cls: str, lang: UiLang) -> str:
    body = "".join(f"<li>{esc(r)}</li>" for r in items) or f"<li>{esc(t('methods.nothing', lang))}</li>"
    return f'<div class="{cls}"><h4>{esc(title)}</h4><ul>{body}</ul></div>'


# --- comparison ---------------------------------------------------------------------------------------


def compare_rows(
    cards: Sequence[MethodCard], fits: Mapping[str, Fit] | None = None, lang: UiLang = "sv"
) -> list[tuple[str, list[str]]]:
    """(row name, one value per card) of a comparison; 'fits' (id → Fit) adds fit and reasons."""
    fits = fits or {}
    rows: list[tuple[str, list[str]]] = []
    if fits:
        rows.append(
            (
                t("compare.fit", lang),
                [score_text(fits[c.id].score, lang) if c.id in fits else "–" for c in cards],
            )
        )
    rows += [
        (t("compare.summary", lang), [c.summary for c in cards]),
        (t("compare.purposes", lang), [labels("purposes", list(c.purposes), lang) for c in cards]),
        (t("compare.influence", lang), [labels("influence", list(c.influence), lang) for c in cards]),
        (t("compare.recruitment", lang), [labels("recruitment", list(c.recruitment), lang) for c in cards]),
        (
            t("compare.target_groups", lang),
            [labels("target_groups", list(c.target_groups), lang) for c in cards],
        ),
        (t("compare.formats", lang), [labels("formats", list(c.formats), lang) for c in cards]),
    ]
    facts = [card_facts(c, lang) for c in cards]
    for i, (name, _) in enumerate(facts[0] if facts else []):
        rows.append((name, [f[i][1] for f in facts]))
    if fits:
        for key, attr in (("methods.pro", "pros"), ("methods.con", "cons")):
            rows.append(
                (
                    t(key, lang),
                    [
                        "; ".join(r.text(lang) for r in getattr(fits[c.id], attr)) if c.id in fits else ""
                        for c in cards
                    ],
                )
            )
    return rows


def compare_markdown(
    cards: Sequence[MethodCard], fits: Mapping[str, Fit] | None = None, lang: UiLang = "sv"
) -> str:
    """Two or three method cards side by side as a Markdown table (the API's table_markdown)."""
    if len(cards) < 2:
        return t("compare.choose", lang)

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ") or "–"

    lines = ["| | " + " | ".join(cell(c.title) for c in cards) + " |", "|---" * (len(cards) + 1) + "|"]
    lines += [
        f"| **{name}** | " + " | ".join(cell(v) for v in values) + " |"
        for name, values in compare_rows(cards, fits, lang)
    ]
    return "\n".join(lines)


def compare_html(
    cards: Sequence[MethodCard], fits: Mapping[str, Fit] | None = None, lang: UiLang = "sv"
) -> str:
    """The comparison for the page: a table on wide screens, one card per method on narrow ones (CSS)."""
    if len(cards) < 2:
        return empty_html(t("app.tab.compare", lang), t("compare.choose", lang))
    rows = compare_rows(cards, fits, lang)
    head = "".join(f'<th scope="col">{esc(c.title)}</th>' for c in cards)
    body = "".join(
        f'<tr><th scope="row">{esc(name)}</th>'
        + "".join(f"<td>{esc(v or '–')}</td>" for v in values)
        + "</tr>"
        for name, values in rows
    )
    table = f'<table class="mg-compare-table"><thead><tr><td></td>{head}</tr></thead><tbody>{body}</tbody></table>'
    stacked = []
    for i, c in enumerate(cards):
        facts = "".join(f"<dt>{esc(name)}</dt><dd>{esc(values[i] or '–')}</dd>" for name, values in rows)
        stacked.append(f'<article class="mg-compare-card"><h3>{esc(c.title)}</h3><dl>{facts}</dl></article>')
    return f'<div class="mg-compare">{table}<div class="mg-compare-cards">{"".join(stacked)}</div></div>'


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
    """Beginning, middle or end for phase `index` of `count` (Swedish; see stage_index)."""
    return STAGES[stage_index(index, count)]


def stage_index(index: int, count: int) -> int:
    """0, 1 or 2: beginning, middle or end for phase `index` of `count`."""
    return min(2, index * 3 // max(1, count))


def plan_rows(plan: Sequence[Mapping[str, Any]], lang: UiLang = "sv") -> list[dict[str, Any]]:
    """Phases with their stage and week span: whole weeks from 1, each phase starting after the last ends."""
    rows = []
    elapsed = 0.0
    last = 0
    for i, phase in enumerate(plan):
        weeks = float(phase.get("weeks") or 0)
        elapsed += weeks
        first = last + 1
        last = max(first, int(elapsed + 0.5))  # half-weeks round up, not to even
        rows.append(
            {
                "stage": t(f"plan.stage.{stage_index(i, len(plan))}", lang),
                "stage_index": stage_index(i, len(plan)),
                "name": str(phase["name"]),
                "weeks": weeks,
                "first": first,
                "last": last,
                "span": t("plan.week", lang, n=first)
                if first == last
                else t("plan.weeks", lang, first=first, last=last),
                "activities": [str(a) for a in phase.get("activities", [])],
            }
        )
    return rows


def plan_html(plan: Sequence[Mapping[str, Any]], lang: UiLang = "sv") -> str:
    """A beginning–middle–end timeline of a process plan."""
    if not plan:
        return empty_html(t("side.plan", lang), t("plan.empty", lang))
    total = sum(float(p.get("weeks") or 0) for p in plan)
    out = [f'<p class="mg-hint">{esc(t("plan.total", lang, total=weeks_text(total, lang)))}</p>']
    out.append('<ol class="mg-timeline">')
    for i, row in enumerate(plan_rows(plan, lang), start=1):
        acts = "".join(f"<li>{esc(a)}</li>" for a in row["activities"])
        about = t("plan.about", lang, time=weeks_text(row["last"] - row["first"] + 1, lang))
        out.append(
            f'<li class="mg-phase mg-stage-{row["stage_index"]}">'
            f'<span class="mg-stage">{esc(row["stage"])}</span>'
            f"<h3>{i}. {esc(row['name'])}</h3>"
            f'<p class="mg-meta">{esc(row["span"])} ({esc(about)})</p>'
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
