"""Goal trees, their status updates and monitoring rounds. A goal or round is visible exactly
when its instrument is (scoping.visible_instruments)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import LateralFromClause
from sqlmodel import col

from app.core.pagination import CursorValue, JsonNode, JsonPage, Page, PageRequest
from app.core.principal import Principal
from app.repositories.audit import assign_identities, draw_identities
from app.repositories.bulk import copy_rows
from app.repositories.errors import flush_unique
from app.repositories.paging import json_page, keyset_page, keyset_pages
from app.repositories.prepared import STATEMENTS_KEPT, Prepared, bound
from app.repositories.scoping import InstrumentScope, instrument_scope, scope_values, visible_instruments
from app.repositories.tables import Goal, Instrument, MonitoringRound, StatusUpdate, utc_now

SORT_KEY_DIGITS = 5  # sibling positions 00001…99999, so text order is tree order


@dataclass(frozen=True)
class Overdue:
    """The domain's overdue rule as SQL: a node of one of `levels` whose deadline is before the
    day and whose current status is none of `closed` (app.domain.goal_rules)."""

    wanted: bool
    levels: frozenset[str]
    closed: frozenset[str]


@dataclass(frozen=True, eq=False)  # hashed by identity: the domain holds one, and _goal_json caches by it
class GoalJson:
    """What the domain shows of a goal beside its columns (app.domain.goal_rules): the labels
    of levels and statuses, and the overdue rule's levels and closed statuses."""

    level_labels: dict[str, str]
    status_labels: dict[str, str]
    monitored: frozenset[str]
    closed: frozenset[str]


@dataclass(frozen=True)
class GoalFilter:
    level: str | None = None
    status: str | None = None
    overdue: Overdue | None = None
    responsible_key: str | None = None


def _superseded() -> ColumnElement[bool]:
    correction = aliased(StatusUpdate)
    return sa.exists().where(col(correction.supersedes_id) == col(StatusUpdate.id))


def _effective(as_of: date | ColumnElement[date]) -> list[ColumnElement[bool]]:
    """Entries reported by `as_of` that no correction has replaced."""
    return [col(StatusUpdate.reported_on) <= as_of, sa.not_(_superseded())]


def _current_status_of_goal(as_of: date | ColumnElement[date]) -> sa.ScalarSelect[Any]:
    return (
        sa.select(col(StatusUpdate.status))
        .where(col(StatusUpdate.goal_id) == col(Goal.id), *_effective(as_of))
        .order_by(col(StatusUpdate.reported_on).desc(), col(StatusUpdate.id).desc())
        .limit(1)
        .correlate(Goal)
        .scalar_subquery()
    )


def sibling_key(parent_key: str | None, position: int) -> str:
    segment = f"{position:0{SORT_KEY_DIGITS}d}"
    return f"{parent_key}.{segment}" if parent_key else segment


_ORDER = [col(Goal.sort_key)]


def _key(goal: Goal) -> tuple[CursorValue, ...]:
    return (goal.sort_key,)


def _visible(statement: sa.Select[Any], viewer: Principal | InstrumentScope) -> sa.Select[Any]:
    """Goals (or their entries) of the instruments the caller (or a scope of them) may see."""
    return statement.join(Instrument, col(Instrument.id) == col(Goal.instrument_id)).where(visible_instruments(viewer))


def _grouped(goals: Iterable[Goal], by: str) -> dict[uuid.UUID, list[Goal]]:
    found: dict[uuid.UUID, list[Goal]] = {}
    for goal in goals:
        found.setdefault(getattr(goal, by), []).append(goal)
    return found


