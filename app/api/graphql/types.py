"""GraphQL object types: the REST bodies' fields, camelCased, plus the links between objects.
Every link reads through a per-request loader over a scoped service method, so a nested list
costs one statement per level however many parents it has."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from app.api.graphql.context import Context
from app.api.graphql.enums import (
    DeadlinePrecision,
    EnteTypeCode,
    GoalLevel,
    GoalStatusCode,
    GoalStructure,
    InstrumentKind,
    InstrumentStatus,
    OwnerTypeCode,
    PanelGrouping,
    PolarityCode,
    RoleCode,
    RoundKindCode,
    ScopeCode,
    SituationCode,
)
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import DEFAULT_PAGE_SIZE, Page, PageRequest
from app.domain.calendars import CalendarView
from app.domain.compliance import EnteCompliance
from app.domain.goal_rules import GOAL_STATUS_LABELS, LEVEL_LABELS, GoalStatus, Level, Prazo, Precision, format_prazo
from app.domain.goals import GoalNode, GoalService, GoalView
from app.domain.instrument_rules import SITUATION_LABELS, STATUS_LABELS, Kind, Situation, Status
from app.domain.instruments import InstrumentService, InstrumentView
from app.domain.monitoring import ROUND_KIND_LABELS, Entry, MonitoringService, Progress, RoundReport
from app.domain.panels import PanelGroup
from app.domain.territory import TerritoryService
from app.domain.users import Account
from app.repositories import tables as rows
from app.repositories.territory import MembershipPeriod as MembershipRow

Info = strawberry.Info[Context, None]
N = TypeVar("N")
T = TypeVar("T")


def page_request(context: Context, first: int | None, after: str | None) -> PageRequest:
    """REST's `limit` and `cursor`, under Relay's names, capped alike."""
    cap = context.settings.graphql_max_page_size
    limit = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= limit <= cap:
        raise InvalidInput(f"first must be between 1 and {cap}, not {limit}")
    if after is not None and len(after) > 512:
        raise InvalidInput("cursor is not one this API issued", code="invalid_cursor")
    return PageRequest.parse(min(limit, cap), after)


def within(name: str, value: str | int | None, low: int, high: int) -> None:
    """REST's query-parameter bounds: lengths for text, ranges for numbers."""
    if value is None:
        return
    size = len(value) if isinstance(value, str) else value
    if not low <= size <= high:
        what = "length" if isinstance(value, str) else "value"
        raise InvalidInput(f"{name}: {what} must be between {low} and {high}")


def global_id(type_name: str, key: object) -> strawberry.ID:
    return strawberry.ID(f"{type_name}:{key}")


@strawberry.interface(description="An object that `node(id:)` finds again by its `id`.")
class Node:
    node_key: ClassVar[str] = "database_id"  # the field holding the REST key

    @strawberry.field(description="Global id: the type and its REST key, e.g. `Instrument:<uuid>`.")
    def id(self) -> strawberry.ID:
        return global_id(type(self).__name__, getattr(self, self.node_key))


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(description="Always false: lists page forward only.")
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str | None = strawberry.field(
        description="Pass as `after` to continue after this item (REST's `cursor`); null only for an item "
        "that leads the first page outside the list's order."
    )
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo

    @strawberry.field(description="The edges' nodes, for clients that need no cursors.")
    def nodes(self) -> list[N]:
        return [edge.node for edge in self.edges]


def connection(page: Page[T], convert: Callable[[T], N]) -> Connection[N]:
    edges = [Edge(cursor=page.cursor_at(index), node=convert(item)) for index, item in enumerate(page.items)]
    cursors = [edge.cursor for edge in edges]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.next_cursor is not None,
            has_previous_page=False,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=page.next_cursor or (cursors[-1] if cursors else None),
        ),
    )


EMPTY: Page[Any] = Page([], None)


# Territory and organizations: public reference data.


@strawberry.type
class State(Node):
    node_key: ClassVar[str] = "uf"
    code: int = strawberry.field(description="IBGE UF code")
    uf: str
    name: str

    @classmethod
    def of(cls, row: rows.State) -> State:
        return cls(code=row.code, uf=row.uf, name=row.name)


