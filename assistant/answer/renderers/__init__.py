"""One renderer per intent, and the renderers for situations that come before the intent."""

from __future__ import annotations

from assistant.answer.renderers.base import Rendered, Renderer
from assistant.answer.renderers.clarify import render_clarify
from assistant.answer.renderers.compare import render_compare
from assistant.answer.renderers.facts import render_facts
from assistant.answer.renderers.fit import render_fit
from assistant.answer.renderers.general import render_general
from assistant.answer.renderers.inform import render_inform
from assistant.answer.renderers.phase import render_phase
from assistant.answer.renderers.process import render_process
from assistant.types import Intent

# out_of_scope has no renderer: it gets the fixed refusal without sources (see generator.Composer).
RENDERERS: dict[Intent, Renderer] = {
    "method_fit": render_fit,
    "factual": render_facts,
    "comparison": render_compare,
    "process_planning": render_process,
    "general": render_general,
}

__all__ = [
    "RENDERERS",
    "Rendered",
    "Renderer",
    "render_clarify",
    "render_compare",
    "render_facts",
    "render_fit",
    "render_general",
    "render_inform",
    "render_phase",
    "render_process",
]
