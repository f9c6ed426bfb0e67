"""The database's engines on a real server: reads statement by statement on connections that
refuse writes, writes in one transaction; and the locks that order concurrent processes."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from asyncpg.exceptions import ReadOnlySQLTransactionError
from sqlalchemy.exc import DBAPIError

from app.repositories.bulk import driver
from app.repositories.database import Database, async_url
from app.repositories.prepared import Prepared, bound


async def test_reads_go_to_the_replica_when_one_is_configured(database_url: str) -> None:
    database = Database(database_url, read_url=database_url.replace("instrumenta_test", "instrumenta_replica"))
    try:
        assert database.read_engine is not database.engine
        assert database.session(read_only=True).bind is database.read_engine
        assert database.session().bind is database.engine
    finally:
        await database.dispose()
    alone = Database(database_url)  # reads get a pool of their own on the primary
    assert alone.session(read_only=True).bind is alone.read_engine
    assert alone.read_engine.url == alone.engine.url
    await alone.dispose()


def test_plain_postgres_urls_get_the_asyncpg_driver() -> None:
    assert async_url("postgresql://u:p@h/db").startswith("postgresql+asyncpg://u:p@h/db")
    assert async_url("postgresql://postgres:@/db?host=/tmp/pg") == "postgresql+asyncpg://postgres:@/db?host=%2Ftmp%2Fpg"


async def test_bootstrap_runs_one_process_at_a_time(engine) -> None:  # type: ignore[no-untyped-def]
    """While one transaction holds the bootstrap lock, another's bootstrap waits for it."""
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.repositories import Repositories

    async with AsyncSession(engine) as first, AsyncSession(engine) as second:
        await Repositories(first).serialize("bootstrap")
        waiting = asyncio.create_task(Repositories(second).serialize("bootstrap"))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second bootstrap did not wait for the first"
        await first.rollback()
        await asyncio.wait_for(waiting, timeout=5)
        await second.rollback()


@pytest.fixture
async def own_database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=2)
    yield database
    await database.dispose()


async def test_reads_send_no_begin_and_cannot_write(own_database: Database) -> None:
    async with own_database.session(read_only=True) as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM state")) == 27
        connection = await driver(session)
        assert not connection.is_in_transaction()
        with pytest.raises(DBAPIError) as refused:
            await session.execute(sa.text("CREATE TEMP TABLE scratch (n int)"))
        assert isinstance(refused.value.orig.__cause__, ReadOnlySQLTransactionError)
        with pytest.raises(ReadOnlySQLTransactionError):
            await connection.execute("CREATE TEMP TABLE scratch (n int)")


async def test_writes_run_in_one_transaction_that_the_driver_joins(own_database: Database) -> None:
    async with own_database.session() as session:
        connection = await driver(session)  # before any statement: it begins the transaction
        assert connection.is_in_transaction()
        await connection.execute("CREATE TEMP TABLE scratch (n int) ON COMMIT DROP")
        assert await session.scalar(sa.text("SELECT count(*) FROM scratch")) == 0
        await session.rollback()
        assert not connection.is_in_transaction()


async def test_a_prepared_statement_takes_its_bound_values_and_converts_the_compiled_ones(
    own_database: Database,
) -> None:
    flag, word = sa.literal(True, sa.Boolean), bound("word", sa.String)
    prepared = Prepared.of(sa.select(flag, sa.func.upper(word), bound("number", sa.Integer) + 1))
    assert {"word", "number"} <= set(prepared.names)
    async with own_database.session(read_only=True) as session:
        assert list(await prepared.rows(session, word="meta", number=41)) == [(True, "META", 42)]
        assert tuple(await prepared.rows(session, word="ação", number=0)) == ((True, "AÇÃO", 1),)


class Colour(enum.Enum):
    RED = "r"
    BLUE = "b"


async def test_a_prepared_list_is_converted_value_by_value(own_database: Database) -> None:
    """A list compiled in is sent as one parameter per value, each converted by the list's type
    (a non-native Enum sends its members' names)."""
    listed = sa.bindparam(
        "colours", [Colour.RED, Colour.BLUE], type_=sa.Enum(Colour, native_enum=False), expanding=True
    )
    prepared = Prepared.of(sa.select(sa.literal("BLUE", sa.String).in_(listed), bound("word", sa.String)))
    async with own_database.session(read_only=True) as session:
        assert list(await prepared.rows(session, word="meta")) == [(True, "meta")]


async def test_requests_get_a_connection_in_the_order_they_asked(database_url: str) -> None:
    """On a pool of one, each request takes its turn as the app's requests do, while new ones
    keep arriving as connections are handed back: none is served before one that asked first."""
    database = Database(database_url, pool_size=1)
    asked: list[int] = []
    served: list[int] = []

    async def request(n: int) -> None:
        asked.append(n)
        async with database.turn(read_only=True), database.session(read_only=True) as session:
            await session.execute(sa.text("SELECT 1"))
            served.append(n)

    try:
        arriving = []
        for n in range(300):
            arriving.append(asyncio.create_task(request(n)))
            await asyncio.sleep(0)
        await asyncio.gather(*arriving)
    finally:
        await database.dispose()
    assert served == asked
