"""Goal matrices as planning teams keep them: CSV (`,` or `;`, UTF-8 or Latin-1) or XLSX, in
the `matriz` or the `dgmp` layout, one meta per row. Headers are matched without regard to case,
accents or punctuation; every bad cell is reported by line and column.

Pure: bytes in, rows and problems out (and, for export, rows out); no database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import load_workbook

from app.core.errors import DomainError
from app.core.text import decimal_comma, search_key
from app.domain.goal_rules import (
    GOAL_STATUS_LABELS,
    LEVEL_LABELS,
    LEVELS,
    POLARITY_LABELS,
    GoalStatus,
    Level,
    NumberError,
    Polarity,
    Prazo,
    PrazoError,
    Precision,
    Structure,
    format_prazo,
    parse_number,
    parse_percent,
    parse_prazo,
    polarity_from_label,
    status_from_label,
)
from app.domain.territory_files import BrokenCsv, LineProblem, decode, numbered_rows

FILE = "matrix"
MAX_ROWS = 50_000
_HEADER_SEARCH_ROWS = 10  # a title or two above the header is common in real spreadsheets


class UnsupportedFile(DomainError):
    status = 415
    code = "unsupported_file"
    title = "Unsupported file"


# Column keys (what a header reads as, once normalized) and the header written on export.
LEVEL_COLUMNS: dict[Level, str] = {level: label.upper() for level, label in LEVEL_LABELS.items()}
LEVEL_COLUMNS[Level.AREA] = "ÁREA"
LEVEL_COLUMNS[Level.ACAO] = "AÇÃO"
HEADERS = {
    "prazo": "PRAZO",
    "responsavel": "RESPONSÁVEL",
    "indicador": "INDICADOR",
    "unidade": "UNIDADE",
    "polaridade": "POLARIDADE",
    "linha de base": "LINHA DE BASE",
    "ano da linha de base": "ANO DA LINHA DE BASE",
    "meta do plano": "META DO PLANO",
    "status": "STATUS",
    "conclusao": "CONCLUSÃO (%)",
    "valor alcancado": "VALOR ALCANÇADO",
    "detalhes": "DETALHES",
    "dificuldades encontradas": "DIFICULDADES ENCONTRADAS",
    "previsao de entrega": "PREVISÃO DE ENTREGA",
    "ponto de atuacao": "PONTO DE ATUAÇÃO",
}
_ALIASES = {
    "responsaveis": "responsavel",
    "percentual de conclusao": "conclusao",
    "dificuldades": "dificuldades encontradas",
    "resultado alcancado": "valor alcancado",
    "ano linha de base": "ano da linha de base",
}
# Where a layout's levels come from; the deepest is always META (one meta per row).
LAYOUT_LEVELS: dict[Structure, tuple[Level, ...]] = {
    Structure.MATRIZ: LEVELS[Structure.MATRIZ],
    Structure.DGMP: (Level.DIRETRIZ, Level.OBJETIVO, Level.META),
}
REQUIRED: dict[Structure, tuple[str, ...]] = {
    Structure.MATRIZ: ("prazo", "responsavel"),
    Structure.DGMP: ("indicador", "unidade", "linha de base", "ano da linha de base", "meta do plano"),
}
# A report's columns, besides STATUS (which the others need).
UPDATE_COLUMNS = (
    "conclusao",
    "valor alcancado",
    "detalhes",
    "dificuldades encontradas",
    "previsao de entrega",
    "ponto de atuacao",
)
_INDICATOR_COLUMNS = ("indicador", "unidade", "polaridade", "linha de base", "ano da linha de base", "meta do plano")
# The columns written on export, in order; `years` stands for one column per year (dgmp). The
# matrix layout has no indicator, so no achieved value either.
EXPORT_COLUMNS: dict[Structure, tuple[str, ...]] = {
    Structure.MATRIZ: ("prazo", "responsavel", "status", *(c for c in UPDATE_COLUMNS if c != "valor alcancado")),
    Structure.DGMP: (*_INDICATOR_COLUMNS, "years", "prazo", "responsavel", "status", *UPDATE_COLUMNS),
}
_MAX_LENGTH = {"unidade": 60}
_YEAR_HEADER = re.compile(r"^(?:meta )?((?:19|20)\d\d|2100)$")


def column_key(header: str) -> str:
    """`CONCLUSÃO (%)` → `conclusao`; `Ação` → `acao`."""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", search_key(header)).split())
    return _ALIASES.get(key, key)


_LEVEL_KEYS = {level: column_key(header) for level, header in LEVEL_COLUMNS.items()}


@dataclass(frozen=True)
class MetaFields:
    deadline: date | None = None
    month_precision: bool = False
    responsible: str | None = None
    indicator_name: str | None = None
    indicator_unit: str | None = None
    polarity: Polarity | None = None
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    yearly_targets: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateFields:
    status: GoalStatus
    percent_complete: float | None = None
    achieved_value: float | None = None
    details: str | None = None
    difficulties: str | None = None
    expected_delivery: date | None = None
    next_steps: str | None = None


@dataclass(frozen=True)
class MatrixRow:
    line: int
    path: tuple[tuple[Level, str], ...]  # the levels present, top down; the last is the meta
    meta: MetaFields
    update: UpdateFields | None


@dataclass
class ParsedMatrix:
    structure: Structure
    columns: set[str] = field(default_factory=set)  # the keys of the columns the file has
    years: set[int] = field(default_factory=set)  # its yearly-target columns
    rows: list[MatrixRow] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)
    warnings: list[LineProblem] = field(default_factory=list)
    rows_read: int = 0


def _text(value: str) -> str:
    return " ".join(value.split())


def _csv_lines(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = decode(content)
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in text[:65536]):
        raise UnsupportedFile("the file is neither CSV nor XLSX")
    yield from numbered_rows(csv.reader(io.StringIO(text), delimiter=_delimiter(text)))


def _delimiter(text: str) -> str:
    """The one that splits a header with a META column out of the first lines; free text full
    of commas makes counting them unreliable."""
    sample = "\n".join(text.split("\n", _HEADER_SEARCH_ROWS)[:_HEADER_SEARCH_ROWS])
    for delimiter in (";", ","):
        try:
            if any("meta" in map(column_key, cells) for cells in csv.reader(io.StringIO(sample), delimiter=delimiter)):
                return delimiter
        except csv.Error:
            continue
    return ";"


def _cell_text(value: object, number_format: str) -> str:
    """An XLSX cell as the text a person sees: percentages as 0–100, month-only dates as MM/YYYY."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        # `mmmm" de "yyyy` shows no day: only a `d` outside quoted literals does.
        shown = re.sub(r'"[^"]*"|\\.', "", number_format.lower())
        return day.strftime("%d/%m/%Y" if "d" in shown else "%m/%Y")
    if isinstance(value, int | float):
        # 0.07 shown as 7% is 7.000000000000001 once multiplied: round the float noise away.
        return decimal_comma(round(value * 100, 9) if "%" in number_format else float(value))
    return str(value)


