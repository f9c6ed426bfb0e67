"""Whole answers written by PostgreSQL: a shape (app.core.shapes) of a region or an
instrument, with their municipalities, pages of instruments, pages of goals and current
entries, becomes one statement whose single value is the answer's JSON text. The lists are
the same pages, in the same order and scope, as the batch reads of the other repositories:
the filters and the caller's scope are theirs (`instruments.filtered`, `goals.filtered`).

A name the shape asks for that is not written here raises Unsupported before any SQL runs,
so the caller can read that shape the usual way."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.core.pagination import JsonPage, PageRequest
from app.core.principal import Principal
from app.core.shapes import Constant, Related, Shape, Unsupported, Value
from app.repositories.goals import (
    GoalFilter,
    GoalJson,
    current_entry,
    entry_values,
    goal_values,
    iso_utc,
    json_object,
    label_of,
    superseded_by,
)
from app.repositories.goals import filtered as filtered_goals
from app.repositories.instruments import InstrumentFilter, days_late_of, situation_of
from app.repositories.instruments import filtered as filtered_instruments
from app.repositories.paging import after_key, cursor_of, cursor_values, json_page
from app.repositories.prepared import STATEMENTS_KEPT, Prepared, bound
from app.repositories.scoping import InstrumentScope, instrument_scope, scope_values, visible_instruments
from app.repositories.tables import Goal, HealthRegion, Instrument, Municipality, RegionMembership, StatusUpdate

# PostgreSQL's functions take at most 100 arguments: json_build_object, 50 keys.
MOST_KEYS = 50


@dataclass(frozen=True, eq=False)  # hashed by identity: the domain holds one
class Shown:
    """What the domain shows beside the columns: the goals' labels and overdue rule, and the
    instruments' status labels."""

    goals: GoalJson
    instrument_status_labels: dict[str, str]


def isoformat_utc(moment: Any) -> ColumnElement[str]:
    """As Python's isoformat (and so Strawberry's DateTime) writes an aware datetime read in UTC."""
    return iso_utc(moment, "+00:00")


