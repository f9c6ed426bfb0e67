"""Goal trees, matrices in and out, status updates, progress and monitoring rounds."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, Field, computed_field

from app.api.deps import CurrentPrincipal, ExpectedVersion, Paging, UnitOfWork, etag, read_upload
from app.api.exports import CSV, XLSX, csv_response, xlsx_response
from app.api.problems import problem_responses
from app.api.schemas import LineNote, Out, PageOut, json_page, json_resource
from app.core.errors import InvalidInput
from app.domain.goal_files import ExportRow, export_table
from app.domain.goal_matrices import GoalMatrixService
from app.domain.goal_rules import (
    GOAL_STATUS_LABELS,
    LEVEL_LABELS,
    GoalStatus,
    Level,
    Polarity,
    Prazo,
    Precision,
    Structure,
    format_prazo,
)
from app.domain.goals import GoalCreate, GoalNode, GoalPatch, GoalService, GoalView
from app.domain.monitoring import (
    ROUND_KIND_LABELS,
    Entry,
    MonitoringService,
    Progress,
    RoundCreate,
    RoundKind,
    StatusUpdateCreate,
)
from app.domain.status_imports import StatusImportService

router = APIRouter(prefix="/api/v1", tags=["goals"])
AsOf = Annotated[date | None, Query(description="Statuses as of this day; today by default.")]
DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {"content": {CSV: {}, XLSX: {}}, "description": "A download"}}


class StatusUpdateOut(Out):
    id: int
    goal_id: uuid.UUID
    round_id: uuid.UUID | None
    reported_on: date
    status: GoalStatus
    status_label: str
    percent_complete: float | None
    achieved_value: float | None
    details: str | None
    difficulties: str | None
    expected_delivery: date | None
    next_steps: str | None
    partial_product: str | None
    responsible: str | None
    supersedes: int | None = Field(description="The entry this one corrects.")
    superseded_by: int | None = Field(description="The correction that replaced this entry, if any.")
    author_id: uuid.UUID | None = Field(description="An account id; names are not public.")
    recorded_at: datetime


def entry_out(entry: Entry) -> StatusUpdateOut:
    update = entry.update
    return StatusUpdateOut.model_validate(
        update.model_dump()
        | {
            "status_label": GOAL_STATUS_LABELS[GoalStatus(update.status)],
            "supersedes": update.supersedes_id,
            "superseded_by": entry.superseded_by,
        }
    )


class GoalOut(Out):
    id: uuid.UUID
    instrument_id: uuid.UUID
    parent_id: uuid.UUID | None
    level: Level
    level_label: str
    number: str | None
    description: str
    indicator_name: str | None
    indicator_unit: str | None
    polarity: Polarity | None
    baseline_value: float | None
    baseline_year: int | None
    target_value: float | None
    yearly_targets: dict[int, float]
    deadline: date | None
    deadline_precision: Precision
    prazo: str | None = Field(description="The deadline as written: 12/2018, or 31/10/2018.")
    responsible: str | None
    responsible_user_id: uuid.UUID | None
    partners: str | None
    scope: str | None
    status: GoalStatus | None = Field(description="The current reported status (as of `as_of`); null if none yet.")
    overdue: bool = Field(description="Deadline passed and neither concluded nor cancelled, whatever is reported.")
    days_overdue: int
    current_status: StatusUpdateOut | None
    version: int


class GoalTreeOut(GoalOut):
    children: list[GoalTreeOut]


def _goal_fields(view: GoalView) -> dict[str, Any]:
    goal, current = view.goal, view.current
    precision = Precision(goal.deadline_precision)
    return goal.model_dump() | {
        "level_label": LEVEL_LABELS[Level(goal.level)],
        "yearly_targets": {int(year): value for year, value in goal.yearly_targets.items()},
        "prazo": format_prazo(Prazo(goal.deadline, precision)) if goal.deadline else None,
        "status": current.status if current else None,
        "overdue": view.days_overdue > 0,
        "days_overdue": view.days_overdue,
        "current_status": entry_out(Entry(current)) if current else None,
    }


def goal_out(view: GoalView, response: Response | None = None) -> GoalOut:
    if response is not None:
        response.headers["ETag"] = etag(view.goal.version)
    return GoalOut.model_validate(_goal_fields(view))


def tree_out(node: GoalNode) -> GoalTreeOut:
    return GoalTreeOut.model_validate(_goal_fields(node.view) | {"children": [tree_out(c) for c in node.children]})


@router.get(
    "/instruments/{instrument_id}/goals",
    response_model=list[GoalTreeOut] | PageOut[GoalOut],
    responses=problem_responses(404, 422),
)
async def list_goals(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    page: Paging,
    as_of: AsOf = None,
    flat: Annotated[bool, Query(description="A paged list in reading order instead of the nested tree.")] = False,
    level: Annotated[Level | None, Query(description="Flat list only.")] = None,
    status_: Annotated[GoalStatus | None, Query(alias="status", description="Flat list only: current status.")] = None,
    overdue: Annotated[bool | None, Query(description="Flat list only.")] = None,
    responsible: Annotated[str | None, Query(max_length=200, description="Flat list only: names containing.")] = None,
) -> Response:
    """The instrument's goal tree, each meta with its current status and whether it is overdue."""
    service = GoalService(repositories)
    if flat:
        found = await service.page_json(
            principal,
            instrument_id,
            page,
            level=level,
            status=status_,
            overdue=overdue,
            responsible=responsible,
            as_of=as_of,
        )
        return json_page(found)
    if any(value is not None for value in (level, status_, overdue, responsible)):
        raise InvalidInput("level, status, overdue and responsible filter the flat list: add flat=true")
    return Response(await service.tree_json(principal, instrument_id, as_of), media_type="application/json")


