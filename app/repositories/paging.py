from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import InvalidInput
from app.core.pagination import CursorValue, Page, PageRequest, encode_cursor

T = TypeVar("T")


async def keyset_page(
    session: AsyncSession,
    statement: sa.Select[Any],
    order_by: Sequence[Any],  # mapped columns, e.g. col(Municipality.code)
    page: PageRequest,
    key: Callable[[T], tuple[CursorValue, ...]],
) -> Page[T]:
    """One page in a stable order; the cursor holds the last row's sort key (no OFFSET re-reads)."""
    if page.after is not None:
        if len(page.after) != len(order_by):
            raise InvalidInput("cursor does not belong to this list", code="invalid_cursor")
        bounds = [_bound(value, column) for value, column in zip(page.after, order_by, strict=True)]
        statement = statement.where(sa.tuple_(*order_by) > sa.tuple_(*bounds))
    rows: list[T] = list((await session.scalars(statement.order_by(*order_by).limit(page.limit + 1))).all())
    has_more = len(rows) > page.limit
    items = rows[: page.limit]
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if has_more else None)


def _integer_limit(column_type: Any) -> int:
    if isinstance(column_type, sa.SmallInteger):
        return 2**15
    return 2**63 if isinstance(column_type, sa.BigInteger) else 2**31


def _bound(value: CursorValue, column: Any) -> ColumnElement[Any]:
    """The cursor's value as the column's type; anything a forged cursor could carry is a 422."""
    if value is None:  # every sort key is NOT NULL
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor")
    try:
        typed = column.type.python_type(value)
    except (TypeError, ValueError, AttributeError) as exc:  # uuid.UUID(5) raises AttributeError
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor") from exc
    if isinstance(typed, int) and not -_integer_limit(column.type) <= typed < _integer_limit(column.type):
        raise InvalidInput("cursor does not belong to this list", code="invalid_cursor")
    return sa.literal(typed, column.type)