async def _members(repositories: Any, codes: Sequence[str]) -> dict[str, list[rows.Municipality]]:
    return await TerritoryService(repositories).members_of(codes)


async def _histories(repositories: Any, codes: Sequence[str]) -> dict[str, list[MembershipRow]]:
    return await TerritoryService(repositories).histories_of(codes)


async def _regions_of(repositories: Any, codes: Sequence[str]) -> dict[str, rows.HealthRegion]:
    return await TerritoryService(repositories).regions_of(codes)


def members_loader(context: Context) -> DataLoader[str, list[rows.Municipality]]:
    return context.loader("members", _members, [])


def history_loader(context: Context) -> DataLoader[str, list[MembershipRow]]:
    return context.loader("membership history", _histories, [])


@strawberry.type
class MembershipPeriod:
    municipality_code: str
    municipality_name: str
    valid_from: date
    valid_to: date | None


@strawberry.type
class Region(Node):
    node_key: ClassVar[str] = "code"
    code: str = strawberry.field(description="DATASUS CO_REGSAUD")
    uf: str
    name: str
    macro_code: str | None
    active: bool
    version: int

    @strawberry.field(description="Its member municipalities today.")
    async def municipalities(self, info: Info) -> list[Municipality]:
        found = await members_loader(info.context).load(self.code)
        return [Municipality.of(row) for row in found]

    @strawberry.field(description="Every membership, past and present.")
    async def membership_history(self, info: Info) -> list[MembershipPeriod]:
        found = await history_loader(info.context).load(self.code)
        return [MembershipPeriod(**vars(period)) for period in found]

    @classmethod
    def of(cls, row: rows.HealthRegion) -> Region:
        return cls(
            code=row.code, uf=row.uf, name=row.name, macro_code=row.macro_code, active=row.active, version=row.version
        )


@strawberry.type
class Municipality(Node):
    node_key: ClassVar[str] = "code"
    code: str = strawberry.field(description="IBGE code, 7 digits")
    code6: str = strawberry.field(description="DATASUS code, 6 digits")
    uf: str
    name: str
    population: int | None

    @strawberry.field(description="Its health region today.")
    async def region(self, info: Info) -> Region | None:
        found = await info.context.loader("region of", _regions_of, None).load(self.code)
        return Region.of(found) if found else None

    @strawberry.field(
        description="Its instruments the caller may see, as `instruments(municipality:)` lists them. "
        "In a list of municipalities, `first` and `after` apply to each one's instruments."
    )
    async def instruments(
        self,
        info: Info,
        kind: InstrumentKind | None = None,
        year: int | None = None,
        status: InstrumentStatus | None = None,
        situation: SituationCode | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Instrument]:
        context = info.context
        page, filters = instrument_page_arguments(context, kind, year, status, situation, as_of, first, after)

        async def load(repositories: Any, codes: Sequence[str]) -> dict[str, Page[InstrumentView]]:
            service = InstrumentService(repositories)
            return await service.pages_by_municipality(context.principal, codes, page, **filters)

        name = ("municipality instruments", page, *filters.items())
        found = await context.loader(name, load, EMPTY).load(self.code)
        return connection(found, lambda item: Instrument.of(item, as_of))

    @classmethod
    def of(cls, row: rows.Municipality) -> Municipality:
        return cls(code=row.code, code6=row.code6, uf=row.uf, name=row.name, population=row.population)


@strawberry.type
class Organization(Node):
    database_id: uuid.UUID
    acronym: str
    name: str
    uf: str | None

    @classmethod
    def of(cls, row: rows.Organization) -> Organization:
        return cls(database_id=row.id, acronym=row.acronym, name=row.name, uf=row.uf)


