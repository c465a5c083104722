"""Kolada v3: fetch KPI values and metadata as raw JSON pages, archive them, parse tidy frames.

Fetching and parsing are apart: `fetch_*` yield `Page`s (each already archived byte-for-byte
under `data/raw/kolada/<run id>/` before it is parsed), `parse_*` turn pages into frames of the
shapes in `models.schema`. A local snapshot folder (`read_snapshot*`) yields the same `Page`s, so
the offline path and the network path share one parser. API facts: docs/kolada-api.md.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import polars as pl
import requests

from models.schema import OBSERVATION_KEY, OBSERVATION_SCHEMA, SERIES_SCHEMA, conform
from sources import snapshot
from sources.http import failure_reason

BASE_URL = "https://api.kolada.se/v3"
MAX_IDS = 25  # the API refuses longer id lists in one path segment
PER_PAGE = 5000  # the API's maximum page length
SOURCE = "kolada"
SERIES_PREFIX = "kolada:"
ID_PATTERN = re.compile(r"^[A-Za-z0-9]+$")  # KPI ids, area ids, group ids: no separators
DISCONTINUED_TITLE = re.compile(r"\(-\d{4}\)\s*$")  # "... index (-2024)"
TRUE_WORDS = frozenset({"1", "true", "yes"})
FALSE_WORDS = frozenset({"0", "false", "no", ""})
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # becomes a folder name
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
SAFE_NAME_LENGTH = 80  # file names must stay far below the file system's 255 bytes
API_MESSAGE_KEYS = ("error", "message", "detail", "title")
API_MESSAGE_LENGTH = 200


class KoladaError(RuntimeError):
    """Any failure to get correct data from Kolada; the message says where and why."""


class KoladaUnreachable(KoladaError):
    """No usable answer: connection failures or server errors that outlasted the retries."""


class KoladaRequestError(KoladaError):
    """Kolada refused the request (a 4xx that retrying cannot fix); names the URL and reason."""


class KoladaResponseError(KoladaError):
    """A response that is not what the API promises; names the archived file and the record."""


@dataclass(frozen=True)
class Page:
    """One response body: the URL it came from, where its raw bytes are archived, the JSON."""

    url: str
    path: Path
    body: dict[str, Any]


class RawArchive:
    """Writes each received body, unchanged, to `root/kolada/<run_id>/<sequence>-<name>.json`.

    Files are written before anything parses them, and never overwritten, so a run that fails
    half-way still leaves every page it received. `index.jsonl` maps each file to its URL.
    """

    def __init__(self, root: Path, run_id: str) -> None:
        if not RUN_ID_PATTERN.match(run_id):
            raise ValueError(f"run id {run_id!r} must be letters, digits, '-' or '_'")
        self.directory = root / SOURCE / run_id
        self.directory.mkdir(parents=True, exist_ok=True)
        # Continue numbering when one run archives in several passes (data, then metadata).
        self._sequence = len(list(self.directory.glob("*.json")))
        self._lock = threading.Lock()  # pages arrive from several requests at once

    @property
    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.json"))

    def store(self, url: str, status: int, body: bytes) -> Path:
        with self._lock:
            self._sequence += 1
            path = self.directory / f"{self._sequence:05d}-{_safe_name(url)}.json"
            with path.open("xb") as handle:
                handle.write(body)
            entry = {"file": path.name, "url": url, "status": status, "bytes": len(body)}
            with (self.directory / "index.jsonl").open("a", encoding="utf-8") as index:
                index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return path


# --- fetching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """One first request and the next_url pages that follow it (fetched in order)."""

    url: str
    params: dict[str, str | int] = field(default_factory=dict)


def value_chains(
    base_url: str,
    kpis: Sequence[str],
    areas: Sequence[str],
    from_date: datetime.date | None = None,
) -> list[Chain]:
    """The fewest data requests the API's limits allow: each KPI chunk of 25 with each area
    chunk of 25, 5000 rows a page. With `from_date`, only values changed since that day."""
    params: dict[str, str | int] = {"per_page": PER_PAGE}
    if from_date is not None:
        params["from_date"] = from_date.isoformat()
    return [
        Chain(
            f"{base_url.rstrip('/')}/data/kpi/{','.join(kpi_chunk)}"
            f"/municipality/{','.join(area_chunk)}",
            params,
        )
        for kpi_chunk, area_chunk in itertools.product(chunk_ids(kpis), chunk_ids(areas))
    ]


def kpi_chains(base_url: str, kpi_ids: Sequence[str]) -> list[Chain]:
    """The metadata requests of these KPIs (`/kpi/{≤25 ids}`)."""
    return [
        Chain(f"{base_url.rstrip('/')}/kpi/{','.join(kpi_chunk)}", {"per_page": PER_PAGE})
        for kpi_chunk in chunk_ids(kpi_ids)
    ]


def fetch_chains(
    session: requests.Session,
    chains: Sequence[Chain],
    archive: RawArchive,
    max_in_flight: int = 1,
    on_page: Callable[[Page], None] | None = None,
) -> list[list[Page]]:
    """Every chain's pages, in the order of `chains`, with at most `max_in_flight` requests out
    at once so that their latency overlaps. Each chain's pages come one after the other (a
    next_url is only known from the page before it). `on_page` sees each page as it arrives,
    in the fetching thread. The first failure stops the rest: chains not yet started are
    cancelled and the error propagates.
    """
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")

    def fetch_chain(chain: Chain) -> list[Page]:
        pages = []
        for page in fetch_pages(session, chain.url, dict(chain.params), archive):
            if on_page is not None:
                on_page(page)
            pages.append(page)
        return pages

    if max_in_flight == 1 or len(chains) <= 1:
        return [fetch_chain(chain) for chain in chains]
    with ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="kolada") as pool:
        futures = [pool.submit(fetch_chain, chain) for chain in chains]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def fetch_values(
    session: requests.Session,
    base_url: str,
    kpis: Sequence[str],
    areas: Sequence[str],
    archive: RawArchive,
    from_date: datetime.date | None = None,
) -> Iterator[Page]:
    """Yield every data page for these KPIs and areas (all years), following next_url.

    Longer id lists are cut into chunks of 25 and every KPI chunk is asked for with every area
    chunk. With `from_date`, Kolada returns only values changed since that day.
    """
    for chain in value_chains(base_url, kpis, areas, from_date):
        yield from fetch_pages(session, chain.url, dict(chain.params), archive)


def fetch_kpis(
    session: requests.Session, base_url: str, kpi_ids: Sequence[str], archive: RawArchive
) -> Iterator[Page]:
    """Yield the metadata pages of these KPIs (`/kpi/{≤25 ids}`)."""
    for chain in kpi_chains(base_url, kpi_ids):
        yield from fetch_pages(session, chain.url, dict(chain.params), archive)


def fetch_municipalities(
    session: requests.Session, base_url: str, archive: RawArchive
) -> Iterator[Page]:
    """Yield the pages of `/municipality`: every municipality, region and Riket."""
    url = f"{base_url.rstrip('/')}/municipality"
    yield from fetch_pages(session, url, {"per_page": PER_PAGE}, archive)


def fetch_municipality_groups(
    session: requests.Session, base_url: str, archive: RawArchive
) -> Iterator[Page]:
    """Yield the pages of `/municipality_groups`, with each group's members."""
    url = f"{base_url.rstrip('/')}/municipality_groups"
    yield from fetch_pages(session, url, {"per_page": PER_PAGE}, archive)


