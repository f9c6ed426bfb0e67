"""The instrument list and one instrument by id are written by PostgreSQL (app.repositories.documents,
in InstrumentOut's shape) while the writes answer with InstrumentOut, written by Pydantic. Both must
give each instrument the same body: these tests hold the two writers together across owners, kinds,
periods, deadlines (past, future, none), milestones, situations and awkward text, and the list's
pages and filters to the ORM's page (InstrumentService.page)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import col

from app.api.routes.instruments import InstrumentOut, instrument_out
from app.core.pagination import PageRequest
from app.domain.instruments import InstrumentQuery, InstrumentService
from app.repositories import Repositories, documents, goals
from app.repositories.tables import Instrument
from tests.support import MANAUS, SAO_GABRIEL, Account, ConnectionBoundDatabase, principal_of_account

DAYS = [None, "2019-01-01", "2024-03-30", "2024-04-01", "2024-06-01", "2031-12-31"]
AWKWARD = {
    "title": 'Plano "Saúde em Rede" — 2022–2025\nrevisão',
    "notes": "Aprovado com ressalvas: \\ barra, \t tabulação, emoji 🩺, ç/ã/õ",
    "document_url": "https://transparencia.example.gov.br/plano?id=1&ver=2",
}


async def _created(client: httpx.AsyncClient, account: Account, body: dict[str, Any]) -> str:
    response = await client.post("/api/v1/instruments", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _instruments(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> list[str]:
    admin = accounts["admin"]
    organization = await client.post(
        "/api/v1/organizations",
        json={"acronym": "COSEMS/AM", "name": "COSEMS Amazonas", "uf": "AM"},
        headers=admin.headers,
    )
    manaus = {"owner_type": "municipality", "owner": "1302603"}
    bodies: list[dict[str, Any]] = [
        {"kind": "PMS", "year": 2022, **manaus, **AWKWARD},
        {"kind": "PAS", "year": 2024, **manaus},
        {"kind": "RAG", "year": 2023, **manaus},
        {"kind": "RDQA", "year": 2024, "quadrimester": 1, **manaus},
        {"kind": "RDQA", "year": 2023, "quadrimester": 2, **manaus},
        {"kind": "PES", "owner_type": "state", "owner": "AM", "year": 2024},
        {"kind": "PRI", "owner_type": "region", "owner": "13001", "year": 2024, "end_year": 2027},
        {"kind": "PLANO_ACAO", "owner_type": "organization", "owner": organization.json()["id"], "year": 2024},
    ]
    ids = [await _created(client, admin, body) for body in bodies]
    started = await client.post(
        f"/api/v1/instruments/{ids[0]}/transitions", json={"to": "em_elaboracao"}, headers=admin.headers
    )
    assert started.status_code == 200, started.text
    async with database.session() as session:  # the RDQAs' councils received them: one on time, one late
        for instrument_id in ids[3:5]:
            await session.execute(
                sa.update(Instrument).where(col(Instrument.id) == instrument_id).values(milestone_on=date(2024, 4, 2))
            )
        await session.commit()
    return ids


async def _pydantic(database: ConnectionBoundDatabase, account: Account, query: InstrumentQuery) -> list[Any]:
    """InstrumentService.page's page of 100, each instrument as InstrumentOut writes it."""
    async with database.session() as session:
        repositories = Repositories(session)
        principal = await principal_of_account(repositories, account)
        found = await InstrumentService(repositories).page(principal, PageRequest(limit=100), query)
    return [instrument_out(item).model_dump(mode="json") for item in found.items]


