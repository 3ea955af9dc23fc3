"""The lexicon: one schema, every value labelled in Swedish and English with enough exemplars, and a
new phrasing or value is a data change that the readers pick up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.corpus import MethodModel
from assistant.importers import participedia_vocab
from assistant.lexicon import FOLDER, LexiconError, lexicon, load_lexicon
from assistant.semantic import MULTI, SIMILAR, SINGLE, UNLABELLED, training_set
from assistant.vocab import CARD_FIELDS, LABELS, label, labels

MIN_EXEMPLARS = 8
READ_SEMANTICALLY = SINGLE + MULTI


def test_every_value_has_both_labels_and_enough_exemplars() -> None:
    lex = lexicon()
    for name, dim in lex.dimensions.items():
        assert dim.sv and dim.en, name
        for value in dim.values:
            assert value.sv.strip() and value.en.strip(), f"{name}.{value.key}"
            if (name, value.key) == ("intents", "out_of_scope"):
                continue  # its phrasings are scope 'out'
            assert len(value.exemplars) >= MIN_EXEMPLARS, f"{name}.{value.key} has {len(value.exemplars)}"
            assert value.exemplars_sv and value.exemplars_en, f"{name}.{value.key} needs sv and en"


def test_the_dimensions_the_readers_need_are_there() -> None:
    lex = lexicon()
    for name in CARD_FIELDS + READ_SEMANTICALLY:
        assert lex.dimension(name).values
    assert set(lex.values("intents")) == {
        "method_fit",
        "factual",
        "comparison",
        "process_planning",
        "general",
        "out_of_scope",
    }
    assert set(lex.values("preconditions")) >= {"already_decided", "nothing_to_influence", "no_mandate"}
    assert set(lex.values("scope")) == {"in", "out"}


def test_out_of_scope_exemplars_include_municipal_questions_that_are_not_about_participation() -> None:
    out = " ".join(lexicon().dimension("scope").get("out").exemplars).lower()  # type: ignore[union-attr]
    for topic in ("bygglov", "upphandl", "lön", "parti", "skatt", "sol på", "planning permission"):
        assert topic in out, topic


def test_no_exemplar_is_listed_twice() -> None:
    texts, _ = training_set(lexicon())
    assert len(texts) == len(set(texts))


def test_vocab_labels_come_from_the_lexicon() -> None:
    lex = lexicon()
    assert LABELS["purposes"]["beslut"] == (
        lex.dimension("purposes").get("beslut").sv,
        "letting residents decide",
    )  # type: ignore[union-attr]
    assert label("target_groups", "unga", "en") == "young people"
    assert label("level", "hog") == "hög"
    assert label("purposes", "no-such-value") == "no-such-value"
    assert labels("formats", ["fysiskt", "digitalt"], "en") == "in person and online"


def test_corpus_validation_uses_the_lexicon_values() -> None:
    with pytest.raises(ValueError, match="'fritt' is not a known purposes value"):
        MethodModel.model_validate(
            {
                "id": "x-metod",
                "kind": "method",
                "title": "X",
                "lang": "sv",
                "summary": "En metod som inte finns.",
                "sources": [],
                "licence": "CC-BY-4.0",
                "purposes": ["fritt"],
            }
        )


def test_participedia_mapping_targets_are_lexicon_values() -> None:
    participedia_vocab.check_mapping()


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "lexicon"
    folder.mkdir()
    for path in FOLDER.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    return folder


def test_an_unknown_key_is_refused_with_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "purposes.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("        sv: samla idéer och förslag\n", "        svv: oops\n"), encoding="utf-8"
    )
    line = 1 + text.splitlines().index("        sv: samla idéer och förslag")
    with pytest.raises(LexiconError, match=rf"purposes\.yaml:{line}: unknown key 'svv' in purposes\.ideer"):
        load_lexicon(folder)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('cues: ["hybrid"]', 'cues: ["hybrid("]', "the cue 'hybrid\\(' in formats.hybrid.cues is not valid"),
        ("        en: in person\n", "", "formats.fysiskt has no 'en' label"),
        ("    en: format\n", "    en: format\n    colour: blue\n", "unknown key 'colour' in formats"),
    ],
)
def test_schema_errors_name_what_to_fix(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = _copy(tmp_path)
    path = folder / "card_values.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        load_lexicon(folder)


def test_adding_a_phrasing_is_a_data_change(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    before = load_lexicon(folder)
    path = folder / "reading.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "            - Allt är redan klubbat i fullmäktige.\n"
    path.write_text(
        text.replace(anchor, anchor + "            - Grävskoporna står redan på plats.\n"), encoding="utf-8"
    )
    after = load_lexicon(folder)
    assert (
        "Grävskoporna står redan på plats."
        in after.dimension("preconditions").get("already_decided").exemplars
    )  # type: ignore[union-attr]
    assert after.digest != before.digest  # the fitted reader is cached under the digest: it is fitted again
    texts, labels = training_set(after)
    assert labels["preconditions"][texts.index("Grävskoporna står redan på plats.")] == "already_decided"


def test_adding_a_cue_is_a_data_change(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "target_groups.yaml"
    text = path.read_text(encoding="utf-8")
    phrase = "vi vill höra vårdtagarna"
    assert "brukare" not in load_lexicon(folder).matches("target_groups", phrase)
    path.write_text(
        text.replace('cues: ["brukare", ', 'cues: ["brukare", "vårdtagar", ', 1), encoding="utf-8"
    )
    assert "brukare" in load_lexicon(folder).matches("target_groups", phrase)


def _questions(folder: Path, *rows: str) -> None:
    (folder / "questions.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")


def test_labelled_questions_teach_scope_and_intent_and_leave_the_rest_unsaid(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    before = load_lexicon(folder)
    need = "Nämnden vill att föräldrarna ska vara med när skolgården görs om. Hur gör vi?"
    decided = "Bygget är upphandlat och ritningarna klara, men chefen vill ha en dialog. Vilken metod?"
    permit = "Hur lång handläggningstid har ett bygglov för en altan?"
    _questions(
        folder,
        f'{{"text": "{need}", "scope": "in", "intent": "method_fit", "methods": ["medskapande-workshop"]}}',
        f'{{"text": "{decided}", "scope": "in", "intent": "method_fit", "precondition": true}}',
        f'{{"text": "{permit}", "scope": "out", "intent": ""}}',
    )
    after = load_lexicon(folder)
    assert after.digest != before.digest  # a new question refits the reader
    texts, labels = training_set(after)
    row = {t: texts.index(t) for t in (need, decided, permit)}
    assert [labels["scope"][row[t]] for t in (need, decided, permit)] == ["in", "in", "out"]
    assert [labels["intents"][row[t]] for t in (need, decided, permit)] == ["method_fit", "method_fit", ""]
    # What a question states beside its request is not labelled: a purpose or a group may well be there.
    assert labels["purposes"][row[need]] == labels["target_groups"][row[need]] == UNLABELLED
    # For the preconditions a question is a negative, unless its set marks it as a precondition case:
    # then it teaches a decision taken (the advice to inform that every such case expects).
    assert labels["preconditions"][row[need]] == ""
    assert labels["preconditions"][row[decided]] == "already_decided"
    # The methods a question expects are kept for the vote of similar questions (assistant/semantic.py).
    assert [labels[SIMILAR][row[t]] for t in (need, decided, permit)] == ["medskapande-workshop", "", ""]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{"text": "Hur?", "scope": "inne", "intent": "factual"}', r"questions\.jsonl:2: scope 'inne'"),
        ('{"text": "Hur?", "scope": "out", "intent": "factual"}', r"questions\.jsonl:2: intent 'factual'"),
        ('{"text": "Hur?", "scope": "in", "intent": "planning"}', r"questions\.jsonl:2: intent 'planning'"),
        ('{"text": "Hur?", "scope": "in", "intent": "factual", "precondition": "yes"}', "true or false"),
        (
            '{"text": "Hur?", "scope": "in", "intent": "method_fit", "methods": "enkat"}',
            "list of method card ids",
        ),
        ('{"text": "Hur?", "scope": "out", "intent": "", "methods": ["enkat"]}', "only a question in scope"),
        ('{"text": "", "scope": "in", "intent": "factual"}', "text is empty"),
        ('{"text": "Hur?", "scope": "in", "colour": "blue"}', "an object with text, scope"),
        ('{"text": "Hur?", "scope": "in",', r"questions\.jsonl:2: not valid JSON"),
    ],
)
def test_a_broken_labelled_question_is_refused_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    folder = _copy(tmp_path)
    _questions(folder, '{"text": "Vilken metod passar?", "scope": "in", "intent": "method_fit"}', row)
    with pytest.raises(LexiconError, match=message):
        load_lexicon(folder)


def test_the_reader_for_the_default_model_ships_fitted_for_this_lexicon() -> None:
    """A lexicon or recipe change ships its refit (assistant/lexicon/README.md), so no fresh clone fits it."""
    from assistant.semantic import _VERSION, FITTED

    shipped = sorted(p.name for p in FITTED.glob("*.npz"))
    assert shipped == [f"gemma-{lexicon().digest}-v{_VERSION}.npz"], shipped


@pytest.mark.parametrize(
    ("text", "dimension", "value"),
    [
        ("would a world café work for our water strategy?", "intents", "method_fit"),
        ("is a citizens' jury the right tool for choosing benches?", "intents", "method_fit"),
        ("skulle ett medborgarråd fungera för öppettiderna?", "intents", "method_fit"),
        ("funkar en fokusgrupp för att nå alla?", "intents", "method_fit"),
        ("kan vi köra ett hackathon om skolans resurser?", "intents", "method_fit"),
        ("vi vill ha genomtänkta förslag från invånarna", "purposes", "rekommendationer"),
        ("how common is it to feel unsafe at the station?", "purposes", "kartlaggning"),
        ("ett tvärsnitt av invånarna", "target_groups", "alla"),
    ],
)
def test_suitability_and_plain_need_wordings_are_cued(text: str, dimension: str, value: str) -> None:
    """'Would X work for Y?' asks for method advice; plain words for a purpose or a group are read as one."""
    assert value in lexicon().matches(dimension, text)


def test_how_a_method_works_is_not_a_suitability_question() -> None:
    assert "method_fit" not in lexicon().matches("intents", "hur fungerar en fokusgrupp?")
    assert "method_fit" not in lexicon().matches("intents", "how would a citizens' jury work in practice?")
