"""The `aktuellt` command line: parses options, calls pipelines and reports; no logic of its own."""

from __future__ import annotations

import functools
import gc
import logging
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Column, Table
from typer._click.exceptions import UsageError  # typer vendors click and does not export it
from typer.core import TyperGroup

from config import ConfigError, Settings, load_settings, parse_counties
from models.areas import load_areas
from models.catalog import (
    CatalogError,
    catalog_paths,
    check_catalog,
    find_catalog_path,
    load_catalog,
)
from models.exit_codes import EXIT_BUSY, EXIT_CODES, EXIT_ERROR, EXIT_USAGE
from models.names import (
    BadInput,
    MissingInput,
    resolve_areas,
    resolve_choice,
    resolve_choices,
)

TABLE_FORMATS = ("table", "csv", "json")


class AktuelltGroup(TyperGroup):
    """The root command: every usage error exits EXIT_USAGE, whichever command it comes from.

    Click's own (a bad option, a missing argument) would exit 2, which a refresh uses for "source
    failed"; ours (BadInput, ConfigError) are printed as one line without a traceback.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as error:
            error.exit_code = EXIT_USAGE
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            error.exit_code = EXIT_USAGE
            raise
        except (BadInput, ConfigError) as error:
            fail(str(error), EXIT_USAGE)


def _exit_code_help() -> str:
    # \b keeps click from re-wrapping the table into one paragraph.
    rows = "\n".join(
        textwrap.fill(meaning, 78, initial_indent=f"  {code:<3} ", subsequent_indent=" " * 6)
        for code, meaning in EXIT_CODES.items()
    )
    return f"Exit codes, the same for every command:\n\n\b\n{rows}"


app = typer.Typer(
    cls=AktuelltGroup,
    help=(
        "Aktuellt perspektiv: follow the Nya perspektiv indicators per municipality and county.\n\n"
        "\b\nAreas: a Kolada id (1780, 0017), a name in any case, with or without å/ä/ö\n"
        "(Karlstad, 'region värmland', Arjang), or a file-name slug (region-varmland).\n\n"
        "Example: aktuellt refresh --snapshot data/sample && aktuellt status --area Karlstad\n\n"
        + _exit_code_help()
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
# Markup and emoji codes off: catalog titles and Kolada texts are printed exactly as written
# ("[/red]" or "[kr/inv]" in a title is text, not a style).
out = Console(
    markup=False,
    emoji=False,
    highlight=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else 200,
)

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
        help="The county to report: region code or name, e.g. 0018 or Örebro; default the "
        "first one followed.",
    ),
]
CountiesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--county",
        help="County to follow: region code or name (repeatable), or 'all'; default from "
        "aktuellt.toml.",
    ),
]
AreaOption = Annotated[
    list[str] | None,
    typer.Option("--area", help="Area id, name or slug, e.g. 1780 or Karlstad (repeatable)."),
]
CatalogOption = Annotated[
    str | None, typer.Option("--catalog", help="Catalog id, e.g. np2022 (default: the first).")
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Exit non-zero with a one-line reason on stderr."""
    print(f"aktuellt: {message}", file=sys.stderr)
    raise typer.Exit(code)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """One error boundary per command: an expected failure is one line and the README's code.

    Busy → 3; the warehouse (corrupt, newer, full disk: WarehouseError), the OS (OSError:
    permissions, a full disk, `ulimit -f`) and anything unexpected → 4. The traceback of an
    unexpected error goes to the log, never to the terminal.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException, BadInput, ConfigError):
            raise  # usage errors: the root command prints them and exits 64
        except Exception as error:
            from pipelines.warehouse import WarehouseBusy, WarehouseError

            if isinstance(error, WarehouseBusy):
                fail(str(error), EXIT_BUSY)
            if isinstance(error, WarehouseError):
                fail(_one_line(str(error)), EXIT_ERROR)
            if isinstance(error, OSError):
                fail(os_error_message(error), EXIT_ERROR)
            log = logging.getLogger("aktuellt")
            if log.handlers:  # the log file; without one, logging would print the traceback
                log.exception("unexpected error")
            fail(f"unexpected error: {type(error).__name__}: {_one_line(str(error))}", EXIT_ERROR)

    return run


def os_error_message(error: OSError) -> str:
    """'data/warehouse/aktuellt.duckdb.lock: Permission denied' (the file, then the reason)."""
    reason = error.strerror or str(error)
    if error.filename is None:
        return f"{type(error).__name__}: {reason}"
    target = f"{error.filename} → {error.filename2}" if error.filename2 else str(error.filename)
    return f"{target}: {reason}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def settings_from(
    db: Path | None = None, data: Path | None = None, counties: list[str] | None = None
) -> Settings:
    """Settings for one command; a ConfigError (e.g. an unknown county) is a usage error."""
    return load_settings({"db": db, "data_dir": data, "counties": counties})


def report_county(settings: Settings, county: str | None) -> str:
    """The county a report or chart set is of: the one asked for (a code or name), else the
    first followed. An unknown county or more than one is a usage error."""
    if county is None:
        return settings.county_id
    chosen = parse_counties(county, "--county")
    if len(chosen) != 1:
        raise BadInput(f"--county: a report is of one county, not {', '.join(chosen)}")
    return chosen[0]


def existing_warehouse(settings: Settings) -> Path:
    """The warehouse file a reading command needs; its absence is a missing input."""
    if not settings.db_path.is_file():
        raise MissingInput(
            f"no warehouse file at {settings.db_path}: run `aktuellt refresh` first, or give --db"
        )
    return settings.db_path


def catalog_id_from(catalog: str | None, settings: Settings) -> str:
    """The catalog a command works on: the one named (any case), else the first configured."""
    missing = [folder for folder in settings.catalog_dirs if not folder.is_dir()]
    if missing:
        raise MissingInput(f"no catalog folder at {missing[0]} (catalog_dirs in aktuellt.toml)")
    if catalog is None:
        return settings.catalogs[0]
    known = [path.stem for path in catalog_paths(settings.catalog_dirs)]
    return resolve_choice("catalog", catalog, known)


def existing_files(paths: Sequence[Path], kind: str) -> None:
    for path in paths:
        if not path.is_file():
            raise MissingInput(f"no {kind} at {path}")


@catalog_app.command("list")
def catalog_list() -> None:
    """List the shipped catalogs with their indicator counts.

    Example: aktuellt catalog list
    """
    table = Table("Katalog", "Titel", "Indikatorer", "Basår → målår")
    for path in catalog_paths(settings_from().catalog_dirs):
        try:
            catalog = load_catalog(path, load_areas())
        except CatalogError as error:
            fail(
                f"{path.name} is invalid; run `aktuellt catalog check {path}`:\n{error}", EXIT_USAGE
            )
        years = sorted(
            {(i.baseline_year or 0, i.target_year or 0) for i in catalog.indicators},
        )
        span = ", ".join(f"{b or '–'} → {t or '–'}" for b, t in years)
        if not catalog.baseline_in_source:
            span += f" (basår antaget: {catalog.adopted_year}, året målen antogs)"
        table.add_row(catalog.catalog_id, catalog.title, str(len(catalog.indicators)), span)
    out.print(table)


@catalog_app.command("show")
def catalog_show(
    catalog_id: Annotated[str, typer.Argument(help="Catalog id, e.g. np2022, or a TOML file.")],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Show every indicator of one catalog in Swedish: goal area, group, KPI, unit and target.

    Stand-ins and assumptions are marked. csv and json have English column names.

    Example: aktuellt catalog show np2022 --format csv
    """
    from reports.catalog_view import MACHINE_COLUMNS, catalog_view, kpi_titles, remarks_text
    from reports.catalog_view import table_headers as catalog_headers

    chosen_format = resolve_choice("format", output_format, TABLE_FORMATS)
    settings = settings_from()
    if catalog_id.endswith(".toml"):
        found = Path(catalog_id)
        existing_files([found], "catalog file")
    else:
        found = find_catalog_path(catalog_id_from(catalog_id, settings), settings.catalog_dirs)
    try:
        catalog = load_catalog(found, load_areas())
    except CatalogError as error:
        fail(f"{found} is invalid; run `aktuellt catalog check {found}`:\n{error}", EXIT_USAGE)
    rows = catalog_view(catalog, kpi_titles(settings.db_path))
    if chosen_format != "table":
        _print_frame(rows.select(MACHINE_COLUMNS), chosen_format, title=catalog.catalog_id)
        return
    out.print(f"{catalog.catalog_id}: {catalog.title}")
    if catalog.source_document:
        out.print(f"Källa: {catalog.source_document}")
    if not catalog.baseline_in_source:
        out.print(
            f"Antagande: källan anger inget basår; status räknas från {catalog.adopted_year}, "
            "året målen antogs, om inte katalogen anger ett eget basår."
        )
    empty = [area for area in catalog.goal_areas_in_order if area not in set(rows["goal_area"])]
    if empty:
        out.print(f"Målområden utan indikatorer ännu: {', '.join(empty)}.")
    headers = catalog_headers(catalog)
    table = Table(*[Column(header) for header in headers.values()])
    table.columns[2].no_wrap = True
    for row in rows.iter_rows(named=True):
        cells = {**row, "remarks": remarks_text(row)}
        table.add_row(*[str(cells[name] or "") for name in headers])
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
    existing_files(files or [], "catalog file")
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
        raise MissingInput(f"no checks yet under {settings.checks_dir}; run a refresh first")
    index = build_docs(settings.checks_dir)
    if index is None:
        fail(f"no data docs were written under {settings.checks_dir}", EXIT_ERROR)
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
    error, 64 usage error (see aktuellt --help).

    Example: aktuellt refresh --county 0017 --county 0018
    """
    from pipelines.logs import log_to_file
    from pipelines.validation import Validation
    from sources.snapshot import check_snapshot_folder

    settings = settings_from(db, data, county)
    if snapshot is not None:
        check_snapshot_folder(snapshot)
    log_path = log_to_file(settings.logs_dir)
    # Closed here too in case the run never starts (the refresh closes it itself).
    with closing(Validation(settings.logs_dir)) as validation:
        if not settings.db_path.exists():
            # A first load is always validated: its worker process imports Great Expectations
            # from now on, while this one imports the refresh (0,2 s) and fetches.
            validation.prepare()
        from pipelines import refresh as refresh_pipeline

        interactive = sys.stderr.isatty()
        with (
            Console(stderr=True, markup=False, emoji=False, highlight=False).status(
                "refreshing", spinner="dots"
            )
            if interactive
            else nullcontext()
        ):
            result = refresh_pipeline.run_refresh(
                settings,
                full=full,
                snapshot=snapshot,
                report_year=year,
                step=_step(interactive),
                validation=validation,
            )
    _print_refresh_summary(result, log_path)
    if result.exit_code != 0:
        fail(result.message, result.exit_code)


@app.command()
def status(
    area: AreaOption = None,
    catalog: CatalogOption = None,
    gender: Annotated[str, typer.Option("--gender", help="T, K, M or all.")] = "T",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    year: ReportYearOption = None,
    db: DbOption = None,
) -> None:
    """The status of every indicator for an area or the whole county.

    The table is in Swedish; csv and json keep the warehouse's column names.

    Example: aktuellt status --area Karlstad --catalog np2022 --format csv
    """
    from reports.terminal import compact_status, recomputed_rows, status_rows

    settings = settings_from(db)
    chosen_format = resolve_choice("format", output_format, TABLE_FORMATS)
    catalog_id = catalog_id_from(catalog, settings)
    recomputed = None
    if year is not None:  # recomputed from the stored values; a year without data is refused
        # Every followed county's rows, as the stored table holds them.
        for_year = _status_for_year(settings, catalog_id, year)
        recomputed = recomputed_rows(for_year.progress, for_year.areas, for_year.indicators)
    try:
        rows = status_rows(existing_warehouse(settings), catalog_id, area or [], gender, recomputed)
    except ValueError as error:
        fail(str(error))
    shown = compact_status(rows) if chosen_format == "table" else rows
    _print_frame(shown, chosen_format, title=f"Status, {catalog_id}")


@app.command()
def runs(
    limit: Annotated[int, typer.Option("--limit", help="How many runs, newest first.")] = 20,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db: DbOption = None,
) -> None:
    """History of refresh runs with their counts, outcomes and failed checks.

    Example: aktuellt runs --limit 5
    """
    from pipelines.warehouse import read_runs

    settings = settings_from(db)
    chosen_format = resolve_choice("format", output_format, TABLE_FORMATS)
    rows = read_runs(existing_warehouse(settings), limit)
    _print_frame(rows, chosen_format, title="Refresh runs")


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
    from sources.survey import SurveyImportError

    settings = settings_from(db, data)
    existing_files(files, "survey file")
    now = dt.datetime.now(dt.UTC)
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    try:
        result = import_survey_files(files, settings, run_id, min_n=min_n, survey=survey, now=now)
    except SurveyImportError as error:
        fail(str(error))
    out.print("\n".join(result.summary_lines()))


@app.command()
def report(
    area: AreaOption = None,
    year: ReportYearOption = None,
    catalog: CatalogOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/report"),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDF pages.")] = True,
    db: DbOption = None,
    county: CountyOption = None,
) -> None:
    """The yearly Aktuellt perspektiv report: index.html, one page per area, and PDFs.

    Example: aktuellt report --county Örebro --area Örebro --out out/orebro
    """

    from reports.pages import build_report
    from reports.progress_display import ProgressDisplay

    settings = settings_from(db)
    ctx = _report_inputs(settings, catalog, year, report_county(settings, county)).context()
    area_ids = _report_areas(ctx, area)
    try:
        written = build_report(ctx, out_dir, area_ids=area_ids, pdf=pdf, progress=ProgressDisplay())
    except ValueError as error:
        fail(str(error))
    except RuntimeError as error:  # the PDF browser failed
        fail(str(error), EXIT_ERROR)
    out.print(f"wrote {len(written)} files; open {out_dir / 'index.html'}")


@app.command()
def charts(
    area: AreaOption = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option("--indicator", help="Indicator id of the catalog (repeatable)."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma list: png,svg,pdf.")
    ] = "png,svg,pdf",
    year: ReportYearOption = None,
    catalog: CatalogOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/charts"),
    db: DbOption = None,
    county: CountyOption = None,
) -> None:
    """Seminar chart files <out>/<area-slug>/<indicator_id>.<format>, plus manifest.csv.

    Example: aktuellt charts --county 0017 --area Karlstad --format png,svg --out out/seminar
    """

    from reports.progress_display import ProgressDisplay
    from reports.seminar import FORMATS, build_charts

    settings = settings_from(db)
    chosen_formats = resolve_choices("chart format", formats.split(","), FORMATS)
    ctx = _report_inputs(settings, catalog, year, report_county(settings, county)).context()
    area_ids = _report_areas(ctx, area)
    known_indicators = [str(entry["indicator_id"]) for entry in ctx.indicators]
    indicator_ids = resolve_choices(
        "indicator", indicator or [], known_indicators, where=f" in catalog {ctx.catalog_id}"
    )
    try:
        manifest = build_charts(
            ctx,
            out_dir,
            formats=chosen_formats,
            area_ids=area_ids,
            indicator_ids=indicator_ids or None,
            progress=ProgressDisplay(),
        )
    except ValueError as error:
        fail(str(error))
    except RuntimeError as error:  # a chart renderer failed
        fail(str(error), EXIT_ERROR)
    out.print(f"charts written; manifest {manifest}")


@app.command()
def deck(
    area: Annotated[str, typer.Option("--area", help="Area id or name, e.g. 1780 or Karlstad.")],
    out_path: Annotated[Path, typer.Option("--out", help="The .pptx file to write.")],
    year: ReportYearOption = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="Catalog id.")] = None,
    db: DbOption = None,
    county: CountyOption = None,
) -> None:
    """A PowerPoint deck for the seminar: title, one slide per indicator, county overview.

    Example: aktuellt deck --area 1780 --out karlstad.pptx
    """
    from reports.deck import build_deck
    from reports.progress_display import ProgressDisplay

    if out_path.suffix.lower() != ".pptx":
        fail(f"--out must name a .pptx file, not {out_path.name!r}", 64)
    settings = settings_from(db)
    inputs = _report_inputs(settings, catalog, year, report_county(settings, county))
    ctx = inputs.context()
    by_name = {name.casefold(): area_id for area_id, name in ctx.names.items()}
    area_id = area if area in ctx.names else by_name.get(area.casefold())
    if area_id is None:
        fail(f"unknown area {area!r}: give a Kolada area id such as 1780, or its name", 64)
    try:
        written = build_deck(ctx, area_id, out_path, progress=ProgressDisplay())
    except (ValueError, RuntimeError) as error:
        fail(str(error))
    out.print(f"deck written: {written}")


def _report_inputs(
    settings: Settings, catalog: str | None, year: int | None, county_id: str
) -> Any:
    from reports.inputs import load_report_inputs

    catalog_id = catalog_id_from(catalog, settings)
    existing_warehouse(settings)
    with _report_input_errors():
        return load_report_inputs(settings, catalog_id, year, county_id)


def _status_for_year(settings: Settings, catalog_id: str, year: int) -> Any:
    from reports.inputs import followed_status_for_year

    existing_warehouse(settings)
    with _report_input_errors():
        return followed_status_for_year(settings, catalog_id, year)


@contextmanager
def _report_input_errors() -> Iterator[None]:
    """A year the catalog cannot report on is a usage error (64), as is a catalog, county or
    refresh the warehouse lacks (MissingInput, which the root command turns into 64); the
    warehouse's own errors go to the command's boundary (4); any other refusal exits 1."""
    from pipelines.warehouse import WarehouseError
    from reports.inputs import ReportYearError

    try:
        yield
    except ReportYearError as error:
        fail(str(error), EXIT_USAGE)
    except WarehouseError:
        raise
    except (ValueError, FileNotFoundError) as error:
        fail(str(error))


def _report_areas(ctx: Any, typed: list[str] | None) -> list[str] | None:
    """The report's areas named on the command line: the county's municipalities and region."""
    if not typed:
        return None
    among = [*ctx.municipalities, ctx.county_id]
    return resolve_areas(typed, load_areas(), among, where=f"of the report for {ctx.region_name}")


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="One SELECT, WITH … SELECT, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN query."
        ),
    ],
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Stop the query after this many seconds.", min=0.1)
    ] = 60.0,
    db: DbOption = None,
) -> None:
    """Run one read-only query against the warehouse and print the result.

    The warehouse cannot be changed from here: writes, ATTACH, COPY, INSTALL/LOAD, SET and
    reading files are refused. Tables, views and columns are described in docs/warehouse.md.

    Example: aktuellt sql "SELECT area_name, period, value FROM latest_values
    WHERE series_id = 'kolada:N15428' AND area_kind = 'kommun'" --format csv
    """
    from pipelines.warehouse import QueryFailed, QueryInvalid, QueryRefused, read_only_query

    chosen_format = resolve_choice("format", output_format, TABLE_FORMATS)
    settings = settings_from(db)
    try:
        rows = read_only_query(existing_warehouse(settings), query, timeout=timeout)
    except (QueryRefused, QueryInvalid) as error:
        fail(str(error), EXIT_USAGE)  # the query given is the bad input
    except QueryFailed as error:
        fail(str(error), EXIT_ERROR)  # timed out, or DuckDB failed running it (memory, disk)
    _print_frame(rows, chosen_format, title="")


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="Table or view, e.g. latest_values, progress.")],
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    output_format: Annotated[
        str | None,
        typer.Option("--format", help="csv, parquet or xlsx (default: from the --out suffix)."),
    ] = None,
    area: AreaOption = None,
    catalog: Annotated[
        str | None, typer.Option("--catalog", help="Only this catalog id, e.g. np2022.")
    ] = None,
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
    from pipelines.adhoc import EXPORT_FORMATS, export_format_of, write_export
    from pipelines.warehouse import export_frame

    settings = settings_from(db)
    given_format = (
        resolve_choice("format", output_format, EXPORT_FORMATS) if output_format else None
    )
    file_format = export_format_of(out_file, given_format)
    area_ids = resolve_areas(area or [], load_areas())
    catalog_id = catalog_id_from(catalog, settings) if catalog else None
    try:
        rows = export_frame(
            existing_warehouse(settings), name, area_ids=area_ids, catalog_id=catalog_id,
            period_from=period_from, period_to=period_to,
        )  # fmt: skip
    except ValueError as error:
        fail(str(error))
    write_export(rows, out_file, file_format, sheet=name)
    out.print(f"wrote {rows.height} rows of {name} to {out_file}")


def _print_frame(rows: Any, output_format: str, title: str) -> None:
    if output_format == "csv":
        sys.stdout.write(_flat(rows).write_csv())
    elif output_format == "json":
        sys.stdout.write(rows.write_json() + "\n")
    elif output_format == "table":
        table = Table(*rows.columns, title=title)
        for row in rows.iter_rows():
            table.add_row(*["" if value is None else str(value) for value in row])
        out.print(table)
    else:
        fail(f"unknown format {output_format!r}; use table, csv or json", EXIT_USAGE)


def _flat(rows: Any) -> Any:
    """Lists and structs as JSON text: CSV has no nested values (`SELECT * FROM indicators`)."""
    import json

    import polars as pl

    nested = [name for name, dtype in rows.schema.items() if dtype.is_nested()]
    return rows.with_columns(
        pl.Series(
            name,
            [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
             for v in rows[name].to_list()],
            dtype=pl.String,
        )
        for name in nested
    )  # fmt: skip


def _step(interactive: bool) -> Any:
    def report(message: str) -> None:
        logging.getLogger("aktuellt.refresh").info(message)
        if interactive:
            Console(stderr=True, markup=False, emoji=False, highlight=False).log(message)

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


# Every command runs inside the error boundary (wrapped here, once, so no command can miss it).
commands = (
    *app.registered_commands,
    *catalog_app.registered_commands,
    *checks_app.registered_commands,
)
for _command in commands:
    if _command.callback is not None:
        _command.callback = guarded(_command.callback)


def main() -> None:
    """The `aktuellt` program: the app, then an exit that skips the final garbage collections.

    Objects alive at exit are released with the process anyway; freezing them first spares the
    interpreter's collections over everything a command imported (0,5 s after Great
    Expectations, measured). Open files and the warehouse are closed by then: commands close
    what they open, and logging flushes in its exit handler, which still runs.
    """
    try:
        app()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
