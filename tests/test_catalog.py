"""Catalogs load into frozen objects, and `catalog check` names every problem at once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from models.areas import load_areas
from models.catalog import (
    CatalogError,
    Indicator,
    Target,
    catalog_paths,
    check_catalog,
    indicators_frame,
    load_catalog,
    load_catalogs,
)

runner = CliRunner()


def target_of(indicator: Indicator) -> Target:
    assert indicator.target is not None, f"{indicator.indicator_id} has no target"
    return indicator.target


DOMAIN_KPIS_2022 = {
    "kolada:U01901", "kolada:N80401", "kolada:N15428", "kolada:N17461", "kolada:N33871",
    "kolada:N02797", "kolada:N00973", "kolada:U01425", "kolada:N20402", "kolada:N61603",
    "kolada:N15613", "kolada:N15623", "kolada:N15602", "kolada:U21454", "kolada:U30453",
    "kolada:U28532", "kolada:U23505", "kolada:U71455", "kolada:U71454", "kolada:U71452",
    "kolada:N00925", "kolada:N00923", "kolada:N66077", "kolada:U01405", "kolada:U01413",
}  # fmt: skip

BAD_CATALOG = """
id = "bad"
title = "Felaktig katalog"
baseline_year = 2017
target_year = 2022
colour = "blue"

[[indicator]]
id = "a"
title = "Okänd enhet"
goal_area = "X"
series = "kolada:N15428"
unit = "procent"
direction = "higher"
target = { kind = "pp", amount = 2 }

[[indicator]]
id = "a"
title = "Samma id igen"
goal_area = "X"
series = "kolada:N15428"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 2 }

[[indicator]]
id = "no_goal"
title = "Saknar målområde"
series = "kolada:N15428"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 2 }

[[indicator]]
id = "bad_kind"
title = "Okänd målsort"
goal_area = "X"
series = "kolada:N15428"
unit = "percent"
direction = "higher"
target = { kind = "procent", amount = 2 }

[[indicator]]
id = "pp_on_rate"
title = "Procentenheter på en kvot"
goal_area = "X"
series = "kolada:N20402"
unit = "per_100000"
direction = "lower"
target = { kind = "pp", amount = 2 }

[[indicator]]
id = "late_baseline"
title = "Basår efter målår"
goal_area = "X"
series = "kolada:N15428"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 2 }
baseline_year = 2023

[[indicator]]
id = "unknown_area"
title = "Okänt område"
goal_area = "X"
series = "kolada:N15428"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 2 }
areas = ["kommun", "9999"]

[[indicator]]
id = "gap_by_gender"
title = "Skillnad per kön"
goal_area = "X"
derive = { kind = "gap", of = "kolada:N15428" }
unit = "percent"
direction = "lower"
target = { kind = "gap" }
divided_by_gender = true

