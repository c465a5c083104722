"""The report charts, one function each: pure functions of frames returning Altair charts.

Text inside a spec (titles, area names, labels) is data, never HTML: escaping belongs to the
pages that embed the rendered SVG (vl-convert escapes SVG text itself).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import polars as pl

from models.catalog import DESCRIPTIVE_SENTENCE
from models.status import STATUS_BY_CODE, STATUSES
from pipelines.wording import SURVEY_NAMES, survey_name
from reports.composition import titled
from reports.series import with_segments
from reports.spec_template import ChartSpec
from reports.text import (
    format_value,
    is_number,
    status_text,
    target_text,
    unit_label,
    window_note,
)
from reports.theme import (
    AREA_COLOUR,
    COUNTY_COLOUR,
    MUTED_TEXT,
    NEUTRAL_BAR,
    RIKET_COLOUR,
    TARGET_COLOUR,
    use_theme,
)
from reports.trend_template import TrendKind, trend_template, value_card_template

TARGET_PATH_LABEL = "Målbana"
STATUS_LABELS = [status_text(style.code) for style in STATUSES]
STATUS_COLOURS = [style.colour for style in STATUSES]
# Symbols in white where the status colour is dark, in black elsewhere (contrast ≥ 4.5:1).
DARK_STATUSES = ("improving",)
# Marker shapes: per role in a register chart; per survey where a chart shows survey values,
# the same shape for a survey in every chart.
ROLE_SHAPES = {"area": "circle", "county": "square", "riket": "triangle-up"}
SURVEY_SHAPES = {"livohalsa": "circle", "hlv": "square"}  # the target is a diamond
OTHER_SURVEY_SHAPE = "triangle-down"
WHISKER_NOTE = "Lodräta streck: 95 % konfidensintervall"


def trend_chart(
    points: pl.DataFrame,
    indicator: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    *,
    series_names: Mapping[str, str],
    footer: Sequence[str] = (),
    subtitle_first: Sequence[str] = (),
    subtitle_extra: Sequence[str] = (),
    width: int = 660,
    height: int = 240,
) -> ChartSpec:
    """The area, the county and Riket over time against the target.

    points: role (area, county, riket), period, value, ci_low, ci_high, and optionally survey
    and primary (reports.series.with_primary). series_names: the display name of each role.
    Marks the baseline, the target at the target year and the dashed target path; labels the
    latest value; draws intervals as whiskers where known, in each series' colour (method.md:
    each survey "with its own marker and, where known, its interval"); breaks lines at missing
    years. The status's own series is the line; another survey's values are hollow points.
    The spec is a template of its kind filled with this chart's values (trend_template).
    """
    use_theme()
    status = status or {}
    if is_value_card(points):
        return value_card_chart(
            points,
            indicator,
            status,
            series_names=series_names,
            footer=footer,
            subtitle_first=subtitle_first,
            subtitle_extra=subtitle_extra,
            width=width,
        )
    unit = str(indicator.get("unit"))
    points = with_point_columns(points)
    plotted = set(points.filter(pl.col("value").is_not_null())["role"].to_list())
    # A series without values has no line, so it has no legend entry either.
    roles = [r for r in ("area", "county", "riket") if r in series_names and r in plotted]
    names = [series_names[role] for role in roles]
    colours = {"area": AREA_COLOUR, "county": COUNTY_COLOUR, "riket": RIKET_COLOUR}
    dashes = {"area": [1, 0], "county": [5, 3], "riket": [2, 2]}

    shown = points.filter(pl.col("value").is_not_null(), pl.col("role").is_in(roles))
    markers = marker_names(shown, series_names)
    everything = shown.with_columns(
        series=pl.col("role").replace_strict(series_names, return_dtype=pl.String),
        marker=marker_expression(series_names),
        label=pl.col("value").map_elements(
            lambda value: format_value(value, unit), return_dtype=pl.String
        )
        + pl.when(pl.col("survey").is_not_null())
        .then(pl.lit(" (") + survey_name_expression() + ")")
        .otherwise(pl.lit("")),
    )
    # The line is the status's own series; another survey's values are points beside it.
    observed = (
        with_segments(everything, by=("role",))
        .filter(pl.col("primary"))
        .with_columns(
            line_key=pl.col("role")
            + "-"
            + pl.col("survey").fill_null("")
            + "-"
            + pl.col("segment").cast(pl.String),
        )
    )
    others = everything.filter(~pl.col("primary"))

    baseline_year, baseline_value = status.get("baseline_year"), status.get("baseline_value")
    target_year, target_value = status.get("target_year"), status.get("target_value")
    latest_year, latest_value = status.get("latest_year"), status.get("latest_value")
    target_year = target_year or indicator.get("target_year")
    periods = everything["period"].to_list()
    x_values = [*periods, *(y for y in (baseline_year, target_year) if y)]
    x_min, x_max = (min(x_values), max(x_values)) if x_values else (2010, 2025)

    path_rows: list[dict[str, Any]] = []
    if is_number(baseline_value) and is_number(target_value) and baseline_year and target_year:
        path_rows = [
            {"period": baseline_year, "value": baseline_value},
            {"period": target_year, "value": target_value},
        ]
        if x_max > target_year:
            path_rows.append({"period": x_max, "value": target_value})
    lines = pl.concat(
        [
            observed.select("period", "value", "series", "line_key"),
            pl.DataFrame(
                path_rows,
                schema={"period": pl.Int32, "value": pl.Float64},
            ).with_columns(series=pl.lit(TARGET_PATH_LABEL), line_key=pl.lit("target")),
        ],
        how="vertical_relaxed",
    )

    whiskers = interval_whiskers(everything)
    # End labels never collide: of the target and the latest value, the higher gets its label
    # above and the lower below; when both sit at nearly the same point, the latest value's
    # label yields (the table and the alt text still carry it).
    target_above, crowded = False, False
    if path_rows and is_number(latest_value) and latest_year:
        target_at, latest_at = float(target_value or 0.0), float(latest_value or 0.0)
        values = [*observed["value"].to_list(), target_at]
        span = (max(values) - min(values)) or 1.0
        target_above = target_at >= latest_at
        crowded = abs(latest_year - target_year) <= 1 and abs(latest_at - target_at) < 0.04 * span
    baseline = (
        [{"period": baseline_year, "value": baseline_value, "label": f"Basår {baseline_year}"}]
        if is_number(baseline_value) and baseline_year
        else []
    )
    target = (
        [
            {
                "period": target_year,
                "value": target_value,
                "label": f"Mål {target_year}: {format_value(target_value, unit)}",
            }
        ]
        if path_rows
        else []
    )
    latest = (
        [{"period": latest_year, "value": latest_value, "label": format_value(latest_value, unit)}]
        if is_number(latest_value) and latest_year and not crowded
        else []
    )
    means = means_marks(status, unit)
    legend_surveys = survey_legend_names(everything, markers)
    kind = TrendKind(
        width=width,
        height=height,
        footer_lines=len(footer),
        whiskers=whiskers.height > 0,
        others=others.height > 0,
        survey_legend=bool(legend_surveys),
        target_above=target_above,
        means=means.height > 0,
    )
    notes = chart_notes(everything, whiskers)
    subtitle = chart_subtitle(indicator, status, subtitle_first, [*notes, *subtitle_extra])
    point_columns = ["period", "value", "series", "marker", "label"]
    return trend_template(kind).fill(
        {
            # Room on the right for the end label, which grows with the number of years shown.
            "x_domain": [x_min - 0.3, x_max + max(0.8, 0.1 * (x_max - x_min))],
            "x_ticks": year_ticks(x_min, x_max),
            "y_title": unit_label(unit),
            "line_domain": [*names, TARGET_PATH_LABEL] if path_rows else names,
            "line_colours": [colours[r] for r in roles] + ([TARGET_COLOUR] if path_rows else []),
            "line_dashes": [dashes[r] for r in roles] + ([[6, 4]] if path_rows else []),
            "marker_domain": list(markers),
            "marker_shapes": list(markers.values()),
            "survey_names": legend_surveys,
            "title": str(indicator.get("title", "")),
            "subtitle": subtitle or "",
            "description": trend_alt_text(indicator, status, series_names, everything),
        },
        {
            "whiskers": whiskers.to_dicts(),
            "lines": lines.to_dicts(),
            "observed": observed.select(point_columns).to_dicts(),
            "others": others.select(point_columns).to_dicts(),
            "baseline": baseline,
            "target": target,
            "means": means.to_dicts(),
            "latest": latest,
            "footer": footer_rows(footer).to_dicts(),
        },
    )


# --- surveys, intervals and notes of a trend chart ---------------------------------------------


def with_point_columns(points: pl.DataFrame) -> pl.DataFrame:
    """Points as trend_chart reads them: a missing `survey` is register data (null) and a
    missing `primary` flag means every point is on the status's own series."""
    if "survey" not in points.columns:
        points = points.with_columns(survey=pl.lit(None, pl.String))
    if "primary" not in points.columns:
        points = points.with_columns(primary=pl.lit(True))
    return points


