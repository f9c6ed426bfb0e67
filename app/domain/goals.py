"""Goal trees (product.md §3): an instrument's diretrizes down to its metas, in the structure it
declares, each node with its current status as of a date."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.pagination import JsonNode, JsonPage, Page, PageRequest
from app.core.principal import Principal
from app.core.text import search_key
from app.domain.access import INSTRUMENT_WRITES, WritePolicy
from app.domain.goal_rules import (
    CLOSED,
    GOAL_STATUS_LABELS,
    LEVEL_LABELS,
    MONITORED,
    GoalStatus,
    Level,
    Polarity,
    Precision,
    Structure,
    allowed_children,
    days_overdue,
    end_of_month,
)
from app.domain.instruments import InstrumentService, Text
from app.domain.users import check_version
from app.repositories import Repositories
from app.repositories.bulk import new_row
from app.repositories.goals import GoalFilter, GoalJson, Overdue, sibling_key
from app.repositories.tables import Goal, Instrument, StatusUpdate, utc_now

Value = Annotated[float, Field(allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Scope = Literal["municipal", "regional", "estadual", "nacional"]
MAX_NODES_PER_REQUEST = 5000


class GoalFields(BaseModel):
    """What a node says. Metas (and ações) carry the indicator, targets, deadline and responsible."""

    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        default=None, description="As the plan numbers it: 1, 1.1, 1.1.1."
    )
    description: Description
    indicator_name: Text | None = None
    indicator_unit: ShortText | None = None
    polarity: Polarity | None = Field(default=None, description="Whether more of the indicator is better.")
    baseline_value: Value | None = None
    baseline_year: Year | None = None
    target_value: Value | None = Field(default=None, description="The target for the instrument's period.")
    yearly_targets: dict[Year, Value] = Field(default_factory=dict, description="A target per year (PAS).")
    deadline: date | None = Field(default=None, description="The prazo; with month precision, that month's end.")
    deadline_precision: Precision = Precision.DAY
    responsible: Text | None = Field(default=None, description="Names as written.")
    responsible_user_id: uuid.UUID | None = None
    partners: Text | None = Field(default=None, description="Partner institutions.")
    scope: Scope | None = None


class GoalCreate(GoalFields):
    level: Level
    parent_id: uuid.UUID | None = Field(default=None, description="Top node only: where it hangs; root if unset.")
    children: list[GoalCreate] = Field(default_factory=list, max_length=MAX_NODES_PER_REQUEST)


class GoalPatch(BaseModel):
    """Fields left out keep their value; null clears one. Level and place in the tree stay."""

    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    description: Description | None = None
    indicator_name: Text | None = None
    indicator_unit: ShortText | None = None
    polarity: Polarity | None = None
    baseline_value: Value | None = None
    baseline_year: Year | None = None
    target_value: Value | None = None
    yearly_targets: dict[Year, Value] | None = None
    deadline: date | None = None
    deadline_precision: Precision | None = None
    responsible: Text | None = None
    responsible_user_id: uuid.UUID | None = None
    partners: Text | None = None
    scope: Scope | None = None


GoalCreate.model_rebuild()


@dataclass(frozen=True)
class GoalView:
    goal: Goal
    current: StatusUpdate | None
    days_overdue: int


@dataclass
class GoalNode:
    view: GoalView
    children: list[GoalNode] = field(default_factory=list)


def goal_view(goal: Goal, current: StatusUpdate | None, as_of: date) -> GoalView:
    status = GoalStatus(current.status) if current else None
    late = days_overdue(goal.deadline, status, as_of) if goal.level in MONITORED else 0
    return GoalView(goal, current, late)


def build_tree(goals: Iterable[Goal], current: dict[uuid.UUID, StatusUpdate], as_of: date) -> list[GoalNode]:
    """Nodes in sort-key order (parents first) as nested trees; a node whose parent is not
    among them is a root."""
    nodes: dict[uuid.UUID, GoalNode] = {}
    roots: list[GoalNode] = []
    for goal in goals:
        node = GoalNode(goal_view(goal, current.get(goal.id), as_of))
        nodes[goal.id] = node
        parent = nodes.get(goal.parent_id) if goal.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def nest_json(nodes: Iterable[JsonNode]) -> bytes:
    """The JSON array of the trees `nodes` make, as build_tree nests them (a node whose parent
    is not among them is a root), each body given its `children` as its last key."""
    children: dict[uuid.UUID | None, list[JsonNode]] = {}
    seen: set[uuid.UUID] = set()
    for node in nodes:
        children.setdefault(node.parent_id if node.parent_id in seen else None, []).append(node)
        seen.add(node.id)

    def written(node: JsonNode) -> bytes:
        nested = b",".join(written(child) for child in children.get(node.id, []))
        return node.body[:-1] + b',"children":[' + nested + b"]}"

    return b"[" + b",".join(written(root) for root in children.get(None, [])) + b"]"


def check_level(structure: Structure, parent: Level | None, level: Level) -> None:
    allowed = allowed_children(structure, parent)
    if level not in allowed:
        where = f"under a {parent}" if parent else "at the top"
        names = ", ".join(allowed) or "none: it is a leaf"
        raise InvalidInput(
            f"a {level} cannot go {where} of a {structure} tree; allowed: {names}",
            code="invalid_level",
            allowed=list(allowed),
        )


def next_position(last_key: str | None) -> int:
    return int(last_key.rsplit(".", 1)[-1]) + 1 if last_key else 1


def stored_fields(values: dict[str, Any], current: Callable[[str], Any]) -> dict[str, Any]:
    """`values` as a goal stores them, with the derived fields kept in step (month-end deadline,
    search key); `current` reads the goal's field where `values` has none."""
    fields = dict(values)
    if "yearly_targets" in fields:
        fields["yearly_targets"] = {str(year): target for year, target in (fields["yearly_targets"] or {}).items()}

    def after(name: str) -> Any:
        return fields[name] if name in fields else current(name)

    deadline = after("deadline")
    if deadline is not None and after("deadline_precision") == Precision.MONTH:
        fields["deadline"] = end_of_month(deadline.year, deadline.month)
    responsible = after("responsible")
    fields["responsible_key"] = search_key(responsible) if responsible else None
    return fields


