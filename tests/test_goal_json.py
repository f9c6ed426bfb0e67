"""The flat goal list, the tree and a goal by id are written by PostgreSQL (app.repositories.goals:
page_json, tree_json nested by app.domain.goals.nest_json, one_json) while the writes are written
by Pydantic (GoalOut, GoalTreeOut). Both must give each goal the same body, in the same strings:
these tests hold the writers together across the cases that format or compute differently
(precision, overdue, closed statuses, corrections, floats, days)."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import product
from typing import Any

import httpx
import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.routes.goals import tree_out
from app.domain.goals import GoalService
from app.repositories import Repositories
from app.repositories.goals import OWN_FIELDS, iso_utc
from tests.support import Account, ConnectionBoundDatabase, principal_of_account
from tests.test_goal_import import AS_OF, ROWS, matriz_csv, new_instrument, upload, walk
from tests.test_monitoring import _entry, _pms

AWKWARD_NUMBERS = [0.1, 65.5, 1 / 3, 1e20, 123456789.125, 0.0, 100]
STATUSES = [None, "nao_iniciada", "em_andamento", "concluida", "cancelada", "atrasada"]


def _cases() -> list[dict[str, Any]]:
    """A meta for every pairing of deadline (precision, past or future, none) and status."""
    deadlines: list[tuple[str | None, str]] = [
        ("2021-03-10", "day"),
        ("2021-03-31", "month"),
        ("2022-06-30", "day"),
        ("2025-12-31", "month"),
        (None, "day"),
    ]
    metas = []
    for n, ((deadline, precision), status) in enumerate(product(deadlines, STATUSES)):
        number = AWKWARD_NUMBERS[n % len(AWKWARD_NUMBERS)]
        metas.append(
            {
                "level": "meta",
                "number": f"1.1.{n + 1}",
                "description": f"Meta {n + 1} — “aspas” e acentuação",
                "deadline": deadline,
                "deadline_precision": precision,
                "baseline_value": number,
                "target_value": number * 2,
                "yearly_targets": {"2022": number, "2023": 74} if n % 2 else {},
                "indicator_unit": "%",
                "polarity": "higher" if n % 3 else None,
                "responsible": "Coordenação" if n % 4 else None,
                "children": [{"level": "acao", "description": f"Ação {n + 1}", "deadline": deadline}],
                "status": status,
            }
        )
    return metas


def _without_status(case: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in case.items() if key != "status"}


async def _flat(client: httpx.AsyncClient, account: Account, instrument_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of the flat list, page after page."""
    url = f"/api/v1/instruments/{instrument_id}/goals"
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"flat": "true", "limit": 7} | params | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=query, headers=account.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        items += body["items"]
        if not (cursor := body["next_cursor"]):
            return items


async def _pydantic_tree(
    database: ConnectionBoundDatabase, account: Account, instrument_id: str, as_of: str | None
) -> list[Any]:
    """GoalService.trees' tree of the instrument, as GoalTreeOut writes it."""
    async with database.session() as session:
        repositories = Repositories(session)
        principal = await principal_of_account(repositories, account)
        day = date.fromisoformat(as_of) if as_of else None
        key = uuid.UUID(instrument_id)
        nodes = (await GoalService(repositories).trees(principal, [key], day)).get(key, [])
    return [tree_out(node).model_dump(mode="json") for node in nodes]


async def _flat_is_the_tree(
    client: httpx.AsyncClient, database: ConnectionBoundDatabase, account: Account, instrument_id: str, **days: str
) -> None:
    """The tree, the flat list and each goal, all written by PostgreSQL, against the tree Pydantic
    writes."""
    expected_tree = await _pydantic_tree(database, account, instrument_id, days.get("as_of"))
    tree = await client.get(f"/api/v1/instruments/{instrument_id}/goals", params=days, headers=account.headers)
    assert tree.headers["content-type"] == "application/json"
    assert tree.json() == expected_tree, days
    expected = [{k: v for k, v in node.items() if k != "children"} for node in walk(expected_tree)]
    assert expected
    assert await _flat(client, account, instrument_id, **days) == expected, days
    for goal in expected:  # and each goal by id
        one = await client.get(f"/api/v1/goals/{goal['id']}", params=days, headers=account.headers)
        assert (one.status_code, one.headers["content-type"]) == (200, "application/json"), one.text
        assert (one.json(), one.headers["etag"]) == (goal, f'"{goal["version"]}"'), days


