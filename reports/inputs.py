"""Read what a report needs from the warehouse: status rows, values, catalog, areas, vintage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from config import Settings
from models.areas import county_areas
from models.catalog import find_catalog_path, load_catalog
from models.schema import OBSERVATION_SCHEMA, PROGRESS_SCHEMA, conform
from models.warehouse_schema import OUTCOME_SUCCESS
from pipelines import progress as method
from pipelines.refresh import OUTCOME_NO_CHANGE
from pipelines.warehouse import read_query


@dataclass(frozen=True)
class ReportInputs:
    progress: pl.DataFrame
    observations: pl.DataFrame
    indicators: pl.DataFrame
    areas: pl.DataFrame
    county_id: str
    catalog_id: str
    catalog_title: str
    report_year: int
    data_date: dt.date  # when the values were last fetched: the data vintage


def load_report_inputs(
    settings: Settings, catalog_id: str, report_year: int | None = None
) -> ReportInputs:
    """Everything a report or chart shows comes from these warehouse rows and nothing else.

    The status rows are the stored ones when `report_year` is theirs (the default); for another
    year they are recomputed from the same stored values, so no value after that year is used.
    """
    db_path = settings.db_path
    county = county_areas(settings.county_id)
    indicators = read_query(db_path, "SELECT * FROM indicators WHERE catalog_id = ?", [catalog_id])
    if indicators.is_empty():
        raise ValueError(f"catalog {catalog_id!r} is not in the warehouse; run a refresh first")
    stored = read_query(db_path, "SELECT * FROM progress WHERE catalog_id = ?", [catalog_id])
    series_ids = pl.concat(
        [indicators[c] for c in ("series_id", "derive_of", "derive_women", "derive_men")]
    ).drop_nulls()
    observations = conform(
        read_query(
            db_path,
            "SELECT * FROM current_observations "
            "WHERE list_contains(?, series_id) AND list_contains(?, area_id)",
            [series_ids.unique().to_list(), county.area_ids],
        ).with_columns(is_deleted=False),
        OBSERVATION_SCHEMA,
    )
    areas = read_query(db_path, "SELECT * FROM areas")
    stored_years = stored["report_year"].drop_nulls().unique().to_list()
    stored_year: int | None = stored_years[0] if len(stored_years) == 1 else None
    year: int = report_year or stored_year or dt.date.today().year
    rows = (
        stored
        if year == stored_year
        else method.compute_progress(
            indicators,
            observations,
            areas,
            county.county_id,
            settings.method,
            year,
            series=read_query(db_path, "SELECT * FROM series"),
        )
    )
    vintage = read_query(
        db_path,
        "SELECT max(finished_at) AS finished_at FROM runs WHERE outcome IN (?, ?)",
        [OUTCOME_SUCCESS, OUTCOME_NO_CHANGE],
    )["finished_at"][0]
    if vintage is None:
        raise ValueError("the warehouse has no successful refresh: the data date is unknown")
    title = load_catalog(find_catalog_path(catalog_id, settings.catalog_dirs)).title
    return ReportInputs(
        progress=conform(rows, PROGRESS_SCHEMA),
        observations=observations,
        indicators=indicators,
        areas=areas,
        county_id=county.county_id,
        catalog_id=catalog_id,
        catalog_title=title,
        report_year=year,
        data_date=vintage.date(),
    )
