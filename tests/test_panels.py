"""Panels count what compliance lists; CSV and XLSX carry the same numbers."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.routes.panels import PanelOut
from app.domain.instrument_rules import Situation, Status, days_late, situation
from app.repositories.instruments import days_late_of, situation_of
from app.repositories.panels import situation_sql, situation_tests
from tests.support import Account, ConnectionBoundDatabase, graphql
from tests.test_compliance import _instrument, _region_of_twenty

PANEL = "/api/v1/panels/instruments"
QUERY = {"year": 2024, "group_by": "region", "uf": "AM", "as_of": "2025-06-01"}


async def _setup(client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase) -> None:
    admin = accounts["admin"]
    codes = await _region_of_twenty(client, database)
    await _instrument(client, admin, codes[0], kind="PMS", year=2022)
    rdqa = await _instrument(client, admin, codes[1], kind="RDQA", year=2024, quadrimester=1)
    await client.post(
        f"/api/v1/instruments/{rdqa}/hearings", json={"house": "Câmara", "held_on": "2024-05-20"}, headers=admin.headers
    )


async def test_panel_equals_an_independent_count_of_compliance(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    await _setup(client, accounts, database)
    groups = {g["key"]: g for g in (await client.get(PANEL, params=QUERY)).json()["groups"]}
    compliance = await client.get(
        "/api/v1/compliance", params={"region": "13050", "year": 2024, "as_of": "2025-06-01", "limit": 200}
    )
    expected = [i for ente in compliance.json()["items"] for i in ente["instruments"]]
    region = groups["13050"]
    assert region["name"] == "Região de teste"
    assert region["total"] == len(expected) == 120
    independent = Counter({"pendente": 0, "cumprido_no_prazo": 0, "cumprido_com_atraso": 0, "atrasado": 0})
    independent.update(i["situation"] for i in expected)
    assert region["by_situation"] == dict(independent)
    assert region["by_status"]["nao_iniciado"] == Counter(i["status"] for i in expected)["nao_iniciado"]
    assert region["shares"]["cumprido_no_prazo"] == round(1 / 120, 4)
    # The fixture's regions count too; the state is not in any region.
    assert set(groups) == {"13001", "13002", "13050"}
    assert groups["13001"]["total"] == 2 * 6


async def test_csv_and_xlsx_carry_the_same_numbers(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    await _setup(client, accounts, database)
    groups = (await client.get(PANEL, params=QUERY)).json()["groups"]
    as_json = [
        [g["key"], g["name"], g["year"], g["total"], *g["by_situation"].values(), *g["by_status"].values()]
        for g in groups
    ]

    csv_response = await client.get(PANEL, params=QUERY | {"format": "csv"})
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.headers["content-disposition"].endswith('.csv"')
    text = csv_response.content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:4] == ["Região de saúde", "Nome", "Ano", "Esperados"]
    assert "Cumprido no prazo" in header
    assert "Não Iniciado" in header
    situation_count, status_count = 4, 8
    from_csv = [
        [
            r[0],
            r[1],
            int(r[2]),
            int(r[3]),
            *map(int, r[4 : 4 + situation_count]),
            *map(int, r[4 + 2 * situation_count :]),
        ]
        for r in rows
    ]
    assert from_csv == as_json
    assert len(header) == 4 + 2 * situation_count + status_count

    xlsx = await client.get(PANEL, params=QUERY | {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    header_x, *rows_x = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header_x == header
    from_xlsx: list[list[Any]] = [r[: 4 + situation_count] + r[4 + 2 * situation_count :] for r in rows_x]
    assert from_xlsx == as_json


async def test_group_by_uf_counts_the_state_too_and_kind_narrows(client: httpx.AsyncClient) -> None:
    [amazonas] = (await client.get(PANEL, params={"year": 2025, "group_by": "uf", "uf": "AM"})).json()["groups"]
    assert amazonas["total"] == (62 + 1) * 6
    [rags] = (await client.get(PANEL, params={"year": 2025, "group_by": "uf", "uf": "AM", "kind": "RAG"})).json()[
        "groups"
    ]
    assert rags["total"] == 63


@pytest.mark.parametrize("group_by", ["uf", "region", "municipality"])
async def test_the_whole_country_counts_each_uf_as_the_uf_alone_does(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase, group_by: str
) -> None:
    """Over all UFs or over one, the statement differs (each is planned for its own case):
    Amazonas' groups read the same in both."""
    await _setup(client, accounts, database)
    query = QUERY | {"group_by": group_by}
    alone = (await client.get(PANEL, params=query)).json()["groups"]
    national = (await client.get(PANEL, params={k: v for k, v in query.items() if k != "uf"})).json()["groups"]
    keys = {group["key"] for group in alone}
    assert alone == [group for group in national if group["key"] in keys]
    # Every UF and municipality is in the reference territory; only Amazonas has regions here.
    assert len(national) == {"uf": 27, "region": len(alone), "municipality": 5570}[group_by]


