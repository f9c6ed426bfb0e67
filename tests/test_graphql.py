"""GraphQL at /graphql: connections with REST's cursors, node(id:), typed errors, limits,
masked failures, savepoints per mutation, the schema file, and GraphiQL served offline."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.graphql.schema import build_schema
from app.core.settings import Settings
from app.domain.documents import DocumentService
from app.domain.goals import GoalService
from app.domain.territory import TerritoryService
from app.main import create_app
from app.repositories import Repositories
from tests.support import MANAUS, Account, ConnectionBoundDatabase, graphql, statements_run

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"


async def test_municipalities_page_with_rest_cursors(client: httpx.AsyncClient) -> None:
    query = """query ($after: String) { municipalities(uf: "AM", q: "sao", first: 2, after: $after) {
        edges { cursor node { code name } } pageInfo { hasNextPage endCursor } } }"""
    rest = (await client.get("/api/v1/municipalities", params={"uf": "AM", "q": "sao", "limit": 2})).json()
    first = (await graphql(client, query))["data"]["municipalities"]
    assert [edge["node"]["code"] for edge in first["edges"]] == [item["code"] for item in rest["items"]]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": rest["next_cursor"]}
    # Each edge's cursor resumes after it, as REST's cursor does.
    after_first = (await graphql(client, query, {"after": first["edges"][0]["cursor"]}))["data"]["municipalities"]
    assert after_first["edges"][0]["node"] == first["edges"][1]["node"]
    rest_next = (
        await client.get(
            "/api/v1/municipalities", params={"uf": "AM", "q": "sao", "limit": 2, "cursor": rest["next_cursor"]}
        )
    ).json()
    second = (await graphql(client, query, {"after": first["pageInfo"]["endCursor"]}))["data"]["municipalities"]
    assert [edge["node"]["code"] for edge in second["edges"]] == [item["code"] for item in rest_next["items"]]


async def test_page_size_is_capped_as_in_rest(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ states(first: 201) { nodes { uf } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "invalid_input"
    assert "between 1 and 200" in body["errors"][0]["message"]
    forged = await graphql(client, '{ states(after: "bm90IGEgY3Vyc29y") { nodes { uf } } }')
    assert forged["errors"][0]["extensions"]["code"] == "invalid_cursor"


async def test_page_size_cap_is_configurable(settings: Settings, database: ConnectionBoundDatabase) -> None:
    app = create_app(settings.model_copy(update={"graphql_max_page_size": 10}), database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        body = await graphql(client, "{ states(first: 11) { nodes { uf } } }")
    assert "between 1 and 10" in body["errors"][0]["message"]


async def test_node_finds_each_kind_by_its_global_id(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"].headers
    created = await graphql(
        client,
        """mutation { createInstrument(input: {kind: PMS, ownerType: municipality, owner: "1302603", year: 2026}) {
            ... on Instrument { id databaseId kind } } }""",
        headers=admin,
    )
    instrument = created["data"]["createInstrument"]
    assert instrument["id"] == f"Instrument:{instrument['databaseId']}"
    for global_id, field in (
        ("State:AM", "uf"),
        (f"Municipality:{MANAUS}", "code"),
        ("Region:13001", "code"),
        (instrument["id"], "kind"),
    ):
        found = await graphql(
            client,
            """query ($id: ID!) { node(id: $id) { id __typename ... on State { uf }
                ... on Municipality { code } ... on Region { code } ... on Instrument { kind } } }""",
            {"id": global_id},
            headers=admin,
        )
        assert found["data"]["node"]["id"] == global_id, found
        assert found["data"]["node"][field]
    for unknown in ("Instrument:not-a-uuid", "Nothing:1", "Instrument", "Region:99999"):
        assert (await graphql(client, "query ($id: ID!) { node(id: $id) { id } }", {"id": unknown}))["data"] == {
            "node": None
        }
    # A draft instrument is out of an anonymous caller's scope: absent, as REST's 404.
    anonymous = await graphql(client, "query ($id: ID!) { node(id: $id) { id } }", {"id": instrument["id"]})
    assert anonymous["data"] == {"node": None}


async def test_a_region_with_its_members_history_and_their_regions(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    body = await graphql(
        client,
        """{ region(code: "13001") { code name municipalities { code region { code } }
            membershipHistory { municipalityCode validFrom validTo } } }""",
    )
    rest = (await client.get("/api/v1/regions/13001")).json()
    region = body["data"]["region"]
    assert [m["code"] for m in region["municipalities"]] == [m["code"] for m in rest["municipalities"]]
    assert {m["region"]["code"] for m in region["municipalities"]} == {"13001"}
    assert len(region["membershipHistory"]) == len(rest["membership_history"])


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{ region(code: "13001") { ' + "municipalities { region { " * 8 + "code" + " } }" * 8 + " } }", "depth"),
        ("{ " + " ".join(f"a{i}: states {{ nodes {{ uf }} }}" for i in range(40)) + " }", "aliases"),
        ("{ states { nodes { " + "uf " * 3000 + "} } }", "tokens"),
        ("{ states { nodes { uf } }", "Syntax Error"),
        ("{ nothingHere }", "Cannot query field"),
    ],
    ids=["depth bomb", "alias bomb", "token bomb", "syntax", "unknown field"],
)
async def test_bombs_and_bad_documents_are_refused_before_any_sql(
    client: httpx.AsyncClient, connection: AsyncConnection, document: str, message: str
) -> None:
    async with statements_run(connection) as statements:
        response = await client.post("/graphql", json={"query": document})
    assert response.status_code in (200, 400)
    body = response.json()
    assert body.get("data") is None
    error = body["errors"][0]
    assert message.lower() in error["message"].lower(), error
    assert error["extensions"]["code"] == "invalid_query"
    assert statements == []


async def test_each_document_is_parsed_once_and_a_bad_one_refused_every_time(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    parse = strawberry_schema.parse

    def counted(query: str, **options: Any) -> Any:
        parsed.append(query)
        return parse(query, **options)

    monkeypatch.setattr(strawberry_schema, "parse", counted)
    good, bad = "{ states(first: 2) { nodes { uf } } }", "{ states(first: 2) { nodes { uf } }"
    answers = [await graphql(client, document) for document in (good, bad, good, bad)]
    assert answers[0] == answers[2] == {"data": {"states": {"nodes": [{"uf": "RO"}, {"uf": "AC"}]}}}
    for refused in (answers[1], answers[3]):
        assert refused["errors"][0]["extensions"]["code"] == "invalid_query"
    assert parsed == [good, bad, bad]


async def test_the_limits_are_configurable(settings: Settings, database: ConnectionBoundDatabase) -> None:
    tight = settings.model_copy(update={"graphql_max_depth": 2, "graphql_max_aliases": 0})
    app = create_app(tight, database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        deep = await graphql(client, '{ region(code: "13001") { municipalities { region { code } } } }')
        aliased = await graphql(client, "{ a: states { nodes { uf } } }")
    assert "exceeds maximum operation depth of 2" in deep["errors"][0]["message"]
    assert "aliases" in aliased["errors"][0]["message"]


async def test_introspection_works(client: httpx.AsyncClient) -> None:
    from graphql import get_introspection_query

    body = await graphql(client, get_introspection_query(descriptions=True))
    assert "errors" not in body, body.get("errors")
    names = {item["name"] for item in body["data"]["__schema"]["types"]}
    assert {"Instrument", "Goal", "StatusUpdate", "Problem", "Node", "InstrumentConnection"} <= names


def test_schema_file_matches_the_code() -> None:
    """`make schema` rewrites it; clients and reviewers read the contract from the file."""
    assert SCHEMA_FILE.read_text() == build_schema(Settings()).as_str() + "\n", "run `make schema`"


async def test_unexpected_failures_are_masked(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: Any, *args: Any) -> Any:
        raise RuntimeError("connection string with a password in it")

    monkeypatch.setattr(DocumentService, "region", broken)  # the whole read
    monkeypatch.setattr(TerritoryService, "region_row", broken)  # and field by field
    body = await graphql(client, '{ region(code: "13001") { name } states(first: 1) { nodes { uf } } }')
    error = body["errors"][0]
    assert error["extensions"] == {"code": "internal_error", "status": 500}
    assert error["path"] == ["region"]
    assert "password" not in str(body)
    assert body["data"] == {"region": None, "states": {"nodes": [{"uf": "RO"}]}}  # the sibling still answers


async def test_sibling_fields_share_the_session_safely(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    """Many root fields and loaders at once: one session, used one statement at a time."""
    aliases = " ".join(
        f'r{code}: region(code: "{code}") {{ municipalities {{ region {{ code }} instruments {{ nodes {{ id }} }} }} }}'
        for code in ("13001", "13002")
    )
    body = await graphql(
        client, "{ " + aliases + ' states { nodes { uf } } municipalities(uf: "AM") { nodes { code } } }'
    )
    assert "errors" not in body, body["errors"]
    assert len(body["data"]["states"]["nodes"]) == 27


async def test_graphiql_is_served_from_the_package(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "GraphiQL" in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(source.startswith("/graphql/assets/") for source in sources), sources
    assert "http://" not in page.text
    assert "https://" not in page.text
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 1000


async def test_each_mutation_is_all_or_nothing(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    """Two mutations in one request: the refused one leaves nothing, the other stands."""
    admin = accounts["admin"].headers
    created = await graphql(
        client,
        """mutation { createInstrument(input: {kind: PMS, ownerType: municipality, owner: "1302603", year: 2026}) {
            ... on Instrument { databaseId } } }""",
        headers=admin,
    )
    instrument_id = created["data"]["createInstrument"]["databaseId"]
    body = await graphql(
        client,
        """mutation ($id: UUID!) {
            good: createGoal(instrumentId: $id, input: {level: diretriz, description: "Diretriz 1"}) {
                __typename ... on Goal { description } }
            bad: createGoal(instrumentId: $id, input: {level: diretriz, description: "Diretriz 2", children: [
                {level: objetivo, description: "Objetivo 2.1"}, {level: diretriz, description: "fora do lugar"}]}) {
                __typename ... on Problem { code status allowed } } }""",
        {"id": instrument_id},
        headers=admin,
    )
    assert body["data"]["good"] == {"__typename": "Goal", "description": "Diretriz 1"}
    assert body["data"]["bad"] == {
        "__typename": "Problem",
        "code": "invalid_level",
        "status": 422,
        "allowed": ["objetivo"],
    }
    tree = (await client.get(f"/api/v1/instruments/{instrument_id}/goals", headers=admin)).json()
    assert [node["description"] for node in tree] == ["Diretriz 1"]


async def test_input_is_validated_as_rest_validates_its_body(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    body = await graphql(
        client,
        """mutation { createInstrument(input: {kind: PMS, ownerType: municipality, owner: "1302603", year: 2026,
            documentUrl: "not a url", title: "x"}) { ... on Problem { code status errors { loc message } } } }""",
        headers=accounts["admin"].headers,
    )
    problem = body["data"]["createInstrument"]
    assert problem["code"] == "invalid_input"
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"] == ["input", "document_url"]


async def test_an_invalid_token_is_refused_as_in_rest(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_limits_come_from_settings() -> None:
    settings = Settings(jwt_secret=SecretStr("x" * 40), graphql_max_tokens=150)
    schema = build_schema(settings)
    result = schema.execute_sync("{ states { nodes { " + "uf " * 200 + "} } }")
    assert result.errors
    assert "tokens" in result.errors[0].message


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ('{ state(uf: "\\u0000") { name } }', {}),
        ('{ state(uf: "\\u{0}") { name } }', {}),
        ("query ($q: String) { municipalities(q: $q) { nodes { code } } }", {"q": "sao\x00"}),
        (
            "mutation ($i: InstrumentCreateInput!) { createInstrument(input: $i) { __typename } }",
            {"i": {"kind": "PMS", "ownerType": "municipality", "owner": MANAUS, "year": 2026, "notes": "a\x00"}},
        ),
    ],
    ids=["escaped in the document", "braced escape", "in a variable", "in a mutation's input"],
)
async def test_nul_characters_are_refused_as_rest_refuses_them(
    client: httpx.AsyncClient, accounts: dict[str, Account], document: str, variables: dict[str, Any]
) -> None:
    admin = accounts["admin"].headers
    response = await client.post("/graphql", json={"query": document, "variables": variables}, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_text"
    listed = (await client.get(f"/api/v1/instruments?municipality={MANAUS}", headers=admin)).json()
    assert listed["items"] == []


async def test_transport_errors_are_problems(client: httpx.AsyncClient) -> None:
    not_json = await client.post("/graphql", content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == "application/problem+json"
    over_get = await client.get(
        "/graphql",
        params={"query": 'mutation { deleteGoal(id: "00000000-0000-0000-0000-000000000000") { __typename } }'},
    )
    assert over_get.status_code == 400
    assert over_get.json()["detail"] == "mutations are not allowed when using GET"
    read_over_get = await client.get("/graphql", params={"query": '{ state(uf: "AM") { name } }'})
    assert read_over_get.json() == {"data": {"state": {"name": "Amazonas"}}}


async def test_values_of_the_wrong_type_are_invalid_input(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "query ($id: UUID!) { instrument(id: $id) { status } }", {"id": "not-a-uuid"})
    assert body["errors"][0]["extensions"] == {"code": "invalid_input", "status": 422}
    nested = await graphql(
        client, f'{{ municipality(code: "{MANAUS}") {{ instruments(year: 1900) {{ nodes {{ year }} }} }} }}'
    )
    assert nested["errors"][0]["extensions"]["code"] == "invalid_input"


async def test_each_mutation_sees_what_the_ones_before_it_wrote(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    """Loaders start afresh after every write: no stale or expired rows in later payloads."""
    ses = accounts["ses"].headers
    regions = await graphql(
        client,
        """mutation {
            a: updateRegion(code: "13002", input: {municipalities: ["1300102", "1300201"]}) {
                ... on Region { municipalities { code } } }
            b: updateRegion(code: "13002", input: {municipalities: ["1300102"]}) {
                ... on Region { municipalities { code } } } }""",
        headers=ses,
    )
    assert regions["data"]["a"]["municipalities"] == [{"code": "1300102"}, {"code": "1300201"}]
    assert regions["data"]["b"]["municipalities"] == [{"code": "1300102"}]
    admin = accounts["admin"].headers
    created = await graphql(
        client,
        """mutation { createInstrument(input: {kind: PMS, ownerType: municipality, owner: "1302603", year: 2026}) {
            ... on Instrument { databaseId } } }""",
        headers=admin,
    )
    goals = await graphql(
        client,
        """mutation ($id: UUID!) {
            a: createGoal(instrumentId: $id, input: {level: diretriz, description: "D1"}) {
                ... on Goal { instrument { goalTree { description } } } }
            refused: updateInstrument(id: $id, input: {title: "x"}, expectedVersion: 99) { __typename }
            b: createGoal(instrumentId: $id, input: {level: diretriz, description: "D2"}) {
                ... on Goal { instrument { goalTree { description } goals { nodes { description } } } } } }""",
        {"id": created["data"]["createInstrument"]["databaseId"]},
        headers=admin,
    )
    assert "errors" not in goals, goals["errors"]
    assert goals["data"]["a"]["instrument"]["goalTree"] == [{"description": "D1"}]
    assert goals["data"]["b"]["instrument"]["goalTree"] == [{"description": "D1"}, {"description": "D2"}]


async def test_a_read_failing_after_a_write_does_not_lose_the_write(
    client: httpx.AsyncClient, accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payload's reads run in savepoints once the request has written: a database error
    there is that field's error, and the write stands."""

    async def failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        await self.repositories.session.execute(text("SELECT 1 / 0"))

    monkeypatch.setattr(GoalService, "pages", failing)
    admin = accounts["admin"].headers
    body = await graphql(
        client,
        """mutation { createInstrument(input: {kind: PMS, ownerType: municipality, owner: "1302603", year: 2026}) {
            ... on Instrument { databaseId goals { nodes { description } } } } }""",
        headers=admin,
    )
    assert body["errors"][0]["extensions"]["code"] == "internal_error"
    listed = (await client.get(f"/api/v1/instruments?municipality={MANAUS}", headers=admin)).json()
    assert len(listed["items"]) == 1


