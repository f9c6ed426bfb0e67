"""Goal matrices in and out: a planning team's spreadsheet becomes the instrument's tree and its
metas' statuses, all or nothing; the tree goes back out in the same layout.

Importing merges: identical text under the same parent is one node, whether it came from an
earlier row or is already in the tree; a meta's fields follow the file's columns (columns the file
lacks are left alone); a status row becomes a status update unless it repeats the current one. So
importing the same file twice changes nothing, and the monthly file of a monitoring meeting adds
just that month's reports."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.core.collector import collector_paused
from app.core.errors import InvalidInput
from app.core.principal import Principal
from app.domain.goal_files import (
    FILE,
    ExportRow,
    MatrixRow,
    MetaFields,
    ParsedMatrix,
    UpdateFields,
    parse_matrix,
)
from app.domain.goal_rules import GoalStatus, Level, Polarity, Precision, Structure
from app.domain.goals import apply_fields, new_goal_row, stored_fields
from app.domain.instruments import InstrumentService
from app.domain.territory_files import LineProblem
from app.domain.territory_import import ImportRejected
from app.repositories import Repositories
from app.repositories.bulk import new_row
from app.repositories.tables import Goal, Instrument, StatusUpdate, utc_now

# The fields each column sets: MetaFields and UpdateFields name them as Goal and StatusUpdate do.
_FIELDS: dict[str, tuple[str, ...]] = {
    "prazo": ("deadline", "deadline_precision"),
    "responsavel": ("responsible",),
    "indicador": ("indicator_name",),
    "unidade": ("indicator_unit",),
    "polaridade": ("polarity",),
    "linha de base": ("baseline_value",),
    "ano da linha de base": ("baseline_year",),
    "meta do plano": ("target_value",),
    "status": ("status",),
    "conclusao": ("percent_complete",),
    "valor alcancado": ("achieved_value",),
    "detalhes": ("details",),
    "dificuldades encontradas": ("difficulties",),
    "previsao de entrega": ("expected_delivery",),
    "ponto de atuacao": ("next_steps",),
}


@dataclass
class MatrixReport:
    layout: Structure
    dry_run: bool
    reported_on: date
    rows_read: int
    goals_created: int = 0
    metas_updated: int = 0
    metas_unchanged: int = 0
    status_updates_created: int = 0
    status_updates_unchanged: int = 0
    warnings: list[LineProblem] = field(default_factory=list)


def structure_for(instrument: Instrument, layout: Structure | None) -> Structure:
    """The instrument's declared structure; a layout naming another is refused."""
    structure = Structure(instrument.goal_structure)
    if layout is not None and layout is not structure:
        raise InvalidInput(
            f"this instrument's goals are in the {structure} structure, not {layout}", code="layout_mismatch"
        )
    return structure


def _set_by(parsed: ParsedMatrix) -> frozenset[str]:
    """The fields the file's columns set; a column the file lacks leaves its field alone."""
    return frozenset(name for column in parsed.columns for name in _FIELDS.get(column, ()))


def _in_file(values: dict[str, Any], present: frozenset[str]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name in present}


def _meta_values(
    meta: MetaFields, parsed: ParsedMatrix, present: frozenset[str], stored: dict[str, float]
) -> dict[str, Any]:
    """The Goal fields this row sets, as stored."""
    precision = Precision.MONTH if meta.month_precision else Precision.DAY
    chosen = _in_file(vars(meta) | {"deadline_precision": precision}, present)
    if parsed.years:
        targets = {year: value for year, value in stored.items() if int(year) not in parsed.years}
        chosen["yearly_targets"] = targets | {str(year): value for year, value in meta.yearly_targets.items()}
    return chosen


def _repeats(current: StatusUpdate | None, values: dict[str, Any]) -> bool:
    return current is not None and all(getattr(current, name) == value for name, value in values.items())


