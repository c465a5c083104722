"""Text from catalogs and sources reaches the terminal exactly as written, never as Rich markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from tests.kolada_server import KoladaServer

from .conftest import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"
CATALOG = PROJECT_ROOT / "models" / "catalogs" / "np2022.toml"
INDICATOR_TITLE = "Fallskador [/red] 80 år [kr/inv] :smile:"
KPI_TITLE = "Gymnasieelever [/x] med examen [bold] (-2024)"


@pytest.mark.slow
def test_markup_like_titles_print_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    text = CATALOG.read_text(encoding="utf-8")
    assert 'title = "Fallskador bland personer 80 år och äldre"' in text
    (catalogs / "np2022.toml").write_text(
        text.replace(
            'title = "Fallskador bland personer 80 år och äldre"', f'title = "{INDICATOR_TITLE}"'
        ).replace('title = "Politiskt inriktningsdokument 2022"', 'title = "Dokument [/red]"'),
        encoding="utf-8",
    )
    (tmp_path / "aktuellt.toml").write_text('catalog_dirs = ["catalogs"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    with KoladaServer(SAMPLE) as server:
        kpi = dict(server.state.kpis["N15428"])
        server.set_kpi({**kpi, "title": KPI_TITLE})
        refreshed = runner.invoke(
            app, ["refresh", "--full"], env={"AKTUELLT_KOLADA_URL": server.base_url}
        )
    assert refreshed.exit_code == 0, refreshed.output + refreshed.stderr
    assert f"KPI discontinued: kolada:N15428 {KPI_TITLE}" in refreshed.stdout

    shown = runner.invoke(app, ["catalog", "show", "np2022"])
    assert shown.exit_code == 0, shown.stderr
    assert "Dokument [/red]" in shown.stdout
    # The Swedish table wraps long titles inside their cell: each markup-like part is intact.
    for part in ("[/red]", "[kr/inv]", ":smile:"):
        assert part in shown.stdout

    status = runner.invoke(app, ["status", "--area", "1780", "--catalog", "np2022"])
    assert status.exit_code == 0, status.stderr
    assert INDICATOR_TITLE in status.stdout
