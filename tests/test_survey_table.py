"""Tidy survey tables (CSV/Excel): encodings, separators, names to ids, symbols, minimum n."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import pytest

from models.areas import load_areas
from models.schema import OBSERVATION_SCHEMA
from sources.survey import (
    SurveyImportError,
    read_survey_table,
    series_id_for,
    survey_tag,
)

AREAS = load_areas()
SWEDISH_HEADER = (
    "Undersökning;Våg;Period start;Period slut;Område;Kön;Åldersgrupp;Indikator;Andel;"
    "KI nedre;KI övre;Antal svar;Symbol"
)
ENGLISH_HEADER = (
    "survey,wave,period_start,period_end,area_id,gender,age_group,indicator,value,ci_low,"
    "ci_high,n,symbol"
)


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def swedish_table(*rows: str) -> str:
    return "\n".join([SWEDISH_HEADER, *rows]) + "\n"


def row_of(frame: pl.DataFrame, area_id: str, gender: str, period: int = 2022) -> dict:
    match = frame.filter(
        (pl.col("area_id") == area_id) & (pl.col("gender") == gender) & (pl.col("period") == period)
    )
    assert match.height == 1, match
    return match.row(0, named=True)


def test_windows_1252_semicolon_decimal_comma_table_matches_swedish_area_names(tmp_path):
    text = swedish_table(
        "Liv & Hälsa;2022;2022;2022;Hammarö;Totalt;;God hälsa;72,1;69,0;75,2;812;",
        "Liv & Hälsa;2022;2022;2022;ÅRJÄNG;Kvinnor;;God hälsa;61,5;56,0;67,0;230;",
        "Liv & Hälsa;2022;2022;2022;säffle;Män;;God hälsa;66;60,2;71,8;198;",
    )
    path = write(tmp_path, "lh2022.csv", text, encoding="cp1252")
    frame = read_survey_table(path, AREAS)
    assert frame.schema == pl.Schema(OBSERVATION_SCHEMA)
    hammaro = row_of(frame, "1761", "T")
    assert hammaro["series_id"] == "survey:livohalsa.god_halsa"
    assert (hammaro["value"], hammaro["ci_low"], hammaro["ci_high"]) == (72.1, 69.0, 75.2)
    assert (hammaro["n"], hammaro["status"], hammaro["survey"]) == (812, "", "livohalsa")
    assert (hammaro["period_start"], hammaro["period_end"]) == (2022, 2022)
    assert row_of(frame, "1765", "K")["value"] == 61.5
    assert row_of(frame, "1785", "M")["value"] == 66.0


def test_utf8_with_bom_comma_separator_and_point_decimals_keeps_leading_zeros(tmp_path):
    text = "\n".join(
        [
            ENGLISH_HEADER,
            'hlv,2021-2024,2021,2024,0017,T,,Tillit till andra,"71,5",69.1,73.9,1543,',
            "hlv,2021-2024,2021,2024,17,K,,Tillit till andra,70.25,67.0,73.5,801,",
            "hlv,2021-2024,2021,2024,0000,M,,Tillit till andra,72.0,71.2,72.8,8000,",
        ]
    )
    path = write(tmp_path, "hlv.csv", "\ufeff" + text, encoding="utf-8")
    frame = read_survey_table(path, AREAS)
    region = row_of(frame, "0017", "T", period=2024)
    assert region["value"] == 71.5
    assert (region["period_start"], region["period_end"], region["survey"]) == (2021, 2024, "hlv")
    assert row_of(frame, "0017", "K", period=2024)["value"] == 70.25
    assert row_of(frame, "0000", "M", period=2024)["n"] == 8000


def test_wave_label_alone_gives_the_period_and_codes_00_01_02_give_gender(tmp_path):
    text = "\n".join(
        [
            "survey;wave;area;gender;indicator;value;ci_low;ci_high;n",
            "Hälsa på lika villkor;2018-2021;Karlstad;00;Stillasittande;30,5;28,0;33,0;900",
            "Hälsa på lika villkor;2018-2021;Karlstad;01;Stillasittande;29,0;26,0;32,0;480",
            "Hälsa på lika villkor;2018-2021;Karlstad;02;Stillasittande;32,0;28,5;35,5;420",
        ]
    )
    frame = read_survey_table(write(tmp_path, "w.csv", text), AREAS)
    assert sorted(frame["gender"]) == ["K", "M", "T"]
    assert set(frame["period_start"]) == {2018}
    assert set(frame["period"]) == {2021}
    assert set(frame["survey"]) == {"hlv"}


def test_suppressed_cells_keep_their_symbol_and_a_null_value_never_zero(tmp_path):
    text = swedish_table(
        "Liv & Hälsa;2022;2022;2022;Munkfors;Kvinnor;;Daglig rökning;;;;18;..",
        "Liv & Hälsa;2022;2022;2022;Munkfors;Män;;Daglig rökning;..;;;15;",
        "Liv & Hälsa;2022;2022;2022;Munkfors;Totalt;;Daglig rökning;7,0;4,1;9,9;33;",
    )
    frame = read_survey_table(write(tmp_path, "s.csv", text), AREAS)
    for gender in ("K", "M"):
        cell = row_of(frame, "1762", gender)
        assert cell["value"] is None
        assert cell["status"] == ".."
        assert cell["n"] in (18, 15)
    assert row_of(frame, "1762", "T")["value"] == 7.0


def test_minimum_n_suppresses_small_cells_and_says_how_many(tmp_path, caplog):
    text = swedish_table(
        "Liv & Hälsa;2022;2022;2022;Storfors;Totalt;;God hälsa;70,0;60,0;80,0;39;",
        "Liv & Hälsa;2022;2022;2022;Storfors;Kvinnor;;God hälsa;71,0;58,0;84,0;20;",
        "Liv & Hälsa;2022;2022;2022;Storfors;Män;;God hälsa;69,0;58,0;80,0;41;",
    )
    with caplog.at_level(logging.INFO, logger="sources.survey"):
        frame = read_survey_table(write(tmp_path, "n.csv", text), AREAS, min_n=40)
    small = row_of(frame, "1760", "T")
    assert (small["value"], small["ci_low"], small["status"], small["n"]) == (
        None,
        None,
        "n<40",
        39,
    )
    assert row_of(frame, "1760", "K")["status"] == "n<40"
    assert row_of(frame, "1760", "M")["value"] == 69.0
    assert "2 cell(s) suppressed by the minimum-n rule" in caplog.text


def test_without_minimum_n_small_cells_are_kept(tmp_path):
    text = swedish_table("Liv & Hälsa;2022;2022;2022;Storfors;Totalt;;God hälsa;70,0;60,0;80,0;9;")
    assert read_survey_table(write(tmp_path, "k.csv", text), AREAS)["value"].to_list() == [70.0]


def test_excel_table_with_numeric_cells_and_a_dropped_leading_zero(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ENGLISH_HEADER.split(","))
    sheet.append(
        [
            "Liv & Hälsa",
            "2017",
            2017,
            2017,
            17,
            "Totalt",
            None,
            "God hälsa",
            68.2,
            66.9,
            69.5,
            6200,
            None,
        ]
    )
    sheet.append(
        [
            "Liv & Hälsa",
            "2017",
            2017,
            2017,
            "1780",
            "K",
            None,
            "God hälsa",
            "74,2",
            "71,0",
            "77,4",
            1010,
            None,
        ]
    )
    sheet.append(
        [
            "Liv & Hälsa",
            "2017",
            2017,
            2017,
            1780,
            "M",
            None,
            "God hälsa",
            None,
            None,
            None,
            12,
            "..",
        ]
    )
    path = tmp_path / "lh2017.xlsx"
    workbook.save(path)
    frame = read_survey_table(path, AREAS)
    assert row_of(frame, "0017", "T", 2017)["value"] == 68.2
    assert row_of(frame, "1780", "K", 2017)["ci_high"] == 77.4
    assert row_of(frame, "1780", "M", 2017)["status"] == ".."


def test_an_age_group_other_than_all_is_part_of_the_series_id():
    assert (
        series_id_for("livohalsa", "God hälsa", "18–29 år") == "survey:livohalsa.god_halsa.18_29_ar"
    )
    assert series_id_for("livohalsa", "God hälsa", "Alla") == "survey:livohalsa.god_halsa"
    assert survey_tag("Liv och hälsa") == "livohalsa"
    assert survey_tag("Nationella folkhälsoenkäten") == "hlv"


def test_committed_sample_files_read_alike(reference_data):
    folder = Path(__file__).parent / "data" / "survey"
    frames = [read_survey_table(path, AREAS) for path in sorted(folder.glob("livohalsa_*.csv"))]
    assert len(frames) == 2
    assert frames[0].equals(frames[1])


def test_one_row_with_several_problems_reports_each(tmp_path):
    text = swedish_table("Liv & Hälsa;2022;2022;2022;Atlantis;X;;God hälsa;130;;;-3;")
    with pytest.raises(SurveyImportError) as caught:
        read_survey_table(write(tmp_path, "many.csv", text), AREAS)
    reasons = [problem.reason for problem in caught.value.problems]
    assert len(reasons) == 4, reasons
    assert all(problem.line == 2 for problem in caught.value.problems)
