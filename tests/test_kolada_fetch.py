"""The Kolada client against the local Kolada-compatible server, over real HTTP."""

from __future__ import annotations

import datetime
import json
import math
import time
from pathlib import Path

import polars as pl
import pytest
import urllib3.util.retry

from sources.http import make_session
from sources.kolada import (
    MAX_IDS,
    KoladaRequestError,
    KoladaResponseError,
    KoladaUnreachable,
    RawArchive,
    fetch_kpis,
    fetch_municipalities,
    fetch_municipality_groups,
    fetch_pages,
    fetch_values,
    parse_kpis,
    parse_municipalities,
    parse_values,
    read_snapshot,
)
from tests import kolada_server as server_module
from tests.kolada_server import SAMPLE_DIR, KoladaServer

COUNTY_MEMBERS = "1715 1730 1737 1760 1761 1762 1763 1764 1765 1766 1780 1781 1782 1783 1784 1785"
COUNTY_AREAS = [*COUNTY_MEMBERS.split(" "), "0017", "G33624", "0000"]

# The shared fixtures of tests/kolada_server.py, made visible to this module.
kolada_server = server_module.kolada_server
empty_kolada_server = server_module.empty_kolada_server


@pytest.fixture
def session():
    # A tiny backoff keeps retry tests fast; the policy is otherwise the production one.
    with make_session(backoff_factor=0.01, total_retries=3) as polite:
        yield polite


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw", "run-1")


@pytest.fixture
def no_sleep(monkeypatch):
    """Record urllib3's retry sleeps instead of sleeping (no test waits on Retry-After)."""
    slept: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", slept.append)
    return slept


def ids(prefix: str, how_many: int) -> list[str]:
    return [f"{prefix}{number:05d}" for number in range(1, how_many + 1)]


def test_60_kpis_by_30_areas_take_the_minimal_number_of_requests(
    empty_kolada_server: KoladaServer, session, archive
):
    kpis, areas = ids("N", 60), [f"{number:04d}" for number in range(1700, 1730)]
    for kpi in kpis:
        for area in areas[::7]:
            empty_kolada_server.add_value(kpi, area, 2022, "T", 1.0)
    pages = list(fetch_values(session, empty_kolada_server.base_url, kpis, areas, archive))
    minimal = math.ceil(60 / MAX_IDS) * math.ceil(30 / MAX_IDS)
    assert minimal == 6
    assert len(pages) == minimal
    assert session.requests_made == minimal
    assert empty_kolada_server.requests_received == minimal
    assert parse_values(pages).height == 60 * len(areas[::7])
    for path in empty_kolada_server.request_log:
        kpi_segment, area_segment = path.split("/")[4], path.split("/")[6].split("?")[0]
        assert len(kpi_segment.split(",")) <= MAX_IDS
        assert len(area_segment.split(",")) <= MAX_IDS
        assert "per_page=5000" in path


@pytest.mark.parametrize("style", ["path", "query", "absolute"])
def test_paging_over_several_pages_returns_every_value_once(style, session, archive):
    kpis = ["N15428", "N20402", "U01405"]
    with KoladaServer(SAMPLE_DIR, max_per_page=40, next_url_style=style) as server:
        pages = list(fetch_values(session, server.base_url, kpis, COUNTY_AREAS, archive))
        log = list(server.request_log)
    fetched = parse_values(pages)
    expected = parse_values(read_snapshot(SAMPLE_DIR, kpis, COUNTY_AREAS))
    records = sum(len(page.body["values"]) for page in pages)
    assert len(pages) == math.ceil(records / 40) > 3
    assert fetched.equals(expected)
    assert fetched.select("series_id", "area_id", "period", "gender").is_duplicated().sum() == 0
    assert len(log) == len(pages) == session.requests_made
    assert all("page=" in path for path in log[1:])


def test_every_page_is_archived_byte_for_byte_before_parsing(kolada_server, session, archive):
    pages = list(fetch_values(session, kolada_server.base_url, ["N15613"], COUNTY_AREAS, archive))
    assert len(pages) == 1
    stored = pages[0].path.read_bytes()
    assert json.loads(stored) == pages[0].body
    assert pages[0].path.parent == archive.directory
    index = [
        json.loads(line) for line in (archive.directory / "index.jsonl").read_text().splitlines()
    ]
    assert index == [
        {"file": pages[0].path.name, "url": pages[0].url, "status": 200, "bytes": len(stored)}
    ]


def test_session_sends_a_descriptive_user_agent(kolada_server, session, archive):
    list(fetch_kpis(session, kolada_server.base_url, ["N15428"], archive))
    assert kolada_server.user_agents[0].startswith("aktuellt/0.1 (+Aktuellt perspektiv;")


