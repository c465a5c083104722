"""Named reads for reports and commands, each on a read-only connection to the live file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from models.catalog import series_read_by
from models.warehouse_schema import (
    OUTCOME_NO_CHANGE,
    OUTCOME_SUCCESS,
)
from pipelines.warehouse.connection import (
    _about,
    _connect_existing,
    _fetch,
    _first_row,
)


def read_query(db_path: Path, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    """Run one query on a read-only connection to the live file, closed afterwards."""
    with _about(db_path):
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
    with _about(db_path):
        return _read_report_frames(db_path, catalog_id, series_ids, area_ids)


def _read_report_frames(
    db_path: Path, catalog_id: str, series_ids: Sequence[str] | None, area_ids: Sequence[str]
) -> ReportFrames:
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
