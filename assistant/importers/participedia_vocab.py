"""Participedia's method vocabulary and how it maps onto ours.

Values: participedia/api `api/helpers/shared-field-options.js`; English labels: its `locales/en.js`.
A mapping entry is either a tuple of our values or a string saying why the value has no counterpart;
our values are the lexicon's (assistant/lexicon/), checked when this module is imported.
"""

from __future__ import annotations

from assistant.lexicon import Lexicon, LexiconError, lexicon

# CSV column → Participedia field; the multi-valued ones are spread over <name>_1.._3 in the export.
SINGLE_FIELDS: tuple[str, ...] = (
    "facetoface_online_or_both",
    "public_spectrum",
    "recruitment_method",
    "open_limited",
    "level_polarization",
    "level_complexity",
    "facilitators",
)
MULTI_FIELDS: tuple[str, ...] = (
    "method_types",
    "number_of_participants",
    "scope_of_influence",
    "participants_interactions",
    "decision_methods",
    "if_voting",
    "purpose_method",
)

VALUES: dict[str, tuple[str, ...]] = {
    "facetoface_online_or_both": ("facetoface", "online", "both"),
    "public_spectrum": ("inform", "consult", "involve", "collaborate", "empower", "not"),
    "open_limited": ("open", "open_to", "limited", "both"),
    "recruitment_method": ("captive", "random", "stratified", "appointment", "election", "not"),
    "level_polarization": ("not", "low", "moderate", "polarized", "high"),
    "level_complexity": ("very_low", "low", "moderate", "high", "very_high"),
    "facilitators": ("yes", "no", "not_applicable"),
    "method_types": (
        "collaborative",
        "community",
        "deliberative",
        "direct",
        "evaluation",
        "experiential",
        "informal",
        "informal_participation",
        "internal",
        "longterm",
        "participantled",
        "participatory",
        "planning",
        "protest",
        "public",
        "public_meetings",
        "research",
    ),
    "number_of_participants": ("individuals", "small", "medium", "large", "no_limit"),
    "scope_of_influence": (
        "organization",
        "neighbourhood",
        "city/town",
        "metropolitan",
        "regional",
        "national",
        "multinational",
        "no_geo",
    ),
    "participants_interactions": (
        "acting",
        "ask",
        "discussion",
        "express",
        "formal",
        "informal",
        "listenwatch",
        "negotiation",
        "storytelling",
        "teachinginstructing",
        "no_interaction",
    ),
    "decision_methods": ("opinion", "idea", "general", "voting", "n/a", "dont"),
    "if_voting": ("preferential", "plurality", "majoritarian", "supermajoritarian", "unanimous", "dont"),
    "purpose_method": ("make", "make_influence", "deliver", "develop", "academic"),
}

# Older spellings seen in the export, normalised before lookup.
LEGACY: dict[str, dict[str, str]] = {
    "recruitment_method": {"captive_sample": "captive"},
    "level_polarization": {
        "not_polarized": "not",
        "low_polarization": "low",
        "moderate_polarization": "moderate",
        "high_polarization": "high",
    },
    "decision_methods": {"not_applicable": "n/a", "na": "n/a", "general_agreement/consensus": "general"},
    "facilitators": {"1": "yes", "0": "no"},
    "scope_of_influence": {"local": "city/town", "international": "multinational"},
}

