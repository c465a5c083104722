"""The name resolver: every spelling of an area, catalog, indicator or format people type."""

from __future__ import annotations

import re

import pytest

from models.areas import Area, load_areas
from models.names import UnknownName, resolve_area, resolve_areas, resolve_choice, slugify

AREAS = load_areas()
VARMLAND = [a.area_id for a in AREAS.values() if a.county_id == "0017" and a.kind != "grupp"]


@pytest.mark.parametrize(
    ("typed", "area_id"),
    [
        ("1780", "1780"),
        ("0017", "0017"),
        ("17", "0017"),  # a spreadsheet dropped the leading zeros
        ("Karlstad", "1780"),
        ("KARLSTAD", "1780"),
        ("Region Värmland", "0017"),
        ("region värmland", "0017"),
        ("Region Varmland", "0017"),
        ("region-varmland", "0017"),  # the slug of the report's file name
        ("Värmland", "0017"),  # a region by its county's name
        ("Årjäng", "1765"),
        ("Arjang", "1765"),
        ("arjang", "1765"),
        (" Säffle ", "1785"),
        ("g33624", "G33624"),
        ("Habo", "0643"),  # Habo and Håbo fold alike: the exact spelling decides
        ("Håbo", "0305"),
    ],
)
def test_an_area_is_found_by_id_name_or_slug(typed: str, area_id: str) -> None:
    assert resolve_area(typed, AREAS) == area_id


def test_every_area_is_found_by_its_own_name_and_slug() -> None:
    for area in AREAS.values():
        if area.name.casefold() not in ("habo", "håbo"):
            assert resolve_area(slugify(area.name), AREAS) == area.area_id, area
        assert resolve_area(area.name, AREAS) == area.area_id


def test_a_folded_name_shared_by_two_areas_is_ambiguous_and_both_are_named() -> None:
    areas = {
        "9001": Area("9001", "Övre Ed", "kommun", "0099"),
        "9002": Area("9002", "Ovre-Ed", "kommun", "0099"),
    }
    with pytest.raises(UnknownName, match=r"ambiguous: Ovre-Ed \(9002\) or Övre Ed \(9001\)"):
        resolve_area("ovre ed", areas)
    assert resolve_area("Övre Ed", areas) == "9001"


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("Karlstadd", "Karlstad (1780)"), ("Karstad", "Karlstad (1780)"), ("Arvka", "Arvika (1784)")],
)
def test_a_misspelt_area_names_the_closest(typed: str, suggested: str) -> None:
    expected = re.escape(f"unknown area '{typed}'; did you mean {suggested}")  # closest first
    with pytest.raises(UnknownName, match=f"^{expected}"):
        resolve_area(typed, AREAS)


def test_a_known_area_outside_the_command_s_areas_lists_the_ones_it_has() -> None:
    with pytest.raises(UnknownName) as raised:
        resolve_area("Stockholm", AREAS, among=VARMLAND, where="of the report")
    message = str(raised.value)
    assert "Stockholm (0180) is not among the areas of the report" in message
    assert "Karlstad (1780)" in message and "Region Värmland (0017)" in message


def test_areas_keep_their_order_without_repeats() -> None:
    assert resolve_areas(["Karlstad", "0017", "1780", "arvika"], AREAS) == ["1780", "0017", "1784"]


def test_a_choice_ignores_case_and_separators_and_lists_the_valid_ones() -> None:
    assert resolve_choice("catalog", "NP2022", ["np2020", "np2022"]) == "np2022"
    assert resolve_choice("indicator", "Tobaksrok-8-manader", ["tobaksrok_8_manader"]) == (
        "tobaksrok_8_manader"
    )
    with pytest.raises(UnknownName, match=r"unknown format 'csvv'; did you mean csv\? valid: "):
        resolve_choice("format", "csvv", ["table", "csv", "json"])
    with pytest.raises(UnknownName, match=r"^unknown catalog 'np2099'; valid: np2020, np2022$"):
        resolve_choice("catalog", "np2099", ["np2020", "np2022"])
