"""Laws the status method must obey for any series: zero change, mirror symmetry, row order."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from config import MethodSettings
from models.schema import OBSERVATION_SCHEMA, conform
from tests.test_progress import SERIES, indicator, progress, row_of

# Values on a grid of 0.25 and a target path of 4 years keep every sum and fraction exact in
# binary floating point, so a mirrored series meets the same thresholds exactly, not ±1 ulp.
values = st.integers(min_value=0, max_value=400).map(lambda quarter: quarter / 4)
half_widths = st.one_of(st.none(), st.integers(min_value=1, max_value=16).map(lambda q: q / 4))
targets = st.sampled_from(
    [
        {"target_kind": "pp", "target_amount": 2.0},
        {"target_kind": "pp", "target_amount": 5.0},
        {"target_kind": "units", "target_amount": 1.0},
        {"target_kind": "direction", "target_amount": None},
        {"target_kind": "level", "target_amount": None, "target_value": 60.0},
    ]
)
RUN = settings(max_examples=60, deadline=None)


def series_frame(
    points: list[tuple[int, float, float | None]], area_id: str = "1780"
) -> pl.DataFrame:
    """One series: (period, value, half-width of the 95 % interval or None)."""
    return conform(
        pl.DataFrame(
            {
                "series_id": SERIES,
                "area_id": area_id,
                "gender": "T",
                "period": [period for period, _, _ in points],
                "value": [value for _, value, _ in points],
                "ci_low": [None if half is None else value - half for _, value, half in points],
                "ci_high": [None if half is None else value + half for _, value, half in points],
            }
        ),
        OBSERVATION_SCHEMA,
    )


def mirrored(target: dict[str, Any]) -> dict[str, Any]:
    if target["target_kind"] == "level":
        return {**target, "target_value": 100 - target["target_value"]}
    return target


@RUN
@given(value=values, half=half_widths, latest_year=st.integers(2018, 2024), target=targets)
def test_a_latest_value_equal_to_the_baseline_is_no_change(value, half, latest_year, target):
    row = row_of(
        progress(
            series_frame([(2017, value, half), (latest_year, value, half)]),
            indicator(target_year=2021, **target),
        )
    )
    assert row["change"] == 0 and row["change_directed"] == 0
    assert row["status"] in {"no_change", "target_met", "too_uncertain"}
    if row["status"] == "no_change":
        assert row["decided_by"] in {"not_significant", "below_noise_floor", "zero_change"}


@RUN
@given(
    baseline=values,
    latest=values,
    half=half_widths,
    latest_year=st.integers(2018, 2024),
    direction=st.sampled_from([1, -1]),
    target=targets,
)
def test_flipping_the_direction_and_mirroring_the_values_mirrors_the_status(
    baseline, latest, half, latest_year, direction, target
):
    original = row_of(
        progress(
            series_frame([(2017, baseline, half), (latest_year, latest, half)]),
            indicator(target_year=2021, direction=direction, **target),
        )
    )
    flipped = row_of(
        progress(
            series_frame([(2017, 100 - baseline, half), (latest_year, 100 - latest, half)]),
            indicator(target_year=2021, direction=-direction, **mirrored(target)),
        )
    )
    assert (flipped["status"], flipped["decided_by"]) == (
        original["status"],
        original["decided_by"],
    )
    assert flipped["change_directed"] == original["change_directed"]
    assert flipped["ahead_of_path"] == original["ahead_of_path"]


@RUN
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["1780", "1784", "1715", "0017", "G33624", "0000"]),
            st.integers(2014, 2024),
            st.sampled_from(["T", "K", "M"]),
            values,
        ),
        min_size=1,
        max_size=40,
        unique_by=lambda row: row[:3],
    ),
    data=st.data(),
)
def test_the_status_never_depends_on_row_order(rows, data):
    table = conform(
        pl.DataFrame(
            rows, schema=["area_id", "period", "gender", "value"], orient="row"
        ).with_columns(series_id=pl.lit(SERIES)),
        OBSERVATION_SCHEMA,
    )
    catalogs = pl.concat(
        [
            indicator(divided_by_gender=True),
            indicator(catalog_id="np2023", target_kind="direction", target_amount=None),
        ]
    )
    order = data.draw(st.permutations(range(table.height)))
    catalog_order = data.draw(st.permutations(range(catalogs.height)))
    settings_ = MethodSettings()
    assert_frame_equal(
        progress(table, catalogs, settings_),
        progress(table[list(order)], catalogs[list(catalog_order)], settings_),
    )
