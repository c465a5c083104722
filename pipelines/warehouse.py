"""The DuckDB warehouse: the history of every value, published atomically for concurrent readers.

The only module that imports duckdb. Working groups read the live file ad hoc while the nightly
refresh writes, and DuckDB lets only one process write a file and forbids readers meanwhile. So a
refresh never opens the live file for writing: it copies it to a temporary file in the same
folder, writes there, checkpoints and closes it, and renames it over the live file in one step.
A reader that opened the live file before keeps the old inode and its consistent view; a reader
that opens after sees the new state; a refresh that fails or is killed leaves the live file as it
was. A lock file beside the warehouse stops a second refresh.

Tables, comments and migrations are declared in models/warehouse_schema.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from models.catalog import INDICATORS_SCHEMA, series_read_by
from models.schema import OBSERVATION_KEY, OBSERVATION_SCHEMA, SERIES_SCHEMA, conform
from models.warehouse_schema import (
    AREAS_SCHEMA,
    CHECK_RESULTS_SCHEMA,
    COMPARED_COLUMNS,
    MIGRATIONS,
    OBSERVATIONS_SCHEMA,
    OUTCOME_NO_CHANGE,
    OUTCOME_SUCCESS,
    PROGRESS_HISTORY_SCHEMA,
    PROGRESS_TABLE_SCHEMA,
    RUNS_SCHEMA,
    SCHEMA_VERSION,
    STATUS_WIDE_INDICATORS_SQL,
    VERSION_TABLE,
    identifier,
    initial_ddl,
    status_wide_sql,
    table_columns,
    view_sql,
)

LOCK_SUFFIX = ".lock"
TEMP_SUFFIX = ".refresh-tmp"
# DuckDB keeps these beside a database file: its write-ahead log and its spill folder.
SIDE_SUFFIXES = (".wal", ".tmp")


class WarehouseError(RuntimeError):
    """The warehouse cannot be read or written; the message says which file and why."""


class WarehouseBusy(RuntimeError):
    """Another refresh holds the warehouse's lock."""


@dataclass(frozen=True)
class LoadCounts:
    """What one load did. received = inserted + revised + unchanged + removed by the batch's
    own deleted marks; a full load may remove more (values absent from the batch)."""

    received: int
    inserted: int
    revised: int
    removed: int
    unchanged: int


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def temp_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + TEMP_SUFFIX)


# --- reading ----------------------------------------------------------------------------------


