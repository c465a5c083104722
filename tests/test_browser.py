"""The report pages in a real browser (Debian's Chromium via Playwright): offline and complete."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest

from reports.pages import build_report, page_entries, report_context
from reports.pdf import CHROMIUM_ARGS
from tests.report_fixtures import report_data, with_title

pytestmark = pytest.mark.slow

AREA_ID = "1765"  # Årjäng: an area name with Swedish letters
HOSTILE = '<script>window.hacked=1</script><img src=x onerror="window.hacked=2">'
INDICATOR_TITLE = f"Behöriga {HOSTILE} elever"
CATALOG_TITLE = f"Politiskt inriktningsdokument {HOSTILE} 2022"
PAGES = ("index.html", "arjang.html", "region-varmland.html")


@pytest.fixture(scope="module")
def report_dir() -> Path:
    if shutil.which("chromium") is None:
        pytest.fail("chromium missing: apt-get install chromium (the test set-up installs it)")
    data = with_title(report_data(), "behoriga_yrkesprogram", INDICATOR_TITLE)
    out = Path(tempfile.mkdtemp(prefix="aktuellt-report-"))
    args = {**data.args(), "catalog_title": CATALOG_TITLE}
    build_report(report_context(**args), out_dir=out, area_ids=[AREA_ID, "0017"], workers=2)
    return out


def expected_charts(area_id: str) -> int:
    data = report_data()
    ctx = report_context(
        data.progress,
        data.observations,
        data.indicators,
        data.areas,
        "0017",
        "np2022",
        2024,
        data.args()["data_date"],
    )
    return sum(
        1
        for entry in page_entries(ctx, area_id)
        if entry.points.filter(pl.col("role") == "area").height
    )


def test_pages_load_offline_without_errors_and_show_one_chart_per_indicator(report_dir: Path):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: (
                    outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None
                ),
            )

            page.goto((report_dir / "index.html").as_uri())
            assert page.locator("html").get_attribute("lang") == "sv"
            links = page.locator("a[href$='.html']").all()
            assert any(link.get_attribute("href") == "arjang.html" for link in links)
            page.screenshot(path=str(report_dir / "index.png"), full_page=True)

            for name in PAGES:  # hostile catalog and indicator titles stay text everywhere
                page.goto((report_dir / name).as_uri())
                assert page.locator("script").count() == 0, name
                assert page.locator("img").count() == 0, name
                assert page.evaluate("window.hacked === undefined"), name
                assert page.get_by_text(CATALOG_TITLE).count() > 0, name
                if name != "index.html":
                    assert page.get_by_text(INDICATOR_TITLE).count() > 0, name

            page.goto((report_dir / "arjang.html").as_uri())
            trend_figures = page.locator("section.indicator figure svg").count()
            assert trend_figures == expected_charts(AREA_ID) > 0
            about = page.locator("section#om-rapporten")
            assert about.is_visible()
            for text in ("Målet är nått", "Målbanan", "treårsmedelvärden", "Citera så här"):
                assert about.get_by_text(text).count() > 0, text
            kpi = page.locator("section#behoriga_yrkesprogram p.source a").first
            assert kpi.inner_text() == "N15428"
            assert (
                kpi.get_attribute("href")
                == "https://www.kolada.se/verktyg/fri-sokning/?kpis=N15428"
            )
            assert (
                "producent: Skolverket"
                in page.locator("section#behoriga_yrkesprogram").inner_text()
            )
            for header in page.locator("thead th").all():
                assert header.get_attribute("scope") == "col"
            page.screenshot(path=str(report_dir / "arjang.png"), full_page=False)
            page.screenshot(path=str(report_dir / "arjang-full.png"), full_page=True)

            page.goto((report_dir / "region-varmland.html").as_uri())
            assert page.locator("figure svg").count() > expected_charts("0017")
            assert page.locator("section#om-rapporten").is_visible()
            # The county's row of a municipality-only KPI is the mean group, and says so.
            assert page.locator(".stand-in").count() > 0
            page.screenshot(path=str(report_dir / "region-varmland.png"), full_page=True)
        finally:
            browser.close()
    print(f"screenshots in {report_dir}")
    assert errors == []
    assert outside == []
    assert (report_dir / "arjang.pdf").read_bytes().startswith(b"%PDF")


def ink_share(png: Path) -> float:
    """The share of a page image's pixels that are not near-white."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return sum(histogram[:235]) / sum(histogram)


@pytest.mark.parametrize("name", ["arjang", "region-varmland", "index"])
def test_each_pdf_starts_with_a_filled_page_and_numbers_its_pages(report_dir: Path, name: str):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm missing: apt-get install poppler-utils (the test set-up installs it)")
    pdf = report_dir / f"{name}.pdf"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf,
            pdf.with_suffix(""),
        ],
        check=True,
    )
    first = pdf.with_suffix(".png")
    # Content spread over the page, not a heading above white space: sample the bands.
    from PIL import Image

    with Image.open(first) as image:
        height = image.height
        grey = image.convert("L")
        bands = [
            grey.crop((0, height * i // 4, image.width, height * (i + 1) // 4)) for i in range(3)
        ]
        inked = [sum(band.histogram()[:235]) / (band.width * band.height) for band in bands]
    assert ink_share(first) > 0.02, inked
    assert sum(share > 0.01 for share in inked) >= 2, f"first page mostly blank: {inked}"
    text = subprocess.run(
        ["pdftotext", "-layout", pdf, "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert pages and all(f"Sida {i} av {len(pages)}" in page for i, page in enumerate(pages, 1))
    assert all("Aktuellt perspektiv 2024" in page for page in pages)
