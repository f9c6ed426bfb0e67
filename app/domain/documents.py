"""Whole answers that PostgreSQL writes: a region or an instrument in the shape a client asked
for (app.core.shapes), its lists paged, filtered and scoped as the batch reads page, filter and
scope them, and every value as the views show it. GraphQL serves its nested reads through here
when their shape allows (app.api.graphql.lookahead)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from app.core.errors import InvalidInput, NotFound
from app.core.pagination import JsonPage, PageRequest
from app.core.principal import Principal
from app.core.shapes import Related, Shape
from app.domain.codes import parse_municipality_code, parse_region_code
from app.domain.goals import GOAL_JSON, goal_filter
from app.domain.instrument_rules import STATUS_LABELS
from app.domain.instruments import InstrumentQuery, InstrumentService
from app.domain.territory import absent_municipality
from app.repositories import Repositories
from app.repositories.documents import Shown
from app.repositories.instruments import InstrumentFilter
from app.repositories.tables import utc_now

SHOWN = Shown(goals=GOAL_JSON, instrument_status_labels={str(status): label for status, label in STATUS_LABELS.items()})


def bind(shape: Shape, day: date) -> Shape:
    """The shape with each list's arguments turned into its repository filter, and the day
    each part is as of: a list's own `as_of`, else its parent's, else today (`day`)."""
    return tuple((key, _bound(member, day) if isinstance(member, Related) else member) for key, member in shape)


def _bound(related: Related, day: date) -> Related:
    as_of = related.argument("as_of")
    own_day = as_of if isinstance(as_of, date) else day
    where: object = None
    if related.name == "instruments":
        arguments = dict(related.arguments)
        where = InstrumentFilter(
            kind=_text(arguments.get("kind")),
            year=_number(arguments.get("year")),
            status=_text(arguments.get("status")),
            situation=_text(arguments.get("situation")),
            as_of=own_day,
        )
    elif related.name == "goals":
        arguments = dict(related.arguments)
        overdue = arguments.get("overdue")
        where = goal_filter(
            _text(arguments.get("level")),  # type: ignore[arg-type]
            _text(arguments.get("status")),  # type: ignore[arg-type]
            overdue if isinstance(overdue, bool) else None,
            _text(arguments.get("responsible")),
        )
    return replace(related, shape=bind(related.shape, own_day), where=where, day=own_day)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class DocumentService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.documents = repositories.documents

    async def region(self, principal: Principal, code: str, shape: Shape) -> str | None:
        """The region as JSON text in `shape`; None if there is none."""
        return await self.documents.region(principal, parse_region_code(code), bind(shape, _today()), SHOWN)

    async def municipality(self, principal: Principal, code: str, shape: Shape) -> str | None:
        """The municipality as JSON text in `shape`, by IBGE or DATASUS code; None if there is
        none. A 7-digit code with a wrong check digit is refused, as TerritoryService refuses it."""
        code = parse_municipality_code(code)
        found = await self.documents.municipality(principal, code, bind(shape, _today()), SHOWN)
        if found is None and isinstance(absent := absent_municipality(code), InvalidInput):
            raise absent
        return found

    async def instrument(
        self, principal: Principal, instrument_id: uuid.UUID, shape: Shape, as_of: date | None = None
    ) -> str | None:
        """The instrument as JSON text in `shape`, as of `as_of` (today if None); None if the
        caller may not see it."""
        day = as_of or _today()
        return await self.documents.instrument(principal, instrument_id, bind(shape, day), day, SHOWN)

    async def visible_instrument(
        self, principal: Principal, instrument_id: uuid.UUID, shape: Shape, as_of: date | None = None
    ) -> str:
        """`instrument`, which the caller must be able to see (else NotFound, as
        InstrumentService.visible)."""
        found = await self.instrument(principal, instrument_id, shape, as_of)
        if found is None:
            raise NotFound(f"no instrument {instrument_id}")
        return found

    async def instrument_connection(
        self, principal: Principal, page: PageRequest, query: InstrumentQuery, shape: Shape
    ) -> str:
        """InstrumentService.page as a connection (edges, nodes, page info) in `shape`, as JSON text."""
        where, day = await self._listed(query)
        return await self.documents.instrument_connection(principal, where, page, bind(shape, day), day, SHOWN)

    async def instrument_page(
        self, principal: Principal, page: PageRequest, query: InstrumentQuery, shape: Shape
    ) -> JsonPage:
        """InstrumentService.page, each instrument as JSON in `shape`."""
        where, day = await self._listed(query)
        return await self.documents.instrument_page(principal, where, page, bind(shape, day), day, SHOWN)

    async def _listed(self, query: InstrumentQuery) -> tuple[InstrumentFilter, date]:
        """The list's filter, checked as InstrumentService.page checks it, and the day it is as of."""
        return await InstrumentService(self.repositories).filter_of(query), query.as_of or _today()


def _today() -> date:
    return utc_now().date()