def read_query(db_path: Path, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    """Run one query on a read-only connection to the live file, closed afterwards."""
    con = _connect_existing(db_path, read_only=True)
    try:
        return _fetch(con, sql, params)
    finally:
        con.close()


@dataclass(frozen=True)
class ReportFrames:
    """What a report reads, from one consistent read-only view of the warehouse."""

    indicators: pl.DataFrame
    progress: pl.DataFrame
    observations: pl.DataFrame  # current values of the catalog's series in the areas asked for
    areas: pl.DataFrame
    series: pl.DataFrame
    data_fetched_at: datetime | None  # the end of the last run that fetched successfully


def read_report_frames(
    db_path: Path, catalog_id: str, series_ids: Sequence[str] | None, area_ids: Sequence[str]
) -> ReportFrames:
    """One catalog's rows, the values behind them and the data vintage, in one connection.

    With series_ids None, the series are those the catalog's indicators read.
    """
    con = _connect_existing(db_path, read_only=True)
    try:
        indicators = _fetch(con, "SELECT * FROM indicators WHERE catalog_id = ?", [catalog_id])
        if series_ids is None:
            series_ids = series_read_by(indicators)
        fetched = _first_row(
            con,
            "SELECT max(finished_at) FROM runs WHERE outcome IN (?, ?)",
            [OUTCOME_SUCCESS, OUTCOME_NO_CHANGE],
        )
        return ReportFrames(
            indicators=indicators,
            progress=_fetch(con, "SELECT * FROM progress WHERE catalog_id = ?", [catalog_id]),
            observations=_fetch(
                con,
                "SELECT * FROM current_observations "
                "WHERE list_contains(?, series_id) AND list_contains(?, area_id)",
                [list(series_ids), list(area_ids)],
            ),
            areas=_fetch(con, "SELECT * FROM areas", None),
            series=_fetch(con, "SELECT * FROM series", None),
            data_fetched_at=fetched[0] if fetched else None,
        )
    finally:
        con.close()


def read_status_rows(db_path: Path, catalog_id: str) -> pl.DataFrame:
    """Status rows of one catalog with area names and indicator titles, in report order."""
    return read_query(
        db_path,
        "SELECT p.area_id, a.name AS area_name, p.catalog_id, p.indicator_id, i.title, "
        "p.gender, p.baseline_year, p.baseline_value, p.latest_year, p.latest_value, p.change, "
        "p.target_value, p.status, p.status_label, p.status_symbol, p.explanation "
        "FROM progress p JOIN areas a USING (area_id) "
        "JOIN indicators i USING (catalog_id, indicator_id) "
        "WHERE p.catalog_id = ? ORDER BY a.kind, a.name, i.goal_area, p.indicator_id, p.gender",
        [catalog_id],
    )


def read_runs(db_path: Path, limit: int) -> pl.DataFrame:
    """The newest runs with their counts, outcome and number of failed critical checks."""
    return read_query(
        db_path,
        "SELECT r.run_id, r.started_at, r.kind, r.outcome, r.requests, r.values_received, "
        "r.inserted, r.revised, r.removed, "
        "(SELECT count(*) FROM check_results c WHERE c.run_id = r.run_id AND NOT c.success "
        "AND coalesce(c.severity, 'critical') = 'critical') AS checks_failed, r.error "
        "FROM runs r ORDER BY r.started_at DESC LIMIT ?",
        [limit],
    )


def read_schema_version(db_path: Path) -> int | None:
    """The schema version of a warehouse file; None when the file holds no warehouse yet."""
    con = _connect_existing(db_path, read_only=True)
    try:
        return _schema_version(con)
    finally:
        con.close()


# --- ad hoc reading: one guarded query, and tables or views for export ------------------------
#
# Working groups type their own SQL. Two independent guards keep it from changing or reaching
# anything: the statement is classified before it runs (exactly one statement, a query, no
# file- or network-reading function), and it runs on a connection opened read-only with
# external access disabled, extensions neither installed nor loaded, Python objects invisible,
# and the configuration locked so the query cannot undo any of that.

# Statement kinds that only read; EXPLAIN is allowed when what it explains is one of them.
# DuckDB classifies DESCRIBE, SHOW, SUMMARIZE, FROM-first and VALUES queries as SELECT.
_QUERY_TYPES = {duckdb.StatementType.SELECT}
_REFUSED_KINDS: dict[str, str] = {
    "INSERT": "writes data",
    "UPDATE": "writes data",
    "DELETE": "writes data",
    "MERGE_INTO": "writes data",
    "CREATE": "changes the schema",
    "CREATE_FUNC": "changes the schema",
    "DROP": "changes the schema",
    "ALTER": "changes the schema",
    "COPY": "reads or writes files (use `aktuellt export` to write a file)",
    "COPY_DATABASE": "copies the database",
    "EXPORT": "writes files (use `aktuellt export`)",
    "ATTACH": "opens another database",
    "DETACH": "changes the attached databases",
    "LOAD": "installs or loads an extension",
    "EXTENSION": "installs or loads an extension",
    "SET": "changes a setting",
    "VARIABLE_SET": "changes a setting",
    "PRAGMA": "runs a pragma (use the table function instead, e.g. "
    "SELECT * FROM pragma_table_info('areas'))",
    "CALL": "calls a procedure",
    "TRANSACTION": "manages transactions",
    "VACUUM": "rewrites the file",
    "ANALYZE": "rewrites statistics",
    "PREPARE": "prepares statements",
    "EXECUTE": "executes a prepared statement",
    "MULTI": "expands into several statements",
}
# Table and scalar functions that read files or the network. The locked connection refuses them
# anyway; naming them first gives a clearer message and a second, independent guard.
_OUTSIDE_FUNCTIONS = frozenset(
    {
        "glob", "sniff_csv", "read_text", "read_blob", "read_csv", "read_csv_auto",
        "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto",
        "read_ndjson", "read_ndjson_auto", "read_ndjson_objects", "read_parquet",
        "parquet_scan", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
        "parquet_kv_metadata", "parquet_bloom_probe", "read_xlsx", "sqlite_scan",
        "sqlite_attach", "postgres_scan", "postgres_attach", "mysql_scan", "delta_scan",
        "iceberg_scan", "iceberg_metadata", "iceberg_snapshots", "read_duckdb", "query",
        "query_table", "getenv", "st_read", "load_aws_credentials", "duckdb_secrets",
        "which_secret", "json_execute_serialized_sql",
    }
)  # fmt: skip
_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?(\s*\([^)]*\))?\s+", re.IGNORECASE)
_SANDBOX_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
}


class QueryRefused(WarehouseError):
    """The SQL would do more than read the warehouse; the message says what and why."""


class QueryFailed(WarehouseError):
    """DuckDB could not parse or run the query; the message is DuckDB's own, with its position."""


