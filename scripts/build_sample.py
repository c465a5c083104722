"""Build the offline sample data/sample/ from the real Kolada files in data/reference.

Run: python scripts/build_sample.py [--reference DIR] [--out DIR] [--county 0017]. For every
Kolada KPI of the shipped catalogs that the reference data has, it writes one v3 response
envelope with the county's municipalities, the region, Riket and the county mean group (computed,
see MEAN_GROUP_RULE), plus KPI, municipality and group metadata, and data/sample/SOURCES.md.
Nothing is invented: a KPI without reference data is absent. A second run writes identical files.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import DEFAULT_COUNTY
from models.areas import County, county_areas
from models.catalog import load_catalogs
from sources import snapshot

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT / "data" / "reference"
DEFAULT_OUTPUT = ROOT / "data" / "sample"
KPI_METADATA = Path(__file__).with_name("kolada_kpi_metadata.csv")
SAMPLE_CATALOGS = ("np2020", "np2022", "np2023")
V3_FETCHED = "2026-07-06"
CSV_SCRAPED = "2024-08-30"
EMPTY_MARK = "(empty)"  # in the metadata CSV: Kolada sends an empty string, not null
KPI_FIELDS = (
    "id",
    "title",
    "description",
    "is_divided_by_gender",
    "municipality_type",
    "auspice",
    "operating_area",
    "perspective",
    "prel_publication_date",
    "publication_date",
    "publ_period",
    "has_ou_data",
)
MEAN_GROUP_RULE = (
    "the unweighted mean of the county's municipality values in this sample, per period and "
    "gender, wherever at least one municipality has a value; `count` is the number of "
    "municipalities that contributed (as Kolada's own group values); only for periods the "
    f"{CSV_SCRAPED} scrape covers, so later years that only one municipality has (from the "
    f"{V3_FETCHED} v3 responses) get no group value from a single member"
)

ValueKey = tuple[str, str, int]  # kpi, area, period


@dataclass(frozen=True)
class KpiSample:
    kpi: str
    records: list[dict[str, Any]]
    origins: dict[str, str]  # area id -> "csv-2024", "v3", "computed"
    last_csv_period: int | None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--county", default=DEFAULT_COUNTY)
    args = parser.parse_args()
    written = build_sample(args.reference, args.out, args.county)
    print(f"wrote {len(written)} files to {args.out}")


def build_sample(reference_dir: Path, output_dir: Path, county_id: str) -> list[Path]:
    """Write the sample; return the files written. Stale KPI files from earlier runs go."""
    county = county_areas(county_id)
    kolada_dir = reference_dir / "kolada"
    kpis = catalog_kpis()
    v3_records = read_v3_records(kolada_dir / "v3-responses")
    samples = [
        sample
        for kpi in kpis
        if (sample := build_kpi_sample(kpi, kolada_dir / "csv-2024", v3_records, county))
        is not None
    ]
    data_dir = output_dir / snapshot.KOLADA_DIR / snapshot.DATA_DIR
    if data_dir.exists():
        shutil.rmtree(data_dir)
    written = [
        snapshot.write_envelope(snapshot.data_path(output_dir, s.kpi), s.records) for s in samples
    ]
    metadata = read_kpi_metadata(KPI_METADATA)
    # Metadata for every catalog KPI Kolada still lists, with or without values in the sample:
    # a KPI missing from /kpi means "vanished", which must not be said of one merely absent here.
    kpi_objects = [entry["object"] for _, entry in sorted(metadata.items()) if entry["in_catalog"]]
    written.append(
        snapshot.write_envelope(snapshot.metadata_path(output_dir, snapshot.KPI_FILE), kpi_objects)
    )
    municipalities, groups = county_metadata(kolada_dir / "v2-metadata", county)
    written.append(
        snapshot.write_envelope(
            snapshot.metadata_path(output_dir, snapshot.MUNICIPALITY_FILE), municipalities
        )
    )
    written.append(
        snapshot.write_envelope(
            snapshot.metadata_path(output_dir, snapshot.MUNICIPALITY_GROUPS_FILE), groups
        )
    )
    sources_md = output_dir / "SOURCES.md"
    sources_md.write_text(format_sources(samples, kpis, metadata, county), encoding="utf-8")
    written.append(sources_md)
    return written


def catalog_kpis() -> list[str]:
    """Every Kolada KPI id read by an indicator of the shipped catalogs, sorted."""
    series = {
        series_id
        for catalog in load_catalogs(SAMPLE_CATALOGS)
        for indicator in catalog.indicators
        for series_id in indicator.series_ids
    }
    return sorted(s.removeprefix("kolada:") for s in series if s.startswith("kolada:"))


def read_v3_records(directory: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The real v3 records by (kpi, area), from every kolada_*.json response."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("kolada_*.json")):
        for record in snapshot.read_envelope_values(path):
            by_key.setdefault((record["kpi"], record["municipality"]), []).append(record)
    return by_key


@functools.cache  # read once when samples of several counties are built in one process
def read_csv_values(csv_dir: Path, kpi: str) -> dict[tuple[str, int, str], float]:
    """(area, period, gender) -> value from the 2024 scrape; empty cells are no value.

    Callers must not change the returned dict (it is shared between calls)."""
    values: dict[tuple[str, int, str], float] = {}
    for suffix, fixed_gender in (("geo--year", "T"), ("geo--gender--year", None)):
        path = csv_dir / f"ddf--datapoints--{kpi.lower()}--by--{suffix}.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            # csv.DictReader keeps every cell a string, so "0183" keeps its leading zero.
            for row in csv.DictReader(handle):
                raw = row[kpi.lower()]
                if raw == "":
                    continue
                area = normalise_area_id(row["geo"])
                gender = fixed_gender or row["gender"].upper()
                key = (area, int(row["year"]), gender)
                value = float(raw)
                if key in values and values[key] != value:
                    raise ValueError(f"{path}: conflicting duplicates for {key}")
                values[key] = value
    return values


def normalise_area_id(geo: str) -> str:
    """The DDF dump strips region and Riket ids ("17", "0"); Kolada's are "0017", "0000"."""
    return "00" + geo.zfill(2) if len(geo) <= 2 else geo


