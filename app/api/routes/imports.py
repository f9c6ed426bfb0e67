from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel

from app.api.deps import CurrentPrincipal, UnitOfWork, read_upload
from app.api.problems import problem_responses
from app.api.schemas import ImportReportOut, LineNote
from app.core.errors import InvalidInput
from app.domain.dgmp_files import parse_dgmp
from app.domain.dgmp_import import DgmpImportService
from app.domain.territory_files import parse_datasus, parse_municipality_regions
from app.domain.territory_import import TerritoryImportService

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


@router.post("/territory", responses=problem_responses(400, 401, 403, 413, 422))
async def import_territory(
    request: Request,
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    file: Annotated[
        UploadFile | None, File(description="One municipality per line (layout of health_regions_sample_2019.csv).")
    ] = None,
    regions: Annotated[UploadFile | None, File(description="DATASUS tb_regsaud.")] = None,
    memberships: Annotated[UploadFile | None, File(description="DATASUS rl_municip_regsaud.")] = None,
    dry_run: Annotated[bool, Query(description="Check and report; write nothing.")] = False,
    effective_on: Annotated[date | None, Query(description="When the membership takes effect; today if unset.")] = None,
) -> ImportReportOut:
    """Health regions and their municipalities, all or nothing; every bad line is reported."""
    if file is not None and regions is None and memberships is None:
        parsed = parse_municipality_regions(await read_upload(request, file), file.filename or "file")
    elif file is None and regions is not None and memberships is not None:
        parsed = parse_datasus(await read_upload(request, regions), await read_upload(request, memberships))
    else:
        raise InvalidInput(
            "send either `file` (one municipality per line) or both `regions` and `memberships` (DATASUS)",
            code="invalid_import",
        )
    report = await TerritoryImportService(repositories).run(
        principal, parsed, effective_on=effective_on, dry_run=dry_run
    )
    notes = [LineNote(file=w.file, line=w.line, field=w.field, message=w.reason) for w in report.warnings]
    return ImportReportOut.model_validate(asdict(report) | {"warnings": notes})


class DgmpReportOut(BaseModel):
    uf: str
    dry_run: bool
    reported_on: date
    lines_read: int
    created: int
    updated: int
    unchanged: int
    skipped: list[LineNote]


@router.post("/dgmp-situation", responses=problem_responses(400, 401, 403, 413, 422))
async def import_dgmp_situation(
    request: Request,
    repositories: UnitOfWork,
    principal: CurrentPrincipal,
    file: Annotated[
        UploadFile, File(description="DGMP's 'situação dos instrumentos' extract for the UF (;-separated).")
    ],
    uf: Annotated[str, Query(max_length=2)],
    dry_run: Annotated[bool, Query(description="Check and report; write nothing.")] = False,
    reported_on: Annotated[
        date | None, Query(description="The extract's date; dates milestones DGMP gives no date for. Today if unset.")
    ] = None,
) -> DgmpReportOut:
    """Create or update the UF's municipal instruments from DGMP's extract, keeping each raw
    label; all or nothing, with every bad line reported. Importing it again changes nothing."""
    parsed = parse_dgmp(await read_upload(request, file))
    report = await DgmpImportService(repositories).run(principal, uf, parsed, dry_run=dry_run, reported_on=reported_on)
    skipped = [LineNote(file=s.file, line=s.line, field=s.field, message=s.reason) for s in report.skipped]
    return DgmpReportOut.model_validate(asdict(report) | {"skipped": skipped})
