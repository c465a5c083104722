"""The Swedish sentences of a status row: what changed, what the target was, and the status.

Pure functions of one row (a mapping of PROGRESS_SCHEMA-like fields), so a sentence can be
tested on its own. Numbers go through models.swedish.format_number: decimal comma, one decimal,
a true minus sign; computation keeps full precision and only the text is rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.catalog import SHARE_UNITS, UNITS
from models.status import status_label
from models.swedish import format_number

SURVEY_NAMES = {"livohalsa": "Liv & Hälsa", "hlv": "Hälsa på lika villkor (HLV)"}


def survey_name(tag: str | None) -> str:
    if tag is None:
        return "okänd källa"
    return SURVEY_NAMES.get(tag, tag)


def crossing_surveys_note(baseline_survey: str | None, latest_survey: str | None) -> str:
    """The note for a change measured between two different surveys (survey-data.md, point 5)."""
    return (
        "Jämförelsen korsar undersökningar: basvärdet kommer från "
        f"{survey_name(baseline_survey)}, det senaste värdet från {survey_name(latest_survey)}. "
        "Tolka förändringen med försiktighet."
    )


def overlapping_windows_note(window_years: int) -> str:
    return (
        f"Basvärdet och det senaste värdet är medelvärden över {window_years} år som delar år, "
        "så de är inte oberoende mätningar."
    )


def comparison_note(row: Mapping[str, Any]) -> str | None:
    """Warnings about what the change compares, or None when it compares like with like."""
    notes = []
    if row["crosses_surveys"]:
        notes.append(crossing_surveys_note(row["baseline_survey"], row["latest_survey"]))
    window = row["window_years"] or 1
    if window > 1 and row["latest_year"] - row["baseline_year"] < window:
        notes.append(overlapping_windows_note(window))
    return " ".join(notes) or None


def missing_baseline_reason(planned_year: int, window: int) -> str:
    """The reason a baseline is missing, naming the neighbouring years tried too."""
    missing = f"Värde för basåret {planned_year} saknas."
    if window <= 0:
        return missing
    before, after = planned_year - 1, planned_year + 1
    if window == 1:
        return f"{missing} Inget värde finns heller för {before} eller {after}."
    first, last = planned_year - window, planned_year + window
    return f"{missing} Inget värde finns heller för åren {first}–{last}."


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
    return f"({period}; basåret {planned} saknar värde, så närmaste år med värde används)"


def change_sentence(row: Mapping[str, Any]) -> str:
    unit, change = row["unit"], row["change"]
    start = format_value(row["baseline_value"], unit)
    end = format_value(row["latest_value"], unit)
    latest = period_text(row["latest_year"], row.get("window_years"))
    years = f"{start} {baseline_text(row)} till {end} ({latest})"
    shown = format_number(change, signed=True)
    if shown in ("0,0", "+0,0") and row.get("status") in ("improving", "worsening", "on_track"):
        # The status rests on a change too small for one decimal: show it, not "no change".
        shown = format_number(change, decimals=2, signed=True)
    if shown in ("0,0", "+0,0"):
        verb = "har i stort sett inte förändrats"
    elif change > 0:
        verb = "har ökat"
    else:
        verb = "har minskat"
    relative = ""
    if row["target_kind"] == "percent" and row["baseline_value"]:
        relative = f" ({format_number(100 * change / row['baseline_value'], signed=True)} %)"
    what = subject(unit, row["target_kind"])
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
    if status == "too_uncertain":
        margin = format_number(row["change_margin"])
        need = format_number(row["required_change"])
        return (
            f"{label}: felmarginalen för förändringen (±{margin} {words}) är större än "
            f"hela målet ({need} {words})."
        )
    if status == "no_change" and row["se_change"] is not None:
        margin = format_number(row["change_margin"])
        return f"{label}: förändringen ryms inom felmarginalen (±{margin} {words})."
    if status == "no_change" and row["noise_floor"] is not None:
        floor = format_number(row["noise_floor"])
        return f"{label}: förändringen är mindre än tröskeln {floor} {words}."
    if status == "improving" and row["ahead_of_path"] is None:
        # direction and gap targets have no pace, so "för långsamt" would say too much
        return "Rätt riktning; målet anger ingen takt att jämföra med."
    if status in ("on_track", "improving") and row["ahead_of_path"] is not None:
        ahead = row["ahead_of_path"]
        side = "före" if ahead >= 0 else "efter"
        expected = format_value(row["expected_value"], unit)
        return (
            f"{label}: {format_number(abs(ahead))} {words} {side} målbanan "
            f"(väntat {expected} år {row['latest_year']})."
        )
    return f"{label}."


def baseline_assumption(basis: str | None, planned_year: int | None) -> str | None:
    """Say whose choice the baseline year is when the source document names none."""
    if basis == "adopted_year":
        return (
            f"Dokumentet anger inget basår; basåret {planned_year}, året målen antogs, är "
            "projektets antagande."
        )
    if basis == "catalog":
        return f"Dokumentet anger inget basår; basåret {planned_year} är valt i katalogen."
    return None


def explain(row: Mapping[str, Any]) -> str:
    """The one-sentence (a few short sentences) Swedish explanation of one status row."""
    assumption = baseline_assumption(row.get("baseline_basis"), row["baseline_year_planned"])
    if row["status"] == "not_assessable":
        parts = [f"{row['reason']} {status_label('not_assessable')}."]
    else:
        parts = [change_sentence(row), target_sentence(row), status_sentence(row)]
        if row.get("comparison_note"):
            parts.append(row["comparison_note"])
    if assumption:
        parts.append(assumption)
    return " ".join(parts)
