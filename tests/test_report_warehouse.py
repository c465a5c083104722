"""Every figure in a report page traces to the warehouse: the page is built by the CLI from a
real refresh, and its table is compared with the `progress` rows read back from DuckDB."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from config import load_settings
from models.swedish import format_date
from pipelines.refresh import run_refresh
from pipelines.warehouse import read_query
from tests.test_report import assert_cells_show_row, parse

from .conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("report-warehouse")
    settings = load_settings({"data_dir": root / "data"}, env={})
    assert run_refresh(settings, snapshot=PROJECT_ROOT / "data" / "sample").exit_code == 0
    out = root / "report"
    result = CliRunner().invoke(
        app,
        ["report", "--area", "1780", "--year", "2025", "--no-pdf", "--out", str(out),
         "--db", str(settings.db_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return settings.db_path, out


def test_area_page_numbers_equal_the_progress_rows_in_the_warehouse(
    built: tuple[Path, Path],
) -> None:
    db_path, out = built
    rows = parse((out / "karlstad.html").read_text(encoding="utf-8")).rows
    stored = read_query(
        db_path,
        "SELECT * FROM progress WHERE catalog_id = 'np2022' AND area_id = '1780'",
    )
    by_key = {(r["indicator_id"], r["gender"]): r for r in stored.iter_rows(named=True)}
    checked = 0
    for (indicator_id, area_id, gender), cells in rows.items():
        assert area_id == "1780"
        row = by_key[(indicator_id, gender)]
        assert_cells_show_row(cells, row)
        checked += row["latest_value"] is not None
    assert checked >= 10  # the sample gives Karlstad values for most np2022 indicators


def test_the_report_names_the_data_vintage_of_the_warehouse(built: tuple[Path, Path]) -> None:
    db_path, out = built
    finished = read_query(db_path, "SELECT max(finished_at) AS at FROM runs")["at"][0]
    page = (out / "karlstad.html").read_text(encoding="utf-8")
    assert f"Data hämtade {format_date(finished.date())}" in page
    assert "Källa: Kolada" in page and "Egen bearbetning av data från Kolada" in page


def test_the_page_says_when_the_next_value_is_expected(built: tuple[Path, Path]) -> None:
    db_path, out = built
    expected = read_query(
        db_path,
        "SELECT next_publication FROM progress WHERE catalog_id = 'np2022' AND area_id = '1780' "
        "AND indicator_id = 'behoriga_yrkesprogram' AND gender = 'T'",
    )["next_publication"][0]
    assert expected is not None  # from the series metadata (Kolada publication_date)
    fetched = read_query(db_path, "SELECT max(finished_at) AS at FROM runs")["at"][0].date()
    page = (out / "karlstad.html").read_text(encoding="utf-8")
    if expected > fetched:
        assert f"Nästa värde väntas {format_date(expected)}." in page
    else:  # a date already passed is never shown as expected: the value is late
        assert f"Nästa värde väntades {format_date(expected)} men hade inte kommit" in page
        assert f"Nästa värde väntas {format_date(expected)}" not in page


def test_an_earlier_report_year_uses_no_later_value(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    db_path, _ = built
    out = tmp_path / "report-2021"
    result = CliRunner().invoke(
        app,
        ["report", "--area", "1780", "--year", "2021", "--no-pdf", "--out", str(out),
         "--db", str(db_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = parse((out / "karlstad.html").read_text(encoding="utf-8")).rows
    latest_years = [int(cells[3]) for cells in rows.values() if cells[3] != "–"]
    assert latest_years and max(latest_years) <= 2021
    assert "Aktuellt perspektiv 2021" in (out / "karlstad.html").read_text(encoding="utf-8")


def test_a_direction_only_target_is_not_called_too_slow_on_the_page(
    built: tuple[Path, Path],
) -> None:
    db_path, out = built
    stored = read_query(
        db_path,
        "SELECT area_id, indicator_id, gender, status, status_label FROM progress "
        "WHERE target_kind IN ('direction', 'gap')",
    )
    # v2: right_direction is its own status; such targets are never improving ("för långsamt")
    assert "improving" not in stored["status"].to_list()
    assert "right_direction" in stored["status"].to_list()
    right = stored.filter(stored["status"] == "right_direction")
    assert set(right["status_label"]) == {"Rätt riktning"}
    rows = parse((out / "karlstad.html").read_text(encoding="utf-8")).rows
    for key in ("medellivslangd_kvinnor", "medellivslangd_man", "medellivslangd_skillnad"):
        cell = rows[(key, "1780", "T")][7]
        assert "för långsamt" not in cell


def test_the_rank_names_the_year_it_compares(built: tuple[Path, Path]) -> None:
    db_path, out = built
    row = read_query(
        db_path,
        "SELECT rank, rank_of, rank_year, rank_value, latest_year FROM progress "
        "WHERE catalog_id = 'np2022' AND area_id = '1780' "
        "AND indicator_id = 'behoriga_yrkesprogram' AND gender = 'T'",
    ).row(0, named=True)
    assert row["rank_year"] is not None and row["rank_value"] is not None
    page = (out / "karlstad.html").read_text(encoding="utf-8")
    expected = f"Plats {row['rank']} av {row['rank_of']} bland länets kommuner ({row['rank_year']})"
    assert expected in page


@pytest.mark.parametrize("year", ["1990", "2099"])
def test_a_report_year_outside_the_data_is_a_usage_error(
    built: tuple[Path, Path], tmp_path: Path, year: str
) -> None:
    db_path, _ = built
    out = tmp_path / f"report-{year}"
    result = CliRunner().invoke(
        app,
        ["report", "--year", year, "--no-pdf", "--out", str(out), "--db", str(db_path)],
    )
    assert result.exit_code == 64, result.output
    assert f"--year {year} is outside the years this catalog can report on: 2017–2025" in (
        result.output
    )
    assert not out.exists()  # nothing written


def test_status_for_another_year_is_recomputed_and_a_year_without_data_refused(
    built: tuple[Path, Path],
) -> None:
    db_path, _ = built
    runner = CliRunner()
    earlier = runner.invoke(
        app, ["status", "--area", "1780", "--year", "2021", "--format", "csv", "--db", str(db_path)]
    )
    assert earlier.exit_code == 0, earlier.output
    rows = pl.read_csv(io.StringIO(earlier.stdout))
    latest_years = rows["latest_year"].drop_nulls().to_list()
    assert latest_years and max(latest_years) <= 2021
    refused = runner.invoke(app, ["status", "--year", "1990", "--db", str(db_path)])
    assert refused.exit_code == 64
    assert "--year 1990 is outside the years this catalog can report on: 2017–2025" in (
        refused.output
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["report", "--county", "0018", "--no-pdf"], "county 0018 has no status rows"),
        (["status", "--catalog", "np2025", "--year", "2024"], "catalog 'np2025' is not in"),
    ],
)
def test_what_the_warehouse_does_not_hold_is_a_missing_input(
    built: tuple[Path, Path], tmp_path: Path, command: list[str], expected: str
) -> None:
    """Exit 64 like a missing file, not 1, which the exit-code table keeps for failed checks."""
    db_path, _ = built
    out = ["--out", str(tmp_path / "out")] if command[0] == "report" else []
    result = CliRunner().invoke(app, [*command, *out, "--db", str(db_path)])
    assert result.exit_code == 64, result.output
    assert expected in result.stderr
