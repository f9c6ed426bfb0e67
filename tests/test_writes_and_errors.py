"""Writes (ETag / If-Match, validation, conflicts) and the error model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter

from app.api.deps import UnitOfWork
from tests.support import Account


async def test_region_patch_honours_if_match(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    ses = accounts["ses"].headers
    read = await client.get("/api/v1/regions/13002")
    etag = read.headers["ETag"]
    assert etag == f'"{read.json()["version"]}"'
    ok = await client.patch("/api/v1/regions/13002", json={"name": "Novo nome"}, headers=ses | {"If-Match": etag})
    assert ok.status_code == 200
    assert ok.headers["ETag"] != etag
    stale = await client.patch("/api/v1/regions/13002", json={"name": "Outro"}, headers=ses | {"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert (await client.get("/api/v1/regions/13002")).json()["name"] == "Novo nome"


async def test_region_redraw_keeps_dated_history(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    response = await client.patch(
        "/api/v1/regions/13002",
        json={"municipalities": ["1300102", "130260"], "effective_on": "2025-03-01"},
        headers=accounts["ses"].headers,
    )
    assert response.status_code == 200, response.text
    assert sorted(m["code"] for m in response.json()["municipalities"]) == ["1300102", "1302603"]
    old = (await client.get("/api/v1/regions/13001")).json()
    assert [m["code"] for m in old["municipalities"]] == ["1303809"]
    manaus = [p for p in old["membership_history"] if p["municipality_code"] == "1302603"]
    assert manaus[0]["valid_to"] == "2025-03-01"
    foreign = await client.patch(
        "/api/v1/regions/13002", json={"municipalities": ["3550308"]}, headers=accounts["ses"].headers
    )
    assert foreign.status_code == 422
    assert foreign.json()["code"] == "unknown_municipality"


async def test_region_create_validates(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"].headers
    assert (await client.post("/api/v1/regions", json={"code": "13001", "name": "x"}, headers=admin)).status_code == 409
    bad = await client.post("/api/v1/regions", json={"code": "99001", "name": "x"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_region_code"
    extra = await client.post("/api/v1/regions", json={"code": "13050", "name": "x", "uf": "SP"}, headers=admin)
    assert extra.status_code == 422  # unknown fields are refused, not ignored


async def test_user_bindings_are_checked(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"].headers

    async def create(**body: Any) -> httpx.Response:
        base = {"name": "Pessoa", "password": "a long password"}
        return await client.post("/api/v1/users", json=base | body, headers=admin)

    gestor = await create(email="g@example.org", role="gestor", municipality="130260")
    assert gestor.status_code == 201, gestor.text
    assert (gestor.json()["uf"], gestor.json()["municipality_code"]) == ("AM", "1302603")
    apoiador = await create(email="a@example.org", role="apoiador", regions=["13001", "13002"])
    assert apoiador.json()["region_codes"] == ["13001", "13002"]
    assert apoiador.json()["uf"] == "AM"
    for body, code in (
        ({"email": "x@example.org", "role": "ses"}, "invalid_binding"),
        ({"email": "x@example.org", "role": "gestor", "municipality": "1302603", "uf": "SP"}, "invalid_binding"),
        ({"email": "x@example.org", "role": "apoiador", "regions": ["13999"]}, "unknown_region"),
        ({"email": "x@example.org", "role": "gestor", "municipality": "9999996"}, "unknown_municipality"),
        ({"email": "g@example.org", "role": "auditor"}, "duplicate_account"),
        ({"email": "not-an-email", "role": "auditor"}, "invalid_input"),
    ):
        response = await create(**body)
        assert response.json()["code"] == code, (body, response.text)
    short = await create(email="y@example.org", role="auditor", password="short")
    assert short.status_code == 422


async def test_user_patch_rebinds_and_deactivates(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"].headers
    target = accounts["gestor_other"]
    read = await client.get(f"/api/v1/users/{target.user.id}", headers=admin)
    patched = await client.patch(
        f"/api/v1/users/{target.user.id}",
        json={"role": "conselho", "active": False},
        headers=admin | {"If-Match": read.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["role"], patched.json()["active"]) == ("conselho", False)
    # A deactivated account's tokens stop working at once.
    assert (await client.get("/api/v1/auth/me", headers=target.headers)).status_code == 401


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"
    wrong_method = await client.delete("/api/v1/states")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert missing.json()["request_id"] == missing.headers["X-Request-ID"]


async def test_malformed_json_is_422_problem(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    response = await client.post(
        "/api/v1/regions",
        content=b"{not json",
        headers=accounts["admin"].headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["errors"]


async def test_unexpected_error_is_masked_logged_and_rolled_back(
    app: Any, client: httpx.AsyncClient, accounts: dict[str, Account], caplog: Any
) -> None:
    from app.core.principal import Principal
    from app.domain.territory import RegionCreate, TerritoryService

    router = APIRouter()

    @router.post("/boom")
    async def boom(repositories: UnitOfWork) -> None:
        await TerritoryService(repositories).create_region(Principal.system(), RegionCreate(code="13077", name="Meia"))
        raise RuntimeError("secret internals")

    app.include_router(router)
    response = await client.post("/boom", headers={"X-Request-ID": "trace-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == "trace-123"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert any("trace-123" in record.getMessage() for record in caplog.records)
    assert (await client.get("/api/v1/regions/13077")).status_code == 404  # nothing half-written


async def test_a_body_is_read_before_the_request_takes_its_turn_at_the_pool(app: Any) -> None:
    """A slow upload must not hold one of the pool's turns while it arrives."""
    events: list[str] = []

    @asynccontextmanager
    async def turn(*, read_only: bool = False) -> AsyncIterator[None]:
        events.append("turn taken")
        yield

    app.state.database.turn = turn
    router = APIRouter()

    @router.post("/echo")
    async def echo(payload: dict[str, str], repositories: UnitOfWork) -> dict[str, str]:
        events.append("endpoint")
        return payload

    app.include_router(router)
    chunks = [b'{"a": ', b'"b"}']

    async def receive() -> dict[str, Any]:
        body = chunks.pop(0)
        if not chunks:
            events.append("body read")
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    await app(
        {"type": "http", "method": "POST", "path": "/echo", "headers": headers, "query_string": b""}, receive, send
    )
    assert sent[0]["status"] == 200
    assert events == ["body read", "turn taken", "endpoint"]


