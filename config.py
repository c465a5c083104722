"""Settings: defaults, then `aktuellt.toml`, then environment variables, then command options.

Settings are built once per command and passed explicitly; there is no global settings object.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

CONFIG_FILE_NAME = "aktuellt.toml"
DEFAULT_KOLADA_URL = "https://api.kolada.se/v3"
DEFAULT_COUNTY = "0017"  # Region Värmland; any `00NN` region code works
DEFAULT_CATALOGS = ("np2022", "np2020", "np2023")
ALL_COUNTIES = "all"  # `counties = "all"`, `--county all`: every region code in models/areas.csv
DEFAULT_MAX_IN_FLIGHT = 3  # Kolada requests at once: latency overlaps, the API is not crowded
MAX_IN_FLIGHT_LIMIT = 8  # a higher setting would stop being polite to a public API

ENV_DB = "AKTUELLT_DB"
ENV_KOLADA_URL = "AKTUELLT_KOLADA_URL"
ENV_DATA = "AKTUELLT_DATA"
ENV_COUNTY = "AKTUELLT_COUNTY"


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class MethodSettings:
    """The thresholds of `method.md`; stored with every run so a status can be reproduced."""

    baseline_window: int = 1
    noise_share: float = 0.10
    noise_abs: float = 0.5
    confidence_z: float = 1.96  # two-sided 95 %

    def as_dict(self) -> dict[str, float | int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_path: Path
    kolada_url: str
    county_ids: tuple[str, ...]  # the counties followed, in the order given; never empty
    catalogs: tuple[str, ...] = DEFAULT_CATALOGS
    catalog_dirs: tuple[Path, ...] = ()  # analysts' own catalog folders, searched first
    method: MethodSettings = field(default_factory=MethodSettings)
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT

    @property
    def county_id(self) -> str:
        """The first county followed: what reports show unless told another."""
        return self.county_ids[0]

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def checks_dir(self) -> Path:
        return self.data_dir / "checks"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"


_FILE_KEYS = {
    "data_dir",
    "db",
    "kolada_url",
    "county",
    "counties",
    "catalogs",
    "catalog_dirs",
    "method",
    "max_in_flight",
}


def load_settings(
    options: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Resolve settings with the precedence defaults < file < environment < options.

    `options` holds command-line values; a None value means "not given". The database path
    follows the data folder unless it is set itself.
    """
    cwd = cwd or Path.cwd()
    env = os.environ if env is None else env
    options = {key: value for key, value in (options or {}).items() if value not in (None, [], ())}
    path = config_file or cwd / CONFIG_FILE_NAME
    from_file = _read_config_file(path) if path.exists() else {}

    layers: list[dict[str, Any]] = [
        from_file,
        {
            "data_dir": env.get(ENV_DATA),
            "db": env.get(ENV_DB),
            "kolada_url": env.get(ENV_KOLADA_URL),
            "county": env.get(ENV_COUNTY),
        },
        options,
    ]
    merged: dict[str, Any] = {}
    for layer in layers:
        given = {key: value for key, value in layer.items() if value not in (None, "")}
        # `county` is the one-county shorthand of `counties`; within one layer `counties` wins,
        # and a later layer's choice replaces an earlier one's whichever spelling it uses.
        county = given.pop("county", None)
        if "counties" not in given and county is not None:
            given["counties"] = county
        merged.update(given)

    data_dir = _resolve(Path(merged.get("data_dir", "data")), cwd)
    db_value = merged.get("db")
    db_path = (
        _resolve(Path(db_value), cwd) if db_value else data_dir / "warehouse" / "aktuellt.duckdb"
    )
    county_ids = parse_counties(merged.get("counties", DEFAULT_COUNTY))
    catalogs = merged.get("catalogs", DEFAULT_CATALOGS)
    if isinstance(catalogs, str):
        catalogs = [part.strip() for part in catalogs.split(",") if part.strip()]
    return Settings(
        data_dir=data_dir,
        db_path=db_path,
        kolada_url=str(merged.get("kolada_url", DEFAULT_KOLADA_URL)).rstrip("/"),
        county_ids=county_ids,
        catalogs=tuple(catalogs),
        catalog_dirs=tuple(_resolve(Path(d), cwd) for d in merged.get("catalog_dirs", ())),
        method=_method_settings(from_file.get("method", {}), options.get("method")),
        max_in_flight=_max_in_flight(merged.get("max_in_flight", DEFAULT_MAX_IN_FLIGHT)),
    )


def parse_counties(raw: Any) -> tuple[str, ...]:
    """Region codes from a code, a list of codes, "0017,0018" or "all"; order kept, no repeats."""
    parts = [raw] if isinstance(raw, str) else raw
    if not isinstance(parts, list | tuple) or not all(isinstance(p, str) for p in parts):
        raise ConfigError(f"counties must be region codes like '0017' or \"all\", not {raw!r}")
    codes = [code.strip() for part in parts for code in part.split(",") if code.strip()]
    if not codes:
        raise ConfigError('counties is empty: name at least one region code, or "all"')
    from models.areas import load_areas  # the region codes the project knows

    regions = sorted(a.area_id for a in load_areas().values() if a.kind == "region")
    if ALL_COUNTIES in codes:
        if codes != [ALL_COUNTIES]:
            raise ConfigError(f'"all" cannot be combined with region codes: {codes}')
        return tuple(regions)
    for code in codes:
        if not (len(code) == 4 and code.startswith("00") and code.isdigit()):
            raise ConfigError(f"county must be a region code like '0017', not {code!r}")
        if code not in regions:
            raise ConfigError(f"unknown county {code!r}; known region codes: {', '.join(regions)}")
    return tuple(dict.fromkeys(codes))


def _max_in_flight(raw: Any) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_IN_FLIGHT_LIMIT:
        raise ConfigError(
            f"max_in_flight must be a whole number from 1 to {MAX_IN_FLIGHT_LIMIT}, not {raw!r}"
        )
    return raw


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    unknown = sorted(set(content) - _FILE_KEYS)
    if unknown:
        known = ", ".join(sorted(_FILE_KEYS))
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {known}")
    return content


def _method_settings(
    from_file: Mapping[str, Any], override: MethodSettings | None
) -> MethodSettings:
    if override is not None:
        return override
    known = {f.name: f.type for f in fields(MethodSettings)}
    unknown = sorted(set(from_file) - set(known))
    if unknown:
        raise ConfigError(f"[method]: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, value in from_file.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"[method] {name} must be a number, not {value!r}")
        values[name] = value
    return MethodSettings(**values)


def _resolve(path: Path, cwd: Path) -> Path:
    return path if path.is_absolute() else cwd / path
