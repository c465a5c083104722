"""The nightly refresh: fetch what changed → check → load history → recompute status → publish.

One run is one atomic publish of the warehouse. A run that fails (checks, source, crash) leaves
the warehouse as it was, keeps every received page under data/raw/, and still records the run
and its check results so `aktuellt runs` can say what happened.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from config import Settings
from models.areas import County, county_areas, followed_area_ids, load_areas
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
from pipelines.validation import Validation, ValidationFailed
from pipelines.warehouse import WarehouseWriter
from sources import kolada
from sources.http import PoliteSession, make_session

INCREMENTAL_MARGIN = dt.timedelta(days=2)  # Kolada's from_date is by day; overlap is harmless
SUITE = "kolada_values"
FETCH_KINDS = ("full", "incremental", "snapshot")  # runs that fetch Kolada (not imports)

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
    validation: Validation | None = None,
) -> RefreshResult:
    """Run one refresh of every followed county; never raises for expected failures, the
    result says what happened.

    All counties' areas are fetched together (the fewest requests the API's limits allow), each
    county's scope is checked on its own, the batch is loaded once and status rows are computed
    for every county. A county with no values in the warehouse yet is fetched in full even on an
    incremental night, without touching the other counties' history. Validation (and importing
    Great Expectations) happens only when the batch changes something.

    `session` defaults to the polite production session; tests pass one with short backoffs.
    `validation` is one the caller has started already (the CLI starts a first load's before it
    imports this module); the run ends it either way.
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
    validation = validation or Validation(settings.logs_dir)
    try:
        archive = kolada.RawArchive(settings.raw_dir, run_id)
        known_areas = load_areas()
        counties = [county_areas(county_id, known_areas) for county_id in settings.county_ids]
        area_ids = followed_area_ids(counties)
        indicators = load_indicators(settings)
        kpis = kolada_kpis(indicators)
        warehouse.ensure_warehouse(settings.db_path)
        # The validation ends before the lock is released (contexts exit last first): no docs
        # of this run are still being written when the next run may start.
        with warehouse.open_for_refresh(settings.db_path) as writer, closing(validation):
            last_fetch = writer.last_fetch_started(FETCH_KINDS)
            if kind == "incremental" and last_fetch is None:
                kind = result.kind = "full"  # nothing to be incremental against yet
            if kind == "incremental" and last_fetch is not None:
                result.from_date = last_fetch.date() - INCREMENTAL_MARGIN
            full_load = kind != "incremental"
            held = writer.current_counts(_kolada_ids(kpis))  # values per area before this run
            new_counties = [] if full_load else _new_counties(held, counties)
            if new_counties:
                result.notes.append(
                    "new count" + ("ies" if len(new_counties) > 1 else "y")
                    + f" fetched in full: {', '.join(c.county_id for c in new_counties)}"
                )  # fmt: skip
            if last_fetch is None or new_counties:
                # New values will certainly arrive: overlap GX with the network (the CLI starts a
                # first load's earlier still). A reload of counties already held starts it only
                # once something changed.
                validation.prepare()
            step(
                f"fetching {len(kpis)} KPIs for {len(area_ids)} areas of "
                f"{len(counties)} count{'ies' if len(counties) > 1 else 'y'} ({kind})"
            )
            plan = _fetch_plan(counties, new_counties, result.from_date)
            # On an incremental night the first page with values starts the validation.
            on_values = validation.prepare if not full_load else (lambda: None)
            batch, series = _fetch(
                settings, snapshot, session, kpis, plan, archive, on_values=on_values
            )
            result.requests = session.requests_made
            result.notes += _discontinued_notes(series)
            expected = writer.series_with_values(_kolada_ids(kpis)) if full_load else []
            previous_counts = (
                {c.county_id: _held_in(held, c.area_ids) for c in counties} if full_load else {}
            )
            step("loading history")
            try:
                result.counts = writer.load_observations(
                    batch,
                    run_id,
                    now=now,
                    full=full_load,
                    # A series that came back empty is not taken as removed: Kolada answering
                    # nothing for a whole KPI is a fault to report (a warning check), not news.
                    scope_series=_returned_series(batch, kpis) if full_load else _kolada_ids(kpis),
                    scope_areas=area_ids,
                )
                refused: warehouse.WarehouseError | None = None
            except warehouse.WarehouseError as error:
                # A batch the warehouse refuses (e.g. a duplicate key) is for the checks to name.
                refused = error
            missing = set(expected) - set(batch["series_id"].unique().to_list())
            # Nothing new (values as stored, no series gone quiet) needs no validation; an empty
            # full load always gets one, since it is the checks that refuse it.
            if (
                refused is None
                and not _changes_data(result.counts)
                and not missing
                and (batch.height > 0 or not full_load)
            ):
                result.notes.append(NOT_VALIDATED)
            else:
                step(f"checking {batch.height} values")
                report = validation.check(
                    batch,
                    writer.last_check_results(SUITE),
                    suite=SUITE,
                    run_id=run_id,
                    checks_dir=settings.checks_dir,
                    share_series=checks.share_series_of(indicators),
                    county_scopes={c.county_id: c.area_ids for c in counties},
                    previous_counts=previous_counts,
                    full=full_load,
                    expected_series=expected,
                )
                result.check_report = report
                if not report.passed:
                    try:
                        validation.docs_built()
                    except ValidationFailed as error:  # the failed checks are the news
                        log.warning("data docs not rendered: %s", error)
                        result.notes.append(f"data docs not rendered: {error}")
                    raise ChecksFailed(report)
                if refused is not None:
                    raise refused
                writer.record_check_results(report.results)
            series_before = _series_facts(writer.series())
            writer.upsert_series(_with_catalog_units(series, indicators), now)
            unchanged = (
                not _changes_data(result.counts)
                and last_fetch is not None
                and _series_facts(writer.series()).equals(series_before)
                and status_inputs_unchanged(writer, settings, indicators, report_year or now.year)
            )
            update = None
            if unchanged:
                result.notes.append(NOT_RECOMPUTED)
            else:
                step("recomputing status")
                update = derive_status(writer, settings, now, report_year, indicators)
            if update is not None and (
                _changes_data(result.counts) or update.changed or last_fetch is None
            ):
                store_status(writer, update, run_id, now)
                result.status_changes = update.changes
                result.outcome, result.message = OUTCOME_SUCCESS, "published"
            else:
                # Only the run record (and series metadata) is new; the values and status rows
                # stay exactly as they were.
                result.outcome = OUTCOME_NO_CHANGE
                skipped = [NOT_VALIDATED] if result.check_report is None else []
                if update is None:
                    skipped.append(NOT_RECOMPUTED)
                result.message = "; ".join(
                    ["nothing new: values and status rows are unchanged", *skipped]
                )
            validation.docs_built()
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
    except (CatalogError, ValueError, OSError, warehouse.WarehouseError, ValidationFailed) as error:
        result.outcome, result.exit_code = "error", EXIT_ERROR
        result.message = f"{type(error).__name__}: {error}; the warehouse is unchanged"
        log.exception("refresh failed")
        _record_unpublished(settings, result, now)
    finally:
        validation.close()
    log.info(
        "refresh finished",
        extra={
            "fields": {"run_id": run_id, "outcome": result.outcome, "requests": result.requests}
        },
    )
    return result


