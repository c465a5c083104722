"""Several counties in one warehouse: one refresh fetches, checks, loads and assesses them all."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from config import Settings, load_settings
from models.areas import county_areas, followed_area_ids
from pipelines.refresh import kolada_kpis, load_indicators, run_refresh
from pipelines.warehouse import read_query
from reports.inputs import load_report_inputs
from sources.http import PoliteSession, make_session
from sources.kolada import MAX_IDS, PER_PAGE, chunk_ids
from tests.kolada_server import KoladaServer, county_snapshots

from .conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

VARMLAND, OREBRO = "0017", "0018"


def quick_session() -> PoliteSession:
    return make_session(total_retries=2, backoff_factor=0.01, timeout=10)


def settings_for(tmp_path: Path, server: KoladaServer, counties: Sequence[str] | str) -> Settings:
    return load_settings(
        {
            "data_dir": tmp_path / "data",
            "kolada_url": server.base_url,
            "counties": [counties] if isinstance(counties, str) else list(counties),
        },
        env={},
        cwd=tmp_path,
    )


def minimal_requests(server: KoladaServer, settings: Settings) -> int:
    """The fewest requests the API's limits allow: every KPI chunk of 25 with every area chunk of
    25, one page per 5000 records, plus one metadata request per KPI chunk."""
    kpis = kolada_kpis(load_indicators(settings))
    areas = followed_area_ids([county_areas(c) for c in settings.county_ids])
    pages = sum(
        max(1, math.ceil(len(server.data_records(k, a, None)) / PER_PAGE))
        for k in chunk_ids(kpis)
        for a in chunk_ids(areas)
    )
    return pages + math.ceil(len(kpis) / MAX_IDS)


def status_areas(settings: Settings) -> set[str]:
    rows = read_query(settings.db_path, "SELECT DISTINCT area_id FROM progress")
    return set(rows["area_id"].to_list())


@pytest.fixture(scope="module")
def two_county_folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return county_snapshots(tmp_path_factory.mktemp("snapshots"), [VARMLAND, OREBRO])


@pytest.fixture
def two_counties(two_county_folders: list[Path]) -> Iterator[KoladaServer]:
    with KoladaServer(two_county_folders) as server:
        yield server


def test_two_counties_through_a_full_and_an_incremental_refresh_with_both_reports(
    tmp_path: Path, two_counties: KoladaServer
) -> None:
    server = two_counties
    settings = settings_for(tmp_path, server, [VARMLAND, OREBRO])
    assert settings.max_in_flight == 3

    full = run_refresh(settings, full=True, session=quick_session())

    assert full.exit_code == 0, full.message
    assert full.check_report is not None and full.check_report.failures.is_empty()
    assert full.requests == minimal_requests(server, settings)
    assert 1 < server.max_in_flight_seen <= settings.max_in_flight
    varmland, orebro = county_areas(VARMLAND), county_areas(OREBRO)
    assert status_areas(settings) == set(varmland.area_ids) | set(orebro.area_ids)
    counts = full.check_report.results.filter(pl.col("expectation").str.contains("row_count"))
    assert counts.is_empty()  # nothing stored before: no county has a size to keep

    latest_sql = (
        "SELECT area_id, latest_year, latest_value FROM progress "
        "WHERE indicator_id = 'behoriga_yrkesprogram' AND catalog_id = 'np2022' "
        "AND gender = 'T' AND area_id IN ('1780', '1880') ORDER BY area_id"
    )
    years = dict(read_query(settings.db_path, latest_sql).select("area_id", "latest_year").rows())
    server.set_value("N15428", "1780", years["1780"], "T", 95.5)  # Karlstad revised
    server.set_value("N15428", "1880", years["1880"], "T", 77.5)  # Örebro revised
    server.clear_log()
    nightly = run_refresh(settings, session=quick_session())

    assert (nightly.exit_code, nightly.kind, nightly.outcome) == (0, "incremental", "success")
    assert nightly.counts is not None and nightly.counts.revised == 2
    assert nightly.check_report is not None and nightly.check_report.passed
    latest = read_query(settings.db_path, latest_sql).select("area_id", "latest_value")
    assert latest.rows() == [("1780", 95.5), ("1880", 77.5)]

    runner = CliRunner()
    for county, region_name, municipality in (
        (VARMLAND, "Region Värmland", "Karlstad"),
        (OREBRO, "Region Örebro län", "Örebro"),
    ):
        out = tmp_path / f"report-{county}"
        made = runner.invoke(
            app,
            [
                *("report", "--county", county, "--no-pdf", "--out", str(out)),
                *("--db", str(settings.db_path), "--area", county),
            ],
        )
        assert made.exit_code == 0, made.output
        index = (out / "index.html").read_text(encoding="utf-8")
        assert region_name in index and "Följda län" in index
        assert f"{region_name} ({county}) – den här rapporten" in index
        assert municipality in index

    # Status for another report year: both counties recomputed together, each as it is alone.
    config = tmp_path / "aktuellt.toml"
    config.write_text(f'counties = ["{VARMLAND}", "{OREBRO}"]\n', encoding="utf-8")
    shown = runner.invoke(
        app,
        [
            *("status", "--catalog", "np2022", "--year", "2022", "--format", "csv"),
            *("--db", str(settings.db_path)),
        ],
        env={"AKTUELLT_CONFIG": str(config)},
    )
    assert shown.exit_code == 0, shown.output
    together = pl.read_csv(shown.stdout.encode(), schema_overrides={"area_id": pl.String})
    key = ["area_id", "catalog_id", "indicator_id", "gender"]
    assert together.select(key).is_duplicated().sum() == 0  # Riket once
    assert set(together["area_id"]) == set(varmland.area_ids) | set(orebro.area_ids)
    compared = ["area_id", "indicator_id", "gender", "latest_value", "change", "status"]
    for scope in (varmland, orebro):
        alone = load_report_inputs(settings, "np2022", 2022, scope.county_id).progress.filter(
            pl.col("gender") == "T"  # status's default
        )
        assert (
            together.filter(pl.col("area_id").is_in(scope.area_ids))
            .select(compared)
            .sort(compared[:3])
            .equals(alone.select(compared).sort(compared[:3]))
        )


def test_a_county_added_later_is_loaded_without_touching_the_first_countys_history(
    tmp_path: Path, two_counties: KoladaServer
) -> None:
    server = two_counties
    first = settings_for(tmp_path, server, VARMLAND)
    assert run_refresh(first, full=True, session=quick_session()).exit_code == 0
    history_sql = "SELECT * FROM observations WHERE list_contains(?, area_id) ORDER BY ALL"
    varmland_ids = county_areas(VARMLAND).area_ids
    before = read_query(first.db_path, history_sql, [varmland_ids])

    both = settings_for(tmp_path, server, [VARMLAND, OREBRO])
    server.clear_log()
    added = run_refresh(both, session=quick_session())

    assert added.exit_code == 0, added.message
    assert added.kind == "incremental" and any("0018" in note for note in added.notes)
    # Värmland (and Riket) asked since the last run, Örebro's own areas in full
    data = [entry for entry in server.request_log if "/data/" in entry]
    assert any("from_date" in e and "1780" in e for e in data)
    assert any("from_date" not in e and "1880" in e and "0000" not in e for e in data)
    assert read_query(first.db_path, history_sql, [varmland_ids]).equals(before)
    orebro = read_query(
        both.db_path,
        "SELECT count(*) AS n FROM current_observations WHERE area_id = '1880'",
    )
    assert orebro["n"][0] > 100
    assert {"1880", "0018"} <= status_areas(both)


def test_a_night_with_nothing_new_neither_validates_nor_starts_great_expectations(
    tmp_path: Path, two_counties: KoladaServer
) -> None:
    settings = settings_for(tmp_path, two_counties, [VARMLAND, OREBRO])
    assert run_refresh(settings, full=True, session=quick_session()).exit_code == 0
    docs = sorted(p.stat().st_mtime_ns for p in settings.checks_dir.rglob("*.html"))
    program = (
        "import atexit, subprocess, sys\n"
        "started = []\n"
        "class Counted(subprocess.Popen):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        started.append(args)\n"
        "        super().__init__(*args, **kwargs)\n"
        "subprocess.Popen = Counted\n"
        "atexit.register(lambda: print('GX imported:', 'great_expectations' in sys.modules,"
        " 'processes started:', len(started), file=sys.stderr))\n"
        "from cli import app\n"
        "app()\n"
    )
    for extra in ([], ["--full"]):  # the nightly run, then the weekly reload
        night = subprocess.run(
            [
                *(sys.executable, "-c", program, "refresh", "--data", str(tmp_path / "data")),
                *("--county", VARMLAND, "--county", OREBRO, *extra),
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env={**os.environ, "AKTUELLT_KOLADA_URL": two_counties.base_url},
            timeout=300,
            check=False,
        )

        assert night.returncode == 0, night.stderr
        assert "GX imported: False processes started: 0" in night.stderr  # no check worker
        assert "no_change" in night.stdout and "no validation ran" in night.stdout
        assert "status rows not recomputed" in night.stdout
        assert sorted(p.stat().st_mtime_ns for p in settings.checks_dir.rglob("*.html")) == docs
        run = read_query(
            settings.db_path, "SELECT outcome, error FROM runs ORDER BY started_at DESC LIMIT 1"
        ).row(0)
        assert run[0] == "no_change" and "no validation ran" in run[1]
    checked = read_query(settings.db_path, "SELECT DISTINCT run_id FROM check_results")
    assert checked.height == 1  # only the full load was validated


def test_checks_docs_rebuilds_the_data_docs_on_request(
    tmp_path: Path, two_counties: KoladaServer
) -> None:
    settings = settings_for(tmp_path, two_counties, VARMLAND)
    assert run_refresh(settings, full=True, session=quick_session()).exit_code == 0
    for page in settings.checks_dir.rglob("data_docs"):
        for html in page.rglob("*.html"):
            html.unlink()
    built = CliRunner().invoke(app, ["checks", "docs", "--data", str(tmp_path / "data")])
    assert built.exit_code == 0, built.output
    assert "index.html" in built.stdout
    assert any(settings.checks_dir.rglob("index.html"))


def test_requests_in_flight_never_exceed_the_setting(
    tmp_path: Path, two_counties: KoladaServer
) -> None:
    two_counties.faults.latency = 0.05  # so that requests overlap
    settings = settings_for(tmp_path, two_counties, [VARMLAND, OREBRO])
    settings = dataclasses.replace(settings, max_in_flight=2)
    result = run_refresh(settings, full=True, session=quick_session())
    assert result.exit_code == 0, result.message
    assert two_counties.max_in_flight_seen == 2
    assert result.requests == minimal_requests(two_counties, settings)


def test_a_retry_after_pauses_every_request_in_flight(
    tmp_path: Path, two_counties: KoladaServer
) -> None:
    two_counties.faults.status_429 = 1
    two_counties.faults.retry_after = 1
    session = quick_session()
    settings = settings_for(tmp_path, two_counties, [VARMLAND, OREBRO])
    result = run_refresh(settings, full=True, session=session)
    assert result.exit_code == 0, result.message
    assert session.gate.pauses == 1
    assert result.requests == minimal_requests(two_counties, settings) + 1  # the one 429


def test_the_server_answers_koladapys_query_form_like_the_path_form(
    two_counties: KoladaServer,
) -> None:
    session = quick_session()
    path_form = session.get(
        f"{two_counties.base_url}/data/kpi/N15428,N17461/municipality/1780,1880,0000"
    ).json()
    query_form = session.get(
        f"{two_counties.base_url}/data/",
        params={"kpi_id": ["N15428", "N17461"], "municipality_id": ["1780", "1880", "0000"]},
    ).json()
    assert query_form["values"] and query_form["values"] == path_form["values"]
    too_many = session.get(
        f"{two_counties.base_url}/data/",
        params={"kpi_id": [f"N{n:05d}" for n in range(26)], "municipality_id": "1780"},
    )
    assert too_many.status_code == 400 and "kpi_id" in json.loads(too_many.content)["error"]


@pytest.mark.parametrize("county_option", ["all"])
def test_all_21_counties_refresh_with_no_failed_check_in_the_fewest_requests(
    tmp_path: Path, county_option: str
) -> None:
    every = load_settings({"counties": [county_option]}, env={}).county_ids
    assert len(every) == 21
    with KoladaServer(county_snapshots(tmp_path / "snapshots", every)) as server:
        settings = settings_for(tmp_path, server, county_option)
        result = run_refresh(settings, full=True, session=quick_session())

        assert result.exit_code == 0, result.message
        assert result.check_report is not None
        assert result.check_report.failures.is_empty(), result.check_report.describe_failures()
        assert result.requests == minimal_requests(server, settings)
        regions = read_query(
            settings.db_path,
            "SELECT count(DISTINCT area_id) AS n FROM progress WHERE area_id LIKE '00%' "
            "AND area_id <> '0000'",
        )
        assert regions["n"][0] == 21

        # The weekly full reload: each county is held against its own size, none against
        # another's (the row-count check that failed 17 of 21 counties one after another).
        server.set_value("N15428", "1880", 2022, "T", 77.5)
        again = run_refresh(settings, full=True, session=quick_session())
        assert (again.exit_code, again.outcome) == (0, "success"), again.message
        assert again.check_report is not None and again.check_report.failures.is_empty()
        sizes = again.check_report.results.filter(pl.col("expectation").str.contains("row_count"))
        assert sizes.height == 21
