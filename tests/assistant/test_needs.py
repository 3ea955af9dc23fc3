"""The cards' fit statements: read from the card, embedded one by one, matched to a question, said as a reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.advisor import MethodCard, fit
from assistant.corpus import load_corpus
from assistant.needs import NeedIndex, NeedMatch, NeedStatement, need_statements
from assistant.types import ContextProfile

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_statements_are_the_cards_fit_bullets_in_both_languages() -> None:
    docs = [d for d in load_corpus([CORPUS]).documents if d.id == "brukarrad"]
    found = need_statements(docs)
    sv = [s.text for s in found if s.lang == "sv" and s.fits]
    en = [s.text for s in found if s.lang == "en"]
    against = [s for s in found if not s.fits]
    assert (
        sv[0]
        == "När en verksamhet vill ha löpande återkoppling från sina användare och inte bara en årlig enkät."
    )
    assert en == list(docs[0].attributes["fits_en"])
    assert len(sv) == 4 and not any("hela kommunen" in t for t in sv)  # "När passar det inte" is not a fit
    assert against and any("hela kommunen" in s.text for s in against)  # … but a statement against
    assert all(s.lang == "sv" and "#unfit:" in s.id for s in against)
    assert len({s.id for s in found}) == len(found) and all(s.embed_text == s.text for s in found)


def _index() -> NeedIndex:
    statements = [
        NeedStatement("a#1", "a", "sv", "När unga ska bestämma över pengar."),
        NeedStatement("a#2", "a", "en", "Young people decide over money."),
        NeedStatement("b#1", "b", "sv", "När en verksamhet vill ha löpande återkoppling."),
        NeedStatement("c#1", "c", "sv", "När en plats är otrygg."),
    ]
    vectors = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return NeedIndex(statements, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def test_each_card_scores_by_its_closest_statement_shown_in_the_users_language() -> None:
    matches = _index().match(np.array([0.8, 0.6, 0.0]), "en", lo_rank=2)
    assert matches["a"].statement == "Young people decide over money."  # the English one, though sv is closer
    assert matches["a"].strength == 1.0 and matches["c"].strength == 0.0
    assert 0.0 < matches["b"].strength < 1.0 and matches["b"].statement.startswith("När en verksamhet")


def test_a_card_also_gets_its_closest_statement_against_and_it_does_not_rank_the_fits() -> None:
    statements = [
        *_index().statements,
        NeedStatement("b#no", "b", "sv", "När beslutet redan är fattat.", False),
    ]
    vectors = np.vstack([_index().vectors, [[0.0, 0.6, 0.8]]])
    matches = NeedIndex(statements, vectors).match(np.array([0.0, 0.6, 0.8]), "sv", lo_rank=2)
    assert (
        matches["b"].against == np.float32(1.0)
        and matches["b"].against_statement == "När beslutet redan är fattat."
    )
    assert (
        matches["b"].similarity < 0.7 and matches["c"].strength == 1.0
    )  # the statement against lifts nothing
    assert matches["a"].against == 0.0 and matches["a"].against_statement == ""


def test_a_question_closer_to_what_the_card_does_not_fit_lowers_it_and_says_why() -> None:
    card = MethodCard(id="r", title="Medborgarråd", summary="")
    against = "När frågan är teknisk och har ett givet svar."
    near_no = fit(
        card, ContextProfile(), need=NeedMatch("r", 0.50, 0.5, "När frågan är värdeladdad.", 0.60, against)
    )
    near_yes = fit(
        card, ContextProfile(), need=NeedMatch("r", 0.60, 0.5, "När frågan är värdeladdad.", 0.50, against)
    )
    assert near_no.raw < near_yes.raw
    said = [r for r in near_no.cons if r.field == "fits"]
    assert (
        said
        and against.rstrip(".") + "”" in said[0].sv
        and not [r for r in near_yes.cons if r.field == "fits"]
    )


def test_the_statements_survive_a_save_and_load(tmp_path: Path) -> None:
    index = NeedIndex(
        [*_index().statements, NeedStatement("b#no", "b", "sv", "När beslutet redan är fattat.", False)],
        np.vstack([_index().vectors, [[0.0, 0.6, 0.8]]]),
    )
    index.save(tmp_path)
    again = NeedIndex.load(tmp_path)
    assert again.statements == index.statements
    assert np.allclose(again.vectors, index.vectors, atol=1e-3)
    assert (
        NeedIndex.load(tmp_path / "none").match(np.ones(3), "sv", 2) == {}
    )  # built before statements existed


def test_a_close_statement_lifts_the_card_and_is_said_as_a_reason() -> None:
    card = MethodCard(id="b", title="Brukarråd", summary="")
    plain = fit(card, ContextProfile())
    close = fit(
        card,
        ContextProfile(),
        need=NeedMatch("b", 0.7, 1.0, "När en verksamhet vill ha löpande återkoppling."),
    )
    weak = fit(
        card,
        ContextProfile(),
        need=NeedMatch("b", 0.4, 0.2, "När en verksamhet vill ha löpande återkoppling."),
    )
    assert close.raw > weak.raw > plain.raw
    said = [r for r in close.pros if r.field == "fits"]
    assert said and "löpande återkoppling" in said[0].sv and not [r for r in weak.pros if r.field == "fits"]


def test_a_profile_set_in_the_form_leads_over_the_wording() -> None:
    """Purposes the official set in the form are their own words: they count more, the question's wording less."""
    card = MethodCard(id="r", title="Medborgarråd", summary="", purposes=("rekommendationer",))
    profile = ContextProfile(purposes=("rekommendationer",))
    need = NeedMatch("r", 0.7, 1.0, "När frågan är svår och värdeladdad.")
    read, stated = fit(card, profile), fit(card, profile, form=True)
    assert stated.raw == 3 * read.raw > 0  # fit.toml [purposes] form_factor
    assert fit(card, ContextProfile(), need=need, form=True).raw < fit(card, ContextProfile(), need=need).raw