@strawberry.type(description="An account. Only admins see others'; names and emails are never public.")
class User(Node):
    database_id: uuid.UUID
    kind: str
    email: str | None
    client_id: str | None
    name: str
    role: RoleCode
    uf: str | None
    municipality_code: str | None
    region_codes: list[str]
    organization_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, account: Account) -> User:
        user = account.user
        return cls(
            database_id=user.id,
            kind=user.kind,
            email=user.email,
            client_id=user.client_id,
            name=user.name,
            role=user.role,  # type: ignore[arg-type]
            uf=user.uf,
            municipality_code=user.municipality_code,
            region_codes=list(account.region_codes),
            organization_id=user.organization_id,
            active=user.active,
            version=user.version,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


@strawberry.type
class CreatedUser:
    user: User
    client_secret: str | None = strawberry.field(description="A service account's secret, shown only here.")


# Instruments and their records.


def code_of(value: Any) -> Any:
    """The code behind a GraphQL enum argument (None stays None)."""
    return getattr(value, "value", value)


def instrument_page_arguments(
    context: Context,
    kind: InstrumentKind | None,
    year: int | None,
    status: InstrumentStatus | None,
    situation: SituationCode | None,
    as_of: date | None,
    first: int | None,
    after: str | None,
) -> tuple[PageRequest, dict[str, Any]]:
    """A list of instruments' page and filters, checked as `instruments(...)` checks them."""
    page = page_request(context, first, after)
    within("year", year, 1988, 2100)
    filters = {
        "kind": code_of(kind),
        "year": year,
        "status": code_of(status),
        "situation": code_of(situation),
        "as_of": as_of,
    }
    return page, filters


def goal_page_arguments(
    context: Context,
    level: GoalLevel | None,
    status: GoalStatusCode | None,
    overdue: bool | None,
    responsible: str | None,
    as_of: date | None,
    first: int | None,
    after: str | None,
) -> tuple[PageRequest, dict[str, Any]]:
    """A list of goals' page and filters, checked as `goals(...)` checks them."""
    page = page_request(context, first, after)
    within("responsible", responsible, 0, 200)
    filters = {
        "level": code_of(level),
        "status": code_of(status),
        "overdue": overdue,
        "responsible": responsible,
        "as_of": as_of,
    }
    return page, filters


@strawberry.type
class HistoryEntry:
    from_status: InstrumentStatus
    to_status: InstrumentStatus
    occurred_on: date
    comment: str | None
    actor_id: uuid.UUID | None = strawberry.field(description="An account id; names are not public.")
    recorded_at: datetime


@strawberry.type
class Deliberation:
    database_id: uuid.UUID
    body: str
    resolution_number: str
    resolution_date: date
    outcome: InstrumentStatus
    text: str | None
    link: str | None
    recorded_at: datetime

    @classmethod
    def of(cls, row: rows.Deliberation) -> Deliberation:
        return cls(
            database_id=row.id,
            body=row.body,
            resolution_number=row.resolution_number,
            resolution_date=row.resolution_date,
            outcome=row.outcome,  # type: ignore[arg-type]
            text=row.text,
            link=row.link,
            recorded_at=row.recorded_at,
        )


@strawberry.type
class Hearing:
    database_id: uuid.UUID
    house: str
    held_on: date
    minutes_url: str | None
    recorded_at: datetime

    @classmethod
    def of(cls, row: rows.Hearing) -> Hearing:
        return cls(
            database_id=row.id,
            house=row.house,
            held_on=row.held_on,
            minutes_url=row.minutes_url,
            recorded_at=row.recorded_at,
        )


def _records_loader(info: Info, model: type[Any]) -> Any:
    context = info.context

    async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        return await InstrumentService(repositories).records(context.principal, model, keys)

    return context.loader(("records", model), load, [])


@strawberry.type
class Instrument(Node):
    database_id: uuid.UUID
    kind: InstrumentKind
    owner_type: OwnerTypeCode
    owner: str = strawberry.field(description="IBGE code, UF, region code or organization id.")
    uf: str | None
    municipality_code: str | None
    region_code: str | None
    organization_id: uuid.UUID | None
    year: int
    quadrimester: int | None
    end_year: int
    status: InstrumentStatus
    status_label: str = strawberry.field(description="DGMP's label, in Portuguese.")
    deadline: date | None
    milestone_on: date | None
    situation: SituationCode = strawberry.field(description="As of `asOf` (today by default).")
    days_late: int
    title: str | None
    document_url: str | None
    notes: str | None
    goal_structure: GoalStructure
    version: int
    as_of: strawberry.Private[date | None]

    @strawberry.field(description="Every status change: who, when, from, to, and the comment.")
    async def history(self, info: Info) -> list[HistoryEntry]:
        found: list[rows.InstrumentEvent] = await _records_loader(info, rows.InstrumentEvent).load(self.database_id)
        return [
            HistoryEntry(
                from_status=event.from_status,  # type: ignore[arg-type]
                to_status=event.to_status,  # type: ignore[arg-type]
                occurred_on=event.occurred_on,
                comment=event.comment,
                actor_id=event.actor_id,
                recorded_at=event.recorded_at,
            )
            for event in found
        ]

    @strawberry.field
    async def deliberations(self, info: Info) -> list[Deliberation]:
        found: list[rows.Deliberation] = await _records_loader(info, rows.Deliberation).load(self.database_id)
        return [Deliberation.of(row) for row in found]

    @strawberry.field
    async def hearings(self, info: Info) -> list[Hearing]:
        found: list[rows.Hearing] = await _records_loader(info, rows.Hearing).load(self.database_id)
        return [Hearing.of(row) for row in found]

    @strawberry.field(description="Its monitoring rounds, by day.")
    async def rounds(self, info: Info) -> list[Round]:
        found: list[rows.MonitoringRound] = await _records_loader(info, rows.MonitoringRound).load(self.database_id)
        return [Round.of(row) for row in found]

    @strawberry.field(
        description="The goal tree as a list in reading order, as REST's `?flat=true` pages it. "
        "In a list of instruments, `first` and `after` apply to each one's goals."
    )
    async def goals(
        self,
        info: Info,
        level: GoalLevel | None = None,
        status: GoalStatusCode | None = None,
        overdue: bool | None = None,
        responsible: str | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Goal]:
        context = info.context
        page, filters = goal_page_arguments(context, level, status, overdue, responsible, as_of, first, after)
        as_of = filters["as_of"] = as_of or self.as_of

        async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, Page[GoalView]]:
            return await GoalService(repositories).pages(context.principal, keys, page, **filters)

        found = await context.loader(("goals", page, *filters.items()), load, EMPTY).load(self.database_id)
        return connection(found, lambda view: Goal.of(view, as_of))

    @strawberry.field(description="The top nodes of the goal tree, each with its `children`.")
    async def goal_tree(self, info: Info, as_of: date | None = None) -> list[Goal]:
        context, as_of = info.context, as_of or self.as_of

        async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[GoalNode]]:
            return await GoalService(repositories).trees(context.principal, keys, as_of)

        found = await context.loader(("goal trees", as_of), load, []).load(self.database_id)
        return [Goal.of_node(node, as_of) for node in found]

    @strawberry.field(description="Metas by status, overdue ones, share concluded, indicators; as of a day.")
    async def progress(self, info: Info, as_of: date | None = None) -> ProgressReport:
        context, as_of = info.context, as_of or self.as_of

        async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, Progress]:
            return await MonitoringService(repositories).progresses_by_id(context.principal, keys, as_of)

        found = await context.loader(("progress", as_of), load, None).load(self.database_id)
        if found is None:  # written out of the caller's sight since it was read
            raise NotFound(f"no instrument {self.database_id}")
        return ProgressReport.of(found)

    @strawberry.field(description="Every status update on its metas in the order recorded (for syncing).")
    async def status_updates(
        self, info: Info, since: datetime | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[StatusUpdate]:
        context = info.context
        page = page_request(context, first, after)
        found = await context.read(
            lambda repositories: MonitoringService(repositories).instrument_updates(
                context.principal, self.database_id, page, since
            )
        )
        return connection(found, StatusUpdate.of)

    @classmethod
    def of(cls, item: InstrumentView, as_of: date | None = None) -> Instrument:
        row = item.instrument
        return cls(
            database_id=row.id,
            kind=row.kind,  # type: ignore[arg-type]
            owner_type=row.owner_type,
            owner=row.owner_code,
            uf=row.uf,
            municipality_code=row.municipality_code,
            region_code=row.region_code,
            organization_id=row.organization_id,
            year=row.year,
            quadrimester=row.quadrimester,
            end_year=row.end_year,
            status=row.status,  # type: ignore[arg-type]
            status_label=STATUS_LABELS[Status(row.status)],
            deadline=row.deadline,
            milestone_on=row.milestone_on,
            situation=item.situation,
            days_late=item.days_late,
            title=row.title,
            document_url=row.document_url,
            notes=row.notes,
            goal_structure=row.goal_structure,  # type: ignore[arg-type]
            version=row.version,
            as_of=as_of,
        )


# Goals and monitoring.


@strawberry.type
class YearlyTarget:
    year: int
    value: float


@strawberry.type
class StatusUpdate:
    database_id: int
    goal_id: uuid.UUID
    round_id: uuid.UUID | None
    reported_on: date
    status: GoalStatusCode
    status_label: str
    percent_complete: float | None
    achieved_value: float | None
    details: str | None
    difficulties: str | None
    expected_delivery: date | None
    next_steps: str | None
    partial_product: str | None
    responsible: str | None
    supersedes: int | None = strawberry.field(description="The entry this one corrects.")
    superseded_by: int | None = strawberry.field(description="The correction that replaced this entry, if any.")
    author_id: uuid.UUID | None = strawberry.field(description="An account id; names are not public.")
    recorded_at: datetime

    @strawberry.field(description="Global id, for client caches.")
    def id(self) -> strawberry.ID:
        return global_id("StatusUpdate", self.database_id)

    @classmethod
    def of(cls, entry: Entry) -> StatusUpdate:
        update = entry.update
        assert update.id is not None
        return cls(
            database_id=update.id,
            goal_id=update.goal_id,
            round_id=update.round_id,
            reported_on=update.reported_on,
            status=update.status,  # type: ignore[arg-type]
            status_label=GOAL_STATUS_LABELS[GoalStatus(update.status)],
            percent_complete=update.percent_complete,
            achieved_value=update.achieved_value,
            details=update.details,
            difficulties=update.difficulties,
            expected_delivery=update.expected_delivery,
            next_steps=update.next_steps,
            partial_product=update.partial_product,
            responsible=update.responsible,
            supersedes=update.supersedes_id,
            superseded_by=entry.superseded_by,
            author_id=update.author_id,
            recorded_at=update.recorded_at,
        )


@strawberry.type
class Goal(Node):
    database_id: uuid.UUID
    instrument_id: uuid.UUID
    parent_id: uuid.UUID | None
    level: GoalLevel
    level_label: str
    number: str | None
    description: str
    indicator_name: str | None
    indicator_unit: str | None
    polarity: PolarityCode | None
    baseline_value: float | None
    baseline_year: int | None
    target_value: float | None
    yearly_targets: list[YearlyTarget]
    deadline: date | None
    deadline_precision: DeadlinePrecision
    prazo: str | None = strawberry.field(description="The deadline as written: 12/2018, or 31/10/2018.")
    responsible: str | None
    responsible_user_id: uuid.UUID | None
    partners: str | None
    scope: ScopeCode | None
    status: GoalStatusCode | None = strawberry.field(description="The current reported status; null if none yet.")
    overdue: bool = strawberry.field(description="Deadline passed and neither concluded nor cancelled.")
    days_overdue: int
    current_status: StatusUpdate | None
    version: int
    as_of: strawberry.Private[date | None]
    known_children: strawberry.Private[list[GoalNode] | None]

    @strawberry.field(description="The nodes under it, in order.")
    async def children(self, info: Info) -> list[Goal]:
        if self.known_children is not None:
            return [Goal.of_node(node, self.as_of) for node in self.known_children]
        context, as_of = info.context, self.as_of

        async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[GoalView]]:
            return await GoalService(repositories).children(context.principal, keys, as_of)

        found = await context.loader(("children", as_of), load, []).load(self.database_id)
        return [Goal.of(view, as_of) for view in found]

    @strawberry.field(description="Every entry, oldest first, corrected ones included.")
    async def status_updates(self, info: Info) -> list[StatusUpdate]:
        context = info.context

        async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Entry]]:
            return await MonitoringService(repositories).histories(context.principal, keys)

        found = await context.loader("status updates", load, []).load(self.database_id)
        return [StatusUpdate.of(entry) for entry in found]

    @strawberry.field
    async def instrument(self, info: Info) -> Instrument | None:
        context, as_of = info.context, self.as_of

        async def load(repositories: Any, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, InstrumentView]:
            return await InstrumentService(repositories).many(context.principal, keys, as_of)

        found = await context.loader(("instruments", as_of), load, None).load(self.instrument_id)
        return Instrument.of(found, as_of) if found else None

    @classmethod
    def of(cls, view: GoalView, as_of: date | None, children: list[GoalNode] | None = None) -> Goal:
        goal, current = view.goal, view.current
        precision = Precision(goal.deadline_precision)
        return cls(
            database_id=goal.id,
            instrument_id=goal.instrument_id,
            parent_id=goal.parent_id,
            level=goal.level,  # type: ignore[arg-type]
            level_label=LEVEL_LABELS[Level(goal.level)],
            number=goal.number,
            description=goal.description,
            indicator_name=goal.indicator_name,
            indicator_unit=goal.indicator_unit,
            polarity=goal.polarity,  # type: ignore[arg-type]
            baseline_value=goal.baseline_value,
            baseline_year=goal.baseline_year,
            target_value=goal.target_value,
            yearly_targets=[YearlyTarget(year=int(year), value=value) for year, value in goal.yearly_targets.items()],
            deadline=goal.deadline,
            deadline_precision=precision,
            prazo=format_prazo(Prazo(goal.deadline, precision)) if goal.deadline else None,
            responsible=goal.responsible,
            responsible_user_id=goal.responsible_user_id,
            partners=goal.partners,
            scope=goal.scope,
            status=current.status if current else None,  # type: ignore[arg-type]
            overdue=view.days_overdue > 0,
            days_overdue=view.days_overdue,
            current_status=StatusUpdate.of(Entry(current)) if current else None,
            version=goal.version,
            as_of=as_of,
            known_children=children,
        )

    @classmethod
    def of_node(cls, node: GoalNode, as_of: date | None) -> Goal:
        return cls.of(node.view, as_of, node.children)


