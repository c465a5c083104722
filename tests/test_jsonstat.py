"""JSON-stat: real SCB/PxWebApi files parse cell for cell; survey tables fold into intervals."""

from __future__ import annotations

import json

import polars as pl
import pytest

from models.areas import load_areas
from sources.jsonstat import cube_cells, load_jsonstat, read_jsonstat
from sources.survey import SurveyImportError
from tests.pxweb_server import FakeTable, jsonstat_dataset

AREAS = load_areas()
VARMLAND = {"17": "Värmlands län", "1780": "Karlstad", "1761": "Hammarö"}


def test_scb_v2_jsonstat2_response_parses_every_cell(reference_data):
    path = reference_data / "pxweb" / "scb-v2-jsonstat2" / "TAB6471_data.json"
    cells = cube_cells(load_jsonstat(path))
    assert cells.height == 21 * 11 * 3 * 1 * 4 == 2772
    assert cells.columns == ["Region", "Alder", "Kon", "ContentsCode", "Tid", "value", "status"]
    first = cells.row(0, named=True)
    assert (first["Region"], first["Alder"], first["Kon"], first["Tid"]) == (
        "01",
        "0-9",
        "TotSa",
        "2026M01",
    )
    assert first["value"] == 245284
    assert cells["value"].to_list()[4:6] == [125373, 126402]  # Kon = 1 (män), months 1-2


def test_monthly_time_codes_are_refused_as_observations(reference_data):
    path = reference_data / "pxweb" / "scb-v2-jsonstat2" / "TAB6471_data.json"
    with pytest.raises(SurveyImportError, match="not a year or a year window"):
        read_jsonstat(path, survey="scb")


def test_jsonstat1_bundle_parses_into_yearly_observations(reference_data):
    path = reference_data / "pxweb" / "scb-jsonstat1" / "statswe.json"
    cube = load_jsonstat(path)
    assert cube.size == 1120
    frame = read_jsonstat(path, survey="scb", areas=AREAS)
    assert frame.height == 1120
    assert set(frame["area_id"]) == {"0025"}  # SCB's '25' is Kolada's Norrbotten '0025'
    assert set(frame["gender"]) == {"K", "M"}
    raw = json.loads(path.read_text(encoding="utf-8"))["dataset"]["value"]
    assert frame.sort("series_id", "gender", "period")["value"].null_count() == sum(
        value is None for value in raw
    )


def test_pxwebapi_metadata_response_has_the_shape_without_values(reference_data):
    path = reference_data / "pxweb" / "pxwebapi-testdb" / "MetadataById_tab004_js2.json"
    cube = load_jsonstat(path)
    assert cube.size == 14 * 11 * 1 * 28
    assert set(cube.values) == {None}


def test_andel_och_konfidensintervall_folds_into_value_interval_and_n():
    table = FakeTable(regions=VARMLAND, suppressed=frozenset({("1761", "01", "2021-2024")}))
    frame = read_jsonstat(jsonstat_dataset(table, {}), survey="hlv", areas=AREAS)
    assert frame.height == 3 * 3 * 2  # region × gender × window; the 4 measures are folded
    karlstad = frame.filter(
        (pl.col("area_id") == "1780") & (pl.col("gender") == "T") & (pl.col("period") == 2024)
    ).row(0, named=True)
    share = 60.0 + 1780 % 7 + 2.0
    assert (karlstad["value"], karlstad["ci_low"], karlstad["ci_high"], karlstad["n"]) == (
        share,
        share - 2.5,
        share + 2.5,
        400,
    )
    assert (karlstad["period_start"], karlstad["period_end"]) == (2021, 2024)
    assert karlstad["series_id"] == "survey:hlv"
    hidden = frame.filter(
        (pl.col("area_id") == "1761") & (pl.col("gender") == "K") & (pl.col("period") == 2024)
    ).row(0, named=True)
    assert (hidden["value"], hidden["ci_low"], hidden["status"]) == (None, None, "..")
    assert set(frame["area_id"]) == {"0017", "1780", "1761"}


