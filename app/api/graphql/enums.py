"""GraphQL enums whose values are the API's lower-case codes (as REST spells them), built from
the domain's own enums and literals so the two cannot drift. Type checkers see the domain type;
GraphQL sees an enum of its codes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, get_args

import strawberry

from app.core.principal import Role
from app.domain.compliance import EnteType
from app.domain.council import DeliberationCreate, Outcome
from app.domain.goal_rules import GoalStatus, Level, Polarity, Precision, Structure
from app.domain.goals import Scope
from app.domain.instrument_rules import Kind, Situation, Status
from app.domain.instruments import OwnerType
from app.domain.monitoring import ROUND_KIND_LABELS
from app.domain.panels import GroupBy
from app.domain.users import UserCreate


def _codes(source: Any) -> list[str]:
    if isinstance(source, type) and issubclass(source, enum.Enum):
        return [str(member.value) for member in source]
    return [str(code) for code in (get_args(source) or source)]


def code_enum(name: str, source: Iterable[str] | Any, description: str) -> Any:
    python_enum = enum.Enum(name, {code: code for code in _codes(source)})  # type: ignore[misc]
    return strawberry.enum(python_enum, name=name, description=description)


if TYPE_CHECKING:
    InstrumentKind = Kind
    InstrumentStatus = Status
    SituationCode = Situation
    GoalLevel = Level
    GoalStatusCode = GoalStatus
    PolarityCode = Polarity
    DeadlinePrecision = Precision
    GoalStructure = Structure
    RoleCode = Role
    OwnerTypeCode = str
    EnteTypeCode = str
    PanelGrouping = str
    RoundKindCode = str
    ScopeCode = str
    DeliberationBody = str
    DeliberationOutcome = str
    AccountKind = str
else:
    InstrumentKind = code_enum("InstrumentKind", Kind, "PMS, PES, PAS, RDQA, RAG, PRI or PLANO_ACAO.")
    InstrumentStatus = code_enum("InstrumentStatus", Status, "DGMP's status of an instrument.")
    SituationCode = code_enum("Situation", Situation, "Against the legal deadline, as of a day.")
    GoalLevel = code_enum("GoalLevel", Level, "A node's level in the goal tree.")
    GoalStatusCode = code_enum("GoalStatus", GoalStatus, "A meta's or ação's reported status.")
    PolarityCode = code_enum("Polarity", Polarity, "Whether more of the indicator is better.")
    DeadlinePrecision = code_enum("DeadlinePrecision", Precision, "A prazo given to the day or the month.")
    GoalStructure = code_enum("GoalStructure", Structure, "dgmp or matriz.")
    RoleCode = code_enum("Role", Role, "An account's role.")
    OwnerTypeCode = code_enum("OwnerType", OwnerType, "Who owns an instrument.")
    EnteTypeCode = code_enum("EnteType", EnteType, "municipality or state.")
    PanelGrouping = code_enum("PanelGrouping", GroupBy, "How a panel groups entes.")
    RoundKindCode = code_enum("RoundKind", ROUND_KIND_LABELS, "A monitoring meeting, monthly form or quadrimester.")
    ScopeCode = code_enum("Scope", Scope, "A meta's scope.")
    DeliberationBody = code_enum(
        "DeliberationBody", DeliberationCreate.model_fields["body"].annotation, "Who deliberated."
    )
    DeliberationOutcome = code_enum("DeliberationOutcome", Outcome, "What the council decided.")
    AccountKind = code_enum("AccountKind", UserCreate.model_fields["kind"].annotation, "person or service.")
