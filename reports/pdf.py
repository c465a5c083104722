"""HTML pages to A4 PDF with Debian's Chromium, driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium: $AKTUELLT_CHROMIUM, else `chromium` on PATH; a clear error if none."""
    configured = os.environ.get("AKTUELLT_CHROMIUM")
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError(
            "PDF needs Chromium: install Debian's package (apt-get install chromium) "
            "or set AKTUELLT_CHROMIUM, or write the report without PDF"
        )
    return found


def print_pdfs(pages: Sequence[Path], on_done: Callable[[Path], None] | None = None) -> list[Path]:
    """Print each page beside itself as `<name>.pdf` (A4, backgrounds kept); returns the PDFs.

    Every printed page has a running header (the page title: area and report year) and
    "Sida n av m" at the foot. Requests for anything but file: and data: URLs are aborted, so
    printing stays offline.
    """
    from playwright.sync_api import sync_playwright

    from reports.templating import render_page

    header = render_page("pdf_header.html.j2")
    footer = render_page("pdf_footer.html.j2")
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:"))
                    else route.abort()
                ),
            )
            page = context.new_page()
            for html_path in pages:
                page.goto(html_path.resolve().as_uri(), wait_until="load")
                pdf_path = html_path.with_suffix(".pdf")
                page.pdf(
                    path=str(pdf_path),
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    display_header_footer=True,
                    header_template=header,
                    footer_template=footer,
                )
                written.append(pdf_path)
                if on_done is not None:
                    on_done(pdf_path)
        finally:
            browser.close()
    return written
