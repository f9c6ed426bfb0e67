"""Instruments as records: who owns them, for which period, and who may see and change them.
Status changes go through transitions and deliberations, never through PATCH."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.pagination import Page, PageRequest
from app.core.principal import Principal
from app.domain.access import INSTRUMENT_WRITES, Owner, WritePolicy
from app.domain.codes import parse_municipality_code, parse_region_code
from app.domain.goal_rules import Structure
from app.domain.instrument_rules import (
    APPROVED,
    DEFAULT_CALENDAR,
    Calendar,
    History,
    Kind,
    MonthDay,
    Situation,
    Status,
    check_gate,
    check_transition,
    days_late,
    deadline,
    milestone,
    period_of,
    shows_sent,
    situation,
)
from app.domain.territory import normalize_uf
from app.domain.users import check_version
from app.repositories import Repositories
from app.repositories.errors import DuplicateKey
from app.repositories.instruments import InstrumentFilter, Record
from app.repositories.tables import Instrument, InstrumentEvent, utc_now

OwnerType = Literal["municipality", "state", "region", "organization"]
_ALL_OWNERS: frozenset[str] = frozenset({"municipality", "state", "region", "organization"})
OWNERS_OF_KIND: dict[Kind, frozenset[str]] = {
    Kind.PMS: frozenset({"municipality"}),
    Kind.PES: frozenset({"state"}),
    Kind.PAS: frozenset({"municipality", "state"}),
    Kind.RDQA: frozenset({"municipality", "state"}),
    Kind.RAG: frozenset({"municipality", "state"}),
    Kind.PRI: frozenset({"region"}),
    Kind.PLANO_ACAO: _ALL_OWNERS,
}
TEXT_MAX_LENGTH = 5000
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX_LENGTH)]


class InstrumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    owner_type: OwnerType
    owner: str = Field(
        max_length=36, description="IBGE code (municipality), UF (state), region code, or organization id."
    )
    year: int = Field(description="The year, or a plan's first year.")
    quadrimester: int | None = Field(default=None, description="RDQA only: 1, 2 or 3.")
    end_year: int | None = Field(default=None, description="Last year, for PRI and PLANO_ACAO.")
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    document_url: HttpUrl | None = None
    notes: Text | None = None
    goal_structure: Structure = Field(
        default=Structure.DGMP, description="How its goal tree is built: DGMP's levels, or the SES matrix."
    )


class InstrumentPatch(BaseModel):
    """Fields left out keep their value; null clears one."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    document_url: HttpUrl | None = None
    notes: Text | None = None
    goal_structure: Structure | None = Field(default=None, description="Changeable while the goal tree is empty.")


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Status
    comment: Text | None = None
    on: date | None = Field(default=None, description="The day it happened; today if unset, never in the future.")


# The council's own decisions: recorded as deliberations of the council, not as transitions.
COUNCIL_OUTCOMES = frozenset(
    {Status.RETORNADO_AJUSTES, Status.APROVADO, Status.APROVADO_COM_RESSALVAS, Status.NAO_APROVADO, Status.AVALIADO}
)


@dataclass(frozen=True)
class InstrumentQuery:
    """What a client filters the instrument list by, as it wrote it (codes not yet checked)."""

    kind: Kind | None = None
    owner_type: OwnerType | None = None
    owner: str | None = None
    uf: str | None = None
    region: str | None = None
    municipality: str | None = None
    year: int | None = None  # the instruments covering that year
    status: Status | None = None
    situation: Situation | None = None
    as_of: date | None = None  # the day situations are as of; today if None


@dataclass(frozen=True)
class InstrumentView:
    instrument: Instrument
    situation: Situation
    days_late: int


def owner_of(instrument: Instrument) -> Owner:
    return Owner(
        instrument.owner_type,
        instrument.owner_code,
        instrument.uf,
        instrument.municipality_code,
        instrument.region_code,
        instrument.organization_id,
    )


