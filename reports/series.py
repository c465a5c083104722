"""The series an indicator plots: observations selected, derived and cut into unbroken segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from models.catalog import INDICATORS_SCHEMA
from models.schema import OBSERVATION_SCHEMA, conform
from pipelines import progress as method
from sources.survey import LIVOHALSA_YEARS

ALL_YEARS = 9999  # a chart shows every stored year; the status rows decide what counts

# Surveys run in waves years apart, with the waves Kolada carries: a line joins consecutive
# waves. Hälsa på lika villkor is published every year (four-year windows), so it counts years.
WAVE_SURVEYS = {"livohalsa": LIVOHALSA_YEARS}

POINT_SCHEMA: dict[str, Any] = {
    "area_id": pl.String,
    "gender": pl.String,
    "period": pl.Int32,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "survey": pl.String,  # which survey a point comes from, for series that mix surveys
}


def indicator_points(
    observations: pl.DataFrame,
    indicator: Mapping[str, Any],
    area_ids: Sequence[str],
    genders: Sequence[str] = ("T",),
    survey: str | None = None,
) -> pl.DataFrame:
    """The values an indicator plots for these areas, derived by the status method itself.

    One definition of complement (100 − `of`, interval mirrored) and gap (|women − men|, no
    interval) serves both the status and the chart, so a chart never shows another point than
    the one the status used. Missing values stay out, never zero. With `survey` (a tag such as
    "livohalsa"), a series that mixes surveys keeps only that survey's points: the status's
    own series, whose last point is the status's latest value.
    """
    one = pl.DataFrame(
        [{name: indicator.get(name) for name in INDICATORS_SCHEMA}], schema=INDICATORS_SCHEMA
    )
    observed = conform(
        observations.filter(pl.col("area_id").is_in(list(area_ids))), OBSERVATION_SCHEMA
    )
    points = method.indicator_points(one, method.current_observations(observed, ALL_YEARS))
    return (
        survey_points(points, survey)
        .filter(pl.col("gender").is_in(list(genders)))
        .select([pl.col(name).cast(dtype) for name, dtype in POINT_SCHEMA.items()])
        .sort("area_id", "gender", "period")
    )


def survey_points(points: pl.DataFrame, survey: str | None) -> pl.DataFrame:
    """Only the status's own survey where a series mixes surveys (points with no survey tag
    are register data and always stay): its last point is the status's latest value."""
    if survey is None:
        return points
    return points.filter(pl.col("survey").is_null() | (pl.col("survey") == survey))


def with_primary(points: pl.DataFrame, survey: str | None) -> pl.DataFrame:
    """Add `primary`: whether a point belongs to the series the status used.

    `survey` is the status row's survey tag. Where a series mixes surveys and no row names one
    (an area without a status row), the survey of the latest point leads, so that one survey
    is still the line and the others stay points beside it. Untagged points (register data)
    are always primary.
    """
    tagged = points.filter(pl.col("survey").is_not_null())
    if survey is None and tagged.height:
        survey = tagged.sort("period")["survey"][-1]
    return points.with_columns(
        primary=pl.col("survey").is_null() | (pl.col("survey") == pl.lit(survey, pl.String))
    )


def with_segments(points: pl.DataFrame, by: Sequence[str] = ("area_id", "gender")) -> pl.DataFrame:
    """Number the unbroken runs of consecutive years, so a line never bridges a missing year.

    A survey whose waves are years apart (WAVE_SURVEYS) counts in waves, not years: the years
    between waves are not missing, the survey was not run, but a missing wave breaks the line
    as a missing year does. Each survey is its own run, so a line never joins two surveys.
    """
    if "survey" not in points.columns:
        points = points.with_columns(survey=pl.lit(None, pl.String))
    keys = [*by, "survey"]
    position = pl.col("period").cast(pl.Int64)
    for survey, known in WAVE_SURVEYS.items():
        seen = points.filter(pl.col("survey") == survey)["period"].to_list()
        waves = {year: number for number, year in enumerate(sorted({*known, *seen}))}
        position = (
            pl.when(pl.col("survey") == survey)
            .then(pl.col("period").replace_strict(waves, default=None, return_dtype=pl.Int64))
            .otherwise(position)
        )
    return (
        points.with_columns(_position=position)
        .sort(*keys, "period", nulls_last=True)
        .with_columns(
            segment=(pl.col("_position").diff().fill_null(1) != 1)
            .cum_sum()
            .over(keys)
            .cast(pl.Int32)
        )
        .drop("_position")
    )