async def _listed(client: httpx.AsyncClient, account: Account, limit: int, **params: Any) -> list[Any]:
    """Every item of the REST list, page after page."""
    items: list[Any] = []
    cursor = None
    while True:
        query = {"limit": limit} | params | ({"cursor": cursor} if cursor else {})
        response = await client.get("/api/v1/instruments", params=query, headers=account.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        items += response.json()["items"]
        if not (cursor := response.json()["next_cursor"]):
            return items


async def test_the_list_and_each_instrument_are_as_pydantic_writes_them(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    ids = await _instruments(client, accounts, database)
    admin = accounts["admin"]
    situations = set()
    for day in DAYS:
        as_of = date.fromisoformat(day) if day else None
        expected = await _pydantic(database, admin, InstrumentQuery(as_of=as_of))
        assert {item["id"] for item in expected} == set(ids)
        day_param = {"as_of": day} if day else {}
        assert await _listed(client, admin, 3, **day_param) == expected, day
        for item in expected:
            one = await client.get(f"/api/v1/instruments/{item['id']}", params=day_param, headers=admin.headers)
            assert one.status_code == 200, one.text
            assert one.headers["content-type"] == "application/json"
            assert (one.json(), list(one.json())) == (item, list(InstrumentOut.model_fields)), day
            assert one.headers["etag"] == f'"{item["version"]}"'
        situations |= {item["situation"] for item in expected}
    assert situations == {"pendente", "atrasado", "cumprido_no_prazo", "cumprido_com_atraso"}


async def test_the_lists_filters_are_the_pages(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    await _instruments(client, accounts, database)
    queries = [
        {"uf": "am", "year": 2024},
        {"kind": "RDQA", "municipality": "130260"},
        {"owner_type": "region", "region": "13001"},
        {"region": "13001", "year": 2023},
        {"situation": "cumprido_com_atraso", "as_of": "2024-06-01"},
        {"situation": "atrasado"},
        {"status": "em_elaboracao"},
    ]
    for account in (accounts["admin"], accounts["gestor"], accounts["apoiador"], accounts["ses_sp"]):
        for params in queries:
            typed = {key: date.fromisoformat(value) if key == "as_of" else value for key, value in params.items()}
            expected = await _pydantic(database, account, InstrumentQuery(**typed))
            assert expected or account is not accounts["admin"], params  # each query finds some
            assert await _listed(client, account, 2, **params) == expected, params
    anonymous = await client.get("/api/v1/instruments")
    assert anonymous.json() == {"items": [], "next_cursor": None}  # every instrument is still a draft


async def test_an_unseen_or_unknown_instrument_is_a_problem(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    draft = await _created(
        client, accounts["admin"], {"kind": "PMS", "owner_type": "municipality", "owner": "1302603", "year": 2026}
    )
    for headers in ({}, accounts["ses_sp"].headers):
        hidden = await client.get(f"/api/v1/instruments/{draft}", headers=headers)
        assert hidden.status_code == 404, hidden.text
        assert hidden.headers["content-type"] == "application/problem+json"
        assert hidden.json()["code"] == "not_found"
    unknown = await client.get(
        "/api/v1/instruments/00000000-0000-7000-8000-000000000000", headers=accounts["admin"].headers
    )
    assert (unknown.status_code, unknown.json()["detail"]) == (
        404,
        "no instrument 00000000-0000-7000-8000-000000000000",
    )


KEPT_STATEMENTS = (
    documents._instrument_statement,
    documents._instrument_page_statement,
    documents._instrument_connection_statement,
    goals._page_json_statement,
)


async def test_callers_of_one_scope_share_each_kept_statement_each_run_for_its_own_territory(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    """The gestores of two municipalities are given the same kept statements (a national
    deployment has 5,570 municipalities' gestores, more than the caches hold), each run with
    the caller's own municipality: each sees its plan, by id, in the list, in GraphQL and
    through its goals, and the other's is not there (404)."""
    admin = accounts["admin"]
    plans = {
        code: await _created(client, admin, {"kind": "PAS", "owner_type": "municipality", "owner": code, "year": 2024})
        for code in (MANAUS, SAO_GABRIEL)
    }
    query = "query($id: UUID!) { instrument(id: $id) { databaseId } instruments(first: 10) { nodes { databaseId } } }"
    for statement in KEPT_STATEMENTS:
        statement.cache_clear()
    kept: list[int] = []
    for account, own, other in (
        (accounts["gestor"], MANAUS, SAO_GABRIEL),
        (accounts["gestor_other"], SAO_GABRIEL, MANAUS),
    ):
        assert [item["id"] for item in await _listed(client, account, 10)] == [plans[own]]
        for code, found in ((own, 200), (other, 404)):
            for path in (f"/api/v1/instruments/{plans[code]}", f"/api/v1/instruments/{plans[code]}/goals?flat=true"):
                assert (await client.get(path, headers=account.headers)).status_code == found, (path, account)
        answer = await client.post(
            "/graphql", json={"query": query, "variables": {"id": plans[other]}}, headers=account.headers
        )
        assert answer.json()["data"] == {"instrument": None, "instruments": {"nodes": [{"databaseId": plans[own]}]}}
        kept.append(sum(statement.cache_info().currsize for statement in KEPT_STATEMENTS))
    assert kept[0] == kept[1] >= len(KEPT_STATEMENTS)
