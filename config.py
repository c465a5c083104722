"""Settings: defaults, then `aktuellt.toml`, then environment variables, then command options.

Settings are built once per command and passed explicitly; there is no global settings object.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from models.areas import load_areas
from models.names import UnknownName, resolve_area

CONFIG_FILE_NAME = "aktuellt.toml"
DEFAULT_KOLADA_URL = "https://api.kolada.se/v3"
DEFAULT_COUNTY = "0017"  # Region Värmland; any `00NN` region code works
DEFAULT_CATALOGS = ("np2022", "np2020", "np2023")
# Wall-clock limits of a refresh's fetch, in seconds (see sources/http.py): one request with its
# retries, and every request of the run together. A full Kolada fetch takes minutes.
DEFAULT_REQUEST_DEADLINE = 600.0
DEFAULT_FETCH_DEADLINE = 3600.0
ALL_COUNTIES = "all"  # `counties = "all"`, `--county all`: every region code in models/areas.csv
DEFAULT_MAX_IN_FLIGHT = 3  # Kolada requests at once: latency overlaps, the API is not crowded
MAX_IN_FLIGHT_LIMIT = 8  # a higher setting would stop being polite to a public API

# The CDUST counties, which run Liv & Hälsa (Uppsala, Södermanland, Värmland, Örebro,
# Västmanland); the rest of the country has Hälsa på lika villkor (survey-data.md §1.1).
LIVOHALSA_COUNTIES = ("0003", "0004", "0017", "0018", "0019")
SURVEY_CHOICES = ("livohalsa", "hlv")

ENV_DB = "AKTUELLT_DB"
ENV_KOLADA_URL = "AKTUELLT_KOLADA_URL"
ENV_DATA = "AKTUELLT_DATA"
ENV_COUNTY = "AKTUELLT_COUNTY"
ENV_CONFIG = "AKTUELLT_CONFIG"  # another settings file than ./aktuellt.toml; it must exist


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class MethodSettings:
    """The thresholds of `method.md`; stored with every run so a status can be reproduced."""

    baseline_window: int = 1
    noise_share: float = 0.10
    noise_abs: float = 0.5
    confidence_z: float = 1.96  # two-sided 95 %
    uncertain_factor: float = 2.0  # too_uncertain when z·se_Δ > uncertain_factor · R
    # The survey a status uses where a series mixes surveys: "livohalsa" or "hlv". Empty: by
    # county, Liv & Hälsa in the CDUST counties (which run it), HLV elsewhere.
    status_survey: str = ""

    def as_dict(self) -> dict[str, float | int | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def survey_for(self, county_id: str) -> str:
        """The survey a county's statuses use for series that mix surveys."""
        if self.status_survey:
            return self.status_survey
        return "livohalsa" if county_id in LIVOHALSA_COUNTIES else "hlv"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_path: Path
    kolada_url: str
    county_ids: tuple[str, ...]  # the counties followed, in the order given; never empty
    catalogs: tuple[str, ...] = DEFAULT_CATALOGS
    catalog_dirs: tuple[Path, ...] = ()  # analysts' own catalog folders, searched first
    method: MethodSettings = field(default_factory=MethodSettings)
    request_deadline: float = DEFAULT_REQUEST_DEADLINE
    fetch_deadline: float = DEFAULT_FETCH_DEADLINE
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
    "request_deadline",
    "fetch_deadline",
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
    named = config_file or (Path(env[ENV_CONFIG]) if env.get(ENV_CONFIG) else None)
    path = _resolve(named, cwd) if named else cwd / CONFIG_FILE_NAME
    if named and not path.is_file():
        named_by = "" if config_file else f" (named by {ENV_CONFIG})"
        raise ConfigError(f"no config file at {path}{named_by}")
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
    from_options = "county" in options or "counties" in options
    county_from = "--county" if from_options else ENV_COUNTY if env.get(ENV_COUNTY) else path
    county_ids = parse_counties(merged.get("counties", DEFAULT_COUNTY), county_from)
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
        request_deadline=_seconds(merged, "request_deadline", DEFAULT_REQUEST_DEADLINE),
        fetch_deadline=_seconds(merged, "fetch_deadline", DEFAULT_FETCH_DEADLINE),
        max_in_flight=_max_in_flight(merged.get("max_in_flight", DEFAULT_MAX_IN_FLIGHT)),
    )


def _seconds(merged: Mapping[str, Any], name: str, default: float) -> float:
    value = merged.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def parse_counties(raw: Any, given_in: Path | str | None = None) -> tuple[str, ...]:
    """Region codes from a code or county name, a list of them, "0017,0018" or "all"; order kept,
    no repeats. `given_in` names where the value came from, for the error message."""
    where = f"{given_in}: " if given_in else ""
    parts = [raw] if isinstance(raw, str) else raw
    if not isinstance(parts, list | tuple) or not all(isinstance(p, str) for p in parts):
        raise ConfigError(f'{where}counties must be region codes like "0017" or "all", not {raw!r}')
    typed = [text.strip() for part in parts for text in part.split(",") if text.strip()]
    if not typed:
        raise ConfigError(f'{where}counties is empty: name at least one county, or "all"')
    areas = load_areas()
    regions = sorted(area.area_id for area in areas.values() if area.kind == "region")
    if ALL_COUNTIES in typed:
        if typed != [ALL_COUNTIES]:
            raise ConfigError(f'{where}"all" cannot be combined with counties: {typed}')
        return tuple(regions)
    try:
        found = [
            resolve_area(text, areas, among=regions, where="of Sweden", kind="county")
            for text in typed
        ]
    except UnknownName as error:
        raise ConfigError(f"{where}{error}") from error
    return tuple(dict.fromkeys(found))


def _max_in_flight(raw: Any) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_IN_FLIGHT_LIMIT:
        raise ConfigError(
            f"max_in_flight must be a whole number from 1 to {MAX_IN_FLIGHT_LIMIT}, not {raw!r}"
        )
    return raw


def _read_config_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        content = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_toml_problem(path, text, error)) from error
    unknown = sorted(set(content) - _FILE_KEYS)
    if unknown:
        known = ", ".join(sorted(_FILE_KEYS))
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {known}")
    return content


END_OF_DOCUMENT = " (at end of document)"


def _toml_problem(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    """ "aktuellt.toml, line 3: Invalid value" with the line itself, so it can be found and fixed.

    Python 3.14 gives the error a lineno; earlier versions only put "(at line 3, column 5)" in
    the message.
    """
    message = str(error)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    line = getattr(error, "lineno", None) or (int(found.group(1)) if found else None)
    if found:
        message = message[: found.start()]
    elif message.endswith(END_OF_DOCUMENT):  # e.g. an unclosed array: the last line is wrong
        message = message.removesuffix(END_OF_DOCUMENT)
        line = line or len(text.splitlines()) or None
    if line is None:
        return f"{path}: not valid TOML: {message}"
    lines = text.splitlines()
    shown = f"\n  {line} | {lines[line - 1]}" if 0 < line <= len(lines) else ""
    return f"{path}, line {line}: not valid TOML: {message}{shown}"


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
        if name == "status_survey":
            if value not in SURVEY_CHOICES:
                choices = ", ".join(SURVEY_CHOICES)
                raise ConfigError(f"[method] status_survey must be one of {choices}, not {value!r}")
            values[name] = value
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"[method] {name} must be a number, not {value!r}")
        values[name] = value
    return MethodSettings(**values)


def _resolve(path: Path, cwd: Path) -> Path:
    return path if path.is_absolute() else cwd / path
