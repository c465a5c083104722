"""One polite HTTP session for every source: timeouts, deadlines, retries, a request count.

Retries live in urllib3 (`Retry`): connection errors, read errors (a dropped connection, a read
timeout), 429 (honouring `Retry-After`) and 500/502/503/504 are retried with exponential backoff;
any other 4xx is returned at once, so the caller can raise an error naming the URL. A body cut off
mid-stream is read outside urllib3's retry loop, so the session retries that itself, from the same
budget. Every attempt that goes out on the wire is counted in `PoliteSession.requests_made`,
retries included, because the refresh records how many requests a run cost.

The timeout bounds each socket read, not a whole answer: a server that sends a byte every few
seconds would keep one request (and the refresh's lock) alive forever. So every request also has
a wall-clock deadline, and a session may have one for all its requests together (the whole
fetch). A watchdog thread shuts the request's socket down when the deadline passes, which ends
any blocked read at once; the request then fails with `DeadlineExceeded`.

Several requests may be out at once (the refresh's thread pool; each thread has its own request
deadline); a Retry-After that one of them receives pauses them all (`PauseGate`), so the API sees
no request until the time it asked for.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

USER_AGENT = (
    "aktuellt/0.1 (+Aktuellt perspektiv; yearly follow-up of the Nya perspektiv welfare "
    f"indicators; python-requests/{requests.__version__})"
)
TOTAL_RETRIES = 5
BACKOFF_FACTOR = 0.5  # seconds; urllib3 sleeps factor * 2**(n-1) before the n-th retry
BACKOFF_MAX = 60.0  # seconds; no single backoff sleep is longer
RETRY_AFTER_MAX = 300.0  # seconds; a longer Retry-After would stall the nightly job (and its lock)
TIMEOUT = 30.0  # seconds, per connect and per read; Kolada answers big pages within seconds
# Seconds for one request, its retries and waits included: long enough for a few capped
# Retry-After waits, short enough that a drip-fed answer cannot hold the nightly lock for long.
REQUEST_DEADLINE = 600.0
AFTER_DEADLINE_RECHECK = 0.5  # seconds between shutdowns once a deadline has passed
RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_METHODS = frozenset({"GET", "HEAD"})  # only idempotent requests are repeated


class RequestCounter:
    """A thread-safe count of attempts, shared by the connection pools of one session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def increment(self) -> None:
        with self._lock:
            self.value += 1


class PauseGate:
    """A moment before which no request of the session goes out, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0  # time.monotonic()
        self.pauses = 0  # how many times a server asked the whole session to wait

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)
            self.pauses += 1

    def wait(self) -> None:
        while (remaining := self._remaining()) > 0:
            time.sleep(remaining)

    def _remaining(self) -> float:
        with self._lock:
            return self._until - time.monotonic()


class DeadlineExceeded(requests.exceptions.Timeout):
    """No complete answer within the request's or the whole fetch's wall-clock deadline."""


class _DeadlinePassed(Exception):
    """Raised inside urllib3's retry loop to stop it: urllib3 retries every OSError."""


