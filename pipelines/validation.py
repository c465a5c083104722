"""Where a refresh's batch is validated: in a check worker process, or in this one.

Importing Great Expectations and validating with it is seconds of Python that holds the
interpreter lock, and on a small refresh it is most of the run. In a check worker
(`pipelines.check_worker`) it runs on the second core: the worker starts as soon as the refresh
knows a batch will be validated (a first load: at once; a night: when the first page with values
arrives), imports GX while the refresh fetches and loads in its own process, validates the batch
it is sent, answers with the results, and renders the data docs while the refresh computes
status rows. It ends when the refresh closes its stdin, or dies.

Where GX is imported in this process already (a long-lived process, the tests), a worker would
only pay for the import again, so the batch is validated here, and the docs rendered in a thread.
Either way, GX failing (not the batch failing its checks) is a `ValidationFailed`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import checks
from pipelines.check_worker import WORKER_PROGRAM, CheckRequest, WorkerReply
from pipelines.gx_import import GX_MODULE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER_EXIT_SECONDS = 10.0  # a worker ends within milliseconds of its stdin closing

log = logging.getLogger("aktuellt.validation")


class ValidationFailed(RuntimeError):
    """GX could not validate the batch (not: the batch failed its checks), or its worker died."""


class Validation:
    """One refresh's validation: started early (`prepare`, from any thread), used once
    (`check`, then `docs_built` before publishing) and closed at the end of the run.

    `logs_dir`: where the refresh logs, so that the worker logs there too."""

    def __init__(self, logs_dir: Path | None = None) -> None:
        self.logs_dir = logs_dir
        self._lock = threading.Lock()  # fetching threads may all call prepare at once
        self._worker: CheckWorker | None = None
        self._here: _ChecksHere | None = None
        self._closed = False

    def prepare(self) -> None:
        """A batch will be validated: start the worker now, unless GX is here already. After
        `close` (a fetching thread still running as the run ends), nothing is started."""
        with self._lock:
            if self._worker is None and self._here is None and not self._closed:
                if GX_MODULE in sys.modules:
                    self._here = _ChecksHere()
                    return
                try:
                    self._worker = CheckWorker.start(self.logs_dir)
                except OSError as error:
                    # No process to be had (a process limit, say): slower here, but validated.
                    log.warning("check worker not started (%s); validating in this process", error)
                    self._here = _ChecksHere()

    def check(
        self, batch: pl.DataFrame, previous_results: pl.DataFrame, **options: Any
    ) -> checks.CheckReport:
        """Validate the batch (checks.check_observations' options); the data docs are rendered
        meanwhile when the outcomes differ from `previous_results`."""
        self.prepare()
        if self._here is not None:
            return self._here.check(batch, previous_results, options)
        if self._worker is None:
            raise ValidationFailed("the validation was closed before the batch was checked")
        return self._worker.check(CheckRequest(batch, previous_results, options, self.logs_dir))

    def docs_built(self) -> None:
        """Wait for the data docs of the last check, if any are rendering; raise if that failed."""
        if self._here is not None:
            self._here.docs.wait()
        elif self._worker is not None:
            self._worker.docs_built()

    def close(self) -> None:
        """End the worker or docs thread, letting docs that are rendering finish; never raises
        (a run that failed already keeps its own reason). Safe to call again."""
        with self._lock:
            self._closed = True
            if self._here is not None:
                self._here.docs.join()
            if self._worker is not None:
                self._worker.close()
                self._worker = None


class _ChecksHere:
    def __init__(self) -> None:
        self.docs = _DocsBuild()

    def check(
        self, batch: pl.DataFrame, previous_results: pl.DataFrame, options: dict[str, Any]
    ) -> checks.CheckReport:
        try:
            report = checks.check_observations(batch, **options)
        except Exception as error:
            raise ValidationFailed(f"{type(error).__name__}: {error}") from error
        if checks.outcomes_changed(previous_results, report.results):
            self.docs.start(report.checks_dir, report)
        return report


class _DocsBuild:
    """Renders the data docs in a thread while the status rows are computed: rendering is
    Python (GX and Jinja2) and the status mostly polars, which runs without the GIL. `wait`
    joins it and raises what it raised, so a run never publishes without its docs."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: Exception | None = None

    def start(self, checks_dir: Path, report: checks.CheckReport) -> None:
        def build() -> None:
            try:
                checks.build_docs(checks_dir, report)
            except Exception as error:  # raised by wait, in the refresh's thread
                self._error = error

        self._thread = threading.Thread(target=build, name="gx-docs")
        self._thread.start()

    def join(self) -> None:
        """Wait for the rendering without raising."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wait(self) -> None:
        self.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise ValidationFailed(f"data docs: {type(error).__name__}: {error}") from error


class CheckWorker:
    """The refresh's end of a check worker process (pipelines.check_worker)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._docs_pending = False

    @classmethod
    def start(cls, logs_dir: Path | None = None) -> CheckWorker:
        environment = dict(os.environ)
        # The worker imports this project the way this process does, wherever it runs from
        # (with a wheel install, PROJECT_ROOT is site-packages, on the path anyway). -P: the
        # current folder is not put first, where a `models` folder of the user's could shadow
        # the project's.
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(PROJECT_ROOT), environment.get("PYTHONPATH")) if part
        )
        process = subprocess.Popen(
            [sys.executable, "-P", "-c", WORKER_PROGRAM],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
        )
        return cls(process)

    @property
    def exit_code(self) -> int | None:
        """The worker's exit code once it has ended (negative: the signal that ended it)."""
        return self._process.poll()

    def check(self, request: CheckRequest) -> checks.CheckReport:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            pickle.dump(request, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except OSError as error:  # a broken pipe: the worker is gone
            raise self._ended() from error
        reply = self._receive("report")
        assert reply.report is not None
        self._docs_pending = reply.docs_pending
        return reply.report

    def docs_built(self) -> None:
        if self._docs_pending:
            self._docs_pending = False
            self._receive("docs")

    def close(self) -> None:
        if self._docs_pending:
            # The run has failed for its own reason already; the docs are rebuilt later.
            with contextlib.suppress(ValidationFailed):
                self.docs_built()
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):  # it has ended already
                stdin.close()  # the worker's signal to end
        self._wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _receive(self, expected: str) -> WorkerReply:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            reply = pickle.load(stdout)
        except Exception as error:  # the pipe closed, or garbage on it: the worker is gone
            raise self._ended() from error
        if not isinstance(reply, WorkerReply) or reply.kind not in (expected, "error"):
            self._process.kill()
            raise ValidationFailed(f"the check worker answered out of turn: {reply!r:.200}")
        if reply.kind == "error":
            raise ValidationFailed(f"in the check worker: {reply.error}")
        return reply

    def _ended(self) -> ValidationFailed:
        code = self._wait()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return ValidationFailed(f"the check worker {how} before answering")

    def _wait(self) -> int:
        try:
            return self._process.wait(timeout=WORKER_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()
