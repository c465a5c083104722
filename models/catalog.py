"""Indicator catalogs: TOML files analysts edit, loaded into typed, frozen objects and checked.

One catalog per steering document (`np2020`, `np2022`, `np2023`, ...). An indicator's title,
unit, direction and target are defined here once; checks, labels and charts read them from here.
The file format is described in models/catalogs/README.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import polars as pl

from models.areas import AREA_KINDS, Area

CATALOG_DIR = Path(__file__).with_name("catalogs")

# unit code -> (Swedish label for tables, Swedish words for a change in that unit)
UNITS: dict[str, tuple[str, str]] = {
    "percent": ("andel (%)", "procentenheter"),
    "per_100000": ("per 100 000 invånare", "per 100 000 invånare"),
    "years": ("år", "år"),
    "index": ("index", "indexenheter"),
    "count": ("antal", "st"),
    "sek": ("kronor", "kronor"),
}
SHARE_UNITS = frozenset({"percent"})
TARGET_KINDS = ("pp", "units", "percent", "level", "direction", "gap")
DIRECTIONS = {"higher": 1, "lower": -1}
DERIVE_KINDS = ("complement", "gap")
# assessed: a direction and a target, so status rows; descriptive: followed with its trend only,
# for goals where neither "higher" nor "lower" is better (more detected violence can mean better
# detection).
INDICATOR_KINDS = ("assessed", "descriptive")
DESCRIPTIVE_SENTENCE = "Indikatorn följs utan bedömning"
# Where an indicator's baseline year comes from: the source document, the year the goals were
# adopted (the project's assumption, for a source that names no baseline year), or the catalog
# itself (an analyst's choice where the source names none).
BASELINE_BASES = ("source", "adopted_year", "catalog")
# Life stages of the 2020–2023 documents: the groups of a catalog that declares none.
LIFE_STAGES = ("Barnalivet", "Ungdomslivet", "Vuxenlivet", "Äldrelivet")
SOURCES = ("kolada", "survey", "manual")
SERIES_PATTERN = re.compile(
    r"^(?:kolada:[NU]\d{5}|survey:[a-z0-9_]+(?:\.[a-z0-9_]+)*|manual:[a-z0-9_]+)$"
)
INDICATOR_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")

CATALOG_FIELDS = {
    "id",
    "title",
    "source_document",
    "baseline_year",
    "target_year",
    "baseline_in_source",
    "adopted_year",
    "goal_areas",
    "groups",
    "group_title",
    "survey",
    "indicator",
}
# The surveys a catalog may name for series that mix surveys (sources/survey.py's tags).
SURVEY_TAGS = ("livohalsa", "hlv")
REQUIRED_CATALOG_FIELDS = {"id", "title", "indicator"}
INDICATOR_FIELDS = {
    "id",
    "title",
    "kind",
    "goal_area",
    "life_stage",
    "series",
    "derive",
    "unit",
    "direction",
    "target",
    "baseline_year",
    "target_year",
    "divided_by_gender",
    "window_years",
    "survey",
    "areas",
    "notes",
    "stand_in",
}
REQUIRED_INDICATOR_FIELDS = {"id", "title", "goal_area", "unit"}
ASSESSED_ONLY_FIELDS = ("direction", "target")  # required when assessed, refused when descriptive
TARGET_FIELDS = {"kind", "amount", "value"}
DERIVE_FIELDS = {"kind", "of", "women", "men"}


class CatalogError(ValueError):
    """A catalog that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str  # "catalog" or the indicator id (or its position when it has none)
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.reason}"


@dataclass(frozen=True)
class Target:
    kind: str  # one of TARGET_KINDS
    amount: float | None = None  # for pp, units and percent: the size of the change, > 0
    value: float | None = None  # for level: the absolute target value


@dataclass(frozen=True)
class Derivation:
    """A series computed from source series before the method runs.

    complement: 100 − `of` (e.g. trust = 100 − lack of trust, U01413).
    gap: |women − men|, either between the K and M values of `of`, or between two series.
    """

    kind: str
    of: str | None = None
    women: str | None = None
    men: str | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s for s in (self.of, self.women, self.men) if s)