@pytest.mark.slow
def test_429_with_retry_after_is_retried_after_the_servers_wait(
    kolada_server, session, archive, no_sleep
):
    kolada_server.faults.status_429 = 2
    kolada_server.faults.retry_after = 7
    pages = list(fetch_values(session, kolada_server.base_url, ["N15613"], ["1715"], archive))
    assert parse_values(pages).height == 3
    assert session.requests_made == 3
    assert no_sleep.count(7) == 2


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["status_500", "drop_connection"])
def test_transient_fault_within_the_retry_budget_recovers(fault, kolada_server, session, archive):
    setattr(kolada_server.faults, fault, 3)
    pages = list(fetch_values(session, kolada_server.base_url, ["N15613"], ["1715"], archive))
    assert parse_values(pages).height == 3
    assert session.requests_made == 4
    assert len(archive.files) == 1  # only the good answer reached the client


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["status_500", "drop_connection"])
def test_transient_fault_beyond_the_retry_budget_is_unreachable(
    fault, kolada_server, session, archive
):
    setattr(kolada_server.faults, fault, 10)
    with pytest.raises(KoladaUnreachable, match="values of KPIs N15613 for areas 1715") as caught:
        list(fetch_values(session, kolada_server.base_url, ["N15613"], ["1715"], archive))
    assert session.requests_made == 4  # the first try and three retries
    # One short line: what failed and why, no URL twice, no connection-pool description.
    message = str(caught.value)
    assert "\n" not in message and len(message) < 120, message
    assert "Pool" not in message and "Max retries" not in message
    assert ("HTTP 500" if fault == "status_500" else "connection dropped") in message


@pytest.mark.slow
def test_read_timeout_is_retried_then_reported_as_unreachable(kolada_server, archive):
    kolada_server.faults.latency = 1.0
    with make_session(total_retries=1, backoff_factor=0.01, timeout=0.05) as impatient:
        with pytest.raises(KoladaUnreachable, match="metadata of KPIs N15428: read timed out"):
            list(fetch_kpis(impatient, kolada_server.base_url, ["N15428"], archive))
        assert impatient.requests_made == 2


def test_closed_port_is_unreachable(archive):
    with KoladaServer() as server:
        base_url = server.base_url
    with make_session(total_retries=1, backoff_factor=0.01) as polite:
        with pytest.raises(
            KoladaUnreachable, match=r"^metadata of KPIs N15428: connection refused$"
        ):
            list(fetch_kpis(polite, base_url, ["N15428"], archive))
        assert polite.requests_made == 2


@pytest.mark.slow
@pytest.mark.slow
def test_a_body_cut_off_mid_stream_is_retried(kolada_server, session, archive):
    kolada_server.faults.cut_body = 2  # IncompleteRead twice, then the whole body
    pages = list(fetch_values(session, kolada_server.base_url, ["N15613"], ["1715"], archive))
    assert parse_values(pages).height == 3
    assert session.requests_made == 3
    assert len(archive.files) == 1  # only the complete answer was archived and parsed


@pytest.mark.slow
def test_a_body_cut_off_past_the_retry_budget_is_unreachable(kolada_server, session, archive):
    kolada_server.faults.cut_body = 10
    with pytest.raises(KoladaUnreachable, match="values of KPIs N15613 for areas 1715"):
        list(fetch_values(session, kolada_server.base_url, ["N15613"], ["1715"], archive))
    assert session.requests_made == 4


@pytest.mark.slow
def test_a_drip_fed_answer_ends_at_the_request_deadline(kolada_server, archive):
    # A byte every 0.2 s: every socket read succeeds well within the 5 s read timeout, so only
    # the wall-clock deadline can end the request.
    kolada_server.faults.drip_feed = 100
    kolada_server.faults.drip_interval = 0.2
    with make_session(total_retries=2, backoff_factor=0.01, timeout=5, request_deadline=1.0) as s:
        started = time.monotonic()
        with pytest.raises(KoladaUnreachable, match="request deadline of 1 s"):
            list(fetch_kpis(s, kolada_server.base_url, ["N15428"], archive))
        assert time.monotonic() - started < 3.0
    assert archive.files == []  # nothing partial was archived as an answer


@pytest.mark.slow
def test_all_requests_together_end_at_the_fetch_deadline(kolada_server, archive):
    kolada_server.faults.latency = 0.3
    with make_session(total_retries=0, timeout=5, request_deadline=60) as polite:
        polite.start_fetch_deadline(1.0)
        started = time.monotonic()
        with pytest.raises(KoladaUnreachable, match="fetch deadline of 1 s"):
            for kpi in ids("N", 20):
                list(fetch_kpis(polite, kolada_server.base_url, [kpi], archive))
        assert time.monotonic() - started < 2.5
        assert polite.requests_made <= 4