@router.post(
    "/instruments/{instrument_id}/goals",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def create_goal(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    body: GoalCreate,
    response: Response,
) -> GoalTreeOut:
    """One node, or a whole subtree (nested `children`), under `parent_id` or at the top. A node
    of a level its parent cannot have is a 422 (`invalid_level`) listing the allowed ones."""
    node = await GoalService(repositories).create(principal, instrument_id, body)
    response.headers["Location"] = f"/api/v1/goals/{node.view.goal.id}"
    response.headers["ETag"] = etag(node.view.goal.version)
    return tree_out(node)


class MatrixReportOut(BaseModel):
    layout: Structure
    dry_run: bool
    reported_on: date
    rows_read: int
    goals_created: int
    metas_updated: int
    metas_unchanged: int
    status_updates_created: int
    status_updates_unchanged: int
    warnings: list[LineNote]


@router.post(
    "/instruments/{instrument_id}/goals/import", responses=problem_responses(400, 401, 403, 404, 413, 415, 422)
)
async def import_goals(
    request: Request,
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="CSV (`,` or `;`, UTF-8 or Latin-1) or XLSX, one meta per row.")],
    layout: Annotated[Structure | None, Query(description="The instrument's structure if unset.")] = None,
    dry_run: Annotated[bool, Query(description="Check and report; write nothing.")] = False,
    reported_on: Annotated[
        date | None, Query(description="The day the STATUS columns report on; today if unset.")
    ] = None,
) -> MatrixReportOut:
    """Bring a goal matrix in, all or nothing: every bad cell is reported by line and column.
    Identical text under the same parent is one node; a STATUS column becomes status updates.
    Importing the same file again changes nothing."""
    content = await read_upload(request, file)
    report = await GoalMatrixService(repositories).run(
        principal, instrument_id, content, layout=layout, dry_run=dry_run, reported_on=reported_on
    )
    notes = [LineNote(file=w.file, line=w.line, field=w.field, message=w.reason) for w in report.warnings]
    return MatrixReportOut.model_validate(asdict(report) | {"warnings": notes})


def _download(structure: Structure, rows: list[ExportRow], fmt: str, name: str) -> Response:
    header, table = export_table(structure, rows)
    return csv_response(header, table, name) if fmt == "csv" else xlsx_response(header, table, name, "Metas")


@router.get(
    "/instruments/{instrument_id}/goals/export",
    response_class=Response,
    responses=problem_responses(404, 422) | DOWNLOAD,
)
async def export_goals(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    format_: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    layout: Annotated[Structure | None, Query(description="The instrument's structure if unset.")] = None,
    as_of: AsOf = None,
) -> Response:
    """The tree in its layout, one row per meta with its current status; importing it into an
    empty instrument gives the same tree and statuses back."""
    structure, rows = await GoalMatrixService(repositories).export(principal, instrument_id, layout, as_of)
    return _download(structure, rows, format_, f"metas-{instrument_id}")


