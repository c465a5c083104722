"""Method v2 (issue 13): noise level, three-year means, baseline outliers, survey series.

The worked examples of docs/method.md run on real Kolada values from data/reference; the new
rules are checked one by one on small inline tables (the helpers of test_progress).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest

from config import MethodSettings
from models.catalog import indicators_frame, load_catalogs
from models.schema import OBSERVATION_SCHEMA, conform
from models.swedish import format_number
from pipelines.progress import compute_progress
from pipelines.wording import number
from reports.series import indicator_points
from sources.kolada import Page, decode_envelope, parse_values
from sources.survey import tag_survey_points

from .report_fixtures import KOLADA_CSV, areas_frame, read_kolada_csv, report_data
from .test_progress import indicator, observations, progress, row_of, status_of

NP2022 = indicators_frame(load_catalogs(["np2022"]))
AREAS = areas_frame()


def survey_values(kpi: str, area_id: str) -> pl.DataFrame:
    """A U-series' T, K and M values (csv-2024 writes genders in lower case), survey-tagged."""
    gendered = KOLADA_CSV / f"ddf--datapoints--{kpi.lower()}--by--geo--gender--year.csv"
    women_men = (
        pl.read_csv(gendered, schema_overrides={"geo": pl.String})
        .filter(pl.col("geo") == area_id)
        .select(
            area_id="geo",
            period=pl.col("year").cast(pl.Int32),
            gender=pl.col("gender").str.to_uppercase(),
            value=pl.col(kpi.lower()).cast(pl.Float64),
        )
        .with_columns(series_id=pl.lit(f"kolada:{kpi}"), is_deleted=pl.lit(False))
    )
    total = read_kolada_csv(kpi, [area_id]).filter(pl.col("gender") == "T")
    both = pl.concat([total, conform(women_men, OBSERVATION_SCHEMA)])
    return tag_survey_points(both)


def real_row(
    kpi_observations: pl.DataFrame,
    indicator_id: str,
    area_id: str,
    report_year: int = 2026,
    gender: str = "T",
    settings: MethodSettings | None = None,
) -> dict[str, Any]:
    """The np2022 status row of one indicator for one Värmland area from real values."""
    rows = compute_progress(
        NP2022.filter(pl.col("indicator_id") == indicator_id),
        tag_survey_points(conform(kpi_observations, OBSERVATION_SCHEMA)),
        AREAS,
        "0017",
        settings or MethodSettings(),
        report_year,
    )
    return row_of(rows, area_id, gender)


def behorighet(reference_data) -> pl.DataFrame:
    path = reference_data / "kolada" / "v3-responses" / "kolada_behorighet.json"
    page = Page(url=path.as_uri(), path=path, body=decode_envelope(path.read_bytes(), path))
    return parse_values([page]).filter(pl.col("series_id") == "kolada:N15428")


# --- the worked examples of method.md v2 ----------------------------------------------------


def test_karlstad_behoriga_yrkesprogram_is_no_change_with_three_year_means(reference_data):
    row = real_row(behorighet(reference_data), "behoriga_yrkesprogram", "1780")
    assert (row["latest_year"], row["sigma_differences"]) == (2025, 10)
    assert row["sigma"] == pytest.approx(1.7805, abs=5e-5)
    assert row["uses_means"] is True
    assert (row["baseline_mean_from"], row["baseline_mean_to"]) == (2016, 2018)
    assert (row["latest_mean_from"], row["latest_mean_to"]) == (2023, 2025)
    assert row["baseline_mean"] == pytest.approx(89.171, abs=5e-4)
    assert row["latest_mean"] == pytest.approx(87.235, abs=5e-4)
    assert row["change"] == pytest.approx(-1.936, abs=5e-4)
    assert row["se_change"] == pytest.approx(1.7805 * math.sqrt(2 / 3), abs=5e-4)
    assert 1.96 * row["se_change"] == pytest.approx(2.849, abs=5e-4)
    assert row["target_value"] == pytest.approx(91.17, abs=5e-3)  # from the single 2017 value
    # v1 said worsening (89,17 → 88,77); the fall is within the year-to-year variation
    assert (row["status"], row["decided_by"]) == ("no_change", "not_significant")
    assert "medelvärdet 2016–2018" in row["explanation"]
    assert "mindre än den normala variationen mellan åren (±2,8" in row["explanation"]
    # the displayed change is the difference of the displayed means: 87,2 − 89,2
    assert "89,2 % (medelvärdet 2016–2018) till 87,2 %" in row["explanation"]
    assert "−2,0 procentenheter" in row["explanation"]
    assert row["baseline_outlier"] is False


