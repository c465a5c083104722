"""Settings precedence: defaults < aktuellt.toml < environment < command options."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import DEFAULT_KOLADA_URL, ConfigError, MethodSettings, load_settings


def write_config(directory: Path, text: str) -> None:
    (directory / "aktuellt.toml").write_text(text, encoding="utf-8")


def test_defaults_apply_without_file_environment_or_options(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.county_id == "0017"
    assert settings.kolada_url == DEFAULT_KOLADA_URL
    assert settings.data_dir == tmp_path / "data"
    assert settings.db_path == tmp_path / "data" / "warehouse" / "aktuellt.duckdb"
    assert settings.method == MethodSettings()


def test_file_overrides_defaults(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        'county = "0018"\nkolada_url = "http://127.0.0.1:9/v3"\n[method]\nnoise_share = 0.2\n',
    )
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.county_id == "0018"
    assert settings.kolada_url == "http://127.0.0.1:9/v3"
    assert settings.method.noise_share == 0.2
    assert settings.method.baseline_window == 1


def test_environment_overrides_file(tmp_path: Path) -> None:
    write_config(tmp_path, 'kolada_url = "http://from-file/v3"\ndb = "file.duckdb"\n')
    env = {"AKTUELLT_KOLADA_URL": "http://from-env/v3", "AKTUELLT_DB": "/srv/env.duckdb"}
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.kolada_url == "http://from-env/v3"
    assert settings.db_path == Path("/srv/env.duckdb")


def test_options_override_environment(tmp_path: Path) -> None:
    env = {"AKTUELLT_DB": "/srv/env.duckdb", "AKTUELLT_DATA": "/srv/data"}
    settings = load_settings({"db": Path("cli.duckdb"), "data_dir": None}, env=env, cwd=tmp_path)
    assert settings.db_path == tmp_path / "cli.duckdb"
    assert settings.data_dir == Path("/srv/data")


def test_database_follows_the_data_folder_unless_set(tmp_path: Path) -> None:
    settings = load_settings(env={"AKTUELLT_DATA": "/srv/data"}, cwd=tmp_path)
    assert settings.db_path == Path("/srv/data/warehouse/aktuellt.duckdb")


def test_unknown_setting_in_file_is_named(tmp_path: Path) -> None:
    write_config(tmp_path, 'countty = "0017"\n')
    with pytest.raises(ConfigError, match="countty"):
        load_settings(env={}, cwd=tmp_path)


def test_a_county_is_a_region_code_or_name_and_anything_else_is_refused(tmp_path: Path) -> None:
    assert load_settings({"county": "17"}, env={}, cwd=tmp_path).county_id == "0017"
    assert load_settings({"county": "Örebro län"}, env={}, cwd=tmp_path).county_id == "0018"
    write_config(tmp_path, 'county = "region värmland"\n')
    assert load_settings(env={}, cwd=tmp_path).county_id == "0017"
    with pytest.raises(ConfigError, match=r"--county: county Karlstad \(1780\) is not among"):
        load_settings({"county": "1780"}, env={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"aktuellt.toml: unknown county 'Vermland'; did you"):
        write_config(tmp_path, 'county = "Vermland"\n')
        load_settings(env={}, cwd=tmp_path)


def test_analyst_catalog_folders_are_resolved_against_the_working_directory(
    tmp_path: Path,
) -> None:
    write_config(tmp_path, 'catalogs = ["lokal"]\ncatalog_dirs = ["mina_kataloger"]\n')
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.catalogs == ("lokal",)
    assert settings.catalog_dirs == (tmp_path / "mina_kataloger",)


def test_counties_list_or_all_and_county_as_the_one_county_shorthand(tmp_path: Path) -> None:
    write_config(tmp_path, 'counties = ["0017", "0018"]\n')
    assert load_settings(env={}, cwd=tmp_path).county_ids == ("0017", "0018")
    write_config(tmp_path, 'counties = "all"\n')
    every = load_settings(env={}, cwd=tmp_path).county_ids
    assert len(every) == 21 and every[0] == "0001" and "0025" in every
    # a later layer replaces the counties whichever spelling it uses
    assert load_settings({"county": "0018"}, env={}, cwd=tmp_path).county_ids == ("0018",)
    assert load_settings(env={"AKTUELLT_COUNTY": "0017,0018"}, cwd=tmp_path).county_ids == (
        "0017",
        "0018",
    )
    chosen = load_settings({"counties": ["0018", "0017", "0018"]}, env={}, cwd=tmp_path)
    assert chosen.county_ids == ("0018", "0017") and chosen.county_id == "0018"


@pytest.mark.parametrize(
    ("counties", "message"),
    [(["0099"], "unknown county"), (["all", "0017"], "cannot be combined"), ([" "], "empty")],
)
def test_bad_counties_are_refused_with_the_reason(
    tmp_path: Path, counties: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"counties": counties}, env={}, cwd=tmp_path)


def test_requests_in_flight_default_to_three_and_stay_within_bounds(tmp_path: Path) -> None:
    assert load_settings(env={}, cwd=tmp_path).max_in_flight == 3
    write_config(tmp_path, "max_in_flight = 5\n")
    assert load_settings(env={}, cwd=tmp_path).max_in_flight == 5
    write_config(tmp_path, "max_in_flight = 50\n")
    with pytest.raises(ConfigError, match="max_in_flight"):
        load_settings(env={}, cwd=tmp_path)
