"""Survey import: archive first, validate every file, store all or nothing; Kolada tagging."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from config import Settings
from models.areas import load_areas
from models.schema import OBSERVATION_SCHEMA, conform
from pipelines.survey_import import import_survey_files
from sources.survey import SurveyImportError, normalize_area_id, tag_survey_points

AREAS = load_areas()
SAMPLES = Path(__file__).parent / "data" / "survey"
GOOD_FILE = SAMPLES / "livohalsa_2017_2022_utf8_bom_semicolon.csv"
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def settings_in(folder: Path) -> Settings:
    return Settings(
        data_dir=folder / "data",
        db_path=folder / "data" / "warehouse" / "w.duckdb",
        kolada_url="http://127.0.0.1:9",
        county_ids=("0017",),
    )


def kolada_u01405(reference_data: Path) -> pl.DataFrame:
    """Real U01405 values (csv-2024 dump) for Värmland, as Kolada observations."""
    path = reference_data / "kolada" / "csv-2024" / "ddf--datapoints--u01405--by--geo--year.csv"
    with path.open(encoding="utf-8") as handle:
        records = [
            {
                "series_id": "kolada:U01405",
                "area_id": normalize_area_id(row["geo"]),
                "period": int(row["year"]),
                "gender": "T",
                "value": float(row["u01405"]),
                "status": "",
            }
            for row in csv.DictReader(handle)
        ]
    frame = conform(pl.DataFrame(records), OBSERVATION_SCHEMA)
    varmland = [a for a, area in AREAS.items() if area.county_id == "0017"]
    return frame.filter(pl.col("area_id").is_in([*varmland, "0180"]))


def test_kolada_u01405_points_are_tagged_by_survey(reference_data):
    tagged = tag_survey_points(kolada_u01405(reference_data))

    def point(area_id: str, year: int) -> tuple[str, int, int]:
        row = tagged.filter((pl.col("area_id") == area_id) & (pl.col("period") == year))
        return row.select("survey", "period_start", "period_end").row(0)

    assert point("1780", 2017) == ("livohalsa", 2017, 2017)
    assert point("1780", 2022) == ("livohalsa", 2022, 2022)
    assert point("1780", 2018) == ("hlv", 2015, 2018)
    assert point("1780", 2016) == ("hlv", 2013, 2016)
    assert point("0017", 2022) == ("livohalsa", 2022, 2022)
    assert point("0017", 2021) == ("hlv", 2018, 2021)
    assert point("0180", 2022) == ("hlv", 2019, 2022)  # Stockholm is not a CDUST county
    municipalities = tagged.filter(
        (pl.col("survey") == "livohalsa")
        & (pl.col("area_id").str.len_chars() == 4)
        & ~pl.col("area_id").str.starts_with("00")
    )
    assert municipalities.group_by("period").len().sort("period").rows() == [
        (2008, 16),
        (2012, 16),
        (2017, 16),
        (2022, 16),
    ]


def test_other_series_pass_tagging_unchanged(reference_data):
    other = kolada_u01405(reference_data).with_columns(series_id=pl.lit("kolada:N15428"))
    assert tag_survey_points(other).equals(other)


def test_import_archives_byte_for_byte_and_stores_the_waves(tmp_path):
    settings = settings_in(tmp_path)
    result = import_survey_files([GOOD_FILE], settings, "run-1", now=NOW)
    copy = settings.raw_dir / "survey" / "run-1" / f"01_{GOOD_FILE.name}"
    assert copy.read_bytes() == GOOD_FILE.read_bytes()
    assert result.rows == 32
    assert result.counts["inserted"] == 32
    assert result.series_ids == ("survey:livohalsa.bra_sjalvskattad_halsa.18_84_ar",)

    from pipelines.warehouse import read_query

    stored = read_query(
        settings.db_path,
        "SELECT area_id, period, value, ci_low, ci_high, n, "
        "period_start, survey FROM observations WHERE valid_to IS NULL",
    )
    assert stored.height == 32
    karlstad = stored.filter((pl.col("area_id") == "1780") & (pl.col("period") == 2017))
    assert karlstad["value"].to_list() == [74.2]
    assert karlstad["survey"].to_list() == ["livohalsa"]
    runs = read_query(settings.db_path, "SELECT kind, outcome, inserted FROM runs")
    assert runs.rows() == [("survey_import", "success", 32)]


def test_one_bad_file_stores_nothing_from_any_file_but_both_are_archived(tmp_path):
    settings = settings_in(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(GOOD_FILE.read_bytes().replace(b"Karlstad", b"Karlsta"))
    stored: list[pl.DataFrame] = []

    def store(db_path, batch, run_id, now, run):  # must never be reached
        stored.append(batch)
        return {}

    with pytest.raises(SurveyImportError) as caught:
        import_survey_files([GOOD_FILE, bad], settings, "run-2", now=NOW, store=store)
    assert stored == []
    assert not settings.db_path.exists()
    assert str(caught.value).startswith("bad.csv:")
    assert "unknown area name 'Karlsta'" in str(caught.value)
    assert {p.name for p in (settings.raw_dir / "survey" / "run-2").iterdir()} == {
        f"01_{GOOD_FILE.name}",
        "02_bad.csv",
        "manifest.json",
    }


def test_the_same_cell_in_two_files_is_refused(tmp_path):
    other = SAMPLES / "livohalsa_2017_2022_cp1252_comma.csv"
    with pytest.raises(SurveyImportError, match="appears in more than one file"):
        import_survey_files(
            [GOOD_FILE, other], settings_in(tmp_path), "run-3", now=NOW, store=lambda *args: {}
        )


def test_minimum_n_on_import_is_counted_per_file(tmp_path):
    result = import_survey_files(
        [GOOD_FILE], settings_in(tmp_path), "run-4", now=NOW, min_n=400, store=lambda *args: {}
    )
    assert result.small_n == 32
    assert "32 undertryckta" in result.summary_lines()[0]


def test_a_px_file_needs_the_survey_named(tmp_path):
    path = tmp_path / "t.px"
    path.write_text("DATA=\n1;\n", encoding="latin-1")
    with pytest.raises(SurveyImportError, match="say which survey"):
        import_survey_files([path], settings_in(tmp_path), "run-5", store=lambda *args: {})


def test_a_file_past_the_size_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from pipelines import survey_import

    monkeypatch.setattr(survey_import, "MAX_FILE_BYTES", GOOD_FILE.stat().st_size - 1)
    with pytest.raises(SurveyImportError, match=r"is more than the .* MB a survey table may have"):
        import_survey_files([GOOD_FILE], settings_in(tmp_path), "run-3", now=NOW)
