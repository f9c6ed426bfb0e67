"""Monitoring (product.md §4): status updates on metas and ações, an instrument's progress as of
a date, and the rounds (meetings, monthly forms, quadrimesters) at which statuses are reported."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.pagination import JsonPage, Page, PageRequest
from app.core.principal import Principal
from app.core.time import utc_instant
from app.domain.access import STATUS_REPORTS
from app.domain.goal_files import ExportRow
from app.domain.goal_matrices import export_rows
from app.domain.goal_rules import (
    MONITORED,
    GoalStatus,
    Level,
    Polarity,
    achievement,
)
from app.domain.goals import GOAL_JSON, GoalNode, GoalService, Value, build_tree, goal_view
from app.domain.instruments import InstrumentService, Text
from app.repositories import Repositories
from app.repositories.tables import Goal, Instrument, MonitoringRound, StatusUpdate, utc_now

RoundKind = Annotated[str, StringConstraints(pattern="^(meeting|monthly_form|quadrimester)$")]
ROUND_KIND_LABELS = {
    "meeting": "Reunião de monitoramento",
    "monthly_form": "Formulário mensal",
    "quadrimester": "Quadrimestre",
}


class StatusUpdateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: GoalStatus
    reported_on: date | None = Field(
        default=None, description="The day reported on; the round's day, or today, if unset. Never in the future."
    )
    round_id: uuid.UUID | None = Field(default=None, description="The monitoring round it was reported at.")
    percent_complete: Annotated[float, Field(ge=0, le=100)] | None = None
    achieved_value: Value | None = Field(default=None, description="The indicator's value reached.")
    details: Text | None = None
    difficulties: Text | None = Field(default=None, description="Dificuldades encontradas.")
    expected_delivery: date | None = Field(default=None, description="Previsão de entrega.")
    next_steps: Text | None = Field(default=None, description="Ponto de atuação.")
    partial_product: Text | None = None
    responsible: Text | None = None
    supersedes: Annotated[int, Field(ge=1, lt=2**63)] | None = Field(
        default=None, description="The entry this one corrects (an id of this goal's); it takes that entry's day."
    )


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    held_on: date
    kind: RoundKind = "meeting"


@dataclass(frozen=True)
class Entry:
    """A status update, with the correction that superseded it, if any."""

    update: StatusUpdate
    superseded_by: int | None = None


@dataclass(frozen=True)
class OverdueMeta:
    goal_id: uuid.UUID
    number: str | None
    description: str
    deadline: date
    days_overdue: int
    status: GoalStatus | None  # what is reported, beside the deadline that passed


@dataclass(frozen=True)
class IndicatorResult:
    goal_id: uuid.UUID
    description: str
    indicator_name: str | None
    polarity: Polarity  # higher is better unless the meta says otherwise
    target: float
    achieved: float
    reported_on: date
    met: bool
    achievement_percent: float | None


@dataclass(frozen=True)
class Progress:
    instrument: Instrument
    as_of: date
    metas: int
    by_status: dict[GoalStatus, int]
    without_update: int
    overdue: list[OverdueMeta]  # most overdue first
    concluded_percent: float | None
    indicators: list[IndicatorResult]

    @property
    def indicators_met(self) -> int:
        return sum(1 for item in self.indicators if item.met)


@dataclass(frozen=True)
class RoundReport:
    round: MonitoringRound
    instrument: Instrument
    tree: list[GoalNode]
    rows: list[ExportRow]  # the same, one row per meta, for the spreadsheet


def target_for(goal: Goal, year: int) -> float | None:
    """The year's own target where the plan sets one, else the target for the period."""
    return goal.yearly_targets.get(str(year), goal.target_value)