def read_only_query(db_path: Path, sql: str) -> pl.DataFrame:
    """Run one user-written query on a sandboxed read-only connection and return its result.

    Raises QueryRefused for anything but one reading query, QueryFailed for a syntax or other
    DuckDB error; the warehouse file is never opened for writing.
    """
    statement = _one_query(sql)
    con = _connect_sandboxed(db_path)
    try:
        _refuse_outside_functions(con, statement)
        return con.sql(statement).pl()
    except duckdb.PermissionException as error:
        raise QueryRefused(
            f"refused: the query reaches outside the warehouse ({_first_line(error)})"
        ) from error
    except duckdb.Error as error:
        raise QueryFailed(_duckdb_message(error)) from error
    finally:
        con.close()


def relations(db_path: Path) -> dict[str, str]:
    """The warehouse's tables and views by name: {'areas': 'table', 'latest_values': 'view'}."""
    found = read_query(
        db_path,
        "SELECT table_name AS name, 'table' AS kind FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "UNION ALL SELECT view_name, 'view' FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "AND NOT internal ORDER BY name",
    )
    return dict(zip(found["name"].to_list(), found["kind"].to_list(), strict=True))


# Columns that the export filters read, in order of preference for a table or view.
AREA_COLUMNS = ("area_id",)
CATALOG_COLUMNS = ("catalog_id",)
PERIOD_COLUMNS = ("period", "latest_year")


def export_frame(
    db_path: Path,
    name: str,
    *,
    area_ids: Sequence[str] = (),
    catalog_id: str | None = None,
    period_from: int | None = None,
    period_to: int | None = None,
) -> pl.DataFrame:
    """All rows of a table or view, optionally filtered on area, catalog and period.

    The name must be one of relations(); it is then quoted, never pasted in as SQL. A filter on
    a column the table lacks is an error, not silently ignored.
    """
    known = relations(db_path)
    if name not in known:
        raise WarehouseError(
            f"no table or view named {name!r}; choose one of {', '.join(sorted(known))}"
        )
    columns = read_query(
        db_path,
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [name],
    )["column_name"].to_list()
    conditions: list[str] = []
    params: list[Any] = []
    if area_ids:
        column = _filter_column(name, columns, AREA_COLUMNS, "--area")
        conditions.append(f"{identifier(column)} IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(area_ids))
    if catalog_id is not None:
        column = _filter_column(name, columns, CATALOG_COLUMNS, "--catalog")
        conditions.append(f"{identifier(column)} = ?")
        params.append(catalog_id)
    if period_from is not None or period_to is not None:
        column = _filter_column(name, columns, PERIOD_COLUMNS, "--period-from/--period-to")
        if period_from is not None:
            conditions.append(f"{identifier(column)} >= ?")
            params.append(period_from)
        if period_to is not None:
            conditions.append(f"{identifier(column)} <= ?")
            params.append(period_to)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # A stable order makes two exports of the same state byte-identical.
    return read_query(db_path, f"SELECT * FROM {identifier(name)}{where} ORDER BY ALL", params)


def describe_relations(db_path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The warehouse's own documentation: (tables and views, their columns, table macros).

    Tables and views: name, kind, comment. Columns: table_name, column_name, data_type,
    comment, in column order. Macros: name, parameters, comment.
    """
    objects = read_query(
        db_path,
        "SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "UNION ALL SELECT view_name, 'view', comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "AND NOT internal",
    )
    columns = read_query(
        db_path,
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal "
        "ORDER BY table_name, column_index",
    )
    macros = read_query(
        db_path,
        "SELECT function_name AS name, parameters, comment FROM duckdb_functions() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND function_type = 'table_macro' AND NOT internal ORDER BY name",
    )
    return objects, columns, macros


def _one_query(sql: str) -> str:
    """The text of the only statement in `sql`, when it is a reading query; else refuse."""
    statements = _parse(sql)
    if not statements:
        raise QueryRefused("refused: no SQL statement given")
    if len(statements) > 1:
        raise QueryRefused(f"refused: one statement at a time, got {len(statements)}")
    statement = statements[0]
    kind = statement.type.name
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN_PREFIX.sub("", statement.query, count=1)
        explained = _parse(inner) if inner != statement.query else []
        if len(explained) != 1 or explained[0].type not in _QUERY_TYPES:
            raise QueryRefused("refused: EXPLAIN only of a SELECT query")
        return statement.query
    if statement.type not in _QUERY_TYPES:
        reason = _REFUSED_KINDS.get(kind, "is not a query")
        raise QueryRefused(
            f"refused: {kind} {reason}; only queries run here "
            "(SELECT, WITH … SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"
        )
    return statement.query


def _parse(sql: str) -> list[Any]:
    try:
        return list(duckdb.extract_statements(sql))
    except duckdb.Error as error:
        raise QueryFailed(_duckdb_message(error)) from error


def _refuse_outside_functions(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Refuse a query that names a file- or network-reading function or a file as a table."""
    inner = _EXPLAIN_PREFIX.sub("", statement, count=1)
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [inner]).fetchall()[0][0])
    if tree.get("error"):
        # Only SELECTs serialize; the statement was classified as one, so this is unexpected.
        raise QueryRefused(f"refused: cannot inspect the query ({tree.get('error_message')})")
    for node in _nodes(tree):
        if node.get("class") == "FUNCTION" and node.get("function_name") in _OUTSIDE_FUNCTIONS:
            raise QueryRefused(
                f"refused: {node['function_name']}() reads files, other databases or SQL text; "
                "only the warehouse's own tables and views can be queried"
            )
        if node.get("type") == "BASE_TABLE" and any(
            mark in str(node.get("table_name", "")) for mark in ("/", "\\", ".", ":")
        ):
            raise QueryRefused(
                f"refused: {node['table_name']!r} looks like a file; only the warehouse's own "
                "tables and views can be queried"
            )


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)


