"""Monitoring through the API (product.md §4–§5): status updates and their corrections, who may
report, the instrument's feed of entries, anonymous reads, monitoring rounds and their report,
progress as of a date, and the audit trail."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.exc import DBAPIError

from tests.support import MANAUS, Account, ConnectionBoundDatabase
from tests.test_goal_import import new_instrument, walk

PROBLEM_JSON = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DIRETRIZ = "Diretriz 1 - Fortalecer a atenção primária"
OBJETIVO = "1.1 Ampliar o acesso"


async def _pms(client: httpx.AsyncClient, gestor: Account, **body: Any) -> dict[str, Any]:
    """A PMS 2022–2025 of Manaus, built in DGMP's levels."""
    fields = {"kind": "PMS", "owner_type": "municipality", "owner": MANAUS, "year": 2022} | body
    return await new_instrument(client, gestor, structure="dgmp", **fields)


async def _pri(client: httpx.AsyncClient, ses: Account, region: str) -> dict[str, Any]:
    return await new_instrument(
        client, ses, structure="dgmp", kind="PRI", owner_type="region", owner=region, year=2024, end_year=2027
    )


def _meta(description: str, **fields: Any) -> dict[str, Any]:
    return {"level": "meta", "description": description} | fields


async def _goals(
    client: httpx.AsyncClient, account: Account, instrument: dict[str, Any], *metas: dict[str, Any]
) -> list[dict[str, Any]]:
    """diretriz → objetivo → these metas, in one request; the nodes in reading order."""
    body = {
        "level": "diretriz",
        "number": "1",
        "description": DIRETRIZ,
        "children": [{"level": "objetivo", "number": "1.1", "description": OBJETIVO, "children": list(metas)}],
    }
    response = await client.post(f"/api/v1/instruments/{instrument['id']}/goals", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    nodes = walk([response.json()])
    assert [node["level"] for node in nodes] == ["diretriz", "objetivo"] + ["meta"] * len(metas)
    return nodes


async def _metas(
    client: httpx.AsyncClient, account: Account, instrument: dict[str, Any], *metas: dict[str, Any]
) -> list[dict[str, Any]]:
    return (await _goals(client, account, instrument, *metas))[2:]


async def _report(client: httpx.AsyncClient, account: Account | None, goal_id: str, **body: Any) -> httpx.Response:
    headers = account.headers if account else {}
    return await client.post(f"/api/v1/goals/{goal_id}/status-updates", json=body, headers=headers)


async def _entry(client: httpx.AsyncClient, account: Account, goal_id: str, **body: Any) -> dict[str, Any]:
    response = await _report(client, account, goal_id, **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _history(client: httpx.AsyncClient, account: Account | None, goal_id: str) -> list[dict[str, Any]]:
    headers = account.headers if account else {}
    response = await client.get(f"/api/v1/goals/{goal_id}/status-updates", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def _goal(client: httpx.AsyncClient, account: Account, goal_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/goals/{goal_id}", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = dict(response.json())
    assert (body["status"], body["code"]) == (status, code)
    return body


# ----- status updates --------------------------------------------------------------------------


async def test_a_gestor_reports_and_the_latest_entry_by_reported_on_then_id_is_current(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    [meta] = await _metas(client, gestor, plan, _meta("Ampliar a cobertura de APS para 80%"))
    assert (meta["status"], meta["current_status"]) == (None, None)

    march = await _entry(
        client,
        gestor,
        meta["id"],
        status="em_andamento",
        reported_on="2024-03-01",
        percent_complete=40,
        achieved_value=72.5,
        details="Três novas equipes",
        difficulties="Contratação de médicos",
        expected_delivery="2025-06-30",
        next_steps="Abrir edital",
        partial_product="Edital publicado",
        responsible="DAB",
    )
    assert march["goal_id"] == meta["id"]
    assert (march["status"], march["status_label"], march["reported_on"]) == (
        "em_andamento",
        "Em andamento",
        "2024-03-01",
    )
    assert (march["percent_complete"], march["achieved_value"]) == (40.0, 72.5)
    assert (march["details"], march["difficulties"]) == ("Três novas equipes", "Contratação de médicos")
    assert (march["expected_delivery"], march["next_steps"]) == ("2025-06-30", "Abrir edital")
    assert (march["partial_product"], march["responsible"]) == ("Edital publicado", "DAB")
    assert (march["supersedes"], march["superseded_by"], march["round_id"]) == (None, None, None)
    assert march["author_id"] == str(gestor.user.id)

    # Recorded later but reported on an earlier day: not the current status.
    january = await _entry(client, gestor, meta["id"], status="parada", reported_on="2024-01-15")
    assert (await _goal(client, gestor, meta["id"]))["status"] == "em_andamento"
    # The same day as the March entry: the later entry (higher id) wins.
    same_day = await _entry(client, gestor, meta["id"], status="atrasada", reported_on="2024-03-01")
    assert march["id"] < january["id"] < same_day["id"]

    current = await _goal(client, gestor, meta["id"])
    assert current["status"] == "atrasada"
    assert current["current_status"]["id"] == same_day["id"]
    assert current["current_status"]["status_label"] == "Atrasada"
    earlier = await _goal(client, gestor, meta["id"], as_of="2024-02-01")
    assert (earlier["status"], earlier["current_status"]["id"]) == ("parada", january["id"])
    before_any = await _goal(client, gestor, meta["id"], as_of="2024-01-14")
    assert (before_any["status"], before_any["current_status"]) == (None, None)

    history = await _history(client, gestor, meta["id"])
    assert [entry["id"] for entry in history] == [january["id"], march["id"], same_day["id"]]
    assert history[1] == march

    tree = await client.get(f"/api/v1/instruments/{plan['id']}/goals", headers=gestor.headers)
    [in_tree] = [node for node in walk(tree.json()) if node["id"] == meta["id"]]
    assert (in_tree["status"], in_tree["current_status"]["id"]) == ("atrasada", same_day["id"])


async def test_an_entry_without_reported_on_is_dated_today_and_the_future_is_refused(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    [meta] = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta"))
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    problem = _problem(
        await _report(client, gestor, meta["id"], status="em_andamento", reported_on=tomorrow.isoformat()),
        422,
        "invalid_date",
    )
    assert tomorrow.isoformat() in problem["detail"]
    assert await _history(client, gestor, meta["id"]) == []
    today = await _entry(client, gestor, meta["id"], status="em_andamento")
    assert today["reported_on"] == datetime.now(UTC).date().isoformat()


async def test_a_diretriz_is_not_reported_on(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    diretriz, objetivo, _ = await _goals(client, gestor, await _pms(client, gestor), _meta("Meta"))
    for node in (diretriz, objetivo):
        response = await _report(client, gestor, node["id"], status="em_andamento", reported_on="2024-03-01")
        _problem(response, 422, "not_monitored")
        assert await _history(client, gestor, node["id"]) == []


async def test_a_correction_supersedes_its_entry_once(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    meta, other = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta 1"), _meta("Meta 2"))
    wrong = await _entry(client, gestor, meta["id"], status="concluida", reported_on="2024-05-01", percent_complete=100)
    assert (await _goal(client, gestor, meta["id"]))["status"] == "concluida"

    # A correction reports on the day of the entry it corrects: another day is refused.
    moved = await _report(
        client, gestor, meta["id"], status="em_andamento", reported_on="2024-04-20", supersedes=wrong["id"]
    )
    _problem(moved, 422, "invalid_correction")
    correction = await _entry(
        client, gestor, meta["id"], status="em_andamento", percent_complete=60, supersedes=wrong["id"]
    )
    assert (correction["supersedes"], correction["superseded_by"]) == (wrong["id"], None)
    assert correction["reported_on"] == "2024-05-01"
    current = await _goal(client, gestor, meta["id"])
    assert (current["status"], current["current_status"]["id"]) == ("em_andamento", correction["id"])
    assert current["current_status"]["percent_complete"] == 60.0

    history = await _history(client, gestor, meta["id"])
    assert [(e["id"], e["status"], e["supersedes"], e["superseded_by"]) for e in history] == [
        (wrong["id"], "concluida", None, correction["id"]),  # the original is kept, marked
        (correction["id"], "em_andamento", wrong["id"], None),
    ]

    again = await _report(client, gestor, meta["id"], status="parada", reported_on="2024-04-21", supersedes=wrong["id"])
    assert _problem(again, 409, "already_superseded")["correction_id"] == correction["id"]

    elsewhere = await _entry(client, gestor, other["id"], status="nao_iniciada", reported_on="2024-04-01")
    foreign = await _report(
        client, gestor, meta["id"], status="parada", reported_on="2024-04-21", supersedes=elsewhere["id"]
    )
    _problem(foreign, 422, "unknown_entry")
    missing = await _report(client, gestor, meta["id"], status="parada", reported_on="2024-04-21", supersedes=2**40)
    _problem(missing, 422, "unknown_entry")

    assert await _history(client, gestor, meta["id"]) == history
    assert [e["id"] for e in await _history(client, gestor, other["id"])] == [elsewhere["id"]]
    # A correction of the correction is allowed: the chain goes on.
    final = await _entry(client, gestor, meta["id"], status="parada", supersedes=correction["id"])
    assert (await _goal(client, gestor, meta["id"]))["current_status"]["id"] == final["id"]


async def test_correcting_an_old_entry_changes_only_what_it_corrected(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    [meta] = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta"))
    first = await _entry(client, gestor, meta["id"], status="em_andamento", reported_on="2024-01-10")
    await _entry(client, gestor, meta["id"], status="concluida", reported_on="2024-03-01")
    await _entry(client, gestor, meta["id"], status="parada", supersedes=first["id"])

    async def status_on(day: str) -> str | None:
        goal = await client.get(f"/api/v1/goals/{meta['id']}", params={"as_of": day}, headers=gestor.headers)
        return goal.json()["status"]

    assert await status_on("2024-01-05") is None
    assert await status_on("2024-02-01") == "parada"  # what January's report now says
    assert await status_on("2024-06-01") == "concluida"  # the later report still stands


async def test_a_correction_naming_an_impossible_entry_is_422(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    [meta] = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta"))
    response = await _report(client, gestor, meta["id"], status="parada", supersedes=2**70)
    _problem(response, 422, "invalid_input")


async def test_entries_are_never_changed_in_the_database(
    database: ConnectionBoundDatabase, client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    [meta] = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta"))
    entry = await _entry(client, gestor, meta["id"], status="em_andamento", reported_on="2024-03-01")
    async with database.session() as session:
        for statement in (
            "UPDATE status_update SET status = 'concluida'",
            "UPDATE status_update SET reported_on = DATE '2024-01-01'",
            "DELETE FROM status_update",
        ):
            with pytest.raises(DBAPIError, match="status updates are never changed"):
                async with session.begin_nested():
                    await session.execute(sa.text(statement))
        found = (await session.execute(sa.text("SELECT id, status, reported_on FROM status_update"))).all()
        assert [tuple(row) for row in found] == [(entry["id"], "em_andamento", date(2024, 3, 1))]
    assert [e["status"] for e in await _history(client, gestor, meta["id"])] == ["em_andamento"]


# ----- who may report --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("gestor_other", 404, "not_found"),
        ("auditor", 403, "forbidden"),
        ("conselho", 403, "forbidden"),
        ("apoiador", 403, "forbidden"),
        (None, 401, "unauthenticated"),
    ],
    ids=["gestor of another municipality", "auditor", "conselho", "apoiador on a municipal plan", "anonymous"],
)
async def test_who_may_not_report_on_a_municipal_plan(
    client: httpx.AsyncClient, accounts: dict[str, Account], role: str | None, status: int, code: str
) -> None:
    gestor = accounts["gestor"]
    [meta] = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta"))
    first = await _entry(client, gestor, meta["id"], status="em_andamento", reported_on="2024-03-01")
    caller = accounts[role] if role else None
    response = await _report(client, caller, meta["id"], status="concluida", reported_on="2024-04-01")
    _problem(response, status, code)
    assert await _history(client, gestor, meta["id"]) == [first]
    assert (await _goal(client, gestor, meta["id"]))["status"] == "em_andamento"


async def test_the_apoiador_reads_the_municipal_plan_of_its_region_but_does_not_report_on_it(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor, apoiador = accounts["gestor"], accounts["apoiador"]
    [meta] = await _metas(client, gestor, await _pms(client, gestor), _meta("Meta"))
    first = await _entry(client, gestor, meta["id"], status="em_andamento", reported_on="2024-03-01")
    assert (await _goal(client, apoiador, meta["id"]))["status"] == "em_andamento"
    assert await _history(client, apoiador, meta["id"]) == [first]
    _problem(await _report(client, apoiador, meta["id"], status="parada", reported_on="2024-04-01"), 403, "forbidden")
    assert await _history(client, gestor, meta["id"]) == [first]


async def test_the_apoiador_reports_on_the_regional_plan_of_its_region_only(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses, apoiador = accounts["ses"], accounts["apoiador"]
    [own] = await _metas(client, ses, await _pri(client, ses, "13001"), _meta("Regular o acesso na região"))
    [other] = await _metas(client, ses, await _pri(client, ses, "13002"), _meta("Meta de outra região"))

    entry = await _entry(client, apoiador, own["id"], status="em_andamento", reported_on="2024-06-01")
    assert entry["author_id"] == str(apoiador.user.id)
    assert [e["id"] for e in await _history(client, ses, own["id"])] == [entry["id"]]
    assert (await _goal(client, ses, own["id"]))["status"] == "em_andamento"

    _problem(
        await _report(client, apoiador, other["id"], status="em_andamento", reported_on="2024-06-01"), 404, "not_found"
    )
    assert await _history(client, ses, other["id"]) == []


async def test_the_ses_reports_on_a_regional_plan_of_its_uf_and_not_another_ufs(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    [meta] = await _metas(client, ses, await _pri(client, ses, "13001"), _meta("Meta"))
    await _entry(client, ses, meta["id"], status="nao_iniciada", reported_on="2024-06-01")
    refused = await _report(client, accounts["ses_sp"], meta["id"], status="parada", reported_on="2024-06-02")
    _problem(refused, 404, "not_found")
    assert [e["status"] for e in await _history(client, ses, meta["id"])] == ["nao_iniciada"]


# ----- the instrument's feed -------------------------------------------------------------------


async def test_the_instruments_entries_in_recording_order_paged_and_since(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    first_meta, second_meta = await _metas(client, gestor, plan, _meta("Meta 1"), _meta("Meta 2"))
    other_plan = await _pms(client, gestor, kind="PAS", year=2024)
    [stranger] = await _metas(client, gestor, other_plan, _meta("Meta de outro instrumento"))

    # Reported on days out of order: the feed follows the order they were recorded.
    entries = [
        await _entry(client, gestor, first_meta["id"], status="em_andamento", reported_on="2024-06-01"),
        await _entry(client, gestor, second_meta["id"], status="parada", reported_on="2024-02-01"),
        await _entry(client, gestor, stranger["id"], status="parada", reported_on="2024-03-01"),
        await _entry(client, gestor, first_meta["id"], status="atrasada", reported_on="2024-01-01"),
    ]
    ours = [entries[0], entries[1], entries[3]]
    url = f"/api/v1/instruments/{plan['id']}/status-updates"

    whole = await client.get(url, headers=gestor.headers)
    assert whole.status_code == 200, whole.text
    assert whole.json() == {"items": ours, "next_cursor": None}

    page_1 = (await client.get(url, params={"limit": 2}, headers=gestor.headers)).json()
    assert [e["id"] for e in page_1["items"]] == [ours[0]["id"], ours[1]["id"]]
    assert page_1["next_cursor"] is not None
    page_2 = (
        await client.get(url, params={"limit": 2, "cursor": page_1["next_cursor"]}, headers=gestor.headers)
    ).json()
    assert [e["id"] for e in page_2["items"]] == [ours[2]["id"]]
    assert page_2["next_cursor"] is None

    since = (await client.get(url, params={"since": ours[1]["recorded_at"]}, headers=gestor.headers)).json()
    assert [e["id"] for e in since["items"]] == [ours[1]["id"], ours[2]["id"]]
    later = datetime.fromisoformat(ours[2]["recorded_at"]) + timedelta(microseconds=1)
    after_all = await client.get(url, params={"since": later.isoformat()}, headers=gestor.headers)
    assert after_all.json() == {"items": [], "next_cursor": None}

    # A correction shows on the entry it replaced, in the feed too.
    correction = await _entry(
        client, gestor, second_meta["id"], status="em_andamento", reported_on="2024-02-01", supersedes=ours[1]["id"]
    )
    feed = (await client.get(url, headers=gestor.headers)).json()["items"]
    assert [(e["id"], e["superseded_by"]) for e in feed] == [
        (ours[0]["id"], None),
        (ours[1]["id"], correction["id"]),
        (ours[2]["id"], None),
        (correction["id"], None),
    ]
    bad = await client.get(url, params={"cursor": "not-a-cursor"}, headers=gestor.headers)
    _problem(bad, 422, "invalid_cursor")
    _problem(await client.get(url, headers=accounts["gestor_other"].headers), 404, "not_found")


# ----- anonymous reads -------------------------------------------------------------------------


async def test_anonymous_callers_read_monitoring_only_past_drafting(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    assert plan["status"] == "nao_iniciado"
    [meta] = await _metas(client, gestor, plan, _meta("Meta"))
    entry = await _entry(client, gestor, meta["id"], status="em_andamento", reported_on="2024-03-01")
    reads = [
        f"/api/v1/instruments/{plan['id']}/goals",
        f"/api/v1/instruments/{plan['id']}/progress",
        f"/api/v1/instruments/{plan['id']}/status-updates",
        f"/api/v1/goals/{meta['id']}",
        f"/api/v1/goals/{meta['id']}/status-updates",
    ]

    async def move(to: str) -> None:
        response = await client.post(
            f"/api/v1/instruments/{plan['id']}/transitions", json={"to": to}, headers=gestor.headers
        )
        assert (response.status_code, response.json()["status"]) == (200, to), response.text

    for url in reads:
        _problem(await client.get(url), 404, "not_found")
    await move("em_elaboracao")
    for url in reads:
        _problem(await client.get(url), 404, "not_found")
    await move("em_analise_conselho")
    for url in reads:
        assert (await client.get(url)).status_code == 200, url

    [node] = [n for n in walk((await client.get(reads[0])).json()) if n["id"] == meta["id"]]
    assert node["status"] == "em_andamento"
    assert (await client.get(reads[1])).json()["by_status"][1] == {
        "status": "em_andamento",
        "label": "Em andamento",
        "count": 1,
    }
    assert [e["id"] for e in (await client.get(reads[2])).json()["items"]] == [entry["id"]]
    assert (await client.get(reads[4])).json() == [entry]
    # Reading is not writing.
    _problem(
        await _report(client, None, meta["id"], status="concluida", reported_on="2024-04-01"), 401, "unauthenticated"
    )


# ----- monitoring rounds -----------------------------------------------------------------------


async def _round(
    client: httpx.AsyncClient, account: Account, instrument: dict[str, Any], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/instruments/{instrument['id']}/rounds", json=body, headers=account.headers)


async def test_rounds_are_created_listed_and_date_the_entries_that_name_them(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    [meta] = await _metas(client, gestor, plan, _meta("Meta"))

    created = await _round(
        client, gestor, plan, name="2º quadrimestre de 2024", held_on="2024-08-31", kind="quadrimester"
    )
    assert created.status_code == 201, created.text
    quadrimester = created.json()
    assert (quadrimester["instrument_id"], quadrimester["name"]) == (plan["id"], "2º quadrimestre de 2024")
    assert (quadrimester["held_on"], quadrimester["kind"], quadrimester["kind_label"]) == (
        "2024-08-31",
        "quadrimester",
        "Quadrimestre",
    )
    meeting = (await _round(client, gestor, plan, name="Reunião de abril", held_on="2024-04-15")).json()
    assert (meeting["kind"], meeting["kind_label"]) == ("meeting", "Reunião de monitoramento")
    form = (
        await _round(client, gestor, plan, name="Formulário de junho", held_on="2024-06-30", kind="monthly_form")
    ).json()
    assert form["kind_label"] == "Formulário mensal"

    listed = await client.get(f"/api/v1/instruments/{plan['id']}/rounds", headers=gestor.headers)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [meeting["id"], form["id"], quadrimester["id"]]  # by day held
    assert listed.json()[2] == quadrimester

    _problem(await _round(client, gestor, plan, name="x", held_on="2024-04-15", kind="annual"), 422, "invalid_input")
    _problem(await _round(client, gestor, plan, name="  ", held_on="2024-04-15"), 422, "invalid_input")

    dated = await _entry(client, gestor, meta["id"], status="em_andamento", round_id=meeting["id"])
    assert (dated["round_id"], dated["reported_on"]) == (meeting["id"], "2024-04-15")
    explicit = await _entry(client, gestor, meta["id"], status="parada", round_id=form["id"], reported_on="2024-06-20")
    assert (explicit["round_id"], explicit["reported_on"]) == (form["id"], "2024-06-20")

    other = await _pms(client, gestor, kind="PAS", year=2024)
    foreign = (await _round(client, gestor, other, name="Reunião do PAS", held_on="2024-05-01")).json()
    refused = await _report(client, gestor, meta["id"], status="concluida", round_id=foreign["id"])
    _problem(refused, 422, "unknown_round")
    assert [e["id"] for e in await _history(client, gestor, meta["id"])] == [dated["id"], explicit["id"]]
    assert [
        r["id"] for r in (await client.get(f"/api/v1/instruments/{other['id']}/rounds", headers=gestor.headers)).json()
    ] == [foreign["id"]]


async def test_who_may_hold_rounds(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    body = {"name": "Reunião", "held_on": "2024-04-15"}
    _problem(await _round(client, accounts["gestor_other"], plan, **body), 404, "not_found")
    _problem(await _round(client, accounts["auditor"], plan, **body), 403, "forbidden")
    _problem(await _round(client, accounts["conselho"], plan, **body), 403, "forbidden")
    _problem(await client.post(f"/api/v1/instruments/{plan['id']}/rounds", json=body), 401, "unauthenticated")
    listed = await client.get(f"/api/v1/instruments/{plan['id']}/rounds", headers=gestor.headers)
    assert listed.json() == []
    _problem(
        await client.get(f"/api/v1/instruments/{plan['id']}/rounds", headers=accounts["gestor_other"].headers),
        404,
        "not_found",
    )


async def test_a_rounds_report_shows_each_meta_as_of_the_rounds_day(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    before, after, silent = await _metas(
        client,
        gestor,
        plan,
        _meta("Ampliar a cobertura de APS", number="1.1.1", deadline="2024-03-31"),
        _meta("Reduzir a mortalidade infantil", number="1.1.2"),
        _meta("Vacinar 95%", number="1.1.3"),
    )
    round_ = (await _round(client, gestor, plan, name="Reunião de maio", held_on="2024-05-15")).json()

    await _entry(
        client,
        gestor,
        before["id"],
        status="em_andamento",
        reported_on="2024-05-02",
        details="Seis equipes implantadas",
        difficulties="Falta de médicos",
    )
    await _entry(client, gestor, after["id"], status="parada", reported_on="2024-04-01", details="Aguardando verba")
    late = await _entry(
        client, gestor, after["id"], status="concluida", reported_on="2024-06-01", details="Entregue depois da reunião"
    )
    assert (await _goal(client, gestor, after["id"]))["current_status"]["id"] == late["id"]

    response = await client.get(f"/api/v1/rounds/{round_['id']}/report", headers=gestor.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["round"] == round_
    assert report["as_of"] == "2024-05-15"
    nodes = walk(report["tree"])
    assert [node["level"] for node in nodes] == ["diretriz", "objetivo", "meta", "meta", "meta"]
    assert [(n["description"], n["status"]) for n in nodes] == [
        (DIRETRIZ, None),
        (OBJETIVO, None),
        ("Ampliar a cobertura de APS", "em_andamento"),
        ("Reduzir a mortalidade infantil", "parada"),
        ("Vacinar 95%", None),
    ]
    shown = {n["id"]: n for n in nodes}
    assert (
        shown[before["id"]]["current_status"]["details"],
        shown[before["id"]]["current_status"]["difficulties"],
    ) == (
        "Seis equipes implantadas",
        "Falta de médicos",
    )
    assert shown[after["id"]]["current_status"]["details"] == "Aguardando verba"  # not the June entry
    assert (shown[before["id"]]["overdue"], shown[before["id"]]["days_overdue"]) == (True, 45)  # 31/03 → 15/05
    assert shown[silent["id"]]["current_status"] is None

    sheet_response = await client.get(
        f"/api/v1/rounds/{round_['id']}/report", params={"format": "xlsx"}, headers=gestor.headers
    )
    assert sheet_response.status_code == 200, sheet_response.text
    assert sheet_response.headers["content-type"].startswith(XLSX)
    sheet = load_workbook(io.BytesIO(sheet_response.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    assert header[:3] == ["DIRETRIZ", "OBJETIVO", "META"]
    status, details, difficulties = (
        header.index("STATUS"),
        header.index("DETALHES"),
        header.index("DIFICULDADES ENCONTRADAS"),
    )
    assert [(row[0], row[1], row[2], row[status]) for row in body] == [
        (DIRETRIZ, OBJETIVO, "Ampliar a cobertura de APS", "Em andamento"),
        (DIRETRIZ, OBJETIVO, "Reduzir a mortalidade infantil", "Parada"),
        (DIRETRIZ, OBJETIVO, "Vacinar 95%", None),
    ]
    assert (body[0][details], body[0][difficulties]) == ("Seis equipes implantadas", "Falta de médicos")
    assert body[1][details] == "Aguardando verba"

    for outsider in ("gestor_other", "ses_sp"):
        refused = await client.get(f"/api/v1/rounds/{round_['id']}/report", headers=accounts[outsider].headers)
        _problem(refused, 404, "not_found")
    _problem(await client.get(f"/api/v1/rounds/{round_['id']}/report"), 404, "not_found")  # still being drafted
    unknown = await client.get(f"/api/v1/rounds/{plan['id']}/report", headers=gestor.headers)
    _problem(unknown, 404, "not_found")


# ----- progress --------------------------------------------------------------------------------


async def test_progress_as_of_a_day_counts_statuses_and_overdue_metas(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    running, done, cancelled, future, late_done = await _metas(
        client,
        gestor,
        plan,
        _meta("Em andamento após o prazo", number="1.1.1", deadline="2024-06-30"),
        _meta("Concluída no prazo", number="1.1.2", deadline="2024-06-30"),
        _meta("Cancelada", number="1.1.3", deadline="2024-03-31"),
        _meta("Prazo distante", number="1.1.4", deadline="2025-12-31"),
        _meta("Concluída com atraso", number="1.1.5", deadline="2024-01-31"),
    )
    await _entry(client, gestor, running["id"], status="em_andamento", reported_on="2024-05-01")
    await _entry(client, gestor, done["id"], status="concluida", reported_on="2024-06-15")
    await _entry(client, gestor, cancelled["id"], status="cancelada", reported_on="2024-02-01")
    await _entry(client, gestor, late_done["id"], status="concluida", reported_on="2024-08-01")

    async def progress(as_of: str) -> dict[str, Any]:
        response = await client.get(
            f"/api/v1/instruments/{plan['id']}/progress", params={"as_of": as_of}, headers=gestor.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    september = await progress("2024-09-30")
    assert (september["instrument_id"], september["as_of"], september["metas"]) == (plan["id"], "2024-09-30", 5)
    assert {s["status"]: s["count"] for s in september["by_status"]} == {
        "nao_iniciada": 0,
        "em_andamento": 1,
        "parada": 0,
        "concluida": 2,
        "atrasada": 0,
        "parcialmente_atrasada": 0,
        "cancelada": 1,
    }
    assert september["without_update"] == 1
    assert september["concluded_percent"] == 50.0  # 2 of the 4 not cancelled
    # Still "em andamento" three months after its deadline: overdue, whatever is reported.
    assert september["overdue"] == [
        {
            "goal_id": running["id"],
            "number": "1.1.1",
            "description": "Em andamento após o prazo",
            "deadline": "2024-06-30",
            "days_overdue": 92,
            "status": "em_andamento",
        }
    ]

    # In April neither the May nor the August entries had been reported yet.
    april = await progress("2024-04-15")
    assert {s["status"]: s["count"] for s in april["by_status"] if s["count"]} == {"cancelada": 1}
    assert april["without_update"] == 4
    assert april["concluded_percent"] == 0.0
    assert april["overdue"] == [
        {
            "goal_id": late_done["id"],
            "number": "1.1.5",
            "description": "Concluída com atraso",
            "deadline": "2024-01-31",
            "days_overdue": 75,
            "status": None,
        }
    ]  # the cancelled meta is past its deadline too, but not overdue

    flat = await client.get(
        f"/api/v1/instruments/{plan['id']}/goals",
        params={"flat": "true", "level": "meta", "as_of": "2024-09-30"},
        headers=gestor.headers,
    )
    assert [(g["number"], g["status"], g["overdue"], g["days_overdue"]) for g in flat.json()["items"]] == [
        ("1.1.1", "em_andamento", True, 92),
        ("1.1.2", "concluida", False, 0),
        ("1.1.3", "cancelada", False, 0),
        ("1.1.4", None, False, 0),
        ("1.1.5", "concluida", False, 0),
    ]
    assert flat.json()["items"][3]["id"] == future["id"]
    overdue_only = await client.get(
        f"/api/v1/instruments/{plan['id']}/goals",
        params={"flat": "true", "overdue": "true", "as_of": "2024-04-15"},
        headers=gestor.headers,
    )
    assert [g["id"] for g in overdue_only.json()["items"]] == [late_done["id"]]


# ----- audit -----------------------------------------------------------------------------------


async def test_status_updates_and_rounds_leave_audit_events(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor, admin = accounts["gestor"], accounts["admin"]
    plan = await _pms(client, gestor)
    [meta] = await _metas(client, gestor, plan, _meta("Meta"))
    round_ = (await _round(client, gestor, plan, name="Reunião", held_on="2024-04-15")).json()
    entry = await _entry(client, gestor, meta["id"], status="em_andamento", round_id=round_["id"], details="Ok")
    refused = await _report(client, gestor, meta["id"], status="parada", reported_on="2999-01-01")
    assert refused.status_code == 422  # rolled back: not in the trail

    async def events(**params: Any) -> list[dict[str, Any]]:
        response = await client.get("/api/v1/audit-events", params=params | {"limit": 200}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    [update_event] = await events(entity="status_update")
    assert (update_event["action"], update_event["actor_id"], update_event["uf"]) == (
        "create",
        str(gestor.user.id),
        "AM",
    )
    assert update_event["entity_id"] == str(entry["id"])  # the trail names the entry it records
    after = update_event["after"]
    assert after["id"] == entry["id"]
    assert (after["goal_id"], after["round_id"], after["status"]) == (meta["id"], round_["id"], "em_andamento")
    assert (after["reported_on"], after["details"]) == ("2024-04-15", "Ok")
    assert after["author_id"] == entry["author_id"]
    assert datetime.fromisoformat(after["recorded_at"]) == datetime.fromisoformat(entry["recorded_at"])

    [round_event] = await events(entity="monitoring_round")
    assert (round_event["action"], round_event["entity_id"]) == ("create", round_["id"])
    assert round_event["actor_id"] == str(gestor.user.id)
    assert (round_event["after"]["name"], round_event["after"]["held_on"]) == ("Reunião", "2024-04-15")

    _problem(
        await client.get("/api/v1/audit-events", params={"entity": "status_update"}, headers=gestor.headers),
        403,
        "forbidden",
    )


async def test_since_at_the_edge_of_time_is_no_error(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    [meta] = await _metas(client, gestor, plan, _meta("Meta"))
    await _entry(client, gestor, meta["id"], status="em_andamento")
    url = f"/api/v1/instruments/{plan['id']}/status-updates"
    for since, count in (("0001-01-01T00:00:00+01:00", 1), ("9999-12-31T23:59:59-01:00", 0)):
        response = await client.get(url, params={"since": since}, headers=gestor.headers)
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == count


async def test_the_feed_writes_each_entry_as_its_goals_history_does(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    """The instrument's feed is written by PostgreSQL, a goal's history by Pydantic: the same
    entries must have the same bodies, awkward numbers, text, rounds and corrections included."""
    gestor = accounts["gestor"]
    plan = await _pms(client, gestor)
    metas = await _metas(client, gestor, plan, _meta("Meta 1"), _meta("Meta 2"))
    round_ = await _round(client, gestor, plan, name="Reunião “quadrimestral”", held_on="2024-05-20")
    assert round_.status_code == 201, round_.text
    awkward = [
        {"percent_complete": 100 / 3, "achieved_value": 1e20, "details": 'Aspas "duplas", \\ barra\nnova linha'},
        {"percent_complete": 0.1, "achieved_value": -0.0, "difficulties": "Emoji 🩺 e acentuação: ção"},
        {"percent_complete": 100, "expected_delivery": "2025-12-31", "next_steps": "\t tab", "responsible": "SMS"},
        {"achieved_value": 123456789.125, "partial_product": "Relatório", "round_id": round_.json()["id"]},
    ]
    first = None
    for n, fields in enumerate(awkward):
        entry = await _entry(
            client, gestor, metas[n % 2]["id"], status="em_andamento", reported_on=f"2024-0{n + 1}-10", **fields
        )
        first = first or entry
    assert first is not None
    await _entry(client, gestor, metas[0]["id"], status="concluida", reported_on="2024-01-10", supersedes=first["id"])
    histories = [entry for meta in metas for entry in await _history(client, gestor, meta["id"])]
    feed = await client.get(f"/api/v1/instruments/{plan['id']}/status-updates", headers=gestor.headers)
    assert feed.headers["content-type"] == "application/json"
    assert feed.json()["items"] == sorted(histories, key=lambda entry: entry["id"])
    assert any(entry["superseded_by"] for entry in histories)
