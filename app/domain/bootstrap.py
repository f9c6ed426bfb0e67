"""What a fresh installation needs before it serves: the territory and one admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from app.core.principal import Role
from app.core.settings import Settings
from app.domain.passwords import hash_secret
from app.domain.territory import TerritoryService
from app.repositories import Repositories
from app.repositories.tables import User


@dataclass(frozen=True)
class BootstrapResult:
    municipalities_added: int
    admin_created: bool
    # Set only when the admin was created with a generated password: shown once, never stored.
    generated_password: str | None


async def bootstrap(repositories: Repositories, settings: Settings) -> BootstrapResult:
    await repositories.serialize("bootstrap")
    added = await TerritoryService(repositories).load_reference()
    email = settings.admin_email.strip().lower()
    if await repositories.users.by_login(email=email) is not None:
        return BootstrapResult(added, admin_created=False, generated_password=None)
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = given or secrets.token_urlsafe(18)
    admin = User(
        kind="person", email=email, name="Administrador", secret_hash=await hash_secret(password), role=Role.ADMIN
    )
    await repositories.users.add(admin, [])
    return BootstrapResult(added, admin_created=True, generated_password=None if given else password)
