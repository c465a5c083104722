"""Progress of the long report commands: a Rich bar on a terminal, plain lines otherwise.

`report`, `charts` and `deck` run for a minute or more. On a terminal they show one bar per
phase (charts rendered, pages printed); under cron, where a bar would be noise in a mail, each
finished step is one plain line on stderr that a log keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

Advance = Callable[[str], None]  # called once per finished step, with what was finished


class ProgressDisplay:
    """Phases of work with a known number of steps each; see `phase`. A quiet display (the
    default of the build functions) reports nothing."""

    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet

    @contextmanager
    def phase(self, description: str, total: int) -> Iterator[Advance]:
        if self.quiet:
            yield lambda _label: None
            return
        console = self.console or Console(stderr=True, highlight=False)
        if console.is_terminal:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                task = bar.add_task(description, total=total)
                yield lambda _label: bar.advance(task)
            return
        done = 0

        def advance(label: str) -> None:
            nonlocal done
            done += 1
            console.print(f"{description}: {done}/{total} {label}", soft_wrap=True)

        yield advance


QUIET = ProgressDisplay(quiet=True)
