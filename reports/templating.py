"""The Jinja2 environment of the report pages: templates in reports/templates/, autoescaping on.

Every value a template prints is escaped unless it is already markup, and the only markup the
pages receive is the SVG that vl-convert wrote (it escapes its own text): see `trusted_svg`.
Numbers are formatted by the same functions the charts and status sentences use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from models.status import STATUS_BY_CODE, STATUSES, StatusStyle
from reports.text import SOURCE_PROCESSED, SOURCE_VALUES, format_change, format_value

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def status_style(code: str | None) -> StatusStyle:
    """The style of a status code; a missing code reads as "Kan ej bedömas"."""
    return STATUS_BY_CODE.get(code or "not_assessable", STATUS_BY_CODE["not_assessable"])


def status_ink(code: str) -> str:
    """Text colour on the status colour: white only on the dark blue of `improving`."""
    return "#ffffff" if code == "improving" else "#1a1a1a"


def trusted_svg(svg: str | None) -> Markup | None:
    """Mark an SVG from vl-convert as safe to embed: vl-convert escapes the text it draws."""
    return None if svg is None else Markup(svg)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["value"] = lambda value, unit: format_value(value, str(unit))
    env.filters["change"] = lambda value, unit: format_change(value, str(unit))
    env.globals.update(
        statuses=STATUSES,
        status_style=status_style,
        status_ink=status_ink,
        source_values=SOURCE_VALUES,
        source_processed=SOURCE_PROCESSED,
    )
    return env


def render_page(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)
