"""A refresh validates in a worker process of its own (pipelines.validation): the batch is checked
there and its results and data docs come back, while the refresh's own process never imports
Great Expectations; a worker that dies or fails ends the run cleanly (exit 4, the warehouse as it
was); and a worker never outlives its refresh, however the refresh ends.

The refreshes run in child processes, as cron runs them: the test process may have imported GX,
and a refresh validates in its own process where GX is imported already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import validation
from pipelines.check_worker import WORKER_PROGRAM, CheckRequest
from pipelines.checks import empty_results
from pipelines.warehouse import read_query
from tests.kolada_server import KoladaServer
from tests.processes import Process, children_of, command_line, ends_within
from tests.test_checks import COUNTY, GOOD, SHARE, batch

from .conftest import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"
pytestmark = pytest.mark.slow

# Runs `aktuellt` in this interpreter with optional changes first, and says at exit whether this
# process imported GX, how many processes it started and how many of them are still running.
PROGRAM = """
import atexit, json, subprocess, sys
started = []
class Counted(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        started.append(self)
subprocess.Popen = Counted
atexit.register(lambda: print(json.dumps({
    "gx_imported": "great_expectations" in sys.modules,
    "started": len(started),
    "running": sum(process.poll() is None for process in started),
}), file=sys.stderr))
from pipelines import validation
CHANGES
from cli import main
sys.argv = ["aktuellt", *sys.argv[1:]]
main()
"""


def refresh(
    data: Path, *args: str, changes: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(data, *args, changes=changes),
        cwd=PROJECT_ROOT,
        env={**_plain_environment(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def command(data: Path, *args: str, changes: str = "") -> list[str]:
    program = PROGRAM.replace("CHANGES", changes)
    return [sys.executable, "-c", program, "refresh", "--data", str(data), *args]


def _plain_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("AKTUELLT_")}


def facts(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    found: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return found


def values_held(db: Path) -> int:
    return int(read_query(db, "SELECT count(*) AS n FROM current_observations")["n"][0])


@pytest.fixture
def sample_server() -> Iterator[KoladaServer]:
    with KoladaServer(SAMPLE) as server:
        yield server


def test_a_first_load_is_validated_in_a_worker_and_this_process_never_imports_gx(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    done = refresh(data, "--snapshot", str(SAMPLE))

    assert done.returncode == 0, done.stderr
    assert facts(done) == {"gx_imported": False, "started": 1, "running": 0}
    assert "checks passed" in done.stdout and "failed 0" in done.stdout
    db = data / "warehouse" / "aktuellt.duckdb"
    results = read_query(db, "SELECT success, severity FROM check_results")
    assert results.height > 20 and results["success"].all()
    assert values_held(db) > 0
    # The docs the worker rendered, for the validation the worker stored.
    assert any((data / "checks").rglob("data_docs/local_site/index.html"))
    assert len(list((data / "checks").rglob("validations/**/*.json"))) == 1


def test_failed_checks_in_the_worker_stop_the_run_with_their_report_and_docs(
    tmp_path: Path, sample_server: KoladaServer
) -> None:
    sample_server.set_value("N15428", "1763", 2023, "K", 104.2)  # a share over 100
    data = tmp_path / "data"
    done = refresh(data, "--full", env={"AKTUELLT_KOLADA_URL": sample_server.base_url})

    assert done.returncode == 1, done.stderr
    assert facts(done)["gx_imported"] is False
    assert "area_id=1763" in done.stdout + done.stderr
    assert values_held(data / "warehouse" / "aktuellt.duckdb") == 0  # nothing published
    assert any((data / "checks").rglob("data_docs/local_site/index.html"))
    raw = list((data / "raw" / "kolada").rglob("*.json"))
    assert any("104.2" in path.read_text(encoding="utf-8") for path in raw)


def test_failed_checks_stay_exit_1_when_their_docs_fail_too(
    tmp_path: Path, sample_server: KoladaServer
) -> None:
    sample_server.set_value("N15428", "1763", 2023, "K", 104.2)
    docs_fail = (
        "validation.WORKER_PROGRAM = '''\n"
        "from pipelines import check_worker, checks\n"
        "def broken(*args, **kwargs):\n"
        "    raise OSError(28, 'No space left on device')\n"
        "checks.build_docs = broken\n"
        "check_worker.serve()\n"
        "'''"
    )
    data = tmp_path / "data"
    done = refresh(
        data, "--full", changes=docs_fail, env={"AKTUELLT_KOLADA_URL": sample_server.base_url}
    )

    assert done.returncode == 1, done.stderr  # the failed checks are the news, not the docs
    assert "check(s) failed" in done.stderr
    assert "data docs not rendered" in done.stdout + done.stderr
    assert "No space left on device" in done.stdout + done.stderr


def test_a_worker_that_dies_ends_the_run_with_exit_4_and_the_warehouse_unchanged(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert refresh(data, "--snapshot", str(SAMPLE)).returncode == 0
    db = data / "warehouse" / "aktuellt.duckdb"
    before = read_query(db, "SELECT * FROM current_observations ORDER BY ALL")
    changed = tmp_path / "without-n15428"  # a KPI gone quiet: the night is validated
    subprocess.run(["cp", "-r", str(SAMPLE), str(changed)], check=True)
    (changed / "kolada" / "data" / "N15428.json").unlink()
    dies = "validation.WORKER_PROGRAM = 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'"

    done = refresh(data, "--snapshot", str(changed), changes=dies)

    assert done.returncode == 4, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("aktuellt:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "the check worker was killed by signal 9" in lines[0]
    assert "the warehouse is unchanged" in lines[0]
    assert read_query(db, "SELECT * FROM current_observations ORDER BY ALL").equals(before)
    outcome = read_query(db, "SELECT outcome FROM runs ORDER BY started_at DESC LIMIT 1")
    assert outcome["outcome"][0] == "error"


def test_without_a_process_to_be_had_the_batch_is_validated_in_the_refresh(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    no_process = (
        "def refused(*args, **kwargs):\n"
        "    raise BlockingIOError(11, 'Resource temporarily unavailable')\n"
        "validation.CheckWorker.start = refused\n"
    )
    done = refresh(data, "--snapshot", str(SAMPLE), changes=no_process)

    assert done.returncode == 0, done.stderr
    assert facts(done) == {"gx_imported": True, "started": 0, "running": 0}
    assert "checks passed" in done.stdout and "failed 0" in done.stdout
    assert any((data / "checks").rglob("data_docs/local_site/index.html"))
    log = (data / "logs" / "aktuellt.log").read_text(encoding="utf-8")
    assert "check worker not started" in log


def test_an_error_in_the_worker_is_named_and_its_traceback_logged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fails = (
        "validation.WORKER_PROGRAM = '''\n"
        "from pipelines import check_worker, checks\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('GX broke')\n"
        "checks.check_observations = broken\n"
        "check_worker.serve()\n"
        "'''"
    )
    done = refresh(data, "--snapshot", str(SAMPLE), changes=fails)

    assert done.returncode == 4, done.stderr
    assert "in the check worker: RuntimeError: GX broke" in done.stderr
    assert values_held(data / "warehouse" / "aktuellt.duckdb") == 0
    log = (data / "logs" / "aktuellt.log").read_text(encoding="utf-8")
    worker_lines = [json.loads(line) for line in log.splitlines() if "check worker" in line]
    assert worker_lines and worker_lines[0]["logger"] == "aktuellt.validation"
    assert "RuntimeError: GX broke" in worker_lines[0]["traceback"]
    assert "in broken" in worker_lines[0]["traceback"]


@pytest.mark.parametrize("moment", ["importing", "checking"])
def test_a_killed_refresh_takes_its_worker_with_it(tmp_path: Path, moment: str) -> None:
    data = tmp_path / "data"
    parent = subprocess.Popen(
        command(data, "--snapshot", str(SAMPLE)),
        cwd=PROJECT_ROOT,
        env=_plain_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        worker = _wait_for_worker_of(parent)
        if moment == "checking":  # the worker has the batch: it writes GX's configuration
            _wait_for_path(data / "checks" / "gx", parent)
        parent.kill()
        parent.wait()
        assert ends_within(worker, seconds=10), "the check worker outlived its refresh"
    finally:
        parent.kill()
        parent.wait()
    # The next run is not disturbed by anything the killed one left.
    assert refresh(data, "--snapshot", str(SAMPLE)).returncode == 0


def test_closing_a_worker_that_got_no_batch_ends_it_by_itself() -> None:
    worker = validation.CheckWorker.start()
    time.sleep(0.3)  # the worker is importing GX, as when a bad catalog ends the run early
    worker.close()
    assert worker.exit_code == 0  # it ended on its stdin closing; it was not killed (-9)


def test_the_worker_and_this_process_validate_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = batch(GOOD + "kolada:N15428,1784,2021,T,104.2,false\n")  # one share over 100
    options = {
        "suite": "kolada_values",
        "run_id": "test-run",
        "share_series": [SHARE],
        "county_scopes": {"0017": COUNTY},
    }
    worker = validation.CheckWorker.start()
    try:
        elsewhere = worker.check(
            CheckRequest(frame, empty_results(), {**options, "checks_dir": tmp_path / "worker"})
        )
        worker.docs_built()
    finally:
        worker.close()

    import great_expectations  # noqa: F401  (as in a long-lived process that validated before)

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker process was started though GX is imported here")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    here = validation.Validation()
    try:
        local = here.check(frame, empty_results(), checks_dir=tmp_path / "here", **options)
        here.docs_built()
    finally:
        here.close()

    assert not elsewhere.passed and elsewhere.results.equals(local.results)
    assert "area_id=1784" in "\n".join(elsewhere.describe_failures())
    assert elsewhere.docs_index is not None and local.docs_index is not None


def _wait_for_worker_of(parent: subprocess.Popen[bytes]) -> Process:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and parent.poll() is None:
        for child in children_of(parent.pid):
            if WORKER_PROGRAM in command_line(child):
                return child
        time.sleep(0.01)
    raise AssertionError("the refresh started no check worker")


def _wait_for_path(path: Path, parent: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and parent.poll() is None:
        if path.exists():
            return
        time.sleep(0.005)
    raise AssertionError(f"the refresh never wrote {path}")
