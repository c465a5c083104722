"""Refresh cost against a local Kolada with 100 ms added latency per request, next to koladapy.

The local Kolada (tests/kolada_server.py) serves every county's real values (one snapshot per
county, built by scripts/build_sample.py from data/reference). Every refresh runs as its own
`aktuellt` process, so import costs count. Printed in one run:

- koladapy 1.0.1 fetching the same KPIs (values and metadata) for the same areas, with its
  default throttle of 5 requests/s and without, in a virtual environment of the bench's own
  (created under /tmp on first use; koladapy is no dependency of the project);
- `aktuellt refresh --full` into an empty warehouse for one county and for all 21;
- the floor under a full refresh: Great Expectations' part alone (import, validate the loaded
  batch, render its docs) in a fresh process, which the refresh's check worker runs on the
  other core while the refresh does the rest;
- the no-change night (`aktuellt refresh` right after) for both, and the weekly `--full` reload
  that finds nothing new;
- the minimal request count the API's limits allow (25 ids per segment, 5000 rows per page).

Each figure is the median run of `--rounds` rounds (default 3). A round runs koladapy (throttled,
then not) and then aktuellt (full, GX alone, night, weekly); rounds follow each other, so that a
noisy neighbour weighs on both tools alike.

Run: .venv/bin/python bench/bench_refresh.py [--rounds N] [--koladapy-venv DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import load_settings  # noqa: E402
from models.areas import county_areas, followed_area_ids  # noqa: E402
from pipelines.refresh import kolada_kpis, load_indicators  # noqa: E402
from sources.kolada import MAX_IDS, PER_PAGE, chunk_ids  # noqa: E402
from tests.kolada_server import KoladaServer, county_snapshots  # noqa: E402

LATENCY_SECONDS = 0.1
KOLADAPY = "koladapy==1.0.1"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "aktuellt-bench-koladapy"
AKTUELLT = ROOT / ".venv" / "bin" / "aktuellt"

# Runs in koladapy's environment: fetch values and KPI metadata, print what it took.
KOLADAPY_PROGRAM = """
import json, sys, time
started = time.perf_counter()
from koladapy.api import KoladaAPI
imported = time.perf_counter()
base_url, per_second, kpis, areas = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
api = KoladaAPI(base_url=base_url, max_requests_per_second=per_second)
values = api.get_values(kpi_id=kpis.split(","), municipality_id=areas.split(","))
metadata = api.get_kpis(kpis.split(","))
done = time.perf_counter()
print(json.dumps({"import": imported - started, "fetch": done - imported,
                  "records": len(values), "kpis": len(metadata)}))
"""

# Runs in the project's environment: only Great Expectations' part of a first load (import it,
# validate the loaded batch, render its docs) in a fresh process, the floor under a refresh that
# validates, whatever it overlaps. Reads the batch from the warehouse a full refresh left.
GX_FLOOR_PROGRAM = """
import json, sys, tempfile
from pathlib import Path
import polars as pl
from models.areas import county_areas
from models.schema import OBSERVATION_SCHEMA, conform
from pipelines import checks
from pipelines.gx_import import SINGLE_THREAD_DEFERRED, import_great_expectations
from pipelines.warehouse import read_query
import_great_expectations(SINGLE_THREAD_DEFERRED)
db, counties = Path(sys.argv[1]), sys.argv[2:]
batch = conform(
    read_query(db, "SELECT * FROM current_observations").with_columns(is_deleted=pl.lit(False)),
    OBSERVATION_SCHEMA,
)
with tempfile.TemporaryDirectory() as scratch:
    report = checks.check_observations(
        batch, suite="kolada_values", run_id="floor", checks_dir=Path(scratch), share_series=[],
        county_scopes={c: county_areas(c).area_ids for c in counties}, full=True,
    )
    checks.build_docs(Path(scratch), report)
