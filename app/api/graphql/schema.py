"""The root fields: one per REST collection (with REST's filters as arguments) and per REST
write, each a thin call to the same service method REST calls."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, TypeVar

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from app.api.graphql.cost import AnswerSizeLimit, AnswerSizes
from app.api.graphql.documents import DocumentCache, ParsedDocuments
from app.api.graphql.enums import EnteTypeCode, InstrumentKind, InstrumentStatus, OwnerTypeCode, PanelGrouping
from app.api.graphql.enums import SituationCode as SituationArg
from app.api.graphql.errors import Problem, ProblemCodes
from app.api.graphql.inputs import (
    CalendarInput,
    DeliberationInput,
    GoalCreateInput,
    GoalPatchInput,
    HearingInput,
    InstrumentCreateInput,
    InstrumentPatchInput,
    OrganizationInput,
    RegionCreateInput,
    RegionPatchInput,
    RoundInput,
    StatusUpdateInput,
    TransitionInput,
    UserCreateInput,
    UserPatchInput,
    model_from,
)
from app.api.graphql.lookahead import CompletingExecutionContext, whole_read
from app.api.graphql.types import (
    AuditEvent,
    Calendar,
    Compliance,
    Connection,
    CreatedUser,
    DeletedGoal,
    Deliberation,
    Goal,
    Hearing,
    Info,
    Instrument,
    Municipality,
    Node,
    Organization,
    Panel,
    Region,
    Round,
    State,
    StatusUpdate,
    User,
    code_of,
    connection,
    history_loader,
    members_loader,
    page_request,
    within,
)
from app.core.errors import DomainError, InvalidInput, NotFound
from app.core.recent import RecentlyUsed
from app.core.settings import Settings
from app.domain.audit import AuditService
from app.domain.calendars import CalendarService, CalendarUpdate
from app.domain.compliance import ComplianceService
from app.domain.council import CouncilService, DeliberationCreate, HearingCreate
from app.domain.documents import DocumentService
from app.domain.goals import GoalCreate, GoalPatch, GoalService
from app.domain.instruments import (
    InstrumentCreate,
    InstrumentPatch,
    InstrumentQuery,
    InstrumentService,
    TransitionRequest,
)
from app.domain.monitoring import MonitoringService, RoundCreate, StatusUpdateCreate
from app.domain.organizations import OrganizationCreate, OrganizationService
from app.domain.panels import GroupBy, PanelService
from app.domain.territory import RegionCreate, RegionDetail, RegionPatch, TerritoryService
from app.domain.users import UserCreate, UserPatch, UserService

T = TypeVar("T")
R = TypeVar("R")
ExpectedVersion = Annotated[
    int | None, strawberry.argument(description="The `version` you read (REST's If-Match); a stale one is refused.")
]


def _bounded_key(code: str, longest: int = 20) -> str:
    within("code", code, 0, longest)
    return code


async def _absent_if_not_found(info: Info, call: Callable[[Any], Awaitable[T]]) -> T | None:
    """One object by its key: null where REST answers 404 (missing or out of the caller's scope)."""
    try:
        return await info.context.read(call)
    except NotFound:
        return None


def _primed_region(info: Info, detail: RegionDetail) -> Region:
    """A region read with its members and history: its fields need not read them again."""
    code = detail.region.code
    members_loader(info.context).prime(code, list(detail.municipalities))
    history_loader(info.context).prime(code, detail.membership_history)
    return Region.of(detail.region)


async def _state(info: Info, uf: str) -> State | None:
    within("uf", uf, 0, 2)
    found = await _absent_if_not_found(info, lambda r: TerritoryService(r).state(uf))
    return State.of(found) if found else None


async def _municipality(info: Info, code: str) -> Municipality | None:
    found = await _absent_if_not_found(info, lambda r: TerritoryService(r).municipality(_bounded_key(code)))
    return Municipality.of(found.municipality) if found else None


async def _region(info: Info, code: str) -> Region | None:
    found = await _absent_if_not_found(info, lambda r: TerritoryService(r).region_row(_bounded_key(code)))
    return Region.of(found) if found else None


async def _organization(info: Info, organization_id: uuid.UUID) -> Organization | None:
    found = await _absent_if_not_found(info, lambda r: OrganizationService(r).get(organization_id))
    return Organization.of(found) if found else None


async def _user(info: Info, user_id: uuid.UUID) -> User | None:
    principal = info.context.principal
    found = await _absent_if_not_found(info, lambda r: UserService(r).get(principal, user_id))
    return User.of(found) if found else None


async def _instrument(info: Info, instrument_id: uuid.UUID, as_of: date | None = None) -> Instrument | None:
    principal = info.context.principal
    found = await _absent_if_not_found(info, lambda r: InstrumentService(r).get(principal, instrument_id, as_of))
    return Instrument.of(found, as_of) if found else None


async def _goal(info: Info, goal_id: uuid.UUID, as_of: date | None = None) -> Goal | None:
    principal = info.context.principal
    found = await _absent_if_not_found(info, lambda r: GoalService(r).get(principal, goal_id, as_of))
    return Goal.of(found, as_of) if found else None


async def _round(info: Info, round_id: uuid.UUID) -> Round | None:
    principal = info.context.principal
    found = await _absent_if_not_found(info, lambda r: MonitoringService(r).round(principal, round_id))
    return Round.of(found) if found else None


async def _panel(
    info: Info,
    from_year: int,
    to_year: int,
    group_by: PanelGrouping | None,
    kind: InstrumentKind | None,
    uf: str | None,
    as_of: date | None,
) -> Panel:
    within("year", from_year, 1988, 2100)
    within("year", to_year, 1988, 2100)
    within("uf", uf, 0, 2)
    grouping: GroupBy = code_of(group_by) if group_by is not None else "uf"
    groups = await info.context.read(
        lambda r: PanelService(r).series(
            from_year=from_year, to_year=to_year, group_by=grouping, kind=code_of(kind), uf=uf, as_of=as_of
        )
    )
    return Panel.of(groups, grouping, code_of(kind), as_of)


@strawberry.type
class Query:
    @strawberry.field(description="The 27 UFs.")
    async def states(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[State]:
        page = page_request(info.context, first, after)
        found = await info.context.read(lambda r: TerritoryService(r).states(page))
        return connection(found, State.of)

    @strawberry.field
    async def state(self, info: Info, uf: str) -> State | None:
        return await _state(info, uf)

    @strawberry.field(description="Municipalities, by UF, health region or name (accents and case ignored).")
    async def municipalities(
        self,
        info: Info,
        uf: str | None = None,
        region: str | None = None,
        q: str | None = None,
        max_population: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Municipality]:
        for name, value, low, high in (("uf", uf, 0, 2), ("region", region, 0, 5), ("q", q, 1, 100)):
            within(name, value, low, high)
        within("maxPopulation", max_population, 0, 2**31 - 1)
        page = page_request(info.context, first, after)
        found = await info.context.read(
            lambda r: TerritoryService(r).municipalities(page, uf=uf, region=region, q=q, max_population=max_population)
        )
        return connection(found, Municipality.of)

    @strawberry.field(description="By IBGE code (7 digits) or DATASUS code (6).")
    async def municipality(self, info: Info, code: str) -> Municipality | None:
        principal = info.context.principal
        whole = await whole_read(info, lambda r, shape: DocumentService(r).municipality(principal, code, shape))
        return whole or await _municipality(info, code)  # type: ignore[return-value]

    @strawberry.field
    async def regions(
        self, info: Info, uf: str | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Region]:
        within("uf", uf, 0, 2)
        page = page_request(info.context, first, after)
        found = await info.context.read(lambda r: TerritoryService(r).regions(page, uf=uf))
        return connection(found, Region.of)

    @strawberry.field
    async def region(self, info: Info, code: str) -> Region | None:
        principal = info.context.principal
        whole = await whole_read(info, lambda r, shape: DocumentService(r).region(principal, code, shape))
        return whole or await _region(info, code)  # type: ignore[return-value]

    @strawberry.field
    async def organizations(
        self, info: Info, uf: str | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Organization]:
        within("uf", uf, 0, 2)
        page = page_request(info.context, first, after)
        found = await info.context.read(lambda r: OrganizationService(r).page(page, uf=uf))
        return connection(found, Organization.of)

    @strawberry.field
    async def organization(self, info: Info, id: uuid.UUID) -> Organization | None:
        return await _organization(info, id)

    @strawberry.field(description="Admins see every account; anyone else only their own.")
    async def users(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[User]:
        context = info.context
        page = page_request(context, first, after)
        found = await context.read(lambda r: UserService(r).page(context.principal, page))
        return connection(found, User.of)

    @strawberry.field
    async def user(self, info: Info, id: uuid.UUID) -> User | None:
        return await _user(info, id)

    @strawberry.field(description="The account behind the bearer token.")
    async def me(self, info: Info) -> User:
        context = info.context
        return User.of(await context.read(lambda r: UserService(r).me(context.principal)))

    @strawberry.field(description="Instruments the caller may see (anonymous callers: those past drafting).")
    async def instruments(
        self,
        info: Info,
        kind: InstrumentKind | None = None,
        owner_type: OwnerTypeCode | None = None,
        owner: str | None = None,
        uf: str | None = None,
        region: str | None = None,
        municipality: str | None = None,
        year: int | None = None,
        status: InstrumentStatus | None = None,
        situation: SituationArg | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Instrument]:
        for name, value, high in (("owner", owner, 36), ("uf", uf, 2), ("region", region, 5)):
            within(name, value, 0, high)
        within("municipality", municipality, 0, 7)
        within("year", year, 1988, 2100)
        context = info.context
        page = page_request(context, first, after)
        query = InstrumentQuery(
            kind=code_of(kind),
            owner_type=code_of(owner_type),
            owner=owner,
            uf=uf,
            region=region,
            municipality=municipality,
            year=year,
            status=code_of(status),
            situation=code_of(situation),
            as_of=as_of,
        )
        principal = context.principal
        whole = await whole_read(
            info, lambda r, shape: DocumentService(r).instrument_connection(principal, page, query, shape)
        )
        if whole is not None:
            return whole  # type: ignore[return-value]
        found = await context.read(lambda r: InstrumentService(r).page(principal, page, query))
        return connection(found, lambda item: Instrument.of(item, as_of))

    @strawberry.field
    async def instrument(self, info: Info, id: uuid.UUID, as_of: date | None = None) -> Instrument | None:
        principal = info.context.principal
        whole = await whole_read(info, lambda r, shape: DocumentService(r).instrument(principal, id, shape, as_of))
        return whole or await _instrument(info, id, as_of)  # type: ignore[return-value]

    @strawberry.field
    async def goal(self, info: Info, id: uuid.UUID, as_of: date | None = None) -> Goal | None:
        return await _goal(info, id, as_of)

    @strawberry.field(description="A monitoring round (its `report` is what the meeting hands out).")
    async def round(self, info: Info, id: uuid.UUID) -> Round | None:
        return await _round(info, id)

    @strawberry.field(
        description="For every ente in scope, the instruments the law expects for `year`, created or not. "
        "Give exactly one of uf, region or municipality."
    )
    async def compliance(
        self,
        info: Info,
        year: int,
        uf: str | None = None,
        region: str | None = None,
        municipality: str | None = None,
        owner_type: EnteTypeCode | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Compliance]:
        for name, value, high in (("uf", uf, 2), ("region", region, 5), ("municipality", municipality, 7)):
            within(name, value, 0, high)
        within("year", year, 1988, 2100)
        page = page_request(info.context, first, after)
        found = await info.context.read(
            lambda r: ComplianceService(r).report(
                page,
                year=year,
                uf=uf,
                region=region,
                municipality=municipality,
                owner_type=code_of(owner_type),
                as_of=as_of,
            )
        )
        return connection(found, Compliance.of)

    @strawberry.field(description="Expected instruments of `year` per group, by status and by situation.")
    async def panels(
        self,
        info: Info,
        year: int,
        group_by: PanelGrouping | None = None,
        kind: InstrumentKind | None = None,
        uf: str | None = None,
        as_of: date | None = None,
    ) -> Panel:
        return await _panel(info, year, year, group_by, kind, uf, as_of)

    @strawberry.field(description="The same figures year by year.")
    async def panel_series(
        self,
        info: Info,
        from_year: int,
        to_year: int,
        group_by: PanelGrouping | None = None,
        kind: InstrumentKind | None = None,
        uf: str | None = None,
        as_of: date | None = None,
    ) -> Panel:
        return await _panel(info, from_year, to_year, group_by, kind, uf, as_of)

    @strawberry.field(description="The ente's dates for the PAS and plan deadlines.")
    async def calendar(self, info: Info, owner_type: EnteTypeCode, code: str) -> Calendar:
        found = await info.context.read(lambda r: CalendarService(r).get(code_of(owner_type), _bounded_key(code, 7)))
        return Calendar.of(found)

    @strawberry.field(description="Every write: who, when, what, before and after. Admins only; oldest first.")
    async def audit_events(
        self,
        info: Info,
        entity: str | None = None,
        entity_id: str | None = None,
        actor: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEvent]:
        within("entity", entity, 0, 40)
        within("entityId", entity_id, 0, 80)
        context = info.context
        page = page_request(context, first, after)
        found = await context.read(
            lambda r: AuditService(r).page(
                context.principal, page, entity=entity, entity_id=entity_id, actor=actor, since=since, until=until
            )
        )
        return connection(found, AuditEvent.of)

    @strawberry.field(description="Any object by its global `id`; null if it does not exist or is out of scope.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, _, key = str(id).partition(":")
        find = _NODE_FINDERS.get(type_name)
        if find is None or not key:
            return None
        try:
            found = await find(info, key)
        except (ValueError, InvalidInput):  # a key that cannot name such an object names none
            return None
        return found


_NODE_FINDERS: dict[str, Callable[[Info, str], Awaitable[Node | None]]] = {
    "State": _state,
    "Municipality": _municipality,
    "Region": _region,
    "Organization": lambda info, key: _organization(info, uuid.UUID(key)),
    "User": lambda info, key: _user(info, uuid.UUID(key)),
    "Instrument": lambda info, key: _instrument(info, uuid.UUID(key)),
    "Goal": lambda info, key: _goal(info, uuid.UUID(key)),
    "Round": lambda info, key: _round(info, uuid.UUID(key)),
}


InstrumentResult = Annotated[Instrument | Problem, strawberry.union("InstrumentResult")]
DeliberationResult = Annotated[Deliberation | Problem, strawberry.union("DeliberationResult")]
HearingResult = Annotated[Hearing | Problem, strawberry.union("HearingResult")]
GoalResult = Annotated[Goal | Problem, strawberry.union("GoalResult")]
DeleteGoalResult = Annotated[DeletedGoal | Problem, strawberry.union("DeleteGoalResult")]
StatusUpdateResult = Annotated[StatusUpdate | Problem, strawberry.union("StatusUpdateResult")]
RoundResult = Annotated[Round | Problem, strawberry.union("RoundResult")]
RegionResult = Annotated[Region | Problem, strawberry.union("RegionResult")]
CreateUserResult = Annotated[CreatedUser | Problem, strawberry.union("CreateUserResult")]
UserResult = Annotated[User | Problem, strawberry.union("UserResult")]
OrganizationResult = Annotated[Organization | Problem, strawberry.union("OrganizationResult")]
CalendarResult = Annotated[Calendar | Problem, strawberry.union("CalendarResult")]


async def _write(info: Info, call: Callable[[Any], Awaitable[T]], convert: Callable[[T], R]) -> R | Problem:
    """Run one REST write's service call; a refusal is the payload's Problem, with REST's code."""
    outcome = await info.context.write(call)
    return Problem.of(outcome) if isinstance(outcome, DomainError) else convert(outcome)


@strawberry.type(description="Every REST write. Each returns the changed object, or a Problem with REST's `code`.")
class Mutation:
    @strawberry.mutation
    async def create_instrument(self, info: Info, input: InstrumentCreateInput) -> InstrumentResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: InstrumentService(r).create(principal, model_from(InstrumentCreate, input), by=principal.user_id),
            Instrument.of,
        )

    @strawberry.mutation(description="Fields left out keep their value; null clears one.")
    async def update_instrument(
        self,
        info: Info,
        id: uuid.UUID,
        input: InstrumentPatchInput,
        expected_version: ExpectedVersion = None,
    ) -> InstrumentResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: InstrumentService(r).update(principal, id, model_from(InstrumentPatch, input), expected_version),
            Instrument.of,
        )

    @strawberry.mutation(description="Move along the status machine; an illegal move lists the `allowed` ones.")
    async def transition_instrument(
        self,
        info: Info,
        id: uuid.UUID,
        input: TransitionInput,
        expected_version: ExpectedVersion = None,
    ) -> InstrumentResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: InstrumentService(r).transition(
                principal, id, model_from(TransitionRequest, input), expected_version
            ),
            Instrument.of,
        )

    @strawberry.mutation(description="The council's resolution; its outcome becomes the instrument's status.")
    async def record_deliberation(
        self,
        info: Info,
        instrument_id: uuid.UUID,
        input: DeliberationInput,
    ) -> DeliberationResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: CouncilService(r).deliberate(principal, instrument_id, model_from(DeliberationCreate, input)),
            Deliberation.of,
        )

    @strawberry.mutation(description="An RDQA's public hearing in the legislative house.")
    async def record_hearing(
        self,
        info: Info,
        instrument_id: uuid.UUID,
        input: HearingInput,
    ) -> HearingResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: CouncilService(r).add_hearing(principal, instrument_id, model_from(HearingCreate, input)),
            Hearing.of,
        )

    @strawberry.mutation(description="One node, or a whole subtree (nested `children`).")
    async def create_goal(
        self,
        info: Info,
        instrument_id: uuid.UUID,
        input: GoalCreateInput,
    ) -> GoalResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: GoalService(r).create(principal, instrument_id, model_from(GoalCreate, input)),
            lambda node: Goal.of_node(node, None),
        )

    @strawberry.mutation(description="Fields left out keep their value; null clears one.")
    async def update_goal(
        self,
        info: Info,
        id: uuid.UUID,
        input: GoalPatchInput,
        expected_version: ExpectedVersion = None,
    ) -> GoalResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: GoalService(r).update(principal, id, model_from(GoalPatch, input), expected_version),
            lambda view: Goal.of(view, None),
        )

    @strawberry.mutation(description="The node and everything under it; a node with status history is kept.")
    async def delete_goal(
        self,
        info: Info,
        id: uuid.UUID,
        expected_version: ExpectedVersion = None,
    ) -> DeleteGoalResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: GoalService(r).delete(principal, id, expected_version),
            lambda _: DeletedGoal(database_id=id),
        )

    @strawberry.mutation(description="A new entry on a meta or ação; a correction names the one it `supersedes`.")
    async def report_status(
        self,
        info: Info,
        goal_id: uuid.UUID,
        input: StatusUpdateInput,
    ) -> StatusUpdateResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: MonitoringService(r).report(principal, goal_id, model_from(StatusUpdateCreate, input)),
            StatusUpdate.of,
        )

    @strawberry.mutation(description="A monitoring meeting, monthly form or quadrimester.")
    async def create_round(
        self,
        info: Info,
        instrument_id: uuid.UUID,
        input: RoundInput,
    ) -> RoundResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: MonitoringService(r).add_round(principal, instrument_id, model_from(RoundCreate, input)),
            Round.of,
        )

    @strawberry.mutation
    async def create_region(self, info: Info, input: RegionCreateInput) -> RegionResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: TerritoryService(r).create_region(principal, model_from(RegionCreate, input)),
            lambda detail: _primed_region(info, detail),
        )

    @strawberry.mutation(description="`municipalities` is the region's complete membership from `effectiveOn`.")
    async def update_region(
        self,
        info: Info,
        code: str,
        input: RegionPatchInput,
        expected_version: ExpectedVersion = None,
    ) -> RegionResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: TerritoryService(r).update_region(
                principal, _bounded_key(code), model_from(RegionPatch, input), expected_version
            ),
            lambda detail: _primed_region(info, detail),
        )

    @strawberry.mutation
    async def create_user(self, info: Info, input: UserCreateInput) -> CreateUserResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: UserService(r).create(principal, model_from(UserCreate, input)),
            lambda account: CreatedUser(user=User.of(account), client_secret=account.client_secret),
        )

    @strawberry.mutation
    async def update_user(
        self,
        info: Info,
        id: uuid.UUID,
        input: UserPatchInput,
        expected_version: ExpectedVersion = None,
    ) -> UserResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: UserService(r).update(principal, id, model_from(UserPatch, input), expected_version),
            User.of,
        )

    @strawberry.mutation
    async def create_organization(self, info: Info, input: OrganizationInput) -> OrganizationResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: OrganizationService(r).create(principal, model_from(OrganizationCreate, input)),
            Organization.of,
        )

    @strawberry.mutation(description="Set the ente's own dates; its PAS and plan deadlines move with them.")
    async def set_calendar(
        self,
        info: Info,
        owner_type: EnteTypeCode,
        code: str,
        input: CalendarInput,
        expected_version: ExpectedVersion = None,
    ) -> CalendarResult:
        principal = info.context.principal
        return await _write(
            info,
            lambda r: CalendarService(r).put(
                principal,
                code_of(owner_type),
                _bounded_key(code, 7),
                model_from(CalendarUpdate, input),
                expected_version,
            ),
            Calendar.of,
        )


