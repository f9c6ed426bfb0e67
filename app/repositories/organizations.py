from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.pagination import Page, PageRequest
from app.repositories.errors import flush_unique
from app.repositories.paging import keyset_page
from app.repositories.tables import Organization


class OrganizationRepository:
    """Organizations are public: COSEMS, CONASEMS and SES departments publish who they are."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(self, uf: str | None, page: PageRequest) -> Page[Organization]:
        statement = sa.select(Organization)
        if uf:
            statement = statement.where(col(Organization.uf) == uf)
        order = [col(Organization.acronym), col(Organization.id)]
        return await keyset_page(self.session, statement, order, page, lambda o: (o.acronym, str(o.id)))

    async def get(self, organization_id: uuid.UUID) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def add(self, organization: Organization) -> None:
        self.session.add(organization)
        await flush_unique(self.session)
