"""Refresh cost against a local Kolada with 100 ms added latency per request.

Prints, for the catalog KPIs and the county's areas, the requests and wall time of a full
refresh and of a no-change nightly run, next to the minimal request count the API's limits
allow (25 ids per path segment, 5000 rows per page). Run: .venv/bin/python bench/bench_refresh.py
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import load_settings  # noqa: E402
from models.areas import county_areas  # noqa: E402
from models.catalog import indicators_frame, load_catalogs  # noqa: E402
from pipelines.refresh import kolada_kpis, run_refresh  # noqa: E402
from sources.kolada import MAX_IDS  # noqa: E402
from tests.kolada_server import KoladaServer  # noqa: E402

LATENCY_SECONDS = 0.1


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch, KoladaServer(ROOT / "data" / "sample") as server:
        server.faults.latency = LATENCY_SECONDS
        settings = load_settings(
            {"data_dir": Path(scratch) / "data", "kolada_url": server.base_url}, env={}
        )
        kpis = kolada_kpis(indicators_frame(load_catalogs(settings.catalogs)))
        areas = county_areas(settings.county_id).area_ids
        kpi_chunks = math.ceil(len(kpis) / MAX_IDS)
        # data: one page per (KPI chunk × area chunk) while each answer fits 5000 rows;
        # metadata: one /kpi request per KPI chunk
        minimal = kpi_chunks * math.ceil(len(areas) / MAX_IDS) + kpi_chunks

        print(f"{len(kpis)} KPIs × {len(areas)} areas, {LATENCY_SECONDS * 1000:.0f} ms latency")
        print(f"minimal requests the API's limits allow: {minimal}")
        for label, full in (("full refresh", True), ("no-change nightly", False)):
            started = time.perf_counter()
            result = run_refresh(settings, full=full)
            seconds = time.perf_counter() - started
            print(
                f"{label:18s} outcome {result.outcome:9s} requests {result.requests:3d} "
                f"wall {seconds:6.2f} s (latency alone ≥ {result.requests * LATENCY_SECONDS:.1f} s)"
            )


if __name__ == "__main__":
    main()
