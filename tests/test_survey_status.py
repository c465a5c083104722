"""Survey values reach the status method with their intervals: an imported Liv & Hälsa table
turns into status rows that weigh sampling error (method.md, issue 8)."""

from __future__ import annotations

import math

import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from config import load_settings
from pipelines.warehouse import read_query

from .conftest import PROJECT_ROOT

SURVEY_FILE = (
    PROJECT_ROOT / "tests" / "data" / "survey" / "livohalsa_2017_2022_utf8_bom_semicolon.csv"
)
CATALOG = """
id = "lh2022"
title = "Liv & Hälsa-mål (test)"
baseline_year = 2017
target_year = 2022

[[indicator]]
id = "god_halsa_lh"
title = "Invånare 18–84 år med bra självskattad hälsa (Liv & Hälsa)"
goal_area = "Hållbart och uthålligt"
series = "survey:livohalsa.bra_sjalvskattad_halsa.18_84_ar"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 3 }
"""


@pytest.fixture(scope="module")
def status_rows(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    root = tmp_path_factory.mktemp("survey-status")
    (root / "catalogs").mkdir()
    (root / "catalogs" / "lh2022.toml").write_text(CATALOG, encoding="utf-8")
    (root / "aktuellt.toml").write_text(
        'catalogs = ["lh2022"]\ncatalog_dirs = ["catalogs"]\n', encoding="utf-8"
    )
    settings = load_settings(cwd=root, env={})
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # the analyst's folder, with its aktuellt.toml and catalogs
        for name in ("AKTUELLT_DB", "AKTUELLT_DATA", "AKTUELLT_COUNTY"):
            patch.delenv(name, raising=False)
        result = CliRunner().invoke(app, ["import", str(SURVEY_FILE)])
    assert result.exit_code == 0, result.output
    return read_query(
        settings.db_path, "SELECT * FROM progress WHERE catalog_id = 'lh2022' ORDER BY area_id"
    )


def test_every_municipality_gets_a_status_with_a_known_uncertainty(
    status_rows: pl.DataFrame,
) -> None:
    municipalities = status_rows.filter(pl.col("area_id").str.starts_with("17"))
    assert municipalities.height == 16
    assert municipalities["se_change"].null_count() == 0
    assert municipalities["is_significant"].null_count() == 0


def test_an_interval_wider_than_the_target_makes_the_change_too_uncertain(
    status_rows: pl.DataFrame,
) -> None:
    arvika = status_rows.filter(pl.col("area_id") == "1784").row(0, named=True)
    # Hand computation: 72,1 (67,6–76,6) in 2017 and 69,5 (64,8–74,1) in 2022.
    se_baseline = (76.6 - 67.6) / (2 * 1.96)
    se_latest = (74.1 - 64.8) / (2 * 1.96)
    se_change = math.sqrt(se_baseline**2 + se_latest**2)  # ≈ 3,30
    assert arvika["se_change"] == pytest.approx(se_change)
    assert 1.96 * se_change > 3  # the whole target (+3 pp) could be noise
    assert (arvika["baseline_value"], arvika["latest_value"]) == (72.1, 69.5)
    assert arvika["status"] == "too_uncertain"
    assert arvika["baseline_survey"] == arvika["latest_survey"] == "livohalsa"


def test_no_status_row_claims_a_change_the_intervals_cannot_carry(
    status_rows: pl.DataFrame,
) -> None:
    claimed = status_rows.filter(pl.col("status").is_in(["on_track", "improving", "worsening"]))
    assert (claimed["change"].abs() > 1.96 * claimed["se_change"]).all()
