from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.pagination import Page, PageRequest
from app.core.principal import Principal
from app.repositories.errors import flush_unique
from app.repositories.paging import keyset_page
from app.repositories.prepared import Prepared, bound
from app.repositories.scoping import visible_users
from app.repositories.tables import User, UserRegion, utc_now


@dataclass(frozen=True)
class AccountBinding:
    id: uuid.UUID
    active: bool
    role: str
    uf: str | None
    municipality_code: str | None
    organization_id: uuid.UUID | None
    region_codes: list[str]  # in code order


_REGIONS_OF_ACCOUNT = (
    sa.select(col(UserRegion.region_code))
    .where(col(UserRegion.user_id) == col(User.id))
    .order_by(col(UserRegion.region_code))
    .scalar_subquery()
)
_BINDING = Prepared.of(
    sa.select(
        *(col(getattr(User, name)) for name in ("id", "active", "role", "uf", "municipality_code", "organization_id")),
        sa.func.array(_REGIONS_OF_ACCOUNT, type_=sa.ARRAY(sa.CHAR(5))).label("region_codes"),
    ).where(col(User.id) == bound("account_id", sa.Uuid))
)


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(self, principal: Principal, page: PageRequest) -> Page[User]:
        statement = sa.select(User).where(visible_users(principal))
        return await keyset_page(self.session, statement, [col(User.id)], page, lambda u: (str(u.id),))

    async def get(self, principal: Principal, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        statement = sa.select(User).where(col(User.id) == user_id, visible_users(principal))
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def by_login(self, *, email: str | None = None, client_id: str | None = None) -> User | None:
        """Look up an account by its login name, for authentication only (no caller yet)."""
        column, value = (col(User.email), email) if email is not None else (col(User.client_id), client_id)
        return await self.session.scalar(sa.select(User).where(column == value).with_for_update())

    async def by_id_for_authentication(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def binding(self, user_id: uuid.UUID) -> AccountBinding | None:
        """What a bearer token's account is bound to, its regions included, read as one plain
        row: every authenticated request reads it (an ORM object cost twice as much, and an
        apoiador's regions read apart cost a second round trip through the ORM)."""
        rows = await _BINDING.rows(self.session, account_id=user_id)
        return AccountBinding(*rows[0]) if rows else None

    async def region_codes(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        rows = await self.session.execute(
            sa.select(col(UserRegion.user_id), col(UserRegion.region_code))
            .where(col(UserRegion.user_id).in_(user_ids))
            .order_by(col(UserRegion.region_code))
        )
        codes: dict[uuid.UUID, list[str]] = {user_id: [] for user_id in user_ids}
        for user_id, code in rows:
            codes[user_id].append(code)
        return codes

    async def add(self, user: User, region_codes: Sequence[str]) -> None:
        self.session.add(user)
        await flush_unique(self.session)
        await self.set_regions(user, region_codes)

    async def save(self, user: User, *, new_version: bool = True) -> None:
        if new_version:
            user.version += 1
            user.updated_at = utc_now()
        await flush_unique(self.session)

    async def set_regions(self, user: User, region_codes: Sequence[str]) -> None:
        """Row by row rather than one bulk DELETE, so the audit trail sees each change."""
        current = {
            row.region_code: row
            for row in await self.session.scalars(sa.select(UserRegion).where(col(UserRegion.user_id) == user.id))
        }
        for code, row in current.items():
            if code not in region_codes:
                await self.session.delete(row)
        self.session.add_all(
            UserRegion(user_id=user.id, region_code=code) for code in region_codes if code not in current
        )
        await self.session.flush()

    async def record_login_failure(self, user: User, *, window_start: datetime, failures: int) -> None:
        user.failed_login_window_start = window_start
        user.failed_logins = failures
        await self.session.flush()
