"""A document that may answer with more objects than one request should build is refused before
it runs, with `query_too_large`, however its lists are written: pages, plain lists, fragments,
aliases, variables."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLList, GraphQLObjectType, get_named_type, get_nullable_type, parse
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.graphql.cost import LIST_SIZES, PANEL_GROUPS, PANEL_LIST, PARTS, AnswerSizes
from app.api.graphql.schema import build_schema
from app.core.recent import RecentlyUsed
from app.core.settings import Settings
from app.main import create_app
from tests.support import ConnectionBoundDatabase, graphql, statements_run

SCHEMA = build_schema(Settings(jwt_secret=SecretStr("x" * 40)))._schema
MUNICIPALITIES = LIST_SIZES["Region.municipalities"]
HISTORY = LIST_SIZES["Goal.statusUpdates"]


def objects(document: str, variables: dict[str, Any] | None = None, cap: int = 200) -> int:
    sizes = AnswerSizes(max_objects=1, max_page_size=cap, kept=RecentlyUsed(4))
    return sizes.objects(SCHEMA, parse(document), document, None, variables or {})


# A page's `first`, however it is written: (the argument, the variables, the size it counts as).
FIRSTS = st.one_of(
    st.just(("", {}, 50)),
    st.just(("(first: null)", {}, 50)),
    st.integers(1, 200).map(lambda n: (f"(first: {n})", {}, n)),
    st.integers(201, 10_000).map(lambda n: (f"(first: {n})", {}, 200)),  # refused by its resolver
    st.integers(1, 200).map(lambda n: ("(first: $VAR)", {"VAR": n}, n)),
    st.just(("(first: $VAR)", {}, 50)),
    st.just(("(first: $VAR)", {"VAR": None}, 50)),
)


@st.composite
def region_reads(draw: st.DrawFn) -> tuple[str, dict[str, Any], int]:
    """regions → municipalities → instruments → goals (→ their history), each page written in
    one of the ways a client may write it; with the count the model gives."""
    pages = [draw(FIRSTS) for _ in range(3)]
    history = draw(st.booleans())
    variables: dict[str, Any] = {}
    arguments = []
    for level, (argument, values, _) in enumerate(pages):
        arguments.append(argument.replace("VAR", f"n{level}"))
        variables |= {f"n{level}": value for value in values.values()}

    def items(body: str) -> str:
        return draw(st.sampled_from([f"nodes {{ {body} }}", f"edges {{ cursor node {{ {body} }} }}"]))

    goal = "number" + (" statusUpdates { status }" if history else "")
    goals = f"goals{arguments[2]} {{ {items(goal)} }}"
    if draw(st.booleans()):
        goals = f"... on Instrument {{ {goals} }}"
    instrument = f"kind {goals}"
    uses_fragment = draw(st.booleans())
    municipality = "code ...M" if uses_fragment else f"code instruments{arguments[1]} {{ {items(instrument)} }}"
    fragment = f"fragment M on Municipality {{ instruments{arguments[1]} {{ {items(instrument)} }} }}"
    declared = ", ".join(f"$n{level}: Int" for level, page in enumerate(pages) if "$" in page[0])
    regions = f"regions{arguments[0]} {{ {items(f'municipalities {{ {municipality} }}')} }}"
    document = f"query{f'({declared})' if declared else ''} {{ {regions} }}" + (f" {fragment}" if uses_fragment else "")
    region_page, instruments, goal_page = (size for _, _, size in pages)
    levels = [region_page, MUNICIPALITIES, instruments, goal_page] + ([HISTORY] if history else [])
    expected, outer = 0, 1
    for size in levels:
        outer *= size
        expected += outer
    return document, variables, expected


def test_aliases_count_apart_and_a_page_counts_once_whether_read_by_edges_or_nodes() -> None:
    one = "states(first: 10) { nodes { uf } edges { node { uf } } }"
    assert objects(f"{{ {one} }}") == 10
    assert objects(f"{{ a: {one} b: {one} }}") == 20
    assert objects("{ __typename states(first: 3) { pageInfo { hasNextPage } } }") == 3


def test_a_default_in_the_document_counts_when_the_variable_is_not_sent() -> None:
    document = "query ($n: Int = 7) { states(first: $n) { nodes { uf } } }"
    assert objects(document) == 7
    assert objects(document, {"n": 9}) == 9
    assert objects(document, {"n": None}) == 50  # sent as null, `first` takes the API's default


def test_pages_count_at_most_the_configured_page_size() -> None:
    assert objects("{ states(first: 150) { nodes { uf } } }", cap=100) == 100
    assert objects("{ states { nodes { uf } } }", cap=10) == 10


def test_every_list_that_is_not_a_page_has_its_usual_size_or_is_part_of_its_object() -> None:
    lists: dict[str, GraphQLObjectType] = {
        f"{type_.name}.{name}": item
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__") and "pageInfo" not in type_.fields
        for name, field in type_.fields.items()
        if isinstance(get_nullable_type(field.type), GraphQLList)
        and isinstance(item := get_named_type(field.type), GraphQLObjectType)
        and "first" not in field.args
    }
    assert set(lists) == set(LIST_SIZES) | PARTS | {PANEL_LIST}
    assert not set(LIST_SIZES) & PARTS
    for part in PARTS:  # values only: nothing inside a part multiplies
        fields = lists[part].fields.values()
        assert not any(isinstance(get_named_type(field.type), GraphQLObjectType) for field in fields), part


def test_a_part_of_an_object_counts_with_it() -> None:
    assert objects("{ states(first: 2) { nodes { uf } } }") == 2
    goals = '{ instrument(id: "00000000-0000-0000-0000-000000000000") { goals(first: 5) { nodes { %s } } } }'
    assert objects(goals % "number yearlyTargets { year value }") == objects(goals % "number") == 5
    assert objects(goals % "statusUpdates { status }") == 5 + 5 * LIST_SIZES["Goal.statusUpdates"]


# A panel's grouping and years, however they are written: (the arguments, the variables, what
# they count as: the grouping, or None for the default, and the years).
GROUPINGS = st.one_of(
    st.just(("", {}, None)),
    st.just(("groupBy: null", {}, None)),
    st.sampled_from(sorted(PANEL_GROUPS)).map(lambda g: (f"groupBy: {g}", {}, g)),
    st.sampled_from(sorted(PANEL_GROUPS)).map(lambda g: ("groupBy: $grouping", {"grouping": g}, g)),
    st.just(("groupBy: $grouping", {}, "municipality")),  # the document's default
)


@st.composite
def panels(draw: st.DrawFn) -> tuple[str, dict[str, Any], int]:
    """A panel, or a series of panels, with its count: groups per key and year, a 27th of the
    keys within one UF, and as many aliases of it as drawn."""
    grouping, variables, counted = draw(GROUPINGS)
    arguments = [grouping] if grouping else []
    if draw(st.booleans()):
        arguments.append(draw(st.sampled_from(['uf: "AM"', "uf: $uf"])))
        variables = variables | ({"uf": "AM"} if "$uf" in arguments[-1] else {})
        keys = -(-PANEL_GROUPS[counted or "uf"] // 27)
    else:
        keys = PANEL_GROUPS[counted or "uf"]
    first = draw(st.integers(1988, 2100))
    years = draw(st.integers(1, 20))
    if draw(st.booleans()):
        field, years = "panels", 1
        arguments.append(f"year: {first}")
    elif draw(st.booleans()):
        field = "panelSeries"
        arguments.append(f"fromYear: {first}, toYear: {first + years - 1}")
    else:
        field = "panelSeries"
        arguments.append("fromYear: $from, toYear: $to")
        variables = variables | {"from": first, "to": first + years - 1}
    aliases = draw(st.integers(1, 3))
    selection = " ".join(f"p{n}: {field}({', '.join(arguments)}) {{ groups {{ key byStatus {{ count }} }} }}"
        for n in range(aliases))  # fmt: skip
    declared = {"grouping": "PanelGrouping = municipality", "uf": "String", "from": "Int", "to": "Int"}
    definitions = ", ".join(f"${name}: {kind}" for name, kind in declared.items() if f"${name}" in selection)
    operation = f"query Panels({definitions})" if definitions else "query Panels"
    return f"{operation} {{ {selection} }}", variables, aliases * keys * years


@given(st.one_of(region_reads(), panels()))
def test_each_list_counts_its_size_times_the_lists_around_it(read: tuple[str, dict[str, Any], int]) -> None:
    """Pages and plain lists nested in each other, and panels by their grouping, UF and years."""
    document, variables, expected = read
    assert objects(document, variables) == expected


def test_many_national_panels_by_municipality_are_too_large_for_one_request() -> None:
    """Each is a whole national panel's work: 30 at once were about 30 REST requests' in one."""
    one = "{ panels(year: 2024, groupBy: municipality) { groups { key } } }"
    many = " ".join(f"p{n}: panels(year: 2024, groupBy: municipality) {{ groups {{ key }} }}" for n in range(30))
    assert objects(one) == 5_570
    assert objects("{ " + many + " }") == 30 * 5_570 > 100_000


# 200 regions × their municipalities × 200 instruments, each with 200 goals
BOMB = """{ regions(first: 200) { nodes { municipalities { instruments(first: 200) { nodes {
    goals(first: 200) { nodes { number } } } } } } } }"""


async def test_a_query_too_large_is_refused_before_any_sql(
    client: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    async with statements_run(connection) as statements:
        body = await graphql(client, BOMB)
    assert statements == []
    assert body["data"] is None
    [error] = body["errors"]
    expected = 200 + 200 * MUNICIPALITIES + 200 * MUNICIPALITIES * 200 + 200 * MUNICIPALITIES * 200 * 200
    assert error["extensions"] == {"code": "query_too_large", "status": 400, "objects": expected, "limit": 100_000}
    assert f"{expected:,}" in error["message"]
    assert "`first`" in error["message"]


@pytest.fixture
async def tight(settings: Settings, database: ConnectionBoundDatabase) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update={"graphql_max_objects": 100}), database=database)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_the_limit_is_configurable_and_counted_with_each_requests_variables(tight: httpx.AsyncClient) -> None:
    document = "query ($n: Int) { states(first: $n) { nodes { uf } } }"
    async with tight:
        at_limit = await graphql(tight, document, {"n": 100})
        over = await graphql(tight, document, {"n": 101})
        again = await graphql(tight, document, {"n": 2})
    assert len(at_limit["data"]["states"]["nodes"]) == 27
    assert over["errors"][0]["extensions"]["code"] == "query_too_large"
    assert over["errors"][0]["extensions"]["limit"] == 100
    assert again == {"data": {"states": {"nodes": [{"uf": "RO"}, {"uf": "AC"}]}}}
