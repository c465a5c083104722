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


def test_karlstad_has_moved_the_wrong_way(behoriga):
    # 2017: 89,17345751 %; latest 2025: 88,774555 % (Kolada v3, fetched 2026-07-06).
    # Δ = 88,774555 − 89,17345751 = −0,39890251 pp; Δd = −0,399; R = 2; target 91,17345751 %.
    # Not met (88,8 < 91,2); no uncertainty known, |Δd| = 0,399 ≥ 0,2 → a change, and Δd < 0.
    karlstad = row(behoriga, "1780")
    assert (karlstad["baseline_year"], karlstad["latest_year"]) == (2017, 2025)
    assert karlstad["baseline_value"] == pytest.approx(89.17345751)
    assert karlstad["latest_value"] == pytest.approx(88.774555)
    assert karlstad["change"] == pytest.approx(-0.39890251)
    assert karlstad["target_value"] == pytest.approx(91.17345751)
    assert karlstad["noise_floor"] == pytest.approx(0.2)
    # path: flat after 2022, so the expected value is the target itself
    assert karlstad["expected_value"] == pytest.approx(91.17345751)
    assert (karlstad["status"], karlstad["decided_by"]) == ("worsening", "wrong_direction")
    assert karlstad["explanation"] == (
        "Andelen har minskat från 89,2 % (2017) till 88,8 % (2025), −0,4 procentenheter. "
        "Målet var +2 procentenheter till 2022 (91,2 %). Fel riktning."
    )
    # Region Värmland and Riket have no 2025 value in the sample: no comparison for that year.
    assert karlstad["county_value"] is None and karlstad["riket_value"] is None


def test_region_varmland_has_met_its_target(behoriga):
    # 2017: 82,3 %; latest 2022: 85,7 %. Δ = +3,4 pp; target 82,3 + 2 = 84,3 %; 85,7 ≥ 84,3.
    region = row(behoriga, "0017")
    assert (region["baseline_value"], region["latest_year"], region["latest_value"]) == (
        82.3,
        2022,
        85.7,
    )
    assert region["change"] == pytest.approx(3.4)
    assert region["target_value"] == pytest.approx(84.3)
    assert region["share_achieved"] == pytest.approx(1.7)  # 3,4 / 2
    assert (region["status"], region["decided_by"]) == ("target_met", "latest_beyond_target")
    assert (region["county_value"], region["riket_value"]) == (85.7, 85.310222)


def test_riket_has_met_its_target(behoriga):
    # 2017: 82,5 %; latest 2022: 85,310222 %. Δ = +2,810222 pp; target 84,5 %; 85,3 ≥ 84,5.
    riket = row(behoriga, "0000")
    assert riket["change"] == pytest.approx(2.810222)
    assert riket["target_value"] == pytest.approx(84.5)
    assert riket["status"] == "target_met"
    assert riket["explanation"] == (
        "Andelen har ökat från 82,5 % (2017) till 85,3 % (2022), +2,8 procentenheter. "
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
