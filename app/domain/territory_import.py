"""Importing health regions and their membership: all or nothing, with a dry run, and a
report that names every bad line. Importing the same file twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.core.errors import InvalidInput
from app.core.principal import Principal
from app.core.text import search_key
from app.domain.access import manages_uf, require_territory_manager
from app.domain.codes import check_digit_error
from app.domain.reference import uf_by_state_code
from app.domain.territory import check_effective_on, overlapping_starts
from app.domain.territory_files import LineProblem, MembershipLine, ParsedTerritory, RegionLine
from app.repositories import Repositories
from app.repositories.tables import HealthRegion, Municipality, RegionMembership, utc_now


class ImportRejected(InvalidInput):
    code = "import_rejected"
    title = "Import rejected"

    def __init__(self, problems: list[LineProblem]) -> None:
        super().__init__(f"{len(problems)} line(s) are wrong; nothing was written")
        self.problems = problems


@dataclass
class ImportReport:
    layout: str
    dry_run: bool
    effective_on: date
    lines_read: int = 0
    regions_created: int = 0
    regions_updated: int = 0
    regions_unchanged: int = 0
    memberships_created: int = 0
    memberships_moved: int = 0
    memberships_unchanged: int = 0
    populations_updated: int = 0
    warnings: list[LineProblem] = field(default_factory=list)


class TerritoryImportService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.territory = repositories.territory

    async def run(
        self, principal: Principal, parsed: ParsedTerritory, *, effective_on: date | None, dry_run: bool
    ) -> ImportReport:
        """`effective_on` dates the memberships this import starts or ends (today if None)."""
        require_territory_manager(principal)
        effective_on = effective_on or utc_now().date()
        check_effective_on(effective_on)
        await self.repositories.serialize("territory")
        report = ImportReport(parsed.layout, dry_run, effective_on, lines_read=parsed.lines_read)
        problems = list(parsed.errors)
        states = uf_by_state_code()
        regions = await self.territory.regions_by_code()
        file_regions: dict[str, str] = {}
        new_regions: list[HealthRegion] = []
        renamed: list[tuple[HealthRegion, RegionLine]] = []
        for region_line in parsed.regions:
            uf = states.get(int(region_line.code[:2]))
            if uf is None:
                problems.append(
                    LineProblem(region_line.file, region_line.line, f"region {region_line.code} starts with no UF code")
                )
                continue
            file_regions[region_line.code] = uf
            if not manages_uf(principal, uf):
                problems.append(
                    LineProblem(
                        region_line.file,
                        region_line.line,
                        f"region {region_line.code} is in {uf}, outside your territory",
                    )
                )
                continue
            existing = regions.get(region_line.code)
            if existing is None:
                new_regions.append(
                    HealthRegion(
                        code=region_line.code,
                        uf=uf,
                        name=region_line.name,
                        macro_code=region_line.macro_code,
                        active=region_line.active,
                    )
                )
                report.regions_created += 1
            elif (existing.name, existing.macro_code or None, existing.active) != (
                region_line.name,
                region_line.macro_code or existing.macro_code,
                region_line.active,
            ):
                renamed.append((existing, region_line))
            else:
                report.regions_unchanged += 1

        by_code6 = await self.territory.municipalities_by_code6()
        resolved: list[tuple[MembershipLine, Municipality]] = []
        first_line: dict[str, int] = {}
        for line in parsed.memberships:
            municipality, problem = _resolve_municipality(line, by_code6, states)
            if municipality is not None and problem is None:
                seen = first_line.setdefault(municipality.code, line.line)
                if seen != line.line:
                    problem = f"municipality {municipality.code} is already on line {seen}"
            if problem is None and municipality is not None:
                region_uf = file_regions.get(line.region_code) or (
                    regions[line.region_code].uf if line.region_code in regions else None
                )
                if region_uf is None:
                    problem = f"health region {line.region_code} is neither in the file nor registered"
                elif region_uf != municipality.uf:
                    problem = (
                        f"municipality {municipality.code} is in {municipality.uf}, "
                        f"region {line.region_code} in {region_uf}"
                    )
                elif not manages_uf(principal, municipality.uf):
                    problem = f"municipality {municipality.code} is in {municipality.uf}, outside your territory"
            if problem is not None or municipality is None:
                problems.append(LineProblem(line.file, line.line, problem or "unknown municipality"))
                continue
            if line.municipality_name and search_key(line.municipality_name) != municipality.search_name:
                report.warnings.append(
                    LineProblem(
                        line.file,
                        line.line,
                        f"name {line.municipality_name!r} differs from the IBGE list's {municipality.name!r}; "
                        "the code decides",
                    )
                )
            resolved.append((line, municipality))

        current = await self.territory.current_memberships(m.code for _, m in resolved)
        moves: list[tuple[RegionMembership, MembershipLine]] = []
        joins: list[RegionMembership] = []
        populations: dict[str, int] = {}
        for line, municipality in resolved:
            membership = current.get(municipality.code)
            if membership is not None and membership.region_code == line.region_code:
                report.memberships_unchanged += 1
            elif membership is not None and membership.valid_from > effective_on:
                problems.append(
                    LineProblem(
                        line.file,
                        line.line,
                        f"municipality {municipality.code} joined region {membership.region_code} on "
                        f"{membership.valid_from}, after effective_on {effective_on}",
                    )
                )
                continue
            else:
                if membership is not None:
                    moves.append((membership, line))
                joins.append(
                    RegionMembership(
                        municipality_code=municipality.code,
                        region_code=line.region_code,
                        uf=municipality.uf,
                        valid_from=effective_on,
                    )
                )
            if line.population is not None and line.population != municipality.population:
                populations[municipality.code] = line.population

        starting = {j.municipality_code for j in joins} - current.keys()
        lines = {m.code: line for line, m in resolved}
        for code, reason in (await overlapping_starts(self.territory, starting, effective_on)).items():
            problems.append(LineProblem(lines[code].file, lines[code].line, reason))
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: (p.file, p.line)))
        report.regions_updated = len(renamed)
        report.memberships_moved = len(moves)
        report.memberships_created = len(joins) - len(moves)
        report.populations_updated = len(populations)
        if not dry_run:
            await self.territory.add_all(new_regions)
            for region, region_line in renamed:
                region.name, region.active = region_line.name, region_line.active
                region.macro_code = region_line.macro_code or region.macro_code
                await self.territory.touch(region)
            for membership, _ in moves:
                await self.territory.end_membership(membership, effective_on)
            await self.territory.add_all(joins)
            await self.territory.set_populations(populations)
            await self.repositories.audit.record(
                "import",
                "territory_import",
                {
                    "layout": report.layout,
                    "effective_on": report.effective_on.isoformat(),
                    "regions_created": report.regions_created,
                    "regions_updated": report.regions_updated,
                    "memberships_created": report.memberships_created,
                    "memberships_moved": report.memberships_moved,
                    "populations": populations,
                },
            )
        return report


def _resolve_municipality(
    line: MembershipLine, by_code6: dict[str, Municipality], states: dict[int, str]
) -> tuple[Municipality | None, str | None]:
    code = line.municipality_code
    found = by_code6.get(code[:6])
    if found is not None and len(code) == 7 and found.code != code:
        found = None
    if found is None:
        digit = check_digit_error(code) if len(code) == 7 else None
        return None, digit.detail if digit else f"no municipality {code} in the IBGE list"
    if line.state_code is not None and states.get(int(line.state_code)) != found.uf:
        return None, f"municipality {code} is in {found.uf}, not in state_code {line.state_code}"
    return found, None
