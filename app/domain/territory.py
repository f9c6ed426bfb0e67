"""States, municipalities and health regions: reads for everyone, region drawing for SES/admin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.pagination import Page, PageRequest
from app.core.principal import Principal
from app.core.text import search_key
from app.domain.access import manages_uf, require_territory_manager
from app.domain.codes import check_digit_error, parse_municipality_code, parse_region_code
from app.domain.reference import known_ufs, official_list, uf_by_state_code
from app.domain.users import check_version
from app.repositories import Repositories
from app.repositories.errors import DuplicateKey
from app.repositories.tables import HealthRegion, Municipality, RegionMembership, State, utc_now
from app.repositories.territory import MembershipPeriod, MunicipalityFilter, TerritoryRepository

RegionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MacroCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{5}$", description="DATASUS CO_REGSAUD: UF code + 3 digits.")
    name: RegionName
    macro_code: MacroCode | None = Field(default=None, description="DATASUS CO_MACSAUD of its macro-region.")
    active: bool = True


class RegionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RegionName | None = None
    macro_code: MacroCode | None = None
    active: bool | None = None
    municipalities: list[Annotated[str, StringConstraints(pattern=r"^[0-9]{6,7}$")]] | None = Field(
        default=None,
        max_length=1000,
        description="The region's complete membership from `effective_on` (IBGE codes, 7 or 6 digits).",
    )
    effective_on: date | None = Field(
        default=None, description="When a membership change takes effect; today if unset."
    )


@dataclass(frozen=True)
class RegionDetail:
    region: HealthRegion
    municipalities: Sequence[Municipality]
    membership_history: list[MembershipPeriod]


@dataclass(frozen=True)
class MunicipalityDetail:
    municipality: Municipality
    region: HealthRegion | None


def normalize_uf(uf: str | None) -> str | None:
    if uf is None:
        return None
    if uf.upper() not in known_ufs():
        raise InvalidInput(f"{uf!r} is not one of the 27 UFs", code="unknown_uf")
    return uf.upper()


def check_effective_on(effective_on: date) -> None:
    """Membership changes take effect today or on a past date: "current" means as of now."""
    if effective_on > utc_now().date():
        raise InvalidInput(
            f"effective_on {effective_on} is in the future; record a re-drawing once it takes effect",
            code="invalid_effective_date",
        )


async def overlapping_starts(territory: TerritoryRepository, starting: set[str], effective_on: date) -> dict[str, str]:
    """Municipalities whose membership starting on `effective_on` would overlap a closed period,
    each with the reason."""
    ends = await territory.last_membership_ends(starting)
    return {
        code: f"municipality {code} belonged to another region until {ended}; "
        f"a membership cannot start on {effective_on}"
        for code, ended in sorted(ends.items())
        if ended > effective_on
    }


def absent_municipality(code: str) -> InvalidInput | NotFound:
    """Why a well-formed code names no municipality of the official list: a 7-digit one whose
    check digit is wrong is the client's error; any other is just not found."""
    return (check_digit_error(code) if len(code) == 7 else None) or NotFound(f"no municipality {code}")