def survey_name_expression() -> pl.Expr:
    """The survey's name for readers, from its tag ("livohalsa" → "Liv & Hälsa")."""
    return pl.col("survey").replace_strict(
        SURVEY_NAMES, default=pl.col("survey"), return_dtype=pl.String
    )


def marker_expression(series_names: Mapping[str, str]) -> pl.Expr:
    """A point's marker: its survey's name, else (register data) its series' name."""
    return pl.coalesce(
        survey_name_expression(),
        pl.col("role").replace_strict(series_names, return_dtype=pl.String),
    )


def marker_names(points: pl.DataFrame, series_names: Mapping[str, str]) -> dict[str, str]:
    """Marker name → shape: the surveys shown (the area's line first), then the roles whose
    points carry no survey."""
    tagged = points.filter(pl.col("survey").is_not_null()).sort(
        pl.col("role") != "area", ~pl.col("primary"), "survey"
    )
    shapes = {
        survey_name(tag): SURVEY_SHAPES.get(tag, OTHER_SURVEY_SHAPE)
        for tag in dict.fromkeys(tagged["survey"].to_list())
    }
    untagged = set(points.filter(pl.col("survey").is_null())["role"].to_list())
    for role in ("area", "county", "riket"):
        if role in untagged and role in series_names:
            shapes.setdefault(series_names[role], ROLE_SHAPES[role])
    return shapes


