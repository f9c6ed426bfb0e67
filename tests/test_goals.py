"""Goal trees through the API: nodes and subtrees, the levels each structure allows, the flat
list and its filters, ETags, deletion against history, and the audit trail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import Account
from tests.test_goal_import import new_instrument, walk

SUBTREE = {
    "level": "diretriz",
    "number": "1",
    "description": "Fortalecer a atenção primária",
    "children": [
        {
            "level": "objetivo",
            "number": "1.1",
            "description": "Ampliar o acesso",
            "children": [
                {
                    "level": "meta",
                    "number": "1.1.1",
                    "description": "Ampliar a cobertura de APS para 80%",
                    "indicator_name": "Cobertura de APS",
                    "indicator_unit": "%",
                    "polarity": "higher",
                    "baseline_value": 65.5,
                    "baseline_year": 2021,
                    "target_value": 80,
                    "yearly_targets": {"2022": 70, "2023": 74},
                    "deadline": "2023-12-15",
                    "deadline_precision": "month",
                    "responsible": "Coordenação de Atenção Primária",
                    "scope": "municipal",
                    "children": [{"level": "acao", "description": "Credenciar 10 equipes", "deadline": "2022-06-30"}],
                },
                {
                    "level": "meta",
                    "number": "1.1.2",
                    "description": "Implantar o prontuário eletrônico",
                    "deadline": "2020-12-31",
                    "responsible": "Diretoria de Informação",
                },
            ],
        }
    ],
}


async def _plan(client: httpx.AsyncClient, gestor: Account) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = await new_instrument(
        client, gestor, structure="dgmp", kind="PMS", owner_type="municipality", owner="1302603", year=2022
    )
    created = await client.post(f"/api/v1/instruments/{plan['id']}/goals", json=SUBTREE, headers=gestor.headers)
    assert created.status_code == 201, created.text
    return plan, dict(created.json())


async def test_a_subtree_in_one_request_keeps_its_order_and_fields(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan, diretriz = await _plan(client, gestor)
    assert [(node["level"], node["number"]) for node in walk([diretriz])] == [
        ("diretriz", "1"),
        ("objetivo", "1.1"),
        ("meta", "1.1.1"),
        ("acao", None),
        ("meta", "1.1.2"),
    ]
    meta = walk([diretriz])[2]
    assert meta["deadline"] == "2023-12-31"  # month precision: the month's last day
    assert meta["prazo"] == "12/2023"
    assert meta["yearly_targets"] == {"2022": 70.0, "2023": 74.0}
    assert meta["level_label"] == "Meta"
    tree = (await client.get(f"/api/v1/instruments/{plan['id']}/goals", headers=gestor.headers)).json()
    assert [node["id"] for node in walk(tree)] == [node["id"] for node in walk([diretriz])]

    second = await client.post(
        f"/api/v1/instruments/{plan['id']}/goals",
        json={"level": "objetivo", "description": "Qualificar a atenção", "parent_id": diretriz["id"]},
        headers=gestor.headers,
    )
    assert second.status_code == 201
    tree = (await client.get(f"/api/v1/instruments/{plan['id']}/goals", headers=gestor.headers)).json()
    assert [child["description"] for child in tree[0]["children"]] == ["Ampliar o acesso", "Qualificar a atenção"]


@pytest.mark.parametrize(
    ("structure", "parent_level", "level", "allowed"),
    [
        ("dgmp", None, "meta", ["diretriz"]),
        ("dgmp", "diretriz", "meta", ["objetivo"]),
        ("matriz", "diretriz", "area", ["objetivo", "acao", "produto", "meta"]),
        ("matriz", "meta", "acao", []),
    ],
)
async def test_a_child_of_the_wrong_level_is_422_naming_the_allowed_ones(
    client: httpx.AsyncClient,
    accounts: dict[str, Account],
    structure: str,
    parent_level: str | None,
    level: str,
    allowed: list[str],
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses, structure=structure)
    url = f"/api/v1/instruments/{instrument['id']}/goals"
    parent_id = None
    if parent_level is not None:
        parent = await client.post(url, json={"level": parent_level, "description": "Pai"}, headers=ses.headers)
        parent_id = parent.json()["id"]
    response = await client.post(
        url,
        json={"level": "diretriz", "description": "Raiz", "children": [{"level": level, "description": "Filho"}]}
        if parent_id is None and level != "meta"
        else {"level": level, "description": "Filho", "parent_id": parent_id},
        headers=ses.headers,
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["code"], problem["allowed"]) == ("invalid_level", allowed)
    assert all(name in problem["detail"] for name in allowed)
    tree = (await client.get(url, headers=ses.headers)).json()
    assert len(walk(tree)) == (1 if parent_id else 0)  # nothing half-written


async def test_the_flat_list_filters_and_pages(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan, diretriz = await _plan(client, gestor)
    metas = [node for node in walk([diretriz]) if node["level"] == "meta"]
    await client.post(
        f"/api/v1/goals/{metas[1]['id']}/status-updates",
        json={"status": "em_andamento", "reported_on": "2021-03-01"},
        headers=gestor.headers,
    )
    url = f"/api/v1/instruments/{plan['id']}/goals"

    async def flat(**params: Any) -> list[str]:
        response = await client.get(
            url, params={"flat": "true", "as_of": "2021-06-01"} | params, headers=gestor.headers
        )
        assert response.status_code == 200, response.text
        return [item["description"] for item in response.json()["items"]]

    assert await flat(level="meta") == [metas[0]["description"], metas[1]["description"]]
    assert await flat(status="em_andamento") == [metas[1]["description"]]
    assert await flat(overdue="true") == [metas[1]["description"]]  # em andamento, past its deadline
    assert await flat(responsible="coordenacao de atencao") == [metas[0]["description"]]  # accents aside
    first = (await client.get(url, params={"flat": "true", "limit": 2}, headers=gestor.headers)).json()
    rest = (
        await client.get(
            url, params={"flat": "true", "limit": 2, "cursor": first["next_cursor"]}, headers=gestor.headers
        )
    ).json()
    everything = [item["id"] for item in first["items"] + rest["items"]]
    more = rest
    while more["next_cursor"]:
        more = (
            await client.get(
                url, params={"flat": "true", "limit": 2, "cursor": more["next_cursor"]}, headers=gestor.headers
            )
        ).json()
        everything += [item["id"] for item in more["items"]]
    assert everything == [node["id"] for node in walk([diretriz])]
    overdue_meta = next(
        i
        for i in (await client.get(url, params={"flat": "true"}, headers=gestor.headers)).json()["items"]
        if i["id"] == metas[1]["id"]
    )
    assert overdue_meta["overdue"] is True
    assert overdue_meta["status"] == "em_andamento"
    refused = await client.get(url, params={"level": "meta"}, headers=gestor.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input")


async def test_etag_and_if_match_on_a_goal(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    _, diretriz = await _plan(client, gestor)
    url = f"/api/v1/goals/{diretriz['id']}"
    read = await client.get(url, headers=gestor.headers)
    etag = read.headers["ETag"]
    changed = await client.patch(
        url, json={"description": "Fortalecer a APS"}, headers=gestor.headers | {"If-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.json()["description"] == "Fortalecer a APS"
    assert changed.headers["ETag"] != etag
    stale = await client.patch(url, json={"number": "9"}, headers=gestor.headers | {"If-Match": etag})
    assert (stale.status_code, stale.json()["code"]) == (412, "stale_version")
    cleared = await client.patch(url, json={"description": None}, headers=gestor.headers)
    assert cleared.status_code == 422
    assert (await client.get(url, headers=gestor.headers)).json()["number"] == "1"


async def test_a_goal_with_history_is_kept_and_cancelled_instead(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan, diretriz = await _plan(client, gestor)
    meta = walk([diretriz])[2]
    await client.post(
        f"/api/v1/goals/{meta['id']}/status-updates", json={"status": "em_andamento"}, headers=gestor.headers
    )
    for goal_id in (diretriz["id"], meta["id"]):
        refused = await client.delete(f"/api/v1/goals/{goal_id}", headers=gestor.headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "goal_has_history")
    cancelled = await client.post(
        f"/api/v1/goals/{meta['id']}/status-updates", json={"status": "cancelada"}, headers=gestor.headers
    )
    assert cancelled.status_code == 201
    assert (await client.get(f"/api/v1/goals/{meta['id']}", headers=gestor.headers)).json()["status"] == "cancelada"

    other_meta = walk([diretriz])[4]
    deleted = await client.delete(f"/api/v1/goals/{other_meta['id']}", headers=gestor.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/goals/{other_meta['id']}", headers=gestor.headers)).status_code == 404
    tree = (await client.get(f"/api/v1/instruments/{plan['id']}/goals", headers=gestor.headers)).json()
    assert len(walk(tree)) == 4


async def test_deleting_a_branch_removes_it_whole_and_audits_each_node(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor, admin = accounts["gestor"], accounts["admin"]
    plan, diretriz = await _plan(client, gestor)
    assert (await client.delete(f"/api/v1/goals/{diretriz['id']}", headers=gestor.headers)).status_code == 204
    assert (await client.get(f"/api/v1/instruments/{plan['id']}/goals", headers=gestor.headers)).json() == []
    events = (
        await client.get("/api/v1/audit-events", params={"entity": "goal", "limit": 200}, headers=admin.headers)
    ).json()["items"]
    actions = [(event["action"], event["actor_id"]) for event in events]
    assert actions.count(("create", str(gestor.user.id))) == 5
    assert actions.count(("delete", str(gestor.user.id))) == 5


async def test_the_structure_is_fixed_once_the_tree_has_goals(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await new_instrument(
        client, gestor, structure="dgmp", kind="PMS", owner_type="municipality", owner="1302603", year=2022
    )
    url = f"/api/v1/instruments/{plan['id']}"
    changed = await client.patch(url, json={"goal_structure": "matriz"}, headers=gestor.headers)
    assert changed.json()["goal_structure"] == "matriz"
    await client.post(f"{url}/goals", json={"level": "area", "description": "Gestão"}, headers=gestor.headers)
    refused = await client.patch(url, json={"goal_structure": "dgmp"}, headers=gestor.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "goal_tree_not_empty")


async def test_a_responsible_account_must_exist(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan, _ = await _plan(client, gestor)
    url = f"/api/v1/instruments/{plan['id']}/goals"
    body = {"level": "diretriz", "description": "D", "responsible_user_id": str(gestor.user.id)}
    assert (await client.post(url, json=body, headers=gestor.headers)).status_code == 201
    body["responsible_user_id"] = "00000000-0000-4000-8000-000000000000"
    refused = await client.post(url, json=body, headers=gestor.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_user")
