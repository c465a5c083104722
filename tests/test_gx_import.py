"""Importing Great Expectations cheaply: scipy deferred until used, the collector restored, and
the suite validating a real batch without scipy ever running. Each case runs in a fresh
interpreter, since the test process may have imported GX already."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_python(program: str, cwd: Path = ROOT) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(program)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    facts: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


def test_gx_imports_with_scipy_deferred_and_the_collector_back_on() -> None:
    facts = run_python(
        """
        import gc, json, sys
        sys.path.insert(0, ".")
        from pipelines.gx_import import import_great_expectations
        gx = import_great_expectations()
        deferred = type(sys.modules["scipy.stats"]).__name__
        # A deferred module is the real one on first use.
        norm_cdf = sys.modules["scipy.stats"].norm.cdf(0.0)
        print(json.dumps({
            "has_get_context": hasattr(gx, "get_context"),
            "deferred": deferred,
            "after_use": type(sys.modules["scipy.stats"]).__name__,
            "norm_cdf": float(norm_cdf),
            "gc_enabled": gc.isenabled(),
            "finders_left": [type(f).__name__ for f in sys.meta_path
                             if type(f).__name__ == "_DeferringFinder"],
        }))
        """
    )
    assert facts["has_get_context"] is True
    assert facts["deferred"] == "_LazyModule"
    assert facts["after_use"] == "module"
    assert facts["norm_cdf"] == 0.5
    assert facts["gc_enabled"] is True
    assert facts["finders_left"] == []


def collections_during_import(how: str) -> int:
    facts = run_python(
        f"""
        import gc, importlib, json, sys
        sys.path.insert(0, ".")
        from pipelines.gx_import import import_great_expectations
        before = sum(generation["collections"] for generation in gc.get_stats())
        {how}
        after = sum(generation["collections"] for generation in gc.get_stats())
        print(json.dumps({{"collections": after - before}}))
        """
    )
    return int(facts["collections"])


def test_the_collector_does_not_run_through_the_import() -> None:
    plain = collections_during_import('importlib.import_module("great_expectations")')
    cheap = collections_during_import("import_great_expectations()")
    assert plain > 20  # what the pause spares
    assert cheap <= 1  # at most the one collection due once the collector is back on


def test_a_failed_import_restores_the_collector_and_the_finders() -> None:
    facts = run_python(
        """
        import gc, json, sys
        sys.path.insert(0, ".")
        from pipelines import gx_import
        finders = list(sys.meta_path)
        gx_import.GX_MODULE = "no_such_package_for_this_test"
        try:
            gx_import.import_great_expectations()
            raised = None
        except ModuleNotFoundError as error:
            raised = error.name
        print(json.dumps({
            "raised": raised,
            "gc_enabled": gc.isenabled(),
            "finders_restored": list(sys.meta_path) == finders,
        }))
        """
    )
    assert facts == {
        "raised": "no_such_package_for_this_test",
        "gc_enabled": True,
        "finders_restored": True,
    }


def test_the_program_entry_point_passes_on_the_commands_exit_code() -> None:
    """`aktuellt` is cli.main (the app, then a heap frozen for exit): codes pass through."""
    for argv, code in ((["catalog", "list"], 0), (["status", "--bogus"], 64)):
        done = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main()", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == code, done.stderr


def test_collector_stays_off_if_it_was_off() -> None:
    facts = run_python(
        """
        import gc, json, sys
        sys.path.insert(0, ".")
        from pipelines.gx_import import import_great_expectations
        gc.disable()
        import_great_expectations()
        print(json.dumps({"gc_enabled": gc.isenabled()}))
        """
    )
    assert facts["gc_enabled"] is False


def test_the_suite_validates_a_batch_without_running_scipy(tmp_path: Path) -> None:
    """The deferral is only sound while no expectation of ours needs scipy: a failing and a
    passing check both run, and scipy.stats is still unexecuted afterwards."""
    facts = run_python(
        f"""
        import json, sys
        sys.path.insert(0, ".")
        import polars as pl
        from models.schema import OBSERVATION_SCHEMA
        from pipelines import checks
        rows = [
            dict(series_id="kolada:N00001", area_id="1780", period=2023, gender="T",
                 value=41.5, is_deleted=False),
            dict(series_id="kolada:N00001", area_id="1780", period=2024, gender="X",
                 value=140.0, is_deleted=False),
        ]
        batch = pl.DataFrame(rows).with_columns(
            [pl.lit(None, dtype=OBSERVATION_SCHEMA[c]).alias(c)
             for c in OBSERVATION_SCHEMA if c not in rows[0]]
        ).select(list(OBSERVATION_SCHEMA)).cast(dict(OBSERVATION_SCHEMA))
        report = checks.check_observations(
            batch, suite="observations", run_id="t1", checks_dir=__import__("pathlib").Path(
                {str(tmp_path)!r}), share_series=["kolada:N00001"],
            county_scopes={{"0017": ["1780"]}},
        )
        print(json.dumps({{
            "checks": report.results.height,
            "failed": report.results.filter(~pl.col("success")).height,
            "scipy_stats": type(sys.modules["scipy.stats"]).__name__,
        }}))
        """
    )
    assert facts["checks"] > 5
    assert facts["failed"] >= 2  # gender X and a share of 140 are refused
    assert facts["scipy_stats"] == "_LazyModule"
