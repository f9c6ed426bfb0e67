"""Status updates in bulk: the file goes into a temporary staging table through COPY, so
PostgreSQL parses it; one statement lists every bad cell; then the good file's new entries, in
PostgreSQL's own types, go into a second temporary table and from it into status_update with
binary COPY. No row becomes a Python object, which is what lets 100k entries land in not much
more than COPY itself takes."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories.bulk import driver

STAGED = "status_import"
# Every column a file may carry, as text: a value of the wrong type is reported, not a COPY error.
COLUMNS = (
    "goal_id",
    "status",
    "reported_on",
    "percent_complete",
    "achieved_value",
    "details",
    "difficulties",
    "expected_delivery",
    "next_steps",
    "partial_product",
    "responsible",
)
TEXTS = ("details", "difficulties", "next_steps", "partial_product", "responsible")
_ACCENTED, _PLAIN = "áàâãäéèêëíìîïóòôõöúùûüç ", "aaaaaeeeeiiiiooooouuuuc_"


@dataclass(frozen=True)
class StatusRules:
    """What the domain accepts of an entry (app.domain.monitoring.StatusUpdateCreate): the
    status codes, the levels reported on, the longest text, and the last day one may report."""

    statuses: frozenset[str]
    monitored: frozenset[str]
    max_text: int
    today: date


@dataclass(frozen=True)
class CellProblem:
    line: int
    column: str | None
    reason: str


class BrokenFile(Exception):
    """COPY could not read the file past `line` (a column too many or too few, a bad quote)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _status_code(cell: str) -> str:
    """The code a cell names: the code itself, or its pt-BR label with any case and accents
    ("Em andamento", "CONCLUÍDA")."""
    return f"translate(lower(btrim({cell})), '{_ACCENTED}', '{_PLAIN}')"


def _text(cell: str) -> str:
    return f"nullif(btrim({cell}), '')"


def _number(cell: str) -> str:
    return f"replace({_text(cell)}, ',', '.')"  # 65,5 as pt-BR spreadsheets write it, or 65.5


def _is_date(cell: str) -> str:
    return f"(btrim({cell}) ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}$' AND pg_input_is_valid(btrim({cell}), 'date'))"


def _is_finite(cell: str) -> str:
    number = _number(cell)
    return f"(pg_input_is_valid({number}, 'float8') AND {number}::float8 NOT IN ('NaN', 'Infinity', '-Infinity'))"


_GOAL = """LEFT JOIN goal g ON g.instrument_id = :instrument
    AND g.id = CASE WHEN pg_input_is_valid(btrim(s.goal_id), 'uuid') THEN btrim(s.goal_id)::uuid END"""

_CHECKS = [
    ("goal_id", "s.goal_id IS NULL OR btrim(s.goal_id) = ''", "the goal id is missing"),
    ("goal_id", "NOT pg_input_is_valid(btrim(s.goal_id), 'uuid')", "not a goal id"),
    ("goal_id", "g.id IS NULL", "no such goal in this instrument"),
    ("goal_id", "NOT (g.level = ANY(:monitored))", "a goal of this level is not reported on: its metas and ações are"),
    ("status", "s.status IS NULL OR btrim(s.status) = ''", "the status is missing"),
    ("status", f"NOT ({_status_code('s.status')} = ANY(:statuses))", "not a status"),
    ("reported_on", f"NOT {_is_date('s.reported_on')}", "not a day (YYYY-MM-DD)"),
    ("reported_on", f"{_text('s.reported_on')}::date > :today", "in the future"),
    ("percent_complete", f"NOT {_is_finite('s.percent_complete')}", "not a number"),
    ("percent_complete", f"{_number('s.percent_complete')}::float8 NOT BETWEEN 0 AND 100", "not between 0 and 100"),
    ("achieved_value", f"NOT {_is_finite('s.achieved_value')}", "not a number"),
    ("expected_delivery", f"NOT {_is_date('s.expected_delivery')}", "not a day (YYYY-MM-DD)"),
    *((text, f"length(btrim(s.{text})) > :max_text", "longer than the longest text allowed") for text in TEXTS),
]
# A check reads its cell only when the checks before it on that cell passed, and an empty
# optional cell is no value at all, so each runs on what it can read.
_REQUIRED = {"goal_id", "status"}
_CHECKED = [column for column in COLUMNS if any(name == column for name, _, _ in _CHECKS)]


def _problems_sql() -> str:
    """Each line's reason per checked column, for the lines with any. A row of CASEs, not a
    VALUES list per line: the file is checked in one pass over it."""
    cases = []
    for column in _CHECKED:
        whens = " ".join(f"WHEN {test} THEN '{reason}'" for name, test, reason in _CHECKS if name == column)
        present = "" if column in _REQUIRED else f"WHEN {_text(f's.{column}')} IS NULL THEN NULL "
        cases.append(f"CASE {present}{whens} END AS {column}")
    return f"""SELECT * FROM (SELECT s.n + 1 AS line, {", ".join(cases)} FROM {STAGED} s {_GOAL}) checked
        WHERE num_nonnulls({", ".join(_CHECKED)}) > 0 ORDER BY line LIMIT :most"""  # noqa: S608 (no caller text)


_PROBLEMS = sa.text(_problems_sql())

_VALUES = f"""SELECT btrim(s.goal_id)::uuid AS goal_id,
        coalesce({_text("s.reported_on")}::date, :day) AS reported_on,
        {_status_code("s.status")} AS status,
        {_number("s.percent_complete")}::float8 AS percent_complete,
        {_number("s.achieved_value")}::float8 AS achieved_value,
        {", ".join(f"{_text(f's.{t}')} AS {t}" for t in TEXTS)},
        {_text("s.expected_delivery")}::date AS expected_delivery, s.n
    FROM {STAGED} s"""  # noqa: S608