@strawberry.type
class DeletedGoal:
    database_id: uuid.UUID


@strawberry.type
class GoalStatusCount:
    status: GoalStatusCode
    label: str
    count: int


@strawberry.type
class OverdueMeta:
    goal_id: uuid.UUID
    number: str | None
    description: str
    deadline: date
    days_overdue: int
    status: GoalStatusCode | None


@strawberry.type
class Indicator:
    goal_id: uuid.UUID
    description: str
    indicator_name: str | None
    polarity: PolarityCode
    target: float
    achieved: float
    reported_on: date
    met: bool
    achievement_percent: float | None


@strawberry.type(name="Progress")
class ProgressReport:
    instrument_id: uuid.UUID
    as_of: date
    metas: int
    by_status: list[GoalStatusCount]
    without_update: int
    concluded_percent: float | None
    overdue: list[OverdueMeta]
    indicators: list[Indicator]
    indicators_met: int

    @classmethod
    def of(cls, progress: Progress) -> ProgressReport:
        return cls(
            instrument_id=progress.instrument.id,
            as_of=progress.as_of,
            metas=progress.metas,
            by_status=[
                GoalStatusCount(status=status, label=GOAL_STATUS_LABELS[status], count=count)
                for status, count in progress.by_status.items()
            ],
            without_update=progress.without_update,
            concluded_percent=progress.concluded_percent,
            overdue=[OverdueMeta(**asdict(item)) for item in progress.overdue],
            indicators=[Indicator(**asdict(item)) for item in progress.indicators],
            indicators_met=progress.indicators_met,
        )


