"""The Great Expectations suite stops bad batches and names what is wrong and where."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from models.schema import OBSERVATION_SCHEMA, conform
from pipelines.checks import CheckReport, build_docs, check_observations, outcomes_changed

SHARE = "kolada:N15428"
RATE = "kolada:N20402"
COUNTY = ["1780", "1784", "0017", "G33624", "0000"]
OREBRO = ["1880", "0018", "0000"]


def batch(csv: str) -> pl.DataFrame:
    frame = pl.read_csv(
        io.StringIO("\n".join(line.strip() for line in csv.strip().splitlines())),
        schema_overrides={"area_id": pl.String, "value": pl.Float64, "is_deleted": pl.Boolean},
    )
    return conform(frame, OBSERVATION_SCHEMA)


GOOD = """
    series_id,area_id,period,gender,value,is_deleted
    kolada:N15428,1780,2021,T,90.47,false
    kolada:N15428,1780,2021,K,,false
    kolada:N15428,0017,2021,T,86.9,false
    kolada:N20402,1784,2021,T,3400.5,false
"""


def run_checks(frame: pl.DataFrame, tmp_path: Path, **options: Any) -> CheckReport:
    return check_observations(
        frame,
        suite="kolada_values",
        run_id="test-run",
        checks_dir=tmp_path / "checks",
        share_series=[SHARE],
        county_scopes=options.pop("county_scopes", {"0017": COUNTY}),
        **options,
    )


@pytest.fixture(scope="module")
def checks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gx")


def test_a_good_batch_passes_and_its_data_docs_are_written_on_request(tmp_path: Path) -> None:
    report = run_checks(batch(GOOD), tmp_path)
    assert report.passed, report.describe_failures()
    assert report.docs_index is None  # validating alone renders nothing
    index = build_docs(tmp_path / "checks", report)
    assert index is not None and index.exists() and report.docs_index == index
    assert report.results["run_id"].unique().to_list() == ["test-run"]


def test_outcomes_change_when_an_expectation_passes_fails_or_counts_differently(
    checks_dir: Path,
) -> None:
    good = run_checks(batch(GOOD), checks_dir).results
    again = run_checks(batch(GOOD), checks_dir).results
    bad = run_checks(batch(GOOD + "kolada:N15428,1784,2021,T,104.2,false\n"), checks_dir).results
    assert not outcomes_changed(good, again)
    assert outcomes_changed(good, bad)
    assert outcomes_changed(good.clear(), good)


def test_share_above_100_fails_and_names_series_and_area(checks_dir: Path) -> None:
    bad = batch(GOOD + "kolada:N15428,1784,2021,T,104.2,false\n")
    report = run_checks(bad, checks_dir)
    assert not report.passed
    (failure,) = report.failures.filter(pl.col("expectation").str.contains("value")).rows(
        named=True
    )
    example = json.loads(failure["details"])["examples"][0]
    assert (example["series_id"], example["area_id"]) == (SHARE, "1784")
    assert "104.2" in " ".join(report.describe_failures())


def test_rates_are_not_held_to_the_share_range(checks_dir: Path) -> None:
    assert run_checks(batch(GOOD), checks_dir).passed  # N20402 3400.5 is a rate


def test_unknown_gender_fails(checks_dir: Path) -> None:
    report = run_checks(batch(GOOD + "kolada:N15428,1784,2021,X,80.0,false\n"), checks_dir)
    assert not report.passed
    assert any("gender" in line for line in report.describe_failures())


def test_duplicate_keys_fail(checks_dir: Path) -> None:
    report = run_checks(batch(GOOD + "kolada:N15428,1780,2021,T,91.0,false\n"), checks_dir)
    assert not report.passed
    assert any("unique" in line for line in report.describe_failures())


def test_every_value_null_fails(checks_dir: Path) -> None:
    empty_values = """
        series_id,area_id,period,gender,value,is_deleted
        kolada:N15428,1780,2021,T,,false
        kolada:N15428,0017,2021,T,,false
    """
    assert not run_checks(batch(empty_values), checks_dir).passed


def test_area_outside_the_county_is_reported_but_allowed(checks_dir: Path) -> None:
    report = run_checks(batch(GOOD + "kolada:N15428,1880,2021,T,88.0,false\n"), checks_dir)
    assert report.passed
    warnings = report.failures.filter(pl.col("severity") == "warning")
    assert warnings.height == 1
    assert "1880" in warnings["details"][0]


def test_a_full_load_that_shrinks_suspiciously_fails(checks_dir: Path) -> None:
    report = run_checks(batch(GOOD), checks_dir, full=True, previous_counts={"0017": 100})
    assert not report.passed
    assert any("row_count" in line for line in report.describe_failures())
    assert run_checks(batch(GOOD), checks_dir, full=True, previous_counts={"0017": 4}).passed


def test_each_county_is_held_against_its_own_previous_size_only(checks_dir: Path) -> None:
    two = batch(
        GOOD + "kolada:N15428,1880,2021,T,88.0,false\nkolada:N15428,0018,2021,T,87.0,false\n"
    )
    scopes = {"0017": COUNTY, "0018": OREBRO}
    # Värmland had 4 values and still has 4; Örebro (3 with Riket) is new: no floor from Värmland.
    report = run_checks(
        two, checks_dir, full=True, previous_counts={"0017": 4}, county_scopes=scopes
    )
    assert report.passed, report.describe_failures()
    counts = report.results.filter(pl.col("expectation").str.contains("row_count"))
    assert counts["expectation"].to_list() == [
        "expect_table_row_count_to_be_between where county_0017 == True"
    ]
    # Örebro shrinking from 10 to 3 fails, and the failure names Örebro's scope, not Värmland's.
    shrunk = run_checks(
        two, checks_dir, full=True, previous_counts={"0017": 4, "0018": 10}, county_scopes=scopes
    )
    assert not shrunk.passed
    failed = shrunk.failures["expectation"].to_list()
    assert failed == ["expect_table_row_count_to_be_between where county_0018 == True"]


def test_period_outside_the_sane_range_fails(checks_dir: Path) -> None:
    assert not run_checks(batch(GOOD + "kolada:N15428,1780,2207,T,80.0,false\n"), checks_dir).passed
