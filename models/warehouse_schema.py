"""The warehouse's tables, views and comments, its schema version, and the migrations between them.

Column lists come from the polars schemas of the frames that cross into the warehouse
(models/schema.py, models/catalog.py, models/areas.py); only the warehouse's own columns
(history, run bookkeeping) are declared here. Nothing here talks to DuckDB: the statements are
plain SQL text that pipelines/warehouse/ runs, so a test can also build an old file from them.

A new file is built by the version-1 DDL followed by every migration, the same path an old file
takes, so a new and an upgraded warehouse cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
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

SCHEMA_VERSION = 4
VERSION_TABLE = "schema_version"

OUTCOME_SUCCESS = "success"
OUTCOME_FAILED = "failed"
OUTCOME_NO_CHANGE = "no_change"  # fetched and checked, nothing new: values and statuses kept

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
# Columns that version 2 did not have; migration 3 adds them (issue 14: indicator kinds, stand-ins
# and baselines a source does not name).
ADDED_IN_VERSION_3: dict[str, tuple[str, ...]] = {
    "indicators": ("indicator_kind", "baseline_basis", "stand_in"),
}
# Method v2 (issue 13): what decided each status, and the survey a catalog's statuses use.
V2_PROGRESS_COLUMNS = (
    "sigma", "sigma_differences", "uses_means", "baseline_mean", "baseline_mean_from",
    "baseline_mean_to", "latest_mean", "latest_mean_from", "latest_mean_to", "baseline_outlier",
    "survey",
)  # fmt: skip
ADDED_IN_VERSION_4: dict[str, tuple[str, ...]] = {
    "indicators": ("survey",),
    "progress": V2_PROGRESS_COLUMNS,
    "progress_history": V2_PROGRESS_COLUMNS,
}
ADDED_IN_VERSION: dict[int, dict[str, tuple[str, ...]]] = {
    2: ADDED_IN_VERSION_2,
    3: ADDED_IN_VERSION_3,
    4: ADDED_IN_VERSION_4,
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
    "baseline_basis": "Where the baseline year comes from: source (the steering document), "
    "adopted_year (the source names none; the year the goals were adopted, the project's "
    "assumption) or catalog (the source names none; chosen in the catalog).",
    "stand_in": "What the document asks for that this stand-in measure replaces; null when the "
    "measure is the document's own.",
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
    "se_change": "Standard error of the change (from intervals, or from sigma), null when unknown.",
    "sigma": "Noise level of the series from its moving ranges (mean |y_p − y_p−k| / 1.128 "
    "over the last 10 years), null when unknown (fewer than 4 differences, or not register "
    "data).",
    "sigma_differences": "How many moving ranges sigma was computed from.",
    "uses_means": "True when the change compares three-year means (a noisy series).",
    "baseline_mean": "Mean of the values around the baseline year, null when means are not used.",
    "baseline_mean_from": "First year of the baseline mean.",
    "baseline_mean_to": "Last year of the baseline mean.",
    "latest_mean": "Mean of the latest three years' values, null when means are not used.",
    "latest_mean_from": "First year of the latest mean.",
    "latest_mean_to": "Last year of the latest mean.",
    "baseline_outlier": "True when the baseline value differs from its neighbouring years by "
    "more than 3 robust noise levels.",
    "is_significant": "True when |change| > z·se_change; null when the uncertainty is unknown.",
    "noise_floor": "Smallest change that counts when the uncertainty is unknown.",
    "status_label": "Swedish label of the status, e.g. 'Målet är nått'.",
    "status_symbol": "Symbol that carries the status without colour.",
    "decided_by": "Which rule of method.md decided the status.",
    "reason": "Why the row is not assessable, else null.",
    "explanation": "One-sentence Swedish explanation of the status.",
    "county_value": "The county's value in the latest year (on Riket's rows: null when the "
    "warehouse follows several counties).",
    "riket_value": "Riket's value in the latest year.",
    "rank": "Rank among the county's municipalities, 1 = best (municipalities only).",
    "rank_value": "The value ranked: the municipality's value for rank_year.",
    "report_year": "The report year the row was computed for: no later value is used.",
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
    ("indicators", "indicator_kind"): "assessed (a direction and a target: status rows) or "
    "descriptive (followed with its trend, without direction or status).",
    ("indicators", "direction"): "+1 when higher is better, -1 when lower is better; null for "
    "a descriptive indicator.",
    ("progress", "status"): "Status code of method.md: not_assessable, too_uncertain, "
    "target_met, no_change, on_track, improving, right_direction, worsening.",
    ("progress", "survey"): "The survey whose values the status uses ('Liv & Hälsa', 'Hälsa "
    "på lika villkor'); null for series that are not surveys.",
    ("indicators", "survey"): "The survey the indicator's statuses use where its series mixes "
    "surveys (livohalsa, hlv); null = the county's default.",
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
    added_later = {
        name
        for added_in, tables in ADDED_IN_VERSION.items()
        if added_in > version
        for name in tables.get(table, ())
    }
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
    return [
        *_added_columns(ADDED_IN_VERSION_2),
        version_row_sql(
            2,
            "observations.survey (which survey a value comes from), "
            "runs.method_settings (method thresholds as JSON), "
            "check_results.severity (critical or warning)",
        ),
    ]


def _migration_3() -> list[str]:
    return [
        *_added_columns(ADDED_IN_VERSION_3),
        version_row_sql(
            3,
            "indicators.indicator_kind (assessed or descriptive), indicators.baseline_basis "
            "(where the baseline year comes from), indicators.stand_in (what a stand-in "
            "measure replaces)",
        ),
    ]


def _added_columns(added: dict[str, tuple[str, ...]]) -> list[str]:
    statements: list[str] = []
    for table, columns in added.items():
        for name in columns:
            statements.append(
                f"ALTER TABLE {table} ADD COLUMN {name} {duckdb_type(TABLES[table][name])}"
            )
            statements.append(
                f"COMMENT ON COLUMN {table}.{name} IS {quote(column_comment(table, name))}"
            )
    return statements


# version -> statements that bring a file from version - 1 to version
def _migration_4() -> list[str]:
    return [
        *_added_columns(ADDED_IN_VERSION_4),
        version_row_sql(
            4,
            "method v2: progress and progress_history gain sigma, sigma_differences, "
            "uses_means, the three-year means and their years, baseline_outlier and survey; "
            "indicators.survey (the survey a catalog's statuses use)",
        ),
    ]


MIGRATIONS: dict[int, list[str]] = {2: _migration_2(), 3: _migration_3(), 4: _migration_4()}


# Views for ad hoc questions (issue 9); their columns are commented like the tables'.
VIEWS = ("current_observations", "latest_values", "revision_log", "status_wide")

VIEW_COMMENTS: dict[str, str] = {
    "latest_values": "The latest value per series, area and gender: the current version of the "
    "highest period that has a value (missing values are skipped), with series title and area "
    "name.",
    "revision_log": "Every value that changed after it was first published: one row per "
    "replaced version, with old and new value and dates; a value removed at the source has "
    "change_kind 'removed' and new_value null.",
    "status_wide": "The latest status (status_label of progress) per catalog, area and gender in "
    "wide form: one column per indicator, named by indicator_id; rebuilt from the indicators "
    "table at every refresh, null where the catalog lacks the indicator.",
}

# Comments of view columns that no table has under the same name.
VIEW_COLUMN_COMMENTS: dict[str, str] = {
    "series_title": "Title of the series as published (series.title).",
    "area_name": "Area name (areas.name).",
    "area_kind": "Area kind: kommun, region, riket or grupp (areas.kind).",
    "change_kind": "revised (a new version replaced this one) or removed (withdrawn at the "
    "source, or absent from a full reload).",
    "old_value": "The value before the change.",
    "new_value": "The value after the change; null when the value was removed.",
    "value_change": "new_value minus old_value; null when either is null.",
    "old_status": "Source status before the change.",
    "new_status": "Source status after the change; null when removed.",
    "old_valid_from": "When the old version was first received (UTC).",
    "revised_at": "When the warehouse received the change (UTC): the refresh that saw it, not "
    "the date the source changed it.",
}
# Columns whose comment in a view differs from the table column of the same name.
VIEW_COLUMN_OVERRIDES: dict[tuple[str, str], str] = {
    ("revision_log", "run_id"): "The run that received the change (see runs).",
    ("latest_values", "period"): "Latest year with a value; for a multi-year window its last year.",
    ("latest_values", "valid_from"): "When this value was first received (UTC).",
    ("status_wide", "gender"): "T (totalt), K (kvinnor) or M (män).",
}

LATEST_VALUES_COLUMNS = (
    "series_id", "series_title", "unit", "area_id", "area_name", "area_kind", "gender",
    "period", "value", "ci_low", "ci_high", "n", "status", "survey", "valid_from",
)  # fmt: skip
REVISION_LOG_COLUMNS = (
    "series_id", "area_id", "area_name", "period", "gender", "change_kind", "old_value",
    "new_value", "value_change", "old_status", "new_status", "old_valid_from", "revised_at",
    "run_id",
)  # fmt: skip
STATUS_WIDE_KEY = ("catalog_id", "area_id", "area_name", "gender")


def view_column_comment(view: str, column: str) -> str:
    """A view column's comment: its own override, a view-only name, else the table meaning."""
    text = VIEW_COLUMN_OVERRIDES.get((view, column)) or VIEW_COLUMN_COMMENTS.get(column)
    if text is not None:
        return text
    # The value views carry observation columns (and series.unit); status_wide carries progress's.
    table = "progress" if view == "status_wide" else "observations"
    if column not in TABLES[table]:
        table = "series"
    return column_comment(table, column)


