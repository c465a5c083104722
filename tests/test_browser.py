"""The report pages in a real browser (Debian's Chromium via Playwright): offline and complete."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest

from reports.pages import build_report, page_entries, report_context
from reports.pdf import CHROMIUM_ARGS
from tests.report_fixtures import report_data, with_title

pytestmark = pytest.mark.slow

AREA_ID = "1765"  # Årjäng: an area name with Swedish letters


@pytest.fixture(scope="module")
def report_dir() -> Path:
    if shutil.which("chromium") is None:
        pytest.fail("chromium missing: apt-get install chromium (the test set-up installs it)")
    data = with_title(
        report_data(), "behoriga_yrkesprogram", "Behöriga <script>window.hacked=1</script> elever"
    )
    out = Path(tempfile.mkdtemp(prefix="aktuellt-report-"))
    build_report(report_context(**data.args()), out_dir=out, area_ids=[AREA_ID, "0017"], workers=2)
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

            page.goto((report_dir / "arjang.html").as_uri())
            trend_figures = page.locator("section.indicator figure svg").count()
            assert trend_figures == expected_charts(AREA_ID) > 0
            assert page.locator("script").count() == 0
            assert page.evaluate("window.hacked === undefined")
            assert page.get_by_text("Behöriga <script>window.hacked=1</script> elever").count() > 0
            for header in page.locator("thead th").all():
                assert header.get_attribute("scope") == "col"
            page.screenshot(path=str(report_dir / "arjang.png"), full_page=False)
            page.screenshot(path=str(report_dir / "arjang-full.png"), full_page=True)

            page.goto((report_dir / "region-varmland.html").as_uri())
            assert page.locator("figure svg").count() > expected_charts("0017")
            page.screenshot(path=str(report_dir / "region-varmland.png"), full_page=True)
        finally:
            browser.close()
    print(f"screenshots in {report_dir}")
    assert errors == []
    assert outside == []
    assert (report_dir / "arjang.pdf").read_bytes().startswith(b"%PDF")
