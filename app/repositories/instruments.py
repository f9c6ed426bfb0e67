from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.pagination import CursorValue, Page, PageRequest
from app.core.principal import Principal
from app.repositories.audit import assign_identities
from app.repositories.errors import flush_unique
from app.repositories.paging import keyset_page, keyset_pages
from app.repositories.scoping import InstrumentScope, visible_instruments
from app.repositories.tables import (
    Deliberation,
    EnteCalendar,
    Hearing,
    Instrument,
    InstrumentEvent,
    MonitoringRound,
    RegionMembership,
    utc_now,
)


@dataclass(frozen=True)
class InstrumentFilter:
    kind: str | None = None
    owner_type: str | None = None
    owner_code: str | None = None
    uf: str | None = None
    region_code: str | None = None
    municipality_code: str | None = None
    year: int | None = None
    status: str | None = None
    situation: str | None = None
    as_of: date | None = None


def situation_of(due: Any, reached_on: Any, as_of: Any) -> ColumnElement[str]:
    """SQL for app.domain.instrument_rules.situation() over a row's deadline and milestone (a
    test checks the two agree): a milestone reached after `as_of` had not been reached yet, the
    deadline day itself is on time, and with no deadline nothing is late."""
    reached = sa.and_(reached_on.is_not(None), reached_on <= as_of)
    return sa.case(
        (
            reached,
            sa.case((sa.or_(due.is_(None), reached_on <= due), "cumprido_no_prazo"), else_="cumprido_com_atraso"),
        ),
        (sa.or_(due.is_(None), as_of <= due), "pendente"),
        else_="atrasado",
    )


def days_late_of(due: Any, reached_on: Any, as_of: Any) -> ColumnElement[int]:
    """app.domain.instrument_rules.days_late in SQL."""
    end = sa.case((sa.and_(reached_on.is_not(None), reached_on <= as_of), reached_on), else_=as_of)
    return sa.case((due.is_(None), 0), else_=sa.func.greatest(0, end - due))


Record = TypeVar("Record", InstrumentEvent, Deliberation, Hearing, MonitoringRound)
_RECORD_ORDER: dict[type[Any], tuple[Any, ...]] = {
    InstrumentEvent: (col(InstrumentEvent.id),),
    Deliberation: (col(Deliberation.resolution_date), col(Deliberation.recorded_at)),
    Hearing: (col(Hearing.held_on),),
    MonitoringRound: (col(MonitoringRound.held_on), col(MonitoringRound.created_at)),
}
_ORDER = [col(Instrument.id)]


def _key(instrument: Instrument) -> tuple[CursorValue, ...]:
    return (str(instrument.id),)


