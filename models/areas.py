"""Areas (municipalities, regions, Riket, county mean groups) and the configured county.

The table `areas.csv` beside this file is built from real Kolada metadata by
`scripts/build_areas.py`; nothing here types an area by hand.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

AREAS_FILE = Path(__file__).with_name("areas.csv")
RIKET_ID = "0000"
AREA_KINDS = ("kommun", "region", "riket", "grupp")


@dataclass(frozen=True)
class Area:
    area_id: str
    name: str
    kind: str  # kommun, region, riket, grupp
    county_id: str | None


@dataclass(frozen=True)
class County:
    """One county's areas: what a follow-up of that county fetches and reports."""

    region: Area
    municipalities: tuple[Area, ...]
    riket: Area
    mean_group: Area  # Kolada's unweighted mean of the county's municipalities

    @property
    def county_id(self) -> str:
        return self.region.area_id

    @property
    def areas(self) -> tuple[Area, ...]:
        """Every area followed: municipalities, region, mean group, Riket."""
        return (*self.municipalities, self.region, self.mean_group, self.riket)

    @property
    def area_ids(self) -> list[str]:
        return [area.area_id for area in self.areas]


def load_areas(path: Path = AREAS_FILE) -> dict[str, Area]:
    """All known areas by id. Ids stay strings with their leading zeros."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["area_id"]: Area(
                area_id=row["area_id"],
                name=row["name"],
                kind=row["kind"],
                county_id=row["county_id"] or None,
            )
            for row in csv.DictReader(handle)
        }


def county_areas(county_id: str, areas: dict[str, Area] | None = None) -> County:
    """The areas of one county, e.g. `0017` Värmland or `0018` Örebro."""
    areas = areas if areas is not None else load_areas()
    region = areas.get(county_id)
    if region is None or region.kind != "region":
        known = ", ".join(sorted(a.area_id for a in areas.values() if a.kind == "region"))
        raise ValueError(f"unknown county {county_id!r}; known region codes: {known}")
    municipalities = tuple(
        sorted(
            (a for a in areas.values() if a.kind == "kommun" and a.county_id == county_id),
            key=lambda area: area.name,
        )
    )
    groups = [a for a in areas.values() if a.kind == "grupp" and a.county_id == county_id]
    if len(groups) != 1:
        raise ValueError(f"county {county_id}: expected one mean group, found {len(groups)}")
    return County(
        region=region, municipalities=municipalities, riket=areas[RIKET_ID], mean_group=groups[0]
    )


def followed_area_ids(counties: Sequence[County]) -> list[str]:
    """Every area of the followed counties once (Riket is shared), in the counties' order."""
    return list(dict.fromkeys(area for county in counties for area in county.area_ids))
