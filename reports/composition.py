"""A chart's frame: title and subtitle on top, the source lines as a footer inside the image."""

from __future__ import annotations

from typing import Any

import altair as alt

from reports.theme import MUTED_TEXT

FOOTER_LINE_PX = 14


def titled(
    plot: Any,
    heading: dict[str, Any],
    description: str,
    footer: Any,
    footer_lines: int,
    width: Any,
) -> alt.TopLevelMixin:
    """The plot under its heading ({"text", "subtitle"}), with `footer_lines` source lines
    from `footer` (data with `line` and `row`) below it; no footer when there are none."""
    if not footer_lines:
        return plot.properties(title=heading, description=description)
    foot = (
        alt.Chart(footer)
        .mark_text(align="left", baseline="top", fontSize=10, color=MUTED_TEXT)
        .encode(
            x=alt.XValue(0),
            y=alt.Y("row:O", axis=None, title=None),
            text=alt.Text("line:N"),
        )
        .properties(width=width, height=FOOTER_LINE_PX * footer_lines)
    )
    return alt.vconcat(plot, foot, spacing=14).properties(title=heading, description=description)
