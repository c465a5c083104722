"""The `aktuellt` command line: parses options, calls pipelines and reports; no logic of its own."""

from __future__ import annotations

import logging
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Column, Table

from config import ConfigError, Settings, load_settings, parse_counties
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
checks_app = typer.Typer(
    help="The Great Expectations checks of the refresh.\n\nExample: aktuellt checks docs",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(checks_app, name="checks")

# Piped output (cron mail, files) gets wide lines instead of 80-column wrapping.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)

# Options shared between commands (fastapi-cli style aliases).
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse file (default data/warehouse/aktuellt.duckdb)."),
]
DataOption = Annotated[Path | None, typer.Option("--data", help="Data folder (default data).")]
ReportYearOption = Annotated[
    int | None,
    typer.Option(
        "--year",
        help="Report year: no later value is used (default: the year of the last refresh).",
    ),
]
CountyOption = Annotated[
    str | None,
    typer.Option(
        "--county",
        help="The county to report, e.g. 0018 (Örebro); default the first one followed.",
    ),
]
CountiesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--county",
        help="County region code to follow (repeatable), or 'all'; default from aktuellt.toml.",
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Exit non-zero with a one-line reason on stderr."""
    print(f"aktuellt: {message}", file=sys.stderr)
    raise typer.Exit(code)


def settings_from(
    db: Path | None = None, data: Path | None = None, counties: list[str] | None = None
) -> Settings:
    try:
        return load_settings({"db": db, "data_dir": data, "counties": counties})
    except ConfigError as error:
        fail(str(error))


def report_county(settings: Settings, county: str | None) -> str:
    """The county a report or chart set is of: the one asked for, else the first followed."""
    if county is None:
        return settings.county_id
    try:
        chosen = parse_counties(county)
    except ConfigError as error:
        fail(f"--county: {error}")
    if len(chosen) != 1:
        fail(f"--county: a report is of one county, not {', '.join(chosen)}")
    return chosen[0]


@catalog_app.command("list")
def catalog_list() -> None:
    """List the shipped catalogs with their indicator counts.

    Example: aktuellt catalog list
    """
    table = Table("catalog", "title", "indicators", "baseline → target")
    for path in catalog_paths(settings_from().catalog_dirs):
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
        found = path or find_catalog_path(catalog_id, settings_from().catalog_dirs)
        catalog = load_catalog(found, load_areas())
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
    paths = files or catalog_paths(settings_from().catalog_dirs)
    problems = [problem for path in paths for problem in check_catalog(path, areas)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        fail(f"{len(problems)} problem(s) in {len(paths)} catalog file(s)")
    out.print(f"{len(paths)} catalog file(s) OK")


@checks_app.command("docs")
def checks_docs(data: DataOption = None) -> None:
    """Rebuild the data docs (the human-readable validation reports) from every stored check.

    A refresh renders them only when the check results changed; this renders them all.

    Example: aktuellt checks docs
    """
    from pipelines.checks import build_docs

    settings = settings_from(data=data)
    if not settings.checks_dir.exists():
        fail(f"no checks yet under {settings.checks_dir}; run a refresh first", 64)
    index = build_docs(settings.checks_dir)
    if index is None:
        fail(f"no data docs were written under {settings.checks_dir}", 4)
    out.print(f"data docs: {index}")


@app.command()
def refresh(
    full: Annotated[
        bool, typer.Option("--full", help="Reload everything, not just changes.")
    ] = False,
    snapshot: Annotated[
        Path | None,
        typer.Option("--snapshot", help="Read a local snapshot folder instead of the network."),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Report year (default: this year).")
    ] = None,
    db: DbOption = None,
    data: DataOption = None,
    county: CountiesOption = None,
) -> None:
    """Nightly job: fetch what changed, check it, load history, recompute status, publish.

    Every followed county is refreshed in the same run (`counties` in aktuellt.toml, or
    --county repeated, or --county all). Exit codes: 0 ok (also when nothing was new),
    1 checks failed, 2 source unreachable or failing, 3 another refresh running, 4 any other
    error.

    Example: aktuellt refresh --county 0017 --county 0018
    """
    from pipelines import refresh as refresh_pipeline
    from pipelines.logs import log_to_file

    settings = settings_from(db, data, county)
    log_path = log_to_file(settings.logs_dir)
    interactive = sys.stderr.isatty()
    with (
        Console(stderr=True).status("refreshing", spinner="dots") if interactive else nullcontext()
    ):
        result = refresh_pipeline.run_refresh(
            settings, full=full, snapshot=snapshot, report_year=year, step=_step(interactive)
        )
    _print_refresh_summary(result, log_path)
    if result.exit_code != 0:
        fail(result.message, result.exit_code)


@app.command()
def status(
    area: Annotated[
        list[str] | None, typer.Option("--area", help="Area id or name (repeatable); default all.")
    ] = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="Catalog id.")] = None,
    gender: Annotated[str, typer.Option("--gender", help="T, K, M or all.")] = "T",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db: DbOption = None,
) -> None:
    """The status of every indicator for an area or the whole county.

    Example: aktuellt status --area Karlstad --catalog np2022 --format csv
    """
    from reports.terminal import compact_status, status_rows

    settings = settings_from(db)
    catalog_id = catalog or settings.catalogs[0]
    try:
        rows = status_rows(settings.db_path, catalog_id, area or [], gender)
    except (ValueError, RuntimeError) as error:
        fail(str(error))
    shown = compact_status(rows) if output_format == "table" else rows
    _print_frame(shown, output_format, title=f"Status, {catalog_id}")


@app.command()
def runs(
    limit: Annotated[int, typer.Option("--limit", help="How many runs, newest first.")] = 20,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db: DbOption = None,
) -> None:
    """History of refresh runs with their counts, outcomes and failed checks.

    Example: aktuellt runs --limit 5
    """
    from pipelines.warehouse import WarehouseError, read_runs

    settings = settings_from(db)
    try:
        rows = read_runs(settings.db_path, limit)
    except WarehouseError as error:
        fail(str(error))
    _print_frame(rows, output_format, title="Refresh runs")


@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Survey files: .csv, .xlsx, .json, .px.")],
    min_n: Annotated[
        int | None,
        typer.Option("--min-n", help="Suppress cells with fewer respondents than this."),
    ] = None,
    survey: Annotated[
        str | None,
        typer.Option("--survey", help="Survey tag for JSON-stat and PX files, e.g. hlv."),
    ] = None,
    db: DbOption = None,
    data: DataOption = None,
) -> None:
    """Load survey tables (Liv & Hälsa style CSV/Excel, JSON-stat 2, PX) into the warehouse.

    Every file is archived under data/raw/survey/ first; nothing is stored if any file fails.
    The table format is in docs/survey-format.md.

    Example: aktuellt import livohalsa_2022.csv --min-n 30
    """
    import datetime as dt
    import secrets

    from pipelines.survey_import import import_survey_files
    from pipelines.warehouse import WarehouseBusy, WarehouseError
    from sources.survey import SurveyImportError

    settings = settings_from(db, data)
    now = dt.datetime.now(dt.UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    try:
        result = import_survey_files(files, settings, run_id, min_n=min_n, survey=survey, now=now)
    except SurveyImportError as error:
        fail(str(error))
    except WarehouseBusy as busy:
        fail(str(busy), 3)
    except WarehouseError as error:
        fail(str(error))
    out.print("\n".join(result.summary_lines()))


@app.command()
def report(
    area: Annotated[
        list[str] | None, typer.Option("--area", help="Area id (repeatable); default all.")
    ] = None,
    year: ReportYearOption = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="Catalog id.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/report"),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDF pages.")] = True,
    db: DbOption = None,
    county: CountyOption = None,
) -> None:
    """The yearly Aktuellt perspektiv report: index.html, one page per area, and PDFs.

    Example: aktuellt report --county 0018 --out out/orebro --year 2025
    """

    from reports.pages import build_report

    settings = settings_from(db)
    inputs = _report_inputs(settings, catalog, year, report_county(settings, county))
    try:
        written = build_report(inputs.context(), out_dir, area_ids=area or None, pdf=pdf)
    except (ValueError, RuntimeError) as error:
        fail(str(error))
    out.print(f"wrote {len(written)} files; open {out_dir / 'index.html'}")


@app.command()
def charts(
    area: Annotated[
        list[str] | None, typer.Option("--area", help="Area id (repeatable); default all.")
    ] = None,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="Indicator id (repeatable).")
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma list: png,svg,pdf.")
    ] = "png,svg,pdf",
    year: ReportYearOption = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="Catalog id.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/charts"),
    db: DbOption = None,
    county: CountyOption = None,
) -> None:
    """Seminar chart files <out>/<area-slug>/<indicator_id>.<format>, plus manifest.csv.

    Example: aktuellt charts --county 0017 --area 1780 --format png,svg --out out/seminar
    """

    from reports.seminar import build_charts

    settings = settings_from(db)
    inputs = _report_inputs(settings, catalog, year, report_county(settings, county))
    try:
        manifest = build_charts(
            inputs.context(),
            out_dir,
            formats=[f.strip() for f in formats.split(",") if f.strip()],
            area_ids=area or None,
            indicator_ids=indicator or None,
        )
    except (ValueError, RuntimeError) as error:
        fail(str(error))
    out.print(f"charts written; manifest {manifest}")


def _report_inputs(
    settings: Settings, catalog: str | None, year: int | None, county_id: str
) -> Any:
    from pipelines.warehouse import WarehouseError
    from reports.inputs import load_report_inputs

    try:
        return load_report_inputs(settings, catalog or settings.catalogs[0], year, county_id)
    except (WarehouseError, ValueError, FileNotFoundError) as error:
        fail(str(error))


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="One SELECT, WITH … SELECT, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN query."
        ),
    ],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db: DbOption = None,
) -> None:
    """Run one read-only query against the warehouse and print the result.

    The warehouse cannot be changed from here: writes, ATTACH, COPY, INSTALL/LOAD, SET and
    reading files are refused. Tables, views and columns are described in docs/warehouse.md.

    Example: aktuellt sql "SELECT area_name, period, value FROM latest_values
    WHERE series_id = 'kolada:N15428' AND area_kind = 'kommun'" --format csv
    """
    from pipelines.warehouse import WarehouseError, read_only_query

    if output_format not in ("table", "csv", "json"):
        fail(f"unknown format {output_format!r}; use table, csv or json")
    settings = settings_from(db)
    try:
        rows = read_only_query(settings.db_path, query)
    except WarehouseError as error:
        fail(str(error))
    _print_frame(rows, output_format, title="")


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="Table or view, e.g. latest_values, progress.")],
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    output_format: Annotated[
        str | None,
        typer.Option("--format", help="csv, parquet or xlsx (default: from the --out suffix)."),
    ] = None,
    area: Annotated[
        list[str] | None, typer.Option("--area", help="Only this area id (repeatable).")
    ] = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="Only this catalog id.")] = None,
    period_from: Annotated[
        int | None, typer.Option("--period-from", help="Only periods from this year.")
    ] = None,
    period_to: Annotated[
        int | None, typer.Option("--period-to", help="Only periods up to this year.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Write a table or view of the warehouse to CSV, Parquet or Excel.

    Filters apply to the area_id, catalog_id and period (or latest_year) columns; a filter on
    a column the table lacks is an error. Excel files get Swedish headers, number formats
    and a frozen header row; ids stay text.

    Example: aktuellt export latest_values --area 1780 --area 0017 --period-from 2018
    --out karlstad.xlsx
    """
    from pipelines.adhoc import export_format_of, write_export
    from pipelines.warehouse import WarehouseError, export_frame

    settings = settings_from(db)
    try:
        file_format = export_format_of(out_file, output_format)
        rows = export_frame(
            settings.db_path, name, area_ids=area or [], catalog_id=catalog,
            period_from=period_from, period_to=period_to,
        )  # fmt: skip
        write_export(rows, out_file, file_format, sheet=name)
    except (WarehouseError, ValueError, OSError) as error:
        fail(str(error))
    out.print(f"wrote {rows.height} rows of {name} to {out_file}")


