"""The nightly refresh: fetch what changed → check → load history → recompute status → publish.

One run is one atomic publish of the warehouse. A run that fails (checks, source, crash) leaves
the warehouse as it was, keeps every received page under data/raw/, and still records the run
and its check results so `aktuellt runs` can say what happened.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from config import Settings
from models.areas import County, county_areas, load_areas
from models.catalog import CatalogError, indicators_frame, load_catalogs, series_read_by
from models.exit_codes import (
    EXIT_BUSY,
    EXIT_CHECKS_FAILED,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SOURCE_FAILED,
)
from models.schema import OBSERVATION_SCHEMA, conform
from models.warehouse_schema import AREAS_SCHEMA, OUTCOME_NO_CHANGE, OUTCOME_SUCCESS
from pipelines import checks, progress, warehouse
from pipelines.warehouse import WarehouseWriter
from sources import kolada
from sources.http import PoliteSession, make_session

INCREMENTAL_MARGIN = dt.timedelta(days=2)  # Kolada's from_date is by day; overlap is harmless
SUITE = "kolada_values"
FETCH_KINDS = ("full", "incremental", "snapshot")  # runs that fetch Kolada (not imports)
FULL_KINDS = ("full", "snapshot")

log = logging.getLogger("aktuellt.refresh")


@dataclass
class RefreshResult:
    run_id: str
    kind: str  # full, incremental, snapshot
    outcome: str  # success, no_change, checks_failed, source_failed, busy, error
    exit_code: int
    from_date: dt.date | None = None
    requests: int = 0
    counts: warehouse.LoadCounts | None = None
    check_report: checks.CheckReport | None = None
    status_changes: pl.DataFrame | None = None
    message: str = ""
    raw_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.outcome == OUTCOME_SUCCESS


Step = Callable[[str], None]  # reports a step to the operator (progress display or log)


def run_refresh(
    settings: Settings,
    *,
    full: bool = False,
    snapshot: Path | None = None,
    report_year: int | None = None,
    now: dt.datetime | None = None,
    step: Step | None = None,
    session: PoliteSession | None = None,
) -> RefreshResult:
    """Run one refresh; never raises for expected failures, the result says what happened.

    `session` defaults to the polite production session; tests pass one with short backoffs.
    """
    now = now or dt.datetime.now(dt.UTC)
    step = step or (lambda message: log.info(message))
    run_id = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    kind = "snapshot" if snapshot else ("full" if full else "incremental")
    result = RefreshResult(run_id=run_id, kind=kind, outcome="error", exit_code=EXIT_ERROR)
    result.raw_dir = settings.raw_dir / "kolada" / run_id
    session = session or make_session()
    # The settings bound the fetch in wall-clock time, so a drip-fed answer cannot hold the lock.
    session.request_deadline = settings.request_deadline
    session.start_fetch_deadline(settings.fetch_deadline)
    try:
        archive = kolada.RawArchive(settings.raw_dir, run_id)
        county = county_areas(settings.county_id)
        indicators = load_indicators(settings)
        kpis = kolada_kpis(indicators)
        warehouse.ensure_warehouse(settings.db_path)
        with warehouse.open_for_refresh(settings.db_path) as writer:
            last_fetch = writer.last_fetch_started(FETCH_KINDS)
            if kind == "incremental" and last_fetch is None:
                kind = result.kind = "full"  # nothing to be incremental against yet
            if kind == "incremental" and last_fetch is not None:
                result.from_date = last_fetch.date() - INCREMENTAL_MARGIN
            full_load = kind != "incremental"
            step(f"fetching {len(kpis)} KPIs for {len(county.area_ids)} areas ({kind})")
            batch, series = _fetch(settings, snapshot, session, kpis, county, archive, result)
            result.requests = session.requests_made
            result.notes += _discontinued_notes(series)
            step(f"checking {batch.height} values")
            report = checks.check_observations(
                batch,
                suite=SUITE,
                run_id=run_id,
                checks_dir=settings.checks_dir,
                share_series=checks.share_series_of(indicators),
                county_area_ids=county.area_ids,
                previous_full_count=writer.last_full_load_size(FULL_KINDS),
                full=full_load,
                expected_series=writer.series_with_values(_kolada_ids(kpis)) if full_load else (),
            )
            result.check_report = report
            if not report.passed:
                raise ChecksFailed(report)
            step("loading history")
            result.counts = writer.load_observations(
                batch,
                run_id,
                now=now,
                full=full_load,
                # A series that came back empty is not taken as removed: Kolada answering
                # nothing for a whole KPI is a fault to report (a warning check), not news.
                scope_series=_returned_series(batch, kpis) if full_load else _kolada_ids(kpis),
                scope_areas=county.area_ids,
            )
            writer.upsert_series(_with_catalog_units(series, indicators), now)
            step("recomputing status")
            update = derive_status(writer, settings, now, report_year, indicators)
            data_changed = result.counts.inserted + result.counts.revised + result.counts.removed
            if data_changed or update.changed or last_fetch is None:
                store_status(writer, update, run_id, now)
                result.status_changes = update.changes
                result.outcome, result.message = OUTCOME_SUCCESS, "published"
            else:
                # Only the run record (and series metadata) is new; the values and status rows
                # stay exactly as they were.
                result.outcome = OUTCOME_NO_CHANGE
                result.message = "nothing new: values and status rows are unchanged"
            writer.record_check_results(report.results)
            writer.record_run(_run_record(result, now, settings, outcome=result.outcome))
            step("publishing")
        result.exit_code = EXIT_OK
    except ChecksFailed as failure:
        result.outcome, result.exit_code = "checks_failed", EXIT_CHECKS_FAILED
        result.message = f"{len(failure.report.failures)} check(s) failed; nothing was published"
        _record_unpublished(settings, result, now)
    except warehouse.WarehouseBusy as busy:
        result.outcome, result.exit_code, result.message = "busy", EXIT_BUSY, str(busy)
    except kolada.KoladaError as error:
        result.requests = session.requests_made
        result.outcome, result.exit_code = "source_failed", EXIT_SOURCE_FAILED
        result.message = f"Kolada failed: {error}; the warehouse is unchanged"
        _record_unpublished(settings, result, now)
    except (CatalogError, ValueError, OSError, warehouse.WarehouseError) as error:
        result.outcome, result.exit_code = "error", EXIT_ERROR
        result.message = f"{type(error).__name__}: {error}; the warehouse is unchanged"
        log.exception("refresh failed")
        _record_unpublished(settings, result, now)
    log.info(
        "refresh finished",
        extra={
            "fields": {"run_id": run_id, "outcome": result.outcome, "requests": result.requests}
        },
    )
    return result


class ChecksFailed(Exception):
    def __init__(self, report: checks.CheckReport):
        super().__init__(f"checks failed: {report.suite}")
        self.report = report


def kolada_kpis(indicators: pl.DataFrame) -> list[str]:
    """The Kolada KPI ids the catalogs read, directly or through a derivation."""
    return [
        s.removeprefix("kolada:") for s in series_read_by(indicators) if s.startswith("kolada:")
    ]


def _fetch(
    settings: Settings,
    snapshot: Path | None,
    session: PoliteSession,
    kpis: Sequence[str],
    county: County,
    archive: kolada.RawArchive,
    result: RefreshResult,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    areas = county.area_ids
    if snapshot is not None:
        pages = _archived(kolada.read_snapshot(snapshot, kpis, areas), archive)
        kpi_pages = _archived(kolada.read_snapshot_kpis(snapshot), archive)
    else:
        pages = kolada.fetch_values(
            session, settings.kolada_url, kpis, areas, archive, from_date=result.from_date
        )
        kpi_pages = kolada.fetch_kpis(session, settings.kolada_url, kpis, archive)
    values = kolada.parse_values(pages).filter(
        pl.col("area_id").is_in(areas) & pl.col("series_id").is_in([f"kolada:{k}" for k in kpis])
    )
    series = kolada.parse_kpis(kpi_pages, kpis)
    return conform(_tag_surveys(values), OBSERVATION_SCHEMA), series


def _discontinued_notes(series: pl.DataFrame) -> list[str]:
    """Name the KPIs Kolada has ended or dropped: their indicators need a new source."""
    flagged = series.filter(pl.col("is_discontinued")).sort("series_id")
    vanished = flagged.filter(pl.col("title").is_null())["series_id"].to_list()
    ended = flagged.filter(pl.col("title").is_not_null())
    notes = [f"KPIs no longer in Kolada's catalogue: {', '.join(vanished)}"] if vanished else []
    notes += [
        f"KPI discontinued: {row['series_id']} {row['title']}"
        for row in ended.iter_rows(named=True)
    ]
    for note in notes:
        log.warning(note)
    return notes


def _archived(pages: Iterable[kolada.Page], archive: kolada.RawArchive) -> Iterator[kolada.Page]:
    """Keep a copy of each snapshot file read, so a run can be rebuilt from data/raw alone."""
    for page in pages:
        stored = archive.store(page.url, 200, page.path.read_bytes())
        yield kolada.Page(url=page.url, path=stored, body=page.body)


def _tag_surveys(values: pl.DataFrame) -> pl.DataFrame:
    """Mark which survey each point of the mixed Liv & Hälsa / HLV U-series comes from."""
    from sources.survey import tag_survey_points

    return tag_survey_points(values)


@dataclass(frozen=True)
class StatusUpdate:
    indicators: pl.DataFrame  # the catalogs the rows were computed from
    areas: pl.DataFrame  # the areas the rows were computed for
    rows: pl.DataFrame  # PROGRESS_SCHEMA
    changes: pl.DataFrame  # the rows that differ from the previous ones, with their cause
    catalogs_changed: bool  # anything in the catalogs differs, even without a status change

    @property
    def changed(self) -> bool:
        return self.catalogs_changed or not self.changes.is_empty()


def derive_status(
    writer: WarehouseWriter,
    settings: Settings,
    now: dt.datetime,
    report_year: int | None = None,
    indicators: pl.DataFrame | None = None,
) -> StatusUpdate:
    """Recompute every status row from the current values; compare with the stored ones.

    Reads only: the caller decides whether to store (store_status). A changed catalog, method
    setting or report year changes rows even when no value changed. `indicators` are the
    settings' catalogs, loaded here unless the caller has them already.
    """
    if indicators is None:
        indicators = load_indicators(settings)
    areas = _areas_frame()
    last = writer.last_successful_run()
    previous_indicators = writer.indicators()
    rows = progress.compute_progress(
        indicators,
        writer.current_observations(),
        areas,
        settings.county_id,
        settings.method,
        report_year or now.year,
        series=writer.series(),
    )
    changes = progress.status_changes(
        writer.previous_progress(),
        rows,
        last["method_settings"] if last else None,
        settings.method.as_dict(),
        previous_indicators=previous_indicators if last else None,
        current_indicators=indicators,
    )
    stored = previous_indicators.select(indicators.columns).sort(progress.INDICATOR_KEY)
    catalogs_changed = not stored.equals(indicators.sort(progress.INDICATOR_KEY))
    return StatusUpdate(indicators, areas, rows, changes, catalogs_changed)


def store_status(
    writer: WarehouseWriter, update: StatusUpdate, run_id: str, now: dt.datetime
) -> None:
    """Store the status rows, the catalogs and areas behind them, and the history of changes."""
    writer.replace_areas(update.areas)
    writer.replace_indicators(update.indicators)
    writer.replace_progress(update.rows, run_id, now)
    writer.append_progress_history(update.changes, run_id, now)


def recompute_status(
    writer: WarehouseWriter,
    settings: Settings,
    run_id: str,
    now: dt.datetime,
    report_year: int | None = None,
) -> pl.DataFrame:
    """Derive and store the status rows in one go; return the rows that changed."""
    update = derive_status(writer, settings, now, report_year)
    store_status(writer, update, run_id, now)
    return update.changes


def load_indicators(settings: Settings) -> pl.DataFrame:
    """The configured catalogs as one frame (the analysts' folders searched first)."""
    return indicators_frame(load_catalogs(settings.catalogs, load_areas(), settings.catalog_dirs))


def _areas_frame() -> pl.DataFrame:
    return pl.DataFrame([vars(area) for area in load_areas().values()], schema=AREAS_SCHEMA)


def _with_catalog_units(series: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """Kolada's KPI metadata has no unit field; the catalog's unit for the series is the fact."""
    units = (
        indicators.filter(pl.col("series_id").is_not_null())
        .group_by("series_id")
        .agg(catalog_unit=pl.col("unit").first())
    )
    return (
        series.join(units, on="series_id", how="left")
        .with_columns(unit=pl.coalesce("unit", "catalog_unit"))
        .drop("catalog_unit")
    )


def _kolada_ids(kpis: Sequence[str]) -> list[str]:
    return [f"kolada:{kpi}" for kpi in kpis]


def _returned_series(batch: pl.DataFrame, kpis: Sequence[str]) -> list[str]:
    returned = set(batch["series_id"].unique().to_list())
    return [series_id for series_id in _kolada_ids(kpis) if series_id in returned]


def _run_record(
    result: RefreshResult, now: dt.datetime, settings: Settings, outcome: str
) -> dict[str, Any]:
    counts = result.counts
    return {
        "run_id": result.run_id,
        "started_at": now,
        "finished_at": dt.datetime.now(dt.UTC),
        "kind": result.kind,
        "outcome": outcome,
        "from_date": result.from_date,
        "requests": result.requests,
        "values_received": counts.received if counts else 0,
        "inserted": counts.inserted if counts else 0,
        "revised": counts.revised if counts else 0,
        "removed": counts.removed if counts else 0,
        "unchanged": counts.unchanged if counts else 0,
        "error": result.message if outcome != OUTCOME_SUCCESS else None,
        "method_settings": settings.method.as_dict(),
    }


def _record_unpublished(settings: Settings, result: RefreshResult, now: dt.datetime) -> None:
    """Keep the run record and check results of a run that published no data."""
    report = result.check_report
    results = report.results if report is not None else checks.empty_results()
    try:
        warehouse.record_failed_run(
            settings.db_path, _run_record(result, now, settings, result.outcome), results
        )
    except Exception as error:
        # The record is a courtesy: the warehouse may be the very thing that failed (corrupt,
        # newer, full disk). A failure here never replaces the run's own clean message.
        result.notes.append(f"run record not kept: {type(error).__name__}: {error}")
        log.warning("run record not kept", exc_info=True)
