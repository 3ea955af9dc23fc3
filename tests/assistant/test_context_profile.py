"""The context profile read from text: numbers, money, durations, ages and counts by rules; purposes,
target groups, influence, preconditions, conflict, scale and format by the lexicon's cues; and how later
turns refine earlier ones."""

from __future__ import annotations

import pytest

from assistant.context_profile import (
    merge_profiles,
    parse_ages,
    parse_budget,
    parse_participants,
    parse_population,
    parse_profile,
    parse_time_weeks,
    profile_from_conversation,
)
from assistant.types import ContextProfile

# --- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sek"),
    [
        ("budget 300 000 kr", 300_000),
        ("Vi har 2 MSEK för hela processen.", 2_000_000),
        ("Vi har en halv miljon att röra oss med.", 500_000),
        ("Budgeten är 1,5 miljoner kronor.", 1_500_000),
        ("300 tkr", 300_000),
        ("We have a budget of 500k.", 500_000),
        ("a budget of SEK 1.2 million", 1_200_000),
        ("budget på 80 000", 80_000),
        ("vi har 250 000 kronor", 250_000),
        ("3 mkr", 3_000_000),
        ("1 500 000 kr", 1_500_000),
        ("300 000:-", 300_000),
        ("400k SEK", 400_000),
        ("We have 200,000 SEK.", 200_000),
        ("två miljoner kronor", 2_000_000),
        ("100 tusen kronor", 100_000),
        ("budget: 750 000", 750_000),
        ("en budget på 1,2 MSEK", 1_200_000),
        ("half a million kronor", 500_000),
        ("Vi är 15 000 invånare, budget 300 000 kr och fyra månader.", 300_000),
    ],
)
def test_parse_budget(text: str, sek: int) -> None:
    assert parse_budget(text) == sek


@pytest.mark.parametrize(
    "text",
    [
        "vi har 15 000 invånare",  # a population is not money
        "unga 16–25 år",
        "en vision för 2040",
        "1 miljon",  # no sign that it is money
        "Vilken metod passar?",
    ],
)
def test_parse_budget_ignores_numbers_that_are_not_money(text: str) -> None:
    assert parse_budget(text) is None


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("15 000 invånare", 15_000),
        ("40,000 residents", 40_000),
        ("Vi är en kommun med 9 000 invånare.", 9_000),
        ("kommunen har 120 000 invånare", 120_000),
        ("about 12,000 inhabitants", 12_000),
        ("en kommun på 25 000 invånare", 25_000),
        ("a municipality of 40 000 people", 40_000),
        ("population of 90 000", 90_000),
        ("befolkning på 50 000", 50_000),
        ("en stad med 1,2 miljoner invånare", 1_200_000),
    ],
)
def test_parse_population(text: str, people: int) -> None:
    assert parse_population(text) == people


@pytest.mark.parametrize("text", ["budget 300 000 kr", "unga 16–25 år", "30 deltagare"])
def test_parse_population_ignores_other_numbers(text: str) -> None:
    assert parse_population(text) is None


@pytest.mark.parametrize(
    ("text", "weeks"),
    [
        ("fyra månader", 4 * 4.345),
        ("en halvdag", 0.5 / 7),
        ("en kväll", 0.5 / 7),
        ("6 weeks", 6.0),
        ("ett halvår", 26.0),
        ("ungefär ett halvår", 26.0),
        ("två år", 104.0),
        ("vi har ett år på oss", 52.0),
        ("one year", 52.0),
        ("12 months", 12 * 4.345),
        ("tre veckor", 3.0),
        ("two weeks", 2.0),
        ("2 dagar", 2 / 7),
        ("en helg", 2 / 7),
        ("18 månader", 18 * 4.345),
        ("ett och ett halvt år", 78.0),
        ("half a year", 26.0),
        ("unga 16–25 år, fyra månader", 4 * 4.345),  # the age span is skipped, the months are found
        ("13-19 years old, 3 months", 3 * 4.345),
        ("ungdomar mellan 13 och 19 år under två år", 104.0),
        ("vi har 2–3 månader", 2 * 4.345),  # a range counts by its lower bound
        ("Processen får ta 1–2 år.", 52.0),  # no age word: a duration
    ],
)
def test_parse_time_weeks(text: str, weeks: float) -> None:
    got = parse_time_weeks(text)
    assert got is not None
    assert got == pytest.approx(weeks, abs=0.01)


