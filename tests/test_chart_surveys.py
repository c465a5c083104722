"""Trend charts of series that mix surveys, and intervals drawn where known (issues 13, 16).

Värmland's U-series carry Liv & Hälsa values in its wave years and Hälsa på lika villkor in the
others (tagged as a refresh tags them). The status's own survey is the line; the other survey's
values are hollow points of their own shape, never joined to the line.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
import vl_convert as vlc

from models.catalog import indicators_frame, load_catalogs
from reports.charts import trend_chart
from reports.pages import (
    area_charts,
    area_page_html,
    page_entries,
    report_context,
    trend_alt_text_for,
)
from reports.series import with_segments
from tests.report_fixtures import report_data

INDICATORS = indicators_frame(load_catalogs(["np2022"])).to_dicts()
KARLSTAD = "1780"


@pytest.fixture(scope="module")
def ctx():
    return report_context(**report_data().args())


def plot_layers(spec: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each layer of a trend chart's plot with the rows it draws."""
    plot = spec["vconcat"][0] if "vconcat" in spec else spec
    return [(layer, spec["datasets"][layer["data"]["name"]]) for layer in plot["layer"]]


def mark_of(layer: dict[str, Any]) -> dict[str, Any]:
    mark = layer["mark"]
    return mark if isinstance(mark, dict) else {"type": mark}


def karlstad_spec(ctx, indicator_id: str) -> dict[str, Any]:
    return area_charts(ctx, KARLSTAD)[f"trend:{indicator_id}"].to_dict(validate=True)


@pytest.mark.parametrize("indicator_id", ["god_halsa", "tillit_till_andra"])
def test_each_survey_is_its_own_series_with_its_own_marker_shape(ctx, indicator_id):
    layers = plot_layers(karlstad_spec(ctx, indicator_id))
    points = [(layer, rows) for layer, rows in layers if mark_of(layer)["type"] == "point"]
    filled = next(rows for layer, rows in points if mark_of(layer).get("filled"))
    hollow = next(rows for layer, rows in points if mark_of(layer).get("filled") is False and rows)
    assert {row["marker"] for row in filled if row["series"] == "Karlstad"} == {"Liv & Hälsa"}
    assert {row["marker"] for row in hollow} == {"Hälsa på lika villkor"}
    shape = next(layer for layer, _ in points if mark_of(layer).get("filled"))["encoding"]["shape"]
    shapes = dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True))
    assert shapes["Liv & Hälsa"] != shapes["Hälsa på lika villkor"]
    # the legend names both surveys by name
    assert shape["legend"]["values"] == ["Liv & Hälsa", "Hälsa på lika villkor"]
    assert {row["marker"] for row in hollow} == {"Hälsa på lika villkor"}


@pytest.mark.parametrize("indicator_id", ["god_halsa", "tillit_till_andra"])
def test_the_status_agrees_with_the_last_point_of_the_primary_line(ctx, indicator_id):
    row = ctx.row(indicator_id, KARLSTAD)
    assert row["latest_survey"] == "livohalsa"
    layers = plot_layers(karlstad_spec(ctx, indicator_id))
    line = next(rows for layer, rows in layers if mark_of(layer)["type"] == "line")
    own = sorted((r for r in line if r["series"] == "Karlstad"), key=lambda r: r["period"])
    assert (own[-1]["period"], own[-1]["value"]) == (row["latest_year"], row["latest_value"])


@pytest.mark.parametrize("indicator_id", ["god_halsa", "tillit_till_andra"])
def test_a_line_never_joins_values_of_two_surveys(ctx, indicator_id):
    layers = plot_layers(karlstad_spec(ctx, indicator_id))
    line = next(rows for layer, rows in layers if mark_of(layer)["type"] == "line")
    points = [row for layer, rows in layers if mark_of(layer)["type"] == "point" for row in rows]
    by_survey = {
        marker: {
            r["period"] for r in points if r.get("marker") == marker and r["series"] == "Karlstad"
        }
        for marker in ("Liv & Hälsa", "Hälsa på lika villkor")
    }
    on_line = {row["period"] for row in line if row["series"] == "Karlstad"}
    assert on_line == by_survey["Liv & Hälsa"] and not on_line & by_survey["Hälsa på lika villkor"]
    for key in {row["line_key"] for row in line if row["series"] == "Karlstad"}:
        assert "-livohalsa-" in key


def test_liv_och_halsa_waves_are_joined_and_a_missing_wave_breaks_the_line():
    points = pl.DataFrame(
        {
            "role": ["area"] * 6,
            "period": [2008, 2012, 2022, 2013, 2014, 2016],
            "survey": ["livohalsa"] * 3 + ["hlv"] * 3,
        }
    )
    segments = with_segments(points, by=("role",))
    waves = segments.filter(pl.col("survey") == "livohalsa")["segment"].to_list()
    windows = segments.filter(pl.col("survey") == "hlv")["segment"].to_list()
    assert waves == [0, 0, 1]  # 2008–2012 joined; 2017 is missing, so 2022 stands alone
    assert windows == [0, 0, 1]  # a yearly survey breaks at its missing year (2015)


