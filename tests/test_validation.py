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
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import validation
from pipelines.checks import empty_results
from pipelines.warehouse import read_query
from tests.kolada_server import KoladaServer
from tests.test_checks import COUNTY, GOOD, SHARE, batch

from .conftest import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"
pytestmark = pytest.mark.slow

# Runs `aktuellt` in this interpreter with optional changes first, and says at exit whether this
# process imported GX and how many processes it started.
PROGRAM = """
import atexit, json, subprocess, sys
started = []
popen = subprocess.Popen
class Counted(popen):
    def __init__(self, *args, **kwargs):
        started.append(args[0])
        super().__init__(*args, **kwargs)
subprocess.Popen = Counted
atexit.register(lambda: print(json.dumps({
    "gx_imported": "great_expectations" in sys.modules, "started": len(started)
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
    assert facts(done) == {"gx_imported": False, "started": 1}
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


def test_an_error_in_the_worker_is_named_and_its_traceback_logged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fails = (
        "validation.WORKER_PROGRAM = '''\n"
        "from pipelines import checks, validation\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('GX broke')\n"
        "checks.check_observations = broken\n"
        "validation.serve()\n"
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


def test_a_killed_refresh_takes_its_worker_with_it(tmp_path: Path) -> None:
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
        parent.kill()  # while the worker imports GX or validates
        parent.wait()
        assert _ends_within(worker, seconds=10), f"worker {worker} outlived its refresh"
    finally:
        parent.kill()
        parent.wait()
    # The next run is not disturbed by anything the killed one left.
    assert refresh(data, "--snapshot", str(SAMPLE)).returncode == 0


def test_closing_a_worker_that_got_no_batch_ends_it_at_once_mid_import() -> None:
    worker = validation.CheckWorker.start(None)
    worker.close()  # the catalog was bad, say: the worker is still importing GX
    assert worker._process.returncode == 0  # it ended itself; it was not killed


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
    worker = validation.CheckWorker.start(None)
    try:
        elsewhere = worker.check(
            validation.CheckRequest(
                frame, empty_results(), {**options, "checks_dir": tmp_path / "worker"}
            )
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


def _wait_for_worker_of(parent: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in _children_of(parent.pid):
            if "pipelines.validation" in _cmdline(pid):
                return pid
        if parent.poll() is not None:
            break
        time.sleep(0.01)
    raise AssertionError("the refresh started no check worker")


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and int(stat[1]) == pid:
                children.append(int(entry.name))
    return children


def _stat(pid: int) -> list[str] | None:
    """State and parent pid from /proc/<pid>/stat, or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()[:2]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ends_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X"):  # gone, or a zombie waiting to be reaped
            return True
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)  # not left behind by the test either
    return False