@pytest.mark.parametrize(
    "text",
    [
        "unga 16–25 år",  # an age span, not two years of time
        "barn 6–12 år",
        "unga 16-25 år",
        "ungdomar mellan 13 och 19 år",
        "barn som är 4 år",
        "children who are 4 years old",
        "15 år",
        "till sommaren",
        "Vilken metod passar?",
        "Vi har ett öppet möte nästa vecka.",  # a date, not time available ('nästa' ends in a number word)
    ],
)
def test_ages_and_vague_times_are_not_durations(text: str) -> None:
    assert parse_time_weeks(text) is None


@pytest.mark.parametrize(
    ("text", "ages", "group"),
    [
        ("unga 16–25 år", (16, 25), "unga"),
        ("vi vill nå 16–25-åringar", (16, 25), "unga"),
        ("13-19 years old", (13, 19), "unga"),
        ("young people aged 16-25", (16, 25), "unga"),
        ("people aged 18 to 30", (18, 30), "unga"),
        ("ungdomar mellan 13 och 19 år", (13, 19), "unga"),
        ("barn 6–12 år", (6, 12), "barn"),
        ("elever 7-12", (7, 12), "barn"),
        ("invånare över 65 år", (65, 99), "aldre"),
        ("65+ år", (65, 99), "aldre"),
        ("De är 10–12 år och frågan gäller skolgården.", (10, 12), "barn"),
    ],
)
def test_ages_become_a_target_group(text: str, ages: tuple[int, int], group: str) -> None:
    assert parse_ages(text) == ages
    assert group in parse_profile(text).target_groups


@pytest.mark.parametrize(
    "text", ["Processen tar 1–2 år.", "vision 2030–2040", "över 18 år får delta", "De är 2–3 stycken."]
)
def test_no_age_span_without_an_age_context(text: str) -> None:
    assert parse_ages(text) is None
    assert not {"unga", "barn", "aldre"} & set(parse_profile(text).target_groups)


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Vi vill att 30 deltagare ska vara med.", 30),
        ("about 200 participants", 200),
        ("tolv deltagare", 12),
        ("Vi räknar med ett 80-tal deltagare.", 80),
        ("ett femtiotal föreningsrepresentanter", 50),
        ("ett hundratal invånare", 100),
    ],
)
def test_parse_participants(text: str, n: int) -> None:
    assert parse_participants(text) == n


# --- keyword dimensions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("Vi vill nå unga om ett nytt fritidsområde.", {"unga"}),
        ("Hur stärker vi ungas inflytande?", {"unga"}),
        ("högstadieelever i Kiruna", {"unga"}),
        ("We want to reach young people.", {"unga"}),
        ("barn i förskolan", {"barn"}),
        ("Hur fungerar barns delaktighet?", {"barn"}),
        ("We want to involve children in the playground.", {"barn"}),
        ("pensionärer i Borås", {"aldre"}),
        ("Vi vill förstå hur äldre upplever tryggheten.", {"aldre"}),
        ("older residents", {"aldre"}),
        (
            "Hur når vi nyanlända och personer med funktionsnedsättning?",
            {"nyanlanda", "funktionsnedsattning"},
        ),
        ("Vi vill nå grupper som sällan hörs.", {"underrepresenterade"}),
        ("seldom heard groups", {"underrepresenterade"}),
        ("Föreningar och företagare i centrum", {"foreningar", "foretagare"}),
        ("de boende i området", {"boende"}),
    ],
)
def test_target_groups(text: str, groups: set[str]) -> None:
    assert set(parse_profile(text).target_groups) == groups


