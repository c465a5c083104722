"""Where a refresh's batch is validated: in a worker process of its own, or in this one.

Importing Great Expectations and validating with it is seconds of Python that holds the
interpreter lock, and on a small refresh it is most of the run. In a worker process it runs on
the second core: the worker starts as soon as the refresh knows a batch will be validated (a
first load: at once; a night: when the first page with values arrives), imports GX while the
refresh fetches and loads in its own process, validates the batch it is sent, answers with the
results, and renders the data docs while the refresh computes status rows.

Where GX is imported in this process already (a long-lived process, the tests), a worker would
only pay for the import again, so the batch is validated here, and the docs rendered in a thread.

The worker talks over its stdin and stdout, one pickle per message (both ends are this module;
nothing else writes to these pipes): one request in, a report and then, if docs were rendered,
their end out. It lives exactly as long as its stdin is open: when the refresh closes it, or
dies (the kernel closes it then), a thread of the worker that waits on it ends the worker at
once, even mid-import. So a worker never outlives the run that started it, whatever the thread
that started it, and never writes GX files into a later run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl

from pipelines import checks
from pipelines.gx_import import GX_MODULE, SINGLE_THREAD_DEFERRED, import_great_expectations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER_PROGRAM = "from pipelines.validation import serve; serve()"
WORKER_EXIT_SECONDS = 10.0  # the worker exits within milliseconds of its stdin closing

log = logging.getLogger("aktuellt.validation")


class ValidationFailed(RuntimeError):
    """GX could not validate the batch (not: the batch failed its checks), or its worker died."""


@dataclass(frozen=True)
class CheckRequest:
    batch: pl.DataFrame
    previous_results: pl.DataFrame  # the stored results: docs are rendered when these differ
    options: Mapping[str, Any]  # checks.check_observations' keyword arguments


@dataclass(frozen=True)
class WorkerReply:
    kind: str  # "report", "docs" or "error"
    results: pl.DataFrame | None = None
    docs_pending: bool = False  # after a report: the docs are being rendered, a "docs" follows
    error: str = ""  # what failed, in one line (the worker logs its traceback)


class Validation:
    """One refresh's validation: started early (`prepare`, from any thread), used once
    (`check`, then `docs_built` before publishing) and closed at the end of the run.

    `logs_dir`: where the refresh logs, so that the worker logs there too."""

    def __init__(self, logs_dir: Path | None = None) -> None:
        self.logs_dir = logs_dir
        self._lock = threading.Lock()  # fetching threads may all call prepare at once
        self._worker: CheckWorker | None = None
        self._here: _ChecksHere | None = None

    def prepare(self) -> None:
        """A batch will be validated: start the worker now, unless GX is here already."""
        with self._lock:
            if self._worker is None and self._here is None:
                if GX_MODULE in sys.modules:
                    self._here = _ChecksHere()
                else:
                    self._worker = CheckWorker.start(self.logs_dir)

    def check(
        self, batch: pl.DataFrame, previous_results: pl.DataFrame, **options: Any
    ) -> checks.CheckReport:
        """Validate the batch (checks.check_observations' options); the data docs are rendered
        meanwhile when the outcomes differ from `previous_results`."""
        self.prepare()
        if self._here is not None:
            return self._here.check(batch, previous_results, options)
        assert self._worker is not None
        return self._worker.check(CheckRequest(batch, previous_results, options))

    def docs_built(self) -> None:
        """Wait for the data docs of the last check, if any are rendering; raise if that failed."""
        if self._here is not None:
            self._here.docs.wait()
        elif self._worker is not None:
            self._worker.docs_built()

    def close(self) -> None:
        """End the worker or docs thread, letting docs that are rendering finish; never raises
        (a run that failed already keeps its own reason)."""
        with self._lock:
            if self._here is not None:
                self._here.docs.join()
            if self._worker is not None:
                self._worker.close()
                self._worker = None


class _ChecksHere:
    def __init__(self) -> None:
        self.docs = _DocsBuild()

    def check(
        self, batch: pl.DataFrame, previous_results: pl.DataFrame, options: Mapping[str, Any]
    ) -> checks.CheckReport:
        report = checks.check_observations(batch, **options)
        if checks.outcomes_changed(previous_results, report.results):
            self.docs.start(report.checks_dir, report)
        return report


class _DocsBuild:
    """Renders the data docs in a thread while the status rows are computed: rendering is
    Python (GX and Jinja2) and the status mostly polars, which runs without the GIL. `wait`
    joins it and raises what it raised, so a run never publishes without its docs."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, checks_dir: Path, report: checks.CheckReport) -> None:
        def build() -> None:
            try:
                checks.build_docs(checks_dir, report)
            except BaseException as error:  # re-raised by wait, in the refresh's thread
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
            raise error


class CheckWorker:
    """The refresh's end of a worker process."""

    def __init__(self, process: subprocess.Popen[bytes], logs_dir: Path | None) -> None:
        self._process = process
        self._logs_dir = logs_dir
        self._docs_pending = False

    @classmethod
    def start(cls, logs_dir: Path | None) -> CheckWorker:
        environment = dict(os.environ)
        # The worker imports this project the way this process does, wherever it runs from.
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(PROJECT_ROOT), environment.get("PYTHONPATH")) if part
        )
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER_PROGRAM],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
        )
        return cls(process, logs_dir)

    def check(self, request: CheckRequest) -> checks.CheckReport:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            pickle.dump((request, self._logs_dir), stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except OSError as error:  # a broken pipe: the worker is gone
            raise self._ended() from error
        reply = self._receive("report")
        assert reply.results is not None
        self._docs_pending = reply.docs_pending
        return checks.CheckReport(
            suite=request.options["suite"],
            results=reply.results,
            checks_dir=Path(request.options["checks_dir"]),
        )

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
        try:
            self._process.wait(timeout=WORKER_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _receive(self, expected: str) -> WorkerReply:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            reply = pickle.load(stdout)
        except (EOFError, pickle.UnpicklingError, OSError) as error:
            raise self._ended() from error
        if not isinstance(reply, WorkerReply) or reply.kind not in (expected, "error"):
            raise ValidationFailed(f"the check worker answered out of turn: {reply!r:.200}")
        if reply.kind == "error":
            raise ValidationFailed(f"in the check worker: {reply.error}")
        return reply

    def _ended(self) -> ValidationFailed:
        code = self._process.wait()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return ValidationFailed(f"the check worker {how} before answering")


def serve() -> None:
    """The worker's main: import GX, validate the one batch it is sent, answer, end.

    It always ends with os._exit: no interpreter teardown, which after GX's import costs more
    than the work, and none that could wait on the thread reading stdin."""
    try:
        _serve()
    except BaseException:
        # The replies are gone (the refresh died mid-answer): nobody is left to tell.
        os._exit(1)
    os._exit(0)


def _serve() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything printed from here on (by GX, say) goes to stderr, never into the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests: list[tuple[CheckRequest, Path | None]] = []
    arrived = threading.Event()
    threading.Thread(
        target=_read_request, args=(sys.stdin.buffer, requests, arrived), daemon=True
    ).start()
    # A failed import is raised again where the checks import GX, as the request's error.
    with contextlib.suppress(Exception):
        import_great_expectations(SINGLE_THREAD_DEFERRED)
    arrived.wait()
    request, logs_dir = requests[0]
    if logs_dir is not None:
        from pipelines.logs import log_to_file

        log_to_file(logs_dir)
    try:
        report = checks.check_observations(request.batch, **request.options)
        docs = checks.outcomes_changed(request.previous_results, report.results)
        _reply(replies, WorkerReply("report", results=report.results, docs_pending=docs))
        if docs:
            checks.build_docs(report.checks_dir, report)
            _reply(replies, WorkerReply("docs"))
    except Exception as error:
        log.exception("validation failed in the check worker")
        _reply(replies, WorkerReply("error", error=f"{type(error).__name__}: {error}"))
    replies.close()


def _read_request(
    stdin: IO[bytes], requests: list[tuple[CheckRequest, Path | None]], arrived: threading.Event
) -> None:
    """Take the one request, then wait for stdin to close, and end the worker when it does."""
    # A torn request is the refresh dying mid-write: the worker ends as for a closed stdin.
    with contextlib.suppress(Exception):
        requests.append(pickle.load(stdin))
        arrived.set()
        while stdin.read(1 << 16):
            pass
    os._exit(0)


def _reply(replies: IO[bytes], reply: WorkerReply) -> None:
    pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
    replies.flush()
