"""The warehouse's tables, views and comments, its schema version, and the migrations between them.

Column lists come from the polars schemas of the frames that cross into the warehouse
(models/schema.py, models/catalog.py, models/areas.py); only the warehouse's own columns
(history, run bookkeeping) are declared here. Nothing here talks to DuckDB: the statements are
plain SQL text that pipelines/warehouse.py runs, so a test can also build an old file from them.

A new file is built by the version-1 DDL followed by every migration, the same path an old file
takes, so a new and an upgraded warehouse cannot drift apart.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import polars as pl

from models.areas import Area
from models.catalog import INDICATORS_SCHEMA
from models.schema import (
    OBSERVATION_KEY,
    OBSERVATION_SCHEMA,
    PROGRESS_KEY,
    PROGRESS_SCHEMA,
    SERIES_SCHEMA,
)

SCHEMA_VERSION = 2
VERSION_TABLE = "schema_version"

OUTCOME_SUCCESS = "success"
OUTCOME_FAILED = "failed"

UTC_TIMESTAMP = pl.Datetime("us", "UTC")

# An area as the warehouse stores it: the fields of models.areas.Area, all strings.
AREAS_SCHEMA: dict[str, Any] = {field.name: pl.String for field in fields(Area)}

# The columns of a value that decide whether it changed; anything else is not a revision.
COMPARED_COLUMNS = ("value", "status", "ci_low", "ci_high", "n")

# Columns the warehouse adds to an observation to keep its history.
HISTORY_SCHEMA: dict[str, Any] = {
    "valid_from": UTC_TIMESTAMP,
    "valid_to": UTC_TIMESTAMP,
    "run_id": pl.String,
}
OBSERVATIONS_SCHEMA: dict[str, Any] = {
    **{name: dtype for name, dtype in OBSERVATION_SCHEMA.items() if name != "is_deleted"},
    **HISTORY_SCHEMA,
}

PROGRESS_TABLE_SCHEMA: dict[str, Any] = {
    **PROGRESS_SCHEMA,
    "run_id": pl.String,
    "computed_at": UTC_TIMESTAMP,
}
PROGRESS_HISTORY_SCHEMA: dict[str, Any] = {**PROGRESS_TABLE_SCHEMA, "cause": pl.String}

RUNS_SCHEMA: dict[str, Any] = {
    "run_id": pl.String,
    "kind": pl.String,
    "started_at": UTC_TIMESTAMP,
    "finished_at": UTC_TIMESTAMP,
    "outcome": pl.String,
    "from_date": pl.Date,
    "requests": pl.Int64,
    "values_received": pl.Int64,
    "inserted": pl.Int64,
    "revised": pl.Int64,
    "removed": pl.Int64,
    "unchanged": pl.Int64,
    "error": pl.String,
    "method_settings": pl.String,
}
CHECK_RESULTS_SCHEMA: dict[str, Any] = {
    "run_id": pl.String,
    "suite": pl.String,
    "expectation": pl.String,
    "severity": pl.String,
    "success": pl.Boolean,
    "unexpected_count": pl.Int64,
    "details": pl.String,
}
VERSION_SCHEMA: dict[str, Any] = {
    "version": pl.Int32,
    "applied_at": UTC_TIMESTAMP,
    "description": pl.String,
}

TABLES: dict[str, dict[str, Any]] = {
    VERSION_TABLE: VERSION_SCHEMA,
    "areas": AREAS_SCHEMA,
    "series": SERIES_SCHEMA,
    "observations": OBSERVATIONS_SCHEMA,
    "indicators": INDICATORS_SCHEMA,
    "progress": PROGRESS_TABLE_SCHEMA,
    "progress_history": PROGRESS_HISTORY_SCHEMA,
    "runs": RUNS_SCHEMA,
    "check_results": CHECK_RESULTS_SCHEMA,
}

# Columns that must never be null: keys and the history bookkeeping that queries rely on.
NOT_NULL: dict[str, tuple[str, ...]] = {
    VERSION_TABLE: ("version", "applied_at"),
    "areas": ("area_id",),
    "series": ("series_id",),
    "observations": (*OBSERVATION_KEY, "valid_from", "run_id"),
    "indicators": ("catalog_id", "indicator_id"),
    "progress": (*PROGRESS_KEY, "run_id"),
    "progress_history": (*PROGRESS_KEY, "run_id"),
    "runs": ("run_id",),
    "check_results": ("run_id",),
}

# Columns that version 1 did not have; migration 2 adds them. Version 1 is this schema without them.
ADDED_IN_VERSION_2: dict[str, tuple[str, ...]] = {
    "observations": ("survey",),
    "runs": ("method_settings",),
    "check_results": ("severity",),
}

TABLE_COMMENTS: dict[str, str] = {
    VERSION_TABLE: "One row per applied schema version of this warehouse file; the highest is "
    "the current one.",
    "areas": "Areas followed: municipalities (kommun), regions, Riket and Kolada's county mean "
    "groups (grupp).",
    "series": "One row per source series (a Kolada KPI, a survey indicator) with its metadata.",
    "observations": "History of every value ever received: a new row only when a value changes; "
    "a revised or removed value has its row closed (valid_to), never deleted.",
    "indicators": "The indicator catalogs (np2020, np2022, ...): goal, series, direction and "
    "target of each indicator.",
    "progress": "The latest status of each catalog indicator per area and gender (method.md), "
    "with every number behind it.",
    "progress_history": "Every status row ever computed, by run, with the cause of each change.",
    "runs": "One row per refresh or import run: when, what kind, outcome and counts.",
    "check_results": "Result of every data check (expectation) of every run.",
}

# Comments by column name: a name means the same in every table. Table-specific meanings go in
# COLUMN_COMMENT_OVERRIDES.
COLUMN_COMMENTS: dict[str, str] = {
    # observations
    "series_id": "Source series id, e.g. 'kolada:N15428', 'survey:livohalsa.god_halsa'.",
    "area_id": "Area id as a string with leading zeros: '1780', '0017' (region), '0000' "
    "(Riket), 'G33624' (group).",
    "period": "Year of the value; for a multi-year window its last year.",
    "gender": "T (totalt), K (kvinnor) or M (män).",
    "value": "The value in the series' unit; null = missing, never 0.",
    "ci_low": "Lower end of the 95 % interval where the source gives one, else null.",
    "ci_high": "Upper end of the 95 % interval where the source gives one, else null.",
    "n": "Number of respondents where the source gives it, else null.",
    "count": "Kolada: number of areas contributing to a group mean (1 for one area).",
    "status": "Source status: '' normally, Kolada 'Missing', or a survey suppression symbol.",
    "period_start": "First year of the period (a survey wave or a multi-year window).",
    "period_end": "Last year of the period.",
    "survey": "Which survey the value comes from ('livohalsa', 'hlv'), else null.",
    "valid_from": "When this version of the value was first received (UTC).",
    "valid_to": "When this version was revised or removed (UTC); null = current.",
    "run_id": "The run that wrote this row (see runs).",
    # areas
    "name": "Area name.",
    "kind": "Area kind: kommun, region, riket or grupp.",
    "county_id": "Region code (00NN) of the county the area belongs to; null for Riket.",
    # series
    "source": "Where the series comes from: kolada, survey or manual.",
    "title": "Title as published.",
    "unit": "Unit code: percent, per_100000, years, index, count, sek.",
    "is_divided_by_gender": "True when the source publishes values for women and men.",
    "municipality_type": "Kolada: K (municipalities), L (regions) or A (all).",
    "latest_period": "Latest period the source has published.",
    "next_publication": "Date of the next expected publication.",
    "is_discontinued": "True when the series has ended at the source.",
    "first_seen": "When the series was first seen (UTC).",
    "last_seen": "When the series was last seen in a source response (UTC).",
    # indicators
    "catalog_id": "Catalog (steering document) id, e.g. np2022.",
    "indicator_id": "Indicator id within its catalog.",
    "goal_area": "Goal area (inriktningsmål) the indicator follows.",
    "life_stage": "Life-stage group (Barnalivet, Ungdomslivet, Vuxenlivet, Äldrelivet), if any.",
    "derive_kind": "How a derived series is computed: complement or gap; null when read directly.",
    "derive_of": "Series a derived series is computed from.",
    "derive_women": "Series of women's values for a gap between two series.",
    "derive_men": "Series of men's values for a gap between two series.",
    "direction": "+1 when higher is better, -1 when lower is better.",
    "target_kind": "Target kind: pp, units, percent, level, direction or gap.",
    "target_amount": "Size of the targeted change (pp, units, percent targets).",
    "target_value": "Absolute target value.",
    "baseline_year": "Baseline year.",
    "target_year": "Target year.",
    "divided_by_gender": "True when the indicator is followed for women and men as well.",
    "window_years": "Years in a multi-year window (1 for a yearly value).",
    "areas": "Area kinds or ids the indicator is followed for.",
    "notes": "Free-text notes from the catalog.",
    # progress
    "baseline_year_planned": "The catalog's baseline year.",
    "baseline_value": "Value in the baseline year.",
    "baseline_se": "Standard error of the baseline value, null when unknown.",
    "latest_year": "Latest year with a value after the baseline.",
    "latest_value": "Value in the latest year.",
    "latest_se": "Standard error of the latest value, null when unknown.",
    "required_change": "R = d·(target − baseline), in the indicator's unit.",
    "change": "Latest minus baseline, in the indicator's unit (pp for shares).",
    "change_directed": "direction · change: positive = the right direction.",
    "share_achieved": "Directed change divided by the required change.",
    "expected_value": "Value on the straight target path at the latest year.",
    "ahead_of_path": "direction · (latest − expected): negative = behind the path.",
    "se_change": "Standard error of the change, null when unknown.",
    "is_significant": "True when |change| > z·se_change; null when the uncertainty is unknown.",
    "noise_floor": "Smallest change that counts when the uncertainty is unknown.",
    "status_label": "Swedish label of the status, e.g. 'Målet är nått'.",
    "status_symbol": "Symbol that carries the status without colour.",
    "decided_by": "Which rule of method.md decided the status.",
    "reason": "Why the row is not assessable, else null.",
    "explanation": "One-sentence Swedish explanation of the status.",
    "county_value": "The county's value in the latest year.",
    "riket_value": "Riket's value in the latest year.",
    "rank": "Rank among the county's municipalities, 1 = best (municipalities only).",
    "rank_year": "The period the rank compares: the latest one that most of the county's "
    "municipalities report.",
    "baseline_survey": "Which survey the baseline value comes from (livohalsa, hlv), else null.",
    "latest_survey": "Which survey the latest value comes from, else null.",
    "rank_of": "Number of ranked municipalities.",
    "rank_third": "bästa, mellersta or sämsta tredjedelen; never coloured like a status.",
    "gap_baseline": "|K − M| at the baseline (on T rows of gendered indicators).",
    "gap_latest": "|K − M| in the latest year.",
    "gap_widened": "True when the gap between women and men has widened.",
    "no_new_before_target": "True when no new value is expected before the target year.",
    "comparison_note": "Note on the comparison, e.g. a survey comparison across sources.",
    "computed_at": "When the status was computed (UTC).",
    "cause": "Why the status row differs from the previous run: new data point, revised "
    "baseline, revised latest value, changed target or catalog, changed method setting.",
    # runs
    "started_at": "When the run started (UTC).",
    "finished_at": "When the run finished (UTC).",
    "outcome": "success or failed.",
    "from_date": "Kolada from_date used for an incremental fetch; null for a full run.",
    "requests": "HTTP requests made.",
    "values_received": "Values received from the sources.",
    "inserted": "New values inserted.",
    "revised": "Values that changed: old version closed, new version inserted.",
    "removed": "Values removed at the source (or absent from a full reload): version closed.",
    "unchanged": "Values received identical to the current version.",
    "error": "One-line reason of a failure, else null.",
    "method_settings": "The method thresholds used (JSON), so a status can be reproduced.",
    # check_results
    "suite": "Check suite name.",
    "expectation": "The expectation checked.",
    "severity": "critical (a failure stops the run) or warning (reported only, e.g. an area "
    "outside the configured county).",
    "success": "True when the expectation held.",
    "unexpected_count": "Number of rows that broke the expectation.",
    "details": "Details of the result (JSON text).",
    # schema_version
    "version": "Schema version number.",
    "applied_at": "When this version was applied to the file (UTC).",
    "description": "What this version changed.",
}
COLUMN_COMMENT_OVERRIDES: dict[tuple[str, str], str] = {
    ("indicators", "title"): "Indicator title as in the catalog.",
    ("indicators", "series_id"): "Source series the indicator reads; null when derived.",
    ("progress", "status"): "Status code of method.md: not_assessable, too_uncertain, "
    "target_met, no_change, on_track, improving, worsening.",
    ("runs", "kind"): "Kind of run: refresh, full, import, ...",
    ("runs", "run_id"): "Run id.",
    ("check_results", "run_id"): "The run whose data was checked.",
    ("progress", "run_id"): "The run that computed the status.",
    ("progress", "next_publication"): "When the next value of the series is expected.",
}
COLUMN_COMMENT_OVERRIDES.update(
    {
        ("progress_history", column): text
        for (table, column), text in COLUMN_COMMENT_OVERRIDES.items()
        if table == "progress"
    }
)

CURRENT_VIEW_COMMENT = "The current version of every value (observations with valid_to null)."
ASOF_MACRO_COMMENT = (
    "observations_asof(ts): the values as they were known at timestamp ts, e.g. "
    "SELECT * FROM observations_asof(TIMESTAMPTZ '2024-03-01')."
)

_DUCKDB_TYPES: dict[Any, str] = {
    pl.String: "VARCHAR",
    pl.Int8: "TINYINT",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def duckdb_type(dtype: Any) -> str:
    """The DuckDB type that round-trips a polars dtype through Arrow unchanged."""
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        return "TIMESTAMPTZ"
    if isinstance(dtype, pl.List):
        return f"{duckdb_type(dtype.inner)}[]"
    for polars_type, sql_type in _DUCKDB_TYPES.items():
        if dtype == polars_type:
            return sql_type
    raise TypeError(f"no DuckDB type for polars {dtype!r}")


def column_comment(table: str, column: str) -> str:
    text = COLUMN_COMMENT_OVERRIDES.get((table, column)) or COLUMN_COMMENTS.get(column)
    if text is None:
        raise KeyError(f"no comment for {table}.{column}: add one to COLUMN_COMMENTS")
    return text


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def table_columns(table: str, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The columns of `table` as they are at schema `version`."""
    added_later = ADDED_IN_VERSION_2.get(table, ()) if version < 2 else ()
    return {name: dtype for name, dtype in TABLES[table].items() if name not in added_later}


