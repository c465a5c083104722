"""Numbers and dates in Swedish text: decimal comma, one decimal, a true minus sign."""

from __future__ import annotations

import datetime as dt

MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
GENDER_NAMES = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}


def format_number(value: float | None, decimals: int = 1, signed: bool = False) -> str:
    """12.345 → "12,3"; with signed, 3.1 → "+3,1" and −0.04 → "0,0"; None → "–".

    Rounds only for display: callers keep full precision for computation.
    """
    if value is None:
        return "–"
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "−0,0"
    text = f"{abs(rounded):,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    if rounded < 0:
        return "−" + text
    return ("+" + text) if signed and rounded > 0 else text


def format_date(day: dt.date | None) -> str:
    """2026-05-25 → "25 maj 2026"."""
    if day is None:
        return "–"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
