"""Whole reads (app.api.graphql.lookahead): a `region`, `municipality`, `instrument` or
`instruments` read answered by one statement gives the very answer the field-by-field resolvers
give, for every caller, every argument and any selection; and it is the one statement that ran."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.settings import Settings
from app.domain.codes import check_digit
from app.main import create_app
from app.repositories.goals import sibling_key
from app.repositories.tables import Goal, Instrument, StatusUpdate
from tests.support import MANAUS, SAO_GABRIEL, Account, ConnectionBoundDatabase, graphql, statements_run

REGION = "13001"  # the `accounts` fixture's: Manaus and São Gabriel da Cachoeira
TODAY_ISH = date(2024, 9, 1)


@pytest.fixture
async def field_by_field(settings: Settings, database: ConnectionBoundDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """The same API over the same transaction, with whole reads switched off."""
    app = create_app(settings.model_copy(update={"graphql_whole_reads": False}), database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _instrument(municipality: str, kind: str, year: int, status: str, **dates: date | None) -> Instrument:
    return Instrument(
        kind=kind,
        owner_type="municipality",
        owner_code=municipality,
        uf="AM",
        municipality_code=municipality,
        year=year,
        quadrimester=1 if kind == "RDQA" else None,
        end_year=year + 3 if kind == "PMS" else year,
        status=status,
        title=f"{kind} {year} — “{municipality}”\n",
        **dates,
    )


def _entry(meta: Goal, reported_on: date, status: str, recorded_at: datetime) -> StatusUpdate:
    return StatusUpdate(
        goal_id=meta.id,
        instrument_id=meta.instrument_id,
        uf="AM",
        reported_on=reported_on,
        status=status,
        recorded_at=recorded_at,
    )


def _tree(instrument: Instrument) -> tuple[list[Goal], list[StatusUpdate]]:
    """A diretriz, an objetivo and four metas with every kind of deadline, target and history."""
    diretriz = Goal(
        instrument_id=instrument.id,
        uf="AM",
        sort_key=sibling_key(None, 1),
        level="diretriz",
        number="1",
        description="Fortalecer a atenção primária",
    )
    objetivo = Goal(
        instrument_id=instrument.id,
        uf="AM",
        parent_id=diretriz.id,
        sort_key=sibling_key("00001", 1),
        level="objetivo",
        number="1.1",
        description="Ampliar o acesso",
    )
    goals, updates = [diretriz, objetivo], []
    for position in range(1, 5):
        meta = Goal(
            instrument_id=instrument.id,
            uf="AM",
            parent_id=objetivo.id,
            sort_key=sibling_key("00001.00001", position),
            level="meta",
            number=f"1.1.{position}",
            description=f"Meta {position}: cobertura de 0,1% a {position}/3",
            indicator_name="Cobertura" if position % 2 else None,
            indicator_unit="%",
            polarity=("higher", "lower", None, "higher")[position - 1],
            baseline_value=(0.1, 2.0, None, 1e-7)[position - 1],
            baseline_year=2021,
            target_value=position / 3,
            yearly_targets={"2024": 10, "2025": 12.5} if position != 3 else {},
            deadline=(date(2024, 6, 30), date(2024, 12, 31), None, date(2023, 1, 31))[position - 1],
            deadline_precision="month" if position == 2 else "day",
            responsible="Coordenação de Atenção Básica" if position < 3 else None,
            responsible_key="coordenacao de atencao basica" if position < 3 else None,
            scope=("municipal", "regional", None, "estadual")[position - 1],
        )
        goals.append(meta)
        if position == 3:
            continue  # never reported
        first = _entry(meta, date(2024, 4, 30), "em_andamento", datetime(2024, 5, 2, 12, 0, tzinfo=UTC))
        first.percent_complete, first.details = 33.3, "Primeiro relato"
        status = ("concluida", "parada", "cancelada", "em_andamento")[position - 1]
        later = _entry(meta, date(2024, 8, 31), status, datetime(2024, 9, 2, 8, 30, 15, 123456, tzinfo=UTC))
        later.percent_complete, later.achieved_value, later.expected_delivery = 100.0, 2.5, date(2025, 3, 1)
        updates += [first, later]
    return goals, updates


async def _world(database: ConnectionBoundDatabase) -> dict[str, Instrument]:
    """Instruments of Manaus and São Gabriel in every situation and status (some drafts, which
    anonymous callers do not see), with goal trees and corrected, back-dated histories."""
    instruments = {
        "plan": _instrument(
            MANAUS, "PMS", 2022, "aprovado", deadline=date(2021, 12, 31), milestone_on=date(2022, 2, 1)
        ),
        "pas": _instrument(MANAUS, "PAS", 2024, "em_elaboracao", deadline=date(2023, 4, 15)),
        "rdqa": _instrument(
            MANAUS, "RDQA", 2024, "avaliado", deadline=date(2024, 5, 31), milestone_on=date(2024, 5, 20)
        ),
        "rag": _instrument(MANAUS, "RAG", 2025, "nao_iniciado", deadline=date(2026, 3, 30)),
        "other_plan": _instrument(SAO_GABRIEL, "PMS", 2022, "em_analise_conselho", deadline=date(2021, 12, 31)),
        "other_pas": _instrument(SAO_GABRIEL, "PAS", 2024, "aprovado", deadline=None, milestone_on=date(2024, 1, 10)),
    }
    goals: list[Goal] = []
    updates: list[StatusUpdate] = []
    for name in ("plan", "pas", "other_pas"):
        tree, history = _tree(instruments[name])
        goals += tree
        updates += history
    async with database.session() as session:
        session.add_all(instruments.values())
        await session.flush()
        session.add_all(goals)
        await session.flush()
        session.add_all(updates)
        await session.flush()
        # A correction of the first meta's later entry, and one reported after the day asked.
        corrected = next(u for u in updates if u.goal_id == goals[2].id and u.reported_on == date(2024, 8, 31))
        correction = _entry(goals[2], date(2024, 8, 31), "parcialmente_atrasada", datetime(2024, 9, 3, tzinfo=UTC))
        correction.percent_complete, correction.supersedes_id = 80.0, corrected.id
        # and an entry written last for an early day: a history is in the order of the days reported
        backdated = _entry(goals[2], date(2024, 2, 29), "em_andamento", datetime(2024, 9, 5, tzinfo=UTC))
        session.add_all([correction, backdated])
        await session.flush()
        await session.commit()
    return instruments


async def _both(
    whole: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], int]:
    """Both answers, checked equal, and the statements the whole read ran."""
    async with statements_run(connection) as statements:
        answer = await graphql(whole, query, variables, headers)
    expected = await graphql(field_by_field, query, variables, headers)
    assert answer == expected
    return answer, len(statements)


NESTED = """query ($code: String!) { region(code: $code) { __typename id code uf name macroCode active version
  municipalities { __typename id code code6 uf name population
    instruments(first: 10) { edges { cursor node { id databaseId kind ownerType owner uf municipalityCode regionCode
        organizationId year quadrimester endYear status statusLabel deadline milestoneOn situation daysLate title
        documentUrl notes goalStructure version
        goals(first: 20) { edges { cursor node { ...goal } } nodes { databaseId } pageInfo { hasNextPage hasPreviousPage
          startCursor endCursor } } } }
      pageInfo { hasNextPage endCursor } } } } }