[[indicator]]
id = "bad_series"
title = "Felaktigt serie-id"
goal_area = "X"
series = "kolada:15428"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 2 }
shape = "round"
"""


def test_shipped_catalogs_pass_the_check() -> None:
    areas = load_areas()
    assert [path.stem for path in catalog_paths()] == ["np2020", "np2022", "np2023", "np2025"]
    for path in catalog_paths():
        assert check_catalog(path, areas) == []


def test_np2022_follows_every_indicator_of_the_domain_catalog() -> None:
    (catalog,) = load_catalogs(["np2022"], load_areas())
    series = {s for indicator in catalog.indicators for s in indicator.series_ids}
    assert series >= DOMAIN_KPIS_2022
    assert all(i.baseline_year == 2017 and i.target_year == 2022 for i in catalog.indicators)


def test_indicator_without_kolada_source_is_declared_manual_not_dropped() -> None:
    (catalog,) = load_catalogs(["np2022"])
    overweight = catalog.indicator("overvikt_4_aringar")
    assert overweight.series == "manual:overvikt_eller_fetma_4_aringar"
    assert overweight.direction == -1


def test_trust_is_derived_as_the_complement_of_lack_of_trust() -> None:
    (catalog,) = load_catalogs(["np2022"])
    trust = catalog.indicator("tillit_till_andra")
    assert trust.derive is not None
    assert (trust.derive.kind, trust.derive.of) == ("complement", "kolada:U01413")
    assert trust.direction == 1


def test_np2020_differs_from_np2022_where_the_documents_do() -> None:
    np2020, np2022 = load_catalogs(["np2020", "np2022"])
    placed = "placerade_gymnasium_20_ar"
    assert target_of(np2020.indicator(placed)).amount == 4
    assert target_of(np2022.indicator(placed)).amount == 3
    assert target_of(np2020.indicator("fallskador_80_plus")).amount == 1000


def test_np2023_goals_are_direction_only() -> None:
    (catalog,) = load_catalogs(["np2023"])
    assessed = [i for i in catalog.indicators if not i.is_descriptive]
    assert {i.target.kind for i in assessed if i.target} == {"direction"}
    assert len({i.goal_area for i in catalog.indicators}) == 1


def test_loaded_catalog_is_frozen() -> None:
    (catalog,) = load_catalogs(["np2022"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.indicators[0].title = "changed"  # type: ignore[misc]


def test_indicators_frame_has_one_row_per_catalog_indicator() -> None:
    catalogs = load_catalogs(["np2020", "np2022", "np2023"])
    frame = indicators_frame(catalogs)
    assert frame.height == sum(len(c.indicators) for c in catalogs)
    assert frame.select("catalog_id", "indicator_id").is_duplicated().sum() == 0


def test_check_names_every_problem_with_file_entry_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CATALOG, encoding="utf-8")
    problems = check_catalog(path, load_areas())
    found = {(p.entry, p.reason.split(" (")[0]) for p in problems}
    assert all(p.file == str(path) for p in problems)
    expected = {
        ("catalog", "unknown field 'colour'"),
        ("a", "unknown unit 'procent'"),
        ("a", "duplicate id: another indicator in this catalog has the same id"),
        ("no_goal", "missing required field 'goal_area'"),
        ("bad_kind", "unknown target kind 'procent'"),
        ("late_baseline", "baseline year 2023 is not before target year 2022"),
        ("unknown_area", "unknown area '9999'"),
        ("bad_series", "malformed series id 'kolada:15428'"),
        ("bad_series", "unknown field 'shape'"),
        ("gap_by_gender", "a gap between women and men has no values of its own for K and M"),
    }
    assert expected <= found, expected - found
    assert any(
        p.entry == "pp_on_rate" and "pp target needs a share unit" in p.reason for p in problems
    )


def test_load_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CATALOG, encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        load_catalog(path, load_areas())
    assert len(raised.value.problems) >= 10


def test_check_command_exits_1_and_lists_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_CATALOG, encoding="utf-8")
    result = runner.invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1
    assert "unknown unit 'procent'" in result.stderr
    assert "problem(s)" in result.stderr


def test_check_command_passes_on_shipped_catalogs() -> None:
    result = runner.invoke(app, ["catalog", "check"])
    assert result.exit_code == 0, result.output
    assert "4 catalog file(s) OK" in result.stdout


def test_invalid_toml_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "x\n', encoding="utf-8")
    (problem,) = check_catalog(path)
    assert "not valid TOML" in problem.reason


def test_show_command_lists_indicators() -> None:
    result = runner.invoke(app, ["catalog", "show", "np2022"])
    assert result.exit_code == 0
    assert "behoriga_yrkesprogram" in result.stdout


def test_list_command_is_a_swedish_table_of_every_catalog() -> None:
    result = runner.invoke(app, ["catalog", "list"])
    assert result.exit_code == 0, result.output
    for header in ("Katalog", "Titel", "Indikatorer", "Basår → målår"):
        assert header in result.stdout
    assert all(f"np20{year}" in result.stdout for year in ("20", "22", "23"))
    assert "baseline" not in result.stdout and "assumed" not in result.stdout


def test_list_command_names_an_invalid_catalog_as_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "catalogs"
    folder.mkdir()
    (folder / "np2099.toml").write_text('id = "x\n', encoding="utf-8")
    config = tmp_path / "aktuellt.toml"
    config.write_text(f"catalog_dirs = [{str(folder)!r}]\n", encoding="utf-8")
    result = runner.invoke(app, ["catalog", "list"], env={"AKTUELLT_CONFIG": str(config)})
    assert result.exit_code == 64
    assert "np2099.toml is invalid; run `aktuellt catalog check" in result.stderr


def test_an_analyst_folder_adds_catalogs_and_overrides_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "np2026.toml").write_text(
        BAD_CATALOG.split("[[indicator]]")[0]
        .replace('colour = "blue"', "")
        .replace('id = "bad"', 'id = "np2026"')
        + '[[indicator]]\nid = "x"\ntitle = "X"\ngoal_area = "X"\nseries = "kolada:N15428"\n'
        'unit = "percent"\ndirection = "higher"\ntarget = { kind = "direction" }\n',
        encoding="utf-8",
    )
    (tmp_path / "np2022.toml").write_text(
        (catalog_paths()[1]).read_text(encoding="utf-8"), encoding="utf-8"
    )
    paths = catalog_paths([tmp_path])
    assert [p.stem for p in paths] == ["np2020", "np2022", "np2023", "np2025", "np2026"]
    assert paths[1].parent == tmp_path
    (catalog,) = load_catalogs(["np2026"], load_areas(), [tmp_path])
    assert target_of(catalog.indicator("x")).kind == "direction"
