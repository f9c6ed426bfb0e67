from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.core.errors import Conflict, NotFound
from app.core.pagination import Page, PageRequest
from app.core.principal import Principal
from app.domain.access import require_organization_creator
from app.domain.territory import normalize_uf
from app.repositories import Repositories
from app.repositories.errors import DuplicateKey
from app.repositories.tables import Organization


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acronym: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    uf: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class OrganizationService:
    def __init__(self, repositories: Repositories) -> None:
        self.organizations = repositories.organizations

    async def page(self, page: PageRequest, *, uf: str | None = None) -> Page[Organization]:
        return await self.organizations.page(normalize_uf(uf), page)

    async def get(self, organization_id: uuid.UUID) -> Organization:
        organization = await self.organizations.get(organization_id)
        if organization is None:
            raise NotFound(f"no organization {organization_id}")
        return organization

    async def create(self, principal: Principal, data: OrganizationCreate) -> Organization:
        uf = normalize_uf(data.uf)
        require_organization_creator(principal, uf)
        organization = Organization(acronym=data.acronym, name=data.name, uf=uf)
        try:
            await self.organizations.add(organization)
        except DuplicateKey as exc:
            raise Conflict(f"an organization {data.acronym} already exists", code="duplicate_organization") from exc
        return organization