@dataclass(frozen=True)
class Indicator:
    catalog_id: str
    indicator_id: str
    title: str
    goal_area: str
    unit: str
    direction: int | None  # +1 higher is better, −1 lower is better; None when descriptive
    target: Target | None  # None when descriptive
    baseline_year: int | None  # None only for a descriptive indicator without one
    target_year: int | None  # None when the source names none (direction, gap, descriptive)
    kind: str = "assessed"  # one of INDICATOR_KINDS
    baseline_basis: str = "source"  # one of BASELINE_BASES
    stand_in: str = ""  # what the measure stands in for, when it is not the document's own
    series: str | None = None
    derive: Derivation | None = None
    life_stage: str | None = None
    divided_by_gender: bool = False
    window_years: int = 1  # > 1 for multi-year means; the period is the window's last year
    areas: tuple[str, ...] = AREA_KINDS  # area kinds or ids the indicator is followed for
    notes: str = ""
    # for a series that mixes surveys: the one its status uses (None = the county's default)
    survey: str | None = None

    @property
    def series_ids(self) -> tuple[str, ...]:
        """Every source series this indicator reads."""
        own = (self.series,) if self.series else ()
        derived = self.derive.sources if self.derive else ()
        return tuple(dict.fromkeys((*own, *derived)))

    @property
    def is_descriptive(self) -> bool:
        return self.kind == "descriptive"

    @property
    def unit_label(self) -> str:
        return UNITS[self.unit][0]

    @property
    def change_words(self) -> str:
        return UNITS[self.unit][1]

    def applies_to(self, area: Area) -> bool:
        return area.kind in self.areas or area.area_id in self.areas


@dataclass(frozen=True)
class Catalog:
    catalog_id: str
    title: str
    source_document: str
    path: Path
    indicators: tuple[Indicator, ...] = field(default=())
    baseline_in_source: bool = True  # False: the source document names no baseline year
    adopted_year: int | None = None  # the year the goals were adopted, when the catalog says
    goal_areas: tuple[str, ...] = ()  # declared goal areas in order; () = as the indicators use
    groups: tuple[str, ...] = LIFE_STAGES  # life stages or the catalog's own groups
    group_title: str = "Livsperspektiv"

    @property
    def goal_areas_in_order(self) -> tuple[str, ...]:
        """Declared goal areas first (even those without indicators), then any others used."""
        used = (indicator.goal_area for indicator in self.indicators)
        return tuple(dict.fromkeys((*self.goal_areas, *used)))

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.indicator_id == indicator_id:
                return indicator
        raise KeyError(f"{self.catalog_id}: no indicator {indicator_id!r}")


