"""`aktuellt import FILE…`: archive survey files, parse and validate all of them, then store.

Order matters: each input is copied byte for byte to data/raw/survey/<run>/ first, so what was
imported can always be rebuilt; then every file is parsed and checked; only when no file has a
problem are the observations loaded into the warehouse, all in one refresh transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from config import Settings
from models.areas import Area, load_areas
from models.schema import OBSERVATION_SCHEMA, conform
from models.warehouse_schema import OUTCOME_SUCCESS
from sources.jsonstat import check_intervals, read_jsonstat
from sources.px import read_px
from sources.survey import (
    EXCEL_SUFFIXES,
    Problem,
    SurveyImportError,
    count_small_n,
    read_survey_table,
    with_min_n,
)

RUN_KIND = "survey_import"
TABLE_SUFFIXES = (".csv", ".txt", *EXCEL_SUFFIXES)
CUBE_SUFFIXES = (".json", ".px")

Store = Callable[[Settings, pl.DataFrame, str, dt.datetime, dict[str, Any]], dict[str, int]]


@dataclass(frozen=True)
class FileSummary:
    path: Path
    archived: Path
    rows: int
    symbols: int  # cells suppressed by the source (a symbol such as "..")
    small_n: int  # cells suppressed here by the minimum-n rule


@dataclass(frozen=True)
class ImportResult:
    run_id: str
    files: tuple[FileSummary, ...]
    series_ids: tuple[str, ...]
    counts: dict[str, int]  # what the warehouse did: inserted, revised, unchanged, removed

    @property
    def rows(self) -> int:
        return sum(summary.rows for summary in self.files)

    @property
    def small_n(self) -> int:
        return sum(summary.small_n for summary in self.files)

    def summary_lines(self) -> list[str]:
        """One line per file, in words the CLI can print as is."""
        return [
            f"{s.path.name}: {s.rows} värden, {s.symbols} prickade i källan, "
            f"{s.small_n} undertryckta (n för litet)"
            for s in self.files
        ]


# A survey table is hundreds to a few thousand rows; a far larger file is the wrong file, and
# reading it whole (openpyxl's full mode) would take minutes and gigabytes.
MAX_FILE_BYTES = 20_000_000


def import_survey_files(
    paths: Sequence[Path],
    settings: Settings,
    run_id: str,
    *,
    min_n: int | None = None,
    survey: str | None = None,
    areas: Mapping[str, Area] | None = None,
    now: dt.datetime | None = None,
    store: Store | None = None,
) -> ImportResult:
    """Archive, parse, validate and store survey files; nothing is stored if any file fails.

    CSV/Excel files are in the tidy format (docs/survey-format.md). JSON-stat (.json) and PX
    (.px) files need `survey` (e.g. "hlv") since they do not name their survey in a known way.
    Raises `SurveyImportError` listing every problem in every file as file:line: reason.
    """
    if not paths:
        raise SurveyImportError([Problem("(no files)", None, "give at least one file")])
    now = now or dt.datetime.now(dt.UTC)
    areas = areas if areas is not None else load_areas()
    archived = archive_inputs(paths, settings.raw_dir / "survey" / run_id)

    frames: list[pl.DataFrame] = []
    summaries: list[FileSummary] = []
    problems: list[Problem] = []
    for path, copy in zip(paths, archived, strict=True):
        try:
            frame = parse_file(path, areas, min_n=min_n, survey=survey)
        except SurveyImportError as error:
            problems.extend(error.problems)
            continue
        frames.append(frame)
        summaries.append(summarize(path, copy, frame))
    if problems:
        raise SurveyImportError(problems)
    batch = pl.concat(frames, how="vertical")
    problems = find_cross_file_duplicates(batch, paths, frames)
    if problems:
        raise SurveyImportError(problems)

    series_ids = tuple(sorted(batch["series_id"].unique().to_list()))
    run = {
        "run_id": run_id,
        "kind": RUN_KIND,
        "started_at": now,
        "outcome": OUTCOME_SUCCESS,
        "method_settings": settings.method.as_dict(),
        "values_received": batch.height,
        "requests": 0,
    }
    counts = (store or store_observations)(settings, batch, run_id, now, run)
    return ImportResult(run_id, tuple(summaries), series_ids, counts)


def archive_inputs(paths: Sequence[Path], folder: Path) -> list[Path]:
    """Copy each file byte for byte into the run's raw folder before anything reads it."""
    folder.mkdir(parents=True, exist_ok=True)
    copies: list[Path] = []
    for number, path in enumerate(paths, start=1):
        if not Path(path).is_file():
            raise SurveyImportError([Problem(str(path), None, "no such file")])
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise SurveyImportError(
                [
                    Problem(
                        str(path),
                        None,
                        f"{size / 1e6:.0f} MB is more than the {MAX_FILE_BYTES / 1e6:.0f} MB a "
                        "survey table may have; split it, or check that it is the right file",
                    )
                ]
            )
        # The number keeps two inputs with the same name (from different folders) apart.
        target = folder / f"{number:02d}_{Path(path).name}"
        shutil.copyfile(path, target)
        copies.append(target)
    manifest = [
        {"input": str(path), "archived": copy.name}
        for path, copy in zip(paths, copies, strict=True)
    ]
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return copies