def test_storfors_nyanlanda_is_too_uncertain(reference_data):
    values = read_kolada_csv("N00973", ["1760"])
    row = real_row(values, "nyanlanda_arbete_studier", "1760")
    assert (row["latest_year"], row["sigma_differences"]) == (2020, 5)
    assert row["sigma"] == pytest.approx(15.58, abs=5e-3)
    assert row["baseline_mean"] == pytest.approx(27.42, abs=5e-3)
    assert row["latest_mean"] == pytest.approx(44.93, abs=5e-3)
    assert row["se_change"] == pytest.approx(12.72, abs=5e-3)
    assert 1.96 * row["se_change"] > 2 * row["required_change"]
    # v1 said target_met from a single 11,1 → 55,6, that is 1 of 9 → 5 of 9 people
    assert row["status"] == "too_uncertain"
    assert "den normala variationen mellan åren (±24,9" in row["explanation"]


def test_munkfors_tobaksrok_has_an_outlier_baseline(reference_data):
    values = read_kolada_csv("U01901", ["1762"])
    row = real_row(values, "tobaksrok_8_manader", "1762")
    assert (row["latest_year"], row["sigma_differences"]) == (2021, 3)
    assert row["sigma"] is None  # fewer than 4 differences: the noise floor applies
    assert row["noise_floor"] == pytest.approx(0.2)
    assert row["baseline_outlier"] is True  # 37,1 vs 14,7: 22,4 > 3 · 2,1/0,954
    assert "basåret 2017 avviker kraftigt från åren runt omkring" in row["explanation"].lower()


def test_the_v1_worked_example_still_holds():
    # two values only: no noise level, the noise floor decides as in v1
    row = status_of("period,value\n2017,30.0\n2021,29.0", direction=-1)
    assert (row["status"], row["sigma"], row["uses_means"]) == ("improving", None, False)
    uncertain = status_of("period,value,ci_low,ci_high\n2017,30,26.8,33.2\n2021,29,25.8,32.2",
                          direction=-1)  # fmt: skip
    assert uncertain["status"] == "too_uncertain"  # 1,96·se_Δ ≈ 4,5 > 2·R = 4


# --- each new rule, one table row at a time -------------------------------------------------

# (name, catalog fields, series, expected numbers)
RULES: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("fewer than 4 differences: sigma unknown, noise floor",
     {}, "2017,50\n2018,51\n2019,50\n2020,52",
     {"sigma": None, "sigma_differences": 3, "noise_floor": 0.2, "uses_means": False}),
    ("4 differences give sigma; quiet series, no means",
     dict(target_amount=10.0), "2016,50\n2017,50.2\n2018,50\n2019,50.2\n2020,50",
     {"sigma": 0.2 / 1.128, "sigma_differences": 4, "uses_means": False,
      "se_change": 0.2 / 1.128 * math.sqrt(2)}),
    ("a 3-year-mean KPI: differences 3 years apart",
     dict(window_years=3), "2011,50\n2014,52\n2015,60\n2017,51\n2020,55\n2023,54",
     {"sigma_differences": 4, "sigma": (2 + 1 + 4 + 1) / 4 / 1.128}),
    ("noisy series: three-year means",
     {}, "2016,50\n2017,53\n2018,50\n2019,53\n2020,50\n2021,53\n2022,50",
     {"uses_means": True, "baseline_mean": 51.0, "latest_mean": 51.0,
      "baseline_mean_from": 2016, "latest_mean_to": 2022}),
    ("means refused for lack of values around the baseline",
     {}, "2012,50\n2013,53\n2014,50\n2015,53\n2017,50\n2020,53\n2021,50\n2022,53",
     {"uses_means": False, "baseline_mean": None, "change": 3.0}),
    ("an outlier baseline is flagged",
     {}, "2015,50\n2016,50.5\n2017,60\n2018,50.2\n2019,50.4\n2020,50.1",
     {"baseline_outlier": True}),
    ("an ordinary baseline is not flagged",
     {}, "2015,50\n2016,50.5\n2017,50.2\n2018,50.4\n2019,50.1\n2020,50.3",
     {"baseline_outlier": False}),
    ("values with intervals keep rule 1: no sigma",
     {}, "2016,50,49,51\n2017,51,50,52\n2018,50,49,51\n2019,51,50,52\n2020,50,49,51",
     {"sigma": None, "sigma_differences": None, "uses_means": False}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "series", "numbers"), [case[1:] for case in RULES], ids=[c[0] for c in RULES]
)
def test_new_rule(fields: dict[str, Any], series: str, numbers: dict[str, Any]) -> None:
    row = status_of("period,value,ci_low,ci_high\n" + series, **fields)
    for name, expected in numbers.items():
        actual = row[name]
        assert actual == (pytest.approx(expected) if isinstance(expected, float) else expected), (
            name
        )


def test_means_use_single_baseline_for_the_target_and_the_path_start():
    row = status_of("period,value\n2016,50\n2017,53\n2018,50\n2019,53\n2020,50\n2021,53\n2022,50")
    assert row["target_value"] == pytest.approx(55.0)  # 53 + 2, from the single 2017 value
    assert row["baseline_value"] == 53.0
    assert row["change"] == pytest.approx(0.0)


def test_the_uncertain_factor_is_a_setting():
    series = "period,value,ci_low,ci_high\n2017,50,47.5,52.5\n2022,51,48.5,53.5"  # ±3,54
    default = status_of(series)
    strict = row_of(progress(observations(series), settings=MethodSettings(uncertain_factor=1)))
    assert (default["status"], strict["status"]) == ("no_change", "too_uncertain")


