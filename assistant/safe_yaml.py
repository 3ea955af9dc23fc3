"""YAML from files people hand us (front matter, uploads): no anchors or aliases, bounded nesting, real lines.

Anchors and aliases are refused outright: a 659-byte "billion laughs" file of nested aliases expands to
gigabytes in PyYAML, and no corpus document needs them. Nesting is bounded because PyYAML composes
recursively. Line numbers are lines of the whole file, not of the front matter text.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import Node

MAX_DEPTH = 32  # front matter needs 3-4 levels; PyYAML's recursive composer fails around 1000


class YamlProblem(ValueError):
    """YAML that is refused: a syntax error, an anchor/alias or too deep nesting, at a line of the file."""

    def __init__(self, reason: str, line: int, detail: str) -> None:
        self.reason = reason  # "syntax", "alias", "anchor" or "depth"
        self.line = line
        self.detail = detail
        super().__init__(f"line {line}: {detail}")

    def english(self) -> str:
        """What is wrong, and what to write instead (corpus validation speaks English)."""
        if self.reason in ("alias", "anchor"):
            return f"YAML anchors and aliases are not allowed ({self.detail}); write the values out in full"
        if self.reason == "depth":
            return f"YAML {self.detail}; front matter fields need at most a few levels"
        return f"YAML syntax error: {self.detail}"


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that stops at the first anchor, alias or over-deep collection, before anything expands."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line0 = event.start_mark.line if event.start_mark is not None else 0
        if isinstance(event, AliasEvent):
            raise _Refused("alias", line0, f"alias '*{event.anchor}'")
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused("anchor", line0, f"anchor '&{event.anchor}'")
        nested = isinstance(event, CollectionStartEvent)
        if nested:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Refused("depth", line0, f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            if nested:
                self.depth -= 1


class _Refused(Exception):
    def __init__(self, reason: str, line0: int, detail: str) -> None:
        self.reason, self.line0, self.detail = reason, line0, detail


def load(text: str, first_line: int = 1) -> Any:
    """Parse `text` that starts at line `first_line` of its file; YamlProblem names the file line."""
    loader = _GuardedLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise YamlProblem(exc.reason, first_line + exc.line0, exc.detail) from None
    except yaml.MarkedYAMLError as exc:
        # An unclosed quote or bracket is noticed only where the text ends; the line where the
        # construct began ("while scanning a quoted scalar") is where the author must look.
        at_end = exc.problem_mark is None or "end of stream" in str(exc.problem)
        mark = exc.context_mark if at_end and exc.context_mark is not None else exc.problem_mark
        line = first_line + mark.line if mark is not None else first_line
        detail = str(exc.problem or exc)
        if exc.context and exc.context_mark is not None:
            detail += f" ({exc.context} from line {first_line + exc.context_mark.line})"
        raise YamlProblem("syntax", line, detail) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("syntax", first_line, str(exc)) from None
    finally:
        loader.dispose()


class _NoAliasDumper(yaml.SafeDumper):
    """SafeDumper that writes a value shared by two fields twice, never as an anchor and alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(value: Any, **options: Any) -> str:
    """yaml.safe_dump without anchors/aliases, so that everything written here loads again with load()."""
    return yaml.dump(value, Dumper=_NoAliasDumper, **options)  # type: ignore[no-any-return]
