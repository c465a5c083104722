"""The read-only SQL sandbox of `aktuellt sql`: one guarded user query.

Working groups type their own SQL. Two independent guards keep it from changing or reaching
anything: the statement is classified before it runs (exactly one statement, a query, no
file- or network-reading function), and it runs on a connection opened read-only with
external access disabled, extensions neither installed nor loaded, Python objects invisible,
and the configuration locked so the query cannot undo any of that.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.warehouse.connection import WarehouseError, _first_line

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
    "autoinstall_known_extensions": False,  # as NO_EXTENSIONS, which is defined further down
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
}


class QueryRefused(WarehouseError):
    """The SQL would do more than read the warehouse; the message says what and why."""


class QueryFailed(WarehouseError):
    """DuckDB could not run the query; the message is DuckDB's own, with its position."""


class QueryInvalid(QueryFailed):
    """The query as written is wrong: its syntax, a name, a type or a value in it."""


class QueryTimedOut(QueryFailed):
    """The query ran past its time limit and was interrupted."""


# DuckDB's errors that the query's own text causes, as opposed to the machine (memory, I/O).
_ERRORS_OF_THE_QUERY = (
    duckdb.ParserException,
    duckdb.SyntaxException,
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.ConversionException,
    duckdb.OutOfRangeException,
    duckdb.InvalidInputException,
    duckdb.InvalidTypeException,
    duckdb.TypeMismatchException,
    duckdb.NotImplementedException,
)


def read_only_query(db_path: Path, sql: str, timeout: float | None = None) -> pl.DataFrame:
    """Run one user-written query on a sandboxed read-only connection and return its result.

    Raises QueryRefused for anything but one reading query, QueryInvalid for an error in the
    query as written (syntax, names, types, values), QueryTimedOut past `timeout` seconds and
    QueryFailed for any other DuckDB error; the warehouse file is never opened for
    writing. Ctrl-C (KeyboardInterrupt) interrupts the query at once and propagates.
    """
    statement = _one_query(sql)
    con = _connect_sandboxed(db_path)
    try:
        _refuse_outside_functions(con, statement)
        return _interruptible(con, statement, timeout)
    except duckdb.InterruptException as error:
        raise QueryTimedOut(
            f"stopped after {timeout:g} s (--timeout); narrow the query or raise the limit"
        ) from error
    except duckdb.PermissionException as error:
        raise QueryRefused(
            f"refused: the query reaches outside the warehouse ({_first_line(error)})"
        ) from error
    except _ERRORS_OF_THE_QUERY as error:
        raise QueryInvalid(_duckdb_message(error)) from error
    except duckdb.Error as error:
        raise QueryFailed(_duckdb_message(error)) from error
    finally:
        con.close()


def _interruptible(
    con: duckdb.DuckDBPyConnection, statement: str, timeout: float | None
) -> pl.DataFrame:
    """Run the query in a worker thread so this thread can interrupt it.

    A signal handler runs only between Python bytecodes, so Ctrl-C waits for a query running
    inside DuckDB; here the main thread only waits, sees KeyboardInterrupt at once and calls
    DuckDB's interrupt, as it does when the time limit passes.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["frame"] = con.sql(statement).pl()
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="aktuellt-sql", daemon=True)
    worker.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while worker.is_alive():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                con.interrupt()
                worker.join()
                break
            worker.join(INTERRUPT_POLL if left is None else min(left, INTERRUPT_POLL))
    except KeyboardInterrupt:
        con.interrupt()
        worker.join(INTERRUPT_GRACE)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["frame"]


INTERRUPT_POLL = 0.1  # seconds between checks of the time limit while a query runs


INTERRUPT_GRACE = 5.0  # seconds DuckDB gets to stop after an interrupt on Ctrl-C


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
        raise QueryInvalid(_duckdb_message(error)) from error


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


def _duckdb_message(error: BaseException) -> str:
    """DuckDB's message with its LINE/caret block, without blank lines."""
    return "\n".join(line for line in str(error).strip().splitlines() if line.strip())


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