def _filter_column(name: str, columns: Sequence[str], wanted: Sequence[str], option: str) -> str:
    for column in wanted:
        if column in columns:
            return column
    raise WarehouseError(
        f"{option} cannot filter {name}: it has no {' or '.join(wanted)} column "
        f"(its columns: {', '.join(columns)})"
    )


def _duckdb_message(error: BaseException) -> str:
    """DuckDB's message with its LINE/caret block, without blank lines."""
    return "\n".join(line for line in str(error).strip().splitlines() if line.strip())


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


# --- writing ----------------------------------------------------------------------------------


def ensure_warehouse(db_path: Path) -> None:
    """Create the warehouse, or upgrade an older one, through the same atomic publish."""
    if db_path.exists() and read_schema_version(db_path) == SCHEMA_VERSION:
        return
    with open_for_refresh(db_path):
        pass


@contextmanager
def open_for_refresh(db_path: Path) -> Iterator[WarehouseWriter]:
    """Lock, copy the live file to a temporary one, yield a writer on it, and publish on exit.

    On an exception nothing is published: the temporary file is deleted, the live file stays
    byte-identical, the lock is released and the exception propagates.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _refresh_lock(db_path):
        _reach("locked")
        staging = temp_path(db_path)
        # We hold the lock, so any temporary file is left over from a killed run.
        _remove_database_files(staging)
        con: duckdb.DuckDBPyConnection | None = None
        try:
            _copy_live_file(db_path, staging)
            _reach("copied")
            con = _connect(staging, read_only=False)
            _ensure_schema(con)
            writer = WarehouseWriter(con)
            yield writer
            writer.close()
            _rebuild_status_wide(con)
            _reach("loaded")
            con.execute("CHECKPOINT")
            con.close()
            con = None
            if _side_file(staging, ".wal").exists():
                raise WarehouseError(f"{staging}: write-ahead log left after CHECKPOINT")
            _fsync(staging)
            _reach("checkpointed")
            os.replace(staging, db_path)
            _fsync(db_path.parent)
            _reach("published")
        except BaseException:
            if con is not None:
                con.close()
            _remove_database_files(staging)
            raise


def record_failed_run(db_path: Path, run: dict[str, Any], check_results: pl.DataFrame) -> None:
    """Keep a failed run's record and check results, and nothing of its data.

    A small publish of its own; the caller must have left its own refresh first.
    """
    with open_for_refresh(db_path) as writer:
        writer.record_run(run)
        writer.record_check_results(check_results)


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

    def current_counts(self, series_ids: Sequence[str], area_ids: Sequence[str]) -> int:
        """How many current values these series hold for these areas (a scope's size)."""
        found = _first_row(
            self._con,
            "SELECT count(*) FROM current_observations "
            "WHERE list_contains(?, series_id) AND list_contains(?, area_id)",
            [list(series_ids), list(area_ids)],
        )
        return int(found[0]) if found else 0

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
            _reach("loading")
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


# --- SQL of a load ----------------------------------------------------------------------------


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


# --- schema -----------------------------------------------------------------------------------


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() AND NOT temporary"
        ).fetchall()
    }
    if VERSION_TABLE not in tables:
        if tables:
            raise WarehouseError(
                f"the file holds tables ({', '.join(sorted(tables))}) but no {VERSION_TABLE}: "
                "it is not an aktuellt warehouse"
            )
        return None
    row = _first_row(con, f"SELECT max(version) FROM {VERSION_TABLE}")
    return int(row[0]) if row and row[0] is not None else None


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema in an empty file, or run the migrations an older file lacks."""
    version = _schema_version(con)
    if version is not None and version > SCHEMA_VERSION:
        raise WarehouseError(
            f"the warehouse has schema version {version}, newer than this program's "
            f"{SCHEMA_VERSION}: upgrade aktuellt"
        )
    with _transaction(con):
        if version is None:
            _execute_all(con, initial_ddl())
            version = 1
        for step in range(version + 1, SCHEMA_VERSION + 1):
            _execute_all(con, MIGRATIONS[step])
        _execute_all(con, view_sql())


def _rebuild_status_wide(con: duckdb.DuckDBPyConnection) -> None:
    """Give status_wide one column per indicator the file now holds (see status_wide_sql)."""
    indicators = con.execute(STATUS_WIDE_INDICATORS_SQL).fetchall()
    with _transaction(con):
        _execute_all(con, status_wide_sql([(str(i), str(t), str(c)) for i, t, c in indicators]))


def _execute_all(con: duckdb.DuckDBPyConnection, statements: Sequence[str]) -> None:
    for statement in statements:
        con.execute(statement)


# --- connections ------------------------------------------------------------------------------


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise WarehouseError(f"cannot open the warehouse {path}: {error}") from error
    # Timestamps come back in UTC whatever the machine's zone, so frames compare across hosts.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _connect_existing(db_path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if not Path(db_path).exists():
        raise WarehouseError(f"no warehouse at {db_path}: run `aktuellt refresh` first")
    return _connect(Path(db_path), read_only=read_only)


def _connect_sandboxed(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection for user SQL: no files, no network, no extensions, locked."""
    if not Path(db_path).exists():
        raise WarehouseError(f"no warehouse at {db_path}: run `aktuellt refresh` first")
    try:
        con = duckdb.connect(str(db_path), read_only=True, config=_SANDBOX_CONFIG)
    except duckdb.Error as error:
        raise WarehouseError(f"cannot open the warehouse {db_path}: {error}") from error
    con.execute("SET TimeZone = 'UTC'")
    # Last: from here on no statement can change a setting, external access included.
    con.execute("SET lock_configuration = true")
    return con


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None) -> pl.DataFrame:
    try:
        relation = con.sql(sql, params=params)
        return relation.pl() if relation is not None else pl.DataFrame()
    except duckdb.Error as error:
        raise WarehouseError(f"query failed: {error}") from error


