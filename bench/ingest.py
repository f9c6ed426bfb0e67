"""Ingest: a goal matrix of N metas with a STATUS column through its import endpoint (N metas
and N status updates; at most the 50,000 rows a matrix may hold), then a file of N status
updates on those metas through theirs (several per meta, on different days, past 50,000); each
beside raw COPY of the same rows in one transaction, in rounds (the median is reported). Each
round's instrument is removed afterwards, so the dataset stays as it was built."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

import asyncpg
import httpx

from app.domain.goal_files import MAX_ROWS
from app.repositories.tables import new_id

HEADER = "DIRETRIZ;OBJETIVO;META;INDICADOR;UNIDADE;LINHA DE BASE;ANO DA LINHA DE BASE;META DO PLANO;STATUS"
BRANCHES = 10  # diretrizes, and objetivos under each


def matrix(rows: int, status: str) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        d, o = n % BRANCHES + 1, n // BRANCHES % BRANCHES + 1
        lines.append(
            f"{d}. Diretriz {d};{d}.{o}. Objetivo {d}.{o};Meta {n + 1}: ampliar a cobertura;"
            f"Cobertura;%;{n % 50 + 10};2025;{n % 40 + 60};{status}"
        )
    return ("\n".join(lines) + "\n").encode()


LAST_DAY = date(2026, 9, 30)


def _entries(metas: list[uuid.UUID], rows: int) -> list[tuple[uuid.UUID, date, int]]:
    """`rows` entries over the metas, each meta's next one a day earlier than the last, so
    none repeats another (a matrix holds at most MAX_ROWS metas; the file may hold more)."""
    return [(metas[n % len(metas)], LAST_DAY - timedelta(days=n // len(metas)), n % 100) for n in range(rows)]


def entries(metas: list[uuid.UUID], rows: int) -> bytes:
    lines = ["goal_id;status;reported_on;percent_complete"]
    lines += [f"{meta};Concluída;{day.isoformat()};{percent}" for meta, day, percent in _entries(metas, rows)]
    return ("\n".join(lines) + "\n").encode()


async def _timed_import(
    client: httpx.AsyncClient, instrument_id: str, endpoint: str, body: bytes, day: str
) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = await client.post(
        f"/api/v1/instruments/{instrument_id}/{endpoint}/import",
        params={"reported_on": day},
        files={"file": ("import.csv", body, "text/csv")},
    )
    seconds = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"import answered {answer.status_code}: {answer.text[:300]}")
    return seconds, answer.json()


def _goal_rows(instrument_id: uuid.UUID, rows: int) -> tuple[list[tuple[Any, ...]], list[uuid.UUID]]:
    """A matrix's goals, keyed as the product keys its own (so raw COPY's index entries and
    reference checks fall as the endpoint's do)."""
    now = datetime.now(UTC)
    goals: list[tuple[Any, ...]] = []
    parents: dict[tuple[int, ...], uuid.UUID] = {}
    metas: list[uuid.UUID] = []
    for n in range(rows):
        d, o = n % BRANCHES + 1, n // BRANCHES % BRANCHES + 1
        path: tuple[int, ...] = ()
        for level, position in (("diretriz", d), ("objetivo", o)):
            parent = parents.get(path)
            path = (*path, position)
            if path not in parents:
                parents[path] = new_id()
                key = ".".join(f"{p:05d}" for p in path)
                goals.append((parents[path], instrument_id, parent, key, level, f"{level} {path}", 1, now, now))
        meta = new_id()
        key = ".".join(f"{p:05d}" for p in (*path, n + 1))
        goals.append((meta, instrument_id, parents[path], key, "meta", f"Meta {n + 1}", 1, now, now))
        metas.append(meta)
    return goals, metas


GOAL_COLUMNS = ["id", "instrument_id", "parent_id", "sort_key", "level", "description", "version", "created_at",
    "updated_at"]  # fmt: skip
# As the endpoint writes them: its uf and author too (the author's reference is checked per row).
UPDATE_COLUMNS = ["goal_id", "instrument_id", "uf", "reported_on", "status", "percent_complete", "author_id",
    "recorded_at"]  # fmt: skip