_NA = "Participedia anger 'ej tillämpligt'"
MAPPING: dict[str, tuple[str, dict[str, tuple[str, ...] | str]]] = {
    "recruitment_method": (
        "recruitment",
        {
            "stratified": ("stratifierat",),
            "random": ("slumpvis",),
            "appointment": ("representanter",),
            "election": ("representanter",),
            "captive": "'Captive Sample' (en grupp som redan är samlad, t.ex. en skolklass) saknar motsvarighet",
            "not": _NA,
        },
    ),
    "open_limited": (
        "recruitment",
        {
            "open": ("oppen",),
            "open_to": ("oppen", "riktad"),
            "limited": ("riktad",),
            "both": ("oppen", "riktad"),
        },
    ),
    "purpose_method": (
        "purposes",
        {
            "make": ("rekommendationer",),
            "make_influence": ("rekommendationer",),
            "deliver": ("samskapande",),
            "develop": ("relationer", "information"),
            "academic": "'Research' (forskning) saknar motsvarighet bland våra syften",
        },
    ),
    "public_spectrum": (
        "influence",
        {
            "inform": ("information",),
            "consult": ("konsultation",),
            "involve": ("dialog",),
            "collaborate": ("inflytande",),
            "empower": ("medbestammande",),
            "not": _NA,
        },
    ),
    "facetoface_online_or_both": (
        "formats",
        {
            "facetoface": ("fysiskt",),
            "online": ("digitalt",),
            "both": ("fysiskt", "digitalt", "hybrid"),
        },
    ),
    "level_complexity": (
        "complexity",
        {
            "very_low": ("lag",),
            "low": ("lag",),
            "moderate": ("medel",),
            "high": ("hog",),
            "very_high": ("hog",),
        },
    ),
    "level_polarization": (
        "polarisation",
        {
            "not": ("lag",),
            "low": ("lag",),
            "moderate": ("medel",),
            "polarized": ("hog",),
            "high": ("hog",),
        },
    ),
    "scope_of_influence": (
        "scale",
        {
            "neighbourhood": ("grannskap", "stadsdel"),
            "city/town": ("kommun",),
            "metropolitan": ("kommun", "region"),
            "regional": ("region",),
            "national": ("nationell",),
            "multinational": "flera länder: vår skala slutar vid nationell nivå",
            "organization": "en organisations inre styrning har ingen geografisk nivå",
            "no_geo": "inga geografiska gränser (t.ex. på nätet)",
        },
    ),
}

# Participants per round: Participedia's own examples ("less than 20", "around 50-100", "more than 100"),
# closed into ranges; open ends get a generous cap because our ranges need a maximum.
PARTICIPANTS: dict[str, tuple[int, int]] = {
    "individuals": (1, 1),
    "small": (2, 20),
    "medium": (20, 100),
    "large": (100, 10_000),
    "no_limit": (1, 100_000),
}

# Participedia's own labels of a method page (locales/en.js, method_view_*_label).
FIELD_LABELS: dict[str, str] = {
    "method_types": "General Type of Method",
    "purpose_method": "Typical Purpose",
    "public_spectrum": "Spectrum of Public Participation",
    "number_of_participants": "Number of Participants",
    "open_limited": "Open to All or Limited to Some?",
    "recruitment_method": "Recruitment Method for Limited Subset of Population",
    "facetoface_online_or_both": "Face-to-Face, Online, or Both?",
    "scope_of_influence": "Scope of Implementation",
    "participants_interactions": "Types of Interaction Among Participants",
    "decision_methods": "Decision Methods",
    "if_voting": "If Voting",
    "facilitators": "Facilitation",
    "level_complexity": "Level of Complexity This Method Can Handle",
    "level_polarization": "Level of Polarization This Method Can Handle",
}

