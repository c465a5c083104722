"""The report pages: pure functions from frames (and rendered SVGs) to page views, rendered by
the Jinja2 templates in reports/templates/, and one writer.

The templates escape every value (autoescaping is on); the SVGs come from vl-convert, which
escapes their text itself, and are the only markup passed in. Pages are self-contained: inline
CSS and SVG, no scripts, no network requests, lang="sv", printable on A4.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
from markupsafe import Markup

from models.areas import RIKET_ID
from models.catalog import SERIES_COLUMNS
from models.producers import kolada_kpi_url, kpi_producers
from models.status import STATUSES
from models.swedish import GENDER_NAMES
from pipelines.wording import baseline_assumption, survey_name
from reports.charts import ranking_chart, status_count_chart, status_heatmap_chart, trend_chart
from reports.progress_display import QUIET, ProgressDisplay
from reports.render import parallel_map, spec_to_svg
from reports.series import indicator_points, with_primary
from reports.spec_template import ChartSpec
from reports.templating import render_page, status_style, trusted_svg
from reports.text import (
    SOURCE_PROCESSED,
    SOURCE_VALUES,
    change_text,
    data_date_text,
    descriptive_sentence,
    format_value,
    is_descriptive,
    next_value_text,
    slugify,
    status_survey,
    status_text,
    target_text,
)


@dataclass(frozen=True)
class ReportContext:
    """Everything a county's report reads, filtered to one catalog."""

    progress: pl.DataFrame
    observations: pl.DataFrame
    indicators: list[dict[str, Any]]
    names: dict[str, str]
    county_id: str
    group_id: str | None
    municipalities: list[str]  # ids, ordered by name
    catalog_id: str
    catalog_title: str
    report_year: int
    data_date: dt.date
    riket_id: str = RIKET_ID
    followed_counties: tuple[str, ...] = ()  # every county the warehouse follows (region ids)
    _rows: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    # The observations indexed once by (series, area): a page reads a few small frames instead
    # of scanning every observation for each indicator, role and area.
    _by_series_area: dict[tuple[str, str], pl.DataFrame] = field(default_factory=dict)
    # Points per (indicator, area), computed once: every municipality's page shows the same
    # county and Riket series.
    _points: dict[tuple[str, str], pl.DataFrame] = field(default_factory=dict)

    def points(self, indicator: Mapping[str, Any], area_id: str) -> pl.DataFrame:
        """The indicator's plotted points for one area (reports.series.indicator_points)."""
        key = (indicator["indicator_id"], area_id)
        if key not in self._points:
            # One derivation for every area of the county at once: the method's per-call cost,
            # not the data, dominates, and the other pages will ask for the rest.
            areas = [*self.municipalities, self.county_id, self.riket_id]
            areas += [self.group_id] if self.group_id else []
            areas += [] if area_id in areas else [area_id]
            points = indicator_points(self.observations_for(indicator, areas), indicator, areas)
            by_area = points.partition_by("area_id", as_dict=True)
            for other in areas:
                self._points[(key[0], other)] = by_area.get((other,), points.clear())
        return self._points[key]

    def observations_for(
        self, indicator: Mapping[str, Any], area_ids: Sequence[str]
    ) -> pl.DataFrame:
        """The observations of every series the indicator reads, for these areas."""
        series = dict.fromkeys(s for c in SERIES_COLUMNS if (s := indicator.get(c)))
        frames = [
            frame
            for s in series
            for area_id in area_ids
            if (frame := self._by_series_area.get((s, area_id))) is not None
        ]
        return pl.concat(frames) if frames else self.observations.clear()

    def row(self, indicator_id: str, area_id: str, gender: str = "T") -> dict[str, Any] | None:
        return self._rows.get((indicator_id, area_id, gender))

    def page_name(self, area_id: str) -> str:
        return f"{slugify(self.names.get(area_id, area_id))}.html"

    @property
    def region_name(self) -> str:
        return self.names.get(self.county_id, self.county_id)

    def footer_lines(self) -> list[str]:
        return [
            f"{SOURCE_VALUES} (värden). {SOURCE_PROCESSED} (förändring, mål och status).",
            f"{data_date_text(self.data_date)}. {self.catalog_title}.",
        ]


