"""Swedish wording shared by charts and pages: values with units, targets, windows, sources."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from models.catalog import UNITS
from models.status import STATUS_BY_CODE
from models.swedish import format_date, format_number

SOURCE_VALUES = "Källa: Kolada"
SOURCE_PROCESSED = "Egen bearbetning av data från Kolada"
UNIT_DECIMALS = {"percent": 1, "per_100000": 0, "years": 1, "index": 1, "count": 0, "sek": 0}
UNIT_SUFFIX = {"percent": "\u00a0%", "years": "\u00a0år", "sek": "\u00a0kr"}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value: float | None, unit: str, signed: bool = False) -> str:
    """88.83 → "88,8 %"; a change (signed) is in the unit's change words, e.g. "+3,1 pe"."""
    if value is None or not is_number(value):
        return "–"
    text = format_number(value, UNIT_DECIMALS.get(unit, 1), signed=signed)
    return text + ("" if signed else UNIT_SUFFIX.get(unit, ""))


def format_change(value: float | None, unit: str) -> str:
    """+3,1 procentenheter; −120 per 100 000 invånare."""
    if value is None or not is_number(value):
        return "–"
    words = UNITS.get(unit, ("", ""))[1]
    # A short unit ("år", "kr") stays on the number's line; a long word may wrap.
    space = "\u00a0" if len(words) <= 3 else " "
    return f"{format_value(value, unit, signed=True)}{space}{words}".strip()


def unit_label(unit: str) -> str:
    return UNITS.get(unit, (unit, unit))[0]


def window_note(window_years: int | None) -> str | None:
    """The subtitle a multi-year mean needs, else None."""
    if window_years is None or window_years <= 1:
        return None
    return f"{window_years}-årsmedelvärde; året avser periodens sista år"


def target_text(indicator: Mapping[str, Any], status: Mapping[str, Any] | None = None) -> str:
    """The target in words, with this area's target value where the status row has one."""
    kind = indicator.get("target_kind")
    unit = str(indicator.get("unit"))
    direction = int(indicator.get("direction") or 1)
    sign = "+" if direction > 0 else "−"
    raw_amount = indicator.get("target_amount")
    amount = float(raw_amount) if is_number(raw_amount) else 0.0  # type: ignore[arg-type]
    year = indicator.get("target_year")
    words = UNITS.get(unit, ("", ""))[1]
    if kind in ("pp", "units") and amount > 0:
        text = f"{sign}{format_number(amount, 1 if amount % 1 else 0)} {words} till {year}"
    elif kind == "percent" and amount > 0:
        text = f"{sign}{format_number(amount, 1 if amount % 1 else 0)} % till {year}"
    elif kind == "level" and is_number(indicator.get("target_value")):
        text = f"{format_value(indicator['target_value'], unit)} till {year}"
    elif kind == "gap":
        text = "skillnaden mellan kvinnor och män ska minska"
    else:
        text = "ska öka" if direction > 0 else "ska minska"
    target_value = status.get("target_value") if status else None
    if kind in ("pp", "units", "percent") and is_number(target_value):
        text += f" ({format_value(target_value, unit)})"
    return f"Mål: {text}"


def status_text(code: str | None, label: str | None = None) -> str:
    """ "✔ Målet är nått": symbol and label together, so colour never carries it alone.

    `label` is the status row's own label where it refines the code's (e.g. "Rätt riktning"
    for a direction-only target).
    """
    style = STATUS_BY_CODE.get(code or "not_assessable", STATUS_BY_CODE["not_assessable"])
    return f"{style.symbol} {label or style.label}"


def data_date_text(data_date: dt.date) -> str:
    return f"Data hämtade {format_date(data_date)}"


def slugify(name: str) -> str:
    """A safe, stable file name for any area name: "Region Värmland" → "region-varmland"."""
    folded = unicodedata.normalize("NFKD", name.replace("ß", "ss").replace("æ", "ae"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or "omrade"
