"""GraphQL at /graphql over the same services, rules and unit of work as REST; GraphiQL on GET
in a browser, served from this package."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from app.api.deps import CurrentPrincipal, UnitOfWork, settings_of
from app.api.graphql.context import Context
from app.api.graphql.schema import build_schema
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
        defaultQuery: "# Uma região, seus municípios e os instrumentos de cada um\\n"
          + "{{ region(code: \\"13001\\") {{ name municipalities {{ name instruments(first: 5) "
          + "{{ nodes {{ kind year status }} }} }} }} }}\\n",
      }})
    );
  </script>
</body>
</html>
"""


async def _context(request: Request, repositories: UnitOfWork, principal: CurrentPrincipal) -> Context:
    return Context(repositories, principal, settings_of(request))


class _Router(GraphQLRouter[Context, None]):
    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(IDE_PAGE)


def install_graphql(app: FastAPI, settings: Settings) -> None:
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="graphql-assets")
    router = _Router(build_schema(settings), context_getter=_context, graphql_ide="graphiql")
    app.include_router(router, prefix="/graphql", include_in_schema=False)