async def _copy(
    connection: asyncpg.Connection, instrument_id: uuid.UUID, matrix_rows: int, update_rows: int
) -> tuple[float, float]:
    """Raw COPY of a matrix's goals and status updates, then of status updates alone, with the
    uf and author the endpoint gave its own; rolled back."""
    uf, author = await connection.fetchrow(
        "SELECT uf, author_id FROM status_update WHERE instrument_id = $1 LIMIT 1", instrument_id
    )
    scratch = new_id()
    goals, metas = _goal_rows(scratch, matrix_rows)
    now = datetime.now(UTC)
    timings: list[float] = []
    for with_goals in (True, False):
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute(
                """INSERT INTO instrument (id, kind, owner_type, owner_code, uf, municipality_code, year, end_year,
                     status, goal_structure, version, created_at, updated_at)
                   SELECT $1, kind, owner_type, owner_code, uf, municipality_code, 2099, 2102, status,
                     goal_structure, 1, now(), now() FROM instrument WHERE id = $2""",
                scratch,
                instrument_id,
            )
            if not with_goals:  # the status updates' metas, outside the timing
                await connection.copy_records_to_table("goal", records=goals, columns=GOAL_COLUMNS)
            rows = matrix_rows if with_goals else update_rows
            drawn = _entries(metas, rows)
            updates = [(meta, scratch, uf, day, "concluida", percent, author, now) for meta, day, percent in drawn]
            started = time.perf_counter()
            if with_goals:
                await connection.copy_records_to_table("goal", records=goals, columns=GOAL_COLUMNS)
            await connection.copy_records_to_table("status_update", records=updates, columns=UPDATE_COLUMNS)
            timings.append(time.perf_counter() - started)
        finally:
            await transaction.rollback()
    return timings[0], timings[1]


async def _remove(connection: asyncpg.Connection, instrument_id: uuid.UUID, audit_from: int) -> None:
    """Status updates and the audit trail are append-only by trigger; the bench alone steps past."""
    async with connection.transaction():
        await connection.execute("SET LOCAL session_replication_role = replica")
        for table in ("status_update", "goal"):
            await connection.execute(f"DELETE FROM {table} WHERE instrument_id = $1", instrument_id)
        await connection.execute("DELETE FROM audit_event WHERE id > $1", audit_from)
        await connection.execute("DELETE FROM instrument_event WHERE instrument_id = $1", instrument_id)
        await connection.execute("DELETE FROM instrument WHERE id = $1", instrument_id)


async def _round(
    connection: asyncpg.Connection, client: httpx.AsyncClient, code: str, matrix_rows: int, rows: int
) -> tuple[float, float, float, float]:
    """One round on a new instrument: both imports through their endpoints, then raw COPY of the
    same rows; the instrument and its rows removed afterwards."""
    audit_from = await connection.fetchval("SELECT coalesce(max(id), 0) FROM audit_event")
    created = await client.post(
        "/api/v1/instruments", json={"kind": "PMS", "owner_type": "municipality", "owner": code, "year": 2026}
    )
    created.raise_for_status()
    instrument_id = uuid.UUID(created.json()["id"])
    try:
        matrix_s, first = await _timed_import(
            client, str(instrument_id), "goals", matrix(matrix_rows, "Em andamento"), "2026-05-31"
        )
        metas = await connection.fetch(
            "SELECT id FROM goal WHERE instrument_id = $1 AND level = 'meta' ORDER BY sort_key", instrument_id
        )
        updates_s, second = await _timed_import(
            client, str(instrument_id), "status-updates", entries([m["id"] for m in metas], rows), "2026-09-30"
        )
        if first["status_updates_created"] != matrix_rows or second["status_updates_created"] != rows:
            raise RuntimeError(f"imports wrote {first} and {second}, not {matrix_rows} and {rows} entries")
        copy_matrix_s, copy_updates_s = await _copy(connection, instrument_id, matrix_rows, rows)
    finally:
        await _remove(connection, instrument_id, audit_from)
    return matrix_s, copy_matrix_s, updates_s, copy_updates_s


async def run(url: str, base_url: str, headers: dict[str, str], rows: int, rounds: int) -> list[dict[str, Any]]:
    """Each import's median over `rounds` rounds, beside the median of its raw COPY: an import is
    a few seconds once, so one round alone sways with whatever else the machine is doing."""
    matrix_rows = min(rows, MAX_ROWS)  # the most one matrix file may hold
    connection = await asyncpg.connect(url)
    try:
        code = await connection.fetchval(
            "SELECT code FROM municipality m WHERE NOT EXISTS (SELECT 1 FROM instrument i WHERE "
            "i.owner_type = 'municipality' AND i.owner_code = m.code AND i.kind = 'PMS' AND i.year = 2026) "
            "ORDER BY code LIMIT 1"
        )
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=3600) as client:
            timings = [await _round(connection, client, code, matrix_rows, rows) for _ in range(rounds)]
    finally:
        await connection.close()
    matrix_s, copy_matrix_s, updates_s, copy_updates_s = zip(*timings, strict=True)
    measured = (
        ("goal_matrix", matrix_rows, matrix_s, copy_matrix_s),
        ("status_updates", rows, updates_s, copy_updates_s),
    )
    return [
        {
            "name": name,
            "rows": count,
            "product_s": round(median(seconds), 3),
            "copy_s": round(median(copy), 3),
            "product_rounds_s": [round(value, 3) for value in seconds],
            "copy_rounds_s": [round(value, 3) for value in copy],
        }
        for name, count, seconds, copy in measured
    ]
