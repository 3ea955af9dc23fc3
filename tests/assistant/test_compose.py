"""The composer's text helpers: passage openings, the part of a passage a citation quotes, step focus."""

from __future__ import annotations

import pytest

from assistant.answer.citations import QUOTE_CHARS, Citations, quote_for
from assistant.answer.context import phase_of
from assistant.answer.renderers.process import focus_item
from assistant.answer.text import first_sentences
from assistant.types import Chunk, ScoredChunk
from evals.metrics import SUPPORT_THRESHOLD, lexical_support

STEPS = """1. **Mandat och fråga.** Nämnden beslutar om uppdraget och hur svaret ska ges.
2. **Organisation.** Utse en processledning med armslängds avstånd till politiken.
3. **Lottning i två steg.** Skicka inbjudningar till ett slumpmässigt urval av invånare.
4. **Återkoppling.** Beställaren svarar offentligt på varje rekommendation."""

# A card's key facts: cost first, target groups last, further apart than one quote.
FACTS = " ".join(
    [
        "Metoden passar för att ta fram genomarbetade rekommendationer och prioritera mellan alternativ.",
        "Nivå på delaktighetstrappan: konsultation och inflytande.",
        "Deltagare rekryteras genom lottning med kvoter så att gruppen speglar befolkningen.",
        "Typiskt antal deltagare: 30 till 160.",
        "Typisk tid från planering till återkoppling: 4 månader till 9 månader.",
        "Typisk kostnad: 400 000 kr till 3 000 000 kr, enligt källorna.",
        "Personalinsatsen är hög och kräver en projektledare på heltid under hela processen.",
        "Formen är fysisk eller hybrid, på kommun- eller regionnivå.",
        "Metoden är särskilt lämpad för att nå alla invånare och grupper som sällan hörs.",
    ]
)


def test_first_sentences_turns_bold_lead_ins_into_labels_not_sentences() -> None:
    text = first_sentences(STEPS, 120)
    assert text.startswith("Mandat och fråga: Nämnden beslutar")
    assert not text.endswith("Organisation.")  # a cut never ends on a lone lead-in


def test_quote_for_without_citing_sentences_is_the_opening() -> None:
    assert quote_for(FACTS) == first_sentences(FACTS, QUOTE_CHARS)


def test_quote_for_picks_the_consecutive_sentences_the_citing_sentence_rests_on() -> None:
    sentence = "Passar eftersom den är särskilt lämpad för att nå grupper som sällan hörs."
    quote = quote_for(FACTS, [sentence])
    assert len(quote) <= QUOTE_CHARS
    assert "sällan hörs" in quote and quote in first_sentences(FACTS, 10_000)  # one contiguous run
    assert lexical_support(sentence, quote, "sv") >= SUPPORT_THRESHOLD
    assert lexical_support(sentence, first_sentences(FACTS, QUOTE_CHARS), "sv") < SUPPORT_THRESHOLD


def test_a_reused_citation_quotes_for_every_sentence_that_cites_it() -> None:
    chunk = Chunk(
        id="c1",
        doc_id="rad",
        text=FACTS,
        title="Medborgarråd",
        section="Nyckeluppgifter",
        kind="method",
        lang="sv",
    )
    cites = Citations()
    first = cites.cite(ScoredChunk(chunk, 1.0, 1, "t"), "Kostnaden är 400 000 kr till 3 000 000 kr.")
    again = cites.cite(ScoredChunk(chunk, 1.0, 1, "t"), "Tiden är 4 månader till 9 månader.")
    assert first == again == " [1]" and len(cites.items) == 1
    quote = cites.items[0].quote
    assert "400 000 kr" in quote and "4 månader" in quote


@pytest.mark.parametrize(
    ("question", "step"),
    [
        ("Hur bjuder vi in till medborgarrådet?", "Lottning i två steg"),
        ("How do we recruit the members?", "Lottning i två steg"),
        ("Hur återkopplar vi till deltagarna?", "Återkoppling"),
        ("Hur planerar vi ett medborgarråd?", None),
        (
            "Hur får vi föräldrar som inte pratar svenska att komma till medborgarrådet?",
            "Lottning i två steg",
        ),
    ],
)
def test_a_question_about_one_step_finds_that_step(question: str, step: str | None) -> None:
    phase = phase_of(question)
    focus = phase.card_words if phase else None
    item = focus_item(STEPS, focus) if focus else None
    assert step in item if item and step else item is step


@pytest.mark.parametrize(
    ("question", "phase"),
    [
        ("Hur får vi de äldre att komma?", "invitation"),
        ("Hur får vi fler unga att komma dit?", "invitation"),
        ("Hur får vi föräldrarna att komma på mötet nästa vecka?", "invitation"),
        ("Vi behöver hjälp för att komma igång med dialogen i Kvarnby. Hur tänker vi?", None),
        ("Vad gör vi för att komma vidare när dialogen har kört fast?", None),
    ],
)
def test_coming_to_the_meeting_is_the_invitation_but_getting_started_is_not(
    question: str, phase: str | None
) -> None:
    found = phase_of(question)
    assert (found.key if found else None) == phase


def test_quotes_leave_out_the_other_names_that_only_help_retrieval() -> None:
    summary = (
        "En lottad grupp invånare överlägger och lämnar rekommendationer.\n\nAndra namn: citizens' assembly."
    )
    assert quote_for(summary) == "En lottad grupp invånare överlägger och lämnar rekommendationer."
    assert "Andra namn" not in quote_for(summary, ["Vad gör en citizens' assembly?"])
