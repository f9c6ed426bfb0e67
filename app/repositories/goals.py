"""Goal trees, their status updates and monitoring rounds. A goal or round is visible exactly
when its instrument is (scoping.visible_instruments)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.pagination import CursorValue, Page, PageRequest
from app.core.principal import Principal
from app.repositories.audit import assign_identities
from app.repositories.errors import flush_unique
from app.repositories.paging import keyset_page, keyset_pages
from app.repositories.scoping import visible_instruments
from app.repositories.tables import Goal, Instrument, MonitoringRound, StatusUpdate, utc_now

SORT_KEY_DIGITS = 5  # sibling positions 00001…99999, so text order is tree order


@dataclass(frozen=True)
class Overdue:
    """The domain's overdue rule as SQL: a node of one of `levels` whose deadline is before the
    day and whose current status is none of `closed` (app.domain.goal_rules)."""

    wanted: bool
    levels: frozenset[str]
    closed: frozenset[str]


@dataclass(frozen=True)
class GoalFilter:
    level: str | None = None
    status: str | None = None
    overdue: Overdue | None = None
    responsible_key: str | None = None


def _superseded() -> ColumnElement[bool]:
    correction = aliased(StatusUpdate)
    return sa.exists().where(col(correction.supersedes_id) == col(StatusUpdate.id))


def _effective(as_of: date) -> list[ColumnElement[bool]]:
    """Entries reported by `as_of` that no correction has replaced."""
    return [col(StatusUpdate.reported_on) <= as_of, sa.not_(_superseded())]


def _current_status_of_goal(as_of: date) -> sa.ScalarSelect[Any]:
    return (
        sa.select(col(StatusUpdate.status))
        .where(col(StatusUpdate.goal_id) == col(Goal.id), *_effective(as_of))
        .order_by(col(StatusUpdate.reported_on).desc(), col(StatusUpdate.id).desc())
        .limit(1)
        .correlate(Goal)
        .scalar_subquery()
    )


def sibling_key(parent_key: str | None, position: int) -> str:
    segment = f"{position:0{SORT_KEY_DIGITS}d}"
    return f"{parent_key}.{segment}" if parent_key else segment


_ORDER = [col(Goal.sort_key)]


def _key(goal: Goal) -> tuple[CursorValue, ...]:
    return (goal.sort_key,)


def _visible(statement: sa.Select[Any], principal: Principal) -> sa.Select[Any]:
    """Goals (or their entries) of the instruments the caller may see."""
    return statement.join(Instrument, col(Instrument.id) == col(Goal.instrument_id)).where(
        visible_instruments(principal)
    )


def _grouped(goals: Iterable[Goal], by: str) -> dict[uuid.UUID, list[Goal]]:
    found: dict[uuid.UUID, list[Goal]] = {}
    for goal in goals:
        found.setdefault(getattr(goal, by), []).append(goal)
    return found


def _filtered(where: GoalFilter, as_of: date) -> sa.Select[Any]:
    statement = sa.select(Goal)
    if where.level is not None:
        statement = statement.where(col(Goal.level) == where.level)
    if where.responsible_key is not None:
        statement = statement.where(col(Goal.responsible_key).contains(where.responsible_key, autoescape=True))
    if where.status is not None:
        statement = statement.where(_current_status_of_goal(as_of) == where.status)
    if (rule := where.overdue) is not None:
        overdue = sa.and_(
            col(Goal.level).in_(sorted(rule.levels)),
            col(Goal.deadline) < as_of,
            sa.func.coalesce(_current_status_of_goal(as_of), "").not_in(sorted(rule.closed)),
        )
        statement = statement.where(overdue if rule.wanted else sa.not_(overdue))
    return statement


class GoalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, principal: Principal, goal_id: uuid.UUID, *, fresh: bool = False
    ) -> tuple[Goal, Instrument] | None:
        """`fresh` reads the row again even if this unit of work has it (after taking a lock)."""
        statement = (
            sa.select(Goal, Instrument)
            .join(Instrument, col(Instrument.id) == col(Goal.instrument_id))
            .where(col(Goal.id) == goal_id, visible_instruments(principal))
        )
        if fresh:
            statement = statement.execution_options(populate_existing=True)
        row = (await self.session.execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def tree(self, instrument_id: uuid.UUID) -> list[Goal]:
        """Every node of the instrument's tree, parents before children, siblings in order."""
        rows = await self.session.scalars(
            sa.select(Goal).where(col(Goal.instrument_id) == instrument_id).order_by(col(Goal.sort_key))
        )
        return list(rows)

    async def subtree(self, goal: Goal) -> list[Goal]:
        rows = await self.session.scalars(
            sa.select(Goal)
            .where(
                col(Goal.instrument_id) == goal.instrument_id,
                sa.or_(col(Goal.id) == goal.id, col(Goal.sort_key).startswith(goal.sort_key + ".")),
            )
            .order_by(col(Goal.sort_key))
        )
        return list(rows)

    async def pages(
        self,
        principal: Principal,
        instrument_ids: Sequence[uuid.UUID],
        where: GoalFilter,
        as_of: date,
        page: PageRequest,
    ) -> dict[uuid.UUID, Page[Goal]]:
        """The same page of each visible instrument's goals, in one statement."""
        statement = _visible(_filtered(where, as_of), principal).where(col(Goal.instrument_id).in_(instrument_ids))
        return await keyset_pages(self.session, statement, Goal, col(Goal.instrument_id), _ORDER, page, _key)

    async def trees(self, principal: Principal, instrument_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Goal]]:
        """Every node of each visible instrument's tree, parents before children."""
        statement = _visible(sa.select(Goal), principal).where(col(Goal.instrument_id).in_(instrument_ids))
        return _grouped(await self.session.scalars(statement.order_by(col(Goal.sort_key))), "instrument_id")

    async def children(self, principal: Principal, parent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Goal]]:
        """Each visible goal's children, in order."""
        statement = _visible(sa.select(Goal), principal).where(col(Goal.parent_id).in_(parent_ids))
        return _grouped(await self.session.scalars(statement.order_by(col(Goal.sort_key))), "parent_id")

    async def last_child_key(self, instrument_id: uuid.UUID, parent_id: uuid.UUID | None) -> str | None:
        parent = col(Goal.parent_id) == parent_id if parent_id is not None else col(Goal.parent_id).is_(None)
        return await self.session.scalar(
            sa.select(sa.func.max(col(Goal.sort_key))).where(col(Goal.instrument_id) == instrument_id, parent)
        )

    async def add_all(self, goals: Sequence[Goal]) -> None:
        self.session.add_all(goals)
        await flush_unique(self.session)

    async def save(self, goal: Goal) -> None:
        goal.version += 1
        goal.updated_at = utc_now()
        await self.session.flush()

    async def delete(self, goals: Sequence[Goal]) -> None:
        """Deepest first, one by one, so each deletion is audited and none finds its row gone."""
        for goal in sorted(goals, key=lambda g: g.sort_key, reverse=True):
            await self.session.delete(goal)
            await self.session.flush()

    async def any_reported(self, goal_ids: Sequence[uuid.UUID]) -> bool:
        return bool(await self.session.scalar(sa.select(sa.exists().where(col(StatusUpdate.goal_id).in_(goal_ids)))))

    async def count(self, instrument_id: uuid.UUID) -> int:
        found = await self.session.scalar(
            sa.select(sa.func.count()).select_from(Goal).where(col(Goal.instrument_id) == instrument_id)
        )
        return found or 0

    # Status updates

    async def current_updates(
        self,
        instrument_id: uuid.UUID,
        as_of: date,
        goal_ids: Sequence[uuid.UUID] | None = None,
        *,
        with_value: bool = False,
    ) -> dict[uuid.UUID, StatusUpdate]:
        """Each goal's latest effective entry as of `as_of`: its current status then. With
        `with_value`, the latest one that reports the indicator's achieved value."""
        return await self.current_updates_in([instrument_id], as_of, goal_ids, with_value=with_value)

    async def current_updates_in(
        self,
        instrument_ids: Sequence[uuid.UUID],
        as_of: date,
        goal_ids: Sequence[uuid.UUID] | None = None,
        *,
        with_value: bool = False,
    ) -> dict[uuid.UUID, StatusUpdate]:
        """The same over the goals of several instruments."""
        statement = (
            sa.select(StatusUpdate)
            .ext(distinct_on(col(StatusUpdate.goal_id)))
            .where(col(StatusUpdate.instrument_id).in_(instrument_ids), *_effective(as_of))
            .order_by(col(StatusUpdate.goal_id), col(StatusUpdate.reported_on).desc(), col(StatusUpdate.id).desc())
        )
        if goal_ids is not None:  # one array parameter, however many goals a nested read lists
            listed = sa.bindparam("goal_ids", list(goal_ids), type_=ARRAY(sa.Uuid))
            statement = statement.where(col(StatusUpdate.goal_id) == sa.any_(listed))
        if with_value:
            statement = statement.where(col(StatusUpdate.achieved_value).is_not(None))
        return {row.goal_id: row for row in await self.session.scalars(statement)}

    async def add_updates(self, updates: Sequence[StatusUpdate]) -> None:
        """Entries are written once and never changed."""
        await assign_identities(self.session, updates)
        self.session.add_all(updates)
        await flush_unique(self.session)

    async def entry(self, goal_id: uuid.UUID, update_id: int) -> StatusUpdate | None:
        return await self.session.scalar(
            sa.select(StatusUpdate).where(col(StatusUpdate.id) == update_id, col(StatusUpdate.goal_id) == goal_id)
        )

    async def correction_of(self, update_id: int) -> StatusUpdate | None:
        return await self.session.scalar(sa.select(StatusUpdate).where(col(StatusUpdate.supersedes_id) == update_id))

    async def updates_of_goals(
        self, principal: Principal, goal_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[StatusUpdate, int | None]]]:
        """Every entry of each visible goal, oldest first, with the correction that superseded
        it (if any)."""
        correction = aliased(StatusUpdate)
        rows = await self.session.execute(
            sa.select(StatusUpdate, col(correction.id))
            .outerjoin(correction, col(correction.supersedes_id) == col(StatusUpdate.id))
            .join(Instrument, col(Instrument.id) == col(StatusUpdate.instrument_id))
            .where(col(StatusUpdate.goal_id).in_(goal_ids), visible_instruments(principal))
            .order_by(col(StatusUpdate.reported_on), col(StatusUpdate.id))
        )
        found: dict[uuid.UUID, list[tuple[StatusUpdate, int | None]]] = {}
        for update, corrected_by in rows:
            found.setdefault(update.goal_id, []).append((update, corrected_by))
        return found

    async def updates_page(
        self, instrument_id: uuid.UUID, since: datetime | None, page: PageRequest
    ) -> Page[StatusUpdate]:
        statement = sa.select(StatusUpdate).where(col(StatusUpdate.instrument_id) == instrument_id)
        if since is not None:
            statement = statement.where(col(StatusUpdate.recorded_at) >= since)
        return await keyset_page(self.session, statement, [col(StatusUpdate.id)], page, lambda u: (u.id,))

    async def corrections(self, update_ids: Sequence[int]) -> dict[int, int]:
        """The correction superseding each of these entries, where one does."""
        if not update_ids:
            return {}
        rows = await self.session.execute(
            sa.select(col(StatusUpdate.supersedes_id), col(StatusUpdate.id)).where(
                col(StatusUpdate.supersedes_id).in_(update_ids)
            )
        )
        return {superseded: correction for superseded, correction in rows if superseded and correction}

    # Monitoring rounds

    async def add_round(self, round_: MonitoringRound) -> None:
        self.session.add(round_)
        await self.session.flush()

    async def round(self, principal: Principal, round_id: uuid.UUID) -> tuple[MonitoringRound, Instrument] | None:
        row = (
            await self.session.execute(
                sa.select(MonitoringRound, Instrument)
                .join(Instrument, col(Instrument.id) == col(MonitoringRound.instrument_id))
                .where(col(MonitoringRound.id) == round_id, visible_instruments(principal))
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def round_of(self, instrument_id: uuid.UUID, round_id: uuid.UUID) -> MonitoringRound | None:
        return await self.session.scalar(
            sa.select(MonitoringRound).where(
                col(MonitoringRound.id) == round_id, col(MonitoringRound.instrument_id) == instrument_id
            )
        )
