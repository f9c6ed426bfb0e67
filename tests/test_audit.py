"""The audit trail: every write, who and when, before and after; append-only; admins only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.support import PASSWORD, Account, ConnectionBoundDatabase


async def _events(client: httpx.AsyncClient, admin: Account, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit-events", params=params | {"limit": 200}, headers=admin.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_instrument_writes_are_recorded_with_actor_before_and_after(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor, admin = accounts["gestor"], accounts["admin"]
    created = await client.post(
        "/api/v1/instruments",
        json={"kind": "RAG", "owner_type": "municipality", "owner": "1302603", "year": 2024},
        headers=gestor.headers,
    )
    instrument = created.json()["id"]
    await client.patch(f"/api/v1/instruments/{instrument}", json={"title": "RAG 2024"}, headers=gestor.headers)
    await client.post(
        f"/api/v1/instruments/{instrument}/transitions", json={"to": "em_elaboracao"}, headers=gestor.headers
    )
    refused = await client.post(
        f"/api/v1/instruments/{instrument}/transitions", json={"to": "em_analise_conselho"}, headers=gestor.headers
    )
    assert refused.status_code == 409  # gated: rolled back, so not in the trail

    events = await _events(client, admin, entity="instrument", entity_id=instrument)
    assert [e["action"] for e in events] == ["create", "update", "update"]
    assert {e["actor_id"] for e in events} == {str(gestor.user.id)}
    assert events[1]["before"]["title"] is None
    assert events[1]["after"]["title"] == "RAG 2024"
    assert (events[2]["before"]["status"], events[2]["after"]["status"]) == ("nao_iniciado", "em_elaboracao")
    assert all(e["uf"] == "AM" for e in events)
    history = await _events(client, admin, entity="instrument_event")
    assert [e["after"]["to_status"] for e in history] == ["em_elaboracao"]
    assert history[0]["entity_id"] == str(history[0]["after"]["id"])  # numbered before the insert, so named
    assert isinstance(history[0]["after"]["id"], int)


async def test_no_secret_enters_the_trail(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"]
    created = await client.post(
        "/api/v1/users",
        json={"email": "novo@example.org", "name": "Novo", "password": "a long password", "role": "auditor"},
        headers=admin.headers,
    )
    user_id = created.json()["id"]
    await client.post("/api/v1/auth/token", data={"username": "novo@example.org", "password": "wrong password!"})
    events = await _events(client, admin, entity="user", entity_id=user_id)
    assert [e["action"] for e in events] == ["create"]  # a failed login is not a change of the account
    assert "secret_hash" not in events[0]["after"]
    assert events[0]["actor_id"] == str(admin.user.id)
    assert PASSWORD not in str(events)


async def test_a_territory_import_leaves_a_summary(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    header = "region,state,city,state_code,city_code,health_region_code,health_region,population\n"
    line = "Norte,Amazonas,Anori,13,130010,13002,Rio Negro e Solimões,21010\n"
    response = await client.post(
        "/api/v1/imports/territory",
        files={"file": ("am.csv", (header + line).encode(), "text/csv")},
        headers=accounts["ses"].headers,
    )
    assert response.status_code == 200, response.text
    [summary] = await _events(client, accounts["admin"], entity="territory_import")
    assert summary["after"]["populations"] == {"1300102": 21010}
    assert summary["actor_id"] == str(accounts["ses"].user.id)


async def test_the_trail_is_append_only(
    database: ConnectionBoundDatabase, client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    await client.post(
        "/api/v1/organizations", json={"acronym": "X", "name": "Y", "uf": "AM"}, headers=accounts["admin"].headers
    )
    async with database.session() as session:
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(DBAPIError, match="never updated or deleted"):
                async with session.begin_nested():
                    await session.execute(sa.text(statement))
        assert await session.scalar(sa.text("SELECT count(*) FROM audit_event WHERE entity = 'organization'")) == 1


async def test_only_admins_read_the_trail(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    assert (await client.get("/api/v1/audit-events", headers=accounts["auditor"].headers)).status_code == 403
    assert (await client.get("/api/v1/audit-events")).status_code == 401


async def test_since_and_until_at_the_edges_of_the_calendar(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"]
    params = {"since": "0001-01-01T00:00:00+01:00", "until": "9999-12-31T23:59:59-01:00", "entity": "user"}
    response = await client.get("/api/v1/audit-events", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"]  # the accounts of this test were all created in between