@strawberry.type(name="RoundReport")
class RoundReportView:
    as_of: date
    tree: list[Goal]


@strawberry.type
class Round(Node):
    database_id: uuid.UUID
    instrument_id: uuid.UUID
    name: str
    held_on: date
    kind: RoundKindCode
    kind_label: str
    created_at: datetime

    @strawberry.field(description="Every meta with its status, details and difficulties as of the round's day.")
    async def report(self, info: Info) -> RoundReportView:
        context = info.context
        found: RoundReport = await context.read(
            lambda repositories: MonitoringService(repositories).round_report(context.principal, self.database_id)
        )
        day = found.round.held_on
        return RoundReportView(as_of=day, tree=[Goal.of_node(node, day) for node in found.tree])

    @classmethod
    def of(cls, row: rows.MonitoringRound) -> Round:
        return cls(
            database_id=row.id,
            instrument_id=row.instrument_id,
            name=row.name,
            held_on=row.held_on,
            kind=row.kind,
            kind_label=ROUND_KIND_LABELS[row.kind],
            created_at=row.created_at,
        )


# Compliance, panels, calendars, audit.


@strawberry.type
class ExpectedInstrument:
    kind: InstrumentKind
    year: int
    end_year: int
    quadrimester: int | None
    instrument_id: uuid.UUID | None = strawberry.field(description="Null when nobody created it.")
    status: InstrumentStatus
    status_label: str
    deadline: date | None
    milestone_on: date | None
    situation: SituationCode
    days_late: int


