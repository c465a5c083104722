"""The series an indicator plots: observations selected, derived and cut into unbroken segments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

POINT_SCHEMA: dict[str, Any] = {
    "area_id": pl.String,
    "gender": pl.String,
    "period": pl.Int32,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
}


def indicator_points(
    observations: pl.DataFrame,
    indicator: Mapping[str, Any],
    area_ids: Sequence[str],
    genders: Sequence[str] = ("T",),
) -> pl.DataFrame:
    """The values an indicator plots for these areas, derived the way the method derives them.

    complement: 100 − `of` (intervals mirrored); gap: |women − men| (no interval: none is known
    for a difference of two published values). Missing values stay out, never zero.
    """
    kind = indicator.get("derive_kind")
    current = observations.filter(pl.col("area_id").is_in(list(area_ids)))
    if "is_deleted" in current.columns:
        current = current.filter(~pl.col("is_deleted").fill_null(False))
    current = current.filter(pl.col("value").is_not_null())
    if kind == "complement":
        points = current.filter(
            pl.col("series_id") == indicator["derive_of"], pl.col("gender").is_in(list(genders))
        ).with_columns(
            value=100 - pl.col("value"),
            ci_low=100 - pl.col("ci_high"),
            ci_high=100 - pl.col("ci_low"),
        )
    elif kind == "gap":
        if indicator.get("derive_of"):
            women = current.filter(
                pl.col("series_id") == indicator["derive_of"], pl.col("gender") == "K"
            )
            men = current.filter(
                pl.col("series_id") == indicator["derive_of"], pl.col("gender") == "M"
            )
        else:
            women = current.filter(pl.col("series_id") == indicator["derive_women"])
            men = current.filter(pl.col("series_id") == indicator["derive_men"])
            women = women.filter(pl.col("gender") == "T")
            men = men.filter(pl.col("gender") == "T")
        points = (
            women.select("area_id", "period", women_value="value")
            .join(men.select("area_id", "period", men_value="value"), on=["area_id", "period"])
            .with_columns(
                gender=pl.lit("T"),
                value=(pl.col("women_value") - pl.col("men_value")).abs(),
                ci_low=pl.lit(None, dtype=pl.Float64),
                ci_high=pl.lit(None, dtype=pl.Float64),
            )
        )
    else:
        points = current.filter(
            pl.col("series_id") == indicator["series_id"], pl.col("gender").is_in(list(genders))
        )
    return (
        points.select([pl.col(name).cast(dtype) for name, dtype in POINT_SCHEMA.items()])
        .unique(subset=["area_id", "gender", "period"], keep="last")
        .sort("area_id", "gender", "period")
    )


def with_segments(points: pl.DataFrame, by: Sequence[str] = ("area_id", "gender")) -> pl.DataFrame:
    """Number the unbroken runs of consecutive years, so a line never bridges a missing year."""
    return points.sort(*by, "period").with_columns(
        segment=(pl.col("period").diff().fill_null(1) != 1).cum_sum().over(list(by)).cast(pl.Int32)
    )
