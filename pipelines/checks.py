"""Great Expectations suites for every batch before it is stored (the only module importing GX).

The suite is built from the catalog and the source: required columns and types, gender in
T/K/M, periods in a sane range, shares within 0–100, no duplicate keys, not every value null,
no suspicious shrinking of any followed county against that county's own values in the warehouse,
and area ids of the followed counties (others are allowed but reported as warnings). Results come
back as a frame for the warehouse's `check_results` table; GX's human-readable data docs are
written under the checks folder when asked (`build_docs`: when results changed, or on
`aktuellt checks docs`).

Importing GX costs seconds, so nothing here imports it at module level: a night with nothing new
never pays for it, a refresh runs it in a worker process on the other core
(`pipelines.validation`), and `pipelines.gx_import` makes the import itself cheaper.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from models.catalog import SHARE_UNITS, series_read_by
from models.schema import OBSERVATION_KEY, OBSERVATION_SCHEMA
from models.warehouse_schema import CHECK_RESULTS_SCHEMA
from pipelines.gx_import import import_great_expectations

FIRST_PERIOD = 1950
MAX_SHRINK = 0.2  # a full load with 20 % fewer values than the last one is suspicious
DETAIL_ROWS = 20  # offending rows kept per expectation
INTEGER_TYPES = ["int32", "int64", "Int32", "Int64"]  # as pandas names them
FLOAT_TYPES = ["float64", "Float64"]
OUTCOME_COLUMNS = ("expectation", "severity", "success", "unexpected_count")


log = logging.getLogger("aktuellt.checks")


@dataclass(frozen=True)
class CheckReport:
    suite: str
    results: pl.DataFrame  # CHECK_RESULTS_SCHEMA
    checks_dir: Path
    result_ids: tuple[Any, ...] = ()  # GX's identifiers of the stored validation results

    @property
    def docs_index(self) -> Path | None:
        """The data docs' start page, if they have been built (see build_docs)."""
        return docs_index(self.checks_dir)

    @property
    def passed(self) -> bool:
        critical = self.results.filter(pl.col("severity") == "critical")
        return bool(critical["success"].all())

    @property
    def failures(self) -> pl.DataFrame:
        return self.results.filter(~pl.col("success"))

    def describe_failures(self) -> list[str]:
        """One plain line per failed expectation, naming what and where."""
        return [
            f"{row['severity']}: {row['expectation']}: {row['unexpected_count']} value(s); "
            f"first: {_first_examples(row['details'])}"
            for row in self.failures.iter_rows(named=True)
        ]


def check_observations(
    batch: pl.DataFrame,
    *,
    suite: str,
    run_id: str,
    checks_dir: Path,
    share_series: Sequence[str],
    county_scopes: Mapping[str, Sequence[str]],
    previous_counts: Mapping[str, int] | None = None,
    full: bool = False,
    last_period: int | None = None,
    expected_series: Sequence[str] = (),
) -> CheckReport:
    """Validate one batch of observations; never raises on bad data, reports it instead.

    `county_scopes` maps each followed county to its areas; `previous_counts` maps a county to
    the values its scope holds in the warehouse now. A full load is held against each county's
    own count only: a county never loaded before has none, and no county is compared with
    another (their sizes differ threefold).
    """
    last_period = last_period or dt.date.today().year + 1
    frame = batch.with_columns(
        is_share=pl.col("series_id").is_in(list(share_series)),
        is_kept=~pl.col("is_deleted").fill_null(False),
        **{
            scope_column(county): pl.col("area_id").is_in(list(areas))
            for county, areas in county_scopes.items()
        },
    )
    min_rows = {
        county: int(count * (1 - MAX_SHRINK))
        for county, count in (previous_counts or {}).items()
        if full and count and county in county_scopes
    }
    expectations = _expectations(
        area_ids=list(dict.fromkeys(a for areas in county_scopes.values() for a in areas)),
        last_period=last_period,
        min_rows=min_rows,
        check_not_all_null=full or frame.height > 0,
        expected_series=expected_series,
    )
    return _validate(frame, suite, run_id, checks_dir, expectations)


def scope_column(county_id: str) -> str:
    """The batch column that marks the rows of one county's scope (its areas and Riket)."""
    return f"county_{county_id}"


