"""Goal matrices through the API: a real-looking `matriz` file and a `dgmp` file with yearly
targets come in, progress is counted, bad files are refused whole, and export → import gives
the same tree and statuses back."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.settings import Settings
from app.domain import goal_matrices
from app.main import create_app
from app.repositories.goals import GoalRepository
from tests.support import Account, ConnectionBoundDatabase

MATRIZ_HEADER = [
    "ÁREA",
    "PROBLEMA",
    "DIRETRIZ",
    "OBJETIVO",
    "AÇÃO",
    "PRODUTO",
    "META",
    "PRAZO",
    "RESPONSÁVEL",
    "STATUS",
    "CONCLUSÃO (%)",
    "DETALHES",
    "DIFICULDADES ENCONTRADAS",
]
AREA_1, AREA_2 = "PLANEJAMENTO E GESTÃO", "ATENÇÃO À SAÚDE"
PROBLEM_1 = "1. Fragilidades na condução da política de regionalização"
PROBLEM_2 = "2. Baixa capacidade de monitoramento"
PROBLEM_3 = "3. Vazios assistenciais"
DIRETRIZ_1 = "1. Fortalecer as regiões de Saúde"
DIRETRIZ_2 = "2. Instituir o monitoramento"
DIRETRIZ_3 = "3. Ampliar o acesso à atenção especializada"
OBJETIVO_1 = "Instituir o planejamento regional integrado"


@dataclass(frozen=True)
class Row:
    levels: tuple[str, str, str, str, str, str, str]  # área … meta, "" where blank
    prazo: str
    deadline: date  # what `prazo` means, written independently of the parser
    responsible: str
    label: str  # STATUS as written
    status: str | None  # the code it means
    percent: str = ""
    details: str = ""
    difficulties: str = ""

    def cells(self) -> list[str]:
        return [*self.levels, self.prazo, self.responsible, self.label, self.percent, self.details, self.difficulties]


def _levels(*cells: str) -> tuple[str, str, str, str, str, str, str]:
    assert len(cells) == 7
    return (cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6])


ROWS = [
    Row(
        _levels(
            AREA_1,
            PROBLEM_1,
            DIRETRIZ_1,
            OBJETIVO_1,
            "Formulação de planos regionais de saúde",
            "Plano regional formulado",
            "Formular 01 plano regional de saúde até dezembro de 2018",
        ),
        "12/18",
        date(2018, 12, 31),
        "DIPLAN",
        "Em Andamento",
        "em_andamento",
        "40",
        "Oficinas em 3 regiões",
        "Agenda dos gestores",
    ),
    Row(
        _levels(
            AREA_1,
            PROBLEM_1,
            DIRETRIZ_1,
            OBJETIVO_1,
            "Formulação de planos regionais de saúde",
            "Plano regional formulado",
            "Pactuar o plano regional na CIB",
        ),
        "31/03/2019",
        date(2019, 3, 31),
        "DIPLAN",
        "Não iniciado",
        "nao_iniciada",
    ),
    Row(  # OBJETIVO blank: the ação hangs from the diretriz
        _levels(
            AREA_1,
            PROBLEM_1,
            DIRETRIZ_1,
            "",
            "Qualificar as CIR",
            "Regimentos revistos",
            "Revisar o regimento das 9 CIR",
        ),
        "2019-06-30",
        date(2019, 6, 30),
        "Secretaria Executiva da CIB",
        "parada",
        "parada",
        "10",
        "",
        "Falta de quórum",
    ),
    Row(
        _levels(
            AREA_1,
            PROBLEM_2,
            DIRETRIZ_2,
            "Monitorar os instrumentos de planejamento",
            "Implantar painel de monitoramento",
            "Painel publicado",
            "Publicar o painel de monitoramento",
        ),
        "06/2019",
        date(2019, 6, 30),
        "ASPLAN",
        "Concluído",
        "concluida",
        "100",
    ),
    Row(
        _levels(
            AREA_1,
            PROBLEM_2,
            DIRETRIZ_2,
            "Monitorar os instrumentos de planejamento",
            "Implantar painel de monitoramento",
            "Painel publicado",
            "Capacitar 62 municípios no uso do painel",
        ),
        "30/09/2019",
        date(2019, 9, 30),
        "ASPLAN",
        "parcialmente atrasado",
        "parcialmente_atrasada",
        "55",
    ),
    Row(
        _levels(
            AREA_1,
            PROBLEM_2,
            DIRETRIZ_2,
            "Monitorar os instrumentos de planejamento",
            "Apoiar os RDQA municipais",
            "RDQA enviados",
            "Apoiar 100% dos municípios no envio dos RDQA",
        ),
        "dez/2019",
        date(2019, 12, 31),
        "ASPLAN",
        "Atrasada",
        "atrasada",
    ),
    Row(
        _levels(
            AREA_1,
            PROBLEM_2,
            DIRETRIZ_2,
            "Monitorar os instrumentos de planejamento",
            "Apoiar os RDQA municipais",
            "RDQA enviados",
            "Publicar boletim quadrimestral",
        ),
        "31/5/2019",
        date(2019, 5, 31),
        "ASCOM",
        "Cancelado",
        "cancelada",
    ),
    Row(
        _levels(
            AREA_1,
            PROBLEM_2,
            DIRETRIZ_2,
            "Avaliar a execução da PAS",
            "Relatório anual",
            "RAG aprovado",
            "Aprovar o RAG 2018 no conselho",
        ),
        "03/2019",
        date(2019, 3, 31),
        "ASPLAN",
        "concluida",
        "concluida",
        "100",
    ),
    Row(
        _levels(
            AREA_2,
            PROBLEM_3,
            DIRETRIZ_3,
            "Ampliar a oferta de consultas especializadas",
            "Contratualizar policlínicas",
            "Contratos assinados",
            "Contratualizar 4 policlínicas regionais",
        ),
        "31/12/2019",
        date(2019, 12, 31),
        "DRAC",
        "em andamento",
        "em_andamento",
        "25",
    ),
    Row(
        _levels(
            AREA_2,
            PROBLEM_3,
            DIRETRIZ_3,
            "Ampliar a oferta de consultas especializadas",
            "Contratualizar policlínicas",
            "Contratos assinados",
            "Publicar edital de credenciamento",
        ),
        "02/2019",
        date(2019, 2, 28),
        "DRAC",
        "",
        None,
    ),
    Row(
        _levels(
            AREA_2,
            PROBLEM_3,
            DIRETRIZ_3,
            "Ampliar a oferta de consultas especializadas",
            "Regular o acesso",
            "Central de regulação ampliada",
            "Implantar a regulação de 100% das consultas",
        ),
        "2020-06-30",
        date(2020, 6, 30),
        "Complexo Regulador",
        "Não Iniciado",
        "nao_iniciada",
    ),
    Row(
        _levels(
            AREA_2,
            PROBLEM_3,
            DIRETRIZ_3,
            "",
            "Telessaúde",
            "Teleconsultorias",
            "Ofertar teleconsultoria a 30 municípios",
        ),
        "11/2019",
        date(2019, 11, 30),
        "Telessaúde AM",
        "PARADA",
        "parada",
    ),
    Row(
        _levels(
            AREA_2,
            PROBLEM_3,
            DIRETRIZ_3,
            "Ampliar a oferta de consultas especializadas",
            "Regular o acesso",
            "Central de regulação ampliada",
            "Capacitar reguladores",
        ),
        "30/04/19",
        date(2019, 4, 30),
        "Complexo Regulador",
        "Em Andamento",
        "em_andamento",
        "70",
    ),
]
REPORTED_ON = "2019-07-01"
AS_OF = date(2019, 7, 1)


def matriz_csv(rows: list[Row], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(MATRIZ_HEADER)
    writer.writerows(row.cells() for row in rows)
    return out.getvalue().encode(encoding)


async def new_instrument(
    client: httpx.AsyncClient, account: Account, *, structure: str = "matriz", **body: Any
) -> dict[str, Any]:
    base = {"kind": "PES", "owner_type": "state", "owner": "AM", "year": 2020, "goal_structure": structure}
    response = await client.post("/api/v1/instruments", json=base | body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    instrument: dict[str, Any],
    content: bytes,
    name: str = "matriz.csv",
    **params: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/instruments/{instrument['id']}/goals/import",
        params={"reported_on": REPORTED_ON} | params,
        files={"file": (name, content, "application/octet-stream")},
        headers=account.headers,
    )


def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for node in nodes for item in (node, *walk(node["children"]))]


async def tree(client: httpx.AsyncClient, account: Account, instrument: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/instruments/{instrument['id']}/goals", params={"as_of": AS_OF.isoformat()}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def expected_nodes(rows: list[Row]) -> set[tuple[str, ...]]:
    """Every node as the path of non-blank texts leading to it."""
    nodes = set()
    for row in rows:
        present = tuple(text for text in row.levels if text)
        nodes |= {present[: depth + 1] for depth in range(len(present))}
    return nodes


def paths(nodes: list[dict[str, Any]], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = set()
    for node in nodes:
        path = (*prefix, node["description"])
        found |= {path} | paths(node["children"], path)
    return found


async def test_a_matriz_file_becomes_the_expected_tree_statuses_and_progress(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    response = await upload(client, ses, instrument, matriz_csv(ROWS, encoding="latin-1"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rows_read"] == len(ROWS)
    assert report["goals_created"] == len(expected_nodes(ROWS))
    assert report["status_updates_created"] == sum(1 for row in ROWS if row.status)
    blank = [w for w in report["warnings"] if w["field"] == "OBJETIVO"]
    assert [w["line"] for w in blank] == [i + 2 for i, row in enumerate(ROWS) if not row.levels[3]]

    nodes = await tree(client, ses, instrument)
    assert paths(nodes) == expected_nodes(ROWS)
    assert [node["description"] for node in nodes] == [AREA_1, AREA_2]  # shared cells are one node
    diretriz_1 = walk(nodes)[2]
    assert (diretriz_1["description"], diretriz_1["level"]) == (DIRETRIZ_1, "diretriz")
    assert {child["level"] for child in diretriz_1["children"]} == {"objetivo", "acao"}  # the blank OBJETIVO
    metas = {node["description"]: node for node in walk(nodes) if node["level"] == "meta"}
    for row in ROWS:
        meta = metas[row.levels[6]]
        assert meta["deadline"] == row.deadline.isoformat()
        assert meta["responsible"] == row.responsible
        assert meta["status"] == row.status
        if row.percent:
            assert meta["current_status"]["percent_complete"] == float(row.percent)
            assert meta["current_status"]["reported_on"] == REPORTED_ON
    assert metas[ROWS[0].levels[6]]["current_status"]["difficulties"] == "Agenda dos gestores"

    progress = (
        await client.get(
            f"/api/v1/instruments/{instrument['id']}/progress",
            params={"as_of": AS_OF.isoformat()},
            headers=ses.headers,
        )
    ).json()
    reported = Counter(row.status for row in ROWS if row.status)
    assert {item["status"]: item["count"] for item in progress["by_status"]} == {
        status: reported.get(status, 0)
        for status in (
            "nao_iniciada",
            "em_andamento",
            "parada",
            "concluida",
            "atrasada",
            "parcialmente_atrasada",
            "cancelada",
        )
    }
    assert progress["metas"] == len(ROWS)
    assert progress["without_update"] == sum(1 for row in ROWS if row.status is None)
    overdue = {
        row.levels[6]: (AS_OF - row.deadline).days
        for row in ROWS
        if row.deadline < AS_OF and row.status not in ("concluida", "cancelada")
    }
    assert {item["description"]: item["days_overdue"] for item in progress["overdue"]} == overdue
    live = len(ROWS) - reported["cancelada"]
    assert progress["concluded_percent"] == round(100 * reported["concluida"] / live, 1)


async def test_importing_the_same_file_again_changes_nothing(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    content = matriz_csv(ROWS)
    first = (await upload(client, ses, instrument, content)).json()
    before = await tree(client, ses, instrument)
    again = (await upload(client, ses, instrument, content)).json()
    assert again["goals_created"] == again["metas_updated"] == again["status_updates_created"] == 0
    assert again["metas_unchanged"] == len(ROWS)
    assert await tree(client, ses, instrument) == before
    # Written in bulk: one audit event per file names what it created, and the file.
    audited = await client.get("/api/v1/audit-events", params={"entity": "goal"}, headers=accounts["admin"].headers)
    events = [event for event in audited.json()["items"] if event["action"] == "import"]
    assert [(e["after"]["goals_created"], e["after"]["status_updates_created"]) for e in events] == [
        (first["goals_created"], first["status_updates_created"]),
        (0, 0),
    ]
    assert events[0]["after"]["sha256"] == events[1]["after"]["sha256"] == hashlib.sha256(content).hexdigest()


async def test_an_import_plans_and_writes_with_the_cyclic_collector_paused(
    client: httpx.AsyncClient, accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its full passes over every planned row were up to a third of a large import (app.core.collector)."""
    running: list[tuple[str, bool]] = []

    def watched(name: str, step: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            running.append((name, gc.isenabled()))
            return step(*args, **kwargs)

        return run

    monkeypatch.setattr(goal_matrices, "parse_matrix", watched("parse", goal_matrices.parse_matrix))
    monkeypatch.setattr(GoalRepository, "copy_new", watched("write", GoalRepository.copy_new))
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    assert gc.isenabled()
    assert (await upload(client, ses, instrument, matriz_csv(ROWS))).status_code == 200
    assert running == [("parse", False), ("write", False)]
    assert gc.isenabled()


async def test_the_goals_of_one_import_are_keyed_by_when_it_ran(
    client: httpx.AsyncClient, accounts: dict[str, Account], connection: AsyncConnection
) -> None:
    """Version 7 keys, read so by PostgreSQL itself: what one import creates sits together in
    the indexes (app.repositories.tables.new_id)."""
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    started = datetime.now(UTC) - timedelta(milliseconds=1)
    assert (await upload(client, ses, instrument, matriz_csv(ROWS))).status_code == 200
    finished = datetime.now(UTC) + timedelta(milliseconds=1)
    keys = await connection.execute(
        sa.text("SELECT uuid_extract_version(id), uuid_extract_timestamp(id) FROM goal WHERE instrument_id = :id"),
        {"id": instrument["id"]},
    )
    found = keys.all()
    assert len(found) > len(ROWS)
    assert {version for version, _ in found} == {7}
    assert all(started <= moment <= finished for _, moment in found)


async def test_a_later_file_adds_only_what_changed(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    assert (await upload(client, ses, instrument, matriz_csv(ROWS))).status_code == 200
    moved = [*ROWS]
    moved[0] = Row(**(ROWS[0].__dict__ | {"label": "Concluído", "status": "concluida", "percent": "100"}))
    report = (await upload(client, ses, instrument, matriz_csv(moved), reported_on="2019-08-01")).json()
    assert (report["goals_created"], report["status_updates_created"]) == (0, 1)
    assert report["status_updates_unchanged"] == sum(1 for row in ROWS if row.status) - 1


DGMP_HEADER = [
    "DIRETRIZ",
    "OBJETIVO",
    "META",
    "INDICADOR",
    "UNIDADE",
    "POLARIDADE",
    "LINHA DE BASE",
    "ANO DA LINHA DE BASE",
    "META DO PLANO",
    "2022",
    "2023",
    "2024",
    "2025",
    "STATUS",
    "VALOR ALCANÇADO",
]
DGMP_ROWS = [
    [
        "Diretriz 1 - Fortalecer a atenção primária",
        "1.1 Ampliar o acesso",
        "Ampliar a cobertura de APS para 80%",
        "Cobertura populacional estimada pelas equipes de APS",
        "%",
        "Maior é melhor",
        "65,5",
        "2021",
        "80",
        "70",
        "74",
        "78",
        "80",
        "Em andamento",
        "72",
    ],
    [
        "Diretriz 1 - Fortalecer a atenção primária",
        "1.2 Reduzir a mortalidade",
        "Reduzir a mortalidade infantil a 10 por mil",
        "Taxa de mortalidade infantil",
        "por 1.000 nascidos vivos",
        "Menor é melhor",
        "14,2",
        "2021",
        "10",
        "13",
        "12",
        "10",
        "10",
        "Em andamento",
        "8",
    ],
    [
        "Diretriz 2 - Vigilância em saúde",
        "2.1 Vacinar",
        "Alcançar 95% de cobertura vacinal",
        "Cobertura vacinal",
        "%",
        "",
        "88",
        "2021",
        "95",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]


def dgmp_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",")
    writer.writerow(DGMP_HEADER)
    writer.writerows(DGMP_ROWS)
    return out.getvalue().encode()


async def test_a_dgmp_file_with_yearly_targets_and_achievement_for_both_polarities(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    gestor = accounts["gestor"]
    instrument = await new_instrument(
        client, gestor, structure="dgmp", kind="PMS", owner_type="municipality", owner="1302603", year=2022
    )
    response = await upload(client, gestor, instrument, dgmp_csv(), name="dgmp.csv", reported_on="2024-12-31")
    assert response.status_code == 200, response.text
    assert response.json()["goals_created"] == 2 + 3 + 3  # diretrizes, objetivos, metas

    nodes = await tree(client, gestor, instrument)
    levels = ["diretriz", "objetivo", "meta", "objetivo", "meta", "diretriz", "objetivo", "meta"]
    assert [node["level"] for node in walk(nodes)] == levels
    coverage = walk(nodes)[2]
    assert coverage["yearly_targets"] == {"2022": 70.0, "2023": 74.0, "2024": 78.0, "2025": 80.0}
    assert (coverage["baseline_value"], coverage["baseline_year"], coverage["target_value"]) == (65.5, 2021, 80.0)
    assert (coverage["polarity"], coverage["indicator_unit"]) == ("higher", "%")
    assert walk(nodes)[4]["polarity"] == "lower"

    progress = (
        await client.get(
            f"/api/v1/instruments/{instrument['id']}/progress", params={"as_of": "2025-01-10"}, headers=gestor.headers
        )
    ).json()
    results = {item["indicator_name"]: item for item in progress["indicators"]}
    higher = results["Cobertura populacional estimada pelas equipes de APS"]
    assert (higher["target"], higher["achieved"], higher["met"]) == (78.0, 72.0, False)  # the 2024 target
    assert higher["achievement_percent"] == round(72 / 78 * 100, 1)
    lower = results["Taxa de mortalidade infantil"]
    assert (lower["target"], lower["achieved"], lower["met"]) == (10.0, 8.0, True)
    assert lower["achievement_percent"] == 125.0
    assert progress["indicators_met"] == 1
    assert len(progress["indicators"]) == 2  # the third meta has no value reported


def _with_cell(rows: list[Row], index: int, **change: str) -> list[Row]:
    changed = [*rows]
    changed[index] = Row(**(rows[index].__dict__ | change))
    return changed


@pytest.mark.parametrize(
    ("rows", "line", "field", "words"),
    [
        (_with_cell(ROWS, 2, prazo="13/2018"), 4, "PRAZO", "no month 13"),
        (_with_cell(ROWS, 0, percent="150"), 2, "CONCLUSÃO (%)", "between 0 and 100"),
        (_with_cell(ROWS, 5, label="Quase pronto"), 7, "STATUS", "is not a status"),
        (
            _with_cell(ROWS, 8, levels=_levels(*ROWS[8].levels[:6], "")),
            10,
            "META",
            "META is empty",
        ),
    ],
    ids=["prazo 13/2018", "conclusao 150", "unknown status", "missing meta"],
)
async def test_a_bad_cell_is_reported_by_line_and_column_and_nothing_is_written(
    client: httpx.AsyncClient, accounts: dict[str, Account], rows: list[Row], line: int, field: str, words: str
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    response = await upload(client, ses, instrument, matriz_csv(rows))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "import_rejected"
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [(line, field)]
    assert words in problem["errors"][0]["message"]
    assert await tree(client, ses, instrument) == []


async def test_a_file_that_is_neither_csv_nor_xlsx_is_415(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x01\x02stream\x00"
    response = await upload(client, ses, instrument, pdf, name="plano.pdf")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_file"
    broken_xlsx = b"PK\x03\x04" + b"\x00" * 200
    response = await upload(client, ses, instrument, broken_xlsx, name="matriz.xlsx")
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_file")
    assert await tree(client, ses, instrument) == []


async def test_a_file_over_the_size_limit_is_413(
    settings: Settings, database: ConnectionBoundDatabase, accounts: dict[str, Account]
) -> None:
    small = create_app(settings.model_copy(update={"max_upload_bytes": 1024}), database=database)
    transport = httpx.ASGITransport(app=small, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        ses = accounts["ses"]
        instrument = await new_instrument(client, ses)
        response = await upload(client, ses, instrument, matriz_csv(ROWS))
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert await tree(client, ses, instrument) == []


def _shape(nodes: list[dict[str, Any]]) -> list[Any]:
    """A tree without ids, versions or dates of entry: what a round trip must keep."""
    kept = ("level", "description", "deadline", "deadline_precision", "responsible", "status", "yearly_targets")
    kept += ("indicator_name", "indicator_unit", "polarity", "baseline_value", "baseline_year", "target_value")
    return [
        {key: node[key] for key in kept}
        | {
            "current": {
                key: (node["current_status"] or {}).get(key)
                for key in ("percent_complete", "details", "difficulties", "achieved_value", "expected_delivery")
            },
            "children": _shape(node["children"]),
        }
        for node in nodes
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("structure", ["matriz", "dgmp"])
async def test_export_then_import_into_an_empty_instrument_is_lossless(
    client: httpx.AsyncClient, accounts: dict[str, Account], fmt: str, structure: str
) -> None:
    ses = accounts["ses"]
    source = await new_instrument(client, ses, structure=structure)
    content = matriz_csv(ROWS) if structure == "matriz" else dgmp_csv()
    assert (await upload(client, ses, source, content)).status_code == 200
    exported = await client.get(
        f"/api/v1/instruments/{source['id']}/goals/export",
        params={"format": fmt, "as_of": AS_OF.isoformat()},
        headers=ses.headers,
    )
    assert exported.status_code == 200, exported.text
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(exported.content), read_only=True).worksheets[0]
        assert next(sheet.iter_rows(values_only=True))[0] == ("ÁREA" if structure == "matriz" else "DIRETRIZ")
    else:
        assert exported.content.startswith("\ufeff".encode())
    target = await new_instrument(client, ses, structure=structure, kind="PAS", year=2020)
    response = await upload(client, ses, target, exported.content, name=f"export.{fmt}")
    assert response.status_code == 200, response.text
    assert _shape(await tree(client, ses, target)) == _shape(await tree(client, ses, source))


async def test_a_layout_other_than_the_declared_structure_is_refused(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses, structure="dgmp")
    response = await upload(client, ses, instrument, matriz_csv(ROWS), layout="matriz")
    assert (response.status_code, response.json()["code"]) == (422, "layout_mismatch")
    response = await upload(client, ses, instrument, matriz_csv(ROWS))
    assert response.status_code == 422
    assert "needs column(s)" in response.json()["errors"][0]["message"]


async def test_dry_run_reports_and_writes_nothing(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    report = (await upload(client, ses, instrument, matriz_csv(ROWS), dry_run="true")).json()
    assert report["dry_run"] is True
    assert report["goals_created"] == len(expected_nodes(ROWS))
    assert await tree(client, ses, instrument) == []


async def test_text_that_looks_like_a_formula_stays_text_in_xlsx(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    formula_like = '=HYPERLINK("http://example.org","clique")'
    created = await client.post(
        f"/api/v1/instruments/{instrument['id']}/goals",
        json={"level": "diretriz", "description": "D", "children": [{"level": "meta", "description": formula_like}]},
        headers=ses.headers,
    )
    assert created.status_code == 201, created.text
    exported = await client.get(
        f"/api/v1/instruments/{instrument['id']}/goals/export", params={"format": "xlsx"}, headers=ses.headers
    )
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    cell = sheet.cell(row=2, column=7)
    assert (cell.value, cell.data_type) == (formula_like, "s")


async def test_control_characters_never_break_an_xlsx_export(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    await client.post(
        f"/api/v1/instruments/{instrument['id']}/goals",
        json={"level": "meta", "description": "Meta\u000bcom tabulação vertical"},
        headers=ses.headers,
    )
    exported = await client.get(
        f"/api/v1/instruments/{instrument['id']}/goals/export", params={"format": "xlsx"}, headers=ses.headers
    )
    assert exported.status_code == 200
    assert load_workbook(io.BytesIO(exported.content)).worksheets[0].cell(row=2, column=7).value == (
        "Metacom tabulação vertical"
    )


async def test_import_matches_nodes_made_through_the_api_spacing_aside(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"]
    instrument = await new_instrument(client, ses)
    created = await client.post(
        f"/api/v1/instruments/{instrument['id']}/goals",
        json={"level": "area", "description": "PLANEJAMENTO  E\nGESTÃO"},
        headers=ses.headers,
    )
    assert created.status_code == 201
    report = (await upload(client, ses, instrument, matriz_csv(ROWS[:1]))).json()
    assert report["goals_created"] == 6  # problema … meta under the existing área
    assert [node["description"] for node in await tree(client, ses, instrument)] == ["PLANEJAMENTO  E\nGESTÃO"]
