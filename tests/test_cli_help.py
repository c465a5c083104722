"""Every command explains itself: `--help` works and shows an example (sqlite-utils habit)."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        for sub in getattr(command, "commands", {}):
            paths.append([name, sub])
    return paths


def test_the_design_commands_all_exist() -> None:
    names = {path[0] for path in command_paths()}
    assert names >= {
        "refresh",
        "import",
        "status",
        "report",
        "charts",
        "sql",
        "export",
        "catalog",
        "runs",
    }


def test_top_level_help_lists_every_command_with_a_description() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for (name,) in (path for path in command_paths() if len(path) == 1):
        assert name in result.stdout


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path))
def test_every_command_help_shows_an_example(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: aktuellt" in result.stdout