def report_context(
    progress: pl.DataFrame,
    observations: pl.DataFrame,
    indicators: pl.DataFrame,
    areas: pl.DataFrame,
    county_id: str,
    catalog_id: str,
    report_year: int,
    data_date: dt.date,
    catalog_title: str | None = None,
    followed_counties: Sequence[str] = (),
) -> ReportContext:
    catalog_progress = progress.filter(pl.col("catalog_id") == catalog_id)
    catalog_indicators = indicators.filter(pl.col("catalog_id") == catalog_id).to_dicts()
    if not catalog_indicators:
        raise ValueError(f"no indicators for catalog {catalog_id!r}")
    names = dict(zip(areas["area_id"].to_list(), areas["name"].to_list(), strict=True))
    county_areas = areas.filter(pl.col("county_id") == county_id)
    municipalities = county_areas.filter(pl.col("kind") == "kommun").sort("name")
    groups = county_areas.filter(pl.col("kind") == "grupp")["area_id"].to_list()
    rows = {
        (row["indicator_id"], row["area_id"], row["gender"]): row
        for row in catalog_progress.to_dicts()
    }
    return ReportContext(
        progress=catalog_progress,
        observations=observations,
        indicators=catalog_indicators,
        names=names,
        county_id=county_id,
        group_id=groups[0] if groups else None,
        municipalities=municipalities["area_id"].to_list(),
        catalog_id=catalog_id,
        catalog_title=catalog_title or catalog_id,
        report_year=report_year,
        data_date=data_date,
        followed_counties=tuple(followed_counties),
        _rows=rows,
        _by_series_area={
            (str(key[0]), str(key[1])): frame
            for key, frame in observations.partition_by(
                "series_id", "area_id", as_dict=True
            ).items()
        },
    )


def _has_values(row: Mapping[str, Any] | None) -> bool:
    return row is not None and (
        row.get("latest_value") is not None or row.get("baseline_value") is not None
    )


def _has_points(ctx: ReportContext, indicator: Mapping[str, Any], area_id: str) -> bool:
    return ctx.points(indicator, area_id).height > 0


def county_stand_in(ctx: ReportContext, indicator: Mapping[str, Any]) -> str:
    """The area that stands for the county: the region, or the mean group where the region
    has no values (municipality-only KPIs)."""
    if ctx.group_id is None:
        return ctx.county_id
    region_row = ctx.row(indicator["indicator_id"], ctx.county_id)
    if _has_values(region_row) or _has_points(ctx, indicator, ctx.county_id):
        return ctx.county_id
    group_row = ctx.row(indicator["indicator_id"], ctx.group_id)
    if _has_values(group_row) or _has_points(ctx, indicator, ctx.group_id):
        return ctx.group_id
    return ctx.county_id


def shown_area(ctx: ReportContext, indicator: Mapping[str, Any], area_id: str) -> str:
    """The area whose rows a page shows: itself, or for the county its stand-in."""
    return county_stand_in(ctx, indicator) if area_id == ctx.county_id else area_id


def applies(indicator: Mapping[str, Any], kind: str, area_id: str) -> bool:
    allowed = indicator.get("areas") or []
    return not allowed or kind in allowed or area_id in allowed


@dataclass(frozen=True)
class IndicatorEntry:
    """One indicator on one page: the area whose rows are shown, and the rows."""

    indicator: dict[str, Any]
    shown_area_id: str
    total: dict[str, Any] | None
    by_gender: list[dict[str, Any]]
    points: pl.DataFrame  # role, period, value, ci_low, ci_high, survey, primary
    series_names: dict[str, str]


