"""The status method on the real Kolada sample, against rows computed by hand.

N15428 "Elever i åk 9 som är behöriga till yrkesprogram" in catalog np2022: higher is better,
+2 procentenheter from each area's own 2017 value, target year 2022, no interval and no n in
Kolada, so the noise floor 0,10·R = 0,2 pp decides what counts as a change.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from config import MethodSettings
from models.areas import AREAS_FILE
from models.catalog import find_catalog_path, indicators_frame, load_catalog
from pipelines.progress import compute_progress
from sources.kolada import parse_kpis, parse_values, read_snapshot, read_snapshot_kpis

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
REPORT_YEAR = 2025  # the May 2026 report: values up to 2025


@pytest.fixture(scope="module")
def behoriga() -> pl.DataFrame:
    areas = pl.read_csv(AREAS_FILE, schema_overrides={"area_id": pl.String, "county_id": pl.String})
    county = areas.filter((pl.col("county_id") == "0017") | (pl.col("area_id") == "0000"))
    observations = parse_values(read_snapshot(SAMPLE, ["N15428"], county["area_id"].to_list()))
    series = parse_kpis(read_snapshot_kpis(SAMPLE))
    catalog = indicators_frame([load_catalog(find_catalog_path("np2022"))])
    rows = compute_progress(
        catalog, observations, areas, "0017", MethodSettings(), REPORT_YEAR, series
    )
    return rows.filter(
        (pl.col("indicator_id") == "behoriga_yrkesprogram") & (pl.col("gender") == "T")
    )


def row(rows: pl.DataFrame, area_id: str) -> dict:
    return rows.filter(pl.col("area_id") == area_id).row(0, named=True)


def test_karlstad_has_no_change_beyond_its_year_to_year_variation(behoriga):
    # 2017: 89,17345751 %; latest 2025: 88,774555 % (Kolada v3, fetched 2026-07-06).
    # v1 said worsening (Δ = −0,399 ≥ the noise floor 0,2). v2 (method.md's worked example):
    # σ = 1,7805 from 10 one-year differences; 1,96·σ·√2 = 4,94 > R = 2, so three-year means
    # 2016–2018 = 89,171 → 2023–2025 = 87,235, Δ = −1,936; 1,96·se_Δ = 2,849 > |Δ|: no_change.
    karlstad = row(behoriga, "1780")
    assert (karlstad["baseline_year"], karlstad["latest_year"]) == (2017, 2025)
    assert karlstad["baseline_value"] == pytest.approx(89.17345751)
    assert karlstad["latest_value"] == pytest.approx(88.774555)
    assert karlstad["sigma"] == pytest.approx(1.7805, abs=5e-5)
    assert karlstad["change"] == pytest.approx(-1.936, abs=5e-4)
    assert karlstad["target_value"] == pytest.approx(91.17345751)  # from the single 2017 value
    # path: flat after 2022, so the expected value is the target itself
    assert karlstad["expected_value"] == pytest.approx(91.17345751)
    assert (karlstad["status"], karlstad["decided_by"]) == ("no_change", "not_significant")
    assert karlstad["explanation"] == (
        "Medelvärdet har minskat från 89,2 % (medelvärdet 2016–2018) till 87,2 % "
        "(medelvärdet 2023–2025), −2,0 procentenheter. "
        "Målet var +2 procentenheter till 2022 (91,2 %). Ingen säkerställd förändring: "
        "skillnaden är mindre än den normala variationen mellan åren (±2,8 procentenheter)."
    )
    # Region Värmland and Riket have no 2025 value in the sample: no comparison for that year.
    assert karlstad["county_value"] is None and karlstad["riket_value"] is None


def test_region_varmland_has_met_its_target(behoriga):
    # 2017: 82,3 %; latest 2022: 85,7 %; target 82,3 + 2 = 84,3 %. v2: σ = 1,516 makes the
    # series noisy for a 2 pp target, so means: 2016–2018 = 82,93 → 2020–2022 = 85,80, and
    # the latest mean 85,8 ≥ 84,3 (v1 compared the single values: Δ = +3,4).
    region = row(behoriga, "0017")
    assert (region["baseline_value"], region["latest_year"], region["latest_value"]) == (
        82.3,
        2022,
        85.7,
    )
    assert region["uses_means"] is True
    assert region["change"] == pytest.approx(85.8 - 82.933333, abs=1e-5)
    assert region["target_value"] == pytest.approx(84.3)
    assert region["share_achieved"] == pytest.approx((85.8 - 82.933333) / 2, abs=1e-5)
    assert (region["status"], region["decided_by"]) == ("target_met", "latest_beyond_target")
    assert (region["county_value"], region["riket_value"]) == (85.7, 85.310222)


def test_riket_has_met_its_target(behoriga):
    # 2017: 82,5 %, target 84,5 %. v2 means: 2016–2018 = 84,73 → 2020–2022 = 85,92; the
    # latest mean is past the target fixed from the single 2017 value (v1: +2,810222).
    riket = row(behoriga, "0000")
    assert riket["change"] == pytest.approx(85.920883 - 84.733333, abs=1e-5)
    assert riket["target_value"] == pytest.approx(84.5)
    assert riket["status"] == "target_met"
    assert riket["explanation"] == (
        "Medelvärdet har ökat från 84,7 % (medelvärdet 2016–2018) till 85,9 % "
        "(medelvärdet 2020–2022), +1,2 procentenheter. "
        "Målet var +2 procentenheter till 2022 (84,5 %). Målet är nått."
    )


def test_the_next_publication_comes_after_the_target_year(behoriga):
    # Kolada's publication_date for N15428 is 2026-09-25, after 31 December 2022.
    karlstad = row(behoriga, "1780")
    assert karlstad["next_publication"] == dt.date(2026, 9, 25)
    assert karlstad["no_new_before_target"] is True


def test_every_county_area_has_a_row_and_municipalities_are_ranked_on_one_year(behoriga):
    assert behoriga.height == 16 + 3  # municipalities, region, mean group, Riket
    # Only Karlstad has values after 2022, so ranks compare 2022, when all 16 report.
    # 2022, higher is better: Hammarö 94,1; Årjäng 89,7; Forshaga 89,4; Karlstad 89,1; ...
    # ... Munkfors 75,9 last. Rank 4 of 16 → floor(3·3/16) = 0 → the best third (ranks 1–6).
    karlstad, munkfors = row(behoriga, "1780"), row(behoriga, "1762")
    assert (karlstad["rank"], karlstad["rank_of"]) == (4, 16)
    assert karlstad["rank_third"] == "bästa tredjedelen"
    assert (munkfors["rank"], munkfors["rank_third"]) == (16, "sämsta tredjedelen")
    assert row(behoriga, "0017")["rank"] is None  # only municipalities are ranked
