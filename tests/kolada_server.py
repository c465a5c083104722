"""A Kolada-v3-compatible HTTP server for tests and benchmarks, on 127.0.0.1 and a free port.

It serves `/v3/data/kpi/{ids}/municipality/{ids}` (and the query form
`/v3/data?kpi_id=…&municipality_id=…` that koladapy asks, ids repeated or comma-separated),
`/v3/kpi[/{ids}]`, `/v3/municipality` and `/v3/municipality_groups` from one or more snapshot
folders (the layout of data/sample/, see sources/snapshot.py), with real paging (`per_page`,
`page`, `next_url`), HTTP 400 past 25 ids in a path segment or parameter, and `from_date`.
Every value carries the date it last changed: snapshot values start at OLD_CHANGED_AT;
`set_value`, `add_value` and `delete_value` simulate Kolada revising, adding and removing
values. Faults are switched on a running server through `server.faults`.

    with KoladaServer(SAMPLE_DIR) as server:
        server.faults.status_500 = 2
        session.get(server.base_url + "/kpi/N15428")

or use the `kolada_server` fixture (import it into the test module).

Semantics chosen where Kolada's are undocumented: `from_date=D` returns the values changed on or
after D, deleted ones included (`isdeleted: true`, value null); without `from_date` deleted values
are left out. The error body is `{"error": "<reason>"}`. `max_in_flight_seen` is the most
requests the server was answering at one time.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from sources import snapshot

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
API_PREFIX = "/v3"
MAX_IDS = 25
MAX_PER_PAGE = 5000
OLD_CHANGED_AT = datetime.date(2000, 1, 1)  # every snapshot value "last changed" long ago
NEXT_URL_STYLES = ("path", "query", "absolute")  # "/v3/data/...", "?per_page=..", "http://..."
GENDER_ORDER = {"K": 0, "M": 1, "T": 2}

ValueKey = tuple[str, str, int, str]  # kpi, area, period, gender


@dataclass
class Faults:
    """Switchable faults; each count is used up one request at a time, in the order below."""

    latency: float = 0.0  # seconds added to every request
    status_429: int = 0  # answer this many requests with 429 and Retry-After
    retry_after: int = 1  # seconds, sent in the Retry-After header
    status_500: int = 0  # answer this many requests with 500
    drop_connection: int = 0  # close this many connections without any response
    truncate_json: int = 0  # send this many bodies cut in half (with a matching length)
    cut_body: int = 0  # announce the whole length, send half the body, close (IncompleteRead)
    drip_feed: int = 0  # send this many bodies one byte at a time, `drip_interval` apart
    drip_interval: float = 0.5  # seconds between two bytes of a drip-fed body
    next_url_cycle: bool = False  # data/metadata pages point next_url back at themselves


@dataclass
class StoredValue:
    value: float | None
    count: int | None = 1
    status: str = ""
    is_deleted: bool = False
    changed_at: datetime.date = OLD_CHANGED_AT


class ValueStore(dict[ValueKey, StoredValue]):
    """Values by key, indexed by (kpi, area) so that a request reads only the cells it asks
    for: with every county loaded the store holds some 200,000 values."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], set[ValueKey]] = {}

    def __setitem__(self, key: ValueKey, value: StoredValue) -> None:
        super().__setitem__(key, value)
        self.cells.setdefault((key[0], key[1]), set()).add(key)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        for key, value in dict(other, **kwargs).items():
            self[key] = value


@dataclass
class ServerState:
    """What the server holds; change it through KoladaServer's helpers."""

    values: ValueStore = field(default_factory=ValueStore)
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    municipalities: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)