def create_table_sql(table: str, version: int) -> str:
    required = NOT_NULL.get(table, ())
    columns = ",\n  ".join(
        f"{name} {duckdb_type(dtype)}{' NOT NULL' if name in required else ''}"
        for name, dtype in table_columns(table, version).items()
    )
    return f"CREATE TABLE {table} (\n  {columns}\n)"


def comment_sql(table: str, columns: dict[str, Any]) -> list[str]:
    return [f"COMMENT ON TABLE {table} IS {quote(TABLE_COMMENTS[table])}"] + [
        f"COMMENT ON COLUMN {table}.{name} IS {quote(column_comment(table, name))}"
        for name in columns
    ]


def version_row_sql(version: int, description: str) -> str:
    return (
        f"INSERT INTO {VERSION_TABLE} (version, applied_at, description) "
        f"VALUES ({version}, current_timestamp, {quote(description)})"
    )


def initial_ddl() -> list[str]:
    """Schema version 1: the tables as first released, with their comments."""
    statements: list[str] = []
    for table in TABLES:
        statements.append(create_table_sql(table, version=1))
        statements.extend(comment_sql(table, table_columns(table, version=1)))
    statements.append(version_row_sql(1, "initial schema"))
    return statements


def _migration_2() -> list[str]:
    statements: list[str] = []
    for table, columns in ADDED_IN_VERSION_2.items():
        for name in columns:
            statements.append(
                f"ALTER TABLE {table} ADD COLUMN {name} {duckdb_type(TABLES[table][name])}"
            )
            statements.append(
                f"COMMENT ON COLUMN {table}.{name} IS {quote(column_comment(table, name))}"
            )
    statements.append(
        version_row_sql(
            2,
            "observations.survey (which survey a value comes from), "
            "runs.method_settings (method thresholds as JSON), "
            "check_results.severity (critical or warning)",
        )
    )
    return statements


# version -> statements that bring a file from version - 1 to version
MIGRATIONS: dict[int, list[str]] = {2: _migration_2()}


def view_sql() -> list[str]:
    """Views and macros, recreated after every migration so they name the current columns."""
    observed = ", ".join(OBSERVATIONS_SCHEMA)
    current_columns = [name for name in OBSERVATIONS_SCHEMA if name != "valid_to"]
    statements = [
        "CREATE OR REPLACE VIEW current_observations AS "
        f"SELECT {', '.join(current_columns)} FROM observations WHERE valid_to IS NULL",
        f"COMMENT ON VIEW current_observations IS {quote(CURRENT_VIEW_COMMENT)}",
        *(
            f"COMMENT ON COLUMN current_observations.{name} IS "
            f"{quote(column_comment('observations', name))}"
            for name in current_columns
        ),
        # ts is compared half-open: a version revised at ts is no longer the value at ts.
        "CREATE OR REPLACE MACRO observations_asof(ts) AS TABLE "
        f"SELECT {observed} FROM observations "
        "WHERE valid_from <= ts AND (valid_to IS NULL OR valid_to > ts)",
        f"COMMENT ON MACRO TABLE observations_asof IS {quote(ASOF_MACRO_COMMENT)}",
    ]
    return statements
