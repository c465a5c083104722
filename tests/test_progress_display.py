"""Progress of the report commands: plain lines when not on a terminal, a bar on one."""

from __future__ import annotations

import io

from rich.console import Console

from reports.progress_display import QUIET, ProgressDisplay


def test_plain_lines_when_output_is_not_a_terminal():
    stream = io.StringIO()
    display = ProgressDisplay(Console(file=stream, force_terminal=False, width=200))
    with display.phase("PDF", 2) as advance:
        advance("karlstad.pdf")
        advance("index.pdf")
    assert stream.getvalue().splitlines() == ["PDF: 1/2 karlstad.pdf", "PDF: 2/2 index.pdf"]


def test_a_bar_on_a_terminal():
    stream = io.StringIO()
    display = ProgressDisplay(Console(file=stream, force_terminal=True, width=100))
    with display.phase("Diagram per sida", 3) as advance:
        for name in ("Arvika", "Eda", "Kil"):
            advance(name)
    output = stream.getvalue()
    assert "Diagram per sida" in output and "3/3" in output
    assert "Arvika" not in output  # a bar, not log lines
    assert "\x1b[" in output  # drawn with terminal control codes


def test_quiet_display_prints_nothing(capsys):
    with QUIET.phase("PDF", 1) as advance:
        advance("x")
    assert capsys.readouterr() == ("", "")
