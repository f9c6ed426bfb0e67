"""What is measured: each scenario's request on every stack that serves it, and its pgbench
script. Targets (instrument ids, region codes) are drawn once per dataset into `bench_target`,
so every stack and pgbench draw from the same keys."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bench import sql

PANEL_YEAR = 2024
REST_CONCURRENCY = (1, 16, 64)
GRAPHQL_CONCURRENCY = (1, 16)

_STATUS_FIELDS = """databaseId goalId roundId reportedOn status statusLabel percentComplete achievedValue details
  difficulties expectedDelivery nextSteps partialProduct responsible supersedes supersededBy authorId recordedAt"""
_GOAL_FIELDS = f"""databaseId instrumentId parentId level levelLabel number description indicatorName indicatorUnit
  polarity baselineValue baselineYear targetValue yearlyTargets {{ year value }} deadline deadlinePrecision prazo
  responsible responsibleUserId partners scope status overdue daysOverdue version
  currentStatus {{ {_STATUS_FIELDS} }}"""

GRAPHQL_PAGE = f"""query Page($id: UUID!) {{ instrument(id: $id) {{ goals(first: {sql.PAGE_SIZE}, level: meta) {{
  edges {{ node {{ {_GOAL_FIELDS} }} }} pageInfo {{ endCursor hasNextPage }} }} }} }}"""

# The GraphQL issue's nested read: region → municipalities → instruments → goals → current status.
GRAPHQL_NESTED = f"""query Nested($code: String!) {{ region(code: $code) {{ code name municipalities {{ code name
  instruments {{ edges {{ node {{ databaseId kind year status
    goals(first: {sql.NESTED_GOALS}) {{ edges {{ node {{ databaseId number description deadline
      currentStatus {{ reportedOn status percentComplete }} }} }} }} }} }} }} }} }} }}"""

# The same reads in PostGraphile's generated names; `currentStatus` is the bench's computed
# column `goal_current_status` (see POSTGRAPHILE_FUNCTION).
POSTGRAPHILE_NESTED = f"""query Nested($code: String!) {{ healthRegionByCode(code: $code) {{ code name
  regionMembershipsByRegionCodeList(condition: {{ validTo: null }}, orderBy: MUNICIPALITY_CODE_ASC) {{
    municipalityByMunicipalityCode {{ code name
      instrumentsByMunicipalityCodeList(first: 50, orderBy: PRIMARY_KEY_ASC) {{ id kind year status
        goalsByInstrumentIdList(first: {sql.NESTED_GOALS}, orderBy: SORT_KEY_ASC) {{ id number description deadline
          currentStatus {{ reportedOn status percentComplete }} }} }} }} }} }} }}"""

POSTGRAPHILE_PAGE = f"""query Page($id: UUID!) {{ instrumentById(id: $id) {{
  goalsByInstrumentIdList(first: {sql.PAGE_SIZE}, condition: {{ level: "meta" }}, orderBy: SORT_KEY_ASC) {{
    id instrumentId parentId level number description indicatorName indicatorUnit polarity baselineValue
    baselineYear targetValue yearlyTargets deadline deadlinePrecision responsible responsibleUserId partners scope
    version currentStatus {{ id goalId roundId reportedOn status percentComplete achievedValue details difficulties
      expectedDelivery nextSteps partialProduct responsible supersedesId authorId recordedAt }} }} }} }}"""

POSTGRAPHILE_FUNCTION = """CREATE OR REPLACE FUNCTION goal_current_status(g goal) RETURNS status_update
LANGUAGE sql STABLE AS $$
  SELECT s.* FROM status_update s WHERE s.goal_id = g.id AND s.reported_on <= current_date
    AND NOT EXISTS (SELECT 1 FROM status_update c WHERE c.supersedes_id = s.id)
  ORDER BY s.reported_on DESC, s.id DESC LIMIT 1
$$"""
# PostGraphile draws its relations from foreign keys; the goal table's references are kept by
# triggers (migration 0017), so the peer is told of them as its smart comments let it be.
POSTGRAPHILE_RELATIONS = """COMMENT ON TABLE goal IS
  E'@foreignKey (instrument_id) references instrument (id)\\n@foreignKey (parent_id) references goal (id)'"""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    target: str  # the bench_target scenario its keys come from ('' for none)
    concurrency: tuple[int, ...]
    # stack -> (method, path template, body template or None); {key} is the target key
    requests: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    pgbench: str | None = None  # floor SQL with {target}


def _graphql(query: str, variable: str) -> str:
    # A JSON body with the key's place left as {key}; braces of the document are doubled for format().
    body = json.dumps({"query": " ".join(query.split()), "variables": {variable: "KEY"}})
    return body.replace("{", "{{").replace("}", "}}").replace('"KEY"', '"{key}"')


def _lookup(scenario: str, cast: str) -> str:
    return f"(SELECT key::{cast} FROM bench_target WHERE scenario = '{scenario}' AND n = :n)"


SCENARIOS = (
    Scenario(
        "goals_page",
        "REST: 100 metas with current status",
        "page",
        REST_CONCURRENCY,
        {
            "product": ("GET", "/api/v1/instruments/{key}/goals?flat=true&level=meta&limit=100", None),
            "floor": ("GET", "/goals/{key}", None),
        },
        sql.GOALS_PAGE.replace("{target}", _lookup("page", "uuid")),
    ),
    Scenario(
        "instrument",
        "REST: one instrument by id",
        "instrument",
        REST_CONCURRENCY,
        {
            "product": ("GET", "/api/v1/instruments/{key}", None),
            "floor": ("GET", "/instruments/{key}", None),
        },
        sql.INSTRUMENT.replace("{target}", _lookup("instrument", "uuid")),
    ),
    Scenario(
        "panel",
        f"REST: national compliance panel, {PANEL_YEAR}",
        "",
        REST_CONCURRENCY,
        {
            "product": ("GET", f"/api/v1/panels/instruments?year={PANEL_YEAR}", None),
            "floor": ("GET", "/panel", None),
        },
        sql.panel(PANEL_YEAR),
    ),
    Scenario(
        "graphql_page",
        "GraphQL: 100 metas with current status",
        "page",
        GRAPHQL_CONCURRENCY,
        {
            "product": ("POST", "/graphql", _graphql(GRAPHQL_PAGE, "id")),
            "rest": ("GET", "/api/v1/instruments/{key}/goals?flat=true&level=meta&limit=100", None),
            "postgraphile": ("POST", "/graphql", _graphql(POSTGRAPHILE_PAGE, "id")),
        },
    ),
    Scenario(
        "graphql_nested",
        "GraphQL: region → municipalities → instruments → 20 goals → current status",
        "region",
        GRAPHQL_CONCURRENCY,
        {
            "product": ("POST", "/graphql", _graphql(GRAPHQL_NESTED, "code")),
            "floor": ("GET", "/nested/{key}", None),
            "postgraphile": ("POST", "/graphql", _graphql(POSTGRAPHILE_NESTED, "code")),
        },
        sql.NESTED.replace("{target}", _lookup("region", "text")),
    ),
)