def survey_legend_names(points: pl.DataFrame, markers: Mapping[str, str]) -> list[str]:
    """The surveys a chart shows, by name in marker order, for its survey legend."""
    tags = set(points.filter(pl.col("survey").is_not_null())["survey"].to_list())
    return [name for name in markers if name in {survey_name(tag) for tag in tags}]


def with_known_interval(points: pl.DataFrame) -> pl.DataFrame:
    """The drawn points (those with a value) whose interval is known."""
    known = ("value", "ci_low", "ci_high")
    return points.filter(*[pl.col(name).is_not_null() for name in known])


def interval_whiskers(points: pl.DataFrame) -> pl.DataFrame:
    """Every point with a known interval (the area's, the county's, Riket's), as whiskers in its
    series' colour; another survey's are fainter. `points` carry the series' display name."""
    return with_known_interval(points).select(
        "period",
        "ci_low",
        "ci_high",
        "series",
        whisker_opacity=pl.when(pl.col("primary")).then(0.6).otherwise(0.3),
    )


def other_surveys(points: pl.DataFrame) -> list[str]:
    """The names of the surveys shown beside the lines, not on them."""
    tags = points.filter(~pl.col("primary"), pl.col("survey").is_not_null())["survey"]
    return [survey_name(tag) for tag in sorted(set(tags.to_list()))]


