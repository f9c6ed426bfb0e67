"""Straight to the driver, inside the session's transaction: the asyncpg connection under a
session (for prepared reads and COPY), and rows in bulk through COPY, for imports, where tens
of thousands of new rows through the ORM (and one audit event each) would take a minute. The
import records one audit event for the whole file instead."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from operator import itemgetter
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

# Set in `Session.info` of sessions whose statements each commit on their own (Database's reads).
STATEMENT_BY_STATEMENT = "statement_by_statement"


async def joined_driver(session: AsyncSession) -> Any | None:
    """The asyncpg connection under this session, if what is sent straight to it joins the
    session's transaction; None if SQLAlchemy has not begun that transaction yet (it does so at
    its first statement), as the driver's calls would then run outside it, committed at once."""
    connection: Any = (await session.connection()).sync_connection.connection.driver_connection  # type: ignore[union-attr]
    if connection.is_in_transaction() or session.info.get(STATEMENT_BY_STATEMENT):
        return connection
    return None


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection under this session's transaction, begun first if need be."""
    connection = await joined_driver(session)
    if connection is None:
        await session.execute(sa.select(sa.literal(1)))
        connection = await joined_driver(session)
    return connection


def new_row(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """A new row of `model`'s table as plain values: `values`, and every other field as the model
    defaults it. Imports plan their rows so and COPY them (`copy_rows`): building tens of
    thousands of ORM objects takes seconds. A single new object may be built from one too."""
    row = dict(_static_defaults(model))
    for name, factory in _default_factories(model).items():
        if name not in values:
            row[name] = factory()
    row.update(values)
    return row


@cache
def _static_defaults(model: type[SQLModel]) -> dict[str, Any]:
    return {
        name: field.default
        for name, field in model.model_fields.items()
        if field.default_factory is None and not field.is_required()
    }


@cache
def _default_factories(model: type[SQLModel]) -> dict[str, Callable[[], Any]]:
    return {
        name: cast("Callable[[], Any]", field.default_factory)
        for name, field in model.model_fields.items()
        if field.default_factory is not None
    }


async def copy_rows(session: AsyncSession, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]) -> None:
    """New rows of `model`'s table, each holding every column (see `new_row`), written with COPY."""
    if not rows:
        return
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    names = [column.name for column in table.columns]
    documents = [column.name for column in table.columns if isinstance(column.type, JSONB)]
    # One C call picks a row's values (a tuple: every table has several columns); a generator
    # over its columns took a quarter more time.
    pick = itemgetter(*names)
    records = [pick({**row, **{name: json.dumps(row[name]) for name in documents}}) for row in rows]
    await (await driver(session)).copy_records_to_table(table.name, records=records, columns=names)
