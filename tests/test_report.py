"""The report pages and seminar charts: escaped text, table numbers equal to the status rows,
links, and chart files with a manifest."""

from __future__ import annotations

import csv
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports.pages import area_page_html, build_report, index_page_html, report_context
from reports.seminar import build_charts
from reports.text import format_change, format_value
from tests.report_fixtures import COUNTY_ID, report_data, with_title

SCRIPT_TITLE = 'Behöriga <script>alert("x")</script> & "elever"'


class TableRows(HTMLParser):
    """Rows of indicator tables keyed by (indicator, gender), cells as displayed text; and the
    tags seen, to prove no script element exists."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str, str], list[str]] = {}
        self.tags: list[str] = []
        self._key: tuple[str, str, str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "tr" and found.get("data-indicator"):
            self._key = (
                str(found["data-indicator"]),
                str(found["data-area"]),
                str(found["data-gender"]),
            )
            self.rows[self._key] = []
        elif tag in ("td", "th") and self._key is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._key is not None and self._cell is not None:
            self.rows[self._key].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> TableRows:
    parser = TableRows()
    parser.feed(html)
    return parser


def context(data=None):
    data = data or report_data()
    return report_context(
        data.progress,
        data.observations,
        data.indicators,
        data.areas,
        COUNTY_ID,
        "np2022",
        2024,
        data.args()["data_date"],
        "Politiskt inriktningsdokument 2022",
    )


def as_number(text: str) -> float | None:
    cleaned = (
        text.replace("\u00a0", "")
        .replace(" ", "")
        .replace("%", "")
        .replace("år", "")
        .replace("−", "-")
        .replace(",", ".")
        .split("p")[0]
        .split("i")[0]
    )
    return None if cleaned in ("–", "") else float(cleaned)


@pytest.mark.parametrize("area_id", ["1780", "1765", COUNTY_ID])
def test_numbers_in_the_area_table_equal_the_progress_rows(area_id: str):
    ctx = context()
    html = area_page_html(ctx, area_id, svgs={})
    rows = parse(html).rows
    assert rows, "no indicator rows"
    for (indicator_id, shown, gender), cells in rows.items():
        assert shown == area_id or (area_id == COUNTY_ID and shown == ctx.group_id)
        row = ctx.row(indicator_id, shown, gender)
        if row is None:
            assert all(cell == "–" for cell in cells[1:7])
            continue
        assert_cells_show_row(cells, row)


def assert_cells_show_row(cells: list[str], row: dict) -> None:
    """The table cells of one indicator row display exactly this status row's numbers."""
    unit = row["unit"]
    assert cells[1] == str(row["baseline_year"] or "–")
    assert cells[2] == format_value(row["baseline_value"], unit)
    assert cells[3] == str(row["latest_year"] or "–")
    assert cells[4] == format_value(row["latest_value"], unit)
    assert cells[5] == format_change(row["change"], unit)
    assert cells[6] == format_value(row["target_value"], unit)
    assert row["status_label"] in cells[7]
    for cell, value in ((cells[2], row["baseline_value"]), (cells[4], row["latest_value"])):
        if value is not None:  # the displayed number is the stored one, rounded
            decimals = 0 if unit in ("per_100000", "count", "sek") else 1
            assert as_number(cell) == pytest.approx(round(value, decimals), abs=1e-9)


def test_an_indicator_title_with_a_script_tag_is_shown_as_text():
    ctx = context(with_title(report_data(), "behoriga_yrkesprogram", SCRIPT_TITLE))
    for html in (area_page_html(ctx, "1780", svgs={}), area_page_html(ctx, COUNTY_ID, svgs={})):
        parsed = parse(html)
        assert "script" not in parsed.tags
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;elever&#34;" in html
        titles = [
            cells[0]
            for (iid, _, g), cells in parsed.rows.items()
            if iid == "behoriga_yrkesprogram" and g == "T"
        ]
        assert titles == [SCRIPT_TITLE]


def test_pages_are_swedish_self_contained_and_name_their_sources(tmp_path: Path):
    paths = build_report(
        report_context(**report_data().args()),
        out_dir=tmp_path,
        area_ids=["1780"],
        pdf=False,
        workers=1,
    )
    assert [p.name for p in paths] == ["index.html", "karlstad.html"]
    for path in paths:
        html = path.read_text(encoding="utf-8")
        assert '<html lang="sv">' in html
        assert "Källa: Kolada" in html and "Egen bearbetning av data från Kolada" in html
        assert "31 december 2024" in html
        assert "Politiskt inriktningsdokument 2022" in html
        for forbidden in ("<script", "http://", "https://", "<link", "@import", "url("):
            assert forbidden not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
                'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
            ), forbidden
    page = paths[1].read_text(encoding="utf-8")
    assert page.count("<svg") == page.count('role="img"') > 5
    assert "@page { size: A4" in page


def test_index_links_every_area_page():
    ctx = context()
    html = index_page_html(ctx)
    for area_id in [*ctx.municipalities, COUNTY_ID]:
        assert f'href="{ctx.page_name(area_id)}"' in html
    assert 'href="hammaro.html"' in html and 'href="region-varmland.html"' in html


def test_county_page_uses_the_mean_group_where_the_region_has_no_values():
    ctx = context()
    html = area_page_html(ctx, COUNTY_ID, svgs={})
    assert "länet redovisas som Värmlands läns kommuner (ovägt medel)" in html


def png_width(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


def test_seminar_charts_are_files_with_a_manifest(tmp_path: Path):
    manifest = build_charts(
        report_context(**report_data().args()),
        out_dir=tmp_path,
        area_ids=["1765", COUNTY_ID],
        indicator_ids=["behoriga_yrkesprogram", "fallskador_80_plus"],
        workers=2,
    )
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["file"] for row in rows} >= {
        "arjang/behoriga_yrkesprogram.png",
        "arjang/behoriga_yrkesprogram.svg",
        "arjang/behoriga_yrkesprogram.pdf",
        "region-varmland/behoriga_yrkesprogram.png",
    }
    for row in rows:
        path = tmp_path / row["file"]
        assert path.stat().st_size > 1000
        assert row["alt_text"].startswith("Linjediagram") and row["status"]
        if path.suffix == ".png":
            assert png_width(path) >= 1600
        if path.suffix == ".pdf":
            assert path.read_bytes().startswith(b"%PDF")
    svg = (tmp_path / "arjang/behoriga_yrkesprogram.svg").read_text(encoding="utf-8")
    for text in (
        "Årjäng",
        "Källa: Kolada",
        "Egen bearbetning",
        "31 december 2024",
        "Mål:",
        "Status:",
        "andel (%)",
    ):
        assert text in svg, text