def fetch_pages(
    session: requests.Session,
    url: str,
    params: dict[str, str | int] | None,
    archive: RawArchive,
) -> Iterator[Page]:
    """Yield the first page and every page its next_url chain leads to, each once."""
    page = fetch_page(session, url, params, archive)
    seen = {page.url}
    yield page
    while next_url := page.body.get("next_url"):
        if not isinstance(next_url, str):
            raise KoladaResponseError(f"{page.path}: next_url is {next_url!r}, not a URL")
        target = urljoin(page.url, next_url)
        if urlsplit(target)[:2] != urlsplit(page.url)[:2]:
            # Paging stays on the API that answered: never follow a link to another host.
            raise KoladaResponseError(
                f"{page.path}: next_url {next_url!r} leaves {urlsplit(page.url).netloc}; stopping"
            )
        if target in seen:
            raise KoladaResponseError(
                f"{page.path}: next_url {next_url!r} leads back to {target}, already fetched "
                "in this chain (a paging cycle); stopping"
            )
        seen.add(target)
        page = fetch_page(session, target, None, archive)
        yield page


def fetch_page(
    session: requests.Session,
    url: str,
    params: dict[str, str | int] | None,
    archive: RawArchive,
) -> Page:
    """GET one page, archive its body as received, then decode it.

    Failures are one line: what was asked for (the KPI and area chunk), and the HTTP status or
    the reason, never urllib3's connection-pool description.
    """
    try:
        response = session.get(url, params=params)
    except requests.RequestException as error:
        raise KoladaUnreachable(f"{describe_request(url)}: {failure_reason(error)}") from error
    path = archive.store(response.url, response.status_code, response.content)
    if response.status_code >= 400:
        kind = KoladaUnreachable if response.status_code >= 500 else KoladaRequestError
        raise kind(
            f"{describe_request(response.url)}: HTTP {response.status_code} "
            f"{_api_message(response.content)} (raw response: {path})"
        )
    return Page(url=response.url, path=path, body=decode_envelope(response.content, path))


