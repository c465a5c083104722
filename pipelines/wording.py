"""The Swedish sentences of a status row: what changed, what the target was, and the status.

Pure functions of one row (a mapping of PROGRESS_SCHEMA-like fields), so a sentence can be
tested on its own. Numbers go through models.swedish.format_number: decimal comma, one decimal,
a true minus sign; computation keeps full precision and only the text is rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from models.catalog import SHARE_UNITS, UNITS
from models.status import status_label
from models.swedish import format_number

SURVEY_NAMES = {"livohalsa": "Liv & Hälsa", "hlv": "Hälsa på lika villkor"}


def survey_name(tag: str | None) -> str:
    if tag is None:
        return "okänd källa"
    return SURVEY_NAMES.get(tag, tag)


def overlapping_windows_note(window_years: int) -> str:
    return (
        f"Basvärdet och det senaste värdet är medelvärden över {window_years} år som delar år, "
        "så de är inte oberoende mätningar."
    )


def comparison_note_expr() -> pl.Expr:
    """The warning when baseline and latest are multi-year windows that share years."""
    window = pl.col("window_years").fill_null(1)
    return pl.when(
        pl.col("latest_year").is_not_null()
        & (window > 1)
        & (pl.col("latest_year") - pl.col("baseline_year") < window)
    ).then(
        pl.format(
            "Basvärdet och det senaste värdet är medelvärden över {} år som delar år, "
            "så de är inte oberoende mätningar.",
            window,
        )
    )


def missing_baseline_reason(planned_year: int, window: int, survey: str | None = None) -> str:
    """The reason a baseline is missing, naming the neighbouring years and the survey."""
    where = f" i {survey}" if survey else ""
    missing = f"Värde för basåret {planned_year} saknas{where}."
    if window <= 0:
        return missing
    before, after = planned_year - 1, planned_year + 1
    if window == 1:
        return f"{missing} Inget värde finns heller för {before} eller {after}."
    first, last = planned_year - window, planned_year + window
    return f"{missing} Inget värde finns heller för åren {first}–{last}."


def missing_baseline_reason_expr(window: int) -> pl.Expr:
    """missing_baseline_reason for every row at once (baseline_year_planned, survey)."""
    planned = pl.col("baseline_year_planned")
    where = pl.when(pl.col("survey").is_not_null()).then(pl.format(" i {}", "survey"))
    missing = pl.format("Värde för basåret {} saknas{}.", planned, where.otherwise(pl.lit("")))
    if window <= 0:
        return missing
    if window == 1:
        return pl.format(
            "{} Inget värde finns heller för {} eller {}.", missing, planned - 1, planned + 1
        )
    return pl.format(
        "{} Inget värde finns heller för åren {}–{}.", missing, planned - window, planned + window
    )


def subject(unit: str, target_kind: str) -> str:
    """What the sentence is about: a share, a gap, or a value in some other unit."""
    if target_kind == "gap":
        return "Skillnaden mellan kvinnor och män"
    if unit in SHARE_UNITS:
        return "Andelen"
    return "Värdet"


def change_words(unit: str) -> str:
    return UNITS[unit][1]


def format_value(value: float | None, unit: str) -> str:
    """85.71 → "85,7 %"; 4321 per 100 000 → "4 321,0 per 100 000 invånare"."""
    number = format_number(value)
    if unit in SHARE_UNITS:
        return f"{number} %"
    if unit == "index":
        return number
    return f"{number} {change_words(unit)}"


def format_amount(amount: float, signed: bool = True) -> str:
    """Target amounts as the documents write them: "+2", "−1 000", "+2,5"."""
    decimals = 0 if float(amount).is_integer() else 1
    return format_number(amount, decimals=decimals, signed=signed)


def period_text(year: int, window_years: int | None) -> str:
    """A period as the reader should see it: "2022", or "2020–2022" for a 3-year mean."""
    window = window_years or 1
    return str(year) if window <= 1 else f"{year - window + 1}–{year}"


def baseline_text(row: Mapping[str, Any]) -> str:
    year, planned = row["baseline_year"], row["baseline_year_planned"]
    period = period_text(year, row.get("window_years"))
    if year == planned:
        return f"({period})"
    return f"({period}, närmaste år till basåret {planned})"


def displayed_change(start: float, end: float) -> float:
    """The change a reader computes from the displayed values: 89,2 → 88,8 is −0,4."""
    return round(round(end, 1) - round(start, 1), 1)


def change_sentence(row: Mapping[str, Any]) -> str:
    unit, change = row["unit"], row["change"]
    if row.get("uses_means"):
        first, last = row["baseline_mean"], row["latest_mean"]
        base_years = f"{row['baseline_mean_from']}–{row['baseline_mean_to']}"
        latest_years = f"{row['latest_mean_from']}–{row['latest_mean_to']}"
        years = (
            f"{format_value(first, unit)} (medelvärdet {base_years}) till "
            f"{format_value(last, unit)} (medelvärdet {latest_years})"
        )
        what = "Medelvärdet"
    else:
        first, last = row["baseline_value"], row["latest_value"]
        latest = period_text(row["latest_year"], row.get("window_years"))
        start, end = format_value(first, unit), format_value(last, unit)
        years = f"{start} {baseline_text(row)} till {end} ({latest})"
        what = subject(unit, row["target_kind"])
    shown = format_number(displayed_change(first, last), signed=True)
    if shown in ("0,0", "+0,0") and row.get("status") in (
        "improving", "worsening", "on_track", "right_direction",
    ):  # fmt: skip
        # The status rests on a change too small for one decimal: show it, not "no change".
        shown = format_number(change, decimals=2, signed=True)
    if shown in ("0,0", "+0,0"):
        verb = "har i stort sett inte förändrats"
    elif change > 0:
        verb = "har ökat"
    else:
        verb = "har minskat"
    relative = ""
    if row["target_kind"] == "percent" and first:
        relative = f" ({format_number(100 * change / first, signed=True)} %)"
    return f"{what} {verb} från {years}, {shown} {change_words(unit)}{relative}."


def target_sentence(row: Mapping[str, Any]) -> str:
    kind, unit, direction = row["target_kind"], row["unit"], row["direction"]
    target_year = row["target_year"]
    goal = format_value(row["target_value"], unit) if row["target_value"] is not None else None
    if kind in ("pp", "units"):
        amount = format_amount(direction * row["target_amount"])
        return f"Målet var {amount} {change_words(unit)} till {target_year} ({goal})."
    if kind == "percent":
        way = "en ökning" if direction > 0 else "en minskning"
        amount = format_amount(row["target_amount"], signed=False)
        return f"Målet var {way} med {amount} % från basvärdet till {target_year} ({goal})."
    if kind == "level":
        return f"Målet var att nå {goal} till {target_year}."
    if kind == "gap":
        return "Målet är att skillnaden mellan kvinnor och män ska minska."
    way = "öka" if direction > 0 else "minska"
    return f"Målet anger bara riktningen: {subject(unit, kind).lower()} ska {way}."


def status_sentence(row: Mapping[str, Any]) -> str:
    status, unit = row["status"], row["unit"]
    words = change_words(unit)
    label = status_label(status)
    noise = row.get("sigma") is not None  # the margin comes from the year-to-year variation
    if status == "too_uncertain":
        margin = format_number(row["change_margin"])
        need = format_number(row["required_change"])
        what = "den normala variationen mellan åren" if noise else "felmarginalen för förändringen"
        return (
            f"{label}: {what} (±{margin} {words}) är mer än dubbelt så stor som "
            f"hela målet ({need} {words})."
        )
    if status == "no_change" and noise:
        margin = format_number(row["change_margin"])
        return (
            f"{label}: skillnaden är mindre än den normala variationen mellan åren "
            f"(±{margin} {words})."
        )
    if status == "no_change" and row["se_change"] is not None:
        margin = format_number(row["change_margin"])
        return f"{label}: förändringen ryms inom felmarginalen (±{margin} {words})."
    if status == "no_change" and row["noise_floor"] is not None:
        floor = format_number(row["noise_floor"])
        return f"{label}: förändringen är mindre än tröskeln {floor} {words}."
    if status == "right_direction":
        # direction and gap targets have no pace, so "för långsamt" would say too much
        return f"{label}; målet anger ingen takt att jämföra med."
    if status in ("on_track", "improving") and row["ahead_of_path"] is not None:
        ahead = row["ahead_of_path"]
        side = "före" if ahead >= 0 else "efter"
        expected = format_value(row["expected_value"], unit)
        return (
            f"{label}: {format_number(abs(ahead))} {words} {side} målbanan "
            f"(väntat {expected} år {row['latest_year']})."
        )
    return f"{label}."


def explain(row: Mapping[str, Any]) -> str:
    """The one-sentence (a few short sentences) Swedish explanation of one status row."""
    if row["status"] == "not_assessable":
        return f"{row['reason']} {status_label('not_assessable')}."
    parts = [change_sentence(row), target_sentence(row), status_sentence(row)]
    if row.get("baseline_outlier"):
        parts.append(
            f"Basåret {row['baseline_year']} avviker kraftigt från åren runt omkring, så ett mål "
            "räknat från det är ovanligt lätt eller svårt att nå."
        )
    if row.get("survey"):
        parts.append(
            f"Värdena kommer från {row['survey']} {row['baseline_year']} och {row['latest_year']}."
        )
    if row.get("comparison_note"):
        parts.append(row["comparison_note"])
    return " ".join(parts)
