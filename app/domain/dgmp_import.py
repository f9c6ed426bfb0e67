"""Bringing DGMP's situation extract in: instruments created or brought up to date, all or
nothing, with the raw label kept. Importing the same extract again changes nothing.

DGMP gives statuses without dates: where a status implies a milestone (sent to the council,
approved) whose date is unknown, it is dated by the extract's `reported_on` — "met no later
than this", which may read as late but never as missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.core.errors import Forbidden
from app.core.principal import Principal
from app.core.text import search_key
from app.domain.access import manages_uf, require_territory_manager
from app.domain.dgmp_files import DgmpLine, ParsedDgmp
from app.domain.instrument_rules import period_of
from app.domain.instruments import InstrumentService, refresh_deadline
from app.domain.territory import normalize_uf
from app.domain.territory_files import LineProblem
from app.domain.territory_import import ImportRejected
from app.repositories import Repositories
from app.repositories.tables import Instrument, Municipality, utc_now


@dataclass
class DgmpReport:
    uf: str
    dry_run: bool
    reported_on: date
    lines_read: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[LineProblem] = field(default_factory=list)


class DgmpImportService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.instruments = InstrumentService(repositories)

    async def run(
        self, principal: Principal, uf: str, parsed: ParsedDgmp, *, dry_run: bool, reported_on: date | None
    ) -> DgmpReport:
        require_territory_manager(principal)
        state = normalize_uf(uf)
        assert state is not None
        if not manages_uf(principal, state):
            raise Forbidden(f"{state} is outside your territory")
        day = reported_on or utc_now().date()
        report = DgmpReport(state, dry_run, day, parsed.lines_read, skipped=parsed.skipped)
        problems = list(parsed.errors)
        municipalities = [m for m, _ in await self.repositories.territory.municipalities_with_region(state)]
        resolved: dict[tuple[str, str, int, int | None], tuple[DgmpLine, Municipality]] = {}
        for line in parsed.lines:
            municipality = _match(line, municipalities)
            if municipality is None:
                problems.append(
                    LineProblem(
                        "dgmp", line.line, f"municipality {line.municipality_name!r} is not in {state}'s IBGE list"
                    )
                )
                continue
            key: tuple[str, str, int, int | None] = (municipality.code, line.kind, line.year, line.quadrimester)
            if key in resolved:
                problems.append(
                    LineProblem("dgmp", line.line, f"the same instrument is already on line {resolved[key][0].line}")
                )
                continue
            resolved[key] = (line, municipality)
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.line))

        codes = sorted({m.code for _, m in resolved.values()})
        existing: dict[tuple[str, str, int, int | None], Instrument] = {
            (row.owner_code, row.kind, row.year, row.quadrimester): row
            for row in await self.repositories.instruments.of_entes("municipality", codes)
        }
        for wanted, (line, municipality) in resolved.items():
            row = existing.get(wanted)
            if row is not None and (row.status, row.dgmp_label) == (line.status, line.label):
                report.unchanged += 1
                continue
            if row is None:
                report.created += 1
            else:
                report.updated += 1
            if not dry_run:
                await self._apply(row, line, municipality, day, principal)
        return report

    async def _apply(
        self, row: Instrument | None, line: DgmpLine, municipality: Municipality, day: date, principal: Principal
    ) -> None:
        records = self.repositories.instruments
        if row is None:
            period = period_of(line.kind, line.year, line.quadrimester)
            row = Instrument(
                kind=line.kind,
                owner_type="municipality",
                owner_code=municipality.code,
                uf=municipality.uf,
                municipality_code=municipality.code,
                year=period.year,
                quadrimester=period.quadrimester,
                end_year=period.end_year or period.year,
                status="nao_iniciado",
                created_by=principal.user_id,
            )
            refresh_deadline(row, await self.instruments.calendar_of("municipality", municipality.code))
            await records.add(row)
        row.dgmp_label = line.label
        if row.status != line.status:
            await self.instruments.record_status(
                row, line.status, day, f"Situação no DGMP: {line.label}", principal.user_id
            )
        else:
            await records.save(row)


def _match(line: DgmpLine, municipalities: list[Municipality]) -> Municipality | None:
    """By IBGE code (6 or 7 digits) when the extract has one, else by name within the UF."""
    if line.municipality_code is not None:
        code = line.municipality_code
        return next((m for m in municipalities if m.code == code or m.code6 == code), None)
    wanted = search_key(line.municipality_name)
    return next((m for m in municipalities if m.search_name == wanted), None)