def filtered(viewer: Principal | InstrumentScope, where: InstrumentFilter) -> sa.Select[Any]:
    statement = sa.select(Instrument).where(visible_instruments(viewer))
    for column, value in (
        (Instrument.kind, where.kind),
        (Instrument.owner_type, where.owner_type),
        (Instrument.owner_code, where.owner_code),
        (Instrument.uf, where.uf),
        (Instrument.municipality_code, where.municipality_code),
        (Instrument.status, where.status),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    if where.year is not None:  # the instruments covering that year (a plan covers four)
        statement = statement.where(col(Instrument.year) <= where.year, col(Instrument.end_year) >= where.year)
    if where.situation is not None:
        day = where.as_of or utc_now().date()
        statement = statement.where(
            situation_of(col(Instrument.deadline), col(Instrument.milestone_on), day) == where.situation
        )
    if where.region_code is not None:  # the region's own instruments and its municipalities'
        members = sa.select(col(RegionMembership.municipality_code)).where(
            col(RegionMembership.region_code) == where.region_code, col(RegionMembership.valid_to).is_(None)
        )
        statement = statement.where(
            sa.or_(col(Instrument.region_code) == where.region_code, col(Instrument.municipality_code).in_(members))
        )
    return statement


class InstrumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(self, principal: Principal, where: InstrumentFilter, page: PageRequest) -> Page[Instrument]:
        return await keyset_page(self.session, filtered(principal, where), _ORDER, page, _key)

    async def pages_by_municipality(
        self, principal: Principal, where: InstrumentFilter, codes: Sequence[str], page: PageRequest
    ) -> dict[str, Page[Instrument]]:
        """The same page of each municipality's instruments, in one statement."""
        statement, by_code = filtered(principal, where), col(Instrument.municipality_code)
        return await keyset_pages(self.session, statement, Instrument, by_code, codes, _ORDER, page, _key)

    async def get_many(self, principal: Principal, instrument_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Instrument]:
        rows = await self.session.scalars(
            sa.select(Instrument).where(col(Instrument.id).in_(instrument_ids), visible_instruments(principal))
        )
        return {row.id: row for row in rows}

    async def records(
        self, principal: Principal, model: type[Record], instrument_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Record]]:
        """History entries, deliberations, hearings or monitoring rounds of the instruments the
        caller sees, each instrument's in their order."""
        owner = col(model.instrument_id)
        rows = await self.session.scalars(
            sa.select(model)
            .join(Instrument, col(Instrument.id) == owner)
            .where(owner.in_(instrument_ids), visible_instruments(principal))
            .order_by(*_RECORD_ORDER[model])
        )
        found: dict[uuid.UUID, list[Record]] = {}
        for row in rows:
            found.setdefault(row.instrument_id, []).append(row)
        return found

    async def get(
        self, principal: Principal, instrument_id: uuid.UUID, *, for_update: bool = False
    ) -> Instrument | None:
        statement = sa.select(Instrument).where(col(Instrument.id) == instrument_id, visible_instruments(principal))
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def same_period(self, instrument: Instrument) -> Instrument | None:
        """The instrument of the same ente, kind and period, whoever may see it."""
        return await self.session.scalar(
            sa.select(Instrument).where(
                col(Instrument.owner_type) == instrument.owner_type,
                col(Instrument.owner_code) == instrument.owner_code,
                col(Instrument.kind) == instrument.kind,
                col(Instrument.year) == instrument.year,
                sa.func.coalesce(col(Instrument.quadrimester), 0) == (instrument.quadrimester or 0),
            )
        )

    async def add(self, instrument: Instrument) -> None:
        self.session.add(instrument)
        await flush_unique(self.session)

    async def save(self, instrument: Instrument) -> None:
        instrument.version += 1
        instrument.updated_at = utc_now()
        await self.session.flush()

    async def of_ente_in_year(self, owner_type: str, owner_code: str, year: int) -> list[Instrument]:
        """The ente's instruments covering `year` (for gating: its plan, PAS and RDQAs)."""
        rows = await self.session.scalars(
            sa.select(Instrument).where(
                col(Instrument.owner_type) == owner_type,
                col(Instrument.owner_code) == owner_code,
                col(Instrument.year) <= year,
                col(Instrument.end_year) >= year,
            )
        )
        return list(rows)

    async def add_record(self, row: InstrumentEvent | Deliberation | Hearing) -> None:
        """History entries, deliberations and hearings are written once and never changed."""
        if isinstance(row, InstrumentEvent):
            await assign_identities(self.session, [row])
        self.session.add(row)
        await self.session.flush()

    async def of_ente(self, owner_type: str, owner_code: str, kinds: tuple[str, ...]) -> list[Instrument]:
        rows = await self.session.scalars(
            sa.select(Instrument)
            .where(
                col(Instrument.owner_type) == owner_type,
                col(Instrument.owner_code) == owner_code,
                col(Instrument.kind).in_(kinds),
            )
            .with_for_update()
        )
        return list(rows)

    async def calendar(self, owner_type: str, owner_code: str, *, for_update: bool = False) -> EnteCalendar | None:
        statement = sa.select(EnteCalendar).where(
            col(EnteCalendar.owner_type) == owner_type, col(EnteCalendar.owner_code) == owner_code
        )
        return await self.session.scalar(statement.with_for_update() if for_update else statement)

    async def save_calendar(self, calendar: EnteCalendar, *, new: bool) -> None:
        if new:
            self.session.add(calendar)
        else:
            calendar.version += 1
            calendar.updated_at = utc_now()
        await self.session.flush()

    async def for_entes(self, owner_type: str, owner_codes: list[str], year: int) -> list[Instrument]:
        """The instruments of these entes covering `year` (compliance reads them whatever the caller)."""
        if not owner_codes:
            return []
        rows = await self.session.scalars(
            sa.select(Instrument).where(
                col(Instrument.owner_type) == owner_type,
                col(Instrument.owner_code).in_(owner_codes),
                col(Instrument.year) <= year,
                col(Instrument.end_year) >= year,
            )
        )
        return list(rows)

    async def calendars(self, owner_type: str, owner_codes: list[str]) -> dict[str, EnteCalendar]:
        if not owner_codes:
            return {}
        rows = await self.session.scalars(
            sa.select(EnteCalendar).where(
                col(EnteCalendar.owner_type) == owner_type, col(EnteCalendar.owner_code).in_(owner_codes)
            )
        )
        return {row.owner_code: row for row in rows}

    async def of_entes(self, owner_type: str, owner_codes: list[str]) -> list[Instrument]:
        if not owner_codes:
            return []
        rows = await self.session.scalars(
            sa.select(Instrument)
            .where(col(Instrument.owner_type) == owner_type, col(Instrument.owner_code).in_(owner_codes))
            .with_for_update()
        )
        return list(rows)
