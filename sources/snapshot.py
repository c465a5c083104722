"""The snapshot folder: Kolada v3 response envelopes on disk, read and written deterministically.

Layout (documented for users in data/sample/SOURCES.md):

    <dir>/kolada/data/<KPI>.json          one /data envelope per KPI, all its records
    <dir>/kolada/kpi.json                 a /kpi envelope with the KPIs' metadata objects
    <dir>/kolada/municipality.json        a /municipality envelope
    <dir>/kolada/municipality_groups.json a /municipality_groups envelope

Files are written one record per line with stable key order, so a rebuild from the same input is
byte-identical and a change in one value is a one-line diff.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from models.names import MissingInput

KOLADA_DIR = "kolada"
DATA_DIR = "data"
KPI_FILE = "kpi.json"
MUNICIPALITY_FILE = "municipality.json"
MUNICIPALITY_GROUPS_FILE = "municipality_groups.json"
GENDER_ORDER = {"K": 0, "M": 1, "T": 2}  # the order Kolada itself sends


def data_path(snapshot_dir: Path, kpi: str) -> Path:
    return snapshot_dir / KOLADA_DIR / DATA_DIR / f"{kpi}.json"


def metadata_path(snapshot_dir: Path, file_name: str) -> Path:
    return snapshot_dir / KOLADA_DIR / file_name


def sort_records(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records in Kolada's order (period, then area), each record's values in K, M, T order."""
    ordered = [
        {**record, "values": sorted(record["values"], key=lambda v: GENDER_ORDER[v["gender"]])}
        for record in records
    ]
    return sorted(ordered, key=lambda r: (r["kpi"], r["period"], r["municipality"]))


def format_envelope(objects: Sequence[Mapping[str, Any]]) -> bytes:
    """A v3 envelope as UTF-8 bytes: one object per line, compact, keys in the given order."""
    lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in objects]
    inner = ",\n".join(lines)
    values = f"[\n{inner}\n]" if lines else "[]"
    text = f'{{"values":{values},"next_url":null,"previous_url":null,"count":{len(lines)}}}\n'
    return text.encode("utf-8")


def write_envelope(path: Path, objects: Sequence[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(format_envelope(objects))
    return path


def read_envelope_values(path: Path) -> list[Any]:
    """The `values` of an envelope file (tolerating a byte-order mark)."""
    body = json.loads(path.read_bytes().decode("utf-8-sig"))
    values = body["values"] if isinstance(body, dict) else None
    if not isinstance(values, list):
        raise ValueError(f"{path}: not a Kolada envelope (no `values` list)")
    return values


def check_snapshot_folder(snapshot_dir: Path) -> None:
    """Refuse a folder that is not a snapshot, before a refresh reads "no values" from it."""
    if not snapshot_dir.is_dir():
        raise MissingInput(f"no snapshot folder at {snapshot_dir}")
    values_dir = snapshot_dir / KOLADA_DIR / DATA_DIR
    if not any(values_dir.glob("*.json")):
        raise MissingInput(
            f"{snapshot_dir} is not a snapshot folder: it has no {KOLADA_DIR}/{DATA_DIR}/*.json "
            "(the layout is in data/sample/SOURCES.md)"
        )
