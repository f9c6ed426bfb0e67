"""Mutation inputs. Each mirrors a domain input model (the REST body) field for field, and is
validated by that very model, so GraphQL and REST accept and refuse alike. A field left out
stays unset (PATCH semantics); an explicit null clears it, as in REST."""

from __future__ import annotations

import enum
import uuid
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError

from app.api.graphql.enums import (
    AccountKind,
    DeadlinePrecision,
    DeliberationBody,
    DeliberationOutcome,
    GoalLevel,
    GoalStatusCode,
    GoalStructure,
    InstrumentKind,
    InstrumentStatus,
    OwnerTypeCode,
    PolarityCode,
    RoleCode,
    RoundKindCode,
    ScopeCode,
)
from app.api.graphql.errors import InvalidFields

M = TypeVar("M", bound=BaseModel)
UNSET: Any = strawberry.UNSET


def model_from(model: type[M], given: object, argument: str = "input") -> M:
    """The domain model for a GraphQL input, validated exactly as REST validates its body."""
    try:
        return model.model_validate(_plain(given))
    except ValidationError as exc:
        raise InvalidFields(exc, argument) from exc


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        plain = {f.name: _plain(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) is not UNSET}
        if "yearly_targets" in plain and plain["yearly_targets"] is not None:
            plain["yearly_targets"] = {item["year"]: item["value"] for item in plain["yearly_targets"]}
        return plain
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


@strawberry.input
class InstrumentCreateInput:
    kind: InstrumentKind
    owner_type: OwnerTypeCode
    owner: str = strawberry.field(description="IBGE code (municipality), UF (state), region code, or organization id.")
    year: int = strawberry.field(description="The year, or a plan's first year.")
    quadrimester: int | None = UNSET
    end_year: int | None = UNSET
    title: str | None = UNSET
    document_url: str | None = UNSET
    notes: str | None = UNSET
    goal_structure: GoalStructure | None = UNSET


@strawberry.input
class InstrumentPatchInput:
    title: str | None = UNSET
    document_url: str | None = UNSET
    notes: str | None = UNSET
    goal_structure: GoalStructure | None = UNSET


@strawberry.input
class TransitionInput:
    to: InstrumentStatus
    comment: str | None = UNSET
    on: date | None = strawberry.field(default=UNSET, description="The day it happened; today if unset.")


@strawberry.input
class DeliberationInput:
    body: DeliberationBody | None = UNSET
    resolution_number: str
    resolution_date: date
    outcome: DeliberationOutcome
    text: str | None = UNSET
    link: str | None = UNSET


@strawberry.input
class HearingInput:
    house: str
    held_on: date
    minutes_url: str | None = UNSET


@strawberry.input
class YearlyTargetInput:
    year: int
    value: float


@strawberry.input
class GoalFieldsInput:
    number: str | None = UNSET
    indicator_name: str | None = UNSET
    indicator_unit: str | None = UNSET
    polarity: PolarityCode | None = UNSET
    baseline_value: float | None = UNSET
    baseline_year: int | None = UNSET
    target_value: float | None = UNSET
    yearly_targets: list[YearlyTargetInput] | None = UNSET
    deadline: date | None = UNSET
    deadline_precision: DeadlinePrecision | None = UNSET
    responsible: str | None = UNSET
    responsible_user_id: uuid.UUID | None = UNSET
    partners: str | None = UNSET
    scope: ScopeCode | None = UNSET


@strawberry.input
class GoalCreateInput(GoalFieldsInput):
    level: GoalLevel
    description: str
    parent_id: uuid.UUID | None = strawberry.field(default=UNSET, description="Top node only; root if unset.")
    children: list[GoalCreateInput] | None = UNSET


@strawberry.input
class GoalPatchInput(GoalFieldsInput):
    description: str | None = UNSET


@strawberry.input
class StatusUpdateInput:
    status: GoalStatusCode
    reported_on: date | None = UNSET
    round_id: uuid.UUID | None = UNSET
    percent_complete: float | None = UNSET
    achieved_value: float | None = UNSET
    details: str | None = UNSET
    difficulties: str | None = UNSET
    expected_delivery: date | None = UNSET
    next_steps: str | None = UNSET
    partial_product: str | None = UNSET
    responsible: str | None = UNSET
    supersedes: int | None = strawberry.field(default=UNSET, description="The entry this one corrects.")


@strawberry.input
class RoundInput:
    name: str
    held_on: date
    kind: RoundKindCode | None = UNSET


@strawberry.input
class RegionCreateInput:
    code: str
    name: str
    macro_code: str | None = UNSET
    active: bool | None = UNSET


@strawberry.input
class RegionPatchInput:
    name: str | None = UNSET
    macro_code: str | None = UNSET
    active: bool | None = UNSET
    municipalities: list[str] | None = UNSET
    effective_on: date | None = UNSET


@strawberry.input
class UserCreateInput:
    kind: AccountKind | None = UNSET
    email: str | None = UNSET
    name: str
    password: str | None = UNSET
    role: RoleCode
    uf: str | None = UNSET
    municipality: str | None = UNSET
    regions: list[str] | None = UNSET
    organization_id: uuid.UUID | None = UNSET


@strawberry.input
class UserPatchInput:
    name: str | None = UNSET
    password: str | None = UNSET
    role: RoleCode | None = UNSET
    uf: str | None = UNSET
    municipality: str | None = UNSET
    regions: list[str] | None = UNSET
    organization_id: uuid.UUID | None = UNSET
    active: bool | None = UNSET


@strawberry.input
class OrganizationInput:
    acronym: str
    name: str
    uf: str | None = UNSET


@strawberry.input
class CalendarInput:
    ldo_bill_due: str = strawberry.field(description="MM-DD the LDO bill is due.")
    plan_due: str | None = UNSET
