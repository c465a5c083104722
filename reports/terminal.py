"""The status table for the terminal and for CSV/JSON output of `aktuellt status`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from models.swedish import format_number
from pipelines.warehouse import read_status_rows

STATUS_COLUMNS = (
    "area_id", "area_name", "catalog_id", "indicator_id", "title", "gender", "baseline_year",
    "baseline_value", "latest_year", "latest_value", "change", "target_value", "status",
    "status_label", "status_symbol", "explanation",
)  # fmt: skip


def recomputed_rows(
    progress: pl.DataFrame, areas: pl.DataFrame, indicators: pl.DataFrame
) -> pl.DataFrame:
    """Status rows recomputed for another report year, shaped as read_status_rows's."""
    return (
        progress.join(areas.select("area_id", "kind", area_name="name"), on="area_id")
        .join(
            indicators.select("catalog_id", "indicator_id", "title", "goal_area"),
            on=["catalog_id", "indicator_id"],
        )
        .sort("kind", "area_name", "goal_area", "indicator_id", "gender")
        .select(STATUS_COLUMNS)
    )


def status_rows(
    db_path: Path,
    catalog_id: str,
    areas: Sequence[str],
    gender: str,
    recomputed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Status rows of one catalog, for the given area ids or names (all when empty); the stored
    rows, or `recomputed` ones for another report year."""
    rows = read_status_rows(db_path, catalog_id) if recomputed is None else recomputed
    if rows.is_empty():
        raise ValueError(f"no status rows for catalog {catalog_id!r}; has a refresh run?")
    if gender.upper() not in ("T", "K", "M", "ALL"):
        raise ValueError(f"gender must be T, K, M or all, not {gender!r}")
    if gender.upper() != "ALL":
        rows = rows.filter(pl.col("gender") == gender.upper())
    if areas:
        wanted = {area.casefold() for area in areas}
        rows = rows.filter(
            pl.col("area_id").is_in(list(wanted))
            | pl.col("area_name").str.to_lowercase().is_in(list(wanted))
        )
        if rows.is_empty():
            raise ValueError(f"no status rows for area(s) {', '.join(areas)}")
    return rows


def compact_status(rows: pl.DataFrame) -> pl.DataFrame:
    """The terminal view: Swedish numbers rounded for display, one line per row."""
    return rows.select(
        area=pl.col("area_name"),
        indicator=pl.col("title"),
        gender=pl.col("gender"),
        baseline=_year_value("baseline_year", "baseline_value"),
        latest=_year_value("latest_year", "latest_value"),
        change=pl.col("change").map_elements(
            lambda value: format_number(value, signed=True), return_dtype=pl.String
        ),
        target=pl.col("target_value").map_elements(format_number, return_dtype=pl.String),
        status=pl.concat_str("status_symbol", "status_label", separator=" "),
    )


def _year_value(year: str, value: str) -> pl.Expr:
    return pl.struct(year, value).map_elements(
        lambda row: "–" if row[value] is None else f"{format_number(row[value])} ({row[year]})",
        return_dtype=pl.String,
    )
