"""Benchmark: status rows for the whole country, against polars merely reading and sorting.

Generates every area (290 municipalities, 21 regions, 21 county mean groups, Riket) × every
series the np2020, np2022 and np2023 catalogs read × 30 years × T/K/M, shaped like Kolada's
values (shares with noise, 5 % missing; survey series with intervals and a survey tag), writes
it to a parquet file, and prints:
- the floor: polars reading that parquet file and sorting it by the observation key;
- the status rows for one county (Värmland, 0017);
- the status rows for the whole country: `compute_progress_by_county` for all 21 counties in
  one call (issue 13's goal: at most 5× the floor), and, for comparison, `compute_progress`
  once per county (21 calls). A status row's county value and rank depend on the county;
  Riket's rows repeat in every county.

Every time includes reading the parquet file. Ratios are measured within one run.

Run: .venv/bin/python -m bench.bench_progress [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from config import MethodSettings
from models.areas import AREAS_FILE
from models.catalog import indicators_frame, load_catalogs, series_read_by
from models.schema import GENDERS, OBSERVATION_KEY, OBSERVATION_SCHEMA, conform
from pipelines.progress import compute_progress, compute_progress_by_county

CATALOGS = ("np2020", "np2022", "np2023")
YEARS = range(1996, 2026)
REPORT_YEAR = 2025
MISSING_SHARE = 0.05


def catalog_indicators() -> pl.DataFrame:
    return indicators_frame(load_catalogs(CATALOGS))


def all_areas() -> pl.DataFrame:
    return pl.read_csv(AREAS_FILE, schema_overrides={"area_id": pl.String, "county_id": pl.String})


def build_observations(
    indicators: pl.DataFrame, areas: pl.DataFrame, seed: int = 1
) -> pl.DataFrame:
    """One value per series × area × year × gender; survey series carry a 95 % interval."""
    grid = (
        pl.DataFrame({"series_id": series_read_by(indicators)})
        .join(areas.select("area_id"), how="cross")
        .join(pl.DataFrame({"period": list(YEARS)}, schema={"period": pl.Int32}), how="cross")
        .join(pl.DataFrame({"gender": list(GENDERS)}), how="cross")
    )
    rng = np.random.default_rng(seed)
    missing = rng.random(grid.height) < MISSING_SHARE
    values = np.round(20 + 70 * rng.random(grid.height), 1)
    half_width = np.round(0.5 + 4 * rng.random(grid.height), 1)
    is_survey = pl.col("series_id").str.starts_with("kolada:U") | pl.col(
        "series_id"
    ).str.starts_with("survey:")
    return conform(
        grid.with_columns(
            value=pl.when(pl.Series(missing)).then(None).otherwise(pl.Series(values)),
            half=pl.Series(half_width),
        ).with_columns(
            ci_low=pl.when(is_survey).then(pl.col("value") - pl.col("half")),
            ci_high=pl.when(is_survey).then(pl.col("value") + pl.col("half")),
            survey=pl.when(is_survey).then(pl.lit("hlv")),
            count=pl.lit(1, pl.Int64),
            status=pl.lit(""),
            is_deleted=pl.lit(False),
        ),
        OBSERVATION_SCHEMA,
    )


def timed(step: Callable[[], pl.DataFrame], repeat: int) -> tuple[float, pl.DataFrame]:
    """The best wall time of `repeat` runs, and the last result."""
    best, result = float("inf"), pl.DataFrame()
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    repeat = parser.parse_args().repeat

    indicators, areas = catalog_indicators(), all_areas()
    counties = areas.filter(pl.col("kind") == "region")["area_id"].sort().to_list()
    settings = MethodSettings()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "observations.parquet"
        build_observations(indicators, areas).write_parquet(path)

        floor, observations = timed(lambda: pl.read_parquet(path).sort(OBSERVATION_KEY), repeat)

        def one_county() -> pl.DataFrame:
            return compute_progress(
                indicators, pl.read_parquet(path), areas, "0017", settings, REPORT_YEAR
            )

        def every_county() -> pl.DataFrame:
            return compute_progress_by_county(
                indicators, pl.read_parquet(path), areas, counties, settings, REPORT_YEAR
            )

        def county_by_county() -> pl.DataFrame:
            observations = pl.read_parquet(path)
            return pl.concat(
                [
                    compute_progress(indicators, observations, areas, county, settings, REPORT_YEAR)
                    for county in counties
                ]
            )

        county_time, county_rows = timed(one_county, repeat)
        national_time, national_rows = timed(every_county, repeat)
        separate_time, separate_rows = timed(county_by_county, repeat)

    print(f"input: {observations.height:,} observations, {indicators.height} indicators "
          f"in {len(CATALOGS)} catalogs, {areas.height} areas, {len(YEARS)} years")  # fmt: skip
    print(f"floor (read parquet + sort):           {floor:7.3f} s")
    print(
        f"status rows, one county (0017):        {county_time:7.3f} s  "
        f"({county_rows.height:,} rows, read included)"
    )
    print(
        f"status rows, all {len(counties)} counties in one call: {national_time:7.3f} s  "
        f"({national_rows.height:,} rows, read included; {national_time / floor:.1f}× the floor, "
        f"goal ≤ 5×)"
    )
    print(
        f"status rows, one call per county:      {separate_time:7.3f} s  "
        f"({separate_rows.height:,} rows, read included; {separate_time / floor:.1f}× the floor)"
    )


if __name__ == "__main__":
    main()