def test_older_than_is_not_the_elderly() -> None:
    assert "aldre" not in parse_profile("unga 16 år och äldre").target_groups


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("Vi vill samla in idéer från invånarna om centrum.", "ideer"),
        ("We want ideas from residents.", "ideer"),
        ("Politikerna vill att invånarna ska prioritera mellan tre förslag.", "prioritering"),
        ("Vi behöver genomarbetade rekommendationer till fullmäktige.", "rekommendationer"),
        ("We need recommendations for the council.", "rekommendationer"),
        ("Invånarna ska få besluta om hur en del av budgeten används.", "beslut"),
        ("Residents decide how to spend the money.", "beslut"),
        ("Vi vill få synpunkter på förslaget till detaljplan.", "synpunkter"),
        ("Vi vill förstå hur äldre upplever tryggheten i centrum.", "kartlaggning"),
        ("We want to understand the needs of newcomers.", "kartlaggning"),
        ("Vi vill ta fram en vision för kommunen.", "visioner"),
        ("Hur bygger vi förtroende mellan invånare och kommunen?", "relationer"),
        ("Vi vill utforma parken tillsammans med de boende.", "samskapande"),
        ("We want to co-design the library.", "samskapande"),
    ],
)
def test_purposes(text: str, purpose: str) -> None:
    assert purpose in parse_profile(text).purposes


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("The decision has already been decided.", "beslut"),  # 'decided' is not residents deciding
        ("Kan idéburna organisationer vara med?", "ideer"),
        ("Vi vill ingå ett partnerskap med en idéburen organisation.", "ideer"),
        ("Our municipality needs a method.", "kartlaggning"),
        ("Det är avgörande att vi når unga.", "beslut"),
    ],
)
def test_purposes_not_read_into_other_words(text: str, absent: str) -> None:
    assert absent not in parse_profile(text).purposes


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Invånarna ska få besluta om budgeten.", "medbestammande"),
        ("Residents decide, and the vote is binding.", "medbestammande"),
        ("Invånarna ska ha verkligt inflytande över utformningen.", "inflytande"),
        ("We want to consult residents on the plan.", "konsultation"),
        ("De ska få tycka till om förslaget.", "konsultation"),
    ],
)
def test_influence(text: str, level: str) -> None:
    p = parse_profile(text)
    assert level in p.influence
    assert not p.nothing_to_influence


@pytest.mark.parametrize(
    "text",
    [
        "Beslutet är redan fattat, men vi vill ha en dialog.",
        "Politikerna har redan bestämt hur det blir.",
        "Det är redan beslutat.",
        "Invånarna kan inte påverka något i frågan.",
        "It has already been decided.",
        "The decision has already been made, can we still hold a dialogue?",
        "Nothing can be changed at this point.",
    ],
)
def test_nothing_to_influence(text: str) -> None:
    assert parse_profile(text).nothing_to_influence


@pytest.mark.parametrize(
    ("text", "commitment"),
    [
        ("Politikerna har lovat att svara på resultatet.", True),
        ("Vi har ett tydligt mandat från kommunstyrelsen.", True),
        ("The council has agreed to respond to the recommendations.", True),
        ("Vi har inget mandat från politiken.", False),
        ("Det är inte förankrat hos politikerna.", False),
        ("There is no political support for this.", False),
        ("Vi vill nå unga.", None),
    ],
)
def test_commitment(text: str, commitment: bool | None) -> None:
    assert parse_profile(text).commitment is commitment


