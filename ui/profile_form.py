"""'Vad jag har förstått': the context profile as an editable form, and the official's edits over it.

The form shows the profile the assistant extracted. What the official changes there (compared with
that extraction) is kept as *edits*, which win over what later questions say, so an edit is never
silently undone by the next question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.types import ContextProfile
from assistant.vocab import LABELS
from ui.i18n import UiLang, t

FieldKind = Literal["multi", "single", "number", "flag", "yesno"]
NOT_STATED = "Inte angivet"


@dataclass(frozen=True)
class FormField:
    """One control of the profile form."""

    key: str  # a ContextProfile JSON key, or age_min / age_max
    kind: FieldKind
    label: str
    info: str = ""
    vocab: str = ""  # the vocabulary in assistant.vocab.LABELS whose Swedish labels are the choices
    placeholder: str = "Inte angivet"


def _choices(vocab: str, lang: UiLang = "sv") -> list[tuple[str, str]]:
    pairs = [(sv if lang == "sv" else en, key) for key, (sv, en) in LABELS[vocab].items()]
    return [(text[0].upper() + text[1:], key) for text, key in pairs]


FIELDS: tuple[FormField, ...] = (
    FormField("purposes", "multi", "Syfte – vad vill ni uppnå?", vocab="purposes"),
    FormField(
        "influence",
        "multi",
        "Vad kan invånarna påverka?",
        "Nivå på delaktighetstrappan: från information till medbestämmande.",
        vocab="influence",
    ),
    FormField("nothing_to_influence", "flag", "Inget i frågan går längre att påverka"),
    FormField("commitment", "yesno", "Har beslutsfattarna lovat att ta ställning till resultatet?"),
    FormField("target_groups", "multi", "Målgrupper", vocab="target_groups"),
    FormField("age_min", "number", "Ålder från (år)", placeholder="t.ex. 16"),
    FormField("age_max", "number", "Ålder till (år)", placeholder="t.ex. 25"),
    FormField("population", "number", "Antal invånare i kommunen", placeholder="t.ex. 40000"),
    FormField("participants", "number", "Antal deltagare ni vill nå", placeholder="t.ex. 50"),
    FormField("budget_sek", "number", "Budget (kronor)", placeholder="t.ex. 200000"),
    FormField("time_weeks", "number", "Tid till beslut (veckor)", placeholder="t.ex. 12"),
    FormField("scale", "single", "Geografisk nivå", vocab="scale"),
    FormField("format", "single", "Mötesform", vocab="formats"),
    FormField("complexity", "single", "Hur komplex är frågan?", vocab="level"),
    FormField("conflict", "single", "Konfliktnivå i frågan", vocab="level"),
)
YESNO = [("Vet inte", ""), ("Ja", "ja"), ("Nej", "nej")]


def choices(field: FormField, lang: UiLang = "sv") -> list[tuple[str, str]]:
    """(label, value) pairs for a choice field; single choices start with 'Inte angivet'."""
    if field.kind == "yesno":
        return [(t(f"profile.{k}", lang), v) for k, v in (("dont_know", ""), ("yes", "ja"), ("no", "nej"))]
    items = _choices(field.vocab, lang)
    return [(t("profile.not_stated", lang), ""), *items] if field.kind == "single" else items


def field_label(field: FormField, lang: UiLang = "sv") -> str:
    """A field's label in the interface language."""
    return t(f"profile.{field.key}", lang)


def field_placeholder(field: FormField, lang: UiLang = "sv") -> str:
    """A number field's placeholder ('t.ex. 40000') in the interface language."""
    example = field.placeholder.removeprefix("t.ex. ")
    return (
        t("profile.example", lang, value=example) if example != NOT_STATED else t("profile.not_stated", lang)
    )


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if x > 0 else None


