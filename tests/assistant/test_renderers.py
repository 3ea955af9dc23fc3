"""Every renderer of the composer on a hand-built context: fake passages, a fake finder, no model, no index."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from assistant.advisor import MethodCard
from assistant.answer.context import AdviceContext, phase_of
from assistant.answer.generator import Composer
from assistant.answer.renderers import RENDERERS
from assistant.answer.renderers.fit import describe_profile
from assistant.plan import plan_process
from assistant.ranking import rank_methods
from assistant.types import Answer, Chunk, ContextProfile, Intent, Lang, ScoredChunk

# --- a tiny corpus -------------------------------------------------------------------------------------

SECTIONS: dict[str, list[tuple[str, str]]] = {
    "rad": [
        (
            "Sammanfattning",
            "Ett medborgarråd är en lottad grupp invånare som överlägger och lämnar rekommendationer.",
        ),
        (
            "Nyckeluppgifter",
            "Typisk kostnad: 100 000 kr till 500 000 kr (uppskattning).\n"
            "Typisk tid från planering till återkoppling: 4 månader till 12 månader.\n"
            "Arbetsinsats för kommunens personal: hög.",
        ),
        ("När passar det", "- När frågan är svår och kräver avvägningar mellan värderingar."),
        ("När passar det inte", "- När beslutet redan är fattat.\n- När det brådskar."),
        (
            "Så går det till",
            "1. **Mandat.** Nämnden beslutar om uppdraget.\n"
            "2. **Lottning.** Skicka inbjudningar till ett slumpmässigt urval av invånare.\n"
            "3. **Återkoppling.** Beställaren svarar offentligt på varje rekommendation.",
        ),
    ],
    "enkat": [
        ("Sammanfattning", "En enkät samlar in svar från många invånare på samma frågor."),
        ("Nyckeluppgifter", "Typisk kostnad: 10 000 kr till 200 000 kr (enligt källorna)."),
        (
            "Så går det till",
            "1. **Frågor.** Formulera frågorna.\n2. **Inbjudan.** Skicka inbjudan via brev och sociala medier.",
        ),
    ],
    "kurs-process": [
        ("1. Mandat", "Dialogen behöver ett tydligt mandat från beslutsfattarna innan den börjar."),
        (
            "5. Inbjudan",
            "Inbjudan ska säga vad frågan gäller, vad som går att påverka och vad som händer sedan.",
        ),
        ("6. Rekrytering", "Rekryteringen avgör vilka som deltar; lottning ger en bredare grupp."),
        ("7. Genomförande", "Genomförandet leds av samtalsledare som ger alla plats."),
        ("8. Analys", "Analysen sammanställer resultatet öppet och spårbart."),
        ("9. Beslut", "Beslutsfattarna tar ställning till resultatet och motiverar beslutet."),
        ("10. Återkoppling", "Återkopplingen berättar vad som blev av förslagen och varför."),
    ],
    "kurs-tomma": [
        (
            "När inget kan påverkas: informera i stället",
            "När inget kan påverkas ska kommunen informera i stället.",
        ),
        (
            "Var ärlig om ramarna",
            "Var ärlig om ramarna: säg vad som ligger fast och vad som går att påverka.",
        ),
        (
            "Hur man gör dialogen verklig",
            "En verklig dialog har ett skriftligt mandat och en tydlig mottagare.",
        ),
    ],
    "kurs-aterkoppling": [
        (
            "Vad återkopplingen ska innehålla",
            "Återkopplingen ska berätta vad som kom fram. Den ska säga vad som blev av förslagen. "
            "Den ska också förklara varför vissa förslag inte genomfördes. "
            "Återkopplingen bör komma från de förtroendevalda som fattade beslutet och inte bara från tjänstepersoner, "
            "så att deltagarna ser att politiken har tagit del av resultatet. "
            "Använd samma kanaler som inbjudan, och komplettera med en skriftlig sammanfattning på webben. "
            "Mät gärna efteråt om deltagarna upplevde att återkopplingen var begriplig och ärlig.",
        ),
    ],
    "fall-byar": [
        ("Vad hände", "Byarna fick fördela 900 000 kr efter en enkät till alla hushåll om vad som behövdes."),
    ],
}
ROLES = {
    "process-design": "kurs-process",
    "empty-dialogues": "kurs-tomma",
    "feedback-trust": "kurs-aterkoppling",
}
CHUNKS = {
    (doc, section): Chunk(
        id=f"{doc}:{i:016x}",
        doc_id=doc,
        text=text,
        title={"rad": "Medborgarråd (citizens' assembly)", "enkat": "Enkät"}.get(doc, doc),
        section=section,
        kind="method" if doc in ("rad", "enkat") else "case" if doc.startswith("fall-") else "course",
        lang="sv",
        urls=(f"https://example.org/{doc}",),
    )
    for doc, sections in SECTIONS.items()
    for i, (section, text) in enumerate(sections)
}

RAD = MethodCard(
    id="rad",
    title="Medborgarråd (citizens' assembly)",
    summary="Ett medborgarråd är en lottad grupp.",
    purposes=("rekommendationer",),
    influence=("konsultation", "inflytande"),
    recruitment=("slumpvis", "stratifierat"),
    target_groups=("alla", "underrepresenterade"),
    formats=("fysiskt",),
    participants=(30, 160),
    duration_weeks=(17.4, 52.0),
    cost_sek=(100_000, 500_000),
    staff_effort="hog",
    summary_en="A citizens' assembly is a randomly selected group of residents who deliberate.",
    fits_en=("When the issue is hard and calls for trade-offs between values.",),
    not_fits_en=("When the decision has already been made.", "When it is urgent."),
)
ENKAT = MethodCard(
    id="enkat",
    title="Enkät",
    summary="En enkät samlar in svar.",
    purposes=("kartlaggning", "synpunkter"),
    influence=("konsultation",),
    recruitment=("oppen",),
    target_groups=("alla",),
    formats=("digitalt",),
    participants=(100, 5000),
    duration_weeks=(3.0, 12.0),
    cost_sek=(10_000, 200_000),
    staff_effort="lag",
)
CARDS = {c.id: c for c in (RAD, ENKAT)}
NO_PROFILE = ContextProfile()


def find(doc_id: str, query: str) -> ScoredChunk | None:
    """The chunk with that section heading, else the one sharing most words with the query."""
    hit = CHUNKS.get((doc_id, query))
    if hit is not None:
        return ScoredChunk(hit, 1.0, 1, "section")
    own = [c for (d, _), c in CHUNKS.items() if d == doc_id]
    words = set(re.findall(r"\w{4,}", query.lower()))
    best = max(own, key=lambda c: len(words & set(re.findall(r"\w{4,}", c.embed_text.lower()))), default=None)
    return ScoredChunk(best, 0.5, 1, "words") if best else None


def ctx(
    question: str,
    intent: Intent,
    profile: ContextProfile = NO_PROFILE,
    lang: Lang = "sv",
    methods: tuple[str, ...] = (),
    passages: tuple[tuple[str, str], ...] = (),
    **kw: object,
) -> AdviceContext:
    fits = rank_methods(CARDS.values(), profile, {m: 1.0 for m in methods})
    plan, plan_methods = ([], [])
    if intent == "process_planning":
        plan, plan_methods = plan_process(
            [f for f in fits if f.card.id in methods] or fits, profile, lang, CARDS
        )
    base = AdviceContext(
        question=question,
        language=lang,
        intent=intent,
        profile=profile,
        passages=tuple(ScoredChunk(CHUNKS[p], 1.0, i + 1, "t") for i, p in enumerate(passages)),
        fits=tuple(fits),
        methods=methods,
        cards=CARDS,
        find=find,
        plan=tuple(plan),
        plan_methods=tuple(plan_methods),
        roles=ROLES,
        phase=phase_of(question) if intent == "process_planning" else None,
    )
    return AdviceContext(**{**base.__dict__, **kw})  # type: ignore[arg-type]


def cited_markers_resolve(answer: Answer) -> None:
    numbers = [c.n for c in answer.citations]
    used = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers == list(range(1, len(numbers) + 1)) and used == set(numbers)


# --- one test per renderer ------------------------------------------------------------------------------


def test_every_intent_but_out_of_scope_has_a_renderer() -> None:
    assert set(RENDERERS) == set(get_args(Intent)) - {"out_of_scope"}


def test_fit_recommends_cites_each_card_and_says_when_money_and_time_are_at_the_low_end() -> None:
    profile = ContextProfile(purposes=("rekommendationer",), budget_sek=200_000, time_weeks=21.7)
    answer = Composer().generate(ctx("Vilken metod passar?", "method_fit", profile))
    cited_markers_resolve(answer)
    assert answer.recommended_methods[0].id == "rad"
    assert {"rad", "enkat"} <= {c.doc_id for c in answer.citations}
    block = next(line for line in answer.text.split("\n\n") if line.startswith("**1. Medborgarråd**"))
    assert "nedre delen av typisk kostnad" in block and "Det räcker till en enkel variant." in block
    assert "inget särskilt" not in answer.text
    reasons = answer.recommended_methods[0].reasons  # what the panels show, meaning included
    assert any(
        r.startswith("− ") and "nedre delen" in r and "färre träffar eller deltagare" in r for r in reasons
    )


def test_fit_in_english_quotes_the_english_summary_not_the_swedish_card() -> None:
    answer = Composer().generate(
        ctx("Which method fits?", "method_fit", ContextProfile(budget_sek=400_000), "en")
    )
    blocks = {
        b.split("**")[1].split(". ", 1)[1]: b for b in answer.text.split("\n\n") if re.match(r"\*\*\d\. ", b)
    }
    assert RAD.summary_en in blocks["Medborgarråd"]
    assert "(Swedish)" not in blocks["Medborgarråd"]  # the card with English fields quotes them
    assert "In the method card (Swedish)" in blocks["Enkät"]  # a card without them still says so


def test_facts_about_cost_quote_the_key_facts_line() -> None:
    answer = Composer().generate(ctx("Vad kostar ett medborgarråd?", "factual", methods=("rad",)))
    cited_markers_resolve(answer)
    assert "Typisk kostnad: 100 000 kr till 500 000 kr" in answer.text
    assert {c.doc_id for c in answer.citations} == {"rad"}
    assert [m.id for m in answer.recommended_methods] == ["rad"]


def test_english_facts_quote_the_cards_english_fields() -> None:
    answer = Composer().generate(
        ctx("When does it fit for svår avvägningar?", "factual", lang="en", methods=("rad",))
    )
    cited_markers_resolve(answer)
    assert RAD.summary_en in answer.text and "- " + RAD.fits_en[0] in answer.text
    assert "Swedish" not in answer.text
    assert {c.section for c in answer.citations} == {"Sammanfattning", "När passar det"}


def test_english_question_about_when_a_method_does_not_fit_gets_the_english_bullets() -> None:
    card = RAD
    answer = Composer().generate(ctx("When should we not use it?", "factual", lang="en", methods=("rad",)))
    assert card.summary_en in answer.text and "Swedish" not in answer.text
    assert answer.text.count("\n- ") == len(RAD.not_fits_en)
    assert {c.section for c in answer.citations} == {"Sammanfattning", "När passar det inte"}


def test_compare_tabulates_both_methods_with_cost_in_kronor() -> None:
    answer = Composer().generate(ctx("Jämför medborgarråd och enkät", "comparison", methods=("rad", "enkat")))
    cited_markers_resolve(answer)
    assert re.search(r"^\| Kostnad \| 100 000 kr–500 000 kr \| 10 000 kr–200 000 kr \|$", answer.text, re.M)
    assert {"rad", "enkat"} <= {c.doc_id for c in answer.citations}


def test_process_plan_quotes_the_course_on_each_of_six_phases() -> None:
    answer = Composer().generate(
        ctx("Hur planerar vi ett medborgarråd?", "process_planning", methods=("rad",))
    )
    cited_markers_resolve(answer)
    phases = [line for line in answer.text.split("\n\n") if re.match(r"\*\*\d\. ", line)]
    assert len(phases) == 6 and len(answer.plan) == 6
    assert "tydligt mandat" in phases[0] and "vad som blev av förslagen" in phases[-1]
    assert "kurs-process" in {c.doc_id for c in answer.citations}


@pytest.mark.parametrize(
    ("question", "course", "card_step"),
    [
        ("Hur bjuder vi in till dialogen om parken?", "Inbjudan ska säga", "Skicka inbjudan"),
        ("Hur återkopplar vi till dem som deltog?", "Återkopplingen berättar", "Beställaren svarar"),
    ],
)
def test_a_question_about_one_phase_gets_that_phase_not_a_plan(
    question: str, course: str, card_step: str
) -> None:
    answer = Composer().generate(ctx(question, "process_planning"))
    cited_markers_resolve(answer)
    assert course in answer.text and card_step in answer.text
    assert not re.search(r"^\*\*\d\. ", answer.text, re.M)  # no six-phase plan around an arbitrary method
    assert answer.plan == ()
    assert answer.text.rstrip().endswith("?")  # offers the whole plan instead


def test_a_phase_question_about_the_method_in_the_conversation_keeps_its_plan() -> None:
    answer = Composer().generate(ctx("Hur bjuder vi in?", "process_planning", methods=("rad",)))
    step = next(line for line in answer.text.split("\n\n") if line.startswith("Om just det steget"))
    assert "Medborgarråd" in step and "slumpmässigt urval" in step
    assert len(answer.plan) == 6


def test_general_is_a_cited_synthesis_grouped_by_source() -> None:
    passages = (
        ("kurs-aterkoppling", "Vad återkopplingen ska innehålla"),
        ("kurs-process", "10. Återkoppling"),
    )
    answer = Composer().generate(
        ctx("Vad ska återkopplingen innehålla om förslagen?", "general", passages=passages)
    )
    cited_markers_resolve(answer)
    paragraphs = answer.text.split("\n\n")[1:]
    assert [p.split("**")[1] for p in paragraphs] == ["kurs-aterkoppling", "kurs-process"]  # one per source
    for p in paragraphs:
        sentences = re.split(r"(?<=\])\s+", p.split("**: ", 1)[1])
        assert all(re.search(r"\[\d+\]$", s) for s in sentences)  # every sentence carries its citation
    assert "Mät gärna efteråt" not in answer.text  # chosen sentences, not the whole passage


def test_general_lists_the_methods_it_draws_on_a_card_it_quotes_and_a_case_s_methods() -> None:
    passages = (("fall-byar", "Vad hände"), ("kurs-process", "9. Beslut"), ("rad", "Sammanfattning"))
    question = "Hur fördelade byarna pengarna och vem beslutade?"
    answer = Composer().generate(
        ctx(question, "factual", passages=passages, case_methods={"fall-byar": ("enkat",)})
    )
    assert [m.id for m in answer.recommended_methods] == ["enkat", "rad"]  # in the order they are quoted
    # A method the question names comes first; a course module stands for no method.
    named = Composer().generate(ctx(question, "general", methods=("rad",), passages=passages[:2]))
    assert [m.id for m in named.recommended_methods] == ["rad"]


@pytest.mark.parametrize("pre", [("already_decided",), ("nothing_to_influence",)])
def test_nothing_to_influence_advises_to_inform_cited_to_the_course(pre: tuple[str, ...]) -> None:
    answer = Composer().generate(ctx("Vilken metod passar?", "method_fit", preconditions=pre))
    cited_markers_resolve(answer)
    assert "informera i stället" in answer.text
    assert {c.doc_id for c in answer.citations} == {"kurs-tomma"} and answer.recommended_methods == ()


def test_no_mandate_puts_getting_one_first_and_still_answers() -> None:
    answer = Composer().generate(ctx("Vilken metod passar?", "method_fit", preconditions=("no_mandate",)))
    first = answer.text.split("\n\n")[0]
    assert "mandat" in first and "informera" in first and "[1]" in first
    assert answer.citations[0].doc_id == "kurs-tomma" and answer.recommended_methods


def test_a_probable_decision_puts_informing_first_and_keeps_the_advice() -> None:
    """A decision the reading only finds probable must not take the recommendations away if it is wrong."""
    answer = Composer().generate(ctx("Vilken metod passar?", "method_fit", preconditions=("maybe_decided",)))
    first = answer.text.split("\n\n")[0]
    assert (
        first.startswith("Om beslutet redan är fattat") and "informera i stället" in first and "[1]" in first
    )
    assert answer.citations[0].doc_id == "kurs-tomma" and answer.recommended_methods


def test_an_unsure_reading_says_what_was_understood_and_asks_one_question_back() -> None:
    answer = Composer().generate(
        ctx(
            "parken?",
            "method_fit",
            ContextProfile(purposes=("ideer",)),
            unsure=True,
            clarifying_question=None,
        )
    )
    lines = answer.text.split("\n\n")
    assert lines[0].startswith("Jag är inte säker") and "välja en metod" in lines[0]
    assert answer.text.count("?") == 1 and lines[-1].endswith("?*")
    restated = describe_profile(ContextProfile(purposes=("ideer",)), "sv")
    assert restated and answer.text.count(restated) == 1  # the profile is said once, not again as the intro


def test_out_of_scope_is_refused_without_sources() -> None:
    answer = Composer().generate(ctx("Vad blir vädret?", "out_of_scope"))
    assert answer.abstained and answer.citations == () and "medborgardialog" in answer.text


@pytest.mark.parametrize(
    ("lang", "says"), [("sv", "Om Medborgarråd som metod"), ("en", "about Medborgarråd as a")]
)
def test_a_refused_question_that_names_a_method_is_told_what_it_may_ask_about_that_method(
    lang: Lang, says: str
) -> None:
    question = "Fakturan från konsulten som ledde vårt medborgarråd är för hög. Hur bestrider vi den?"
    answer = Composer().generate(ctx(question, "out_of_scope", lang=lang, methods=("rad",)))
    assert answer.abstained and answer.citations == () and answer.recommended_methods == ()
    assert says in answer.text and "**Medborgarråd**" in answer.text  # the card's short title
    plain = Composer().generate(ctx("Vad blir vädret?", "out_of_scope", lang=lang))
    assert "Medborgarråd" not in plain.text
