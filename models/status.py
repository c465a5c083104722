"""The statuses of `method.md`: code, Swedish label, symbol and colour, declared once.

The palette is Okabe–Ito (colour-blind safe) and every status also has a symbol, so colour is
never the only carrier. Rank thirds have their own neutral wording and are never coloured.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusStyle:
    code: str
    label: str  # Swedish label for tables and charts
    symbol: str  # carries the status without colour
    colour: str


STATUSES: tuple[StatusStyle, ...] = (
    StatusStyle("target_met", "Målet är nått", "✔", "#009E73"),
    StatusStyle("on_track", "I fas mot målet", "▲", "#56B4E9"),
    StatusStyle("improving", "Rätt riktning, men för långsamt", "↗", "#0072B2"),
    # direction-only and gap targets set no pace, so they are never "för långsamt" (v2)
    StatusStyle("right_direction", "Rätt riktning", "↑", "#CC79A7"),
    StatusStyle("no_change", "Ingen säkerställd förändring", "●", "#999999"),
    StatusStyle("worsening", "Fel riktning", "▼", "#D55E00"),
    StatusStyle("too_uncertain", "För osäkert för att bedöma", "?", "#E69F00"),
    StatusStyle("not_assessable", "Kan ej bedömas", "–", "#FFFFFF"),
)
STATUS_BY_CODE = {status.code: status for status in STATUSES}

RANK_THIRDS = ("bästa tredjedelen", "mellersta tredjedelen", "sämsta tredjedelen")


def status_label(code: str) -> str:
    return STATUS_BY_CODE[code].label


def status_symbol(code: str) -> str:
    return STATUS_BY_CODE[code].symbol