def criteria(where: GoalFilter, as_of: date | ColumnElement[date]) -> list[ColumnElement[bool]]:
    """`where` as conditions on the goal table."""
    found: list[ColumnElement[bool]] = []
    if where.level is not None:
        found.append(col(Goal.level) == where.level)
    if where.responsible_key is not None:
        found.append(col(Goal.responsible_key).contains(where.responsible_key, autoescape=True))
    if where.status is not None:
        found.append(_current_status_of_goal(as_of) == where.status)
    if (rule := where.overdue) is not None:
        overdue = sa.and_(
            col(Goal.level).in_(sorted(rule.levels)),
            col(Goal.deadline) < as_of,
            sa.func.coalesce(_current_status_of_goal(as_of), "").not_in(sorted(rule.closed)),
        )
        found.append(overdue if rule.wanted else sa.not_(overdue))
    return found


def filtered(where: GoalFilter, as_of: date | ColumnElement[date]) -> sa.Select[Any]:
    return sa.select(Goal).where(*criteria(where, as_of))


def json_object(**fields: Any) -> sa.Function[Any]:
    pairs: list[Any] = []
    for name, value in fields.items():
        pairs += (sa.literal_column(f"'{name}'"), value)
    return sa.func.json_build_object(*pairs)


def label_of(labels: dict[str, str], code: Any) -> ColumnElement[str]:
    return sa.case(*((code == key, sa.literal(label)) for key, label in labels.items()), else_=sa.null())


def iso_utc(moment: Any, zone: str = "Z") -> ColumnElement[str]:
    """As Pydantic writes an aware datetime: ISO 8601 in UTC with a Z, microseconds only when
    there are any. With zone="+00:00", as Python's isoformat (and so Strawberry) writes it."""
    text = sa.func.to_char(sa.func.timezone("UTC", moment), 'YYYY-MM-DD"T"HH24:MI:SS.US')
    return sa.func.replace(text, ".000000", "") + zone


# The goal table itself, not an alias: the page's filters (`criteria`, on Goal) must apply to
# the scan that writes the JSON; against an alias they would bring in a second, unjoined goal.
_G = Goal.__table__  # type: ignore[attr-defined]
_AS_OF = bound("goal_as_of", sa.Date)

# The goal's own fields of its body, as a JSON object that a trigger writes with every insert
# and update of the row (migration 0010, which lists the same fields): a page of goals then
# costs PostgreSQL the encoding of only what depends on the day and the entries. Not mapped,
# so the ORM does not load it with every goal.
OWN_FIELDS = (
    "id", "instrument_id", "parent_id", "level", "number", "description", "indicator_name", "indicator_unit",
    "polarity", "baseline_value", "baseline_year", "target_value", "yearly_targets", "deadline", "deadline_precision",
    "responsible", "responsible_user_id", "partners", "scope",
)  # fmt: skip
_OWN_JSON = sa.literal_column(f"{_G.name}.own_json", sa.Text)


def current_entry(goals: Any, as_of: date | ColumnElement[date], name: str = "s") -> Any:
    """Each goal's current entry as of `as_of`, as a LATERAL subquery over `goals` (a goal
    table or subquery): join it with ON true."""
    return (
        sa.select(StatusUpdate)
        .where(col(StatusUpdate.goal_id) == goals.c.id, *_effective(as_of))
        .order_by(col(StatusUpdate.reported_on).desc(), col(StatusUpdate.id).desc())
        .limit(1)
        .lateral(name)
    )


def entry_values(shown: GoalJson, s: Any, moment: Callable[[Any], ColumnElement[str]]) -> dict[str, ColumnElement[Any]]:
    """A current entry's fields by the domain's names, in the order its bodies list them;
    `moment` writes a timestamp as the body's reader expects it."""
    return {
        "database_id": s.id,
        "goal_id": s.goal_id,
        "round_id": s.round_id,
        "reported_on": s.reported_on,
        "status": s.status,
        "status_label": label_of(shown.status_labels, s.status),
        "percent_complete": s.percent_complete,
        "achieved_value": s.achieved_value,
        "details": s.details,
        "difficulties": s.difficulties,
        "expected_delivery": s.expected_delivery,
        "next_steps": s.next_steps,
        "partial_product": s.partial_product,
        "responsible": s.responsible,
        "supersedes": s.supersedes_id,
        "superseded_by": sa.null(),  # the current entry is one no correction has replaced
        "author_id": s.author_id,
        "recorded_at": moment(s.recorded_at),
    }


