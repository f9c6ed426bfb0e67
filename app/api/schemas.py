"""Response bodies. Request bodies are the domain's own input models, so REST and GraphQL
validate alike."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import etag
from app.core.pagination import JsonPage, Page
from app.core.principal import Role

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[T]) -> PageOut[T]:
        """Call on the parametrized class (`PageOut[StateOut].of(...)`) so the body validates."""
        return cls(items=page.items, next_cursor=page.next_cursor)


def json_page(page: JsonPage) -> Response:
    """A PageOut body whose items PostgreSQL wrote as JSON already: sent as they are, with no
    Python object in between (the response model still documents them)."""
    cursor = json.dumps(page.next_cursor).encode()
    return Response(b'{"items":[' + page.items + b'],"next_cursor":' + cursor + b"}", media_type="application/json")


def json_resource(body: str | bytes) -> Response:
    """One resource's body as PostgreSQL wrote it, sent as it is, with its version as ETag."""
    return Response(body, media_type="application/json", headers={"ETag": etag(json.loads(body)["version"])})


class StateOut(Out):
    code: int = Field(description="IBGE UF code", examples=[13])
    uf: str = Field(examples=["AM"])
    name: str = Field(examples=["Amazonas"])


class MunicipalityOut(Out):
    code: str = Field(description="IBGE code, 7 digits", examples=["1302603"])
    code6: str = Field(description="DATASUS code, 6 digits", examples=["130260"])
    uf: str
    name: str
    population: int | None


class RegionRef(Out):
    code: str
    name: str


class MunicipalityDetailOut(MunicipalityOut):
    region: RegionRef | None = Field(description="Its health region today.")


class RegionOut(Out):
    code: str = Field(description="DATASUS CO_REGSAUD", examples=["13001"])
    uf: str
    name: str
    macro_code: str | None
    active: bool
    version: int


class MembershipPeriodOut(Out):
    municipality_code: str
    municipality_name: str
    valid_from: date
    valid_to: date | None


class RegionDetailOut(RegionOut):
    municipalities: list[MunicipalityOut]
    membership_history: list[MembershipPeriodOut]


class OrganizationOut(Out):
    id: uuid.UUID
    acronym: str
    name: str
    uf: str | None


class UserOut(Out):
    id: uuid.UUID
    kind: str
    email: str | None
    client_id: str | None
    name: str
    role: Role
    uf: str | None
    municipality_code: str | None
    region_codes: list[str]
    organization_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CreatedUserOut(UserOut):
    client_secret: str | None = Field(description="A service account's secret, shown only in this response.")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="Seconds until the token expires.")


class LineNote(BaseModel):
    file: str
    line: int
    field: str | None = None
    message: str


class ImportReportOut(BaseModel):
    layout: str
    dry_run: bool
    effective_on: date
    lines_read: int
    regions_created: int
    regions_updated: int
    regions_unchanged: int
    memberships_created: int
    memberships_moved: int
    memberships_unchanged: int
    populations_updated: int
    warnings: list[LineNote]


class Health(BaseModel):
    status: str
