"""JSON-stat (2.0, and 1.x datasets) into cells and tidy survey observations.

A PxWeb response is a cube: dimensions in `id` order, the last varying fastest, one value per
cell and an optional status symbol. `Cube` is that shape; PX files are read into it too
(sources/px.py), and `cube_observations` turns any cube into OBSERVATION_SCHEMA rows, folding
an "Andel och konfidensintervall" dimension into value, ci_low, ci_high and n.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from models.areas import Area
from models.schema import OBSERVATION_SCHEMA, conform
from sources.survey import (
    SHARE_RANGE,
    Problem,
    SurveyImportError,
    gender_code,
    is_symbol,
    normalize_area_id,
    parse_period,
    slugify,
)

# Dimension names (slugged id or label) that play a role when the cube does not say so itself.
TIME_NAMES = frozenset({"tid", "ar", "year", "time", "period", "artal"})
AREA_NAMES = frozenset({"region", "omrade", "geo", "kommun", "lan", "lan_kommun", "area"})
GENDER_NAMES = frozenset({"kon", "sex", "gender"})
# The measure dimension of Folkhälsodata survey tables (survey-data.md §1.5): its categories
# are matched by label, or by the codes 01–04 seen in Region Dalarna's scripts.
MEASURE_ROLES: dict[str, str] = {
    "andel": "value",
    "share": "value",
    "procent": "value",
    "konfidensintervall_nedre_grans": "ci_low",
    "nedre_grans": "ci_low",
    "lower_limit": "ci_low",
    "konfidensintervall_ovre_grans": "ci_high",
    "ovre_grans": "ci_high",
    "upper_limit": "ci_high",
    "antal_svar": "n",
    "number_of_answers": "n",
}
MEASURE_DIMENSION_HINTS = ("konfidensintervall", "confidence_interval")
MAX_LISTED = 50  # problems listed per file; the rest are counted


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    role: str | None = None  # time, geo, metric (as JSON-stat `role` or PX keywords say)


@dataclass(frozen=True)
class Cube:
    """A dense cube: `values[i]` and `statuses[i]` for the i-th cell in row-major `dims` order."""

    source: str  # file name or table id, for messages
    dims: tuple[Dimension, ...]
    values: tuple[float | None, ...]
    statuses: tuple[str | None, ...]
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return math.prod(len(dim.codes) for dim in self.dims)


def read_jsonstat(
    source: Path | str | Mapping[str, Any],
    *,
    survey: str,
    areas: Mapping[str, Area] | None = None,
    measure: str | None = None,
) -> pl.DataFrame:
    """Tidy observations from a JSON-stat dataset (a file path or the parsed dict)."""
    return cube_observations(load_jsonstat(source), survey=survey, areas=areas, measure=measure)


def load_jsonstat(source: Path | str | Mapping[str, Any]) -> Cube:
    """Parse a JSON-stat 2.0 dataset (or a 1.x bundle's first dataset) into a Cube.

    A malformed file (not JSON, the wrong shape, sizes that disagree, an index out of range) is
    refused as a SurveyImportError naming the file and, where there is one, the position.
    """
    name = "json-stat" if isinstance(source, Mapping) else Path(source).name
    try:
        if isinstance(source, Mapping):
            document: Any = source
        else:
            text = Path(source).read_bytes().decode("utf-8-sig")
            document = json.loads(text)
        if not isinstance(document, Mapping):
            raise ValueError(f"expected a JSON object, got a {type(document).__name__}")
        return _load_document(name, document)
    except SurveyImportError:
        raise
    except UnicodeDecodeError as error:
        raise SurveyImportError([Problem(name, None, f"not UTF-8 (byte {error.start})")]) from error
    except json.JSONDecodeError as error:
        raise SurveyImportError(
            [Problem(name, error.lineno, f"not valid JSON: {error.msg} (column {error.colno})")]
        ) from error
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        reason = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise SurveyImportError(
            [Problem(name, None, f"not a well-formed JSON-stat dataset: {reason}")]
        ) from error


def _load_document(name: str, document: Mapping[str, Any]) -> Cube:
    if "dataset" in document and "dimension" not in document:
        document = document["dataset"]  # JSON-stat 1.x: id/size/role sit inside `dimension`
    if "dimension" not in document:
        bundle = [v for v in document.values() if isinstance(v, Mapping) and "dimension" in v]
        if not bundle:
            raise SurveyImportError([Problem(name, None, "not a JSON-stat dataset")])
        document = bundle[0]
    dimension = document["dimension"]
    ids = document.get("id") or dimension.get("id")
    sizes = document.get("size") or dimension.get("size")
    roles = document.get("role") or dimension.get("role") or {}
    role_of = {dim_id: role for role, dim_ids in roles.items() for dim_id in dim_ids or []}
    if len(ids) != len(sizes):
        raise ValueError(f"{len(ids)} dimension ids but {len(sizes)} sizes")
    dims = tuple(
        parse_dimension(dim_id, dimension[dim_id], size, role_of.get(dim_id))
        for dim_id, size in zip(ids, sizes, strict=True)
    )
    total = math.prod(sizes)
    return Cube(
        source=name,
        dims=dims,
        values=tuple(dense(document.get("value", []), total, convert=to_float)),
        statuses=tuple(dense(document.get("status"), total, convert=to_status)),
        label=str(document.get("label", "")),
        extra=dict(document.get("extension") or {}),
    )


def parse_dimension(dim_id: str, body: Mapping[str, Any], size: int, role: str | None) -> Dimension:
    category = body.get("category", {})
    index = category.get("index")
    labels = category.get("label", {})
    if index is None:  # a single-category dimension may give only labels
        codes = list(labels)
    elif isinstance(index, list):
        codes = list(index)
    else:
        codes = sorted(index, key=index.__getitem__)
    if len(codes) != size:
        raise ValueError(f"dimension {dim_id}: {len(codes)} categories, size says {size}")
    return Dimension(
        id=dim_id,
        label=str(body.get("label", dim_id)),
        codes=tuple(str(code) for code in codes),
        labels=tuple(str(labels.get(code, code)) for code in codes),
        role=role,
    )


def dense(raw: Any, total: int, *, convert: Any) -> list[Any]:
    """JSON-stat allows `value`/`status` as an array, a sparse object or (status) one string."""
    if raw is None:
        return [None] * total
    if isinstance(raw, str):
        return [convert(raw)] * total
    if isinstance(raw, Mapping):
        cells: list[Any] = [None] * total
        for key, item in raw.items():
            if not str(key).isdigit() or int(key) >= total:
                raise ValueError(f"sparse index {key!r} is outside the {total} cells")
            cells[int(key)] = convert(item, int(key))
        return cells
    if not isinstance(raw, list):
        raise ValueError(f"expected a list or an object of cells, got a {type(raw).__name__}")
    if len(raw) == 0:  # a metadata response: the shape without the values
        return [None] * total
    if len(raw) != total:
        raise ValueError(f"{len(raw)} values for {total} cells")
    return [convert(item, position) for position, item in enumerate(raw)]


def to_float(item: Any, position: int = 0) -> float | None:
    """A JSON number; null or a data symbol (v1 `json` writes "..") is a missing cell.

    Text that looks like a number ("70,1") is refused rather than read as missing: it is a
    value written in the wrong format, and storing null would lose it silently.
    """
    if item is None or (isinstance(item, str) and is_symbol(item)):
        return None
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise ValueError(f"value {item!r} (cell {position}) is not a JSON number or a data symbol")
    number = float(item)
    if not math.isfinite(number):
        raise ValueError(f"value {item!r} (cell {position}) is not a finite number")
    return number


def to_status(item: Any, position: int = 0) -> str | None:
    return None if item is None else str(item)


def cube_cells(cube: Cube) -> pl.DataFrame:
    """One row per cell: a code column per dimension (in `id` order), then value and status."""
    columns: dict[str, list[Any]] = {dim.id: [] for dim in cube.dims}
    for codes in itertools.product(*(dim.codes for dim in cube.dims)):
        for dim, code in zip(cube.dims, codes, strict=True):
            columns[dim.id].append(code)
    return pl.DataFrame(
        {**columns, "value": list(cube.values), "status": list(cube.statuses)},
        schema={
            **{dim.id: pl.String for dim in cube.dims},
            "value": pl.Float64,
            "status": pl.String,
        },
    )


def find_dimension(cube: Cube, role: str, names: frozenset[str]) -> Dimension | None:
    for dim in cube.dims:
        if dim.role == role:
            return dim
    for dim in cube.dims:
        if slugify(dim.id) in names or slugify(dim.label) in names:
            return dim
    return None


def find_measure(cube: Cube, measure: str | None) -> Dimension | None:
    """The "Andel och konfidensintervall" dimension: named, hinted by its label, or inferred."""
    for dim in cube.dims:
        if measure is not None and measure in (dim.id, dim.label):
            return dim
    if measure is not None:
        raise SurveyImportError([Problem(cube.source, None, f"no dimension {measure!r}")])
    for dim in cube.dims:
        if any(hint in slugify(dim.label) for hint in MEASURE_DIMENSION_HINTS):
            return dim
    for dim in cube.dims:
        roles = {MEASURE_ROLES.get(slugify(label)) for label in dim.labels}
        if len(dim.codes) > 1 and None not in roles and "value" in roles:
            return dim
    return None


def measure_roles(dim: Dimension, source: str) -> dict[str, str]:
    """Category code → value/ci_low/ci_high/n, by label; fail on a category we cannot place."""
    roles: dict[str, str] = {}
    for code, label in zip(dim.codes, dim.labels, strict=True):
        slug = slugify(label)
        role = MEASURE_ROLES.get(slug) or next(
            (role for key, role in MEASURE_ROLES.items() if slug.startswith(key)), None
        )
        if role is None:
            raise SurveyImportError(
                [
                    Problem(
                        source,
                        None,
                        f"measure {dim.label!r}: cannot place category {label!r} "
                        "as share, interval limit or number of answers",
                    )
                ]
            )
        roles[code] = role
    return roles


def cube_observations(
    cube: Cube,
    *,
    survey: str,
    areas: Mapping[str, Area] | None = None,
    measure: str | None = None,
) -> pl.DataFrame:
    """OBSERVATION_SCHEMA rows from a cube.

    Area, gender and time dimensions become area_id, gender and period_start/period_end; a
    measure dimension is folded into value/ci_low/ci_high/n; every other dimension names the
    series ("survey:<survey>.<slug of each remaining category label>"). A cell with a status
    symbol keeps it, with a null value.
    """
    time = find_dimension(cube, "time", TIME_NAMES)
    if time is None:
        raise SurveyImportError([Problem(cube.source, None, "no time dimension")])
    area = find_dimension(cube, "geo", AREA_NAMES)
    gender = find_dimension(cube, "gender", GENDER_NAMES)
    folded = find_measure(cube, measure)
    roles = measure_roles(folded, cube.source) if folded else {}
    special = {dim.id for dim in (time, area, gender, folded) if dim is not None}

    problems: list[Problem] = []
    periods = {code: parse_period(code) for code in time.codes}
    bad = [code for code, period in periods.items() if period is None]
    if bad:
        problems.append(
            Problem(
                cube.source,
                None,
                f"time codes {bad[:5]} are not a year or a year window like 2021-2024",
            )
        )
    genders = (
        {
            code: gender_code(code) or gender_code(label)
            for code, label in zip(gender.codes, gender.labels, strict=True)
        }
        if gender
        else {}
    )
    unknown = [code for code, value in genders.items() if value is None]
    if unknown:
        problems.append(Problem(cube.source, None, f"unknown gender codes {unknown}"))
    area_ids = {code: normalize_area_id(code) for code in area.codes} if area else {}
    if areas is not None:
        missing = sorted(code for code, area_id in area_ids.items() if area_id not in areas)
        if missing:
            problems.append(Problem(cube.source, None, f"unknown area codes {missing}"))
    if problems:
        raise SurveyImportError(problems)

    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for position, codes in enumerate(itertools.product(*(dim.codes for dim in cube.dims))):
        by_dim = dict(zip((dim.id for dim in cube.dims), codes, strict=True))
        name_parts = [
            slugify(dim.labels[dim.codes.index(by_dim[dim.id])])
            for dim in cube.dims
            if dim.id not in special
        ]
        series_id = "survey:" + ".".join([survey, *name_parts])
        key = (
            series_id,
            area_ids.get(by_dim[area.id], "") if area else "",
            by_dim[time.id],
            (genders.get(by_dim[gender.id]) or "T") if gender else "T",
        )
        row = rows.setdefault(key, {"cells": {}})
        role = roles.get(by_dim[folded.id], "value") if folded else "value"
        row["cells"][role] = (cube.values[position], cube.statuses[position], position)
    return conform(
        pl.DataFrame(
            [fold_row(key, row["cells"], periods, survey) for key, row in rows.items()],
            infer_schema_length=None,
        ),
        OBSERVATION_SCHEMA,
    ).pipe(check_intervals, cube.source, bool(folded))


def fold_row(
    key: tuple[str, str, str, str],
    cells: Mapping[str, tuple[float | None, str | None, int]],
    periods: Mapping[str, tuple[int, int] | None],
    survey: str,
) -> dict[str, Any]:
    series_id, area_id, time_code, gender = key
    value, status, _ = cells.get("value", (None, None, -1))
    period = periods[time_code]
    assert period is not None
    suppressed = bool(status)

    def limit(role: str) -> float | None:
        number, _status, _ = cells.get(role, (None, None, -1))
        return None if suppressed else number

    n_value = cells.get("n", (None, None, -1))[0]
    return {
        "series_id": series_id,
        "area_id": area_id or None,
        "period": period[1],
        "gender": gender,
        "value": None if suppressed else value,
        "ci_low": limit("ci_low"),
        "ci_high": limit("ci_high"),
        "n": None if n_value is None else int(n_value),
        "status": status or "",
        "is_deleted": False,
        "period_start": period[0],
        "period_end": period[1],
        "survey": survey,
    }


def check_intervals(observations: pl.DataFrame, source: str, is_share: bool) -> pl.DataFrame:
    """Shares within 0–100 (as the tidy table requires) and intervals that contain their value.

    `is_share`: the values are survey shares in % (a folded measure dimension, or a survey
    import); a cube of other quantities (tonnes, counts) is not range-checked."""
    if not is_share:
        return observations
    low, high = SHARE_RANGE
    bad = observations.filter(
        ~pl.col("value").is_between(low, high)
        | (pl.col("ci_low") > pl.col("value"))
        | (pl.col("ci_high") < pl.col("value"))
    )
    if bad.height:
        listed = [
            Problem(
                source,
                None,
                f"{row['series_id']} {row['area_id']} {row['period']} "
                f"{row['gender']}: value {row['value']} outside 0–100 or its interval "
                f"{row['ci_low']}–{row['ci_high']}",
            )
            for row in bad.head(MAX_LISTED).iter_rows(named=True)
        ]
        if bad.height > MAX_LISTED:
            listed.append(Problem(source, None, f"and {bad.height - MAX_LISTED} more such cells"))
        raise SurveyImportError(listed)
    return observations