def apply_fields(goal: Goal, values: dict[str, Any]) -> None:
    for name, value in stored_fields(values, partial(getattr, goal)).items():
        setattr(goal, name, value)


def new_goal_row(
    instrument: Instrument,
    parent_id: uuid.UUID | None,
    parent_key: str | None,
    level: Level,
    position: int,
    values: dict[str, Any],
) -> dict[str, Any]:
    """A new node's row, as imports write it in bulk; `new_goal` makes the same node an object."""
    row = new_row(
        Goal,
        {
            "instrument_id": instrument.id,
            "parent_id": parent_id,
            "uf": instrument.uf,
            "sort_key": sibling_key(parent_key, position),
            "level": level,
            "description": values["description"],
        },
    )
    row.update(stored_fields(values, row.__getitem__))
    return row


def new_goal(instrument: Instrument, parent: Goal | None, level: Level, position: int, values: dict[str, Any]) -> Goal:
    parent_id, parent_key = (parent.id, parent.sort_key) if parent else (None, None)
    return Goal(**new_goal_row(instrument, parent_id, parent_key, level, position, values))


GOAL_JSON = GoalJson(
    level_labels={str(level): label for level, label in LEVEL_LABELS.items()},
    status_labels={str(status): label for status, label in GOAL_STATUS_LABELS.items()},
    monitored=frozenset(MONITORED),
    closed=frozenset(CLOSED),
)


def goal_filter(
    level: Level | None, status: GoalStatus | None, overdue: bool | None, responsible: str | None
) -> GoalFilter:
    return GoalFilter(
        level=level,
        status=status,
        overdue=Overdue(overdue, MONITORED, CLOSED) if overdue is not None else None,
        responsible_key=search_key(responsible) if responsible else None,
    )