async def test_the_flat_list_and_the_tree_give_each_goal_the_body_pydantic_gives_it(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    cases = _cases()
    body = {
        "level": "diretriz",
        "description": "Diretriz",
        "children": [{"level": "objetivo", "description": "Objetivo", "children": [_without_status(c) for c in cases]}],
    }
    created = await client.post(f"/api/v1/instruments/{plan['id']}/goals", json=body, headers=gestor.headers)
    assert created.status_code == 201, created.text
    metas = [node for node in walk([created.json()]) if node["level"] == "meta"]
    for n, (meta, case) in enumerate(zip(metas, cases, strict=True)):
        if case["status"] is None:
            continue
        number = AWKWARD_NUMBERS[n % len(AWKWARD_NUMBERS)]
        first = await _entry(
            client, gestor, meta["id"], status="em_andamento", reported_on="2021-01-05", percent_complete=number % 100
        )
        body = {"status": case["status"], "reported_on": "2022-01-10", "achieved_value": number, "details": "“ok”"}
        if n % 2:  # a correction of the first entry, so the current one supersedes another
            body |= {"supersedes": first["id"], "reported_on": "2021-01-05"}
        await _entry(client, gestor, meta["id"], **body)
    for as_of in ("2021-03-10", "2021-03-11", "2022-01-09", "2024-05-31", None):
        await _flat_is_the_tree(client, database, gestor, plan["id"], **({"as_of": as_of} if as_of else {}))
    overdue = await _flat(client, gestor, plan["id"], as_of="2024-05-31", overdue="true", level="meta")
    assert overdue
    assert all(item["overdue"] and item["days_overdue"] > 0 for item in overdue)
    assert {item["status"] for item in overdue} <= {None, "nao_iniciada", "em_andamento", "atrasada"}


async def test_the_flat_list_follows_every_way_a_goal_is_written(
    client: httpx.AsyncClient,
    accounts: dict[str, Account],
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
) -> None:
    """The flat list takes each goal's own fields from goal.own_json, which a trigger writes
    (migration 0010): it must follow an edit and an import, and write floats in full in a session
    that rounds them (extra_float_digits 0)."""
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    metas = [{"level": "meta", "description": f"Meta {n}", "baseline_value": 2.5} for n in (1, 2)]
    objetivo = {"level": "objetivo", "description": "Objetivo", "children": metas}
    body = {"level": "diretriz", "description": "Diretriz", "children": [objetivo]}
    created = await client.post(f"/api/v1/instruments/{plan['id']}/goals", json=body, headers=gestor.headers)
    meta = walk([created.json()])[2]
    await connection.execute(sa.text("SET LOCAL extra_float_digits = 0"))
    edit = {"description": "Meta “revista”", "baseline_value": 1 / 3, "deadline": "2023-06-30", "responsible": "Vig."}
    patched = await client.patch(f"/api/v1/goals/{meta['id']}", json=edit, headers=gestor.headers)
    assert patched.status_code == 200, patched.text
    await _flat_is_the_tree(client, database, gestor, plan["id"])
    own = await connection.scalar(sa.text("SELECT own_json FROM goal WHERE id = :id"), {"id": meta["id"]})
    assert list(json.loads(own)) == list(OWN_FIELDS)  # the migration's list and the repository's agree
    assert '"baseline_value":0.3333333333333333,' in own
    await connection.execute(sa.text("SET LOCAL extra_float_digits = 1"))

    ses = accounts["ses"]
    imported = await new_instrument(client, ses)
    assert (await upload(client, ses, imported, matriz_csv(ROWS))).status_code == 200
    await _flat_is_the_tree(client, database, ses, imported["id"], as_of=AS_OF.isoformat())


async def test_an_empty_page_or_tree_of_a_visible_instrument_is_empty_and_of_a_hidden_one_404(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    url = f"/api/v1/instruments/{plan['id']}/goals"
    empty = await client.get(url, params={"flat": "true"}, headers=gestor.headers)
    assert empty.json() == {"items": [], "next_cursor": None}
    assert (await client.get(url, headers=gestor.headers)).json() == []  # the tree
    for params in ({"flat": "true"}, {}):
        hidden = await client.get(url, params=params, headers=accounts["gestor_other"].headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")


async def test_timestamps_are_written_as_pydantic_writes_them(connection: AsyncConnection) -> None:
    """Z for UTC, and microseconds only when there are any."""
    draw = random.Random(20261123)
    start = datetime(2018, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=draw.randrange(10**9), microseconds=draw.randrange(10**6)) for _ in range(300)]
    moments += [start, start.replace(microsecond=1), start.replace(microsecond=999999), start.replace(microsecond=10)]
    moments += [moment.replace(microsecond=0) for moment in moments[:20]]
    listed = sa.func.unnest(sa.bindparam("moments", moments, type_=sa.ARRAY(sa.DateTime(timezone=True))))
    given = listed.table_valued("moment", with_ordinality="n").render_derived()
    rows = await connection.execute(sa.select(iso_utc(given.c.moment)).order_by(given.c.n))
    adapter = TypeAdapter(datetime)
    assert [row[0] for row in rows] == [json.loads(adapter.dump_json(moment)) for moment in moments]
