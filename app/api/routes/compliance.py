from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.deps import Paging, UnitOfWork
from app.api.problems import problem_responses
from app.api.schemas import PageOut
from app.domain.compliance import ComplianceService, EnteCompliance, EnteType
from app.domain.instrument_rules import STATUS_LABELS, Kind, Situation, Status

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])


class ExpectedOut(BaseModel):
    kind: Kind
    year: int
    end_year: int
    quadrimester: int | None
    instrument_id: uuid.UUID | None
    status: Status
    status_label: str
    deadline: date | None
    milestone_on: date | None
    situation: Situation
    days_late: int


class EnteComplianceOut(BaseModel):
    owner_type: str
    owner: str
    name: str
    uf: str
    instruments: list[ExpectedOut]


def _out(ente: EnteCompliance) -> EnteComplianceOut:
    return EnteComplianceOut(
        owner_type=ente.owner_type,
        owner=ente.owner,
        name=ente.name,
        uf=ente.uf,
        instruments=[
            ExpectedOut(**item.__dict__, status_label=STATUS_LABELS[item.status]) for item in ente.instruments
        ],
    )


@router.get("", responses=problem_responses(422))
async def compliance(
    repositories: UnitOfWork,
    page: Paging,
    year: Annotated[int, Query(ge=1988, le=2100)],
    uf: Annotated[str | None, Query(max_length=2, description="The UF's municipalities and the state itself.")] = None,
    region: Annotated[str | None, Query(max_length=5, description="The region's member municipalities.")] = None,
    municipality: Annotated[str | None, Query(max_length=7)] = None,
    owner_type: EnteType | None = None,
    as_of: Annotated[date | None, Query(description="Situation as of this day; today by default.")] = None,
) -> PageOut[EnteComplianceOut]:
    """For every ente in scope, the instruments the law expects for `year` — the plan covering
    it, the PAS, three RDQAs and the RAG — created or not, with status, deadline and situation.
    Give exactly one of uf, region or municipality. Paged by ente."""
    report = await ComplianceService(repositories).report(
        page, year=year, uf=uf, region=region, municipality=municipality, owner_type=owner_type, as_of=as_of
    )
    return PageOut[EnteComplianceOut].of(report.map(_out))