def outcomes_changed(previous: pl.DataFrame, current: pl.DataFrame) -> bool:
    """Whether any expectation passed, failed or counted differently from the previous run."""
    columns = list(OUTCOME_COLUMNS)
    return not previous.select(columns).sort(columns).equals(current.select(columns).sort(columns))


def build_docs(checks_dir: Path, report: CheckReport | None = None) -> Path | None:
    """Render GX's data docs: one report's validation (plus the index), or, without a report,
    every stored validation and suite. Returns the docs' start page."""
    context = _context(checks_dir)
    if report is not None:
        context.build_data_docs(resource_identifiers=list(report.result_ids))
    else:
        context.build_data_docs()
    return docs_index(checks_dir)


def docs_index(checks_dir: Path) -> Path | None:
    """The start page of the data docs under the checks folder, if built."""
    found = sorted(checks_dir.glob("**/data_docs/local_site/index.html"))
    return found[0] if found else None


def share_series_of(indicators: pl.DataFrame) -> list[str]:
    """Series whose values are shares (0–100), read from the catalog's units."""
    return series_read_by(indicators.filter(pl.col("unit").is_in(list(SHARE_UNITS))))


def _expectations(
    area_ids: Sequence[str],
    last_period: int,
    min_rows: Mapping[str, int],
    check_not_all_null: bool,
    expected_series: Sequence[str] = (),
) -> list[Any]:
    import_great_expectations()  # once per process; the imports below are then free
    import great_expectations.expectations as gxe  # heavy import: only when checking
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.row_conditions import Column

    found: list[Any] = [gxe.ExpectColumnToExist(column=name) for name in OBSERVATION_SCHEMA]
    found += [
        gxe.ExpectColumnValuesToNotBeNull(column=name) for name in (*OBSERVATION_KEY, "is_deleted")
    ]
    found += [
        gxe.ExpectColumnValuesToBeInTypeList(column="period", type_list=INTEGER_TYPES),
        gxe.ExpectColumnValuesToBeInTypeList(column="value", type_list=FLOAT_TYPES),
        gxe.ExpectColumnValuesToBeInSet(column="gender", value_set=["T", "K", "M"]),
        gxe.ExpectColumnValuesToMatchRegex(column="series_id", regex=r"^[a-z]+:[A-Za-z0-9_.]+$"),
        gxe.ExpectColumnValuesToBeBetween(
            column="period", min_value=FIRST_PERIOD, max_value=last_period
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            max_value=100,
            row_condition=Column("is_share") == True,  # noqa: E712 (builds a GX condition)
        ),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=list(OBSERVATION_KEY)),
        gxe.ExpectColumnValuesToBeInSet(
            column="area_id", value_set=list(area_ids), severity=FailureSeverity.WARNING
        ),
    ]
    if check_not_all_null:
        # "Not every value null": at least one kept value must be present.
        found.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column="value",
                mostly=1e-9,
                row_condition=Column("is_kept") == True,  # noqa: E712
            )
        )
    for county, rows in sorted(min_rows.items()):
        found.append(
            gxe.ExpectTableRowCountToBeBetween(
                min_value=rows,
                row_condition=Column(scope_column(county)) == True,  # noqa: E712
            )
        )
    if expected_series:
        # A series with stored values that comes back empty: reported, and its values kept.
        found.append(
            gxe.ExpectColumnDistinctValuesToContainSet(
                column="series_id",
                value_set=list(expected_series),
                severity=FailureSeverity.WARNING,
            )
        )
    return found


