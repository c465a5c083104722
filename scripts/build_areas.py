"""Build models/areas.csv from the real Kolada metadata in data/reference (see its SOURCES.md).

Run: python scripts/build_areas.py [--reference DIR]. The output is committed; running the
script again gives an identical file. Areas: Riket, the 21 regions, the 290 municipalities and,
per county, Kolada's "<län> läns kommuner (ovägt medel)" group.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT / "data" / "reference"
OUTPUT = ROOT / "models" / "areas.csv"
COUNTY_MEAN_GROUP = re.compile(r"^.+ läns kommuner \(ovägt medel\)$")


def build_rows(metadata_dir: Path) -> list[dict[str, str]]:
    municipalities = json.loads((metadata_dir / "municipality.json").read_text(encoding="utf-8"))
    groups = json.loads((metadata_dir / "municipality_groups.json").read_text(encoding="utf-8"))
    rows: list[dict[str, str]] = []
    for entry in municipalities:
        area_id, name, kolada_type = entry["id"], entry["title"], entry["type"]
        if area_id == "0000":
            rows.append(_row(area_id, name, "riket", ""))
        elif kolada_type == "L":
            rows.append(_row(area_id, name, "region", area_id))
        elif kolada_type == "K":
            # A municipality code's first two digits are its county (län) code.
            rows.append(_row(area_id, name, "kommun", "00" + area_id[:2]))
        else:
            raise ValueError(f"municipality.json: unknown type {kolada_type!r} for {area_id}")
    members_by_county = _municipalities_by_county(rows)
    for group in groups:
        if not COUNTY_MEAN_GROUP.match(group["title"]):
            continue
        member_ids = {member["member_id"] for member in group["members"]}
        counties = {"00" + member[:2] for member in member_ids}
        if len(counties) != 1:
            raise ValueError(f"{group['id']}: members span several counties: {sorted(counties)}")
        county_id = counties.pop()
        if member_ids != members_by_county[county_id]:
            raise ValueError(f"{group['id']}: members differ from the county's municipalities")
        rows.append(_row(group["id"], group["title"], "grupp", county_id))
    return sorted(rows, key=lambda row: (row["kind"], row["area_id"]))


def _row(area_id: str, name: str, kind: str, county_id: str) -> dict[str, str]:
    return {"area_id": area_id, "name": name, "kind": kind, "county_id": county_id}


def _municipalities_by_county(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    by_county: dict[str, set[str]] = {}
    for row in rows:
        if row["kind"] == "kommun":
            by_county.setdefault(row["county_id"], set()).add(row["area_id"])
    return by_county


def write_rows(rows: list[dict[str, str]], output: Path) -> None:
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["area_id", "name", "kind", "county_id"])
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    rows = build_rows(args.reference / "kolada" / "v2-metadata")
    write_rows(rows, args.output)
    print(f"wrote {len(rows)} areas to {args.output}")


if __name__ == "__main__":
    main()