def build_kpi_sample(
    kpi: str,
    csv_dir: Path,
    v3_records: dict[tuple[str, str], list[dict[str, Any]]],
    county: County,
) -> KpiSample | None:
    """The KPI's v3 records for the county's areas, or None when no reference data has it."""
    member_ids = [area.area_id for area in county.municipalities]
    direct_ids = [*member_ids, county.region.area_id, county.riket.area_id]
    csv_values = read_csv_values(csv_dir, kpi)
    records: dict[ValueKey, list[dict[str, Any]]] = {}
    origins: dict[str, str] = {}
    for area in direct_ids:
        v3 = v3_records.get((kpi, area))
        if v3:
            # The v3 response is newer (fetched 2026-07-06): it replaces the area's 2024 scrape.
            for record in v3:
                records[(kpi, area, record["period"])] = list(record["values"])
            origins[area] = "v3"
            continue
        for (csv_area, period, gender), value in csv_values.items():
            if csv_area == area:
                records.setdefault((kpi, area, period), []).append(real_value(gender, value))
                origins[area] = "csv-2024"
    if not records:
        return None
    csv_periods = [period for (_, period, _) in csv_values]
    last_csv_period = max(csv_periods) if csv_periods else None
    group_id = county.mean_group.area_id
    for period, gender, mean, count in county_means(kpi, records, member_ids, last_csv_period):
        records.setdefault((kpi, group_id, period), []).append(
            {"gender": gender, "count": count, "status": "", "value": mean, "isdeleted": False}
        )
        origins[group_id] = "computed"
    ordered = snapshot.sort_records(
        {"values": values, "kpi": k, "period": period, "municipality": area}
        for (k, area, period), values in records.items()
    )
    return KpiSample(kpi, ordered, origins, last_csv_period)


def real_value(gender: str, value: float) -> dict[str, Any]:
    return {"gender": gender, "count": 1, "status": "", "value": value, "isdeleted": False}