def test_right_direction_is_its_own_status():
    row = status_of("period,value\n2017,50\n2022,52", target_kind="direction", target_amount=None)
    assert (row["status"], row["status_label"]) == ("right_direction", "Rätt riktning")
    gap = indicator(target_kind="direction", target_amount=None)
    assert gap["target_kind"].item() == "direction"


def test_a_displayed_change_is_the_difference_of_the_displayed_values():
    row = status_of("period,value\n2017,75.24\n2022,77.64", target_amount=5.0)
    assert "från 75,2 % (2017) till 77,6 % (2022), +2,4 procentenheter" in row["explanation"]


# --- survey series: Karlstad's tillit and god hälsa come from Liv & Hälsa only --------------


@pytest.mark.parametrize(
    ("indicator_id", "kpi"), [("tillit_till_andra", "U01413"), ("god_halsa", "U01405")]
)
@pytest.mark.parametrize("gender", ["T", "K", "M"])
def test_karlstad_survey_statuses_use_liv_och_halsa_only(indicator_id, kpi, gender):
    values = survey_values(kpi, "1780")
    row = real_row(values, indicator_id, "1780", report_year=2024, gender=gender)
    assert row["survey"] == "Liv & Hälsa"
    assert (row["latest_survey"], row["latest_year"]) == ("livohalsa", 2022)
    if row["status"] == "not_assessable":  # tillit: Liv & Hälsa reached Karlstad only in 2022
        assert row["reason"].startswith("Värde för basåret 2017 saknas i Liv & Hälsa.")
    else:
        assert (row["baseline_survey"], row["baseline_year"]) == ("livohalsa", 2017)
        assert "Liv & Hälsa 2017 och 2022" in row["explanation"]
    # the status agrees with the last point of its chart's primary line (the same survey)
    catalog_entry = NP2022.filter(pl.col("indicator_id") == indicator_id).row(0, named=True)
    line = indicator_points(values, catalog_entry, ["1780"], [gender], survey="livohalsa")
    last = line.filter(pl.col("value").is_not_null()).sort("period").row(-1, named=True)
    assert (last["period"], last["value"]) == (row["latest_year"], row["latest_value"])


def test_karlstad_tillit_is_no_longer_target_met_from_hlv():
    values = tag_survey_points(conform(read_kolada_csv("U01413", ["1780"]), OBSERVATION_SCHEMA))
    row = real_row(values, "tillit_till_andra", "1780", report_year=2024)
    # v1: 76,0 % (HLV 2021) "Målet är nått"; v2: Liv & Hälsa has no 2017 value for Karlstad
    assert row["status"] == "not_assessable"
    assert row["latest_year"] == 2022 and row["latest_value"] == pytest.approx(73.15, abs=0.01)


# --- the sentences' numbers are the reports' numbers ------------------------------------------


@pytest.mark.parametrize("decimals", [0, 1, 2])
@pytest.mark.parametrize("signed", [False, True])
def test_sentence_numbers_round_and_read_as_format_number(decimals: int, signed: bool) -> None:
    # ties as stored in binary (0,05 is 0,05000…0277, 162,35 is 162,3499…), exact ties, signs,
    # thousands and millions: the polars text must equal models.swedish.format_number's
    values = [
        0.0, 0.04, -0.04, 0.05, -0.05, 0.15, 0.25, -0.25, 0.35, 2.675, 12.345, 162.35,
        999.95, -1000.0, 4321.0, 99999.99, 1234567.89, -7654321.05, 85.71, None,
    ]  # fmt: skip
    shown = pl.DataFrame({"x": values}).select(number(pl.col("x"), decimals, signed))
    assert shown.to_series().to_list() == [format_number(v, decimals, signed) for v in values]


# --- summaries count right_direction on its own -----------------------------------------------


def report_progress() -> pl.DataFrame:
    return report_data().progress


def test_summaries_count_right_direction_apart_from_improving():
    from reports.charts import STATUS_LABELS
    from reports.pages import index_page_html, status_counts

    from .test_report import context

    ctx = context()
    progress = report_progress()
    municipal = progress.filter(
        pl.col("area_id").is_in(ctx.municipalities), pl.col("gender") == "T"
    )
    expected = municipal.filter(pl.col("status") == "right_direction").height
    assert expected > 0  # the real Värmland values have direction-only targets moving right
    counts = status_counts(ctx, ctx.municipalities)
    total = dict(counts.group_by("status").agg(pl.col("count").sum()).rows())
    assert total["right_direction"] == expected
    assert total["improving"] == municipal.filter(pl.col("status") == "improving").height
    assert "↑ Rätt riktning" in STATUS_LABELS  # the heatmap's and the count chart's legend
    page = index_page_html(ctx)  # the overview's counts table has a column of its own
    assert '<th scope="col" title="Rätt riktning">↑ Rätt riktning</th>' in page
    assert '<th scope="col" title="Rätt riktning, men för långsamt">' in page
