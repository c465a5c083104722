"""Every command takes areas, indicators, catalogs and formats the same way, and refuses a bad one
with exit code 64 and a message naming the closest or the valid values; never a traceback.

One real warehouse is built from the committed sample; each row of CASES runs one command line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from config import load_settings
from models.exit_codes import EXIT_CODES, EXIT_USAGE
from pipelines.refresh import run_refresh

from .conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

SAMPLE = PROJECT_ROOT / "data" / "sample"
AKTUELLT = Path(sys.executable).with_name("aktuellt")
OK = 0
USAGE = EXIT_USAGE

# (id, command line, exit code, text expected in the output). {db}, {out}, {data} and {tmp} are
# filled in per test.
CASES: list[tuple[str, list[str], int, str]] = [
    # status: areas by name, id, slug, without å/ä/ö; catalogs, formats, gender
    ("status name", ["status", "--area", "Karlstad"], OK, "│ Karlstad"),
    ("status two names", ["status", "--area", "arjang", "--area", "region värmland"], OK, "Årjäng"),
    ("status id and slug", ["status", "--area", "1780", "--area", "region-varmland"], OK, "Område"),
    ("status misspelt area", ["status", "--area", "Karlstadd"], USAGE,
     "unknown area 'Karlstadd'; did you mean Karlstad (1780)?"),
    ("status area elsewhere", ["status", "--area", "Stockholm"], USAGE,
     "Stockholm (0180) is not among the areas with status rows in np2022"),
    ("status catalog any case", ["status", "--catalog", "NP2020", "--area", "Kil"], OK, "np2020"),
    ("status unknown catalog", ["status", "--catalog", "np2099"], USAGE,
     "unknown catalog 'np2099'; valid: np2020, np2022, np2023"),
    ("status csv", ["status", "--area", "Eda", "--format", "CSV"], OK, "area_id,area_name"),
    ("status unknown format", ["status", "--format", "xml"], USAGE,
     "unknown format 'xml'; valid: table, csv, json"),
    ("status misspelt format", ["status", "--format", "jsno"], USAGE, "did you mean json?"),
    ("status gender", ["status", "--area", "Sunne", "--gender", "all"], OK, "Kvinnor"),
    ("status unknown gender", ["status", "--gender", "X"], USAGE,
     "unknown gender 'X'; valid: T, K, M, all"),
    ("status bad option", ["status", "--areas", "Kil"], USAGE, "No such option: --areas"),
    ("status no warehouse", ["status", "--db", "{tmp}/none.duckdb"], USAGE,
     "no warehouse file at"),
    # report
    ("report names", ["report", "--area", "Karlstad", "--area", "Region Värmland", "--no-pdf",
                      "--out", "{out}"], OK, "wrote 3 files"),
    ("report misspelt area", ["report", "--area", "Karlstadd", "--no-pdf", "--out", "{out}"],
     USAGE, "did you mean Karlstad (1780)?"),
    ("report area elsewhere", ["report", "--area", "Örebro", "--no-pdf", "--out", "{out}"],
     USAGE, "not among the areas of the report for Region Värmland"),
    ("report unknown catalog", ["report", "--catalog", "np2099", "--out", "{out}"], USAGE,
     "unknown catalog 'np2099'"),
    ("report county by name", ["report", "--county", "Värmland", "--area", "Arjang", "--no-pdf",
                               "--out", "{out}"], OK, "wrote 2 files"),
    ("report unknown county", ["report", "--county", "Narnia", "--out", "{out}"], USAGE,
     "unknown county 'Narnia'"),
    ("report no warehouse", ["report", "--db", "{tmp}/none.duckdb"], USAGE,
     "no warehouse file at"),
    # charts
    ("charts names", ["charts", "--area", "Karlstad", "--indicator", "Tobaksrok-8-manader",
                      "--format", "SVG", "--out", "{out}"], OK, "charts written"),
    ("charts misspelt area", ["charts", "--area", "Karlstadd", "--out", "{out}"], USAGE,
     "did you mean Karlstad (1780)?"),
    ("charts unknown indicator", ["charts", "--area", "1780", "--indicator", "nosuch",
                                  "--out", "{out}"], USAGE,
     "unknown indicator 'nosuch' in catalog np2022; valid: tobaksrok_8_manader"),
    ("charts misspelt indicator", ["charts", "--indicator", "sjalvmor", "--out", "{out}"], USAGE,
     "did you mean sjalvmord?"),
    ("charts unknown format", ["charts", "--area", "1780", "--format", "png,jpg",
                               "--out", "{out}"], USAGE,
     "unknown chart format 'jpg'; valid: png, svg, pdf"),
    ("charts unknown catalog", ["charts", "--catalog", "np2099", "--out", "{out}"], USAGE,
     "unknown catalog 'np2099'"),
    ("charts nothing to chart", ["charts", "--area", "0017", "--indicator",
                                 "kariesfria_3_aringar", "--format", "svg", "--out", "{out}"],
     USAGE, "no values to chart for indicator(s) kariesfria_3_aringar in Region Värmland"),
    # export
    ("export names", ["export", "progress", "--area", "Karlstad", "--catalog", "NP2022",
                      "--format", "XLSX", "--out", "{out}/p.xlsx"], OK, "rows of progress"),
    ("export misspelt area", ["export", "progress", "--area", "Karlstadd",
                              "--out", "{out}/p.csv"], USAGE, "did you mean Karlstad (1780)?"),
    ("export unknown catalog", ["export", "progress", "--catalog", "np2099",
                                "--out", "{out}/p.csv"], USAGE, "unknown catalog 'np2099'"),
    ("export misspelt format", ["export", "progress", "--format", "xls", "--out", "{out}/p"],
     USAGE, "unknown format 'xls'; did you mean xlsx?"),
    ("export unknown suffix", ["export", "progress", "--out", "{out}/p.txt"], USAGE,
     "cannot tell the format of p.txt"),
    ("export misspelt table", ["export", "latest_value", "--out", "{out}/p.csv"], USAGE,
     "unknown table or view 'latest_value'; did you mean latest_values?"),
    ("export filters match nothing", ["export", "latest_values", "--area", "Kil",
                                      "--period-from", "2099", "--out", "{out}/p.csv"], USAGE,
     "no rows of latest_values match the filters; nothing written"),
    ("export filter without column", ["export", "runs", "--area", "Kil",
                                      "--out", "{out}/p.csv"], USAGE, "--area cannot filter runs"),
    # sql and runs: formats
    ("sql json", ["sql", "SELECT 1 AS one", "--format", "json"], OK, '"one"'),
    ("sql unknown format", ["sql", "SELECT 1", "--format", "xml"], USAGE, "unknown format 'xml'"),
    ("runs csv", ["runs", "--format", "csv"], OK, "run_id"),
    ("runs unknown format", ["runs", "--format", "tabel"], USAGE, "did you mean table?"),
    ("runs no warehouse", ["runs", "--db", "{tmp}/none.duckdb"], USAGE, "no warehouse file at"),
    # catalogs
    ("catalog show any case", ["catalog", "show", "NP2022"], OK, "tobaksrok_8_manader"),
    ("catalog show unknown", ["catalog", "show", "np2099"], USAGE,
     "unknown catalog 'np2099'; valid: np2020, np2022, np2023"),
    ("catalog show missing file", ["catalog", "show", "{tmp}/mine.toml"], USAGE,
     "no catalog file at"),
    ("catalog check missing file", ["catalog", "check", "{tmp}/mine.toml"], USAGE,
     "no catalog file at"),
    ("catalog no subcommand", ["catalog"], USAGE, "catalog [OPTIONS] COMMAND"),
    # refresh and import: missing inputs are named as such
    ("refresh missing snapshot", ["refresh", "--snapshot", "{tmp}/no/such/dir",
                                  "--data", "{data}"], USAGE, "no snapshot folder at"),
    ("refresh not a snapshot", ["refresh", "--snapshot", "{tmp}", "--data", "{data}"], USAGE,
     "is not a snapshot folder"),
    ("refresh unknown county", ["refresh", "--county", "Varmlnd", "--data", "{data}"], USAGE,
     "unknown county 'Varmlnd'; did you mean Region Värmland (0017)?"),
    ("import missing file", ["import", "{tmp}/livohalsa.csv", "--data", "{data}"], USAGE,
     "no survey file at"),
    ("unknown command", ["stauts"], USAGE, "No such command"),
]  # fmt: skip

NO_DB = {"catalog", "refresh", "import"}  # commands without --db, or given their own
HAS_DB = {"status", "report", "charts", "export", "sql", "runs"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-usage")
    settings = load_settings({"data_dir": root / "data"}, env={})
    assert run_refresh(settings, snapshot=SAMPLE).exit_code == 0
    return settings.db_path


def filled(args: list[str], db: Path, tmp: Path) -> list[str]:
    values = {"db": str(db), "out": str(tmp / "out"), "data": str(tmp / "data"), "tmp": str(tmp)}
    line = [arg.format(**values) for arg in args]
    if line[0] in HAS_DB and "--db" not in line:
        line += ["--db", str(db)]
    return line


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_command_line(
    args: list[str], code: int, expected: str, warehouse: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, filled(args, warehouse, tmp_path))
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert expected in output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    if code == USAGE:
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*"))


def test_every_command_is_in_the_table() -> None:
    names = {case[1][0] for case in CASES}
    assert names >= HAS_DB | NO_DB


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('county = "0017"\ncatalogs = ["np2022"\n', "line 2: not valid TOML: Unclosed array"),
        ('county = "0017"\ndb = \n', "line 2: not valid TOML: Invalid value\n  2 | db = "),
        ('countty = "0017"\n', "unknown setting(s) countty"),
        ('county = "Vermland"\n', "unknown county 'Vermland'; did you mean Region Värmland"),
    ],
)
def test_a_broken_config_file_names_the_line_and_is_a_usage_error(
    content: str, expected: str, tmp_path: Path
) -> None:
    config = tmp_path / "aktuellt.toml"
    config.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["catalog", "list"], env={"AKTUELLT_CONFIG": str(config)})
    assert result.exit_code == USAGE
    assert f"{config}" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_config_file_that_is_named_but_missing_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere.toml"
    result = CliRunner().invoke(app, ["catalog", "list"], env={"AKTUELLT_CONFIG": str(missing)})
    assert result.exit_code == USAGE
    assert f"no config file at {missing} (named by AKTUELLT_CONFIG)" in result.stderr


def test_the_installed_command_exits_64_for_usage_errors(tmp_path: Path) -> None:
    for args, expected in [
        (["status", "--bogus"], "No such option: --bogus"),
        (["refresh", "--snapshot", str(tmp_path / "none"), "--data", str(tmp_path)],
         "no snapshot folder at"),
        (["status", "--format", "xml", "--db", str(tmp_path / "none.duckdb")],
         "unknown format 'xml'"),
    ]:  # fmt: skip
        done = subprocess.run(
            [str(AKTUELLT), *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == EXIT_USAGE, done.stderr
        assert expected in done.stderr and "Traceback" not in done.stderr


def test_exit_codes_are_one_table_in_the_help_and_the_readme() -> None:
    help_text = CliRunner().invoke(app, ["--help"]).stdout
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme
        assert f"  {code:<3} {meaning.split(':')[0]}" in help_text
    assert len(set(EXIT_CODES)) == len(EXIT_CODES) == 6
