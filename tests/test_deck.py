"""The seminar deck: it opens, has a title slide, one slide per indicator with alt text and
notes, and the county overview; LibreOffice converts it where LibreOffice is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from typer.testing import CliRunner

from cli import app
from reports.deck import build_deck
from reports.pages import page_entries, report_context
from tests.report_fixtures import report_data

pytestmark = pytest.mark.slow

AREA_ID = "1765"  # Årjäng


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """The deck's path, the number of indicators on the area's page and of those with values."""
    ctx = report_context(**report_data().args())
    path = tmp_path_factory.mktemp("deck") / "arjang.pptx"
    build_deck(ctx, AREA_ID, path, workers=2)
    entries = page_entries(ctx, AREA_ID)
    charted = sum(1 for e in entries if e.points.filter(pl.col("role") == "area").height)
    return path, len(entries), charted


def picture_descriptions(slide) -> list[str]:
    return [
        shape._element.nvPicPr.cNvPr.get("descr", "")
        for shape in slide.shapes
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE
    ]


def test_deck_has_a_slide_per_indicator_with_alt_text_and_notes(deck: tuple[Path, int, int]):
    path, indicators, charted = deck
    slides = list(Presentation(str(path)).slides)
    assert len(slides) == 1 + indicators + 2  # title, indicators, heatmap and counts
    assert slides[0].shapes.title.text == "Aktuellt perspektiv 2024: Årjäng"
    pictures = 0
    for slide in slides[1:]:
        notes = slide.notes_slide.notes_text_frame.text
        assert "Alternativtext: " in notes and "Egen bearbetning" in notes
        descriptions = picture_descriptions(slide)
        pictures += len(descriptions)
        assert all(descriptions), slide.shapes.title.text
    assert pictures == charted + 2 > 2  # a chart per indicator with values; two overviews
    behoriga = next(s for s in slides if s.shapes.title.text.startswith("Elever i åk 9"))
    notes = behoriga.notes_slide.notes_text_frame.text
    assert "N15428 (Skolverket)" in notes
    texts = " ".join(shape.text_frame.text for shape in behoriga.shapes if shape.has_text_frame)
    assert "Status" in notes or any(label in texts for label in ("Målet", "riktning", "Ingen"))
    overview = [s.shapes.title.text for s in slides[-2:]]
    assert overview == [
        "Status per kommun och indikator",
        "Antal indikatorer per status och kommun",
    ]


def test_libreoffice_converts_the_deck_where_installed(deck: tuple[Path, int, int], tmp_path: Path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed; the python-pptx re-read above proves the file")
    path = deck[0]
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    assert (tmp_path / "arjang.pdf").read_bytes().startswith(b"%PDF")


def test_deck_refuses_an_output_that_is_not_pptx(tmp_path: Path):
    result = CliRunner().invoke(app, ["deck", "--area", "1780", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 64
    assert ".pptx" in result.output