def test_truncated_json_fails_naming_the_file_and_keeps_earlier_pages(session, archive):
    with KoladaServer(SAMPLE_DIR, max_per_page=50) as server:
        pages = fetch_values(session, server.base_url, ["N15428"], COUNTY_AREAS, archive)
        first = next(pages)
        server.faults.truncate_json = 1
        with pytest.raises(KoladaResponseError, match="not valid JSON") as caught:
            next(pages)
    files = archive.files
    assert len(files) == 2
    assert files[0] == first.path and json.loads(files[0].read_bytes()) == first.body
    assert str(files[1]) in str(caught.value)
    assert files[1].read_bytes().startswith(b'{"values":[')  # the half page, as received
    assert session.requests_made == 2  # a malformed 200 is not retried


def test_next_url_cycle_fails_after_the_page_that_repeats(kolada_server, session, archive):
    kolada_server.faults.next_url_cycle = True
    with pytest.raises(KoladaResponseError, match="paging cycle"):
        list(fetch_values(session, kolada_server.base_url, ["N15613"], COUNTY_AREAS, archive))
    assert len(archive.files) == 2
    assert session.requests_made == 2


def test_more_than_25_ids_is_a_request_error_naming_url_and_api_message(
    kolada_server, session, archive
):
    url = f"{kolada_server.base_url}/data/kpi/{','.join(ids('N', 26))}/municipality/1780"
    with pytest.raises(KoladaRequestError) as caught:
        list(fetch_pages(session, url, {"per_page": 5000}, archive))
    message = str(caught.value)
    assert "HTTP 400" in message and "KPIs N00001,N00002,N00003 (+23 more)" in message
    assert "Too many values for kpi: 26" in message
    assert session.requests_made == 1  # a 4xx is never retried
    assert len(archive.files) == 1  # the error body is kept too


def test_from_date_returns_only_values_changed_since(kolada_server, session, archive):
    today = datetime.date(2026, 7, 6)
    kolada_server.set_value("N15428", "1780", 2024, "T", 91.0, changed_at=today)
    kolada_server.add_value("N15428", "1780", 2026, "T", 92.0, changed_at=today)
    kolada_server.delete_value("N15428", "1784", 2022, "K", changed_at=today)
    since = datetime.date(2026, 7, 1)
    pages = list(
        fetch_values(session, kolada_server.base_url, ["N15428"], COUNTY_AREAS, archive, since)
    )
    assert "from_date=2026-07-01" in kolada_server.request_log[0]
    changes = parse_values(pages).select("area_id", "period", "gender", "value", "is_deleted")
    assert changes.rows() == [
        ("1780", 2024, "T", 91.0, False),
        ("1780", 2026, "T", 92.0, False),
        ("1784", 2022, "K", None, True),
    ]
    full = parse_values(
        fetch_values(session, kolada_server.base_url, ["N15428"], ["1784"], archive)
    )
    assert full.filter(pl.col("period") == 2022).get_column("gender").to_list() == ["M", "T"]


def test_metadata_endpoints_parse_over_http(kolada_server, session, archive):
    kolada_server.remove_kpi("N17461")
    kpis = parse_kpis(
        fetch_kpis(session, kolada_server.base_url, ["N15428", "N17461"], archive),
        requested=["N15428", "N17461"],
    )
    assert kpis.filter(pl.col("series_id") == "kolada:N17461").item(0, "is_discontinued")
    municipalities = parse_municipalities(
        fetch_municipalities(session, kolada_server.base_url, archive)
    )
    assert "0017" in municipalities["area_id"].to_list()
    groups = list(fetch_municipality_groups(session, kolada_server.base_url, archive))
    assert groups[0].body["values"][0]["id"] == "G33624"


def test_a_very_long_retry_after_is_capped_so_the_nightly_job_cannot_stall() -> None:
    from sources.http import RETRY_AFTER_MAX, make_retry

    retry = make_retry()
    assert retry.parse_retry_after("7") == 7
    assert retry.parse_retry_after("86400") == RETRY_AFTER_MAX
    assert retry.new(total=1).parse_retry_after("86400") == RETRY_AFTER_MAX  # kept on retries


def test_paging_never_follows_a_next_url_to_another_host(tmp_path: Path) -> None:
    from sources.kolada import KoladaResponseError, RawArchive, fetch_pages

    class OneHop:
        """A session whose first answer points its next_url at another host."""

        requests_made = 0

        def get(self, url: str, params: object = None) -> object:
            body = b'{"values": [], "count": 0, "next_url": "http://elsewhere.invalid/v3/x"}'
            return type("Response", (), {"url": url, "status_code": 200, "content": body})()

    archive = RawArchive(tmp_path, "run")
    with pytest.raises(KoladaResponseError, match=r"leaves 127\.0\.0\.1"):
        list(fetch_pages(OneHop(), "http://127.0.0.1:1/v3/kpi/N15428", None, archive))  # type: ignore[arg-type]