NOT_VALIDATED = "no value changed, so no validation ran and no data docs were rebuilt"
NOT_RECOMPUTED = "status rows not recomputed (same values, catalogs, method, year and counties)"


def _held_in(held: Mapping[str, int], area_ids: Iterable[str]) -> int:
    """The values these areas hold, from the per-area counts (WarehouseWriter.current_counts)."""
    return sum(held.get(area_id, 0) for area_id in area_ids)


def _new_counties(held: Mapping[str, int], counties: Sequence[County]) -> list[County]:
    """Counties whose own areas (not the shared Riket) hold no Kolada values yet."""
    return [
        county
        for county in counties
        if _held_in(held, (a for a in county.area_ids if a != county.riket.area_id)) == 0
    ]


def _fetch_plan(
    counties: Sequence[County], new_counties: Sequence[County], from_date: dt.date | None
) -> list[tuple[list[str], dt.date | None]]:
    """(areas, from_date) groups: new counties' own areas in full, the rest since from_date
    (Riket, shared by all, stays with the counties followed before)."""
    if from_date is None or not new_counties:
        return [(followed_area_ids(counties), from_date)]
    known = followed_area_ids([c for c in counties if c not in new_counties])
    fresh = [a for a in followed_area_ids(new_counties) if a not in set(known)]
    return [group for group in ((known, from_date), (fresh, None)) if group[0]]


