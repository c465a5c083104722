"""Report test data: real Kolada values for Värmland (csv-2024 snapshot) and their status rows.

Observations are read from data/reference/kolada/csv-2024 (ids as strings); the county
mean group G33624 is the unweighted mean of the 16 municipalities, as Kolada defines it; status
rows come from the project's own method (pipelines.progress.compute_progress).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from config import MethodSettings
from models.areas import AREAS_FILE
from models.catalog import indicators_frame, load_catalogs, series_read_by
from models.schema import OBSERVATION_SCHEMA, conform
from pipelines.progress import compute_progress
from sources.survey import tag_survey_points

REFERENCE_DATA = Path(__file__).resolve().parent.parent / "data" / "reference"
KOLADA_CSV = REFERENCE_DATA / "kolada" / "csv-2024"
COUNTY_ID = "0017"
GROUP_ID = "G33624"
RIKET_ID = "0000"
REPORT_YEAR = 2024
DATA_DATE = dt.date(2024, 12, 31)
CATALOG_TITLE = "Politiskt inriktningsdokument 2022"


@dataclass(frozen=True)
class ReportData:
    progress: pl.DataFrame
    observations: pl.DataFrame
    indicators: pl.DataFrame
    areas: pl.DataFrame

    def args(self) -> dict[str, Any]:
        return {
            "progress": self.progress,
            "observations": self.observations,
            "indicators": self.indicators,
            "areas": self.areas,
            "county_id": COUNTY_ID,
            "catalog_id": "np2022",
            "report_year": REPORT_YEAR,
            "data_date": DATA_DATE,
            "catalog_title": CATALOG_TITLE,
        }


def areas_frame() -> pl.DataFrame:
    return pl.read_csv(AREAS_FILE, schema_overrides={"area_id": pl.String, "county_id": pl.String})


def read_kolada_csv(kpi: str, area_ids: list[str]) -> pl.DataFrame:
    """One KPI's T, K and M values for these areas as OBSERVATION_SCHEMA rows."""
    frames = []
    total = KOLADA_CSV / f"ddf--datapoints--{kpi.lower()}--by--geo--year.csv"
    gendered = KOLADA_CSV / f"ddf--datapoints--{kpi.lower()}--by--geo--gender--year.csv"
    if total.exists():
        frames.append(
            pl.read_csv(total, schema_overrides={"geo": pl.String})
            .rename({kpi.lower(): "value"})
            .with_columns(gender=pl.lit("T"))
        )
    if gendered.exists():
        frames.append(
            pl.read_csv(gendered, schema_overrides={"geo": pl.String, "gender": pl.String})
            .rename({kpi.lower(): "value"})
            # The export spells gender "K"/"M" in some files and "k"/"m" in others.
            .with_columns(pl.col("gender").str.to_uppercase())
            .filter(pl.col("gender").is_in(["K", "M"]))
        )
    if not frames:
        return conform(pl.DataFrame(), OBSERVATION_SCHEMA)
    values = (
        pl.concat(
            [
                f.select("geo", "year", "gender", pl.col("value").cast(pl.Float64, strict=False))
                for f in frames
            ]
        )
        # Some files drop the ids' leading zeros ("17" for 0017, "0" for Riket); ids are 4 wide.
        .with_columns(pl.col("geo").str.zfill(4))
        .filter(pl.col("geo").is_in(area_ids))
        .with_columns(pl.col("value").cast(pl.Float64))
    )
    return conform(
        values.rename({"geo": "area_id", "year": "period"}).with_columns(
            series_id=pl.lit(f"kolada:{kpi}"),
            status=pl.lit(""),
            is_deleted=pl.lit(False),
            count=pl.lit(1),
        ),
        OBSERVATION_SCHEMA,
    )


def with_group_mean(observations: pl.DataFrame, municipalities: list[str]) -> pl.DataFrame:
    """Add G33624: the unweighted mean of the county's municipalities."""
    group = (
        observations.filter(pl.col("area_id").is_in(municipalities), pl.col("value").is_not_null())
        .group_by("series_id", "period", "gender")
        .agg(value=pl.col("value").mean(), count=pl.len().cast(pl.Int64))
        .with_columns(area_id=pl.lit(GROUP_ID), status=pl.lit(""), is_deleted=pl.lit(False))
    )
    return pl.concat([observations, conform(group, OBSERVATION_SCHEMA)]).sort(
        "series_id", "area_id", "gender", "period"
    )


@cache
def report_data() -> ReportData:
    areas = areas_frame()
    county = areas.filter(pl.col("county_id") == COUNTY_ID)
    municipalities = county.filter(pl.col("kind") == "kommun")["area_id"].to_list()
    area_ids = [*municipalities, COUNTY_ID, RIKET_ID]
    indicators = indicators_frame(load_catalogs(["np2022"]))
    series = [s.split(":", 1)[1] for s in series_read_by(indicators) if s.startswith("kolada:")]
    # Tagged as a refresh tags them: Värmland's U-series mix Liv & Hälsa and HLV values.
    observations = tag_survey_points(
        with_group_mean(
            pl.concat([read_kolada_csv(kpi, area_ids) for kpi in series]), municipalities
        )
    )
    progress = compute_progress(
        indicators, observations, areas, COUNTY_ID, MethodSettings(), REPORT_YEAR
    )
    return ReportData(progress, observations, indicators, areas)


def with_title(data: ReportData, indicator_id: str, title: str) -> ReportData:
    """The same data with one indicator retitled (e.g. to check escaping)."""
    indicators = data.indicators.with_columns(
        title=pl.when(pl.col("indicator_id") == indicator_id)
        .then(pl.lit(title))
        .otherwise(pl.col("title"))
    )
    return ReportData(data.progress, data.observations, indicators, data.areas)
