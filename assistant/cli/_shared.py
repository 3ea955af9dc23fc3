"""Helpers every CLI command shares: consoles, settings on the typer context, errors and progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.config import Settings
from assistant.errors import AssistantError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@dataclass(frozen=True)
class CliState:
    """What the root callback built: the settings and whether to show tracebacks."""

    settings: Settings
    debug: bool = False


def state(ctx: typer.Context) -> CliState:
    """The state the root callback put on the context (sub-commands inherit it)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        raise RuntimeError("The CLI's root callback did not run.")
    return obj


def settings(ctx: typer.Context) -> Settings:
    """The settings built at the edge, from flags, environment and TOML."""
    return state(ctx).settings


def fail(exc: AssistantError) -> None:
    """Print an error and its hint as user text and exit 1."""
    err.print("[bold red]Fel:[/] ", end="", highlight=False)
    err.print(exc.message, highlight=False, markup=False)
    if exc.hint:
        err.print(f"Tips: {exc.hint}", highlight=False, markup=False)
    raise typer.Exit(1)


@contextmanager
def errors(ctx: typer.Context) -> Iterator[None]:
    """Turn the assistant's errors into user text (tracebacks only with --debug)."""
    try:
        yield
    except AssistantError as exc:
        if state(ctx).debug:
            raise
        fail(exc)


def refused(exc: AssistantError) -> None:
    """An import that was refused: the reason and what to do, without exiting."""
    err.print(f"[bold red]Avvisad:[/] {exc.message}", highlight=False)
    if exc.hint:
        err.print(f"  Tips: {exc.hint}", highlight=False)


@contextmanager
def progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per step label on stderr; yields update(step, done, total)."""
    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:

        def update(step: str, done: int, total: int) -> None:
            label = step.split(":")[0]
            if label not in tasks:
                tasks[label] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[label], description=step, completed=done, total=max(total, 1))

        yield update
