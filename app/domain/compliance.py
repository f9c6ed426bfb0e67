"""Who is late with what: for every ente in scope, the instruments the law expects for a year
(the plan covering it, its PAS, three RDQAs and its RAG), created or not (product.md §2).

Compliance is public, as DGMP's own transparency export is: it names entes and statuses, not
the instruments' contents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.core.errors import InvalidInput
from app.core.pagination import CursorValue, Page, PageRequest
from app.domain.codes import parse_municipality_code, parse_region_code
from app.domain.instrument_rules import (
    DEFAULT_CALENDAR,
    Calendar,
    Kind,
    Period,
    Situation,
    Status,
    days_late,
    deadline,
    period_of,
    plan_start_covering,
    situation,
)
from app.domain.instruments import calendar_from
from app.domain.territory import normalize_uf
from app.repositories import Repositories
from app.repositories.tables import Instrument, Municipality, utc_now
from app.repositories.territory import MunicipalityFilter

EnteType = Literal["municipality", "state"]
# What the law expects of every ente each year: (a municipality's kind, a state's, quadrimester).
ExpectedSlot = tuple[Kind, Kind, int | None]
EXPECTED_SLOTS: tuple[ExpectedSlot, ...] = (
    (Kind.PMS, Kind.PES, None),  # the plan covering the year
    (Kind.PAS, Kind.PAS, None),
    (Kind.RDQA, Kind.RDQA, 1),
    (Kind.RDQA, Kind.RDQA, 2),
    (Kind.RDQA, Kind.RDQA, 3),
    (Kind.RAG, Kind.RAG, None),
)


@dataclass(frozen=True)
class Expected:
    """One expected instrument: the row when it exists, else what the law expects of it."""

    kind: Kind
    year: int
    end_year: int
    quadrimester: int | None
    instrument_id: uuid.UUID | None
    status: Status
    deadline: date | None
    milestone_on: date | None
    situation: Situation
    days_late: int


@dataclass(frozen=True)
class EnteCompliance:
    owner_type: str
    owner: str
    name: str
    uf: str
    instruments: list[Expected]


def expected_period(kind: Kind, year: int, quadrimester: int | None) -> Period:
    """The period of the instrument of `kind` expected for `year`: the plan covering it, or the year."""
    start = plan_start_covering(year) if kind in (Kind.PMS, Kind.PES) else year
    return period_of(kind, start, quadrimester)


def expected_instruments(
    owner_type: str, year: int, existing: list[Instrument], calendar: Calendar, as_of: date
) -> list[Expected]:
    """The expected set for one ente and year, matched against what it has."""
    plan_kind = Kind.PMS if owner_type == "municipality" else Kind.PES
    wanted = [(state if owner_type == "state" else municipal, q) for municipal, state, q in EXPECTED_SLOTS]
    found = {(row.kind, row.quadrimester): row for row in existing if row.kind != plan_kind}
    plan = next((row for row in existing if row.kind == plan_kind), None)
    result = []
    for kind, quadrimester in wanted:
        row = plan if kind is plan_kind else found.get((kind, quadrimester))
        if row is not None:
            result.append(
                Expected(
                    kind,
                    row.year,
                    row.end_year,
                    row.quadrimester,
                    row.id,
                    Status(row.status),
                    row.deadline,
                    row.milestone_on,
                    situation(row.deadline, row.milestone_on, as_of),
                    days_late(row.deadline, row.milestone_on, as_of),
                )
            )
            continue
        period = expected_period(kind, year, quadrimester)
        due = deadline(kind, period, calendar)
        result.append(
            Expected(
                kind,
                period.year,
                period.end_year or period.year,
                quadrimester,
                None,
                Status.NAO_INICIADO,
                due,
                None,
                situation(due, None, as_of),
                days_late(due, None, as_of),
            )
        )
    return result


class ComplianceService:
    def __init__(self, repositories: Repositories) -> None:
        self.territory = repositories.territory
        self.instruments = repositories.instruments

    async def report(
        self,
        page: PageRequest,
        *,
        year: int,
        uf: str | None = None,
        region: str | None = None,
        municipality: str | None = None,
        owner_type: EnteType | None = None,
        as_of: date | None = None,
    ) -> Page[EnteCompliance]:
        """Entes in scope, a page at a time (the state, when in scope, leads the first page)."""
        if sum(x is not None for x in (uf, region, municipality)) != 1:
            raise InvalidInput("give exactly one of uf, region or municipality", code="invalid_scope")
        if not 1988 <= year <= 2100:
            raise InvalidInput(f"year {year} is outside 1988–2100", code="invalid_period")
        day = as_of or utc_now().date()
        entes: list[tuple[str, str, str, str]] = []  # (owner_type, code, name, uf)
        next_cursor: str | None = None
        keys: list[tuple[CursorValue, ...] | None] = []
        state_uf = normalize_uf(uf)
        if state_uf is not None and owner_type in (None, "state") and page.after is None:
            state = await self.territory.state(state_uf)
            assert state is not None
            entes.append(("state", state.uf, state.name, state.uf))
            keys.append(None)
        if owner_type in (None, "municipality"):
            municipalities = await self._municipalities(page, state_uf, region, municipality)
            entes += [("municipality", m.code, m.name, m.uf) for m in municipalities.items]
            next_cursor = municipalities.next_cursor
            keys += municipalities.keys
        return Page(await self.compliance_of(entes, year, day), next_cursor, keys)

    async def _municipalities(
        self, page: PageRequest, uf: str | None, region: str | None, municipality: str | None
    ) -> Page[Municipality]:
        if municipality is not None:
            found = await self.territory.municipality(parse_municipality_code(municipality))
            if found is None:
                raise InvalidInput(f"no municipality {municipality}", code="unknown_municipality")
            return Page([found], None, [(found.code,)])
        where = MunicipalityFilter(uf=uf, region_code=parse_region_code(region) if region is not None else None)
        return await self.territory.municipalities(where, page)

    async def compliance_of(
        self, entes: list[tuple[str, str, str, str]], year: int, as_of: date
    ) -> list[EnteCompliance]:
        """The expected instruments of these entes (owner_type, code, name, uf) for `year`."""
        by_type: dict[str, list[str]] = {}
        for owner_type, code, _, _ in entes:
            by_type.setdefault(owner_type, []).append(code)
        rows: dict[tuple[str, str], list[Instrument]] = {}
        calendars: dict[tuple[str, str], Calendar] = {}
        for owner_type, codes in by_type.items():
            for row in await self.instruments.for_entes(owner_type, codes, year):
                rows.setdefault((owner_type, row.owner_code), []).append(row)
            for code, calendar in (await self.instruments.calendars(owner_type, codes)).items():
                calendars[(owner_type, code)] = calendar_from(calendar.ldo_bill_due, calendar.plan_due)
        return [
            EnteCompliance(
                owner_type,
                code,
                name,
                uf,
                expected_instruments(
                    owner_type,
                    year,
                    rows.get((owner_type, code), []),
                    calendars.get((owner_type, code), DEFAULT_CALENDAR),
                    as_of,
                ),
            )
            for owner_type, code, name, uf in entes
        ]
