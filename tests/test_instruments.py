"""Instruments as records: owners, periods, deadlines, duplicates, visibility, ETags."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Account

MANAUS_PLAN = {"kind": "PMS", "owner_type": "municipality", "owner": "130260", "year": 2026}


async def _create(client: httpx.AsyncClient, account: Account, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/instruments", json=body, headers=account.headers)


async def test_gestor_creates_its_plan_with_its_deadline(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    response = await _create(client, accounts["gestor"], **MANAUS_PLAN, title="PMS 2026–2029")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["owner"], body["uf"], body["municipality_code"]) == ("1302603", "AM", "1302603")
    assert (body["year"], body["end_year"], body["deadline"]) == (2026, 2029, "2025-12-31")
    assert (body["status"], body["status_label"]) == ("nao_iniciado", "Não Iniciado")
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/instruments/{body['id']}"
    rdqa = await _create(
        client, accounts["gestor"], kind="RDQA", owner_type="municipality", owner="1302603", year=2023, quadrimester=3
    )
    assert rdqa.json()["deadline"] == "2024-02-29"


async def test_one_instrument_per_ente_kind_and_period(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    first = await _create(client, accounts["gestor"], **MANAUS_PLAN)
    again = await _create(client, accounts["admin"], **(MANAUS_PLAN | {"owner": "1302603"}))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "duplicate_instrument"
    assert again.json()["existing_id"] == first.json()["id"]
    assert first.json()["id"] in again.json()["detail"]
    quarterly = {"kind": "RDQA", "owner_type": "municipality", "owner": "1302603", "year": 2024}
    assert (await _create(client, accounts["gestor"], **quarterly, quadrimester=1)).status_code == 201
    assert (await _create(client, accounts["gestor"], **quarterly, quadrimester=2)).status_code == 201


async def test_kind_owner_and_period_are_checked(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"]
    for body, code in (
        ({"kind": "PES", "owner_type": "municipality", "owner": "1302603", "year": 2024}, "invalid_owner"),
        ({"kind": "PRI", "owner_type": "state", "owner": "AM", "year": 2024}, "invalid_owner"),
        ({"kind": "RDQA", "owner_type": "state", "owner": "AM", "year": 2024}, "invalid_period"),
        ({"kind": "RAG", "owner_type": "municipality", "owner": "9999996", "year": 2024}, "unknown_municipality"),
        ({"kind": "PRI", "owner_type": "region", "owner": "13999", "year": 2024}, "unknown_region"),
        (
            {"kind": "PLANO_ACAO", "owner_type": "organization", "owner": "not-an-id", "year": 2024},
            "unknown_organization",
        ),
    ):
        response = await _create(client, admin, **body)
        assert response.status_code == 422, body
        assert response.json()["code"] == code, response.text


async def test_writers_write_only_their_entes(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    other = await _create(client, accounts["gestor"], kind="PMS", owner_type="municipality", owner="1303809", year=2026)
    assert other.status_code == 403
    state_plan = await _create(client, accounts["ses"], kind="PES", owner_type="state", owner="AM", year=2024)
    assert state_plan.status_code == 201
    regional = await _create(
        client, accounts["ses"], kind="PRI", owner_type="region", owner="13001", year=2024, end_year=2027
    )
    assert regional.status_code == 201, regional.text
    assert regional.json()["deadline"] is None
    assert (await _create(client, accounts["ses"], **MANAUS_PLAN)).status_code == 403
    assert (
        await _create(client, accounts["ses_sp"], kind="PES", owner_type="state", owner="AM", year=2028)
    ).status_code == 403


async def test_visibility_follows_the_territory(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    plan = (await _create(client, accounts["gestor"], **MANAUS_PLAN)).json()
    url = f"/api/v1/instruments/{plan['id']}"
    for role, expected in (
        ("gestor", 200),
        ("conselho", 200),
        ("apoiador", 200),
        ("cosems", 200),
        ("auditor", 200),
        ("gestor_other", 404),
        ("ses_sp", 404),
    ):
        assert (await client.get(url, headers=accounts[role].headers)).status_code == expected, role
    assert (await client.get(url)).status_code == 404  # a draft is not public
    listed = await client.get(
        "/api/v1/instruments", params={"municipality": "1302603"}, headers=accounts["gestor_other"].headers
    )
    assert listed.json()["items"] == []
    by_region = await client.get(
        "/api/v1/instruments", params={"region": "13001", "year": 2027}, headers=accounts["apoiador"].headers
    )
    assert [item["id"] for item in by_region.json()["items"]] == [plan["id"]]


async def test_patch_honours_if_match_and_never_changes_status(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"].headers
    created = await _create(client, accounts["gestor"], **MANAUS_PLAN)
    url = f"/api/v1/instruments/{created.json()['id']}"
    etag = created.headers["ETag"]
    ok = await client.patch(
        url, json={"document_url": "https://manaus.am.gov.br/pms.pdf"}, headers=gestor | {"If-Match": etag}
    )
    assert ok.status_code == 200
    assert ok.json()["document_url"] == "https://manaus.am.gov.br/pms.pdf"
    stale = await client.patch(url, json={"notes": "x"}, headers=gestor | {"If-Match": etag})
    assert stale.status_code == 412
    assert (await client.get(url, headers=gestor)).json()["notes"] is None
    status = await client.patch(url, json={"status": "aprovado"}, headers=gestor)
    assert status.status_code == 422  # status moves through transitions only
    readonly = await client.patch(url, json={"notes": "x"}, headers=accounts["cosems"].headers)
    assert readonly.status_code == 403