_SAME = " AND ".join(
    f"e.{name} IS NOT DISTINCT FROM v.{name}"
    for name in ("status", "percent_complete", "achieved_value", *TEXTS, "expected_delivery")
)
# The staged rows no recorded entry already says (same goal, day and values).
_NEW_ROWS = f"""FROM ({_VALUES}) v WHERE NOT EXISTS (SELECT FROM status_update e WHERE e.instrument_id = :instrument
        AND e.goal_id = v.goal_id AND e.reported_on = v.reported_on AND {_SAME})"""

# The entries to write, in file order, ids drawn from the table's sequence, kept in a second
# temporary table and copied from it into status_update in COPY's binary form: row-by-row
# INSERT … SELECT costs about three times what COPY's batched heap and index writes do, and
# the rows pass through this process as bytes, never as one Python object each.
WRITTEN = "status_written"
_WRITTEN_COLUMNS = ("id", "goal_id", "instrument_id", "uf", "reported_on", "status", "percent_complete",
    "achieved_value", *TEXTS, "expected_delivery", "author_id")  # fmt: skip
_KEEP_ENTRIES = sa.text(
    f"""CREATE TEMP TABLE {WRITTEN} ON COMMIT DROP AS
    SELECT nextval(pg_get_serial_sequence('status_update', 'id')) AS id, v.goal_id, CAST(:instrument AS uuid)
        AS instrument_id, CAST(:uf AS char(2)) AS uf, v.reported_on, v.status::varchar(24) AS status,
        v.percent_complete, v.achieved_value, {", ".join(f"v.{t}" for t in TEXTS)}, v.expected_delivery,
        CAST(:author AS uuid) AS author_id
    {_NEW_ROWS}
    ORDER BY v.n"""
)
_KEPT = sa.text(f"SELECT count(*), min(id), max(id) FROM {WRITTEN}")  # noqa: S608

_NEW = sa.text(f"SELECT count(*) {_NEW_ROWS}")


@dataclass(frozen=True)
class Written:
    created: int
    first_id: int | None
    last_id: int | None


class StatusImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stage(self, columns: list[str], rows: bytes, delimiter: str) -> int:
        """The file's rows (header left out) in the staging table, numbered in file order;
        the number staged. The table lives until this transaction ends."""
        await self.session.execute(sa.text(f"DROP TABLE IF EXISTS pg_temp.{STAGED}"))
        definition = ", ".join(f"{column} text" for column in COLUMNS)
        await self.session.execute(
            sa.text(f"CREATE TEMP TABLE {STAGED} (n int GENERATED ALWAYS AS IDENTITY, {definition}) ON COMMIT DROP")
        )
        connection = await driver(self.session)
        await connection.execute("SAVEPOINT status_import_copy")
        try:
            await connection.copy_to_table(
                STAGED, source=io.BytesIO(rows), columns=columns, format="csv", delimiter=delimiter
            )
        except (asyncpg.DataError, asyncpg.exceptions.BadCopyFileFormatError) as exc:
            await connection.execute("ROLLBACK TO SAVEPOINT status_import_copy")
            raise _broken(exc) from exc
        await connection.execute("RELEASE SAVEPOINT status_import_copy")
        staged = await self.session.scalar(sa.text(f"SELECT count(*) FROM {STAGED}"))  # noqa: S608
        return int(staged or 0)

    async def problems(self, instrument_id: uuid.UUID, rules: StatusRules, most: int) -> list[CellProblem]:
        """Every bad cell of the first `most` lines that have any, in line and column order."""
        rows = await self.session.execute(
            _PROBLEMS,
            {
                "instrument": instrument_id,
                "statuses": sorted(map(str, rules.statuses)),
                "monitored": sorted(map(str, rules.monitored)),
                "max_text": rules.max_text,
                "today": rules.today,
                "most": most,
            },
        )
        found: list[CellProblem] = []
        for line, *reasons in rows:
            found += (
                CellProblem(line, column, why) for column, why in sorted(zip(_CHECKED, reasons, strict=True)) if why
            )
        return found

    async def count_new(self, instrument_id: uuid.UUID, day: date) -> int:
        return int(await self.session.scalar(_NEW, {"instrument": instrument_id, "day": day}) or 0)

    async def write(self, instrument_id: uuid.UUID, uf: str | None, author_id: uuid.UUID | None, day: date) -> Written:
        """Every staged row as a new entry, unless one just like it (same goal, day and
        values) is recorded already: sending a file again adds nothing."""
        await self.session.execute(sa.text(f"DROP TABLE IF EXISTS pg_temp.{WRITTEN}"))
        values = {"instrument": instrument_id, "uf": uf, "author": author_id, "day": day}
        await self.session.execute(_KEEP_ENTRIES, values)
        created, first_id, last_id = (await self.session.execute(_KEPT)).one()
        if not created:
            return Written(0, None, None)
        connection = await driver(self.session)
        entries = io.BytesIO()
        await connection.copy_from_table(WRITTEN, output=entries, format="binary")
        entries.seek(0)
        await connection.copy_to_table("status_update", source=entries, columns=_WRITTEN_COLUMNS, format="binary")
        return Written(created, first_id, last_id)


def _broken(exc: asyncpg.PostgresError) -> BrokenFile:
    """The line COPY stopped at, counted in the file (its header is line 1)."""
    found = re.search(r"line (\d+)", str(getattr(exc, "context", "") or ""))
    line = int(found.group(1)) + 1 if found else 1
    return BrokenFile(line, str(getattr(exc, "message", exc)))
