"""GraphQL at /graphql over the same services, rules and unit of work as REST; GraphiQL on GET
in a browser, served from this package."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UNSET

from app.api.deps import CurrentPrincipal, UnitOfWork, settings_of
from app.api.graphql.context import Context
from app.api.graphql.lookahead import dumps
from app.api.graphql.schema import InstrumentaSchema, build_schema
from app.api.problems import HTTP_CODES, problem
from app.core.errors import InvalidInput
from app.core.settings import Settings

STATIC = Path(__file__).parent / "static"
ASSETS = "/graphql/assets"

IDE_PAGE = f"""<!doctype html>
<html lang="pt-BR">
<head>
  <meta charset="utf-8">
  <title>Instrumenta — GraphQL</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="{ASSETS}/graphiql.min.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Carregando…</div>
  <script src="{ASSETS}/react.production.min.js"></script>
  <script src="{ASSETS}/react-dom.production.min.js"></script>
  <script src="{ASSETS}/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: window.location.pathname }});
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{
        fetcher,
        defaultQuery: [
          "# Uma região, seus municípios e os instrumentos de cada um",
          "{{",
          "  region(code: \\"13001\\") {{",
          "    name",
          "    municipalities {{",
          "      name",
          "      instruments(first: 5) {{ nodes {{ kind year status situation }} }}",
          "    }}",
          "  }}",
          "}}",
          "",
        ].join("\\n"),
      }})
    );
  </script>
</body>
</html>
"""


async def _context(request: Request, repositories: UnitOfWork, principal: CurrentPrincipal) -> Context:
    return Context(repositories, principal, settings_of(request))


# A NUL in a GraphQL string: escaped in the document (\u0000 or \u{0}), or raw in a JSON variable.
_NUL_ESCAPE = re.compile(r"\\u(?:0{4}|\{0+\})", re.IGNORECASE)


def _carries_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value or _NUL_ESCAPE.search(value) is not None
    if isinstance(value, dict):
        return any(_carries_nul(item) for item in value.values())
    if isinstance(value, list):
        return any(_carries_nul(item) for item in value)
    return False


class _Router(GraphQLRouter[Context, None]):
    def encode_json(self, data: object) -> str:
        return dumps(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(IDE_PAGE)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Refuse what REST refuses before it runs (text PostgreSQL cannot store), and answer
        transport errors (a body that is not JSON, a mutation over GET) as problem+json."""
        if await _nul_in(request):
            error = InvalidInput("text must not contain NUL characters", code="invalid_text")
            return problem(request, error.status, error.code, error.title, error.detail)
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            code, title = HTTP_CODES.get(exc.status_code, ("bad_request", "Bad request"))
            return problem(request, exc.status_code, code, title, exc.reason)


async def _nul_in(request: Request) -> bool:
    if request.method == "GET":
        return _carries_nul(dict(request.query_params))
    return _carries_nul(await _posted_json(request))


async def _posted_json(request: Request) -> Any:
    """The posted body as JSON, None if it is not JSON (strawberry answers that): parsed once
    for the unit of work's read test and the NUL check."""
    state = request.state
    if not hasattr(state, "posted_json"):
        try:
            state.posted_json = json.loads(await request.body())
        except ValueError:
            state.posted_json = None
    return state.posted_json


def install_graphql(app: FastAPI, settings: Settings) -> APIRouter:
    """GraphQL's assets and read test; its router is returned for the app to add."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="graphql-assets")
    schema = build_schema(settings)
    router = _Router(
        schema,
        path="/graphql",
        context_getter=_context,
        graphql_ide="graphiql",
        subscription_protocols=(),
        include_in_schema=False,
    )
    app.state.post_reads = {"/graphql": partial(_asks_only_reads, schema)}
    return router


async def _asks_only_reads(schema: InstrumentaSchema, request: Request) -> bool:
    """Whether a posted operation is a query, so it can run on the read connections."""
    body = await _posted_json(request)  # None for a multipart upload, or a body strawberry refuses
    if not isinstance(body, dict) or not isinstance(query := body.get("query"), str):
        return False
    name = body.get("operationName")
    return schema.documents.only_reads(query, name if isinstance(name, str) else None)