def test_alt_text_and_table_name_the_survey(ctx):
    entry = next(
        e for e in page_entries(ctx, KARLSTAD) if e.indicator["indicator_id"] == "god_halsa"
    )

    alt_text = trend_alt_text_for(entry)
    assert "Linjen och de fyllda punkterna för Karlstad visar Liv & Hälsa" in alt_text
    assert "Värden från Hälsa på lika villkor visas som separata ofyllda punkter" in alt_text
    html = area_page_html(ctx, KARLSTAD, svgs={})
    row = html[html.index('data-indicator="god_halsa" data-area="1780" data-gender="T"') :]
    name_cell = row[: row.index("</th>")]
    assert '<span class="survey">(Liv &amp; Hälsa)</span>' in name_cell


def test_register_charts_keep_one_legend_and_no_survey_note(ctx):
    spec = karlstad_spec(ctx, "behoriga_yrkesprogram")
    shapes = [
        layer["encoding"]["shape"]
        for layer, _ in plot_layers(spec)
        if "shape" in layer.get("encoding", {})
    ]
    assert all(shape.get("legend") is None for shape in shapes)
    assert not any("Ofyllda punkter" in line for line in spec["title"]["subtitle"])


# --- intervals ---------------------------------------------------------------------------------


def area_points(ci: bool) -> pl.DataFrame:
    years = [2016, 2017, 2018, 2019, 2020]
    values = [50.0, 51.0, 52.5, 53.0, 54.0]
    return pl.DataFrame(
        {
            "role": ["area"] * 5,
            "period": years,
            "value": values,
            "ci_low": [v - 2 if ci else None for v in values],
            "ci_high": [v + 2 if ci else None for v in values],
        },
        schema_overrides={"ci_low": pl.Float64, "ci_high": pl.Float64},
    )


def whiskers(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [rows for layer, rows in plot_layers(spec) if mark_of(layer)["type"] == "errorbar"]


def test_intervals_are_whiskers_where_known_and_absent_where_not():
    indicator = next(i for i in INDICATORS if i["indicator_id"] == "god_halsa")
    names = {"area": "Kil"}
    known = trend_chart(area_points(ci=True), indicator, None, series_names=names).to_dict()
    drawn = whiskers(known)
    assert len(drawn) == 1 and len(drawn[0]) == 5  # every point with an interval
    assert (drawn[0][0]["ci_low"], drawn[0][0]["ci_high"]) == (48.0, 52.0)
    assert "Lodräta streck: 95 % konfidensintervall" in known["title"]["subtitle"]
    assert "95 % konfidensintervall" in known["description"]
    svg = vlc.vegalite_to_svg(known)
    assert "konfidensintervall" in svg
    unknown = trend_chart(area_points(ci=False), indicator, None, series_names=names).to_dict()
    assert whiskers(unknown) == []
    assert "konfidensintervall" not in str(unknown)


def test_the_county_and_riket_get_whiskers_in_their_own_colour_where_known():
    """method.md: each survey "with its own marker and, where known, its interval", for every
    series drawn, not only the area's."""
    indicator = next(i for i in INDICATORS if i["indicator_id"] == "god_halsa")
    names = {"area": "Kil", "county": "Region Värmland", "riket": "Riket"}
    county = area_points(ci=True).with_columns(
        role=pl.lit("county"),
        value=pl.col("value") + 5,
        ci_low=pl.col("ci_low") + 5,
        ci_high=pl.col("ci_high") + 5,
    )
    riket = area_points(ci=False).with_columns(role=pl.lit("riket"), value=pl.col("value") - 3)
    points = pl.concat([area_points(ci=False), county, riket])
    spec = trend_chart(points, indicator, None, series_names=names).to_dict(validate=True)
    (drawn,) = whiskers(spec)
    assert {row["series"] for row in drawn} == {"Region Värmland"}  # only where known
    assert (drawn[0]["ci_low"], drawn[0]["ci_high"]) == (53.0, 57.0)
    (layer,) = [layer for layer, _ in plot_layers(spec) if mark_of(layer)["type"] == "errorbar"]
    colour = layer["encoding"]["color"]
    line_colours = next(
        layer["encoding"]["color"]["scale"]
        for layer, _ in plot_layers(spec)
        if mark_of(layer)["type"] == "line"
    )
    assert colour["field"] == "series" and colour["scale"] == line_colours
    assert "Lodräta streck visar 95 % konfidensintervall" in spec["description"]
    svg = vlc.vegalite_to_svg(spec)
    assert "konfidensintervall" in svg