fragment goal on Goal { id databaseId instrumentId parentId level levelLabel number description indicatorName
  indicatorUnit polarity baselineValue baselineYear targetValue yearlyTargets { __typename year value } deadline
  deadlinePrecision prazo responsible responsibleUserId partners scope status overdue daysOverdue version
  currentStatus { __typename id databaseId goalId roundId reportedOn status statusLabel percentComplete
    achievedValue details difficulties expectedDelivery nextSteps partialProduct responsible supersedes
    supersededBy authorId recordedAt }
  statusUpdates { __typename id databaseId goalId roundId reportedOn status statusLabel percentComplete
    achievedValue details difficulties expectedDelivery nextSteps partialProduct responsible supersedes
    supersededBy authorId recordedAt } }"""


TREES = """query ($id: UUID!) { instrument(id: $id) { databaseId
  goalTree { ...goal children { ...goal children { ...goal children { ...goal } } } }
  past: goalTree(asOf: "2024-05-01") { number status children { number children { number status overdue
    currentStatus { status } } } }
  goals(level: meta, first: 2) { nodes { number children { number } } } } }
""" + NESTED[NESTED.index("fragment goal") :]


@pytest.mark.parametrize("caller", ["anonymous", "admin", "cosems", "apoiador", "gestor", "gestor_other", "ses_sp"])
async def test_every_field_of_the_nested_read_and_the_trees_is_the_resolvers_answer_for_every_caller(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
    caller: str,
) -> None:
    instruments = await _world(database)
    headers = accounts[caller].headers if caller != "anonymous" else None
    answer, statements = await _both(client, field_by_field, connection, NESTED, {"code": REGION}, headers)
    assert "errors" not in answer
    municipalities = answer["data"]["region"]["municipalities"]
    assert [m["code"] for m in municipalities] == [MANAUS, SAO_GABRIEL]
    seen = sum(len(m["instruments"]["edges"]) for m in municipalities)
    assert seen == {"anonymous": 4, "admin": 6, "cosems": 6, "apoiador": 6, "gestor": 4, "gestor_other": 2}.get(
        caller, 0
    )
    assert statements <= 3  # the caller's account (an apoiador's regions too), and the one statement

    trees = 0
    for instrument in instruments.values():
        answer, statements = await _both(client, field_by_field, connection, TREES, {"id": str(instrument.id)}, headers)
        assert "errors" not in answer, answer
        assert statements <= 3
        if (found := answer["data"]["instrument"]) is not None:
            trees += len(found["goalTree"])
    assert trees == {"anonymous": 2, "admin": 3, "cosems": 3, "apoiador": 3, "gestor": 2, "gestor_other": 1}.get(
        caller, 0
    )


async def test_arguments_pages_aliases_fragments_and_directives(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
) -> None:
    instruments = await _world(database)
    admin = accounts["admin"].headers
    first_page = """query ($id: UUID!) { instrument(id: $id, asOf: "2024-09-01") { situation daysLate
        goals(first: 3) { edges { cursor } pageInfo { hasNextPage endCursor } } } }"""
    answer, _ = await _both(client, field_by_field, connection, first_page, {"id": str(instruments["plan"].id)}, admin)
    goals = answer["data"]["instrument"]["goals"]
    assert goals["pageInfo"]["hasNextPage"] is True
    after = goals["pageInfo"]["endCursor"]
    queries: list[tuple[str, dict[str, Any]]] = [
        (
            """query ($id: UUID!, $after: String) { instrument(id: $id) { goals(first: 2, after: $after) {
                edges { cursor node { number } } pageInfo { hasNextPage startCursor endCursor } } } }""",
            {"id": str(instruments["plan"].id), "after": after},
        ),
        (
            """query ($id: UUID!, $day: Date, $skipIt: Boolean!, $with: Boolean!) { instrument(id: $id, asOf: $day) {
                ... on Node { id } ...head
                metas: goals(level: meta, overdue: true) { nodes { number overdue daysOverdue status
                  currentStatus @include(if: $with) { status percentComplete } } }
                late: goals(level: meta, asOf: "2025-06-01") { nodes { number daysOverdue prazo
                  yearlyTargets @skip(if: $skipIt) { year } } }
                mine: goals(responsible: "coordenacao", status: em_andamento) { nodes { number } }
                goals { nodes { description } } goals { nodes { number } pageInfo { hasNextPage } } } }
            fragment head on Instrument { kind year situation daysLate __typename }""",
            {"id": str(instruments["plan"].id), "day": "2024-07-01", "skipIt": True, "with": True},
        ),
        (
            """query ($code: String!) { region(code: $code) { municipalities {
                approved: instruments(status: aprovado) { nodes { kind } }
                late: instruments(situation: atrasado, asOf: "2025-01-01") { nodes { kind situation daysLate
                  goals(first: 1, level: meta) { nodes { status overdue } } } }
                y2024: instruments(year: 2024, kind: PAS, first: 1) { edges { cursor } pageInfo { hasNextPage } }
                none: instruments(year: 1990) { edges { cursor } nodes { kind }
                  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }""",
            {"code": REGION},
        ),
        ("""{ region(code: "99999") { name } instrument(id: "00000000-0000-0000-0000-000000000000") { kind } }""", {}),
        (
            '{ region(code: "13001") { name municipalities { name instruments(first: 1) { nodes { goals { nodes {'
            " number goalTree: children { number } } } } } } } }",
            {},
        ),
    ]
    for query, variables in queries:
        answer, _ = await _both(client, field_by_field, connection, query, variables, admin)
        assert "errors" not in answer, answer


INSTRUMENTS = """query ($first: Int, $after: String) { instruments(first: $first, after: $after) {
  edges { cursor node { __typename id databaseId kind ownerType owner uf municipalityCode regionCode organizationId
    year quadrimester endYear status statusLabel deadline milestoneOn situation daysLate title documentUrl notes
    goalStructure version goals(first: 2, level: meta) { nodes { number status currentStatus { status } } } } }
  nodes { kind } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


@pytest.mark.parametrize("caller", ["anonymous", "admin", "apoiador", "gestor", "ses_sp"])
async def test_the_root_instrument_list_is_the_resolvers_answer_page_after_page(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
    caller: str,
) -> None:
    await _world(database)
    headers = accounts[caller].headers if caller != "anonymous" else None
    seen: list[str] = []
    after = None
    while True:
        answer, statements = await _both(
            client, field_by_field, connection, INSTRUMENTS, {"first": 2, "after": after}, headers
        )
        assert "errors" not in answer, answer
        found = answer["data"]["instruments"]
        seen += [edge["node"]["databaseId"] for edge in found["edges"]]
        assert statements <= 3  # the caller's account (an apoiador's regions too), and the one statement
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    assert len(seen) == {"anonymous": 4, "admin": 6, "apoiador": 6, "gestor": 4}.get(caller, 0)


async def test_the_root_instrument_lists_filters_and_refusals(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
) -> None:
    await _world(database)
    admin = accounts["admin"].headers
    lists = [
        'instruments(uf: "am", year: 2024) { nodes { kind year } }',
        f'instruments(municipality: "{SAO_GABRIEL}", kind: PAS) {{ nodes {{ kind owner }} }}',
        f'instruments(region: "{REGION}", status: aprovado) {{ edges {{ cursor }} pageInfo {{ endCursor }} }}',
        'instruments(situation: atrasado, asOf: "2025-01-01") { nodes { situation daysLate } }',
        "late: instruments(situation: cumprido_com_atraso) { nodes { situation } } all: instruments { nodes { kind } }",
        'instruments(ownerType: municipality, owner: "1302603") { nodes { kind } }',
        "instruments(year: 1990) { edges { cursor } nodes { kind } pageInfo { hasNextPage startCursor endCursor } }",
        "instruments { nodes { kind history { toStatus } } }",  # a field only the resolvers answer
        'instruments(uf: "XX") { nodes { kind } }',
        'instruments(municipality: "1302604") { nodes { kind } }',
        'instruments(after: "nope") { nodes { kind } }',
        "instruments(first: 0) { nodes { kind } }",
    ]
    for selection in lists:
        answer, _ = await _both(client, field_by_field, connection, "{ " + selection + " }", None, admin)
        assert ("errors" in answer) == (lists.index(selection) >= 8), (selection, answer)


MUNICIPALITY = """query ($code: String!) { municipality(code: $code) { __typename id code code6 uf name population
  instruments(first: 3) { edges { cursor node { kind year status situation goals(level: meta) { nodes { number
    status overdue currentStatus { status recordedAt } } } } } pageInfo { hasNextPage endCursor } } } }"""


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (MANAUS, "found"),
        (MANAUS[:6], "found"),
        ("1302604", "refused"),  # Manaus with a wrong check digit
        (f"130000{check_digit('130000')}", "null"),  # well formed, in no official list
        ("130", "refused"),
    ],
)
async def test_a_municipality_by_either_code_and_its_refusals(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    database: ConnectionBoundDatabase,
    accounts: dict[str, Account],
    code: str,
    outcome: str,
) -> None:
    """By IBGE or DATASUS code in one statement; a wrong check digit or a malformed code is the
    resolvers' 422, an unknown code with a right check digit their null."""
    await _world(database)
    answer, statements = await _both(
        client, field_by_field, connection, MUNICIPALITY, {"code": code}, accounts["gestor"].headers
    )
    found = answer["data"]["municipality"] if answer.get("data") else None
    if outcome == "found":
        assert found["code"] == MANAUS
        assert len(found["instruments"]["edges"]) == 3
        assert statements <= 2
    elif outcome == "null":
        assert found is None
        assert "errors" not in answer
    else:
        assert answer["errors"][0]["extensions"]["code"].startswith("invalid_")


@pytest.mark.parametrize(
    "arguments",
    ['code: "1300"', 'code: "13001x"', "code: $code"],
)
async def test_refused_arguments_give_the_resolvers_errors(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    accounts: dict[str, Account],
    arguments: str,
) -> None:
    for inner in (
        "instruments(first: 0) { nodes { kind } }",
        'instruments(after: "nope") { nodes { kind } }',
        "instruments(year: 3000) { nodes { kind } }",
        "name",
    ):
        query = f'query ($code: String! = "13001") {{ region({arguments}) {{ municipalities {{ {inner} }} }} }}'
        answer, _ = await _both(client, field_by_field, connection, query, None, accounts["admin"].headers)
        if arguments != "code: $code" or inner != "name":
            assert answer.get("errors"), answer


# Any selection of the nested read's fields, under any aliases: drawn, then asked both ways.
_GOAL = [
    "databaseId",
    "number",
    "description",
    "level",
    "levelLabel",
    "deadline",
    "prazo",
    "status",
    "overdue",
    "daysOverdue",
    "baselineValue",
    "targetValue",
    "scope",
    "polarity",
    "id",
    "__typename",
]
_STATUS = ["reportedOn", "status", "statusLabel", "percentComplete", "achievedValue", "supersedes", "recordedAt", "id"]
_INSTRUMENT = [
    "databaseId",
    "kind",
    "year",
    "status",
    "statusLabel",
    "situation",
    "daysLate",
    "deadline",
    "title",
    "id",
]
_SUFFIX = st.text(string.ascii_lowercase, min_size=1, max_size=2)


def _pick(fields: list[str]) -> st.SearchStrategy[str]:
    def written(chosen: list[tuple[str, str | None]]) -> str:
        # an alias names one field only: the same alias twice is the same field, merged
        return " ".join(f"{name.strip('_')}_{suffix}: {name}" if suffix else name for name, suffix in chosen)

    return st.lists(st.tuples(st.sampled_from(fields), st.none() | _SUFFIX), min_size=1, max_size=6).map(written)


@st.composite
def _nested(draw: st.DrawFn) -> str:
    status = draw(_pick(_STATUS))
    goal = draw(_pick(_GOAL)) + (f" currentStatus {{ {status} }}" if draw(st.booleans()) else "")
    goals_arguments = draw(st.sampled_from(["", "first: 2", "level: meta", "overdue: false", 'asOf: "2024-05-01"']))
    history, children = draw(st.booleans()), draw(st.booleans())
    if history:
        goal += f" statusUpdates {{ {draw(_pick([*_STATUS, 'supersededBy']))} }}"
    if children:
        goal += f" children {{ {draw(_pick(_GOAL))} children {{ number }} }}"
    if history or children:  # on pages small enough to answer (app.api.graphql.cost)
        goals_arguments = ", ".join(dict.fromkeys(["first: 2", *filter(None, [goals_arguments])]))
    goals_arguments = f"({goals_arguments})" if goals_arguments else ""
    page = draw(
        st.sampled_from(["nodes { %s }", "edges { cursor node { %s } }", "pageInfo { endCursor } nodes { %s }"])
    )
    instrument = draw(_pick(_INSTRUMENT)) + f" goals{goals_arguments} {{ {page % goal} }}"
    instruments_arguments = draw(st.sampled_from(["", "(first: 1)", "(kind: PMS)", '(asOf: "2023-01-01")']))
    instruments = f"instruments{instruments_arguments} {{ nodes {{ {instrument} }} }}"
    return f'{{ region(code: "{REGION}") {{ name municipalities {{ code {instruments} }} }} }}'


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_nested())
async def test_any_selection_is_the_resolvers_answer(
    client: httpx.AsyncClient,
    field_by_field: httpx.AsyncClient,
    connection: AsyncConnection,
    world: None,
    query: str,
) -> None:
    answer, statements = await _both(client, field_by_field, connection, query)
    assert "errors" not in answer, answer
    assert statements == 1  # anonymous: no account to read


@pytest.fixture
async def world(database: ConnectionBoundDatabase, accounts: dict[str, Account]) -> None:
    del accounts  # it draws region 13001
    await _world(database)
