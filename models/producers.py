"""Who produces each Kolada KPI the catalogs read: Kolada publishes other agencies' statistics,
and a figure is cited by its producer and KPI id.

Kolada's v3 KPI metadata has no producer field, so `producers.csv` keeps the producer of each
KPI with the basis for it. A KPI without a row is cited by its id alone, never by a guess.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

PRODUCERS_FILE = Path(__file__).resolve().parent / "producers.csv"
KOLADA_KPI_URL = "https://www.kolada.se/verktyg/fri-sokning/?kpis={kpi_id}"


@cache
def kpi_producers(path: Path = PRODUCERS_FILE) -> dict[str, str]:
    """KPI id → producer name ("N15428" → "Skolverket")."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["kpi_id"]: row["producer"] for row in csv.DictReader(handle)}


def kolada_kpi_url(kpi_id: str) -> str:
    """The KPI's page on kolada.se, where readers find its definition and values."""
    return KOLADA_KPI_URL.format(kpi_id=kpi_id)
