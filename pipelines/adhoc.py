"""Ad hoc exports: a table or view as CSV, Parquet or an Excel sheet with Swedish headers.

Pure polars and xlsxwriter; the rows come from pipelines.warehouse.export_frame. Excel is
where working groups take results, so the sheet is made for reading there: Swedish headers,
decimals shown with one or two places but stored in full, years and counts without thousands
separators, ids as text so '0017' keeps its zeros, and a frozen header row.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from models.names import BadInput

EXPORT_FORMATS = ("csv", "parquet", "xlsx")

# Swedish column headers for the Excel sheet; a column not listed keeps its own name.
SWEDISH_HEADERS: dict[str, str] = {
    "series_id": "Serie (id)",
    "series_title": "Serie",
    "source": "Källa",
    "title": "Titel",
    "unit": "Enhet",
    "area_id": "Område (id)",
    "area_name": "Område",
    "area_kind": "Områdestyp",
    "name": "Namn",
    "kind": "Typ",
    "county_id": "Län (id)",
    "period": "År",
    "period_start": "Första år",
    "period_end": "Sista år",
    "gender": "Kön",
    "value": "Värde",
    "ci_low": "Konfidensintervall, nedre",
    "ci_high": "Konfidensintervall, övre",
    "n": "Antal svarande",
    "count": "Antal områden",
    "status": "Status",
    "status_label": "Status",
    "status_symbol": "Statussymbol",
    "survey": "Undersökning",
    "valid_from": "Giltig från (UTC)",
    "valid_to": "Giltig till (UTC)",
    "run_id": "Körning (id)",
    "catalog_id": "Katalog (id)",
    "indicator_id": "Indikator (id)",
    "goal_area": "Målområde",
    "life_stage": "Livsperspektiv",
    "direction": "Riktning",
    "target_kind": "Måltyp",
    "target_amount": "Målförändring",
    "target_value": "Målvärde",
    "baseline_year": "Basår",
    "baseline_year_planned": "Basår enligt katalog",
    "baseline_value": "Värde basår",
    "latest_year": "Senaste år",
    "latest_value": "Senaste värde",
    "target_year": "Målår",
    "required_change": "Nödvändig förändring",
    "change": "Förändring",
    "change_directed": "Förändring i målets riktning",
    "share_achieved": "Andel uppnådd",
    "expected_value": "Förväntat värde",
    "is_significant": "Säkerställd",
    "explanation": "Förklaring",
    "county_value": "Länets värde",
    "riket_value": "Rikets värde",
    "rank": "Rang",
    "rank_of": "Rang av",
    "rank_year": "Rangår",
    "rank_third": "Tredjedel",
    "gap_baseline": "Skillnad K–M basår",
    "gap_latest": "Skillnad K–M senaste år",
    "gap_widened": "Skillnaden har ökat",
    "next_publication": "Nästa publicering",
    "computed_at": "Beräknad (UTC)",
    "cause": "Orsak",
    "change_kind": "Typ av ändring",
    "old_value": "Gammalt värde",
    "new_value": "Nytt värde",
    "value_change": "Ändring",
    "old_status": "Gammal status",
    "new_status": "Ny status",
    "old_valid_from": "Gammalt värde från (UTC)",
    "revised_at": "Ändrat (UTC)",
    "started_at": "Startad (UTC)",
    "finished_at": "Klar (UTC)",
    "outcome": "Utfall",
    "error": "Fel",
}

DECIMAL_FORMAT = "#,##0.0#"  # one or two decimals shown; the cell keeps full precision
INTEGER_FORMAT = "0"  # years, counts and ranks: no thousands separator (2024, not 2 024)
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"  # ids stay text even when someone edits the cell: '0017' is not 17


def write_export(frame: pl.DataFrame, out: Path, file_format: str, *, sheet: str) -> Path:
    """Write `frame` to `out` as csv, parquet or xlsx; return the path written."""
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {file_format!r}; use {', '.join(EXPORT_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "parquet":
        frame.write_parquet(out)
    elif file_format == "csv":
        frame.with_columns(_lists_as_text(frame)).write_csv(out)
    else:
        write_excel(frame, out, sheet=sheet)
    return out


def export_format_of(out: Path, given: str | None) -> str:
    """The export format: the one given, else the file's suffix (.csv, .parquet, .xlsx)."""
    chosen = given or out.suffix.lstrip(".").lower()
    if chosen not in EXPORT_FORMATS:
        raise BadInput(
            f"cannot tell the format of {out.name}: give --format {'|'.join(EXPORT_FORMATS)}"
        )
    return chosen


def swedish_headers(columns: list[str]) -> list[str]:
    """Swedish labels for `columns`; a label already taken falls back to the column's own name."""
    headers: list[str] = []
    for column in columns:
        label = SWEDISH_HEADERS.get(column, column)
        headers.append(label if label not in headers else f"{label} ({column})")
    return headers


def write_excel(frame: pl.DataFrame, out: Path, *, sheet: str) -> None:
    """One sheet with Swedish headers, typed number formats and a frozen header row."""
    # Excel has no time zones: timestamps are written as UTC wall time, which the headers say.
    naive = frame.with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ).with_columns(_lists_as_text(frame))
    labelled = naive.rename(dict(zip(naive.columns, swedish_headers(naive.columns), strict=True)))
    labelled.write_excel(
        out,
        worksheet=sheet[:31],  # Excel's limit on sheet names
        dtype_formats={
            (pl.Float32, pl.Float64): DECIMAL_FORMAT,
            (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt32, pl.UInt64): INTEGER_FORMAT,
            pl.Datetime: TIMESTAMP_FORMAT,
            pl.Date: DATE_FORMAT,
            pl.String: TEXT_FORMAT,
        },
        float_precision=2,
        freeze_panes=(1, 0),
        autofit=True,
        table_style="Table Style Light 1",
    )


def _lists_as_text(frame: pl.DataFrame) -> list[pl.Expr]:
    # CSV and Excel cells hold no lists; a comma-joined list reads as the catalog wrote it.
    return [
        pl.col(name).list.join(", ")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List)
    ]


EXAMPLE_MARK = "-- Q: "


def read_examples(path: Path) -> list[tuple[str, str]]:
    """The (question, SQL) pairs of an examples file: each question on a `-- Q: ` line, its
    query below it up to the next question; the file's opening comment is skipped."""
    examples: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(EXAMPLE_MARK):
            examples.append((line.removeprefix(EXAMPLE_MARK).strip(), []))
        elif examples:
            examples[-1][1].append(line)
    return [(question, "\n".join(lines).strip()) for question, lines in examples]
