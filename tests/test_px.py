"""PX files: real PxWebApi test files, code pages, languages, symbols, a folded survey table."""

from __future__ import annotations

import polars as pl
import pytest

from models.areas import load_areas
from sources.jsonstat import cube_cells
from sources.px import load_px, read_px
from sources.survey import SurveyImportError

AREAS = load_areas()

SURVEY_PX = """CHARSET="ANSI";
AXIS-VERSION="2010";
CODEPAGE="iso-8859-1";
LANGUAGE="sv";
LANGUAGES="sv","en";
MATRIX="halsgodyreg";
TITLE="Självskattat hälsotillstånd efter region, kön och år";
CONTENTS="Hälsotillstånd";
STUB="Region","Hälsotillstånd","Kön";
HEADING="Andel och konfidensintervall","År";
CONTVARIABLE="Andel och konfidensintervall";
VALUES("Region")="Värmlands län","Hammarö";
VALUES("Hälsotillstånd")="Bra eller mycket bra hälsa";
VALUES("Kön")="Totalt","Kvinnor";
VALUES("Andel och konfidensintervall")="Andel","Konfidensintervall nedre gräns",
"Konfidensintervall övre gräns","Antal svar";
VALUES("År")="2017-2020","2021-2024";
TIMEVAL("År")=TLIST(A1),"2017-2020","2021-2024";
CODES("Region")="17","1761";
CODES("Kön")="00","01";
CODES("Andel och konfidensintervall")="01","02","03","04";
VARIABLE-TYPE("Region")="G";
STUB[en]="Region","Health","Sex";
HEADING[en]="Share and confidence interval","Year";
VALUES[en]("Region")="Värmland county","Hammarö";
VALUES[en]("Health")="Good or very good health";
VALUES[en]("Sex")="Total","Women";
VALUES[en]("Share and confidence interval")="Share","Lower limit","Upper limit","Number of answers";
VALUES[en]("Year")="2017-2020","2021-2024";
TIMEVAL[en]("Year")=TLIST(A1),"2017-2020","2021-2024";
DATASYMBOL2="..";
DATASYMBOLNIL="-";
DATA=
70.1 71.2 68.9 70.0 71.3 72.4 2100 2200
69.0 70.5 67.2 68.6 70.8 72.4 1150 1180
73.0 ".." 68.0 ".." 78.0 ".." 310 "......"
"-" 74.0 "-" 69.1 "-" 78.9 "-" 160
;
"""


def test_real_pxwebapi_test_table_has_every_cell_and_its_symbols(reference_data):
    cube = load_px(reference_data / "pxweb" / "pxwebapi-testdb" / "TAB001.px")
    assert cube.size == 30 * 3 * 22 * 1 * 3 == 5940
    cells = cube_cells(cube)
    assert cells.height == 5940
    assert cells.filter(pl.col("status") == "..").height == 2259
    assert cells.filter(pl.col("status") == "..")["value"].null_count() == 2259
    austria = cells.filter(
        (pl.col("region") == "AT") & (pl.col("sex") == "F") & (pl.col("age") == "TOTAL")
    )
    assert austria["value"].to_list() == [None, 4041797, 4143737]
    assert [dim.role for dim in cube.dims] == ["geo", None, None, "metric", "time"]


def test_swedish_keywords_of_a_latin1_px_file_are_read(reference_data):
    cube = load_px(reference_data / "pxweb" / "pxwebapi-testdb" / "TAB001.px", language="sv")
    assert [dim.id for dim in cube.dims] == ["region", "kön", "ålder", "tabellinnehåll", "år"]
    assert cube.dims[0].labels[0] == "Österrike"
    assert cube.dims[4].codes == ("1981", "1991", "2001")  # CODES[sv]("år") is absent: default


def test_utf8_px_file_that_declares_latin1_keeps_swedish_letters(reference_data):
    path = reference_data / "pxweb" / "pxwebapi-testdb" / "tab4_fewcells.px"
    cube = load_px(path, language="sv")
    assert cube.dims[0].labels == ("LÖSNINGSMEDEL OCH ÖVRIG PRODUKTANVÄNDNING, TOTALT",)
    frame = read_px(path, survey="test", language="sv")
    assert frame["value"].to_list() == [445.0]
    assert frame["period"].to_list() == [2017]


def test_survey_px_folds_interval_and_keeps_data_symbols_as_status(tmp_path):
    path = tmp_path / "halsgodyreg.px"
    path.write_bytes(SURVEY_PX.encode("latin-1"))
    frame = read_px(path, survey="hlv", areas=AREAS)
    assert frame.height == 2 * 2 * 2
    assert set(frame["series_id"]) == {"survey:hlv.bra_eller_mycket_bra_halsa"}
    region = frame.filter(
        (pl.col("area_id") == "0017") & (pl.col("gender") == "T") & (pl.col("period") == 2024)
    ).row(0, named=True)
    assert (region["value"], region["ci_low"], region["ci_high"], region["n"]) == (
        71.2,
        70.0,
        72.4,
        2200,
    )
    assert region["period_start"] == 2021
    hammaro = frame.filter(pl.col("area_id") == "1761").sort("gender", "period")
    statuses = dict(
        zip(zip(hammaro["gender"], hammaro["period"], strict=True), hammaro["status"], strict=True)
    )
    values = dict(
        zip(zip(hammaro["gender"], hammaro["period"], strict=True), hammaro["value"], strict=True)
    )
    assert statuses == {("K", 2020): "-", ("K", 2024): "", ("T", 2020): "", ("T", 2024): ".."}
    assert values[("K", 2020)] is None and values[("T", 2024)] is None  # never 0
    assert values[("K", 2024)] == 74.0


def test_english_language_of_the_survey_px_gives_the_same_numbers(tmp_path):
    path = tmp_path / "halsgodyreg.px"
    path.write_bytes(SURVEY_PX.encode("latin-1"))
    swedish = read_px(path, survey="hlv", areas=AREAS)
    english = read_px(path, survey="hlv", areas=AREAS, language="en")
    assert set(english["series_id"]) == {"survey:hlv.good_or_very_good_health"}
    assert (
        english.drop("series_id")
        .sort("area_id", "gender", "period")
        .equals(swedish.drop("series_id").sort("area_id", "gender", "period"))
    )


def test_px_with_too_few_values_is_rejected(tmp_path):
    path = tmp_path / "short.px"
    path.write_bytes(
        SURVEY_PX.replace('"-" 74.0 "-" 69.1 "-" 78.9 "-" 160\n', "").encode("latin-1")
    )
    with pytest.raises(SurveyImportError, match="DATA holds 24 values, the variables make 32"):
        load_px(path)


def test_px_without_data_is_rejected(tmp_path):
    path = tmp_path / "nodata.px"
    path.write_bytes(SURVEY_PX.split("DATA=")[0].encode("latin-1"))
    with pytest.raises(SurveyImportError, match="no DATA= section"):
        load_px(path)


def test_a_px_data_token_that_is_no_number_nor_a_symbol_is_refused_with_its_position(tmp_path):
    path = tmp_path / "typo.px"
    path.write_bytes(SURVEY_PX.replace("69.0 70.5", "69.0 abc", 1).encode("latin-1"))
    with pytest.raises(SurveyImportError, match=r"^typo\.px: DATA value 10 is 'abc'"):
        load_px(path)
