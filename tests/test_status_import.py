"""Status updates in bulk (POST /instruments/{id}/status-updates/import): a CSV of entries that
PostgreSQL parses through COPY and checks in one statement. All or nothing, every bad cell
reported by line and column, the same file twice adds nothing, one audit event per import."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.domain.goal_rules import GOAL_STATUS_LABELS, MONITORED
from app.repositories.bulk import driver
from app.repositories.status_imports import COLUMNS, TEXTS, StatusImportRepository, StatusRules, keep_typed
from tests.support import Account, ConnectionBoundDatabase
from tests.test_monitoring import _goals, _history, _meta, _pms, _pri

PROBLEM_JSON = "application/problem+json"


async def _import(
    client: httpx.AsyncClient,
    account: Account,
    instrument: dict[str, Any],
    text: str,
    encoding: str = "utf-8",
    **params: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/instruments/{instrument['id']}/status-updates/import",
        params=params,
        files={"file": ("entradas.csv", text.encode(encoding), "text/csv")},
        headers=account.headers,
    )


def _rejected(response: httpx.Response) -> list[tuple[int, str | None]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["code"] == "import_rejected"
    return [(error["line"], error.get("field")) for error in body["errors"]]


async def _count(database: ConnectionBoundDatabase, instrument_id: str) -> int:
    async with database.session() as session:
        found = await session.scalar(
            sa.text("SELECT count(*) FROM status_update WHERE instrument_id = :i"), {"i": instrument_id}
        )
    return int(found or 0)


async def test_a_file_of_entries_lands_with_every_field_and_becomes_the_current_status(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    _, _, first, second = await _goals(client, gestor, plan, _meta("Primeira"), _meta("Segunda"))
    text = (
        "goal_id;status;reported_on;percent_complete;achieved_value;details;expected_delivery;responsible\n"
        f"{first['id']};Em andamento;2024-04-30;65,5;12.25;“Obras” em curso;2024-12-31; Coordenação \n"
        f"{second['id']};concluida;;100;;;;\n"
        f'{first["id"]};CONCLUÍDA;2024-08-31;100;"1,5";"linha um\nlinha dois";;\n'
    )
    response = await _import(client, gestor, plan, text, reported_on="2024-05-15")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dry_run": False,
        "reported_on": "2024-05-15",
        "rows_read": 3,
        "status_updates_created": 3,
        "status_updates_unchanged": 0,
    }
    history = await _history(client, gestor, first["id"])
    assert [(e["reported_on"], e["status"], e["percent_complete"], e["achieved_value"]) for e in history] == [
        ("2024-04-30", "em_andamento", 65.5, 12.25),
        ("2024-08-31", "concluida", 100.0, 1.5),
    ]
    assert history[0]["details"] == "“Obras” em curso"
    assert history[0]["responsible"] == "Coordenação"  # trimmed, as the single entry's text is
    assert history[0]["expected_delivery"] == "2024-12-31"
    assert history[1]["details"] == "linha um\nlinha dois"
    assert history[0]["author_id"] == str(gestor.user.id)
    [entry] = await _history(client, gestor, second["id"])
    assert (entry["reported_on"], entry["details"], entry["percent_complete"]) == ("2024-05-15", None, 100.0)
    flat = await client.get(
        f"/api/v1/instruments/{plan['id']}/goals", params={"flat": "true", "level": "meta"}, headers=gestor.headers
    )
    assert [item["status"] for item in flat.json()["items"]] == ["concluida", "concluida"]
    async with database.session() as session:  # ids in file order, and the audit names the first and last
        written = (
            await session.execute(
                sa.text("SELECT id, reported_on::text FROM status_update WHERE instrument_id = :i ORDER BY id"),
                {"i": plan["id"]},
            )
        ).all()
        audited = await session.scalar(sa.text("SELECT after FROM audit_event WHERE entity = 'status_update'"))
    assert [day for _, day in written] == ["2024-04-30", "2024-05-15", "2024-08-31"]
    assert (audited["first_id"], audited["last_id"]) == (written[0][0], written[-1][0])


async def test_every_status_is_read_by_its_code_and_its_label(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    _, _, meta = await _goals(client, gestor, plan, _meta("Meta"))
    rows = [f"{meta['id']},{name},2024-01-{n + 1:02d}" for n, name in enumerate([*GOAL_STATUS_LABELS.values()])]
    rows += [f"{meta['id']},{code},2024-02-{n + 1:02d}" for n, code in enumerate(GOAL_STATUS_LABELS)]
    response = await _import(client, gestor, plan, "goal_id,status,reported_on\n" + "\n".join(rows))
    assert response.status_code == 200, response.text
    statuses = [entry["status"] for entry in await _history(client, gestor, meta["id"])]
    assert statuses == [str(code) for code in GOAL_STATUS_LABELS] * 2


async def test_every_bad_cell_is_reported_and_nothing_is_written(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    diretriz, _, meta = await _goals(client, gestor, plan, _meta("Meta"))
    other_plan = await _pms(client, gestor, year=2018)
    _, _, elsewhere = await _goals(client, gestor, other_plan, _meta("De outro plano"))
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    long_text = "x" * 5001
    m = meta["id"]
    text = "\n".join(
        [
            "goal_id;status;reported_on;percent_complete;achieved_value;expected_delivery;details",
            f"{m};em_andamento;2024-01-10;50;1;2024-12-31;ok",  # 2: good
            "not-an-id;em_andamento;;;;;",  # 3
            f"{elsewhere['id']};em_andamento;;;;;",  # 4: another instrument's meta
            f"{diretriz['id']};em_andamento;;;;;",  # 5: a diretriz is not reported on
            f"{m};quase pronta;;;;;",  # 6
            f"{m};;;;;;",  # 7
            f"{m};em_andamento;{tomorrow};;;;",  # 8
            f"{m};em_andamento;31/01/2024;101;NaN;amanhã;{long_text}",  # 9: five cells
            f"{m};em_andamento;2024-02-30;-1;1e999;2024-13-01;",  # 10: four cells
            ";em_andamento;;;;;",  # 11
        ]
    )
    problems = _rejected(await _import(client, gestor, plan, text))
    assert problems == [
        (3, "goal_id"),
        (4, "goal_id"),
        (5, "goal_id"),
        (6, "status"),
        (7, "status"),
        (8, "reported_on"),
        (9, "achieved_value"),
        (9, "details"),
        (9, "expected_delivery"),
        (9, "percent_complete"),
        (9, "reported_on"),
        (10, "achieved_value"),
        (10, "expected_delivery"),
        (10, "percent_complete"),
        (10, "reported_on"),
        (11, "goal_id"),
    ]
    assert await _count(database, plan["id"]) == 0


async def test_the_file_is_checked_before_any_row(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    _, _, meta = await _goals(client, gestor, plan, _meta("Meta"))
    assert _rejected(await _import(client, gestor, plan, "")) == [(1, None)]
    assert _rejected(await _import(client, gestor, plan, "goal_id;situacao\nx;y")) == [(1, "situacao"), (1, "status")]
    assert _rejected(await _import(client, gestor, plan, "goal_id;status;status\n")) == [(1, "status")]
    too_many = f"goal_id;status\n{meta['id']};em_andamento\n{meta['id']};em_andamento;2024-01-01\n"
    assert _rejected(await _import(client, gestor, plan, too_many)) == [(3, None)]
    unclosed = f'goal_id;status;details\n{meta["id"]};em_andamento;"aberta\n'
    assert _rejected(await _import(client, gestor, plan, unclosed))[0][1] is None
    nul = f"goal_id;status;details\n{meta['id']};em_andamento;a\x00b\n"
    assert _rejected(await _import(client, gestor, plan, nul))[0][1] is None
    future = await _import(client, gestor, plan, "goal_id;status\n", reported_on="2999-01-01")
    assert (future.status_code, future.json()["code"]) == (422, "invalid_date")
    assert await _history(client, gestor, meta["id"]) == []


async def test_latin1_files_and_a_second_sending_that_adds_nothing(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    _, _, meta = await _goals(client, gestor, plan, _meta("Meta"))
    text = f"GOAL_ID;Status;Reported_on;Details\n{meta['id']};Não iniciada;2024-03-01;ação\n"
    first = await _import(client, gestor, plan, text, encoding="latin-1")
    assert first.json()["status_updates_created"] == 1, first.text
    again = await _import(client, gestor, plan, text, encoding="latin-1")
    assert (again.json()["status_updates_created"], again.json()["status_updates_unchanged"]) == (0, 1)
    checked = await _import(client, gestor, plan, text.replace("ação", "outra"), dry_run="true")
    assert (checked.json()["dry_run"], checked.json()["status_updates_created"]) == (True, 1)
    assert [e["details"] for e in await _history(client, gestor, meta["id"])] == ["ação"]
    async with database.session() as session:
        events = (
            await session.execute(
                sa.text("SELECT action, after FROM audit_event WHERE entity = 'status_update' ORDER BY id")
            )
        ).all()
    assert [(action, after["status_updates_created"], len(after["sha256"])) for action, after in events] == [
        ("import", 1, 64),
        ("import", 0, 64),
    ]
    assert await _count(database, plan["id"]) == 1


async def test_who_may_import_entries(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    """As who may report: the plan's writers; an apoiador on its region's plan only; 404 out of scope."""
    gestor, apoiador, ses = accounts["gestor"], accounts["apoiador"], accounts["ses"]
    plan = await _pms(client, gestor)
    _, _, meta = await _goals(client, gestor, plan, _meta("Meta"))
    text = f"goal_id,status\n{meta['id']},em_andamento\n"
    assert (await _import(client, apoiador, plan, text)).status_code == 403
    assert (await _import(client, accounts["gestor_other"], plan, text)).status_code == 404
    assert (await _import(client, accounts["auditor"], plan, text)).status_code == 403
    regional = await _pri(client, ses, "13001")
    _, _, regional_meta = await _goals(client, ses, regional, _meta("Regional"))
    answer = await _import(client, apoiador, regional, f"goal_id,status\n{regional_meta['id']},em_andamento\n")
    assert answer.status_code == 200, answer.text


async def test_cells_are_read_trimmed_and_a_blank_optional_cell_is_no_value(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    """Every typed cell is read from its trimmed text: padded ids, labels, days and numbers land,
    a cell of spaces is an empty one (missing where required, absent where optional)."""
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    _, _, meta = await _goals(client, gestor, plan, _meta("Meta"))
    m = meta["id"]
    text = (
        "goal_id;status;reported_on;percent_complete;achieved_value;expected_delivery;details\n"
        f"  {m}  ; Parcialmente Atrasada ;  2024-03-31 ;  7,25 ;   ;   ; \n"
        f"{m};   ;2024-04-30;;;;\n"
        f"   ;em_andamento;2024-04-30;;;;\n"
    )
    problems = _rejected(await _import(client, gestor, plan, text))
    assert problems == [(3, "status"), (4, "goal_id")]
    good = await _import(client, gestor, plan, text.rsplit("\n", 3)[0] + "\n")
    assert good.status_code == 200, good.text
    [entry] = await _history(client, gestor, m)
    assert (entry["status"], entry["reported_on"], entry["percent_complete"]) == (
        "parcialmente_atrasada",
        "2024-03-31",
        7.25,
    )
    assert (entry["achieved_value"], entry["expected_delivery"], entry["details"]) == (None, None, None)


LABELS = {str(code): label for code, label in GOAL_STATUS_LABELS.items()}
RULES = StatusRules(LABELS, frozenset(MONITORED), 5000, date.today())
ODD_CELL = st.text(alphabet="0123456789-,.eE aNnIif:/{}x", max_size=12)  # what parsers trip on
DAYS = st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat)
NUMBERS = st.decimals(-1000, 1000, places=2).map(lambda n: str(n).replace(".", ",")) | st.floats(-1e6, 1e6).map(str)
GOOD_CELLS = {
    "goal_id": st.uuids().map(str),
    "status": st.sampled_from([*LABELS, *LABELS.values(), "CONCLUÍDA", " em andamento ", "Nao Iniciada"]),
    "reported_on": DAYS,
    "percent_complete": NUMBERS,
    "achieved_value": NUMBERS,
    "expected_delivery": DAYS,
}
# Cells of their column's type that the checks refuse (no code, not YYYY-MM-DD, not finite)...
REFUSED_DAYS = st.sampled_from(["31/01/2024", "2024-1-5", "20240105", "amanhã", "jan 5 2024"])
REFUSED_NUMBERS = st.sampled_from(["NaN", "nan", "inf", "-Infinity", "Infinity"])
REFUSED_CELLS = GOOD_CELLS | {
    "status": st.sampled_from(["quase pronta", "concluído", "EM-ANDAMENTO"]) | ODD_CELL,
    "reported_on": REFUSED_DAYS,
    "percent_complete": REFUSED_NUMBERS,
    "achieved_value": REFUSED_NUMBERS,
    "expected_delivery": REFUSED_DAYS,
}
# ...and cells that are not of their type at all.
BROKEN_DAYS = st.sampled_from(["2024-02-30", "2024-13-01", "0000-01-01", "2024-12-32"])
BROKEN_NUMBERS = st.sampled_from(["1e999", "1e-999", "1,2,3", "1..5", "abc", "5%"])
BROKEN_CELLS = {
    "goal_id": st.sampled_from(["not-an-id", "1234", "a0eebc99-9c0b"]) | ODD_CELL,
    "status": ODD_CELL,
    "reported_on": BROKEN_DAYS | ODD_CELL,
    "percent_complete": BROKEN_NUMBERS | ODD_CELL,
    "achieved_value": BROKEN_NUMBERS | ODD_CELL,
    "expected_delivery": BROKEN_DAYS | ODD_CELL,
}
TYPED_COLUMNS = list(GOOD_CELLS)
TEXT_CELLS = dict.fromkeys(TEXTS, ODD_CELL)


@st.composite
def status_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]], bool]:
    """A file's typed columns (goal_id, status and any of the others), rows of cells, some of a
    column or two refused or broken, and whether none is broken."""
    columns = ["goal_id", "status", *draw(st.lists(st.sampled_from([*TYPED_COLUMNS[2:], *TEXTS]), unique=True))]
    spoilt = draw(st.sets(st.sampled_from(TYPED_COLUMNS), max_size=2))
    bad = draw(st.sampled_from((REFUSED_CELLS, BROKEN_CELLS))) | TEXT_CELLS
    good = GOOD_CELLS | TEXT_CELLS
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        rows.append([draw(bad[c] if c in spoilt and draw(st.booleans()) else good[c]) for c in columns])
    return columns, rows, bad["status"] is REFUSED_CELLS["status"] or not spoilt & set(columns)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status_files())
async def test_cells_read_quickly_read_as_they_do_carefully(
    connection: AsyncConnection, drawn: tuple[list[str], list[list[str]], bool]
) -> None:
    """The typed pass reads each cell without testing it first, and reads the file again testing
    each cell only when a cell stops it: whichever way a file was read, its typed table is the
    careful reading's, and a file whose every cell is of its type is read the quick way. A column
    the file does not carry reads as it would were each of its cells empty."""
    columns, rows, of_their_types = drawn
    labels = tuple(sorted(LABELS.items()))
    body = "".join(";".join(row) + "\n" for row in rows).encode()
    read = "SELECT * FROM status_typed ORDER BY n"
    savepoint = await connection.begin_nested()
    try:
        async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
            repository = StatusImportRepository(session)
            staged = await repository.stage(columns, body, ";", RULES)
            assert staged == len(rows)
            typed = await driver(session)
            as_staged = list(await typed.fetch(read))

            async def reading(careful: bool) -> list[Any] | None:
                await typed.execute("DROP TABLE status_typed")
                try:
                    async with typed.transaction():
                        await typed.execute(keep_typed(careful, labels, frozenset(columns)))
                except asyncpg.DataError:
                    return None
                return list(await typed.fetch(read))

            carefully = await reading(careful=True)
            assert as_staged == carefully
            quickly = await reading(careful=False)
            assert quickly in (None, carefully)
            if of_their_types:
                assert quickly is not None
            every_column = [[dict(zip(columns, row, strict=True)).get(c, "") for c in COLUMNS] for row in rows]
            full = "".join(";".join(row) + "\n" for row in every_column).encode()
            assert await repository.stage(list(COLUMNS), full, ";", RULES) == len(rows)
            assert list(await typed.fetch(read)) == as_staged
    finally:
        await savepoint.rollback()


async def test_days_are_read_whatever_the_servers_date_style(connection: AsyncConnection) -> None:
    """The quick reading keeps a day only when PostgreSQL writes it back as the file did, so it
    must write days as ISO whatever the server was set to."""
    savepoint = await connection.begin_nested()
    try:
        async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
            await session.execute(sa.text("SET LOCAL DateStyle = 'German, DMY'"))
            body = b"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11;concluida;2024-03-31\n"
            assert await StatusImportRepository(session).stage(["goal_id", "status", "reported_on"], body, ";", RULES)
            day = await (await driver(session)).fetchval("SELECT reported_on FROM status_typed")
    finally:
        await savepoint.rollback()
    assert day == date(2024, 3, 31)
