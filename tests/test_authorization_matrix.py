"""Every endpoint × every role (and anonymous), from one table. Later issues add rows.

Reading conventions: the territory (states, municipalities, regions) and organizations are
public reference data; owned objects outside the caller's scope answer 404; an operation the
role may never perform answers 403; anonymous callers of a write get 401.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.graphql.schema import build_schema
from app.core.principal import Role
from app.core.settings import Settings
from tests.support import Account, ConnectionBoundDatabase, graphql, make_account, make_region

ROLES = ("admin", "conasems", "cosems", "apoiador", "ses", "gestor", "conselho", "auditor", "anonymous")
Ids = dict[str, str]


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def only(allowed: dict[str, int], *, others: int = 403, anonymous: int = 401) -> dict[str, int]:
    return everyone(others) | {"anonymous": anonymous} | allowed


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable[[Ids], str]
    expected: dict[str, int]
    body: Callable[[Ids], Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)


AM_FILE = (
    b"region,state,city,state_code,city_code,health_region_code,health_region,population\n"
    b"Norte,Amazonas,Anori,13,130010,13002,Rio Negro e Solim\xc3\xb5es,21010\n"
)

DGMP_FILE = b"REGIAO;MUNICIPIO;EXERCICIO;FASE;TIPO_INSTRUMENTO;SITUACAO\nR;Manaus;2024;2;RAG;\n"
GOAL_FILE = (
    b"DIRETRIZ;OBJETIVO;META;INDICADOR;UNIDADE;LINHA DE BASE;ANO DA LINHA DE BASE;META DO PLANO;STATUS\n"
    b"Diretriz 1;1.1 Ampliar o acesso;Ampliar a cobertura de APS;Cobertura de APS;%;65;2025;80;Em andamento\n"
)
# Names no goal of any plan: a caller who may import gets 422 for it, one who may not 403/404 first.
ENTRIES_FILE = b"goal_id;status\n00000000-0000-0000-0000-000000000000;em_andamento\n"

TABLE = [
    Row("list states", "GET", lambda ids: "/api/v1/states", everyone(200)),
    Row("get state", "GET", lambda ids: "/api/v1/states/AM", everyone(200)),
    Row("list municipalities", "GET", lambda ids: "/api/v1/municipalities?uf=AM", everyone(200)),
    Row("get municipality", "GET", lambda ids: "/api/v1/municipalities/1303809", everyone(200)),
    Row("list regions", "GET", lambda ids: "/api/v1/regions", everyone(200)),
    Row("get region", "GET", lambda ids: "/api/v1/regions/13001", everyone(200)),
    Row(
        "create region in AM",
        "POST",
        lambda ids: "/api/v1/regions",
        only({"admin": 201, "ses": 201}),
        body=lambda ids: {"code": "13099", "name": "Região de teste"},
    ),
    Row(
        "create region in SP",
        "POST",
        lambda ids: "/api/v1/regions",
        only({"admin": 201}),
        body=lambda ids: {"code": "35099", "name": "Região de teste"},
    ),
    Row(
        "update region in AM",
        "PATCH",
        lambda ids: "/api/v1/regions/13002",
        only({"admin": 200, "ses": 200}),
        body=lambda ids: {"name": "Rio Negro e Solimões (revisada)"},
    ),
    Row(
        "update region in SP (outside an AM SES's territory: 404)",
        "PATCH",
        lambda ids: "/api/v1/regions/35001",
        only({"admin": 200, "ses": 404}),
        body=lambda ids: {"name": "Grande São Paulo"},
    ),
    Row("list organizations", "GET", lambda ids: "/api/v1/organizations", everyone(200)),
    Row("get organization", "GET", lambda ids: f"/api/v1/organizations/{ids['organization']}", everyone(200)),
    Row(
        "create organization in AM",
        "POST",
        lambda ids: "/api/v1/organizations",
        only({"admin": 201, "ses": 201}),
        body=lambda ids: {"acronym": "SES-AM/DEPLAN", "name": "Departamento de Planejamento", "uf": "AM"},
    ),
    Row(
        "create organization in SP",
        "POST",
        lambda ids: "/api/v1/organizations",
        only({"admin": 201}),
        body=lambda ids: {"acronym": "COSEMS/SP", "name": "COSEMS São Paulo", "uf": "SP"},
    ),
    Row("list users (each sees itself)", "GET", lambda ids: "/api/v1/users", only(everyone(200) | {"anonymous": 401})),
    Row(
        "get another municipality's gestor",
        "GET",
        lambda ids: f"/api/v1/users/{ids['gestor_other']}",
        only({"admin": 200}, others=404),
    ),
    Row("get own account", "GET", lambda ids: f"/api/v1/users/{ids['self']}", only(everyone(200) | {"anonymous": 401})),
    Row(
        "create user",
        "POST",
        lambda ids: "/api/v1/users",
        only({"admin": 201}),
        body=lambda ids: {
            "email": "novo@example.org",
            "name": "Novo",
            "password": "a long password",
            "role": "auditor",
        },
    ),
    Row(
        "update user",
        "PATCH",
        lambda ids: f"/api/v1/users/{ids['gestor_other']}",
        only({"admin": 200}),
        body=lambda ids: {"name": "Renomeado"},
    ),
    Row("me", "GET", lambda ids: "/api/v1/auth/me", only(everyone(200) | {"anonymous": 401})),
    Row(
        "import territory (AM lines)",
        "POST",
        lambda ids: "/api/v1/imports/territory",
        only({"admin": 200, "ses": 200}),
        files={"file": ("am.csv", AM_FILE, "text/csv")},
    ),
    Row("list instruments", "GET", lambda ids: "/api/v1/instruments", everyone(200)),
    Row(
        "get Manaus's plan (a draft: not public)",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "get São Gabriel's plan (another municipality's: 404 for Manaus's gestor and conselho)",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument_other']}",
        everyone(200) | {"gestor": 404, "conselho": 404, "anonymous": 404},
    ),
    Row(
        "create Manaus's plan",
        "POST",
        lambda ids: "/api/v1/instruments",
        only({"admin": 201, "gestor": 201}),
        body=lambda ids: {"kind": "PMS", "owner_type": "municipality", "owner": "1302603", "year": 2030},
    ),
    Row(
        "update Manaus's plan",
        "PATCH",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}",
        only({"admin": 200, "gestor": 200}),
        body=lambda ids: {"title": "Plano Municipal de Saúde 2026–2029"},
    ),
    Row(
        "move Manaus's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/transitions",
        only({"admin": 200, "gestor": 200}),
        body=lambda ids: {"to": "em_elaboracao"},
    ),
    Row(
        "history of Manaus's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/history",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "deliberate on São Gabriel's plan (not yet at the council: 409 for whoever may decide)",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument_other']}/deliberations",
        only({"admin": 409}, others=403) | {"gestor": 404, "conselho": 404},
        body=lambda ids: {"resolution_number": "12/2025", "resolution_date": "2025-11-10", "outcome": "aprovado"},
    ),
    Row(
        "deliberations on Manaus's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/deliberations",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "hearing on Manaus's plan (not an RDQA: 422 for its writers)",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/hearings",
        only({"admin": 422, "gestor": 422}),
        body=lambda ids: {"house": "Câmara Municipal de Manaus", "held_on": "2025-05-28"},
    ),
    Row(
        "hearings of Manaus's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/hearings",
        everyone(200) | {"anonymous": 404},
    ),
    Row("Manaus's calendar", "GET", lambda ids: "/api/v1/entes/municipality/1302603/calendar", everyone(200)),
    Row(
        "set Manaus's calendar",
        "PUT",
        lambda ids: "/api/v1/entes/municipality/1302603/calendar",
        only({"admin": 200, "gestor": 200}),
        body=lambda ids: {"ldo_bill_due": "04-30"},
    ),
    Row("compliance of a region", "GET", lambda ids: "/api/v1/compliance?year=2024&region=13001", everyone(200)),
    Row("panel", "GET", lambda ids: "/api/v1/panels/instruments?year=2024&uf=RR", everyone(200)),
    Row("panel series", "GET", lambda ids: "/api/v1/panels/instruments/series?from=2024&to=2025&uf=RR", everyone(200)),
    Row("audit trail", "GET", lambda ids: "/api/v1/audit-events", only({"admin": 200})),
    Row(
        "import DGMP situations for AM",
        "POST",
        lambda ids: "/api/v1/imports/dgmp-situation?uf=AM",
        only({"admin": 200, "ses": 200}),
        files={"file": ("dgmp.csv", DGMP_FILE, "text/csv")},
    ),
    Row(
        "goal tree of Manaus's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/goals",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "goal tree of São Gabriel's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument_other']}/goals?flat=true",
        everyone(200) | {"gestor": 404, "conselho": 404, "anonymous": 404},
    ),
    Row(
        "add a diretriz to Manaus's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/goals",
        only({"admin": 201, "gestor": 201}),
        body=lambda ids: {"level": "diretriz", "description": "Fortalecer a atenção primária"},
    ),
    Row(
        "add a diretriz to São Gabriel's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument_other']}/goals",
        only({"admin": 201}) | {"gestor": 404},
        body=lambda ids: {"level": "diretriz", "description": "Fortalecer a atenção primária"},
    ),
    Row(
        "import a goal matrix into Manaus's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/goals/import",
        only({"admin": 200, "gestor": 200}),
        files={"file": ("dgmp.csv", GOAL_FILE, "text/csv")},
    ),
    Row(
        "export Manaus's goal matrix",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/goals/export?format=xlsx",
        everyone(200) | {"anonymous": 404},
    ),
    Row("get a meta of Manaus", "GET", lambda ids: f"/api/v1/goals/{ids['meta']}", everyone(200) | {"anonymous": 404}),
    Row(
        "get a meta of São Gabriel",
        "GET",
        lambda ids: f"/api/v1/goals/{ids['meta_other']}",
        everyone(200) | {"gestor": 404, "conselho": 404, "anonymous": 404},
    ),
    Row(
        "update a meta of Manaus",
        "PATCH",
        lambda ids: f"/api/v1/goals/{ids['meta']}",
        only({"admin": 200, "gestor": 200}),
        body=lambda ids: {"responsible": "Diretoria de Planejamento"},
    ),
    Row(
        "delete an objetivo of Manaus (its meta has history: 409 for its writers)",
        "DELETE",
        lambda ids: f"/api/v1/goals/{ids['objetivo']}",
        only({"admin": 409, "gestor": 409}),
    ),
    Row(
        "report on a meta of Manaus",
        "POST",
        lambda ids: f"/api/v1/goals/{ids['meta']}/status-updates",
        only({"admin": 201, "gestor": 201}),
        body=lambda ids: {"status": "em_andamento", "percent_complete": 30},
    ),
    Row(
        "report on a meta of São Gabriel",
        "POST",
        lambda ids: f"/api/v1/goals/{ids['meta_other']}/status-updates",
        only({"admin": 201}) | {"gestor": 404},
        body=lambda ids: {"status": "em_andamento"},
    ),
    Row(
        "report on a meta of a regional plan of 13001 (its apoiador may)",
        "POST",
        lambda ids: f"/api/v1/goals/{ids['meta_regional']}/status-updates",
        only({"admin": 201, "ses": 201, "apoiador": 201}) | {"gestor": 404},
        body=lambda ids: {"status": "parada", "difficulties": "Falta de transporte"},
    ),
    Row(
        "import entries into Manaus's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/status-updates/import",
        only({"admin": 422, "gestor": 422}),
        files={"file": ("entradas.csv", ENTRIES_FILE, "text/csv")},
    ),
    Row(
        "import entries into São Gabriel's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument_other']}/status-updates/import",
        only({"admin": 422}) | {"gestor": 404},
        files={"file": ("entradas.csv", ENTRIES_FILE, "text/csv")},
    ),
    Row(
        "import entries into a regional plan of 13001 (its apoiador may)",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument_regional']}/status-updates/import",
        only({"admin": 422, "ses": 422, "apoiador": 422}) | {"gestor": 404},
        files={"file": ("entradas.csv", ENTRIES_FILE, "text/csv")},
    ),
    Row(
        "status updates of a meta of Manaus",
        "GET",
        lambda ids: f"/api/v1/goals/{ids['meta']}/status-updates",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "status updates of Manaus's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/status-updates",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "progress of Manaus's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/progress",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "open a monitoring round on Manaus's plan",
        "POST",
        lambda ids: f"/api/v1/instruments/{ids['instrument']}/rounds",
        only({"admin": 201, "gestor": 201}),
        body=lambda ids: {"name": "1ª reunião de monitoramento", "held_on": "2026-03-10", "kind": "meeting"},
    ),
    Row(
        "monitoring rounds of São Gabriel's plan",
        "GET",
        lambda ids: f"/api/v1/instruments/{ids['instrument_other']}/rounds",
        everyone(200) | {"gestor": 404, "conselho": 404, "anonymous": 404},
    ),
    Row(
        "report of a monitoring round of Manaus",
        "GET",
        lambda ids: f"/api/v1/rounds/{ids['round']}/report",
        everyone(200) | {"anonymous": 404},
    ),
    Row(
        "report of a monitoring round of Manaus, as XLSX",
        "GET",
        lambda ids: f"/api/v1/rounds/{ids['round']}/report?format=xlsx",
        everyone(200) | {"anonymous": 404},
    ),
    Row("liveness", "GET", lambda ids: "/health/live", everyone(200)),
    Row("readiness", "GET", lambda ids: "/health/ready", everyone(200)),
]


@pytest.fixture
async def world(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase, app: Any
) -> Ids:
    await make_region(database, "35001", "Grande SP", ("3550308",))
    created = await client.post(
        "/api/v1/organizations",
        json={"acronym": "COSEMS/AM", "name": "COSEMS Amazonas", "uf": "AM"},
        headers=accounts["admin"].headers,
    )
    plans = {}
    for municipality in ("1302603", "1303809"):
        plan = await client.post(
            "/api/v1/instruments",
            json={"kind": "PMS", "owner_type": "municipality", "owner": municipality, "year": 2026},
            headers=accounts["admin"].headers,
        )
        plans[municipality] = plan.json()["id"]
    regional = await client.post(
        "/api/v1/instruments",
        json={"kind": "PRI", "owner_type": "region", "owner": "13001", "year": 2024, "end_year": 2027},
        headers=accounts["admin"].headers,
    )
    trees = {}
    for key, instrument_id in (
        ("manaus", plans["1302603"]),
        ("other", plans["1303809"]),
        ("regional", regional.json()["id"]),
    ):
        trees[key] = await _goal_tree(client, accounts["admin"], instrument_id)
    round_ = await client.post(
        f"/api/v1/instruments/{plans['1302603']}/rounds",
        json={"name": "Reunião de março", "held_on": "2026-03-10"},
        headers=accounts["admin"].headers,
    )
    return {
        "organization": created.json()["id"],
        "gestor_other": str(accounts["gestor_other"].user.id),
        "instrument": plans["1302603"],
        "instrument_other": plans["1303809"],
        "instrument_regional": regional.json()["id"],
        "objetivo": trees["manaus"]["objetivo"],
        "meta": trees["manaus"]["meta"],
        "meta_other": trees["other"]["meta"],
        "meta_regional": trees["regional"]["meta"],
        "round": round_.json()["id"],
    }


async def _goal_tree(client: httpx.AsyncClient, admin: Account, instrument_id: str) -> dict[str, str]:
    """diretriz → objetivo → meta, the meta already reported on."""
    created = await client.post(
        f"/api/v1/instruments/{instrument_id}/goals",
        json={
            "level": "diretriz",
            "description": "Diretriz 1",
            "children": [
                {
                    "level": "objetivo",
                    "description": "Objetivo 1.1",
                    "children": [{"level": "meta", "description": "Meta 1.1.1", "deadline": "2026-12-31"}],
                }
            ],
        },
        headers=admin.headers,
    )
    objetivo = created.json()["children"][0]
    meta = objetivo["children"][0]
    reported = await client.post(
        f"/api/v1/goals/{meta['id']}/status-updates", json={"status": "nao_iniciada"}, headers=admin.headers
    )
    assert reported.status_code == 201, reported.text
    return {"objetivo": objetivo["id"], "meta": meta["id"]}


async def each_role(
    connection: AsyncConnection, world: Ids, check: Callable[[str, Ids], Awaitable[str | None]]
) -> None:
    """Run `check` for every caller on one world, each in a savepoint rolled back after it (a
    write by one caller must not change what the next one meets); report every mismatch."""
    mismatches = []
    for role in ROLES:
        savepoint = await connection.begin_nested()
        try:
            mismatch = await check(role, world)
        finally:
            await savepoint.rollback()
        if mismatch:
            mismatches.append(f"{role}: {mismatch}")
    assert not mismatches, "\n".join(mismatches)


def _ids(world: Ids, caller: Account | None) -> Ids:
    return world | {"self": str(caller.user.id) if caller else world["gestor_other"]}


@pytest.mark.parametrize("row", TABLE, ids=[row.name for row in TABLE])
async def test_authorization_matrix(
    client: httpx.AsyncClient, accounts: dict[str, Account], world: Ids, connection: AsyncConnection, row: Row
) -> None:
    async def check(role: str, world: Ids) -> str | None:
        caller = accounts.get(role)
        ids = _ids(world, caller)
        response = await client.request(
            row.method,
            row.path(ids),
            json=row.body(ids) if row.body else None,
            files=row.files,
            headers=row.headers | (caller.headers if caller else {}),
        )
        if response.status_code != row.expected[role]:
            return f"{response.status_code}, not {row.expected[role]}: {response.text[:300]}"
        if response.status_code >= 400 and response.headers["content-type"] != "application/problem+json":
            return f"{response.headers['content-type']}, not problem+json"
        return None

    await each_role(connection, world, check)


PLACEHOLDERS = {
    "organization": "{organization_id}",
    "gestor_other": "{user_id}",
    "self": "{user_id}",
    "instrument": "{instrument_id}",
    "instrument_other": "{instrument_id}",
    "instrument_regional": "{instrument_id}",
    "objetivo": "{goal_id}",
    "meta": "{goal_id}",
    "meta_other": "{goal_id}",
    "meta_regional": "{goal_id}",
    "round": "{round_id}",
}


def test_every_route_is_in_the_table(app: Any) -> None:
    """A new endpoint must join the matrix before it ships."""
    covered = {
        (
            row.method,
            row.path(PLACEHOLDERS).split("?")[0],
        )
        for row in TABLE
    }
    normalized = {
        (
            method,
            path.replace("/1303809", "/{code}")
            .replace("/13001", "/{code}")
            .replace("/13002", "/{code}")
            .replace("/35001", "/{code}")
            .replace("/AM", "/{uf}")
            .replace("/entes/municipality/1302603", "/entes/{owner_type}/{code}"),
        )
        for method, path in covered
    }
    # The schema's operations: what clients are offered (app.routes also holds the docs' own pages).
    routes = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    assert len(routes) > 50
    routes -= {("POST", "/api/v1/auth/token")}  # signing in is open to every caller (tests/test_auth.py)
    assert routes <= normalized, f"routes missing from the matrix: {sorted(routes - normalized)}"


async def test_non_admins_list_only_themselves(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    for role, account in accounts.items():
        items = (await client.get("/api/v1/users", headers=account.headers)).json()["items"]
        if role == "admin":
            assert len(items) == len(accounts)
        else:
            assert [item["id"] for item in items] == [str(account.user.id)]


async def test_gestor_of_manaus_gets_404_for_another_municipality_account(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase, app: Any
) -> None:
    other = await make_account(database, app.state.tokens, Role.CONSELHO, uf="AM", municipality="1303809")
    response = await client.get(f"/api/v1/users/{other.user.id}", headers=accounts["gestor"].headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# GraphQL: every query and mutation field, each twinned with the REST row whose outcome it must
# reproduce (null where REST says 404; an error or a Problem with REST's status otherwise).

REST_ROWS = {row.name: row for row in TABLE}


def camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key): camel(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class GqlRow:
    twin: str  # the REST row's name
    document: str  # one root field; $id, $input and friends come from `variables`
    variables: Callable[[Ids], dict[str, Any]] = lambda ids: {}

    @property
    def expected(self) -> dict[str, int]:
        return REST_ROWS[self.twin].expected


PAYLOAD = "{ __typename ... on Problem { code status } }"


def _mutation(twin: str, field: str, input_type: str, arguments: str = "", **ids: str) -> GqlRow:
    """`field(<arguments>, input: $input)` with the REST row's body as `input`; each keyword
    names a UUID variable and the world id it takes."""
    body = REST_ROWS[twin].body
    assert body is not None
    declared = "".join(f", ${name}: UUID!" for name in ids)
    given = f"{arguments}, " if arguments else ""
    document = f"mutation ($input: {input_type}!{declared}) {{ {field}({given}input: $input) {PAYLOAD} }}"
    return GqlRow(twin, document, lambda world: {"input": camel(body(world))} | {k: world[v] for k, v in ids.items()})


def _read(twin: str, field: str, selection: str, key: str) -> GqlRow:
    """`field(id: $id) { selection }` for the world's object `key`."""
    return GqlRow(twin, f"query ($id: UUID!) {{ {field}(id: $id) {{ {selection} }} }}", lambda ids: {"id": ids[key]})


