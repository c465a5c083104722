"""Survey tables (Liv & Hälsa style CSV/Excel in the tidy format of docs/survey-format.md).

Also holds the vocabulary the other survey parsers share (gender codes, slugs, periods, area
ids, `SurveyImportError`), so a JSON-stat cube, a PX file and a tidy CSV all say the same thing
in the same columns of `OBSERVATION_SCHEMA`.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from config import LIVOHALSA_COUNTIES  # CDUST: survey-data.md §1.1
from models.areas import Area
from models.schema import OBSERVATION_SCHEMA, conform

LOG = logging.getLogger(__name__)

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SEPARATORS = (";", ",", "\t")
# Tried in order: Excel on Windows writes Windows-1252 ("ANSI"), everything else UTF-8.
# Latin-1 is not a fallback: it decodes any byte, so it could never report a broken file.
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")

# canonical column -> accepted headers (compared after `normalize_header`)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "survey": ("survey", "undersokning", "enkat"),
    "wave": ("wave", "wave_label", "vag", "omgang"),
    "period_start": (
        "period_start",
        "start_year",
        "period_fran",
        "period_borjan",
        "fran_ar",
        "startar",
    ),
    "period_end": (
        "period_end",
        "end_year",
        "period_slut",
        "period_till",
        "till_ar",
        "slutar",
        "ar",
        "year",
    ),
    "area_id": ("area_id", "geo_code", "omrade_id", "omradeskod", "kommunkod", "regionkod"),
    "area": ("area", "area_name", "omrade", "omradesnamn", "kommun"),
    "gender": ("gender", "sex", "kon"),
    "age_group": ("age_group", "age", "aldersgrupp", "alder"),
    "indicator": ("indicator", "indikator"),
    "value": ("value", "value_pct", "varde", "andel", "andel_pct"),
    "ci_low": ("ci_low", "ci_lower", "ki_nedre", "konfidensintervall_nedre", "nedre_grans"),
    "ci_high": ("ci_high", "ci_upper", "ki_ovre", "konfidensintervall_ovre", "ovre_grans"),
    "n": ("n", "antal_svar", "respondents", "antal_svarande"),
    "symbol": ("symbol", "suppression_symbol", "prickning", "undertryckt", "status"),
}
REQUIRED_COLUMNS = ("survey", "gender", "indicator", "value")

# Folkhälsodata survey tables code sex 00/01/02 in the order Totalt, Kvinnor, Män
# (survey-data.md §1.5); SCB register tables use 1+2/1/2 with 1 = män (TAB6471, statswe.json).
GENDER_CODES: dict[str, str] = {
    "t": "T",
    "totalt": "T",
    "total": "T",
    "alla": "T",
    "samtliga": "T",
    "00": "T",
    "1+2": "T",
    "totsa": "T",
    "totalt, samtliga män och kvinnor": "T",
    "both sexes": "T",
    "k": "K",
    "kvinnor": "K",
    "kvinna": "K",
    "women": "K",
    "female": "K",
    "f": "K",
    "01": "K",
    "2": "K",
    "m": "M",
    "män": "M",
    "man": "M",
    "men": "M",
    "male": "M",
    "02": "M",
    "1": "M",
}

SURVEY_TAGS: dict[str, str] = {
    "liv_halsa": "livohalsa",
    "liv_och_halsa": "livohalsa",
    "livohalsa": "livohalsa",
    "lh": "livohalsa",
    "halsa_pa_lika_villkor": "hlv",
    "nationella_folkhalsoenkaten": "hlv",
    "hlv": "hlv",
}
# An age-group cell that means "the survey's whole population": no age suffix on the series id.
ALL_AGES = frozenset({"", "alla", "totalt", "samtliga", "all", "total", "alla_aldrar"})
# Data symbols of PX/PxWeb ("." to "......", "-"), plus what tabellrapporter use for "too few".
SYMBOL_PATTERN = re.compile(r"^(?:\.{1,6}|-|–|x|X|\*)$")
PERIOD_PATTERN = re.compile(r"^\s*(\d{4})\s*(?:[-–/]\s*(\d{4}))?\s*$")
SHARE_RANGE = (0.0, 100.0)
MAX_RESPONDENTS = 20_000_000  # more than Sweden's population: a typo, and past Int64 at 1e19


MAX_PROBLEMS_LISTED = 50  # the first 50 say what is wrong; 300 000 lines would say nothing more


class SurveyImportError(ValueError):
    """Input that cannot be imported; carries every problem found, each as file:line: reason."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        listed = [str(problem) for problem in self.problems[:MAX_PROBLEMS_LISTED]]
        more = len(self.problems) - MAX_PROBLEMS_LISTED
        if more > 0:
            listed.append(f"… and {more} more problem(s) ({len(self.problems)} in all)")
        super().__init__("\n".join(listed))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # 1-based as the user sees it (header = line 1); None for the whole file
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"


