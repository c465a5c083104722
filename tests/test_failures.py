"""Every failure ends cleanly: a deadline, one line naming the file, the README's exit code.

The commands run in a child process (the installed `aktuellt` entry point), as cron runs them:
what is checked is the exit code and everything printed, a traceback included.
"""

from __future__ import annotations

import ctypes
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.warehouse import lock_path, open_for_refresh
from tests.kolada_server import KoladaServer

from .conftest import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"
AKTUELLT = Path(sys.executable).with_name("aktuellt")
pytestmark = pytest.mark.slow


def aktuellt(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    file_size_limit: int | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the command line in a child process in `cwd`, optionally under `ulimit -f`."""

    def limit_file_size() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("AKTUELLT_")
    }
    return subprocess.run(
        [str(AKTUELLT), *args],
        cwd=cwd,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_file_size,
    )


def assert_one_clean_line(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """The exit code, no traceback, and an `aktuellt:` line naming what failed."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("aktuellt:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_drip_fed_server_ends_the_refresh_at_the_deadline_and_frees_the_lock(
    tmp_path: Path,
) -> None:
    (tmp_path / "aktuellt.toml").write_text("request_deadline = 1.5\n", encoding="utf-8")
    with KoladaServer(SAMPLE) as server:
        server.faults.drip_feed = 10_000
        server.faults.drip_interval = 0.2
        started = time.monotonic()
        result = aktuellt(
            "refresh", "--full", cwd=tmp_path, env={"AKTUELLT_KOLADA_URL": server.base_url}
        )
        elapsed = time.monotonic() - started
    assert_one_clean_line(result, 2, "Kolada failed", "request deadline of 1.5 s")
    # The deadline (1,5 s) plus start-up and the failed-run record; nowhere near forever.
    assert elapsed < 30, elapsed
    db = tmp_path / "data" / "warehouse" / "aktuellt.duckdb"
    assert not lock_path(db).exists()
    with open_for_refresh(db):  # the lock is free: the next run can start
        pass


# --- the warehouse and the OS: one line, exit 4 -------------------------------------------


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real warehouse after one refresh of the bundled sample (built once, copied per test)."""
    from config import load_settings
    from pipelines.refresh import run_refresh

    root = tmp_path_factory.mktemp("built")
    settings = load_settings({"data_dir": root / "data"}, env={}, cwd=root)
    assert run_refresh(settings, snapshot=SAMPLE).exit_code == 0
    return settings.db_path


def project_with(tmp_path: Path, warehouse: Path | None = None) -> Path:
    """A working folder whose data/warehouse/aktuellt.duckdb is a copy of `warehouse`."""
    db = tmp_path / "data" / "warehouse" / "aktuellt.duckdb"
    db.parent.mkdir(parents=True)
    if warehouse is not None:
        shutil.copyfile(warehouse, db)
    return db


def corrupt(kind: str, db: Path, good: Path) -> None:
    """Six ways a warehouse file is broken: foreign, cut short, overwritten, emptied."""
    raw = good.read_bytes()
    if kind == "random_bytes":
        db.write_bytes(random.Random(7).randbytes(len(raw)))
    elif kind == "text":
        db.write_text("area_id,value\n1780,91.2\n", encoding="utf-8")
    elif kind == "truncated_half":
        db.write_bytes(raw[: len(raw) // 2])
    elif kind == "truncated_header":
        db.write_bytes(raw[:100])
    elif kind == "zeroed_middle":
        middle = len(raw) // 2
        db.write_bytes(raw[:middle] + bytes(len(raw) - middle))
    elif kind == "sqlite":
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE runs (run_id TEXT)")
        con.commit()
        con.close()
    else:
        raise ValueError(kind)


CORRUPT_KINDS = (
    "random_bytes",
    "text",
    "truncated_half",
    "truncated_header",
    "zeroed_middle",
    "sqlite",
)


@pytest.mark.parametrize("kind", CORRUPT_KINDS)
def test_a_corrupt_warehouse_is_one_line_and_exit_4_in_every_command(
    kind: str, tmp_path: Path, sample_warehouse: Path
) -> None:
    db = project_with(tmp_path)
    corrupt(kind, db, sample_warehouse)
    before = db.read_bytes()
    for command in (["refresh", "--snapshot", str(SAMPLE)], ["status"], ["runs"]):
        result = aktuellt(*command, cwd=tmp_path)
        assert_one_clean_line(result, 4, str(db))
    assert db.read_bytes() == before  # nothing was "repaired" over the user's file


def test_a_sqlite_file_at_the_warehouse_path_makes_no_download_attempt(
    tmp_path: Path, sample_warehouse: Path
) -> None:
    # DuckDB's own HTTP client (C++, not Python's socket module) fetches the sqlite extension
    # when autoinstall is on; its error then reads 'Failed to download extension ... at URL
    # http://extensions.duckdb.org/...'. With autoinstall and autoload off it never tries and
    # says the extension is not installed. The network is also pointed at a closed port, so a
    # try could not succeed either way.
    db = project_with(tmp_path)
    corrupt("sqlite", db, sample_warehouse)
    closed = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    for command in (["status"], ["runs"], ["report", "--no-pdf"], ["refresh"]):
        result = aktuellt(*command, cwd=tmp_path, env=closed)
        assert_one_clean_line(result, 4, str(db))
        assert "download" not in result.stderr.lower()
        assert "http://" not in result.stderr


def test_a_warehouse_from_a_newer_version_is_refused_by_every_command(
    tmp_path: Path, sample_warehouse: Path
) -> None:
    import duckdb

    db = project_with(tmp_path, sample_warehouse)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO schema_version (version, applied_at, description) "
            "VALUES (99, now(), 'from the future')"
        )
    before = db.read_bytes()
    for command in (["refresh", "--snapshot", str(SAMPLE)], ["status"], ["runs"]):
        result = aktuellt(*command, cwd=tmp_path)
        assert_one_clean_line(result, 4, str(db), "schema version 99", "upgrade aktuellt")
    assert db.read_bytes() == before


def test_a_full_disk_during_refresh_is_one_line_and_exit_4(
    tmp_path: Path, sample_warehouse: Path
) -> None:
    db = project_with(tmp_path, sample_warehouse)
    before = db.read_bytes()
    # `ulimit -f`: no file may grow past 256 KiB; the warehouse copy is far larger.
    result = aktuellt("refresh", "--snapshot", str(SAMPLE), cwd=tmp_path,
                      file_size_limit=256 * 1024)  # fmt: skip
    assert_one_clean_line(result, 4)
    assert "File too large" in result.stderr or "No space" in result.stderr, result.stderr
    assert db.read_bytes() == before  # the live file is untouched
    assert not lock_path(db).exists()


def without_dac_override() -> None:
    """Make this (child) process obey file permissions even as root.

    Tests run as root in CI, and root ignores a folder's mode through the capability
    CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH). Dropping both from the bounding set before exec
    leaves a root process that a 0555 folder stops, as it stops any user. prctl(PR_CAPBSET_DROP).
    """
    if os.geteuid() != 0:
        return  # an ordinary user obeys the mode already
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


@pytest.mark.parametrize("folder", ["warehouse", "data"])
def test_a_read_only_folder_is_one_line_and_exit_4(
    folder: str, tmp_path: Path, sample_warehouse: Path
) -> None:
    db = project_with(tmp_path, sample_warehouse)
    locked = db.parent if folder == "warehouse" else tmp_path / "data"
    locked.chmod(0o555)
    try:
        result = subprocess.run(
            [str(AKTUELLT), "refresh", "--snapshot", str(SAMPLE)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=without_dac_override,
        )
    finally:
        locked.chmod(0o755)
    assert_one_clean_line(result, 4, "Permission denied", str(locked))


def test_an_unexpected_error_is_one_line_and_exit_4() -> None:
    import typer
    from typer.testing import CliRunner

    import cli

    def broken() -> None:
        raise KeyError("a bug")

    app = typer.Typer()
    app.command()(cli.guarded(broken))
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 4
    assert result.stderr.strip() == "aktuellt: unexpected error: KeyError: 'a bug'"


@pytest.mark.parametrize(
    "written",
    [
        "validation_definitions/kolada_values.json",
        "checkpoints/kolada_values.json",
        "great_expectations.yml",
    ],
)
def test_a_run_killed_while_the_checks_wrote_their_configuration_does_not_stop_the_next(
    tmp_path: Path, written: str
) -> None:
    # Found by `make chaos`: a SIGKILL inside Great Expectations' configuration write left a
    # half-written file, and every later refresh failed on it.
    from config import load_settings
    from pipelines.refresh import run_refresh

    settings = load_settings({"data_dir": tmp_path / "data"}, env={}, cwd=tmp_path)
    assert run_refresh(settings, snapshot=SAMPLE).exit_code == 0
    path = settings.checks_dir / "gx" / written
    path.write_bytes(path.read_bytes()[:40])  # cut off mid-write
    # A night that changes something (a KPI gone quiet), so the checks run (#17 skips them when
    # nothing changed).
    changed = tmp_path / "without-n15428"
    shutil.copytree(SAMPLE, changed)
    (changed / "kolada" / "data" / "N15428.json").unlink()
    again = run_refresh(settings, snapshot=changed)
    assert again.exit_code == 0, again.message
    assert again.check_report is not None and again.check_report.passed
