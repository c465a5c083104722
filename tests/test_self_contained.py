"""The repository needs nothing beside it: no tracked code reads a folder outside the checkout."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import PROJECT_ROOT

CODE_SUFFIXES = {".py", ".toml", ".cfg", ".sh", ".sql", ".ini"}
CODE_NAMES = {"Makefile", "run"}
# A path that climbs out of the checkout or names the project machines' shared folder.
# Assembled from alternatives so that this line itself does not match the pattern.
OUTSIDE_PATH = re.compile(
    "|".join(
        (
            r"\.\./shared",
            r"[\"']shared[\"']\s*/\s*[\"']reference-data",
            r"parent\.parent\.parent",
            "/" + "work/",
        )
    )
)


def tracked_code_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [
        name
        for name in listing
        if (PROJECT_ROOT / name).suffix in CODE_SUFFIXES or name.rsplit("/", 1)[-1] in CODE_NAMES
    ]


def test_no_tracked_code_names_a_path_outside_the_repository():
    offenders = []
    for name in tracked_code_files():
        text = (PROJECT_ROOT / name).read_text(encoding="utf-8", errors="replace")
        offenders += [
            f"{name}:{number}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), start=1)
            if OUTSIDE_PATH.search(line)
        ]
    assert offenders == [], "tracked code reads outside the repository:\n" + "\n".join(offenders)


def test_the_guard_recognises_the_paths_it_forbids():
    # Built from parts, so that this file itself names no path outside the repository.
    shared, parent = "sha" + "red", ".parent"
    for line in (
        f'REFERENCE = ROOT.parent / "{shared}" / "reference-data"',
        f"open('../{shared}/docs/method.md')",
        f"Path(__file__).resolve(){parent * 3}",
    ):
        assert OUTSIDE_PATH.search(line), line


def test_the_test_reference_data_is_inside_the_repository():
    reference = PROJECT_ROOT / "data" / "reference"
    assert (reference / "SOURCES.md").is_file()
    assert len(list((reference / "kolada" / "csv-2024").glob("ddf--datapoints--*.csv"))) >= 50