QUERY_CACHE_SIZE = 256


class InstrumentaSchema(strawberry.Schema):
    documents: ParsedDocuments

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """ProblemCodes has logged what deserves it; refused input is not an error of ours."""


def _limits(settings: Settings) -> list[type[ASTValidationRule]]:
    """The depth and alias limits' validation rules, made once: the validation cache is keyed
    by the rules too, and each limiter made per request would make new ones (and miss it)."""
    limiters = (
        QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
    )
    return [rule for limiter in limiters for rule in limiter.validation_rules]


def build_schema(settings: Settings) -> InstrumentaSchema:
    documents = ParsedDocuments(QUERY_CACHE_SIZE)
    sizes = AnswerSizes(settings.graphql_max_objects, settings.graphql_max_page_size, RecentlyUsed(QUERY_CACHE_SIZE))
    schema = InstrumentaSchema(
        query=Query,
        mutation=Mutation,
        types=[State, Municipality, Region, Organization, User, Instrument, Goal, Round],
        extensions=[
            partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
            partial(AddValidationRules, _limits(settings)),
            # Clients send the same few documents again and again: parse and check each once.
            partial(DocumentCache, documents),
            partial(ValidationCache, maxsize=QUERY_CACHE_SIZE),
            partial(AnswerSizeLimit, sizes),
            ProblemCodes,
        ],
        execution_context_class=CompletingExecutionContext,
    )
    schema.documents = documents
    return schema
