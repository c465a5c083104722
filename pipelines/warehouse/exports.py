"""Exports: the warehouse's tables and views by name, filtered, and its own documentation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from models.names import BadInput, NothingMatches, resolve_choice
from models.warehouse_schema import (
    identifier,
)
from pipelines.warehouse.reads import read_query


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
    name = resolve_choice("table or view", name, sorted(relations(db_path)))
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
    rows = read_query(db_path, f"SELECT * FROM {identifier(name)}{where} ORDER BY ALL", params)
    if conditions and rows.is_empty():
        raise NothingMatches(f"no rows of {name} match the filters; nothing written")
    return rows


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


def _filter_column(name: str, columns: Sequence[str], wanted: Sequence[str], option: str) -> str:
    for column in wanted:
        if column in columns:
            return column
    raise BadInput(
        f"{option} cannot filter {name}: it has no {' or '.join(wanted)} column "
        f"(its columns: {', '.join(columns)})"
    )