def chart_notes(points: pl.DataFrame, whiskers: pl.DataFrame) -> list[str]:
    """Subtitle lines that say how to read the marks: another survey's points, intervals."""
    notes = []
    others = other_surveys(points)
    if others:
        notes.append(
            f"Ofyllda punkter: {' och '.join(others)}, en annan undersökning än statusens; "
            "de binds inte ihop med linjen"
        )
    if whiskers.height:
        notes.append(WHISKER_NOTE)
    return notes


MIN_LINE_POINTS = 3  # fewer of the area's own points make a value card, not a line


def chart_subtitle(
    indicator: Mapping[str, Any],
    status: Mapping[str, Any],
    first: Sequence[str],
    extra: Sequence[str],
) -> list[str]:
    """The subtitle lines of an indicator chart: the caller's first lines, the window note,
    the target and the caller's extra lines, leaving out any that are empty."""
    lines = (
        *first,
        window_note(indicator.get("window_years")),
        target_text(indicator, status),
        *extra,
    )
    return [line for line in lines if line]


def is_value_card(points: pl.DataFrame) -> bool:
    """Whether the area has too few values for a line chart (points as for trend_chart)."""
    own = points.filter(pl.col("role") == "area", pl.col("value").is_not_null())
    return own.height < MIN_LINE_POINTS


def value_card_chart(
    points: pl.DataFrame,
    indicator: Mapping[str, Any],
    status: Mapping[str, Any],
    *,
    series_names: Mapping[str, str],
    footer: Sequence[str] = (),
    subtitle_first: Sequence[str] = (),
    subtitle_extra: Sequence[str] = (),
    width: int = 660,
) -> ChartSpec:
    """The latest value as a large number, with its year, the comparison values of that year
    and any earlier value: a line through one or two points would say nothing."""
    lines = value_card_lines(points, indicator, series_names)
    subtitle = chart_subtitle(indicator, status, subtitle_first, subtitle_extra)
    return value_card_template(width, len(lines), len(footer)).fill(
        {
            "title": str(indicator.get("title", "")),
            "subtitle": subtitle or "",
            "description": value_card_alt_text(points, indicator, status, series_names),
        },
        {
            "card": [
                {"row": row, "text": text, "size": size, "colour": colour}
                for row, (text, size, colour) in enumerate(lines)
            ],
            "footer": footer_rows(footer).to_dicts(),
        },
    )


def value_card_lines(
    points: pl.DataFrame, indicator: Mapping[str, Any], series_names: Mapping[str, str]
) -> list[tuple[str, int, str]]:
    """(text, font size, colour) per line of a value card."""
    unit = str(indicator.get("unit"))
    own = (
        with_point_columns(points)
        .filter(pl.col("role") == "area", pl.col("value").is_not_null())
        .sort("primary", "period")  # the status's own series last: its latest value leads
    )
    if own.height == 0:
        return [(f"Inga värden för {series_names.get('area', '')}", 16, MUTED_TEXT)]
    latest = own.row(own.height - 1, named=True)
    year = latest["period"]
    from_survey = f" ({survey_name(latest['survey'])})" if latest["survey"] else ""
    lines = [
        (format_value(latest["value"], unit), 40, AREA_COLOUR),
        (f"{series_names.get('area', '')}, {year}{from_survey}", 15, AREA_COLOUR),
    ]
    if is_number(latest["ci_low"]) and is_number(latest["ci_high"]):
        interval = f"{format_value(latest['ci_low'], unit)}–{format_value(latest['ci_high'], unit)}"
        lines.append((f"95 % konfidensintervall: {interval}", 15, AREA_COLOUR))
    for role in ("county", "riket"):
        same_year = points.filter(
            pl.col("role") == role, pl.col("period") == year, pl.col("value").is_not_null()
        )
        if role in series_names and same_year.height:
            value = format_value(same_year["value"][0], unit)
            lines.append((f"{series_names[role]} {year}: {value}", 15, MUTED_TEXT))
    for earlier in own.head(own.height - 1).sort("period").iter_rows(named=True):
        value = format_value(earlier["value"], unit)
        other = earlier["survey"] != latest["survey"] and earlier["survey"]
        survey = f" ({survey_name(earlier['survey'])}, annan undersökning)" if other else ""
        lines.append((f"Tidigare: {earlier['period']}: {value}{survey}", 15, MUTED_TEXT))
    lines.append((f"Bara {own.height} mätår: för få för ett linjediagram.", 12, MUTED_TEXT))
    return lines


