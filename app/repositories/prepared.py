"""Hot reads compiled once to the driver's SQL and sent to it directly, inside the session's
transaction. SQLAlchemy keeps its own compiled cache, but it still walks the whole expression
for the cache key, sets up an execution context and wraps every row on each execution: for the
reads clients make most (a page of metas, a whole GraphQL answer) that cost more Python time
than PostgreSQL took to run them.

A statement is built with a named `bindparam` for each value that varies between executions;
any other value in it is fixed when it is compiled, so the caller keeps one `Prepared` per
combination of the rest (the scope of callers, the filters), as the repositories' caches do."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

from app.repositories.bulk import joined_driver

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
# Clients send the same few reads: statements are kept per scope and shape, this many of each kind.
STATEMENTS_KEPT = 64


def bound(name: str, type_: Any) -> sa.BindParameter[Any]:
    """A value given at each execution (compiling checks that the others have theirs)."""
    return sa.bindparam(name, type_=type_, required=False)


@dataclass(frozen=True)
class Prepared:
    statement: sa.Select[Any] | sa.TextClause
    sql: str
    names: tuple[str, ...]  # the bind parameters, in the positional order of `sql`
    fixed: Mapping[str, Any]  # the values compiled in, converted for the driver
    converters: Mapping[str, Callable[[Any], Any]]  # of the bound values whose types convert them

    @classmethod
    def of(cls, statement: sa.Select[Any] | sa.TextClause) -> Prepared:
        compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or ())
        # A list's values were expanded into one parameter each, named `<list's name>_<n>`.
        binds = {name: compiled.binds[name if name in compiled.binds else name.rpartition("_")[0]] for name in names}
        converters = {
            name: converter
            for name, bind in binds.items()
            if (converter := bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)) is not None
        }
        fixed = {name: converters[name](v) if name in converters else v for name, v in compiled.params.items()}
        return cls(statement, compiled.string, names, fixed, converters)

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        converted = {name: self.converters[name](v) if name in self.converters else v for name, v in values.items()}
        given = {**self.fixed, **converted}
        return [given[name] for name in self.names]

    async def rows(self, session: AsyncSession, **values: Any) -> list[Any]:
        connection = await joined_driver(session)
        if connection is None:  # the transaction's first statement: SQLAlchemy begins it
            return list(await session.execute(self.statement, values))
        return list(await connection.fetch(self.sql, *self.arguments(values)))

    async def value(self, session: AsyncSession, **values: Any) -> Any:
        connection = await joined_driver(session)
        if connection is None:
            return await session.scalar(self.statement, values)
        return await connection.fetchval(self.sql, *self.arguments(values))