def page_entries(ctx: ReportContext, area_id: str) -> list[IndicatorEntry]:
    """The indicators shown on an area's page, in catalog order."""
    is_county = area_id == ctx.county_id
    entries = []
    for indicator in ctx.indicators:
        kind = "region" if is_county else "kommun"
        if not applies(indicator, kind, area_id) and not (
            is_county and applies(indicator, "grupp", area_id)
        ):
            continue
        iid = indicator["indicator_id"]
        county = county_stand_in(ctx, indicator)
        shown = county if is_county else area_id
        roles = {"area": shown} if is_county else {"area": area_id, "county": county}
        roles["riket"] = ctx.riket_id
        points = pl.concat(
            [
                # the status's own survey is the line; another survey's values are points
                with_primary(
                    ctx.points(indicator, role_area), status_survey(ctx.row(iid, role_area))
                ).with_columns(role=pl.lit(role))
                for role, role_area in roles.items()
            ]
        )
        total = ctx.row(iid, shown)
        # An assessed indicator without values still has a status row (not assessable); a
        # descriptive one has none, so it is kept by its kind, to say that no values exist yet.
        no_values = points.filter(pl.col("role") == "area").height == 0
        if total is None and no_values and not is_descriptive(indicator):
            continue
        by_gender = [row for g in ("K", "M") if (row := ctx.row(iid, shown, g)) is not None]
        entries.append(
            IndicatorEntry(
                indicator=indicator,
                shown_area_id=shown,
                total=total,
                by_gender=by_gender,
                points=points,
                series_names={role: ctx.names.get(a, a) for role, a in roles.items()},
            )
        )
    return entries


# --- charts of a page -------------------------------------------------------------------------


def area_charts(ctx: ReportContext, area_id: str) -> dict[str, ChartSpec]:
    """Every chart on an area's page by key; the county page adds the county charts."""
    charts: dict[str, ChartSpec] = {}
    footer = ctx.footer_lines()
    for entry in page_entries(ctx, area_id):
        if entry.points.filter(pl.col("role") == "area").height == 0:
            continue
        charts[f"trend:{entry.indicator['indicator_id']}"] = trend_chart(
            entry.points,
            entry.indicator,
            entry.total,
            series_names=entry.series_names,
            footer=footer,
        )
    if area_id == ctx.county_id:
        charts.update(county_charts(ctx))
    return charts


def county_charts(ctx: ReportContext) -> dict[str, alt.TopLevelMixin]:
    footer = ctx.footer_lines()
    charts: dict[str, alt.TopLevelMixin] = {}
    cells = heatmap_cells(ctx)
    if cells.height:
        charts["heatmap"] = status_heatmap_chart(cells, footer=footer)
        charts["counts"] = status_count_chart(status_counts(ctx), footer=footer)
    for indicator in ctx.indicators:
        values = ranking_values(ctx, indicator)
        if values.filter(pl.col("value").is_not_null()).height == 0:
            continue
        # Every municipality is ranked on one period (the status method's rank_year), so the
        # dots and the reference lines all show that period's values.
        years = values["latest_year"].drop_nulls()
        year = int(years.max()) if years.len() else None  # type: ignore[arg-type]
        county = county_stand_in(ctx, indicator)
        references = {
            ctx.names.get(county, county): _value_in_year(ctx, indicator, county, year),
            "Riket": _value_in_year(ctx, indicator, ctx.riket_id, year),
        }
        charts[f"ranking:{indicator['indicator_id']}"] = ranking_chart(
            values, indicator, references=references, year=year, footer=footer
        )
    return charts


def _value_in_year(
    ctx: ReportContext, indicator: Mapping[str, Any], area_id: str, year: int | None
) -> float | None:
    """An area's value of the indicator in one year: from its status row, else its series."""
    row = ctx.row(indicator["indicator_id"], area_id) or {}
    for prefix in ("latest", "baseline"):
        if year is not None and row.get(f"{prefix}_year") == year:
            return row.get(f"{prefix}_value")
    if year is None or indicator.get("derive_kind") or not indicator.get("series_id"):
        return None  # a derived series has no stored value to look up
    found = ctx.observations_for(indicator, [area_id]).filter(
        (pl.col("series_id") == indicator["series_id"])
        & (pl.col("period") == year)
        & (pl.col("gender") == "T")
    )["value"]
    return found[0] if found.len() else None


