"""Read what a report needs from the warehouse: status rows, values, catalog, areas, vintage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from models.areas import county_areas
from models.catalog import find_catalog_path, load_catalog
from models.schema import OBSERVATION_SCHEMA, PROGRESS_SCHEMA, conform
from models.warehouse_schema import OUTCOME_SUCCESS
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
    data_date: dt.date  # when the values were last fetched: the data vintage


def load_report_inputs(
    db_path: Path, county_id: str, catalog_id: str, catalog_dirs: Sequence[Path] = ()
) -> ReportInputs:
    """Everything a report or chart shows comes from these warehouse rows and nothing else."""
    county = county_areas(county_id)
    indicators = read_query(db_path, "SELECT * FROM indicators WHERE catalog_id = ?", [catalog_id])
    if indicators.is_empty():
        raise ValueError(f"catalog {catalog_id!r} is not in the warehouse; run a refresh first")
    progress = read_query(db_path, "SELECT * FROM progress WHERE catalog_id = ?", [catalog_id])
    series = pl.concat(
        [indicators[c] for c in ("series_id", "derive_of", "derive_women", "derive_men")]
    ).drop_nulls()
    observations = read_query(
        db_path,
        "SELECT * FROM current_observations "
        "WHERE list_contains(?, series_id) AND list_contains(?, area_id)",
        [series.unique().to_list(), county.area_ids],
    )
    areas = read_query(db_path, "SELECT * FROM areas")
    vintage = read_query(
        db_path,
        "SELECT max(finished_at) AS finished_at FROM runs WHERE outcome IN (?, 'no_change')",
        [OUTCOME_SUCCESS],
    )["finished_at"][0]
    title = load_catalog(find_catalog_path(catalog_id, catalog_dirs)).title
    return ReportInputs(
        progress=conform(progress, PROGRESS_SCHEMA),
        observations=conform(observations.with_columns(is_deleted=False), OBSERVATION_SCHEMA),
        indicators=indicators,
        areas=areas,
        county_id=county_id,
        catalog_id=catalog_id,
        catalog_title=title,
        data_date=vintage.date() if vintage is not None else dt.date.today(),
    )
