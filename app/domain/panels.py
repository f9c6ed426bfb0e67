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
from app.core.pagination import MAX_PAGE_SIZE, PageRequest
from app.domain.compliance import ComplianceService, EnteCompliance
from app.domain.instrument_rules import Kind, Situation, Status
from app.domain.territory import normalize_uf
from app.repositories import Repositories
from app.repositories.tables import utc_now

GroupBy = Literal["uf", "region", "municipality"]
MAX_SERIES_YEARS = 20


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
        self.compliance = ComplianceService(repositories)

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
        entes, keys, names = await self._entes(group_by, normalize_uf(uf))
        groups: list[PanelGroup] = []
        for year in range(from_year, to_year + 1):
            by_key: dict[str, PanelGroup] = {}
            for ente in await self.compliance.compliance_of(entes, year, day):
                key = keys.get((ente.owner_type, ente.owner))
                if key is None:
                    continue  # a state in a per-region or per-municipality panel, or a municipality in no region
                group = by_key.setdefault(key, PanelGroup(key, names[key], year))
                _count(group, ente, kind)
            groups += [by_key[key] for key in sorted(by_key)]
        return groups

    async def _entes(
        self, group_by: GroupBy, uf: str | None
    ) -> tuple[list[tuple[str, str, str, str]], dict[tuple[str, str], str], dict[str, str]]:
        """The entes to count, the group each belongs to, and each group's name."""
        territory = self.repositories.territory
        entes: list[tuple[str, str, str, str]] = []
        keys: dict[tuple[str, str], str] = {}
        names: dict[str, str] = {}
        states = (await territory.states(PageRequest(limit=MAX_PAGE_SIZE))).items
        if group_by == "uf":
            names = {state.uf: state.name for state in states}
            for state in states:
                if uf in (None, state.uf):
                    entes.append(("state", state.uf, state.name, state.uf))
                    keys[("state", state.uf)] = state.uf
        regions = await territory.regions_by_code() if group_by == "region" else {}
        names |= {code: region.name for code, region in regions.items()}
        for municipality, region_code in await territory.municipalities_with_region(uf):
            key = {"uf": municipality.uf, "region": region_code, "municipality": municipality.code}[group_by]
            entes.append(("municipality", municipality.code, municipality.name, municipality.uf))
            if key is not None:
                keys[("municipality", municipality.code)] = key
                if group_by == "municipality":
                    names[key] = municipality.name
        return entes, keys, names


def _count(group: PanelGroup, ente: EnteCompliance, kind: Kind | None) -> None:
    for expected in ente.instruments:
        if kind is not None and expected.kind is not kind:
            continue
        group.total += 1
        group.by_status[expected.status] += 1
        group.by_situation[expected.situation] += 1
