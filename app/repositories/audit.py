"""The audit trail, written at the persistence boundary so that no write escapes it: before
each flush, every new, changed or deleted row of an audited table becomes an audit event in
the same transaction (so it commits, or rolls back, with the write)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import REGCLASS
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from app.core.pagination import Page, PageRequest
from app.repositories.paging import keyset_page
from app.repositories.tables import (
    AuditEvent,
    Deliberation,
    EnteCalendar,
    Goal,
    HealthRegion,
    Hearing,
    Instrument,
    InstrumentEvent,
    MonitoringRound,
    Organization,
    RegionMembership,
    StatusUpdate,
    User,
    UserRegion,
)

AUDITED: dict[type[SQLModel], str] = {
    Instrument: "instrument",
    InstrumentEvent: "instrument_event",
    Deliberation: "deliberation",
    Hearing: "hearing",
    Goal: "goal",
    StatusUpdate: "status_update",
    MonitoringRound: "monitoring_round",
    EnteCalendar: "ente_calendar",
    HealthRegion: "region",
    RegionMembership: "region_membership",
    Organization: "organization",
    User: "user",
    UserRegion: "user_region",
}
# Never copied into the trail: secrets, and the login throttle's bookkeeping.
UNAUDITED_FIELDS = frozenset({"secret_hash", "failed_logins", "failed_login_window_start", "updated_at", "version"})
ACTOR_KEY = "audit_actor_id"


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _snapshot(row: SQLModel, *, before: bool) -> dict[str, Any]:
    """The row's audited columns, as they were before this flush or as they will be after it."""
    state = inspect(row)
    values = {}
    for attribute in state.mapper.column_attrs:
        if attribute.key in UNAUDITED_FIELDS:
            continue
        current = state.attrs[attribute.key]
        replaced = current.history.deleted
        values[attribute.key] = _plain(replaced[0] if before and replaced else current.value)
    return values


def _identity(row: SQLModel) -> str | None:
    keys = inspect(row).mapper.primary_key
    values = [getattr(row, key.key) for key in keys]
    return "/".join(str(v) for v in values) if all(v is not None for v in values) else None


@event.listens_for(Session, "before_flush")
def _record(session: Session, _context: object, _instances: object) -> None:
    actor = session.info.get(ACTOR_KEY)
    changes: list[tuple[str, SQLModel]] = [("create", row) for row in session.new]
    changes += [("update", row) for row in session.dirty if session.is_modified(row, include_collections=False)]
    changes += [("delete", row) for row in session.deleted]
    for action, row in changes:
        entity = AUDITED.get(type(row))
        if entity is None:
            continue
        before = None if action == "create" else _snapshot(row, before=True)
        after = None if action == "delete" else _snapshot(row, before=False)
        if action == "update" and before == after:
            continue  # only unaudited fields changed (e.g. the login throttle)
        session.add(
            AuditEvent(
                actor_id=actor,
                action=action,
                entity=entity,
                entity_id=_identity(row),
                uf=getattr(row, "uf", None),
                before=before,
                after=after,
            )
        )


async def assign_identities(session: AsyncSession, rows: Sequence[InstrumentEvent | StatusUpdate]) -> None:
    """Draw database-numbered ids before the insert, so the audit event of each new row can
    name it (the flush listener runs before the database would number them)."""
    pending = [row for row in rows if row.id is None]
    if not pending:
        return
    for row, drawn in zip(pending, await draw_identities(session, type(pending[0]), len(pending)), strict=True):
        row.id = drawn


async def draw_identities(session: AsyncSession, model: type[SQLModel], count: int) -> list[int]:
    """`count` ids from the sequence that numbers `model`'s table, in order. The sequence is
    found once, in a subquery: called in each row, the catalog lookup cost more than nextval."""
    sequence = sa.select(sa.cast(sa.func.pg_get_serial_sequence(model.__tablename__, "id"), REGCLASS)).scalar_subquery()
    ids = await session.scalars(sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count)))
    return list(ids)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def act_as(self, actor_id: uuid.UUID | None) -> None:
        """Name the account behind this unit of work's writes."""
        self.session.info[ACTOR_KEY] = actor_id

    async def record(self, action: str, entity: str, after: dict[str, Any], *, uf: str | None = None) -> None:
        """An event for a write made in bulk, which the flush listener does not see."""
        self.session.add(
            AuditEvent(actor_id=self.session.info.get(ACTOR_KEY), action=action, entity=entity, uf=uf, after=after)
        )
        await self.session.flush()

    async def page(
        self,
        page: PageRequest,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        actor_id: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[AuditEvent]:
        statement = sa.select(AuditEvent)
        if entity is not None:
            statement = statement.where(col(AuditEvent.entity) == entity)
        if entity_id is not None:
            statement = statement.where(col(AuditEvent.entity_id) == entity_id)
        if actor_id is not None:
            statement = statement.where(col(AuditEvent.actor_id) == actor_id)
        if since is not None:
            statement = statement.where(col(AuditEvent.occurred_at) >= since)
        if until is not None:
            statement = statement.where(col(AuditEvent.occurred_at) < until)
        return await keyset_page(self.session, statement, [col(AuditEvent.id)], page, lambda e: (e.id,))