def progress_of(
    instrument: Instrument,
    goals: list[Goal],
    current: dict[uuid.UUID, StatusUpdate],
    achieved: dict[uuid.UUID, StatusUpdate],
    as_of: date,
) -> Progress:
    """Counts by reported status, the overdue metas (whatever they report), the share of metas
    concluded (cancelled ones left out), and each indicator against its target."""
    metas = [goal for goal in goals if goal.level == Level.META]
    views = [goal_view(goal, current.get(goal.id), as_of) for goal in metas]
    by_status = dict.fromkeys(GoalStatus, 0)
    for view in views:
        if view.current is not None:
            by_status[GoalStatus(view.current.status)] += 1
    live = len(metas) - by_status[GoalStatus.CANCELADA]
    indicators = []
    for goal in metas:
        entry = achieved.get(goal.id)
        target = target_for(goal, entry.reported_on.year) if entry else None
        if entry is not None and entry.achieved_value is not None and target is not None:
            polarity = Polarity(goal.polarity or Polarity.HIGHER)
            result = achievement(target, entry.achieved_value, polarity)
            indicators.append(
                IndicatorResult(
                    goal.id,
                    goal.description,
                    goal.indicator_name,
                    polarity,
                    result.target,
                    result.achieved,
                    entry.reported_on,
                    result.met,
                    result.percent,
                )
            )
    late = sorted((view for view in views if view.days_overdue), key=lambda v: -v.days_overdue)
    return Progress(
        instrument=instrument,
        as_of=as_of,
        metas=len(metas),
        by_status=by_status,
        without_update=sum(1 for view in views if view.current is None),
        overdue=[
            OverdueMeta(
                view.goal.id,
                view.goal.number,
                view.goal.description,
                view.goal.deadline,
                view.days_overdue,
                GoalStatus(view.current.status) if view.current else None,
            )
            for view in late
            if view.goal.deadline is not None
        ],
        concluded_percent=round(100 * by_status[GoalStatus.CONCLUIDA] / live, 1) if live else None,
        indicators=indicators,
    )


