"""Status updates in bulk (product.md §4): a CSV of entries on an instrument's metas and ações,
as SES integrations and monitoring spreadsheets send them every quadrimester. All or nothing:
every bad cell is reported by line and column, and nothing is written unless none is bad."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date

from app.core.errors import InvalidInput
from app.core.principal import Principal
from app.domain.access import STATUS_REPORTS
from app.domain.goal_rules import GOAL_STATUS_LABELS, MONITORED
from app.domain.instruments import TEXT_MAX_LENGTH, InstrumentService
from app.domain.territory_files import LineProblem, decode, delimiter_of, header_key
from app.domain.territory_import import ImportRejected
from app.repositories import Repositories
from app.repositories.status_imports import COLUMNS, BrokenFile, StatusRules
from app.repositories.tables import utc_now

FILE = "status_updates"
REQUIRED = ("goal_id", "status")
MOST_PROBLEMS = 1000  # enough to fix a file by; a file wrong on every line says so in its first lines


@dataclass
class StatusImportReport:
    dry_run: bool
    reported_on: date
    rows_read: int
    status_updates_created: int
    status_updates_unchanged: int


def _header(line: str) -> tuple[list[str], str]:
    """The file's columns as the staging table names them, and its delimiter."""
    delimiter = delimiter_of(line)
    columns = [header_key(name.strip().strip('"')) for name in line.split(delimiter)]
    problems = [
        LineProblem(FILE, 1, f"unknown column {name!r}; known: {', '.join(COLUMNS)}", name)
        for name in columns
        if name not in COLUMNS
    ]
    problems += [
        LineProblem(FILE, 1, f"column {name!r} appears twice", name)
        for name in dict.fromkeys(columns)
        if columns.count(name) > 1
    ]
    problems += [
        LineProblem(FILE, 1, f"the {name} column is missing", name) for name in REQUIRED if name not in columns
    ]
    if problems:
        raise ImportRejected(problems)
    return columns, delimiter


class StatusImportService:
    def __init__(self, repositories: Repositories) -> None:
        self.instruments = InstrumentService(repositories)
        self.imports = repositories.status_imports
        self.audit = repositories.audit

    async def run(
        self,
        principal: Principal,
        instrument_id: uuid.UUID,
        content: bytes,
        *,
        dry_run: bool = False,
        reported_on: date | None = None,
    ) -> StatusImportReport:
        """Each row a new entry on one of the instrument's metas or ações, by those who may
        report on it; a row without `reported_on` reports on `reported_on` (today if unset).
        A row just like an entry already recorded (same goal, day and values) adds nothing."""
        instrument = await self.instruments.writable(principal, instrument_id, policy=STATUS_REPORTS)
        today = utc_now().date()
        day = reported_on or today
        if day > today:
            raise InvalidInput(f"{day} is in the future", code="invalid_date")
        header, _, body = decode(content).rstrip("\n").partition("\n")
        if not header.strip():
            raise ImportRejected([LineProblem(FILE, 1, "the file is empty")])
        columns, delimiter = _header(header)
        labels = {str(code): label for code, label in GOAL_STATUS_LABELS.items()}
        rules = StatusRules(labels, frozenset(MONITORED), TEXT_MAX_LENGTH, today)
        try:
            rows = await self.imports.stage(columns, body.encode(), delimiter, rules)
        except BrokenFile as broken:
            raise ImportRejected([LineProblem(FILE, broken.line, broken.reason)]) from broken
        if problems := await self.imports.problems(instrument.id, rules, MOST_PROBLEMS):
            raise ImportRejected([LineProblem(FILE, p.line, p.reason, p.column) for p in problems])
        if dry_run:
            new = await self.imports.count_new(instrument.id, day)
            return StatusImportReport(True, day, rows, new, rows - new)
        written = await self.imports.write(instrument.id, instrument.uf, principal.user_id, day)
        await self.audit.record(
            "import",
            "status_update",
            {
                "instrument_id": str(instrument.id),
                "reported_on": day.isoformat(),
                "rows_read": rows,
                "status_updates_created": written.created,
                "first_id": written.first_id,
                "last_id": written.last_id,
                "sha256": hashlib.sha256(content).hexdigest(),
            },
            uf=instrument.uf,
        )
        return StatusImportReport(False, day, rows, written.created, rows - written.created)
