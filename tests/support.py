"""Test plumbing: a database bound to one test's transaction, and account factories."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from argon2 import PasswordHasher
from asyncpg.connection import LoggedQuery
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from app.core.principal import Principal, Role
from app.domain.auth import principal_of
from app.domain.tokens import TokenService
from app.repositories import Repositories
from app.repositories.database import Database
from app.repositories.tables import HealthRegion, RegionMembership, User, UserRegion

PASSWORD = "correct horse battery staple"
MANAUS, SAO_GABRIEL, SAO_PAULO = "1302603", "1303809", "3550308"


class ConnectionBoundDatabase(Database):
    """Sessions that join the test's outer transaction as savepoints, so each test rolls back."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.engine = self.read_engine = connection.engine

    def turn(self, *, read_only: bool = False) -> AbstractAsyncContextManager[Any]:
        return nullcontext()  # one connection, the test's

    def session(self, *, read_only: bool = False) -> AsyncSession:
        session = AsyncSession(bind=self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        if read_only:  # as Database's read connections do, which these savepoints stand in for
            event.listen(session.sync_session, "before_flush", _refuse_flush)
            event.listen(session.sync_session, "do_orm_execute", _refuse_writes)
        return session

    async def ping(self) -> None:
        await self.connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """The connection belongs to the test."""


def _refuse_flush(session: Session, flush_context: Any, instances: Any) -> None:
    raise AssertionError("a read-only request wrote through the ORM")


def _refuse_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise AssertionError(f"a read-only request wrote: {state.statement}")


# Markers of asyncpg's type introspection (asyncpg/introspection.py, Connection._introspect_types).
_DRIVER_LOOKUPS = ("typeinfo_tree", "set_config('jit'")


@asynccontextmanager
async def statements_run(connection: AsyncConnection) -> AsyncIterator[list[str]]:
    """The SQL statements run on the test's connection while inside: through SQLAlchemy, and
    straight on the driver (as the hot reads are), the test's own savepoints aside."""
    statements: list[str] = []

    def through_sqlalchemy(*args: object) -> None:
        if not str(args[2]).startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            statements.append(str(args[2]))

    def on_the_driver(query: LoggedQuery) -> None:
        # SQLAlchemy's statements go through prepared statements, which the driver does not
        # log; besides ours, it logs its own look-up of types it meets for the first time.
        if query.query.strip() and not any(mark in query.query for mark in _DRIVER_LOOKUPS):
            statements.append(query.query)

    driver = (await connection.get_raw_connection()).driver_connection
    event.listen(connection.sync_connection, "before_cursor_execute", through_sqlalchemy)
    driver.add_query_logger(on_the_driver)
    try:
        yield statements
    finally:
        await asyncio.sleep(0)  # the driver reports on the loop's next turn
        driver.remove_query_logger(on_the_driver)
        event.remove(connection.sync_connection, "before_cursor_execute", through_sqlalchemy)


@cache
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@dataclass(frozen=True)
class Account:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def principal_of_account(repositories: Repositories, account: Account) -> Principal:
    """The Principal a request with the account's token would have."""
    binding = await repositories.users.binding(account.user.id)
    assert binding is not None
    return principal_of(binding)


async def make_account(
    database: ConnectionBoundDatabase,
    tokens: TokenService,
    role: Role,
    *,
    uf: str | None = None,
    municipality: str | None = None,
    regions: tuple[str, ...] = (),
    email: str | None = None,
) -> Account:
    user = User(
        kind="person",
        email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
        name=f"Test {role}",
        secret_hash=password_hash(),
        role=role,
        uf=uf,
        municipality_code=municipality,
    )
    async with database.session() as session:
        session.add(user)
        await session.flush()
        session.add_all(UserRegion(user_id=user.id, region_code=code) for code in regions)
        await session.commit()
    return Account(user, tokens.issue(user.id, role).access_token)


async def make_region(database: ConnectionBoundDatabase, code: str, name: str, members: tuple[str, ...]) -> None:
    from datetime import date

    async with database.session() as session:
        repositories = Repositories(session)
        uf = (await repositories.territory.municipality(members[0])).uf if members else "AM"  # type: ignore[union-attr]
        session.add(HealthRegion(code=code, uf=uf, name=name))
        await session.flush()
        session.add_all(
            RegionMembership(municipality_code=m, region_code=code, uf=uf, valid_from=date(2019, 1, 1)) for m in members
        )
        await session.commit()


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST one GraphQL document; the whole response body (data and errors)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body
