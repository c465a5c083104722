"""Benchmark: loading a national-scale batch into the warehouse history, against DuckDB's floor.

Generates every municipality, region and Riket × the catalog series (padded to about 1.5 million
values) × 30 years × T/K/M, shaped like Kolada's values (shares with noise, some missing values),
and prints values per second for:
- the floor: DuckDB inserting the same frame into an empty table with no history logic, then
  CHECKPOINT (what any load has to pay);
- the first load into an empty warehouse (history logic + copy, checkpoint and atomic publish);
- a full reload with 1 % of the values changed;
- a full reload with nothing changed (the cost of a quiet night).

Run: .venv/bin/python bench/bench_warehouse.py [--series N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from models.areas import load_areas
from models.catalog import catalog_paths, load_catalog
from models.schema import GENDERS, OBSERVATION_SCHEMA, conform
from models.warehouse_schema import OBSERVATIONS_SCHEMA, duckdb_type
from pipelines.warehouse import open_for_refresh

YEARS = range(1995, 2025)
SERIES_COUNT = 54  # the catalogs' KPIs padded to Kolada-like breadth: about 1.5 million values
MISSING_SHARE = 0.05
CHANGED_SHARE = 0.01


def catalog_series() -> list[str]:
    """The series the catalogs read, padded with made-up Kolada ids up to SERIES_COUNT."""
    found = sorted(
        {
            series
            for path in catalog_paths()
            for indicator in load_catalog(path).indicators
            for series in indicator.series_ids
            if series.startswith("kolada:")
        }
    )
    padding = [f"kolada:N9{number:04d}" for number in range(SERIES_COUNT - len(found))]
    return (found + padding)[:SERIES_COUNT]


def build_batch(series: list[str], seed: int = 1) -> pl.DataFrame:
    """One value per series × area × year × gender, like a Kolada full fetch."""
    areas = sorted(a.area_id for a in load_areas().values() if a.kind != "grupp")
    grid = (
        pl.DataFrame({"series_id": series})
        .join(pl.DataFrame({"area_id": areas}), how="cross")
        .join(pl.DataFrame({"period": list(YEARS)}, schema={"period": pl.Int32}), how="cross")
        .join(pl.DataFrame({"gender": list(GENDERS)}), how="cross")
    )
    missing = uniform(grid.height, seed) < MISSING_SHARE
    return conform(
        grid.with_columns(
            value=pl.when(missing)
            .then(None)
            .otherwise((20 + 70 * uniform(grid.height, seed + 1)).round(1)),
            status=pl.when(missing).then(pl.lit("Missing")).otherwise(pl.lit("")),
            count=pl.lit(1, pl.Int64),
            is_deleted=pl.lit(False),
            period_start=pl.col("period"),
            period_end=pl.col("period"),
        ),
        OBSERVATION_SCHEMA,
    )


def uniform(size: int, seed: int) -> pl.Expr:
    """Reproducible pseudo-random numbers in [0, 1), one per row."""
    return (pl.int_range(size, dtype=pl.UInt64).hash(seed) % 1_000_003) / 1_000_003


def with_changes(batch: pl.DataFrame, share: float, seed: int = 2) -> pl.DataFrame:
    """The batch with `share` of its values revised by a small amount."""
    changed = uniform(batch.height, seed) < share
    return batch.with_columns(
        value=pl.when(changed).then(pl.col("value").fill_null(50.0) + 0.3).otherwise("value")
    )


def measure(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def insert_floor(batch: pl.DataFrame, path: Path) -> None:
    """DuckDB's own cost: the frame into an empty table, no history logic, then CHECKPOINT."""
    columns = {name: dtype for name, dtype in OBSERVATIONS_SCHEMA.items() if name in batch.columns}
    con = duckdb.connect(str(path))
    definition = ", ".join(f"{name} {duckdb_type(dtype)}" for name, dtype in columns.items())
    con.execute(f"CREATE TABLE observations ({definition})")
    con.register("batch", batch.to_arrow())
    names = ", ".join(columns)
    con.execute(f"INSERT INTO observations SELECT {names} FROM batch")
    con.execute("CHECKPOINT")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=SERIES_COUNT, help="series to generate")
    arguments = parser.parse_args()
    series = catalog_series()[: arguments.series]
    batch = build_batch(series)
    revised = with_changes(batch, CHANGED_SHARE)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    print(f"batch: {batch.height:,} values ({len(series)} series); {revised.height:,} in reload")

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "aktuellt.duckdb"
        floor = measure(lambda: insert_floor(batch, Path(folder) / "floor.duckdb"))

        def load(frame: pl.DataFrame, run: int) -> None:
            with open_for_refresh(db_path) as writer:
                counts = writer.load_observations(
                    frame,
                    f"run-{run}",
                    now=start + timedelta(days=run),
                    full=True,
                    scope_series=series,
                )
            print(f"  run {run}: {counts}")

        first = measure(lambda: load(batch, 1))
        changed = measure(lambda: load(revised, 2))
        quiet = measure(lambda: load(revised, 3))
        size_mb = db_path.stat().st_size / 1e6

    rows = [
        ("floor: plain INSERT + CHECKPOINT", floor),
        ("first load (history + publish)", first),
        (f"reload, {CHANGED_SHARE:.0%} changed", changed),
        ("reload, nothing changed", quiet),
    ]
    print(f"\n{'step':<36}{'seconds':>9}{'values/s':>14}{'× floor':>9}")
    for label, seconds in rows:
        rate = batch.height / seconds
        print(f"{label:<36}{seconds:>9.2f}{rate:>14,.0f}{seconds / floor:>9.1f}")
    print(f"warehouse file after three loads: {size_mb:.0f} MB")


if __name__ == "__main__":
    main()