@pytest.mark.parametrize(
    ("text", "conflict", "complexity"),
    [
        ("Frågan om vindkraft är polariserad.", "hog", None),
        ("It is a heated and divisive issue.", "hog", None),
        ("Frågan om vindkraft har splittrat kommunen.", "hog", None),
        ("Många är arga över den nya trafiklösningen.", "hog", None),
        ("The wind farm has split the town.", "hog", None),
        ("Det är en kontroversiell fråga med starka känslor.", "hog", None),
        ("Det är ingen konflikt i frågan.", "lag", None),
        (
            "Det är en komplex fråga med många intressen och målkonflikter.",
            None,
            "hog",
        ),  # goal conflicts ≠ a fight
        ("It is a complex issue with trade-offs.", None, "hog"),
        ("Det är en enkel fråga.", None, "lag"),
        ("Vi har 2 MSEK och ett år, frågan är polariserad och komplex.", "hog", "hog"),
    ],
)
def test_conflict_and_complexity(text: str, conflict: str | None, complexity: str | None) -> None:
    p = parse_profile(text)
    assert (p.conflict, p.complexity) == (conflict, complexity)


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("Dialogen gäller ett bostadsområde.", "grannskap"),
        ("Vi ska rusta upp parken.", "grannskap"),
        ("Det gäller en stadsdel i norr.", "stadsdel"),
        ("Hela kommunen berörs.", "kommun"),
        ("Frågan gäller hela regionen.", "region"),
        ("This is a national issue.", "nationell"),
    ],
)
def test_scale(text: str, scale: str) -> None:
    assert parse_profile(text).scale == scale


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("Vi vill ha en digital dialog.", "digitalt"),
        ("We would run it online.", "digitalt"),
        ("Vi träffas på plats.", "fysiskt"),
        ("in person meetings", "fysiskt"),
        ("We want a hybrid format.", "hybrid"),
    ],
)
def test_format(text: str, fmt: str) -> None:
    assert parse_profile(text).format == fmt


def test_issue_example_profile() -> None:
    p = parse_profile(
        "Vi är en kommun med 15 000 invånare och vill nå unga 16–25 år om ett nytt fritidsområde, "
        "budget 300 000 kr, fyra månader — vilken metod passar?"
    )
    assert (p.population, p.budget_sek, p.ages) == (15_000, 300_000, (16, 25))
    assert p.time_weeks == pytest.approx(17.38, abs=0.01)
    assert p.target_groups == ("unga",)


def test_english_example_profile() -> None:
    p = parse_profile(
        "We are a municipality of 40,000 residents and want to reach young people aged 16-25, "
        "budget of 500k, 6 weeks. Which method fits?"
    )
    assert (p.population, p.budget_sek, p.time_weeks, p.ages) == (40_000, 500_000, 6.0, (16, 25))
    assert "unga" in p.target_groups


# --- conversation -----------------------------------------------------------------------------------


def test_later_budget_replaces_earlier() -> None:
    p = profile_from_conversation(
        ["Vi har 300 000 kr och vill nå unga.", "Förresten, budgeten är 500 000 kr, inte 300 000."]
    )
    assert p.budget_sek == 500_000
    assert p.target_groups == ("unga",)  # what was not corrected is kept


@pytest.mark.parametrize(
    ("earlier", "later", "field", "value"),
    [
        ("fyra månader", "Nej, vi har bara sex veckor.", "time_weeks", 6.0),
        ("15 000 invånare", "Vi är faktiskt 20 000 invånare.", "population", 20_000),
        ("budget 2 MSEK", "We only have 200,000 SEK.", "budget_sek", 200_000),
        ("Frågan är polariserad.", "Det är ingen konflikt i frågan.", "conflict", "lag"),
    ],
)
def test_merge_later_value_wins(earlier: str, later: str, field: str, value: object) -> None:
    merged = merge_profiles(parse_profile(earlier), parse_profile(later))
    assert getattr(merged, field) == value


def test_merge_keeps_earlier_when_later_is_silent_and_joins_lists() -> None:
    a = parse_profile("Vi vill nå unga, budget 300 000 kr, samla idéer.")
    b = parse_profile("Även äldre ska kunna vara med.")
    merged = merge_profiles(a, b)
    assert merged.budget_sek == 300_000
    assert merged.target_groups == ("unga", "aldre")
    assert merged.purposes == ("ideer",)
    assert merge_profiles(ContextProfile(), ContextProfile()).is_empty()


def test_nothing_to_influence_survives_later_messages() -> None:
    p = profile_from_conversation(["Beslutet är redan fattat.", "Vi har 100 000 kr."])
    assert p.nothing_to_influence and p.budget_sek == 100_000
