from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import CurrentPrincipal, Paging, UnitOfWork
from app.api.problems import problem_responses
from app.api.schemas import Out, PageOut
from app.domain.audit import AuditService

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])


class AuditEventOut(Out):
    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: str | None
    uf: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("", responses=problem_responses(401, 403, 422))
async def list_audit_events(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    page: Paging,
    entity: Annotated[str | None, Query(max_length=40, description="e.g. instrument, region, user")] = None,
    entity_id: Annotated[str | None, Query(max_length=80)] = None,
    actor: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> PageOut[AuditEventOut]:
    """Every write: who (an account id), when, what, before and after. Admins only; oldest first."""
    events = await AuditService(repositories).page(
        principal, page, entity=entity, entity_id=entity_id, actor=actor, since=since, until=until
    )
    return PageOut[AuditEventOut].of(events.map(AuditEventOut.model_validate))