def county_means(
    kpi: str,
    records: dict[ValueKey, list[dict[str, Any]]],
    member_ids: list[str],
    last_period: int | None,
) -> Iterable[tuple[int, str, float, int]]:
    """(period, gender, mean, count) of the members' values; see MEAN_GROUP_RULE."""
    if last_period is None:
        return []
    members = set(member_ids)
    by_cell: dict[tuple[int, str], list[tuple[str, float]]] = {}
    for (_, area, period), values in records.items():
        if area not in members or period > last_period:
            continue
        for item in values:
            if item["value"] is not None:
                by_cell.setdefault((period, item["gender"]), []).append((area, item["value"]))
    means = []
    for (period, gender), contributions in sorted(by_cell.items()):
        # Sorted by area and summed exactly, so the mean is the same bits on every run.
        numbers = [value for _, value in sorted(contributions)]
        means.append((period, gender, math.fsum(numbers) / len(numbers), len(numbers)))
    return means


def read_kpi_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """kpi id -> {"object": the v3 KPI object, "in_catalog": bool, "source": str}."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    result: dict[str, dict[str, Any]] = {}
    for row in csv.DictReader(lines):
        known = {
            "id": row["kpi_id"],
            "title": row["title"],
            "municipality_type": row["municipality_type"],
            "is_divided_by_gender": {"true": True, "false": False}.get(row["is_divided_by_gender"]),
            "publ_period": int(row["publ_period"])
            if row["publ_period"].isdigit()
            else (row["publ_period"]),
            "publication_date": row["publication_date"],
        }
        obj = {}
        for name in KPI_FIELDS:
            value = known.get(name)
            obj[name] = "" if value == EMPTY_MARK else (value if value != "" else None)
        result[row["kpi_id"]] = {
            "object": obj,
            "in_catalog": row["in_v3_catalog_2026"] == "yes",
            "source": row["source"],
        }
    return result


def county_metadata(
    metadata_dir: Path, county: County
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The real municipality objects of the county's areas and its mean group object."""
    wanted = {area.area_id for area in county.areas}
    municipalities = json.loads((metadata_dir / "municipality.json").read_text(encoding="utf-8"))
    groups = json.loads((metadata_dir / "municipality_groups.json").read_text(encoding="utf-8"))
    chosen = sorted((m for m in municipalities if m["id"] in wanted), key=lambda m: m["id"])
    group = [g for g in groups if g["id"] == county.mean_group.area_id]
    return chosen, group