class MonitoringService:
    def __init__(self, repositories: Repositories) -> None:
        self.instruments = InstrumentService(repositories)
        self.goal_service = GoalService(repositories)
        self.goals = repositories.goals

    async def report(self, principal: Principal, goal_id: uuid.UUID, data: StatusUpdateCreate) -> Entry:
        """A new entry on a meta or ação, by its instrument's writers (or, on a regional plan,
        an apoiador of the region). A correction names the entry it supersedes."""
        goal, instrument = await self.goal_service.locked(principal, goal_id, STATUS_REPORTS)
        if goal.level not in MONITORED:
            raise InvalidInput(f"a {goal.level} is not reported on: its metas and ações are", code="not_monitored")
        reported_on, round_id = data.reported_on, data.round_id
        if data.supersedes is not None:
            corrected = await self._correctable(goal, data.supersedes)
            if reported_on not in (None, corrected.reported_on):
                raise InvalidInput(
                    f"a correction reports on the day of the entry it corrects ({corrected.reported_on})",
                    code="invalid_correction",
                )
            reported_on, round_id = corrected.reported_on, round_id or corrected.round_id
        if round_id is not None:
            round_ = await self.goals.round_of(instrument.id, round_id)
            if round_ is None:
                raise InvalidInput(f"no round {round_id} for this instrument", code="unknown_round")
            reported_on = reported_on or round_.held_on
        reported_on = reported_on or utc_now().date()
        if reported_on > utc_now().date():
            raise InvalidInput(f"{reported_on} is in the future", code="invalid_date")
        update = StatusUpdate(
            goal_id=goal.id,
            instrument_id=instrument.id,
            uf=instrument.uf,
            reported_on=reported_on,
            round_id=round_id,
            author_id=principal.user_id,
            supersedes_id=data.supersedes,
            **data.model_dump(exclude={"reported_on", "round_id", "supersedes"}),
        )
        await self.goals.add_updates([update])
        return Entry(update)

    async def _correctable(self, goal: Goal, supersedes: int) -> StatusUpdate:
        """The entry a correction names: one of this goal's, not corrected yet. The correction
        takes its day, so that what was current on any date changes only by what it corrects."""
        corrected = await self.goals.entry(goal.id, supersedes)
        if corrected is None:
            raise InvalidInput(f"no entry {supersedes} on this goal", code="unknown_entry")
        correction = await self.goals.correction_of(supersedes)
        if correction is not None:
            raise Conflict(
                f"entry {supersedes} was already corrected by entry {correction.id}: correct that one",
                code="already_superseded",
                correction_id=correction.id,
            )
        return corrected

    async def history(self, principal: Principal, goal_id: uuid.UUID) -> list[Entry]:
        goal, _ = await self.goal_service.visible(principal, goal_id)
        return (await self.histories(principal, [goal.id])).get(goal.id, [])

    async def histories(self, principal: Principal, goal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Entry]]:
        """Every entry of each of these goals the caller may see, oldest first."""
        found = await self.goals.updates_of_goals(principal, goal_ids)
        return {goal_id: [Entry(update, by) for update, by in entries] for goal_id, entries in found.items()}

    async def instrument_updates(
        self, principal: Principal, instrument_id: uuid.UUID, page: PageRequest, since: datetime | None = None
    ) -> Page[Entry]:
        """Every entry on the instrument's tree in the order recorded (for clients that sync)."""
        instrument = await self.instruments.visible(principal, instrument_id)
        found = await self.goals.updates_page(instrument.id, utc_instant(since), page)
        corrections = await self.goals.corrections([u.id for u in found.items if u.id is not None])
        return found.map(lambda update: Entry(update, corrections.get(update.id or 0)))

    async def instrument_updates_json(
        self, principal: Principal, instrument_id: uuid.UUID, page: PageRequest, since: datetime | None = None
    ) -> JsonPage:
        """`instrument_updates` with each entry's body built by PostgreSQL: the read a syncing
        client repeats for every page of an instrument's history."""
        instrument = await self.instruments.visible(principal, instrument_id)
        return await self.goals.updates_page_json(instrument.id, utc_instant(since), page, GOAL_JSON)

    async def progress(self, principal: Principal, instrument_id: uuid.UUID, as_of: date | None = None) -> Progress:
        instrument = await self.instruments.visible(principal, instrument_id)
        return (await self.progresses(principal, [instrument], as_of))[instrument.id]

    async def progresses_by_id(
        self, principal: Principal, instrument_ids: Sequence[uuid.UUID], as_of: date | None = None
    ) -> dict[uuid.UUID, Progress]:
        """`progress` of each of these instruments the caller sees; the others are absent."""
        views = await self.instruments.many(principal, instrument_ids)
        return await self.progresses(principal, [view.instrument for view in views.values()], as_of)

    async def progresses(
        self, principal: Principal, instruments: Sequence[Instrument], as_of: date | None = None
    ) -> dict[uuid.UUID, Progress]:
        """`progress` of many instruments the caller sees, in three statements."""
        day = as_of or utc_now().date()
        ids = [instrument.id for instrument in instruments]
        trees = await self.goals.trees(principal, ids)
        current = await self.goals.current_updates_in(ids, day)
        achieved = await self.goals.current_updates_in(ids, day, with_value=True)
        return {
            instrument.id: progress_of(instrument, trees.get(instrument.id, []), current, achieved, day)
            for instrument in instruments
        }

    async def add_round(self, principal: Principal, instrument_id: uuid.UUID, data: RoundCreate) -> MonitoringRound:
        instrument = await self.instruments.writable(principal, instrument_id, policy=STATUS_REPORTS)
        round_ = MonitoringRound(
            instrument_id=instrument.id,
            uf=instrument.uf,
            name=data.name,
            held_on=data.held_on,
            kind=data.kind,
            created_by=principal.user_id,
        )
        await self.goals.add_round(round_)
        return round_

    async def rounds(self, principal: Principal, instrument_id: uuid.UUID) -> list[MonitoringRound]:
        return await self.instruments.records_of(principal, MonitoringRound, instrument_id)

    async def round(self, principal: Principal, round_id: uuid.UUID) -> MonitoringRound:
        return (await self._round(principal, round_id))[0]

    async def _round(self, principal: Principal, round_id: uuid.UUID) -> tuple[MonitoringRound, Instrument]:
        found = await self.goals.round(principal, round_id)
        if found is None:
            raise NotFound(f"no monitoring round {round_id}")
        return found

    async def round_report(self, principal: Principal, round_id: uuid.UUID) -> RoundReport:
        """The tree with every meta's status, details and difficulties as of the round's day."""
        round_, instrument = await self._round(principal, round_id)
        goals = await self.goals.tree(instrument.id)
        current = await self.goals.current_updates(instrument.id, round_.held_on)
        tree = build_tree(goals, current, round_.held_on)
        return RoundReport(round_, instrument, tree, export_rows(goals, current))
