"""Panels for COSEMS and CONASEMS: counts and shares of the expected instruments per status and
per situation, grouped by UF, health region or municipality, for a year or a series of years.

They count the same expected set compliance lists (missing instruments included), so the two
never disagree. Public, like compliance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
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
from app.repositories.panels import OwnDue, Slot
from app.repositories.tables import EnteCalendar, utc_now

GroupBy = Literal["uf", "region", "municipality"]
MAX_SERIES_YEARS = 20
# The members by their codes: a panel by municipality counts thousands of rows, and looking a
# member up by value (Status(code)) cost more than the rest of the loop.
_STATUSES = {status.value: status for status in Status}
_SITUATIONS = {situation.value: situation for situation in Situation}


@dataclass
class PanelGroup:
    key: str
    name: str
    year: int
    total: int = 0
    by_status: Counter[Status] = field(default_factory=Counter)
    by_situation: Counter[Situation] = field(default_factory=Counter)

    def share(self, situation: Situation) -> float:
        return round(self.by_situation[situation] / self.total, 4) if self.total else 0.0


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
        names = await panels.group_names(group_by, state_uf)
        calendars = await panels.calendars(state_uf)
        groups: list[PanelGroup] = []
        for year in range(from_year, to_year + 1):
            counts = await panels.expected_counts(
                year=year,
                slots=[Slot(m.value, s.value, q, _due(m, year, q, DEFAULT_CALENDAR)) for m, s, q in EXPECTED_SLOTS],
                own_dues=_own_dues(calendars, EXPECTED_SLOTS, year),
                group_by=group_by,
                uf=state_uf,
                as_of=day,
            )
            by_key: dict[str, PanelGroup] = {}
            for row in counts:
                group = by_key.get(row.key) or by_key.setdefault(row.key, PanelGroup(row.key, names[row.key], year))
                if kind is None or row.kind == kind:
                    group.total += row.count
                    group.by_status[_STATUSES[row.status]] += row.count
                    group.by_situation[_SITUATIONS[row.situation]] += row.count
            groups += [by_key[key] for key in sorted(by_key)]
        return groups


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