LABELS: dict[str, dict[str, str]] = {
    "method_types": {
        "collaborative": "Collaborative approaches",
        "community": "Community development, organizing, and mobilization",
        "deliberative": "Deliberative and dialogic process",
        "direct": "Direct democracy",
        "evaluation": "Evaluation, oversight, and social auditing",
        "experiential": "Experiential and immersive education",
        "informal": "Informal conversation spaces",
        "informal_participation": "Informal participation",
        "internal": "Internal management or organization",
        "longterm": "Long-term civic bodies",
        "participantled": "Participant-led meetings",
        "participatory": "Participatory arts",
        "planning": "Planning",
        "protest": "Protest",
        "public": "Public budgeting",
        "public_meetings": "Public meetings",
        "research": "Research or experimental method",
    },
    "purpose_method": {
        "make": "Make, influence, or challenge decisions of government and public bodies",
        "make_influence": "Make, influence, or challenge decisions of private organizations",
        "deliver": "Deliver goods & services",
        "develop": "Develop the civic capacities of individuals, communities, and/or civil society organizations",
        "academic": "Research",
    },
    "public_spectrum": {
        "inform": "Inform",
        "consult": "Consult",
        "involve": "Involve",
        "collaborate": "Collaborate",
        "empower": "Empower",
        "not": "Not applicable or not relevant",
    },
    "number_of_participants": {
        "individuals": "Individuals",
        "small": "Small groups (e.g. less than 20 people)",
        "medium": "Medium size groups (e.g. around 50-100 people)",
        "large": "Large groups (e.g. more than 100 people)",
        "no_limit": "There is no limit to the number of people who can participate",
    },
    "open_limited": {
        "open": "Open to all",
        "open_to": "Open to all with special effort to recruit some groups",
        "limited": "Limited to only some groups or individuals",
        "both": "Mixed",
    },
    "recruitment_method": {
        "captive": "Captive sample",
        "random": "Random sample",
        "stratified": "Stratified random sample",
        "appointment": "Appointment",
        "election": "Election",
        "not": "Not applicable",
    },
    "facetoface_online_or_both": {"facetoface": "Face-to-face", "online": "Online", "both": "Both"},
    "scope_of_influence": {
        "organization": "Organization",
        "neighbourhood": "Neighbourhood",
        "city/town": "City/Town",
        "metropolitan": "Metropolitan area",
        "regional": "Regional",
        "national": "National",
        "multinational": "Multinational",
        "no_geo": "No geographical limits",
    },
    "participants_interactions": {
        "acting": "Acting, drama, or roleplay",
        "ask": "Ask & answer questions",
        "discussion": "Discussion, dialogue, or deliberation",
        "express": "Express opinions/preferences only",
        "formal": "Formal testimony",
        "informal": "Informal social activities",
        "listenwatch": "Listen/watch as spectator",
        "negotiation": "Negotiation & bargaining",
        "no_interaction": "No interaction among participants",
        "storytelling": "Storytelling",
        "teachinginstructing": "Teaching/instructing",
    },
    "decision_methods": {
        "opinion": "Opinion survey",
        "idea": "Idea generation",
        "general": "General agreement/consensus",
        "voting": "Voting",
        "n/a": "Not applicable",
        "dont": "Don't know",
    },
    "if_voting": {
        "preferential": "Preferential voting",
        "plurality": "Plurality",
        "majoritarian": "Majoritarian voting",
        "supermajoritarian": "Super-majoritarian",
        "unanimous": "Unanimous decision",
        "dont": "Don't know",
    },
    "facilitators": {"yes": "Yes", "no": "No", "not_applicable": "Not applicable"},
    "level_complexity": {
        "very_low": "Very low complexity",
        "low": "Low complexity",
        "moderate": "Moderate complexity",
        "high": "High complexity",
        "very_high": "Very high complexity",
    },
    "level_polarization": {
        "not": "Not polarized",
        "low": "Low polarization",
        "moderate": "Moderate polarization",
        "polarized": "Polarized",
        "high": "High polarization",
    },
}

# Section headings of Participedia's method template, in template order; alternatives share a slot.
SECTION_SLOTS: tuple[tuple[str, ...], ...] = (
    ("Problems and Purpose",),
    ("Origins and Development",),
    ("Participant Recruitment and Selection",),
    (
        "How it Works: Process, Interaction, and Decision-Making",
        "Deliberation, Decisions, and Public Interaction",
        "How it Works",
        "How It Works",
    ),
    ("Influence, Outcomes, and Effects", "Influence, Outcomes and Effects", "Influence, Outcome and Effects"),
    ("Analysis and Lessons Learned",),
    ("See Also",),
    ("References", "Secondary Sources"),
    ("External Links",),
    ("Notes",),
)


def check_mapping(lex: Lexicon | None = None) -> None:
    """Every value the mapping produces is one of the lexicon's; LexiconError names the first that is not."""
    lex = lex or lexicon()
    for field, (ours, table) in MAPPING.items():
        allowed = lex.values(ours)
        for theirs, mapped in table.items():
            for value in mapped if isinstance(mapped, tuple) else ():
                if value not in allowed:
                    raise LexiconError(
                        f"The Participedia mapping sends {field}={theirs!r} to {ours}={value!r}, "
                        f"which the lexicon does not know; known: {', '.join(allowed)}."
                    )


check_mapping()  # a value renamed in the lexicon must break here, not in an import weeks later
