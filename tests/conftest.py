"""One real PostgreSQL per test run (embedded, or TEST_DATABASE_URL), migrated and loaded with
the IBGE territory once; every test runs in a transaction that is rolled back."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.core.principal import Role
from app.core.settings import Settings
from app.domain.territory import TerritoryService
from app.main import create_app
from app.repositories import Repositories
from app.repositories.database import Database, async_url
from app.repositories.embedded import EmbeddedPostgres
from app.repositories.migrations import upgrade
from tests.support import MANAUS, SAO_GABRIEL, Account, ConnectionBoundDatabase, make_account, make_region


async def _seed(url: str) -> None:
    database = Database(url, pool_size=1)
    async with database.session() as session:
        await TerritoryService(Repositories(session)).load_reference()
        await session.commit()
    await database.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres | None]:
    if os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    data_dir = Path(tempfile.mkdtemp(prefix="instrumenta-test-"))
    server = EmbeddedPostgres(data_dir)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(postgres_server: EmbeddedPostgres | None) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or postgres_server.url("instrumenta_test")  # type: ignore[union-attr]
    upgrade(url)
    asyncio.run(_seed(url))
    return url


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        jwt_secret=SecretStr("test-secret-" + "x" * 40),
        admin_password=SecretStr("admin password for tests"),
    )


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def database(connection: AsyncConnection) -> ConnectionBoundDatabase:
    return ConnectionBoundDatabase(connection)


@pytest.fixture
def app(settings: Settings, database: ConnectionBoundDatabase):  # type: ignore[no-untyped-def]
    return create_app(settings, database=database)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def accounts(app, database: ConnectionBoundDatabase) -> dict[str, Account]:  # type: ignore[no-untyped-def]
    """One account per role, bound in Amazonas (Manaus where a municipality is needed), plus a
    gestor of São Gabriel da Cachoeira; regions 13001 (Manaus…) and 13002 exist."""
    await make_region(database, "13001", "Manaus, Entorno e Alto Rio Negro", (MANAUS, SAO_GABRIEL))
    await make_region(database, "13002", "Rio Negro e Solimões", ("1300102",))
    tokens = app.state.tokens
    return {
        "admin": await make_account(database, tokens, Role.ADMIN),
        "conasems": await make_account(database, tokens, Role.CONASEMS),
        "cosems": await make_account(database, tokens, Role.COSEMS, uf="AM"),
        "apoiador": await make_account(database, tokens, Role.APOIADOR, uf="AM", regions=("13001",)),
        "ses": await make_account(database, tokens, Role.SES, uf="AM"),
        "gestor": await make_account(database, tokens, Role.GESTOR, uf="AM", municipality=MANAUS),
        "gestor_other": await make_account(database, tokens, Role.GESTOR, uf="AM", municipality=SAO_GABRIEL),
        "conselho": await make_account(database, tokens, Role.CONSELHO, uf="AM", municipality=MANAUS),
        "auditor": await make_account(database, tokens, Role.AUDITOR, uf="AM"),
        "ses_sp": await make_account(database, tokens, Role.SES, uf="SP"),
    }
