"""Seminar charts: one trend chart per area and indicator as PNG/SVG/PDF, with a manifest.

Each image carries its title, unit, target, status, source line and data date, so it stays
readable when pasted alone into a slide.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from models.catalog import DESCRIPTIVE_SENTENCE
from models.names import NothingMatches
from reports.charts import is_value_card, trend_chart
from reports.pages import (
    ReportContext,
    county_charts,
    largest_first,
    page_entries,
    ranking_alt_for,
    set_worker_context,
    trend_alt_text_for,
    worker_context,
)
from reports.progress_display import QUIET, ProgressDisplay
from reports.render import FileJob, parallel_map, write_chart_files
from reports.text import (
    SOURCE_PROCESSED,
    SOURCE_VALUES,
    data_date_text,
    is_descriptive,
    slugify,
    status_text,
    unit_label,
)

FORMATS = ("png", "svg", "pdf")
MANIFEST_COLUMNS = ("file", "area", "indicator", "status", "alt_text", "kind")


def build_charts(
    ctx: ReportContext,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    area_ids: Sequence[str] | None = None,
    indicator_ids: Sequence[str] | None = None,
    workers: int = 2,
    progress: ProgressDisplay = QUIET,
) -> Path:
    """Write `<out>/<area-slug>/<indicator_id>.<fmt>` and `<out>/manifest.csv`; return the
    manifest's path. Only indicators with values for the area get a chart. When the county is
    among the areas, its folder also gets the county overview: `heatmap`, `status_counts` and
    `ranking_<indicator_id>`. Build `ctx` with reports.pages.report_context()."""
    unknown_formats = sorted(set(formats) - set(FORMATS))
    if unknown_formats:
        raise ValueError(f"unknown chart formats {unknown_formats} (known: {', '.join(FORMATS)})")
    chosen_areas = list(area_ids) if area_ids is not None else [*ctx.municipalities, ctx.county_id]
    wanted = set(indicator_ids) if indicator_ids is not None else None
    tasks = [
        AreaTask(
            area_id,
            out_dir / slugify(ctx.names.get(area_id, area_id)),
            tuple(formats),
            tuple(sorted(wanted)) if wanted is not None else None,
        )
        for area_id in chosen_areas
    ]
    # Each worker builds and writes whole areas: building the specs costs about as much as
    # converting them, so both run on every core. The region, with the county charts, first.
    order = largest_first(ctx, chosen_areas)
    with progress.phase("Diagram per område", len(tasks)) as advance:
        per_area = parallel_map(
            write_area_charts,
            [tasks[i] for i in order],
            workers,
            set_worker_context,
            (ctx,),
            on_done=lambda i: advance(tasks[order[i]].folder.name),
        )
    per_area = [rows for _, rows in sorted(zip(order, per_area, strict=True))]
    manifest_rows = [row for rows in per_area for row in rows]
    # County charts (heatmap, counts, rankings) alone are no answer to the areas and indicators
    # asked for: without one trend or value card, the filters matched nothing.
    if not any(row["kind"] in ("trend", "value_card") for row in manifest_rows):
        _remove_written(out_dir, manifest_rows)  # a refused command leaves nothing behind
        names = ", ".join(ctx.names.get(area_id, area_id) for area_id in chosen_areas)
        chosen = f" {', '.join(sorted(wanted))}" if wanted is not None else ""
        raise NothingMatches(f"no values to chart for indicator(s){chosen} in {names}")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(manifest_rows)
    return manifest


@dataclass(frozen=True)
class AreaTask:
    area_id: str
    folder: Path
    formats: tuple[str, ...]
    indicator_ids: tuple[str, ...] | None


def seminar_jobs(ctx: ReportContext, task: AreaTask) -> list[tuple[FileJob, dict[str, str]]]:
    """The chart files of one area, each with its manifest row (without the format)."""
    footer = [
        f"{SOURCE_VALUES} (värden). {SOURCE_PROCESSED} (förändring, mål och status).",
        f"{data_date_text(ctx.data_date)}. {ctx.catalog_title}.",
    ]
    area_name = ctx.names.get(task.area_id, task.area_id)
    jobs = []
    for entry in page_entries(ctx, task.area_id):
        iid = entry.indicator["indicator_id"]
        if task.indicator_ids is not None and iid not in task.indicator_ids:
            continue
        if entry.points.filter(pl.col("role") == "area").height == 0:
            continue
        status = entry.total or {}
        chart = trend_chart(
            entry.points,
            entry.indicator,
            status,
            series_names=entry.series_names,
            footer=footer,
            subtitle_first=[
                f"{entry.series_names['area']} · {unit_label(str(entry.indicator['unit']))}"
            ],
            subtitle_extra=[
                DESCRIPTIVE_SENTENCE
                if is_descriptive(entry.indicator)
                else f"Status: {status_text(status.get('status'), status.get('status_label'))}"
            ],
            width=760,
            height=360,
        )
        job = FileJob(
            spec=chart.to_dict(validate=False), stem=task.folder / iid, formats=task.formats
        )
        row = {
            "file": f"{task.folder.name}/{iid}",
            "area": area_name,
            "indicator": iid,
            "status": str(status.get("status") or "not_assessable"),
            "alt_text": trend_alt_text_for(entry),
            "kind": "value_card" if is_value_card(entry.points) else "trend",
        }
        jobs.append((job, row))
    if task.area_id == ctx.county_id:
        jobs.extend(county_jobs(ctx, task))
    return jobs


def county_jobs(ctx: ReportContext, task: AreaTask) -> list[tuple[FileJob, dict[str, str]]]:
    """The county overview as seminar files: heatmap, status counts, a ranking per indicator."""
    area_name = ctx.names.get(task.area_id, task.area_id)
    jobs = []
    for key, chart in county_charts(ctx).items():
        kind, _, iid = key.partition(":")
        if iid and task.indicator_ids is not None and iid not in task.indicator_ids:
            continue
        name = f"ranking_{iid}" if iid else {"counts": "status_counts"}.get(kind, kind)
        spec = chart.to_dict(validate=False)
        if iid:
            indicator = next(i for i in ctx.indicators if i["indicator_id"] == iid)
            alt_text = ranking_alt_for(ctx, indicator)
        else:
            alt_text = str(spec.get("description", ""))
        job = FileJob(spec=spec, stem=task.folder / name, formats=task.formats)
        row = {
            "file": f"{task.folder.name}/{name}",
            "area": area_name,
            "indicator": iid,
            "status": "",
            "alt_text": alt_text,
            "kind": "ranking" if iid else ("status_counts" if kind == "counts" else kind),
        }
        jobs.append((job, row))
    return jobs


def write_area_charts(task: AreaTask) -> list[dict[str, str]]:
    """Build and write one area's chart files (runs in a worker); its manifest rows."""
    rows: list[dict[str, str]] = []
    for job, row in seminar_jobs(worker_context(), task):
        write_chart_files(job)
        rows.extend({**row, "file": f"{row['file']}.{fmt}"} for fmt in task.formats)
    return rows


def _remove_written(out_dir: Path, manifest_rows: Sequence[dict[str, str]]) -> None:
    """Delete the files these rows name, and the folders that are then empty."""
    folders = set()
    for row in manifest_rows:
        written = out_dir / row["file"]
        written.unlink(missing_ok=True)
        folders.add(written.parent)
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
