"""Importing Great Expectations at the lowest cost; on a small refresh it is most of the run.

Measured on GX 1.x (Python 3.11, quiet machine), `import great_expectations` takes 2,1–3,3 s:
- 0,5 s of it is scipy.stats, which GX imports for statistical expectations (KL divergence,
  bootstrapped KS tests) that this project's suite never uses. Its modules are deferred here
  with the standard library's `importlib.util.LazyLoader`: a deferred module is executed on
  its first attribute access, so any use still gets the real module, only later.
- 0,2–0,3 s is the cyclic garbage collector running hundreds of times over the ~230,000
  objects the import allocates, none of them garbage. The collector is paused for the import.

LazyLoader is not thread-safe before Python 3.12 when two threads touch the same deferred
module for the first time at once. Nothing in the project uses scipy, and GX is only used from
one thread at a time, so that cannot happen here. altair, which GX also imports for nothing we
use, is deferred only in the check worker, where no other thread draws charts.
"""

from __future__ import annotations

import gc
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

GX_MODULE = "great_expectations"
DEFERRED_PACKAGES = ("scipy",)  # imported by GX at import time, used by no expectation of ours
# Also imported by GX for its KL-divergence expectation only (0,15–0,25 s), but used by this
# project's charts, which several report threads draw at once: deferred only where no thread
# but GX's can touch it (the refresh's check worker, pipelines.check_worker).
SINGLE_THREAD_DEFERRED = (*DEFERRED_PACKAGES, "altair")

# Set once, as this module is imported (in the main thread: checks imports it at module level),
# not where GX is imported: the environment is not safe to change while other threads' C code
# reads it. Before any GX context is made, also where GX was imported some other way.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # never phone home


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds the pure-Python modules of some packages with a loader that defers executing them.

    Extension modules are left to the ordinary finders: LazyLoader cannot defer them.
    """

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = frozenset(packages)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


@contextmanager
def deferring(packages: Sequence[str]) -> Iterator[None]:
    """Modules of `packages` first imported inside the block are executed on first use."""
    finder = _DeferringFinder(packages)
    # Rebound, never edited in place: an import running in another thread iterates the list it
    # read when it started, and an in-place removal could make it skip a finder.
    sys.meta_path = [finder, *sys.meta_path]
    try:
        yield
    finally:
        sys.meta_path = [other for other in sys.meta_path if other is not finder]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees what it can).

    The switch is the process's: other threads run without cyclic collection meanwhile too (in
    the check worker, the thread that reads the request, which makes few cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_great_expectations(deferred: Sequence[str] = DEFERRED_PACKAGES) -> ModuleType:
    """Import GX (once per process) with the `deferred` packages deferred and the collector
    paused. A process where only one thread will ever use them can add `SINGLE_THREAD_DEFERRED`."""
    if GX_MODULE in sys.modules:
        # Waits for an import another thread has under way rather than returning it half-done.
        return importlib.import_module(GX_MODULE)
    with collector_paused(), deferring(deferred):
        return importlib.import_module(GX_MODULE)