def format_sources(
    samples: list[KpiSample],
    kpis: list[str],
    metadata: dict[str, dict[str, Any]],
    county: County,
) -> str:
    """data/sample/SOURCES.md: what each file holds and where every value comes from."""
    present = {s.kpi for s in samples}
    rows = []
    for s in samples:
        records = len(s.records)
        values = sum(len(r["values"]) for r in s.records)
        periods = sorted({r["period"] for r in s.records})
        by_origin: dict[str, list[str]] = {}
        for area, origin in sorted(s.origins.items()):
            by_origin.setdefault(origin, []).append(area)
        origin_text = "; ".join(
            f"{origin}: {', '.join(areas) if len(areas) < 5 else f'{len(areas)} areas'}"
            for origin, areas in sorted(by_origin.items())
        )
        in_kpi_json = "yes" if metadata.get(s.kpi, {}).get("in_catalog") else "no"
        rows.append(
            f"| {s.kpi} | {records} | {values} | {periods[0]}–{periods[-1]} | "
            f"{origin_text} | {in_kpi_json} |"
        )
    absent = [kpi for kpi in kpis if kpi not in present]
    member_text = ", ".join(f"{a.area_id} {a.name}" for a in county.municipalities)
    return "\n".join(
        [
            "# data/sample: a small real Kolada snapshot for offline use and tests",
            "",
            "Built by `scripts/build_sample.py` from `data/reference/kolada/` (see",
            "`data/reference/SOURCES.md` for repositories and commits). Do not edit by hand: run",
            "`.venv/bin/python scripts/build_sample.py`; a second run gives byte-identical files.",
            "This file is written by the script too.",
            "",
            "## Layout (the snapshot folder format)",
            "",
            "- `kolada/data/<KPI>.json`: one Kolada v3 `/data` response envelope per KPI,",
            '  `{"values":[records…],"next_url":null,"previous_url":null,"count":N}`; each record',
            '  exactly in v3 shape `{"values":[{"gender","count","status","value","isdeleted"}…],',
            '  "kpi","period","municipality"}` with `period` a JSON integer. One record per line,',
            "  records sorted by period then area, values in K, M, T order.",
            "- `kolada/kpi.json`: a v3 `/kpi` envelope with the 12 v3 fields for every catalog KPI",
            "  that Kolada still lists, also those without values here (so none looks vanished).",
            "- `kolada/municipality.json`, `kolada/municipality_groups.json`: v3 envelopes",
            "  with the county's areas and its mean group.",
            "",
            "`aktuellt refresh --snapshot DIR`, `sources.kolada.read_snapshot*` and the test",
            "server (`tests/kolada_server.py`) all read this layout.",
            "",
            f"## Areas (county {county.county_id})",
            "",
            f"Municipalities: {member_text}. Region {county.region.area_id} "
            f"{county.region.name}, Riket {county.riket.area_id}, and the group "
            f"{county.mean_group.area_id} {county.mean_group.name}.",
            "",
            "## Where the values come from",
            "",
            f"- **csv-2024**: `kolada/csv-2024/` (real v2 values scraped {CSV_SCRAPED}). The",
            "  `by--geo--year` file gives gender T, the `by--geo--gender--year` file K and M.",
            "  Empty cells are no value, so no record. Region and Riket ids stripped by the dump",
            "  (`17`, `0`) are restored to Kolada's `0017`, `0000`. These values carry `count` 1,",
            '  `status` "" and `isdeleted` false, as Kolada sends for a single area.',
            "- **v3**: `kolada/v3-responses/kolada_*.json` (real v3 responses fetched",
            f"  {V3_FETCHED}). Where a v3 response has a KPI for one of the county's areas, its",
            "  records replace that area's csv-2024 values for the KPI (v3 is newer and raw),",
            "  unchanged. Only N15428 for 1780 Karlstad overlaps; the other v3 KPIs and areas are",
            "  outside the catalogs or the county.",
            f"- **computed**: every {county.mean_group.area_id} value is **computed by the build",
            f"  script, not received from Kolada**: {MEAN_GROUP_RULE}.",
            "",
            "Values are never invented: no interpolation, no fill-in, and a KPI of the catalogs",
            "without reference data is absent.",
            "",
            "| KPI | records | values | periods | origin by area | in kpi.json |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "Catalog KPIs absent (no reference data): " + (", ".join(absent) or "none") + ".",
            "",
            "## KPI metadata (`kolada/kpi.json`)",
            "",
            "The reference data holds no `/kpi` response, so the objects are built from the facts",
            "in the project's Kolada API notes, §4 (2026 titles, municipality type, gender split,",
            "publ_period and next publication date), transcribed into",
            "`scripts/kolada_kpi_metadata.csv`; its `source` column names the row of §4 (or, for",
            "U01402 and U01404, which §4 does not list, the 2024 title in",
            "data/reference/SOURCES.md). Fields the doc does not give (description, auspice,",
            "operating_area,",
            "perspective, prel_publication_date, has_ou_data, and any blank cell) are null.",
            "U01901 is left out of kpi.json because §4 says it is not in the March-2026 v3",
            "catalogue, so a refresh from this sample sees it as a vanished (discontinued) KPI,",
            "while its real",
            "values up to 2021 stay in `kolada/data/U01901.json`.",
            "",
            "## Municipality metadata",
            "",
            "`municipality.json` and `municipality_groups.json` hold the real objects from",
            "`kolada/v2-metadata/` (January 2024) for the county's areas, unchanged, in v3",
            "envelopes.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
