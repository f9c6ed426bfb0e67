from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import InvalidInput
from app.core.pagination import CursorValue, JsonPage, Page, PageRequest, encode_cursor
from app.repositories.prepared import Prepared

T = TypeVar("T")


async def keyset_page(
    session: AsyncSession,
    statement: sa.Select[Any],
    order_by: Sequence[Any],  # mapped columns, e.g. col(Municipality.code)
    page: PageRequest,
    key: Callable[[T], tuple[CursorValue, ...]],
) -> Page[T]:
    """One page in a stable order; the cursor holds the last row's sort key (no OFFSET re-reads)."""
    statement = after_key(statement, order_by, page)
    rows: list[T] = list((await session.scalars(statement.order_by(*order_by).limit(page.limit + 1))).all())
    return page_of(rows, page, key)


async def keyset_pages(
    session: AsyncSession,
    statement: sa.Select[Any],
    entity: type[T],
    group_by: Any,
    groups: Sequence[Any],
    order_by: Sequence[Any],
    page: PageRequest,
    key: Callable[[T], tuple[CursorValue, ...]],
) -> dict[Any, Page[T]]:
    """The same page of many lists at once (one per value in `groups` of the column `group_by`,
    e.g. each municipality's instruments), in one statement. Each list is read on its own,
    through a LATERAL subquery cut at the page size, so an index on (group_by, order) serves
    it and no list is read past its page. Lists with no rows are absent from the answer."""
    if not groups:
        return {}
    # One array parameter, not a VALUES row per key: the statement compiles once for any count.
    keys = sa.bindparam("batch_groups", list(dict.fromkeys(groups)), type_=ARRAY(group_by.type))
    wanted = sa.func.unnest(keys).table_valued("batch_group").render_derived(name="wanted")
    rank = sa.func.row_number().over(order_by=list(order_by))
    listed = (
        after_key(statement, order_by, page)
        .add_columns(rank.label("batch_rank"))
        .where(group_by == wanted.c.batch_group)
        .order_by(*order_by)
        .limit(page.limit + 1)
        .lateral("listed")
    )
    rows = aliased(entity, listed)
    statement = (
        sa.select(rows, wanted.c.batch_group).select_from(wanted).join(listed, sa.true()).order_by(listed.c.batch_rank)
    )
    grouped: dict[Any, list[T]] = {}
    for row, group in await session.execute(statement):
        grouped.setdefault(group, []).append(row)
    return {group: page_of(items, page, key) for group, items in grouped.items()}


async def json_page(
    session: AsyncSession,
    page: PageRequest,
    order_by: Sequence[Any],  # one mapped column, the rows' first
    statement_for: Callable[[bool], Prepared],
    **values: Any,
) -> JsonPage:
    """One page of rows that a prepared statement gives as (sort key, JSON body in UTF-8): the
    statement for whether the page resumes after a cursor, with `values`, the page size bound to
    `page_limit` and the cursor's key to `page_after`."""
    after = cursor_values(order_by, page)
    bounds = {"page_limit": page.limit + 1} | ({"page_after": after[0]} if after else {})
    rows = await statement_for(after is not None).rows(session, **values, **bounds)
    found = page_of(rows, page, lambda row: (str(row[0]) if isinstance(row[0], uuid.UUID) else row[0],))
    return JsonPage(b",".join(row[1] for row in found.items), found.next_cursor)


def after_key(statement: sa.Select[Any], order_by: Sequence[Any], page: PageRequest) -> sa.Select[Any]:
    """The rows after the page's cursor, in `order_by`; unchanged for the first page."""
    values = cursor_values(order_by, page)
    if values is None:
        return statement
    bounds = [sa.literal(value, column.type) for value, column in zip(values, order_by, strict=True)]
    return statement.where(sa.tuple_(*order_by) > sa.tuple_(*bounds))


def cursor_values(order_by: Sequence[Any], page: PageRequest) -> tuple[Any, ...] | None:
    """The page's cursor as values of `order_by`'s types; None for the first page. Anything a
    forged cursor could carry is a 422."""
    if page.after is None:
        return None
    if len(page.after) != len(order_by):
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor")
    return tuple(_typed(value, column) for value, column in zip(page.after, order_by, strict=True))


def page_of(rows: list[T], page: PageRequest, key: Callable[[T], tuple[CursorValue, ...]]) -> Page[T]:
    """A page of `rows`, read one past its size to tell whether another page follows."""
    items = rows[: page.limit]
    keys = [key(item) for item in items]
    next_cursor = encode_cursor(keys[-1]) if len(rows) > page.limit else None
    return Page(items=items, next_cursor=next_cursor, keys=keys)


def cursor_of(key: Any) -> ColumnElement[str]:
    """encode_cursor((key,)) in SQL, for a one-column ASCII text key (a uuid, a sort key): the
    JSON list, in unpadded URL-safe base64 (PostgreSQL's base64 breaks lines; they go too)."""
    listed = "[" + sa.func.to_json(sa.cast(key, sa.Text)).cast(sa.Text) + "]"
    encoded = sa.func.encode(sa.func.convert_to(listed, "UTF8"), "base64")
    return sa.func.rtrim(sa.func.translate(encoded, "+/\n", "-_"), "=")


def _integer_limit(column_type: Any) -> int:
    if isinstance(column_type, sa.SmallInteger):
        return 2**15
    return 2**63 if isinstance(column_type, sa.BigInteger) else 2**31


def _typed(value: CursorValue, column: Any) -> Any:
    if value is None:  # every sort key is NOT NULL
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor")
    try:
        typed = column.type.python_type(value)
    except (TypeError, ValueError, AttributeError) as exc:  # uuid.UUID(5) raises AttributeError
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor") from exc
    if isinstance(typed, int) and not -_integer_limit(column.type) <= typed < _integer_limit(column.type):
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor")
    return typed