def superseded_by(entries: Any) -> ColumnElement[Any]:
    """The id of the correction that replaced each row of `entries` (a status_update table or
    alias), null where none has."""
    correction = StatusUpdate.__table__.alias("correction")  # type: ignore[attr-defined]
    return (
        sa.select(correction.c.id)
        .where(correction.c.supersedes_id == entries.c.id)
        .correlate(entries)
        .scalar_subquery()
    )


def goal_values(shown: GoalJson, g: Any, s: Any, as_of: date | ColumnElement[date]) -> dict[str, ColumnElement[Any]]:
    """A goal's fields by the domain's names, in GoalOut's order, beside its current entry `s`
    (a current_entry) as of `as_of`; `current_status` is left to the caller."""
    overdue = sa.and_(
        g.level.in_(sorted(shown.monitored)),
        g.deadline < as_of,
        sa.func.coalesce(s.status, "").not_in(sorted(shown.closed)),
    )
    prazo_format = sa.case((g.deadline_precision == "month", "MM/YYYY"), else_="DD/MM/YYYY")
    return {
        "database_id": g.id,
        "instrument_id": g.instrument_id,
        "parent_id": g.parent_id,
        "level": g.level,
        "level_label": label_of(shown.level_labels, g.level),
        "number": g.number,
        "description": g.description,
        "indicator_name": g.indicator_name,
        "indicator_unit": g.indicator_unit,
        "polarity": g.polarity,
        "baseline_value": g.baseline_value,
        "baseline_year": g.baseline_year,
        "target_value": g.target_value,
        "yearly_targets": g.yearly_targets,
        "deadline": g.deadline,
        "deadline_precision": g.deadline_precision,
        "prazo": sa.func.to_char(g.deadline, prazo_format),
        "responsible": g.responsible,
        "responsible_user_id": g.responsible_user_id,
        "partners": g.partners,
        "scope": g.scope,
        "status": s.status,
        "overdue": sa.func.coalesce(overdue, False),
        "days_overdue": sa.case((overdue, as_of - g.deadline), else_=0),
        "version": g.version,
    }


def _rest_names(values: dict[str, ColumnElement[Any]]) -> dict[str, ColumnElement[Any]]:
    return {("id" if name == "database_id" else name): value for name, value in values.items()}


def _json_row(name: str, fields: dict[str, ColumnElement[Any]]) -> tuple[LateralFromClause, ColumnElement[Any]]:
    """`fields` as a LATERAL row named `name`, to join ON true, and that row as a JSON object.
    PostgreSQL writes a row (row_to_json) a fifth faster than the same pairs given to
    json_build_object, whose arguments it types anew on every call; and without its spaces."""
    row = sa.select(*(value.label(key) for key, value in fields.items())).correlate_except(None).lateral(name)
    return row, sa.func.row_to_json(row.table_valued())


@cache
def _goal_json(shown: GoalJson) -> tuple[ColumnElement[bytes], sa.FromClause]:
    """GoalOut's body (app.api.routes.goals) in UTF-8, field for field, as of the day bound to _AS_OF:
    the kept own fields, then the rest (labels, status, lateness, version); and the goals joined
    to their current entries, which it reads. Built once: building an expression this size costs
    more than running it."""
    current = current_entry(_G, _AS_OF)
    s = current.c
    entry, entry_json = _json_row("entry", _rest_names(entry_values(shown, s, iso_utc)))
    fields = _rest_names(goal_values(shown, _G.c, s, _AS_OF))
    version = fields.pop("version")
    current_status = sa.case((s.id.is_(None), sa.null()), else_=entry_json)
    rest = {name: value for name, value in fields.items() if name not in OWN_FIELDS}
    body, rest_json = _json_row("body", {**rest, "current_status": current_status, "version": version})
    # {own…} and {rest…} as one object, in UTF-8: the first's closing brace and the second's
    # opening one go. Cut as bytes, since cutting text counts its characters (a fifth of the page).
    own = sa.func.convert_to(_OWN_JSON, "UTF8")
    opened = sa.func.substring(own, 1, sa.func.octet_length(_OWN_JSON) - 1)
    closed = sa.func.substring(sa.func.convert_to(rest_json.cast(sa.Text), "UTF8"), 2)
    goal = opened.op("||")(sa.literal(b",", sa.LargeBinary)).op("||")(closed)
    joined = _G.outerjoin(current, sa.true()).join(entry, sa.true()).join(body, sa.true())
    return goal, joined


