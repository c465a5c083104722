"""Exports: CSV and Parquet read back equal to the query; Excel has Swedish headers and types."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from models.names import BadInput, UnknownName
from pipelines.adhoc import write_export
from pipelines.warehouse import export_frame, open_for_refresh
from tests.warehouse_helpers import observations

LOADED_AT = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "aktuellt.duckdb"
    batch = observations("""
        series_id,area_id,period,gender,value,ci_low,ci_high,status
        kolada:N15428,0017,2022,T,81.123456,79.5,82.75,
        kolada:N15428,0017,2023,T,82.5,,,
        kolada:N15428,1780,2023,T,79.25,,,
        kolada:N15428,0000,2023,K,1234.5678,,,
        kolada:N02797,1780,2019,T,,,,Missing
    """)
    with open_for_refresh(path) as writer:
        writer.load_observations(batch, "run-1", now=LOADED_AT, full=False, scope_series=[])
    return path


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_export_reads_back_equal_to_the_query(db: Path, tmp_path: Path, file_format: str) -> None:
    rows = export_frame(db, "observations", area_ids=["0017", "0000"], period_from=2023)
    assert sorted(rows["area_id"]) == ["0000", "0017"]
    out = write_export(rows, tmp_path / f"obs.{file_format}", file_format, sheet="observations")
    back = pl.read_csv(out, schema=rows.schema) if file_format == "csv" else pl.read_parquet(out)
    assert back.equals(rows)
    assert back["area_id"].to_list() == ["0000", "0017"]


def test_excel_export_has_swedish_headers_numbers_text_ids_and_a_frozen_header(
    db: Path, tmp_path: Path
) -> None:
    rows = export_frame(db, "latest_values")
    out = write_export(rows, tmp_path / "latest.xlsx", "xlsx", sheet="latest_values")
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    assert headers[:9] == [
        "Serie (id)", "Serie", "Enhet", "Område (id)", "Område", "Områdestyp", "Kön", "År",
        "Värde",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    by_header = {header: index for index, header in enumerate(headers)}
    body = list(sheet.iter_rows(min_row=2, values_only=False))
    region = next(row for row in body if row[by_header["Område (id)"]].value == "0017")
    assert region[by_header["Område (id)"]].data_type == "s"
    year, value = region[by_header["År"]], region[by_header["Värde"]]
    assert year.value == 2023 and year.number_format == "0"
    assert value.value == 82.5 and value.number_format == "#,##0.0#"
    riket = next(row for row in body if row[by_header["Område (id)"]].value == "0000")
    assert riket[by_header["Värde"]].value == pytest.approx(1234.5678, abs=1e-9)


def test_filter_on_a_missing_column_is_an_error(db: Path) -> None:
    with pytest.raises(BadInput, match="--catalog cannot filter observations"):
        export_frame(db, "observations", catalog_id="np2022")


def test_unknown_name_is_refused_without_running_it(db: Path) -> None:
    with pytest.raises(UnknownName, match="unknown table or view"):
        export_frame(db, "areas; DROP TABLE areas")


def test_export_command_writes_the_file_from_its_suffix(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "values.parquet"
    result = CliRunner().invoke(
        app,
        ["export", "current_observations", "--area", "1780", "--out", str(out), "--db", str(db)],
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(pl.read_parquet(out)["series_id"]) == ["kolada:N02797", "kolada:N15428"]
    bad = CliRunner().invoke(
        app, ["export", "nope", "--out", str(tmp_path / "x.csv"), "--db", str(db)]
    )
    assert bad.exit_code == 64 and "unknown table or view 'nope'" in bad.stderr