def describe_request(url: str) -> str:
    """'values of KPIs N15428,N15601 (+3 more) for areas 1780,1781 (+14 more) [page 2]'."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    page = re.search(r"(?:^|&)page=(\d+)", parts.query)
    suffix = f" (page {page.group(1)})" if page and page.group(1) != "1" else ""
    if "data" in segments and "kpi" in segments and "municipality" in segments:
        at = segments.index("kpi")
        kpis, areas = segments[at + 1], segments[at + 3] if len(segments) > at + 3 else ""
        return f"values of KPIs {_id_list(kpis)} for areas {_id_list(areas)}{suffix}"
    if len(segments) >= 2 and segments[-2] == "kpi":
        return f"metadata of KPIs {_id_list(segments[-1])}{suffix}"
    return f"{parts.path or url}{suffix}"


def _id_list(segment: str, shown: int = 3) -> str:
    ids = [item for item in segment.split(",") if item]
    more = f" (+{len(ids) - shown} more)" if len(ids) > shown else ""
    return ",".join(ids[:shown]) + more


def chunk_ids(ids: Sequence[str], size: int = MAX_IDS) -> list[list[str]]:
    """Unique ids (first occurrence kept) in chunks of at most `size`."""
    unique = list(dict.fromkeys(ids))
    for item in unique:
        if not isinstance(item, str) or not ID_PATTERN.match(item):
            raise ValueError(f"not a Kolada id: {item!r} (letters and digits only)")
    return [unique[start : start + size] for start in range(0, len(unique), size)]


def decode_envelope(raw: bytes, path: Path) -> dict[str, Any]:
    """The JSON envelope of a body; UTF-8 with or without a byte-order mark (Kolada sends no
    charset header)."""
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise KoladaResponseError(f"{path}: not UTF-8 ({error})") from error
    except json.JSONDecodeError as error:
        raise KoladaResponseError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno}; "
            f"{len(raw)} bytes received, possibly truncated)"
        ) from error
    if not isinstance(body, dict):
        raise KoladaResponseError(f"{path}: expected a JSON object, got {type(body).__name__}")
    if not isinstance(body.get("values"), list):
        raise KoladaResponseError(f"{path}: the envelope has no `values` list")
    return body


# --- snapshots: the same Page objects, read from a folder ---------------------------------


def read_snapshot(snapshot_dir: Path, kpis: Sequence[str], areas: Sequence[str]) -> Iterator[Page]:
    """Yield one Page per requested KPI that the snapshot holds, with only the requested areas.

    A KPI the snapshot lacks yields nothing, as an empty Kolada answer would.
    """
    wanted_areas = set(areas)
    for kpi in dict.fromkeys(kpis):
        path = snapshot.data_path(snapshot_dir, kpi)
        if not path.exists():
            continue
        body = decode_envelope(path.read_bytes(), path)
        # Keep anything that is not a well-formed record, so the parser reports it.
        kept = [
            record
            for record in body["values"]
            if not isinstance(record, dict) or record.get("municipality") in wanted_areas
        ]
        yield Page(
            url=path.resolve().as_uri(),
            path=path,
            body={**body, "values": kept, "count": len(kept)},
        )


def read_snapshot_kpis(snapshot_dir: Path) -> Iterator[Page]:
    """Yield the snapshot's KPI metadata envelope, if it has one."""
    yield from _read_snapshot_file(snapshot.metadata_path(snapshot_dir, snapshot.KPI_FILE))


def read_snapshot_municipalities(snapshot_dir: Path) -> Iterator[Page]:
    yield from _read_snapshot_file(snapshot.metadata_path(snapshot_dir, snapshot.MUNICIPALITY_FILE))


def read_snapshot_municipality_groups(snapshot_dir: Path) -> Iterator[Page]:
    yield from _read_snapshot_file(
        snapshot.metadata_path(snapshot_dir, snapshot.MUNICIPALITY_GROUPS_FILE)
    )


def _read_snapshot_file(path: Path) -> Iterator[Page]:
    if path.exists():
        yield Page(
            url=path.resolve().as_uri(), path=path, body=decode_envelope(path.read_bytes(), path)
        )