def parse_file(
    path: Path, areas: Mapping[str, Area], *, min_n: int | None, survey: str | None
) -> pl.DataFrame:
    """One file into checked observations, chosen by suffix."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return read_survey_table(path, areas, min_n=min_n)
    if suffix in CUBE_SUFFIXES:
        if not survey:
            raise SurveyImportError(
                [
                    Problem(
                        path.name,
                        None,
                        "say which survey a JSON-stat/PX file holds (e.g. --survey hlv)",
                    )
                ]
            )
        reader = read_jsonstat if suffix == ".json" else read_px
        # Survey cubes hold shares in %: the tidy table's range applies, folded or not.
        frame = check_intervals(reader(path, survey=survey, areas=areas), path.name, True)
        if frame["area_id"].null_count():
            raise SurveyImportError([Problem(path.name, None, "the table has no area dimension")])
        return with_min_n(frame, min_n)
    raise SurveyImportError(
        [Problem(path.name, None, f"unknown file type {suffix!r}; use .csv, .xlsx, .json or .px")]
    )


def summarize(path: Path, copy: Path, frame: pl.DataFrame) -> FileSummary:
    source_symbols = frame.filter(
        (pl.col("status") != "") & ~pl.col("status").str.starts_with("n<")
    ).height
    return FileSummary(path, copy, frame.height, source_symbols, count_small_n(frame))


def find_cross_file_duplicates(
    batch: pl.DataFrame, paths: Sequence[Path], frames: Sequence[pl.DataFrame]
) -> list[Problem]:
    """The same series, area, period and gender in two files: which value wins is unclear."""
    key = ["series_id", "area_id", "period", "gender"]
    tagged = pl.concat(
        [
            frame.select(key).with_columns(file=pl.lit(path.name))
            for path, frame in zip(paths, frames, strict=True)
        ]
    )
    repeated = tagged.filter(pl.struct(key).is_duplicated())
    return [
        Problem(group["file"].str.join(", ").item(), None, f"{row} appears in more than one file")
        for row, group in (
            (", ".join(str(v) for v in values), rows)
            for values, rows in repeated.group_by(key, maintain_order=True)
        )
    ]


def store_observations(
    settings: Settings, batch: pl.DataFrame, run_id: str, now: dt.datetime, run: dict[str, Any]
) -> dict[str, int]:
    """Load the batch into the warehouse history, recompute the status rows, record the run.

    All in one atomic publish: readers see the survey values and the statuses built on them
    together, or neither.
    """
    from pipelines.refresh import recompute_status
    from pipelines.warehouse import open_for_refresh  # DuckDB only when storing

    series_ids = sorted(batch["series_id"].unique().to_list())
    with open_for_refresh(settings.db_path) as writer:
        counts = writer.load_observations(
            conform(batch, OBSERVATION_SCHEMA),
            run_id,
            now=now,
            full=False,
            scope_series=series_ids,
        )
        result = {
            "inserted": counts.inserted,
            "revised": counts.revised,
            "removed": counts.removed,
            "unchanged": counts.unchanged,
        }
        recompute_status(writer, settings, run_id, now)
        writer.record_run({**run, **result, "finished_at": dt.datetime.now(dt.UTC)})
    return result
