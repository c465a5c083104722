"""The names people type for areas, indicators, catalogs and formats, resolved to ids.

Every command resolves its options here, so `--area Karlstad`, `--area karlstad`, `--area 1780`
and the file-name slug `--area karlstad` mean the same area everywhere, and a value that matches
nothing is refused with the closest matches named instead of quietly selecting nothing.
Errors derive from `BadInput`: the command line turns them into the usage-error exit code.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence

from models.areas import Area

MAX_LISTED = 40  # longer lists of valid values are cut, with a count of the rest
# How alike (difflib's ratio) a typed value must be to a known one to be suggested: a slip of
# one or two letters ("Karlstadd", "Arvka", "csvv"), not any value sharing half its letters.
SUGGEST_CUTOFF = 0.75
REGION_PREFIX = "region "


class BadInput(Exception):
    """Input named on the command line that cannot be used: the message says what and why."""


class UnknownName(BadInput):
    """A typed area, indicator, catalog or format that matches nothing known."""


class NothingMatches(BadInput):
    """Filters that are each valid but together select nothing: the command would write nothing."""


class MissingInput(BadInput):
    """A named input file or folder that does not exist or is not what it should be."""


def slugify(name: str) -> str:
    """A safe, stable file name for any area name: "Region Värmland" → "region-varmland"."""
    folded = unicodedata.normalize("NFKD", name.replace("ß", "ss").replace("æ", "ae"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or "omrade"


def match_key(text: str) -> str:
    """What two spellings of one name share: case, å/ä/ö, spaces, - and _ do not matter."""
    return slugify(text.strip())


def resolve_choice(kind: str, typed: str, choices: Sequence[str], where: str = "") -> str:
    """The choice `typed` names (any case, - or _), or UnknownName listing the valid ones.

    `kind` and `where` word the error: "unknown indicator 'x' in catalog np2022".
    """
    by_key = {match_key(choice): choice for choice in choices}
    found = by_key.get(match_key(typed))
    if found is not None:
        return found
    close = difflib.get_close_matches(match_key(typed), list(by_key), n=3, cutoff=SUGGEST_CUTOFF)
    hint = f"did you mean {_or_list([by_key[key] for key in close])}? " if close else ""
    raise UnknownName(f"unknown {kind} {typed!r}{where}; {hint}valid: {_listing(choices)}")


def resolve_choices(
    kind: str, typed: Iterable[str], choices: Sequence[str], where: str = ""
) -> list[str]:
    """Each typed choice resolved, in the order given, without repeats."""
    return _unique(resolve_choice(kind, value, choices, where) for value in typed)


def resolve_area(
    typed: str,
    areas: Mapping[str, Area],
    among: Collection[str] | None = None,
    where: str = "here",
    kind: str = "area",
) -> str:
    """The id of the area `typed` names: a Kolada id (`1780`, `0017`, `17`), a name in any case
    with or without å/ä/ö (`Årjäng`, `arjang`), its file-name slug (`region-varmland`) or, for a
    region, the county's name (`Värmland`).

    `among` limits the answer to the areas a command can show (e.g. the county's); a known area
    outside them is refused with the ones that can be chosen, `where` saying where they are
    ("in the report for Region Värmland"). `kind` names what is asked for ("county").
    """
    scope = [areas[area_id] for area_id in among if area_id in areas] if among else None
    candidates = scope if scope is not None else list(areas.values())
    found = _exact_matches(typed, candidates)
    if not found and scope is not None:
        elsewhere = _exact_matches(typed, list(areas.values()))
        if elsewhere:
            names = _listing([_label(area) for area in _by_name(scope)])
            raise UnknownName(
                f"{kind} {_or_list([_label(a) for a in elsewhere])} is not among the "
                f"{kind}s {where}; choose from: {names}"
            )
    if len(found) == 1:
        return found[0].area_id
    if len(found) > 1:
        raise UnknownName(
            f"{kind} {typed!r} is ambiguous: {_or_list([_label(a) for a in _by_name(found)])}; "
            "give the id"
        )
    raise UnknownName(f"unknown {kind} {typed!r}; {_area_hint(typed, candidates, scope)}")


def resolve_areas(
    typed: Iterable[str],
    areas: Mapping[str, Area],
    among: Collection[str] | None = None,
    where: str = "here",
) -> list[str]:
    """Each typed area resolved to its id, in the order given, without repeats."""
    return _unique(resolve_area(value, areas, among, where) for value in typed)


def _exact_matches(typed: str, candidates: Sequence[Area]) -> list[Area]:
    text = typed.strip()
    padded = text.zfill(4) if text.isdigit() else text
    by_id = [a for a in candidates if a.area_id.casefold() in (text.casefold(), padded)]
    if by_id:
        return by_id
    by_name = [a for a in candidates if a.name.casefold() == text.casefold()]
    if by_name:  # "Habo" and "Håbo" fold alike; the exact spelling decides
        return by_name
    key = match_key(text)
    return [a for a in candidates if key in _area_keys(a)]


def _area_keys(area: Area) -> set[str]:
    keys = {match_key(area.name)}
    if area.kind == "region" and area.name.casefold().startswith(REGION_PREFIX):
        keys.add(match_key(area.name[len(REGION_PREFIX) :]))
    return keys


def _area_hint(typed: str, candidates: Sequence[Area], scope: Sequence[Area] | None) -> str:
    by_key: dict[str, list[Area]] = {}
    for area in candidates:
        for key in (*_area_keys(area), area.area_id.casefold()):
            by_key.setdefault(key, []).append(area)
    close = difflib.get_close_matches(match_key(typed), list(by_key), n=3, cutoff=SUGGEST_CUTOFF)
    suggested = _unique(_label(area) for key in close for area in by_key[key])
    if suggested:
        return f"did you mean {_or_list(suggested)}?"
    if scope is not None:
        return f"choose from: {_listing([_label(a) for a in _by_name(scope)])}"
    return "give a Kolada id (1780), a name (Karlstad) or a file-name slug (region-varmland)"


def _label(area: Area) -> str:
    return f"{area.name} ({area.area_id})"


def _by_name(areas: Iterable[Area]) -> list[Area]:
    return sorted(areas, key=lambda area: (area.kind != "kommun", area.name))


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    rest = len(items) - MAX_LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