def catalog_paths(extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """Every catalog file: the analysts' own folders first, then the shipped catalogs.

    A catalog in an analyst folder replaces a shipped one with the same file name.
    """
    found: dict[str, Path] = {}
    for directory in (*extra_dirs, CATALOG_DIR):
        for path in sorted(directory.glob("*.toml")):
            found.setdefault(path.stem, path)
    return sorted(found.values(), key=lambda path: path.stem)


def find_catalog_path(catalog_id: str, extra_dirs: Sequence[Path] = ()) -> Path:
    for directory in (*extra_dirs, CATALOG_DIR):
        path = directory / f"{catalog_id}.toml"
        if path.exists():
            return path
    known = ", ".join(p.stem for p in catalog_paths(extra_dirs))
    folders = ", ".join(str(d) for d in (*extra_dirs, CATALOG_DIR))
    raise FileNotFoundError(f"no catalog {catalog_id!r} in {folders}; known: {known}")


def load_catalog(path: Path, areas: Mapping[str, Area] | None = None) -> Catalog:
    """Load and check one catalog; raise CatalogError naming every problem."""
    catalog, problems = _parse(path, areas)
    if problems or catalog is None:
        raise CatalogError(problems)
    return catalog


def load_catalogs(
    catalog_ids: Iterable[str],
    areas: Mapping[str, Area] | None = None,
    extra_dirs: Sequence[Path] = (),
) -> list[Catalog]:
    return [load_catalog(find_catalog_path(cid, extra_dirs), areas) for cid in catalog_ids]


def check_catalog(path: Path, areas: Mapping[str, Area] | None = None) -> list[Problem]:
    """Every problem in the file, each with file, entry and a plain reason; [] when valid."""
    return _parse(path, areas)[1]


SERIES_COLUMNS = ("series_id", "derive_of", "derive_women", "derive_men")


def series_read_by(indicators: pl.DataFrame) -> list[str]:
    """Every source series these catalog rows read, directly or through a derivation."""
    read = pl.concat([indicators[column] for column in SERIES_COLUMNS])
    return sorted(read.drop_nulls().unique().to_list())


def indicators_frame(catalogs: Iterable[Catalog]) -> pl.DataFrame:
    """The catalogs as one table: the warehouse's `indicators` and the method's input."""
    rows = [
        {
            "catalog_id": ind.catalog_id,
            "indicator_id": ind.indicator_id,
            "title": ind.title,
            "goal_area": ind.goal_area,
            "life_stage": ind.life_stage,
            "series_id": ind.series,
            "derive_kind": ind.derive.kind if ind.derive else None,
            "derive_of": ind.derive.of if ind.derive else None,
            "derive_women": ind.derive.women if ind.derive else None,
            "derive_men": ind.derive.men if ind.derive else None,
            "unit": ind.unit,
            "direction": ind.direction,
            "target_kind": ind.target.kind if ind.target else None,
            "target_amount": ind.target.amount if ind.target else None,
            "target_value": ind.target.value if ind.target else None,
            "baseline_year": ind.baseline_year,
            "target_year": ind.target_year,
            "divided_by_gender": ind.divided_by_gender,
            "window_years": ind.window_years,
            "survey": ind.survey,
            "areas": list(ind.areas),
            "notes": ind.notes,
            "indicator_kind": ind.kind,
            "baseline_basis": ind.baseline_basis,
            "stand_in": ind.stand_in or None,
        }
        for catalog in catalogs
        for ind in catalog.indicators
    ]
    return pl.DataFrame(rows, schema=INDICATORS_SCHEMA)


INDICATORS_SCHEMA: dict[str, Any] = {
    "catalog_id": pl.String,
    "indicator_id": pl.String,
    "title": pl.String,
    "goal_area": pl.String,
    "life_stage": pl.String,
    "series_id": pl.String,
    "derive_kind": pl.String,
    "derive_of": pl.String,
    "derive_women": pl.String,
    "derive_men": pl.String,
    "unit": pl.String,
    "direction": pl.Int8,
    "target_kind": pl.String,
    "target_amount": pl.Float64,
    "target_value": pl.Float64,
    "baseline_year": pl.Int32,
    "target_year": pl.Int32,
    "divided_by_gender": pl.Boolean,
    "window_years": pl.Int32,
    "survey": pl.String,
    "areas": pl.List(pl.String),
    "notes": pl.String,
    "indicator_kind": pl.String,
    "baseline_basis": pl.String,
    "stand_in": pl.String,
}


# --- parsing and checking -------------------------------------------------------------------


def _parse(path: Path, areas: Mapping[str, Area] | None) -> tuple[Catalog | None, list[Problem]]:
    name = str(path)
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Problem(name, "catalog", "file not found")]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [Problem(name, "catalog", f"not valid TOML: {error}")]

    problems: list[Problem] = []

    def problem(entry: str, reason: str) -> None:
        problems.append(Problem(name, entry, reason))

    _check_fields(content, CATALOG_FIELDS, REQUIRED_CATALOG_FIELDS, "catalog", problem)
    catalog_id = str(content.get("id", path.stem))
    header = _parse_header(content, problem)
    entries = content.get("indicator", [])
    if not isinstance(entries, list):
        problem("catalog", "`indicator` must be an array of tables ([[indicator]])")
        entries = []

    indicators: list[Indicator] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        label = str(entry.get("id", f"indicator #{position}"))
        before = len(problems)
        if label in seen:
            problem(label, "duplicate id: another indicator in this catalog has the same id")
        seen.add(label)
        indicator = _parse_indicator(catalog_id, entry, header, areas, label, problem)
        if indicator is not None and len(problems) == before:
            indicators.append(indicator)

    if problems:
        return None, problems
    return (
        Catalog(
            catalog_id=catalog_id,
            title=str(content["title"]),
            source_document=str(content.get("source_document", "")),
            path=path,
            indicators=tuple(indicators),
            baseline_in_source=header.baseline_in_source,
            adopted_year=header.adopted_year,
            goal_areas=header.goal_areas,
            groups=header.groups,
            group_title=header.group_title,
        ),
        [],
    )


