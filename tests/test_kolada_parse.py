"""Parsing Kolada v3 pages: the real recorded responses, malformed pages, KPI metadata."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import polars as pl
import pytest

from models.schema import OBSERVATION_SCHEMA, SERIES_SCHEMA
from sources.kolada import (
    KoladaResponseError,
    Page,
    decode_envelope,
    parse_kpis,
    parse_municipalities,
    parse_municipality_groups,
    parse_values,
    read_snapshot,
    read_snapshot_kpis,
    read_snapshot_municipalities,
    read_snapshot_municipality_groups,
)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


def response_files(reference_data: Path) -> list[Path]:
    files = sorted((reference_data / "kolada" / "v3-responses").glob("kolada_*.json"))
    assert len(files) == 6, "expected the six recorded v3 responses"
    return files


def page_from_file(path: Path) -> Page:
    return Page(url=path.as_uri(), path=path, body=decode_envelope(path.read_bytes(), path))


def page_of(records: list, path: Path = Path("page.json")) -> Page:
    return Page(url="http://test/", path=path, body={"values": records, "next_url": None})


def record(**changes: object) -> dict:
    base = {
        "values": [{"gender": "T", "count": 1, "status": "", "value": 1.5, "isdeleted": False}],
        "kpi": "N15428",
        "period": 2020,
        "municipality": "0183",
    }
    return {**base, **changes}


def test_every_recorded_v3_response_parses_with_all_records_and_values(reference_data):
    for path in response_files(reference_data):
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
        frame = parse_values([page_from_file(path)])
        expected_values = sum(len(item["values"]) for item in raw["values"])
        assert frame.height == expected_values, path.name
        assert frame.select("series_id", "area_id", "period").unique().height == len(
            raw["values"]
        ), path.name
        assert raw["count"] == len(raw["values"])
        assert frame.schema == pl.Schema(OBSERVATION_SCHEMA)


def test_recorded_response_starts_with_a_byte_order_mark_and_still_parses(reference_data):
    path = response_files(reference_data)[0]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert parse_values([page_from_file(path)]).height > 0


def test_missing_record_has_a_null_value_not_zero(reference_data):
    path = reference_data / "kolada" / "v3-responses" / "kolada_nettokostnadsavvikelse.json"
    frame = parse_values([page_from_file(path)])
    missing = frame.filter(
        (pl.col("area_id") == "0780") & (pl.col("period") == 2017) & (pl.col("gender") == "T")
    )
    assert missing.height == 1
    assert missing.item(0, "value") is None
    assert missing.item(0, "status") == "Missing"
    assert missing.item(0, "count") == 0
    assert frame.filter(pl.col("value").is_null()).height == 1


def test_leading_zeros_survive_and_rows_are_tidy(reference_data):
    path = reference_data / "kolada" / "v3-responses" / "kolada_behorighet.json"
    frame = parse_values([page_from_file(path)])
    assert "0183" in frame["area_id"].to_list()
    row = frame.filter(
        (pl.col("area_id") == "0183") & (pl.col("period") == 1998) & (pl.col("gender") == "K")
    )
    assert row.item(0, "series_id") == "kolada:N15428"
    assert row.item(0, "value") == pytest.approx(89.71962617)
    assert row.item(0, "is_deleted") is False
    assert set(frame["gender"].unique()) == {"T", "K", "M"}
    assert frame.filter(pl.col("area_id") == "1780", pl.col("period") == 2025).filter(
        pl.col("gender") == "T"
    ).item(0, "value") == pytest.approx(88.774555, abs=1e-6)


def test_gendered_kpi_keeps_early_years_without_women_and_men(reference_data):
    path = reference_data / "kolada" / "v3-responses" / "kolada_hemtjanst.json"
    frame = parse_values([page_from_file(path)])
    counts = frame.group_by("gender").len().sort("gender")
    assert dict(counts.iter_rows()) == {"K": 96, "M": 96, "T": 104}


def test_parsed_rows_are_sorted_by_key():
    frame = parse_values(
        [page_of([record(period=2021), record(municipality="0000"), record(period=1999)])]
    )
    keys = frame.select("area_id", "period").rows()
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("bad_record", "phrase"),
    [
        (record(period="2020"), "period"),
        (record(municipality=183), "municipality"),
        (record(values=[{"gender": None, "value": 1.0}]), "gender"),
        (record(values=[{"gender": "T", "value": "12,5"}]), "not a number"),
        (record(values=[{"gender": "T"}]), "no `value`"),
        (record(values=[{"gender": "T", "value": 1.0, "count": "1"}]), "count"),
        (record(values="none"), "`values` must be a list"),
        ("not a record", "expected an object"),
    ],
)
def test_malformed_record_names_file_and_record(bad_record, phrase):
    with pytest.raises(KoladaResponseError) as caught:
        parse_values([page_of([record(), bad_record], Path("raw/00003-page.json"))])
    message = str(caught.value)
    assert "raw/00003-page.json" in message
    assert "record 1" in message
    assert phrase in message


def test_bad_json_names_the_file():
    with pytest.raises(KoladaResponseError, match=r"00001-x\.json: not valid JSON"):
        decode_envelope(b'{"values":[{"kpi":', Path("00001-x.json"))


def test_envelope_without_values_is_refused():
    with pytest.raises(KoladaResponseError, match="no `values` list"):
        decode_envelope(b'{"results":[]}', Path("x.json"))


def kpi_object(**changes: object) -> dict:
    base = {
        "id": "N15428",
        "title": "Elever i åk 9 som är behöriga till yrkesprogram, hemkommun, andel (%)",
        "is_divided_by_gender": True,
        "municipality_type": "A",
        "publ_period": 2026,
        "publication_date": "2026-09-25",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(True, True), (1, True), ("1", True), ("True", True), ("true", True)],
        *[(False, False), (0, False), ("0", False), ("False", False)],
    ],
)
def test_kpi_flags_are_read_leniently(raw, expected):
    frame = parse_kpis([page_of([kpi_object(is_divided_by_gender=raw)])])
    assert frame.item(0, "is_divided_by_gender") is expected


def test_kpi_flag_that_is_not_a_flag_is_refused():
    with pytest.raises(KoladaResponseError, match="N15428"):
        parse_kpis([page_of([kpi_object(is_divided_by_gender="maybe")])])


@pytest.mark.parametrize(
    ("raw", "expected"), [(2025, 2025), ("2025", 2025), ("", None), (None, None)]
)
def test_publ_period_accepts_int_string_or_empty(raw, expected):
    frame = parse_kpis([page_of([kpi_object(publ_period=raw)])])
    assert frame.item(0, "latest_period") == expected


def test_kpi_metadata_conforms_to_the_series_schema():
    frame = parse_kpis([page_of([kpi_object()])], requested=["N15428"])
    assert frame.schema == pl.Schema(SERIES_SCHEMA)
    row = frame.row(0, named=True)
    assert row["series_id"] == "kolada:N15428"
    assert row["source"] == "kolada"
    assert row["next_publication"] == datetime.date(2026, 9, 25)
    assert row["is_discontinued"] is False


def test_title_ending_in_year_suffix_is_flagged_discontinued():
    title = "Patientupplevd kvalitet avseende kontinuitet i primärvården, index (-2024)"
    frame = parse_kpis([page_of([kpi_object(id="U71455", title=title, publ_period="")])])
    assert frame.item(0, "is_discontinued") is True
    assert frame.item(0, "latest_period") is None


def test_requested_kpi_that_vanished_is_flagged_with_a_null_title():
    frame = parse_kpis([page_of([kpi_object()])], requested=["N15428", "U01901"])
    vanished = frame.filter(pl.col("series_id") == "kolada:U01901").row(0, named=True)
    assert vanished["is_discontinued"] is True
    assert vanished["title"] is None
    kept = frame.filter(pl.col("series_id") == "kolada:N15428").row(0, named=True)
    assert kept["is_discontinued"] is False


def test_snapshot_pages_go_through_the_same_parser_and_keep_only_requested_areas():
    pages = list(read_snapshot(SAMPLE_DIR, ["N15428", "N99999"], ["1780", "0017"]))
    assert [page.path.name for page in pages] == ["N15428.json"]
    frame = parse_values(pages)
    assert set(frame["area_id"].unique()) == {"1780", "0017"}
    assert frame["period"].max() == 2025  # Karlstad's v3 values reach 2025


def test_snapshot_metadata_parses():
    kpis = parse_kpis(read_snapshot_kpis(SAMPLE_DIR), requested=["U01901", "N15428"])
    assert kpis.filter(pl.col("series_id") == "kolada:U01901").item(0, "is_discontinued")
    municipalities = parse_municipalities(read_snapshot_municipalities(SAMPLE_DIR))
    assert municipalities.height == 18
    assert {"0000", "0017", "1780"} <= set(municipalities["area_id"])
    groups = parse_municipality_groups(read_snapshot_municipality_groups(SAMPLE_DIR))
    assert groups["group_id"].unique().to_list() == ["G33624"]
    assert groups.height == 16
