"""Every chart function compiles to valid Vega-Lite, for every indicator of every catalog."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
import vl_convert as vlc

from models.catalog import indicators_frame, load_catalogs
from models.status import STATUSES
from reports.charts import ranking_chart, status_count_chart, status_heatmap_chart, trend_chart
from reports.series import indicator_points, with_segments
from reports.spec_template import ChartSpec
from reports.text import slugify

CATALOGS = ("np2020", "np2022", "np2023")
INDICATORS = indicators_frame(load_catalogs(CATALOGS)).to_dicts()


def compiles(chart: ChartSpec) -> dict:
    spec = chart.to_dict(validate=True)  # altair's JSON-schema validation
    vega = vlc.vegalite_to_vega(spec)
    assert vega["marks"], "the compiled Vega spec draws nothing"
    return spec


def synthetic_points(indicator: dict) -> pl.DataFrame:
    """Area, county and Riket with a missing year and an interval on two points."""
    years = [2015, 2016, 2017, 2019, 2020, 2021]
    rows = []
    for role, shift in (("area", 0.0), ("county", 2.0), ("riket", -1.5)):
        for position, year in enumerate(years):
            value = 50 + shift + position * (indicator["direction"] or 1)  # descriptive: None
            ci = role == "area" and year in (2017, 2021)
            rows.append(
                {
                    "role": role,
                    "period": year,
                    "value": value,
                    "ci_low": value - 3 if ci else None,
                    "ci_high": value + 3 if ci else None,
                }
            )
    return pl.DataFrame(rows)


def status_row(indicator: dict, code: str = "improving") -> dict:
    amount = indicator["target_amount"] or 0
    return {
        "status": code,
        "baseline_year": indicator["baseline_year"],
        "baseline_value": 52.0,
        "latest_year": 2021,
        "latest_value": 55.0,
        "target_year": indicator["target_year"],
        "target_value": 52.0 + indicator["direction"] * amount if amount else None,
        "explanation": "Andelen har ökat.",
    }


@pytest.mark.parametrize(
    "indicator", INDICATORS, ids=[f"{i['catalog_id']}-{i['indicator_id']}" for i in INDICATORS]
)
def test_trend_and_ranking_charts_compile_for_every_catalog_indicator(indicator: dict):
    names = {"area": "Årjäng", "county": "Region Värmland", "riket": "Riket"}
    spec = compiles(
        trend_chart(
            synthetic_points(indicator),
            indicator,
            status_row(indicator),
            series_names=names,
            footer=["Källa: Kolada"],
        )
    )
    assert spec["description"].startswith("Linjediagram")
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    values = pl.DataFrame(
        {"name": ["Kil", "Eda", "Årjäng"], "value": [50.0, None, 61.2], "rank": [2, None, 1]}
    )
    compiles(
        ranking_chart(
            values,
            indicator,
            references={"Länet": 55.0, "Riket": None},
            year=2021,
            footer=["Källa: Kolada"],
        )
    )


def test_trend_chart_compiles_without_status_nor_target():
    indicator = INDICATORS[0]
    points = synthetic_points(indicator).filter(pl.col("role") == "area")
    compiles(trend_chart(points, indicator, None, series_names={"area": "Kil"}))


def test_heatmap_and_status_counts_compile_with_every_status():
    titles = [i["title"] for i in INDICATORS[:12]]
    cells = pl.DataFrame(
        [
            {"area": area, "indicator": title, "status": STATUSES[n % len(STATUSES)].code}
            for n, (area, title) in enumerate((a, t) for a in ("Kil", "Årjäng") for t in titles)
        ]
    )
    spec = compiles(status_heatmap_chart(cells, footer=["Källa: Kolada"]))
    assert "Kil" in spec["description"]
    counts = pl.DataFrame(
        [{"area": "Kil", "status": s.code, "count": n} for n, s in enumerate(STATUSES)]
    )
    compiles(status_count_chart(counts))


def test_lines_break_at_missing_years():
    points = pl.DataFrame(
        {"area_id": ["1"] * 5, "gender": ["T"] * 5, "period": [2015, 2016, 2018, 2019, 2021]}
    )
    assert with_segments(points)["segment"].to_list() == [0, 0, 1, 1, 2]


def test_trend_chart_never_draws_a_line_across_a_missing_year():
    indicator = INDICATORS[0]
    spec = trend_chart(
        synthetic_points(indicator), indicator, None, series_names={"area": "Kil"}
    ).to_dict()
    datasets = spec["datasets"].values()
    area_lines = [
        row for rows in datasets for row in rows if row.get("series") == "Kil" and "line_key" in row
    ]
    keys = {row["period"]: row["line_key"] for row in area_lines}
    assert keys[2017] != keys[2019]  # 2018 is missing
    assert keys[2015] == keys[2016] == keys[2017]


def test_multi_year_window_is_said_in_the_subtitle():
    indicator = next(i for i in INDICATORS if i["window_years"] == 3)
    spec = trend_chart(
        synthetic_points(indicator), indicator, None, series_names={"area": "Kil"}
    ).to_dict()
    assert "3-årsmedelvärde; året avser periodens sista år" in spec["title"]["subtitle"]


def test_complement_and_gap_series_are_derived_like_the_method():
    observations = pl.DataFrame(
        {
            "series_id": ["kolada:U01413", "kolada:N00925", "kolada:N00923"],
            "area_id": ["1780"] * 3,
            "period": [2020] * 3,
            "gender": ["T"] * 3,
            "value": [30.0, 84.0, 80.5],
            "ci_low": [28.0, None, None],
            "ci_high": [33.0, None, None],
        }
    )
    trust = next(i for i in INDICATORS if i["derive_kind"] == "complement")
    gap = next(i for i in INDICATORS if i["derive_kind"] == "gap" and i["derive_women"])
    complement = indicator_points(observations, trust, ["1780"]).row(0, named=True)
    assert (complement["value"], complement["ci_low"], complement["ci_high"]) == (70.0, 67.0, 72.0)
    assert indicator_points(observations, gap, ["1780"])["value"].to_list() == [3.5]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Årjäng", "arjang"),
        ("Hammarö", "hammaro"),
        ("Region Värmland", "region-varmland"),
        ("Säffle", "saffle"),
        ("Värmlands läns kommuner (ovägt medel)", "varmlands-lans-kommuner-ovagt-medel"),
        ("../etc/passwd", "etc-passwd"),
        ("", "omrade"),
    ],
)
def test_slugs_are_safe_stable_file_names(name: str, slug: str):
    assert slugify(name) == slug


def test_a_series_with_fewer_than_three_points_is_a_value_card_not_a_line():
    indicator = next(i for i in INDICATORS if i["indicator_id"] == "elever_ak5_trygga")
    points = synthetic_points(indicator).filter(
        (pl.col("role") != "area") | (pl.col("period") >= 2020)
    )
    chart = trend_chart(
        points,
        indicator,
        status_row(indicator),
        series_names={"area": "Årjäng", "riket": "Riket"},
    )
    spec = compiles(chart)
    assert '"line"' not in str(spec).replace("'", '"')
    assert spec["description"].startswith("Värdekort för Elever i åk 5")
    svg = vlc.vegalite_to_svg(spec)
    for text in ("Årjäng, 2021", "Riket 2021", "Tidigare: 2020", "Bara 2 mätår"):
        assert text in svg, text


def test_year_ticks_are_thinned_to_at_most_eight_and_end_on_the_last_year():
    from reports.charts import year_ticks

    assert year_ticks(2017, 2022) == [2017, 2018, 2019, 2020, 2021, 2022]
    for first in (1996, 2000, 2008, 2012):
        ticks = year_ticks(first, 2022)
        assert len(ticks) <= 8 and ticks[-1] == 2022 and ticks[0] >= first
        assert len({b - a for a, b in itertools.pairwise(ticks)}) == 1


def test_trend_chart_legend_is_line_samples_and_names_only_plotted_series():
    indicator = next(i for i in INDICATORS if i["indicator_id"] == "behoriga_yrkesprogram")
    points = synthetic_points(indicator).filter(pl.col("role") != "county")
    spec = compiles(
        trend_chart(
            points,
            indicator,
            status_row(indicator),
            series_names={"area": "Årjäng", "county": "Region Värmland", "riket": "Riket"},
        )
    )
    vega = vlc.vegalite_to_vega(spec)
    legends = [legend for mark in vega["marks"] for legend in mark.get("legends", [])]
    legends += vega.get("legends", [])
    assert len(legends) == 1 and legends[0].get("symbolType") == "stroke"
    svg = vlc.vegalite_to_svg(spec)
    assert "Region Värmland" not in svg  # no data, so no legend entry
