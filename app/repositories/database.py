"""Engines and sessions. The request owns the transaction; repositories only flush."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine


def async_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (as embedded PostgreSQL and most hosts print them)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """The primary engine, and a read-replica engine for read-only requests when configured."""

    def __init__(self, url: str, *, read_url: str | None = None, pool_size: int = 10) -> None:
        self.engine = self._engine(url, pool_size)
        self.read_engine = self._engine(read_url, pool_size) if read_url else self.engine

    @staticmethod
    def _engine(url: str, pool_size: int) -> AsyncEngine:
        return create_async_engine(async_url(url), pool_size=pool_size, max_overflow=pool_size)

    def session(self, *, read_only: bool = False) -> AsyncSession:
        return AsyncSession(self.read_engine if read_only else self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
