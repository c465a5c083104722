"""The offline sample data/sample/: reproducible from the reference data, real, and consistent."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import polars as pl
import pytest

from sources.kolada import parse_values, read_snapshot

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
COUNTY_MEMBERS = "1715 1730 1737 1760 1761 1762 1763 1764 1765 1766 1780 1781 1782 1783 1784 1785"


def load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_sample", ROOT / "scripts" / "build_sample.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: the script's dataclasses look their module up while being defined.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def sample_values() -> pl.DataFrame:
    kpis = [path.stem for path in sorted((SAMPLE_DIR / "kolada" / "data").glob("*.json"))]
    areas = [*COUNTY_MEMBERS.split(), "0017", "0000", "G33624"]
    return parse_values(read_snapshot(SAMPLE_DIR, kpis, areas))


@pytest.mark.slow
def test_rebuilding_the_sample_gives_byte_identical_files(reference_data, tmp_path):
    build = load_build_script()
    build.build_sample(reference_data, tmp_path, "0017")
    assert tree(tmp_path) == tree(SAMPLE_DIR)


def test_sample_values_match_the_reference_csv(reference_data):
    values = sample_values()
    lookup = values.filter(
        pl.col("series_id") == "kolada:N15428", pl.col("gender") == "T", pl.col("period") == 2021
    )
    by_area = dict(lookup.select("area_id", "value").iter_rows())
    assert by_area["0000"] == pytest.approx(86.5)  # kolada-api.md §3, from the 2024 scrape
    assert by_area["0017"] == pytest.approx(86.9)


def test_karlstad_n15428_comes_from_the_newer_v3_response():
    values = sample_values().filter(
        pl.col("series_id") == "kolada:N15428", pl.col("area_id") == "1780", pl.col("gender") == "T"
    )
    assert values.filter(pl.col("period") == 2025).item(0, "value") == pytest.approx(88.774555)


def test_county_mean_group_is_the_unweighted_mean_of_the_municipalities():
    values = sample_values()
    members = values.filter(
        pl.col("area_id").is_in(COUNTY_MEMBERS.split()), pl.col("value").is_not_null()
    )
    expected = members.group_by("series_id", "period", "gender").agg(
        mean=pl.col("value").mean(), contributors=pl.len()
    )
    group = values.filter(pl.col("area_id") == "G33624").join(
        expected, on=["series_id", "period", "gender"], how="left"
    )
    assert group.height > 0
    assert group.filter((pl.col("value") - pl.col("mean")).abs() > 1e-9).height == 0
    assert group.filter(pl.col("count") != pl.col("contributors")).height == 0


def test_sample_holds_only_real_or_computed_values():
    values = sample_values()
    assert values.filter(pl.col("value").is_null() & (pl.col("status") != "Missing")).height == 0
    single = values.filter(pl.col("area_id") != "G33624")
    assert set(single["count"].unique().to_list()) <= {0, 1}
    assert not values["is_deleted"].any()


def test_sample_has_no_kpi_without_reference_data():
    present = {path.stem for path in (SAMPLE_DIR / "kolada" / "data").glob("*.json")}
    assert "N80401" not in present and "U71455" not in present
    assert {"N15428", "U01405", "U21454"} <= present


def test_sample_files_are_v3_envelopes_with_integer_periods():
    for path in sorted((SAMPLE_DIR / "kolada" / "data").glob("*.json")):
        body = json.loads(path.read_bytes())
        assert body["next_url"] is None and body["count"] == len(body["values"])
        assert all(type(record["period"]) is int for record in body["values"]), path.name
