"""Bad survey tables: each is rejected with file:line and the reason, listing every problem."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from models.areas import load_areas
from sources.survey import SurveyImportError, read_survey_table

AREAS = load_areas()
HEADER = "survey;wave;period_start;period_end;area;gender;indicator;value;ci_low;ci_high;n;symbol"
GOOD = "Liv & Hälsa;2022;2022;2022;Karlstad;T;God hälsa;72,7;70,1;75,3;1500;"


def table(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, GOOD, *rows]) + "\n").encode("utf-8")


# (case id, file bytes, expected line, a phrase the reason must contain)
MALFORMED = [
    ("missing_value_column", table(header=HEADER.replace(";value;", ";")), 1, "missing column"),
    (
        "unknown_column",
        table(header=HEADER.replace("n;symbol", "respondenter;symbol")),
        1,
        "unknown column 'respondenter'",
    ),
    ("no_area_column", table(header=HEADER.replace("area;", "plats;")), 1, "unknown column"),
    (
        "unknown_area_name",
        table("Liv & Hälsa;2022;2022;2022;Karlsta;T;God hälsa;70;68;72;90;"),
        3,
        "unknown area name 'Karlsta'",
    ),
    (
        "share_above_100",
        table("Liv & Hälsa;2022;2022;2022;Kil;T;God hälsa;107,5;;;90;"),
        3,
        "outside 0–100",
    ),
    (
        "negative_share",
        table("Liv & Hälsa;2022;2022;2022;Kil;K;God hälsa;-2;;;90;"),
        3,
        "outside 0–100",
    ),
    (
        "interval_misses_value",
        table("Liv & Hälsa;2022;2022;2022;Kil;M;God hälsa;70,0;71,0;75,0;90;"),
        3,
        "does not contain the value 70",
    ),
    (
        "interval_reversed",
        table("Liv & Hälsa;2022;2022;2022;Eda;T;God hälsa;70,0;75,0;65,0;90;"),
        3,
        "does not contain",
    ),
    (
        "one_interval_limit",
        table("Liv & Hälsa;2022;2022;2022;Eda;K;God hälsa;70,0;65,0;;90;"),
        3,
        "both interval limits",
    ),
    ("duplicate_row", table(GOOD), 3, "duplicate of line 2"),
    (
        "value_not_a_number",
        table("Liv & Hälsa;2022;2022;2022;Sunne;T;God hälsa;sjuttio;;;90;"),
        3,
        "not a number",
    ),
    (
        "empty_value_without_symbol",
        table("Liv & Hälsa;2022;2022;2022;Sunne;K;God hälsa;;;;90;"),
        3,
        "value is empty",
    ),
    (
        "unknown_gender",
        table("Liv & Hälsa;2022;2022;2022;Sunne;Båda;God hälsa;70;;;90;"),
        3,
        "unknown gender 'Båda'",
    ),
    (
        "period_not_a_year",
        table("Liv & Hälsa;2022;2022;tjugo;Grums;T;God hälsa;70;;;90;"),
        3,
        "must be years",
    ),
    (
        "period_reversed",
        table("Liv & Hälsa;2022;2024;2021;Grums;K;God hälsa;70;;;90;"),
        3,
        "starts (2024) after it ends (2021)",
    ),
    (
        "n_not_whole",
        table("Liv & Hälsa;2022;2022;2022;Grums;M;God hälsa;70;;;12,5;"),
        3,
        "not a whole number",
    ),
    (
        "value_with_symbol",
        table("Liv & Hälsa;2022;2022;2022;Torsby;T;God hälsa;70;;;12;.."),
        3,
        "must have an empty value",
    ),
    (
        "unknown_symbol",
        table("Liv & Hälsa;2022;2022;2022;Torsby;K;God hälsa;;;;12;?"),
        3,
        "unknown suppression symbol",
    ),
    (
        "too_few_fields",
        table("Liv & Hälsa;2022;2022;2022;Torsby;M;God hälsa;70"),
        3,
        "8 fields, the header has 12",
    ),
    (
        "empty_indicator",
        table("Liv & Hälsa;2022;2022;2022;Hagfors;T;;70;;;90;"),
        3,
        "indicator is empty",
    ),
    (
        "id_and_name_disagree",
        (
            "survey;period_end;area_id;area;gender;indicator;value\n"
            "hlv;2024;1780;Karlstad;T;God hälsa;70\n"
            "hlv;2024;1780;Kil;T;Tillit;70\n"
        ).encode(),
        3,
        "area id '1780' is Karlstad, not 'Kil'",
    ),
    (
        "unknown_area_id",
        (
            "survey;period_end;area_id;gender;indicator;value\nhlv;2024;1799;T;God hälsa;70\n"
        ).encode(),
        2,
        "unknown area id '1799'",
    ),
    (
        "undecodable_bytes",
        HEADER.encode() + b"\nLiv & H\x81lsa;2022;2022;2022;Kil;T;x;70;;;;\n",
        2,
        "unreadable encoding",
    ),
    (
        "utf16_file",
        ("\n".join([HEADER, GOOD]) + "\n").encode("utf-16-le"),
        1,
        "unreadable encoding",
    ),
]


@pytest.mark.parametrize(
    ("content", "line", "phrase"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_table_is_rejected_with_file_line_and_reason(tmp_path, content, line, phrase):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyImportError) as caught:
        read_survey_table(path, AREAS)
    lines = [problem.line for problem in caught.value.problems]
    assert line in lines, str(caught.value)
    assert str(caught.value).startswith(f"bad.csv:{line}: "), str(caught.value)
    if phrase is not None:
        assert phrase in str(caught.value)


def test_there_are_at_least_fifteen_kinds_of_malformed_files():
    assert len({case[0] for case in MALFORMED}) >= 15


def test_every_bad_line_of_a_file_is_reported_not_just_the_first(tmp_path):
    path = tmp_path / "several.csv"
    path.write_bytes(
        table(
            "Liv & Hälsa;2022;2022;2022;Kil;T;God hälsa;170;;;90;",
            "Liv & Hälsa;2022;2022;2022;Nowhere;T;God hälsa;70;;;90;",
            "Liv & Hälsa;2022;2022;2022;Eda;T;God hälsa;70;75;80;90;",
            GOOD,
        )
    )
    with pytest.raises(SurveyImportError) as caught:
        read_survey_table(path, AREAS)
    assert [p.line for p in caught.value.problems] == [3, 4, 5, 6]


def test_an_excel_file_that_is_not_a_workbook_is_rejected(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(SurveyImportError, match=r"^broken\.xlsx: not a readable Excel workbook"):
        read_survey_table(path, AREAS)


def test_an_excel_error_names_the_sheet_row(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    sheet.append([])  # an empty row still counts in Excel's numbering
    sheet.append(
        ["Liv & Hälsa", "2022", 2022, 2022, "Kil", "T", "God hälsa", 140, None, None, 90, None]
    )
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with pytest.raises(SurveyImportError, match=r"^bad\.xlsx:3: value 140 is outside 0–100"):
        read_survey_table(Path(path), AREAS)


def excel_table(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> None:
    """Rewrite the first sheet's XML inside the workbook, every other member unchanged."""
    with zipfile.ZipFile(path) as source:
        members = {info: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                changed = change(data)
                assert changed != data
                data = changed
            target.writestr(info, data)


def with_stale_dimension(path: Path, ref: str) -> None:
    """Rewrite the sheet's <dimension ref=…> record, as some writers leave it: stale."""
    rewrite_sheet(
        path,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml),
    )


