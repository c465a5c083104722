"""The one Altair theme of the reports: Swedish number format, quiet axes, readable type.

Colours that carry meaning are not set here: statuses take theirs from models/status.py, and the
series colours (area, county, Riket, target) are declared below once, apart from the statuses.
"""

from __future__ import annotations

from typing import TypedDict

import altair as alt

THEME_NAME = "aktuellt"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
TEXT_COLOUR = "#1a1a1a"
MUTED_TEXT = "#595959"  # 7:1 on white

# Series in trend charts. Kept out of the status palette (Okabe–Ito greens, blues, orange and
# vermilion), so a line is never read as a status; each also differs by dash and point shape.
AREA_COLOUR = "#1a1a1a"
COUNTY_COLOUR = "#6b6b6b"
RIKET_COLOUR = "#8c8c8c"
TARGET_COLOUR = "#CC79A7"  # Okabe–Ito reddish purple, unused by the statuses
NEUTRAL_BAR = "#7a7a7a"  # ranking bars: rank is never coloured like a status

# d3-format locale: decimal comma and a no-break space between thousands.
SWEDISH_NUMBER_LOCALE = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", "\u00a0kr"],
    "minus": "\u2212",
}
SWEDISH_TIME_LOCALE = {
    "dateTime": "%A %e %B %Y kl. %X",
    "date": "%Y-%m-%d",
    "time": "%H:%M:%S",
    "periods": ["fm", "em"],
    "days": ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"],
    "shortDays": ["sön", "mån", "tis", "ons", "tor", "fre", "lör"],
    "months": [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "shortMonths": [
        "jan",
        "feb",
        "mars",
        "apr",
        "maj",
        "juni",
        "juli",
        "aug",
        "sep",
        "okt",
        "nov",
        "dec",
    ],
}


class GuideText(TypedDict):
    labelFont: str
    titleFont: str
    labelFontSize: float
    titleFontSize: float
    labelColor: str
    titleColor: str


# Axis and legend labels and titles share one look.
GUIDE_TEXT: GuideText = {
    "labelFont": FONT,
    "titleFont": FONT,
    "labelFontSize": 11,
    "titleFontSize": 11,
    "labelColor": TEXT_COLOUR,
    "titleColor": TEXT_COLOUR,
}


def theme_config() -> alt.theme.ThemeConfig:
    """The theme as a Vega-Lite config; also embedded in every spec so it renders anywhere."""
    return alt.theme.ThemeConfig(
        config={
            "locale": {"number": SWEDISH_NUMBER_LOCALE, "time": SWEDISH_TIME_LOCALE},  # type: ignore[typeddict-item]
            "font": FONT,
            "background": "#ffffff",
            "padding": 8,
            "view": {"stroke": None},
            "title": {
                "font": FONT,
                "fontSize": 15,
                "fontWeight": "bold",
                "color": TEXT_COLOUR,
                "subtitleColor": MUTED_TEXT,
                "subtitleFontSize": 12,
                "anchor": "start",
                "offset": 10,
            },
            "axis": {
                **GUIDE_TEXT,
                "titleFontWeight": "normal",
                "gridColor": "#e6e6e6",
                "domainColor": "#8c8c8c",
                "tickColor": "#8c8c8c",
            },
            "legend": {
                **GUIDE_TEXT,
                "orient": "bottom",
                "direction": "horizontal",
                "labelLimit": 320,
            },
            "text": {"font": FONT, "color": TEXT_COLOUR},
        }
    )


def use_theme() -> None:
    """Register and enable the theme; safe to call many times, in any process."""
    if alt.theme.active == THEME_NAME:
        return  # listing the registered themes is slow, and every chart asks
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(theme_config)
    if alt.theme.active != THEME_NAME:
        alt.theme.enable(THEME_NAME)