async def test_an_instrument_read_as_of_a_day_shows_its_goals_as_of_that_day(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"].headers
    plan = (
        await client.post(
            "/api/v1/instruments",
            json={"kind": "PMS", "owner_type": "municipality", "owner": MANAUS, "year": 2022},
            headers=admin,
        )
    ).json()
    tree = await client.post(
        f"/api/v1/instruments/{plan['id']}/goals",
        json={"level": "meta", "description": "M", "deadline": "2023-01-01"}
        | {
            "level": "diretriz",
            "children": [
                {
                    "level": "objetivo",
                    "description": "O",
                    "children": [{"level": "meta", "description": "M", "deadline": "2023-01-01"}],
                }
            ],
            "description": "D",
        },
        headers=admin,
    )
    meta = tree.json()["children"][0]["children"][0]["id"]
    await client.post(
        f"/api/v1/goals/{meta}/status-updates", json={"status": "concluida", "reported_on": "2024-06-01"}, headers=admin
    )
    body = await graphql(
        client,
        f'{{ instrument(id: "{plan["id"]}", asOf: "2023-06-01") {{ goals(level: meta) {{ nodes {{ status overdue }} }} '
        "goalTree { children { children { status overdue } } } progress { asOf } } }",
        headers=admin,
    )
    instrument = body["data"]["instrument"]
    assert instrument["goals"]["nodes"] == [{"status": None, "overdue": True}]
    assert instrument["goalTree"][0]["children"][0]["children"] == [{"status": None, "overdue": True}]
    assert instrument["progress"] == {"asOf": "2023-06-01"}


async def test_current_statuses_of_many_goals_take_one_parameter(database: ConnectionBoundDatabase) -> None:
    """A nested read may list tens of thousands of metas: more than PostgreSQL's bind limit."""
    async with database.session() as session:
        found = await Repositories(session).goals.current_updates_in(
            [uuid.uuid4()], date(2026, 1, 1), [uuid.uuid4() for _ in range(40_000)]
        )
    assert found == {}


async def test_a_query_seen_before_runs_on_the_read_connections_and_a_mutation_never_does(
    client: httpx.AsyncClient,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_only: list[bool] = []
    open_session = database.session

    def recording(**mode: bool) -> Any:
        read_only.append(mode.get("read_only", False))
        return open_session(**mode)

    monkeypatch.setattr(database, "session", recording)
    admin = accounts["admin"].headers
    create = """mutation { createInstrument(input: {kind: PMS, ownerType: municipality, owner: "1302603", year: 2026}) {
        __typename } }"""
    both = "query states { states { nodes { uf } } } " + create.replace("mutation", "mutation create", 1)
    for _ in range(2):
        assert "errors" not in await graphql(client, "{ states { nodes { uf } } }", headers=admin)
        await graphql(client, create, headers=admin)
        await client.post("/graphql", json={"query": both, "operationName": "create"}, headers=admin)
    assert read_only == [False, False, False, True, False, False]
    assert (await client.post("/graphql", json={"query": both, "operationName": "states"})).status_code == 200
    assert read_only[-1] is True