@router.get("/goals/{goal_id}", response_model=GoalOut, responses=problem_responses(404, 422))
async def get_goal(
    repositories: UnitOfWork, principal: CurrentPrincipal, goal_id: uuid.UUID, as_of: AsOf = None
) -> Response:
    """The goal with its current status as of `as_of`; its ETag is its version."""
    body = await GoalService(repositories).get_json(principal, goal_id, as_of)
    return json_resource(body)


@router.patch("/goals/{goal_id}", responses=problem_responses(400, 401, 403, 404, 412, 422))
async def update_goal(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    goal_id: uuid.UUID,
    body: GoalPatch,
    expected_version: ExpectedVersion,
    response: Response,
) -> GoalOut:
    return goal_out(await GoalService(repositories).update(principal, goal_id, body, expected_version), response)


@router.delete(
    "/goals/{goal_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_goal(
    repositories: UnitOfWork, principal: CurrentPrincipal, goal_id: uuid.UUID, expected_version: ExpectedVersion
) -> Response:
    """The node and everything under it; a node with status history is kept (409): cancel it."""
    await GoalService(repositories).delete(principal, goal_id, expected_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/goals/{goal_id}/status-updates",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
    tags=["monitoring"],
)
async def report_status(
    repositories: UnitOfWork, principal: CurrentPrincipal, goal_id: uuid.UUID, body: StatusUpdateCreate
) -> StatusUpdateOut:
    """A new entry on a meta or ação. Entries are never changed: a correction is a new entry
    naming the one it `supersedes`."""
    return entry_out(await MonitoringService(repositories).report(principal, goal_id, body))


class StatusImportOut(BaseModel):
    dry_run: bool
    reported_on: date = Field(description="The day of rows that name none.")
    rows_read: int
    status_updates_created: int
    status_updates_unchanged: int = Field(description="Rows just like an entry already recorded.")


@router.post(
    "/instruments/{instrument_id}/status-updates/import",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
    tags=["monitoring"],
)
async def import_status_updates(
    request: Request,
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    file: Annotated[
        UploadFile,
        File(
            description="CSV (`,` or `;`, UTF-8 or Latin-1), one entry per row, with a header naming its columns: "
            "goal_id and status, then any of reported_on, percent_complete, achieved_value, details, difficulties, "
            "expected_delivery, next_steps, partial_product, responsible. A status is its code or its label; "
            "numbers take a decimal point or comma; days are YYYY-MM-DD."
        ),
    ],
    dry_run: Annotated[bool, Query(description="Check and report; write nothing.")] = False,
    reported_on: Annotated[date | None, Query(description="The day of rows that name none; today if unset.")] = None,
) -> StatusImportOut:
    """Many entries at once, all or nothing: every bad cell is reported by line and column.
    Sending the same file again adds nothing. Corrections and rounds go entry by entry."""
    content = await read_upload(request, file)
    report = await StatusImportService(repositories).run(
        principal, instrument_id, content, dry_run=dry_run, reported_on=reported_on
    )
    return StatusImportOut.model_validate(asdict(report))


@router.get("/goals/{goal_id}/status-updates", responses=problem_responses(404, 422), tags=["monitoring"])
async def goal_status_updates(
    repositories: UnitOfWork, principal: CurrentPrincipal, goal_id: uuid.UUID
) -> list[StatusUpdateOut]:
    """Every entry, oldest first, corrected ones included (with `superseded_by`)."""
    return [entry_out(entry) for entry in await MonitoringService(repositories).history(principal, goal_id)]


@router.get(
    "/instruments/{instrument_id}/status-updates",
    response_model=PageOut[StatusUpdateOut],
    responses=problem_responses(404, 422),
    tags=["monitoring"],
)
async def instrument_status_updates(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    instrument_id: uuid.UUID,
    page: Paging,
    since: Annotated[datetime | None, Query(description="Only entries recorded at or after this moment.")] = None,
) -> Response:
    """Every entry on the instrument's metas, in the order recorded."""
    return json_page(
        await MonitoringService(repositories).instrument_updates_json(principal, instrument_id, page, since)
    )


