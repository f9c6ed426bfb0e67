"""The nested read frontends ask for in one round trip costs a fixed number of SQL statements,
whatever the size of the region (counted with a SQLAlchemy event on the test's connection)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.principal import Role
from app.repositories.goals import sibling_key
from app.repositories.tables import Goal, Instrument, StatusUpdate
from tests.support import Account, ConnectionBoundDatabase, graphql, make_account, make_region, statements_run

BUDGET = 10
NESTED = """query ($code: String!) { region(code: $code) { code name municipalities { code name
    instruments { edges { node { databaseId kind year status
        goals(first: 20) { edges { node { databaseId number description deadline
            currentStatus { reportedOn status percentComplete } } } } } } } } } }"""
# (kind, quadrimester): five instruments of 2024 per municipality
KINDS = [("PAS", None), ("RDQA", 1), ("RDQA", 2), ("RDQA", 3), ("RAG", None)]


async def _region_with_trees(database: ConnectionBoundDatabase, code: str, members: list[str], metas: int) -> None:
    await make_region(database, code, f"Região {code}", tuple(members))
    instruments: list[Instrument] = []
    goals: list[Goal] = []
    updates: list[StatusUpdate] = []
    for municipality in members:
        for kind, quadrimester in KINDS:
            instrument = Instrument(
                kind=kind,
                owner_type="municipality",
                owner_code=municipality,
                uf="AM",
                municipality_code=municipality,
                year=2024,
                quadrimester=quadrimester,
                end_year=2024,
                status="aprovado",
            )
            instruments.append(instrument)
            for position in range(1, metas + 1):
                goal = Goal(
                    instrument_id=instrument.id,
                    uf="AM",
                    sort_key=sibling_key(None, position),
                    level="meta",
                    number=str(position),
                    description=f"Meta {position}",
                    deadline=date(2024, 12, 31),
                )
                goals.append(goal)
                updates.append(
                    StatusUpdate(
                        goal_id=goal.id,
                        instrument_id=instrument.id,
                        uf="AM",
                        reported_on=date(2024, 6, 30),
                        status="em_andamento",
                        percent_complete=50.0,
                    )
                )
    async with database.session() as session:
        for rows in (instruments, goals, updates):  # no ORM relationships: parents first
            session.add_all(rows)
            await session.flush()
        await session.commit()


async def _counted(connection: AsyncConnection, request: Awaitable[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """The answer to `request` and the SQL statements it ran (the test's own savepoints aside)."""
    async with statements_run(connection) as statements:
        body = await request
    assert "errors" not in body, body["errors"]
    return body, len(statements)


async def _statements(client: httpx.AsyncClient, connection: AsyncConnection, code: str, account: Account) -> int:
    body, count = await _counted(connection, graphql(client, NESTED, {"code": code}, headers=account.headers))
    return _checked(body, count)


async def _amazonas(connection: AsyncConnection, count: int) -> list[str]:
    """Municipalities of AM outside the regions the `accounts` fixture draws."""
    rows = await connection.execute(
        text(
            "SELECT code FROM municipality WHERE uf = 'AM' AND code NOT IN ('1302603', '1303809', '1300102') "
            "ORDER BY code LIMIT :count"
        ),
        {"count": count},
    )
    return [row[0] for row in rows.all()]


def _checked(body: dict[str, object], count: int) -> int:
    region = body["data"]["region"]  # type: ignore[index]
    for municipality in region["municipalities"]:  # type: ignore[index]
        instruments = municipality["instruments"]["edges"]
        assert len(instruments) == len(KINDS)
        for edge in instruments:
            goals = edge["node"]["goals"]["edges"]
            assert len(goals) == 20
            assert all(goal["node"]["currentStatus"]["status"] == "em_andamento" for goal in goals)
    return count


@pytest.mark.parametrize("role", ["admin", "apoiador"])
async def test_nested_region_read_costs_the_same_few_statements_for_3_or_30_municipalities(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
    app: Any,
    role: str,
) -> None:
    municipalities = await _amazonas(connection, 33)
    await _region_with_trees(database, "13090", municipalities[:30], metas=20)
    await _region_with_trees(database, "13091", municipalities[30:], metas=20)
    caller = accounts["admin"]
    if role == "apoiador":  # scoped by its regions, which the principal reads per request
        caller = await make_account(database, app.state.tokens, Role.APOIADOR, uf="AM", regions=("13090", "13091"))
    large = await _statements(client, connection, "13090", caller)
    small = await _statements(client, connection, "13091", caller)
    assert large == small
    assert large <= BUDGET


async def test_progress_of_a_list_of_instruments_costs_the_same_for_1_or_5(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
) -> None:
    municipalities = await _amazonas(connection, 2)
    await _region_with_trees(database, "13090", municipalities, metas=3)
    query = """query ($code: String!, $first: Int!) { municipality(code: $code) { instruments(first: $first) {
        nodes { progress(asOf: "2024-07-01") { metas byStatus { status count } overdue { daysOverdue } } } } } }"""
    counts = []
    for first in (1, 5):
        variables = {"code": municipalities[0], "first": first}
        body, count = await _counted(connection, graphql(client, query, variables, headers=accounts["admin"].headers))
        nodes = body["data"]["municipality"]["instruments"]["nodes"]
        assert len(nodes) == first
        assert all(node["progress"]["metas"] == 3 for node in nodes)
        counts.append(count)
    assert counts[0] == counts[1]
