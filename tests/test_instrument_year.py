"""`instrument_year` is kept by the database: after any sequence of instrument writes it holds
exactly what `instrument_coverage` (the rule, as a view) says, and two writers of one ente's
plans do not collide."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.support import MANAUS, SAO_GABRIEL

OWNERS = (("municipality", MANAUS), ("municipality", SAO_GABRIEL), ("state", "AM"))
KINDS = ("PMS", "PES", "PAS", "RDQA", "RAG", "PRI")
STATUSES = ("nao_iniciado", "em_elaboracao", "aprovado", "avaliado")


@dataclass(frozen=True)
class Row:
    owner: int
    kind: str
    year: int
    span: int
    quadrimester: int | None
    status: str
    deadline: date | None
    milestone_on: date | None

    @property
    def key(self) -> tuple[int, str, int, int]:
        return self.owner, self.kind, self.year, self.quadrimester or 0


days = st.one_of(st.none(), st.dates(date(2017, 1, 1), date(2031, 12, 31)))


@st.composite
def rows(draw: st.DrawFn) -> Row:
    kind = draw(st.sampled_from(KINDS))
    span = {"PMS": 3, "PES": 3, "PRI": draw(st.integers(0, 5))}.get(kind, 0)
    quadrimester = draw(st.sampled_from((1, 2, 3))) if kind == "RDQA" else None
    return Row(
        draw(st.integers(0, len(OWNERS) - 1)),
        kind,
        draw(st.integers(2016, 2030)),
        span,
        quadrimester,
        draw(st.sampled_from(STATUSES)),
        draw(days),
        draw(days),
    )


# An operation: add a row, or change (to the drawn row's values) or remove the n-th row added.
operations = st.lists(
    st.tuples(st.sampled_from(("insert", "update", "move", "delete")), st.integers(0, 30), rows()),
    min_size=1,
    max_size=25,
)


def _values(row: Row) -> dict[str, Any]:
    owner_type, owner_code = OWNERS[row.owner]
    return {
        "kind": row.kind,
        "owner_type": owner_type,
        "owner_code": owner_code,
        "uf": "AM",
        "municipality_code": owner_code if owner_type == "municipality" else None,
        "year": row.year,
        "end_year": row.year + row.span,
        "quadrimester": row.quadrimester,
        "status": row.status,
        "deadline": row.deadline,
        "milestone_on": row.milestone_on,
    }


INSERT = sa.text("""INSERT INTO instrument (id, kind, owner_type, owner_code, uf, municipality_code, year, end_year,
    quadrimester, status, deadline, milestone_on, version, goal_structure)
    VALUES (:id, :kind, :owner_type, :owner_code, :uf, :municipality_code, :year, :end_year, :quadrimester, :status,
    :deadline, :milestone_on, 1, 'dgmp')""")
UPDATE = sa.text("""UPDATE instrument SET kind = :kind, owner_type = :owner_type, owner_code = :owner_code,
    municipality_code = :municipality_code, year = :year, end_year = :end_year, quadrimester = :quadrimester,
    status = :status, deadline = :deadline, milestone_on = :milestone_on WHERE id = :id""")
# One column at a time, as the ORM writes only what changed.
ONE_COLUMN = ("status", "deadline", "milestone_on")
DIFFERENCE = sa.text("""SELECT count(*) FROM (
    (SELECT * FROM instrument_year EXCEPT ALL SELECT * FROM instrument_coverage)
    UNION ALL
    (SELECT * FROM instrument_coverage EXCEPT ALL SELECT * FROM instrument_year)) AS d""")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
async def test_the_table_holds_what_the_rule_says_after_any_writes(
    connection: AsyncConnection, steps: list[tuple[str, int, Row]]
) -> None:
    savepoint = await connection.begin_nested()
    try:
        written: dict[uuid.UUID, Row] = {}
        for action, pick, row in steps:
            taken = {kept.key for kept in written.values()}
            target = list(written)[pick % len(written)] if written else None
            if action == "insert" or target is None:
                if row.key not in taken:
                    instrument_id = uuid.uuid4()
                    await connection.execute(INSERT, {"id": instrument_id, **_values(row)})
                    written[instrument_id] = row
            elif action == "delete":
                await connection.execute(sa.text("DELETE FROM instrument WHERE id = :id"), {"id": target})
                del written[target]
            elif action == "update":
                column = ONE_COLUMN[pick % len(ONE_COLUMN)]
                statement = sa.text(f"UPDATE instrument SET {column} = :value WHERE id = :id")  # noqa: S608 (a constant)
                await connection.execute(statement, {"id": target, "value": getattr(row, column)})
                written[target] = replace(written[target], **{column: getattr(row, column)})
            elif row.key not in taken - {written[target].key}:
                await connection.execute(UPDATE, {"id": target, **_values(row)})
                written[target] = row
        assert (await connection.execute(DIFFERENCE)).scalar_one() == 0
        covered = await connection.execute(sa.text("SELECT count(*) FROM instrument_year"))
        assert covered.scalar_one() >= (1 if written else 0)
    finally:
        await savepoint.rollback()


async def test_two_writers_of_one_entes_overlapping_plans_take_turns(engine: AsyncEngine) -> None:
    """Plans starting 2022 and 2024 both cover 2024 and 2025. Written at once by two
    transactions, the second waits for the first and then keeps the earlier plan's years."""
    first_id, second_id = uuid.uuid4(), uuid.uuid4()
    first = {**_values(Row(0, "PMS", 2022, 3, None, "aprovado", None, None)), "id": first_id}
    second = {**_values(Row(0, "PMS", 2024, 3, None, "em_elaboracao", None, None)), "id": second_id}
    async with engine.connect() as one, engine.connect() as other:
        try:
            await one.begin()
            await one.execute(INSERT, first)
            await other.begin()
            waiting = asyncio.create_task(other.execute(INSERT, second))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # held by the first writer's lock, not failed
            await one.commit()
            await waiting
            await other.commit()
            years = await one.execute(
                sa.text("""SELECT year, status FROM instrument_year
                    WHERE owner_code = :code AND kind = 'PMS' ORDER BY year"""),
                {"code": MANAUS},
            )
            assert [tuple(row) for row in years] == [
                *((year, "aprovado") for year in range(2022, 2026)),
                (2026, "em_elaboracao"),
                (2027, "em_elaboracao"),
            ]
        finally:
            await one.rollback()
            await one.execute(sa.text("DELETE FROM instrument WHERE id IN (:a, :b)"), {"a": first_id, "b": second_id})
            await one.commit()
        left = await one.execute(sa.text("SELECT count(*) FROM instrument_year WHERE owner_code = :c"), {"c": MANAUS})
        assert left.scalar_one() == 0
