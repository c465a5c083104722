"""The catalog rules of issue 14 (descriptive kind, no-baseline catalogs, stand-ins, a catalog's
own goal areas and groups) and `catalog show` in Swedish, with csv and json for machines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from cli import app
from models.catalog import check_catalog, indicators_frame, load_catalog, load_catalogs

runner = CliRunner()

HEADER = """
id = "egen"
title = "Egen katalog"
baseline_year = 2017
target_year = 2022
"""
ASSESSED = """
[[indicator]]
id = "behoriga"
title = "Behöriga"
goal_area = "Hälsa"
series = "kolada:N15428"
unit = "percent"
direction = "higher"
target = { kind = "pp", amount = 2 }
"""
DESCRIPTIVE = """
[[indicator]]
id = "vald"
title = "Våld i nära relationer"
kind = "descriptive"
goal_area = "Hälsa"
series = "manual:vald"
unit = "count"
"""


def write(tmp_path: Path, text: str, name: str = "egen.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def reasons(path: Path) -> list[str]:
    return [f"{problem.entry}: {problem.reason}" for problem in check_catalog(path)]


# --- descriptive kind -----------------------------------------------------------------------


def test_descriptive_indicator_needs_no_direction_target_or_years(tmp_path: Path) -> None:
    path = write(tmp_path, 'id = "egen"\ntitle = "Egen"\n' + DESCRIPTIVE)
    assert reasons(path) == []
    vald = load_catalog(path).indicator("vald")
    assert (vald.kind, vald.direction, vald.target, vald.baseline_year) == (
        "descriptive", None, None, None,
    )  # fmt: skip


def test_descriptive_indicator_refuses_a_direction_and_a_target(tmp_path: Path) -> None:
    text = HEADER + DESCRIPTIVE + 'direction = "lower"\ntarget = { kind = "direction" }\n'
    found = reasons(write(tmp_path, text))
    assert "vald: a descriptive indicator has no direction: it is followed without assessment" in (
        found
    )
    assert any(reason.startswith("vald: a descriptive indicator has no target") for reason in found)


def test_assessed_indicator_still_needs_direction_and_target(tmp_path: Path) -> None:
    text = HEADER + ASSESSED.replace('direction = "higher"\n', "").replace(
        'target = { kind = "pp", amount = 2 }\n', ""
    )
    found = reasons(write(tmp_path, text))
    assert "behoriga: missing required field 'direction'" in found
    assert "behoriga: missing required field 'target'" in found


def test_unknown_indicator_kind_is_named(tmp_path: Path) -> None:
    found = reasons(write(tmp_path, HEADER + ASSESSED + 'kind = "beskrivande"\n'))
    assert any("unknown kind 'beskrivande'" in reason for reason in found)


def test_descriptive_indicators_are_in_the_frame_but_give_no_status_rows() -> None:
    from config import MethodSettings
    from models.areas import AREAS_FILE
    from models.schema import OBSERVATION_SCHEMA, conform
    from pipelines.progress import compute_progress

    frame = indicators_frame(load_catalogs(["np2023"]))
    assert frame.filter(pl.col("indicator_id") == "vald_i_nara_relationer")[
        "indicator_kind"
    ].to_list() == ["descriptive"]
    areas = pl.read_csv(AREAS_FILE, schema_overrides={"area_id": pl.String, "county_id": pl.String})
    values = conform(
        pl.DataFrame(
            {
                "series_id": ["manual:vald_i_nara_relationer"] * 2,
                "area_id": ["1780", "1780"],
                "period": [2022, 2024],
                "gender": ["T", "T"],
                "value": [120.0, 150.0],
            }
        ),
        OBSERVATION_SCHEMA,
    )
    rows = compute_progress(frame, values, areas, "0017", MethodSettings(), 2024)
    assert rows.height > 0
    assert "vald_i_nara_relationer" not in rows["indicator_id"].to_list()


# --- no baseline year in the source -----------------------------------------------------------


def test_catalog_without_source_baseline_needs_the_adoption_year(tmp_path: Path) -> None:
    text = 'id = "egen"\ntitle = "Egen"\nbaseline_in_source = false\n' + ASSESSED.replace(
        'target = { kind = "pp", amount = 2 }', 'target = { kind = "direction" }'
    )
    found = reasons(write(tmp_path, text))
    assert any(
        reason.startswith("catalog: baseline_in_source = false needs adopted_year")
        for reason in found
    )


def test_status_starts_from_the_adoption_year_as_the_projects_assumption(tmp_path: Path) -> None:
    text = 'id = "egen"\ntitle = "Egen"\nbaseline_in_source = false\nadopted_year = 2023\n'
    text += ASSESSED.replace(
        'target = { kind = "pp", amount = 2 }', 'target = { kind = "direction" }'
    )
    indicator = load_catalog(write(tmp_path, text)).indicator("behoriga")
    assert (indicator.baseline_year, indicator.baseline_basis) == (2023, "adopted_year")
    assert indicator.target_year is None


def test_an_analysts_copy_overrides_the_assumed_baseline(tmp_path: Path) -> None:
    shipped = load_catalogs(["np2023"])[0].path.read_text(encoding="utf-8")
    own = tmp_path / "mine"
    own.mkdir()
    write(
        own,
        shipped.replace("adopted_year = 2023", "adopted_year = 2023\nbaseline_year = 2019"),
        "np2023.toml",
    )
    (catalog,) = load_catalogs(["np2023"], extra_dirs=[own])
    smoking = catalog.indicator("daglig_rokning")
    assert (smoking.baseline_year, smoking.baseline_basis) == (2019, "catalog")


def test_an_amount_target_still_needs_a_target_year(tmp_path: Path) -> None:
    text = (
        'id = "egen"\ntitle = "Egen"\nbaseline_in_source = false\nadopted_year = 2023\n' + ASSESSED
    )
    assert "behoriga: missing target_year (set it on the indicator or the catalog)" in reasons(
        write(tmp_path, text)
    )


# --- stand-ins ------------------------------------------------------------------------------


def test_stand_in_must_say_what_it_stands_in_for(tmp_path: Path) -> None:
    found = reasons(write(tmp_path, HEADER + ASSESSED + 'stand_in = "  "\n'))
    assert any("stand_in must say what the document asks for" in reason for reason in found)
    found = reasons(write(tmp_path, HEADER + ASSESSED + "stand_in = true\n"))
    assert "behoriga: stand_in must be text" in found


def test_stand_in_reaches_the_indicators_frame() -> None:
    frame = indicators_frame(load_catalogs(["np2022"]))
    marked = frame.filter(pl.col("stand_in").is_not_null())["indicator_id"].to_list()
    assert sorted(marked) == ["elever_ak5_nyfikna", "sjalvmord"]


# --- a catalog's own goal areas and groups ----------------------------------------------------


def test_goal_area_must_be_one_the_catalog_declares(tmp_path: Path) -> None:
    text = HEADER + 'goal_areas = ["Robust välfärd"]\n' + ASSESSED
    assert (
        "behoriga: goal area 'Hälsa' is not one of the catalog's goal_areas (Robust välfärd)"
        in (reasons(write(tmp_path, text)))
    )


def test_group_must_be_one_the_catalog_declares(tmp_path: Path) -> None:
    text = HEADER + 'groups = ["Barn och unga", "Vuxna", "Äldre"]\n'
    text += ASSESSED + 'life_stage = "Vuxenlivet"\n'
    found = reasons(write(tmp_path, text))
    assert any("life_stage 'Vuxenlivet' is not one of the catalog's groups" in r for r in found)
    fixed = write(tmp_path, text.replace('life_stage = "Vuxenlivet"', 'life_stage = "Vuxna"'))
    assert reasons(fixed) == []
    assert load_catalog(fixed).group_title == "Grupp"


def test_without_declared_groups_the_life_stages_apply(tmp_path: Path) -> None:
    found = reasons(write(tmp_path, HEADER + ASSESSED + 'life_stage = "Vuxna"\n'))
    assert any("life_stage 'Vuxna' is not one of the catalog's groups" in r for r in found)


def test_declared_goal_areas_list_each_name_once(tmp_path: Path) -> None:
    text = HEADER + 'goal_areas = ["Hälsa", "Hälsa"]\n' + ASSESSED
    assert "catalog: goal_areas lists a name twice" in reasons(write(tmp_path, text))


def test_catalog_check_accepts_np2025_and_its_empty_goal_areas() -> None:
    (np2025,) = load_catalogs(["np2025"])
    assert np2025.goal_areas_in_order[-1] == "Robust välfärd"
    result = runner.invoke(app, ["catalog", "check", str(np2025.path)])
    assert result.exit_code == 0, result.output


# --- catalog show -----------------------------------------------------------------------------

# The unit codes of the TOML files that are not Swedish words too ("index" is both).
ENGLISH_UNIT_CODES = re.compile(r"\b(percent|per_100000|years|count|sek)\b")


def test_catalog_show_np2022_is_swedish_throughout() -> None:
    result = runner.invoke(app, ["catalog", "show", "np2022"])
    assert result.exit_code == 0, result.output
    shown = result.stdout
    assert not ENGLISH_UNIT_CODES.search(shown), ENGLISH_UNIT_CODES.findall(shown)
    for word in ("Målområde", "Livsperspektiv", "Indikator", "Nyckeltal", "Enhet", "Mål", "Kön"):
        assert word in shown
    assert "procent" in shown and "invånare" in shown
    machine = runner.invoke(app, ["catalog", "show", "np2022", "--format", "csv"]).stdout
    units = set(pl.read_csv(machine.encode())["unit"])
    assert units == {"procent", "per 100 000 invånare", "index", "år"}
    assert "Ersättningsmått:" in shown
    assert not re.search(r"\b(higher|lower|pp|units|direction|true|false)\b", shown)


def test_catalog_show_words_targets_as_the_documents_do() -> None:
    result = runner.invoke(app, ["catalog", "show", "np2022", "--format", "json"])
    rows = {row["indicator_id"]: row for row in json.loads(result.stdout)}
    assert rows["behoriga_yrkesprogram"]["target"] == "+2 procentenheter till 2022 jämfört med 2017"
    assert rows["fallskador_80_plus"]["target"] == (
        "−1\u00a0000 per 100 000 invånare till 2022 jämfört med 2017"
    )
    assert rows["lss_bestamma"]["kpi_id"] == "U28532"
    assert rows["lss_bestamma"]["kpi_title"].startswith("Brukarbedömning daglig verksamhet LSS")
    assert rows["tillit_till_andra"]["kpi_id"] == "beräknad som 100 − U01413"
    assert rows["elever_ak5_trygga"]["divided_by_gender"] == "ja"


def test_catalog_show_states_the_assumption_and_the_descriptive_kind() -> None:
    result = runner.invoke(app, ["catalog", "show", "np2023"])
    assert "Antagande: källan anger inget basår; status räknas från 2023" in result.stdout
    rows = runner.invoke(app, ["catalog", "show", "np2023", "--format", "csv"]).stdout
    frame = pl.read_csv(rows.encode())
    vald = frame.filter(pl.col("indicator_id") == "vald_i_nara_relationer").row(0, named=True)
    assert (vald["kind"], vald["target"]) == ("descriptive", "Indikatorn följs utan bedömning")
    smoking = frame.filter(pl.col("indicator_id") == "daglig_rokning").row(0, named=True)
    assert smoking["assumption"].startswith("Källan anger inget basår; 2023, året målen antogs")
    assert smoking["target"] == "ska minska jämfört med 2023 (bara riktning)"


def test_catalog_show_machine_columns_are_english() -> None:
    rows = runner.invoke(app, ["catalog", "show", "np2025", "--format", "csv"]).stdout
    header = rows.splitlines()[0].split(",")
    assert header[:5] == ["catalog_id", "goal_area", "group", "indicator_id", "title"]
    assert {"kpi_id", "unit", "target", "stand_in", "assumption"} <= set(header)


def test_catalog_show_does_not_break_on_markup_in_catalog_text(tmp_path: Path) -> None:
    text = HEADER + ASSESSED.replace('title = "Behöriga"', 'title = "Behöriga [x] [/bold]"')
    result = runner.invoke(app, ["catalog", "show", str(write(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert "Behöriga [x] [/bold]" in result.stdout


def test_catalog_show_refuses_an_unknown_format() -> None:
    result = runner.invoke(app, ["catalog", "show", "np2022", "--format", "xml"])
    assert result.exit_code == 64
