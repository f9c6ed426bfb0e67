"""Status updates in bulk: the file goes into a temporary staging table through COPY, so
PostgreSQL parses it, and each cell is read into its type once, in a second; one statement lists
every bad cell; then the good file's new entries are drawn as COPY's binary rows and copied into
status_update. No row becomes a Python object, which is what lets 100k entries land in not much
more than COPY itself takes."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

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
    status codes (each with its pt-BR label), the levels reported on, the longest text, and the
    last day one may report."""

    status_labels: Mapping[str, str]
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


# The typed readings below read a cell as written: trimmed, and NULL when empty (`_text`).
# Read carefully, a cell that is not of its type reads as NULL, for the checks to report;
# read quickly, such a cell stops the statement instead. The quick reading is tried first and
# the careful one only when it stops (`StatusImportRepository.stage`): most files have no such
# cell, and testing each cell before reading it took a third of the pass.


def _status_code(written: str, labels: Mapping[str, str]) -> str:
    """The code a cell names: the code itself, or its pt-BR label with any case and accents
    ("Em andamento", "CONCLUÍDA"). Codes and labels as the domain writes them are looked up
    before anything is translated: translating every cell's accents took a quarter of the pass."""
    exact = {code: code for code in labels} | {label: code for code, label in labels.items()}
    return (
        f"coalesce({_literal(json.dumps(exact, ensure_ascii=False))}::jsonb ->> {written}, "
        f"translate(lower({written}), '{_ACCENTED}', '{_PLAIN}'))"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(cell: str) -> str:
    return f"nullif(btrim({cell}), '')"


def _read(written: str, type_name: str, value: str, careful: bool, *, form: str | None = None) -> str:
    """`value`, read from `written` as a `type_name`, where `written` has the `form` asked."""
    tests = [test for test in (form, f"pg_input_is_valid({written}, '{type_name}')" if careful else None) if test]
    return f"CASE WHEN {' AND '.join(tests)} THEN {value} END" if tests else value


def _as_date(written: str, careful: bool) -> str:
    """A day written YYYY-MM-DD. Read quickly, a cell of that shape is read and kept only if it
    is what PostgreSQL writes for that day (its DateStyle is ISO in the import, `_ISO_DAYS`): the
    careful reading's pattern, tested in half the time; matching it took a quarter of the pass.
    The shape is tested first, and is not enough alone: PostgreSQL reads "J8bu-6h-16" as a day."""
    if careful:
        form = f"{written} ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}$'"
        return _read(written, "date", f"{written}::date", careful, form=form)
    day = f"{written}::date"
    return f"CASE WHEN {written} LIKE '____-__-__' THEN CASE WHEN {day}::text = {written} THEN {day} END END"


_ISO_DAYS = "SET LOCAL DateStyle = ISO"


def _as_number(written: str, careful: bool) -> str:
    number = f"replace({written}, ',', '.')"  # 65,5 as pt-BR spreadsheets write it, or 65.5
    finite = f"nullif(nullif(nullif({number}::float8, 'NaN'), 'Infinity'), '-Infinity')"
    return _read(number, "float8", finite, careful)


# Each cell once, as written (trimmed; NULL when empty) and, for a typed column, as its type
# where it reads as one (else NULL), in a temporary table the checks and the writing both read:
# converting the file once instead of in each took a third off their time. The cells are
# trimmed in a subquery kept from being merged into the outer one (OFFSET 0): merged, each typed
# reading would trim its cell again, two or three times a cell, and it took a sixth longer.
# A column the file does not carry is NULL of its type, read from no cell: most files carry
# four of the eleven, and trimming and reading the empty seven took a tenth of the pass.
TYPED = "status_typed"
_TYPES = {"goal_id": "uuid", "status": "text", "reported_on": "date", "percent_complete": "float8",
    "achieved_value": "float8", "expected_delivery": "date"}  # fmt: skip
_TYPED_COLUMNS = tuple(_TYPES)


def _readings(careful: bool, labels: Mapping[str, str]) -> dict[str, str]:
    def w(column: str) -> str:
        return f"w.{column}_written"

    return {
        "goal_id": _read(w("goal_id"), "uuid", f"{w('goal_id')}::uuid", careful),
        "status": _status_code(w("status"), labels),
        "reported_on": _as_date(w("reported_on"), careful),
        "percent_complete": _as_number(w("percent_complete"), careful),
        "achieved_value": _as_number(w("achieved_value"), careful),
        "expected_delivery": _as_date(w("expected_delivery"), careful),
    }


def _written(column: str) -> str:
    """The typed table's column holding what the file wrote in `column`."""
    return f"t.{column}_written" if column in _TYPED_COLUMNS else f"t.{column}"


@cache
def keep_typed(careful: bool, labels: tuple[tuple[str, str], ...], carried: frozenset[str]) -> str:
    """The statement keeping the typed table of a file that carries the `carried` columns,
    reading each cell quickly or carefully."""
    readings = _readings(careful, dict(labels))
    trimmed = ["s.n"] + [
        f"{_text(f's.{c}')} AS {c}{'_written' if c in _TYPES else ''}" for c in COLUMNS if c in carried
    ]
    kept = [
        f"w.{c}_written, {readings[c]} AS {c}" if c in carried else f"NULL::text AS {c}_written, NULL::{t} AS {c}"
        for c, t in _TYPES.items()
    ]
    kept += [f"w.{c}" if c in carried else f"NULL::text AS {c}" for c in TEXTS]
    return f"""CREATE TEMP TABLE {TYPED} ON COMMIT DROP AS SELECT w.n, {", ".join(kept)}
    FROM (SELECT {", ".join(trimmed)} FROM {STAGED} s OFFSET 0) w"""  # noqa: S608 (no caller text)


_CHECKS = [
    ("goal_id", "t.goal_id_written IS NULL", "the goal id is missing"),
    ("goal_id", "t.goal_id IS NULL", "not a goal id"),
    ("goal_id", "g.id IS NULL", "no such goal in this instrument"),
    ("goal_id", "NOT (g.level = ANY(:monitored))", "a goal of this level is not reported on: its metas and ações are"),
    ("status", "t.status_written IS NULL", "the status is missing"),
    ("status", "NOT (t.status = ANY(:statuses))", "not a status"),
    ("reported_on", "t.reported_on IS NULL", "not a day (YYYY-MM-DD)"),
    ("reported_on", "t.reported_on > :today", "in the future"),
    ("percent_complete", "t.percent_complete IS NULL", "not a number"),
    ("percent_complete", "t.percent_complete NOT BETWEEN 0 AND 100", "not between 0 and 100"),
    ("achieved_value", "t.achieved_value IS NULL", "not a number"),
    ("expected_delivery", "t.expected_delivery IS NULL", "not a day (YYYY-MM-DD)"),
    *((text, f"length(t.{text}) > :max_text", "longer than the longest text allowed") for text in TEXTS),
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
        present = "" if column in _REQUIRED else f"WHEN {_written(column)} IS NULL THEN NULL "
        cases.append(f"CASE {present}{whens} END AS {column}")
    return f"""SELECT * FROM (SELECT t.n + 1 AS line, {", ".join(cases)} FROM {TYPED} t
        LEFT JOIN goal g ON g.instrument_id = :instrument AND g.id = t.goal_id) checked
        WHERE num_nonnulls({", ".join(_CHECKED)}) > 0 ORDER BY line LIMIT :most"""  # noqa: S608 (no caller text)


_PROBLEMS = sa.text(_problems_sql())

_SAME = " AND ".join(
    f"e.{name} IS NOT DISTINCT FROM v.{name}"
    for name in ("status", "percent_complete", "achieved_value", *TEXTS, "expected_delivery")
)


def _new_rows(instrument: str, day: str) -> str:
    """The staged rows no recorded entry already says (same goal, day and values), a row
    without a day reporting on `day`; `instrument` and `day` are the statement's parameters."""
    return f"""FROM (SELECT t.goal_id, coalesce(t.reported_on, {day}) AS reported_on, t.status, t.percent_complete,
            t.achieved_value, {", ".join(f"t.{c}" for c in TEXTS)}, t.expected_delivery, t.n FROM {TYPED} t) v
        WHERE NOT EXISTS (SELECT FROM status_update e WHERE e.instrument_id = {instrument}
            AND e.goal_id = v.goal_id AND e.reported_on = v.reported_on AND {_SAME})"""  # noqa: S608 (no caller text)


_NEW = sa.text(f"SELECT count(*) {_new_rows(':instrument', ':day')}")

# The entries to write, in file order, straight from the statement that draws them into COPY's
# binary form, and so into status_update: row-by-row INSERT … SELECT costs about three times
# what COPY's batched heap and index writes do, and the rows pass through this process as bytes,
# never as one Python object each. Drawn into a temporary table first, then counted and copied
# out of it, they took twice as long to reach this process. Each takes its id from the table's
# sequence as COPY writes it, so in file order.
_ENTRY_COLUMNS = ("goal_id", "instrument_id", "uf", "reported_on", "status", "percent_complete", "achieved_value",
    *TEXTS, "expected_delivery", "author_id")  # fmt: skip
_DRAWN = f"""SELECT v.goal_id, $1::uuid, $2::char(2), v.reported_on, v.status::varchar(24), v.percent_complete,
        v.achieved_value, {", ".join(f"v.{t}" for t in TEXTS)}, v.expected_delivery, $3::uuid
    {_new_rows("$1::uuid", "$4::date")}
    ORDER BY v.n"""
_LAST_ID = "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('status_update', 'id')::regclass), 0)"
# The ids written, past the last one drawn before: the instrument is locked while its entries
# are written, so no one else's entry on it is among them.
_WRITTEN_IDS = "SELECT min(id), max(id) FROM status_update WHERE instrument_id = $1 AND id > $2"


@dataclass(frozen=True)
class Written:
    created: int
    first_id: int | None
    last_id: int | None


class StatusImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stage(self, columns: list[str], rows: bytes, delimiter: str, rules: StatusRules) -> int:
        """The file's rows (header left out) in the staging table, numbered in file order, and
        read into the typed one; the number staged. The tables live until this transaction ends."""
        await self.session.execute(sa.text(f"DROP TABLE IF EXISTS pg_temp.{STAGED}"))
        definition = ", ".join(f"{column} text" for column in COLUMNS)
        await self.session.execute(
            sa.text(f"CREATE TEMP TABLE {STAGED} (n int GENERATED ALWAYS AS IDENTITY, {definition}) ON COMMIT DROP")
        )
        connection = await driver(self.session)
        try:
            async with connection.transaction():  # a savepoint, undone if COPY fails
                await connection.copy_to_table(
                    STAGED, source=io.BytesIO(rows), columns=columns, format="csv", delimiter=delimiter
                )
        except (asyncpg.DataError, asyncpg.exceptions.BadCopyFileFormatError) as exc:
            raise _broken(exc) from exc
        await connection.execute(f"DROP TABLE IF EXISTS pg_temp.{TYPED}")
        await connection.execute(_ISO_DAYS)
        labels, carried = tuple(sorted(rules.status_labels.items())), frozenset(columns)
        try:
            async with connection.transaction():
                return _copied(await connection.execute(keep_typed(False, labels, carried)))
        except asyncpg.DataError:  # a cell not of its type: read again, carefully
            return _copied(await connection.execute(keep_typed(True, labels, carried)))

    async def problems(self, instrument_id: uuid.UUID, rules: StatusRules, most: int) -> list[CellProblem]:
        """Every bad cell of the first `most` lines that have any, in line and column order."""
        rows = await self.session.execute(
            _PROBLEMS,
            {
                "instrument": instrument_id,
                "statuses": sorted(map(str, rules.status_labels)),
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
        """The staged rows `write` would write."""
        return int(await self.session.scalar(_NEW, {"instrument": instrument_id, "day": day}) or 0)

    async def write(self, instrument_id: uuid.UUID, uf: str | None, author_id: uuid.UUID | None, day: date) -> Written:
        """Every staged row as a new entry, unless one just like it (same goal, day and
        values) is recorded already: sending a file again adds nothing."""
        connection = await driver(self.session)
        entries = io.BytesIO()
        drawn = await connection.copy_from_query(
            _DRAWN, instrument_id, uf, author_id, day, output=entries, format="binary"
        )
        if not (created := _copied(drawn)):
            return Written(0, None, None)
        last_before = await connection.fetchval(_LAST_ID)
        entries.seek(0)
        await connection.copy_to_table("status_update", source=entries, columns=_ENTRY_COLUMNS, format="binary")
        first_id, last_id = await connection.fetchrow(_WRITTEN_IDS, instrument_id, last_before)
        return Written(created, first_id, last_id)


def _copied(status: str) -> int:
    """The rows a COPY or CREATE TABLE AS moved, from its command tag (`COPY 100000`)."""
    return int(status.rsplit(" ", 1)[-1])


def _broken(exc: asyncpg.PostgresError) -> BrokenFile:
    """The line COPY stopped at, counted in the file (its header is line 1)."""
    found = re.search(r"line (\d+)", str(getattr(exc, "context", "") or ""))
    line = int(found.group(1)) + 1 if found else 1
    return BrokenFile(line, str(getattr(exc, "message", exc)))
