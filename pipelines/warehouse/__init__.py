"""The DuckDB warehouse: the history of every value, published atomically for concurrent readers.

The only package that imports duckdb, one module per job:

- connection.py: connecting (extensions off), the schema and its migrations, the refresh lock and
  the atomic publish (`open_for_refresh`, `ensure_warehouse`, `record_failed_run`)
- writer.py: the history writer a refresh writes through (`WarehouseWriter`)
- reads.py: named reads for reports and commands (`read_query`, `read_report_frames`, …)
- sandbox.py: the read-only SQL sandbox of `aktuellt sql` (`read_only_query`)
- exports.py: tables and views by name for `aktuellt export`, and the warehouse's own docs

The public names are imported from here (`from pipelines.warehouse import open_for_refresh`).
Tables, comments and migrations are declared in models/warehouse_schema.py.
"""

from pipelines.warehouse.connection import (
    LOCK_SUFFIX,
    NO_EXTENSIONS,
    SIDE_SUFFIXES,
    TEMP_SUFFIX,
    NotInWarehouse,
    WarehouseBusy,
    WarehouseError,
    ensure_warehouse,
    lock_path,
    open_for_refresh,
    read_schema_version,
    record_failed_run,
    temp_path,
)
from pipelines.warehouse.exports import (
    AREA_COLUMNS,
    CATALOG_COLUMNS,
    PERIOD_COLUMNS,
    describe_relations,
    export_frame,
    relations,
)
from pipelines.warehouse.reads import (
    ReportFrames,
    read_query,
    read_report_frames,
    read_runs,
    read_status_rows,
)
from pipelines.warehouse.sandbox import (
    INTERRUPT_GRACE,
    INTERRUPT_POLL,
    QueryFailed,
    QueryInvalid,
    QueryRefused,
    QueryTimedOut,
    read_only_query,
)
from pipelines.warehouse.writer import LoadCounts, WarehouseWriter

__all__ = [
    "AREA_COLUMNS",
    "CATALOG_COLUMNS",
    "INTERRUPT_GRACE",
    "INTERRUPT_POLL",
    "LOCK_SUFFIX",
    "NO_EXTENSIONS",
    "PERIOD_COLUMNS",
    "SIDE_SUFFIXES",
    "TEMP_SUFFIX",
    "LoadCounts",
    "NotInWarehouse",
    "QueryFailed",
    "QueryInvalid",
    "QueryRefused",
    "QueryTimedOut",
    "ReportFrames",
    "WarehouseBusy",
    "WarehouseError",
    "WarehouseWriter",
    "describe_relations",
    "ensure_warehouse",
    "export_frame",
    "lock_path",
    "open_for_refresh",
    "read_only_query",
    "read_query",
    "read_report_frames",
    "read_runs",
    "read_schema_version",
    "read_status_rows",
    "record_failed_run",
    "relations",
    "temp_path",
]
