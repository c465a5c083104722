"""PX files (PC-Axis) into a Cube, and from there into cells or tidy survey observations.

Handles CODEPAGE (and UTF-8 files that declare Latin-1, as PxWebApi's own test files do),
multilingual keywords (`VALUES[sv]("kön")`), TIMEVAL, CONTVARIABLE, VARIABLE-TYPE and the data
symbols "." to "......" and "-", which are kept as a status with a null value, never 0.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from models.areas import Area
from sources.jsonstat import Cube, Dimension, cube_observations
from sources.survey import Problem, SurveyImportError

DEFAULT_CODEPAGE = "iso-8859-1"  # the PX specification's default when CODEPAGE is absent
CODEPAGE_PATTERN = re.compile(rb'CODEPAGE\s*=\s*"([^"]+)"')
KEY_PATTERN = re.compile(r"^([A-Za-z0-9-]+)(?:\[([A-Za-z_-]+)\])?(?:\((.*)\))?$", re.DOTALL)
TOKEN_PATTERN = re.compile(r'"[^"]*"|;|[^";]+')
STRING_PATTERN = re.compile(r'"([^"]*)"')
DATA_PATTERN = re.compile(r"\s*DATA\s*=")
NUMBER_PATTERN = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Keyword:
    name: str
    language: str | None
    subkeys: tuple[str, ...]
    value: str  # raw text after '=', quotes kept


def read_px(
    path: Path,
    *,
    survey: str,
    areas: Mapping[str, Area] | None = None,
    language: str | None = None,
    measure: str | None = None,
) -> pl.DataFrame:
    """Tidy observations from one PX file (see `cube_observations` for the mapping)."""
    cube = load_px(path, language=language)
    return cube_observations(cube, survey=survey, areas=areas, measure=measure)


def load_px(path: Path, language: str | None = None) -> Cube:
    """Parse a PX file into a Cube in `language` (default: the file's LANGUAGE)."""
    path = Path(path)
    text = decode_px(path.read_bytes(), path.name)
    keywords, data = split_px(text, path.name)
    return build_cube(path.name, keywords, data, language)


def decode_px(raw: bytes, file: str) -> str:
    """UTF-8 when the bytes are valid UTF-8 (BOM or not), else the declared CODEPAGE.

    PxWebApi's test database writes UTF-8 while declaring iso-8859-1; Latin-1 text with Swedish
    letters is practically never valid UTF-8, so trying UTF-8 first is safe.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    match = CODEPAGE_PATTERN.search(raw[:4096])
    codepage = match.group(1).decode("ascii", "replace") if match else DEFAULT_CODEPAGE
    try:
        codecs.lookup(codepage)
    except LookupError as error:
        raise SurveyImportError([Problem(file, None, f"unknown CODEPAGE {codepage!r}")]) from error
    try:
        return raw.decode(codepage)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SurveyImportError(
            [Problem(file, line, f"unreadable encoding: not valid {codepage}")]
        ) from error


def split_px(text: str, file: str) -> tuple[list[Keyword], str]:
    """The keyword statements before DATA=, and the raw data text after it."""
    keywords: list[Keyword] = []
    statement: list[str] = []
    for match in TOKEN_PATTERN.finditer(text):
        token = match.group(0)
        if token == ";":
            keyword = parse_statement("".join(statement).strip(), file)
            if keyword is not None:
                keywords.append(keyword)
            statement = []
            continue
        if not statement:
            data_start = DATA_PATTERN.match(token)
            if data_start is not None:  # the values follow; they are not a statement
                return keywords, text[match.start() + data_start.end() :]
        statement.append(token)
    raise SurveyImportError([Problem(file, None, "no DATA= section")])


def parse_statement(statement: str, file: str) -> Keyword | None:
    if not statement:
        return None
    key, separator, value = partition_outside_quotes(statement)
    if not separator:
        raise SurveyImportError([Problem(file, None, f"PX statement without '=': {statement!r}")])
    match = KEY_PATTERN.match(key.strip())
    if match is None:
        raise SurveyImportError([Problem(file, None, f"malformed PX keyword {key!r}")])
    name, language, subkey_text = match.groups()
    subkeys = tuple(STRING_PATTERN.findall(subkey_text or ""))
    return Keyword(name.upper(), language, subkeys, value.strip())


def partition_outside_quotes(statement: str) -> tuple[str, str, str]:
    quoted = False
    for index, char in enumerate(statement):
        if char == '"':
            quoted = not quoted
        elif char == "=" and not quoted:
            return statement[:index], "=", statement[index + 1 :]
    return statement, "", ""


def strings(value: str) -> list[str]:
    """A PX list: '"a","b"' → [a, b]; adjacent strings split across lines join ('"a" "b"')."""
    items: list[str] = []
    current: list[str] | None = None
    for token in re.finditer(r'"([^"]*)"|(,)', value):
        if token.group(2):
            if current is not None:
                items.append("".join(current))
            current = None
        else:
            current = [*(current or []), token.group(1)]
    if current is not None:
        items.append("".join(current))
    return items


class KeywordTable:
    """Look up keywords in one language, falling back to the file's default language."""

    def __init__(self, keywords: list[Keyword], language: str | None, default: str | None):
        self.keywords = keywords
        self.language = None if language in (None, default) else language

    def get(self, name: str, *subkeys: str) -> str | None:
        for wanted in (self.language, None) if self.language else (None,):
            for keyword in self.keywords:
                if (keyword.name, keyword.language, keyword.subkeys) == (name, wanted, subkeys):
                    return keyword.value
        return None

    def get_in_own_language(self, name: str, *subkeys: str) -> str | None:
        """Only this language's keyword: variable names differ per language."""
        for keyword in self.keywords:
            if (keyword.name, keyword.language, keyword.subkeys) == (name, self.language, subkeys):
                return keyword.value
        return None


def build_cube(file: str, keywords: list[Keyword], data: str, language: str | None) -> Cube:
    default_table = KeywordTable(keywords, None, None)
    default_language = next(iter(strings(default_table.get("LANGUAGE") or "")), None)
    table = KeywordTable(keywords, language, default_language)
    if default_table.get("KEYS") is not None:
        raise SurveyImportError(
            [Problem(file, None, "PX files with KEYS (sparse data) are not supported")]
        )
    variables_default = strings(default_table.get("STUB") or "") + strings(
        default_table.get("HEADING") or ""
    )
    variables = strings(table.get("STUB") or "") + strings(table.get("HEADING") or "")
    if not variables or len(variables) != len(variables_default):
        raise SurveyImportError([Problem(file, None, f"STUB/HEADING missing for {language!r}")])
    content_variable = strings(table.get("CONTVARIABLE") or "")
    dims: list[Dimension] = []
    for name, default_name in zip(variables, variables_default, strict=True):
        labels = strings(own(table, "VALUES", name) or "")
        codes = strings(own(table, "CODES", name) or default_table.get("CODES", default_name) or "")
        codes = codes or labels
        if not labels or len(codes) != len(labels):
            raise SurveyImportError(
                [
                    Problem(
                        file,
                        None,
                        f"variable {name!r}: VALUES and CODES are missing or of different length",
                    )
                ]
            )
        kind = strings(own(table, "VARIABLE-TYPE", name) or "")
        role = None
        if own(table, "TIMEVAL", name) is not None or kind == ["T"]:
            role = "time"
        elif kind == ["G"] or own(table, "MAP", name) is not None:
            role = "geo"
        elif name in content_variable:
            role = "metric"
        dims.append(
            Dimension(id=name, label=name, codes=tuple(codes), labels=tuple(labels), role=role)
        )
    values, statuses = parse_data(data, file, data_symbols(table))
    cube = Cube(
        source=file,
        dims=tuple(dims),
        values=tuple(values),
        statuses=tuple(statuses),
        label=" ".join(strings(table.get("TITLE") or "")),
    )
    if len(values) != cube.size:
        raise SurveyImportError(
            [
                Problem(
                    file,
                    None,
                    f"DATA holds {len(values)} values, the variables make {cube.size} cells",
                )
            ]
        )
    return cube


def own(table: KeywordTable, name: str, variable: str) -> str | None:
    """A per-variable keyword in the chosen language (variable names are per language)."""
    if table.language is not None:
        return table.get_in_own_language(name, variable)
    return table.get(name, variable)


# PX's own data symbols ("." to "......" for kinds of missing, "-" for a true zero); a file may
# name others in DATASYMBOL1–6, DATASYMBOLNIL and DATASYMBOLSUM.
PX_SYMBOLS = frozenset({".", "..", "...", "....", ".....", "......", "-"})
SYMBOL_KEYWORDS = (
    *(f"DATASYMBOL{number}" for number in range(1, 7)),
    "DATASYMBOLNIL",
    "DATASYMBOLSUM",
)


def data_symbols(table: KeywordTable) -> frozenset[str]:
    """The symbols this file may use in DATA: PX's own and those its keywords declare."""
    declared = {
        symbol for name in SYMBOL_KEYWORDS for symbol in strings(table.get(name) or "") if symbol
    }
    return PX_SYMBOLS | declared


def parse_data(
    data: str, file: str = "", symbols: frozenset[str] = PX_SYMBOLS
) -> tuple[list[float | None], list[str | None]]:
    """Numbers to values; a data symbol ('..', '-', ...) to a status with a null value.

    Any other token (a typo, `abc`) is refused with its position, never taken for a symbol.
    """
    body = data.split(";", 1)[0]
    values: list[float | None] = []
    statuses: list[str | None] = []
    problems: list[Problem] = []
    for position, token in enumerate(re.findall(r'"[^"]*"|[^\s,"]+', body), start=1):
        text = token.strip('"')
        if NUMBER_PATTERN.match(text):
            values.append(float(text))
            statuses.append(None)
        elif text in symbols:
            values.append(None)
            statuses.append(text)
        else:
            values.append(None)
            statuses.append(None)
            if len(problems) < MAX_LISTED:
                problems.append(
                    Problem(
                        file,
                        None,
                        f"DATA value {position} is {token!r}: neither a number nor one of the "
                        f"file's symbols ({' '.join(sorted(symbols))})",
                    )
                )
    if problems:
        raise SurveyImportError(problems)
    return values, statuses


MAX_LISTED = 50  # problems listed per file; the rest are only counted by the caller
