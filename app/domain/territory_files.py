"""Parsers for health-region files, line by line, reporting every bad line with its number.

Two layouts: DATASUS Base Territorial (`tb_regsaud` + `rl_municip_regsaud`) and the
municipality-per-line extract of `shared/data/health_regions_sample_2019.csv`.
Pure functions: they read text and return rows and errors; no database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from app.core.text import search_key

Row = TypeVar("Row", covariant=True)
SAMPLE_LAYOUT = "municipality_regions"
MAX_POPULATION = 2**31 - 1  # the column's range; São Paulo has about 12 million
DATASUS_LAYOUT = "datasus_base_territorial"


@dataclass(frozen=True)
class LineProblem:
    file: str
    line: int
    reason: str
    field: str | None = None


@dataclass(frozen=True)
class RegionLine:
    file: str
    line: int
    code: str
    name: str
    macro_code: str | None = None
    active: bool = True


@dataclass(frozen=True)
class MembershipLine:
    file: str
    line: int
    municipality_code: str
    region_code: str
    state_code: str | None = None
    municipality_name: str | None = None
    population: int | None = None


@dataclass
class ParsedTerritory:
    layout: str
    regions: list[RegionLine] = field(default_factory=list)
    memberships: list[MembershipLine] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)
    lines_read: int = 0


def _digits(text: str, *lengths: int) -> bool:
    """ASCII digits of one of these lengths (str.isdigit() also accepts "①", which int() refuses)."""
    return text.isascii() and text.isdigit() and (not lengths or len(text) in lengths)


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) as DATASUS publishes today; Latin-1 as older exports are."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    # Old spreadsheet exports end lines with a bare CR, which the csv module refuses.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _open_table(
    parsed: ParsedTerritory, file: str, content: bytes, required: tuple[str, ...]
) -> tuple[list[str], csv.DictReader[str]] | None:
    """The normalized header and the row reader, or None with the reason recorded in `parsed`."""
    table = _rows(decode(content))
    if table is None:
        parsed.errors.append(LineProblem(file, 1, "the file is empty"))
        return None
    if problems := _missing_columns(file, table[0], required):
        parsed.errors.extend(problems)
        return None
    return table


def delimiter_of(header: str) -> str:
    """`;` as pt-BR spreadsheets export, unless the header line has more commas."""
    return ";" if header.count(";") > header.count(",") else ","


def header_key(name: str) -> str:
    """A header cell as the column it names: `Código IBGE` → `codigo_ibge`."""
    return search_key(name).replace(" ", "_")


def _rows(text: str) -> tuple[list[str], csv.DictReader[str]] | None:
    delimiter = delimiter_of(text.split("\n", 1)[0])
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, restkey="\x00extra")
    if reader.fieldnames is None:
        return None
    header = [header_key(name) for name in reader.fieldnames]
    reader.fieldnames = header
    return header, reader


class BrokenCsv(Exception):
    """A quote opened and never closed, or the like: the file cannot be read past `line`."""

    def __init__(self, line: int, error: csv.Error) -> None:
        self.line = line
        self.reason = f"the CSV breaks from here on ({error}): a quote opened and never closed?"
        super().__init__(self.reason)


class CsvReader(Protocol[Row]):
    line_num: int

    def __iter__(self) -> Iterator[Row]: ...


def numbered_rows(reader: CsvReader[Row]) -> Iterator[tuple[int, Row]]:
    """A csv reader's rows with the line each ends on (a quoted cell may span lines); raises
    BrokenCsv at the line after the last good row."""
    line = reader.line_num  # past the header a DictReader has read already
    try:
        for row in reader:
            line = reader.line_num
            yield line, row
    except csv.Error as exc:
        raise BrokenCsv(line + 1, exc) from exc


def _records(
    parsed: ParsedTerritory, file: str, reader: csv.DictReader[str]
) -> Iterator[tuple[int, dict[str, str | list[str] | None]]]:
    """Rows with their line numbers; a malformed CSV stops the file with a line problem."""
    try:
        for line, row in numbered_rows(reader):
            parsed.lines_read += 1
            yield line, row
    except BrokenCsv as broken:
        parsed.errors.append(LineProblem(file, broken.line, broken.reason))


def _missing_columns(file: str, header: list[str], required: tuple[str, ...]) -> list[LineProblem]:
    missing = [column for column in required if column not in header]
    if not missing:
        return []
    return [LineProblem(file, 1, f"header lacks column(s) {', '.join(missing)}; it has {', '.join(header)}")]


def _cell(row: dict[str, str | list[str] | None], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def parse_municipality_regions(content: bytes, file: str = "file") -> ParsedTerritory:
    """One municipality per line: state_code, city_code, health_region_code, health_region
    [, population, city, state, region]."""
    parsed = ParsedTerritory(layout=SAMPLE_LAYOUT)
    table = _open_table(parsed, file, content, ("state_code", "city_code", "health_region_code", "health_region"))
    if table is None:
        return parsed
    header, reader = table
    region_names: dict[str, tuple[str, int]] = {}
    seen_municipalities: dict[str, int] = {}
    for line, row in _records(parsed, file, reader):
        problems = _municipality_line_problems(file, line, row, len(header))
        if problems:
            parsed.errors.extend(problems)
            continue
        code, region_code, region_name = (
            _cell(row, "city_code"),
            _cell(row, "health_region_code"),
            _cell(row, "health_region"),
        )
        if code[:6] in seen_municipalities:  # 130260 and 1302603 are one municipality
            already = seen_municipalities[code[:6]]
            parsed.errors.append(
                LineProblem(file, line, f"municipality {code} is already on line {already}", "city_code")
            )
            continue
        seen_municipalities[code[:6]] = line
        known = region_names.setdefault(region_code, (region_name, line))
        if known[0] != region_name:
            parsed.errors.append(
                LineProblem(
                    file,
                    line,
                    f"region {region_code} is named {region_name!r} here but {known[0]!r} on line {known[1]}",
                    "health_region",
                )
            )
            continue
        if known[1] == line:
            parsed.regions.append(RegionLine(file, line, region_code, region_name))
        population = _cell(row, "population")
        parsed.memberships.append(
            MembershipLine(
                file,
                line,
                code,
                region_code,
                state_code=_cell(row, "state_code"),
                municipality_name=_cell(row, "city") or None,
                population=int(population) if population else None,
            )
        )
    return parsed


def _municipality_line_problems(
    file: str, line: int, row: dict[str, str | list[str] | None], columns: int
) -> list[LineProblem]:
    problems: list[LineProblem] = []
    extra = row.get("\x00extra")
    if isinstance(extra, list):
        problems.append(
            LineProblem(
                file,
                line,
                f"{columns + len(extra)} fields where the header has {columns}: "
                "a name with an unquoted comma? Quote it",
            )
        )
        return problems
    state_code, code = _cell(row, "state_code"), _cell(row, "city_code")
    region_code, region_name = _cell(row, "health_region_code"), _cell(row, "health_region")
    if not _digits(state_code, 2):
        problems.append(LineProblem(file, line, f"state_code {state_code!r} is not a 2-digit UF code", "state_code"))
    if not _digits(code, 6, 7):
        problems.append(LineProblem(file, line, f"city_code {code!r} is not a 6- or 7-digit IBGE code", "city_code"))
    elif code[:2] != state_code:
        problems.append(LineProblem(file, line, f"city_code {code} is not in state_code {state_code}", "city_code"))
    if not _digits(region_code, 5):
        problems.append(
            LineProblem(file, line, f"health_region_code {region_code!r} is not a 5-digit code", "health_region_code")
        )
    elif region_code[:2] != state_code:
        problems.append(
            LineProblem(
                file, line, f"health_region_code {region_code} is not in state_code {state_code}", "health_region_code"
            )
        )
    if not region_name:
        problems.append(LineProblem(file, line, "health_region is empty", "health_region"))
    population = _cell(row, "population")
    if population and not _digits(population):
        raw_population = row.get("population")
        hint = (
            f": is the region name {region_name + ',' + str(raw_population)!r} missing its quotes?"
            if any(ch.isalpha() for ch in population)
            else ""
        )
        problems.append(
            LineProblem(file, line, f"population {raw_population!r} is not a whole number{hint}", "population")
        )
    elif population and int(population) > MAX_POPULATION:
        problems.append(
            LineProblem(file, line, f"population {population} is larger than any municipality's", "population")
        )
    return problems


_REGION_NAME_COLUMNS = ("no_regsaud", "ds_nome", "ds_nomepad", "no_regiao")
_INACTIVE_STATUSES = {"transf", "ignor", "inativo"}


def parse_datasus(regions: bytes, memberships: bytes) -> ParsedTerritory:
    """DATASUS Base Territorial: `tb_regsaud` (CO_REGSAUD, a name column, optional CO_STATUS and
    CO_MACSAUD) and `rl_municip_regsaud` (CO_MUNICIP, CO_REGSAUD); `,` or `;` separated."""
    parsed = ParsedTerritory(layout=DATASUS_LAYOUT)
    _parse_region_table(parsed, regions)
    _parse_membership_table(parsed, memberships)
    return parsed


def _parse_region_table(parsed: ParsedTerritory, content: bytes) -> None:
    file = "tb_regsaud"
    table = _open_table(parsed, file, content, ("co_regsaud",))
    if table is None:
        return
    header, reader = table
    name_column = next((column for column in _REGION_NAME_COLUMNS if column in header), None)
    if name_column is None:
        parsed.errors.extend(_missing_columns(file, header, ("no_regsaud",)))
        return
    seen: dict[str, int] = {}
    for line, row in _records(parsed, file, reader):
        code, name, macro = _cell(row, "co_regsaud"), _cell(row, name_column), _cell(row, "co_macsaud")
        if not _digits(code, 5):
            parsed.errors.append(LineProblem(file, line, f"CO_REGSAUD {code!r} is not a 5-digit code", "CO_REGSAUD"))
        elif code in seen:
            parsed.errors.append(
                LineProblem(file, line, f"region {code} is already on line {seen[code]}", "CO_REGSAUD")
            )
        elif not name:
            parsed.errors.append(LineProblem(file, line, "the region name is empty", name_column.upper()))
        elif macro and not _digits(macro, 4):
            parsed.errors.append(LineProblem(file, line, f"CO_MACSAUD {macro!r} is not a 4-digit code", "CO_MACSAUD"))
        else:
            seen[code] = line
            active = _cell(row, "co_status").casefold() not in _INACTIVE_STATUSES
            parsed.regions.append(RegionLine(file, line, code, name, macro or None, active))


def _parse_membership_table(parsed: ParsedTerritory, content: bytes) -> None:
    file = "rl_municip_regsaud"
    table = _open_table(parsed, file, content, ("co_municip", "co_regsaud"))
    if table is None:
        return
    _, reader = table
    seen: dict[str, int] = {}
    for line, row in _records(parsed, file, reader):
        code, region_code = _cell(row, "co_municip"), _cell(row, "co_regsaud")
        if not _digits(code, 6, 7):
            parsed.errors.append(
                LineProblem(file, line, f"CO_MUNICIP {code!r} is not a 6- or 7-digit code", "CO_MUNICIP")
            )
        elif not _digits(region_code, 5):
            parsed.errors.append(
                LineProblem(file, line, f"CO_REGSAUD {region_code!r} is not a 5-digit code", "CO_REGSAUD")
            )
        elif code[:6] in seen:
            parsed.errors.append(
                LineProblem(file, line, f"municipality {code} is already on line {seen[code[:6]]}", "CO_MUNICIP")
            )
        else:
            seen[code[:6]] = line
            parsed.memberships.append(MembershipLine(file, line, code, region_code))
