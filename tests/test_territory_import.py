"""Health regions and membership imports: the real sample file, DATASUS layout, all or nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import Account

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "health_regions_sample_2019.csv"
BROKEN_NAME = "Manaus, Entorno e Alto Rio Negro"


@pytest.fixture(scope="module")
def sample() -> bytes:
    return SAMPLE.read_bytes()


def quoted(sample: bytes) -> bytes:
    """The sample with its 12 broken region names quoted, as a planner would fix it."""
    return sample.decode().replace(f",{BROKEN_NAME}\n", f',"{BROKEN_NAME}"\n').encode()


def broken_line_numbers(sample: bytes) -> list[int]:
    return [n for n, line in enumerate(sample.decode().splitlines(), start=1) if line.endswith(f",{BROKEN_NAME}")]


async def _import(client: httpx.AsyncClient, account: Account, content: bytes, **params: str) -> httpx.Response:
    return await client.post(
        "/api/v1/imports/territory",
        params={"effective_on": "2019-01-01"} | params,
        files={"file": ("health_regions_sample_2019.csv", content, "text/csv")},
        headers=account.headers,
    )


async def _counts(client: httpx.AsyncClient) -> tuple[int, int]:
    regions, members, cursor = 0, 0, None
    while True:
        page = (
            await client.get("/api/v1/regions", params={"limit": 200} | ({"cursor": cursor} if cursor else {}))
        ).json()
        regions += len(page["items"])
        for region in page["items"]:
            members += len((await client.get(f"/api/v1/regions/{region['code']}")).json()["municipalities"])
        cursor = page["next_cursor"]
        if cursor is None:
            return regions, members


async def test_sample_as_shipped_is_rejected_naming_each_broken_line(
    client: httpx.AsyncClient, accounts: dict[str, Account], sample: bytes
) -> None:
    expected = broken_line_numbers(sample)
    assert len(expected) == 12
    before = await _counts(client)

    response = await _import(client, accounts["admin"], sample)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "import_rejected"
    assert [error["line"] for error in body["errors"]] == expected
    for error in body["errors"]:
        assert error["field"] == "population"
        assert BROKEN_NAME in error["message"]
        assert "quotes" in error["message"]
    assert await _counts(client) == before  # nothing was written


async def test_quoted_sample_creates_425_regions_and_2865_memberships_then_changes_nothing(
    client: httpx.AsyncClient, accounts: dict[str, Account], sample: bytes
) -> None:
    fixed = quoted(sample)
    # The `accounts` fixture already registered 13001 and 13002 with three of these memberships.
    first = await _import(client, accounts["admin"], fixed)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["regions_created"] + report["regions_updated"] + report["regions_unchanged"] == 425
    assert report["memberships_created"] + report["memberships_moved"] + report["memberships_unchanged"] == 2865
    assert report["warnings"], "names that differ from the IBGE list are reported as warnings"
    assert await _counts(client) == (425, 2865)

    manaus = (await client.get("/api/v1/regions/13001")).json()
    assert manaus["name"] == BROKEN_NAME
    assert len(manaus["municipalities"]) == 12
    assert (await client.get("/api/v1/municipalities/1300102")).json()["population"] == 21010  # Anori
    assert (await client.get("/api/v1/municipalities/1302603")).json()["population"] is None  # its line had none

    again = (await _import(client, accounts["admin"], fixed)).json()
    assert again["regions_created"] == again["regions_updated"] == 0
    assert again["memberships_created"] == again["memberships_moved"] == again["populations_updated"] == 0
    assert again["regions_unchanged"] == 425
    assert again["memberships_unchanged"] == 2865
    assert (await client.get("/api/v1/regions/13001")).json()["version"] == manaus["version"]


async def test_fresh_database_import_counts_every_region_as_created(
    client: httpx.AsyncClient, app: object, sample: bytes, database: object
) -> None:
    from app.core.principal import Role
    from tests.support import make_account

    admin = await make_account(database, app.state.tokens, Role.ADMIN)  # type: ignore[arg-type, attr-defined]
    report = (await _import(client, admin, quoted(sample))).json()
    assert report["regions_created"] == 425
    assert report["memberships_created"] == 2865
    assert report["memberships_moved"] == 0


async def test_dry_run_reports_and_writes_nothing(
    client: httpx.AsyncClient, app: object, sample: bytes, database: object
) -> None:
    from app.core.principal import Role
    from tests.support import make_account

    admin = await make_account(database, app.state.tokens, Role.ADMIN)  # type: ignore[arg-type, attr-defined]
    response = await _import(client, admin, quoted(sample), dry_run="true")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["regions_created"] == 425
    assert await _counts(client) == (0, 0)


async def test_ses_imports_only_its_own_uf(
    client: httpx.AsyncClient, accounts: dict[str, Account], sample: bytes
) -> None:
    response = await _import(client, accounts["ses"], quoted(sample))
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"]]
    assert all("outside your territory" in m for m in messages)
    amazonas = b"\n".join(line for n, line in enumerate(quoted(sample).splitlines()) if n == 0 or b",Amazonas," in line)
    ok = await _import(client, accounts["ses"], amazonas)
    assert ok.status_code == 200, ok.text
    assert ok.json()["memberships_created"] + ok.json()["memberships_moved"] + ok.json()["memberships_unchanged"] == 57


async def test_membership_move_keeps_history_with_dates(
    client: httpx.AsyncClient, accounts: dict[str, Account]
) -> None:
    header = "region,state,city,state_code,city_code,health_region_code,health_region,population\n"
    moved = header + "Norte,Amazonas,Manaus,13,130260,13002,Rio Negro e Solimões,2182763\n"
    response = await _import(client, accounts["admin"], moved.encode(), effective_on="2024-07-01")
    assert response.status_code == 200, response.text
    assert response.json()["memberships_moved"] == 1
    history = (await client.get("/api/v1/regions/13001")).json()["membership_history"]
    manaus = [p for p in history if p["municipality_code"] == "1302603"]
    assert manaus == [
        {
            "municipality_code": "1302603",
            "municipality_name": "Manaus",
            "valid_from": "2019-01-01",
            "valid_to": "2024-07-01",
        }
    ]
    now = (await client.get("/api/v1/municipalities/1302603")).json()
    assert now["region"]["code"] == "13002"
    assert now["population"] == 2182763


async def test_datasus_layout(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    regions = (
        "CO_REGSAUD,CO_UF,NO_REGSAUD,CO_STATUS\n11001,11,Região Madeira-Mamoré,ATIVO\n11002,11,Vale do Jamari,ATIVO\n"
    )
    members = "CO_MUNICIP;CO_REGSAUD\n110020;11001\n1100106;11001\n110030;11002\n"
    response = await client.post(
        "/api/v1/imports/territory",
        files={
            "regions": ("tb_regsaud.csv", regions.encode("latin-1"), "text/csv"),
            "memberships": ("rl_municip_regsaud.csv", members.encode(), "text/csv"),
        },
        headers=accounts["admin"].headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["layout"] == "datasus_base_territorial"
    assert response.json()["regions_created"] == 2
    assert response.json()["memberships_created"] == 3
    region = (await client.get("/api/v1/regions/11001")).json()
    assert region["name"] == "Região Madeira-Mamoré"
    assert [m["code"] for m in region["municipalities"]] == ["1100106", "1100205"]


async def test_datasus_bad_lines_are_all_reported(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    regions = "CO_REGSAUD,NO_REGSAUD\n11001,Madeira\n1100X,Broken\n"
    members = "CO_MUNICIP;CO_REGSAUD\n110020;11001\n999999;11001\n1100204;11001\n120040;11001\n"
    response = await client.post(
        "/api/v1/imports/territory",
        files={
            "regions": ("r.csv", regions.encode(), "text/csv"),
            "memberships": ("m.csv", members.encode(), "text/csv"),
        },
        headers=accounts["admin"].headers,
    )
    assert response.status_code == 422
    errors = [(e["file"], e["line"]) for e in response.json()["errors"]]
    assert errors == [
        ("rl_municip_regsaud", 3),
        ("rl_municip_regsaud", 4),
        ("rl_municip_regsaud", 5),
        ("tb_regsaud", 3),
    ]
    assert (await client.get("/api/v1/regions/11001")).status_code == 404


async def test_import_needs_one_layout(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    response = await client.post(
        "/api/v1/imports/territory",
        files={"regions": ("r.csv", b"CO_REGSAUD,NO_REGSAUD\n", "text/csv")},
        headers=accounts["admin"].headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_import"


async def test_one_municipality_twice_is_a_line_error(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    header = "region,state,city,state_code,city_code,health_region_code,health_region,population\n"
    twice = header + "Norte,Amazonas,Manaus,13,130260,13001,Manaus,1\nNorte,Amazonas,Manaus,13,1302603,13002,Rio,1\n"
    response = await _import(client, accounts["admin"], twice.encode())
    assert response.status_code == 422
    assert [(e["line"], e["message"]) for e in response.json()["errors"]] == [
        (3, "municipality 1302603 is already on line 2")
    ]


async def test_future_effective_dates_are_refused(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    header = "region,state,city,state_code,city_code,health_region_code,health_region,population\n"
    line = "Norte,Amazonas,Manaus,13,130260,13002,Rio Negro e Solimões,1\n"
    response = await _import(client, accounts["admin"], (header + line).encode(), effective_on="2999-01-01")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_effective_date"
