"""The status method of method.md, checked row by row on small inline tables."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from typing import Any

import polars as pl
import pytest

from config import MethodSettings
from models.catalog import INDICATORS_SCHEMA
from models.schema import OBSERVATION_SCHEMA, PROGRESS_KEY, PROGRESS_SCHEMA, SERIES_SCHEMA, conform
from pipelines.progress import compute_progress, status_changes

SERIES = "kolada:N00001"
REPORT_YEAR = 2024
AREAS = pl.DataFrame(
    {
        "area_id": ["1780", "1784", "1715", "0017", "G33624", "0000", "1880", "0018"],
        "name": ["Karlstad", "Arvika", "Kil", "Region Värmland", "Värmlands läns kommuner",
                 "Riket", "Örebro", "Region Örebro län"],
        "kind": ["kommun", "kommun", "kommun", "region", "grupp", "riket", "kommun", "region"],
        "county_id": ["0017", "0017", "0017", "0017", "0017", None, "0018", "0018"],
    }
)  # fmt: skip


def frame(text: str, schema: dict[str, Any]) -> pl.DataFrame:
    """An inline CSV table, cast to a schema; absent columns become null."""
    table = pl.read_csv(
        io.StringIO(textwrap.dedent(text).strip()),
        schema_overrides={name: dtype for name, dtype in schema.items()},
    )
    return conform(table, schema)


def observations(text: str, series_id: str = SERIES, area_id: str = "1780") -> pl.DataFrame:
    """Observations from an inline table; series_id, area_id and gender default to one series."""
    table = frame(text, OBSERVATION_SCHEMA)
    return table.with_columns(
        series_id=pl.col("series_id").fill_null(series_id),
        area_id=pl.col("area_id").fill_null(area_id),
        gender=pl.col("gender").fill_null("T"),
    )


def indicator(**fields: Any) -> pl.DataFrame:
    """One catalog entry: +2 pp, higher is better, 2017 → 2022, every area kind, unless told."""
    entry: dict[str, Any] = {
        "catalog_id": "np2022",
        "indicator_id": "x",
        "title": "x",
        "goal_area": "g",
        "series_id": SERIES,
        "unit": "percent",
        "direction": 1,
        "target_kind": "pp",
        "target_amount": 2.0,
        "baseline_year": 2017,
        "target_year": 2022,
        "divided_by_gender": False,
        "window_years": 1,
        "areas": ["kommun", "region", "grupp", "riket"],
        **fields,
    }
    return pl.DataFrame([entry], schema=INDICATORS_SCHEMA)


def progress(
    obs: pl.DataFrame,
    indicators: pl.DataFrame | None = None,
    settings: MethodSettings | None = None,
    series: pl.DataFrame | None = None,
) -> pl.DataFrame:
    return compute_progress(
        indicators if indicators is not None else indicator(),
        obs,
        AREAS,
        "0017",
        settings or MethodSettings(),
        REPORT_YEAR,
        series,
    )


def row_of(result: pl.DataFrame, area_id: str = "1780", gender: str = "T") -> dict[str, Any]:
    rows = result.filter((pl.col("area_id") == area_id) & (pl.col("gender") == gender))
    assert rows.height == 1
    return rows.row(0, named=True)


def status_of(text: str, **fields: Any) -> dict[str, Any]:
    """The row for Karlstad, T, of one indicator over one inline series."""
    return row_of(progress(observations(text), indicator(**fields)))


# --- the worked example of method.md --------------------------------------------------------

WORKED = dict(direction=-1, target_kind="pp", target_amount=2.0)


def test_worked_example_gives_the_numbers_of_method_md():
    row = status_of(
        """
        period,value
        2017,30.0
        2021,29.0
        """,
        **WORKED,
    )
    assert row["target_value"] == pytest.approx(28.0)
    assert row["change"] == pytest.approx(-1.0)
    assert row["change_directed"] == pytest.approx(1.0)
    assert row["required_change"] == pytest.approx(2.0)
    assert row["share_achieved"] == pytest.approx(0.5)
    assert row["expected_value"] == pytest.approx(28.4)  # 30,0 − 2,0·4/5
    assert row["ahead_of_path"] == pytest.approx(-0.6)
    assert row["noise_floor"] == pytest.approx(0.2)  # 0,10·R; Δd = 1,0 ≥ 0,2
    assert (row["status"], row["decided_by"]) == ("improving", "behind_path")
    assert row["se_change"] is None and row["is_significant"] is None


def test_worked_example_is_too_uncertain_with_intervals_of_3_2_points():
    row = status_of(
        """
        period,value,ci_low,ci_high
        2017,30.0,26.8,33.2
        2021,29.0,25.8,32.2
        """,
        **WORKED,
    )
    assert row["baseline_se"] == pytest.approx(1.63, abs=0.005)  # 6,4 / 3,92
    assert row["se_change"] == pytest.approx(2.31, abs=0.005)
    assert 1.96 * row["se_change"] == pytest.approx(4.5, abs=0.05)  # > R = 2,0
    assert (row["status"], row["decided_by"]) == ("too_uncertain", "interval_exceeds_target")
    assert row["noise_floor"] is None


def test_worked_example_is_no_change_with_intervals_of_0_9_points():
    row = status_of(
        """
        period,value,ci_low,ci_high
        2017,30.0,29.1,30.9
        2021,29.0,28.1,29.9
        """,
        **WORKED,
    )
    assert row["se_change"] == pytest.approx(0.65, abs=0.005)
    assert 1.96 * row["se_change"] == pytest.approx(1.27, abs=0.005)  # < R, and |Δ| < 1,27
    assert row["is_significant"] is False
    assert (row["status"], row["decided_by"]) == ("no_change", "not_significant")


def test_explanation_reads_like_the_example_of_method_md():
    row = status_of(
        """
        period,value
        2017,85.7
        2023,88.8
        """
    )
    assert row["explanation"] == (
        "Andelen har ökat från 85,7 % (2017) till 88,8 % (2023), +3,1 procentenheter. "
        "Målet var +2 procentenheter till 2022 (87,7 %). Målet är nått."
    )
    assert (row["status_label"], row["status_symbol"]) == ("Målet är nått", "✔")


# --- every status and every target kind -----------------------------------------------------

FALLS = dict(unit="per_100000", direction=-1, target_kind="units", target_amount=1000.0)

Case = tuple[str, dict[str, Any], str, str, str, dict[str, Any]]
CASES: list[Case] = [
    # (case, indicator fields, series, status, decided_by, expected numbers)
    ("no baseline within the window", {}, "2015,50\n2020,55", "not_assessable", "no_baseline",
     {"reason": "Värde för basåret 2017 saknas. Inget värde finns heller för 2016 eller 2018."}),
    ("no value after the baseline", {}, "2016,40\n2017,50", "not_assessable",
     "no_value_after_baseline",
     {"reason": "Inget värde efter basåret 2017 (till och med 2024).", "baseline_value": 50.0}),
    ("baseline from a neighbouring year", {}, "2018,50\n2022,53", "target_met",
     "latest_beyond_target", {"baseline_year": 2018, "baseline_year_planned": 2017}),
    ("interval wider than the target", {}, "2017,50,45,55\n2022,53,48,58", "too_uncertain",
     "interval_exceeds_target", {}),
    ("pp target reached", {}, "2017,50\n2022,52", "target_met", "latest_beyond_target",
     {"target_value": 52.0}),
    ("change below the noise floor", {}, "2017,50\n2022,50.1", "no_change", "below_noise_floor",
     {"noise_floor": 0.2}),
    ("on the path", dict(target_amount=3.0), "2017,50\n2020,52", "on_track", "ahead_of_path",
     {"expected_value": 51.8, "ahead_of_path": 0.2}),
    ("right way, too slow", dict(target_amount=3.0), "2017,50\n2022,51", "improving",
     "behind_path", {"share_achieved": 1 / 3}),
    ("wrong way", {}, "2017,50\n2022,48", "worsening", "wrong_direction", {"change": -2.0}),
    ("falls per 100 000, lower is better, behind the path", FALLS, "2017,5000\n2021,4500",
     "improving", "behind_path",
     {"target_value": 4000.0, "expected_value": 4200.0, "ahead_of_path": -300.0}),
    ("falls per 100 000 reached", FALLS, "2017,5000\n2022,3900", "target_met",
     "latest_beyond_target", {"required_change": 1000.0}),
    ("percent target, lower is better", dict(unit="per_100000", direction=-1,
     target_kind="percent", target_amount=10.0), "2017,200\n2022,185", "improving",
     "behind_path", {"target_value": 180.0, "required_change": 20.0}),
    ("level target on the path", dict(target_kind="level", target_amount=None,
     target_value=90.0), "2017,85\n2020,88", "on_track", "ahead_of_path",
     {"target_value": 90.0, "expected_value": 88.0}),
    ("level target reached at baseline and kept", dict(target_kind="level",
     target_amount=None, target_value=80.0), "2017,85\n2020,84", "target_met",
     "latest_beyond_target", {"required_change": -5.0}),
    ("level reached at baseline, with intervals: no target size to be uncertain about",
     dict(target_kind="level", target_amount=None, target_value=80.0),
     "2017,85,84,86\n2020,84,83,85", "target_met", "latest_beyond_target", {}),
    ("direction only, with intervals: never too uncertain", dict(target_kind="direction",
     target_amount=None), "2017,50,45,55\n2022,51,46,56", "no_change", "not_significant", {}),
    ("direction only, better", dict(target_kind="direction", target_amount=None),
     "2017,50\n2022,51", "right_direction", "right_direction",
     {"target_value": None, "expected_value": None, "noise_floor": 0.5}),
    ("direction only, below noise_abs", dict(target_kind="direction", target_amount=None),
     "2017,50\n2022,50.4", "no_change", "below_noise_floor", {}),
    ("direction only, worse", dict(target_kind="direction", target_amount=None, direction=-1),
     "2017,50\n2022,51", "worsening", "wrong_direction", {}),
    ("share with sample sizes: not significant", dict(target_amount=3.0),
     "2017,50,,,4000\n2022,52,,,4000",
     "no_change", "not_significant", {"is_significant": False}),
    ("share with sample sizes: significant", dict(target_amount=8.0),
     "2017,50,,,4000\n2022,53,,,4000", "improving", "behind_path", {"is_significant": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "series", "status", "decided_by", "numbers"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_status_follows_the_method(fields, series, status, decided_by, numbers):
    row = status_of("period,value,ci_low,ci_high,n\n" + series, **fields)
    assert (row["status"], row["decided_by"]) == (status, decided_by)
    for name, expected in numbers.items():
        assert row[name] == (pytest.approx(expected) if isinstance(expected, float) else expected)
    assert row["explanation"]


def test_every_status_code_and_target_kind_is_covered_by_the_table():
    from models.catalog import TARGET_KINDS
    from models.schema import STATUS_CODES

    covered = {case[3] for case in CASES} | {gap_row()["status"]}
    kinds = {case[1].get("target_kind", "pp") for case in CASES} | {"gap"}
    assert covered == set(STATUS_CODES)
    assert kinds == set(TARGET_KINDS)


def gap_row() -> dict[str, Any]:
    women = observations("period,value\n2017,84.0\n2022,84.2", series_id="kolada:N00925")
    men = observations("period,value\n2017,80.0\n2022,80.9", series_id="kolada:N00923")
    gap = indicator(
        series_id=None, derive_kind="gap", derive_women="kolada:N00925",
        derive_men="kolada:N00923", unit="years", direction=-1, target_kind="gap",
        target_amount=None,
    )  # fmt: skip
    return row_of(progress(pl.concat([women, men]), gap))


def test_gap_target_follows_the_women_men_difference():
    row = gap_row()
    assert row["baseline_value"] == pytest.approx(4.0)  # |84,0 − 80,0|
    assert row["latest_value"] == pytest.approx(3.3)
    assert row["change"] == pytest.approx(-0.7)
    assert (row["status"], row["decided_by"]) == ("right_direction", "right_direction")
    assert row["baseline_se"] is None  # no interval for a gap (see indicator_points)
    assert row["explanation"].startswith("Skillnaden mellan kvinnor och män har minskat")


def test_gap_between_the_k_and_m_values_of_one_series():
    obs = observations(
        """
        period,gender,value
        2017,K,60
        2017,M,52
        2022,K,61
        2022,M,55
        """
    )
    gap = indicator(series_id=None, derive_kind="gap", derive_of=SERIES, direction=-1,
                    target_kind="gap", target_amount=None)  # fmt: skip
    row = row_of(progress(obs, gap))
    assert (row["baseline_value"], row["latest_value"]) == (8.0, 6.0)
    assert row["status"] == "right_direction"


def test_complement_flips_the_value_and_its_interval():
    obs = observations(
        """
        period,value,ci_low,ci_high
        2017,30.0,29.0,31.0
        2022,26.0,25.0,27.0
        """,
        series_id="kolada:U01413",
    )
    trust = indicator(series_id=None, derive_kind="complement", derive_of="kolada:U01413")
    row = row_of(progress(obs, trust))
    assert (row["baseline_value"], row["latest_value"]) == (70.0, 74.0)
    assert row["baseline_se"] == pytest.approx(2.0 / 3.92)
    assert row["status"] == "target_met"


def test_explanation_names_a_neighbouring_baseline_year():
    row = status_of("period,value\n2018,50\n2021,50.9")
    assert (
        "50,0 % (2018; basåret 2017 saknar värde, så närmaste år med värde används)"
        in row["explanation"]
    )


def test_explanation_for_a_falls_target_uses_the_units_words():
    row = status_of("period,value\n2017,5000\n2021,4500", **FALLS)
    assert row["explanation"] == (
        "Värdet har minskat från 5\u00a0000,0 per 100 000 invånare (2017) till "
        "4\u00a0500,0 per 100 000 invånare (2021), −500,0 per 100 000 invånare. "
        "Målet var −1\u00a0000 per 100 000 invånare till 2022 "
        "(4\u00a0000,0 per 100 000 invånare). Rätt riktning, men för långsamt: 300,0 per "
        "100 000 invånare efter målbanan (väntat 4\u00a0200,0 per 100 000 invånare år 2021)."
    )


def test_explanation_for_a_direction_target_and_too_uncertain():
    direction = status_of("period,value\n2017,50\n2022,51", target_kind="direction",
                          target_amount=None)  # fmt: skip
    assert direction["explanation"].endswith(
        "Målet anger bara riktningen: andelen ska öka. "
        "Rätt riktning; målet anger ingen takt att jämföra med."
    )
    uncertain = status_of("period,value,ci_low,ci_high\n2017,50,45,55\n2022,53,48,58")
    assert "felmarginalen för förändringen (±7,1 procentenheter)" in uncertain["explanation"]


# --- which values the method may use --------------------------------------------------------


def test_removed_and_missing_values_are_ignored_never_zero():
    row = status_of(
        """
        period,value,is_deleted
        2017,50,false
        2021,51,false
        2022,,false
        2023,60,true
        """
    )
    assert (row["latest_year"], row["latest_value"]) == (2021, 51.0)


def test_values_after_the_report_year_are_not_used():
    row = status_of("period,value\n2017,50\n2023,51\n2025,60")
    assert row["latest_year"] == 2023


def test_liv_och_halsa_baseline_is_compared_with_liv_och_halsa():
    row = status_of(
        """
        period,value,survey
        2017,70,livohalsa
        2018,72,hlv
        2022,71,livohalsa
        2024,75,hlv
        """
    )
    assert (row["latest_year"], row["latest_value"]) == (2022, 71.0)
    assert row["comparison_note"] is None


def test_a_survey_without_a_baseline_in_its_survey_is_not_compared_across_surveys():
    # v1 compared Liv & Hälsa 2017 with HLV 2021 and noted it; v2 never crosses surveys
    row = status_of(
        """
        period,value,survey
        2017,70,hlv
        2020,72,hlv
        2022,73,livohalsa
        """
    )
    assert (row["status"], row["survey"]) == ("not_assessable", "Liv & Hälsa")
    assert row["reason"].startswith("Värde för basåret 2017 saknas i Liv & Hälsa.")
    assert (row["latest_year"], row["latest_value"]) == (2022, 73.0)  # shown: Liv & Hälsa's


def test_the_catalog_or_the_setting_chooses_the_survey():
    text = "period,value,survey\n2017,70,livohalsa\n2018,60,hlv\n2022,71,livohalsa\n2024,50,hlv"
    hlv = row_of(progress(observations(text), settings=MethodSettings(status_survey="hlv")))
    assert (hlv["survey"], hlv["baseline_year"], hlv["latest_year"]) == (
        "Hälsa på lika villkor", 2018, 2024,
    )  # fmt: skip
    named = status_of(text, survey="hlv")
    assert named["latest_value"] == 50.0
    county_default = status_of(text)  # Värmland runs Liv & Hälsa
    assert (county_default["survey"], county_default["latest_value"]) == ("Liv & Hälsa", 71.0)


def test_overlapping_multi_year_windows_are_noted():
    overlapping = status_of("period,value\n2017,50\n2019,53", window_years=3)
    assert "medelvärden över 3 år som delar år" in overlapping["comparison_note"]
    apart = status_of("period,value\n2017,50\n2020,53", window_years=3)
    assert apart["comparison_note"] is None


# --- the rows -------------------------------------------------------------------------------


def test_rows_cover_the_county_areas_the_indicator_applies_to_and_its_genders():
    regional = indicator(areas=["region", "riket"], divided_by_gender=True)
    rows = progress(observations("period,value\n2017,50"), regional)
    assert rows.select("area_id", "gender").rows() == [
        ("0000", "T"), ("0000", "K"), ("0000", "M"),
        ("0017", "T"), ("0017", "K"), ("0017", "M"),
    ]  # fmt: skip
    everywhere = progress(observations("period,value\n2017,50"))
    assert everywhere["area_id"].to_list() == ["0000", "0017", "1715", "1780", "1784", "G33624"]
    assert set(everywhere["status"]) == {"not_assessable"}
    assert everywhere.schema == pl.Schema(PROGRESS_SCHEMA)


def test_catalogs_with_the_same_kpi_coexist():
    both = pl.concat([indicator(), indicator(catalog_id="np2020", target_amount=1.0)])
    rows = progress(observations("period,value\n2017,50\n2022,51.5"), both)
    karlstad = rows.filter(pl.col("area_id") == "1780")
    assert dict(karlstad.select("catalog_id", "status").rows()) == {
        "np2020": "target_met",
        "np2022": "improving",
    }


# --- around the status ----------------------------------------------------------------------

AROUND = """
    area_id,period,gender,value
    1780,2017,T,50
    1780,2022,T,53
    1780,2017,K,54
    1780,2017,M,46
    1780,2022,K,58
    1780,2022,M,48
    1784,2022,T,60
    1715,2022,T,40
    0017,2022,T,55
    G33624,2022,T,51
    0000,2022,T,57
