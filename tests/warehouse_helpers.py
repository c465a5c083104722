"""Test helpers for the warehouse: inline value tables, generated batches, and child processes.

Run as a script, this module is the other process of the concurrency and fault tests:
  reader DB STOP          open the live file afresh in a loop, print what each answer saw
  holder DB READY STOP    open the live file once, keep that connection, print what it sees
  writer DB POINT MARKER  refresh with the second batch, pause at POINT (write MARKER, sleep)
  busy DB                 try to start a refresh; print the WarehouseBusy message
"""

from __future__ import annotations

import io
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from textwrap import dedent

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # run as a script from the tests
    sys.path.insert(0, str(PROJECT_ROOT))

from models.schema import OBSERVATION_SCHEMA, conform  # noqa: E402
from pipelines import warehouse  # noqa: E402
from pipelines.warehouse import connection  # noqa: E402

T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
SCRIPT = Path(__file__).resolve()
# What a reader reports: number of current values and their sum (values are multiples of 0.25,
# so the sum is exact whatever order DuckDB adds them in).
STATE_SQL = "SELECT count(*) AS values, sum(value) AS total FROM current_observations"


def observations(text: str) -> pl.DataFrame:
    """A small inline CSV table of values as a source frame; ids stay strings."""
    frame = pl.read_csv(
        io.StringIO(dedent(text).strip()),
        schema_overrides={"area_id": pl.String, "series_id": pl.String, "status": pl.String},
    )
    return conform(frame, OBSERVATION_SCHEMA)


def generated_batch(series_count: int, areas: int = 300, revision: int = 0) -> pl.DataFrame:
    """series × areas × 10 years × T/K/M values. `revision` 1 changes a tenth of them and marks
    another twentieth as deleted; every value is a multiple of 0.25."""
    grid = (
        pl.DataFrame({"series_id": [f"kolada:N{number:05d}" for number in range(series_count)]})
        .join(pl.DataFrame({"area_id": [f"{number:04d}" for number in range(areas)]}), how="cross")
        .join(pl.DataFrame({"period": list(range(2014, 2024))}), how="cross")
        .join(pl.DataFrame({"gender": ["T", "K", "M"]}), how="cross")
        .with_row_index("row")
    )
    values = grid.with_columns(
        value=(pl.col("row") % 400).cast(pl.Float64) * 0.25,
        status=pl.lit(""),
        is_deleted=pl.lit(False),
    )
    if revision:
        values = values.with_columns(
            value=pl.when(pl.col("row") % 10 == 0)
            .then(pl.col("value") + 0.25 * revision)
            .otherwise("value"),
            is_deleted=pl.col("row") % 20 == 5,
        )
    return conform(values.drop("row"), OBSERVATION_SCHEMA)


def load(db_path: Path, batch: pl.DataFrame, run: int, full: bool = True) -> warehouse.LoadCounts:
    """One refresh that loads `batch` as run number `run`, dated a day after the previous."""
    with warehouse.open_for_refresh(db_path) as writer:
        return writer.load_observations(
            batch,
            f"run-{run}",
            now=T0 + timedelta(days=run),
            full=full,
            scope_series=batch["series_id"].unique().to_list(),
        )


def read_state(db_path: Path) -> tuple[int, float]:
    row = warehouse.read_query(db_path, STATE_SQL).row(0)
    return int(row[0]), float(row[1] or 0.0)


# --- child processes --------------------------------------------------------------------------

KILL_BATCH = {"series_count": 3, "areas": 100}


def _report(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def _run_reader(db_path: Path, stop: Path) -> None:
    while not stop.exists():
        try:
            values, total = read_state(db_path)
        except Exception as error:  # the test fails on any error; report it, do not hide it
            _report(error=repr(error))
            sys.exit(1)
        _report(values=values, total=total)


def _run_holder(db_path: Path, ready: Path, stop: Path) -> None:
    con = connection._connect(db_path, read_only=True)
    first = con.execute(STATE_SQL).fetchall()[0]
    _report(values=first[0], total=first[1])
    ready.touch()
    while not stop.exists():
        row = con.execute(STATE_SQL).fetchall()[0]
        assert row is not None
        _report(values=row[0], total=row[1])
        time.sleep(0.05)
    row = con.execute(STATE_SQL).fetchall()[0]
    assert row is not None
    _report(values=row[0], total=row[1])
    con.close()


def _run_writer(db_path: Path, wanted: str, marker: Path) -> None:
    def pause(point: str) -> None:
        if point == wanted:
            marker.touch()
            time.sleep(600)  # the test kills us here

    connection._reach = pause  # every module reaches its points through connection
    load(db_path, generated_batch(**KILL_BATCH, revision=1), run=2)
    _report(finished=True)


def _run_busy(db_path: Path) -> None:
    try:
        with warehouse.open_for_refresh(db_path):
            _report(busy=None)
    except warehouse.WarehouseBusy as error:
        _report(busy=str(error))


if __name__ == "__main__":
    role, path, *rest = sys.argv[1:]
    roles = {
        "reader": lambda: _run_reader(Path(path), Path(rest[0])),
        "holder": lambda: _run_holder(Path(path), Path(rest[0]), Path(rest[1])),
        "writer": lambda: _run_writer(Path(path), rest[0], Path(rest[1])),
        "busy": lambda: _run_busy(Path(path)),
    }
    roles[role]()