async def test_the_json_is_what_the_documented_model_makes_of_it(client: httpx.AsyncClient) -> None:
    """The route writes the panel's JSON itself: it must read as PanelOut would write it, every
    status and situation present, and a group none of whose entes is expected the kind asked
    for stays, at zero."""
    query = {"year": 2025, "group_by": "municipality", "uf": "RR", "kind": "PES", "as_of": "2025-06-01"}
    body = (await client.get(PANEL, params=query)).json()
    assert PanelOut.model_validate(body).model_dump(mode="json") == body
    assert len(body["groups"]) == 15
    assert all(g["total"] == 0 and set(g["shares"].values()) == {0.0} for g in body["groups"])
    assert list(body["groups"][0]["by_status"]) == [s.value for s in Status]
    assert list(body["groups"][0]["by_situation"]) == list(body["groups"][0]["shares"]) == [s.value for s in Situation]
    [roraima] = (await client.get(PANEL, params=query | {"group_by": "uf"})).json()["groups"]
    assert roraima["total"] == roraima["by_status"]["nao_iniciado"] == 1


async def test_graphql_reads_the_panel_rest_reads(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    await _setup(client, accounts, database)
    rest = (await client.get(PANEL, params=QUERY)).json()["groups"]
    body = await graphql(
        client,
        """{ panels(year: 2024, groupBy: region, uf: "AM", asOf: "2025-06-01") { groups {
            key name year total byStatus { status count } bySituation { situation count share } } } }""",
    )
    read = [
        {
            "key": g["key"],
            "name": g["name"],
            "year": g["year"],
            "total": g["total"],
            "by_status": {c["status"]: c["count"] for c in g["byStatus"]},
            "by_situation": {c["situation"]: c["count"] for c in g["bySituation"]},
            "shares": {c["situation"]: c["share"] for c in g["bySituation"]},
        }
        for g in body["data"]["panels"]["groups"]
    ]
    assert read == rest
    assert any(0 < share < 1 for g in read for share in g["shares"].values())


async def test_series_year_by_year(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PANEL}/series", params={"from": 2023, "to": 2025, "group_by": "uf", "uf": "RR"})
    groups = response.json()["groups"]
    assert [(g["key"], g["year"]) for g in groups] == [("RR", 2023), ("RR", 2024), ("RR", 2025)]
    assert all(g["total"] == (15 + 1) * 6 for g in groups)
    backwards = await client.get(f"{PANEL}/series", params={"from": 2025, "to": 2023})
    assert backwards.status_code == 422


async def test_the_sql_situation_rule_is_the_domains_at_every_boundary(connection: AsyncConnection) -> None:
    """The panel counts situations in SQL; every ordering of deadline, milestone and day (and
    their absence) must give what app.domain.instrument_rules.situation gives."""
    pivot = date(2024, 5, 31)
    near: list[date | None] = [None, *(pivot + timedelta(days=d) for d in (-1, 0, 1))]
    cases = [(due, reached, as_of) for due in near for reached in near for as_of in near if as_of is not None]
    domains = [situation(due, reached, as_of) for due, reached, as_of in cases]  # type: ignore[arg-type]

    async def over_the_cases(columns: str) -> list[Any]:
        statement = f"""SELECT {columns} FROM unnest(CAST(:dues AS date[]), CAST(:reached AS date[]),
            CAST(:days AS date[])) WITH ORDINALITY AS c(due, reached, as_of, n) ORDER BY n"""  # noqa: S608 (the rule's own text)
        given = {"dues": [c[0] for c in cases], "reached": [c[1] for c in cases], "days": [c[2] for c in cases]}
        return list(await connection.execute(sa.text(statement), given))

    assert [row[0] for row in await over_the_cases(situation_sql("due", "reached", "as_of"))] == domains
    # The tests the counts filter by: exactly the domain's situation holds, and none is null.
    tests = situation_tests("due", "reached", "as_of")
    rows = await over_the_cases(", ".join(f"coalesce({test}, false)" for test in tests.values()))
    assert [[name for name, holds in zip(tests, row, strict=True) if holds] for row in rows] == [[s] for s in domains]

    # The same rule, and days_late, as the whole reads write them (app.repositories.instruments).
    given = (
        sa.func.unnest(
            sa.literal([c[0] for c in cases], ARRAY(sa.Date)),
            sa.literal([c[1] for c in cases], ARRAY(sa.Date)),
            sa.literal([c[2] for c in cases], ARRAY(sa.Date)),
        )
        .table_valued("due", "reached", "as_of", with_ordinality="n")
        .render_derived(name="given")
    )
    c = given.c
    rows = await connection.execute(
        sa.select(situation_of(c.due, c.reached, c.as_of), days_late_of(c.due, c.reached, c.as_of)).order_by(c.n)
    )
    assert [tuple(row) for row in rows] == [
        (situation(due, reached, as_of), days_late(due, reached, as_of))  # type: ignore[arg-type]
        for due, reached, as_of in cases
    ]


async def test_an_entes_own_calendar_moves_its_missing_instruments_deadlines(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    """Manaus approves its PAS by 30 June: on 1 June 2024 its missing PAS 2025 is still pending,
    where every other municipality's (due 15 April) is late. The panel says what compliance says."""
    admin = accounts["admin"]
    moved = await client.put(
        "/api/v1/entes/municipality/1302603/calendar", json={"ldo_bill_due": "06-30"}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    query = {"year": 2025, "group_by": "municipality", "uf": "AM", "kind": "PAS", "as_of": "2024-06-01"}
    groups = {g["key"]: g for g in (await client.get(PANEL, params=query)).json()["groups"]}
    assert len(groups) == 62
    for code in ("1302603", "1303809"):
        compliance = await client.get(
            "/api/v1/compliance", params={"municipality": code, "year": 2025, "as_of": "2024-06-01"}
        )
        [ente] = compliance.json()["items"]
        [pas] = [i for i in ente["instruments"] if i["kind"] == "PAS"]
        assert groups[code]["by_situation"][pas["situation"]] == groups[code]["total"] == 1
    assert groups["1302603"]["by_situation"]["pendente"] == 1
    assert groups["1303809"]["by_situation"]["atrasado"] == 1


async def test_by_uf_the_panel_counts_what_compliance_lists_under_own_calendars(
    client: httpx.AsyncClient, accounts: dict[str, Account], database: ConnectionBoundDatabase
) -> None:
    """By UF the panel counts the instruments made and subtracts them from the entes. The state
    and Manaus move their PAS deadline: Manaus' missing PAS 2025 is still pending on 1 June
    2024 where every other municipality's is late, and the state's, made, counts as made. Over
    the UF and over the country, the panel says what compliance lists."""
    await _setup(client, accounts, database)
    admin = accounts["admin"]
    for ente in ("state/AM", "municipality/1302603"):
        calendar = {"ldo_bill_due": "06-30"}
        moved = await client.put(f"/api/v1/entes/{ente}/calendar", json=calendar, headers=admin.headers)
        assert moved.status_code == 200, moved.text
    await _instrument(client, admin, "AM", owner_type="state", kind="PAS", year=2025)
    day = {"year": 2025, "as_of": "2024-06-01"}
    compliance = await client.get("/api/v1/compliance", params=day | {"uf": "AM", "limit": 200})
    expected = [i for ente in compliance.json()["items"] for i in ente["instruments"]]
    assert len(expected) == (62 + 1) * 6
    [alone] = (await client.get(PANEL, params=day | {"group_by": "uf", "uf": "AM"})).json()["groups"]
    national = {g["key"]: g for g in (await client.get(PANEL, params=day | {"group_by": "uf"})).json()["groups"]}
    situations = Counter({"pendente": 0, "cumprido_no_prazo": 0, "cumprido_com_atraso": 0, "atrasado": 0})
    situations.update(i["situation"] for i in expected)
    statuses = Counter(i["status"] for i in expected)
    for amazonas in (alone, national["AM"]):
        assert amazonas["total"] == len(expected)
        assert amazonas["by_situation"] == dict(situations)
        assert {s: n for s, n in amazonas["by_status"].items() if n} == dict(statuses)
    pas = [i for ente in compliance.json()["items"] for i in ente["instruments"] if i["kind"] == "PAS"]
    assert Counter(i["situation"] for i in pas)["pendente"] == 2