def ranking_values(ctx: ReportContext, indicator: Mapping[str, Any]) -> pl.DataFrame:
    """The ranked value per municipality: the value of the period the method ranked."""
    rows = [
        {
            "name": ctx.names.get(area_id, area_id),
            "value": row.get("rank_value"),
            "rank": row.get("rank"),
            "latest_year": row.get("rank_year"),
            "county_value": row.get("county_value"),
            "riket_value": row.get("riket_value"),
        }
        for area_id in ctx.municipalities
        if (row := ctx.row(indicator["indicator_id"], area_id)) is not None
    ]
    return pl.DataFrame(
        rows,
        schema={
            "name": pl.String,
            "value": pl.Float64,
            "rank": pl.Int32,
            "latest_year": pl.Int32,
            "county_value": pl.Float64,
            "riket_value": pl.Float64,
        },
    )


def heatmap_cells(ctx: ReportContext) -> pl.DataFrame:
    rows = [
        {
            "area": ctx.names.get(area_id, area_id),
            "indicator": indicator["title"],
            "status": row["status"] or "not_assessable",
        }
        for indicator in ctx.indicators
        for area_id in ctx.municipalities
        if (row := ctx.row(indicator["indicator_id"], area_id)) is not None
    ]
    return pl.DataFrame(
        rows, schema={"area": pl.String, "indicator": pl.String, "status": pl.String}
    )


