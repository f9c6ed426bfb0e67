from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from app.api.deps import CurrentPrincipal, ExpectedVersion, Paging, UnitOfWork, etag
from app.api.problems import problem_responses
from app.api.schemas import Out, PageOut, json_page, json_resource
from app.core.shapes import Shape, Value
from app.domain.council import CouncilService, DeliberationCreate, HearingCreate
from app.domain.documents import DocumentService
from app.domain.goal_rules import Structure
from app.domain.instrument_rules import STATUS_LABELS, Kind, Situation, Status
from app.domain.instruments import (
    InstrumentCreate,
    InstrumentPatch,
    InstrumentQuery,
    InstrumentService,
    InstrumentView,
    OwnerType,
    TransitionRequest,
)

router = APIRouter(prefix="/api/v1/instruments", tags=["instruments"])


class InstrumentOut(Out):
    id: uuid.UUID
    kind: Kind
    owner_type: str
    owner: str = Field(description="IBGE code, UF, region code or organization id.")
    uf: str | None
    municipality_code: str | None
    region_code: str | None
    organization_id: uuid.UUID | None
    year: int
    quadrimester: int | None
    end_year: int
    status: Status
    status_label: str = Field(description="DGMP's label, in Portuguese.")
    deadline: date | None = Field(description="The legal deadline (product.md §2); null where none is set.")
    milestone_on: date | None = Field(description="When the legal duty was met (sent, hearing held, approved).")
    situation: Situation = Field(description="As of `as_of` (today by default).")
    days_late: int
    title: str | None
    document_url: str | None
    notes: str | None
    goal_structure: Structure = Field(description="dgmp: diretriz → objetivo → meta → ação; matriz: área → … → meta.")
    version: int


def instrument_out(item: InstrumentView, response: Response | None = None) -> InstrumentOut:
    instrument = item.instrument
    if response is not None:
        response.headers["ETag"] = etag(instrument.version)
    return InstrumentOut.model_validate(
        instrument.model_dump()
        | {
            "owner": instrument.owner_code,
            "status_label": STATUS_LABELS[Status(instrument.status)],
            "situation": item.situation,
            "days_late": item.days_late,
        }
    )


# InstrumentOut's fields, for PostgreSQL to write each instrument's body (app.repositories.documents):
# the list and one instrument are sent as it writes them. Read through the ORM into the model, and
# validated again on the way out, one instrument took 1.6 times the CPU and a page of 100 three times,
# for values that no rule changes.
INSTRUMENT_SHAPE: Shape = tuple(
    (name, Value("database_id" if name == "id" else name)) for name in InstrumentOut.model_fields
)


@router.get("", response_model=PageOut[InstrumentOut], responses=problem_responses(422))
async def list_instruments(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    page: Paging,
    kind: Kind | None = None,
    owner_type: OwnerType | None = None,
    owner: Annotated[str | None, Query(max_length=36)] = None,
    uf: Annotated[str | None, Query(max_length=2)] = None,
    region: Annotated[str | None, Query(max_length=5)] = None,
    municipality: Annotated[str | None, Query(max_length=7)] = None,
    year: Annotated[int | None, Query(ge=1988, le=2100, description="Instruments covering this year.")] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    situation: Situation | None = None,
    as_of: Annotated[date | None, Query(description="Situation as of this day; today by default.")] = None,
) -> Response:
    """Instruments the caller may see (anonymous callers: those past drafting)."""
    query = InstrumentQuery(
        kind=kind,
        owner_type=owner_type,
        owner=owner,
        uf=uf,
        region=region,
        municipality=municipality,
        year=year,
        status=status_,
        situation=situation,
        as_of=as_of,
    )
    return json_page(await DocumentService(repositories).instrument_page(principal, page, query, INSTRUMENT_SHAPE))


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(400, 401, 403, 409, 422))
async def create_instrument(
    repositories: UnitOfWork, principal: CurrentPrincipal, body: InstrumentCreate, response: Response
) -> InstrumentOut:
    created = await InstrumentService(repositories).create(principal, body, by=principal.user_id)
    response.headers["Location"] = f"/api/v1/instruments/{created.instrument.id}"
    return instrument_out(created, response)


@router.get("/{instrument_id}", response_model=InstrumentOut, responses=problem_responses(404, 422))
async def get_instrument(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    as_of: Annotated[date | None, Query(description="Situation as of this day; today by default.")] = None,
) -> Response:
    """The instrument, with its situation as of `as_of`; its ETag is its version."""
    body = await DocumentService(repositories).visible_instrument(principal, instrument_id, INSTRUMENT_SHAPE, as_of)
    return json_resource(body)


@router.patch("/{instrument_id}", responses=problem_responses(400, 401, 403, 404, 412, 422))
async def update_instrument(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    body: InstrumentPatch,
    expected_version: ExpectedVersion,
    response: Response,
) -> InstrumentOut:
    updated = await InstrumentService(repositories).update(principal, instrument_id, body, expected_version)
    return instrument_out(updated, response)


class HistoryEntryOut(Out):
    from_status: Status
    to_status: Status
    occurred_on: date
    comment: str | None
    actor_id: uuid.UUID | None = Field(description="Who made the change (an account id; names are not public).")
    recorded_at: datetime


@router.post("/{instrument_id}/transitions", responses=problem_responses(400, 401, 403, 404, 409, 412, 422))
async def transition_instrument(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    body: TransitionRequest,
    expected_version: ExpectedVersion,
    response: Response,
) -> InstrumentOut:
    """Move the instrument along its status machine. An illegal move is a 409 listing the
    allowed ones (`allowed`); so is a move its prerequisites forbid (`gate_closed`)."""
    moved = await InstrumentService(repositories).transition(principal, instrument_id, body, expected_version)
    return instrument_out(moved, response)


@router.get("/{instrument_id}/history", responses=problem_responses(404, 422))
async def instrument_history(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID
) -> list[HistoryEntryOut]:
    """Every status change: who, when, from, to, and the comment."""
    events = await InstrumentService(repositories).history(principal, instrument_id)
    return [HistoryEntryOut.model_validate(event) for event in events]


class DeliberationOut(Out):
    id: uuid.UUID
    body: str
    resolution_number: str
    resolution_date: date
    outcome: Status
    text: str | None
    link: str | None
    recorded_at: datetime


class HearingOut(Out):
    id: uuid.UUID
    house: str
    held_on: date
    minutes_url: str | None
    recorded_at: datetime


@router.post(
    "/{instrument_id}/deliberations",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
async def record_deliberation(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID, body: DeliberationCreate
) -> DeliberationOut:
    """The council's resolution; its outcome becomes the instrument's status (conselho of the ente)."""
    return DeliberationOut.model_validate(await CouncilService(repositories).deliberate(principal, instrument_id, body))


@router.get("/{instrument_id}/deliberations", responses=problem_responses(404, 422))
async def list_deliberations(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID
) -> list[DeliberationOut]:
    found = await CouncilService(repositories).deliberations(principal, instrument_id)
    return [DeliberationOut.model_validate(item) for item in found]


@router.post(
    "/{instrument_id}/hearings",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def record_hearing(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID, body: HearingCreate
) -> HearingOut:
    """An RDQA's public hearing in the legislative house."""
    return HearingOut.model_validate(await CouncilService(repositories).add_hearing(principal, instrument_id, body))


@router.get("/{instrument_id}/hearings", responses=problem_responses(404, 422))
async def list_hearings(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID
) -> list[HearingOut]:
    return [
        HearingOut.model_validate(item)
        for item in await CouncilService(repositories).hearings(principal, instrument_id)
    ]