@dataclass(frozen=True)
class _Header:
    """The catalog-level fields every indicator entry is checked against."""

    baseline_year: Any
    target_year: Any
    baseline_in_source: bool
    adopted_year: int | None
    goal_areas: tuple[str, ...]
    groups: tuple[str, ...]
    group_title: str
    survey: Any = None


def _parse_header(content: Mapping[str, Any], problem: Any) -> _Header:
    def report(reason: str) -> None:
        problem("catalog", reason)

    in_source = content.get("baseline_in_source", True)
    if not isinstance(in_source, bool):
        report(f"baseline_in_source must be true or false, not {in_source!r}")
        in_source = True
    adopted = content.get("adopted_year")
    if adopted is not None and not _is_year(adopted):
        report(f"adopted_year must be a year, not {adopted!r}")
        adopted = None
    if not in_source and adopted is None:
        report(
            "baseline_in_source = false needs adopted_year: the status is then computed from "
            "the year the goals were adopted"
        )
    lists = {}
    for key in ("goal_areas", "groups"):
        value = content.get(key)
        if value is None:
            lists[key] = ()
        elif (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item.strip() for item in value)
        ):
            report(f"{key} must be a non-empty list of names")
            lists[key] = ()
        elif len(set(value)) != len(value):
            report(f"{key} lists a name twice")
            lists[key] = tuple(dict.fromkeys(value))
        else:
            lists[key] = tuple(value)
    group_title = content.get(
        "group_title", "Livsperspektiv" if "groups" not in content else "Grupp"
    )
    if not isinstance(group_title, str) or not group_title.strip():
        report("group_title must be text")
        group_title = "Grupp"
    return _Header(
        baseline_year=content.get("baseline_year"),
        target_year=content.get("target_year"),
        baseline_in_source=in_source,
        adopted_year=adopted,
        goal_areas=lists["goal_areas"],
        groups=lists["groups"] or LIFE_STAGES,
        group_title=group_title,
        survey=content.get("survey"),
    )


def _check_fields(
    table: Mapping[str, Any], known: set[str], required: set[str], entry: str, problem: Any
) -> None:
    for key in sorted(set(table) - known):
        problem(entry, f"unknown field {key!r} (known: {', '.join(sorted(known))})")
    for key in sorted(required - set(table)):
        problem(entry, f"missing required field {key!r}")