def status_inputs_unchanged(
    writer: WarehouseWriter, settings: Settings, indicators: pl.DataFrame, report_year: int
) -> bool:
    """Whether the stored status rows were computed from exactly these inputs (besides the
    values and series metadata, which the caller compares): the catalogs, the method settings,
    the report year and the followed counties. Then recomputing them would give the same rows.
    """
    last = writer.last_successful_run()
    if last is None or last["method_settings"] != settings.method.as_dict():
        return False
    stored = writer.indicators()
    if set(indicators.columns) - set(stored.columns):
        return False
    key = list(progress.INDICATOR_KEY)
    if not stored.select(indicators.columns).sort(key).equals(indicators.sort(key)):
        return False
    years = writer.query("SELECT DISTINCT report_year FROM progress")["report_year"].to_list()
    regions = writer.query(
        "SELECT DISTINCT p.area_id FROM progress AS p JOIN areas AS a USING (area_id) "
        "WHERE a.kind = 'region'"
    )["area_id"].to_list()
    return years == [report_year] and set(regions) == set(settings.county_ids)


def _series_facts(series: pl.DataFrame) -> pl.DataFrame:
    """The series metadata a status row reads (not when it was first and last seen)."""
    return series.drop("first_seen", "last_seen", strict=False).sort("series_id")


def _changes_data(counts: warehouse.LoadCounts | None) -> bool:
    return counts is not None and bool(counts.inserted + counts.revised + counts.removed)


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
    plan: Sequence[tuple[list[str], dt.date | None]],
    archive: kolada.RawArchive,
    on_values: Callable[[], object],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The batch and the KPI metadata: every data and metadata request of the plan goes out
    together, at most `settings.max_in_flight` at once. `on_values` is called (from a fetching
    thread) as soon as a page holds values."""
    areas = [area for group, _ in plan for area in group]
    if snapshot is not None:
        pages = list(_archived(kolada.read_snapshot(snapshot, kpis, areas), archive))
        kpi_pages = list(_archived(kolada.read_snapshot_kpis(snapshot), archive))
        parsed = [kolada.parse_value_page(page) for page in pages]
    else:
        data_chains = [
            chain
            for group, since in plan
            for chain in kolada.value_chains(settings.kolada_url, kpis, group, since)
        ]
        chains = [*data_chains, *kolada.kpi_chains(settings.kolada_url, kpis)]

        parsed = []  # list.append is atomic: the fetching threads add to it

        def arrived(page: kolada.Page) -> None:
            # Parsed here, in the fetching thread, while the other requests are on the network.
            if "/data/" in page.url:
                parsed.append(kolada.parse_value_page(page))
                if page.body["values"]:
                    on_values()

        fetched = kolada.fetch_chains(
            session, chains, archive, settings.max_in_flight, on_page=arrived
        )
        kpi_pages = [page for chain_pages in fetched[len(data_chains) :] for page in chain_pages]
    values = kolada.combine_values(parsed).filter(
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
    by_county = progress.compute_progress_by_county(
        indicators,
        writer.current_observations(),
        areas,
        settings.county_ids,
        settings.method,
        report_year or now.year,
        series=writer.series(),
    )
    rows = progress.as_stored(by_county, settings.county_ids)
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
