"""A local PxWebApi 2 stand-in for tests: /config limits, JSON-stat 2 data, 429 on demand.

It answers like the real server (PxTools/PxWebApi): cells over maxDataCells give a 400 problem
"Too many cells selected", and a throttled request gets 429 with a Retry-After header.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_PREFIX = "/api/v2"
MEASURES = {
    "01": "Andel",
    "02": "Konfidensintervall nedre gräns",
    "03": "Konfidensintervall övre gräns",
    "04": "Antal svar",
}
GENDERS = {"00": "Totalt", "01": "Kvinnor", "02": "Män"}


@dataclass
class FakeTable:
    """A Folkhälsodata-shaped survey table: Region × Kön × measure × År."""

    regions: dict[str, str]
    years: tuple[str, ...] = ("2017-2020", "2021-2024")
    suppressed: frozenset[tuple[str, str, str]] = frozenset()  # (region, gender, year)

    @property
    def dimensions(self) -> dict[str, dict[str, str]]:
        return {
            "Region": self.regions,
            "Kon": GENDERS,
            "AndelKonfidensintervall": MEASURES,
            "Tid": {year: year for year in self.years},
        }

    def value(self, region: str, gender: str, measure: str, year: str) -> float | None:
        if (region, gender, year) in self.suppressed:
            return None
        share = 60.0 + (int(region) % 7) + int(gender) + (2.0 if year.endswith("2024") else 0.0)
        return {"01": share, "02": share - 2.5, "03": share + 2.5, "04": 400.0}[measure]


@dataclass
class ServerState:
    table: FakeTable
    max_cells: int = 10_000
    max_calls: int = 30
    time_window: int = 10
    throttle_next: int = 0  # answer this many data requests with 429 first
    retry_after: str = "2"
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def jsonstat_dataset(table: FakeTable, selection: dict[str, list[str]]) -> dict[str, Any]:
    ids = list(table.dimensions)
    chosen = {dim: selection.get(dim, list(table.dimensions[dim])) for dim in ids}
    values: list[float | None] = []
    status: dict[str, str] = {}
    index = 0
    for region in chosen["Region"]:
        for gender in chosen["Kon"]:
            for measure in chosen["AndelKonfidensintervall"]:
                for year in chosen["Tid"]:
                    value = table.value(region, gender, measure, year)
                    values.append(value)
                    if value is None:
                        status[str(index)] = ".."
                    index += 1
    labels = {
        "Region": "region",
        "Kon": "kön",
        "AndelKonfidensintervall": "Andel och konfidensintervall",
        "Tid": "år",
    }
    dataset: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": "Fake survey table",
        "id": ids,
        "size": [len(chosen[dim]) for dim in ids],
        "role": {"time": ["Tid"], "geo": ["Region"]},
        "dimension": {
            dim: {
                "label": labels[dim],
                "category": {
                    "index": {code: i for i, code in enumerate(chosen[dim])},
                    "label": {code: table.dimensions[dim][code] for code in chosen[dim]},
                },
            }
            for dim in ids
        },
        "value": values,
    }
    if status:
        dataset["status"] = status
    return dataset


class PxWebHandler(BaseHTTPRequestHandler):
    server: PxWebServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.split("?")[0] == f"{API_PREFIX}/config":
            self.send_json(
                200,
                {
                    "apiVersion": "2.0.0",
                    "maxDataCells": state.max_cells,
                    "maxCallsPerTimeWindow": state.max_calls,
                    "timeWindow": state.time_window,
                },
            )
        else:
            self.send_json(404, {"title": "Non-existent page", "status": 404})

    def do_POST(self) -> None:
        state = self.server.state
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        selection = {item["variableCode"]: item["valueCodes"] for item in body["selection"]}
        with state.lock:
            state.requests.append({"path": self.path, "selection": selection})
            throttled = state.throttle_next > 0
            state.throttle_next -= 1 if throttled else 0
        if throttled:
            self.send_json(
                429,
                {"title": "Too many requests", "status": 429},
                headers={"Retry-After": state.retry_after},
            )
            return
        unknown = [
            code
            for dim, codes in selection.items()
            for code in codes
            if code not in state.table.dimensions.get(dim, {})
        ]
        if unknown:
            self.send_json(
                400,
                {
                    "title": "Non-existent value",
                    "status": 400,
                    "detail": f"unknown value codes {unknown}",
                },
            )
            return
        cells = math.prod(len(codes) for codes in selection.values())
        if cells > state.max_cells:
            self.send_json(
                400,
                {
                    "title": "Too many cells selected",
                    "status": 400,
                    "detail": f"{cells} > {state.max_cells}",
                },
            )
            return
        self.send_json(200, jsonstat_dataset(state.table, selection))

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


class PxWebServer(ThreadingHTTPServer):
    def __init__(self, state: ServerState):
        super().__init__(("127.0.0.1", 0), PxWebHandler)
        self.state = state


@contextmanager
def serve_pxweb(state: ServerState) -> Iterator[str]:
    """Run the server on a free port; yields the API base URL (…/api/v2)."""
    server = PxWebServer(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{API_PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
