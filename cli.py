"""The `aktuellt` command line: parses options, calls pipelines and reports; no logic of its own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Column, Table

from config import ConfigError, Settings, load_settings
from models.areas import load_areas
from models.catalog import (
    CatalogError,
    catalog_paths,
    check_catalog,
    find_catalog_path,
    load_catalog,
)

app = typer.Typer(
    help=(
        "Aktuellt perspektiv: follow the Nya perspektiv indicators per municipality and county.\n\n"
        "Example: aktuellt refresh --snapshot data/sample && aktuellt status --area 1780"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(
    help="List, show and check indicator catalogs.\n\nExample: aktuellt catalog show np2022",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(catalog_app, name="catalog")

out = Console(highlight=False, soft_wrap=True)

# Options shared between commands (fastapi-cli style aliases).
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse file (default data/warehouse/aktuellt.duckdb)."),
]
DataOption = Annotated[Path | None, typer.Option("--data", help="Data folder (default data).")]
CountyOption = Annotated[
    str | None, typer.Option("--county", help="County region code, e.g. 0017 (Värmland).")
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Exit non-zero with a one-line reason on stderr."""
    print(f"aktuellt: {message}", file=sys.stderr)
    raise typer.Exit(code)


def settings_from(
    db: Path | None = None, data: Path | None = None, county: str | None = None
) -> Settings:
    try:
        return load_settings({"db": db, "data_dir": data, "county": county})
    except ConfigError as error:
        fail(str(error))


@catalog_app.command("list")
def catalog_list() -> None:
    """List the shipped catalogs with their indicator counts.

    Example: aktuellt catalog list
    """
    table = Table("catalog", "title", "indicators", "baseline → target")
    for path in catalog_paths():
        try:
            catalog = load_catalog(path, load_areas())
        except CatalogError as error:
            fail(f"{path.name} is invalid; run `aktuellt catalog check {path}`:\n{error}")
        years = sorted({(i.baseline_year, i.target_year) for i in catalog.indicators})
        span = ", ".join(f"{b} → {t}" for b, t in years)
        table.add_row(catalog.catalog_id, catalog.title, str(len(catalog.indicators)), span)
    out.print(table)


@catalog_app.command("show")
def catalog_show(
    catalog_id: Annotated[str, typer.Argument(help="Catalog id, e.g. np2022, or a TOML file.")],
) -> None:
    """Show every indicator of one catalog: series, unit, direction and target.

    Example: aktuellt catalog show np2022
    """
    path = Path(catalog_id) if catalog_id.endswith(".toml") else None
    try:
        catalog = load_catalog(path or find_catalog_path(catalog_id), load_areas())
    except (CatalogError, FileNotFoundError) as error:
        fail(str(error))
    out.print(f"{catalog.catalog_id}: {catalog.title}")
    if catalog.source_document:
        out.print(catalog.source_document)
    table = Table("title", "series", "unit", "target", "years", "K/M")
    table.columns.insert(0, Column("indicator", no_wrap=True))
    for ind in catalog.indicators:
        series = ", ".join(ind.series_ids)
        if ind.derive:
            series = f"{ind.derive.kind}({series})"
        arrow = "↑" if ind.direction > 0 else "↓"
        amount = ind.target.amount if ind.target.amount is not None else ind.target.value
        target = f"{arrow} {ind.target.kind}" + (f" {amount:g}" if amount is not None else "")
        table.add_row(
            ind.indicator_id,
            ind.title,
            series,
            ind.unit,
            target,
            f"{ind.baseline_year}→{ind.target_year}",
            "ja" if ind.divided_by_gender else "",
        )
    out.print(table)


@catalog_app.command("check")
def catalog_check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Catalog TOML files to check (default: every shipped catalog)."),
    ] = None,
) -> None:
    """Check catalogs and report every problem at once, with file, entry and reason.

    Exits 1 when anything is wrong.

    Example: aktuellt catalog check models/catalogs/np2022.toml my_catalog.toml
    """
    areas = load_areas()
    paths = files or catalog_paths()
    problems = [problem for path in paths for problem in check_catalog(path, areas)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(paths)} catalog file(s)")
    out.print(f"{len(paths)} catalog file(s) OK")


if __name__ == "__main__":
    app()