def test_sparse_value_and_status_objects_are_read():
    dataset = {
        "version": "2.0",
        "class": "dataset",
        "id": ["Region", "Tid"],
        "size": [1, 3],
        "role": {"time": ["Tid"]},
        "dimension": {
            "Region": {"label": "region", "category": {"label": {"1780": "Karlstad"}}},
            "Tid": {"label": "år", "category": {"index": ["2020", "2021", "2022"]}},
        },
        "value": {"0": 12.5, "2": 13.0},
        "status": {"1": "..."},
    }
    frame = read_jsonstat(dataset, survey="x").sort("period")
    assert frame["value"].to_list() == [12.5, None, 13.0]
    assert frame["status"].to_list() == ["", "...", ""]


def test_a_folded_share_outside_its_interval_is_rejected():
    dataset = jsonstat_dataset(
        FakeTable(regions={"1780": "Karlstad"}, years=("2022",)), {"Kon": ["00"]}
    )
    dataset["value"][1] = 90.0  # the lower limit above the share
    with pytest.raises(SurveyImportError, match="outside 0–100 or its interval"):
        read_jsonstat(dataset, survey="hlv")


def test_unknown_area_codes_are_listed():
    dataset = jsonstat_dataset(FakeTable(regions={"1799": "Ingenstans"}), {})
    with pytest.raises(SurveyImportError, match=r"unknown area codes \['1799'\]"):
        read_jsonstat(dataset, survey="hlv", areas=AREAS)


def small_dataset(values: object) -> dict[str, object]:
    return {
        "version": "2.0",
        "class": "dataset",
        "id": ["Region", "Tid"],
        "size": [1, 2],
        "role": {"time": ["Tid"]},
        "dimension": {
            "Region": {"label": "region", "category": {"label": {"1780": "Karlstad"}}},
            "Tid": {"label": "år", "category": {"index": ["2021", "2022"]}},
        },
        "value": values,
    }


def import_json(tmp_path, name: str, text: str):
    from config import load_settings
    from pipelines.survey_import import import_survey_files

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    settings = load_settings({"data_dir": tmp_path / "data"}, env={}, cwd=tmp_path)
    return import_survey_files([path], settings, "run-1", survey="hlv", areas=AREAS)


def test_a_jsonstat_share_above_100_is_refused_as_in_the_tidy_table(tmp_path):
    text = json.dumps(small_dataset([70.1, 250]))
    with pytest.raises(SurveyImportError, match=r"^share\.json: .*value 250\.0 outside 0–100"):
        import_json(tmp_path, "share.json", text)


def test_a_jsonstat_number_written_as_text_is_refused_not_stored_as_null(tmp_path):
    text = json.dumps(small_dataset([70.2, "70,1"]))
    with pytest.raises(SurveyImportError, match=r"^comma\.json: .*'70,1' \(cell 1\) is not a JSON"):
        import_json(tmp_path, "comma.json", text)


MALFORMED = {
    "size_mismatch": json.dumps({**small_dataset([1, 2]), "size": [1, 2, 3]}),
    "too_few_values": json.dumps(small_dataset([70.1])),
    "sizes_against_categories": json.dumps({**small_dataset([1, 2, 3]), "size": [1, 3]}),
    "truncated": json.dumps(small_dataset([70.1, 71.2]))[:80],
    "sparse_out_of_range": json.dumps(small_dataset({"0": 70.1, "7": 71.2})),
    "top_level_list": json.dumps([small_dataset([70.1, 71.2])]),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_jsonstat_file_is_refused_by_name(tmp_path, kind: str) -> None:
    with pytest.raises(SurveyImportError) as caught:
        import_json(tmp_path, f"{kind}.json", MALFORMED[kind])
    message = str(caught.value)
    assert message.startswith(f"{kind}.json"), message
    if kind == "truncated":
        assert message.startswith(f"{kind}.json:1: not valid JSON"), message


def test_only_the_first_50_problems_are_listed_with_a_count_of_the_rest() -> None:
    from sources.survey import Problem

    error = SurveyImportError([Problem("big.csv", line, "bad") for line in range(2, 302)])
    lines = str(error).splitlines()
    assert len(lines) == 51
    assert lines[-1] == "… and 250 more problem(s) (300 in all)"
    assert len(error.problems) == 300