def normalize_header(header: str) -> str:
    """'Konfidensintervall, nedre' → 'konfidensintervall_nedre'; also strips a stray BOM."""
    return slugify(header.replace("\ufeff", ""))


def slugify(text: str) -> str:
    """'Bra eller mycket bra hälsa' → 'bra_eller_mycket_bra_halsa' (lower-case ASCII, '_')."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")


def survey_tag(name: str) -> str:
    """'Liv & Hälsa' → 'livohalsa', 'Hälsa på lika villkor' → 'hlv', else the name's slug."""
    slug = slugify(name)
    return SURVEY_TAGS.get(slug, slug.replace("_", ""))


def gender_code(text: str) -> str | None:
    """T, K or M for any accepted spelling; None when the text is not a known gender."""
    return GENDER_CODES.get(text.strip().lower())


def parse_period(text: str) -> tuple[int, int] | None:
    """'2022' → (2022, 2022); '2021-2024' → (2021, 2024); anything else → None."""
    match = PERIOD_PATTERN.match(text)
    if match is None:
        return None
    start = int(match.group(1))
    end = int(match.group(2) or start)
    return (start, end) if start <= end else None


def normalize_area_id(text: str) -> str:
    """Pad an all-digit id to Kolada's four digits: '17' → '0017', '0' → '0000', '114' → '0114'.

    Spreadsheets drop leading zeros, and SCB/FoHM write counties with two digits; every Kolada
    area id that is all digits has four, so padding is never ambiguous.
    """
    text = text.strip()
    return text.zfill(4) if text.isdigit() and len(text) < 4 else text


def parse_number(text: str) -> float | None:
    """'68,2' or '68.2' → 68.2; also '1 234' with a (no-break) space. None when not a number."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("−", "-")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def is_symbol(text: str) -> bool:
    return bool(SYMBOL_PATTERN.match(text.strip()))


def area_lookup(areas: Mapping[str, Area]) -> dict[str, str]:
    """Lower-cased area name → id, for matching names in a table ('hammarö' → '1761')."""
    return {area.name.strip().lower(): area_id for area_id, area in areas.items()}


def series_id_for(survey: str, indicator: str, age_group: str = "") -> str:
    """'survey:livohalsa.god_halsa', with '.18_29' appended for an age group other than all."""
    parts = [survey, slugify(indicator)]
    age = slugify(age_group)
    if age not in ALL_AGES:
        parts.append(age)
    return "survey:" + ".".join(parts)


def with_min_n(observations: pl.DataFrame, min_n: int | None) -> pl.DataFrame:
    """Suppress cells with n < min_n: value and interval null, status 'n<{min_n}'; n is kept."""
    if min_n is None:
        return observations
    small = pl.col("n").is_not_null() & (pl.col("n") < min_n) & pl.col("value").is_not_null()
    return observations.with_columns(
        value=pl.when(small).then(None).otherwise(pl.col("value")),
        ci_low=pl.when(small).then(None).otherwise(pl.col("ci_low")),
        ci_high=pl.when(small).then(None).otherwise(pl.col("ci_high")),
        status=pl.when(small).then(pl.lit(f"n<{min_n}")).otherwise(pl.col("status")),
    )


def count_small_n(observations: pl.DataFrame) -> int:
    """How many cells the minimum-n rule suppressed on import."""
    return observations.filter(pl.col("status").str.starts_with("n<")).height


def read_survey_table(
    path: Path, areas: Mapping[str, Area], min_n: int | None = None
) -> pl.DataFrame:
    """Read one tidy survey table (CSV, or Excel by suffix) into OBSERVATION_SCHEMA rows.

    Every problem in the file is collected and raised together as `SurveyImportError`; nothing
    is returned from a file with any problem. `min_n` suppresses cells answered by fewer.
    """
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        header, rows = read_excel_rows(path)
    else:
        header, rows = read_csv_rows(path)
    observations = parse_survey_rows(path.name, header, rows, areas)
    suppressed = with_min_n(observations, min_n)
    small = count_small_n(suppressed)
    if small:
        LOG.info("%s: %d cell(s) suppressed by the minimum-n rule (n < %s)", path, small, min_n)
    return suppressed


def read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Decode (UTF-8, BOM or Windows-1252), sniff the separator, and keep each row's line."""
    text = decode_text(path.read_bytes(), path.name)
    lines = text.splitlines(keepends=True)
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise SurveyImportError([Problem(path.name, None, "the file is empty")])
    separator = max(CSV_SEPARATORS, key=first.count)
    reader = csv.reader(lines, delimiter=separator)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
            else:
                rows.append((reader.line_num, record))
    except csv.Error as error:  # a field past the csv module's limit, a stray NUL
        raise SurveyImportError(
            [Problem(path.name, reader.line_num, f"unreadable CSV: {error}")]
        ) from error
    return header or [], rows


