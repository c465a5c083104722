"""Areas come from real Kolada metadata; any county works from configuration."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from models.areas import AREAS_FILE, county_areas, load_areas

from .conftest import PROJECT_ROOT

VARMLAND = {
    "1784": "Arvika", "1730": "Eda", "1782": "Filipstad", "1763": "Forshaga", "1764": "Grums",
    "1783": "Hagfors", "1761": "Hammarö", "1780": "Karlstad", "1715": "Kil",
    "1781": "Kristinehamn", "1762": "Munkfors", "1760": "Storfors", "1766": "Sunne",
    "1785": "Säffle", "1737": "Torsby", "1765": "Årjäng",
}  # fmt: skip


def test_varmland_is_its_sixteen_municipalities_region_group_and_riket() -> None:
    county = county_areas("0017")
    assert {a.area_id: a.name for a in county.municipalities} == VARMLAND
    assert county.region.name == "Region Värmland"
    assert county.mean_group.area_id == "G33624"
    assert county.riket.area_id == "0000"
    assert len(county.area_ids) == 19


def test_a_second_county_works_from_the_same_metadata() -> None:
    county = county_areas("0018")
    assert county.region.name == "Region Örebro län"
    assert county.mean_group.area_id == "G33625"
    assert len(county.municipalities) == 12
    assert all(a.area_id.startswith("18") for a in county.municipalities)


def test_ids_keep_their_leading_zeros() -> None:
    areas = load_areas()
    assert areas["0114"].name == "Upplands Väsby"
    assert areas["0114"].county_id == "0001"
    assert areas["0000"].kind == "riket"


def test_unknown_county_is_refused_with_the_known_codes() -> None:
    with pytest.raises(ValueError, match="0017"):
        county_areas("0099")


def test_committed_area_table_is_what_the_script_builds(
    tmp_path: Path, reference_data: Path
) -> None:
    output = tmp_path / "areas.csv"
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "build_areas.py"),
         "--reference", str(reference_data), "--output", str(output)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert output.read_bytes() == AREAS_FILE.read_bytes()
    with output.open(encoding="utf-8") as handle:
        kinds = [row["kind"] for row in csv.DictReader(handle)]
    assert (kinds.count("kommun"), kinds.count("region"), kinds.count("grupp")) == (290, 21, 21)