def _position(key: str) -> int:
    return int(key.rsplit(".", 1)[-1])


@dataclass(frozen=True, slots=True)
class _Node:
    id: uuid.UUID
    sort_key: str


@dataclass
class _Plan:
    """What an import will write; nothing is written until the whole file is known good. New
    nodes and entries are rows (`bulk.new_row`), not ORM objects: a matrix may hold 50,000."""

    created: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    changed: list[tuple[Goal, dict[str, Any]]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)


class GoalMatrixService:
    def __init__(self, repositories: Repositories) -> None:
        self.instruments = InstrumentService(repositories)
        self.goals = repositories.goals
        self.audit = repositories.audit

    async def run(
        self,
        principal: Principal,
        instrument_id: uuid.UUID,
        content: bytes,
        *,
        layout: Structure | None = None,
        dry_run: bool = False,
        reported_on: date | None = None,
    ) -> MatrixReport:
        instrument = await self.instruments.writable(principal, instrument_id)
        structure = structure_for(instrument, layout)
        day = reported_on or utc_now().date()
        if day > utc_now().date():
            raise InvalidInput(f"{day} is in the future", code="invalid_date")
        with collector_paused():  # the file's rows and the plan's live until written
            parsed = parse_matrix(content, structure)
            if parsed.errors:
                raise ImportRejected(sorted(parsed.errors, key=lambda p: p.line))
            report = MatrixReport(structure, dry_run, day, parsed.rows_read, warnings=parsed.warnings)
            plan = await self._plan(instrument, parsed, day, principal, report)
            if plan.problems:
                raise ImportRejected(plan.problems)
            if not dry_run:
                update_ids = await self.goals.copy_new(list(plan.created.values()), plan.updates)
                for goal, values in plan.changed:
                    apply_fields(goal, values)
                    await self.goals.save(goal)
                await self._audit(instrument, content, report, plan, update_ids)
        return report

    async def _audit(
        self, instrument: Instrument, content: bytes, report: MatrixReport, plan: _Plan, update_ids: list[int]
    ) -> None:
        """One event for the nodes and entries the file created (changed metas have their own)."""
        after = {
            "instrument_id": str(instrument.id),
            "reported_on": report.reported_on.isoformat(),
            "rows_read": report.rows_read,
            "goals_created": len(plan.created),
            "status_updates_created": len(plan.updates),
            "first_status_update_id": update_ids[0] if update_ids else None,
            "last_status_update_id": update_ids[-1] if update_ids else None,
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        await self.audit.record("import", "goal", after, uf=instrument.uf)

    async def _plan(
        self, instrument: Instrument, parsed: ParsedMatrix, day: date, principal: Principal, report: MatrixReport
    ) -> _Plan:
        tree = {goal.id: goal for goal in await self.goals.tree(instrument.id)}
        # Matched as parse_matrix reads cells: spacing aside.
        nodes = {
            (goal.parent_id, goal.level, " ".join(goal.description.split())): _Node(goal.id, goal.sort_key)
            for goal in tree.values()
        }
        last_position: dict[uuid.UUID | None, int] = {}
        for goal in tree.values():
            last_position[goal.parent_id] = max(last_position.get(goal.parent_id, 0), _position(goal.sort_key))
        current = await self.goals.current_updates(instrument.id, day)
        present = _set_by(parsed)
        plan = _Plan()
        seen: dict[uuid.UUID, int] = {}
        for row in parsed.rows:
            meta = self._place(instrument, row, nodes, last_position, plan)
            if meta.id in seen:
                plan.problems.append(LineProblem(FILE, row.line, f"the same meta is on line {seen[meta.id]}", "META"))
                continue
            seen[meta.id] = row.line
            if (created := plan.created.get(meta.id)) is not None:
                created.update(stored_fields(_meta_values(row.meta, parsed, present, {}), created.__getitem__))
            else:
                stored = tree[meta.id]
                values = _meta_values(row.meta, parsed, present, stored.yearly_targets)
                if changed := {name: v for name, v in values.items() if getattr(stored, name) != v}:
                    plan.changed.append((stored, changed))
                    report.metas_updated += 1
                else:
                    report.metas_unchanged += 1
            if row.update is None:
                continue
            update = _in_file(vars(row.update), present)
            if _repeats(current.get(meta.id), update):
                report.status_updates_unchanged += 1
                continue
            plan.updates.append(
                new_row(
                    StatusUpdate,
                    {
                        "goal_id": meta.id,
                        "instrument_id": instrument.id,
                        "uf": instrument.uf,
                        "reported_on": day,
                        "author_id": principal.user_id,
                    }
                    | update,
                )
            )
        report.goals_created = len(plan.created)
        report.status_updates_created = len(plan.updates)
        return plan

    @staticmethod
    def _place(
        instrument: Instrument,
        row: MatrixRow,
        nodes: dict[tuple[uuid.UUID | None, str, str], _Node],
        last_position: dict[uuid.UUID | None, int],
        plan: _Plan,
    ) -> _Node:
        """The row's meta, found or created along its path (the layout orders the levels)."""
        parent: _Node | None = None
        for level, text in row.path:
            parent_id = parent.id if parent else None
            node = nodes.get((parent_id, level, text))
            if node is None:
                position = last_position.get(parent_id, 0) + 1
                last_position[parent_id] = position
                created = new_goal_row(
                    instrument, parent_id, parent.sort_key if parent else None, level, position, {"description": text}
                )
                node = _Node(created["id"], created["sort_key"])
                nodes[(parent_id, level, text)] = node
                plan.created[node.id] = created
            parent = node
        assert parent is not None  # every row has its META
        return parent

    async def export(
        self, principal: Principal, instrument_id: uuid.UUID, layout: Structure | None, as_of: date | None = None
    ) -> tuple[Structure, list[ExportRow]]:
        """One row per meta, with its current status as of `as_of`."""
        instrument = await self.instruments.visible(principal, instrument_id)
        structure = structure_for(instrument, layout)
        day = as_of or utc_now().date()
        goals = await self.goals.tree(instrument.id)
        return structure, export_rows(goals, await self.goals.current_updates(instrument.id, day))


def export_rows(goals: list[Goal], current: dict[uuid.UUID, StatusUpdate]) -> list[ExportRow]:
    """Each meta with the texts of the levels above it (goals in tree order)."""
    by_id = {goal.id: goal for goal in goals}
    rows = []
    for goal in goals:
        if goal.level != Level.META:
            continue
        path: dict[Level, str] = {}
        node: Goal | None = goal
        while node is not None:
            path[Level(node.level)] = node.description
            node = by_id.get(node.parent_id) if node.parent_id else None
        entry = current.get(goal.id)
        rows.append(ExportRow(path, meta_fields(goal), update_fields(entry) if entry else None))
    return rows


def meta_fields(goal: Goal) -> MetaFields:
    return MetaFields(
        deadline=goal.deadline,
        month_precision=goal.deadline_precision == Precision.MONTH,
        responsible=goal.responsible,
        indicator_name=goal.indicator_name,
        indicator_unit=goal.indicator_unit,
        polarity=Polarity(goal.polarity) if goal.polarity else None,
        baseline_value=goal.baseline_value,
        baseline_year=goal.baseline_year,
        target_value=goal.target_value,
        yearly_targets={int(year): value for year, value in goal.yearly_targets.items()},
    )


def update_fields(entry: StatusUpdate) -> UpdateFields:
    return UpdateFields(
        status=GoalStatus(entry.status),
        percent_complete=entry.percent_complete,
        achieved_value=entry.achieved_value,
        details=entry.details,
        difficulties=entry.difficulties,
        expected_delivery=entry.expected_delivery,
        next_steps=entry.next_steps,
    )
