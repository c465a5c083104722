"""The warehouse across processes: readers during a refresh, a killed writer, a second refresh.

Each test runs tests/warehouse_helpers.py as the other process, on real DuckDB files.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines.warehouse import lock_path, open_for_refresh, read_query, temp_path
from tests.warehouse_helpers import (
    KILL_BATCH,
    PROJECT_ROOT,
    SCRIPT,
    T0,
    generated_batch,
    load,
    read_state,
)

pytestmark = pytest.mark.slow

WAIT_SECONDS = 120  # a guard against a hung child, not a timing assertion


def start(*arguments: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *(str(argument) for argument in arguments)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"child exited early: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"child never reached {path.name}")
        time.sleep(0.02)


def reports(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, stderr
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "aktuellt.duckdb"


class Lines:
    """Collects a child's JSON report lines as they arrive, so the test can wait on them."""

    def __init__(self, process: subprocess.Popen[str]):
        self.seen: list[dict[str, object]] = []
        self._thread = threading.Thread(target=self._collect, args=(process,), daemon=True)
        self._thread.start()

    def _collect(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.seen.append(json.loads(line))

    def wait_until(self, condition: Callable[[dict[str, object]], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not any(condition(report) for report in list(self.seen)):
            if time.monotonic() > deadline:
                pytest.fail(f"never reported; last reports: {self.seen[-3:]}")
            time.sleep(0.02)

    def states(self) -> list[tuple[object, object]]:
        self._thread.join(timeout=WAIT_SECONDS)
        assert not any("error" in report for report in self.seen), self.seen
        return [(report["values"], report["total"]) for report in self.seen]


def test_readers_see_the_whole_old_or_the_whole_new_state_during_a_refresh(
    db_path: Path, tmp_path: Path
) -> None:
    load(db_path, generated_batch(series_count=30), run=1)  # 270 000 values
    old = read_state(db_path)
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    holder = start("holder", db_path, ready, stop)
    held = Lines(holder)
    wait_for(ready, holder)
    reader = start("reader", db_path, stop)
    fresh = Lines(reader)
    fresh.wait_until(lambda report: True)  # the reader answers before the refresh starts

    load(db_path, generated_batch(series_count=30, revision=1), run=2)
    new = read_state(db_path)
    fresh.wait_until(lambda report: (report.get("values"), report.get("total")) == new)
    stop.touch()
    assert reader.wait(timeout=WAIT_SECONDS) == 0 and holder.wait(timeout=WAIT_SECONDS) == 0

    assert new != old
    assert set(fresh.states()) == {old, new}
    assert set(held.states()) == {old}  # a connection opened before the publish keeps its view


POINTS_BEFORE_PUBLISH = ["locked", "copied", "loading", "loaded", "checkpointed"]


@pytest.mark.parametrize("point", POINTS_BEFORE_PUBLISH)
def test_killed_refresh_leaves_the_live_file_as_it_was(
    db_path: Path, tmp_path: Path, point: str
) -> None:
    load(db_path, generated_batch(**KILL_BATCH), run=1)
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    old = read_state(db_path)
    marker = tmp_path / "reached"

    writer = start("writer", db_path, point, marker)
    wait_for(marker, writer)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=WAIT_SECONDS)

    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert read_state(db_path) == old
    assert lock_path(db_path).exists()  # left behind by the killed writer
    counts = load(db_path, generated_batch(**KILL_BATCH, revision=1), run=2)
    assert counts.revised > 0 and counts.removed > 0
    assert not temp_path(db_path).exists() and not lock_path(db_path).exists()
    assert read_state(db_path) != old


def test_refresh_killed_after_the_rename_has_published_the_new_state(
    db_path: Path, tmp_path: Path
) -> None:
    load(db_path, generated_batch(**KILL_BATCH), run=1)
    marker = tmp_path / "reached"
    writer = start("writer", db_path, "published", marker)
    wait_for(marker, writer)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=WAIT_SECONDS)

    runs = read_query(db_path, "SELECT DISTINCT run_id FROM current_observations ORDER BY 1")
    assert runs["run_id"].to_list() == ["run-1", "run-2"]
    load(db_path, generated_batch(**KILL_BATCH, revision=2), run=3)
    assert not lock_path(db_path).exists()


def test_second_refresh_process_exits_busy_and_the_first_completes(
    db_path: Path,
) -> None:
    load(db_path, generated_batch(**KILL_BATCH), run=1)
    with open_for_refresh(db_path) as writer:
        second = start("busy", db_path)
        (message,) = reports(second)
        batch = generated_batch(**KILL_BATCH, revision=1)
        counts = writer.load_observations(
            batch,
            "run-2",
            now=T0.replace(year=2025),
            full=True,
            scope_series=batch["series_id"].unique().to_list(),
        )
    assert message["busy"] == (
        f"another refresh (pid {os.getpid()}) is writing {db_path}; wait until it has "
        f"finished (lock file {lock_path(db_path)})"
    )
    assert counts.revised > 0
    runs = read_query(db_path, "SELECT DISTINCT run_id FROM current_observations ORDER BY 1")
    assert runs["run_id"].to_list() == ["run-1", "run-2"]