def identifier(name: str) -> str:
    """A SQL identifier, double-quoted, so a name taken from data can never become SQL."""
    return '"' + name.replace('"', '""') + '"'


def _view_comment_sql(view: str, columns: Sequence[str]) -> list[str]:
    return [f"COMMENT ON VIEW {view} IS {quote(VIEW_COMMENTS[view])}"] + [
        f"COMMENT ON COLUMN {view}.{identifier(name)} IS {quote(view_column_comment(view, name))}"
        for name in columns
    ]


def latest_values_sql() -> list[str]:
    """The latest value per series, area and gender, from the current versions."""
    return [
        "CREATE OR REPLACE VIEW latest_values AS "
        "SELECT o.series_id, s.title AS series_title, s.unit, o.area_id, a.name AS area_name, "
        "a.kind AS area_kind, o.gender, o.period, o.value, o.ci_low, o.ci_high, o.n, o.status, "
        "o.survey, o.valid_from "
        "FROM current_observations AS o "
        "LEFT JOIN series AS s ON s.series_id = o.series_id "
        "LEFT JOIN areas AS a ON a.area_id = o.area_id "
        "WHERE o.value IS NOT NULL "
        "QUALIFY row_number() OVER "
        "(PARTITION BY o.series_id, o.area_id, o.gender ORDER BY o.period DESC) = 1",
        *_view_comment_sql("latest_values", LATEST_VALUES_COLUMNS),
    ]


