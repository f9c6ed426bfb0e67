from __future__ import annotations

from app.repositories.database import Database, async_url


async def test_reads_go_to_the_replica_when_one_is_configured(database_url: str) -> None:
    database = Database(database_url, read_url=database_url.replace("instrumenta_test", "instrumenta_replica"))
    try:
        assert database.read_engine is not database.engine
        assert database.session(read_only=True).bind is database.read_engine
        assert database.session().bind is database.engine
    finally:
        await database.dispose()
    alone = Database(database_url)
    assert alone.session(read_only=True).bind is alone.engine
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
