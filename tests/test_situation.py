"""Situation as of a date, ente calendars, and the SQL filter that mirrors the rule."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from app.core.pagination import PageRequest
from app.core.principal import Principal
from app.domain.instrument_rules import Situation, situation
from app.repositories import Repositories
from app.repositories.instruments import InstrumentFilter
from app.repositories.tables import Instrument
from tests.support import Account, ConnectionBoundDatabase


async def _create(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/instruments", json={"owner_type": "municipality", "owner": "1302603"} | body, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _as_of(client: httpx.AsyncClient, account: Account, instrument: dict[str, Any], day: str) -> dict[str, Any]:
    return dict(
        (
            await client.get(f"/api/v1/instruments/{instrument['id']}", params={"as_of": day}, headers=account.headers)
        ).json()
    )


async def test_rag_2023_situation_through_the_api(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    rag = await _create(client, gestor, kind="RAG", year=2023)
    await client.post(
        f"/api/v1/instruments/{rag['id']}/transitions", json={"to": "em_elaboracao"}, headers=gestor.headers
    )
    assert (await _as_of(client, gestor, rag, "2024-03-01"))["situation"] == "pendente"
    late = await _as_of(client, gestor, rag, "2024-04-01")
    assert (late["situation"], late["days_late"], late["deadline"]) == ("atrasado", 2, "2024-03-30")

    pas = await _create(client, gestor, kind="PAS", year=2023)
    async with database.session() as session:  # stands in for the council's approval of the PAS
        await session.execute(sa.update(Instrument).where(Instrument.id == pas["id"]).values(status="aprovado"))  # type: ignore[arg-type]
        await session.commit()
    sent = await client.post(
        f"/api/v1/instruments/{rag['id']}/transitions",
        json={"to": "em_analise_conselho", "on": "2024-04-02"},
        headers=gestor.headers,
    )
    assert sent.status_code == 200, sent.text
    met = await _as_of(client, gestor, rag, "2024-06-01")
    assert (met["situation"], met["milestone_on"], met["days_late"]) == ("cumprido_com_atraso", "2024-04-02", 3)
    listed = await client.get(
        "/api/v1/instruments",
        params={"situation": "cumprido_com_atraso", "as_of": "2024-06-01", "municipality": "1302603"},
        headers=gestor.headers,
    )
    assert [item["id"] for item in listed.json()["items"]] == [rag["id"]]


async def test_an_entes_calendar_moves_its_pas_deadlines(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    pas = await _create(client, gestor, kind="PAS", year=2025)
    assert pas["deadline"] == "2024-04-15"
    url = "/api/v1/entes/municipality/1302603/calendar"
    default = await client.get(url)
    assert (default.json()["ldo_bill_due"], default.json()["custom"]) == ("04-15", False)
    put = await client.put(
        url, json={"ldo_bill_due": "05-02"}, headers=gestor.headers | {"If-Match": default.headers["ETag"]}
    )
    assert put.status_code == 200, put.text
    assert (put.json()["ldo_bill_due"], put.json()["custom"]) == ("05-02", True)
    assert (await _as_of(client, gestor, pas, "2024-01-01"))["deadline"] == "2024-05-02"
    later = await _create(client, gestor, kind="PAS", year=2026)
    assert later["deadline"] == "2025-05-02"
    stale = await client.put(
        url, json={"ldo_bill_due": "05-03"}, headers=gestor.headers | {"If-Match": default.headers["ETag"]}
    )
    assert stale.status_code == 412
    impossible = await client.put(url, json={"ldo_bill_due": "02-30"}, headers=gestor.headers)
    assert impossible.status_code == 422
    assert (await client.put(url, json={"ldo_bill_due": "05-02"}, headers=accounts["ses"].headers)).status_code == 403


async def test_the_sql_situation_filter_agrees_with_the_rule(database: ConnectionBoundDatabase) -> None:
    """Every boundary: no deadline or one, milestone none/before/on/after it, as_of around both."""
    due = date(2024, 3, 30)
    deadlines = [None, due]
    milestones = [None, due - timedelta(days=1), due, due + timedelta(days=1)]
    days = [due + timedelta(days=offset) for offset in range(-2, 3)]
    cases: dict[uuid.UUID, tuple[date | None, date | None]] = {}
    async with database.session() as session:
        for year, (deadline, reached) in enumerate(itertools.product(deadlines, milestones), start=2000):
            row = Instrument(
                kind="PLANO_ACAO",
                owner_type="state",
                owner_code="AM",
                uf="AM",
                year=year,
                end_year=year,
                deadline=deadline,
                milestone_on=reached,
            )
            session.add(row)
            cases[row.id] = (deadline, reached)
        await session.commit()
    async with database.session() as session:
        repository = Repositories(session).instruments
        for as_of, wanted in itertools.product(days, list(Situation)):
            page = await repository.page(
                Principal.system(), InstrumentFilter(kind="PLANO_ACAO", situation=wanted, as_of=as_of), PageRequest(200)
            )
            found = {row.id for row in page.items}
            expected = {
                key for key, (deadline, reached) in cases.items() if situation(deadline, reached, as_of) is wanted
            }
            assert found == expected, (as_of, wanted)