def _first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    # fetchall, not fetchone: DuckDB refuses other work on a connection with an unfinished result.
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """Expose a frame to SQL by name, through Arrow without copying."""
    con.register(name, frame.to_arrow())
    try:
        yield
    finally:
        con.unregister(name)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone: history times must be unambiguous")


# --- files, lock, publish ---------------------------------------------------------------------


@contextmanager
def _refresh_lock(db_path: Path) -> Iterator[None]:
    """Hold `<db>.lock` for one refresh; raise WarehouseBusy while another process holds it.

    The lock is a kernel flock, so the lock of a killed process is released with it and its
    left-over file is simply taken over; the pid inside only names the holder in messages.
    """
    path = lock_path(db_path)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise WarehouseBusy(
                f"another refresh (pid {holder}) is writing {db_path}; wait until it has "
                f"finished (lock file {path})"
            ) from None
        # A holder that just finished unlinks the file; a lock on that old inode guards nothing.
        try:
            same_file = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        # Unlink before unlocking, so a waiting process re-checks and locks a fresh file.
        path.unlink(missing_ok=True)
        os.close(fd)


def _copy_live_file(db_path: Path, staging: Path) -> None:
    if _side_file(db_path, ".wal").exists():
        raise WarehouseError(
            f"{db_path} has an unfinished write-ahead log ({db_path.name}.wal): someone opened "
            "it for writing. Open it once with DuckDB and run CHECKPOINT, then refresh again."
        )
    if db_path.exists():
        shutil.copyfile(db_path, staging)


def _side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _remove_database_files(path: Path) -> None:
    path.unlink(missing_ok=True)
    for suffix in SIDE_SUFFIXES:
        side = _side_file(path, suffix)
        if side.is_dir():
            shutil.rmtree(side)
        else:
            side.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reach(point: str) -> None:
    """A named step of a refresh (locked, copied, loading, loaded, checkpointed, published).

    Does nothing; fault-injection tests replace it in a child process to pause there and kill.
    """
