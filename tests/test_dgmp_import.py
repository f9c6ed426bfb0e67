"""DGMP's situation extract: tolerant reading, all or nothing, idempotent, raw labels kept."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Account

HEADER = "REGIAO;MUNICIPIO;EXERCICIO;FASE;TIPO_INSTRUMENTO;SITUACAO\n"
GOOD = [
    "Manaus, Entorno e Alto Rio Negro;Manaus;2022-2025;2;Plano de Saúde;Aprovado",
    "Manaus, Entorno e Alto Rio Negro;Manaus;2024;2;Programação Anual de Saúde;Aprovado",
    "Manaus, Entorno e Alto Rio Negro;Manaus;2024;2;1º RDQA;Avaliado",
    "Manaus, Entorno e Alto Rio Negro;MANAUS;2024;2;Relatório Anual de Gestão;Em Análise no Conselho de Saúde",
    "Manaus, Entorno e Alto Rio Negro;São Gabriel da Cachoeira;2024;2;RAG;",
    "Manaus, Entorno e Alto Rio Negro;sao gabriel da cachoeira;;9;Plano Municipal de Saúde;Em Elaboração",
    "Manaus, Entorno e Alto Rio Negro;Manaus;2024;2;Pactuação Interfederativa;Homologado",
]


def extract(lines: list[str], header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(lines) + "\n").encode(encoding)


async def _import(client: httpx.AsyncClient, account: Account, content: bytes, **params: Any) -> httpx.Response:
    return await client.post(
        "/api/v1/imports/dgmp-situation",
        params={"uf": "AM", "reported_on": "2025-04-10"} | params,
        files={"file": ("situacao.csv", content, "text/csv")},
        headers=account.headers,
    )


async def test_bad_lines_are_named_then_the_fixed_extract_imports_once(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"]
    broken = [*GOOD]
    broken[1] = broken[1].replace(";Manaus;", ";Manaós;")  # misspelled
    broken[3] = broken[3].replace("Em Análise no Conselho de Saúde", "Em revisão")  # unknown label
    refused = await _import(client, admin, extract(broken))
    assert refused.status_code == 422
    assert refused.json()["code"] == "import_rejected"
    errors = refused.json()["errors"]
    assert [e["line"] for e in errors] == [3, 5]
    assert "Manaós" in errors[0]["message"]
    assert "Em revisão" in errors[1]["message"]
    assert (await client.get("/api/v1/instruments", headers=admin.headers)).json()["items"] == []

    first = await _import(client, admin, extract(GOOD))
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"], first.json()["unchanged"]) == (6, 0, 0)
    assert [s["line"] for s in first.json()["skipped"]] == [8]
    again = (await _import(client, admin, extract(GOOD))).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 6)

    listed = (await client.get("/api/v1/instruments", params={"municipality": "1302603"}, headers=admin.headers)).json()
    found = {(i["kind"], i["year"], i["quadrimester"]): i for i in listed["items"]}
    plan = found[("PMS", 2022, None)]
    assert (plan["status"], plan["end_year"]) == ("aprovado", 2025)
    rag = found[("RAG", 2024, None)]
    assert rag["status"] == "em_analise_conselho"
    assert rag["milestone_on"] == "2025-04-10"  # DGMP gives no date: met no later than the extract
    assert rag["situation"] == "cumprido_com_atraso"
    assert found[("RDQA", 2024, 1)]["status"] == "avaliado"
    gabriel = (
        await client.get("/api/v1/instruments", params={"municipality": "1303809"}, headers=admin.headers)
    ).json()
    kinds = {(i["kind"], i["year"]): i["status"] for i in gabriel["items"]}
    assert kinds == {("RAG", 2024): "nao_iniciado", ("PMS", 2026): "em_elaboracao"}


async def test_a_later_extract_moves_statuses_and_keeps_the_label(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"]
    await _import(client, admin, extract(GOOD))
    later = [line.replace("Em Análise no Conselho de Saúde", "Aprovado com Ressalvas") for line in GOOD]
    report = (await _import(client, admin, extract(later), reported_on="2025-06-01")).json()
    assert (report["created"], report["updated"]) == (0, 1)
    listed = (
        await client.get(
            "/api/v1/instruments", params={"kind": "RAG", "municipality": "1302603"}, headers=admin.headers
        )
    ).json()
    rag = listed["items"][0]
    assert rag["status"] == "aprovado_com_ressalvas"
    history = (await client.get(f"/api/v1/instruments/{rag['id']}/history", headers=admin.headers)).json()
    assert history[-1]["comment"] == "Situação no DGMP: Aprovado com Ressalvas"
    assert history[-1]["occurred_on"] == "2025-06-01"


async def test_codes_latin1_and_quadrimester_columns(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    header = "REGIAO;MUNICIPIO;CÓD. IBGE MUNICÍPIO;EXERCICIO;FASE;TIPO_INSTRUMENTO;QUADRIMESTRE;SITUACAO\n"
    lines = [
        "X;Nome qualquer;130260;2024;2;RDQA;2º;Em Elaboração",
        "X;Outro nome;1303809;2024;2;Relatório Detalhado do Quadrimestre Anterior;3;Não Iniciado",
    ]
    response = await _import(client, accounts["ses"], extract(lines, header, "latin-1"))
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    dry = await _import(client, accounts["ses"], extract(lines, header, "latin-1"), dry_run="true")
    assert dry.json()["unchanged"] == 2


async def test_who_may_import(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    assert (await _import(client, accounts["ses"], extract(GOOD[:1]), uf="SP")).status_code == 403
    assert (await _import(client, accounts["gestor"], extract(GOOD[:1]))).status_code == 403