def _parse_indicator(
    catalog_id: str,
    entry: Mapping[str, Any],
    header: _Header,
    areas: Mapping[str, Area] | None,
    label: str,
    problem: Any,
) -> Indicator | None:
    def report(reason: str) -> None:
        problem(label, reason)

    _check_fields(entry, INDICATOR_FIELDS, REQUIRED_INDICATOR_FIELDS, label, problem)
    indicator_id = str(entry.get("id", ""))
    if indicator_id and not INDICATOR_ID_PATTERN.match(indicator_id):
        report("id must be lower-case letters, digits and underscores (it names chart files)")

    kind = entry.get("kind", "assessed")
    if kind not in INDICATOR_KINDS:
        report(f"unknown kind {kind!r} (known: {', '.join(INDICATOR_KINDS)})")
        kind = "assessed"
    descriptive = kind == "descriptive"
    for key in ASSESSED_ONLY_FIELDS:
        if descriptive and key in entry:
            report(f"a descriptive indicator has no {key}: it is followed without assessment")
        elif not descriptive and key not in entry:
            problem(label, f"missing required field {key!r}")

    unit = entry.get("unit")
    if unit is not None and unit not in UNITS:
        report(f"unknown unit {unit!r} (known: {', '.join(UNITS)})")
    direction_word = entry.get("direction")
    if direction_word is not None and direction_word not in DIRECTIONS:
        report(f"direction must be 'higher' or 'lower', not {direction_word!r}")

    target = None if descriptive else _parse_target(entry.get("target"), unit, report)
    derive = _parse_derive(entry.get("derive"), report)
    series = entry.get("series")
    if series is None and derive is None:
        report("needs a `series` (e.g. 'kolada:N15428') or a `derive` table")
    for series_id in ([series] if series else []) + list(derive.sources if derive else ()):
        if not isinstance(series_id, str) or not SERIES_PATTERN.match(series_id):
            report(
                f"malformed series id {series_id!r} (expected kolada:N12345, kolada:U12345, "
                "survey:<name> or manual:<name>)"
            )

    baseline_year, basis = _baseline_year(entry, header)
    target_year = entry.get("target_year", header.target_year)
    # A target that sets an amount or a level needs a year to reach it by; a direction does not.
    needs_target_year = target is not None and target.kind not in ("direction", "gap")
    for key, year, needed in (
        ("baseline_year", baseline_year, not descriptive),
        ("target_year", target_year, needs_target_year),
    ):
        if year is None:
            if needed:
                report(f"missing {key} (set it on the indicator or the catalog)")
        elif not _is_year(year):
            report(f"{key} must be a year, not {year!r}")
    if _is_year(baseline_year) and _is_year(target_year) and baseline_year >= target_year:
        report(f"baseline year {baseline_year} is not before target year {target_year}")

    area_entries = entry.get("areas", list(AREA_KINDS))
    if not isinstance(area_entries, list) or not area_entries:
        report("areas must be a non-empty list of area kinds or area ids")
        area_entries = []
    for area in area_entries:
        if area in AREA_KINDS:
            continue
        if areas is not None and area not in areas:
            report(f"unknown area {area!r} (not an area kind nor a known area id)")

    window_years = entry.get("window_years", 1)
    if not isinstance(window_years, int) or window_years < 1:
        report(f"window_years must be a whole number ≥ 1, not {window_years!r}")
    survey = entry.get("survey", header.survey)
    if survey is not None and survey not in SURVEY_TAGS:
        report(f"survey must be one of {', '.join(SURVEY_TAGS)}, not {survey!r}")
    divided = entry.get("divided_by_gender", False)
    if not isinstance(divided, bool):
        report(f"divided_by_gender must be true or false, not {divided!r}")
    for key in ("title", "goal_area", "life_stage", "notes", "stand_in"):
        if key in entry and not isinstance(entry[key], str):
            report(f"{key} must be text")
    stand_in = entry.get("stand_in", "")
    if isinstance(stand_in, str) and "stand_in" in entry and not stand_in.strip():
        report("stand_in must say what the document asks for that this measure stands in for")
    goal_area = entry.get("goal_area")
    if header.goal_areas and isinstance(goal_area, str) and goal_area not in header.goal_areas:
        report(
            f"goal area {goal_area!r} is not one of the catalog's goal_areas "
            f"({', '.join(header.goal_areas)})"
        )
    life_stage = entry.get("life_stage")
    if isinstance(life_stage, str) and life_stage not in header.groups:
        report(
            f"life_stage {life_stage!r} is not one of the catalog's groups "
            f"({', '.join(header.groups)})"
        )

    if target is not None and target.kind == "gap":
        if derive is None or derive.kind != "gap":
            report('a gap target needs a gap derivation (derive = { kind = "gap", ... })')
        if direction_word != "lower":
            report("a gap target is followed with direction = 'lower' (the gap shall shrink)")
        if entry.get("divided_by_gender"):
            report("a gap between women and men has no values of its own for K and M")

    if unit not in UNITS:
        return None
    if not descriptive and (target is None or direction_word not in DIRECTIONS):
        return None
    return Indicator(
        catalog_id=catalog_id,
        indicator_id=indicator_id,
        title=str(entry.get("title", "")),
        kind=kind,
        goal_area=str(entry.get("goal_area", "")),
        life_stage=entry.get("life_stage"),
        series=series,
        derive=derive,
        unit=unit,
        direction=None if descriptive else DIRECTIONS[str(direction_word)],
        target=target,
        baseline_year=int(baseline_year) if _is_year(baseline_year) else None,
        target_year=int(target_year) if _is_year(target_year) else None,
        baseline_basis=basis,
        divided_by_gender=bool(divided),
        window_years=int(window_years) if isinstance(window_years, int) else 1,
        areas=tuple(str(a) for a in area_entries),
        notes=str(entry.get("notes", "")),
        stand_in=str(stand_in).strip(),
        survey=survey if isinstance(survey, str) else None,
    )


