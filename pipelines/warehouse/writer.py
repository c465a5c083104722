"""The history writer: one refresh's writes into the staging copy (see connection.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import polars as pl

from models.catalog import INDICATORS_SCHEMA
from models.schema import OBSERVATION_KEY, OBSERVATION_SCHEMA, SERIES_SCHEMA, conform
from models.warehouse_schema import (
    AREAS_SCHEMA,
    CHECK_RESULTS_SCHEMA,
    COMPARED_COLUMNS,
    OBSERVATIONS_SCHEMA,
    OUTCOME_NO_CHANGE,
    OUTCOME_SUCCESS,
    PROGRESS_HISTORY_SCHEMA,
    PROGRESS_TABLE_SCHEMA,
    RUNS_SCHEMA,
    table_columns,
)
from pipelines.warehouse import connection
from pipelines.warehouse.connection import (
    WarehouseError,
    _fetch,
    _first_row,
    _registered,
    _require_aware,
    _transaction,
)


@dataclass(frozen=True)
class LoadCounts:
    """What one load did. received = inserted + revised + unchanged + removed by the batch's
    own deleted marks; a full load may remove more (values absent from the batch)."""

    received: int
    inserted: int
    revised: int
    removed: int
    unchanged: int


class WarehouseWriter:
    """Writes into the temporary copy during one refresh; valid only inside open_for_refresh."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._connection: duckdb.DuckDBPyConnection | None = con

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            raise WarehouseError("the refresh has ended: this writer is closed")
        return self._connection

    def close(self) -> None:
        self._connection = None

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        """A query against the state being written (not yet published)."""
        return _fetch(self._con, sql, params)

    def indicators(self) -> pl.DataFrame:
        return self.query("SELECT * FROM indicators")

    def series(self) -> pl.DataFrame:
        return self.query("SELECT * FROM series")

    def series_with_values(self, series_ids: Sequence[str]) -> list[str]:
        """Which of these series have current values."""
        found = self.query(
            "SELECT DISTINCT series_id FROM current_observations "
            "WHERE list_contains(?, series_id) ORDER BY series_id",
            [list(series_ids)],
        )
        return found["series_id"].to_list()

    def last_fetch_started(self, kinds: Sequence[str]) -> datetime | None:
        """When the last run of these kinds that fetched everything it asked for started."""
        found = _first_row(
            self._con,
            "SELECT max(started_at) FROM runs WHERE outcome IN (?, ?) AND list_contains(?, kind)",
            [OUTCOME_SUCCESS, OUTCOME_NO_CHANGE, list(kinds)],
        )
        return found[0] if found else None

    def current_counts(self, series_ids: Sequence[str]) -> dict[str, int]:
        """How many current values these series hold, per area (areas without any left out):
        one query, from which every county's scope size is summed."""
        counts = self.query(
            "SELECT area_id, count(*) AS n FROM current_observations "
            "WHERE list_contains(?, series_id) GROUP BY area_id",
            [list(series_ids)],
        )
        return dict(zip(counts["area_id"].to_list(), counts["n"].to_list(), strict=True))

    def last_check_results(self, suite: str) -> pl.DataFrame:
        """The check results of the latest run that validated this suite (empty if none)."""
        return self.query(
            f"SELECT {', '.join(CHECK_RESULTS_SCHEMA)} FROM check_results WHERE run_id = ("
            "  SELECT c.run_id FROM check_results AS c JOIN runs AS r USING (run_id)"
            "  WHERE c.suite = ? ORDER BY r.started_at DESC, c.run_id DESC LIMIT 1"
            ") AND suite = ?",
            [suite, suite],
        )

    # observations ------------------------------------------------------------------------

    def load_observations(
        self,
        batch: pl.DataFrame,
        run_id: str,
        *,
        now: datetime,
        full: bool,
        scope_series: Sequence[str],
        scope_areas: Sequence[str] | None = None,
    ) -> LoadCounts:
        """Add a batch to the history: a new row only for a new or changed value.

        A changed value closes its current row (valid_to = now) and gets a new one; a value the
        batch marks as deleted is closed; identical values are untouched. With `full`, current
        values in scope (series in `scope_series`, and area in `scope_areas` when given) that
        the batch no longer contains are closed too. Set-based: one join, one update, one insert.
        """
        _require_aware(now)
        incoming = conform(batch, OBSERVATION_SCHEMA).with_columns(
            pl.col("is_deleted").fill_null(False)
        )
        con = self._con
        with _transaction(con), _registered(con, "incoming_batch", incoming):
            self._check_batch(now)
            con.execute(_plan_sql())
            if full:
                con.execute(
                    _absent_sql(scope_areas is not None),
                    [list(scope_series), *([list(scope_areas)] if scope_areas is not None else [])],
                )
            else:
                con.execute("CREATE OR REPLACE TEMP TABLE load_absent (row_id BIGINT)")
            counts = self._plan_counts(received=incoming.height)
            con.execute(
                "UPDATE observations SET valid_to = ? WHERE rowid IN ("
                "SELECT current_rowid FROM load_plan WHERE action IN ('revise', 'remove') "
                "UNION ALL SELECT row_id FROM load_absent)",
                [now],
            )
            connection._reach("loading")
            history = ", ".join(OBSERVATIONS_SCHEMA)
            payload = ", ".join(name for name in OBSERVATIONS_SCHEMA if name in incoming.columns)
            con.execute(
                f"INSERT INTO observations ({history}) "
                f"SELECT {payload}, ? AS valid_from, NULL AS valid_to, ? AS run_id "
                "FROM load_plan WHERE action IN ('insert', 'revise')",
                [now, run_id],
            )
            con.execute("DROP TABLE load_plan")
            con.execute("DROP TABLE load_absent")
        return counts

    def _check_batch(self, now: datetime) -> None:
        con = self._con
        key = ", ".join(OBSERVATION_KEY)
        missing_key = " OR ".join(f"{name} IS NULL" for name in OBSERVATION_KEY)
        row = _first_row(con, f"SELECT count(*) FROM incoming_batch WHERE {missing_key}")
        if row and row[0]:
            raise WarehouseError(f"{row[0]} values in the batch lack part of the key ({key})")
        duplicate = _first_row(
            con,
            f"SELECT {key}, count(*) FROM incoming_batch GROUP BY {key} "
            "HAVING count(*) > 1 LIMIT 1",
        )
        if duplicate:
            raise WarehouseError(
                f"the batch holds the same value more than once, e.g. {duplicate[:-1]} "
                f"{duplicate[-1]} times"
            )
        latest = _first_row(
            con,
            "SELECT max(greatest(valid_from, coalesce(valid_to, valid_from))) FROM observations",
        )
        # History intervals must not overlap: a load dated before the last change is refused.
        if latest and latest[0] is not None and now < latest[0]:
            raise WarehouseError(
                f"load time {now.isoformat()} is before the latest change in the warehouse "
                f"({latest[0].isoformat()}); is the clock wrong?"
            )

    def _plan_counts(self, received: int) -> LoadCounts:
        row = _first_row(
            self._con,
            "SELECT count(*) FILTER (action = 'insert'), count(*) FILTER (action = 'revise'), "
            "count(*) FILTER (action = 'remove'), (SELECT count(*) FROM load_absent) "
            "FROM load_plan",
        )
        assert row is not None
        inserted, revised, removed, absent = (int(value) for value in row)
        return LoadCounts(
            received=received,
            inserted=inserted,
            revised=revised,
            removed=removed + absent,
            unchanged=received - inserted - revised - removed,
        )

    def current_observations(self, series_ids: Sequence[str] | None = None) -> pl.DataFrame:
        """The current values, as a source frame (OBSERVATION_SCHEMA, is_deleted false)."""
        columns = ", ".join(name for name in OBSERVATION_SCHEMA if name != "is_deleted")
        where = "WHERE series_id IN (SELECT unnest(?::VARCHAR[]))" if series_ids is not None else ""
        frame = self.query(
            f"SELECT {columns}, false AS is_deleted FROM current_observations {where} "
            f"ORDER BY {', '.join(OBSERVATION_KEY)}",
            [list(series_ids)] if series_ids is not None else None,
        )
        return conform(frame, OBSERVATION_SCHEMA)

    # metadata ----------------------------------------------------------------------------

    def replace_areas(self, frame: pl.DataFrame) -> None:
        self._replace_table("areas", conform(frame, AREAS_SCHEMA))

    def upsert_series(self, frame: pl.DataFrame, seen_at: datetime | None = None) -> None:
        """Insert new series and update known ones; a known series keeps its first_seen.

        `seen_at` (the run's time) becomes last_seen, and first_seen of a new series.
        """
        incoming = conform(frame, SERIES_SCHEMA)
        if seen_at is not None:
            _require_aware(seen_at)
            incoming = incoming.with_columns(
                first_seen=pl.coalesce("first_seen", pl.lit(seen_at)),
                last_seen=pl.lit(seen_at),
            ).pipe(conform, SERIES_SCHEMA)
        if incoming["series_id"].is_duplicated().any():
            raise WarehouseError("the series frame holds a series_id more than once")
        con = self._con
        columns = list(SERIES_SCHEMA)
        chosen = ", ".join(
            "coalesce(known.first_seen, new.first_seen, new.last_seen) AS first_seen"
            if name == "first_seen"
            else f"new.{name}"
            for name in columns
        )
        with _transaction(con), _registered(con, "incoming_series", incoming):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE series_merge AS "
                f"SELECT {chosen} FROM incoming_series AS new "
                "LEFT JOIN series AS known USING (series_id)"
            )
            con.execute(
                "DELETE FROM series WHERE series_id IN (SELECT series_id FROM incoming_series)"
            )
            names = ", ".join(columns)
            con.execute(f"INSERT INTO series ({names}) SELECT {names} FROM series_merge")
            con.execute("DROP TABLE series_merge")

    def replace_indicators(self, frame: pl.DataFrame) -> None:
        self._replace_table("indicators", conform(frame, INDICATORS_SCHEMA))

    # progress ----------------------------------------------------------------------------

    def replace_progress(self, frame: pl.DataFrame, run_id: str, computed_at: datetime) -> None:
        _require_aware(computed_at)
        stamped = frame.with_columns(
            run_id=pl.lit(run_id, pl.String),
            computed_at=pl.lit(computed_at, PROGRESS_TABLE_SCHEMA["computed_at"]),
        )
        self._replace_table("progress", conform(stamped, PROGRESS_TABLE_SCHEMA))

    def append_progress_history(
        self, frame: pl.DataFrame, run_id: str, computed_at: datetime | None = None
    ) -> None:
        """Append status rows with their `cause`; computed_at from the argument, else the
        frame's own column, else now."""
        if "cause" not in frame.columns:
            raise WarehouseError("progress history rows need a `cause` column")
        if computed_at is not None or "computed_at" not in frame.columns:
            stamp = computed_at or datetime.now(UTC)
            _require_aware(stamp)
            frame = frame.with_columns(
                computed_at=pl.lit(stamp, PROGRESS_HISTORY_SCHEMA["computed_at"])
            )
        stamped = frame.with_columns(run_id=pl.lit(run_id, pl.String))
        con = self._con
        with _transaction(con):
            self._insert_frame("progress_history", conform(stamped, PROGRESS_HISTORY_SCHEMA))

    def previous_progress(self) -> pl.DataFrame:
        """The status rows of the last published refresh (the `progress` table as it stands)."""
        columns = ", ".join(PROGRESS_TABLE_SCHEMA)
        return conform(self.query(f"SELECT {columns} FROM progress"), PROGRESS_TABLE_SCHEMA)

    # runs and checks ---------------------------------------------------------------------

    def record_run(self, run: dict[str, Any]) -> None:
        """Insert a run record, or replace the one with the same run_id (e.g. a started run).

        Keys are the columns of `runs`; method_settings may be a dict (stored as JSON text)
        and from_date an ISO date string.
        """
        unknown = sorted(set(run) - set(RUNS_SCHEMA))
        if unknown:
            raise WarehouseError(f"unknown run field(s) {', '.join(unknown)}")
        if not run.get("run_id"):
            raise WarehouseError("a run record needs a run_id")
        row = dict(run)
        if isinstance(row.get("method_settings"), dict):
            row["method_settings"] = json.dumps(row["method_settings"], sort_keys=True)
        if isinstance(row.get("from_date"), str):
            row["from_date"] = date.fromisoformat(row["from_date"])
        record = pl.DataFrame([{name: row.get(name) for name in RUNS_SCHEMA}], schema=RUNS_SCHEMA)
        con = self._con
        with _transaction(con):
            con.execute("DELETE FROM runs WHERE run_id = ?", [row["run_id"]])
            self._insert_frame("runs", record)

    def record_check_results(self, frame: pl.DataFrame) -> None:
        con = self._con
        with _transaction(con):
            self._insert_frame("check_results", conform(frame, CHECK_RESULTS_SCHEMA))

    def last_successful_run(self, kind: str | None = None) -> dict[str, Any] | None:
        """The latest run with outcome success (of `kind` when given); method_settings parsed."""
        kind_filter = "AND kind = ?" if kind is not None else ""
        runs = self.query(
            f"SELECT {', '.join(RUNS_SCHEMA)} FROM runs WHERE outcome = ? {kind_filter} "
            "ORDER BY finished_at DESC NULLS LAST, started_at DESC NULLS LAST LIMIT 1",
            [OUTCOME_SUCCESS, *([kind] if kind is not None else [])],
        )
        if runs.is_empty():
            return None
        run = runs.row(0, named=True)
        if run["method_settings"] is not None:
            run["method_settings"] = json.loads(run["method_settings"])
        return run

    # helpers -----------------------------------------------------------------------------

    def _replace_table(self, table: str, frame: pl.DataFrame) -> None:
        con = self._con
        with _transaction(con):
            con.execute(f"DELETE FROM {table}")
            self._insert_frame(table, frame)

    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        names = ", ".join(table_columns(table))
        with _registered(self._con, f"incoming_{table}", frame):
            self._con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM incoming_{table}")


