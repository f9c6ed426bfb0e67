from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.api.deps import CurrentPrincipal, ExpectedVersion, UnitOfWork, etag
from app.api.problems import problem_responses
from app.api.schemas import Out
from app.domain.calendars import CalendarService, CalendarUpdate, CalendarView, EnteType

router = APIRouter(prefix="/api/v1/entes", tags=["instruments"])
EnteCode = Annotated[str, Path(max_length=7, description="IBGE code of a municipality, or a UF.")]


class CalendarOut(Out):
    owner_type: str
    owner: str
    ldo_bill_due: str
    plan_due: str
    custom: bool
    version: int


def _out(calendar: CalendarView, response: Response) -> CalendarOut:
    response.headers["ETag"] = etag(calendar.version)
    return CalendarOut.model_validate(calendar)


@router.get("/{owner_type}/{code}/calendar", responses=problem_responses(422))
async def get_calendar(
    repositories: UnitOfWork, owner_type: EnteType, code: EnteCode, response: Response
) -> CalendarOut:
    """The ente's dates for the PAS (LDO bill) and plan deadlines; the defaults unless it set its own."""
    return _out(await CalendarService(repositories).get(owner_type, code), response)


@router.put("/{owner_type}/{code}/calendar", responses=problem_responses(400, 401, 403, 412, 422))
async def put_calendar(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    owner_type: EnteType,
    code: EnteCode,
    body: CalendarUpdate,
    expected_version: ExpectedVersion,
    response: Response,
) -> CalendarOut:
    """Set the ente's own dates; the deadlines of its PAS and plans move with them."""
    return _out(await CalendarService(repositories).put(principal, owner_type, code, body, expected_version), response)