@strawberry.type
class Compliance:
    owner_type: EnteTypeCode
    owner: str
    name: str
    uf: str
    instruments: list[ExpectedInstrument]

    @classmethod
    def of(cls, ente: EnteCompliance) -> Compliance:
        return cls(
            owner_type=ente.owner_type,
            owner=ente.owner,
            name=ente.name,
            uf=ente.uf,
            instruments=[
                ExpectedInstrument(**vars(item), status_label=STATUS_LABELS[item.status]) for item in ente.instruments
            ],
        )


@strawberry.type
class InstrumentStatusCount:
    status: InstrumentStatus
    label: str
    count: int


@strawberry.type
class SituationCount:
    situation: SituationCode
    label: str
    count: int
    share: float


@strawberry.type(name="PanelGroup")
class PanelGroupView:
    key: str
    name: str
    year: int
    total: int
    by_status: list[InstrumentStatusCount]
    by_situation: list[SituationCount]

    @classmethod
    def of(cls, group: PanelGroup) -> PanelGroupView:
        return cls(
            key=group.key,
            name=group.name,
            year=group.year,
            total=group.total,
            by_status=[
                InstrumentStatusCount(status=status, label=STATUS_LABELS[status], count=group.by_status[status])
                for status in Status
            ],
            by_situation=[
                SituationCount(
                    situation=situation,
                    label=SITUATION_LABELS[situation],
                    count=group.by_situation[situation],
                    share=group.shares[situation],
                )
                for situation in Situation
            ],
        )


