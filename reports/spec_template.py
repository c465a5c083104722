"""Vega-Lite specs built once per chart kind with Altair, then filled with each chart's values.

Building and serialising Altair objects costs more than vl-convert's rendering of the result
(issue 16), yet charts of one kind differ only in their values: data, scale domains, titles. A
template is the kind's spec with named slots ("@@x_domain") where those values go; filling it
replaces each slot by its value as JSON, which is cheap. Slots are only ever whole JSON values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import altair as alt
from altair.vegalite.v6.schema import core

SLOT_PREFIX = "@@"
SLOT = re.compile(r'"@@(\w+)"')


def slot(name: str) -> str:
    """The placeholder for one value of a template (a string until the template is filled)."""
    return f"{SLOT_PREFIX}{name}"


def named(name: str) -> alt.NamedData:
    """A layer's data as a named dataset, filled per chart."""
    return alt.NamedData(name=name)


class ChartSpec(Protocol):
    """What the pages and seminar ask of a chart: its Vega-Lite spec."""

    def to_dict(self, validate: bool = ...) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FilledSpec:
    """A filled template: a Vega-Lite spec as a dict, validated on request like Altair's."""

    spec: dict[str, Any]

    def to_dict(self, validate: bool = False) -> dict[str, Any]:
        if validate:
            core.Root.validate(self.spec)
        return self.spec


class SpecTemplate:
    """One chart kind's spec with slots; `fill` makes a chart's spec from it."""

    def __init__(self, chart: alt.TopLevelMixin) -> None:
        spec = chart.to_dict(validate=False)
        spec["datasets"] = slot("datasets")
        self.text = json.dumps(spec, ensure_ascii=False)

    def fill(
        self, values: Mapping[str, Any], datasets: Mapping[str, list[dict[str, Any]]]
    ) -> FilledSpec:
        """The spec with every slot replaced: values by name, datasets as the named data."""
        given = {**values, "datasets": datasets}
        missing = sorted(set(SLOT.findall(self.text)) - set(given))
        if missing:
            raise KeyError(f"template slots without values: {', '.join(missing)}")
        text = SLOT.sub(
            lambda found: json.dumps(given[found.group(1)], ensure_ascii=False), self.text
        )
        return FilledSpec(json.loads(text))
