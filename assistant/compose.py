"""The embedded answer backend: writes a cited answer per intent from the advice and retrieved passages.

No LLM: sentences come from templates, card fields and the passages themselves; every factual
sentence ends with a [n] marker that points at a retrieved chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant.advisor import Fit, MethodCard
from assistant.chunking import without_aliases
from assistant.types import Answer, Citation, ContextProfile, Lang, MethodFit, PlanPhase, ScoredChunk
from assistant.vocab import labels, sek, weeks_text

QUOTE_CHARS = 400


@dataclass(frozen=True)
class AdviceContext:
    """Everything the pipeline found out, handed to a generator."""

    question: str
    language: Lang
    intent: str
    profile: ContextProfile
    passages: tuple[ScoredChunk, ...] = ()
    fits: tuple[Fit, ...] = ()
    methods: tuple[str, ...] = ()  # method ids the question is about (named or from the conversation)
    cards: dict[str, MethodCard] = field(default_factory=dict)
    find: Callable[[str, str], ScoredChunk | None] | None = None  # (doc id, query) → best chunk of that doc
    clarifying_question: str | None = None
    plan: tuple[PlanPhase, ...] = ()
    plan_methods: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class Generator(Protocol):
    """Writes an answer for an advice context."""

    def generate(self, ctx: AdviceContext) -> Answer:
        """Answer text with [n] markers and the citations they point to."""
        ...


def first_sentences(text: str, max_chars: int = 320) -> str:
    """The opening sentences of a passage, without list markup, cut at a sentence end where possible."""
    flat = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    flat = re.sub(r"\*\*([^*\n]+?)[.:]\*\*", r"\1:", flat)  # "**Mandat.** Text" → "Mandat: Text"
    flat = re.sub(r"\*\*|__|`", "", flat)
    flat = re.sub(r"\s+", " ", flat).strip()
    if len(flat) <= max_chars:
        return flat
    cut = flat[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 80 else cut.rstrip() + " …"


# A process question about one step: (what the question says, words to find the step in the card).
_STEP_FOCUS: tuple[tuple[str, str], ...] = (
    (r"bjud|inbjud|rekryt|invit|recruit|urval|lotta", "inbjudan rekrytering lottning urval"),
    (r"återkoppl|feedback|report back|uppfölj|follow up", "återkoppling uppföljning"),
    (r"analys|sammanställ|analy[sz]", "analys sammanställning"),
)


def step_focus(question: str) -> str | None:
    """Words naming the one step a process question asks about ('hur bjuder vi in?'), if any."""
    q = question.lower()
    return next((words for pattern, words in _STEP_FOCUS if re.search(pattern, q)), None)


def focus_item(text: str, words: str) -> str | None:
    """The first list item of a 'Så går det till' passage that speaks of one of the words' stems."""
    items = re.split(r"\n\s*(?=(?:\d+\.|[-*])\s)", "\n" + text)
    stems = [w[:6] for w in words.split()]
    for item in items:
        if re.match(r"\s*(?:\d+\.|[-*])\s", item) and any(st in item.lower() for st in stems):
            return item.strip()
    return None


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"\w{4,}", text.lower())}


def quote_for(text: str, about: Sequence[str] = (), max_chars: int = QUOTE_CHARS) -> str:
    """The part of a passage to quote: its opening, or, when the sentences citing it are given and the
    passage is longer than a quote, the run of consecutive sentences that shares most words with them."""
    text = without_aliases(text)
    whole = first_sentences(text, 1_000_000)
    if len(whole) <= max_chars or not about:
        return first_sentences(text, max_chars)
    sentences = re.split(r"(?<=[.!?])\s+", whole)
    wanted = set().union(*(_stems(a) for a in about))
    best, best_score = first_sentences(text, max_chars), -1
    for i in range(len(sentences)):
        window = sentences[i]
        for nxt in sentences[i + 1 :]:
            if len(window) + 1 + len(nxt) > max_chars:
                break
            window += " " + nxt
        score = len(wanted & _stems(window))
        if score > best_score:
            best, best_score = window, score
    return best if len(best) <= max_chars else best[:max_chars].rstrip() + " …"