"""


def test_county_and_riket_values_for_the_latest_year():
    row = row_of(progress(observations(AROUND), indicator(divided_by_gender=True)))
    assert (row["county_value"], row["riket_value"]) == (55.0, 57.0)


def test_county_value_falls_back_to_the_mean_group_without_a_region_value():
    obs = observations(AROUND).filter(pl.col("area_id") != "0017")
    row = row_of(progress(obs, indicator(divided_by_gender=True)))
    assert row["county_value"] == 51.0


def test_rank_among_the_county_municipalities_in_the_indicator_direction():
    higher = progress(observations(AROUND), indicator()).filter(pl.col("rank").is_not_null())
    assert higher.select("area_id", "rank", "rank_of", "rank_third").rows() == [
        ("1715", 3, 3, "sämsta tredjedelen"),
        ("1780", 2, 3, "mellersta tredjedelen"),
        ("1784", 1, 3, "bästa tredjedelen"),
    ]
    lower = progress(observations(AROUND), indicator(direction=-1))
    assert lower.filter(pl.col("area_id") == "1715")["rank"].item() == 1
    assert lower.filter(pl.col("area_id") == "0017")["rank"].item() is None


def test_gender_gap_at_baseline_and_latest_on_total_rows():
    rows = progress(observations(AROUND), indicator(divided_by_gender=True))
    total, women = row_of(rows), row_of(rows, gender="K")
    assert (total["gap_baseline"], total["gap_latest"], total["gap_widened"]) == (8.0, 10.0, True)
    assert women["gap_baseline"] is None


def test_next_publication_and_whether_a_value_can_come_before_the_target_year():
    series = conform(
        pl.DataFrame(
            {
                "series_id": [SERIES, "kolada:N00002"],
                "next_publication": [dt.date(2025, 3, 1), dt.date(2022, 10, 1)],
                "is_discontinued": [False, False],
            }
        ),
        SERIES_SCHEMA,
    )
    obs = observations("period,value\n2017,50\n2022,53")
    late, early = (
        row_of(progress(obs, indicator(series_id=series_id), series=series))
        for series_id in (SERIES, "kolada:N00002")
    )
    assert (late["next_publication"], late["no_new_before_target"]) == (dt.date(2025, 3, 1), True)
    assert early["no_new_before_target"] is False
    unknown = row_of(progress(obs, indicator(series_id="kolada:N00003"), series=series))
    assert unknown["no_new_before_target"] is None


# --- why a status changed -------------------------------------------------------------------

BEFORE = "period,value\n2017,50\n2021,51"
SETTINGS = MethodSettings().as_dict()


def changes(before: pl.DataFrame, after: pl.DataFrame, **kwargs: Any) -> list[tuple[str, str, str]]:
    found = status_changes(
        before, after, kwargs.pop("previous_settings", SETTINGS), SETTINGS, **kwargs
    )
    return found.filter(pl.col("area_id") == "1780").select("gender", "status", "cause").rows()


def test_an_unchanged_run_has_no_changes():
    run = progress(observations(BEFORE))
    assert status_changes(run, run, SETTINGS, SETTINGS).height == 0


@pytest.mark.parametrize(
    ("after", "cause"),
    [
        ("period,value\n2017,50\n2021,51\n2022,52", "new_data_point"),
        ("period,value\n2017,49.5\n2021,51", "revised_baseline"),
        ("period,value\n2017,50\n2021,52", "revised_latest"),
        ("period,value\n2017,50", "revised_latest"),  # the latest value was removed
    ],
)
def test_a_changed_row_records_the_data_cause(after, cause):
    before = progress(observations(BEFORE))
    assert changes(before, progress(observations(after)))[0][2] == cause


def test_a_changed_target_is_the_cause_even_with_new_data():
    before = progress(observations(BEFORE))
    after = progress(observations(BEFORE + "\n2022,52"), indicator(target_amount=1.0))
    found = status_changes(
        before, after, SETTINGS, SETTINGS, indicator(), indicator(target_amount=1.0)
    )
    row = found.filter(pl.col("area_id") == "1780").row(0, named=True)
    assert row["cause"] == "changed_target"
    assert row["causes"] == ["changed_target", "new_data_point"]


def test_a_changed_method_setting_is_the_cause():
    before = progress(observations(BEFORE))
    stricter = MethodSettings(noise_share=0.6)
    after = progress(observations(BEFORE), settings=stricter)
    found = status_changes(before, after, SETTINGS, stricter.as_dict())
    assert found.filter(pl.col("area_id") == "1780")["cause"].to_list() == ["changed_method"]


def test_a_row_without_a_previous_row_is_new():
    before = progress(observations(BEFORE))
    after = progress(observations(BEFORE), indicator(divided_by_gender=True))
    found = changes(before, after)
    assert [cause for gender, _, cause in found] == ["new_row", "new_row"]
    assert {gender for gender, _, _ in found} == {"K", "M"}
    assert set(PROGRESS_KEY) <= set(status_changes(before, after, SETTINGS, SETTINGS).columns)


def test_improving_on_a_direction_only_target_is_labelled_without_a_pace() -> None:
    direction_only = status_of(
        "period,value\n2017,50\n2022,51", target_kind="direction", target_amount=None
    )
    paced = status_of("period,value\n2017,50\n2022,51")  # +2 pp by 2022: behind the path
    # v2: a target without a pace is right_direction, counted apart from improving
    assert (direction_only["status"], paced["status"]) == ("right_direction", "improving")
    assert direction_only["status_label"] == "Rätt riktning"
    assert paced["status_label"] == "Rätt riktning, men för långsamt"


def test_a_multi_year_mean_is_named_by_its_window_in_the_sentence() -> None:
    row = status_of(
        "period,value\n2017,6680.4\n2022,7212.5",
        unit="per_100000",
        direction=-1,
        target_kind="units",
        target_amount=1000.0,
        window_years=3,
    )
    assert "(2015–2017) till 7\u00a0212,5 per 100 000 invånare (2020–2022)" in row["explanation"]


def test_a_tiny_decisive_change_is_shown_with_two_decimals_not_as_no_change() -> None:
    row = status_of(
        "period,value\n2017,50.00\n2022,50.04",
        target_kind="direction",
        target_amount=None,
    )
    settings_row = row_of(
        progress(
            observations("period,value\n2017,50.00\n2022,50.04"),
            indicator(target_kind="direction", target_amount=None),
            MethodSettings(noise_abs=0.01),
        )
    )
    assert row["status"] == "no_change"  # below the default noise floor of 0,5
    assert settings_row["status"] == "right_direction"
    assert "+0,04" in settings_row["explanation"]
    assert "i stort sett inte förändrats" not in settings_row["explanation"]
