"""Connecting and publishing: connections, the schema, the refresh lock and the atomic publish.

Working groups read the live file ad hoc while the nightly refresh writes, and DuckDB lets only
one process write a file and forbids readers meanwhile. So a refresh never opens the live file
for writing: it copies it to a temporary file in the same folder, writes there, checkpoints and
closes it, and renames it over the live file in one step. A reader that opened the live file
before keeps the old inode and its consistent view; a reader that opens after sees the new
state; a refresh that fails or is killed leaves the live file as it was. A lock file beside the
warehouse stops a second refresh. Every connection is opened here, with extensions off.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from models.warehouse_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    STATUS_WIDE_INDICATORS_SQL,
    VERSION_TABLE,
    initial_ddl,
    status_wide_sql,
    view_sql,
)


def read_schema_version(db_path: Path) -> int | None:
    """The schema version of a warehouse file; None when the file holds no warehouse yet."""
    with _about(db_path):
        con = _connect(Path(db_path), read_only=True)
        try:
            return _schema_version(con)
        finally:
            con.close()


if TYPE_CHECKING:
    from pipelines.warehouse.writer import WarehouseWriter

LOCK_SUFFIX = ".lock"


TEMP_SUFFIX = ".refresh-tmp"


# DuckDB keeps these beside a database file: its write-ahead log and its spill folder.
SIDE_SUFFIXES = (".wal", ".tmp")


class WarehouseError(RuntimeError):
    """The warehouse cannot be read or written; the message says which file and why."""


class NotInWarehouse(WarehouseError, ValueError):
    """A name the user gave (a table, a filter column) that the warehouse lacks: a usage error."""


class WarehouseBusy(RuntimeError):
    """Another refresh holds the warehouse's lock."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def temp_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + TEMP_SUFFIX)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


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
    from pipelines.warehouse.writer import WarehouseWriter  # the writer imports this module

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _about(db_path), _refresh_lock(db_path):
        _reach("locked")
        staging = temp_path(db_path)
        # We hold the lock, so any temporary file is left over from a killed run.
        _remove_database_files(staging)
        con: duckdb.DuckDBPyConnection | None = None
        try:
            _copy_live_file(db_path, staging)
            _reach("copied")
            con = _connect(staging, read_only=False)
            _ensure_schema(con, db_path)
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


def _ensure_schema(con: duckdb.DuckDBPyConnection, live_path: Path) -> None:
    """Create the schema in an empty file, or run the migrations an older file lacks.

    `con` is on the staging copy; messages name the live file the user knows."""
    version = _schema_version(con)
    if version is not None and version > SCHEMA_VERSION:
        raise WarehouseError(_newer_message(live_path, version))
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


# Every connection: DuckDB would otherwise download and load an extension when a file is not
# its own (a SQLite file at the warehouse path), over the network and without being asked.
NO_EXTENSIONS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=NO_EXTENSIONS)
    except duckdb.Error as error:
        raise WarehouseError(f"cannot open the warehouse {path}: {error}") from error
    # Timestamps come back in UTC whatever the machine's zone, so frames compare across hosts.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _connect_existing(db_path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to a warehouse this program can read: it exists and its schema is ours."""
    if not Path(db_path).exists():
        raise WarehouseError(f"no warehouse at {db_path}: run `aktuellt refresh` first")
    con = _connect(Path(db_path), read_only=read_only)
    try:
        _require_known_version(con, db_path)
    except BaseException:
        con.close()
        raise
    return con


def _require_known_version(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    version = _schema_version(con)
    if version is None:
        raise WarehouseError(f"{db_path} holds no warehouse yet: run `aktuellt refresh` first")
    if version > SCHEMA_VERSION:
        raise WarehouseError(_newer_message(db_path, version))
    if version < SCHEMA_VERSION:
        raise WarehouseError(
            f"{db_path} has schema version {version}, older than this program's "
            f"{SCHEMA_VERSION}: run `aktuellt refresh` once to upgrade it"
        )


def _newer_message(db_path: Path, version: int) -> str:
    return (
        f"{db_path} has schema version {version}, newer than this program's "
        f"{SCHEMA_VERSION}: upgrade aktuellt"
    )


@contextmanager
def _about(db_path: Path) -> Iterator[None]:
    """DuckDB's errors on this file (corrupt, full disk, not a database) as one WarehouseError
    naming it; DuckDB's message is kept to its first line."""
    try:
        yield
    except duckdb.Error as error:
        raise WarehouseError(f"{db_path}: {_first_line(error)}") from error
    except WarehouseError as error:
        if type(error) is not WarehouseError or str(db_path) in str(error):
            raise
        raise WarehouseError(f"{db_path}: {error}") from error


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None) -> pl.DataFrame:
    try:
        relation = con.sql(sql, params=params)
        # Through the Arrow C stream interface: .pl() would import pyarrow (tenths of a second
        # on a night that otherwise needs nothing of it); the frame and its types are the same.
        return pl.DataFrame(relation) if relation is not None else pl.DataFrame()
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
    """Expose a frame to SQL by name, through Arrow without copying (and without pyarrow)."""
    con.register(name, _ArrowStream(frame))
    try:
        yield
    finally:
        con.unregister(name)


class _ArrowStream:
    """A frame seen only through the Arrow C stream interface, which DuckDB scans directly.

    DuckDB would convert a polars frame through pyarrow, whose import costs more than a night
    with nothing new spends on its warehouse work; this reads the same Arrow data without it.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._frame.__arrow_c_stream__(requested_schema)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone: history times must be unambiguous")


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