class KoladaServer:
    """A threaded local Kolada; `base_url` is `http://127.0.0.1:<port>/v3`."""

    def __init__(
        self,
        snapshot_dir: Path | Sequence[Path] | None = None,
        *,
        max_per_page: int = MAX_PER_PAGE,
        next_url_style: str = "path",
    ) -> None:
        if next_url_style not in NEXT_URL_STYLES:
            raise ValueError(f"next_url_style must be one of {NEXT_URL_STYLES}")
        self.max_per_page = max_per_page
        self.next_url_style = next_url_style
        self.faults = Faults()
        self.state = ServerState()
        self.request_log: list[str] = []  # path and query of every request received
        self.user_agents: list[str] = []  # the User-Agent header of every request
        self.lock = threading.RLock()
        self.in_flight = 0
        self.max_in_flight_seen = 0
        if snapshot_dir is not None:
            self.load_snapshot(snapshot_dir)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> KoladaServer:
        handler = type("BoundKoladaHandler", (KoladaHandler,), {"kolada": self})
        self._httpd = QuietHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd, self._thread = None, None

    def __enter__(self) -> KoladaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    # --- content ---

    def load_snapshot(self, snapshot_dir: Path | Sequence[Path]) -> None:
        """Replace the content with snapshot folders' files (all values changed long ago).

        Several folders (e.g. one per county) are merged: values by key, KPIs by id, areas and
        groups by id; a later folder's copy of the same object replaces an earlier one's.
        """
        folders = [snapshot_dir] if isinstance(snapshot_dir, Path) else list(snapshot_dir)
        states = [self._read_snapshot(folder) for folder in folders]
        state = ServerState()
        for part in states:
            state.values.update(part.values)
            state.kpis.update(part.kpis)
        for name in ("municipalities", "groups"):
            merged = {item["id"]: item for part in states for item in getattr(part, name)}
            setattr(state, name, [merged[key] for key in sorted(merged)])
        with self.lock:
            self.state = state

    @staticmethod
    def _read_snapshot(snapshot_dir: Path) -> ServerState:
        state = ServerState()
        data_dir = snapshot_dir / snapshot.KOLADA_DIR / snapshot.DATA_DIR
        for path in sorted(data_dir.glob("*.json")):
            for record in snapshot.read_envelope_values(path):
                for item in record["values"]:
                    key = (record["kpi"], record["municipality"], record["period"], item["gender"])
                    state.values[key] = StoredValue(
                        value=item["value"],
                        count=item.get("count"),
                        status=item.get("status", ""),
                        is_deleted=bool(item.get("isdeleted", False)),
                    )
        kpi_path = snapshot.metadata_path(snapshot_dir, snapshot.KPI_FILE)
        if kpi_path.exists():
            state.kpis = {item["id"]: item for item in snapshot.read_envelope_values(kpi_path)}
        for name, target in (
            (snapshot.MUNICIPALITY_FILE, state.municipalities),
            (snapshot.MUNICIPALITY_GROUPS_FILE, state.groups),
        ):
            path = snapshot.metadata_path(snapshot_dir, name)
            if path.exists():
                target.extend(snapshot.read_envelope_values(path))
        return state

    def set_value(
        self,
        kpi: str,
        area: str,
        period: int,
        gender: str,
        value: float | None,
        changed_at: datetime.date | None = None,
        *,
        count: int | None = 1,
        status: str = "",
    ) -> None:
        """Revise (or add) one value, as Kolada does without notice."""
        with self.lock:
            self.state.values[(kpi, area, period, gender)] = StoredValue(
                value=value,
                count=count,
                status=status,
                changed_at=changed_at or datetime.date.today(),
            )

    def add_value(
        self,
        kpi: str,
        area: str,
        period: int,
        gender: str,
        value: float | None,
        changed_at: datetime.date | None = None,
        **kwargs: Any,
    ) -> None:
        """Add a value that did not exist before (e.g. a new year is published)."""
        with self.lock:
            if (kpi, area, period, gender) in self.state.values:
                raise KeyError(f"value exists already: {(kpi, area, period, gender)}")
            self.set_value(kpi, area, period, gender, value, changed_at, **kwargs)

    def delete_value(
        self, kpi: str, area: str, period: int, gender: str, changed_at: datetime.date | None = None
    ) -> None:
        """Remove a value: it turns `isdeleted: true` with a null value, changed now."""
        with self.lock:
            key = (kpi, area, period, gender)
            if key not in self.state.values:
                raise KeyError(f"no such value: {key}")
            self.state.values[key] = StoredValue(
                value=None, count=0, is_deleted=True, changed_at=changed_at or datetime.date.today()
            )

    def set_kpi(self, metadata: dict[str, Any]) -> None:
        """Add or replace one KPI metadata object (e.g. a title that gains "(-2025)")."""
        with self.lock:
            self.state.kpis[metadata["id"]] = metadata

    def remove_kpi(self, kpi: str) -> None:
        """Make a KPI vanish from /kpi, as Kolada does when it drops one."""
        with self.lock:
            self.state.kpis.pop(kpi, None)

    def clear_log(self) -> None:
        with self.lock:
            self.request_log.clear()
            self.user_agents.clear()

    @property
    def requests_received(self) -> int:
        with self.lock:
            return len(self.request_log)

    # --- answers ---

    def data_records(
        self, kpis: list[str], areas: list[str], from_date: datetime.date | None
    ) -> list[dict[str, Any]]:
        """The v3 records for these ids, in Kolada's order (kpi, period, area)."""
        records: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
        with self.lock:
            values = self.state.values
            items = [
                (key, values[key])
                for kpi in dict.fromkeys(kpis)
                for area in dict.fromkeys(areas)
                for key in values.cells.get((kpi, area), ())
            ]
        for (kpi, area, period, gender), stored in items:
            if from_date is None and stored.is_deleted:
                continue
            if from_date is not None and stored.changed_at < from_date:
                continue
            records.setdefault((kpi, period, area), []).append(
                {
                    "gender": gender,
                    "count": stored.count,
                    "status": stored.status,
                    "value": stored.value,
                    "isdeleted": stored.is_deleted,
                }
            )
        return [
            {
                "values": sorted(
                    values, key=lambda v: GENDER_ORDER.get(v["gender"], len(GENDER_ORDER))
                ),
                "kpi": kpi,
                "period": period,
                "municipality": area,
            }
            for (kpi, period, area), values in sorted(records.items())
        ]

    def take_fault(self, name: str) -> bool:
        """Use up one count of a fault; True when this request gets it."""
        with self.lock:
            remaining = getattr(self.faults, name)
            if remaining > 0:
                setattr(self.faults, name, remaining - 1)
                return True
            return False