def _print_frame(rows: Any, output_format: str, title: str) -> None:
    if output_format == "csv":
        sys.stdout.write(rows.write_csv())
    elif output_format == "json":
        sys.stdout.write(rows.write_json() + "\n")
    elif output_format == "table":
        table = Table(*rows.columns, title=title)
        for row in rows.iter_rows():
            table.add_row(*["" if value is None else str(value) for value in row])
        out.print(table)
    else:
        fail(f"unknown format {output_format!r}; use table, csv or json")


def _step(interactive: bool) -> Any:
    def report(message: str) -> None:
        logging.getLogger("aktuellt.refresh").info(message)
        if interactive:
            Console(stderr=True).log(message)

    return report


def _print_refresh_summary(result: Any, log_path: Path) -> None:
    counts = result.counts
    report = result.check_report
    lines = [
        f"run {result.run_id} ({result.kind}): {result.outcome}",
        f"requests: {result.requests}"
        + (f", from_date {result.from_date.isoformat()}" if result.from_date else ""),
    ]
    if counts is not None:
        lines.append(
            f"values received {counts.received}, inserted {counts.inserted}, "
            f"revised {counts.revised}, removed {counts.removed}, unchanged {counts.unchanged}"
        )
    if report is not None:
        passed = int(report.results["success"].sum())
        lines.append(f"checks passed {passed}, failed {report.results.height - passed}")
        lines += [f"  {line}" for line in report.describe_failures()]
        if report.docs_index is not None:
            lines.append(f"validation report: {report.docs_index}")
    changes = result.status_changes
    if changes is not None and changes.height:
        by_cause = changes.group_by("cause").len().sort("cause")
        causes = ", ".join(f"{c} {n}" for c, n in by_cause.iter_rows())
        lines.append(f"statuses changed: {changes.height} ({causes})")
    elif result.published:
        lines.append("statuses changed: 0")
    lines += result.notes
    if result.raw_dir is not None and result.raw_dir.exists():
        lines.append(f"raw files: {result.raw_dir}")
    lines.append(f"log: {log_path}")
    out.print("\n".join(lines))


if __name__ == "__main__":
    app()
