"""docs/warehouse.md is what scripts/build_warehouse_docs.py writes, so it cannot go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT_ROOT / "scripts" / "build_warehouse_docs.py"
DOCS = PROJECT_ROOT / "docs" / "warehouse.md"


def test_committed_warehouse_docs_equal_the_scripts_output(tmp_path: Path) -> None:
    out = tmp_path / "warehouse.md"
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == DOCS.read_text(encoding="utf-8"), (
        "docs/warehouse.md is stale: run .venv/bin/python scripts/build_warehouse_docs.py"
    )


def test_warehouse_docs_describe_every_view_and_ten_examples() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in ("latest_values", "revision_log", "status_wide", "observations_asof"):
        assert f"## {name}" in text
    assert "### 10. " in text and "### 11. " not in text
