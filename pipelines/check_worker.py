"""The check worker: a process that validates one refresh's batch with Great Expectations.

Started by the refresh (`pipelines.validation`) as `python -P -c WORKER_PROGRAM`. It imports
GX at once, on the machine's other core, while the refresh fetches and loads; then it takes one
request from stdin, answers on stdout with the check report and, if the outcomes differ from the
stored ones, renders the data docs and says so. One pickle per message; both ends are this
project's code, and nothing else writes to these pipes. Whatever GX prints goes to stderr, which
the worker shares with the refresh, as when GX ran in the refresh's own process.

The worker lives exactly as long as its stdin is open. A thread waits on it and ends the worker
(os._exit, at once, even mid-import or mid-render) when it closes: when the refresh closes it,
or when the refresh dies and the kernel closes it. So a worker never outlives its run, whichever
of the refresh's threads started it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import pickle
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import polars as pl

from pipelines import checks
from pipelines.gx_import import SINGLE_THREAD_DEFERRED, import_great_expectations

WORKER_PROGRAM = "from pipelines.check_worker import serve; serve()"
EXIT_REQUEST_UNREADABLE = 2  # the request came torn or unreadable: the refresh died mid-write
EXIT_REPLIES_LOST = 3  # the replies could not be written: the refresh died mid-answer

log = logging.getLogger("aktuellt.validation")


@dataclass(frozen=True)
class CheckRequest:
    batch: pl.DataFrame
    previous_results: pl.DataFrame  # the stored results: docs are rendered when these differ
    options: dict[str, Any]  # checks.check_observations' keyword arguments
    logs_dir: Path | None = None  # where the refresh logs, so the worker logs there too


@dataclass(frozen=True)
class WorkerReply:
    kind: Literal["report", "docs", "error"]
    # A report's: GX's ids of the stored validation (result_ids) stay in the worker, which
    # renders the docs from them; the refresh's copy has none.
    report: checks.CheckReport | None = None
    docs_pending: bool = False  # with a report: docs are being rendered, a "docs" reply follows
    error: str = ""  # what failed, in one line (the worker logs its traceback)


def serve() -> None:
    """The worker's main. It always ends with os._exit: no interpreter teardown (which after
    GX's import costs more than the work), and none that could wait on the stdin thread."""
    try:
        _serve()
    except BaseException:
        os._exit(EXIT_REPLIES_LOST)
    os._exit(0)


def _serve() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything printed from here on (by GX, say) goes to stderr, never into the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests: list[CheckRequest] = []
    arrived = threading.Event()
    threading.Thread(
        target=_read_request, args=(sys.stdin.buffer, requests, arrived), daemon=True
    ).start()
    # A failed import is raised again where the checks import GX, as the request's error.
    with contextlib.suppress(Exception):
        import_great_expectations(SINGLE_THREAD_DEFERRED)
    arrived.wait()
    request = requests[0]
    if request.logs_dir is not None:
        from pipelines.logs import log_to_file

        log_to_file(request.logs_dir)
    try:
        report = checks.check_observations(request.batch, **request.options)
        docs = checks.outcomes_changed(request.previous_results, report.results)
        shared = dataclasses.replace(report, result_ids=())
        _reply(replies, WorkerReply("report", report=shared, docs_pending=docs))
        if docs:
            checks.build_docs(report.checks_dir, report)
            _reply(replies, WorkerReply("docs"))
    except Exception as error:
        log.exception("validation failed in the check worker")
        _reply(replies, WorkerReply("error", error=f"{type(error).__name__}: {error}"))
    replies.close()


def _read_request(stdin: IO[bytes], requests: list[CheckRequest], arrived: threading.Event) -> None:
    """Take the one request, then wait for stdin to close, and end the worker when it does."""
    try:
        request = pickle.load(stdin)
    except EOFError:
        os._exit(0)  # closed before any request: the run needed no validation after all
    except Exception:
        os._exit(EXIT_REQUEST_UNREADABLE)
    requests.append(request)
    arrived.set()
    with contextlib.suppress(OSError):
        while stdin.read(1 << 16):
            pass  # nothing more is sent; this read returns at the close
    os._exit(0)


def _reply(replies: IO[bytes], reply: WorkerReply) -> None:
    pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
    replies.flush()
