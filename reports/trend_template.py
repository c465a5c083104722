"""The trend chart's Vega-Lite spec, built with Altair once per kind of trend chart.

A kind is which described marks a chart has (intervals, another survey's points, means), its
survey legend, label placement and size; everything else (the data, scale domains, titles) is
a slot filled per chart by reports.charts.trend_chart. The baseline, the target and the end
label are always layers, with no rows where a chart has none: fewer kinds, fewer templates to
build. See reports/spec_template.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import altair as alt
from altair.utils.schemapi import debug_mode

from reports.composition import titled
from reports.spec_template import SpecTemplate, named, slot
from reports.theme import AREA_COLOUR, MUTED_TEXT, TARGET_COLOUR, use_theme


@dataclass(frozen=True)
class TrendKind:
    """The marks and size of a trend chart: one template each."""

    width: int
    height: int
    footer_lines: int
    whiskers: bool  # intervals, where known
    others: bool  # another survey's values, beside the lines
    survey_legend: bool  # the marker shapes are surveys, named in a legend
    target_above: bool  # the target's label above its point, the latest value's below
    means: bool  # the three-year means the status compared


@cache
def trend_template(kind: TrendKind) -> SpecTemplate:
    """The spec of every trend chart of this kind, with slots for its values."""
    # Altair checks each object against the schema as it is made; a slot is not yet a valid
    # value, so the check waits for the filled spec (FilledSpec.to_dict(validate=True)).
    with debug_mode(False):
        return SpecTemplate(trend_plot(kind))


def trend_plot(kind: TrendKind) -> alt.TopLevelMixin:
    """The trend chart of this kind as an Altair chart with slots."""
    use_theme()
    x = alt.X(
        "period:Q",
        title=None,
        scale=alt.Scale(domain=slot("x_domain"), nice=False),
        axis=alt.Axis(format="d", values=slot("x_ticks"), grid=False),
    )
    y = alt.Y("value:Q", title=slot("y_title"), scale=alt.Scale(zero=False, nice=True))
    # One legend style for every trend chart: line samples (colour and dash), never symbols.
    legend = alt.Legend(
        title=None, symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=300, orient="top"
    )
    series_colour = alt.Scale(domain=slot("line_domain"), range=slot("line_colours"))
    layers: list[alt.Chart] = []
    if kind.whiskers:
        layers.append(
            alt.Chart(named("whiskers"), description="Konfidensintervall 95 %")
            .mark_errorbar(ticks=alt.TickConfig(size=6), thickness=1.4)
            .encode(
                x=x,
                y=alt.Y("ci_low:Q", title=slot("y_title")),
                y2=alt.Y2("ci_high:Q"),
                color=alt.Color("series:N", scale=series_colour, legend=None),
                opacity=alt.Opacity("whisker_opacity:Q", scale=None),
            )
        )
    layers.append(
        alt.Chart(named("lines"))
        .mark_line(strokeWidth=2.2)
        .encode(
            x=x,
            y=y,
            color=alt.Color("series:N", scale=series_colour, legend=legend),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=slot("line_domain"), range=slot("line_dashes")),
                legend=legend,
            ),
            detail=alt.Detail("line_key:N"),
        )
    )
    layers.extend(marker_layers(kind, x, y, series_colour))
    layers.extend(reference_layers(kind, x, y))
    # the end label, the baseline and the target: rows only where the chart has them
    layers.append(
        alt.Chart(named("latest"))
        .mark_text(
            align="left",
            dx=8,
            dy=16 if kind.target_above else -8,
            fontSize=12,
            fontWeight="bold",
            color=AREA_COLOUR,
        )
        .encode(x=x, y=y, text=alt.Text("label:N"))
    )
    # The markers' colour scale stands apart, so the one legend is the lines' (strokes).
    plot = (
        alt.layer(*layers)
        .resolve_scale(
            color="independent",
            shape="independent",
            strokeDash="independent",
            opacity="independent",
        )
        .properties(width=kind.width, height=kind.height)
    )
    heading = {"text": slot("title"), "subtitle": slot("subtitle")}
    return titled(
        plot, heading, slot("description"), named("footer"), kind.footer_lines, kind.width
    )


def marker_layers(kind: TrendKind, x: alt.X, y: alt.Y, series_colour: alt.Scale) -> list[Any]:
    """The points: the status's own series filled; another survey's hollow and lighter."""
    shapes = alt.Scale(domain=slot("marker_domain"), range=slot("marker_shapes"))
    survey_legend = (
        alt.Legend(
            title=None,
            orient="top",
            values=slot("survey_names"),
            symbolFillColor=AREA_COLOUR,
            symbolStrokeColor=AREA_COLOUR,
            symbolSize=80,
        )
        if kind.survey_legend
        else None
    )
    tooltip = [
        alt.Tooltip("series:N", title="Område"),
        alt.Tooltip("period:Q", title="År"),
        alt.Tooltip("label:N", title="Värde"),
    ]
    colour = alt.Color("series:N", scale=series_colour, legend=None)

    def points(data: str, mark: dict[str, Any], legend: alt.Legend | None, **chart: Any) -> Any:
        return (
            alt.Chart(named(data), **chart)
            .mark_point(**mark)
            .encode(
                x=x,
                y=y,
                color=colour,
                shape=alt.Shape("marker:N", scale=shapes, legend=legend),
                tooltip=tooltip,
            )
        )

    # The shapes are their own field, so the line legend never merges with them; where the
    # chart mixes surveys, the shapes are the surveys and get a legend of their own.
    layers = [points("observed", {"filled": True, "size": 45, "opacity": 1}, survey_legend)]
    if kind.others:
        # another survey than the status's: hollow and lighter, and never on the line
        hollow = {"filled": False, "size": 55, "strokeWidth": 1.6, "opacity": 0.6}
        layers.append(
            points("others", hollow, None, description="Värden från en annan undersökning")
        )
    return layers


def reference_layers(kind: TrendKind, x: alt.X, y: alt.Y) -> list[Any]:
    """The baseline, the target and the three-year means, each with its label."""
    layers: list[Any] = []
    layers.append(
        alt.Chart(named("baseline"))
        .mark_point(size=190, strokeWidth=2, color=AREA_COLOUR, filled=False)
        .encode(x=x, y=y)
    )
    layers.append(
        alt.Chart(named("baseline"))
        .mark_text(dy=-14, fontSize=11, color=MUTED_TEXT)
        .encode(x=x, y=y, text=alt.Text("label:N"))
    )
    layers.append(
        alt.Chart(named("target"))
        .mark_point(
            shape="diamond",
            size=150,
            filled=True,
            color=TARGET_COLOUR,
            stroke="#1a1a1a",
            strokeWidth=0.8,
        )
        .encode(x=x, y=y)
    )
    layers.append(
        alt.Chart(named("target"))
        .mark_text(
            dy=-16 if kind.target_above else 16,
            fontSize=11,
            color="#7a2e5c",
            fontWeight="bold",
        )
        .encode(x=x, y=y, text=alt.Text("label:N"))
    )
    if kind.means:
        # the status compared three-year means (a noisy series): draw them where they lie
        layers.append(
            alt.Chart(named("means"), description="Treårsmedelvärden som statusen jämför")
            .mark_rule(strokeWidth=3, color=AREA_COLOUR, opacity=0.7)
            .encode(x=x, x2=alt.X2("period_to:Q"), y=y)
        )
        layers.append(
            alt.Chart(named("means"))
            .mark_text(dy=12, fontSize=10, color=MUTED_TEXT)
            .encode(x=x, y=y, text=alt.Text("label:N"))
        )
    return layers


@cache
def value_card_template(width: int, card_lines: int, footer_lines: int) -> SpecTemplate:
    """The spec of every value card with this many lines, with slots for its values."""
    with debug_mode(False):
        use_theme()
        card = (
            alt.Chart(named("card"))
            .mark_text(align="left", baseline="middle")
            .encode(
                x=alt.value(0),
                y=alt.Y("row:O", axis=None, title=None),
                text=alt.Text("text:N"),
                size=alt.Size("size:Q", scale=None, legend=None),
                color=alt.Color("colour:N", scale=None, legend=None),
            )
            .properties(width=width, height=30 * card_lines + 20)
        )
        heading = {"text": slot("title"), "subtitle": slot("subtitle")}
        return SpecTemplate(
            titled(card, heading, slot("description"), named("footer"), footer_lines, width)
        )
