"""PxWebApi 2 client: fetch one table as JSON-stat 2 within the server's published limits.

Reads `/config` first (maxDataCells, maxCallsPerTimeWindow, timeWindow; v1 names maxValues and
maxCalls are accepted too), splits a query that would exceed the cell limit on its largest
non-time variable first, keeps to the call budget, waits out a 429 for its Retry-After, and
archives every response body unchanged under the run's raw folder.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

OUTPUT_FORMAT = "json-stat2"
TIMEOUT_SECONDS = 60
MAX_RETRIES = 5  # 429 answers in a row before giving up on one request
DEFAULT_RETRY_AFTER_SECONDS = 10  # when a 429 carries no usable Retry-After
# Used only when /config does not say: PxWebApi's sample appsettings (survey-data.md §2.2).
DEFAULT_LIMITS = {"max_cells": 10_000, "max_calls": 30, "time_window": 10.0}
TIME_VARIABLES = frozenset({"tid", "år", "ar", "year", "time", "period"})


class PxWebError(RuntimeError):
    """The server refused a request for a reason waiting will not fix; the message says why."""


@dataclass(frozen=True)
class Limits:
    max_cells: int
    max_calls: int
    time_window: float  # seconds


@dataclass
class FetchResult:
    datasets: list[dict[str, Any]]  # one JSON-stat 2 dataset per part, in query order
    archived: list[Path]  # every response body written, including 429s and /config
    parts: list[dict[str, list[str]]]  # the selection of each part
    waited_seconds: float = 0.0


@dataclass
class CallBudget:
    """A sliding window of call times: at most `limits.max_calls` per `limits.time_window`."""

    limits: Limits
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    calls: deque[float] = field(default_factory=deque)

    def wait_for_slot(self) -> float:
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.limits.time_window:
            self.calls.popleft()
        waited = 0.0
        if len(self.calls) >= self.limits.max_calls:
            waited = self.limits.time_window - (now - self.calls[0])
            if waited > 0:
                self.sleep(waited)
            self.calls.popleft()
        self.calls.append(self.clock())
        return max(waited, 0.0)


def fetch_table(
    session: requests.Session,
    base_url: str,
    table_id: str,
    query: Mapping[str, Sequence[str]],
    archive_dir: Path,
    *,
    language: str = "sv",
    time_variable: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FetchResult:
    """Fetch `query` (variable code → explicit value codes) from table `table_id`.

    `archive_dir` is the run's folder, e.g. data/raw/pxweb/<run>/; a manifest.json there lists
    each request and the file holding its answer.
    """
    base_url = base_url.rstrip("/")
    archive_dir.mkdir(parents=True, exist_ok=True)
    for variable, codes in query.items():
        if not codes or any("*" in code or "(" in code for code in codes):
            raise ValueError(f"{variable}: give explicit value codes (splitting counts them)")
    manifest: list[dict[str, Any]] = []
    result = FetchResult(datasets=[], archived=[], parts=[])
    limits = read_limits(session, base_url, archive_dir, manifest, result)
    budget = CallBudget(limits, clock=clock, sleep=sleep)
    parts = split_query(query, limits.max_cells, time_variable=time_variable)
    url = f"{base_url}/tables/{table_id}/data"
    params = {"lang": language, "outputFormat": OUTPUT_FORMAT}
    for number, part in enumerate(parts, start=1):
        body = {"selection": [{"variableCode": k, "valueCodes": list(v)} for k, v in part.items()]}
        for attempt in range(1, MAX_RETRIES + 2):
            result.waited_seconds += budget.wait_for_slot()
            response = session.post(url, params=params, json=body, timeout=TIMEOUT_SECONDS)
            path = (
                archive_dir
                / f"{table_id}_part{number:03d}_try{attempt}_{response.status_code}.json"
            )
            archive(path, response, manifest, result, request={"url": url, "body": body})
            if response.status_code != 429:
                break
            if attempt > MAX_RETRIES:
                raise PxWebError(f"{url}: still 429 Too Many Requests after {MAX_RETRIES} waits")
            delay = retry_after_seconds(response.headers.get("Retry-After"))
            sleep(delay)
            result.waited_seconds += delay
        if response.status_code != 200:
            raise PxWebError(
                f"{url} part {number}: HTTP {response.status_code}: {problem_text(response)}"
            )
        result.datasets.append(response.json())
        result.parts.append({k: list(v) for k, v in part.items()})
    (archive_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return result


def read_limits(
    session: requests.Session,
    base_url: str,
    archive_dir: Path,
    manifest: list[dict[str, Any]],
    result: FetchResult,
) -> Limits:
    """The server's own limits from /config; the documented defaults fill any gap."""
    url = f"{base_url}/config"
    response = session.get(url, timeout=TIMEOUT_SECONDS)
    archive(archive_dir / "config.json", response, manifest, result, request={"url": url})
    if response.status_code != 200:
        raise PxWebError(f"{url}: HTTP {response.status_code}: {problem_text(response)}")
    config = response.json()
    return Limits(
        max_cells=int(first(config, ("maxDataCells", "maxValues", "maxCells"), "max_cells")),
        max_calls=int(first(config, ("maxCallsPerTimeWindow", "maxCalls"), "max_calls")),
        time_window=float(first(config, ("timeWindow",), "time_window")),
    )


def first(config: Mapping[str, Any], names: Sequence[str], default: str) -> Any:
    return next((config[name] for name in names if config.get(name)), DEFAULT_LIMITS[default])


def split_query(
    query: Mapping[str, Sequence[str]], max_cells: int, *, time_variable: str | None = None
) -> list[dict[str, list[str]]]:
    """Parts whose cells each fit `max_cells`, cut on the largest non-time variable first.

    Time is cut last because a series is most useful whole; only when every other variable is
    down to one value is time split too.
    """
    part = {variable: list(codes) for variable, codes in query.items()}
    cells = math.prod(len(codes) for codes in part.values())
    if cells <= max_cells:
        return [part]
    time_name = time_variable or next(
        (variable for variable in part if variable.lower() in TIME_VARIABLES), None
    )
    candidates = [v for v in part if v != time_name and len(part[v]) > 1]
    if not candidates:
        candidates = [v for v in part if len(part[v]) > 1]
    if not candidates:
        raise PxWebError(f"one cell exceeds the server's limit of {max_cells} cells")
    variable = max(candidates, key=lambda name: len(part[name]))
    codes = part[variable]
    others = cells // len(codes)
    chunk = max(1, max_cells // others)
    parts: list[dict[str, list[str]]] = []
    for start in range(0, len(codes), chunk):
        piece = {**part, variable: codes[start : start + chunk]}
        parts.extend(split_query(piece, max_cells, time_variable=time_name))
    return parts


def retry_after_seconds(header: str | None) -> float:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110 allows both)."""
    if not header:
        return DEFAULT_RETRY_AFTER_SECONDS
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(0.0, moment.timestamp() - time.time())


def archive(
    path: Path,
    response: requests.Response,
    manifest: list[dict[str, Any]],
    result: FetchResult,
    *,
    request: Mapping[str, Any],
) -> None:
    """Write the body byte for byte: raw files are the inputs everything else rebuilds from."""
    path.write_bytes(response.content)
    result.archived.append(path)
    manifest.append({**request, "status": response.status_code, "file": path.name})


def problem_text(response: requests.Response) -> str:
    """The RFC 7807 title/detail when the body has them, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping):
        return " – ".join(str(body[key]) for key in ("title", "detail") if body.get(key))
    return str(body)[:200]
