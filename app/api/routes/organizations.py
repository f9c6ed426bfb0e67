from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.api.deps import CurrentPrincipal, Paging, UnitOfWork
from app.api.problems import problem_responses
from app.api.schemas import OrganizationOut, PageOut
from app.domain.organizations import OrganizationCreate, OrganizationService

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


@router.get("", responses=problem_responses(422))
async def list_organizations(
    repositories: UnitOfWork,
    page: Paging,
    uf: Annotated[str | None, Query(description="UF sigla", max_length=2)] = None,
) -> PageOut[OrganizationOut]:
    organizations = await OrganizationService(repositories).page(page, uf=uf)
    return PageOut[OrganizationOut].of(organizations.map(OrganizationOut.model_validate))


@router.get("/{organization_id}", responses=problem_responses(404, 422))
async def get_organization(repositories: UnitOfWork, organization_id: uuid.UUID) -> OrganizationOut:
    return OrganizationOut.model_validate(await OrganizationService(repositories).get(organization_id))


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(400, 401, 403, 409, 422))
async def create_organization(
    repositories: UnitOfWork, principal: CurrentPrincipal, body: OrganizationCreate, response: Response
) -> OrganizationOut:
    organization = await OrganizationService(repositories).create(principal, body)
    response.headers["Location"] = f"/api/v1/organizations/{organization.id}"
    return OrganizationOut.model_validate(organization)
