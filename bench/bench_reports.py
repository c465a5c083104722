"""Report pages plus seminar charts for every area of the county, against vl-convert's floor.

Each command runs as a separate process, as a user runs it (interpreter start, imports, data,
workers included): the report pages without PDF, then the seminar charts (PNG, SVG, PDF). The
floor is vl-convert alone converting the very same chart specs serially in one warm process
(SVG for the pages; SVG, then PNG and PDF from it, for the seminar charts), divided by the
cores used. Chromium's PDF printing is timed apart: it has no vl-convert floor.

    .venv/bin/python -m bench.bench_reports [--workers 2] [--no-pdf]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.report_fixtures import COUNTY_ID, report_data


def run_phase(phase: str, out: Path, workers: int) -> None:
    """One command's work, in this process (the parent times the whole process)."""
    from reports.pages import area_charts, build_report, report_context
    from reports.render import spec_to_svg, warm_up, write_chart_files
    from reports.seminar import AreaTask, build_charts, seminar_jobs

    ctx = report_context(**report_data().args())
    if phase == "report":
        build_report(ctx, out_dir=out / "report", pdf=False, workers=workers)
    elif phase == "pdf":
        from reports.pdf import print_pdfs

        print_pdfs(sorted((out / "report").glob("*.html")))
    elif phase == "charts":
        build_charts(ctx, out_dir=out / "charts", workers=workers)
    elif phase == "floor":
        areas = [*ctx.municipalities, COUNTY_ID]
        page_specs = [c.to_dict() for a in areas for c in area_charts(ctx, a).values()]
        jobs = [
            job
            for a in areas
            for job, _ in seminar_jobs(
                ctx, AreaTask(a, out / "floor" / a, ("png", "svg", "pdf"), None)
            )
        ]
        warm_up()
        started = time.perf_counter()
        for spec in page_specs:
            spec_to_svg(spec)
        pages_s = time.perf_counter() - started
        started = time.perf_counter()
        for job in jobs:
            write_chart_files(job)
        charts_s = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "pages": pages_s,
                    "charts": charts_s,
                    "n_pages": len(page_specs),
                    "n_charts": len(jobs),
                }
            )
        )
    else:
        raise ValueError(f"unknown phase {phase!r}")


def timed(phase: str, out: Path, workers: int) -> tuple[float, str]:
    command = [sys.executable, "-m", "bench.bench_reports", "--phase", phase, "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--workers", str(workers)], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-pdf", action="store_true", help="skip Chromium's PDF printing")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.phase:
        run_phase(options.phase, options.out, options.workers)
        return

    out = Path(tempfile.mkdtemp(prefix="aktuellt-bench-"))
    report_s, _ = timed("report", out, options.workers)
    charts_s, _ = timed("charts", out, options.workers)
    _, floor_json = timed("floor", out, options.workers)
    floor = json.loads(floor_json.strip().splitlines()[-1])
    page_floor_s = floor["pages"] / options.workers
    charts_floor_s = floor["charts"] / options.workers
    total, floor_s = report_s + charts_s, page_floor_s + charts_floor_s
    print(
        f"page charts: {floor['n_pages']}, seminar charts: {floor['n_charts']} × png/svg/pdf, "
        f"workers: {options.workers}; each command a separate process"
    )
    print(
        f"report pages (HTML+SVG): {report_s:6.1f} s   floor {page_floor_s:6.1f} s   "
        f"ratio {report_s / page_floor_s:4.2f}"
    )
    print(
        f"seminar charts:          {charts_s:6.1f} s   floor {charts_floor_s:6.1f} s   "
        f"ratio {charts_s / charts_floor_s:4.2f}"
    )
    print(
        f"reports + charts:        {total:6.1f} s   floor {floor_s:6.1f} s   "
        f"ratio {total / floor_s:4.2f}"
    )
    if not options.no_pdf:
        pdf_s, _ = timed("pdf", out, options.workers)
        print(f"PDF printing (Chromium): {pdf_s:6.1f} s (no vl-convert floor)")
    print(f"output in {out}")


if __name__ == "__main__":
    main()