def test_an_excel_sheet_with_a_stale_dimension_record_is_read_whole(tmp_path):
    areas = ["Kil", "Eda", "Arvika", "Karlstad"]
    path = excel_table(
        tmp_path,
        "stale.xlsx",
        [["Liv & Hälsa", "2022", 2022, 2022, area, "T", "God hälsa", 70, None, None, 90, None]
         for area in areas],
    )  # fmt: skip
    with_stale_dimension(path, "A1:L2")  # says: a header and one row
    frame = read_survey_table(path, AREAS)
    assert frame.height == 4


def test_an_excel_formula_is_read_as_its_saved_result_or_refused_by_cell(tmp_path):
    row = ["Liv & Hälsa", "2022", 2022, 2022, "Kil", "T", "God hälsa", "=60+10", None, None, 90]
    path = excel_table(tmp_path, "formulas.xlsx", [[*row, None]])
    # openpyxl saves formulas without a result, as a script would: no value to import.
    with pytest.raises(
        SurveyImportError, match=r"^formulas\.xlsx:2: cell H2 holds a formula \(=60\+10\)"
    ):
        read_survey_table(path, AREAS)
    # A result saved by Excel (<v> beside <f>) is what Excel shows, and what is imported.
    # openpyxl writes an empty result as <v />, <v/> or <v></v>, with or without lxml.
    rewrite_sheet(
        path,
        lambda xml: re.sub(
            rb"<f>60\+10</f><v ?/>|<f>60\+10</f><v></v>", b"<f>60+10</f><v>70</v>", xml
        ),
    )
    frame = read_survey_table(path, AREAS)
    assert frame["value"].to_list() == [70.0]


def test_a_huge_n_and_a_10_mb_field_are_problems_not_crashes(tmp_path):
    path = tmp_path / "huge_n.csv"
    path.write_bytes(table("Liv & Hälsa;2022;2022;2022;Kil;T;God hälsa;70;;;1e30;"))
    with pytest.raises(SurveyImportError, match=r"^huge_n\.csv:\d: n '1e30' is more respondents"):
        read_survey_table(path, AREAS)
    path = tmp_path / "long_field.csv"
    field = "x" * 10_000_000
    path.write_bytes(table(f'Liv & Hälsa;2022;2022;2022;Kil;T;"{field}";70;;;90;'))
    with pytest.raises(
        SurveyImportError, match=r"^long_field\.csv:\d: unreadable CSV: field larger"
    ):
        read_survey_table(path, AREAS)