def _baseline_year(entry: Mapping[str, Any], header: _Header) -> tuple[Any, str]:
    """The indicator's baseline year and where it comes from (one of BASELINE_BASES).

    When the source names no baseline year, a year set in the catalog is the analyst's choice;
    without one the status starts from the year the goals were adopted (the project's assumption).
    """
    year = entry.get("baseline_year", header.baseline_year)
    if header.baseline_in_source:
        return year, "source"
    if year is not None:
        return year, "catalog"
    return header.adopted_year, "adopted_year"


def _is_year(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 1950 <= value <= 2100


def _parse_target(raw: Any, unit: Any, report: Any) -> Target | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        report('target must be a table, e.g. { kind = "pp", amount = 2 }')
        return None
    for key in sorted(set(raw) - TARGET_FIELDS):
        report(f"unknown field {key!r} in target (known: {', '.join(sorted(TARGET_FIELDS))})")
    kind = raw.get("kind")
    if kind not in TARGET_KINDS:
        report(f"unknown target kind {kind!r} (known: {', '.join(TARGET_KINDS)})")
        return None
    amount, value = raw.get("amount"), raw.get("value")
    if kind in ("pp", "units", "percent"):
        if not _is_number(amount) or amount <= 0:
            report(f"a {kind} target needs amount > 0 (the direction comes from `direction`)")
            return None
    elif amount is not None:
        report(f"a {kind} target takes no amount")
    if kind == "level" and not _is_number(value):
        report("a level target needs a numeric value")
        return None
    if kind != "level" and value is not None:
        report(f"a {kind} target takes no value")
    if kind == "pp" and unit in UNITS and unit not in SHARE_UNITS:
        report(
            f"a pp target needs a share unit ({', '.join(sorted(SHARE_UNITS))}), not {unit!r}: "
            'use kind = "units" for a change in the indicator\'s own unit'
        )
    return Target(
        kind=kind,
        amount=float(amount) if _is_number(amount) else None,
        value=float(value) if _is_number(value) else None,
    )


def _parse_derive(raw: Any, report: Any) -> Derivation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        report('derive must be a table, e.g. { kind = "complement", of = "kolada:U01413" }')
        return None
    for key in sorted(set(raw) - DERIVE_FIELDS):
        report(f"unknown field {key!r} in derive (known: {', '.join(sorted(DERIVE_FIELDS))})")
    kind = raw.get("kind")
    if kind not in DERIVE_KINDS:
        report(f"unknown derive kind {kind!r} (known: {', '.join(DERIVE_KINDS)})")
        return None
    derivation = Derivation(kind=kind, of=raw.get("of"), women=raw.get("women"), men=raw.get("men"))
    if kind == "complement" and (not derivation.of or derivation.women or derivation.men):
        report("a complement derivation needs `of` and nothing else")
    if kind == "gap" and not (
        (derivation.of and not (derivation.women or derivation.men))
        or (derivation.women and derivation.men and not derivation.of)
    ):
        report("a gap derivation needs either `of` (K versus M) or both `women` and `men`")
    return derivation


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