class QuietHTTPServer(ThreadingHTTPServer):
    """A client that gave up (a deadline, a kill) is expected here, not an error to print."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class BadRequest(Exception):
    """A request the API refuses with 400."""


class KoladaHandler(BaseHTTPRequestHandler):
    """Answers one request from the bound KoladaServer's state."""

    kolada: KoladaServer
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server: the client reuses connections
    # Headers and body leave in one write with Nagle off; else delayed ACKs add ~40 ms a request.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log on the server object is the record."""

    def do_GET(self) -> None:
        server = self.kolada
        with server.lock:
            server.request_log.append(self.path)
            server.user_agents.append(self.headers.get("User-Agent", ""))
            latency = server.faults.latency
            server.in_flight += 1
            server.max_in_flight_seen = max(server.max_in_flight_seen, server.in_flight)
        try:
            self.respond(latency)
        finally:
            with server.lock:
                server.in_flight -= 1

    def respond(self, latency: float) -> None:
        server = self.kolada
        if latency:
            time.sleep(latency)
        if server.take_fault("status_429"):
            retry_after = str(server.faults.retry_after)
            self.send_json(429, {"error": "Too many requests"}, {"Retry-After": retry_after})
            return
        if server.take_fault("status_500"):
            self.send_json(500, {"error": "Internal server error"})
            return
        if server.take_fault("drop_connection"):
            self.close_connection = True
            return
        try:
            status, body = self.answer()
        except BadRequest as error:
            self.send_json(400, {"error": str(error)})
            return
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if status == 200 and server.take_fault("truncate_json"):
            raw = raw[: len(raw) // 2]
        if status == 200 and server.take_fault("cut_body"):
            self.send_head(status, len(raw))
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if status == 200 and server.take_fault("drip_feed"):
            self.drip(status, raw, server.faults.drip_interval)
            return
        self.send_bytes(status, raw)

    def drip(self, status: int, raw: bytes, interval: float) -> None:
        """A byte at a time: each socket read on the client gets data within any read timeout."""
        self.send_head(status, len(raw))
        self.wfile.flush()
        try:
            for position in range(len(raw)):
                self.wfile.write(raw[position : position + 1])
                self.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass  # the client gave up and closed the connection
        self.close_connection = True

    def answer(self) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(self.path)
        repeated = parse_qs(parts.query)
        query = {key: values[-1] for key, values in repeated.items()}
        segments = [s for s in parts.path.removeprefix(API_PREFIX).split("/") if s]
        state = self.kolada.state
        if (
            len(segments) == 5
            and segments[0:2] == ["data", "kpi"]
            and segments[3] == "municipality"
        ):
            kpis = split_ids(segments[2], "kpi")
            areas = split_ids(segments[4], "municipality")
            from_date = parse_date(query.get("from_date"))
            items = self.kolada.data_records(kpis, areas, from_date)
        elif segments == ["data"] and "kpi_id" in repeated and "municipality_id" in repeated:
            # koladapy's form: ?kpi_id=A&kpi_id=B&municipality_id=… (or comma-separated)
            kpis = split_ids(",".join(repeated["kpi_id"]), "kpi_id")
            areas = split_ids(",".join(repeated["municipality_id"]), "municipality_id")
            from_date = parse_date(query.get("from_date"))
            items = self.kolada.data_records(kpis, areas, from_date)
        elif segments == ["kpi"]:
            items = [state.kpis[k] for k in sorted(state.kpis)]
        elif len(segments) == 2 and segments[0] == "kpi":
            ids = split_ids(segments[1], "kpi")
            items = [state.kpis[k] for k in ids if k in state.kpis]
        elif segments == ["municipality"]:
            items = list(state.municipalities)
        elif segments == ["municipality_groups"]:
            items = list(state.groups)
        else:
            return 404, {"error": f"Not found: {parts.path}"}
        return 200, self.paged(parts.path, repeated, items)

    def paged(self, path: str, repeated: dict[str, list[str]], items: list[Any]) -> dict[str, Any]:
        query = {key: values[-1] for key, values in repeated.items()}
        per_page = parse_positive(query.get("per_page", str(MAX_PER_PAGE)), "per_page")
        per_page = min(per_page, self.kolada.max_per_page)
        page = parse_positive(query.get("page", "1"), "page")
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        next_url = None
        if self.kolada.faults.next_url_cycle:
            next_url = self.link(path, repeated, page)
        elif start + per_page < len(items):
            next_url = self.link(path, repeated, page + 1)
        previous_url = self.link(path, repeated, page - 1) if page > 1 else None
        return {
            "values": chunk,
            "next_url": next_url,
            "previous_url": previous_url,
            "count": len(chunk),
        }

    def link(self, path: str, repeated: dict[str, list[str]], page: int) -> str:
        target = urlencode({**repeated, "page": [str(page)]}, doseq=True)
        style = self.kolada.next_url_style
        if style == "query":
            return f"?{target}"
        if style == "absolute":
            return f"{self.kolada.origin}{path}?{target}"
        return f"{path}?{target}"

    def send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        raw = json.dumps(body).encode("utf-8")
        self.send_bytes(status, raw, headers)

    def send_bytes(self, status: int, raw: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_head(status, len(raw), headers)
        self.wfile.write(raw)

    def send_head(self, status: int, length: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        # Like Kolada: JSON without a charset parameter, so the client must decode UTF-8 itself.
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()


def split_ids(segment: str, name: str) -> list[str]:
    ids = [item for item in segment.split(",") if item]
    if len(ids) > MAX_IDS:
        raise BadRequest(f"Too many values for {name}: {len(ids)}, at most {MAX_IDS} allowed")
    return ids


def parse_date(raw: str | None) -> datetime.date | None:
    if raw is None:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError as error:
        raise BadRequest(f"from_date must be YYYY-MM-DD, not {raw!r}") from error


def parse_positive(raw: str, name: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"{name} must be a positive integer, not {raw!r}")
    return int(raw)


@pytest.fixture
def kolada_server() -> Iterator[KoladaServer]:
    """A running server with the committed sample (data/sample/) as its content."""
    with KoladaServer(SAMPLE_DIR) as server:
        yield server


@pytest.fixture
def empty_kolada_server() -> Iterator[KoladaServer]:
    """A running server with no content; tests add values with `add_value`."""
    with KoladaServer() as server:
        yield server


def county_snapshots(folder: Path, county_ids: Sequence[str]) -> list[Path]:
    """One snapshot per county, built by scripts/build_sample.py from the real values in
    data/reference (csv-2024 covers every area; the county mean groups are computed there, as
    data/sample/SOURCES.md says). Load them all into one server: `KoladaServer(folders)`."""
    script = _build_sample_script()
    folders = []
    for county_id in county_ids:
        script.build_sample(script.DEFAULT_REFERENCE, folder / county_id, county_id)
        folders.append(folder / county_id)
    return folders


def _build_sample_script() -> Any:
    """scripts/build_sample.py as a module (scripts/ is a folder of scripts, not a package)."""
    if "build_sample" in sys.modules:
        return sys.modules["build_sample"]
    path = Path(__file__).resolve().parent.parent / "scripts" / "build_sample.py"
    spec = importlib.util.spec_from_file_location("build_sample", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