def test_the_statement_against_is_weighed_against_the_closest_for_statement_in_its_own_language() -> None:
    """An English question sits closer to a card's English statements; the Swedish ones are the fair peer."""
    statements = [
        NeedStatement("w#sv", "w", "sv", "När många idéer ska samlas tidigt."),
        NeedStatement("w#en", "w", "en", "Many ideas are to be gathered early."),
        NeedStatement("w#no", "w", "sv", "När deltagarna först ska sätta sig in i ett faktaunderlag.", False),
    ]
    vectors = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.6, 0.0, 0.8]])
    matches = NeedIndex(statements, vectors).match(np.array([0.3, 0.8, 0.5]), "en", lo_rank=2)
    w = matches["w"]
    assert w.similarity > w.against > w.peer  # closest overall: the English statement; against beats Swedish


def test_a_method_the_official_asked_about_gives_way_when_its_card_says_it_does_not_fit() -> None:
    """'Would a World Café work for …?': a statement against that beats the card's own statements for it in the
    same language counts for a named method, even below the floor for methods nobody named."""
    card = MethodCard(id="w", title="World Café", summary="")
    against = "När deltagarna först ska sätta sig in i ett faktaunderlag."
    need = NeedMatch("w", 0.40, 0.5, "Many ideas are to be gathered early.", 0.33, against, peer=0.28)
    unnamed, named = (
        fit(card, ContextProfile(), need=need),
        fit(card, ContextProfile(), need=need, named=True),
    )
    assert not [r for r in unnamed.cons if r.field == "fits"]
    said = [r for r in named.cons if r.field == "fits"]
    assert said and against.rstrip(".") + "”" in said[0].sv and named.raw <= unnamed.raw - 3
    closer_for = NeedMatch("w", 0.40, 0.5, "", 0.33, against, peer=0.36)  # its own statements meet it better
    assert not [r for r in fit(card, ContextProfile(), need=closer_for, named=True).cons if r.field == "fits"]