# --- parsing --------------------------------------------------------------------------------


def parse_values(pages: Iterable[Page]) -> pl.DataFrame:
    """One row per KPI, area, period and gender. A missing value stays null, never 0.

    Raises KoladaResponseError naming the file and the record when a page breaks the v3 shape.
    """
    return combine_values([parse_value_page(page) for page in pages])


def parse_value_page(page: Page) -> pl.DataFrame:
    """One page's rows, unsorted: a fetching thread parses each page as it arrives, while the
    other requests wait on the network, and `combine_values` joins them."""
    columns: dict[str, list[Any]] = {name: [] for name in VALUE_COLUMNS}
    for index, record in enumerate(page.body["values"]):
        for row in _value_rows(page, index, record):
            for name, item in zip(columns, row, strict=True):
                columns[name].append(item)
    return pl.DataFrame(columns, schema={name: OBSERVATION_SCHEMA[name] for name in columns})


def combine_values(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """The parsed pages as one frame in OBSERVATION_SCHEMA, sorted by its key."""
    if not frames:
        frames = [pl.DataFrame(schema={name: OBSERVATION_SCHEMA[name] for name in VALUE_COLUMNS})]
    return conform(pl.concat(frames), OBSERVATION_SCHEMA).sort(OBSERVATION_KEY)


VALUE_COLUMNS = (
    *("series_id", "area_id", "period", "gender"),
    *("value", "count", "status", "is_deleted"),
)


def _value_rows(page: Page, index: int, record: Any) -> list[tuple[Any, ...]]:
    where = f"{page.path}: record {index}"
    if not isinstance(record, dict):
        raise KoladaResponseError(f"{where}: expected an object, got {type(record).__name__}")
    kpi, area, period = record.get("kpi"), record.get("municipality"), record.get("period")
    where = f"{where} (kpi {kpi!r}, municipality {area!r}, period {period!r})"
    if not isinstance(kpi, str) or not ID_PATTERN.match(kpi):
        raise KoladaResponseError(f"{where}: `kpi` must be an id string")
    if not isinstance(area, str) or not ID_PATTERN.match(area):
        raise KoladaResponseError(f"{where}: `municipality` must be an id string")
    if not isinstance(period, int) or isinstance(period, bool):
        raise KoladaResponseError(f"{where}: `period` must be an integer year")
    values = record.get("values")
    if not isinstance(values, list):
        raise KoladaResponseError(f"{where}: `values` must be a list")
    rows = []
    for position, item in enumerate(values):
        at = f"{where}, value {position}"
        if not isinstance(item, dict):
            raise KoladaResponseError(f"{at}: expected an object")
        gender, value = item.get("gender"), item.get("value", _ABSENT)
        # An unexpected gender code is a data-quality finding for the checks (which name it in
        # check_results); only a gender that is not text at all makes the page malformed.
        if not isinstance(gender, str) or not gender:
            raise KoladaResponseError(f"{at}: gender {gender!r} is not a code such as T, K or M")
        if value is _ABSENT:
            raise KoladaResponseError(f"{at}: no `value` key")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise KoladaResponseError(f"{at}: value {value!r} is not a number or null")
        count = item.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise KoladaResponseError(f"{at}: count {count!r} is not an integer")
        status = item.get("status") or ""
        if not isinstance(status, str):
            raise KoladaResponseError(f"{at}: status {status!r} is not text")
        is_deleted = _lenient_bool(item.get("isdeleted", item.get("is_deleted", False)), at)
        rows.append(
            (
                SERIES_PREFIX + kpi,
                area,
                period,
                gender,
                None if value is None else float(value),
                count,
                status,
                bool(is_deleted),
            )
        )
    return rows


_ABSENT = object()


def parse_kpis(pages: Iterable[Page], requested: Sequence[str] = ()) -> pl.DataFrame:
    """One row per KPI in SERIES_SCHEMA. A title ending "(-YYYY)" marks it discontinued; so does a
    requested KPI that Kolada no longer returns (it gets a row with a null title)."""
    rows: dict[str, dict[str, Any]] = {}
    for page in pages:
        for index, item in enumerate(page.body["values"]):
            where = f"{page.path}: KPI object {index}"
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise KoladaResponseError(f"{where}: expected an object with a string `id`")
            where = f"{where} ({item['id']})"
            title = item.get("title")
            if title is not None and not isinstance(title, str):
                raise KoladaResponseError(f"{where}: title {title!r} is not text")
            rows[item["id"]] = {
                "series_id": SERIES_PREFIX + item["id"],
                "source": SOURCE,
                "title": title,
                "is_divided_by_gender": _lenient_bool(item.get("is_divided_by_gender"), where),
                "municipality_type": item.get("municipality_type") or None,
                "latest_period": _lenient_int(item.get("publ_period"), where),
                "next_publication": _lenient_date(item.get("publication_date"), where),
                "is_discontinued": bool(title and DISCONTINUED_TITLE.search(title)),
            }
    for kpi in requested:
        if kpi not in rows:
            rows[kpi] = {
                "series_id": SERIES_PREFIX + kpi,
                "source": SOURCE,
                "is_discontinued": True,
            }
    frame = pl.DataFrame(
        list(rows.values()),
        schema={name: SERIES_SCHEMA[name] for name in _KPI_COLUMNS},
    )
    return conform(frame, SERIES_SCHEMA).sort("series_id")


_KPI_COLUMNS = (
    "series_id",
    "source",
    "title",
    "is_divided_by_gender",
    "municipality_type",
    "latest_period",
    "next_publication",
    "is_discontinued",
)


def parse_municipalities(pages: Iterable[Page]) -> pl.DataFrame:
    """area_id, title, type (K or L) of every municipality, region and Riket."""
    rows = []
    for page in pages:
        for index, item in enumerate(page.body["values"]):
            if not isinstance(item, dict) or not all(
                isinstance(item.get(key), str) for key in ("id", "title", "type")
            ):
                raise KoladaResponseError(
                    f"{page.path}: municipality object {index} needs string id, title and type"
                )
            rows.append({"area_id": item["id"], "title": item["title"], "type": item["type"]})
    schema = {"area_id": pl.String, "title": pl.String, "type": pl.String}
    return pl.DataFrame(rows, schema=schema).sort("area_id")


def parse_municipality_groups(pages: Iterable[Page]) -> pl.DataFrame:
    """One row per group member: group_id, title, member_id, member_title."""
    rows = []
    for page in pages:
        for index, item in enumerate(page.body["values"]):
            where = f"{page.path}: group object {index}"
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise KoladaResponseError(f"{where}: expected an object with a string `id`")
            members = item.get("members")
            if not isinstance(members, list):
                raise KoladaResponseError(f"{where} ({item['id']}): `members` must be a list")
            for member in members:
                if not isinstance(member, dict) or not isinstance(member.get("member_id"), str):
                    raise KoladaResponseError(f"{where} ({item['id']}): member without member_id")
                rows.append(
                    {
                        "group_id": item["id"],
                        "title": item.get("title"),
                        "member_id": member["member_id"],
                        "member_title": member.get("member_title"),
                    }
                )
    schema = dict.fromkeys(("group_id", "title", "member_id", "member_title"), pl.String)
    return pl.DataFrame(rows, schema=schema).sort("group_id", "member_id")


# --- helpers --------------------------------------------------------------------------------


def _lenient_bool(raw: Any, where: str) -> bool | None:
    """Kolada sends flags as true, 1, "1" or "True" depending on version and field."""
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    raise KoladaResponseError(f"{where}: {raw!r} is not a yes/no flag")


def _lenient_int(raw: Any, where: str) -> int | None:
    """publ_period comes as 2025, "2025", "" or null (null/empty for discontinued KPIs)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise KoladaResponseError(f"{where}: {raw!r} is not a year")


def _lenient_date(raw: Any, where: str) -> datetime.date | None:
    """publication_date as "2026-09-25" (a time part, if any, is dropped); empty means none."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw.strip()[:10])
        except ValueError:
            pass
    raise KoladaResponseError(f"{where}: {raw!r} is not a date")


def _api_message(raw: bytes) -> str:
    """The API's own words from an error body (JSON with an error/message key, or text)."""
    text = raw.decode("utf-8-sig", errors="replace").strip()
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        text = next((str(body[key]) for key in API_MESSAGE_KEYS if body.get(key)), text)
    # One line, short: an HTML error page must not flood the nightly mail.
    return " ".join(text.split())[:API_MESSAGE_LENGTH] or "(empty body)"


def _safe_name(url: str) -> str:
    """A short, readable file name for a URL; the hash keeps names of long id lists unique."""
    parts = urlsplit(url)
    path = parts.path.removeprefix("/v3/").strip("/")
    readable = SAFE_NAME.sub("_", f"{path}_{parts.query}".strip("_"))
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]
    return f"{readable[:SAFE_NAME_LENGTH]}-{digest}"