def make_citation(n: int, scored: ScoredChunk, about: Sequence[str] = ()) -> Citation:
    """Citation n for a retrieved chunk, quoting the part that the citing sentences rest on."""
    c = scored.chunk
    return Citation(
        n=n,
        chunk_id=c.id,
        doc_id=c.doc_id,
        title=c.title,
        section=c.section,
        url=c.urls[0] if c.urls else "",
        quote=quote_for(c.text, about),
        licence=c.licence,
    )


class Citations:
    """Numbers chunks in order of first use."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._by_chunk: dict[str, int] = {}
        self._about: dict[int, list[str]] = {}

    def cite(self, scored: ScoredChunk | None, about: str = "") -> str:
        """' [n]' for the chunk (reusing its number), or '' when there is none.

        `about` is the sentence that cites the chunk: the quote then shows the part of a long
        passage that sentence rests on (a card's key facts hold cost, time and target groups far apart).
        """
        if scored is None:
            return ""
        n = self._by_chunk.get(scored.chunk.id)
        if n is None:
            n = len(self.items) + 1
            self._by_chunk[scored.chunk.id] = n
            self.items.append(make_citation(n, scored))
        if about:
            self._about.setdefault(n, []).append(about)
            self.items[n - 1] = make_citation(n, scored, self._about[n])
        return f" [{n}]"


def describe_profile(p: ContextProfile, lang: Lang) -> str:
    """One sentence restating what the official told us (not a factual claim, so uncited)."""
    sv = lang == "sv"
    parts: list[str] = []
    if p.population:
        parts.append(f"{p.population:,} invånare".replace(",", " ") if sv else f"{p.population:,} residents")
    if p.target_groups:
        groups = labels("target_groups", list(p.target_groups), lang)
        if p.ages:
            groups += f" ({p.ages[0]}–{p.ages[1]} år)" if sv else f" (aged {p.ages[0]}–{p.ages[1]})"
        parts.append(("målgruppen " if sv else "target group: ") + groups)
    if p.purposes:
        parts.append(("syftet att " if sv else "the aim of ") + labels("purposes", list(p.purposes), lang))
    if p.budget_sek:
        parts.append(f"en budget på {sek(p.budget_sek)}" if sv else f"a budget of SEK {p.budget_sek:,}")
    if p.time_weeks:
        parts.append(("ungefär " if sv else "about ") + weeks_text(p.time_weeks, lang))
    if p.participants:
        parts.append(f"{p.participants} deltagare" if sv else f"{p.participants} participants")
    if p.conflict == "hog":
        parts.append("en fråga med konflikter" if sv else "a contested issue")
    if p.format:
        parts.append(labels("formats", [p.format], lang))
    if not parts:
        return ""
    joined = ", ".join(parts[:-1]) + (" och " if sv else " and ") + parts[-1] if len(parts) > 1 else parts[0]
    return f"Du beskriver {joined}." if sv else f"You describe {joined}."


_ROWS = {
    "sv": ["Syfte", "Inflytande", "Rekrytering", "Deltagare", "Tid", "Kostnad", "Personalinsats"],
    "en": ["Purpose", "Influence", "Recruitment", "Participants", "Time", "Cost", "Staff effort"],
}
_T: dict[str, dict[str, str]] = {
    "sv": {
        "fit_intro": "De metoder som passar bäst utifrån det du har berättat:",
        "fit_intro_bare": "Utifrån frågan ser de här metoderna mest lovande ut:",
        "because": "Passar eftersom {reasons}.",
        "watch": "Tänk på att {reasons}.",
        "excluded": "{title} passar sämre här eftersom {reasons}.",
        "what": "{sentence}",
        "course_says": "{sentence}",
        "commit": "Se till att dialogen har ett skriftligt mandat från beslutsfattarna, att resultatet har en tydlig "
        "mottagare och att ni återkopplar vad som hände.",
        "nothing": "När inget går att påverka ska ni inte bjuda in till dialog – informera i stället, tydligt och "
        "ärligt, om vad som är beslutat och varför.",
        "nothing_more": "Även om beslutet redan är fattat kan en dialog om hur det ska utformas vara meningsfull, "
        "förutsatt att ramarna sägs tydligt: vad som ligger fast och vad som är öppet att påverka.",
        "ask": "Vill du veta mer om en av metoderna, eller ska jag göra en processplan?",
        "about": "Om {title}:",
        "compare_intro": "Så här skiljer sig metoderna åt:",
        "compare_pick": "För er situation passar {title} bäst: {reasons}.",
        "compare_purpose": "Välj {title} om ni främst vill {purposes}.",
        "plan_intro": "Ett förslag på process med tydlig början, mitt och slut, byggd kring {methods}:",
        "plan_week": "ca {w}",
        "steps": "Så går {title} till enligt metodkortet:",
        "steps_focus": "Om just det steget säger metodkortet för {title}:",
        "plan_total": "Tidsplanen är grov och fördelar {total} på faserna; justera efter er kalender.",
        "general_intro": "Det här säger Metodguidens källor:",
        "none": "Jag hittade inget i Metodguidens källor som svarar på frågan. Fråga gärna om metoder för "
        "medborgardialog, till exempel medborgarbudget, medborgarråd eller fokusgrupper.",
        "oos": "Det kan jag tyvärr inte hjälpa till med. Metodguiden svarar på frågor om medborgardialog: vilken "
        "metod som passar ert syfte, er målgrupp och era resurser, hur ni planerar processen från inbjudan till "
        "återkoppling, och hur ni når fler än de vanliga rösterna. Prova till exempel: ”Vilken metod passar för "
        "att nå unga om ett nytt fritidsområde?”",
    },
    "en": {
        "fit_intro": "The methods that fit best, given what you have told me:",
        "fit_intro_bare": "From your question, these methods look most promising:",
        "because": "It fits because {reasons}.",
        "watch": "Keep in mind that {reasons}.",
        "excluded": "{title} fits less well here because {reasons}.",
        "what": "In the method card (Swedish): “{sentence}”",
        "course_says": "In the course material (Swedish): “{sentence}”",
        "commit": "Make sure the dialogue has a written mandate from decision-makers, that the result has a clear "
        "recipient, and that you report back on what happened.",
        "nothing": "When nothing can be influenced, do not invite people to a dialogue – inform them instead, "
        "clearly and honestly, about what has been decided and why.",
        "nothing_more": "Even if the decision has been made, a dialogue about how it is to be shaped can be "
        "worthwhile, provided the limits are stated clearly: what is fixed and what is open to influence.",
        "ask": "Would you like to know more about one of the methods, or shall I draft a process plan?",
        "about": "About {title} (the sources are in Swedish):",
        "compare_intro": "How the methods differ:",
        "compare_pick": "For your situation {title} fits best: {reasons}.",
        "compare_purpose": "Choose {title} if you mainly want {purposes}.",
        "plan_intro": "A process with a clear beginning, middle and end, built around {methods}:",
        "plan_week": "about {w}",
        "steps": "How {title} works, from the method card (Swedish):",
        "steps_focus": "On that step, the method card for {title} says (in Swedish):",
        "plan_total": "The timeline is rough and spreads {total} over the phases; adjust it to your calendar.",
        "general_intro": "Here is what Metodguiden's sources (in Swedish) say:",
        "none": "I found nothing in Metodguiden's sources that answers the question. Ask about methods for "
        "citizen participation, such as participatory budgeting, citizens' assemblies or focus groups.",
        "oos": "I'm sorry, I can't help with that. Metodguiden answers questions about citizen participation: which "
        "method fits your purpose, target group and resources, how to plan the process from invitation to feedback, "
        "and how to reach beyond the usual voices. Try for example: “Which method suits involving young people in "
        "a new park?”",
    },
}


def _join(items: Sequence[str], lang: Lang) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" och " if lang == "sv" else " and ") + items[-1]


def _title(card: MethodCard) -> str:
    return re.sub(r"\s*\(.*?\)", "", card.title).strip()


class Composer:
    """Template-based answers in the user's language, one template per intent."""

    def generate(self, ctx: AdviceContext) -> Answer:
        """Write the answer for the context's intent."""
        t = _T[ctx.language]
        cites = Citations()
        if ctx.intent == "out_of_scope":
            return Answer(
                text=t["oos"],
                language=ctx.language,
                abstained=True,
                intent=ctx.intent,
                profile=ctx.profile,
                notes=ctx.notes,
            )
        if ctx.profile.nothing_to_influence:
            lines = self._nothing(ctx, cites)
            methods: list[Fit] = []
        elif ctx.intent == "comparison" and len(ctx.methods) >= 2:
            lines, methods = self._compare(ctx, cites)
        elif ctx.intent == "process_planning" and ctx.plan:
            lines, methods = self._plan(ctx, cites)
        elif ctx.intent == "factual" and ctx.methods:
            lines, methods = self._facts(ctx, cites)
        elif ctx.intent in ("method_fit", "process_planning") and ctx.fits:
            lines, methods = self._fit(ctx, cites)
        else:
            lines, methods = self._general(ctx, cites), []
        if not cites.items:
            return Answer(
                text=t["none"],
                language=ctx.language,
                abstained=True,
                intent=ctx.intent,
                profile=ctx.profile,
                notes=ctx.notes,
            )
        text = "\n\n".join(line for line in lines if line)
        return Answer(
            text=text,
            language=ctx.language,
            citations=tuple(cites.items),
            recommended_methods=tuple(_method_fit(f, ctx.language) for f in methods),
            clarifying_question=ctx.clarifying_question,
            intent=ctx.intent,
            profile=ctx.profile,
            plan=ctx.plan if ctx.intent == "process_planning" else (),
            notes=ctx.notes,
        )

    def _find(self, ctx: AdviceContext, doc_id: str, query: str) -> ScoredChunk | None:
        return ctx.find(doc_id, query) if ctx.find else None

    def _nothing(self, ctx: AdviceContext, cites: Citations) -> list[str]:
        t = _T[ctx.language]
        src = self._find(ctx, "kurs-undvik-tomma-dialoger", "När inget kan påverkas: informera i stället")
        src2 = self._find(ctx, "kurs-undvik-tomma-dialoger", "Var ärlig om ramarna")
        return [t["nothing"] + cites.cite(src), t["nothing_more"] + cites.cite(src2 or src)]

    def _fit(self, ctx: AdviceContext, cites: Citations) -> tuple[list[str], list[Fit]]:
        t, lang = _T[ctx.language], ctx.language
        good = [f for f in ctx.fits if not f.hard_conflict][:3]
        intro = describe_profile(ctx.profile, lang)
        lines = [intro, t["fit_intro"] if intro else t["fit_intro_bare"]]
        for i, fit in enumerate(good, start=1):
            card = fit.card
            facts = self._find(ctx, card.id, "Nyckeluppgifter")
            about = self._find(ctx, card.id, "Sammanfattning")
            head = f"**{i}. {_title(card)}**"
            block = [head]
            if about is not None:
                summary = first_sentences(without_aliases(about.chunk.text), 260)
                block.append("– " + t["what"].format(sentence=summary) + cites.cite(about))
            if fit.pros:
                because = t["because"].format(reasons=_join([r.text(lang) for r in fit.pros[:3]], lang))
                block.append(because + cites.cite(facts, because))
            if fit.cons:
                watch = t["watch"].format(reasons=_join([r.text(lang) for r in fit.cons[:2]], lang))
                block.append(watch + cites.cite(facts, watch))
            lines.append(" ".join(block))
        relevant_out = [f for f in ctx.fits if f.hard_conflict and f.relevance >= 0.5][:1]
        for fit in relevant_out:
            facts = self._find(ctx, fit.card.id, "Nyckeluppgifter")
            reasons = _join(
                [r.text(lang) for r in fit.cons if r.field in ("cost_sek", "duration_weeks", "participants")][
                    :2
                ],
                lang,
            )
            if reasons and facts is not None:
                excluded = t["excluded"].format(title=_title(fit.card), reasons=reasons)
                lines.append(excluded + cites.cite(facts, excluded))
        if ctx.profile.commitment is not True and good:
            src = self._find(ctx, "kurs-undvik-tomma-dialoger", "Hur man gör dialogen verklig")
            if src is not None:
                lines.append(t["commit"] + cites.cite(src))
        if not ctx.clarifying_question:
            lines.append(t["ask"])
        else:
            lines.append(f"*{ctx.clarifying_question}*")
        return lines, good

    def _facts(self, ctx: AdviceContext, cites: Citations) -> tuple[list[str], list[Fit]]:
        t = _T[ctx.language]
        lines: list[str] = []
        for mid in ctx.methods[:2]:
            card = ctx.cards.get(mid)
            best = self._find(ctx, mid, ctx.question)
            if best is None:
                continue
            title = _title(card) if card else best.chunk.title
            lines.append(t["about"].format(title=f"**{title}**"))
            lines.append(first_sentences(best.chunk.text, 480) + cites.cite(best))
            if re.search(r"kost|pengar|tid|lång|cost|long|much|budget|resurs", ctx.question.lower()):
                facts = self._find(ctx, mid, "Nyckeluppgifter")
                if facts is not None and facts.chunk.id != best.chunk.id:
                    wanted = [
                        s
                        for s in facts.chunk.text.splitlines()
                        if re.search(r"kostnad|tid från|deltagare", s.lower())
                    ]
                    if wanted:
                        lines.append(" ".join(wanted) + cites.cite(facts))
        fits = [f for f in ctx.fits if f.card.id in ctx.methods]
        return (lines if lines else self._general(ctx, cites)), fits

    def _compare(self, ctx: AdviceContext, cites: Citations) -> tuple[list[str], list[Fit]]:
        t, lang = _T[ctx.language], ctx.language
        cards = [ctx.cards[m] for m in ctx.methods[:3] if m in ctx.cards]
        if len(cards) < 2:
            return self._general(ctx, cites), []
        heads = []
        for c in cards:
            heads.append(f"{_title(c)}{cites.cite(self._find(ctx, c.id, 'Nyckeluppgifter'))}")
        rows = _ROWS[lang]

        def span(v: tuple[float, float] | None, fmt: Callable[[float], str]) -> str:
            return f"{fmt(v[0])}–{fmt(v[1])}" if v else "–"

        table = ["| | " + " | ".join(heads) + " |", "|---" * (len(cards) + 1) + "|"]
        values = [
            [labels("purposes", list(c.purposes), lang) for c in cards],
            [labels("influence", list(c.influence), lang) for c in cards],
            [labels("recruitment", list(c.recruitment), lang) for c in cards],
            [span(c.participants, lambda x: str(int(x))) for c in cards],
            [span(c.duration_weeks, lambda x: weeks_text(x, lang)) for c in cards],
            [span(c.cost_sek, lambda x: sek(x)) for c in cards],
            [labels("level", [c.staff_effort], lang) if c.staff_effort else "–" for c in cards],
        ]
        table += [f"| {rows[i]} | " + " | ".join(values[i]) + " |" for i in range(len(rows))]
        lines = [t["compare_intro"], "\n".join(table)]
        for c in cards:
            about = self._find(ctx, c.id, ctx.question)
            if about is not None:
                lines.append(
                    f"**{_title(c)}**: " + first_sentences(about.chunk.text, 260) + cites.cite(about)
                )
        fits = [f for f in ctx.fits if f.card.id in {c.id for c in cards}]
        if ctx.profile.known() >= 1 and fits:
            best = fits[0]
            reasons = _join([r.text(lang) for r in best.pros[:2]], lang)
            if reasons:
                lines.append(
                    t["compare_pick"].format(title=_title(best.card), reasons=reasons)
                    + cites.cite(self._find(ctx, best.card.id, "Nyckeluppgifter"))
                )
        else:
            for c in cards:
                own = [p for p in c.purposes if not all(p in o.purposes for o in cards if o is not c)]
                if own:
                    lines.append(
                        t["compare_purpose"].format(
                            title=_title(c), purposes=labels("purposes", own[:2], lang)
                        )
                        + cites.cite(self._find(ctx, c.id, "Nyckeluppgifter"))
                    )
        return lines, fits

    def _plan(self, ctx: AdviceContext, cites: Citations) -> tuple[list[str], list[Fit]]:
        t, lang = _T[ctx.language], ctx.language
        names = [_title(ctx.cards[m]) for m in ctx.plan_methods if m in ctx.cards]
        lines = [describe_profile(ctx.profile, lang), t["plan_intro"].format(methods=_join(names, lang))]
        main = ctx.plan_methods[-1] if ctx.plan_methods else ""
        focus = step_focus(ctx.question)
        steps_src = self._find(ctx, main, f"Så går det till steg {focus or 'inbjudan återkoppling'}")
        item = focus_item(steps_src.chunk.text, focus) if focus and steps_src is not None else None
        course = self._find(ctx, "kurs-processdesign", ctx.question)
        for i, phase in enumerate(ctx.plan, start=1):
            week = t["plan_week"].format(w=weeks_text(phase.weeks, lang))
            # The plan's own activities are shown in the plan view; the text quotes what the
            # course says about each phase, so every cited sentence is backed by its source.
            src = self._find(ctx, "kurs-processdesign", _PHASE_QUERY[i - 1]) or course
            said = first_sentences(src.chunk.text, 240) if src is not None else ""
            if lang == "en" and said:
                said = t["course_says"].format(sentence=said)  # the phases quote the course, not a card
            lines.append(f"**{i}. {phase.name}** ({week}): {said}" + cites.cite(src))
        if steps_src is not None:
            title = _title(ctx.cards[main]) if main in ctx.cards else main
            # A question about one step (invitation, feedback …) gets that step of the card in full.
            lead, text = (t["steps_focus"], first_sentences(item, 480)) if item else (t["steps"], None)
            lines.append(
                lead.format(title=title)
                + " "
                + (text or first_sentences(steps_src.chunk.text, 360))
                + cites.cite(steps_src)
            )
        total = sum(p.weeks for p in ctx.plan)
        lines.append(t["plan_total"].format(total=weeks_text(total, lang)))
        for mid in ctx.methods[:1]:
            best = self._find(ctx, mid, ctx.question)
            if best is not None and best.chunk.id != (steps_src.chunk.id if steps_src else ""):
                lines.append(first_sentences(best.chunk.text, 320) + cites.cite(best))
        fits = [f for f in ctx.fits if f.card.id in ctx.plan_methods]
        return lines, fits

    def _general(self, ctx: AdviceContext, cites: Citations) -> list[str]:
        t = _T[ctx.language]
        lines = [t["general_intro"]]
        for sc in ctx.passages[:3]:
            c = sc.chunk
            heading = f"{c.title} – {c.section}" if c.section else c.title
            lines.append(f"**{heading}**: {first_sentences(c.text)}" + cites.cite(sc))
        return lines


_PHASE_QUERY = ("1. Mandat", "5. Inbjudan", "7. Genomförande", "8. Analys", "9. Beslut", "10. Återkoppling")


def _method_fit(fit: Fit, lang: Lang) -> MethodFit:
    reasons = ["+ " + r.text(lang) for r in fit.pros] + ["− " + r.text(lang) for r in fit.cons]
    return MethodFit(id=fit.card.id, title=fit.card.title, score=fit.score, reasons=tuple(reasons))
