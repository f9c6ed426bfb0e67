"""References kept by triggers that check a statement's rows together, not by foreign keys:
an entry's to its goal (of its own instrument) and its author (migration 0014), a goal's to its
instrument and its parent (migration 0017). Whatever writes a row, and whatever deletes or rekeys
what it names, the database holds them as foreign keys would."""

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


# ----- a goal's instrument and parent (migration 0017) -----------------------------------------

INSTRUMENT_KEY = "goal_instrument_id_fkey"
PARENT_KEY = "goal_parent_id_fkey"
GOALS = sa.text(
    "INSERT INTO goal (id, instrument_id, parent_id, sort_key, level, description, version) "
    "SELECT goal, instrument, parent, key, 'meta', 'Reduzir a mortalidade infantil', 1 "
    "FROM unnest(CAST(:goals AS uuid[]), CAST(:instruments AS uuid[]), CAST(:parents AS uuid[]), "
    "CAST(:keys AS text[])) AS named (goal, instrument, parent, key)"
)
Node = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None, str]  # id, instrument, parent, sort key


def _nodes(*nodes: Node) -> dict[str, object]:
    goals, instruments, parents, keys = zip(*nodes, strict=True)
    return {"goals": goals, "instruments": instruments, "parents": parents, "keys": keys}


async def _goal_count(connection: AsyncConnection, instrument: uuid.UUID) -> int:
    statement = sa.text("SELECT count(*) FROM goal WHERE instrument_id = :i")
    return int(await connection.scalar(statement, {"i": instrument}) or 0)


async def test_a_statements_goals_are_written_together_or_not_at_all(connection: AsyncConnection) -> None:
    """A node may come before its parent in the statement that writes both (an import's COPY);
    one row naming an instrument or a parent that does not exist refuses them all."""
    tree = await _tree(connection)
    diretriz = tree.goals[0]
    objetivo, meta = new_id(), new_id()
    good: list[Node] = [
        (meta, tree.instrument, objetivo, "00001.00003.00001"),
        (objetivo, tree.instrument, diretriz, "00001.00003"),
    ]
    bad_rows: dict[str, Node] = {
        INSTRUMENT_KEY: (new_id(), new_id(), None, "00009"),
        PARENT_KEY: (new_id(), tree.instrument, new_id(), "00001.00009"),
    }
    for key, bad in bad_rows.items():
        await _refused(connection, key, GOALS, **_nodes(*good, bad))
    assert await _goal_count(connection, tree.instrument) == 3
    await connection.execute(GOALS, _nodes(*good))
    assert await _goal_count(connection, tree.instrument) == 5


async def test_a_moved_goal_names_an_instrument_and_a_parent_that_exist(connection: AsyncConnection) -> None:
    tree = await _tree(connection)
    diretriz, meta, _ = tree.goals
    values = {"goal": meta, "missing": new_id()}
    await _refused(connection, PARENT_KEY, "UPDATE goal SET parent_id = :missing WHERE id = :goal", **values)
    await _refused(connection, INSTRUMENT_KEY, "UPDATE goal SET instrument_id = :missing WHERE id = :goal", **values)
    move = sa.text("UPDATE goal SET instrument_id = :instrument, parent_id = :parent WHERE id = :goal")
    for instrument, parent in ((tree.instrument, None), (tree.instrument, diretriz), (tree.other_instrument, None)):
        await connection.execute(move, {"goal": meta, "instrument": instrument, "parent": parent})
        placed = (
            await connection.execute(sa.text("SELECT instrument_id, parent_id FROM goal WHERE id = :g"), {"g": meta})
        ).one()
        assert tuple(placed) == (instrument, parent)


async def test_a_goal_goes_with_its_instrument_or_parent_which_keep_their_keys(connection: AsyncConnection) -> None:
    """Deleting a goal deletes the goals under it, and deleting an instrument its goals (as ON
    DELETE CASCADE did); neither is rekeyed while a goal names it, and a goal none names is."""
    tree = await _tree(connection)
    diretriz, first, _ = tree.goals
    rekey_goal = "UPDATE goal SET id = gen_random_uuid() WHERE id = :goal"
    await _refused(connection, PARENT_KEY, rekey_goal, goal=diretriz)
    await _refused(
        connection, INSTRUMENT_KEY, "UPDATE instrument SET id = gen_random_uuid() WHERE id = :i", i=tree.instrument
    )
    await connection.execute(sa.text(rekey_goal), {"goal": first})
    await connection.execute(sa.text("UPDATE goal SET description = 'Ampliar', id = id WHERE id = :g"), {"g": diretriz})
    await connection.execute(sa.text("DELETE FROM goal WHERE id = :goal"), {"goal": diretriz})
    assert await _goal_count(connection, tree.instrument) == 0  # the rekeyed meta went with it too

    other = await _tree(connection, year=2030)
    await connection.execute(sa.text("DELETE FROM instrument WHERE id = :i"), {"i": other.instrument})
    assert await _goal_count(connection, other.instrument) == 0
    left = await connection.scalar(
        sa.text("SELECT count(*) FROM goal WHERE id = ANY(:ids)"), {"ids": list(other.goals)}
    )
    assert left == 0


@pytest.mark.parametrize("named", ["parent", "instrument"])
@pytest.mark.parametrize("first", ["goal", "deletion"])
async def test_a_parent_deleted_while_a_goal_is_written_under_it_is_one_or_the_other(
    engine: AsyncEngine, committed: Tree, first: str, named: str
) -> None:
    """Whichever transaction comes second waits for the first, then sees what it committed: a
    goal written under what is being deleted is refused; one written first is deleted with it."""
    diretriz = committed.goals[0]
    goal = new_id()
    if named == "parent":
        delete, target, key = sa.text("DELETE FROM goal WHERE id = :id"), diretriz, PARENT_KEY
        node: Node = (goal, committed.instrument, diretriz, "00001.00009")
    else:
        delete, target, key = sa.text("DELETE FROM instrument WHERE id = :id"), committed.instrument, INSTRUMENT_KEY
        node = (goal, committed.instrument, None, "00009")
    async with engine.connect() as writer, engine.connect() as deleter:
        await writer.begin()
        await deleter.begin()
        if first == "goal":
            await writer.execute(GOALS, _nodes(node))
            waiting = asyncio.create_task(deleter.execute(delete, {"id": target}))
            await _waiting(engine, await _pid(deleter))
            await writer.commit()
            await waiting
            await deleter.commit()
        else:
            await deleter.execute(delete, {"id": target})
            waiting = asyncio.create_task(writer.execute(GOALS, _nodes(node)))
            await _waiting(engine, await _pid(writer))
            await deleter.commit()
            with pytest.raises(DBAPIError) as refusal:
                await waiting
            _assert_refused_by(refusal.value, key)
            await writer.rollback()
    async with engine.connect() as reader:
        found = await reader.scalar(sa.text("SELECT count(*) FROM goal WHERE id = ANY(:ids)"), {"ids": [goal, target]})
    assert found == 0