def view(instrument: Instrument, as_of: date | None = None) -> InstrumentView:
    """The instrument with its situation as of `as_of` (today if None)."""
    day = as_of or utc_now().date()
    return InstrumentView(
        instrument,
        situation(instrument.deadline, instrument.milestone_on, day),
        days_late(instrument.deadline, instrument.milestone_on, day),
    )


def refresh_milestone(instrument: Instrument) -> None:
    """Keep the stored milestone in step with the dates it derives from."""
    history = History(instrument.sent_to_council_on, instrument.approved_on, instrument.hearing_on)
    instrument.milestone_on = milestone(Kind(instrument.kind), history)


def refresh_deadline(instrument: Instrument, calendar: Calendar) -> None:
    kind = Kind(instrument.kind)
    period = period_of(kind, instrument.year, instrument.quadrimester, instrument.end_year)
    instrument.deadline = deadline(kind, period, calendar)


def calendar_from(ldo_bill_due: str, plan_due: str) -> Calendar:
    """A calendar from its stored MM-DD strings."""
    return Calendar(MonthDay(*map(int, ldo_bill_due.split("-"))), MonthDay(*map(int, plan_due.split("-"))))


class InstrumentService:
    def __init__(self, repositories: Repositories) -> None:
        self.repositories = repositories
        self.instruments = repositories.instruments

    async def filter_of(self, query: InstrumentQuery) -> InstrumentFilter:
        """The list's filter for a client's query: its codes checked and written as stored."""
        municipality = query.municipality
        return InstrumentFilter(
            kind=query.kind,
            owner_type=query.owner_type,
            owner_code=query.owner,
            uf=normalize_uf(query.uf),
            region_code=parse_region_code(query.region) if query.region is not None else None,
            municipality_code=await self._municipality_code(municipality) if municipality is not None else None,
            year=query.year,
            status=query.status,
            situation=query.situation,
            as_of=query.as_of,
        )

    async def page(self, principal: Principal, page: PageRequest, query: InstrumentQuery) -> Page[InstrumentView]:
        where = await self.filter_of(query)
        return (await self.instruments.page(principal, where, page)).map(lambda i: view(i, query.as_of))

    async def pages_by_municipality(
        self,
        principal: Principal,
        codes: Sequence[str],
        page: PageRequest,
        *,
        kind: Kind | None = None,
        year: int | None = None,
        status: Status | None = None,
        situation: Situation | None = None,
        as_of: date | None = None,
    ) -> dict[str, Page[InstrumentView]]:
        """The same page of each municipality's instruments (IBGE codes as stored), as `page`
        lists them with `municipality` set; municipalities with none are absent."""
        where = InstrumentFilter(kind=kind, year=year, status=status, situation=situation, as_of=as_of)
        found = await self.instruments.pages_by_municipality(principal, where, codes, page)
        return {code: rows.map(lambda i: view(i, as_of)) for code, rows in found.items()}

    async def many(
        self, principal: Principal, instrument_ids: Sequence[uuid.UUID], as_of: date | None = None
    ) -> dict[uuid.UUID, InstrumentView]:
        """The instruments the caller may see among these; the others are absent."""
        found = await self.instruments.get_many(principal, instrument_ids)
        return {key: view(instrument, as_of) for key, instrument in found.items()}

    async def get(self, principal: Principal, instrument_id: uuid.UUID, as_of: date | None = None) -> InstrumentView:
        return view(await self.visible(principal, instrument_id), as_of)

    async def create(self, principal: Principal, data: InstrumentCreate, *, by: uuid.UUID | None) -> InstrumentView:
        INSTRUMENT_WRITES.require(principal)
        if data.owner_type not in OWNERS_OF_KIND[data.kind]:
            allowed = ", ".join(sorted(OWNERS_OF_KIND[data.kind]))
            raise InvalidInput(f"a {data.kind} belongs to a {allowed}, not a {data.owner_type}", code="invalid_owner")
        period = period_of(data.kind, data.year, data.quadrimester, data.end_year)
        owner = await self.owner(data.owner_type, data.owner)
        if not INSTRUMENT_WRITES.allows(principal, owner):
            raise Forbidden(f"the instruments of {owner.owner_type} {owner.owner_code} are outside what you write")
        instrument = Instrument(
            kind=data.kind,
            owner_type=owner.owner_type,
            owner_code=owner.owner_code,
            uf=owner.uf,
            municipality_code=owner.municipality_code,
            region_code=owner.region_code,
            organization_id=owner.organization_id,
            year=period.year,
            quadrimester=period.quadrimester,
            end_year=period.end_year or period.year,
            title=data.title,
            document_url=str(data.document_url) if data.document_url else None,
            notes=data.notes,
            goal_structure=data.goal_structure,
            created_by=by,
        )
        refresh_deadline(instrument, await self.calendar_of(owner.owner_type, owner.owner_code))
        existing = await self.instruments.same_period(instrument)
        if existing is None:
            try:
                await self.instruments.add(instrument)
                return view(instrument)
            except DuplicateKey:
                existing = await self.instruments.same_period(instrument)
        raise Conflict(
            f"this ente already has its {data.kind} for that period: instrument {existing.id if existing else '?'}",
            code="duplicate_instrument",
            existing_id=str(existing.id) if existing else None,
        )

    async def update(
        self, principal: Principal, instrument_id: uuid.UUID, patch: InstrumentPatch, expected_version: int | None
    ) -> InstrumentView:
        instrument = await self.writable(principal, instrument_id, expected_version)
        sent = patch.model_fields_set
        if "title" in sent:
            instrument.title = patch.title
        if "document_url" in sent:
            instrument.document_url = str(patch.document_url) if patch.document_url else None
        if "notes" in sent:
            instrument.notes = patch.notes
        if patch.goal_structure is not None and patch.goal_structure != instrument.goal_structure:
            if await self.repositories.goals.count(instrument.id):
                raise Conflict("the goal tree is not empty: its structure stays", code="goal_tree_not_empty")
            instrument.goal_structure = patch.goal_structure
        await self.instruments.save(instrument)
        return view(instrument)

    async def transition(
        self, principal: Principal, instrument_id: uuid.UUID, request: TransitionRequest, expected_version: int | None
    ) -> InstrumentView:
        """Move an instrument along its kind's status machine, as its owner."""
        instrument = await self.writable(principal, instrument_id, expected_version)
        kind = Kind(instrument.kind)
        check_transition(kind, Status(instrument.status), request.to)
        if kind is not Kind.PLANO_ACAO and request.to in COUNCIL_OUTCOMES:
            raise Conflict(
                f"{request.to} is the council's decision: the conselho records it as a deliberation",
                code="council_decision",
            )
        on = request.on or utc_now().date()
        if on > utc_now().date():
            raise InvalidInput(f"{on} is in the future", code="invalid_date")
        await self._check_gate(instrument, kind, request.to)
        await self.record_status(instrument, request.to, on, request.comment, principal.user_id)
        return view(instrument)

    async def history(self, principal: Principal, instrument_id: uuid.UUID) -> list[InstrumentEvent]:
        return await self.records_of(principal, InstrumentEvent, instrument_id)

    async def records_of(self, principal: Principal, model: type[Record], instrument_id: uuid.UUID) -> list[Record]:
        """One visible instrument's history, deliberations, hearings or rounds (404 if unseen)."""
        instrument = await self.visible(principal, instrument_id)
        return (await self.instruments.records(principal, model, [instrument.id])).get(instrument.id, [])

    async def records(
        self, principal: Principal, model: type[Record], instrument_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Record]]:
        """The same, for many instruments at once; those the caller may not see are absent."""
        return await self.instruments.records(principal, model, instrument_ids)

    async def _check_gate(self, instrument: Instrument, kind: Kind, target: Status) -> None:
        if kind not in (Kind.PAS, Kind.RDQA, Kind.RAG):
            return
        related = await self.instruments.of_ente_in_year(instrument.owner_type, instrument.owner_code, instrument.year)
        plan_kind = Kind.PMS if instrument.owner_type == "municipality" else Kind.PES
        statuses = {(r.kind, r.year, r.quadrimester): Status(r.status) for r in related}
        check_gate(
            kind,
            period_of(kind, instrument.year, instrument.quadrimester, instrument.end_year),
            target,
            plan_status=next((Status(r.status) for r in related if r.kind == plan_kind), None),
            pas_status=statuses.get((Kind.PAS, instrument.year, None)),
            rdqa_statuses={q: s for (k, y, q), s in statuses.items() if k == Kind.RDQA and q is not None},
        )

    async def record_status(
        self, instrument: Instrument, target: Status, on: date, comment: str | None, actor: uuid.UUID | None
    ) -> None:
        """Change the status, keep the milestone dates, and write the history entry. A status
        implies the dates of the steps before it (DGMP reports statuses, not the steps)."""
        await self.instruments.add_record(
            InstrumentEvent(
                instrument_id=instrument.id,
                uf=instrument.uf,
                from_status=instrument.status,
                to_status=target,
                occurred_on=on,
                comment=comment,
                actor_id=actor,
            )
        )
        instrument.status = target
        if shows_sent(Kind(instrument.kind), target) and instrument.sent_to_council_on is None:
            instrument.sent_to_council_on = on
        if target in APPROVED and instrument.approved_on is None:
            instrument.approved_on = on
        refresh_milestone(instrument)
        await self.instruments.save(instrument)

    async def calendar_of(self, owner_type: str, owner_code: str) -> Calendar:
        """The ente's own dates where it set them, the defaults otherwise."""
        row = await self.instruments.calendar(owner_type, owner_code)
        return calendar_from(row.ldo_bill_due, row.plan_due) if row else DEFAULT_CALENDAR

    async def writable(
        self,
        principal: Principal,
        instrument_id: uuid.UUID,
        expected_version: int | None = None,
        *,
        policy: WritePolicy = INSTRUMENT_WRITES,
    ) -> Instrument:
        """The instrument, locked, if the policy lets the caller change it (by default: it writes
        its ente's instruments): 404 when it may not even see it, 403 when it may only read it,
        412 when If-Match names an older version."""
        policy.require(principal)
        instrument = await self.visible(principal, instrument_id, for_update=True)
        if not policy.allows(principal, owner_of(instrument)):
            raise Forbidden("you may read this instrument but not change it")
        check_version(instrument.version, expected_version)
        return instrument

    async def visible(self, principal: Principal, instrument_id: uuid.UUID, *, for_update: bool = False) -> Instrument:
        instrument = await self.instruments.get(principal, instrument_id, for_update=for_update)
        if instrument is None:
            raise NotFound(f"no instrument {instrument_id}")
        return instrument

    async def _municipality_code(self, code: str) -> str:
        found = await self.repositories.territory.municipality(parse_municipality_code(code))
        if found is None:
            raise InvalidInput(f"no municipality {code}", code="unknown_municipality")
        return found.code

    async def owner(self, owner_type: str, code: str) -> Owner:
        territory = self.repositories.territory
        if owner_type == "municipality":
            municipality_code = await self._municipality_code(code)
            found = await territory.municipality(municipality_code)
            assert found is not None
            return Owner("municipality", found.code, found.uf, municipality_code=found.code)
        if owner_type == "state":
            uf = normalize_uf(code)
            assert uf is not None
            return Owner("state", uf, uf)
        if owner_type == "region":
            region = await territory.region(parse_region_code(code))
            if region is None:
                raise InvalidInput(f"no health region {code}", code="unknown_region")
            return Owner("region", region.code, region.uf, region_code=region.code)
        try:
            organization_id = uuid.UUID(code)
        except ValueError as exc:
            raise InvalidInput(f"{code!r} is not an organization id", code="unknown_organization") from exc
        organization = await self.repositories.organizations.get(organization_id)
        if organization is None:
            raise InvalidInput(f"no organization {code}", code="unknown_organization")
        return Owner("organization", str(organization.id), organization.uf, organization_id=organization.id)