class TerritoryService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.territory = repositories.territory

    async def load_reference(self) -> int:
        """Load the official UFs and municipalities; idempotent. Returns municipalities added."""
        reference = official_list()
        if await self.territory.municipality_count() >= len(reference.municipalities):
            return 0
        return await self.territory.load_reference(reference.states, reference.municipalities)

    async def states(self, page: PageRequest) -> Page[State]:
        return await self.territory.states(page)

    async def state(self, uf: str) -> State:
        state = await self.territory.state(uf.upper())
        if state is None:
            raise NotFound(f"no UF {uf}")
        return state

    async def municipalities(
        self,
        page: PageRequest,
        *,
        uf: str | None = None,
        region: str | None = None,
        q: str | None = None,
        max_population: int | None = None,
    ) -> Page[Municipality]:
        where = MunicipalityFilter(
            uf=normalize_uf(uf),
            region_code=parse_region_code(region) if region is not None else None,
            search=search_key(q) if q else None,
            max_population=max_population,
        )
        return await self.territory.municipalities(where, page)

    async def municipality(self, code: str) -> MunicipalityDetail:
        """By IBGE code (7 digits) or DATASUS code (6). The official list is the authority: a code
        it holds resolves even if its check digit is off; one it lacks is judged by the digit."""
        found = await self.territory.municipality(parse_municipality_code(code))
        if found is None:
            raise absent_municipality(code)
        return MunicipalityDetail(found, await self.territory.current_region_of(found.code))

    async def regions(self, page: PageRequest, *, uf: str | None = None) -> Page[HealthRegion]:
        return await self.territory.regions(normalize_uf(uf), page)

    async def region(self, code: str) -> RegionDetail:
        return await self._detail(await self.region_row(code))

    async def region_row(self, code: str) -> HealthRegion:
        """The region alone, without its members and history."""
        region = await self.territory.region(parse_region_code(code))
        if region is None:
            raise NotFound(f"no health region {code}")
        return region

    async def members_of(self, region_codes: Sequence[str]) -> dict[str, list[Municipality]]:
        """Each region's member municipalities today."""
        return await self.territory.current_members_of(region_codes)

    async def histories_of(self, region_codes: Sequence[str]) -> dict[str, list[MembershipPeriod]]:
        return await self.territory.membership_histories(region_codes)

    async def regions_of(self, municipality_codes: Sequence[str]) -> dict[str, HealthRegion]:
        """Each municipality's health region today, where it has one."""
        return await self.territory.current_regions_of(municipality_codes)

    async def _detail(self, region: HealthRegion) -> RegionDetail:
        return RegionDetail(
            region,
            await self.territory.current_members(region.code),
            await self.territory.membership_history(region.code),
        )

    async def create_region(self, principal: Principal, data: RegionCreate) -> RegionDetail:
        require_territory_manager(principal)
        uf = uf_of_region_code(data.code)
        if not manages_uf(principal, uf):
            raise Forbidden(f"region {data.code} is in {uf}, outside your territory")
        if await self.territory.region(data.code) is not None:
            raise Conflict(f"health region {data.code} already exists", code="duplicate_region")
        region = HealthRegion(code=data.code, uf=uf, name=data.name, macro_code=data.macro_code, active=data.active)
        try:
            await self.territory.add(region)
        except DuplicateKey as exc:
            raise Conflict(f"health region {data.code} already exists", code="duplicate_region") from exc
        return await self._detail(region)

    async def update_region(
        self, principal: Principal, code: str, patch: RegionPatch, expected_version: int | None
    ) -> RegionDetail:
        require_territory_manager(principal)
        region = await self.territory.region(parse_region_code(code), for_update=True)
        if region is None or not manages_uf(principal, region.uf):
            raise NotFound(f"no health region {code} in your territory")
        check_version(region.version, expected_version)
        if patch.name is not None:
            region.name = patch.name
        if "macro_code" in patch.model_fields_set:
            region.macro_code = patch.macro_code
        if patch.active is not None:
            region.active = patch.active
        if patch.municipalities is not None:
            await self._redraw(region, patch.municipalities, patch.effective_on or utc_now().date())
        await self.territory.touch(region)
        return await self._detail(region)

    async def _redraw(self, region: HealthRegion, codes: list[str], effective_on: date) -> None:
        """Make `codes` the region's members from `effective_on`, keeping every earlier period."""
        check_effective_on(effective_on)
        await self.repositories.serialize("territory")
        wanted: set[str] = set()
        for code in codes:
            found = await self.territory.municipality(parse_municipality_code(code))
            if found is None or found.uf != region.uf:
                raise InvalidInput(f"no municipality {code} in {region.uf}", code="unknown_municipality")
            wanted.add(found.code)
        members = {m.code for m in await self.territory.current_members(region.code)}
        current = await self.territory.current_memberships(wanted | members)
        affected = [m for m in current.values() if (m.region_code == region.code) != (m.municipality_code in wanted)]
        for membership in affected:
            if membership.valid_from > effective_on:
                raise InvalidInput(
                    f"municipality {membership.municipality_code} joined its region on {membership.valid_from}; "
                    f"effective_on {effective_on} cannot precede it",
                    code="invalid_effective_date",
                )
            await self.territory.end_membership(membership, effective_on)
        joining = wanted - {m.municipality_code for m in current.values() if m.region_code == region.code}
        if overlaps := await overlapping_starts(self.territory, joining - current.keys(), effective_on):
            raise InvalidInput("; ".join(overlaps.values()), code="invalid_effective_date")
        await self.territory.add_all(
            [
                RegionMembership(municipality_code=code, region_code=region.code, uf=region.uf, valid_from=effective_on)
                for code in sorted(joining)
            ]
        )


def uf_of_region_code(code: str) -> str:
    uf = uf_by_state_code().get(int(parse_region_code(code)[:2]))
    if uf is None:
        raise InvalidInput(f"region code {code} does not start with a UF code", code="invalid_region_code")
    return uf