MANAUS_PLAN = "get Manaus's plan (a draft: not public)"
GQL_TABLE = [
    GqlRow("list states", "{ states { nodes { uf } } }"),
    GqlRow("get state", '{ state(uf: "AM") { name } }'),
    GqlRow("list municipalities", '{ municipalities(uf: "AM") { nodes { code } } }'),
    GqlRow("get municipality", '{ municipality(code: "1303809") { name region { code } } }'),
    GqlRow("list regions", "{ regions { nodes { code } } }"),
    GqlRow("get region", '{ region(code: "13001") { name municipalities { code } membershipHistory { validFrom } } }'),
    _mutation("create region in AM", "createRegion", "RegionCreateInput"),
    _mutation("create region in SP", "createRegion", "RegionCreateInput"),
    _mutation("update region in AM", "updateRegion", "RegionPatchInput", 'code: "13002"'),
    _mutation(
        "update region in SP (outside an AM SES's territory: 404)", "updateRegion", "RegionPatchInput", 'code: "35001"'
    ),
    GqlRow("list organizations", "{ organizations { nodes { acronym } } }"),
    _read("get organization", "organization", "acronym", "organization"),
    _mutation("create organization in AM", "createOrganization", "OrganizationInput"),
    _mutation("create organization in SP", "createOrganization", "OrganizationInput"),
    GqlRow("list users (each sees itself)", "{ users { nodes { databaseId } } }"),
    _read("get another municipality's gestor", "user", "name", "gestor_other"),
    _read("get own account", "user", "name", "self"),
    _mutation("create user", "createUser", "UserCreateInput"),
    _mutation("update user", "updateUser", "UserPatchInput", "id: $id", id="gestor_other"),
    GqlRow("me", "{ me { role } }"),
    GqlRow("list instruments", "{ instruments { nodes { databaseId } } }"),
    _read(MANAUS_PLAN, "instrument", "status situation", "instrument"),
    GqlRow(
        MANAUS_PLAN, "query ($id: ID!) { node(id: $id) { id } }", lambda ids: {"id": f"Instrument:{ids['instrument']}"}
    ),
    _read(
        "get São Gabriel's plan (another municipality's: 404 for Manaus's gestor and conselho)",
        "instrument",
        "status",
        "instrument_other",
    ),
    _mutation("create Manaus's plan", "createInstrument", "InstrumentCreateInput"),
    _mutation("update Manaus's plan", "updateInstrument", "InstrumentPatchInput", "id: $id", id="instrument"),
    _mutation("move Manaus's plan", "transitionInstrument", "TransitionInput", "id: $id", id="instrument"),
    _read("history of Manaus's plan", "instrument", "history { toStatus }", "instrument"),
    _mutation(
        "deliberate on São Gabriel's plan (not yet at the council: 409 for whoever may decide)",
        "recordDeliberation",
        "DeliberationInput",
        "instrumentId: $id",
        id="instrument_other",
    ),
    _read("deliberations on Manaus's plan", "instrument", "deliberations { outcome }", "instrument"),
    _mutation(
        "hearing on Manaus's plan (not an RDQA: 422 for its writers)",
        "recordHearing",
        "HearingInput",
        "instrumentId: $id",
        id="instrument",
    ),
    _read("hearings of Manaus's plan", "instrument", "hearings { heldOn }", "instrument"),
    GqlRow("Manaus's calendar", '{ calendar(ownerType: municipality, code: "1302603") { ldoBillDue } }'),
    _mutation("set Manaus's calendar", "setCalendar", "CalendarInput", 'ownerType: municipality, code: "1302603"'),
    GqlRow("compliance of a region", '{ compliance(year: 2024, region: "13001") { nodes { owner } } }'),
    GqlRow("panel", '{ panels(year: 2024, uf: "RR") { groups { key } } }'),
    GqlRow("panel series", '{ panelSeries(fromYear: 2024, toYear: 2025, uf: "RR") { groups { key } } }'),
    GqlRow("audit trail", "{ auditEvents { nodes { action } } }"),
    _read(
        "goal tree of Manaus's plan", "instrument", "goalTree { description children { description } }", "instrument"
    ),
    _read(
        "goal tree of São Gabriel's plan",
        "instrument",
        "goals { nodes { description currentStatus { status } } }",
        "instrument_other",
    ),
    _mutation("add a diretriz to Manaus's plan", "createGoal", "GoalCreateInput", "instrumentId: $id", id="instrument"),
    _mutation(
        "add a diretriz to São Gabriel's plan",
        "createGoal",
        "GoalCreateInput",
        "instrumentId: $id",
        id="instrument_other",
    ),
    _read("get a meta of Manaus", "goal", "status overdue instrument { kind } children { level }", "meta"),
    _read("get a meta of São Gabriel", "goal", "status", "meta_other"),
    _mutation("update a meta of Manaus", "updateGoal", "GoalPatchInput", "id: $id", id="meta"),
    GqlRow(
        "delete an objetivo of Manaus (its meta has history: 409 for its writers)",
        "mutation ($id: UUID!) { deleteGoal(id: $id) " + PAYLOAD + " }",
        lambda ids: {"id": ids["objetivo"]},
    ),
    _mutation("report on a meta of Manaus", "reportStatus", "StatusUpdateInput", "goalId: $id", id="meta"),
    _mutation("report on a meta of São Gabriel", "reportStatus", "StatusUpdateInput", "goalId: $id", id="meta_other"),
    _mutation(
        "report on a meta of a regional plan of 13001 (its apoiador may)",
        "reportStatus",
        "StatusUpdateInput",
        "goalId: $id",
        id="meta_regional",
    ),
    _read("status updates of a meta of Manaus", "goal", "statusUpdates { status supersededBy }", "meta"),
    _read("status updates of Manaus's plan", "instrument", "statusUpdates { nodes { status } }", "instrument"),
    _read("progress of Manaus's plan", "instrument", "progress { metas overdue { daysOverdue } }", "instrument"),
    _mutation(
        "open a monitoring round on Manaus's plan", "createRound", "RoundInput", "instrumentId: $id", id="instrument"
    ),
    _read("monitoring rounds of São Gabriel's plan", "instrument", "rounds { name }", "instrument_other"),
    _read("report of a monitoring round of Manaus", "round", "name report { asOf tree { description } }", "round"),
]


