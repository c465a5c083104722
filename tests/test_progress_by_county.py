"""Status rows for several counties in one call are each county's own rows (issue 13).

compute_progress_by_county computes what does not depend on the county once, so these tests
check that nothing that does depend on it leaks between counties: the status survey (Liv &
Hälsa in Värmland, HLV in Stockholm), the county value and the rank.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from config import MethodSettings
from models.catalog import INDICATORS_SCHEMA
from models.schema import OBSERVATION_SCHEMA, conform
from pipelines.progress import as_stored, compute_progress, compute_progress_by_county

REPORT_YEAR = 2024
YEARS = range(2008, 2025)
AREAS = pl.DataFrame(
    {
        "area_id": ["1780", "1784", "1715", "0017", "G33624",
                    "0180", "0114", "0001", "G33612", "0000"],
        "kind": ["kommun", "kommun", "kommun", "region", "grupp",
                 "kommun", "kommun", "region", "grupp", "riket"],
        "county_id": ["0017"] * 5 + ["0001"] * 4 + [None],
    }
)  # fmt: skip
COUNTIES = ["0017", "0001"]  # Värmland runs Liv & Hälsa, Stockholm does not
EVERY_KIND = ["kommun", "region", "grupp", "riket"]


def indicators() -> pl.DataFrame:
    """A register KPI divided by gender, a survey KPI, and the complement of the register KPI."""
    common = {
        "catalog_id": "np2022", "goal_area": "g", "unit": "percent", "direction": 1,
        "target_kind": "pp", "target_amount": 2.0, "baseline_year": 2017, "target_year": 2022,
        "window_years": 1, "areas": EVERY_KIND, "divided_by_gender": False,
    }  # fmt: skip
    entries = [
        {**common, "indicator_id": "register", "title": "r", "series_id": "kolada:N00001",
         "divided_by_gender": True},
        {**common, "indicator_id": "survey", "title": "s", "series_id": "kolada:U00001"},
        {**common, "indicator_id": "complement", "title": "c", "series_id": None,
         "derive_kind": "complement", "derive_of": "kolada:N00001", "direction": -1},
    ]  # fmt: skip
    return pl.DataFrame(entries, schema=INDICATORS_SCHEMA)


def observations() -> pl.DataFrame:
    """Noisy values for every area and year; the survey KPI has Liv & Hälsa in even years and
    HLV in odd ones, everywhere including Riket, so Riket's status survey depends on the
    county asking."""
    register = (
        AREAS.select("area_id")
        .join(pl.DataFrame({"period": list(YEARS)}, schema={"period": pl.Int32}), how="cross")
        .join(pl.DataFrame({"gender": ["T", "K", "M"]}), how="cross")
        .with_columns(series_id=pl.lit("kolada:N00001"))
    )
    survey = (
        register.filter(pl.col("gender") == "T")
        .with_columns(series_id=pl.lit("kolada:U00001"))
        .with_columns(
            survey=pl.when(pl.col("period") % 2 == 0)
            .then(pl.lit("livohalsa"))
            .otherwise(pl.lit("hlv"))
        )
    )
    grid = pl.concat([register, survey], how="diagonal_relaxed")
    rng = np.random.default_rng(13)
    values = np.round(50 + 20 * rng.random(grid.height), 1)
    missing = rng.random(grid.height) < 0.05
    return conform(
        grid.with_columns(
            value=pl.when(pl.Series(missing)).then(None).otherwise(pl.Series(values)),
            is_deleted=pl.lit(False),
        ),
        OBSERVATION_SCHEMA,
    )


@pytest.fixture(scope="module")
def by_county() -> pl.DataFrame:
    return compute_progress_by_county(
        indicators(), observations(), AREAS, COUNTIES, MethodSettings(), REPORT_YEAR
    )


@pytest.mark.parametrize("county_id", COUNTIES)
def test_all_counties_at_once_equal_each_county_alone(
    by_county: pl.DataFrame, county_id: str
) -> None:
    alone = compute_progress(
        indicators(), observations(), AREAS, county_id, MethodSettings(), REPORT_YEAR
    )
    together = by_county.filter(pl.col("county_id") == county_id).drop("county_id")
    assert together.height == alone.height > 0
    assert_frame_equal(together, alone, check_exact=True)  # the same bits: sums in period order


def test_riket_uses_each_countys_status_survey(by_county: pl.DataFrame) -> None:
    riket = by_county.filter((pl.col("area_id") == "0000") & (pl.col("indicator_id") == "survey"))
    surveys = dict(zip(riket["county_id"], riket["survey"], strict=True))
    assert surveys == {"0017": "Liv & Hälsa", "0001": "Hälsa på lika villkor"}


def test_ranks_and_county_values_stay_within_the_county(by_county: pl.DataFrame) -> None:
    register = by_county.filter((pl.col("indicator_id") == "register") & (pl.col("gender") == "T"))
    municipalities = register.filter(pl.col("area_id").is_in(["1780", "1784", "1715", "0180"]))
    rank_of = dict(zip(municipalities["area_id"], municipalities["rank_of"], strict=True))
    assert rank_of == {"1780": 3, "1784": 3, "1715": 3, "0180": 2}
    obs = observations()
    for area_id, region in (("1780", "0017"), ("0180", "0001")):
        row = register.filter(pl.col("area_id") == area_id).row(0, named=True)
        expected = obs.filter(
            (pl.col("series_id") == "kolada:N00001")
            & (pl.col("area_id") == region)
            & (pl.col("gender") == "T")
            & (pl.col("period") == row["latest_year"])
        )["value"]
        assert row["county_value"] == expected[0]


def test_riket_is_stored_once_without_a_county_value_when_several_counties_are_followed(
    by_county: pl.DataFrame,
) -> None:
    stored = as_stored(by_county, COUNTIES)
    riket = stored.filter(pl.col("area_id") == "0000")
    key = ["catalog_id", "indicator_id", "gender"]
    assert (
        riket.height
        == by_county.filter(pl.col("county_id") == "0017")
        .filter(pl.col("area_id") == "0000")
        .height
        and not riket.select(key).is_duplicated().any()
    )
    assert riket["county_value"].null_count() == riket.height  # no one county is Riket's
    # Every other area keeps its own county's value.
    others = stored.filter(pl.col("area_id") != "0000")
    assert others["county_value"].drop_nulls().len() > 0
    # One county followed: Riket's row compares with that county, as before.
    alone = as_stored(by_county.filter(pl.col("county_id") == "0017"), ["0017"])
    assert alone.filter(pl.col("area_id") == "0000")["county_value"].drop_nulls().len() > 0
