"""Copy the project's reference data from a maintainer's reference-data folder into data/reference.

Run: python scripts/import_reference.py --source DIR. The folder it reads is the project machines'
read-only copy of public files (it is never part of a clone), so the script takes it as a required
argument. Every file is copied byte for byte, except `municipality_groups.json`, which is trimmed
to the groups `scripts/build_areas.py` reads (Kolada's "<län> läns kommuner (ovägt medel)"),
written the way the source wrote it (json.dump, indent 4, ensure_ascii False). The source's
`kpi_groups.json` is not used by the project and is left out.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "data" / "reference"
COPIED_FOLDERS = ("kolada/csv-2024", "kolada/v3-responses", "pxweb")
COPIED_FILES = ("kolada/v2-metadata/municipality.json",)
GROUPS_FILE = "kolada/v2-metadata/municipality_groups.json"
COUNTY_MEAN_GROUP = re.compile(r"^.+ läns kommuner \(ovägt medel\)$")


def import_reference(source: Path, target: Path) -> None:
    for folder in COPIED_FOLDERS:
        shutil.copytree(source / folder, target / folder, dirs_exist_ok=True)
    for name in COPIED_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
    groups = json.loads((source / GROUPS_FILE).read_text(encoding="utf-8"))
    county_means = [group for group in groups if COUNTY_MEAN_GROUP.match(group["title"])]
    (target / GROUPS_FILE).write_text(
        json.dumps(county_means, indent=4, ensure_ascii=False), encoding="utf-8"
    )
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a reference-data folder")
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    import_reference(args.source, args.target)
    print(f"copied reference data from {args.source} to {args.target}")


if __name__ == "__main__":
    main()
