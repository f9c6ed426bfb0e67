"""Engines and sessions. The request owns the transaction; repositories only flush."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.repositories.bulk import STATEMENT_BY_STATEMENT


def async_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (as embedded PostgreSQL and most hosts print them)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """The primary engine, for requests that write, and an engine for requests that only read:
    on the read replica when one is configured, else on the primary with a pool of its own.

    Reads run statement by statement, with no BEGIN and COMMIT around them. Under PostgreSQL's
    READ COMMITTED every statement takes its own snapshot even inside a transaction, so those two
    round trips bought a read request nothing, and they cost about as much as its page of metas.
    Its connections refuse writes, so a read can never leave anything half-written."""

    def __init__(self, url: str, *, read_url: str | None = None, pool_size: int = 10) -> None:
        self.engine = self._engine(url, pool_size)
        self.read_engine = self._engine(
            read_url or url,
            pool_size,
            isolation_level="AUTOCOMMIT",
            connect_args={"server_settings": {"default_transaction_read_only": "on"}},
        )
        self._turns = {read_only: asyncio.Semaphore(pool_size) for read_only in (False, True)}

    @staticmethod
    def _engine(url: str, pool_size: int, **options: Any) -> AsyncEngine:
        # A fixed pool: requests past its size wait for a connection. Overflow connections were
        # closed as soon as the pool had its size idle again, so under steady load each request
        # could open one (a new backend, its types looked up and its statements planned anew).
        return create_async_engine(async_url(url), pool_size=pool_size, max_overflow=0, **options)

    def turn(self, *, read_only: bool = False) -> AbstractAsyncContextManager[Any]:
        """A request's turn at the connections of the pool it will use, first come, first
        served; held for as long as its session. SQLAlchemy's pool gives a connection handed
        back to whichever request asks next, not to the one waiting longest, so under load a
        waiting request could be passed over again and again: at 64 clients on a pool of 10,
        the 99th percentile was over four times the median, and is a fifth more with turns."""
        return self._turns[read_only]

    def session(self, *, read_only: bool = False) -> AsyncSession:
        if read_only:
            return AsyncSession(self.read_engine, expire_on_commit=False, info={STATEMENT_BY_STATEMENT: True})
        return AsyncSession(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.read_engine.dispose()
