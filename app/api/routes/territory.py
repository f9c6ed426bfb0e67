from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.api.deps import CurrentPrincipal, ExpectedVersion, Paging, UnitOfWork, etag
from app.api.problems import problem_responses
from app.api.schemas import (
    MembershipPeriodOut,
    MunicipalityDetailOut,
    MunicipalityOut,
    PageOut,
    RegionDetailOut,
    RegionOut,
    RegionRef,
    StateOut,
)
from app.domain.territory import RegionCreate, RegionDetail, RegionPatch, TerritoryService

router = APIRouter(prefix="/api/v1", tags=["territory"])
UfFilter = Annotated[str | None, Query(description="UF sigla, e.g. AM", max_length=2)]


@router.get("/states", responses=problem_responses(422))
async def list_states(repositories: UnitOfWork, page: Paging) -> PageOut[StateOut]:
    states = await TerritoryService(repositories).states(page)
    return PageOut[StateOut].of(states.map(StateOut.model_validate))


@router.get("/states/{uf}", responses=problem_responses(404, 422))
async def get_state(repositories: UnitOfWork, uf: Annotated[str, Path(max_length=2)]) -> StateOut:
    return StateOut.model_validate(await TerritoryService(repositories).state(uf))


@router.get("/municipalities", responses=problem_responses(422))
async def list_municipalities(
    repositories: UnitOfWork,
    page: Paging,
    uf: UfFilter = None,
    region: Annotated[str | None, Query(description="Health region code (CO_REGSAUD)", max_length=5)] = None,
    q: Annotated[
        str | None, Query(description="Name search, ignoring accents and case", min_length=1, max_length=100)
    ] = None,
    max_population: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> PageOut[MunicipalityOut]:
    found = await TerritoryService(repositories).municipalities(
        page, uf=uf, region=region, q=q, max_population=max_population
    )
    return PageOut[MunicipalityOut].of(found.map(MunicipalityOut.model_validate))


@router.get("/municipalities/{code}", responses=problem_responses(404, 422))
async def get_municipality(
    repositories: UnitOfWork,
    code: Annotated[str, Path(description="IBGE code (7 digits) or DATASUS code (6 digits)", max_length=20)],
) -> MunicipalityDetailOut:
    detail = await TerritoryService(repositories).municipality(code)
    region = RegionRef.model_validate(detail.region) if detail.region else None
    return MunicipalityDetailOut.model_validate(detail.municipality.model_dump() | {"region": region})


@router.get("/regions", responses=problem_responses(422))
async def list_regions(repositories: UnitOfWork, page: Paging, uf: UfFilter = None) -> PageOut[RegionOut]:
    regions = await TerritoryService(repositories).regions(page, uf=uf)
    return PageOut[RegionOut].of(regions.map(RegionOut.model_validate))


def _region_detail(detail: RegionDetail, response: Response) -> RegionDetailOut:
    response.headers["ETag"] = etag(detail.region.version)
    return RegionDetailOut.model_validate(
        detail.region.model_dump()
        | {
            "municipalities": [MunicipalityOut.model_validate(m) for m in detail.municipalities],
            "membership_history": [MembershipPeriodOut.model_validate(p) for p in detail.membership_history],
        }
    )


@router.get("/regions/{code}", responses=problem_responses(404, 422))
async def get_region(
    repositories: UnitOfWork, response: Response, code: Annotated[str, Path(max_length=20)]
) -> RegionDetailOut:
    return _region_detail(await TerritoryService(repositories).region(code), response)


@router.post("/regions", status_code=status.HTTP_201_CREATED, responses=problem_responses(400, 401, 403, 409, 422))
async def create_region(
    repositories: UnitOfWork, principal: CurrentPrincipal, body: RegionCreate, response: Response
) -> RegionDetailOut:
    detail = await TerritoryService(repositories).create_region(principal, body)
    response.headers["Location"] = f"/api/v1/regions/{detail.region.code}"
    return _region_detail(detail, response)


@router.patch("/regions/{code}", responses=problem_responses(400, 401, 403, 404, 412, 422))
async def update_region(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    code: Annotated[str, Path(max_length=20)],
    body: RegionPatch,
    expected_version: ExpectedVersion,
    response: Response,
) -> RegionDetailOut:
    detail = await TerritoryService(repositories).update_region(principal, code, body, expected_version)
    return _region_detail(detail, response)
