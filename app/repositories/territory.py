"""SQL for states, municipalities, health regions and their memberships.

The territory is public reference data (IBGE, DATASUS): reads are not filtered by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.pagination import Page, PageRequest
from app.repositories.errors import flush_unique
from app.repositories.paging import keyset_page
from app.repositories.tables import HealthRegion, Municipality, RegionMembership, State, utc_now


@dataclass(frozen=True)
class MunicipalityFilter:
    uf: str | None = None
    region_code: str | None = None
    search: str | None = None
    max_population: int | None = None


@dataclass(frozen=True)
class MembershipPeriod:
    municipality_code: str
    municipality_name: str
    valid_from: date
    valid_to: date | None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_CURRENT = col(RegionMembership.valid_to).is_(None)


class TerritoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def states(self, page: PageRequest) -> Page[State]:
        return await keyset_page(self.session, sa.select(State), [col(State.code)], page, lambda s: (s.code,))

    async def state(self, uf: str) -> State | None:
        return await self.session.scalar(sa.select(State).where(col(State.uf) == uf))

    async def load_reference(self, states: Iterable[State], municipalities: Iterable[Municipality]) -> int:
        """Insert the official list; rows already present are left as they are. Returns rows added."""
        state_rows = [{"code": s.code, "uf": s.uf, "name": s.name} for s in states]
        await self.session.execute(insert(State).values(state_rows).on_conflict_do_nothing())
        municipality_rows = [
            {"code": m.code, "code6": m.code6, "uf": m.uf, "name": m.name, "search_name": m.search_name}
            for m in municipalities
        ]
        result = await self.session.execute(
            insert(Municipality).on_conflict_do_nothing().returning(col(Municipality.code)), municipality_rows
        )
        return len(result.all())

    async def municipality_count(self) -> int:
        return int(await self.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) or 0)

    async def municipalities(self, where: MunicipalityFilter, page: PageRequest) -> Page[Municipality]:
        statement = sa.select(Municipality)
        if where.uf:
            statement = statement.where(col(Municipality.uf) == where.uf)
        if where.region_code:
            members = sa.select(col(RegionMembership.municipality_code)).where(
                col(RegionMembership.region_code) == where.region_code, _CURRENT
            )
            statement = statement.where(col(Municipality.code).in_(members))
        if where.search:
            statement = statement.where(col(Municipality.search_name).like(_like_pattern(where.search)))
        if where.max_population is not None:
            statement = statement.where(col(Municipality.population) <= where.max_population)
        return await keyset_page(self.session, statement, [col(Municipality.code)], page, lambda m: (m.code,))

    async def municipality(self, code: str) -> Municipality | None:
        column = col(Municipality.code) if len(code) == 7 else col(Municipality.code6)
        return await self.session.scalar(sa.select(Municipality).where(column == code))

    async def municipalities_by_code6(self) -> dict[str, Municipality]:
        rows = await self.session.scalars(sa.select(Municipality))
        return {m.code6: m for m in rows}

    async def set_populations(self, populations: dict[str, int]) -> None:
        if populations:
            rows = [{"code": code, "population": value} for code, value in populations.items()]
            await self.session.execute(sa.update(Municipality), rows)

    async def current_region_of(self, municipality_code: str) -> HealthRegion | None:
        return (await self.current_regions_of([municipality_code])).get(municipality_code)

    async def current_regions_of(self, municipality_codes: Sequence[str]) -> dict[str, HealthRegion]:
        rows = await self.session.execute(
            sa.select(col(RegionMembership.municipality_code), HealthRegion)
            .join(RegionMembership, col(RegionMembership.region_code) == col(HealthRegion.code))
            .where(col(RegionMembership.municipality_code).in_(municipality_codes), _CURRENT)
        )
        return {row[0]: row[1] for row in rows}

    async def regions(self, uf: str | None, page: PageRequest) -> Page[HealthRegion]:
        statement = sa.select(HealthRegion)
        if uf:
            statement = statement.where(col(HealthRegion.uf) == uf)
        return await keyset_page(self.session, statement, [col(HealthRegion.code)], page, lambda r: (r.code,))

    async def region(self, code: str, *, for_update: bool = False) -> HealthRegion | None:
        statement = sa.select(HealthRegion).where(col(HealthRegion.code) == code)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def regions_by_code(self) -> dict[str, HealthRegion]:
        return {r.code: r for r in await self.session.scalars(sa.select(HealthRegion))}

    async def add(self, row: HealthRegion | RegionMembership) -> None:
        self.session.add(row)
        await flush_unique(self.session)

    async def add_all(self, rows: Sequence[HealthRegion | RegionMembership]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def touch(self, region: HealthRegion) -> None:
        region.version += 1
        region.updated_at = utc_now()
        await self.session.flush()

    async def current_members(self, region_code: str) -> Sequence[Municipality]:
        return (await self.current_members_of([region_code])).get(region_code, [])

    async def current_members_of(self, region_codes: Sequence[str]) -> dict[str, list[Municipality]]:
        """Each region's member municipalities today, by code."""
        rows = await self.session.execute(
            sa.select(col(RegionMembership.region_code), Municipality)
            .join(RegionMembership, col(RegionMembership.municipality_code) == col(Municipality.code))
            .where(col(RegionMembership.region_code).in_(region_codes), _CURRENT)
            .order_by(col(Municipality.code))
        )
        members: dict[str, list[Municipality]] = {}
        for region_code, municipality in rows:
            members.setdefault(region_code, []).append(municipality)
        return members

    async def membership_history(self, region_code: str) -> list[MembershipPeriod]:
        return (await self.membership_histories([region_code])).get(region_code, [])

    async def membership_histories(self, region_codes: Sequence[str]) -> dict[str, list[MembershipPeriod]]:
        rows = await self.session.execute(
            sa.select(
                col(RegionMembership.region_code),
                col(RegionMembership.municipality_code),
                col(Municipality.name),
                col(RegionMembership.valid_from),
                col(RegionMembership.valid_to),
            )
            .join(Municipality, col(Municipality.code) == col(RegionMembership.municipality_code))
            .where(col(RegionMembership.region_code).in_(region_codes))
            .order_by(col(RegionMembership.valid_from), col(RegionMembership.municipality_code))
        )
        histories: dict[str, list[MembershipPeriod]] = {}
        for region_code, municipality_code, name, valid_from, valid_to in rows:
            period = MembershipPeriod(municipality_code, name, valid_from, valid_to)
            histories.setdefault(region_code, []).append(period)
        return histories

    async def current_memberships(self, municipality_codes: Iterable[str] | None = None) -> dict[str, RegionMembership]:
        statement = sa.select(RegionMembership).where(_CURRENT).with_for_update()
        if municipality_codes is not None:
            statement = statement.where(col(RegionMembership.municipality_code).in_(list(municipality_codes)))
        return {m.municipality_code: m for m in await self.session.scalars(statement)}

    async def last_membership_ends(self, municipality_codes: Iterable[str]) -> dict[str, date]:
        """When each municipality's most recent closed membership ended."""
        rows = await self.session.execute(
            sa.select(col(RegionMembership.municipality_code), sa.func.max(col(RegionMembership.valid_to)))
            .where(col(RegionMembership.municipality_code).in_(list(municipality_codes)), ~_CURRENT)
            .group_by(col(RegionMembership.municipality_code))
        )
        return {code: ended for code, ended in rows if ended is not None}

    async def end_membership(self, membership: RegionMembership, on: date) -> None:
        """Close a membership on `on`; one that had not begun by then is withdrawn instead."""
        if membership.valid_from >= on:
            await self.session.delete(membership)
        else:
            membership.valid_to = on
        await self.session.flush()

    async def municipalities_with_region(self, uf: str | None) -> list[tuple[Municipality, str | None]]:
        """Every municipality (of a UF) with the code of its health region today."""
        statement = sa.select(Municipality, col(RegionMembership.region_code)).outerjoin(
            RegionMembership, sa.and_(col(RegionMembership.municipality_code) == col(Municipality.code), _CURRENT)
        )
        if uf is not None:
            statement = statement.where(col(Municipality.uf) == uf)
        return [(row[0], row[1]) for row in await self.session.execute(statement.order_by(col(Municipality.code)))]
