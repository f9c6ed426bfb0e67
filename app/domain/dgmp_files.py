"""DGMP's public "situação dos instrumentos" extract for one UF, line by line.

`;`-separated, UTF-8 or Latin-1; columns REGIAO, MUNICIPIO, EXERCICIO, FASE, TIPO_INSTRUMENTO,
SITUACAO, and sometimes an IBGE code column and QUADRIMESTRE. Headers, instrument names and
situation labels are matched without regard to case or accents, as the extract varies.
Pure: text in, lines and problems out."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from app.core.text import search_key
from app.domain.instrument_rules import STATUS_LABELS, Kind, Status, plan_start_covering
from app.domain.territory_files import BrokenCsv, LineProblem, decode, numbered_rows

FILE = "dgmp"
_KINDS: list[tuple[re.Pattern[str], Kind]] = [
    (re.compile(r"^plano (?:municipal )?de saude$"), Kind.PMS),
    (re.compile(r"^(?:programacao anual de saude|pas)$"), Kind.PAS),
    (re.compile(r"^(?:([123])\s*[o°a]?\s*)?(?:rdqa|relatorio detalhado do quadrimestre anterior)$"), Kind.RDQA),
    (re.compile(r"^(?:relatorio anual de gestao|rag)$"), Kind.RAG),
]
_NOT_INSTRUMENTS = re.compile(r"^pactuacao")  # DGMP lists the interfederative pact too; it is not one of ours
_STATUSES = {search_key(label): status for status, label in STATUS_LABELS.items()} | {
    "": Status.NAO_INICIADO,  # an empty SITUACAO means Não Iniciado
    "em analise no conselho": Status.EM_ANALISE_CONSELHO,
    "em analise": Status.EM_ANALISE_CONSELHO,
}
_PHASES = {"2": 2022, "9": 2026}  # DGMP's opaque FASE codes for the 2022–2025 and 2026–2029 plans
_YEARS = re.compile(r"^(\d{4})(?:\s*(?:-|–|/|a)\s*(\d{4}))?$")
_QUADRIMESTER = re.compile(r"^([123])")


@dataclass(frozen=True)
class DgmpLine:
    line: int
    municipality_code: str | None
    municipality_name: str
    kind: Kind
    year: int
    quadrimester: int | None
    status: Status
    label: str


@dataclass
class ParsedDgmp:
    lines: list[DgmpLine] = field(default_factory=list)
    errors: list[LineProblem] = field(default_factory=list)
    skipped: list[LineProblem] = field(default_factory=list)
    lines_read: int = 0


def _header_key(name: str) -> str:
    key = search_key(name).replace(" ", "_").replace(".", "")
    return "ibge" if "ibge" in key or key in ("co_municipio", "co_municip") else key


def parse_dgmp(content: bytes) -> ParsedDgmp:
    parsed = ParsedDgmp()
    text = decode(content)
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    header = [_header_key(name) for name in reader.fieldnames or []]
    missing = [c for c in ("municipio", "exercicio", "tipo_instrumento", "situacao") if c not in header]
    if missing:
        parsed.errors.append(LineProblem(FILE, 1, f"header lacks column(s) {', '.join(missing)}"))
        return parsed
    reader.fieldnames = header
    try:
        for line, row in numbered_rows(reader):
            parsed.lines_read += 1
            _parse_line(parsed, line, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)})
    except BrokenCsv as broken:
        parsed.errors.append(LineProblem(FILE, broken.line, broken.reason))
    return parsed


def _parse_line(parsed: ParsedDgmp, line: int, row: dict[str, str]) -> None:
    kind_text = search_key(row.get("tipo_instrumento", ""))
    if _NOT_INSTRUMENTS.match(kind_text):
        parsed.skipped.append(LineProblem(FILE, line, f"{row['tipo_instrumento']!r} is not an instrument kept here"))
        return
    kind, quadrimester = _kind(kind_text, row.get("quadrimestre", ""))
    problems = []
    if kind is None:
        problems.append(f"TIPO_INSTRUMENTO {row.get('tipo_instrumento')!r} is not an instrument DGMP lists")
    elif kind is Kind.RDQA and quadrimester is None:
        problems.append("an RDQA needs its quadrimester (1º RDQA, or a QUADRIMESTRE column)")
    label = row.get("situacao", "")
    status = _STATUSES.get(search_key(label))
    if status is None:
        problems.append(f"SITUACAO {label!r} is not a DGMP situation")
    year = _year(kind, row.get("exercicio", ""), row.get("fase", ""))
    if year is None:
        problems.append(f"EXERCICIO {row.get('exercicio')!r} is not a year or a plan's period")
    code = row.get("ibge") or None
    if code is not None and not (code.isascii() and code.isdigit() and len(code) in (6, 7)):
        problems.append(f"IBGE code {code!r} is not 6 or 7 digits")
    if not row.get("municipio") and code is None:
        problems.append("the line names no municipality")
    if problems or kind is None or status is None or year is None:
        parsed.errors.append(LineProblem(FILE, line, "; ".join(problems)))
        return
    parsed.lines.append(
        DgmpLine(line, code, row.get("municipio", ""), kind, year, quadrimester, status, label or "Não Iniciado")
    )


def _kind(text: str, quadrimester_cell: str) -> tuple[Kind | None, int | None]:
    for pattern, kind in _KINDS:
        match = pattern.match(text)
        if match:
            if kind is not Kind.RDQA:
                return kind, None
            if match.group(1):
                return kind, int(match.group(1))
            cell = _QUADRIMESTER.match(quadrimester_cell)  # "1", "1º", "1º quadrimestre"
            return kind, int(cell.group(1)) if cell else None
    return None, None


def _year(kind: Kind | None, exercicio: str, fase: str) -> int | None:
    match = _YEARS.match(exercicio)
    if kind is Kind.PMS:
        if match:
            return plan_start_covering(int(match.group(1))) if match.group(2) is None else int(match.group(1))
        return _PHASES.get(fase)
    return int(match.group(1)) if match and match.group(2) is None else None