class _Watch:
    """The deadline of one request: a timer that shuts down the sockets the request uses."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[Any] = []  # urllib3 connections; their socket may come later
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def add(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._connections.clear()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for connection in self._connections:
                _shut(getattr(connection, "sock", None))
            # A connection that was still connecting gets its socket later: look again soon.
            self._timer = threading.Timer(AFTER_DEADLINE_RECHECK, self._expire)
            self._timer.daemon = True
            self._timer.start()


def _shut(sock: socket.socket | None) -> None:
    """End every blocked read on the socket at once (close alone would not wake a reader).

    A connection still connecting has no socket yet; its connect timeout ends it, and the
    retry that follows finds the deadline passed."""
    if sock is None:
        return
    with suppress(OSError):  # already closed by the other side or by urllib3
        sock.shutdown(socket.SHUT_RDWR)


_active = threading.local()  # the _Watch of the request this thread is making, if any


class _CountingPoolMixin:
    """Counts each attempt (urllib3 retries by calling the pool's `urlopen` again), holds it back
    while the session is paused, and hands each attempt's connection to the request's deadline
    watch."""

    counter: RequestCounter
    gate: PauseGate

    def urlopen(self, *args: Any, **kwargs: Any) -> Any:
        self.gate.wait()
        watch: _Watch | None = getattr(_active, "watch", None)
        if watch is not None and watch.expired:  # also when it passed during the pause
            raise _DeadlinePassed()
        self.counter.increment()
        return super().urlopen(*args, **kwargs)  # type: ignore[misc]

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        watch: _Watch | None = getattr(_active, "watch", None)
        if watch is not None:
            if watch.expired:
                raise _DeadlinePassed()
            watch.add(conn)
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class CountingAdapter(HTTPAdapter):
    """An HTTPAdapter whose connection pools count every attempt, retries included."""

    def __init__(self, counter: RequestCounter, gate: PauseGate, **kwargs: Any) -> None:
        # Set before super().__init__, which builds the pool manager through init_poolmanager.
        self.counter = counter
        self.gate = gate
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        attributes = {"counter": self.counter, "gate": self.gate}
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("CountingHTTPPool", (_CountingPoolMixin, HTTPConnectionPool), attributes),
            "https": type(
                "CountingHTTPSPool", (_CountingPoolMixin, HTTPSConnectionPool), attributes
            ),
        }


class PoliteSession(requests.Session):
    """A requests.Session with a default timeout, deadlines and a count of requests sent.

    Every request's body is read before `request` returns, under its deadline: the shorter of
    `request_deadline` seconds and what is left of the fetch deadline (`start_fetch_deadline`).
    """

    def __init__(
        self,
        counter: RequestCounter,
        timeout: float,
        gate: PauseGate,
        *,
        request_deadline: float = REQUEST_DEADLINE,
        body_retries: int = TOTAL_RETRIES,
        backoff_factor: float = BACKOFF_FACTOR,
    ) -> None:
        super().__init__()
        self._counter = counter
        self.timeout = timeout
        self.gate = gate
        self.request_deadline = request_deadline
        self.body_retries = body_retries
        self.backoff_factor = backoff_factor
        self._fetch_deadline: tuple[float, float] | None = None  # (monotonic end, seconds)

    @property
    def requests_made(self) -> int:
        """Every HTTP request sent through this session, each retry counted."""
        return self._counter.value

    def start_fetch_deadline(self, seconds: float) -> None:
        """From now on, all requests together must finish within `seconds`."""
        self._fetch_deadline = (time.monotonic() + seconds, seconds)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True  # the body is read below, under the deadline
        seconds, what = self._deadline()
        cuts = 0
        with self._watching(seconds) as watch:
            while True:
                try:
                    response = super().request(method, url, *args, **kwargs)
                    response.content  # noqa: B018 - read the whole body now
                    return response
                except _DeadlinePassed:
                    raise DeadlineExceeded(f"no complete answer within {what}") from None
                except (
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ConnectionError,
                ) as error:
                    if watch.expired:
                        raise DeadlineExceeded(f"no complete answer within {what}") from None
                    # A body cut off mid-stream (IncompleteRead) happens after urllib3 has
                    # returned the response, outside its retries: repeat the whole request.
                    if not isinstance(error, requests.exceptions.ChunkedEncodingError):
                        raise
                    cuts += 1
                    if cuts > self.body_retries:
                        raise
                    time.sleep(min(self.backoff_factor * 2 ** (cuts - 1), BACKOFF_MAX))

    def _deadline(self) -> tuple[float, str]:
        seconds = self.request_deadline
        what = f"the request deadline of {seconds:g} s"
        if self._fetch_deadline is not None:
            end, total = self._fetch_deadline
            left = end - time.monotonic()
            if left < seconds:
                seconds, what = left, f"the fetch deadline of {total:g} s"
        if seconds <= 0:
            raise DeadlineExceeded(f"no time left: {what} has passed")
        return seconds, what

    @contextmanager
    def _watching(self, seconds: float) -> Iterator[_Watch]:
        watch = _Watch(seconds)
        _active.watch = watch
        watch.start()
        try:
            yield watch
        finally:
            watch.stop()
            _active.watch = None


class CappedRetry(Retry):
    """Honours Retry-After up to RETRY_AFTER_MAX, for every request of the session (through its
    gate); the retry budget still ends a run of 429s."""

    gate: PauseGate | None = None

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), RETRY_AFTER_MAX)

    def new(self, **kw: Any) -> CappedRetry:
        renewed = super().new(**kw)  # urllib3 copies the policy for every attempt
        renewed.gate = self.gate
        return renewed

    def sleep_for_retry(self, response: Any = None) -> bool:
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after and self.gate is not None:
            self.gate.pause(retry_after)
        return bool(super().sleep_for_retry(response))


def make_retry(
    total_retries: int = TOTAL_RETRIES,
    backoff_factor: float = BACKOFF_FACTOR,
    gate: PauseGate | None = None,
) -> Retry:
    """The retry policy: transient failures are retried, a client error (4xx) never is."""
    retry = CappedRetry(
        total=total_retries,
        connect=total_retries,
        read=total_retries,
        status=total_retries,
        other=0,
        backoff_factor=backoff_factor,
        backoff_max=BACKOFF_MAX,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=RETRY_METHODS,
        respect_retry_after_header=True,
        raise_on_status=True,
        raise_on_redirect=True,
    )
    retry.gate = gate
    return retry


def make_session(
    user_agent: str = USER_AGENT,
    *,
    total_retries: int = TOTAL_RETRIES,
    backoff_factor: float = BACKOFF_FACTOR,
    timeout: float = TIMEOUT,
    request_deadline: float = REQUEST_DEADLINE,
) -> PoliteSession:
    """A session for one run; pass it to every fetch so all requests share retries and count."""
    counter = RequestCounter()
    gate = PauseGate()
    session = PoliteSession(
        counter,
        timeout,
        gate,
        request_deadline=request_deadline,
        body_retries=total_retries,
        backoff_factor=backoff_factor,
    )
    adapter = CountingAdapter(
        counter, gate, max_retries=make_retry(total_retries, backoff_factor, gate)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session


def failure_reason(error: BaseException) -> str:
    """A short reason for a failed request: no URL, no connection-pool description.

    requests wraps urllib3's MaxRetryError, which wraps the last attempt's error; the innermost
    meaningful one is named ("connection refused", "read timed out", "HTTP 503 after retries").
    """
    if isinstance(error, DeadlineExceeded):
        return str(error)
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = getattr(current, "reason", None)
        if isinstance(current, ResponseError) or _status_in(str(current)):
            status = _status_in(str(current))
            return f"HTTP {status}, retries used up" if status else "retries used up"
        if isinstance(current, NewConnectionError):  # a subclass of ConnectTimeoutError
            return _errno_text(current)
        if isinstance(current, ConnectTimeoutError | requests.exceptions.ConnectTimeout):
            return "connection timed out"
        if isinstance(current, ReadTimeoutError | requests.exceptions.ReadTimeout):
            return "read timed out"
        if isinstance(current, ProtocolError):
            inner = current.args[1] if len(current.args) > 1 else None
            if isinstance(inner, BaseException):
                return f"connection dropped ({type(inner).__name__})"
            return "connection dropped"
        if isinstance(reason, BaseException):
            current = reason
            continue
        args = getattr(current, "args", ())
        nested = next((arg for arg in args if isinstance(arg, BaseException)), None)
        if nested is not None:
            current = nested
            continue
        break
    return type(error).__name__


def _status_in(text: str) -> str | None:
    match = re.search(r"too many (\d{3}) error responses", text)
    return match.group(1) if match else None


def _errno_text(error: BaseException) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "host name not found"
    return "cannot connect: " + text.split(": ", 1)[-1][:120]
