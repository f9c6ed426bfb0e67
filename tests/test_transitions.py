"""The status machine through the API: legal moves, gating, council decisions, history."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from app.repositories.tables import Instrument
from tests.support import Account, ConnectionBoundDatabase


async def _instrument(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    base = {"owner_type": "municipality", "owner": "1302603"}
    response = await client.post("/api/v1/instruments", json=base | body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _move(
    client: httpx.AsyncClient, account: Account, instrument: dict[str, Any], to: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/instruments/{instrument['id']}/transitions", json={"to": to} | extra, headers=account.headers
    )


async def _approve(database: ConnectionBoundDatabase, instrument_id: str) -> None:
    """Stands in for the council's deliberation (recorded through its own endpoint)."""
    async with database.session() as session:
        await session.execute(sa.update(Instrument).where(Instrument.id == instrument_id).values(status="aprovado"))  # type: ignore[arg-type]
        await session.commit()


async def test_illegal_move_is_409_listing_the_allowed_ones_and_changes_nothing(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    rag = await _instrument(client, gestor, kind="RAG", year=2024)
    response = await _move(client, gestor, rag, "em_analise_conselho")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["allowed"] == ["em_elaboracao"]
    after = await client.get(f"/api/v1/instruments/{rag['id']}", headers=gestor.headers)
    assert (after.json()["status"], after.json()["version"]) == ("nao_iniciado", 1)
    assert (await client.get(f"/api/v1/instruments/{rag['id']}/history", headers=gestor.headers)).json() == []


async def test_gating_then_sending_records_history_and_the_milestone(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    rag = await _instrument(client, gestor, kind="RAG", year=2024)
    assert (await _move(client, gestor, rag, "em_elaboracao", comment="Começamos")).status_code == 200
    blocked = await _move(client, gestor, rag, "em_analise_conselho")
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "gate_closed"
    assert "PAS 2024" in blocked.json()["detail"]

    pas = await _instrument(client, gestor, kind="PAS", year=2024)
    await _move(client, gestor, pas, "em_elaboracao")
    plan_missing = await _move(client, gestor, pas, "em_analise_conselho")
    assert plan_missing.json()["code"] == "gate_closed"
    await _approve(database, pas["id"])

    sent = await _move(client, gestor, rag, "em_analise_conselho", on="2025-03-28")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "em_analise_conselho"
    history = (await client.get(f"/api/v1/instruments/{rag['id']}/history", headers=gestor.headers)).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("nao_iniciado", "em_elaboracao"),
        ("em_elaboracao", "em_analise_conselho"),
    ]
    assert history[0]["comment"] == "Começamos"
    assert history[1]["occurred_on"] == "2025-03-28"
    assert history[1]["actor_id"] == str(gestor.user.id)


async def test_council_decisions_are_not_transitions(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    plan = await _instrument(client, gestor, kind="PMS", year=2026)
    await _move(client, gestor, plan, "em_elaboracao")
    await _move(client, gestor, plan, "em_analise_conselho")
    response = await _move(client, gestor, plan, "aprovado")
    assert response.status_code == 409
    assert response.json()["code"] == "council_decision"


async def test_an_action_plan_is_approved_by_its_owner(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan = await _instrument(client, gestor, kind="PLANO_ACAO", year=2025)
    await _move(client, gestor, plan, "em_elaboracao")
    approved = await _move(client, gestor, plan, "aprovado")
    assert approved.status_code == 200
    assert approved.json()["status_label"] == "Aprovado"


async def test_transitions_honour_if_match_and_dates(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan = await _instrument(client, gestor, kind="PMS", year=2026)
    url = f"/api/v1/instruments/{plan['id']}/transitions"
    stale = await client.post(url, json={"to": "em_elaboracao"}, headers=gestor.headers | {"If-Match": '"7"'})
    assert stale.status_code == 412
    future = await client.post(url, json={"to": "em_elaboracao", "on": "2999-01-01"}, headers=gestor.headers)
    assert future.status_code == 422
    assert (await client.get(f"/api/v1/instruments/{plan['id']}", headers=gestor.headers)).json()[
        "status"
    ] == "nao_iniciado"
