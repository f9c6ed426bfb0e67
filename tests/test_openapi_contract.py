"""Contract test: schemathesis over the app's own /openapi.json, in-process, as an admin.

Every generated request (examples, coverage and fuzzing phases; positive and negative data;
every operation, a bounded number of fuzzed examples each) must get a response that is not a
5xx, whose status code and content type the schema declares, and whose body and declared
headers match the schema. A second test sends hostile inputs found by hand and by the property
tests through the same checks.

The app under test is the per-test `app` fixture, whose database is the test's connection, so
every write is rolled back. That connection belongs to pytest-asyncio's session event loop, so
requests do not go through schemathesis' own ASGI client (which runs the app on an event loop of
its own, in another thread): a `requests` adapter runs each request through
`httpx.ASGITransport` on the session loop, which is idle while these synchronous tests run.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
import requests
import requests.adapters
import schemathesis
import urllib3
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.pagination import encode_cursor
from tests.support import MANAUS, PASSWORD, SAO_GABRIEL, Account

BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MAX_EXAMPLES = 30


class _SessionLoopAdapter(requests.adapters.HTTPAdapter):
    """Sends a prepared request to an ASGI app on a given (idle) event loop."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.app = app
        self.loop = loop

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport) as client:
                return await client.request(
                    str(request.method), str(request.url), headers=dict(request.headers), content=body
                )

        answer = self.loop.run_until_complete(call())
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=list(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            request_method=request.method,
        )
        return self.build_response(request, raw)


@pytest.fixture
async def session_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.fixture
def asgi_session(app: Any, session_loop: asyncio.AbstractEventLoop) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _SessionLoopAdapter(app, session_loop))
    return session


def _files_are_files(raw: dict[str, Any]) -> dict[str, Any]:
    """FastAPI declares an optional upload as `anyOf: [binary string, null]`; schemathesis only
    sends a filename for a bare binary string, and Starlette reads a part without a filename as
    text, so every generated import would stop at "Expected UploadFile". Keep the binary branch
    (a multipart part cannot be null anyway)."""
    for component in raw.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            branches = prop.get("anyOf", [])
            files = [b for b in branches if b.get("contentMediaType") == "application/octet-stream"]
            if files and all(b in files or b == {"type": "null"} for b in branches):
                component["properties"][name] = {k: v for k, v in prop.items() if k != "anyOf"} | files[0]
    return raw


