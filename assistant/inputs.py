"""Input from outside (the `/ask` and `/compare` API, the CLI) checked before anything runs.

Every failure is an `InputError` with a message and a hint in Swedish: the API returns them as
`error` and `hint`, the CLI prints them. Nothing here loads a model, so the CLI can refuse a bad
question at once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from assistant.errors import AssistantError, QuestionError
from assistant.types import ContextProfile

MAX_PROFILE_CHARS = 20_000  # a full profile is under 1 000 characters of JSON
MAX_HISTORY_MESSAGES = 100
MAX_MESSAGE_CHARS = 20_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InputError(AssistantError):
    """A profile, conversation or method list from outside that cannot be used as given."""


def has_surrogates(text: str) -> bool:
    """True for text with lone surrogates: undecodable bytes from a terminal or a broken JSON escape."""
    return _SURROGATE.search(text) is not None


def check_question(question: Any, max_chars: int) -> str:
    """The question as clean text; QuestionError (message + hint) for anything else."""
    from assistant.understanding import clean_question  # rules only, no model

    if not isinstance(question, str):
        raise QuestionError(
            f"Frågan måste vara text, fick {_type_name(question)}.",
            hint='Skicka frågan som en sträng, till exempel "Vilken metod passar för att nå unga?".',
        )
    if has_surrogates(question):
        raise QuestionError(
            "Frågan innehåller tecken som inte är giltig UTF-8-text (ett ensamt surrogattecken eller "
            "bytes i fel teckenkodning).",
            hint="Skriv frågan igen som vanlig text, och kontrollera att terminalen använder UTF-8 "
            "(till exempel LANG=sv_SE.UTF-8).",
        )
    return clean_question(question, max_chars)


def _valid_text(value: str) -> str:
    if has_surrogates(value) or _CONTROL.search(value):
        raise ValueError("texten innehåller ogiltiga tecken (styrtecken eller ensamma surrogattecken)")
    return value


Word = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), AfterValidator(_valid_text)
]
Text = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS), AfterValidator(_valid_text)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ProfileInput(_Strict):
    """The profile a client may send: the fields of `profile` in the `ask --json` answer."""

    purposes: list[Word] = Field(default_factory=list, max_length=20)
    influence: list[Word] = Field(default_factory=list, max_length=10)
    nothing_to_influence: bool = False
    population: Count | None = None
    budget_sek: Annotated[int, Field(ge=0, le=10**12)] | None = None
    time_weeks: Annotated[float, Field(ge=0, le=520)] | None = None
    target_groups: list[Word] = Field(default_factory=list, max_length=20)
    ages: tuple[Annotated[int, Field(ge=0, le=120)], Annotated[int, Field(ge=0, le=120)]] | None = None
    participants: Count | None = None
    scale: Word | None = None
    complexity: Word | None = None
    conflict: Word | None = None
    format: Word | None = None
    commitment: bool | None = None

    @field_validator("population", "budget_sek", "participants", "time_weeks", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("ett tal behövs, inte true/false")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("talet måste vara ändligt (inte NaN eller oändligt)")
        return value

    @field_validator("ages")
    @classmethod
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError("den lägsta åldern kommer först")
        return value

    def profile(self) -> ContextProfile:
        """The ContextProfile the assistant reasons over."""
        return ContextProfile.from_json(self.model_dump())


class _Part(_Strict):
    type: Literal["text"] = "text"
    text: Text


class MessageInput(_Strict):
    """One earlier message of the conversation: Gradio's shape, content as text or text parts."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # Gradio adds metadata/options keys
    role: Literal["user", "assistant"]
    content: Text | Annotated[list[_Part], Field(max_length=50)]

    def text(self) -> str:
        """The message as one text."""
        return self.content if isinstance(self.content, str) else " ".join(p.text for p in self.content)


_FIELD_NAMES = {
    "purposes": "syften",
    "influence": "inflytande",
    "population": "invånare",
    "budget_sek": "budget",
    "time_weeks": "tid i veckor",
    "target_groups": "målgrupper",
    "ages": "åldrar",
    "participants": "deltagare",
}


def _describe(exc: ValidationError, what: str) -> str:
    """The first few pydantic errors as one Swedish sentence naming the fields."""
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        name = _FIELD_NAMES.get(str(err["loc"][0]), "") if err["loc"] else ""
        where = f"{loc} ({name})" if name else loc or what
        if err["type"] == "extra_forbidden":
            parts.append(f"{where}: okänt fält")
        else:
            parts.append(f"{where}: {_plain(err)} (fick {_shown(err.get('input'))})")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f"; och {more} fel till" if more > 0 else "")


