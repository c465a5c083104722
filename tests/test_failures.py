"""Every failure ends cleanly: a deadline, one line naming the file, the README's exit code.

The commands run in a child process (the installed `aktuellt` entry point), as cron runs them:
what is checked is the exit code and everything printed, a traceback included.
"""

from __future__ import annotations

import os
import resource
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
