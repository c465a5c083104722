"""Ad hoc SQL on the demo warehouse: what is refused, what runs, the views and the ten examples.

One warehouse per module: the real sample loaded as of last year's report, then a second refresh
from a copy of the sample with one value revised (so a municipality reaches its target) and one
removed, so the revision log and the status history have rows; plus one failed run record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from config import load_settings
from pipelines import warehouse
from pipelines.adhoc import read_examples
from pipelines.refresh import run_refresh
from pipelines.warehouse import (
    QueryFailed,
    QueryInvalid,
    QueryRefused,
    read_only_query,
    read_query,
    sandbox,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT_ROOT / "data" / "sample"
EXAMPLES = PROJECT_ROOT / "docs" / "warehouse_examples.sql"
LAST_YEARS_REPORT = dt.datetime(2025, 5, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("demo")
    settings = load_settings({"data_dir": folder / "data"}, env={}, cwd=folder)
    first = run_refresh(settings, snapshot=SAMPLE, now=LAST_YEARS_REPORT, report_year=2025)
    assert first.exit_code == 0, first.message
    db = settings.db_path
    flipped = read_query(
        db,
        "SELECT p.indicator_id, p.area_id, p.latest_year, p.target_value, p.direction, "
        "i.series_id FROM progress p JOIN indicators i USING (catalog_id, indicator_id) "
        "JOIN areas a USING (area_id) WHERE p.status = 'worsening' AND p.gender = 'T' "
        "AND a.kind = 'kommun' AND p.catalog_id = 'np2022' AND i.derive_kind IS NULL "
        "AND i.series_id LIKE 'kolada:%' AND p.target_value IS NOT NULL AND i.unit = 'percent' "
        # one revised value can flip only a status that compares single values, not means (v2)
        "AND NOT p.uses_means "
        "ORDER BY p.indicator_id, p.area_id LIMIT 1",
    ).row(0, named=True)
    revised = folder / "sample-revised"
    shutil.copytree(SAMPLE, revised)
    kpi = flipped["series_id"].removeprefix("kolada:")
    new_value = min(100.0, max(0.0, flipped["target_value"] + 5 * flipped["direction"]))
    removed = _edit_snapshot(
        revised / "kolada" / "data" / f"{kpi}.json",
        area=flipped["area_id"],
        period=flipped["latest_year"],
        value=new_value,
    )
    second = run_refresh(settings, snapshot=revised)
    assert second.exit_code == 0, second.message
    warehouse.record_failed_run(
        db,
        {"run_id": "failed-run", "kind": "incremental", "outcome": "checks_failed",
         "started_at": dt.datetime.now(dt.UTC), "error": "1 check(s) failed"},
        pl.DataFrame({"run_id": ["failed-run"], "suite": ["kolada_values"],
                      "expectation": ["values are shares between 0 and 100"],
                      "severity": ["critical"], "success": [False], "unexpected_count": [3]}),
    )  # fmt: skip
    return {"db": db, "flipped": flipped, "kpi": kpi, "removed": removed, "value": new_value}


def _edit_snapshot(path: Path, *, area: str, period: int, value: float) -> dict[str, Any]:
    """Set one area's T value for `period`, and drop another area's record: a revision and a
    removal. Returns the dropped record's key."""
    body = json.loads(path.read_text(encoding="utf-8"))
    records = body["values"]
    for record in records:
        if record["municipality"] == area and record["period"] == period:
            for item in record["values"]:
                if item["gender"] == "T":
                    item["value"] = value
    dropped = next(
        r for r in records if r["municipality"] != area and r["municipality"].startswith("17")
    )
    body["values"] = [r for r in records if r is not dropped]
    body["count"] = len(body["values"])
    path.write_text(json.dumps(body), encoding="utf-8")
    return {"area_id": dropped["municipality"], "period": dropped["period"]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- refused ----------------------------------------------------------------------------------

REFUSED = {
    "insert": "INSERT INTO areas VALUES ('9999', 'x', 'kommun', '0017')",
    "update": "UPDATE observations SET value = 0",
    "delete": "DELETE FROM runs",
    "create": "CREATE TABLE mine AS SELECT 1",
    "create temp": "CREATE TEMP TABLE mine AS SELECT 1",
    "drop": "DROP VIEW latest_values",
    "alter": "ALTER TABLE areas ADD COLUMN x INTEGER",
    "copy to": "COPY areas TO 'areas.csv'",
    "copy query to": "COPY (SELECT * FROM areas) TO 'areas.parquet' (FORMAT parquet)",
    "copy from": "COPY areas FROM '/etc/passwd'",
    "export": "EXPORT DATABASE 'dump'",
    "attach": "ATTACH 'other.duckdb' AS other",
    "attach memory": "ATTACH ':memory:' AS scratch",
    "detach": "DETACH other",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "set": "SET enable_external_access = true",
    "reset": "RESET lock_configuration",
    "set variable": "SET VARIABLE x = 1",
    "pragma": "PRAGMA enable_profiling",
    "checkpoint": "CHECKPOINT",
    "transaction": "BEGIN TRANSACTION",
    "two statements": "SELECT 1; DROP TABLE areas",
    "explain of a write": "EXPLAIN ANALYZE DELETE FROM runs",
    "read_csv": "SELECT * FROM read_csv('/etc/passwd', sep = ':')",
    "read_text": "SELECT content FROM read_text('/etc/hostname')",
    "read_parquet": "SELECT * FROM read_parquet('data/*.parquet')",
    "glob": "SELECT * FROM glob('/etc/*')",
    "serialized sql": (
        "SELECT * FROM json_execute_serialized_sql("
        "json_serialize_sql('SELECT * FROM read_csv(''/etc/passwd'')'))"
    ),
    "file as table": "SELECT * FROM '/etc/passwd'",
    "read_csv in a CTE": "WITH f AS (SELECT * FROM read_csv_auto('/etc/passwd')) SELECT * FROM f",
    "query()": "SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')",
    "empty": "  ",
}


@pytest.mark.parametrize("sql", REFUSED.values(), ids=REFUSED.keys())
def test_refused_statement_fails_clearly_and_leaves_the_file_unchanged(
    demo: dict[str, Any], sql: str
) -> None:
    before = sha256(demo["db"])
    with pytest.raises(QueryRefused) as refused:
        read_only_query(demo["db"], sql)
    message = str(refused.value)
    assert message.startswith("refused: ") and "\n" not in message
    assert sha256(demo["db"]) == before
    assert read_query(demo["db"], "SELECT count(*) FROM areas").item() > 0


def test_the_connection_itself_refuses_files_when_the_classifier_is_bypassed(
    demo: dict[str, Any],
) -> None:
    # A file function the name list does not know still meets the locked connection.
    con = sandbox._connect_sandboxed(demo["db"])
    try:
        for sql in ("SELECT * FROM read_csv('/etc/passwd')", "SET enable_external_access = true"):
            with pytest.raises(duckdb.Error):
                con.sql(sql).fetchall()
    finally:
        con.close()


def test_syntax_error_shows_duckdbs_message_and_position(demo: dict[str, Any]) -> None:
    with pytest.raises(QueryInvalid) as failed:
        read_only_query(demo["db"], "SELECT area_id FROM areas WHER kind = 'kommun'")
    message = str(failed.value)
    assert "syntax error" in message and "LINE 1:" in message and "^" in message
    assert len(message.splitlines()) <= 4


def test_sql_command_prints_a_one_line_refusal_and_a_syntax_block_without_traceback(
    demo: dict[str, Any],
) -> None:
    runner = CliRunner()
    refused = runner.invoke(app, ["sql", "DROP TABLE areas", "--db", str(demo["db"])])
    assert refused.exit_code == 64
    assert refused.stderr.strip().startswith("aktuellt: refused: DROP")
    assert len(refused.stderr.strip().splitlines()) == 1
    broken = runner.invoke(app, ["sql", "SELEC 1", "--db", str(demo["db"])])
    assert broken.exit_code == 64
    assert "Parser Error" in broken.stderr and "Traceback" not in broken.stderr


@pytest.mark.parametrize(
    "query",
    [
        "SELECT no_such_column FROM areas",
        "SELECT * FROM no_such_table",
        "SELECT CAST('x' AS INTEGER)",
    ],
)
def test_a_query_wrong_as_written_is_a_usage_error(demo: dict[str, Any], query: str) -> None:
    result = CliRunner().invoke(app, ["sql", query, "--db", str(demo["db"])])
    assert result.exit_code == 64, result.output
    assert "Traceback" not in result.stderr


def test_duckdb_failing_for_other_reasons_is_exit_4_not_a_usage_error(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk or exhausted memory is not the analyst's query: exit 4 as the README says."""

    def disk_full(*_: Any) -> None:
        raise duckdb.IOException("could not write to temporary file: No space left on device")

    monkeypatch.setattr(sandbox, "_interruptible", disk_full)
    with pytest.raises(QueryFailed) as failed:
        read_only_query(demo["db"], "SELECT 1")
    assert not isinstance(failed.value, QueryInvalid)
    result = CliRunner().invoke(app, ["sql", "SELECT 1", "--db", str(demo["db"])])
    assert result.exit_code == 4
    assert "No space left on device" in result.stderr


# --- allowed ----------------------------------------------------------------------------------

ALLOWED = {
    "select": "SELECT area_id, name FROM areas WHERE kind = 'kommun'",
    "cte": "WITH k AS (SELECT area_id FROM areas WHERE kind = 'kommun') SELECT count(*) FROM k",
    "from first": "FROM areas LIMIT 3",
    "describe": "DESCRIBE latest_values",
    "show tables": "SHOW TABLES",
    "summarize": "SUMMARIZE areas",
    "explain": "EXPLAIN SELECT * FROM progress",
    "table function of the catalog": "SELECT * FROM duckdb_columns() WHERE table_name = 'runs'",
    "asof macro": "SELECT * FROM observations_asof(now()) LIMIT 5",
    "trailing semicolon": "SELECT 1 AS one;",
}


@pytest.mark.parametrize("sql", ALLOWED.values(), ids=ALLOWED.keys())
def test_queries_run_and_return_rows(demo: dict[str, Any], sql: str) -> None:
    assert read_only_query(demo["db"], sql).height > 0


def test_sql_command_prints_csv_and_json_with_ids_as_text(demo: dict[str, Any]) -> None:
    runner = CliRunner()
    query = "SELECT area_id, name FROM areas WHERE area_id IN ('0017', '0000') ORDER BY area_id"
    csv = runner.invoke(app, ["sql", query, "--format", "csv", "--db", str(demo["db"])])
    assert csv.exit_code == 0, csv.stderr
    assert csv.stdout.splitlines() == ["area_id,name", "0000,Riket", "0017,Region Värmland"]
    as_json = runner.invoke(app, ["sql", query, "--format", "json", "--db", str(demo["db"])])
    assert [row["area_id"] for row in json.loads(as_json.stdout)] == ["0000", "0017"]


# --- views ------------------------------------------------------------------------------------


def test_latest_values_holds_the_highest_period_with_a_value(demo: dict[str, Any]) -> None:
    latest = read_only_query(demo["db"], "SELECT * FROM latest_values")
    expected = read_query(
        demo["db"],
        "SELECT series_id, area_id, gender, max(period) AS period FROM current_observations "
        "WHERE value IS NOT NULL GROUP BY ALL",
    )
    assert latest.height == expected.height
    joined = latest.join(expected, on=["series_id", "area_id", "gender"], suffix="_max")
    assert (joined["period"] == joined["period_max"]).all()
    assert latest["area_name"].null_count() == 0


def test_revision_log_shows_the_revision_and_the_removal(demo: dict[str, Any]) -> None:
    flipped = demo["flipped"]
    log = read_only_query(
        demo["db"],
        f"SELECT * FROM revision_log WHERE series_id = 'kolada:{demo['kpi']}' ORDER BY ALL",
    )
    revised = log.filter(area_id=flipped["area_id"], period=flipped["latest_year"], gender="T").row(
        0, named=True
    )
    assert revised["change_kind"] == "revised"
    assert revised["new_value"] == pytest.approx(demo["value"])
    assert revised["old_valid_from"] == LAST_YEARS_REPORT
    removed = log.filter(change_kind="removed", area_id=demo["removed"]["area_id"])
    assert removed.height > 0 and removed["new_value"].null_count() == removed.height
    runs = read_query(demo["db"], "SELECT run_id FROM runs")["run_id"].to_list()
    assert set(log["run_id"]) <= set(runs)


def test_status_wide_has_one_column_per_indicator_matching_progress(demo: dict[str, Any]) -> None:
    wide = read_only_query(demo["db"], "SELECT * FROM status_wide")
    indicators = read_query(demo["db"], "SELECT DISTINCT indicator_id FROM indicators")
    assert set(wide.columns) == {
        "catalog_id", "area_id", "area_name", "gender", *indicators["indicator_id"],
    }  # fmt: skip
    long = read_query(
        demo["db"],
        "SELECT catalog_id, area_id, gender, indicator_id, status_label FROM progress",
    )
    melted = wide.unpivot(
        index=["catalog_id", "area_id", "gender"],
        on=list(indicators["indicator_id"]),
        variable_name="indicator_id",
        value_name="status_label",
    ).drop_nulls("status_label")
    key = ["catalog_id", "area_id", "gender", "indicator_id"]
    assert melted.sort(key).equals(long.drop_nulls("status_label").sort(key))


def test_every_view_and_view_column_has_a_comment(demo: dict[str, Any]) -> None:
    views = read_query(
        demo["db"], "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"
    )
    assert {"latest_values", "revision_log", "status_wide"} <= set(views["view_name"])
    assert views["comment"].null_count() == 0
    columns = read_query(
        demo["db"],
        "SELECT table_name, column_name FROM duckdb_columns() WHERE comment IS NULL "
        "AND table_name IN ('latest_values', 'revision_log', 'status_wide')",
    )
    assert columns.is_empty()


# --- the ten documented examples -------------------------------------------------------------


def test_there_are_ten_examples() -> None:
    assert len(read_examples(EXAMPLES)) == 10


@pytest.mark.parametrize(
    "question,sql", read_examples(EXAMPLES), ids=[f"Q{n}" for n in range(1, 11)]
)
def test_documented_example_runs_and_answers(demo: dict[str, Any], question: str, sql: str) -> None:
    before = sha256(demo["db"])
    answer = read_only_query(demo["db"], sql)
    assert answer.height > 0, question
    assert sha256(demo["db"]) == before


def test_example_of_the_moved_municipality_names_the_flipped_one(demo: dict[str, Any]) -> None:
    moved = read_only_query(demo["db"], read_examples(EXAMPLES)[1][1])
    flipped = demo["flipped"]
    assert flipped["indicator_id"] in moved["indicator_id"].to_list()


# --- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["sql", "export"])
def test_command_help_shows_an_example(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Example: aktuellt {command}" in result.stdout


CARTESIAN = "SELECT count(*) FROM observations a, observations b, observations c"


def test_sql_timeout_stops_a_cartesian_join(demo: dict[str, Any]) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(app, ["sql", CARTESIAN, "--timeout", "1", "--db", str(demo["db"])])
    assert time.monotonic() - started < 10
    assert result.exit_code == 4  # not a usage error: the query was valid, only too slow
    assert "stopped after 1 s (--timeout)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_ctrl_c_stops_a_running_query_at_once(demo: dict[str, Any]) -> None:
    aktuellt = Path(sys.executable).with_name("aktuellt")
    child = subprocess.Popen(
        [str(aktuellt), "sql", CARTESIAN, "--db", str(demo["db"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # start-up and into the query
    assert child.poll() is None
    interrupted = time.monotonic()
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=30)
    assert time.monotonic() - interrupted < 3
    assert child.returncode != 0


def test_sql_csv_renders_list_columns_as_json(demo: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        app, ["sql", "SELECT * FROM indicators", "--format", "csv", "--db", str(demo["db"])]
    )
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(result.stdout.encode(), infer_schema=False)
    nested = [
        name
        for name, dtype in read_query(demo["db"], "SELECT * FROM indicators").schema.items()
        if dtype.is_nested()
    ]
    assert nested
    assert all(
        value is None or value.startswith("[") or value.startswith("{")
        for name in nested
        for value in frame[name].to_list()
    )
