"""Shared test set-up: paths to the project and to its committed reference data (data/reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DATA = PROJECT_ROOT / "data" / "reference"


@pytest.fixture
def reference_data() -> Path:
    if not REFERENCE_DATA.exists():
        pytest.fail(f"reference data missing at {REFERENCE_DATA}")
    return REFERENCE_DATA