def _plan_sql() -> str:
    """Classify every batch row against the current version of its value; keep the changes."""
    key = list(OBSERVATION_KEY)
    payload = [name for name in OBSERVATIONS_SCHEMA if name in OBSERVATION_SCHEMA]
    joined = " AND ".join(f"new.{name} = cur.{name}" for name in key)
    differs = " OR ".join(f"new.{name} IS DISTINCT FROM cur.{name}" for name in COMPARED_COLUMNS)
    return f"""
        CREATE OR REPLACE TEMP TABLE load_plan AS
        WITH cur AS (
            SELECT rowid AS current_rowid, {", ".join(key + list(COMPARED_COLUMNS))}
            FROM observations WHERE valid_to IS NULL
        ), classified AS (
            SELECT {", ".join(f"new.{name}" for name in payload)}, cur.current_rowid,
                CASE
                    WHEN new.is_deleted AND cur.current_rowid IS NULL THEN 'unchanged'
                    WHEN new.is_deleted THEN 'remove'
                    WHEN cur.current_rowid IS NULL THEN 'insert'
                    WHEN {differs} THEN 'revise'
                    ELSE 'unchanged'
                END AS action
            FROM incoming_batch AS new LEFT JOIN cur ON {joined}
        )
        SELECT * FROM classified WHERE action <> 'unchanged'
    """


def _absent_sql(with_areas: bool) -> str:
    """Current values in a full load's scope that the batch no longer holds."""
    key = " AND ".join(f"new.{name} = cur.{name}" for name in OBSERVATION_KEY)
    areas = "AND cur.area_id IN (SELECT unnest(?::VARCHAR[]))" if with_areas else ""
    return f"""
        CREATE OR REPLACE TEMP TABLE load_absent AS
        SELECT cur.rowid AS row_id FROM observations AS cur
        WHERE cur.valid_to IS NULL
          AND cur.series_id IN (SELECT unnest(?::VARCHAR[])) {areas}
          AND NOT EXISTS (SELECT 1 FROM incoming_batch AS new WHERE {key})
    """
