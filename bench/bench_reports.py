"""Reports plus seminar charts for every area of the county, against the renderer's own cost.

The floor is vl-convert converting the very same chart specs serially (SVG for the pages; SVG,
then PNG and PDF from it, for the seminar charts), divided by the cores used. Chromium's PDF
printing is timed apart: it has no vl-convert floor.

    .venv/bin/python -m bench.bench_reports [--workers 2] [--no-pdf]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from reports.pages import area_charts, build_report, report_context
from reports.render import spec_to_svg, warm_up, write_chart_files
from reports.seminar import AreaTask, build_charts, seminar_jobs
from tests.report_fixtures import COUNTY_ID, report_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-pdf", action="store_true", help="skip Chromium's PDF printing")
    options = parser.parse_args()
    data = report_data()
    args = data.args()
    out = Path(tempfile.mkdtemp(prefix="aktuellt-bench-"))

    started = time.perf_counter()
    ctx = report_context(**args)
    pages = build_report(ctx, out_dir=out / "report", pdf=False, workers=options.workers)
    report_s = time.perf_counter() - started
    pdf_s = 0.0
    if not options.no_pdf:
        from reports.pdf import print_pdfs

        started = time.perf_counter()
        print_pdfs(pages)
        pdf_s = time.perf_counter() - started
    started = time.perf_counter()
    manifest = build_charts(ctx, out_dir=out / "charts", workers=options.workers)
    charts_s = time.perf_counter() - started

    # The floor: the same specs, converted serially in this process, divided by the cores.
    page_specs = [
        chart.to_dict()
        for area_id in [*ctx.municipalities, COUNTY_ID]
        for chart in area_charts(ctx, area_id).values()
    ]
    chart_count = sum(1 for _ in manifest.open(encoding="utf-8")) - 1
    warm_up()
    started = time.perf_counter()
    for spec in page_specs:
        spec_to_svg(spec)
    page_floor_s = (time.perf_counter() - started) / options.workers

    # Seminar specs: the same jobs build_charts makes, written serially into a scratch folder.
    jobs = [
        job
        for area_id in [*ctx.municipalities, COUNTY_ID]
        for job, _ in seminar_jobs(
            ctx, AreaTask(area_id, out / "floor" / area_id, ("png", "svg", "pdf"), None)
        )
    ]
    started = time.perf_counter()
    for job in jobs:
        write_chart_files(job)
    charts_floor_s = (time.perf_counter() - started) / options.workers

    total = report_s + charts_s
    floor = page_floor_s + charts_floor_s
    print(
        f"areas: {len(ctx.municipalities) + 1}, page charts: {len(page_specs)}, "
        f"seminar charts: {len(jobs)} × png/svg/pdf ({chart_count} files), "
        f"workers: {options.workers}"
    )
    print(f"report pages (HTML+SVG): {report_s:6.1f} s   floor {page_floor_s:6.1f} s")
    print(f"seminar charts:          {charts_s:6.1f} s   floor {charts_floor_s:6.1f} s")
    print(
        f"reports + charts:        {total:6.1f} s   floor {floor:6.1f} s   "
        f"ratio {total / floor:4.2f}"
    )
    if not options.no_pdf:
        print(f"PDF printing (Chromium, {len(pages)} pages): {pdf_s:6.1f} s (no vl-convert floor)")
    print(f"output in {out}")


if __name__ == "__main__":
    main()
