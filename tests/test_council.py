"""Deliberations move the status; hearings are the RDQA's milestone."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.principal import Role
from tests.support import Account, ConnectionBoundDatabase, make_account

RESOLUTION = {"resolution_number": "07/2025", "resolution_date": "2025-12-10", "outcome": "aprovado"}


async def _plan_at_council(client: httpx.AsyncClient, gestor: Account) -> dict[str, Any]:
    plan = (
        await client.post(
            "/api/v1/instruments",
            json={"kind": "PMS", "owner_type": "municipality", "owner": "1302603", "year": 2026},
            headers=gestor.headers,
        )
    ).json()
    for to in ("em_elaboracao", "em_analise_conselho"):
        moved = await client.post(
            f"/api/v1/instruments/{plan['id']}/transitions", json={"to": to, "on": "2025-11-01"}, headers=gestor.headers
        )
        assert moved.status_code == 200, moved.text
    return dict(plan)


async def test_the_conselho_approves_and_the_status_follows(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    plan = await _plan_at_council(client, accounts["gestor"])
    url = f"/api/v1/instruments/{plan['id']}"
    recorded = await client.post(f"{url}/deliberations", json=RESOLUTION, headers=accounts["conselho"].headers)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["body"] == "conselho_saude"
    now = (await client.get(url, headers=accounts["gestor"].headers)).json()
    assert (now["status"], now["status_label"]) == ("aprovado", "Aprovado")
    listed = (await client.get(f"{url}/deliberations")).json()  # approved: public now
    assert [d["resolution_number"] for d in listed] == ["07/2025"]
    history = (await client.get(f"{url}/history")).json()
    assert history[-1]["to_status"] == "aprovado"
    assert history[-1]["occurred_on"] == "2025-12-10"
    assert history[-1]["comment"] == "Resolução 07/2025 de 10/12/2025"


async def test_who_may_deliberate(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase, app: Any
) -> None:
    plan = await _plan_at_council(client, accounts["gestor"])
    url = f"/api/v1/instruments/{plan['id']}/deliberations"
    other_council = await make_account(database, app.state.tokens, Role.CONSELHO, uf="AM", municipality="1303809")
    refused = {
        "gestor": 403,  # the gestor sends, the council decides
        "ses": 403,
    }
    for role, expected in refused.items():
        response = await client.post(url, json=RESOLUTION, headers=accounts[role].headers)
        assert response.status_code == expected, role
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.post(url, json=RESOLUTION, headers=other_council.headers)).status_code == 404
    after = (await client.get(f"/api/v1/instruments/{plan['id']}", headers=accounts["gestor"].headers)).json()
    assert after["status"] == "em_analise_conselho"
    assert (await client.get(url, headers=accounts["gestor"].headers)).json() == []


async def test_an_rdqa_is_evaluated_not_approved(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    rdqa = (
        await client.post(
            "/api/v1/instruments",
            json={"kind": "RDQA", "owner_type": "municipality", "owner": "1302603", "year": 2025, "quadrimester": 1},
            headers=gestor.headers,
        )
    ).json()
    url = f"/api/v1/instruments/{rdqa['id']}"
    await client.post(f"{url}/transitions", json={"to": "em_elaboracao"}, headers=gestor.headers)
    hearing = await client.post(
        f"{url}/hearings", json={"house": "Câmara Municipal de Manaus", "held_on": "2025-05-28"}, headers=gestor.headers
    )
    assert hearing.status_code == 201, hearing.text
    assert [h["held_on"] for h in (await client.get(f"{url}/hearings", headers=gestor.headers)).json()] == [
        "2025-05-28"
    ]
    # Not yet at the council: no outcome can be recorded.
    early = await client.post(
        f"{url}/deliberations", json=RESOLUTION | {"outcome": "avaliado"}, headers=accounts["conselho"].headers
    )
    assert early.status_code == 409
    assert early.json()["code"] == "illegal_transition"


async def test_hearings_are_for_rdqas_only(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    plan = await _plan_at_council(client, accounts["gestor"])
    response = await client.post(
        f"/api/v1/instruments/{plan['id']}/hearings",
        json={"house": "Câmara", "held_on": "2025-05-28"},
        headers=accounts["gestor"].headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "hearing_not_rdqa"
