"""The May seminar deck: one PowerPoint file per area (python-pptx).

A title slide; one slide per indicator with its trend chart as a picture (alt text set), the
status sentence as text, and the source and alt text in the speaker notes; then the county
overview (status heatmap and status counts). The charts are the seminar charts' PNGs, so a
slide shows exactly what `aktuellt charts` writes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from pptx import Presentation
from pptx.util import Emu, Inches, Pt

from reports.pages import ReportContext, indicator_sources, page_entries, row_surveys
from reports.progress_display import QUIET, ProgressDisplay
from reports.render import FileJob, parallel_map, write_chart_files
from reports.seminar import AreaTask, county_jobs, seminar_jobs
from reports.text import SOURCE_PROCESSED, SOURCE_VALUES, data_date_text, status_text

SLIDE_WIDTH = Inches(13.333)  # 16:9
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
TITLE_ONLY_LAYOUT = 5  # in python-pptx's default template
TITLE_LAYOUT = 0


@dataclass(frozen=True)
class SlideContent:
    title: str
    picture: Path | None
    alt_text: str
    text: str  # on the slide, under the picture
    notes: str


def build_deck(
    ctx: ReportContext,
    area_id: str,
    out_path: Path,
    workers: int = 2,
    progress: ProgressDisplay = QUIET,
) -> Path:
    """Write the deck for one area to out_path (a .pptx) and return the path."""
    if area_id not in ctx.names:
        raise ValueError(f"unknown area id {area_id!r}")
    with tempfile.TemporaryDirectory(prefix="aktuellt-deck-") as scratch:
        slides = _slide_contents(ctx, area_id, Path(scratch), workers, progress)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _write_presentation(ctx, area_id, slides, out_path)
    return out_path


def _slide_contents(
    ctx: ReportContext, area_id: str, folder: Path, workers: int, progress: ProgressDisplay
) -> list[SlideContent]:
    task = AreaTask(area_id, folder / "area", ("png",), None)
    trends = {row["indicator"]: (job, row) for job, row in seminar_jobs(ctx, task)}
    county = AreaTask(ctx.county_id, folder / "county", ("png",), ())  # () leaves out rankings
    overview = [(job, row) for job, row in county_jobs(ctx, county) if row["kind"] != "ranking"]
    jobs: list[FileJob] = [job for job, _ in [*trends.values(), *overview]]
    with progress.phase("Diagram till presentationen", len(jobs)) as advance:
        parallel_map(write_chart_files, jobs, workers, on_done=lambda i: advance(jobs[i].stem.name))

    slides = []
    footer = f"{SOURCE_VALUES} (värden). {SOURCE_PROCESSED} (förändring, mål och status)."
    for entry in page_entries(ctx, area_id):
        iid = entry.indicator["indicator_id"]
        row = entry.total or {}
        sentence = status_text(row.get("status"), row.get("status_label")) + "."
        explanation = str(row.get("explanation") or row.get("reason") or "")
        sources = indicator_sources(entry.indicator)
        kpis = ", ".join(
            f"{kpi.kpi_id}{f' ({kpi.producer})' if kpi.producer else ''} {kpi.url}"
            for kpi in sources.kpis
        )
        surveys = row_surveys([entry.total, *entry.by_gender])
        source = f"Källa: Kolada, nyckeltal {kpis}." if kpis else "Värden från importerad tabell."
        if surveys:
            source += f" Enkät: {', '.join(surveys)}."
        job_row = trends.get(iid)
        alt_text = (
            job_row[1]["alt_text"] if job_row else f"Inga värden för {entry.series_names['area']}."
        )
        slides.append(
            SlideContent(
                title=entry.indicator["title"],
                picture=job_row[0].stem.with_suffix(".png") if job_row else None,
                alt_text=alt_text,
                text=f"{sentence} {explanation}".strip(),
                notes=f"{source} {footer}\nAlternativtext: {alt_text}",
            )
        )
    for job, row in overview:
        title = (
            "Status per kommun och indikator"
            if row["kind"] == "heatmap"
            else ("Antal indikatorer per status och kommun")
        )
        slides.append(
            SlideContent(
                title=title,
                picture=job.stem.with_suffix(".png"),
                alt_text=row["alt_text"],
                text="",
                notes=f"{footer}\nAlternativtext: {row['alt_text']}",
            )
        )
    return slides


def _write_presentation(
    ctx: ReportContext, area_id: str, slides: list[SlideContent], out_path: Path
) -> None:
    deck = Presentation()
    deck.slide_width = SLIDE_WIDTH
    deck.slide_height = SLIDE_HEIGHT
    name = ctx.names.get(area_id, area_id)

    title_slide = deck.slides.add_slide(deck.slide_layouts[TITLE_LAYOUT])
    title_slide.shapes.title.text = f"Aktuellt perspektiv {ctx.report_year}: {name}"
    subtitle = title_slide.placeholders[1]
    subtitle.text = f"{ctx.catalog_title}\n{data_date_text(ctx.data_date)}"

    for content in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
        title = slide.shapes.title
        title.left, title.top, title.width, title.height = (
            MARGIN,
            Inches(0.25),
            SLIDE_WIDTH - 2 * MARGIN,
            Inches(0.9),
        )
        title.text = content.title
        for paragraph in title.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(28)
        text_height = Inches(1.1) if content.text else Emu(0)
        if content.picture is not None:
            _add_picture(slide, content, Inches(1.25), SLIDE_HEIGHT - Inches(1.4) - text_height)
        if content.text:
            box = slide.shapes.add_textbox(
                MARGIN,
                SLIDE_HEIGHT - text_height - Inches(0.2),
                SLIDE_WIDTH - 2 * MARGIN,
                text_height,
            )
            box.text_frame.word_wrap = True
            box.text_frame.text = content.text
            for paragraph in box.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(18)
        slide.notes_slide.notes_text_frame.text = content.notes
    deck.save(str(out_path))


def _add_picture(slide: object, content: SlideContent, top: int, max_height: int) -> None:
    """The chart, as large as fits, centred; its alt text in the picture's description."""
    from PIL import Image

    assert content.picture is not None
    with Image.open(content.picture) as image:
        ratio = image.width / image.height
    max_width = SLIDE_WIDTH - 2 * MARGIN
    width = min(max_width, int(max_height * ratio))
    height = int(width / ratio)
    left = (SLIDE_WIDTH - width) // 2
    picture = slide.shapes.add_picture(  # type: ignore[attr-defined]
        str(content.picture), left, top, width=width, height=height
    )
    picture._element.nvPicPr.cNvPr.set("descr", content.alt_text)
