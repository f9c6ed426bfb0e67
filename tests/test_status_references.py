"""An entry's references to its goal (of its own instrument) and its author, kept by triggers
that check a statement's rows together (migration 0014): whatever writes an entry, and whatever
deletes or rekeys what it names, the database holds them as foreign keys would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.repositories.tables import new_id
from tests.support import MANAUS

GOAL_KEY = "status_update_goal_id_instrument_id_fkey"
AUTHOR_KEY = "status_update_author_id_fkey"
ENTRIES = sa.text(
    "INSERT INTO status_update (goal_id, instrument_id, author_id, reported_on, status) "
    "SELECT goal, instrument, author, DATE '2024-03-01', 'em_andamento' "
    "FROM unnest(CAST(:goals AS uuid[]), CAST(:instruments AS uuid[]), CAST(:authors AS uuid[])) "
    "AS named (goal, instrument, author)"
)


@dataclass(frozen=True)
class Tree:
    instrument: uuid.UUID
    other_instrument: uuid.UUID
    goals: tuple[uuid.UUID, ...]  # a diretriz, then two metas under it
    author: uuid.UUID


async def _tree(connection: AsyncConnection, year: int = 2022) -> Tree:
    """Two PMSs of Manaus, the first with a diretriz and two metas; an account."""
    instruments = (new_id(), new_id())
    for instrument, first_year in zip(instruments, (year, year + 4), strict=True):
        await connection.execute(
            sa.text(
                "INSERT INTO instrument (id, kind, owner_type, owner_code, uf, municipality_code, year, end_year, "
                "status, version) VALUES (:id, 'PMS', 'municipality', :code, 'AM', :municipality, :year, :end, "
                "'em_elaboracao', 1)"
            ),
            {"id": instrument, "code": MANAUS, "municipality": MANAUS, "year": first_year, "end": first_year + 3},
        )
    goals = (new_id(), new_id(), new_id())
    for goal, parent, key, level in zip(
        goals,
        (None, goals[0], goals[0]),
        ("00001", "00001.00001", "00001.00002"),
        ("diretriz", "meta", "meta"),
        strict=True,
    ):
        await connection.execute(
            sa.text(
                "INSERT INTO goal (id, instrument_id, parent_id, sort_key, level, description, version) "
                "VALUES (:id, :instrument, :parent, :key, :level, 'Ampliar o acesso', 1)"
            ),
            {"id": goal, "instrument": instruments[0], "parent": parent, "key": key, "level": level},
        )
    author = new_id()
    await connection.execute(
        sa.text(
            "INSERT INTO app_user (id, kind, email, name, secret_hash, role, uf, active, version, failed_logins) "
            "VALUES (:id, 'person', :email, 'Gestora', '!', 'ses', 'AM', true, 1, 0)"
        ),
        {"id": author, "email": f"{author}@references.test"},
    )
    return Tree(instruments[0], instruments[1], goals, author)


async def _write(connection: AsyncConnection, *entries: tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]) -> None:
    goals, instruments, authors = zip(*entries, strict=True)
    await connection.execute(ENTRIES, {"goals": goals, "instruments": instruments, "authors": authors})


async def _refused(connection: AsyncConnection, key: str, statement: sa.TextClause | str, **values: object) -> None:
    """The statement is refused as the foreign key `key` refuses (SQLSTATE 23503), and undone."""
    with pytest.raises(DBAPIError) as refusal:
        async with connection.begin_nested():
            await connection.execute(sa.text(statement) if isinstance(statement, str) else statement, values)
    _assert_refused_by(refusal.value, key)


def _assert_refused_by(error: DBAPIError, key: str) -> None:
    cause = error.orig.__cause__  # type: ignore[union-attr]
    assert (cause.sqlstate, cause.constraint_name) == ("23503", key), cause


async def _entries(connection: AsyncConnection) -> int:
    return int(await connection.scalar(sa.text("SELECT count(*) FROM status_update")) or 0)


async def test_a_statements_entries_are_written_together_or_not_at_all(connection: AsyncConnection) -> None:
    """One bad row among many refuses them all, whichever reference it breaks."""
    tree = await _tree(connection)
    _, first, second = tree.goals
    good = [(first, tree.instrument, tree.author), (second, tree.instrument, None)]
    bad_rows = {
        GOAL_KEY: [(first, tree.other_instrument, tree.author), (new_id(), tree.instrument, tree.author)],
        AUTHOR_KEY: [(second, tree.instrument, new_id())],
    }
    for key, rows in bad_rows.items():
        for bad in rows:
            goals, instruments, authors = zip(*good, bad, strict=True)
            await _refused(connection, key, ENTRIES, goals=goals, instruments=instruments, authors=authors)
    assert await _entries(connection) == 0
    await _write(connection, *good)
    assert await _entries(connection) == 2


async def test_an_entry_keeps_its_goal_and_author(connection: AsyncConnection) -> None:
    """A goal with entries is not deleted, by itself or with its parent, nor moved or rekeyed;
    nor is the account that wrote one. Without entries, either goes."""
    tree = await _tree(connection)
    _, reported, unreported = tree.goals
    await _write(connection, (reported, tree.instrument, tree.author))
    values = {"goal": reported, "other": tree.other_instrument, "author": tree.author}
    for statement in (
        "DELETE FROM goal WHERE id = :goal",
        "DELETE FROM goal WHERE id = (SELECT parent_id FROM goal WHERE id = :goal)",  # cascades to it
        "DELETE FROM instrument WHERE id = (SELECT instrument_id FROM goal WHERE id = :goal)",
        "UPDATE goal SET instrument_id = :other WHERE id = :goal",
        "UPDATE goal SET id = gen_random_uuid() WHERE id = :goal",
    ):
        await _refused(connection, GOAL_KEY, statement, **values)
    for statement in (
        "DELETE FROM app_user WHERE id = :author",
        "UPDATE app_user SET id = gen_random_uuid() WHERE id = :author",
    ):
        await _refused(connection, AUTHOR_KEY, statement, **values)
    await connection.execute(sa.text("UPDATE goal SET description = 'Ampliar', id = id WHERE id = :goal"), values)
    await connection.execute(sa.text("DELETE FROM goal WHERE id = :goal"), {"goal": unreported})
    await connection.execute(sa.text("UPDATE app_user SET name = 'Gestora', id = id WHERE id = :author"), values)
    unwritten = (await _tree(connection, year=2030)).author
    await connection.execute(sa.text("DELETE FROM app_user WHERE id = :author"), {"author": unwritten})
    assert (
        await connection.scalar(sa.text("SELECT count(*) FROM goal WHERE id = ANY(:ids)"), {"ids": list(tree.goals)})
        == 2
    )


# ----- two transactions at once ----------------------------------------------------------------


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[Tree]:
    """A tree committed for other transactions to see, removed afterwards (entries are
    append-only by trigger: the cleanup steps past it, as only a test may)."""
    async with engine.begin() as connection:
        tree = await _tree(connection, year=2090)
    try:
        yield tree
    finally:
        async with engine.begin() as connection:
            await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            await connection.execute(
                sa.text("DELETE FROM status_update WHERE instrument_id = :i"), {"i": tree.instrument}
            )
            for table, column in (("goal", "instrument_id"), ("instrument", "id")):
                await connection.execute(
                    sa.text(f"DELETE FROM {table} WHERE {column} = ANY(:ids)"),  # noqa: S608
                    {"ids": [tree.instrument, tree.other_instrument]},
                )
            await connection.execute(sa.text("DELETE FROM app_user WHERE id = :a"), {"a": tree.author})


async def _waiting(engine: AsyncEngine, pid: int) -> None:
    """Until the backend `pid` waits for a lock another transaction holds."""
    async with engine.connect() as watcher:
        for _ in range(500):
            waiting = await watcher.scalar(
                sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if waiting:
                return
            await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")


async def _pid(connection: AsyncConnection) -> int:
    return int(await connection.scalar(sa.text("SELECT pg_backend_pid()")) or 0)


@pytest.mark.parametrize("first", ["entries", "deletion"])
async def test_a_goal_deleted_while_entries_on_it_are_written_is_one_or_the_other(
    engine: AsyncEngine, committed: Tree, first: str
) -> None:
    """Whichever transaction comes second waits for the first, then sees what it committed:
    the deletion is refused once the entries are in, and the entries once the goal is gone."""
    goal = committed.goals[1]
    delete = sa.text("DELETE FROM goal WHERE id = :goal")
    async with engine.connect() as writer, engine.connect() as deleter:
        await writer.begin()
        await deleter.begin()
        if first == "entries":
            await _write(writer, (goal, committed.instrument, committed.author))
            second, statement, values, pid = deleter, delete, {"goal": goal}, await _pid(deleter)
        else:
            await deleter.execute(delete, {"goal": goal})
            second, pid = writer, await _pid(writer)
            statement = ENTRIES
            values = {"goals": [goal], "instruments": [committed.instrument], "authors": [committed.author]}
        waiting = asyncio.create_task(second.execute(statement, values))
        await _waiting(engine, pid)
        await (writer if first == "entries" else deleter).commit()
        with pytest.raises(DBAPIError) as refusal:
            await waiting
        _assert_refused_by(refusal.value, GOAL_KEY)
        await second.rollback()
    async with engine.connect() as reader:
        entries = await reader.scalar(sa.text("SELECT count(*) FROM status_update WHERE goal_id = :g"), {"g": goal})
        goals = await reader.scalar(sa.text("SELECT count(*) FROM goal WHERE id = :g"), {"g": goal})
    assert (entries, goals) == ((1, 1) if first == "entries" else (0, 0))