def form_to_profile(values: Sequence[Any]) -> dict[str, Any]:
    """Form values (in FIELDS order) → profile JSON (ContextProfile.to_json shape)."""
    v = dict(zip((f.key for f in FIELDS), values, strict=True))
    lo, hi = _number(v.pop("age_min")), _number(v.pop("age_max"))
    ages = None
    if lo is not None or hi is not None:
        a, b = int(lo or 0), int(hi or 99)
        ages = [min(a, b), max(a, b)]
    out: dict[str, Any] = {}
    for f in FIELDS:
        if f.key not in v:
            continue
        raw = v[f.key]
        if f.kind == "multi":
            out[f.key] = [str(x) for x in (raw or [])]
        elif f.kind == "single":
            out[f.key] = str(raw) if raw else None
        elif f.kind == "flag":
            out[f.key] = bool(raw)
        elif f.kind == "yesno":
            out[f.key] = {"ja": True, "nej": False}.get(str(raw or ""))
        else:
            x = _number(raw)
            out[f.key] = None if x is None else (round(x, 1) if f.key == "time_weeks" else int(x))
    out["ages"] = ages
    return ContextProfile.from_json(out).to_json()


def profile_to_form(profile: Mapping[str, Any]) -> list[Any]:
    """Profile JSON → form values in FIELDS order."""
    ages = profile.get("ages") or [None, None]
    out: list[Any] = []
    for f in FIELDS:
        if f.key == "age_min":
            out.append(ages[0])
        elif f.key == "age_max":
            out.append(ages[1])
        elif f.kind == "multi":
            out.append(list(profile.get(f.key) or []))
        elif f.kind == "single":
            out.append(profile.get(f.key) or "")
        elif f.kind == "flag":
            out.append(bool(profile.get(f.key)))
        elif f.kind == "yesno":
            c = profile.get(f.key)
            out.append("" if c is None else ("ja" if c else "nej"))
        else:
            x = profile.get(f.key)
            # Whole weeks: "5 månader" shows as 22, not 21.7 (_norm compares rounded, so it is no edit).
            out.append(None if x is None else round(float(x)))
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in (None, "", []):
        return None
    if isinstance(value, (list, tuple)):
        return (
            tuple(sorted(str(x) for x in value)) if all(isinstance(x, str) for x in value) else tuple(value)
        )
    if isinstance(value, (int, float)):
        return float(round(value))
    return value


def profile_edits(extracted: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """The fields where the form differs from what was extracted: the official's own changes."""
    base = {**ContextProfile().to_json(), **extracted}
    return {k: v for k, v in form.items() if _norm(v) != _norm(base.get(k))}


def apply_edits(base: Mapping[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """A freshly extracted profile with the official's edits on top."""
    return {**ContextProfile().to_json(), **base, **edits}


def _component(f: FormField) -> Any:
    import gradio as gr

    elem = f"profile-{f.key.replace('_', '-')}"
    if f.kind == "multi" and f.key == "target_groups":
        return gr.Dropdown(choices=choices(f), multiselect=True, label=f.label, elem_id=elem, value=[])
    if f.kind == "multi":
        return gr.CheckboxGroup(choices=choices(f), label=f.label, info=f.info or None, elem_id=elem)
    if f.kind == "single":
        return gr.Dropdown(choices=choices(f), value="", label=f.label, elem_id=elem)
    if f.kind == "flag":
        return gr.Checkbox(label=f.label, elem_id=elem)
    if f.kind == "yesno":
        return gr.Radio(choices=choices(f), value="", label=f.label, elem_id=elem)
    return gr.Number(label=f.label, value=None, minimum=0, placeholder=f.placeholder, elem_id=elem)


_PAIRED = {"age_min", "population", "budget_sek", "scale", "complexity"}  # these start a row of two


def build_form() -> list[Any]:
    """The form's Gradio components, in FIELDS order (call inside a Blocks context)."""
    import gradio as gr

    comps: list[Any] = []
    i = 0
    while i < len(FIELDS):
        if FIELDS[i].key in _PAIRED:
            with gr.Row(equal_height=True):
                comps += [_component(FIELDS[i]), _component(FIELDS[i + 1])]
            i += 2
        else:
            comps.append(_component(FIELDS[i]))
            i += 1
    return comps


def form_relabel(lang: UiLang) -> list[Any]:
    """Updates that put every form control's label, info and choices into `lang` (values stay)."""
    import gradio as gr

    out: list[Any] = []
    for f in FIELDS:
        info = t(f"profile.{f.key}.info", lang) if f.info else None
        if f.kind in ("multi", "single", "yesno"):
            out.append(gr.update(label=field_label(f, lang), choices=choices(f, lang), info=info))
        elif f.kind == "number":
            out.append(gr.update(label=field_label(f, lang), placeholder=field_placeholder(f, lang)))
        else:
            out.append(gr.update(label=field_label(f, lang)))
    return out
