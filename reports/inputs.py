"""Read what a report needs from the warehouse: status rows, values, catalog, areas, vintage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from config import Settings
from models.areas import county_areas, followed_area_ids
from models.catalog import find_catalog_path, load_catalog
from models.names import MissingInput
from models.schema import OBSERVATION_SCHEMA, PROGRESS_SCHEMA, conform
from pipelines import progress as method
from pipelines.warehouse import ReportFrames, read_report_frames
from reports.pages import ReportContext, report_context


class ReportYearError(ValueError):
    """A report year the warehouse cannot report on: a usage error (exit code 64)."""


def check_report_year(year: int, indicators: pl.DataFrame, observations: pl.DataFrame) -> None:
    """Refuse a year before the catalog's earliest baseline or after the last year with a
    value: every page would only say that the baseline is missing (issue 13)."""
    earliest = indicators["baseline_year"].min()
    latest = observations.filter(pl.col("value").is_not_null())["period"].max()
    if earliest is None or latest is None:
        return  # nothing to report on at all; the pages say so
    first, last = int(earliest), int(latest)  # type: ignore[arg-type]
    if not first <= year <= last:
        raise ReportYearError(
            f"--year {year} is outside the years this catalog can report on: {first}–{last} "
            f"(its earliest baseline year to the last year with a value)"
        )


@dataclass(frozen=True)
class ReportInputs:
    progress: pl.DataFrame
    observations: pl.DataFrame
    indicators: pl.DataFrame
    areas: pl.DataFrame
    county_id: str
    catalog_id: str
    catalog_title: str
    report_year: int
    data_date: dt.date  # when the values were last fetched: the data vintage
    followed_counties: tuple[str, ...] = ()

    def context(self) -> ReportContext:
        """The report's view of these inputs, shared by the pages and the seminar charts."""
        return report_context(
            self.progress,
            self.observations,
            self.indicators,
            self.areas,
            self.county_id,
            self.catalog_id,
            self.report_year,
            self.data_date,
            self.catalog_title,
            self.followed_counties,
        )


def load_report_inputs(
    settings: Settings,
    catalog_id: str,
    report_year: int | None = None,
    county_id: str | None = None,
) -> ReportInputs:
    """Everything a report or chart shows comes from these warehouse rows and nothing else.

    The report is of one county: `county_id`, by default the first one followed. The status
    rows are the stored ones when `report_year` is theirs (the default); for another year they
    are recomputed from the same stored values, so no value after that year is used.
    """
    county = county_areas(county_id or settings.county_id)
    frames, data_date = _checked_frames(settings, catalog_id, [county.county_id], county.area_ids)
    observations = _observations(frames)
    # The warehouse holds every followed county's rows; a report shows this county's only.
    stored = frames.progress.filter(pl.col("area_id").is_in(county.area_ids))
    stored_year = _stored_year(stored)
    year: int = report_year or stored_year or dt.date.today().year
    if report_year is not None:
        check_report_year(report_year, frames.indicators, observations)
    rows = (
        stored
        if year == stored_year
        else method.compute_progress(
            frames.indicators,
            observations,
            frames.areas,
            county.county_id,
            settings.method,
            year,
            series=frames.series,
        )
    )
    title = load_catalog(find_catalog_path(catalog_id, settings.catalog_dirs)).title
    return ReportInputs(
        progress=conform(rows, PROGRESS_SCHEMA),
        observations=observations,
        indicators=frames.indicators,
        areas=frames.areas,
        county_id=county.county_id,
        catalog_id=catalog_id,
        catalog_title=title,
        report_year=year,
        data_date=data_date,
        followed_counties=_counties_with_status(frames.progress, frames.areas),
    )


@dataclass(frozen=True)
class StatusForYear:
    """Every followed county's status rows for a report year (stored or recomputed), with the
    catalog's indicators and the areas they name."""

    progress: pl.DataFrame
    indicators: pl.DataFrame
    areas: pl.DataFrame


def followed_status_for_year(
    settings: Settings, catalog_id: str, report_year: int
) -> StatusForYear:
    """The status rows of every county followed for `report_year`: the stored ones when that is
    their year, else recomputed from the stored values (so no later value is used) in one read
    and one computation, Riket once, as a refresh stores them. Raises ReportYearError for a
    year some county's values cannot report on, as a report of that county would."""
    counties = [county_areas(county_id) for county_id in settings.county_ids]
    area_ids = followed_area_ids(counties)
    frames, _ = _checked_frames(settings, catalog_id, settings.county_ids, area_ids)
    observations = _observations(frames)
    for county in counties:
        own = observations.filter(pl.col("area_id").is_in(county.area_ids))
        check_report_year(report_year, frames.indicators, own)
    stored = frames.progress.filter(pl.col("area_id").is_in(area_ids))
    if report_year == _stored_year(stored):
        rows = stored
    else:
        by_county = method.compute_progress_by_county(
            frames.indicators,
            observations,
            frames.areas,
            settings.county_ids,
            settings.method,
            report_year,
            series=frames.series,
        )
        rows = method.as_stored(by_county, settings.county_ids)
    return StatusForYear(conform(rows, PROGRESS_SCHEMA), frames.indicators, frames.areas)


def _observations(frames: ReportFrames) -> pl.DataFrame:
    """The stored values as the method reads them (OBSERVATION_SCHEMA; stored ones are kept)."""
    return conform(frames.observations.with_columns(is_deleted=False), OBSERVATION_SCHEMA)


def _stored_year(stored: pl.DataFrame) -> int | None:
    """The report year the stored status rows were computed for, if they agree on one."""
    years = stored["report_year"].drop_nulls().unique().to_list()
    return int(years[0]) if len(years) == 1 else None


def _checked_frames(
    settings: Settings, catalog_id: str, county_ids: Sequence[str], area_ids: Sequence[str]
) -> tuple[ReportFrames, dt.date]:
    """The warehouse rows of these areas and their data date (the last successful fetch),
    refused with a reason when the catalog, a county's status rows or that fetch is missing:
    inputs the command needs and does not have, a usage error (exit 64) like a missing file."""
    frames = read_report_frames(settings.db_path, catalog_id, None, area_ids)
    if frames.indicators.is_empty():
        raise MissingInput(f"catalog {catalog_id!r} is not in the warehouse; run a refresh first")
    for county_id in county_ids:
        if not frames.progress["area_id"].is_in([county_id]).any():
            raise MissingInput(
                f"county {county_id} has no status rows in the warehouse; follow it "
                "(counties in aktuellt.toml or refresh --county) and refresh first"
            )
    if frames.data_fetched_at is None:
        raise MissingInput("the warehouse has no successful refresh: the data date is unknown")
    return frames, frames.data_fetched_at.date()


def _counties_with_status(progress: pl.DataFrame, areas: pl.DataFrame) -> tuple[str, ...]:
    """The counties whose region has status rows in the warehouse, by region code."""
    regions = areas.filter(pl.col("kind") == "region")["area_id"]
    assessed = progress.filter(pl.col("area_id").is_in(regions.implode()))["area_id"]
    return tuple(sorted(assessed.unique().to_list()))
