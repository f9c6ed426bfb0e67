"""The same scenarios through REST and GraphQL: reads give the same objects (REST's JSON,
camelCased, is what GraphQL answers when asked for those very fields), writes leave the same
state, and refusals carry the same code."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support import MANAUS, SAO_GABRIEL, Account, graphql

JSON_LEAVES = frozenset({"before", "after", "extra"})  # JSON scalars: no selection inside
OBJECTS = frozenset({"current_status", "region"})  # object fields that may be null in every sample


def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def graphql_name(key: str) -> str:
    return "databaseId" if key == "id" else camel(key)


def selection(samples: list[Any], depth: int | None = None) -> str:
    """The GraphQL selection that asks for every field REST's JSON objects carry. Tree nodes
    are one type at every depth, so their fields are sampled from the whole tree."""
    if depth is None and any(sample.get("children") for sample in samples):
        depth, samples = _tree(samples)
    fields: dict[str, list[Any]] = {}
    for sample in samples:
        for key, value in sample.items():
            fields.setdefault(key, []).extend(value if isinstance(value, list) else [value])
    parts = []
    for key, values in fields.items():
        objects = [value for value in values if isinstance(value, dict)]
        if key == "yearly_targets":
            parts.append("yearlyTargets { year value }")
        elif key == "children":
            inner = selection(samples, depth - 1) if depth else "databaseId"
            parts.append(f"children {{ {inner} }}")
        elif objects and key not in JSON_LEAVES:
            parts.append(f"{graphql_name(key)} {{ {selection(objects)} }}")
        elif key in OBJECTS:
            parts.append(f"{graphql_name(key)} {{ __typename }}")
        else:
            parts.append(graphql_name(key))
    return " ".join(parts)


def _tree(roots: list[Any]) -> tuple[int, list[Any]]:
    """The depth of these trees and all their nodes."""
    children = [child for node in roots for child in node.get("children", [])]
    if not children:
        return 0, roots
    depth, below = _tree(children)
    return depth + 1, roots + below


def as_graphql(value: Any, key: str = "") -> Any:
    """REST's JSON as GraphQL answers it: camelCase keys, `id` as databaseId, yearly targets as
    a list, and instants compared as instants."""
    if key == "yearly_targets":
        return [{"year": int(year), "value": target} for year, target in value.items()]
    if isinstance(value, dict) and key not in JSON_LEAVES:
        return {graphql_name(k): as_graphql(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [as_graphql(item, key) for item in value]
    return instant(value)


def instant(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)", value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dict):
        return {k: instant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [instant(item) for item in value]
    return value


def _query(path: tuple[str, ...], inner: str) -> str:
    """`{ a(x) { b(y) { inner } } }` for path (a(x), b(y))."""
    for call in reversed(path):
        inner = f"{call} {{ {inner} }}"
    return "{ " + inner + " }"


def _answer(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    assert "errors" not in body, body["errors"]
    value: Any = body["data"]
    for call in path:
        value = value[call.split("(")[0]]
    return value


async def same_object(
    client: httpx.AsyncClient, rest_path: str, *path: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """GET the REST object, ask GraphQL at `path` for the same fields, and compare."""
    rest = await client.get(rest_path, headers=headers)
    assert rest.status_code == 200, rest.text
    body = rest.json()
    answer = await graphql(client, _query(path, selection([body])), headers=headers)
    assert instant(_answer(answer, path)) == as_graphql(body)
    return body


async def same_items(
    client: httpx.AsyncClient, rest_path: str, *path: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """A REST JSON array and the GraphQL list at `path`: the same objects."""
    rest = await client.get(rest_path, headers=headers)
    assert rest.status_code == 200, rest.text
    items = rest.json()
    assert items, f"{rest_path} lists nothing: the comparison would prove nothing"
    answer = await graphql(client, _query(path, selection(items)), headers=headers)
    assert instant(_answer(answer, path)) == as_graphql(items)
    return list(items)


async def same_page(
    client: httpx.AsyncClient, rest_path: str, *path: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """A REST page and the GraphQL connection at `path`: same items, same next cursor."""
    rest = await client.get(rest_path, headers=headers)
    assert rest.status_code == 200, rest.text
    page = rest.json()
    assert page["items"], f"{rest_path} lists nothing: the comparison would prove nothing"
    inner = "nodes { " + selection(page["items"]) + " } pageInfo { hasNextPage endCursor }"
    connection = _answer(await graphql(client, _query(path, inner), headers=headers), path)
    assert instant(connection["nodes"]) == as_graphql(page["items"])
    info = connection["pageInfo"]
    assert (info["endCursor"] if info["hasNextPage"] else None) == page["next_cursor"]
    return list(page["items"])


@pytest.fixture
async def plan(client: httpx.AsyncClient, accounts: dict[str, Account]) -> dict[str, Any]:
    """Manaus's plan, with a reported and an overdue meta, yearly targets, and a round."""
    admin = accounts["admin"].headers
    created = await client.post(
        "/api/v1/instruments",
        json={"kind": "PMS", "owner_type": "municipality", "owner": MANAUS, "year": 2022, "title": "PMS 2022–2025"},
        headers=admin,
    )
    instrument = created.json()
    moved = await client.post(
        f"/api/v1/instruments/{instrument['id']}/transitions",
        json={"to": "em_elaboracao", "comment": "Início da elaboração", "on": "2021-09-01"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    tree = await client.post(
        f"/api/v1/instruments/{instrument['id']}/goals",
        json={
            "level": "diretriz",
            "number": "1",
            "description": "Fortalecer a atenção primária",
            "children": [
                {
                    "level": "objetivo",
                    "number": "1.1",
                    "description": "Ampliar o acesso",
                    "children": [
                        {
                            "level": "meta",
                            "number": "1.1.1",
                            "description": "Ampliar a cobertura de APS",
                            "indicator_name": "Cobertura de APS",
                            "polarity": "higher",
                            "target_value": 80,
                            "yearly_targets": {"2022": 70, "2023": 75},
                            "deadline": "2023-12-31",
                            "deadline_precision": "month",
                            "responsible": "Diretoria de APS",
                            "scope": "municipal",
                        },
                        {
                            "level": "meta",
                            "number": "1.1.2",
                            "description": "Reformar 10 UBS",
                            "deadline": "2030-06-30",
                        },
                    ],
                }
            ],
        },
        headers=admin,
    )
    metas = tree.json()["children"][0]["children"]
    round_ = await client.post(
        f"/api/v1/instruments/{instrument['id']}/rounds",
        json={"name": "Reunião de 2023", "held_on": "2023-06-30"},
        headers=admin,
    )
    for meta, status, value in ((metas[0], "em_andamento", 72.5), (metas[1], "nao_iniciada", None)):
        reported = await client.post(
            f"/api/v1/goals/{meta['id']}/status-updates",
            json={"status": status, "round_id": round_.json()["id"], "achieved_value": value, "details": "ok"},
            headers=admin,
        )
        assert reported.status_code == 201, reported.text
    return {"instrument": instrument, "metas": metas, "round": round_.json()}


async def test_reads_answer_the_same_objects(
    client: httpx.AsyncClient, accounts: dict[str, Account], plan: dict[str, Any]
) -> None:
    admin = accounts["admin"].headers
    instrument = f'instrument(id: "{plan["instrument"]["id"]}")'
    rest_instrument = f"/api/v1/instruments/{plan['instrument']['id']}"
    meta_id = plan["metas"][0]["id"]
    await same_object(client, "/api/v1/states/AM", 'state(uf: "AM")')
    await same_object(client, f"/api/v1/municipalities/{MANAUS}", f'municipality(code: "{MANAUS}")')
    await same_object(client, "/api/v1/regions/13001", 'region(code: "13001")')
    await same_object(client, rest_instrument, instrument, headers=admin)
    await same_object(
        client, f"{rest_instrument}?as_of=2022-01-01", instrument[:-1] + ', asOf: "2022-01-01")', headers=admin
    )
    await same_object(
        client, f"/api/v1/goals/{meta_id}?as_of=2024-01-01", f'goal(id: "{meta_id}", asOf: "2024-01-01")', headers=admin
    )
    await same_object(
        client,
        f"{rest_instrument}/progress?as_of=2024-01-01",
        instrument,
        'progress(asOf: "2024-01-01")',
        headers=admin,
    )
    await same_object(client, "/api/v1/auth/me", "me", headers=admin)
    await same_items(
        client, f"{rest_instrument}/goals?as_of=2024-01-01", instrument, 'goalTree(asOf: "2024-01-01")', headers=admin
    )
    await same_items(client, f"{rest_instrument}/history", instrument, "history", headers=admin)
    await same_items(client, f"{rest_instrument}/rounds", instrument, "rounds", headers=admin)
    await same_items(
        client, f"/api/v1/goals/{meta_id}/status-updates", f'goal(id: "{meta_id}")', "statusUpdates", headers=admin
    )
    await same_page(client, "/api/v1/states?limit=5", "states(first: 5)")
    await same_page(
        client, "/api/v1/municipalities?uf=AM&q=sao&limit=3", 'municipalities(uf: "AM", q: "sao", first: 3)'
    )
    await same_page(client, "/api/v1/regions?uf=AM", 'regions(uf: "AM")')
    await same_page(
        client,
        f"/api/v1/instruments?municipality={MANAUS}&year=2023",
        f'instruments(municipality: "{MANAUS}", year: 2023)',
        headers=admin,
    )
    await same_page(
        client,
        f"{rest_instrument}/goals?flat=true&level=meta&as_of=2024-01-01&limit=1",
        instrument,
        'goals(level: meta, asOf: "2024-01-01", first: 1)',
        headers=admin,
    )
    await same_page(
        client,
        f"{rest_instrument}/goals?flat=true&overdue=true&as_of=2024-01-01",
        instrument,
        'goals(overdue: true, asOf: "2024-01-01")',
        headers=admin,
    )
    await same_page(client, f"{rest_instrument}/status-updates", instrument, "statusUpdates", headers=admin)
    await same_page(
        client,
        f"/api/v1/compliance?year=2023&municipality={MANAUS}",
        f'compliance(year: 2023, municipality: "{MANAUS}")',
    )
    await same_page(client, "/api/v1/users", "users", headers=admin)
    await same_page(
        client, "/api/v1/audit-events?entity=instrument", 'auditEvents(entity: "instrument")', headers=admin
    )


VARYING = frozenset(
    {"databaseId", "owner", "municipalityCode", "instrumentId", "parentId", "goalId", "roundId", "recordedAt"}
    | {"createdAt", "updatedAt"}
)


def comparable(value: Any) -> Any:
    """What two equal writes on different entes share: all but ids, owners and instants."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items() if key not in VARYING}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


async def test_writes_leave_the_same_state(client: httpx.AsyncClient, accounts: dict[str, Account]) -> None:
    """Each write through REST on Manaus and through GraphQL on São Gabriel: same results."""
    admin = accounts["admin"].headers
    rest = await client.post(
        "/api/v1/instruments",
        json={"kind": "PMS", "owner_type": "municipality", "owner": MANAUS, "year": 2026, "notes": "Versão 1"},
        headers=admin,
    )
    gql = await _mutate(
        client,
        admin,
        "createInstrument(input: $input)",
        "InstrumentCreateInput",
        {"kind": "PMS", "ownerType": "municipality", "owner": SAO_GABRIEL, "year": 2026, "notes": "Versão 1"},
        rest.json(),
    )
    assert comparable(gql) == comparable(as_graphql(rest.json()))
    ids = {"rest": rest.json()["id"], "gql": gql["databaseId"]}
    for path, mutation, input_type, body in (
        ("", "updateInstrument(id: $id, input: $input)", "InstrumentPatchInput", {"title": "PMS 2026–2029"}),
        ("/transitions", "transitionInstrument(id: $id, input: $input)", "TransitionInput", {"to": "em_elaboracao"}),
    ):
        method = "PATCH" if not path else "POST"
        rest = await client.request(method, f"/api/v1/instruments/{ids['rest']}{path}", json=body, headers=admin)
        assert rest.status_code == 200, rest.text
        gql = await _mutate(client, admin, mutation, input_type, body, rest.json(), ids["gql"])
        assert comparable(gql) == comparable(as_graphql(rest.json()))
    tree = {
        "level": "diretriz",
        "description": "Diretriz 1",
        "children": [
            {
                "level": "objetivo",
                "description": "Objetivo 1.1",
                "children": [
                    {
                        "level": "meta",
                        "description": "Meta 1.1.1",
                        "yearly_targets": {"2026": 10.5},
                        "deadline": "2026-12-31",
                    }
                ],
            }
        ],
    }
    rest = await client.post(f"/api/v1/instruments/{ids['rest']}/goals", json=tree, headers=admin)
    gql = await _mutate(
        client,
        admin,
        "createGoal(instrumentId: $id, input: $input)",
        "GoalCreateInput",
        camel_keys(tree),
        rest.json(),
        ids["gql"],
    )
    assert comparable(gql) == comparable(as_graphql(rest.json()))
    metas = {
        "rest": rest.json()["children"][0]["children"][0]["id"],
        "gql": gql["children"][0]["children"][0]["databaseId"],
    }
    for path, mutation, input_type, body in (
        ("", "updateGoal(id: $id, input: $input)", "GoalPatchInput", {"responsible": "Diretoria", "polarity": "lower"}),
        (
            "/status-updates",
            "reportStatus(goalId: $id, input: $input)",
            "StatusUpdateInput",
            {"status": "parada", "percent_complete": 20},
        ),
    ):
        method = "PATCH" if not path else "POST"
        rest = await client.request(method, f"/api/v1/goals/{metas['rest']}{path}", json=body, headers=admin)
        assert rest.status_code in (200, 201), rest.text
        gql = await _mutate(client, admin, mutation, input_type, camel_keys(body), rest.json(), metas["gql"])
        assert comparable(gql) == comparable(as_graphql(rest.json()))
    # The trees now read the same, statuses included.
    rest_tree = (await client.get(f"/api/v1/instruments/{ids['rest']}/goals", headers=admin)).json()
    gql_tree = _answer(
        await graphql(
            client, _query((f'instrument(id: "{ids["gql"]}")', "goalTree"), selection(rest_tree)), headers=admin
        ),
        (f'instrument(id: "{ids["gql"]}")', "goalTree"),
    )
    assert comparable(instant(gql_tree)) == comparable(as_graphql(rest_tree))


def camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(k): (v if k == "yearly_targets" else camel_keys(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


async def _mutate(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    call: str,
    input_type: str,
    given: dict[str, Any],
    like: dict[str, Any],
    key: str | None = None,
) -> dict[str, Any]:
    """Run one mutation, asking for the fields of the REST answer `like`."""
    given = _targets_as_lists(given)
    declared = f"$input: {input_type}!" + (", $id: UUID!" if key else "")
    name = call.split("(")[0]
    payload = f"__typename ... on Problem {{ code detail }} ... on {_type_of(name)} {{ {selection([like])} }}"
    document = f"mutation ({declared}) {{ {call} {{ {payload} }} }}"
    body = await graphql(client, document, {"input": given} | ({"id": key} if key else {}), headers=headers)
    assert "errors" not in body, body["errors"]
    answer: dict[str, Any] = body["data"][name]
    assert answer.pop("__typename") != "Problem", answer
    return instant(answer)


def _targets_as_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: [{"year": int(y), "value": t} for y, t in v.items()] if k == "yearlyTargets" else _targets_as_lists(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_targets_as_lists(item) for item in value]
    return value


def _type_of(mutation: str) -> str:
    return {"reportStatus": "StatusUpdate"}.get(mutation, "Goal" if "Goal" in mutation else "Instrument")


REFUSALS = [
    # (who, REST method, REST path, body, If-Match, GraphQL call, input type, input, uses the id)
    (
        "admin",
        "POST",
        "/transitions",
        {"to": "aprovado"},
        None,
        "transitionInstrument(id: $id, input: $input)",
        "TransitionInput",
        True,
    ),
    (
        "admin",
        "PATCH",
        "",
        {"title": "x"},
        '"99"',
        "updateInstrument(id: $id, input: $input, expectedVersion: 99)",
        "InstrumentPatchInput",
        True,
    ),
    (
        "admin",
        "PATCH",
        "",
        {"document_url": "not a url"},
        None,
        "updateInstrument(id: $id, input: $input)",
        "InstrumentPatchInput",
        True,
    ),
    (
        "admin",
        "POST",
        "/goals",
        {"level": "meta", "description": "Meta solta"},
        None,
        "createGoal(instrumentId: $id, input: $input)",
        "GoalCreateInput",
        True,
    ),
    (
        "admin",
        "POST",
        "/rounds",
        {"name": " ", "held_on": "2026-01-01"},
        None,
        "createRound(instrumentId: $id, input: $input)",
        "RoundInput",
        True,
    ),
    (
        "gestor_other",
        "PATCH",
        "",
        {"title": "x"},
        None,
        "updateInstrument(id: $id, input: $input)",
        "InstrumentPatchInput",
        True,
    ),
    (
        "auditor",
        "PATCH",
        "",
        {"title": "x"},
        None,
        "updateInstrument(id: $id, input: $input)",
        "InstrumentPatchInput",
        True,
    ),
    (
        "anonymous",
        "PATCH",
        "",
        {"title": "x"},
        None,
        "updateInstrument(id: $id, input: $input)",
        "InstrumentPatchInput",
        True,
    ),
    (
        "admin",
        "POST",
        "",
        {"kind": "PMS", "owner_type": "municipality", "owner": "1399999", "year": 2026},
        None,
        "createInstrument(input: $input)",
        "InstrumentCreateInput",
        False,
    ),
    (
        "admin",
        "POST",
        "",
        {"kind": "PMS", "owner_type": "state", "owner": "AM", "year": 2026},
        None,
        "createInstrument(input: $input)",
        "InstrumentCreateInput",
        False,
    ),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[f"{r[0]} {r[5].split('(')[0]} {sorted(r[3])}" for r in REFUSALS])
async def test_refusals_carry_the_same_code(
    client: httpx.AsyncClient, accounts: dict[str, Account], plan: dict[str, Any], refusal: tuple[Any, ...]
) -> None:
    who, method, suffix, body, if_match, call, input_type, with_id = refusal
    headers = accounts[who].headers if who in accounts else {}
    instrument_id = plan["instrument"]["id"]
    rest_path = f"/api/v1/instruments/{instrument_id}{suffix}" if with_id else "/api/v1/instruments"
    rest = await client.request(
        method, rest_path, json=body, headers=headers | ({"If-Match": if_match} if if_match else {})
    )
    problem = rest.json()
    assert rest.status_code >= 400, problem
    declared = f"$input: {input_type}!" + (", $id: UUID!" if with_id else "")
    document = f"mutation ({declared}) {{ result: {call} {{ ... on Problem {{ code status allowed }} }} }}"
    variables = {"input": camel_keys(body)} | ({"id": instrument_id} if with_id else {})
    answer = await graphql(client, document, variables, headers=headers)
    if answer.get("errors"):  # refused before the mutation ran: the caller itself (401)
        error = answer["errors"][0]["extensions"]
        assert (error["code"], error["status"]) == (problem["code"], rest.status_code)
        return
    result = answer["data"]["result"]
    assert (result["code"], result["status"]) == (problem["code"], rest.status_code), (result, problem)
    assert result["allowed"] == problem.get("allowed")


async def test_out_of_scope_and_anonymous_reads_agree(
    client: httpx.AsyncClient, accounts: dict[str, Account], plan: dict[str, Any]
) -> None:
    instrument_id = plan["instrument"]["id"]
    query = f'{{ instrument(id: "{instrument_id}") {{ status }} }}'
    for caller in ("gestor_other", "anonymous"):
        headers = accounts[caller].headers if caller in accounts else {}
        assert (await client.get(f"/api/v1/instruments/{instrument_id}", headers=headers)).status_code == 404
        assert (await graphql(client, query, headers=headers))["data"] == {"instrument": None}
    # Once past drafting, anonymous callers see it, in lists and by id alike.
    admin = accounts["admin"].headers
    moved = await client.post(
        f"/api/v1/instruments/{instrument_id}/transitions", json={"to": "em_analise_conselho"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    items = await same_page(
        client, f"/api/v1/instruments?municipality={MANAUS}", f'instruments(municipality: "{MANAUS}")'
    )
    assert [item["id"] for item in items] == [instrument_id]
    await same_object(client, f"/api/v1/instruments/{instrument_id}", f'instrument(id: "{instrument_id}")')
    await same_items(
        client,
        f"/api/v1/goals/{plan['metas'][0]['id']}/status-updates",
        f'goal(id: "{plan["metas"][0]["id"]}")',
        "statusUpdates",
    )