def _plain(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _shown(value: Any) -> str:
    text = repr(value)
    text = _SURROGATE.sub("\ufffd", text)
    return text if len(text) <= 60 else text[:57] + "…"


def _type_name(value: Any) -> str:
    names = {dict: "ett objekt", list: "en lista", int: "ett tal", float: "ett tal", bool: "true/false"}
    return "ingenting (null)" if value is None else names.get(type(value), type(value).__name__)


def _json_value(value: Any, what: str, hint: str) -> Any:
    """Text that should hold JSON, parsed; other values as they are."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_PROFILE_CHARS:
        raise InputError(f"{what} är för lång ({len(value)} tecken, högst {MAX_PROFILE_CHARS}).", hint=hint)
    if has_surrogates(value):
        raise InputError(f"{what} innehåller ogiltiga tecken (ett ensamt surrogattecken).", hint=hint)
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} är inte giltig JSON ({exc.msg}, tecken {exc.pos}).", hint=hint) from None
    except RecursionError:
        raise InputError(f"{what} är för djupt nästlad.", hint=hint) from None


PROFILE_HINT = (
    "Skicka profilen som ett JSON-objekt med fälten i 'profile' i svaret från /ask, till exempel "
    '{"population": 5000, "ages": [13, 19], "budget_sek": 100000}, eller utelämna den.'
)


def checked_profile(profile: Any) -> ContextProfile | None:
    """An optional profile (JSON object or its text); None when empty, InputError when unusable."""
    if profile is None or (isinstance(profile, str) and not profile.strip()):
        return None
    data = _json_value(profile, "Profilen", PROFILE_HINT)
    if data is None or data == {}:
        return None
    if not isinstance(data, dict):
        raise InputError(
            f"Profilen kunde inte läsas: den är {_type_name(data)}, inte ett objekt.", PROFILE_HINT
        )
    try:
        return ProfileInput.model_validate(data).profile()
    except ValidationError as exc:
        raise InputError(
            f"Profilen kunde inte läsas: {_describe(exc, 'profilen')}.", hint=PROFILE_HINT
        ) from None
    except RecursionError:
        raise InputError("Profilen kunde inte läsas: den är för djupt nästlad.", hint=PROFILE_HINT) from None


HISTORY_HINT = 'Skicka samtalet som en lista [{"role": "user" eller "assistant", "content": "text"}, …].'


@dataclass(frozen=True)
class Message:
    """One checked message of the conversation."""

    role: Literal["user", "assistant"]
    text: str


def checked_history(history: Any) -> list[Message]:
    """The earlier messages (Gradio's message shape or its JSON text); InputError when unusable."""
    if history is None or history == "" or history == []:
        return []
    data = _json_value(history, "Samtalet", HISTORY_HINT)
    if not isinstance(data, list):
        raise InputError(
            f"Samtalet kunde inte läsas: det är {_type_name(data)}, inte en lista.", HISTORY_HINT
        )
    if len(data) > MAX_HISTORY_MESSAGES:
        raise InputError(
            f"Samtalet har {len(data)} meddelanden, högst {MAX_HISTORY_MESSAGES} tas emot.",
            hint="Skicka bara de senaste meddelandena.",
        )
    out = []
    for i, item in enumerate(data):
        try:
            msg = MessageInput.model_validate(item)
        except ValidationError as exc:
            raise InputError(
                f"Meddelande {i + 1} i samtalet kunde inte läsas: {_describe(exc, 'meddelandet')}.",
                hint=HISTORY_HINT,
            ) from None
        except RecursionError:
            raise InputError(f"Meddelande {i + 1} i samtalet är för djupt nästlat.", HISTORY_HINT) from None
        out.append(Message(msg.role, msg.text()))
    return out


def checked_methods(methods: Any) -> list[str]:
    """The method ids to compare: a list of two or three short texts; InputError otherwise."""
    hint = "Använd id:n som 'medborgarrad' och 'fokusgrupp' (se recommended_methods i /ask)."
    data = _json_value(methods, "Metodlistan", hint) if isinstance(methods, str) else methods
    ok = isinstance(data, list) and all(
        isinstance(m, str) and 0 < len(m) <= 80 and not has_surrogates(m) for m in data
    )
    if not ok:
        raise InputError(
            f"Jämförelsen behöver en lista med två eller tre metod-id:n, fick {_shown(data)}.", hint=hint
        )
    return [str(m).strip() for m in data]
