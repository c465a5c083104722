"""The nightly refresh end to end: a real local Kolada, a real warehouse file, real checks."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from config import Settings, load_settings
from pipelines.refresh import (
    EXIT_CHECKS_FAILED,
    EXIT_SOURCE_FAILED,
    kolada_kpis,
    run_refresh,
)
from pipelines.warehouse import open_for_refresh, read_query
from sources.http import PoliteSession, make_session
from tests.kolada_server import KoladaServer

from .conftest import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"
pytestmark = pytest.mark.slow


def quick_session() -> PoliteSession:
    return make_session(total_retries=2, backoff_factor=0.01, timeout=5)


def settings_for(tmp_path: Path, kolada_url: str = "http://127.0.0.1:9/v3") -> Settings:
    return load_settings({"data_dir": tmp_path / "data", "kolada_url": kolada_url}, env={})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def value_history(settings: Settings, area: str, period: int) -> pl.DataFrame:
    return read_query(
        settings.db_path,
        "SELECT value, valid_to IS NULL AS current FROM observations "
        "WHERE series_id = 'kolada:N15428' AND area_id = ? AND period = ? AND gender = 'T' "
        "ORDER BY valid_from",
        [area, period],
    )


@pytest.fixture
def server() -> Iterator[KoladaServer]:
    with KoladaServer(SAMPLE) as running:
        yield running


def test_nightly_run_keeps_revisions_closes_deletions_and_fetches_with_from_date(
    tmp_path: Path, server: KoladaServer
) -> None:
    settings = settings_for(tmp_path, server.base_url)
    first = run_refresh(settings, full=True, session=quick_session())
    assert first.exit_code == 0, first.message
    assert first.counts is not None and first.counts.inserted > 5000
    assert not any("from_date" in entry for entry in server.request_log)

    server.set_value("N15428", "1780", 2022, "T", 95.5)  # revised
    server.add_value("N15428", "1780", 2026, "T", 91.0)  # a new year published
    server.delete_value("N15428", "1784", 2022, "T")  # removed
    server.clear_log()
    second = run_refresh(settings, session=quick_session())

    assert second.exit_code == 0, second.message
    assert second.kind == "incremental" and second.from_date is not None
    data_requests = [entry for entry in server.request_log if "/data/" in entry]
    assert data_requests and all(
        f"from_date={second.from_date.isoformat()}" in entry for entry in data_requests
    )
    assert second.counts is not None
    assert (second.counts.revised, second.counts.inserted, second.counts.removed) == (1, 1, 1)
    revised = value_history(settings, "1780", 2022)
    assert revised.rows() == [(pytest.approx(89.12601626), False), (95.5, True)]
    removed = value_history(settings, "1784", 2022)
    assert removed["current"].to_list() == [False]
    assert value_history(settings, "1780", 2026).rows() == [(91.0, True)]
    karlstad = read_query(
        settings.db_path,
        "SELECT latest_year, latest_value FROM progress WHERE catalog_id = 'np2022' "
        "AND indicator_id = 'behoriga_yrkesprogram' AND area_id = '1780' AND gender = 'T'",
    )
    assert karlstad.rows() == [(2026, 91.0)]  # the status follows the newly published year
    runs = read_query(settings.db_path, "SELECT kind, outcome FROM runs ORDER BY started_at")
    assert runs.rows() == [("full", "success"), ("incremental", "success")]


def test_full_refresh_makes_the_minimal_number_of_requests(
    tmp_path: Path, server: KoladaServer
) -> None:
    settings = settings_for(tmp_path, server.base_url)
    result = run_refresh(settings, full=True, session=quick_session())
    kpis = kolada_kpis(read_query(settings.db_path, "SELECT * FROM indicators"))
    kpi_chunks = -(-len(kpis) // 25)
    # one data request and one metadata request per 25-KPI chunk: 19 areas fit one segment
    assert result.requests == 2 * kpi_chunks


def test_refresh_that_finds_nothing_new_publishes_nothing_and_says_so(
    tmp_path: Path, server: KoladaServer
) -> None:
    settings = settings_for(tmp_path, server.base_url)
    run_refresh(settings, full=True, session=quick_session())
    before = read_query(settings.db_path, "SELECT count(*) AS n, max(run_id) AS run FROM progress")
    history = read_query(settings.db_path, "SELECT count(*) AS n FROM observations")

    result = run_refresh(settings, session=quick_session())

    assert (result.exit_code, result.outcome, result.published) == (0, "no_change", False)
    assert "nothing new" in result.message
    assert read_query(
        settings.db_path, "SELECT count(*) AS n, max(run_id) AS run FROM progress"
    ).equals(before)
    assert read_query(settings.db_path, "SELECT count(*) AS n FROM observations").equals(history)
    outcomes = read_query(settings.db_path, "SELECT outcome FROM runs ORDER BY started_at")
    assert outcomes["outcome"].to_list() == ["success", "no_change"]


def broken_snapshot(tmp_path: Path) -> Path:
    """The sample with an out-of-range share, an unknown gender and a duplicate key.

    Read as a snapshot: a Kolada server cannot serve a duplicate key, a file can hold one.
    """
    copy = tmp_path / "snapshot"
    shutil.copytree(SAMPLE, copy)
    path = copy / "kolada" / "data" / "N15428.json"
    envelope = json.loads(path.read_text(encoding="utf-8-sig"))
    records = envelope["values"]
    first = next(r for r in records if r["municipality"] == "1780" and r["period"] == 2020)
    first["values"][0]["value"] = 104.2
    first["values"].append(
        {"gender": "X", "count": 1, "status": "", "value": 50.0, "isdeleted": False}
    )
    records.append(json.loads(json.dumps(records[0])))
    envelope["count"] = len(records)
    path.write_text(json.dumps(envelope), encoding="utf-8")
    return copy


def test_bad_batch_fails_the_checks_publishes_nothing_and_keeps_raw_files(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert run_refresh(settings, snapshot=SAMPLE).exit_code == 0
    live = sha256(settings.db_path)
    snapshot = broken_snapshot(tmp_path)

    result = run_refresh(settings, snapshot=snapshot)

    assert result.exit_code == EXIT_CHECKS_FAILED
    assert result.check_report is not None
    failures = "\n".join(result.check_report.describe_failures())
    for expected in ("value", "gender", "unique", "104.2", "area_id=1780"):
        assert expected in failures
    assert result.raw_dir is not None and any(result.raw_dir.glob("*.json"))
    stored = read_query(
        settings.db_path,
        "SELECT expectation, success FROM check_results WHERE run_id = ? AND NOT success",
        [result.run_id],
    )
    assert stored.height == result.check_report.failures.height >= 3
    runs = read_query(settings.db_path, "SELECT outcome FROM runs ORDER BY started_at")
    assert runs["outcome"].to_list() == ["success", "checks_failed"]
    observations = read_query(settings.db_path, "SELECT count(*) AS n FROM current_observations")
    assert observations["n"][0] > 5000  # the sample's values, untouched
    assert live != sha256(settings.db_path)  # only the run record was added


def test_unreachable_source_exits_2_and_leaves_the_warehouse_unchanged(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    run_refresh(settings, snapshot=SAMPLE)
    observations = read_query(settings.db_path, "SELECT * FROM observations ORDER BY ALL")

    result = run_refresh(settings, full=True, session=quick_session())  # port 9: nothing there

    assert result.exit_code == EXIT_SOURCE_FAILED
    assert "Kolada" in result.message
    assert read_query(settings.db_path, "SELECT * FROM observations ORDER BY ALL").equals(
        observations
    )


def test_source_failing_past_the_retry_budget_exits_2(tmp_path: Path, server: KoladaServer) -> None:
    settings = settings_for(tmp_path, server.base_url)
    server.faults.status_500 = 10
    result = run_refresh(settings, full=True, session=quick_session())
    assert result.exit_code == EXIT_SOURCE_FAILED
    assert (
        not settings.db_path.exists()
        or read_query(settings.db_path, "SELECT count(*) AS n FROM observations")["n"][0] == 0
    )


def test_a_second_refresh_while_one_runs_exits_3(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    run_refresh(settings, snapshot=SAMPLE)
    with open_for_refresh(settings.db_path):
        result = CliRunner().invoke(
            app, ["refresh", "--snapshot", str(SAMPLE), "--data", str(tmp_path / "data")]
        )
    assert result.exit_code == 3
    assert "refresh" in result.stderr


def test_refresh_command_prints_a_summary_and_the_status_command_shows_rows(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    runner = CliRunner()
    refreshed = runner.invoke(app, ["refresh", "--snapshot", str(SAMPLE), "--data", data])
    assert refreshed.exit_code == 0, refreshed.output
    for phrase in ("values received", "checks passed", "statuses changed"):
        assert phrase in refreshed.stdout
    db = str(tmp_path / "data" / "warehouse" / "aktuellt.duckdb")
    shown = runner.invoke(app, ["status", "--area", "Karlstad", "--format", "json", "--db", db])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    assert {row["area_name"] for row in rows} == {"Karlstad"}
    runs = runner.invoke(app, ["runs", "--format", "csv", "--db", db])
    assert runs.exit_code == 0 and "success" in runs.stdout
    log = (tmp_path / "data" / "logs" / "aktuellt.log").read_text(encoding="utf-8")
    assert all(json.loads(line)["logger"].startswith("aktuellt") for line in log.splitlines())


def test_out_of_range_share_from_kolada_stops_the_nightly_run(
    tmp_path: Path, server: KoladaServer
) -> None:
    settings = settings_for(tmp_path, server.base_url)
    run_refresh(settings, full=True, session=quick_session())
    current = read_query(settings.db_path, "SELECT * FROM current_observations ORDER BY ALL")
    server.set_value("N15428", "1763", 2023, "K", 104.2)

    result = run_refresh(settings, session=quick_session())

    assert result.exit_code == EXIT_CHECKS_FAILED
    assert "area_id=1763" in "\n".join(result.check_report.describe_failures())  # type: ignore[union-attr]
    assert result.raw_dir is not None
    assert any("104.2" in path.read_text() for path in result.raw_dir.glob("*.json"))
    after = read_query(settings.db_path, "SELECT * FROM current_observations ORDER BY ALL")
    assert after.equals(current)


def test_a_kpi_that_comes_back_empty_is_reported_and_its_values_kept(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    run_refresh(settings, snapshot=SAMPLE)
    snapshot = tmp_path / "without-n15428"
    shutil.copytree(SAMPLE, snapshot)
    (snapshot / "kolada" / "data" / "N15428.json").unlink()

    result = run_refresh(settings, snapshot=snapshot)

    assert result.exit_code == 0 and result.counts is not None
    assert result.counts.removed == 0
    assert result.check_report is not None
    warning = result.check_report.failures.filter(pl.col("severity") == "warning")
    assert "kolada:N15428" in " ".join(warning["details"].to_list())
    kept = read_query(
        settings.db_path,
        "SELECT count(*) AS n FROM current_observations WHERE series_id = 'kolada:N15428'",
    )
    assert kept["n"][0] > 1000


def test_a_changed_target_is_published_even_when_no_value_changed(tmp_path: Path) -> None:
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    shipped = (PROJECT_ROOT / "models" / "catalogs" / "np2022.toml").read_text(encoding="utf-8")
    (catalogs / "np2022.toml").write_text(shipped, encoding="utf-8")
    settings = load_settings(
        {"data_dir": tmp_path / "data", "catalog_dirs": [catalogs], "catalogs": ["np2022"]},
        env={},
    )
    assert run_refresh(settings, snapshot=SAMPLE).exit_code == 0
    raised = shipped.replace(
        'series = "kolada:N15428"\nunit = "percent"\ndirection = "higher"\n'
        'target = { kind = "pp", amount = 2 }',
        'series = "kolada:N15428"\nunit = "percent"\ndirection = "higher"\n'
        'target = { kind = "pp", amount = 5 }',
    )
    assert raised != shipped
    (catalogs / "np2022.toml").write_text(raised, encoding="utf-8")

    result = run_refresh(settings, snapshot=SAMPLE)

    assert (result.outcome, result.exit_code) == ("success", 0)
    assert result.counts is not None and result.counts.inserted == 0
    assert result.status_changes is not None
    causes = result.status_changes.filter(pl.col("indicator_id") == "behoriga_yrkesprogram")
    assert set(causes["cause"].to_list()) == {"changed_target"}
    target = read_query(
        settings.db_path,
        "SELECT target_value - baseline_value AS amount FROM progress WHERE area_id = '1780' "
        "AND indicator_id = 'behoriga_yrkesprogram' AND gender = 'T'",
    )
    assert target["amount"][0] == pytest.approx(5.0)


def test_an_invalid_catalog_exits_4_with_a_clear_message(tmp_path: Path) -> None:
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    (catalogs / "np2022.toml").write_text('id = "np2022"\ntitle = "x"\n', encoding="utf-8")
    settings = load_settings(
        {"data_dir": tmp_path / "data", "catalog_dirs": [catalogs], "catalogs": ["np2022"]},
        env={},
    )
    result = run_refresh(settings, snapshot=SAMPLE)
    assert result.exit_code == 4
    assert "indicator" in result.message


def test_status_refuses_an_unknown_gender(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    run_refresh(settings, snapshot=SAMPLE)
    result = CliRunner().invoke(app, ["status", "--gender", "X", "--db", str(settings.db_path)])
    assert result.exit_code == 64
    assert "unknown gender 'X'; valid: T, K, M, all" in result.stderr