def decode_text(raw: bytes, file: str) -> str:
    """Text of a CSV in UTF-8 (with or without BOM) or Windows-1252; else a file:line error."""
    if b"\x00" in raw[:4096]:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise SurveyImportError(
            [
                Problem(
                    file,
                    line,
                    "unreadable encoding: NUL bytes (UTF-16 or not a text file); "
                    "save the table as CSV in UTF-8 or Windows-1252",
                )
            ]
        )
    failure: UnicodeDecodeError | None = None
    for encoding in TEXT_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            failure = error
    assert failure is not None
    line = raw[: failure.start].count(b"\n") + 1
    byte = raw[failure.start : failure.start + 1].hex()
    raise SurveyImportError(
        [
            Problem(
                file,
                line,
                f"unreadable encoding: byte 0x{byte} is neither UTF-8 nor "
                "Windows-1252; save the table as CSV in UTF-8",
            )
        ]
    )


def read_excel_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The first sheet's rows as text, each with its Excel row number (header = row 1).

    openpyxl in full mode: its read-only mode trusts the sheet's `<dimension>` record, which
    some writers leave stale, and then silently stops early (a 4-row sheet read as 1 row).
    Formula cells are read as the result Excel saved with them; a formula without a saved
    result is refused by its cell name (it would otherwise read as an empty cell).
    """
    from openpyxl import load_workbook  # heavy import, only for Excel input

    try:
        values = load_workbook(path, read_only=False, data_only=True).worksheets[0]
        formulas = load_workbook(path, read_only=False, data_only=False).worksheets[0]
    except Exception as error:  # openpyxl raises many types for a broken workbook
        raise SurveyImportError(
            [Problem(path.name, None, f"not a readable Excel workbook: {error}")]
        ) from error
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    for cells in values.iter_rows():
        number = cells[0].row if cells else 0
        texts = [excel_cell_text(cell.value) for cell in cells]
        for cell in cells:
            formula = formulas.cell(row=cell.row, column=cell.column)
            if cell.value is None and formula.data_type == "f":
                problems.append(
                    Problem(
                        path.name,
                        number,
                        f"cell {cell.coordinate} holds a formula ({formula.value}) without a "
                        "saved result; open and save the workbook in Excel, or paste values",
                    )
                )
        if not any(text.strip() for text in texts):
            continue
        if header is None:
            header = texts
        else:
            rows.append((number, texts))
    if problems:
        raise SurveyImportError(problems)
    return header or [], rows


def excel_cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def match_columns(file: str, header: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    """Map canonical columns to positions; report unknown, duplicate and missing columns."""
    lookup = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for position, raw in enumerate(header):
        key = normalize_header(raw)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            problems.append(
                Problem(
                    file,
                    1,
                    f"unknown column {raw!r} (column {position + 1}); "
                    "see docs/survey-format.md for the accepted names",
                )
            )
        elif name in positions:
            problems.append(Problem(file, 1, f"column {raw!r} repeats column {name!r}"))
        else:
            positions[name] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if "area_id" not in positions and "area" not in positions:
        missing.append("area_id or area")
    if not any(name in positions for name in ("period_end", "wave")):
        missing.append("period_end or wave")
    if missing:
        problems.append(Problem(file, 1, f"missing column(s): {', '.join(missing)}"))
    return positions, problems


def parse_survey_rows(
    file: str,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    areas: Mapping[str, Area],
) -> pl.DataFrame:
    """Validate every row and build observations; raise with all problems if there are any."""
    positions, problems = match_columns(file, header)
    if problems:
        raise SurveyImportError(problems)
    names = area_lookup(areas)
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, int, str], int] = {}
    for line, cells in rows:
        if len(cells) != len(header):
            problems.append(
                Problem(
                    file,
                    line,
                    f"{len(cells)} fields, the header has "
                    f"{len(header)} (a separator inside an unquoted value?)",
                )
            )
            continue
        row = {name: cells[position].strip() for name, position in positions.items()}
        record, reasons = parse_survey_row(row, areas, names)
        problems.extend(Problem(file, line, reason) for reason in reasons)
        if record is None:
            continue
        key = (record["series_id"], record["area_id"], record["period"], record["gender"])
        if key in seen:
            problems.append(
                Problem(
                    file,
                    line,
                    f"duplicate of line {seen[key]} (same survey, "
                    "indicator, age group, area, period and gender)",
                )
            )
            continue
        seen[key] = line
        records.append(record)
    if problems:
        raise SurveyImportError(problems)
    if not records:
        raise SurveyImportError([Problem(file, None, "no data rows below the header")])
    frame = pl.DataFrame(records, schema_overrides={"n": pl.Int64}, infer_schema_length=None)
    return conform(frame.with_columns(is_deleted=pl.lit(False)), OBSERVATION_SCHEMA).sort(
        "series_id", "area_id", "period", "gender"
    )


def parse_survey_row(
    row: Mapping[str, str], areas: Mapping[str, Area], names: Mapping[str, str]
) -> tuple[dict[str, Any] | None, list[str]]:
    """One row → one observation, or the reasons it is wrong (all of them)."""
    reasons: list[str] = []
    survey = survey_tag(row.get("survey", ""))
    if not survey:
        reasons.append("survey is empty")
    indicator = row.get("indicator", "")
    if not slugify(indicator):
        reasons.append("indicator is empty")

    area_id = resolve_area(row, areas, names, reasons)
    period = resolve_period(row, reasons)
    gender = gender_code(row.get("gender", ""))
    if gender is None:
        reasons.append(
            f"unknown gender {row.get('gender', '')!r}; use T/K/M, Totalt/Kvinnor/Män or 00/01/02"
        )

    value, symbol = resolve_value(row, reasons)
    ci_low = resolve_share(row, "ci_low", reasons)
    ci_high = resolve_share(row, "ci_high", reasons)
    if (ci_low is None) != (ci_high is None) and not symbol:
        reasons.append("give both interval limits or neither")
    if (
        value is not None
        and ci_low is not None
        and ci_high is not None
        and not ci_low <= value <= ci_high
    ):
        reasons.append(
            f"interval {format_share(ci_low)}–{format_share(ci_high)} does not "
            f"contain the value {format_share(value)}"
        )
    n = resolve_count(row, reasons)

    if reasons or area_id is None or period is None or gender is None:
        return None, reasons
    return {
        "series_id": series_id_for(survey, indicator, row.get("age_group", "")),
        "area_id": area_id,
        "period": period[1],
        "gender": gender,
        "value": None if symbol else value,
        "ci_low": None if symbol else ci_low,
        "ci_high": None if symbol else ci_high,
        "n": n,
        "status": symbol,
        "period_start": period[0],
        "period_end": period[1],
        "survey": survey,
    }, reasons


def resolve_area(
    row: Mapping[str, str], areas: Mapping[str, Area], names: Mapping[str, str], reasons: list[str]
) -> str | None:
    raw_id = row.get("area_id", "")
    raw_name = row.get("area", "")
    by_name = names.get(raw_name.lower()) if raw_name else None
    if raw_name and by_name is None:
        reasons.append(f"unknown area name {raw_name!r}")
    if raw_id:
        area_id = normalize_area_id(raw_id)
        if area_id not in areas:
            reasons.append(f"unknown area id {raw_id!r}")
            return None
        if by_name is not None and by_name != area_id:
            reasons.append(f"area id {raw_id!r} is {areas[area_id].name}, not {raw_name!r}")
            return None
        return area_id
    if not raw_name:
        reasons.append("area is empty")
    return by_name


def resolve_period(row: Mapping[str, str], reasons: list[str]) -> tuple[int, int] | None:
    """Period from period_start/period_end, else from the wave label ('2022', '2021-2024')."""
    start_text, end_text = row.get("period_start", ""), row.get("period_end", "")
    if end_text:
        end = parse_period(end_text)
        start = parse_period(start_text) if start_text else end
        if end is None or start is None or end[0] != end[1] or start[0] != start[1]:
            reasons.append(f"period start/end must be years, not {start_text!r}/{end_text!r}")
            return None
        if start[0] > end[0]:
            reasons.append(f"period starts ({start[0]}) after it ends ({end[0]})")
            return None
        return start[0], end[0]
    wave = row.get("wave", "")
    period = parse_period(wave)
    if period is None:
        reasons.append(
            f"no period: give period_end, or a wave label like 2022 or 2021-2024, not {wave!r}"
        )
    return period


def resolve_value(row: Mapping[str, str], reasons: list[str]) -> tuple[float | None, str]:
    """The share and the suppression symbol; a symbol may stand in the value cell itself."""
    text = row.get("value", "")
    symbol = row.get("symbol", "")
    if symbol and not is_symbol(symbol):
        reasons.append(f"unknown suppression symbol {symbol!r}; use . .. ... - or x")
    if is_symbol(text):
        if symbol and symbol != text:
            reasons.append(f"value {text!r} and symbol {symbol!r} disagree")
        return None, text
    if symbol:
        if text:
            reasons.append(f"a suppressed cell ({symbol!r}) must have an empty value, not {text!r}")
        return None, symbol
    if not text:
        reasons.append("value is empty; give a share or a suppression symbol")
        return None, ""
    return resolve_share(row, "value", reasons), ""


def resolve_share(row: Mapping[str, str], column: str, reasons: list[str]) -> float | None:
    text = row.get(column, "")
    if not text or is_symbol(text):
        return None
    number = parse_number(text)
    if number is None:
        reasons.append(f"{column} {text!r} is not a number")
        return None
    low, high = SHARE_RANGE
    if not low <= number <= high:
        reasons.append(f"{column} {text} is outside 0–100 (a share in %)")
        return None
    return number


def resolve_count(row: Mapping[str, str], reasons: list[str]) -> int | None:
    text = row.get("n", "")
    if not text or is_symbol(text):
        return None
    number = parse_number(text)
    if number is None or number < 0 or not number.is_integer():
        reasons.append(f"n {text!r} is not a whole number of respondents")
        return None
    if number > MAX_RESPONDENTS:
        reasons.append(f"n {text!r} is more respondents than Sweden has people")
        return None
    return int(number)


def format_share(number: float) -> str:
    return f"{number:g}".replace(".", ",")


# Kolada KPIs whose CDUST points come from Liv & Hälsa and the rest from HLV 4-year windows:
# their Kolada descriptions carry the two-source text (open-numbers/ddf--kolada--dump @8501d5c7,
# ddf--concepts.csv; survey-data.md §1.4).
LIVOHALSA_KPIS = (
    "U01402",
    "U01404",
    "U01405",
    "U01411",
    "U01413",
    "U01414",
    "U01420",
    "U01429",
    "U01471",
    "U01472",
    "U01473",
)
# Liv & Hälsa waves that Kolada carries (all 16 Värmland municipalities have U01405 values in
# exactly these years; waves 2000 and 2004 predate the KPIs). Region Värmland's 2022 page lists
# the waves 2000, 2004, 2008, 2012, 2017, 2022 (survey-data.md §1.1).
LIVOHALSA_YEARS = (2008, 2012, 2017, 2022)
HLV_WINDOW_YEARS = 4  # Kolada: "glidande flerårsmedelvärde för åren T till T-3"


def tag_survey_points(
    observations: pl.DataFrame,
    livohalsa_years: Sequence[int] = LIVOHALSA_YEARS,
    livohalsa_counties: Sequence[str] = LIVOHALSA_COUNTIES,
    *,
    areas: Mapping[str, Area] | None = None,
) -> pl.DataFrame:
    """Say which survey each point of a two-source Kolada U-series comes from.

    For the KPIs in LIVOHALSA_KPIS: a point of a CDUST county's municipality, region or county
    group in a Liv & Hälsa year is `livohalsa` covering that one year; every other point is
    `hlv`, the 4-year window T-3..T. Other series pass unchanged.
    """
    if areas is None:
        from models.areas import load_areas  # reads areas.csv; only when not given

        areas = load_areas()
    cdust = [area_id for area_id, area in areas.items() if area.county_id in livohalsa_counties]
    carrying = pl.col("series_id").is_in([f"kolada:{kpi}" for kpi in LIVOHALSA_KPIS])
    is_livohalsa = pl.col("area_id").is_in(cdust) & pl.col("period").is_in(list(livohalsa_years))
    return observations.with_columns(
        survey=pl.when(carrying)
        .then(pl.when(is_livohalsa).then(pl.lit("livohalsa")).otherwise(pl.lit("hlv")))
        .otherwise(pl.col("survey")),
        period_start=pl.when(carrying)
        .then(
            pl.when(is_livohalsa)
            .then(pl.col("period"))
            .otherwise(pl.col("period") - (HLV_WINDOW_YEARS - 1))
        )
        .otherwise(pl.col("period_start"))
        .cast(pl.Int32),
        period_end=pl.when(carrying)
        .then(pl.col("period"))
        .otherwise(pl.col("period_end"))
        .cast(pl.Int32),
    )
