"""The ASGI application: routers, error handlers, offline docs, and the database lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib.metadata import version

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.api.graphql import install_graphql
from app.api.middleware import RequestIdMiddleware
from app.api.problems import install_problem_handlers, problem_media_type_in_openapi
from app.api.routes import (
    audit,
    auth,
    compliance,
    entes,
    goals,
    health,
    imports,
    instruments,
    organizations,
    panels,
    territory,
    users,
)
from app.core.settings import Settings
from app.domain.tokens import TokenService
from app.repositories.database import Database

DESCRIPTION = """
Open API for the planning and management instruments of the SUS: health plans, annual
programmings, four-monthly and annual reports, regional plans, their goals and monitoring.

Errors are `application/problem+json` with a stable `code`. Lists are cursor-paginated:
pass a page's `next_cursor` as `cursor`. Writes to existing resources honour `If-Match`.
"""

# The sections of the docs, in the order a newcomer reads them.
SECTIONS = {
    "health": "Liveness and readiness, for load balancers and orchestrators.",
    "auth": "Tokens: sign in, and who the token's account is.",
    "users": "Accounts, their roles and the territory each is bound to.",
    "territory": "States, municipalities and health regions.",
    "organizations": "COSEMS, CONASEMS, SES departments: bodies with institutional plans of their own.",
    "imports": "Territory and DGMP situation files, all or nothing.",
    "instruments": "Plans, programmings and reports: their status, deadlines and history; entes' calendars.",
    "goals": "Goal trees of plans and PAS, from diretriz to meta; as JSON, or matrices in and out.",
    "monitoring": "Status updates of metas, progress and monitoring rounds.",
    "compliance": "Each ente's expected instruments for a year, and where each one stands.",
    "panels": "Compliance panels by UF, region or municipality, and their series.",
    "audit": "Who changed what, and when.",
}


@cache
def _tune_gc() -> None:
    """Once per server process, after start-up: what was built to serve is frozen, so the
    collector's full passes skip it. A GraphQL answer allocates tens of thousands of objects and
    sets those passes off; this cut the nested read's time by about a sixth. A larger young
    generation cut more, but raised peak memory under load by half (bench, national scale)."""
    gc.freeze()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app. Tests pass their own `database`; otherwise one is made from settings."""
    settings = settings or Settings()
    if database is None and settings.database_url is None:
        raise RuntimeError("DATABASE_URL is not set: start with `instrumenta serve`, which runs an embedded PostgreSQL")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if database is not None:
            app.state.database = database
            yield
            return
        assert settings.database_url is not None
        owned = Database(
            settings.database_url, read_url=settings.database_read_url, pool_size=settings.database_pool_size
        )
        app.state.database = owned
        _tune_gc()
        try:
            yield
        finally:
            await owned.dispose()

    app = FastAPI(
        title="Instrumenta",
        version=version("instrumenta"),
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[{"name": name, "description": text} for name, text in SECTIONS.items()],
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    # Built now so a bad key configuration refuses to start instead of failing the first login.
    app.state.tokens = TokenService(settings)
    if database is not None:
        app.state.database = database
    app.add_middleware(RequestIdMiddleware)
    install_problem_handlers(app)
    # Every request walks the routes in order until one matches: GraphQL and the reads clients
    # make most come first. None of them overlaps a later path; the docs keep SECTIONS' order.
    routers = (
        instruments,
        goals,
        panels,
        health,
        auth,
        users,
        territory,
        organizations,
        imports,
        entes,
        compliance,
        audit,
    )
    for router in (install_graphql(app, settings), *(module.router for module in routers)):
        _add_routes(app, router)
    problem_media_type_in_openapi(app)
    _serve_docs_offline(app)
    return app


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """`router`'s routes, added to the app's own as they are (each already has its router's
    prefix, tags and responses). `include_router` would wrap the router in a layer that every
    request walks twice, route by route, to find its way: over a quarter of the Python calls of
    a read by id."""
    app.router.routes.extend(router.routes)


def _serve_docs_offline(app: FastAPI) -> None:
    """Swagger UI from the packaged assets: /docs works with no internet."""
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Instrumenta — API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
