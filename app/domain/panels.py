"""Panels for COSEMS and CONASEMS: counts and shares of the expected instruments per status and
per situation, grouped by UF, health region or municipality, for a year or a series of years.

They count the same expected set compliance lists (missing instruments included), so the two
never disagree. Public, like compliance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.core.errors import InvalidInput
from app.domain.compliance import EXPECTED_SLOTS, ExpectedSlot, expected_period
from app.domain.instrument_rules import (
    DEFAULT_CALENDAR,
    Calendar,
    Kind,
    Situation,
    Status,
    deadline,
)
from app.domain.instruments import calendar_from
from app.domain.territory import normalize_uf
from app.repositories import Repositories
from app.repositories.panels import GroupCount, OwnDue, Slot
from app.repositories.tables import EnteCalendar, utc_now

GroupBy = Literal["uf", "region", "municipality"]
MAX_SERIES_YEARS = 20
# The members in order, iterated once per group: iterating an Enum class walks its member map anew.
_ALL_STATUSES, _ALL_SITUATIONS = tuple(Status), tuple(Situation)


@dataclass  # not frozen: a panel by municipality makes 5,570, and a frozen one's init costs twice as much
class PanelGroup:
    """Every status and situation has its count (zero or more) and every situation its share."""

    key: str
    name: str
    year: int
    total: int
    by_status: dict[Status, int]
    by_situation: dict[Situation, int]
    shares: dict[Situation, float]


class PanelService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories

    async def instruments(
        self,
        *,
        year: int,
        group_by: GroupBy,
        kind: Kind | None = None,
        uf: str | None = None,
        as_of: date | None = None,
    ) -> list[PanelGroup]:
        return await self.series(from_year=year, to_year=year, group_by=group_by, kind=kind, uf=uf, as_of=as_of)

    async def series(
        self,
        *,
        from_year: int,
        to_year: int,
        group_by: GroupBy,
        kind: Kind | None = None,
        uf: str | None = None,
        as_of: date | None = None,
    ) -> list[PanelGroup]:
        """One group per key and year, ordered by year then key."""
        if not 1988 <= from_year <= to_year <= 2100 or to_year - from_year >= MAX_SERIES_YEARS:
            raise InvalidInput(f"give 1988 ≤ from ≤ to ≤ 2100, at most {MAX_SERIES_YEARS} years", code="invalid_period")
        day = as_of or utc_now().date()
        state_uf = normalize_uf(uf)
        panels = self.repositories.panels
        calendars = await panels.calendars(state_uf)
        groups: list[PanelGroup] = []
        for year in range(from_year, to_year + 1):
            counts = await panels.expected_counts(
                year=year,
                slots=[Slot(m.value, s.value, q, _due(m, year, q, DEFAULT_CALENDAR)) for m, s, q in EXPECTED_SLOTS],
                own_dues=_own_dues(calendars, EXPECTED_SLOTS, year),
                group_by=group_by,
                uf=state_uf,
                kind=kind,
                as_of=day,
                statuses=_ALL_STATUSES,
                situations=_ALL_SITUATIONS,
            )
            groups += [_group(row, year) for row in counts]
        return groups


def _group(counts: GroupCount, year: int) -> PanelGroup:
    total, by_situation = counts.total, dict(zip(_ALL_SITUATIONS, counts.by_situation, strict=True))
    shares = {situation: round(n / total, 4) if total else 0.0 for situation, n in by_situation.items()}
    by_status = dict(zip(_ALL_STATUSES, counts.by_status, strict=True))
    return PanelGroup(counts.key, counts.name, year, total, by_status, by_situation, shares)


def _due(kind: Kind, year: int, quadrimester: int | None, calendar: Calendar) -> date | None:
    return deadline(kind, expected_period(kind, year, quadrimester), calendar)


def _own_dues(calendars: list[EnteCalendar], slots: tuple[ExpectedSlot, ...], year: int) -> list[OwnDue]:
    """The deadlines an ente's own calendar moves, slot by slot."""
    dues = []
    for row in calendars:
        calendar = calendar_from(row.ldo_bill_due, row.plan_due)
        for number, (municipality_kind, state_kind, quadrimester) in enumerate(slots, start=1):
            kind = state_kind if row.owner_type == "state" else municipality_kind
            due = _due(kind, year, quadrimester, calendar)
            if due != _due(kind, year, quadrimester, DEFAULT_CALENDAR):
                dues.append(OwnDue(row.owner_type, row.owner_code, number, due))
    return dues
