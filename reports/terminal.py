"""The status table for the terminal and for CSV/JSON output of `aktuellt status`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from models.areas import load_areas
from models.names import NothingMatches, resolve_areas, resolve_choice
from models.swedish import GENDER_NAMES, format_number
from pipelines.warehouse import read_status_rows

GENDERS = ("T", "K", "M", "all")
STATUS_COLUMNS = (
    "area_id", "area_name", "catalog_id", "indicator_id", "title", "gender", "baseline_year",
    "baseline_value", "latest_year", "latest_value", "change", "target_value", "status",
    "status_label", "status_symbol", "explanation",
)  # fmt: skip


def recomputed_rows(
    progress: pl.DataFrame, areas: pl.DataFrame, indicators: pl.DataFrame
) -> pl.DataFrame:
    """Status rows recomputed for another report year (PROGRESS_SCHEMA, as stored: Riket once),
    shaped as read_status_rows's."""
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
    """Status rows of one catalog, for the given areas (ids, names or slugs; all when empty): the
    stored rows, or `recomputed` ones for another report year.

    Raises models.names.BadInput for an unknown area or gender, and when nothing is left.
    """
    chosen_gender = resolve_choice("gender", gender, GENDERS)
    rows = read_status_rows(db_path, catalog_id) if recomputed is None else recomputed
    if rows.is_empty():
        raise NothingMatches(f"no status rows for catalog {catalog_id!r}; has a refresh run?")
    if areas:
        among = rows["area_id"].unique().to_list()
        area_ids = resolve_areas(
            areas, load_areas(), among, where=f"with status rows in {catalog_id}"
        )
        rows = rows.filter(pl.col("area_id").is_in(area_ids))
    if chosen_gender != "all":
        rows = rows.filter(pl.col("gender") == chosen_gender)
    if rows.is_empty():
        raise NothingMatches(
            f"no status rows for gender {chosen_gender} in {', '.join(areas) or 'any area'} "
            f"(catalog {catalog_id})"
        )
    return rows


def compact_status(rows: pl.DataFrame) -> pl.DataFrame:
    """The terminal view in Swedish: area names, decimal commas, rounded for display only."""
    return rows.select(
        pl.col("area_name").alias("Område"),
        pl.col("title").alias("Indikator"),
        pl.col("gender").replace_strict(GENDER_NAMES, default=pl.col("gender")).alias("Kön"),
        _year_value("baseline_year", "baseline_value").alias("Basvärde"),
        _year_value("latest_year", "latest_value").alias("Senaste"),
        pl.col("change")
        .map_elements(lambda value: format_number(value, signed=True), return_dtype=pl.String)
        .fill_null("–")
        .alias("Förändring"),
        pl.col("target_value")
        .map_elements(format_number, return_dtype=pl.String)
        .fill_null("–")
        .alias("Målvärde"),
        pl.concat_str("status_symbol", "status_label", separator=" ").alias("Status"),
    )


def _year_value(year: str, value: str) -> pl.Expr:
    return pl.struct(year, value).map_elements(
        lambda row: "–" if row[value] is None else f"{format_number(row[value])} ({row[year]})",
        return_dtype=pl.String,
    )