@strawberry.type
class Panel:
    group_by: PanelGrouping
    kind: InstrumentKind | None
    as_of: date | None
    groups: list[PanelGroupView]

    @classmethod
    def of(cls, groups: list[PanelGroup], group_by: str, kind: Kind | None, as_of: date | None) -> Panel:
        return cls(group_by=group_by, kind=kind, as_of=as_of, groups=[PanelGroupView.of(g) for g in groups])


@strawberry.type
class Calendar:
    owner_type: EnteTypeCode
    owner: str
    ldo_bill_due: str
    plan_due: str
    custom: bool
    version: int

    @classmethod
    def of(cls, view: CalendarView) -> Calendar:
        return cls(**vars(view))


@strawberry.type(description="Admins only.")
class AuditEvent:
    database_id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: str | None
    uf: str | None
    before: JSON | None
    after: JSON | None

    @strawberry.field(description="Global id, for client caches.")
    def id(self) -> strawberry.ID:
        return global_id("AuditEvent", self.database_id)

    @classmethod
    def of(cls, row: rows.AuditEvent) -> AuditEvent:
        assert row.id is not None
        return cls(
            database_id=row.id,
            occurred_at=row.occurred_at,
            actor_id=row.actor_id,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            uf=row.uf,
            before=cast(JSON, row.before),
            after=cast(JSON, row.after),
        )
