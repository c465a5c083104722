"""One polite HTTP session for every source: timeouts, retries with backoff, a request count.

Retries live in urllib3 (`Retry`): connection errors, read errors (a dropped connection, a read
timeout), 429 (honouring `Retry-After`) and 500/502/503/504 are retried with exponential backoff;
any other 4xx is returned at once, so the caller can raise an error naming the URL. Every attempt
that goes out on the wire is counted in `PoliteSession.requests_made`, retries included, because
the refresh records how many requests a run cost.

Several requests may be out at once (the refresh's thread pool); a Retry-After that one of them
receives pauses them all (`PauseGate`), so the API sees no request until the time it asked for.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
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


class _CountingPoolMixin:
    """Counts each attempt (urllib3 retries by calling the pool's `urlopen` again) and holds it
    back while the session is paused."""

    counter: RequestCounter
    gate: PauseGate

    def urlopen(self, *args: Any, **kwargs: Any) -> Any:
        self.gate.wait()
        self.counter.increment()
        return super().urlopen(*args, **kwargs)  # type: ignore[misc]


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
    """A requests.Session with a default timeout and a count of requests sent."""

    def __init__(self, counter: RequestCounter, timeout: float, gate: PauseGate) -> None:
        super().__init__()
        self._counter = counter
        self.timeout = timeout
        self.gate = gate

    @property
    def requests_made(self) -> int:
        """Every HTTP request sent through this session, each retry counted."""
        return self._counter.value

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


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
) -> PoliteSession:
    """A session for one run; pass it to every fetch so all requests share retries and count."""
    counter = RequestCounter()
    gate = PauseGate()
    session = PoliteSession(counter, timeout, gate)
    adapter = CountingAdapter(
        counter, gate, max_retries=make_retry(total_retries, backoff_factor, gate)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session