class GoalService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.instruments = InstrumentService(repositories)
        self.goals = repositories.goals

    async def tree_json(self, principal: Principal, instrument_id: uuid.UUID, as_of: date | None = None) -> bytes:
        """The instrument's goal tree as the JSON array `trees` would give for it, each goal's body
        built by PostgreSQL (as `page_json`'s are) and the bodies nested here."""
        nodes = await self.goals.tree_json(principal, instrument_id, as_of or utc_now().date(), GOAL_JSON)
        if not nodes:  # no goals, or an instrument the caller may not see: 404
            await self.instruments.visible(principal, instrument_id)
        return nest_json(nodes)

    async def page_json(
        self,
        principal: Principal,
        instrument_id: uuid.UUID,
        page: PageRequest,
        *,
        level: Level | None = None,
        status: GoalStatus | None = None,
        overdue: bool | None = None,
        responsible: str | None = None,
        as_of: date | None = None,
    ) -> JsonPage:
        """The tree as a flat list in reading order, filtered; statuses as of `as_of`. Each goal
        is the JSON body its view gives, built by PostgreSQL: the list clients read most, whose
        rows need no rule beyond what SQL can say."""
        day = as_of or utc_now().date()
        where = goal_filter(level, status, overdue, responsible)
        found = await self.goals.page_json(principal, instrument_id, where, day, page, GOAL_JSON)
        if not found.items:  # an empty page, or an instrument the caller may not see: 404
            await self.instruments.visible(principal, instrument_id)
        return found

    async def pages(
        self,
        principal: Principal,
        instrument_ids: Sequence[uuid.UUID],
        page: PageRequest,
        *,
        level: Level | None = None,
        status: GoalStatus | None = None,
        overdue: bool | None = None,
        responsible: str | None = None,
        as_of: date | None = None,
    ) -> dict[uuid.UUID, Page[GoalView]]:
        """`page` for many instruments at once (two statements); those the caller may not see,
        or without goals, are absent."""
        day = as_of or utc_now().date()
        where = goal_filter(level, status, overdue, responsible)
        found = await self.goals.pages(principal, instrument_ids, where, day, page)
        listed = [goal.id for rows in found.values() for goal in rows.items]
        current = await self.goals.current_updates_in(list(found), day, listed) if listed else {}
        return {key: rows.map(lambda goal: goal_view(goal, current.get(goal.id), day)) for key, rows in found.items()}

    async def trees(
        self, principal: Principal, instrument_ids: Sequence[uuid.UUID], as_of: date | None = None
    ) -> dict[uuid.UUID, list[GoalNode]]:
        """`tree` for many instruments at once (two statements)."""
        day = as_of or utc_now().date()
        found = await self.goals.trees(principal, instrument_ids)
        current = await self.goals.current_updates_in(list(found), day) if found else {}
        return {key: build_tree(goals, current, day) for key, goals in found.items()}

    async def children(
        self, principal: Principal, parent_ids: Sequence[uuid.UUID], as_of: date | None = None
    ) -> dict[uuid.UUID, list[GoalView]]:
        """Each of these goals' children, with their current status."""
        day = as_of or utc_now().date()
        found = await self.goals.children(principal, parent_ids)
        goals = [goal for rows in found.values() for goal in rows]
        instruments = list({goal.instrument_id for goal in goals})
        current = await self.goals.current_updates_in(instruments, day, [g.id for g in goals]) if goals else {}
        return {key: [goal_view(goal, current.get(goal.id), day) for goal in rows] for key, rows in found.items()}

    async def get(self, principal: Principal, goal_id: uuid.UUID, as_of: date | None = None) -> GoalView:
        goal, instrument = await self.visible(principal, goal_id)
        day = as_of or utc_now().date()
        current = await self.goals.current_updates(instrument.id, day, [goal.id])
        return goal_view(goal, current.get(goal.id), day)

    async def get_json(self, principal: Principal, goal_id: uuid.UUID, as_of: date | None = None) -> bytes:
        """`get` as the JSON body its view gives, built by PostgreSQL (as `page_json`'s are)."""
        found = await self.goals.one_json(principal, goal_id, as_of or utc_now().date(), GOAL_JSON)
        if found is None:
            raise NotFound(f"no goal {goal_id}")
        return found

    async def create(self, principal: Principal, instrument_id: uuid.UUID, data: GoalCreate) -> GoalNode:
        """One node, or a whole subtree, appended under its parent (or at the top)."""
        instrument = await self.instruments.writable(principal, instrument_id)
        parent = None
        if data.parent_id is not None:
            found = await self.goals.get(principal, data.parent_id)
            if found is None or found[0].instrument_id != instrument.id:
                raise InvalidInput(f"no goal {data.parent_id} in this instrument", code="unknown_parent")
            parent = found[0]
        position = next_position(await self.goals.last_child_key(instrument.id, data.parent_id))
        created: list[Goal] = []
        self._plan(instrument, Structure(instrument.goal_structure), parent, data, position, created)
        if len(created) > MAX_NODES_PER_REQUEST:
            raise InvalidInput(f"at most {MAX_NODES_PER_REQUEST} nodes per request", code="too_many_nodes")
        await self._check_users({goal.responsible_user_id for goal in created})
        await self.goals.add_all(created)
        return build_tree(created, {}, utc_now().date())[0]

    def _plan(
        self,
        instrument: Instrument,
        structure: Structure,
        parent: Goal | None,
        data: GoalCreate,
        position: int,
        created: list[Goal],
    ) -> None:
        check_level(structure, Level(parent.level) if parent else None, data.level)
        goal = new_goal(instrument, parent, data.level, position, data.model_dump(exclude={"children", "parent_id"}))
        created.append(goal)
        for index, child in enumerate(data.children, start=1):
            if child.parent_id is not None:
                raise InvalidInput("a child's place is its nesting: give parent_id on the top node only")
            self._plan(instrument, structure, goal, child, index, created)

    async def update(
        self, principal: Principal, goal_id: uuid.UUID, patch: GoalPatch, expected_version: int | None
    ) -> GoalView:
        goal, _ = await self.writable(principal, goal_id, expected_version)
        values = patch.model_dump(include=patch.model_fields_set)
        if values.get("description", "") is None:
            raise InvalidInput("description cannot be cleared", code="invalid_input")
        if "deadline_precision" in values and values["deadline_precision"] is None:
            values["deadline_precision"] = Precision.DAY
        await self._check_users({values.get("responsible_user_id")})
        apply_fields(goal, values)
        await self.goals.save(goal)
        return await self.get(principal, goal.id)

    async def delete(self, principal: Principal, goal_id: uuid.UUID, expected_version: int | None) -> None:
        """A node and everything under it, unless any of it has been reported on: history is
        kept, so such a node is cancelled (a status update `cancelada`) instead."""
        goal, _ = await self.writable(principal, goal_id, expected_version)
        subtree = await self.goals.subtree(goal)
        if await self.goals.any_reported([node.id for node in subtree]):
            raise Conflict(
                "this goal (or one under it) has status history and is kept: report it as cancelada instead",
                code="goal_has_history",
            )
        await self.goals.delete(subtree)

    async def visible(self, principal: Principal, goal_id: uuid.UUID) -> tuple[Goal, Instrument]:
        found = await self.goals.get(principal, goal_id)
        if found is None:
            raise NotFound(f"no goal {goal_id}")
        return found

    async def writable(
        self, principal: Principal, goal_id: uuid.UUID, expected_version: int | None = None
    ) -> tuple[Goal, Instrument]:
        """The goal, if the caller writes its instrument; 404, 403 and 412 as for instruments."""
        goal, instrument = await self.locked(principal, goal_id, INSTRUMENT_WRITES)
        check_version(goal.version, expected_version)
        return goal, instrument

    async def locked(self, principal: Principal, goal_id: uuid.UUID, policy: WritePolicy) -> tuple[Goal, Instrument]:
        """The goal, read again once its instrument is locked: writes to one tree run one at a
        time, and each sees the version (or the deletion) the one before it committed."""
        policy.require(principal)  # before the lookup: a role that may never write gets 403, not 404
        _, instrument = await self.visible(principal, goal_id)
        instrument = await self.instruments.writable(principal, instrument.id, policy=policy)
        found = await self.goals.get(principal, goal_id, fresh=True)
        if found is None:
            raise NotFound(f"no goal {goal_id}")
        return found[0], instrument

    async def _check_users(self, user_ids: set[uuid.UUID | None]) -> None:
        for user_id in user_ids - {None}:
            assert user_id is not None
            if await self.repositories.users.by_id_for_authentication(user_id) is None:
                raise InvalidInput(f"no account {user_id}", code="unknown_user")