def revision_log_sql() -> list[str]:
    """Every closed version joined to the version that replaced it, if any.

    A load closes a changed value at `now` and inserts its successor with valid_from = `now`,
    so the successor is found by the key and that instant; no successor means a removal, whose
    run is the run that started at that instant (a closing does not stamp the row's run_id).
    """
    key = " AND ".join(f"new.{name} = old.{name}" for name in OBSERVATION_KEY)
    return [
        "CREATE OR REPLACE VIEW revision_log AS "
        "SELECT old.series_id, old.area_id, a.name AS area_name, old.period, old.gender, "
        "CASE WHEN new.valid_from IS NULL THEN 'removed' ELSE 'revised' END AS change_kind, "
        "old.value AS old_value, new.value AS new_value, new.value - old.value AS value_change, "
        "old.status AS old_status, new.status AS new_status, "
        "old.valid_from AS old_valid_from, old.valid_to AS revised_at, "
        "coalesce(new.run_id, "
        "(SELECT min(r.run_id) FROM runs AS r WHERE r.started_at = old.valid_to)) AS run_id "
        "FROM observations AS old "
        f"LEFT JOIN observations AS new ON {key} AND new.valid_from = old.valid_to "
        "LEFT JOIN areas AS a ON a.area_id = old.area_id "
        "WHERE old.valid_to IS NOT NULL",
        *_view_comment_sql("revision_log", REVISION_LOG_COLUMNS),
    ]


def status_wide_sql(indicators: Sequence[tuple[str, str, str]] = ()) -> list[str]:
    """`status_wide` with one column per (indicator_id, title, catalogs) in the given order.

    DuckDB cannot keep a PIVOT whose columns come from the data in a view, so the column list is
    written into the view; the warehouse rebuilds it from the indicators table before every
    publish. Conditional aggregates rather than PIVOT keep each column's name exactly the
    indicator id, quoted.
    """
    key = "p.catalog_id, p.area_id, any_value(a.name) AS area_name, p.gender"
    columns = "".join(
        f", max(p.status_label) FILTER (WHERE p.indicator_id = {quote(indicator_id)}) "
        f"AS {identifier(indicator_id)}"
        for indicator_id, _, _ in indicators
    )
    statements = [
        f"CREATE OR REPLACE VIEW status_wide AS SELECT {key}{columns} "
        "FROM progress AS p LEFT JOIN areas AS a ON a.area_id = p.area_id "
        "GROUP BY p.catalog_id, p.area_id, p.gender",
        *_view_comment_sql("status_wide", STATUS_WIDE_KEY),
    ]
    statements += [
        f"COMMENT ON COLUMN status_wide.{identifier(indicator_id)} IS "
        f"{quote(f'Status label of indicator {indicator_id}: {title} (catalogs: {catalogs}).')}"
        for indicator_id, title, catalogs in indicators
    ]
    return statements


# The indicator columns of status_wide: every indicator id in catalog order, with the title of
# its first catalog and the list of catalogs that hold it.
STATUS_WIDE_INDICATORS_SQL = (
    "SELECT indicator_id, arg_min(title, rowid) AS title, "
    "string_agg(catalog_id, ', ' ORDER BY rowid) AS catalogs "
    "FROM indicators GROUP BY indicator_id ORDER BY min(rowid)"
)


def view_sql() -> list[str]:
    """Views and macros, recreated after every migration so they name the current columns.

    status_wide is created here without indicator columns; the warehouse fills them in from
    the indicators table before every publish (status_wide_sql).
    """
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
        *latest_values_sql(),
        *revision_log_sql(),
        *status_wide_sql(),
    ]
    return statements
