"""A randomised fault run of the nightly refresh: SIGKILLs at random moments, every API fault.

Against the local Kolada (tests/kolada_server.py) with latency, each trial runs the refresh
(`pipelines.refresh.run_refresh`, what `aktuellt refresh` calls) in a child process forked from
this one, on a scratch warehouse; forking after the imports keeps each run to its real work, so
the kill moments fall inside the refresh rather than in Python's start-up:

* kill trials: Kolada revises a value, a full or incremental refresh starts, and is SIGKILLed
  at a random moment of its run. The trial holds when the warehouse is readable right after,
  its current values equal the state before the run or the state the next (clean) run leaves,
  the lock is free, no check worker the run had started (pipelines.check_worker) outlives it by
  more than a second, and that next run exits 0.
* fault trials: each API fault (429, 500, dropped connection, truncated JSON, a body cut off
  mid-stream, a drip-fed body, a next_url cycle) switched on for a run. The trial holds when
  the run ends with 0 (the fault was retried away) or 2 (source failed) within its deadline,
  a failed run leaves the values unchanged, the lock is free and the next run exits 0.

Prints one line per trial and the count that held; exits 1 if any did not.
Run: .venv/bin/python -m bench.chaos [--kills 30] [--seed 15]   (make chaos)
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import multiprocessing.process
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Settings, load_settings  # noqa: E402
from pipelines.check_worker import WORKER_PROGRAM  # noqa: E402
from pipelines.refresh import run_refresh  # noqa: E402
from pipelines.warehouse import lock_path, read_query  # noqa: E402
from tests.kolada_server import KoladaServer  # noqa: E402
from tests.processes import Process, children_of, command_line, ends_within  # noqa: E402

# Runs are forked from a forkserver: a clean single-threaded process that has imported this
# module (and so the refresh) once. Forking this process instead would copy the local Kolada's
# threads and DuckDB's state into every child, which can deadlock. Great Expectations is not
# preloaded: each run validates in its own check worker process, as `aktuellt refresh` does,
# and a kill trial also holds that worker to dying with its run.
FORK = multiprocessing.get_context("forkserver")
FORK.set_forkserver_preload(["bench.chaos"])
LATENCY_SECONDS = 0.05
REQUEST_DEADLINE = 3.0  # seconds; the drip-fed fault must end at this, not hang
RUN_LIMIT = 120.0  # seconds; a refresh still running after this did not hold
FAULTS: dict[str, dict[str, float]] = {
    "status_429": {"status_429": 2, "retry_after": 1},
    "status_500": {"status_500": 2},
    "status_500_past_budget": {"status_500": 50},
    "drop_connection": {"drop_connection": 2},
    "truncate_json": {"truncate_json": 1},
    "cut_body": {"cut_body": 2},
    "drip_feed": {"drip_feed": 1000, "drip_interval": 0.2},
    "next_url_cycle": {"next_url_cycle": True},
}


@dataclass
class Trial:
    name: str
    held: bool
    detail: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30, help="SIGKILL trials (default 30)")
    parser.add_argument("--seed", type=int, default=15, help="random seed (default 15)")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    started = time.monotonic()
    trials: list[Trial] = []
    with tempfile.TemporaryDirectory() as scratch, KoladaServer(ROOT / "data" / "sample") as server:
        settings = load_settings(
            {
                "data_dir": Path(scratch) / "data",
                "kolada_url": server.base_url,
                "request_deadline": REQUEST_DEADLINE,
            },
            env={},
            cwd=Path(scratch),
        )
        server.faults.latency = LATENCY_SECONDS
        first, _ = run(settings, full=True)
        keys = sorted(server.state.values)
        # A trial's run has a revised value to validate, so the kill moments span a run that
        # starts its check worker, validates and renders the docs, not a run with nothing new.
        server.set_value(*keys[0], round(rng.uniform(0, 100), 1))
        again, duration = run(settings, full=True)
        if first != 0 or again != 0:
            raise SystemExit(f"the first full refreshes failed with exit {first}, {again}")
        print(
            f"a full refresh with a revised value takes {duration:.1f} s; "
            f"kill moments drawn from 0–{duration:.1f} s"
        )
        for number in range(1, options.kills + 1):
            kpi, area, period, gender = rng.choice(keys)
            server.set_value(kpi, area, period, gender, round(rng.uniform(0, 100), 1))
            full = rng.random() < 0.5
            trials.append(kill_trial(number, settings, full, rng.uniform(0, duration)))
            print(trials[-1].detail, flush=True)
        for name, faults in FAULTS.items():
            trials.append(fault_trial(name, faults, server, settings))
            print(trials[-1].detail, flush=True)
    held = sum(trial.held for trial in trials)
    kills = [trial for trial in trials if trial.name.startswith("kill")]
    print(
        f"held {held} of {len(trials)} trials ({sum(t.held for t in kills)} of {len(kills)} "
        f"SIGKILLs, {held - sum(t.held for t in kills)} of {len(trials) - len(kills)} API "
        f"faults) in {time.monotonic() - started:.0f} s"
    )
    if held != len(trials):
        raise SystemExit(1)


def kill_trial(number: int, settings: Settings, full: bool, after: float) -> Trial:
    name = f"kill {number:2d} ({'full' if full else 'incremental'}, at {after:.2f} s)"
    db = settings.db_path
    before = fingerprint(db)
    child = start(settings, full)
    time.sleep(after)
    finished = not child.is_alive()
    workers: list[Process] = []
    if child.pid is not None and not finished:
        # Stopped first, so that no worker starts between listing its children and the kill.
        os.kill(child.pid, signal.SIGSTOP)
        workers = [p for p in children_of(child.pid) if WORKER_PROGRAM in command_line(p)]
        os.kill(child.pid, signal.SIGKILL)
    child.join()
    orphans = [worker for worker in workers if not ends_within(worker, seconds=1.0)]
    try:
        right_after = fingerprint(db)
    except Exception as error:  # the very thing a trial looks for
        return Trial(name, False, f"{name}: NOT HELD, unreadable after the kill: {error}")
    locked = lock_path(db).exists() and lock_is_held(db)
    code, _ = run(settings, full=False)
    after_state = fingerprint(db)
    state = (
        "before" if right_after == before else "after" if right_after == after_state else "other"
    )
    held = state != "other" and not locked and code == 0 and not orphans
    note = " (had finished)" if finished else ""
    verdict = "held" if held else "NOT HELD"
    return Trial(
        name, held, f"{name}{note}: {verdict}, state {state}, next run exit {code}, "
        f"lock {'held' if locked else 'free'}, check workers {len(workers)}, left {len(orphans)}"
    )  # fmt: skip


def fault_trial(
    name: str, faults: dict[str, float], server: KoladaServer, settings: Settings
) -> Trial:
    db = settings.db_path
    before = fingerprint(db)
    for key, value in faults.items():
        setattr(server.faults, key, value)
    code, seconds = run(settings, full=True)
    server.faults = type(server.faults)(latency=LATENCY_SECONDS)
    unchanged = fingerprint(db) == before
    locked = lock_path(db).exists() and lock_is_held(db)
    next_code, _ = run(settings, full=False)
    held = code in (0, 2) and (code == 0 or unchanged) and not locked and next_code == 0
    verdict = "held" if held else "NOT HELD"
    return Trial(
        f"fault {name}",
        held,
        f"fault {name}: {verdict}, exit {code} in {seconds:.1f} s, values "
        f"{'unchanged' if unchanged else 'changed'}, next run exit {next_code}",
    )


def start(settings: Settings, full: bool) -> multiprocessing.process.BaseProcess:
    child = FORK.Process(target=refresh_child, args=(settings, full), daemon=True)
    child.start()
    return child


def refresh_child(settings: Settings, full: bool) -> None:
    """The child: one refresh, its exit code the process's."""
    import logging

    logging.disable(logging.CRITICAL)
    result = run_refresh(settings, full=full)
    os._exit(result.exit_code)


def run(settings: Settings, full: bool) -> tuple[int, float]:
    started = time.monotonic()
    child = start(settings, full)
    child.join(RUN_LIMIT)
    if child.is_alive():
        child.kill()
        child.join()
        return -1, time.monotonic() - started
    return int(child.exitcode or 0), time.monotonic() - started


def fingerprint(db: Path) -> str:
    """A hash of the current values, the state a reader sees."""
    frame = read_query(
        db,
        "SELECT series_id, area_id, period, gender, value FROM current_observations ORDER BY ALL",
    )
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()[:16]


def lock_is_held(db: Path) -> bool:
    """True when some process holds the refresh lock (a left-over file alone is free)."""
    import fcntl

    try:
        fd = os.open(lock_path(db), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


if __name__ == "__main__":
    main()
