from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.api.schemas import Health
from app.repositories.database import Database

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"model": Health, "description": "The database does not answer."}})
async def ready(request: Request, response: Response) -> Health:
    """The process answers and its database does too."""
    database: Database = request.app.state.database
    try:
        await database.ping()
    except Exception:  # any failure to reach the database means "not ready", never a 500
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="database unavailable")
    return Health(status="ok")
