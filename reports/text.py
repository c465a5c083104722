"""Swedish wording shared by charts and pages: values with units, targets, windows, sources."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from models.catalog import DESCRIPTIVE_SENTENCE, UNITS
from models.names import slugify as slugify  # file names: defined with the name resolver
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
    if is_descriptive(indicator):
        return f"Inget mål: {DESCRIPTIVE_SENTENCE[0].lower()}{DESCRIPTIVE_SENTENCE[1:]}"
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


def is_descriptive(indicator: Mapping[str, Any]) -> bool:
    return indicator.get("indicator_kind") == "descriptive"


def descriptive_sentence(unit: str, points: pl.DataFrame) -> str:
    """The sentence of an indicator followed without assessment, with its trend in words.

    `points` are the area's values (period, value); the trend runs from the first year with a
    value to the last, and says nothing about better or worse.
    """
    values = points.filter(pl.col("value").is_not_null()).sort("period")
    if values.height == 0:
        return f"{DESCRIPTIVE_SENTENCE}. Inga värden ännu."
    first, last = values.row(0, named=True), values.row(-1, named=True)
    latest = f"{format_value(last['value'], unit)} ({last['period']})"
    if values.height == 1:
        return f"{DESCRIPTIVE_SENTENCE}. Ett värde hittills: {latest}."
    change = last["value"] - first["value"]
    start = f"{format_value(first['value'], unit)} ({first['period']})"
    shown = format_change(change, unit)
    if format_value(change, unit, signed=True) in ("0", "0,0", "+0", "+0,0"):
        trend = f"har i stort sett inte förändrats från {start} till {latest}"
    else:
        verb = "ökat" if change > 0 else "minskat"
        trend = f"har {verb} från {start} till {latest}, {shown}"
    return f"{DESCRIPTIVE_SENTENCE}. Värdet {trend}."


def status_text(code: str | None, label: str | None = None) -> str:
    """ "✔ Målet är nått": symbol and label together, so colour never carries it alone.

    `label` is the status row's own label where it refines the code's (e.g. "Rätt riktning"
    for a direction-only target).
    """
    style = STATUS_BY_CODE.get(code or "not_assessable", STATUS_BY_CODE["not_assessable"])
    return f"{style.symbol} {label or style.label}"


def data_date_text(data_date: dt.date) -> str:
    return f"Data hämtade {format_date(data_date)}"


Z_95 = 1.96  # the method's default confidence_z: the margin shown with a change


def _displayed(value: float, unit: str) -> float:
    """The value as a table shows it (the unit's decimals), as a number."""
    return round(value, UNIT_DECIMALS.get(unit, 1))


def change_text(row: Mapping[str, Any], unit: str) -> str:
    """The change as the page shows it, with its uncertainty: "−1,9 ± 2,8 procentenheter".

    The change is the difference of the displayed values (75,2 → 77,6 is +2,4, whatever the
    unrounded difference rounds to); of the three-year means when the status used them, which
    the text then says. The margin is 1,96·se_change where the uncertainty is known.
    """
    if row.get("uses_means") and is_number(row.get("baseline_mean")):
        first, last = row.get("baseline_mean"), row.get("latest_mean")
    else:
        first, last = row.get("baseline_value"), row.get("latest_value")
    if not (is_number(first) and is_number(last)):
        return format_change(row.get("change"), unit)
    decimals = UNIT_DECIMALS.get(unit, 1)
    change = round(_displayed(last, unit) - _displayed(first, unit), decimals)  # type: ignore[arg-type]
    text = format_value(change, unit, signed=True)
    se_change = row.get("se_change")
    if is_number(se_change):
        text += f" ± {format_number(Z_95 * se_change, decimals)}"  # type: ignore[operator]
    words = UNITS.get(unit, ("", ""))[1]
    means = " (treårsmedelvärden)" if row.get("uses_means") else ""
    return f"{text}\N{NO-BREAK SPACE}{words}{means}".strip()


def next_value_text(next_publication: dt.date | None, data_date: dt.date) -> str:
    """When the next value is expected; a date already passed is never shown as expected.

    Kolada moves a KPI's publication date once the value is out, so a date on or before the
    data date with no newer value means the value is late.
    """
    if next_publication is None:
        return ""
    if next_publication > data_date:
        return f" Nästa värde väntas {format_date(next_publication)}."
    return (
        f" Nästa värde väntades {format_date(next_publication)} men hade inte kommit när data "
        f"hämtades {format_date(data_date)}."
    )


def status_survey(row: Mapping[str, Any] | None) -> str | None:
    """The survey tag ("livohalsa") whose points a status row used, for its chart's line."""
    if not row:
        return None
    return row.get("latest_survey") or row.get("baseline_survey")