async def test_nul_characters_are_422_not_500(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    admin = accounts["admin"].headers
    for response in (
        await client.post("/api/v1/organizations", json={"acronym": "A\x00", "name": "x"}, headers=admin),
        await client.get("/api/v1/municipalities", params={"q": "sa\x00o"}),
        await client.post("/api/v1/auth/token", data={"username": "a\x00@example.org", "password": "x"}),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_text"
        assert response.headers["X-Request-ID"] == response.json()["request_id"]


async def test_patch_derives_the_uf_again_when_the_territory_changes(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"].headers
    user = f"/api/v1/users/{accounts['gestor'].user.id}"
    cleared = await client.patch(user, json={"municipality": None}, headers=admin)
    assert cleared.status_code == 422  # not silently a gestor of the whole state
    assert cleared.json()["code"] == "invalid_binding"
    moved = await client.patch(user, json={"municipality": "3550308"}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["uf"], moved.json()["municipality_code"]) == ("SP", "3550308")


async def test_membership_dates_are_not_in_the_future_and_never_overlap(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"].headers
    future = await client.patch(
        "/api/v1/regions/13001", json={"municipalities": ["1302603"], "effective_on": "2999-01-01"}, headers=ses
    )
    assert future.status_code == 422
    assert future.json()["code"] == "invalid_effective_date"
    # Anori leaves 13002 on 2024-01-01 and belongs nowhere after that.
    left = await client.patch(
        "/api/v1/regions/13002", json={"municipalities": [], "effective_on": "2024-01-01"}, headers=ses
    )
    assert left.status_code == 200, left.text
    overlapping = await client.patch(
        "/api/v1/regions/13001",
        json={"municipalities": ["1302603", "1303809", "1300102"], "effective_on": "2023-01-01"},
        headers=ses,
    )
    assert overlapping.status_code == 422
    assert "until 2024-01-01" in overlapping.json()["detail"]
    joined = await client.patch(
        "/api/v1/regions/13001",
        json={"municipalities": ["1302603", "1303809", "1300102"], "effective_on": "2024-06-01"},
        headers=ses,
    )
    assert joined.status_code == 200, joined.text


async def test_if_match_must_be_a_strong_etag_we_issued(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    ses = accounts["ses"].headers
    for value in ('"' + "9" * 5000 + '"', 'W/"1"', "1"):
        response = await client.patch("/api/v1/regions/13002", json={"name": "x"}, headers=ses | {"If-Match": value})
        assert response.status_code == 412, value


async def test_a_null_in_a_cursor_is_refused(client: httpx.AsyncClient) -> None:
    from app.core.pagination import encode_cursor

    response = await client.get("/api/v1/municipalities", params={"cursor": encode_cursor((None,))})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"