def status_counts(ctx: ReportContext, area_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Indicators per status and area (T rows), for the municipalities unless told."""
    ids = list(area_ids) if area_ids is not None else ctx.municipalities
    rows = []
    for area_id in ids:
        statuses = [
            (row["status"] or "not_assessable")
            for indicator in ctx.indicators
            if (row := ctx.row(indicator["indicator_id"], shown_area(ctx, indicator, area_id)))
            is not None
        ]
        for style in STATUSES:
            rows.append(
                {
                    "area": ctx.names.get(area_id, area_id),
                    "area_id": area_id,
                    "status": style.code,
                    "count": statuses.count(style.code),
                }
            )
    return pl.DataFrame(
        rows,
        schema={"area": pl.String, "area_id": pl.String, "status": pl.String, "count": pl.Int64},
    )


# --- page views: the values each template shows --------------------------------------------

TABLE_COLUMNS = (
    "Indikator",
    "Basår",
    "Basvärde",
    "Senaste år",
    "Senaste värde",
    "Förändring",
    "Målvärde",
    "Status",
)


def _page_values(ctx: ReportContext, heading: str, back_link: bool = True) -> dict[str, Any]:
    """What every page's frame (header and footer of base.html.j2) shows."""
    return {
        "ctx": ctx,
        "heading": heading,
        "back_link": back_link,
        "data_date_text": data_date_text(ctx.data_date),
        "table_columns": TABLE_COLUMNS,
    }


@dataclass(frozen=True)
class TableLine:
    """One row of an indicator table: the total or one gender."""

    gender: str
    name: str
    row: dict[str, Any]
    explanation: str
    survey: str | None = None  # the survey the row's values come from, where it says a new one


@dataclass(frozen=True)
class IndicatorView:
    """One indicator on a page: its table rows and its section."""

    indicator_id: str
    area_id: str
    title: str
    unit: str
    lines: list[TableLine]
    area_name: str
    stand_in_name: str | None
    svg: Markup | None
    alt_text: str
    status_lead: str
    explanation: str
    comparison: str
    target: str
    sources: IndicatorSources
    surveys: list[str]
    descriptive: bool = False  # followed without assessment: no status, the trend in words
    measure_stand_in: str | None = None  # what the document asks for, when this is a stand-in


@dataclass(frozen=True)
class KpiSource:
    kpi_id: str
    url: str
    producer: str | None


@dataclass(frozen=True)
class IndicatorSources:
    """Where an indicator's values come from: Kolada KPIs (with producer), or imported tables."""

    kpis: list[KpiSource]
    imported: list[str]


def indicator_sources(indicator: Mapping[str, Any]) -> IndicatorSources:
    series = list(dict.fromkeys(s for c in SERIES_COLUMNS if (s := indicator.get(c))))
    producers = kpi_producers()
    kpis = [
        KpiSource(kpi_id, kolada_kpi_url(kpi_id), producers.get(kpi_id))
        for s in series
        if s.startswith("kolada:") and (kpi_id := s.removeprefix("kolada:"))
    ]
    return IndicatorSources(kpis, [s for s in series if not s.startswith("kolada:")])


def row_surveys(rows: Sequence[Mapping[str, Any] | None]) -> list[str]:
    """The surveys the status rows' values come from, by name, in first-seen order."""
    tags = [
        tag
        for row in rows
        if row is not None
        for tag in (row.get("survey"), row.get("baseline_survey"), row.get("latest_survey"))
        if tag
    ]
    return [survey_name(tag) for tag in dict.fromkeys(tags)]


def _table_lines(entry: IndicatorEntry) -> list[TableLine]:
    rows = [("T", entry.total)] + [(row["gender"], row) for row in entry.by_gender]
    total_survey = (entry.total or {}).get("survey")
    return [
        TableLine(
            gender=gender,
            name=entry.indicator["title"] if gender == "T" else GENDER_NAMES[gender],
            row=_display_row(row or {}, str(entry.indicator["unit"])),
            explanation=str((row or {}).get("explanation") or (row or {}).get("reason") or ""),
            # named on the total's line, and on a gender's line only where it differs
            survey=survey if gender == "T" or survey != total_survey else None,
        )
        for gender, row in rows
        for survey in [(row or {}).get("survey")]
    ]


def _display_row(row: Mapping[str, Any], unit: str) -> dict[str, Any]:
    """The fields a table row shows; absent ones are None, so the template prints "–".

    `change_text` is the change as shown: the displayed values' difference with its margin.
    """
    fields = (
        "baseline_year",
        "baseline_value",
        "latest_year",
        "latest_value",
        "change",
        "target_value",
        "status",
        "status_label",
    )
    return {name: row.get(name) for name in fields} | {"change_text": change_text(row, unit)}


def _indicator_view(
    ctx: ReportContext, entry: IndicatorEntry, svgs: Mapping[str, str]
) -> IndicatorView:
    iid = entry.indicator["indicator_id"]
    row = entry.total or {}
    descriptive = is_descriptive(entry.indicator)
    explanation = (
        descriptive_sentence(str(entry.indicator["unit"]), _area_points(entry))
        if descriptive
        else str(row.get("explanation") or row.get("reason") or "")
    )
    stand_in = ctx.group_id is not None and entry.shown_area_id == ctx.group_id
    return IndicatorView(
        indicator_id=iid,
        area_id=entry.shown_area_id,
        title=entry.indicator["title"],
        unit=str(entry.indicator["unit"]),
        lines=_table_lines(entry),
        area_name=entry.series_names["area"],
        stand_in_name=ctx.names.get(entry.shown_area_id, entry.shown_area_id) if stand_in else None,
        svg=trusted_svg(svgs.get(f"trend:{iid}")),
        alt_text=trend_alt_text_for(entry),
        status_lead="" if descriptive else _status_lead(row, explanation),
        explanation=explanation,
        comparison=_comparison(ctx, entry),
        target=target_text(entry.indicator, row),
        descriptive=descriptive,
        measure_stand_in=entry.indicator.get("stand_in") or None,
        sources=indicator_sources(entry.indicator),
        surveys=row_surveys([entry.total, *entry.by_gender]),
    )


def _area_points(entry: IndicatorEntry) -> pl.DataFrame:
    """The shown area's own series (one survey) for the trend sentence."""
    return entry.points.filter(pl.col("role") == "area", pl.col("primary")).select(
        "period", "value"
    )


def _assumption_notes(entries: Sequence[IndicatorEntry]) -> list[str]:
    """The page's baseline assumptions, once each (the source names no baseline year)."""
    notes = (
        baseline_assumption(entry.indicator.get("baseline_basis"), entry.indicator["baseline_year"])
        for entry in entries
        if not is_descriptive(entry.indicator)
    )
    return list(dict.fromkeys(note for note in notes if note))


def _comparison(ctx: ReportContext, entry: IndicatorEntry) -> str:
    row = entry.total or {}
    unit = str(entry.indicator["unit"])
    parts = []
    if row.get("county_value") is not None and entry.shown_area_id != ctx.county_id:
        county_name = entry.series_names.get("county", "Länet")
        parts.append(f"{county_name} {format_value(row['county_value'], unit)}")
    if row.get("riket_value") is not None:
        parts.append(f"Riket {format_value(row['riket_value'], unit)}")
    text = ""
    if parts:
        year = f" ({row['latest_year']})" if row.get("latest_year") else ""
        text = f"Jämförelse{year}: " + ", ".join(parts) + "."
    if row.get("rank") is not None and row.get("rank_of"):
        third = f", {row['rank_third']}" if row.get("rank_third") else ""
        ranked = f" ({row['rank_year']})" if row.get("rank_year") else ""
        text += f" Plats {row['rank']} av {row['rank_of']} bland länets kommuner{ranked}{third}."
    if row.get("gap_widened"):
        text += " Skillnaden mellan kvinnor och män har ökat."
    if row.get("comparison_note"):
        text += f" {row['comparison_note']}"
    text += _next_data(ctx, entry, row)
    return text.strip()


def _next_data(ctx: ReportContext, entry: IndicatorEntry, row: Mapping[str, Any]) -> str:
    """When the next value is expected, and whether it can come before the target year."""
    text = ""
    text += next_value_text(row.get("next_publication"), ctx.data_date)
    target_year = entry.indicator.get("target_year")
    if row.get("no_new_before_target") and target_year and target_year >= ctx.report_year:
        text += f" Inget nytt värde hinner komma före målåret {target_year}."
    return text


def _status_lead(row: Mapping[str, Any], explanation: str) -> str:
    """The status before the sentence: the symbol alone when the sentence names the status."""
    style = status_style(row.get("status"))
    label = row.get("status_label") or style.label
    return style.symbol if label in explanation else f"{status_text(style.code, label)}."


def trend_alt_text_for(entry: IndicatorEntry) -> str:
    from reports.charts import is_value_card, trend_alt_text, value_card_alt_text

    if is_value_card(entry.points):
        return value_card_alt_text(
            entry.points, entry.indicator, entry.total or {}, entry.series_names
        )
    return trend_alt_text(entry.indicator, entry.total or {}, entry.series_names, entry.points)


def _summary_counts(entries: Sequence[IndicatorEntry]) -> dict[str, int]:
    codes = [
        (entry.total or {}).get("status") or "not_assessable"
        for entry in entries
        if not is_descriptive(entry.indicator)  # followed without a status: nothing to count
    ]
    return {style.code: codes.count(style.code) for style in STATUSES}


@dataclass(frozen=True)
class CountsRow:
    name: str
    href: str | None
    counts: list[int]


def _counts_rows(ctx: ReportContext, links: set[str] | None = None) -> list[CountsRow]:
    area_ids = [*ctx.municipalities, ctx.county_id]
    counts = status_counts(ctx, area_ids)
    return [
        CountsRow(
            name=ctx.names.get(area_id, area_id),
            href=ctx.page_name(area_id) if links is not None and area_id in links else None,
            counts=counts.filter(pl.col("area_id") == area_id)["count"].to_list(),
        )
        for area_id in area_ids
    ]


def _county_view(ctx: ReportContext, svgs: Mapping[str, str]) -> dict[str, Any]:
    rankings = [
        {
            "title": indicator["title"],
            "svg": trusted_svg(svgs[key]),
            "alt_text": ranking_alt_for(ctx, indicator),
        }
        for indicator in ctx.indicators
        if (key := f"ranking:{indicator['indicator_id']}") in svgs
    ]
    return {
        "heatmap": trusted_svg(svgs.get("heatmap")),
        "counts": _counts_rows(ctx),
        "counts_chart": trusted_svg(svgs.get("counts")),
        "rankings": rankings,
    }


def ranking_alt_for(ctx: ReportContext, indicator: Mapping[str, Any]) -> str:
    values = ranking_values(ctx, indicator).filter(pl.col("value").is_not_null()).sort("rank")
    unit = str(indicator["unit"])
    items = ", ".join(
        f"{row['rank'] or ''} {row['name']} {format_value(row['value'], unit)}".strip()
        for row in values.iter_rows(named=True)
    )
    return f"Punktdiagram: {indicator['title']}, senaste värde per kommun: {items}."


def area_page_html(ctx: ReportContext, area_id: str, svgs: Mapping[str, str]) -> str:
    """One area's page: summary, per goal area a table and a trend chart per indicator."""
    entries = page_entries(ctx, area_id)
    name = ctx.names.get(area_id, area_id)
    views = [_indicator_view(ctx, entry, svgs) for entry in entries]
    goal_areas = list(dict.fromkeys(entry.indicator["goal_area"] for entry in entries))
    return render_page(
        "area.html.j2",
        **_page_values(ctx, f"Aktuellt perspektiv {ctx.report_year}: {name}"),
        summary=_summary_counts(entries),
        assumptions=_assumption_notes(entries),
        county=_county_view(ctx, svgs) if area_id == ctx.county_id else None,
        about=_about_view(ctx, area_id, entries),
        goal_areas=[
            (
                goal_area,
                [
                    view
                    for view, entry in zip(views, entries, strict=True)
                    if entry.indicator["goal_area"] == goal_area
                ],
            )
            for goal_area in goal_areas
        ],
    )


def _about_view(
    ctx: ReportContext, area_id: str, entries: Sequence[IndicatorEntry]
) -> dict[str, Any]:
    """What "Om rapporten" says about this page: years, surveys and a county stand-in."""
    stand_ins = {e.shown_area_id for e in entries if e.shown_area_id == ctx.group_id}
    return {
        "area_name": ctx.names.get(area_id, area_id),
        "baseline_years": _years_text(e.indicator.get("baseline_year") for e in entries),
        "target_years": _years_text(e.indicator.get("target_year") for e in entries),
        "surveys": list(
            dict.fromkeys(s for e in entries for s in row_surveys([e.total, *e.by_gender]))
        ),
        "stand_in_name": ctx.names.get(ctx.group_id, ctx.group_id)
        if ctx.group_id and stand_ins
        else None,
    }


def _years_text(years: Iterable[Any]) -> str:
    """2017 or "2017 och 2019": the distinct years, in order."""
    distinct = sorted({int(y) for y in years if y is not None})
    return (
        " och ".join(str(y) for y in distinct)
        if len(distinct) < 3
        else (", ".join(str(y) for y in distinct[:-1]) + f" och {distinct[-1]}")
    )


def index_page_html(
    ctx: ReportContext, linked: Sequence[str] | None = None, pdf: bool = True
) -> str:
    """The county overview: links to the area pages (linked: those written; default all) and
    their PDFs when printed, and the status counts per area."""
    pages = set(linked) if linked is not None else {*ctx.municipalities, ctx.county_id}
    heading = f"Aktuellt perspektiv {ctx.report_year}: {ctx.region_name} och länets kommuner"
    labels = {ctx.county_id: f"{ctx.region_name}: länet, med statuskarta och jämförelser"}
    links = [
        {
            "href": ctx.page_name(area_id),
            "label": labels.get(area_id, ctx.names.get(area_id, area_id)),
            "pdf_href": ctx.page_name(area_id).replace(".html", ".pdf") if pdf else None,
        }
        for area_id in [ctx.county_id, *ctx.municipalities]
        if area_id in pages
    ]
    return render_page(
        "index.html.j2",
        **_page_values(ctx, heading, back_link=False),
        links=links,
        counties=_followed_counties(ctx),
        counts=_counts_rows(ctx, links=pages),
    )


def _followed_counties(ctx: ReportContext) -> list[dict[str, Any]]:
    """The counties the warehouse follows (each has its own report, `--county`); none listed
    when it follows only this one."""
    if len(ctx.followed_counties) < 2:
        return []
    return [
        {
            "name": ctx.names.get(county, county),
            "county_id": county,
            "this_report": county == ctx.county_id,
        }
        for county in ctx.followed_counties
    ]


# --- the writer ------------------------------------------------------------------------------

_worker_context: list[ReportContext] = []


def set_worker_context(ctx: ReportContext) -> None:
    """Pool initializer: the context arrives once per worker process."""
    _worker_context[:] = [ctx]


def worker_context() -> ReportContext:
    if not _worker_context:
        raise RuntimeError("no report context in this process: set_worker_context first")
    return _worker_context[0]


def area_page(area_id: str) -> str:
    """An area's page as HTML, its charts rendered to SVG (runs in a worker)."""
    ctx = worker_context()
    charts = area_charts(ctx, area_id)
    svgs = {key: spec_to_svg(chart.to_dict(validate=False)) for key, chart in charts.items()}
    return area_page_html(ctx, area_id, svgs)


def largest_first(ctx: ReportContext, area_ids: Sequence[str]) -> list[int]:
    """The order to hand areas to workers: the region first, whose page also holds the county
    charts (about three areas' work), so that no worker is left with it alone at the end."""
    return sorted(range(len(area_ids)), key=lambda i: area_ids[i] != ctx.county_id)


def build_report(
    ctx: ReportContext,
    out_dir: Path,
    area_ids: Sequence[str] | None = None,
    pdf: bool = True,
    workers: int = 2,
    progress: ProgressDisplay = QUIET,
) -> list[Path]:
    """Write index.html, one page per area (the region's holds the county charts), and PDFs.

    Returns the written paths. area_ids limits the area pages (default: every municipality of
    the county and the region). Build `ctx` with report_context().
    """
    page_areas = list(area_ids) if area_ids is not None else [*ctx.municipalities, ctx.county_id]
    unknown = [a for a in page_areas if a not in ctx.names]
    if unknown:
        raise ValueError(f"unknown area ids: {', '.join(unknown)}")

    # Each worker builds, converts and writes out whole areas: the pages' own Python work
    # runs on every core too.
    order = largest_first(ctx, page_areas)
    with progress.phase("Diagram per sida", len(page_areas)) as advance:
        rendered = parallel_map(
            area_page,
            [page_areas[i] for i in order],
            workers,
            set_worker_context,
            (ctx,),
            on_done=lambda i: advance(ctx.names.get(page_areas[order[i]], page_areas[order[i]])),
        )
    by_area = {page_areas[i]: html for i, html in zip(order, rendered, strict=True)}

    out_dir.mkdir(parents=True, exist_ok=True)
    pages = [out_dir / "index.html"]
    pages[0].write_text(index_page_html(ctx, page_areas, pdf=pdf), encoding="utf-8")
    for area_id in page_areas:
        path = out_dir / ctx.page_name(area_id)
        path.write_text(by_area[area_id], encoding="utf-8")
        pages.append(path)
    written = list(pages)
    if pdf:
        from reports.pdf import print_pdfs

        with progress.phase("PDF", len(pages)) as advance:
            written += print_pdfs(pages, on_done=lambda path: advance(path.name))
    return written
