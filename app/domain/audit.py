"""Reading the audit trail: admins only; it is never public (product.md §5)."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.core.pagination import Page, PageRequest
from app.core.principal import Principal
from app.core.time import utc_instant
from app.domain.access import require_admin
from app.repositories import Repositories
from app.repositories.tables import AuditEvent


class AuditService:
    def __init__(self, repositories: Repositories) -> None:
        self.audit = repositories.audit

    async def page(
        self,
        principal: Principal,
        page: PageRequest,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        actor: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[AuditEvent]:
        require_admin(principal)
        return await self.audit.page(
            page,
            entity=entity,
            entity_id=entity_id,
            actor_id=actor,
            since=utc_instant(since),
            until=utc_instant(until),
        )