print(json.dumps({"values": batch.height, "passed": report.passed}))
"""


@dataclass
class Measured:
    label: str
    seconds: float
    requests: int
    detail: str = ""
    fetch_seconds: float | None = None  # koladapy: the fetch without its process and imports


def koladapy_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with {KOLADAPY} (the bench's own environment)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", KOLADAPY], check=True)
    return python


def run_koladapy(
    python: Path, server: KoladaServer, kpis: list[str], areas: list[str], per_second: float
) -> Measured:
    before = server.requests_received
    started = time.perf_counter()
    done = subprocess.run(
        [
            *(str(python), "-c", KOLADAPY_PROGRAM, server.base_url + "/", str(per_second)),
            *(",".join(kpis), ",".join(areas)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Measured(
        "",
        wall,
        server.requests_received - before,
        f"{figures['records']} records",
        figures["fetch"],
    )


def run_aktuellt(server: KoladaServer, data: Path, counties: list[str], full: bool) -> Measured:
    command = [str(AKTUELLT), "refresh", "--data", str(data)]
    command += [option for county in counties for option in ("--county", county)]
    command += ["--full"] if full else []
    started = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "AKTUELLT_KOLADA_URL": server.base_url},
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"refresh failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    requests = int(re.search(r"requests: (\d+)", done.stdout).group(1))  # type: ignore[union-attr]
    outcome = re.search(r"\): (\w+)", done.stdout)
    return Measured("", wall, requests, outcome.group(1) if outcome else "")


def run_gx_floor(data: Path, counties: list[str]) -> Measured:
    db = data / "warehouse" / "aktuellt.duckdb"
    started = time.perf_counter()
    done = subprocess.run(
        [str(AKTUELLT.with_name("python")), "-P", "-c", GX_FLOOR_PROGRAM, str(db), *counties],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    wall = time.perf_counter() - started
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Measured("", wall, 0, f"{figures['values']} values validated")


def minimal_requests(server: KoladaServer, kpis: list[str], areas: list[str]) -> int:
    pages = sum(
        max(1, math.ceil(len(server.data_records(k, a, None)) / PER_PAGE))
        for k in chunk_ids(kpis)
        for a in chunk_ids(areas)
    )
    return pages + math.ceil(len(kpis) / MAX_IDS)


def median_of(rounds: list[Measured]) -> Measured:
    """The run with the median wall time (the lower middle one for an even count), so that its
    time, requests and detail are one run's; koladapy's fetch time is the median of its own."""
    ranked = sorted(rounds, key=lambda measured: measured.seconds)
    middle = ranked[(len(ranked) - 1) // 2]
    fetches = [measured.fetch_seconds for measured in rounds if measured.fetch_seconds is not None]
    if len(fetches) == len(rounds):
        middle.fetch_seconds = statistics.median_low(fetches)
    return middle


def measure_round(
    python: Path,
    server: KoladaServer,
    scratch: Path,
    counties: list[str],
    areas: list[str],
    kpis: list[str],
) -> dict[str, Measured]:
    """koladapy throttled and free, then aktuellt's full load, no-change night and weekly reload
    into a fresh warehouse."""
    data = Path(tempfile.mkdtemp(dir=scratch))
    return {
        "throttled": run_koladapy(python, server, kpis, areas, 5.0),
        "free": run_koladapy(python, server, kpis, areas, 1e9),
        "full": run_aktuellt(server, data, counties, full=True),
        "floor": run_gx_floor(data, counties),
        "night": run_aktuellt(server, data, counties, full=False),
        "weekly": run_aktuellt(server, data, counties, full=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--koladapy-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (at least 1)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    python = koladapy_python(args.koladapy_venv)
    settings = load_settings(env={})
    kpis = kolada_kpis(load_indicators(settings))
    every = load_settings({"counties": ["all"]}, env={}).county_ids
    one = [settings.county_id]
    with tempfile.TemporaryDirectory() as scratch:
        folders = county_snapshots(Path(scratch) / "snapshots", every)
        with KoladaServer(folders) as server:
            server.faults.latency = LATENCY_SECONDS
            print(
                f"{len(kpis)} KPIs, local Kolada with every county's values, "
                f"{LATENCY_SECONDS * 1000:.0f} ms latency per request, "
                f"{settings.max_in_flight} requests in flight, median of {args.rounds} rounds"
            )
            for label, counties in (("one county", one), ("all counties", list(every))):
                areas = followed_area_ids([county_areas(c) for c in counties])
                minimal = minimal_requests(server, kpis, areas)
                print(f"\n{label}: {len(counties)} county(ies), {len(areas)} areas")
                print(f"  minimal requests the API's limits allow: {minimal}")
                rounds = [
                    measure_round(python, server, Path(scratch), counties, areas, kpis)
                    for _ in range(args.rounds)
                ]
                throttled, free, full, floor, night, weekly = (
                    median_of([measured[key] for measured in rounds])
                    for key in ("throttled", "free", "full", "floor", "night", "weekly")
                )
                rows = (
                    ("koladapy, 5 req/s (default)", throttled),
                    ("koladapy, unthrottled", free),
                    ("aktuellt refresh --full (empty warehouse)", full),
                    ("  its floor: GX alone (import, check, docs)", floor),
                    ("aktuellt refresh, no-change night", night),
                    ("aktuellt refresh --full, nothing new", weekly),
                )
                for name, measured in rows:
                    fetch = (
                        f"fetch alone {measured.fetch_seconds:.2f} s, "
                        if measured.fetch_seconds is not None
                        else ""
                    )
                    print(
                        f"  {name:44s} {measured.seconds:6.2f} s  requests {measured.requests:3d}"
                        f"  {fetch}{measured.detail}"
                    )
                allowance = 3.0 + night.requests * LATENCY_SECONDS
                bar = 3.0 if label == "one county" else 2.0
                assert throttled.fetch_seconds and free.fetch_seconds
                print(
                    f"  full / koladapy process: {full.seconds / throttled.seconds:.2f}× "
                    f"(throttled), {full.seconds / free.seconds:.2f}× (unthrottled); "
                    f"full / koladapy fetch alone: {full.seconds / throttled.fetch_seconds:.2f}× "
                    f"(throttled), {full.seconds / free.fetch_seconds:.2f}× (unthrottled); "
                    f"bar ≤ {bar:.0f}×"
                )
                floor_ratio = floor.seconds / throttled.fetch_seconds
                print(
                    f"  GX alone / koladapy fetch alone: {floor_ratio:.2f}× (throttled), "
                    f"{floor.seconds / free.fetch_seconds:.2f}× (unthrottled); "
                    f"full refresh beyond GX alone: {full.seconds - floor.seconds:+.2f} s"
                )
                print(
                    f"  no-change night {night.seconds:.2f} s; bar ≤ 3 s + {night.requests} × "
                    f"{LATENCY_SECONDS * 1000:.0f} ms = {allowance:.2f} s"
                )


if __name__ == "__main__":
    main()