def _xlsx_lines(content: bytes) -> Iterator[tuple[int, list[str]]]:
    # openpyxl fails in many ways on a damaged or hostile zip (bad XML, missing parts, odd
    # types); whichever it is, for the person uploading it the file is not a readable workbook.
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise UnsupportedFile("the file looks like XLSX but cannot be read as a workbook") from exc
    try:
        rows = enumerate(workbook.worksheets[0].iter_rows(), start=1)
        while True:
            try:
                number, row = next(rows)
                cells = [_cell_text(cell.value, getattr(cell, "number_format", "") or "") for cell in row]
            except StopIteration:
                return
            except Exception as exc:
                raise UnsupportedFile("the workbook is damaged: its first sheet cannot be read") from exc
            yield number, cells
    finally:
        workbook.close()


def read_table(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """The file's non-empty rows with their line numbers, whichever format it is in."""
    if content.startswith(b"PK\x03\x04"):
        lines = _xlsx_lines(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFile("the file is an old Excel workbook (.xls): save it as .xlsx or CSV")
    else:
        lines = _csv_lines(content)
    for line, cells in lines:
        if any(cell.strip() for cell in cells):
            yield line, cells


def parse_matrix(content: bytes, structure: Structure) -> ParsedMatrix:
    parsed = ParsedMatrix(structure)
    rows = read_table(content)
    try:
        header_row = _find_header(rows, structure, parsed)
        if header_row is None:
            return parsed
        columns, years = header_row
        parsed.columns, parsed.years = set(columns), set(years)
        for line, cells in rows:
            parsed.rows_read += 1
            if parsed.rows_read > MAX_ROWS:
                parsed.errors.append(LineProblem(FILE, line, f"more than {MAX_ROWS} rows: split the file"))
                return parsed
            values = {key: cells[index].strip() if index < len(cells) else "" for key, index in columns.items()}
            yearly = {year: cells[index].strip() if index < len(cells) else "" for year, index in years.items()}
            _parse_row(parsed, line, values, yearly)
    except BrokenCsv as broken:
        parsed.errors.append(LineProblem(FILE, broken.line, broken.reason))
    return parsed


def _find_header(
    rows: Iterator[tuple[int, list[str]]], structure: Structure, parsed: ParsedMatrix
) -> tuple[dict[str, int], dict[int, int]] | None:
    """Column positions by key and year columns by year, from the first row naming a META column."""
    level_keys = [_LEVEL_KEYS[level] for level in LAYOUT_LEVELS[structure]]
    required = [*level_keys, *REQUIRED[structure]]
    for line, cells in rows:
        keys = [column_key(cell) for cell in cells]
        if "meta" not in keys:
            if line >= _HEADER_SEARCH_ROWS:
                break
            continue
        columns: dict[str, int] = {}
        years: dict[int, int] = {}
        for index, key in enumerate(keys):
            if year := _YEAR_HEADER.match(key):
                years[int(year[1])] = index
            elif key in columns or not key:
                continue
            elif key in level_keys or key in EXPORT_COLUMNS[structure]:
                columns[key] = index
            else:
                reason = f"this column is not read in the {structure} layout"
                parsed.warnings.append(LineProblem(FILE, line, reason, field=cells[index].strip()))
        missing = [_header_of(key) for key in required if key not in columns]
        if missing:
            parsed.errors.append(
                LineProblem(FILE, line, f"the {structure} layout needs column(s) {', '.join(missing)}")
            )
            return None
        return columns, years
    parsed.errors.append(LineProblem(FILE, 1, "no header row with a META column in the first rows"))
    return None


def _header_of(key: str) -> str:
    levels = {column_key(header): header for header in LEVEL_COLUMNS.values()}
    return levels.get(key) or HEADERS[key]


class _Cells:
    """One row's cells, collecting a problem per bad one."""

    def __init__(self, parsed: ParsedMatrix, line: int, values: dict[str, str]) -> None:
        self.parsed, self.line, self.values = parsed, line, values
        self.failed = False

    def fail(self, key: str, reason: str) -> None:
        self.parsed.errors.append(LineProblem(FILE, self.line, reason, field=_header_of(key)))
        self.failed = True

    def text(self, key: str) -> str | None:
        written = self.values.get(key) or None
        limit = _MAX_LENGTH.get(key)
        if written is not None and limit is not None and len(written) > limit:
            self.fail(key, f"{_header_of(key)} holds at most {limit} characters")
            return None
        return written

    def number(self, key: str, *, percent: bool = False) -> float | None:
        written = self.text(key)
        if written is None:
            return None
        try:
            return parse_percent(written) if percent else parse_number(written)
        except NumberError as exc:
            self.fail(key, str(exc))
            return None

    def year(self, key: str) -> int | None:
        written = self.text(key)
        if written is None:
            return None
        if not (written.isascii() and written.isdigit() and 1900 <= int(written) <= 2100):
            self.fail(key, f"{written!r} is not a year")
            return None
        return int(written)

    def prazo(self, key: str) -> tuple[date | None, bool]:
        written = self.text(key)
        if written is None:
            return None, False
        try:
            prazo = parse_prazo(written)
        except PrazoError as exc:
            self.fail(key, str(exc))
            return None, False
        return prazo.on, prazo.precision == "month"


def _parse_row(parsed: ParsedMatrix, line: int, values: dict[str, str], years: dict[int, str]) -> None:
    cells = _Cells(parsed, line, values)
    path = _path(cells, parsed.structure)
    deadline, month_precision = cells.prazo("prazo")
    polarity_text = cells.text("polaridade")
    polarity = polarity_from_label(polarity_text) if polarity_text else None
    if polarity_text and polarity is None:
        labels = ", ".join(POLARITY_LABELS.values())
        cells.fail("polaridade", f"{polarity_text!r} is not a polarity: write {labels}")
    yearly = {}
    for year, written in years.items():
        if written:
            try:
                yearly[year] = parse_number(written)
            except NumberError as exc:
                parsed.errors.append(LineProblem(FILE, line, str(exc), field=str(year)))
                cells.failed = True
    meta = MetaFields(
        deadline=deadline,
        month_precision=month_precision,
        responsible=cells.text("responsavel"),
        indicator_name=cells.text("indicador"),
        indicator_unit=cells.text("unidade"),
        polarity=polarity,
        baseline_value=cells.number("linha de base"),
        baseline_year=cells.year("ano da linha de base"),
        target_value=cells.number("meta do plano"),
        yearly_targets=yearly,
    )
    update = _update(cells)
    if not cells.failed and path is not None:
        parsed.rows.append(MatrixRow(line, path, meta, update))


def _path(cells: _Cells, structure: Structure) -> tuple[tuple[Level, str], ...] | None:
    levels = LAYOUT_LEVELS[structure]
    path = []
    for level in levels:
        key = _LEVEL_KEYS[level]
        text = cells.text(key)
        if text is not None:
            path.append((level, _text(text)))  # identical text, spacing aside, is one node
        elif level is Level.META:
            cells.fail(key, "META is empty: every row is one meta")
        elif structure is Structure.DGMP:
            cells.fail(key, f"{LEVEL_COLUMNS[level]} is empty: DGMP numbers every level")
        else:
            cells.parsed.warnings.append(
                LineProblem(
                    FILE,
                    cells.line,
                    f"{LEVEL_COLUMNS[level]} is blank: the levels below attach to the nearest level above",
                    field=LEVEL_COLUMNS[level],
                )
            )
    return tuple(path) if not cells.failed else None


def _update(cells: _Cells) -> UpdateFields | None:
    label = cells.text("status")
    if label is None:
        filled = [key for key in UPDATE_COLUMNS if cells.text(key)]
        if filled:
            cells.fail("status", f"STATUS is empty but {_header_of(filled[0])} is filled: a report needs its status")
        return None
    status = status_from_label(label)
    if status is None:
        known = ", ".join(GOAL_STATUS_LABELS.values())
        cells.fail("status", f"{label!r} is not a status: write one of {known}")
        return None
    delivery, _ = cells.prazo("previsao de entrega")
    return UpdateFields(
        status=status,
        percent_complete=cells.number("conclusao", percent=True),
        achieved_value=cells.number("valor alcancado"),
        details=cells.text("detalhes"),
        difficulties=cells.text("dificuldades encontradas"),
        expected_delivery=delivery,
        next_steps=cells.text("ponto de atuacao"),
    )


Cell = str | int | float | None


@dataclass(frozen=True)
class ExportRow:
    path: dict[Level, str]
    meta: MetaFields
    update: UpdateFields | None


def _number(value: float | None) -> int | float | None:
    return int(value) if value is not None and value.is_integer() else value


def export_table(structure: Structure, rows: list[ExportRow]) -> tuple[list[str], list[list[Cell]]]:
    """The layout's header and one row per meta, as parse_matrix reads them back."""
    years = sorted({year for row in rows for year in row.meta.yearly_targets})
    keys = EXPORT_COLUMNS[structure]
    header = [LEVEL_COLUMNS[level] for level in LAYOUT_LEVELS[structure]]
    for key in keys:
        header += [str(year) for year in years] if key == "years" else [HEADERS[key]]
    table = []
    for row in rows:
        cells: list[Cell] = [row.path.get(level) for level in LAYOUT_LEVELS[structure]]
        for key in keys:
            if key == "years":
                cells += [_number(row.meta.yearly_targets.get(year)) for year in years]
            else:
                cells.append(_export_cell(key, row))
        table.append(cells)
    return header, table


def _export_cell(key: str, row: ExportRow) -> Cell:
    meta, update = row.meta, row.update
    match key:
        case "prazo":
            precision = Precision.MONTH if meta.month_precision else Precision.DAY
            return format_prazo(Prazo(meta.deadline, precision)) if meta.deadline else None
        case "responsavel":
            return meta.responsible
        case "indicador":
            return meta.indicator_name
        case "unidade":
            return meta.indicator_unit
        case "polaridade":
            return POLARITY_LABELS[meta.polarity] if meta.polarity else None
        case "linha de base":
            return _number(meta.baseline_value)
        case "ano da linha de base":
            return meta.baseline_year
        case "meta do plano":
            return _number(meta.target_value)
    if update is None:
        return None
    match key:
        case "status":
            return GOAL_STATUS_LABELS[update.status]
        case "conclusao":
            return _number(update.percent_complete)
        case "valor alcancado":
            return _number(update.achieved_value)
        case "detalhes":
            return update.details
        case "dificuldades encontradas":
            return update.difficulties
        case "previsao de entrega":
            return update.expected_delivery.strftime("%d/%m/%Y") if update.expected_delivery else None
        case _:  # "ponto de atuacao"
            return update.next_steps