def _json_list(each: ColumnElement[Any], *order: Any, only: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    """The JSON array of `each` in `order` (of the rows `only` keeps), [] when there is none."""
    listed = sa.func.json_agg(aggregate_order_by(each, *order))
    return sa.func.coalesce(listed if only is None else listed.filter(only), sa.text("'[]'"))


def _object(shape: Shape, value: Callable[[str, Any], ColumnElement[Any]]) -> ColumnElement[Any]:
    """The JSON object with the shape's keys in order; `value` writes each member."""
    if len(shape) > MOST_KEYS:
        raise Unsupported(f"more than {MOST_KEYS} fields in one object")
    fields: dict[str, Any] = {}
    for key, member in shape:
        fields[key] = sa.literal(member.text) if isinstance(member, Constant) else value(key, member)
    return json_object(**fields)


def _columns(names: dict[str, ColumnElement[Any]]) -> Callable[[str, Any], ColumnElement[Any]]:
    """A member writer for plain fields: Value(name) is names[name], after its prefix."""

    def write(key: str, member: Any) -> ColumnElement[Any]:
        if not isinstance(member, Value) or member.name not in names:
            raise Unsupported(f"{key}: {member}")
        found = names[member.name]
        return sa.literal(member.prefix) + sa.cast(found, sa.Text) if member.prefix else found

    return write


def _with_related(
    plain: Callable[[str, Any], ColumnElement[Any]], related: dict[str, Callable[[Related], ColumnElement[Any]]]
) -> Callable[[str, Any], ColumnElement[Any]]:
    def write(key: str, member: Any) -> ColumnElement[Any]:
        if isinstance(member, Related):
            if member.name not in related:
                raise Unsupported(f"{key}: {member.name}")
            return related[member.name](member)
        return plain(key, member)

    return write


def _page(
    connection: Related,
    listed: Any,
    item: Callable[[Shape], ColumnElement[Any]],
    cursor: ColumnElement[str],
    joined: Any = None,
) -> ColumnElement[Any]:
    """A connection over `listed` (a page read one past its size, numbered `n` in its order):
    edges with their cursors, nodes, and page info."""
    page = connection.page or PageRequest()
    on_page = listed.c.n <= page.limit
    cursors = sa.func.array_agg(aggregate_order_by(cursor, listed.c.n)).filter(on_page)
    last = sa.func.array_agg(aggregate_order_by(cursor, listed.c.n.desc())).filter(on_page)
    page_info = {
        "has_next_page": sa.func.count() > page.limit,
        "has_previous_page": sa.false(),
        "start_cursor": cursors[1],
        "end_cursor": last[1],
    }

    def items(each: ColumnElement[Any]) -> ColumnElement[Any]:
        return _json_list(each, listed.c.n, only=on_page)

    def edge(key: str, member: Any) -> ColumnElement[Any]:
        if isinstance(member, Value) and member.name == "cursor":
            return cursor
        if isinstance(member, Related) and member.name == "node":
            return item(member.shape)
        raise Unsupported(f"{key}: {member}")

    def part(key: str, member: Any) -> ColumnElement[Any]:
        if isinstance(member, Related) and member.name == "edges":
            return items(_object(member.shape, edge))
        if isinstance(member, Related) and member.name == "nodes":
            return items(item(member.shape))
        if isinstance(member, Related) and member.name == "page_info":
            return _object(member.shape, _columns(page_info))
        raise Unsupported(f"{key}: {member}")

    body = _object(connection.shape, part)
    source = listed if joined is None else joined
    return sa.select(body).select_from(source).scalar_subquery()


def _numbered(statement: sa.Select[Any], order: list[Any], page: PageRequest, parent: Any, name: str) -> Any:
    """The page of `statement` after the cursor, one past its size, numbered `n`, as a
    subquery correlated to `parent`."""
    return (
        after_key(statement, order, page)
        .add_columns(sa.func.row_number().over(order_by=order).label("n"))
        .order_by(*order)
        .limit(page.limit + 1)
        .correlate(parent)
        .subquery(name)
    )


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def region(self, principal: Principal, code: str, shape: Shape, shown: Shown) -> str | None:
        """The region (public, like all territory) in `shape`; None if there is none."""
        found: str | None = await _region_statement(instrument_scope(principal), shape, shown).value(
            self.session, region_code=code, **scope_values(principal)
        )
        return found

    async def municipality(self, principal: Principal, code: str, shape: Shape, shown: Shown) -> str | None:
        """The municipality (public) by its IBGE code, or its DATASUS one (6 digits), in `shape`."""
        statement = _municipality_statement(instrument_scope(principal), shape, shown, by_code6=len(code) == 6)
        found: str | None = await statement.value(self.session, municipality_code=code, **scope_values(principal))
        return found

    async def instrument(
        self, principal: Principal, instrument_id: uuid.UUID, shape: Shape, day: date, shown: Shown
    ) -> str | None:
        """The instrument in `shape` as of `day`; None if the caller may not see it."""
        statement = _instrument_statement(instrument_scope(principal), shape, day, shown)
        found: str | None = await statement.value(self.session, instrument_id=instrument_id, **scope_values(principal))
        return found

    async def instrument_connection(
        self, principal: Principal, where: InstrumentFilter, page: PageRequest, shape: Shape, day: date, shown: Shown
    ) -> str:
        """InstrumentRepository.page's page as a connection in `shape` (its parts: edges, nodes,
        page info), each instrument as of `day`."""
        after = cursor_values(_INSTRUMENT_ORDER, page)
        scope = instrument_scope(principal)
        statement = _instrument_connection_statement(scope, where, page.limit, shape, day, shown, after is not None)
        found: str = await statement.value(
            self.session, **scope_values(principal), **({"page_after": after[0]} if after else {})
        )
        return found

    async def instrument_page(
        self, principal: Principal, where: InstrumentFilter, page: PageRequest, shape: Shape, day: date, shown: Shown
    ) -> JsonPage:
        """InstrumentRepository.page's page, each instrument in `shape` as of `day`, in UTF-8."""
        scope = instrument_scope(principal)
        return await json_page(
            self.session,
            page,
            _INSTRUMENT_ORDER,
            lambda resumed: _instrument_page_statement(scope, where, shape, day, shown, resumed=resumed),
            **scope_values(principal),
        )


# Clients send the same few documents: building a statement this size costs more than running
# it, so each is built and compiled once per scope of callers and shape (its days and pages
# included), keys and the caller's territory (`scope_values`) bound.


@lru_cache(maxsize=STATEMENTS_KEPT)
def _region_statement(scope: InstrumentScope, shape: Shape, shown: Shown) -> Prepared:
    region = HealthRegion.__table__.alias("r")  # type: ignore[attr-defined]
    body = _Writer(scope, shown).region(region, shape)
    return Prepared.of(sa.select(body.cast(sa.Text)).where(region.c.code == bound("region_code", sa.CHAR(5))))


@lru_cache(maxsize=STATEMENTS_KEPT)
def _municipality_statement(scope: InstrumentScope, shape: Shape, shown: Shown, *, by_code6: bool) -> Prepared:
    municipality = Municipality.__table__.alias("m")  # type: ignore[attr-defined]
    body = _Writer(scope, shown).municipality(municipality, shape)
    key, wanted = (municipality.c.code6, sa.CHAR(6)) if by_code6 else (municipality.c.code, sa.CHAR(7))
    return Prepared.of(sa.select(body.cast(sa.Text)).where(key == bound("municipality_code", wanted)))


@lru_cache(maxsize=STATEMENTS_KEPT)
def _instrument_statement(scope: InstrumentScope, shape: Shape, day: date, shown: Shown) -> Prepared:
    wanted = bound("instrument_id", sa.Uuid)
    instrument = sa.select(Instrument).where(col(Instrument.id) == wanted, visible_instruments(scope)).subquery("i")
    body = _Writer(scope, shown).instrument(instrument, shape, day)
    return Prepared.of(sa.select(body.cast(sa.Text)).select_from(instrument))


_INSTRUMENT_ORDER = [col(Instrument.id)]


def _listed_instruments(scope: InstrumentScope, where: InstrumentFilter, *, resumed: bool) -> sa.Select[Any]:
    """The list's instruments (InstrumentRepository.page's), after the cursor bound to page_after
    when `resumed`: bound, so that a client paging on reuses one statement."""
    statement = filtered_instruments(scope, where)
    return statement.where(col(Instrument.id) > bound("page_after", sa.Uuid)) if resumed else statement


@lru_cache(maxsize=STATEMENTS_KEPT)
def _instrument_connection_statement(
    scope: InstrumentScope, where: InstrumentFilter, limit: int, shape: Shape, day: date, shown: Shown, resumed: bool
) -> Prepared:
    """DocumentRepository.instrument_connection's statement for a page of `limit`, the cursor bound."""
    page = PageRequest(limit=limit)
    listed = _numbered(_listed_instruments(scope, where, resumed=resumed), _INSTRUMENT_ORDER, page, None, "i")
    writer = _Writer(scope, shown)
    connection = Related("instruments", shape, page=page)
    body = _page(connection, listed, lambda each: writer.instrument(listed, each, day), cursor_of(listed.c.id))
    return Prepared.of(sa.select(body.cast(sa.Text)))


@lru_cache(maxsize=STATEMENTS_KEPT)
def _instrument_page_statement(
    scope: InstrumentScope, where: InstrumentFilter, shape: Shape, day: date, shown: Shown, *, resumed: bool
) -> Prepared:
    """The list's page (as InstrumentRepository.page reads it) and each instrument's JSON, in
    UTF-8: the driver decodes no text. The cursor and the page size are bound."""
    statement = _listed_instruments(scope, where, resumed=resumed)
    rows = statement.order_by(*_INSTRUMENT_ORDER).limit(bound("page_limit", sa.Integer)).subquery("i")
    body = sa.func.convert_to(_Writer(scope, shown).instrument(rows, shape, day).cast(sa.Text), "UTF8")
    return Prepared.of(sa.select(rows.c.id, body).order_by(rows.c.id))


class _Writer:
    """Writes one statement's JSON for one scope of callers, object by object."""

    def __init__(self, scope: InstrumentScope, shown: Shown) -> None:
        self.scope = scope
        self.shown = shown
        self.goal_lists = 0  # each nested list of goals names its current entries apart

    def region(self, r: Any, shape: Shape) -> ColumnElement[Any]:
        names = {name: r.c[name] for name in ("code", "uf", "name", "macro_code", "active", "version")}

        def municipalities(related: Related) -> ColumnElement[Any]:
            m = Municipality.__table__.alias("m")  # type: ignore[attr-defined]
            membership = RegionMembership.__table__.alias("rm")  # type: ignore[attr-defined]
            each = self.municipality(m, related.shape)
            return (
                sa.select(_json_list(each, m.c.code))
                .select_from(m.join(membership, membership.c.municipality_code == m.c.code))
                .where(membership.c.region_code == r.c.code, membership.c.valid_to.is_(None))
                .scalar_subquery()
            )

        return _object(shape, _with_related(_columns(names), {"municipalities": municipalities}))

    def municipality(self, m: Any, shape: Shape) -> ColumnElement[Any]:
        names = {name: m.c[name] for name in ("code", "code6", "uf", "name", "population")}

        def instruments(related: Related) -> ColumnElement[Any]:
            if not isinstance(related.where, InstrumentFilter) or related.day is None:
                raise Unsupported("instruments without their filter")
            day, page = related.day, related.page or PageRequest()
            statement = filtered_instruments(self.scope, related.where).where(
                col(Instrument.municipality_code) == m.c.code
            )
            listed = _numbered(statement, [col(Instrument.id)], page, m, "i")
            return _page(related, listed, lambda shape: self.instrument(listed, shape, day), cursor_of(listed.c.id))

        return _object(shape, _with_related(_columns(names), {"instruments": instruments}))

    def instrument(self, i: Any, shape: Shape, day: date) -> ColumnElement[Any]:
        plain = (
            "kind owner_type uf municipality_code region_code organization_id year quadrimester end_year status "
            "deadline milestone_on title document_url notes goal_structure version"
        )
        names: dict[str, ColumnElement[Any]] = {name: i.c[name] for name in plain.split()}
        on = sa.literal(day, sa.Date)
        names |= {
            "database_id": i.c.id,
            "owner": i.c.owner_code,
            "status_label": label_of(self.shown.instrument_status_labels, i.c.status),
            "situation": situation_of(i.c.deadline, i.c.milestone_on, on),
            "days_late": days_late_of(i.c.deadline, i.c.milestone_on, on),
        }

        def goals(related: Related) -> ColumnElement[Any]:
            if not isinstance(related.where, GoalFilter) or related.day is None:
                raise Unsupported("goals without their filter")
            day, page = related.day, related.page or PageRequest()
            statement = filtered_goals(related.where, day).where(col(Goal.instrument_id) == i.c.id)
            listed = _numbered(statement, [col(Goal.sort_key)], page, i, "g")
            current = current_entry(listed, day)
            write = self._goal_writer(listed, current, day)
            joined = listed.outerjoin(current, sa.true())
            return _page(related, listed, lambda shape: _object(shape, write), cursor_of(listed.c.sort_key), joined)

        def goal_tree(related: Related) -> ColumnElement[Any]:
            return self._goal_list(related, i, lambda c: sa.and_(c.instrument_id == i.c.id, c.parent_id.is_(None)))

        return _object(shape, _with_related(_columns(names), {"goals": goals, "goal_tree": goal_tree}))

    def _goal_list(
        self, related: Related, outer: Any, belongs: Callable[[Any], ColumnElement[bool]]
    ) -> ColumnElement[Any]:
        """The goals `belongs` picks (given the goal table's columns) in tree order, each with its
        current entry as of the list's day: an instrument's top nodes, or a goal's children."""
        if related.day is None:
            raise Unsupported("goals without their day")
        self.goal_lists += 1
        c = Goal.__table__.alias(f"tree{self.goal_lists}")  # type: ignore[attr-defined]
        current = current_entry(c, related.day, f"tree{self.goal_lists}_s")
        each = _object(related.shape, self._goal_writer(c, current, related.day))
        return (
            sa.select(_json_list(each, c.c.sort_key))
            .select_from(c.outerjoin(current, sa.true()))
            .where(belongs(c.c))
            .correlate(outer)
            .scalar_subquery()
        )

    def _goal_writer(self, g: Any, current: Any, day: date) -> Callable[[str, Any], ColumnElement[Any]]:
        s = current.c
        names = goal_values(self.shown.goals, g.c, s, sa.literal(day, sa.Date))
        entry = entry_values(self.shown.goals, s, isoformat_utc)

        def current_status(related: Related) -> ColumnElement[Any]:
            return sa.case((s.id.is_(None), sa.null()), else_=_object(related.shape, _columns(entry)))

        def yearly_targets(related: Related) -> ColumnElement[Any]:
            target = sa.func.jsonb_each(g.c.yearly_targets).table_valued("key", "value", with_ordinality="n")
            target = target.render_derived(name="t")
            each = _object(
                related.shape,
                _columns({"year": sa.cast(target.c.key, sa.Integer), "value": target.c.value.cast(sa.Float)}),
            )
            return sa.select(_json_list(each, target.c.n)).select_from(target).correlate(g).scalar_subquery()

        def status_updates(related: Related) -> ColumnElement[Any]:
            # the goal's every entry, oldest first, each with the correction that replaced it
            u = StatusUpdate.__table__.alias("u")  # type: ignore[attr-defined]
            fields = entry_values(self.shown.goals, u.c, isoformat_utc) | {"superseded_by": superseded_by(u)}
            each = _object(related.shape, _columns(fields))
            listed = _json_list(each, u.c.reported_on, u.c.id)
            return sa.select(listed).select_from(u).where(u.c.goal_id == g.c.id).correlate(g).scalar_subquery()

        def children(related: Related) -> ColumnElement[Any]:
            return self._goal_list(related, g, lambda c: c.parent_id == g.c.id)

        related: dict[str, Callable[[Related], ColumnElement[Any]]] = {
            "current_status": current_status,
            "yearly_targets": yearly_targets,
            "status_updates": status_updates,
            "children": children,
        }
        return _with_related(_columns(names), related)
