"""The warehouse on real DuckDB files: history on change, metadata tables, schema, lock, publish."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from models.schema import OBSERVATION_SCHEMA, PROGRESS_SCHEMA, SERIES_SCHEMA, conform
from models.warehouse_schema import (
    CHECK_RESULTS_SCHEMA,
    SCHEMA_VERSION,
    TABLES,
    VIEWS,
    initial_ddl,
    quote,
)
from pipelines.warehouse import (
    LoadCounts,
    WarehouseBusy,
    WarehouseError,
    WarehouseWriter,
    ensure_warehouse,
    lock_path,
    open_for_refresh,
    read_query,
    read_schema_version,
    record_failed_run,
    temp_path,
)
from tests.warehouse_helpers import T0, load, observations

SERIES = "kolada:N15428"
VALUES = """
    series_id,area_id,period,gender,value,ci_low,ci_high,n,status
    kolada:N15428,1780,2021,T,85.5,,,,
    kolada:N15428,1780,2022,T,86.0,,,,
    kolada:N15428,0017,2022,T,80.25,79.0,81.5,1200,
    kolada:N15428,0000,2022,T,,,,,Missing
"""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "aktuellt.duckdb"


def history(db_path: Path) -> pl.DataFrame:
    return read_query(
        db_path,
        "SELECT area_id, period, value, status, valid_from, valid_to, run_id FROM observations "
        "ORDER BY area_id, period, valid_from",
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


# --- history on change ------------------------------------------------------------------------


def test_first_load_inserts_every_value_as_current(db_path: Path) -> None:
    counts = load(db_path, observations(VALUES), run=1)
    assert counts == LoadCounts(received=4, inserted=4, revised=0, removed=0, unchanged=0)
    current = read_query(db_path, "SELECT * FROM current_observations ORDER BY area_id, period")
    assert current["area_id"].to_list() == ["0000", "0017", "1780", "1780"]
    assert current["value"].to_list()[:2] == [None, 80.25]  # missing stays null, never 0
    assert current["run_id"].unique().to_list() == ["run-1"]


def test_reloading_an_identical_batch_adds_no_rows(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    before = history(db_path)
    counts = load(db_path, observations(VALUES), run=2)
    assert counts == LoadCounts(received=4, inserted=0, revised=0, removed=0, unchanged=4)
    assert_frame_equal(history(db_path), before)


def test_revised_value_keeps_both_versions_and_asof_returns_the_old_one(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    revised = observations(VALUES).with_columns(
        value=pl.when(pl.col("area_id") == "1780").then(pl.col("value") + 1).otherwise("value")
    )
    counts = load(db_path, revised, run=2)
    assert counts == LoadCounts(received=4, inserted=0, revised=2, removed=0, unchanged=2)

    versions = history(db_path).filter(pl.col("area_id") == "1780", pl.col("period") == 2022)
    assert versions["value"].to_list() == [86.0, 87.0]
    assert versions["valid_to"].to_list() == [at(2), None]
    asof_sql = (
        "SELECT value FROM observations_asof(?::TIMESTAMPTZ) "
        "WHERE area_id = '1780' AND period = 2022"
    )
    assert read_query(db_path, asof_sql, [at(1.5)])["value"].to_list() == [86.0]
    assert read_query(db_path, asof_sql, [at(2)])["value"].to_list() == [87.0]
    assert read_query(db_path, asof_sql, [at(0.5)]).is_empty()  # before the first load


def test_a_change_in_interval_n_or_status_is_a_revision(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    changed = observations(VALUES).with_columns(
        ci_low=pl.when(pl.col("area_id") == "0017").then(78.0).otherwise("ci_low"),
        n=pl.when(pl.col("area_id") == "1780").then(pl.lit(50, pl.Int64)).otherwise("n"),
        status=pl.when(pl.col("area_id") == "0000").then(pl.lit("")).otherwise("status"),
    )
    counts = load(db_path, changed, run=2)
    assert (counts.revised, counts.unchanged) == (4, 0)


def test_null_values_compare_equal_to_null_and_unequal_to_a_number(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    assert load(db_path, observations(VALUES), run=2).unchanged == 4
    filled = observations(VALUES).with_columns(value=pl.col("value").fill_null(70.0))
    counts = load(db_path, filled, run=3)
    assert (counts.revised, counts.unchanged) == (1, 3)


def test_value_marked_deleted_is_closed_not_deleted(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    deleted = observations(VALUES).with_columns(is_deleted=pl.col("area_id") == "0017")
    counts = load(db_path, deleted, run=2, full=False)
    assert counts == LoadCounts(received=4, inserted=0, revised=0, removed=1, unchanged=3)
    rows = history(db_path).filter(pl.col("area_id") == "0017")
    assert rows.height == 1
    assert rows["valid_to"].to_list() == [at(2)]
    current = read_query(db_path, "SELECT area_id FROM current_observations")
    assert "0017" not in current["area_id"].to_list()
    asof = read_query(
        db_path, "SELECT value FROM observations_asof(?) WHERE area_id = '0017'", [at(1)]
    )
    assert asof["value"].to_list() == [80.25]


def test_removed_value_that_returns_gets_a_new_version(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    load(db_path, observations(VALUES).filter(pl.col("area_id") != "0017"), run=2)
    counts = load(db_path, observations(VALUES), run=3)
    assert (counts.inserted, counts.unchanged) == (1, 3)
    assert history(db_path).filter(pl.col("area_id") == "0017").height == 2


def test_deleted_mark_for_an_unknown_value_changes_nothing(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    ghost = observations(
        """
        series_id,area_id,period,gender,value
        kolada:N15428,1784,2022,T,3.0
        """
    ).with_columns(is_deleted=pl.lit(True))
    counts = load(db_path, ghost, run=2, full=False)
    assert counts == LoadCounts(received=1, inserted=0, revised=0, removed=0, unchanged=1)
    assert history(db_path).height == 4


def test_incremental_batch_leaves_absent_values_current(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    partial = observations(VALUES).filter(pl.col("area_id") == "1780")
    counts = load(db_path, partial, run=2, full=False)
    assert counts.removed == 0
    assert read_query(db_path, "SELECT count(*) AS n FROM current_observations")["n"][0] == 4


def test_full_reload_closes_absent_values_within_scope_only(db_path: Path) -> None:
    other = observations(
        """
        series_id,area_id,period,gender,value
        kolada:N00973,1780,2022,T,40.0
        """
    )
    load(db_path, pl.concat([observations(VALUES), other]), run=1)
    reload = observations(VALUES).filter(pl.col("area_id") != "0000")
    with open_for_refresh(db_path) as writer:
        counts = writer.load_observations(
            reload, "run-2", now=at(2), full=True, scope_series=[SERIES], scope_areas=["0000"]
        )
    assert counts == LoadCounts(received=3, inserted=0, revised=0, removed=1, unchanged=3)
    current = read_query(db_path, "SELECT series_id, area_id FROM current_observations")
    assert ("kolada:N15428", "0000") not in current.rows()
    assert ("kolada:N00973", "1780") in current.rows()  # another series: out of scope

    with open_for_refresh(db_path) as writer:
        counts = writer.load_observations(
            reload.filter(pl.col("area_id") == "1780"),
            "run-3",
            now=at(3),
            full=True,
            scope_series=[SERIES],
        )
    assert counts.removed == 1  # 0017 was in scope this time
    assert read_query(db_path, "SELECT count(*) AS n FROM current_observations")["n"][0] == 3


def test_batch_with_a_duplicate_value_is_refused_and_nothing_changes(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    before = digest(db_path)
    doubled = pl.concat([observations(VALUES), observations(VALUES).head(1)])
    with pytest.raises(WarehouseError, match="more than once"):
        load(db_path, doubled, run=2)
    assert digest(db_path) == before


def test_load_dated_before_the_latest_change_is_refused(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=2)
    with pytest.raises(WarehouseError, match="before the latest change"):
        load(db_path, observations(VALUES), run=1)


def test_current_observations_returns_a_source_frame(db_path: Path) -> None:
    batch = observations(VALUES).with_columns(survey=pl.lit("livohalsa"))
    load(db_path, batch, run=1)
    with open_for_refresh(db_path) as writer:
        current = writer.current_observations([SERIES])
        assert writer.current_observations(["kolada:N00000"]).is_empty()
    assert current.schema == pl.Schema(OBSERVATION_SCHEMA)
    expected = batch.with_columns(is_deleted=pl.lit(False)).sort("area_id", "period")
    assert_frame_equal(current.sort("area_id", "period"), expected)


# --- metadata, progress, runs -----------------------------------------------------------------


def test_upsert_series_keeps_first_seen_and_updates_the_rest(db_path: Path) -> None:
    def series(title: str, seen: datetime) -> pl.DataFrame:
        return pl.DataFrame(
            [{"series_id": SERIES, "title": title, "first_seen": seen, "last_seen": seen}],
            schema=SERIES_SCHEMA,
        )

    with open_for_refresh(db_path) as writer:
        writer.upsert_series(series("Behöriga", at(1)))
    with open_for_refresh(db_path) as writer:
        writer.upsert_series(series("Behöriga till yrkesprogram", at(2)))
    stored = read_query(db_path, "SELECT * FROM series").row(0, named=True)
    assert (stored["title"], stored["first_seen"], stored["last_seen"]) == (
        "Behöriga till yrkesprogram",
        at(1),
        at(2),
    )


def test_areas_and_indicators_are_replaced_with_ids_as_strings(db_path: Path) -> None:
    areas = pl.DataFrame(
        {
            "area_id": ["0017", "1780"],
            "name": ["Region Värmland", "Karlstad"],
            "kind": ["region", "kommun"],
            "county_id": ["0017", "0017"],
        }
    )
    indicators = pl.DataFrame(
        {"catalog_id": ["np2022"], "indicator_id": ["behorighet"], "areas": [["kommun"]]}
    )
    with open_for_refresh(db_path) as writer:
        writer.replace_areas(areas)
        writer.replace_areas(areas.head(1))
        writer.replace_indicators(indicators)
    assert read_query(db_path, "SELECT area_id FROM areas")["area_id"].to_list() == ["0017"]
    stored = read_query(db_path, "SELECT areas FROM indicators")
    assert stored["areas"].to_list() == [["kommun"]]


def test_progress_is_replaced_and_its_history_appended_with_cause(db_path: Path) -> None:
    status = pl.DataFrame(
        {
            "catalog_id": ["np2022"],
            "indicator_id": ["behorighet"],
            "area_id": ["1780"],
            "gender": ["T"],
            "status": ["improving"],
            "latest_value": [88.8],
        }
    )
    with open_for_refresh(db_path) as writer:
        writer.replace_progress(status, "run-1", at(1))
        writer.append_progress_history(status.with_columns(cause=pl.lit("new")), "run-1", at(1))
    with open_for_refresh(db_path) as writer:
        previous = writer.previous_progress()
        writer.replace_progress(status.with_columns(status=pl.lit("on_track")), "run-2", at(2))
        writer.append_progress_history(
            status.with_columns(status=pl.lit("on_track"), cause=pl.lit("revised latest value")),
            "run-2",
        )
    assert previous.select("status", "run_id", "computed_at").row(0) == (
        "improving",
        "run-1",
        at(1),
    )
    assert set(PROGRESS_SCHEMA) <= set(previous.columns)
    assert read_query(db_path, "SELECT status, run_id FROM progress").rows() == [
        ("on_track", "run-2")
    ]
    causes = read_query(db_path, "SELECT cause FROM progress_history ORDER BY run_id")
    assert causes["cause"].to_list() == ["new", "revised latest value"]


def test_last_successful_run_skips_failed_runs_and_filters_by_kind(db_path: Path) -> None:
    settings = {"noise_share": 0.1, "baseline_window": 1}
    with open_for_refresh(db_path) as writer:
        writer.record_run(
            {
                "run_id": "r1",
                "kind": "refresh",
                "outcome": "success",
                "finished_at": at(1),
                "from_date": "2024-01-31",
                "method_settings": settings,
            }
        )
        writer.record_run(
            {"run_id": "r2", "kind": "full", "outcome": "success", "finished_at": at(2)}
        )
        writer.record_run({"run_id": "r3", "kind": "refresh", "outcome": "running"})
        writer.record_run(
            {
                "run_id": "r3",
                "kind": "refresh",
                "outcome": "failed",
                "finished_at": at(3),
                "error": "HTTP 503",
            }
        )
        latest = writer.last_successful_run()
        refresh = writer.last_successful_run("refresh")
        assert writer.last_successful_run("import") is None
    assert latest is not None and latest["run_id"] == "r2"
    assert refresh is not None
    assert (refresh["run_id"], refresh["from_date"], refresh["method_settings"]) == (
        "r1",
        date(2024, 1, 31),
        settings,
    )
    assert read_query(db_path, "SELECT count(*) AS n FROM runs")["n"][0] == 3


def test_record_run_refuses_unknown_fields(db_path: Path) -> None:
    with pytest.raises(WarehouseError, match="unknown run field"), open_for_refresh(db_path) as w:
        w.record_run({"run_id": "r1", "rows": 3})


def test_failed_run_keeps_its_record_and_checks_but_not_its_data(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    checks = pl.DataFrame(
        [
            {
                "run_id": "run-2",
                "suite": "kolada_values",
                "expectation": "value_between_0_100",
                "success": False,
                "unexpected_count": 3,
                "details": '{"examples": [140.0]}',
            }
        ],
        schema=CHECK_RESULTS_SCHEMA,
    )
    before = history(db_path)
    with pytest.raises(RuntimeError, match="checks failed"), open_for_refresh(db_path) as w:
        w.load_observations(
            observations(VALUES).with_columns(value=pl.lit(140.0)),
            "run-2",
            now=at(2),
            full=True,
            scope_series=[SERIES],
        )
        raise RuntimeError("checks failed")
    record_failed_run(
        db_path, {"run_id": "run-2", "outcome": "failed", "error": "checks failed"}, checks
    )
    assert_frame_equal(history(db_path), before)
    assert read_query(db_path, "SELECT outcome FROM runs")["outcome"].to_list() == ["failed"]
    assert read_query(db_path, "SELECT unexpected_count FROM check_results").item() == 3


# --- schema ---------------------------------------------------------------------------------


def test_every_table_and_column_is_documented(db_path: Path) -> None:
    ensure_warehouse(db_path)
    tables = read_query(
        db_path, "SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal"
    )
    assert set(tables["table_name"]) == set(TABLES)
    assert tables["comment"].null_count() == 0
    columns = read_query(
        db_path,
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE NOT internal AND database_name = current_database()",
    )
    assert set(columns["table_name"]) == {*TABLES, *VIEWS}
    assert columns.filter(pl.col("comment").is_null()).is_empty()
    macro = read_query(
        db_path, "SELECT comment FROM duckdb_functions() WHERE function_name = 'observations_asof'"
    )
    assert macro["comment"].to_list()[0].startswith("observations_asof(ts)")


def test_ids_are_stored_as_text(db_path: Path) -> None:
    ensure_warehouse(db_path)
    types = read_query(
        db_path,
        "SELECT DISTINCT data_type FROM duckdb_columns() WHERE database_name = current_database()"
        " AND column_name LIKE '%\\_id' ESCAPE '\\'",
    )
    assert types["data_type"].to_list() == ["VARCHAR"]


def test_version_1_file_is_upgraded_in_place_keeping_its_data(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(db_path))  # a file exactly as the first release wrote it
    for statement in initial_ddl():
        con.execute(statement)
    con.execute(
        "INSERT INTO observations (series_id, area_id, period, gender, value, status, "
        "valid_from, run_id) VALUES ('kolada:N15428', '0017', 2022, 'T', 80.5, '', ?, 'old')",
        [at(1)],
    )
    con.execute("INSERT INTO runs (run_id, kind, outcome) VALUES ('old', 'refresh', 'success')")
    con.execute("CHECKPOINT")
    con.close()
    assert read_schema_version(db_path) == 1

    ensure_warehouse(db_path)

    assert read_schema_version(db_path) == SCHEMA_VERSION == 4
    kept = read_query(db_path, "SELECT area_id, value, survey FROM current_observations")
    assert kept.rows() == [("0017", 80.5, None)]
    runs = read_query(db_path, "SELECT run_id, method_settings FROM runs")
    assert runs.rows() == [("old", None)]
    added = read_query(
        db_path,
        "SELECT comment FROM duckdb_columns() WHERE (table_name, column_name) IN "
        "(('observations', 'survey'), ('runs', 'method_settings'), "
        "('indicators', 'indicator_kind'), ('indicators', 'stand_in'), ('progress', 'sigma'), "
        "('progress_history', 'uses_means'), ('indicators', 'survey'))",
    )
    assert added["comment"].null_count() == 0 and added.height == 7
    counts = load(db_path, observations(VALUES).with_columns(survey=pl.lit("livohalsa")), run=2)
    assert counts.revised == 1  # the old 0017 value 80.5 is now 80.25


def test_warehouse_from_a_newer_program_is_refused(db_path: Path) -> None:
    ensure_warehouse(db_path)
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_version VALUES (99, current_timestamp, 'from the future')")
    con.close()
    with pytest.raises(WarehouseError, match="newer than this program"):
        ensure_warehouse(db_path)


def test_ensure_warehouse_leaves_a_current_file_untouched(db_path: Path) -> None:
    ensure_warehouse(db_path)
    before = (digest(db_path), db_path.stat().st_ino)
    ensure_warehouse(db_path)
    assert (digest(db_path), db_path.stat().st_ino) == before


def test_comments_quote_their_text() -> None:
    assert quote("it's") == "'it''s'"


# --- reading --------------------------------------------------------------------------------


def test_read_query_names_a_missing_warehouse(db_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse at"):
        read_query(db_path, "SELECT 1")


def test_read_query_cannot_write(db_path: Path) -> None:
    ensure_warehouse(db_path)
    with pytest.raises(WarehouseError, match="read-only"):
        read_query(db_path, "DELETE FROM runs")


# --- lock and publish -----------------------------------------------------------------------


def test_second_refresh_is_refused_while_the_first_runs(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    busy = rf"another refresh \(pid {os.getpid()}\)"
    with open_for_refresh(db_path) as writer:
        with pytest.raises(WarehouseBusy, match=busy), open_for_refresh(db_path):
            pass
        counts = writer.load_observations(
            observations(VALUES).with_columns(value=pl.lit(1.0)),
            "run-2",
            now=at(2),
            full=True,
            scope_series=[SERIES],
        )
    assert counts.revised == 4
    assert read_query(db_path, "SELECT sum(value) AS s FROM current_observations").item() == 4.0
    assert not lock_path(db_path).exists()


def test_lock_left_by_a_dead_process_is_taken_over(db_path: Path) -> None:
    ensure_warehouse(db_path)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock_path(db_path).write_text(finished.stdout)
    load(db_path, observations(VALUES), run=1)
    assert not lock_path(db_path).exists()


def test_stale_temporary_file_is_removed_by_the_next_refresh(db_path: Path) -> None:
    ensure_warehouse(db_path)
    temp_path(db_path).write_bytes(b"half a database from a killed run")
    load(db_path, observations(VALUES), run=1)
    assert not temp_path(db_path).exists()
    assert read_query(db_path, "SELECT count(*) AS n FROM observations").item() == 4


def test_failed_refresh_leaves_the_live_file_byte_identical(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    before = (digest(db_path), db_path.stat().st_ino)
    with pytest.raises(ValueError, match="boom"), open_for_refresh(db_path) as writer:
        writer.load_observations(
            observations(VALUES).with_columns(value=pl.lit(0.0)),
            "run-2",
            now=at(2),
            full=True,
            scope_series=[SERIES],
        )
        raise ValueError("boom")
    assert (digest(db_path), db_path.stat().st_ino) == before
    assert sorted(path.name for path in db_path.parent.iterdir()) == [db_path.name]


def test_publish_replaces_the_live_file_with_a_new_one(db_path: Path) -> None:
    load(db_path, observations(VALUES), run=1)
    inode = db_path.stat().st_ino
    load(db_path, observations(VALUES).with_columns(value=pl.lit(1.0)), run=2)
    assert db_path.stat().st_ino != inode
    assert sorted(path.name for path in db_path.parent.iterdir()) == [db_path.name]


def test_writer_cannot_be_used_after_the_refresh(db_path: Path) -> None:
    with open_for_refresh(db_path) as writer:
        pass
    with pytest.raises(WarehouseError, match="writer is closed"):
        writer.query("SELECT 1")


def test_history_times_must_carry_a_time_zone(db_path: Path) -> None:
    with pytest.raises(ValueError, match="no time zone"), open_for_refresh(db_path) as writer:
        writer.load_observations(
            observations(VALUES),
            "run-1",
            now=datetime(2024, 1, 1),
            full=False,
            scope_series=[SERIES],
        )
    assert not db_path.exists()
    assert datetime.now(UTC) > T0  # the fixed test times lie in the past


# --- laws -----------------------------------------------------------------------------------

value_rows = st.lists(
    st.tuples(
        st.sampled_from(["1780", "0017", "0000"]),
        st.integers(2020, 2022),
        st.sampled_from(["T", "K"]),
        st.one_of(st.none(), st.sampled_from([0.0, 1.5, 2.25])),
        st.booleans(),
    ),
    max_size=12,
    unique_by=lambda row: row[:3],
)


def batch_of(rows: list[tuple[str, int, str, float | None, bool]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        rows,
        schema={
            "area_id": pl.String,
            "period": pl.Int32,
            "gender": pl.String,
            "value": pl.Float64,
            "is_deleted": pl.Boolean,
        },
        orient="row",
    )
    return conform(frame.with_columns(series_id=pl.lit(SERIES)), OBSERVATION_SCHEMA)


@settings(max_examples=15, deadline=None)
@given(first=value_rows, second=value_rows)
def test_full_load_makes_the_current_state_the_batch_and_is_idempotent(
    first: list[tuple[str, int, str, float | None, bool]],
    second: list[tuple[str, int, str, float | None, bool]],
) -> None:
    def load_into(writer: WarehouseWriter, rows: list[Any], day: int) -> LoadCounts:
        return writer.load_observations(
            batch_of(rows), f"run-{day}", now=at(day), full=True, scope_series=[SERIES]
        )

    history_sql = "SELECT count(*) FROM observations"
    current_sql = "SELECT area_id, period, gender, value FROM current_observations"
    with tempfile.TemporaryDirectory() as folder, open_for_refresh(Path(folder) / "w") as writer:
        load_into(writer, first, 1)
        counts = load_into(writer, second, 2)
        rows_after = writer.query(history_sql).item()
        again = load_into(writer, second, 3)
        current = writer.query(current_sql)
        assert writer.query(history_sql).item() == rows_after
    kept = batch_of(second).filter(~pl.col("is_deleted"))
    assert sorted(current.rows(), key=str) == sorted(
        kept.select("area_id", "period", "gender", "value").rows(), key=str
    )
    marked_deleted = sum(1 for row in second if row[4])
    assert counts.received == len(second)
    assert counts.inserted + counts.revised + counts.unchanged + marked_deleted >= len(second)
    assert counts.removed >= len(second) - counts.inserted - counts.revised - counts.unchanged
    assert (again.inserted, again.revised, again.removed) == (0, 0, 0)
