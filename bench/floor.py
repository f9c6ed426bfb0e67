"""The floor app (bench only, not the product): each read is one statement whose JSON body
PostgreSQL builds, passed through as bytes on a pool the size of the product's.
Run: `DATABASE_URL=… uvicorn bench.floor:app`."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import sql

POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "10"))
PANEL_YEAR = int(os.environ.get("BENCH_PANEL_YEAR", "2024"))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["DATABASE_URL"]
    app.state.pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    app.state.panel = sql.panel(PANEL_YEAR)
    yield
    await app.state.pool.close()


async def _serve(request: Request, statement: str, *args: object) -> Response:
    body = await request.app.state.pool.fetchval(statement, *args)
    if body is None:
        return Response(b'{"code":"not_found"}', status_code=404, media_type="application/json")
    return Response(body.encode(), media_type="application/json")


_PAGE = sql.GOALS_PAGE.replace("{target}", "$1")
_INSTRUMENT = sql.INSTRUMENT.replace("{target}", "$1")
_NESTED = sql.NESTED.replace("{target}", "$1")


async def goals(request: Request) -> Response:
    return await _serve(request, _PAGE, uuid.UUID(request.path_params["id"]))


async def instrument(request: Request) -> Response:
    return await _serve(request, _INSTRUMENT, uuid.UUID(request.path_params["id"]))


async def panel(request: Request) -> Response:
    return await _serve(request, request.app.state.panel)


async def nested(request: Request) -> Response:
    return await _serve(request, _NESTED, request.path_params["code"])


app = Starlette(
    routes=[
        Route("/goals/{id}", goals),
        Route("/instruments/{id}", instrument),
        Route("/panel", panel),
        Route("/nested/{code}", nested),
    ],
    lifespan=lifespan,
)