def value_card_alt_text(
    points: pl.DataFrame,
    indicator: Mapping[str, Any],
    status: Mapping[str, Any],
    series_names: Mapping[str, str],
) -> str:
    shown = [text for text, _, _ in value_card_lines(points, indicator, series_names)]
    text = f"Värdekort för {indicator.get('title', '')}: " + ". ".join(shown[:-1]) + ". "
    label = (
        status.get("status_label")
        or STATUS_BY_CODE.get(
            status.get("status") or "not_assessable", STATUS_BY_CODE["not_assessable"]
        ).label
    )
    return (text + f"Status: {label}.").strip()


def year_ticks(first: int, last: int, most: int = 8) -> list[int]:
    """Whole years from first to last, thinned to at most `most` labels so they never run
    together on a projector: every 2nd, 5th … year, always ending on the last."""
    span = last - first
    step = next(s for s in (1, 2, 5, 10, 20, 50) if span // s + 1 <= most or s == 50)
    ticks = list(range(last, first - 1, -step))
    return sorted(ticks)


def status_colour(columns: int = 2) -> alt.Color:
    """The status colour channel: the Okabe–Ito palette of models/status.py, one legend."""
    return alt.Color(
        "status_label:N",
        scale=alt.Scale(domain=STATUS_LABELS, range=STATUS_COLOURS),
        legend=alt.Legend(
            title=None,
            columns=columns,
            direction="vertical",
            orient="bottom",
            symbolType="square",
            symbolStrokeColor="#8c8c8c",
            symbolStrokeWidth=1,
        ),
    )


def status_heatmap_chart(
    cells: pl.DataFrame,
    *,
    title: str = "Status per kommun och indikator",
    footer: Sequence[str] = (),
) -> alt.TopLevelMixin:
    """Areas × indicators, each cell its status by colour and symbol.

    cells: area (name), indicator (display title), status (code); row and column order as given.
    """
    use_theme()
    frame = cells.with_columns(
        status_label=pl.col("status").map_elements(status_text, return_dtype=pl.String),
        symbol=pl.col("status").replace_strict(
            {s.code: s.symbol for s in STATUSES}, default="–", return_dtype=pl.String
        ),
        dark=pl.col("status").is_in(DARK_STATUSES),
    )
    areas = list(dict.fromkeys(frame["area"].to_list()))
    indicators = list(dict.fromkeys(frame["indicator"].to_list()))
    # Indicators as rows, so their whole titles read horizontally; areas as columns. Sized to
    # print 1:1 on one landscape A4 page, where 12 px labels are 9 pt.
    column, row = 26, 18
    x = alt.X(
        "area:N",
        sort=areas,
        title=None,
        axis=alt.Axis(orient="top", labelAngle=-45, labelLimit=0, labelFontSize=12),
    )
    y = alt.Y(
        "indicator:N", sort=indicators, title=None, axis=alt.Axis(labelLimit=0, labelFontSize=12)
    )
    base = alt.Chart(frame).encode(x=x, y=y)
    rects = base.mark_rect(stroke="#bfbfbf", strokeWidth=0.6).encode(
        color=status_colour(columns=4),
        tooltip=[
            alt.Tooltip("area:N", title="Område"),
            alt.Tooltip("indicator:N", title="Indikator"),
            alt.Tooltip("status_label:N", title="Status"),
        ],
    )
    symbols = base.mark_text(fontSize=12).encode(
        text=alt.Text("symbol:N"),
        color=_ink_condition("dark", "#ffffff", "#1a1a1a"),
    )
    plot = alt.layer(rects, symbols).properties(
        width=column * max(len(areas), 1), height=row * max(len(indicators), 1)
    )
    description = heatmap_alt_text(frame)
    return _titled(plot, title, [], footer, description, column * max(len(areas), 1))


def ranking_chart(
    values: pl.DataFrame,
    indicator: Mapping[str, Any],
    *,
    references: Mapping[str, float | None],
    year: int | None,
    highlight: str | None = None,
    footer: Sequence[str] = (),
    width: int = 460,
) -> alt.TopLevelMixin:
    """Latest value per municipality, best first, with the county and Riket as reference lines.

    values: name, value, rank (1 = best). One neutral colour: rank is never coloured like a
    status. references: label → value, e.g. {"Värmlands län": 80.1, "Riket": 82.0}.
    """
    use_theme()
    unit = str(indicator.get("unit"))
    frame = (
        values.filter(pl.col("value").is_not_null())
        .sort("rank", "name", nulls_last=True)
        .with_columns(
            row_label=pl.when(pl.col("rank").is_not_null())
            .then(pl.col("rank").cast(pl.String) + ". " + pl.col("name"))
            .otherwise(pl.col("name")),
            label=pl.col("value").map_elements(
                lambda value: format_value(value, unit), return_dtype=pl.String
            ),
            selected=pl.col("name") == (highlight or ""),
        )
    )
    order = frame["row_label"].to_list()
    x = alt.X("value:Q", title=unit_label(unit), scale=alt.Scale(zero=False, nice=True))
    y = alt.Y(
        "row_label:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelLimit=200, grid=True, gridDash=[1, 2]),
    )
    base = alt.Chart(frame).encode(x=x, y=y)
    layers: list[Any] = [
        base.mark_point(filled=True, size=90, opacity=1).encode(
            color=_ink_condition("selected", AREA_COLOUR, NEUTRAL_BAR),
            tooltip=[alt.Tooltip("name:N", title="Område"), alt.Tooltip("label:N", title="Värde")],
        ),
        # Values in a column right of the plot, clear of the points and the reference lines.
        base.mark_text(align="left", fontSize=11).encode(
            x=alt.XValue(width + 8), text=alt.Text("label:N")
        ),
    ]
    reference_rows = [
        {"reference": name, "value": value, "label": f"{name}: {format_value(value, unit)}"}
        for name, value in references.items()
        if is_number(value)
    ]
    if reference_rows:
        ref = pl.DataFrame(reference_rows)
        dash = alt.StrokeDash(
            "reference:N",
            scale=alt.Scale(
                domain=[r["reference"] for r in reference_rows],
                range=[[5, 3], [2, 2], [8, 2]][: len(reference_rows)],
            ),
            legend=None,
        )
        layers.append(
            alt.Chart(ref)
            .mark_rule(color="#1a1a1a", strokeWidth=1.4)
            .encode(x=alt.X("value:Q"), strokeDash=dash)
        )
        for position, row in enumerate(reference_rows):
            # Stacked above the plot, one line each, so close values never overprint.
            layers.append(
                alt.Chart(pl.DataFrame([row]))
                .mark_text(
                    align="left",
                    dx=4,
                    dy=-6 - 13 * position,
                    fontSize=10,
                    color="#1a1a1a",
                    baseline="bottom",
                )
                .encode(x=alt.X("value:Q"), y=alt.YValue(0), text=alt.Text("label:N"))
            )
    height = 18 * max(frame.height, 1)
    plot = alt.layer(*layers).properties(width=width, height=height)
    subtitle = [
        line
        for line in (
            f"Senaste värde{f' ({year})' if year else ''} per kommun, bäst först",
            window_note(indicator.get("window_years")),
            "Rangordningen är ingen bedömning av måluppfyllelse",
        )
        if line
    ]
    description = ranking_alt_text(frame, indicator, reference_rows, year)
    return _titled(plot, str(indicator.get("title", "")), subtitle, footer, description, width)


def status_count_chart(
    counts: pl.DataFrame,
    *,
    title: str = "Antal indikatorer per status",
    footer: Sequence[str] = (),
    width: int = 460,
) -> alt.TopLevelMixin:
    """How many indicators are in each status, per area, as stacked bars with symbols.

    counts: area (name), status (code), count; area order as given.
    """
    use_theme()
    order = {style.code: position for position, style in enumerate(STATUSES)}
    frame = (
        counts.filter(pl.col("count") > 0)
        .with_columns(order=pl.col("status").replace_strict(order, return_dtype=pl.Int32))
        .sort("order")
        .with_columns(end=pl.col("count").cum_sum().over("area"))
        .with_columns(
            start=pl.col("end") - pl.col("count"),
            status_label=pl.col("status").map_elements(status_text, return_dtype=pl.String),
            mark=pl.col("status").replace_strict(
                {s.code: s.symbol for s in STATUSES}, return_dtype=pl.String
            )
            + " "
            + pl.col("count").cast(pl.String),
            dark=pl.col("status").is_in(DARK_STATUSES),
        )
        .with_columns(middle=(pl.col("start") + pl.col("end")) / 2)
    )
    areas = list(dict.fromkeys(counts["area"].to_list()))
    y = alt.Y("area:N", sort=areas, title=None, axis=alt.Axis(labelLimit=0, labelFontSize=12))
    bars = (
        alt.Chart(frame)
        .mark_bar(stroke="#8c8c8c", strokeWidth=0.6, height=16)
        .encode(
            x=alt.X("start:Q", title="Antal indikatorer", axis=alt.Axis(tickMinStep=1)),
            x2=alt.X2("end:Q"),
            y=y,
            color=status_colour(),
            tooltip=[
                alt.Tooltip("area:N", title="Område"),
                alt.Tooltip("status_label:N", title="Status"),
                alt.Tooltip("count:Q", title="Antal"),
            ],
        )
    )
    labels = (
        alt.Chart(frame)
        .mark_text(fontSize=10)
        .encode(
            x=alt.X("middle:Q"),
            y=y,
            text=alt.Text("mark:N"),
            color=_ink_condition("dark", "#ffffff", "#1a1a1a"),
        )
    )
    plot = alt.layer(bars, labels).properties(width=width, height=22 * max(len(areas), 1))
    description = status_count_alt_text(frame)
    return _titled(plot, title, [], footer, description, width)


# --- alt texts --------------------------------------------------------------------------------


def trend_alt_text(
    indicator: Mapping[str, Any],
    status: Mapping[str, Any],
    series_names: Mapping[str, str],
    points: pl.DataFrame | None = None,
) -> str:
    area = series_names.get("area", "")
    others = [series_names[role] for role in ("county", "riket") if role in series_names]
    text = f"Linjediagram över {indicator.get('title', '')} för {area} över tid"
    if others:
        text += ", jämfört med " + " och ".join(others)
    text += ". "
    if points is not None:
        text += survey_alt_text(with_point_columns(points), area)
    explanation = status.get("explanation")
    if indicator.get("indicator_kind") == "descriptive":
        text += f"{DESCRIPTIVE_SENTENCE}. "
    if explanation:
        text += str(explanation).rstrip(".") + ". "
    code = status.get("status")
    if code in STATUS_BY_CODE:
        label = status.get("status_label") or STATUS_BY_CODE[code].label
        text += "" if label in text else f"Status: {label}."
    return text.strip()


def survey_alt_text(points: pl.DataFrame, area: str) -> str:
    """Which survey the area's line shows, which surveys are points beside it, and whether
    intervals are drawn: what the marks say that the status sentence does not."""
    text = ""
    own = points.filter(pl.col("role") == "area", pl.col("primary"), pl.col("survey").is_not_null())
    if own.height:
        text += (
            f"Linjen och de fyllda punkterna för {area} visar {survey_name(own['survey'][0])}, "
            "statusens undersökning. "
        )
    others = other_surveys(points)
    if others:
        text += (
            f"Värden från {' och '.join(others)} visas som separata ofyllda punkter, "
            "inte sammanbundna med linjen. "
        )
    if with_known_interval(points).height:
        text += "Lodräta streck visar 95 % konfidensintervall. "
    return text


def heatmap_alt_text(frame: pl.DataFrame) -> str:
    parts = []
    for (area,), rows in frame.group_by(["area"], maintain_order=True):
        counts = rows.group_by("status_label", maintain_order=True).len()
        summary = ", ".join(f"{n} {label}" for label, n in counts.iter_rows())
        parts.append(f"{area}: {summary}")
    return "Tabellfärgning av status per område och indikator. " + "; ".join(parts) + "."


def ranking_alt_text(
    frame: pl.DataFrame,
    indicator: Mapping[str, Any],
    references: Sequence[Mapping[str, Any]],
    year: int | None,
) -> str:
    items = ", ".join(f"{row['row_label']} {row['label']}" for row in frame.iter_rows(named=True))
    refs = ", ".join(str(r["label"]) for r in references)
    text = f"Punktdiagram: {indicator.get('title', '')}"
    text += f", senaste värde {year}" if year else ""
    text += f", kommunerna rangordnade: {items}."
    return text + (f" Referenslinjer: {refs}." if refs else "")


def status_count_alt_text(frame: pl.DataFrame) -> str:
    parts = []
    for (area,), rows in frame.group_by(["area"], maintain_order=True):
        summary = ", ".join(
            f"{row['count']} {STATUS_BY_CODE[row['status']].label}"
            for row in rows.iter_rows(named=True)
        )
        parts.append(f"{area}: {summary}")
    return "Stapeldiagram över antal indikatorer per status. " + "; ".join(parts) + "."


def _ink_condition(flag: str, when_true: str, otherwise: str) -> alt.ColorValue:
    """A colour chosen by a boolean field, built as an object (shorthand is parsed slowly)."""
    return alt.ColorValue(
        value=otherwise,
        condition=alt.ConditionalPredicateValueDefGradientstringnullExprRef(
            test=f"datum.{flag}", value=when_true
        ),
    )


# --- composition ------------------------------------------------------------------------------


def _titled(
    plot: Any,
    title: str,
    subtitle: Sequence[str],
    footer: Sequence[str],
    description: str,
    width: int,
) -> alt.TopLevelMixin:
    """Title and subtitle on top; the source lines as a footer inside the image."""
    # A plain dict: TitleParams would validate against the schema on every construction.
    heading: dict[str, Any] = {"text": title}
    if subtitle:
        heading["subtitle"] = list(subtitle)
    return titled(plot, heading, description, footer_rows(footer), len(footer), width)


def footer_rows(footer: Sequence[str]) -> pl.DataFrame:
    """The footer's lines as data, one row each."""
    return pl.DataFrame({"line": list(footer), "row": list(range(len(footer)))})


def means_marks(status: Mapping[str, Any], unit: str) -> pl.DataFrame:
    """The three-year means a status compared, as segments: years, value and a label
    ("Medel 2016–2018: 89,2 %"); empty when the status compared single values."""
    schema = {
        "period": pl.Float64,
        "period_to": pl.Float64,
        "value": pl.Float64,
        "label": pl.String,
    }
    if not status.get("uses_means"):
        return pl.DataFrame(schema=schema)
    marks = [
        {
            "period": float(status[f"{side}_mean_from"]),
            "period_to": float(status[f"{side}_mean_to"]),
            "value": status[f"{side}_mean"],
            "label": f"Medel {status[f'{side}_mean_from']}–{status[f'{side}_mean_to']}: "
            f"{format_value(status[f'{side}_mean'], unit)}",
        }
        for side in ("baseline", "latest")
        if is_number(status.get(f"{side}_mean"))
    ]
    return pl.DataFrame(marks, schema=schema)