def _outcome(body: dict[str, Any]) -> int:
    """REST's status for a GraphQL answer: an error's status, a Problem's, 404 for null."""
    if body.get("errors"):
        return int(body["errors"][0]["extensions"]["status"])
    value = next(iter(body["data"].values()))
    if value is None:
        return 404
    if isinstance(value, dict) and value.get("__typename") == "Problem":
        return int(value["status"])
    return 200


@pytest.mark.parametrize("row", GQL_TABLE, ids=[f"graphql {row.twin} {row.document[:40]}" for row in GQL_TABLE])
async def test_graphql_authorization_matrix(
    client: httpx.AsyncClient, accounts: dict[str, Account], world: Ids, connection: AsyncConnection, row: GqlRow
) -> None:
    async def check(role: str, world: Ids) -> str | None:
        caller = accounts.get(role)
        headers = caller.headers if caller else None
        body = await graphql(client, row.document, row.variables(_ids(world, caller)), headers=headers)
        expected = row.expected[role]
        outcome = _outcome(body)
        return None if outcome == (200 if expected in (200, 201, 204) else expected) else f"{outcome}: {body}"

    await each_role(connection, world, check)


def test_every_graphql_field_is_in_the_table() -> None:
    """A new query or mutation joins the matrix before it ships."""
    schema = build_schema(Settings())._schema
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    fields = set(schema.query_type.fields) | set(schema.mutation_type.fields)
    covered = {re.search(r"\{\s*(\w+)", row.document).group(1) for row in GQL_TABLE}  # type: ignore[union-attr]
    assert fields <= covered, f"fields missing from the matrix: {sorted(fields - covered)}"
