"""A catalog as readers see it: one Swedish row per indicator, for `aktuellt catalog show`.

Targets are worded as the documents word them ("+2 procentenheter till 2022 jämfört med 2017"),
units as words ("procent"), and every stand-in and assumption is marked. Machines get the same
rows with English column names (MACHINE_COLUMNS); people get Swedish headers (TABLE_HEADERS).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from models.catalog import DESCRIPTIVE_SENTENCE, Catalog, Indicator
from models.swedish import format_number

# The KPI titles of the bundled sample (Kolada's own), for a machine without a warehouse yet.
BUNDLED_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

# unit code -> the unit as `catalog show` names it
UNIT_NAMES = {
    "percent": "procent",
    "per_100000": "per 100 000 invånare",
    "years": "år",
    "index": "index",
    "count": "antal",
    "sek": "kronor",
}
# unit code -> the unit of a change, as the documents write targets
CHANGE_UNITS = {
    "percent": "procentenheter",
    "per_100000": "per 100 000 invånare",
    "years": "år",
    "index": "indexenheter",
    "count": "st",
    "sek": "kronor",
}
DERIVATIONS = {"complement": "beräknad som 100 − {of}", "gap": "skillnaden mellan {sides}"}

MACHINE_COLUMNS = (
    "catalog_id",
    "goal_area",
    "group",
    "indicator_id",
    "title",
    "kind",
    "kpi_id",
    "kpi_title",
    "unit",
    "target",
    "baseline_year",
    "baseline_basis",
    "target_year",
    "divided_by_gender",
    "notes",
    "stand_in",
    "assumption",
)


def table_headers(catalog: Catalog) -> dict[str, str]:
    """Swedish headers of the terminal table, by machine column; others are not shown there."""
    return {
        "goal_area": "Målområde",
        "group": catalog.group_title,
        "indicator_id": "Indikator",
        "title": "Titel",
        "kpi_id": "Nyckeltal",
        "kpi_title": "Nyckeltalets titel",
        "unit": "Enhet",
        "target": "Mål",
        "divided_by_gender": "Kön",
        "remarks": "Anmärkningar",
    }


def catalog_view(catalog: Catalog, kpi_titles: Mapping[str, str]) -> pl.DataFrame:
    """One row per indicator (MACHINE_COLUMNS), in Swedish, in the catalog's goal-area order."""
    order = {area: position for position, area in enumerate(catalog.goal_areas_in_order)}
    indicators = sorted(catalog.indicators, key=lambda ind: order[ind.goal_area])
    rows = [
        {
            "catalog_id": catalog.catalog_id,
            "goal_area": ind.goal_area,
            "group": ind.life_stage or "",
            "indicator_id": ind.indicator_id,
            "title": ind.title,
            "kind": ind.kind,  # codes for machines, like baseline_basis; people read `target`
            "kpi_id": series_text(ind),
            "kpi_title": "; ".join(kpi_titles.get(series_id, "–") for series_id in ind.series_ids),
            "unit": UNIT_NAMES[ind.unit],
            "target": target_text(ind),
            "baseline_year": ind.baseline_year,
            "baseline_basis": ind.baseline_basis,
            "target_year": ind.target_year,
            "divided_by_gender": "ja" if ind.divided_by_gender else "nej",
            "notes": ind.notes,
            "stand_in": ind.stand_in,
            "assumption": assumption_text(ind, catalog),
        }
        for ind in indicators
    ]
    schema: dict[str, Any] = {name: pl.String for name in MACHINE_COLUMNS}
    schema.update(baseline_year=pl.Int32, target_year=pl.Int32)
    return pl.DataFrame(rows, schema=schema)


def series_text(ind: Indicator) -> str:
    """The series read, without the source prefix for Kolada: "U28532", "100 − U01413"."""
    names = [series_id.removeprefix("kolada:") for series_id in ind.series_ids]
    if ind.derive is None:
        return ", ".join(names)
    if ind.derive.kind == "complement":
        return DERIVATIONS["complement"].format(of=names[0])
    sides = " och ".join(names) if len(names) > 1 else f"kvinnor och män i {names[0]}"
    return DERIVATIONS["gap"].format(sides=sides)


def target_text(ind: Indicator) -> str:
    """The target as the documents word it, e.g. "+2 procentenheter till 2022 jämfört med 2017"."""
    target = ind.target
    if target is None or ind.direction is None:
        return DESCRIPTIVE_SENTENCE
    by_when = f" till {ind.target_year}" if ind.target_year else ""
    since = f" jämfört med {ind.baseline_year}" if ind.baseline_year else ""
    way = "öka" if ind.direction > 0 else "minska"
    if target.kind in ("pp", "units") and target.amount is not None:
        amount = _amount(ind.direction * target.amount)
        return f"{amount} {CHANGE_UNITS[ind.unit]}{by_when}{since}"
    if target.kind == "percent" and target.amount is not None:
        return f"{_amount(ind.direction * target.amount)} %{by_when}{since}"
    if target.kind == "level" and target.value is not None:
        return f"nå {format_number(target.value)} {UNIT_NAMES[ind.unit]}{by_when}"
    if target.kind == "gap":
        return f"skillnaden mellan kvinnor och män ska minska{by_when}{since}"
    return f"ska {way}{by_when}{since} (bara riktning)"


def assumption_text(ind: Indicator, catalog: Catalog) -> str:
    """Where the baseline year is not the source's: say whose choice it is."""
    if ind.baseline_basis == "adopted_year":
        return (
            f"Källan anger inget basår; {ind.baseline_year}, året målen antogs, är projektets "
            "antagande."
        )
    if ind.baseline_basis == "catalog":
        return f"Källan anger inget basår; basåret {ind.baseline_year} är valt i katalogen."
    return ""


def remarks_text(row: Mapping[str, object]) -> str:
    """Notes, stand-in and assumption marks in one cell of the terminal table."""
    parts = []
    if row["stand_in"]:
        parts.append(f"Ersättningsmått: {row['stand_in']}")
    if row["assumption"]:
        parts.append(f"Antagande: {row['assumption']}")
    if row["notes"]:
        parts.append(str(row["notes"]))
    return " ".join(parts)


def _amount(amount: float) -> str:
    decimals = 0 if float(amount).is_integer() else 1
    return format_number(amount, decimals=decimals, signed=True)


def kpi_titles(db_path: Path, sample_dir: Path = BUNDLED_SAMPLE) -> dict[str, str]:
    """Series id -> title: the warehouse's (what Kolada last sent) over the bundled sample's."""
    from pipelines.warehouse import WarehouseError, read_query
    from sources.kolada import parse_kpis, read_snapshot_kpis

    titles: dict[str, str] = {}
    sample = parse_kpis(read_snapshot_kpis(sample_dir)).drop_nulls("title")
    titles.update(zip(sample["series_id"], sample["title"], strict=True))
    if db_path.exists():
        try:
            stored = read_query(
                db_path, "SELECT series_id, title FROM series WHERE title IS NOT NULL"
            )
        except WarehouseError:
            return titles  # an unreadable warehouse must not stop `catalog show`
        titles.update(zip(stored["series_id"], stored["title"], strict=True))
    return titles