@lru_cache(maxsize=STATEMENTS_KEPT)
def _page_json_statement(scope: InstrumentScope, where: GoalFilter, shown: GoalJson, *, resumed: bool) -> Prepared:
    """GoalRepository.page_json's statement for one scope of callers and filter; the caller's
    territory, the instrument, the day, the page size and the cursor are bound. Each goal's JSON
    comes as UTF-8 bytes, which go into the body untouched: the driver decodes no text. The
    goals are read once, in the scan that filters, orders and cuts them to the page. Read again
    by id, as when a subquery listed the page's ids, they cost PostgreSQL 1.85 ms of CPU a page
    at national scale, not 1.3."""
    body, rows_with_status = _goal_json(shown)
    statement = _visible(sa.select(_G.c.sort_key, body).select_from(rows_with_status), scope).where(
        *criteria(where, _AS_OF), _G.c.instrument_id == bound("page_instrument", sa.Uuid)
    )
    if resumed:
        statement = statement.where(_G.c.sort_key > bound("page_after", sa.String))
    return Prepared.of(statement.order_by(_G.c.sort_key).limit(bound("page_limit", sa.Integer)))


@lru_cache(maxsize=STATEMENTS_KEPT)
def _tree_json_statement(scope: InstrumentScope, shown: GoalJson) -> Prepared:
    """GoalRepository.tree_json's statement for one scope of callers: every goal of the bound
    instrument in reading order, with its parent and its body as the flat list writes it."""
    body, rows_with_status = _goal_json(shown)
    statement = _visible(sa.select(_G.c.id, _G.c.parent_id, body).select_from(rows_with_status), scope)
    return Prepared.of(statement.where(_G.c.instrument_id == bound("tree_instrument", sa.Uuid)).order_by(_G.c.sort_key))


@lru_cache(maxsize=STATEMENTS_KEPT)
def _one_json_statement(scope: InstrumentScope, shown: GoalJson) -> Prepared:
    """GoalRepository.one_json's statement for one scope of callers: the bound goal, if the caller
    may see it, with the body the flat list writes for it."""
    body, rows_with_status = _goal_json(shown)
    statement = _visible(sa.select(body).select_from(rows_with_status), scope)
    return Prepared.of(statement.where(_G.c.id == bound("goal_id", sa.Uuid)))


_S = StatusUpdate.__table__  # type: ignore[attr-defined]
_UPDATES_ORDER = [col(StatusUpdate.id)]


@lru_cache(maxsize=STATEMENTS_KEPT)
def _updates_json_statement(shown: GoalJson, *, since: bool, resumed: bool) -> Prepared:
    """GoalRepository.updates_page_json's statement: a page of the bound instrument's entries in
    id order, each with the correction that replaced it, as StatusUpdateOut's body in UTF-8."""
    fields = _rest_names(entry_values(shown, _S.c, iso_utc)) | {"superseded_by": superseded_by(_S)}
    entry, entry_json = _json_row("entry", fields)
    body = sa.func.convert_to(entry_json.cast(sa.Text), "UTF8")
    statement = sa.select(_S.c.id, body).select_from(_S.join(entry, sa.true()))
    statement = statement.where(_S.c.instrument_id == bound("updates_instrument", sa.Uuid))
    if since:
        statement = statement.where(_S.c.recorded_at >= bound("updates_since", sa.DateTime(timezone=True)))
    if resumed:
        statement = statement.where(_S.c.id > bound("page_after", sa.BigInteger))
    return Prepared.of(statement.order_by(_S.c.id).limit(bound("page_limit", sa.Integer)))


class GoalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, principal: Principal, goal_id: uuid.UUID, *, fresh: bool = False
    ) -> tuple[Goal, Instrument] | None:
        """`fresh` reads the row again even if this unit of work has it (after taking a lock)."""
        statement = (
            sa.select(Goal, Instrument)
            .join(Instrument, col(Instrument.id) == col(Goal.instrument_id))
            .where(col(Goal.id) == goal_id, visible_instruments(principal))
        )
        if fresh:
            statement = statement.execution_options(populate_existing=True)
        row = (await self.session.execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def tree(self, instrument_id: uuid.UUID) -> list[Goal]:
        """Every node of the instrument's tree, parents before children, siblings in order."""
        rows = await self.session.scalars(
            sa.select(Goal).where(col(Goal.instrument_id) == instrument_id).order_by(col(Goal.sort_key))
        )
        return list(rows)

    async def subtree(self, goal: Goal) -> list[Goal]:
        rows = await self.session.scalars(
            sa.select(Goal)
            .where(
                col(Goal.instrument_id) == goal.instrument_id,
                sa.or_(col(Goal.id) == goal.id, col(Goal.sort_key).startswith(goal.sort_key + ".")),
            )
            .order_by(col(Goal.sort_key))
        )
        return list(rows)

    async def pages(
        self,
        principal: Principal,
        instrument_ids: Sequence[uuid.UUID],
        where: GoalFilter,
        as_of: date,
        page: PageRequest,
    ) -> dict[uuid.UUID, Page[Goal]]:
        """The same page of each visible instrument's goals, in one statement."""
        statement = _visible(filtered(where, as_of), principal)
        by_instrument = col(Goal.instrument_id)
        return await keyset_pages(self.session, statement, Goal, by_instrument, instrument_ids, _ORDER, page, _key)

    async def page_json(
        self,
        principal: Principal,
        instrument_id: uuid.UUID,
        where: GoalFilter,
        as_of: date,
        page: PageRequest,
        shown: GoalJson,
    ) -> JsonPage:
        """`pages` for one instrument with each goal's JSON body built by PostgreSQL, current
        status included: one statement, where the list read goes through no Python object."""
        scope = instrument_scope(principal)
        return await json_page(
            self.session,
            page,
            _ORDER,
            lambda resumed: _page_json_statement(scope, where, shown, resumed=resumed),
            page_instrument=instrument_id,
            **{_AS_OF.key: as_of},
            **scope_values(principal),
        )

    async def one_json(self, principal: Principal, goal_id: uuid.UUID, as_of: date, shown: GoalJson) -> bytes | None:
        """The goal's JSON body as `page_json` builds it; None if the caller may not see it."""
        found: bytes | None = await _one_json_statement(instrument_scope(principal), shown).value(
            self.session, goal_id=goal_id, **{_AS_OF.key: as_of}, **scope_values(principal)
        )
        return found

    async def tree_json(
        self, principal: Principal, instrument_id: uuid.UUID, as_of: date, shown: GoalJson
    ) -> list[JsonNode]:
        """Every goal of the instrument, parents first, each with its JSON body built by
        PostgreSQL as `page_json` builds it; none if the caller may not see the instrument."""
        statement = _tree_json_statement(instrument_scope(principal), shown)
        values = {_AS_OF.key: as_of, **scope_values(principal)}
        rows = await statement.rows(self.session, tree_instrument=instrument_id, **values)
        return [JsonNode(goal_id, parent_id, body) for goal_id, parent_id, body in rows]

    async def trees(self, principal: Principal, instrument_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Goal]]:
        """Every node of each visible instrument's tree, parents before children."""
        statement = _visible(sa.select(Goal), principal).where(col(Goal.instrument_id).in_(instrument_ids))
        return _grouped(await self.session.scalars(statement.order_by(col(Goal.sort_key))), "instrument_id")

    async def children(self, principal: Principal, parent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Goal]]:
        """Each visible goal's children, in order."""
        statement = _visible(sa.select(Goal), principal).where(col(Goal.parent_id).in_(parent_ids))
        return _grouped(await self.session.scalars(statement.order_by(col(Goal.sort_key))), "parent_id")

    async def last_child_key(self, instrument_id: uuid.UUID, parent_id: uuid.UUID | None) -> str | None:
        parent = col(Goal.parent_id) == parent_id if parent_id is not None else col(Goal.parent_id).is_(None)
        return await self.session.scalar(
            sa.select(sa.func.max(col(Goal.sort_key))).where(col(Goal.instrument_id) == instrument_id, parent)
        )

    async def add_all(self, goals: Sequence[Goal]) -> None:
        self.session.add_all(goals)
        await flush_unique(self.session)

    async def copy_new(self, goals: Sequence[dict[str, Any]], updates: Sequence[dict[str, Any]]) -> list[int]:
        """New nodes and entries in bulk (an import), as rows (`bulk.new_row`), with COPY:
        parents may follow their children, since COPY checks references at its end. They get
        no audit event each; the import records one. The entries' ids, in order."""
        await copy_rows(self.session, Goal, goals)
        ids = await draw_identities(self.session, StatusUpdate, len(updates)) if updates else []
        await copy_rows(
            self.session, StatusUpdate, [row | {"id": drawn} for row, drawn in zip(updates, ids, strict=True)]
        )
        return ids

    async def save(self, goal: Goal) -> None:
        goal.version += 1
        goal.updated_at = utc_now()
        await self.session.flush()

    async def delete(self, goals: Sequence[Goal]) -> None:
        """Deepest first, one by one, so each deletion is audited and none finds its row gone."""
        for goal in sorted(goals, key=lambda g: g.sort_key, reverse=True):
            await self.session.delete(goal)
            await self.session.flush()

    async def any_reported(self, goal_ids: Sequence[uuid.UUID]) -> bool:
        return bool(await self.session.scalar(sa.select(sa.exists().where(col(StatusUpdate.goal_id).in_(goal_ids)))))

    async def count(self, instrument_id: uuid.UUID) -> int:
        found = await self.session.scalar(
            sa.select(sa.func.count()).select_from(Goal).where(col(Goal.instrument_id) == instrument_id)
        )
        return found or 0

    # Status updates

    async def current_updates(
        self,
        instrument_id: uuid.UUID,
        as_of: date,
        goal_ids: Sequence[uuid.UUID] | None = None,
        *,
        with_value: bool = False,
    ) -> dict[uuid.UUID, StatusUpdate]:
        """Each goal's latest effective entry as of `as_of`: its current status then. With
        `with_value`, the latest one that reports the indicator's achieved value."""
        return await self.current_updates_in([instrument_id], as_of, goal_ids, with_value=with_value)

    async def current_updates_in(
        self,
        instrument_ids: Sequence[uuid.UUID],
        as_of: date,
        goal_ids: Sequence[uuid.UUID] | None = None,
        *,
        with_value: bool = False,
    ) -> dict[uuid.UUID, StatusUpdate]:
        """The same over the goals of several instruments."""
        statement = (
            sa.select(StatusUpdate)
            .ext(distinct_on(col(StatusUpdate.goal_id)))
            .where(col(StatusUpdate.instrument_id).in_(instrument_ids), *_effective(as_of))
            .order_by(col(StatusUpdate.goal_id), col(StatusUpdate.reported_on).desc(), col(StatusUpdate.id).desc())
        )
        if goal_ids is not None:  # one array parameter, however many goals a nested read lists
            listed = sa.bindparam("goal_ids", list(goal_ids), type_=ARRAY(sa.Uuid))
            statement = statement.where(col(StatusUpdate.goal_id) == sa.any_(listed))
        if with_value:
            statement = statement.where(col(StatusUpdate.achieved_value).is_not(None))
        return {row.goal_id: row for row in await self.session.scalars(statement)}

    async def add_updates(self, updates: Sequence[StatusUpdate]) -> None:
        """Entries are written once and never changed."""
        await assign_identities(self.session, updates)
        self.session.add_all(updates)
        await flush_unique(self.session)

    async def entry(self, goal_id: uuid.UUID, update_id: int) -> StatusUpdate | None:
        return await self.session.scalar(
            sa.select(StatusUpdate).where(col(StatusUpdate.id) == update_id, col(StatusUpdate.goal_id) == goal_id)
        )

    async def correction_of(self, update_id: int) -> StatusUpdate | None:
        return await self.session.scalar(sa.select(StatusUpdate).where(col(StatusUpdate.supersedes_id) == update_id))

    async def updates_of_goals(
        self, principal: Principal, goal_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[StatusUpdate, int | None]]]:
        """Every entry of each visible goal, oldest first, with the correction that superseded
        it (if any)."""
        correction = aliased(StatusUpdate)
        rows = await self.session.execute(
            sa.select(StatusUpdate, col(correction.id))
            .outerjoin(correction, col(correction.supersedes_id) == col(StatusUpdate.id))
            .join(Instrument, col(Instrument.id) == col(StatusUpdate.instrument_id))
            .where(col(StatusUpdate.goal_id).in_(goal_ids), visible_instruments(principal))
            .order_by(col(StatusUpdate.reported_on), col(StatusUpdate.id))
        )
        found: dict[uuid.UUID, list[tuple[StatusUpdate, int | None]]] = {}
        for update, corrected_by in rows:
            found.setdefault(update.goal_id, []).append((update, corrected_by))
        return found

    async def updates_page(
        self, instrument_id: uuid.UUID, since: datetime | None, page: PageRequest
    ) -> Page[StatusUpdate]:
        statement = sa.select(StatusUpdate).where(col(StatusUpdate.instrument_id) == instrument_id)
        if since is not None:
            statement = statement.where(col(StatusUpdate.recorded_at) >= since)
        return await keyset_page(self.session, statement, _UPDATES_ORDER, page, lambda u: (u.id,))

    async def updates_page_json(
        self, instrument_id: uuid.UUID, since: datetime | None, page: PageRequest, shown: GoalJson
    ) -> JsonPage:
        """`updates_page` with each entry's body (its correction included) built by PostgreSQL."""
        return await json_page(
            self.session,
            page,
            _UPDATES_ORDER,
            lambda resumed: _updates_json_statement(shown, since=since is not None, resumed=resumed),
            updates_instrument=instrument_id,
            **({"updates_since": since} if since is not None else {}),
        )

    async def corrections(self, update_ids: Sequence[int]) -> dict[int, int]:
        """The correction superseding each of these entries, where one does."""
        if not update_ids:
            return {}
        rows = await self.session.execute(
            sa.select(col(StatusUpdate.supersedes_id), col(StatusUpdate.id)).where(
                col(StatusUpdate.supersedes_id).in_(update_ids)
            )
        )
        return {superseded: correction for superseded, correction in rows if superseded and correction}

    # Monitoring rounds

    async def add_round(self, round_: MonitoringRound) -> None:
        self.session.add(round_)
        await self.session.flush()

    async def round(self, principal: Principal, round_id: uuid.UUID) -> tuple[MonitoringRound, Instrument] | None:
        row = (
            await self.session.execute(
                sa.select(MonitoringRound, Instrument)
                .join(Instrument, col(Instrument.id) == col(MonitoringRound.instrument_id))
                .where(col(MonitoringRound.id) == round_id, visible_instruments(principal))
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def round_of(self, instrument_id: uuid.UUID, round_id: uuid.UUID) -> MonitoringRound | None:
        return await self.session.scalar(
            sa.select(MonitoringRound).where(
                col(MonitoringRound.id) == round_id, col(MonitoringRound.instrument_id) == instrument_id
            )
        )