@pytest.fixture
async def api_schema(client: httpx.AsyncClient, accounts: dict[str, Account]) -> Any:
    """The schema as this test's app serves it at /openapi.json (uploads made plain files, see
    `_files_are_files`), with generation nudged now and then towards resources that exist and
    bodies the domain accepts, so that 2xx answers and their headers are checked too."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(_files_are_files(response.json()))
    # Never the admin itself: a generated PATCH could deactivate the account every case runs as.
    user_ids = sorted(str(account.user.id) for role, account in accounts.items() if role != "admin")
    existing = {
        "/api/v1/users/{user_id}": {"user_id": user_ids},
        "/api/v1/regions/{code}": {"code": ["13001", "13002"]},
        "/api/v1/municipalities/{code}": {"code": [MANAUS, SAO_GABRIEL, MANAUS[:6]]},
        "/api/v1/states/{uf}": {"uf": ["AM", "SP"]},
    }

    @schema.hook("flatmap_path_parameters")
    def sometimes_existing(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        choices = existing.get(context.operation.path, {})
        options = [st.just(path_parameters)]
        options += [
            st.sampled_from(values).map(lambda v, n=name: {**path_parameters, n: v}) for name, values in choices.items()
        ]
        return st.one_of(options)

    @schema.hook("flatmap_headers")
    def sometimes_without_if_match(context: Any, headers: dict[str, Any] | None) -> st.SearchStrategy[Any]:
        if not headers or "if-match" not in {name.lower() for name in headers}:
            return st.just(headers)
        without = {name: value for name, value in headers.items() if name.lower() != "if-match"}
        return st.sampled_from([headers, without, {**without, "If-Match": "*"}])

    emails = sorted(account.user.email for account in accounts.values() if account.user.email)
    logins = st.builds(
        lambda email, password: {"grant_type": "password", "username": email, "password": password},
        st.sampled_from(emails),
        st.sampled_from([PASSWORD, "a wrong password"]),  # wrong ones may lock an account: 429
    )
    valid_bodies = VALID_BODIES | {("POST", "/api/v1/auth/token"): logins}

    @schema.hook("flatmap_body")
    def sometimes_valid(context: Any, body: Any) -> st.SearchStrategy[Any]:
        valid = valid_bodies.get((context.operation.method.upper(), context.operation.path))
        return st.just(body) if valid is None else st.one_of(st.just(body), valid)

    return schema


_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzãçé ", min_size=1, max_size=20).filter(str.strip)
# Bodies that get past domain validation, so the 2xx answers are checked too.
VALID_BODIES: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("POST", "/api/v1/users"): st.builds(
        lambda name, user, role: (
            {
                "name": name,
                "email": f"{user.hex[:12]}@example.org",
                "password": "a long enough password",
            }
            | role
        ),
        _NAMES,
        st.uuids(),
        st.sampled_from(
            [
                {"role": "conasems"},
                {"role": "ses", "uf": "AM"},
                {"role": "gestor", "uf": "AM", "municipality": MANAUS},
                {"role": "apoiador", "regions": ["13001", "13002"]},
                {"role": "auditor"},
            ]
        ),
    ),
    ("POST", "/api/v1/regions"): st.builds(
        lambda number, name: {"code": f"13{number:03d}", "name": name}, st.integers(3, 999), _NAMES
    ),
    ("POST", "/api/v1/imports/territory"): st.builds(
        lambda name, population: {
            "file": (
                "region,state,city,state_code,city_code,health_region_code,health_region,population\n"
                f'Norte,Amazonas,Manaus,13,{MANAUS},13001,"{name}",{population}\n'
                f'Norte,Amazonas,São Gabriel da Cachoeira,13,{SAO_GABRIEL},13002,"{name}, 2",\n'
            ).encode()
        },
        _NAMES,
        st.integers(0, 3_000_000),
    ),
}


@pytest.fixture(autouse=True)
def _legacy_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 reads and rewrites `node._nodeid`, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _call_and_check(case: Any, session: requests.Session, headers: dict[str, str], **kwargs: Any) -> Any:
    response = case.call(base_url=BASE_URL, session=session, headers=headers, **kwargs)
    case.validate_response(
        response, checks=CHECKS, headers=headers, transport_kwargs={"base_url": BASE_URL, "session": session}
    )
    return response


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_honours_its_schema(
    case: Any, asgi_session: requests.Session, accounts: dict[str, Account]
) -> None:
    _call_and_check(case, asgi_session, accounts["admin"].headers)


CSV_HEADER = "region,state,city,state_code,city_code,health_region_code,health_region,population\n"


def _territory_file(*lines: str) -> dict[str, Any]:
    return {"file": (CSV_HEADER + "".join(line + "\n" for line in lines)).encode()}


# (method, path, Case arguments): inputs that reached a 5xx or an undeclared answer once.
HOSTILE: list[Any] = [
    pytest.param("GET", "/api/v1/states", {"query": {"cursor": encode_cursor((13,))}}, id="states-valid-cursor"),
    pytest.param(
        "GET", "/api/v1/states", {"query": {"cursor": encode_cursor((2**31,))}}, id="states-cursor-beyond-int32"
    ),
    pytest.param("GET", "/api/v1/states", {"query": {"cursor": encode_cursor((10**30,))}}, id="states-cursor-huge-int"),
    pytest.param("GET", "/api/v1/users", {"query": {"cursor": encode_cursor((5,))}}, id="users-cursor-int-for-uuid"),
    pytest.param(
        "GET",
        "/api/v1/organizations",
        {"query": {"cursor": encode_cursor(("CONASEMS", 5))}},
        id="organizations-cursor-int-for-uuid",
    ),
    pytest.param(
        "GET", "/api/v1/municipalities", {"query": {"cursor": encode_cursor(("a\x00",))}}, id="cursor-with-nul"
    ),
    pytest.param("GET", "/api/v1/municipalities", {"query": {"q": "s\x00o"}}, id="search-with-nul"),
    pytest.param("GET", "/api/v1/states/{uf}", {"path_parameters": {"uf": "\x00"}}, id="uf-nul"),
    pytest.param("GET", "/api/v1/states/{uf}", {"path_parameters": {"uf": "AMX"}}, id="uf-too-long"),
    pytest.param(
        "GET",
        "/api/v1/municipalities/{code}",
        {"path_parameters": {"code": "130260\n"}},
        id="municipality-code-with-trailing-newline",
    ),
    pytest.param(
        "GET", "/api/v1/regions/{code}", {"path_parameters": {"code": "13001\n"}}, id="region-code-trailing-newline"
    ),
    pytest.param(
        "POST",
        "/api/v1/organizations",
        {"body": {"acronym": "NUL\x00", "name": "Org"}, "media_type": "application/json"},
        id="organization-with-nul",
    ),
    pytest.param(
        "POST",
        "/api/v1/users",
        {
            "body": {"email": "nul\x00@example.org", "name": "N", "password": "x" * 12, "role": "conasems"},
            "media_type": "application/json",
        },
        id="user-email-with-nul",
    ),
    pytest.param(
        "POST",
        "/api/v1/auth/token",
        {"body": {"username": "a\x00b", "password": "x"}, "media_type": "application/x-www-form-urlencoded"},
        id="login-with-nul",
    ),
    pytest.param(
        "POST",
        "/api/v1/imports/territory",
        {
            "body": _territory_file("Norte,Amazonas,Manaus,13,1302603,13001,Manaus,99999999999"),
            "media_type": "multipart/form-data",
        },
        id="import-population-beyond-int32",
    ),
    pytest.param(
        "POST",
        "/api/v1/imports/territory",
        {
            "body": _territory_file("Norte,Amazonas,Manaus,13,1302603,13001,Manaus,\u00b2"),
            "media_type": "multipart/form-data",
        },
        id="import-population-superscript-digit",
    ),
    pytest.param(
        "POST",
        "/api/v1/imports/territory",
        {
            "body": _territory_file(
                'Norte,Amazonas,Manaus,13,1302603,13001,"Manaus,',
                *(f"Norte,Amazonas,X,13,13{n:05d},13001,Manaus,1" for n in range(5000)),
            ),
            "media_type": "multipart/form-data",
        },
        id="import-unclosed-quote-large-file",
    ),
    pytest.param(
        "POST",
        "/api/v1/imports/territory",
        {
            "body": {
                "file": (CSV_HEADER + "Norte,Amazonas,Manaus,13,1302603,13001,Manaus,1\r").replace("\n", "\r").encode()
            },
            "media_type": "multipart/form-data",
        },
        id="import-cr-line-endings",
    ),
]


@pytest.mark.parametrize(("method", "path", "arguments"), HOSTILE)
def test_hostile_inputs_get_a_declared_answer(
    api_schema: Any,
    asgi_session: requests.Session,
    accounts: dict[str, Account],
    method: str,
    path: str,
    arguments: dict[str, Any],
) -> None:
    case = api_schema[path][method].Case(**arguments)
    _call_and_check(case, asgi_session, accounts["admin"].headers)


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/organizations", "/api/v1/regions"])
def test_a_json_body_that_is_not_utf8_gets_a_declared_answer(
    api_schema: Any, asgi_session: requests.Session, accounts: dict[str, Account], path: str
) -> None:
    """FastAPI answers 400 "There was an error parsing the body" to a body it cannot decode."""
    headers = accounts["admin"].headers | {"Content-Type": "application/json"}
    response = asgi_session.post(BASE_URL + path, data=b"\x80\x07", headers=headers)
    case = api_schema[path]["POST"].Case(body={}, media_type="application/json")
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except Exception as failure:
        failure.add_note(
            f"(the body actually sent was b'\\x80\\x07', not the `{{}}` of the curl line; got {response.text})"
        )
        raise


def test_every_operation_is_in_a_section_of_the_docs(app: Any) -> None:
    """The docs show their sections in the order the document lists them; an operation whose
    tag is not listed would be shown after all of them."""
    document = app.openapi()
    used = {tag for item in document["paths"].values() for operation in item.values() for tag in operation["tags"]}
    assert used == {tag["name"] for tag in document["tags"]}
