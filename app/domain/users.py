"""Accounts: people and service accounts, each with one role and its territory binding."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from app.core.pagination import Page, PageRequest
from app.core.principal import Principal, Role
from app.domain.access import Binding, check_binding, require_admin, require_authenticated
from app.domain.codes import parse_municipality_code
from app.domain.passwords import hash_secret
from app.repositories import Repositories
from app.repositories.errors import DuplicateKey
from app.repositories.tables import User

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=EMAIL_PATTERN)]
Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
UfCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,7}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "service"] = "person"
    email: Email | None = Field(default=None, description="Login of a person; service accounts get a client_id.")
    name: Name
    password: Password | None = Field(default=None, description="A person's password (12 characters or more).")
    role: Role
    uf: UfCode | None = None
    municipality: MunicipalityCode | None = Field(default=None, description="IBGE code, 7 or 6 digits.")
    regions: list[RegionCode] = Field(default_factory=list, max_length=100)
    organization_id: uuid.UUID | None = None


class UserPatch(BaseModel):
    """Fields left out keep their value; a binding field sent as null clears it."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    password: Password | None = None
    role: Role | None = None
    uf: UfCode | None = None
    municipality: MunicipalityCode | None = None
    regions: list[RegionCode] | None = Field(default=None, max_length=100)
    organization_id: uuid.UUID | None = None
    active: bool | None = None


@dataclass(frozen=True)
class Account:
    user: User
    region_codes: list[str]
    # Shown once, when a service account is created.
    client_secret: str | None = None


class UserService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.users = repositories.users

    async def create(self, principal: Principal, data: UserCreate) -> Account:
        require_admin(principal)
        binding = await self._resolve(data.role, data.uf, data.municipality, data.regions, data.organization_id)
        client_secret = None
        if data.kind == "person":
            if data.email is None or data.password is None:
                raise InvalidInput("a person needs an email and a password", code="invalid_account")
            secret = data.password
        else:
            if data.email is not None or data.password is not None:
                raise InvalidInput("a service account gets a generated client_id and secret", code="invalid_account")
            secret = client_secret = secrets.token_urlsafe(32)
        user = User(
            kind=data.kind,
            email=data.email,
            client_id=f"svc-{secrets.token_hex(8)}" if data.kind == "service" else None,
            name=data.name,
            secret_hash=await hash_secret(secret),
            role=data.role,
            uf=binding.uf,
            municipality_code=binding.municipality_code,
            organization_id=binding.organization_id,
        )
        try:
            await self.users.add(user, binding.region_codes)
        except DuplicateKey as exc:
            raise Conflict(f"an account with email {data.email} already exists", code="duplicate_account") from exc
        return Account(user, list(binding.region_codes), client_secret)

    async def page(self, principal: Principal, page: PageRequest) -> Page[Account]:
        require_authenticated(principal)
        users = await self.users.page(principal, page)
        regions = await self.users.region_codes([u.id for u in users.items])
        return users.map(lambda u: Account(u, regions[u.id]))

    async def me(self, principal: Principal) -> Account:
        """The caller's own account."""
        require_authenticated(principal)
        assert principal.user_id is not None
        return await self.get(principal, principal.user_id)

    async def get(self, principal: Principal, user_id: uuid.UUID) -> Account:
        require_authenticated(principal)
        user = await self._visible(principal, user_id)
        return Account(user, (await self.users.region_codes([user.id]))[user.id])

    async def update(
        self, principal: Principal, user_id: uuid.UUID, patch: UserPatch, expected_version: int | None
    ) -> Account:
        require_admin(principal)
        user = await self._visible(principal, user_id, for_update=True)
        check_version(user.version, expected_version)
        regions = (await self.users.region_codes([user.id]))[user.id]
        sent = patch.model_fields_set
        binding_fields = {"role", "uf", "municipality", "regions", "organization_id"}
        if sent & binding_fields:
            role = patch.role if "role" in sent and patch.role else Role(user.role)
            binding = await self._resolve(
                role,
                # A stored UF may have been implied by the old municipality or regions: derive it anew.
                patch.uf if "uf" in sent else (None if sent & {"municipality", "regions"} else user.uf),
                patch.municipality if "municipality" in sent else user.municipality_code,
                (patch.regions or []) if "regions" in sent else regions,
                patch.organization_id if "organization_id" in sent else user.organization_id,
            )
            user.role, user.uf = role, binding.uf
            user.municipality_code, user.organization_id = binding.municipality_code, binding.organization_id
            regions = list(binding.region_codes)
            await self.users.set_regions(user, regions)
        if patch.name is not None:
            user.name = patch.name
        if patch.password is not None:
            user.secret_hash = await hash_secret(patch.password)
        if patch.active is not None:
            user.active = patch.active
        await self.users.save(user)
        return Account(user, regions)

    async def _visible(self, principal: Principal, user_id: uuid.UUID, *, for_update: bool = False) -> User:
        user = await self.users.get(principal, user_id, for_update=for_update)
        if user is None:
            raise NotFound(f"no account {user_id}")
        return user

    async def _resolve(
        self,
        role: Role,
        uf: str | None,
        municipality: str | None,
        regions: list[str],
        organization_id: uuid.UUID | None,
    ) -> Binding:
        """Check the binding fits the role and names real places; fill in the UF they imply."""
        binding = Binding(uf, municipality, tuple(sorted(set(regions))), organization_id)
        check_binding(role, binding)
        territory = self.repositories.territory
        if municipality is not None:
            found = await territory.municipality(parse_municipality_code(municipality))
            if found is None:
                raise InvalidInput(f"no municipality {municipality}", code="unknown_municipality")
            uf = _same_uf(uf, found.uf)
            binding = Binding(uf, found.code, binding.region_codes, organization_id)
        for code in binding.region_codes:
            region = await territory.region(code)
            if region is None:
                raise InvalidInput(f"no health region {code}", code="unknown_region")
            uf = _same_uf(uf, region.uf)
        if uf is not None and await territory.state(uf) is None:
            raise InvalidInput(f"no UF {uf}", code="unknown_uf")
        if organization_id is not None and await self.repositories.organizations.get(organization_id) is None:
            raise InvalidInput(f"no organization {organization_id}", code="unknown_organization")
        return Binding(uf, binding.municipality_code, binding.region_codes, organization_id)


def _same_uf(given: str | None, implied: str) -> str:
    if given is not None and given != implied:
        raise InvalidInput(f"uf {given} contradicts the territory given, which is in {implied}", code="invalid_binding")
    return implied


def check_version(current: int, expected: int | None) -> None:
    """Optimistic concurrency: an If-Match naming an older version is refused (412)."""
    if expected is not None and expected != current:
        raise PreconditionFailed(f"the resource is at version {current}, not {expected}: read it again")
