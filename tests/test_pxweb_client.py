"""PxWeb client against the local server: /config limits, splitting, 429 Retry-After, archive."""

from __future__ import annotations

import polars as pl
import pytest
import requests

from sources.jsonstat import read_jsonstat
from sources.pxweb import CallBudget, Limits, PxWebError, fetch_table, split_query
from tests.pxweb_server import GENDERS, MEASURES, FakeTable, ServerState, serve_pxweb

VARMLAND = {
    "17": "Värmlands län",
    "1715": "Kil",
    "1730": "Eda",
    "1737": "Torsby",
    "1760": "Storfors",
    "1761": "Hammarö",
    "1762": "Munkfors",
    "1763": "Forshaga",
    "1764": "Grums",
    "1765": "Årjäng",
    "1766": "Sunne",
    "1780": "Karlstad",
    "1781": "Kristinehamn",
    "1782": "Filipstad",
    "1783": "Hagfors",
    "1784": "Arvika",
    "1785": "Säffle",
}
QUERY = {
    "Region": list(VARMLAND),
    "Kon": list(GENDERS),
    "AndelKonfidensintervall": list(MEASURES),
    "Tid": ["2017-2020", "2021-2024"],
}


class FakeTime:
    """A clock that moves only when the client sleeps, so no test depends on real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_split_cuts_the_largest_non_time_variable_first():
    query = {
        "Region": [str(i) for i in range(17)],
        "Kon": ["00", "01", "02"],
        "Tid": [str(y) for y in range(2000, 2020)],
    }
    parts = split_query(query, max_cells=200)
    assert all(len(p["Region"]) * len(p["Kon"]) * len(p["Tid"]) <= 200 for p in parts)
    assert all(p["Tid"] == query["Tid"] for p in parts)  # time is kept whole
    assert sorted(
        code for p in parts if p["Kon"] == ["00", "01", "02"] for code in p["Region"]
    ) == sorted(query["Region"], key=str)
    assert split_query(query, max_cells=10_000) == [query]


def test_split_falls_back_to_time_when_nothing_else_is_left():
    parts = split_query({"Region": ["1780"], "Tid": ["2020", "2021", "2022"]}, max_cells=2)
    assert [p["Tid"] for p in parts] == [["2020", "2021"], ["2022"]]


def test_fetch_splits_a_query_over_the_cell_limit_and_archives_each_response(tmp_path):
    state = ServerState(table=FakeTable(regions=VARMLAND), max_cells=100)
    fake = FakeTime()
    with serve_pxweb(state) as base_url, requests.Session() as session:
        result = fetch_table(
            session,
            base_url,
            "halsgodyreg",
            QUERY,
            tmp_path / "run1",
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert len(state.requests) == len(result.datasets) > 1
    for request in state.requests:
        cells = 1
        for codes in request["selection"].values():
            cells *= len(codes)
        assert cells <= 100
        assert request["selection"]["Tid"] == QUERY["Tid"]
    frame = pl.concat([read_jsonstat(d, survey="hlv") for d in result.datasets])
    assert frame.height == 17 * 3 * 2  # every region, gender and window, measures folded
    assert frame.select("area_id", "gender", "period").is_duplicated().sum() == 0
    data_files = sorted(p.name for p in (tmp_path / "run1").glob("halsgodyreg_part*.json"))
    assert len(data_files) == len(result.datasets)
    assert (tmp_path / "run1" / "config.json").exists()
    assert (tmp_path / "run1" / "manifest.json").exists()


def test_fetch_waits_for_retry_after_on_429_then_succeeds(tmp_path):
    state = ServerState(
        table=FakeTable(regions={"1780": "Karlstad"}), throttle_next=2, retry_after="7"
    )
    fake = FakeTime()
    with serve_pxweb(state) as base_url, requests.Session() as session:
        result = fetch_table(
            session,
            base_url,
            "t1",
            {**QUERY, "Region": ["1780"]},
            tmp_path,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert fake.sleeps == [7.0, 7.0]
    assert len(state.requests) == 3
    assert len(result.datasets) == 1
    statuses = sorted(p.name.rsplit("_", 1)[1] for p in tmp_path.glob("t1_part001_try*"))
    assert statuses == ["200.json", "429.json", "429.json"]


def test_fetch_gives_up_when_the_server_keeps_answering_429(tmp_path):
    state = ServerState(table=FakeTable(regions={"1780": "Karlstad"}), throttle_next=100)
    fake = FakeTime()
    with (
        serve_pxweb(state) as base_url,
        requests.Session() as session,
        pytest.raises(PxWebError, match="still 429"),
    ):
        fetch_table(
            session,
            base_url,
            "t1",
            {**QUERY, "Region": ["1780"]},
            tmp_path,
            sleep=fake.sleep,
            clock=fake.clock,
        )


def test_a_refused_query_raises_with_the_servers_reason(tmp_path):
    state = ServerState(table=FakeTable(regions={"1780": "Karlstad"}))
    with (
        serve_pxweb(state) as base_url,
        requests.Session() as session,
        pytest.raises(PxWebError, match="HTTP 400: Non-existent value"),
    ):
        fetch_table(
            session,
            base_url,
            "t1",
            {**QUERY, "Region": ["9999"]},
            tmp_path,
            sleep=FakeTime().sleep,
        )


def test_a_single_cell_over_the_limit_cannot_be_split():
    with pytest.raises(PxWebError, match="one cell exceeds"):
        split_query({"Region": ["1780"], "Tid": ["2022"]}, max_cells=0)


def test_call_budget_waits_when_the_window_is_full():
    fake = FakeTime()
    budget = CallBudget(Limits(max_cells=10, max_calls=3, time_window=10.0), fake.clock, fake.sleep)
    for _ in range(3):
        budget.wait_for_slot()
    assert fake.sleeps == []
    budget.wait_for_slot()
    assert fake.sleeps == [10.0]


def test_wildcard_selections_are_refused_before_any_request(tmp_path):
    with pytest.raises(ValueError, match="explicit value codes"):
        fetch_table(requests.Session(), "http://127.0.0.1:9", "t", {"Region": ["*"]}, tmp_path)
