"""The report pages: pure functions from frames (and rendered SVGs) to HTML, and one writer.

Every text from catalogs and Kolada goes through html.escape; the SVGs come from vl-convert,
which escapes their text itself. Pages are self-contained: inline CSS and SVG, no scripts, no
network requests, lang="sv", printable on A4.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl

from models.areas import RIKET_ID
from models.status import STATUS_BY_CODE, STATUSES
from models.swedish import format_date
from reports.charts import ranking_chart, status_count_chart, status_heatmap_chart, trend_chart
from reports.render import parallel_map, spec_to_svg
from reports.series import indicator_points
from reports.text import (
    SOURCE_PROCESSED,
    SOURCE_VALUES,
    data_date_text,
    format_change,
    format_value,
    slugify,
    status_text,
    target_text,
)

GENDER_NAMES = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}


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
    )


def _has_values(row: Mapping[str, Any] | None) -> bool:
    return row is not None and (
        row.get("latest_value") is not None or row.get("baseline_value") is not None
    )


def _has_points(ctx: ReportContext, indicator: Mapping[str, Any], area_id: str) -> bool:
    return indicator_points(ctx.observations, indicator, [area_id]).height > 0


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
    points: pl.DataFrame  # role, period, value, ci_low, ci_high
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
                indicator_points(ctx.observations, indicator, [role_area]).with_columns(
                    role=pl.lit(role)
                )
                for role, role_area in roles.items()
            ]
        )
        total = ctx.row(iid, shown)
        if total is None and points.filter(pl.col("role") == "area").height == 0:
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


def area_charts(ctx: ReportContext, area_id: str) -> dict[str, alt.TopLevelMixin]:
    """Every chart on an area's page by key; the county page adds the county charts."""
    charts: dict[str, alt.TopLevelMixin] = {}
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
    found = ctx.observations.filter(
        (pl.col("series_id") == indicator["series_id"])
        & (pl.col("area_id") == area_id)
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


# --- HTML -------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1a1a1a;
  background: #fff; margin: 0 auto; max-width: 60rem; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; border-bottom: 2px solid #1a1a1a; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.meta { color: #404040; margin: .1rem 0; }
nav a, a { color: #0a4f8a; }
table { border-collapse: collapse; width: 100%; font-size: .8rem; margin: .5rem 0 1rem; }
table.summary { width: auto; min-width: 24rem; }
tr.explanation td { color: #333; font-size: .75rem; padding: 0 .35rem .45rem 1.2rem; }
tr.explanation.gender td { padding-left: 2.2rem; }
tbody tr:not(.explanation):has(+ tr.explanation) > * { border-bottom: none; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border-bottom: 1px solid #bfbfbf; padding: .25rem .35rem; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #1a1a1a; background: #f2f2f2; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.change { white-space: normal; min-width: 6rem; }
tr.gender th { padding-left: 1.2rem; font-weight: normal; }
td.status, th.status { min-width: 9rem; }
.status .symbol { display: inline-block; min-width: 1.3em; text-align: center;
  border: 1px solid #8c8c8c; border-radius: 3px; margin-right: .3em; }
figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
section.indicator { break-inside: avoid; page-break-inside: avoid; margin-bottom: 1.2rem; }
p.explanation { margin: .3rem 0; }
p.note, p.source { font-size: .8rem; color: #404040; margin: .2rem 0; }
footer { margin-top: 2rem; border-top: 1px solid #8c8c8c; font-size: .8rem; color: #404040; }
.nodata { font-style: italic; color: #404040; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  a { color: #1a1a1a; text-decoration: none; }
}
"""


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _status_cell(code: str | None, header: bool = False, label: str | None = None) -> str:
    style = STATUS_BY_CODE.get(code or "not_assessable", STATUS_BY_CODE["not_assessable"])
    tag, scope = ("th", ' scope="row"') if header else ("td", "")
    return (
        f'<{tag}{scope} class="status"><span class="symbol" aria-hidden="true" '
        f'style="background:{style.colour};color:{_ink(style.code)}">{escape(style.symbol)}</span>'
        f"{escape(label or style.label)}</{tag}>"
    )


def _ink(code: str) -> str:
    return "#ffffff" if code == "improving" else "#1a1a1a"


def _figure(svg: str | None, alt_text: str, caption: str = "") -> str:
    if svg is None:
        return ""
    caption_html = f"<figcaption class='note'>{escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure><div role="img" aria-label="{escape(alt_text)}">{svg}</div>'
        f"{caption_html}</figure>"
    )


def _header(ctx: ReportContext, heading: str, back_link: bool = True) -> str:
    nav = '<nav><a href="index.html">Till översikten</a></nav>' if back_link else ""
    return (
        f"<header>{nav}<h1>{escape(heading)}</h1>"
        f'<p class="meta">{escape(ctx.catalog_title)} · Rapportår {ctx.report_year}</p>'
        f'<p class="meta">{escape(data_date_text(ctx.data_date))}</p></header>'
    )


def _footer(ctx: ReportContext) -> str:
    return (
        "<footer><p>Värden: "
        f"{escape(SOURCE_VALUES)}. Förändringar, mål och status: {escape(SOURCE_PROCESSED)}.</p>"
        f"<p>{escape(data_date_text(ctx.data_date))}. "
        f"Katalog: {escape(ctx.catalog_title)}.</p></footer>"
    )


def _summary_table(ctx: ReportContext, entries: Sequence[IndicatorEntry]) -> str:
    codes = [(entry.total or {}).get("status") or "not_assessable" for entry in entries]
    rows = "".join(
        f"<tr>{_status_cell(style.code, header=True)}"
        f'<td class="num">{codes.count(style.code)}</td></tr>'
        for style in STATUSES
    )
    return (
        '<table class="summary"><caption>Antal indikatorer per status</caption>'
        '<thead><tr><th scope="col">Status</th><th scope="col">Antal</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


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


def _indicator_rows(entry: IndicatorEntry) -> str:
    unit = str(entry.indicator["unit"])
    iid = escape(entry.indicator["indicator_id"])
    area = escape(entry.shown_area_id)
    html_rows = []
    rows = [("T", entry.total)] + [(row["gender"], row) for row in entry.by_gender]
    for gender, row in rows:
        row = row or {}
        name = escape(entry.indicator["title"]) if gender == "T" else GENDER_NAMES[gender]
        css = "" if gender == "T" else ' class="gender"'
        explanation = escape(str(row.get("explanation") or row.get("reason") or ""))
        html_rows.append(
            f'<tr{css} data-indicator="{iid}" data-area="{area}" data-gender="{gender}">'
            f'<th scope="row">{name}</th>'
            f'<td class="num">{row.get("baseline_year") or "–"}</td>'
            f'<td class="num">{escape(format_value(row.get("baseline_value"), unit))}</td>'
            f'<td class="num">{row.get("latest_year") or "–"}</td>'
            f'<td class="num">{escape(format_value(row.get("latest_value"), unit))}</td>'
            f'<td class="num change">{escape(format_change(row.get("change"), unit))}</td>'
            f'<td class="num">{escape(format_value(row.get("target_value"), unit))}</td>'
            f"{_status_cell(row.get('status'), label=row.get('status_label'))}</tr>"
        )
        if explanation:
            # The sentence gets its own full-width row: in a column it would squeeze the numbers.
            html_rows.append(
                f'<tr class="explanation{" gender" if gender != "T" else ""}">'
                f'<td colspan="{len(TABLE_COLUMNS)}">{explanation}</td></tr>'
            )
    return "".join(html_rows)


def _indicator_table(goal_area: str, entries: Sequence[IndicatorEntry]) -> str:
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in TABLE_COLUMNS)
    body = "".join(_indicator_rows(entry) for entry in entries)
    return (
        f'<table class="indicators"><caption>{escape(goal_area)}: indikatorer och status'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


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
    return f'<p class="note">{escape(text.strip())}</p>' if text.strip() else ""


def _next_data(ctx: ReportContext, entry: IndicatorEntry, row: Mapping[str, Any]) -> str:
    """When the next value is expected, and whether it can come before the target year."""
    text = ""
    if row.get("next_publication") is not None:
        text += f" Nästa värde väntas {format_date(row['next_publication'])}."
    target_year = entry.indicator.get("target_year")
    if row.get("no_new_before_target") and target_year and target_year >= ctx.report_year:
        text += f" Inget nytt värde hinner komma före målåret {target_year}."
    return text


def _indicator_section(ctx: ReportContext, entry: IndicatorEntry, svgs: Mapping[str, str]) -> str:
    iid = entry.indicator["indicator_id"]
    row = entry.total or {}
    stand_in = ""
    if ctx.group_id and entry.shown_area_id == ctx.group_id:
        stand_in = (
            f'<p class="note">Regionen har inga egna värden för indikatorn; länet redovisas som '
            f"{escape(ctx.names.get(ctx.group_id, ctx.group_id))}.</p>"
        )
    key = f"trend:{iid}"
    figure = (
        _figure(svgs.get(key), trend_alt_text_for(entry))
        if key in svgs
        else f'<p class="nodata">Inga värden för {escape(entry.series_names["area"])}.</p>'
    )
    explanation = row.get("explanation") or row.get("reason") or ""
    return (
        f'<section class="indicator" id="{escape(iid)}">'
        f"<h3>{escape(entry.indicator['title'])}</h3>{stand_in}{figure}"
        f'<p class="explanation"><strong>{escape(_status_lead(row, str(explanation)))}</strong> '
        f"{escape(str(explanation))}</p>"
        f"{_comparison(ctx, entry)}"
        f'<p class="source">{escape(target_text(entry.indicator, row))}. '
        f"{escape(SOURCE_VALUES)}. {escape(SOURCE_PROCESSED)} (förändring, mål, status)."
        "</p></section>"
    )


def _status_lead(row: Mapping[str, Any], explanation: str) -> str:
    """The status before the sentence: the symbol alone when the sentence names the status."""
    style = STATUS_BY_CODE.get(
        row.get("status") or "not_assessable", STATUS_BY_CODE["not_assessable"]
    )
    label = row.get("status_label") or style.label
    return style.symbol if label in explanation else f"{status_text(style.code, label)}."


def trend_alt_text_for(entry: IndicatorEntry) -> str:
    from reports.charts import trend_alt_text

    return trend_alt_text(entry.indicator, entry.total or {}, entry.series_names)


def area_page_html(ctx: ReportContext, area_id: str, svgs: Mapping[str, str]) -> str:
    """One area's page: summary, per goal area a table and a trend chart per indicator."""
    entries = page_entries(ctx, area_id)
    name = ctx.names.get(area_id, area_id)
    parts = [_header(ctx, f"Aktuellt perspektiv {ctx.report_year}: {name}")]
    parts.append("<main>")
    parts.append("<h2>Sammanfattning</h2>")
    parts.append(_summary_table(ctx, entries))
    if area_id == ctx.county_id:
        parts.append(_county_section(ctx, svgs))
    goal_areas = list(dict.fromkeys(entry.indicator["goal_area"] for entry in entries))
    for goal_area in goal_areas:
        in_goal = [entry for entry in entries if entry.indicator["goal_area"] == goal_area]
        parts.append(f"<h2>{escape(goal_area)}</h2>")
        parts.append(_indicator_table(goal_area, in_goal))
        parts.extend(_indicator_section(ctx, entry, svgs) for entry in in_goal)
    parts.append("</main>")
    parts.append(_footer(ctx))
    return _document(f"Aktuellt perspektiv {ctx.report_year}: {name}", "\n".join(parts))


def _county_section(ctx: ReportContext, svgs: Mapping[str, str]) -> str:
    parts = ["<h2>Länets kommuner</h2>"]
    if "heatmap" in svgs:
        parts.append(
            _figure(
                svgs["heatmap"],
                "Status per kommun och indikator; samma uppgifter finns i tabellen nedan.",
            )
        )
    parts.append(_counts_table(ctx))
    if "counts" in svgs:
        parts.append(
            _figure(
                svgs["counts"],
                "Antal indikatorer per status och kommun; samma uppgifter finns i tabellen ovan.",
            )
        )
    rankings = [ind for ind in ctx.indicators if f"ranking:{ind['indicator_id']}" in svgs]
    if rankings:
        parts.append("<h2>Kommunernas senaste värden</h2>")
        parts.append(
            '<p class="note">Rangordningen visar bara läget jämfört med andra kommuner, '
            "inte om målet nås; den färgas därför aldrig som status.</p>"
        )
        for indicator in rankings:
            key = f"ranking:{indicator['indicator_id']}"
            parts.append(
                f'<section class="indicator"><h3>{escape(indicator["title"])}</h3>'
                f"{_figure(svgs[key], ranking_alt_for(ctx, indicator))}</section>"
            )
    return "\n".join(parts)


def ranking_alt_for(ctx: ReportContext, indicator: Mapping[str, Any]) -> str:
    values = ranking_values(ctx, indicator).filter(pl.col("value").is_not_null()).sort("rank")
    unit = str(indicator["unit"])
    items = ", ".join(
        f"{row['rank'] or ''} {row['name']} {format_value(row['value'], unit)}".strip()
        for row in values.iter_rows(named=True)
    )
    return f"Punktdiagram: {indicator['title']}, senaste värde per kommun: {items}."


def _counts_table(ctx: ReportContext, links: set[str] | None = None) -> str:
    counts = status_counts(ctx, [*ctx.municipalities, ctx.county_id])
    head = "".join(
        f'<th scope="col" title="{escape(style.label)}">{escape(style.symbol)} '
        f"{escape(style.label)}</th>"
        for style in STATUSES
    )
    body = []
    for area_id in [*ctx.municipalities, ctx.county_id]:
        name = escape(ctx.names.get(area_id, area_id))
        linked = links is not None and area_id in links
        label = f'<a href="{escape(ctx.page_name(area_id))}">{name}</a>' if linked else name
        cells = "".join(
            f'<td class="num">{n}</td>'
            for n in counts.filter(pl.col("area_id") == area_id)["count"].to_list()
        )
        body.append(f'<tr><th scope="row">{label}</th>{cells}</tr>')
    return (
        '<table class="counts"><caption>Antal indikatorer per status och område</caption>'
        f'<thead><tr><th scope="col">Område</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def index_page_html(ctx: ReportContext, linked: Sequence[str] | None = None) -> str:
    """The county overview: links to the area pages (linked: those written; default all),
    and the status counts per area."""
    pages = set(linked) if linked is not None else {*ctx.municipalities, ctx.county_id}
    heading = f"Aktuellt perspektiv {ctx.report_year}: {ctx.region_name} och länets kommuner"
    parts = [_header(ctx, heading, back_link=False), "<main>"]
    parts.append("<h2>Rapporter</h2><ul>")
    labels = {ctx.county_id: f"{ctx.region_name}: länet, med statuskarta och jämförelser"}
    parts.extend(
        f'<li><a href="{escape(ctx.page_name(area_id))}">'
        f"{escape(labels.get(area_id, ctx.names.get(area_id, area_id)))}</a> "
        f'(<a href="{escape(ctx.page_name(area_id).replace(".html", ".pdf"))}">PDF</a>)</li>'
        for area_id in [ctx.county_id, *ctx.municipalities]
        if area_id in pages
    )
    parts.append("</ul>")
    parts.append(_followed_counties(ctx))
    parts.append("<h2>Översikt</h2>")
    parts.append(_counts_table(ctx, links=pages))
    parts.append(
        '<p class="note">Status per indikator räknas på totalen (kvinnor och män '
        "tillsammans). Förklaringar finns på varje områdes sida.</p>"
    )
    parts.append("</main>")
    parts.append(_footer(ctx))
    return _document(heading, "\n".join(parts))


def _followed_counties(ctx: ReportContext) -> str:
    """The counties the warehouse follows; each has its own report (`--county`)."""
    if len(ctx.followed_counties) < 2:
        return ""
    items = "".join(
        f"<li>{escape(ctx.names.get(county, county))} ({escape(county)})"
        + (" – den här rapporten" if county == ctx.county_id else "")
        + "</li>"
        for county in ctx.followed_counties
    )
    return f"<h2>Följda län</h2><ul>{items}</ul>"


# --- the writer ------------------------------------------------------------------------------

_worker_context: list[ReportContext] = []


def set_worker_context(ctx: ReportContext) -> None:
    """Pool initializer: the context arrives once per worker process."""
    _worker_context[:] = [ctx]


def worker_context() -> ReportContext:
    if not _worker_context:
        raise RuntimeError("no report context in this process: set_worker_context first")
    return _worker_context[0]


def area_svgs(area_id: str) -> dict[str, str]:
    """Every chart of an area's page as SVG, by key (runs in a worker)."""
    charts = area_charts(worker_context(), area_id)
    return {key: spec_to_svg(chart.to_dict(validate=False)) for key, chart in charts.items()}


def build_report(
    ctx: ReportContext,
    out_dir: Path,
    area_ids: Sequence[str] | None = None,
    pdf: bool = True,
    workers: int = 2,
) -> list[Path]:
    """Write index.html, one page per area (the region's holds the county charts), and PDFs.

    Returns the written paths. area_ids limits the area pages (default: every municipality of
    the county and the region). Build `ctx` with report_context().
    """
    page_areas = list(area_ids) if area_ids is not None else [*ctx.municipalities, ctx.county_id]
    unknown = [a for a in page_areas if a not in ctx.names]
    if unknown:
        raise ValueError(f"unknown area ids: {', '.join(unknown)}")

    # Each worker builds and converts whole areas: building Altair specs costs about as much
    # as converting them, so both run on every core.
    rendered = parallel_map(area_svgs, page_areas, workers, set_worker_context, (ctx,))
    by_area = dict(zip(page_areas, rendered, strict=True))

    out_dir.mkdir(parents=True, exist_ok=True)
    pages = [out_dir / "index.html"]
    pages[0].write_text(index_page_html(ctx, page_areas), encoding="utf-8")
    for area_id in page_areas:
        path = out_dir / ctx.page_name(area_id)
        path.write_text(area_page_html(ctx, area_id, by_area[area_id]), encoding="utf-8")
        pages.append(path)
    written = list(pages)
    if pdf:
        from reports.pdf import print_pdfs

        written += print_pdfs(pages)
    return written