class StatusCountOut(BaseModel):
    status: GoalStatus
    label: str
    count: int


class OverdueMetaOut(BaseModel):
    goal_id: uuid.UUID
    number: str | None
    description: str
    deadline: date
    days_overdue: int
    status: GoalStatus | None = Field(description="What is reported, beside the deadline that passed.")


class IndicatorOut(BaseModel):
    goal_id: uuid.UUID
    description: str
    indicator_name: str | None
    polarity: Polarity
    target: float
    achieved: float
    reported_on: date
    met: bool
    achievement_percent: float | None = Field(description="Achieved against target; lower-is-better inverts it.")


class ProgressOut(BaseModel):
    instrument_id: uuid.UUID
    as_of: date
    metas: int
    by_status: list[StatusCountOut]
    without_update: int = Field(description="Metas nobody has reported on yet.")
    concluded_percent: float | None = Field(description="Concluded metas among those not cancelled.")
    overdue: list[OverdueMetaOut]
    indicators: list[IndicatorOut]
    indicators_met: int


def progress_out(progress: Progress) -> ProgressOut:
    return ProgressOut(
        instrument_id=progress.instrument.id,
        as_of=progress.as_of,
        metas=progress.metas,
        by_status=[
            StatusCountOut(status=s, label=GOAL_STATUS_LABELS[s], count=n) for s, n in progress.by_status.items()
        ],
        without_update=progress.without_update,
        concluded_percent=progress.concluded_percent,
        overdue=[OverdueMetaOut(**asdict(item)) for item in progress.overdue],
        indicators=[IndicatorOut(**asdict(item)) for item in progress.indicators],
        indicators_met=progress.indicators_met,
    )


@router.get("/instruments/{instrument_id}/progress", responses=problem_responses(404, 422), tags=["monitoring"])
async def instrument_progress(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID, as_of: AsOf = None
) -> ProgressOut:
    """As of a day: metas by current reported status, the overdue ones (deadline passed, not
    concluded or cancelled) with days overdue, the share concluded, and each indicator against
    its target."""
    return progress_out(await MonitoringService(repositories).progress(principal, instrument_id, as_of))


class RoundOut(Out):
    id: uuid.UUID
    instrument_id: uuid.UUID
    name: str
    held_on: date
    kind: RoundKind
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return ROUND_KIND_LABELS[self.kind]


@router.post(
    "/instruments/{instrument_id}/rounds",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 422),
    tags=["monitoring"],
)
async def create_round(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID, body: RoundCreate
) -> RoundOut:
    """A monitoring meeting, monthly form or quadrimester; status updates may name it."""
    return RoundOut.model_validate(await MonitoringService(repositories).add_round(principal, instrument_id, body))


@router.get("/instruments/{instrument_id}/rounds", responses=problem_responses(404, 422), tags=["monitoring"])
async def list_rounds(
    repositories: UnitOfWork, principal: CurrentPrincipal, instrument_id: uuid.UUID
) -> list[RoundOut]:
    return [RoundOut.model_validate(r) for r in await MonitoringService(repositories).rounds(principal, instrument_id)]


class RoundReportOut(BaseModel):
    round: RoundOut
    as_of: date
    tree: list[GoalTreeOut]


@router.get(
    "/rounds/{round_id}/report",
    response_model=RoundReportOut,
    responses=problem_responses(404, 422) | {200: {"content": {XLSX: {}}, "description": "JSON, or XLSX"}},
    tags=["monitoring"],
)
async def round_report(
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    round_id: uuid.UUID,
    format_: Annotated[Literal["json", "xlsx"], Query(alias="format")] = "json",
) -> RoundReportOut | Response:
    """What a monitoring meeting hands out: every meta with its status, details and difficulties
    as of the round's day, grouped by the tree."""
    report = await MonitoringService(repositories).round_report(principal, round_id)
    if format_ == "xlsx":
        structure = Structure(report.instrument.goal_structure)
        return _download(structure, report.rows, "xlsx", f"monitoramento-{report.round.held_on}")
    return RoundReportOut(
        round=RoundOut.model_validate(report.round),
        as_of=report.round.held_on,
        tree=[tree_out(node) for node in report.tree],
    )