def _context(checks_dir: Path) -> Any:
    import_great_expectations()  # once per process; the imports below are then free
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    checks_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(checks_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _validate(
    frame: pl.DataFrame, suite: str, run_id: str, checks_dir: Path, expectations: list[Any]
) -> CheckReport:
    import_great_expectations()  # once per process; the imports below are then free
    import great_expectations as gx

    try:
        checkpoint = _configure(gx, checks_dir, suite, expectations)
    except Exception as error:
        # The project's configuration is rebuilt from code on every run, so a half-written one
        # (a run killed while GE wrote it) is thrown away and written again; the validation
        # results and data docs under gx/uncommitted stay.
        log.warning("checks: GE configuration unreadable (%s); rebuilding it", error)
        _remove_gx_configuration(checks_dir)
        checkpoint = _configure(gx, checks_dir, suite, expectations)
    result = checkpoint.run(
        batch_parameters={"dataframe": frame.to_pandas()}, run_id=_gx_run_id(run_id)
    )
    rows = [
        _result_row(run_id, suite, outcome)
        for validation_result in result.run_results.values()
        for outcome in validation_result.results
    ]
    return CheckReport(
        suite=suite,
        results=pl.DataFrame(rows, schema=CHECK_RESULTS_SCHEMA),
        checks_dir=checks_dir,
        result_ids=tuple(result.run_results),
    )


def _configure(gx: Any, checks_dir: Path, suite: str, expectations: list[Any]) -> Any:
    """The file-backed GE project under checks_dir with this suite's checkpoint."""
    context = _context(checks_dir)
    source = context.data_sources.add_or_update_pandas(name="batches")
    asset_names = [asset.name for asset in source.assets]
    asset = (
        source.get_asset(suite) if suite in asset_names else source.add_dataframe_asset(name=suite)
    )
    definitions = [definition.name for definition in asset.batch_definitions]
    batch_definition = (
        asset.get_batch_definition("whole")
        if "whole" in definitions
        else asset.add_batch_definition_whole_dataframe("whole")
    )
    expectation_suite = context.suites.add_or_update(
        # Copies: an expectation belongs to one suite object, and a retry builds another.
        gx.ExpectationSuite(name=suite, expectations=[copy.copy(e) for e in expectations])
    )
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite, data=batch_definition, suite=expectation_suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite,
            validation_definitions=[validation],
            actions=[],  # data docs are rendered only when the results changed (build_docs)
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": list(OBSERVATION_KEY),
                "partial_unexpected_count": DETAIL_ROWS,
            },
        )
    )


GX_DERIVED = ("great_expectations.yml", "expectations", "validation_definitions", "checkpoints")


def _remove_gx_configuration(checks_dir: Path) -> None:
    for name in GX_DERIVED:
        path = checks_dir / "gx" / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _gx_run_id(run_id: str) -> Any:
    import_great_expectations()  # once per process; the imports below are then free
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id)


def _result_row(run_id: str, suite: str, outcome: Any) -> dict[str, Any]:
    config = outcome.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
    result = outcome.result or {}
    examples = (result.get("unexpected_index_list") or [])[:DETAIL_ROWS]
    details: dict[str, Any] = {"kwargs": kwargs, "examples": examples}
    if result.get("observed_value") is not None:
        details["observed_value"] = result["observed_value"]
    exception = outcome.exception_info or {}
    if exception.get("raised_exception"):
        details["exception"] = exception.get("exception_message")
    return {
        "run_id": run_id,
        "suite": suite,
        "expectation": _describe(config.type, kwargs),
        "severity": str(getattr(config, "severity", "critical")).split(".")[-1].lower(),
        "success": bool(outcome.success),
        "unexpected_count": int(result.get("unexpected_count") or 0),
        "details": json.dumps(details, ensure_ascii=False, default=str),
    }


def _describe(kind: str, kwargs: dict[str, Any]) -> str:
    where = kwargs.get("column") or ",".join(kwargs.get("column_list", []))
    condition = kwargs.get("row_condition")
    if isinstance(condition, dict):  # GX stores a condition as its parts
        condition = (
            f"{condition['column']['name']} {condition['operator']} {condition['parameter']}"
        )
    condition = f" where {condition}" if condition else ""
    return f"{kind}({where}){condition}" if where else f"{kind}{condition}"


def _first_examples(details: str) -> str:
    parsed = json.loads(details)
    examples = parsed.get("examples") or []
    if not examples:
        observed = parsed.get("observed_value")
        return f"observed {observed}" if observed is not None else "see data docs"
    return "; ".join(
        " ".join(f"{key}={value}" for key, value in example.items()) for example in examples[:3]
    )


def empty_results() -> pl.DataFrame:
    return pl.DataFrame(schema=CHECK_RESULTS_SCHEMA)
