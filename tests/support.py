"""Test plumbing: a database bound to one test's transaction, and account factories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core.principal import Role
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

    def session(self, *, read_only: bool = False) -> AsyncSession:
        return AsyncSession(bind=self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint")

    async def ping(self) -> None:
        await self.connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """The connection belongs to the test."""


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
