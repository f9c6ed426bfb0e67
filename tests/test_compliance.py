"""Compliance: every expected instrument of every ente in scope, created or not."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from tests.support import Account, ConnectionBoundDatabase, make_region

EXPECTED_KINDS = ["PMS", "PAS", "RDQA", "RDQA", "RDQA", "RAG"]


async def _region_of_twenty(client: httpx.AsyncClient, database: ConnectionBoundDatabase) -> list[str]:
    taken = {"1302603", "1303809", "1300102"}  # already in the fixture's regions
    amazonas = (await client.get("/api/v1/municipalities", params={"uf": "AM", "limit": 100})).json()["items"]
    codes = [m["code"] for m in amazonas if m["code"] not in taken][:20]
    await make_region(database, "13050", "Região de teste", tuple(codes))
    return codes


async def _instrument(client: httpx.AsyncClient, admin: Account, code: str, **body: Any) -> str:
    response = await client.post(
        "/api/v1/instruments", json={"owner_type": "municipality", "owner": code} | body, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_region_of_twenty_lists_every_expected_instrument(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    admin = accounts["admin"]
    codes = await _region_of_twenty(client, database)
    plan = await _instrument(client, admin, codes[0], kind="PMS", year=2022)
    rdqa = await _instrument(client, admin, codes[1], kind="RDQA", year=2024, quadrimester=1)
    heard = await client.post(
        f"/api/v1/instruments/{rdqa}/hearings", json={"house": "Câmara", "held_on": "2024-05-20"}, headers=admin.headers
    )
    assert heard.status_code == 201

    response = await client.get(
        "/api/v1/compliance", params={"region": "13050", "year": 2024, "as_of": "2025-06-01", "limit": 200}
    )  # public: no token
    assert response.status_code == 200, response.text
    entes = response.json()["items"]
    assert sorted(e["owner"] for e in entes) == sorted(codes)
    assert all([i["kind"] for i in e["instruments"]] == EXPECTED_KINDS for e in entes)

    by_code = {e["owner"]: e["instruments"] for e in entes}
    assert (by_code[codes[0]][0]["instrument_id"], by_code[codes[0]][0]["year"]) == (plan, 2022)
    assert by_code[codes[0]][0]["status"] == "nao_iniciado"
    assert by_code[codes[1]][2]["instrument_id"] == rdqa
    assert by_code[codes[1]][2]["situation"] == "cumprido_no_prazo"
    missing = by_code[codes[2]]
    assert all(i["instrument_id"] is None and i["status"] == "nao_iniciado" for i in missing)
    assert [i["deadline"] for i in missing] == [
        "2021-12-31",
        "2023-04-15",
        "2024-05-31",
        "2024-09-30",
        "2025-02-28",
        "2025-03-30",
    ]

    # An independent count: as of 2025-06-01 every deadline has passed, so each of the 120 expected
    # instruments is late except the one RDQA whose hearing was held on time.
    situations = Counter(i["situation"] for e in entes for i in e["instruments"])
    assert situations == {"atrasado": 119, "cumprido_no_prazo": 1}
    early = await client.get(
        "/api/v1/compliance", params={"region": "13050", "year": 2024, "as_of": "2024-01-10", "limit": 200}
    )
    counted = Counter(i["situation"] for e in early.json()["items"] for i in e["instruments"])
    assert counted == {"atrasado": 40, "pendente": 80}  # plans (due 2021) and PAS (due 2023) late; the rest due later


async def test_a_uf_covers_the_state_itself_and_owner_type_narrows(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/v1/compliance", params={"uf": "AM", "year": 2025, "limit": 10})).json()
    assert (first["items"][0]["owner_type"], first["items"][0]["owner"]) == ("state", "AM")
    assert [i["kind"] for i in first["items"][0]["instruments"]] == ["PES", "PAS", "RDQA", "RDQA", "RDQA", "RAG"]
    assert len(first["items"]) == 11
    second = (
        await client.get("/api/v1/compliance", params={"uf": "AM", "year": 2025, "cursor": first["next_cursor"]})
    ).json()
    assert all(e["owner_type"] == "municipality" for e in second["items"])
    state_only = (
        await client.get("/api/v1/compliance", params={"uf": "AM", "year": 2025, "owner_type": "state"})
    ).json()
    assert [e["owner"] for e in state_only["items"]] == ["AM"]
    assert state_only["next_cursor"] is None


async def test_a_future_year_is_calendar_not_debt(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/compliance", params={"municipality": "1302603", "year": 2099})
    instruments = response.json()["items"][0]["instruments"]
    assert {i["situation"] for i in instruments} == {"pendente"}


async def test_the_scope_is_exactly_one_of_uf_region_or_municipality(client: httpx.AsyncClient) -> None:
    for params in ({"year": 2024}, {"year": 2024, "uf": "AM", "region": "13001"}):
        response = await client.get("/api/v1/compliance", params=params)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_scope"
