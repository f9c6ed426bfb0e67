from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.api.deps import UnitOfWork
from app.api.exports import CSV, XLSX, Cell, csv_response, xlsx_response
from app.api.problems import problem_responses
from app.domain.instrument_rules import SITUATION_LABELS, STATUS_LABELS, Kind, Situation, Status
from app.domain.panels import GroupBy, PanelGroup, PanelService

router = APIRouter(prefix="/api/v1/panels/instruments", tags=["panels"])
Format = Literal["json", "csv", "xlsx"]
GROUP_LABELS = {"uf": "UF", "region": "Região de saúde", "municipality": "Município"}
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV: {}, XLSX: {}}, "description": "JSON, or a CSV / XLSX download"}
}


class PanelGroupOut(BaseModel):
    key: str
    name: str
    year: int
    total: int
    by_status: dict[Status, int]
    by_situation: dict[Situation, int]
    shares: dict[Situation, float]


class PanelOut(BaseModel):
    group_by: GroupBy
    kind: Kind | None
    as_of: date | None
    groups: list[PanelGroupOut]


def _json(groups: list[PanelGroup], group_by: GroupBy, kind: Kind | None, as_of: date | None) -> Response:
    """The panel as PanelOut documents it, with no model in between: by municipality it has
    5,570 groups, and validating then serializing them took longer than counting them. The
    groups' fields are PanelGroupOut's (a test holds the two together)."""
    panel = {"group_by": group_by, "kind": kind, "as_of": as_of and as_of.isoformat()}
    return Response(json.dumps(panel | {"groups": [vars(g) for g in groups]}), media_type="application/json")


def _row(group: PanelGroup) -> list[Cell]:
    head: list[Cell] = [group.key, group.name, group.year, group.total]
    return [*head, *group.by_situation.values(), *group.shares.values(), *group.by_status.values()]


def _answer(
    groups: list[PanelGroup], group_by: GroupBy, kind: Kind | None, as_of: date | None, fmt: Format
) -> Response:
    if fmt == "json":
        return _json(groups, group_by, kind, as_of)
    header = [GROUP_LABELS[group_by], "Nome", "Ano", "Esperados"]
    header += [SITUATION_LABELS[s] for s in Situation] + [f"% {SITUATION_LABELS[s].lower()}" for s in Situation]
    header += [STATUS_LABELS[s] for s in Status]
    rows = [_row(g) for g in groups]
    name = f"painel-instrumentos-{group_by}"
    return csv_response(header, rows, name) if fmt == "csv" else xlsx_response(header, rows, name, "Instrumentos")


@router.get("", response_model=PanelOut, responses=problem_responses(422) | DOWNLOADS)
async def instruments_panel(
    repositories: UnitOfWork,
    year: Annotated[int, Query(ge=1988, le=2100)],
    group_by: GroupBy = "uf",
    kind: Kind | None = None,
    uf: Annotated[str | None, Query(max_length=2, description="Only this UF's entes.")] = None,
    as_of: Annotated[date | None, Query(description="Situation as of this day; today by default.")] = None,
    format: Format = "json",
) -> Response:
    """Per group: the expected instruments of `year` (missing ones included) by status and by
    situation, with shares. `format=csv|xlsx` downloads the same figures with pt-BR headers."""
    groups = await PanelService(repositories).instruments(year=year, group_by=group_by, kind=kind, uf=uf, as_of=as_of)
    return _answer(groups, group_by, kind, as_of, format)


@router.get("/series", response_model=PanelOut, responses=problem_responses(422) | DOWNLOADS)
async def instruments_series(
    repositories: UnitOfWork,
    from_year: Annotated[int, Query(alias="from", ge=1988, le=2100)],
    to_year: Annotated[int, Query(alias="to", ge=1988, le=2100)],
    group_by: GroupBy = "uf",
    kind: Kind | None = None,
    uf: Annotated[str | None, Query(max_length=2)] = None,
    as_of: Annotated[date | None, Query()] = None,
    format: Format = "json",
) -> Response:
    """The same figures year by year: shares fulfilled on time, late, overdue, pending."""
    groups = await PanelService(repositories).series(
        from_year=from_year, to_year=to_year, group_by=group_by, kind=kind, uf=uf, as_of=as_of
    )
    return _answer(groups, group_by, kind, as_of, format)
