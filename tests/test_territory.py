from __future__ import annotations

import httpx

from tests.support import MANAUS, SAO_GABRIEL


async def _all_pages(
    client: httpx.AsyncClient, url: str, filters: dict[str, str], limit: int
) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        page = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        response = await client.get(url, params=filters | page)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_amazonas_pages_through_exactly_62_municipalities(client: httpx.AsyncClient) -> None:
    items = await _all_pages(client, "/api/v1/municipalities", {"uf": "AM"}, limit=25)
    codes = [item["code"] for item in items]
    assert len(codes) == 62
    assert len(set(codes)) == 62
    assert codes == sorted(codes)
    assert all(item["uf"] == "AM" for item in items)


async def test_search_ignores_accents_and_case(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/municipalities", params={"q": "sao gabriel", "uf": "AM"})
    assert [m["name"] for m in response.json()["items"]] == ["São Gabriel da Cachoeira"]
    shouted = await client.get("/api/v1/municipalities", params={"q": "SÃO GABRIEL DA"})
    assert SAO_GABRIEL in [m["code"] for m in shouted.json()["items"]]


async def test_municipality_by_seven_or_six_digit_code(client: httpx.AsyncClient) -> None:
    for code in ("1302603", "130260"):
        response = await client.get(f"/api/v1/municipalities/{code}")
        assert response.status_code == 200
        assert response.json()["name"] == "Manaus"
        assert response.json()["code"] == MANAUS


async def test_wrong_check_digit_is_422_and_says_why(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/municipalities/1302604")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_check_digit"
    assert "needs 3" in body["detail"]


async def test_well_formed_unknown_code_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/municipalities/9999996")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_malformed_code_is_422(client: httpx.AsyncClient) -> None:
    for code in ("13026", "13026030", "13O2603"):
        response = await client.get(f"/api/v1/municipalities/{code}")
        assert response.status_code == 422, code
        assert response.json()["code"] == "invalid_municipality_code"


async def test_real_codes_that_break_the_check_digit_rule_still_resolve(client: httpx.AsyncClient) -> None:
    for code, name in (
        ("5203939", "Buriti de Goiás"),
        ("4305871", "Coronel Barros"),
        ("2201919", "Bom Princípio do Piauí"),
    ):
        response = await client.get(f"/api/v1/municipalities/{code}")
        assert response.status_code == 200, code
        assert response.json()["name"] == name


async def test_states(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/states")
    assert len(response.json()["items"]) == 27
    assert (await client.get("/api/v1/states/am")).json() == {"code": 13, "uf": "AM", "name": "Amazonas"}
    assert (await client.get("/api/v1/states/XX")).status_code == 404


async def test_filters_by_region_and_population(client: httpx.AsyncClient, accounts: object) -> None:
    members = await client.get("/api/v1/municipalities", params={"region": "13001"})
    assert sorted(m["code"] for m in members.json()["items"]) == [MANAUS, SAO_GABRIEL]
    none = await client.get("/api/v1/municipalities", params={"max_population": 1000})
    assert none.json()["items"] == []  # the IBGE list carries no population until a file brings it
    assert (await client.get("/api/v1/municipalities", params={"uf": "ZZ"})).json()["code"] == "unknown_uf"


async def test_paging_limits_and_bad_cursors(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/municipalities", params={"limit": 201})).status_code == 422
    assert (await client.get("/api/v1/municipalities", params={"limit": 200})).status_code == 200
    bad = await client.get("/api/v1/municipalities", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_cursor"
