"""What councils and legislative houses decide: deliberations move an instrument's status;
an RDQA's public hearing is its legal milestone."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, HttpUrl, StringConstraints

from app.core.errors import Forbidden, InvalidInput
from app.core.principal import Principal
from app.domain.access import records_deliberations_for, require_authenticated
from app.domain.instrument_rules import Kind, Status, check_transition
from app.domain.instruments import InstrumentService, Text, owner_of, refresh_milestone
from app.repositories import Repositories
from app.repositories.tables import Deliberation, Hearing, utc_now

Outcome = Literal["aprovado", "aprovado_com_ressalvas", "nao_aprovado", "retornado_ajustes", "avaliado"]


class DeliberationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Literal["conselho_saude", "cib", "cir", "gestor"] = "conselho_saude"
    resolution_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    resolution_date: date
    outcome: Outcome
    text: Text | None = None
    link: HttpUrl | None = None


class HearingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    house: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    held_on: date
    minutes_url: HttpUrl | None = None


def _not_future(day: date) -> None:
    if day > utc_now().date():
        raise InvalidInput(f"{day} is in the future", code="invalid_date")


class CouncilService:
    def __init__(self, repositories: Repositories) -> None:
        self.instruments = InstrumentService(repositories)
        self.records = repositories.instruments

    async def deliberate(
        self, principal: Principal, instrument_id: uuid.UUID, data: DeliberationCreate
    ) -> Deliberation:
        """Record the council's resolution; its outcome becomes the instrument's status."""
        require_authenticated(principal)
        instrument = await self.instruments.visible(principal, instrument_id, for_update=True)
        if not records_deliberations_for(principal, owner_of(instrument)):
            raise Forbidden("only the conselho of this ente (or, for a regional plan, the SES for the CIB) decides")
        _not_future(data.resolution_date)
        outcome = Status(data.outcome)
        check_transition(Kind(instrument.kind), Status(instrument.status), outcome)
        deliberation = Deliberation(
            instrument_id=instrument.id,
            uf=instrument.uf,
            body=data.body,
            resolution_number=data.resolution_number,
            resolution_date=data.resolution_date,
            outcome=outcome,
            text=data.text,
            link=str(data.link) if data.link else None,
            recorded_by=principal.user_id,
        )
        await self.records.add_record(deliberation)
        comment = f"Resolução {data.resolution_number} de {data.resolution_date:%d/%m/%Y}"
        await self.instruments.record_status(instrument, outcome, data.resolution_date, comment, principal.user_id)
        return deliberation

    async def deliberations(self, principal: Principal, instrument_id: uuid.UUID) -> list[Deliberation]:
        return await self.instruments.records_of(principal, Deliberation, instrument_id)

    async def add_hearing(self, principal: Principal, instrument_id: uuid.UUID, data: HearingCreate) -> Hearing:
        """Record an RDQA's public hearing; the first one held is the RDQA's milestone."""
        instrument = await self.instruments.writable(principal, instrument_id)
        if instrument.kind != Kind.RDQA:
            raise InvalidInput("public hearings are held for RDQAs only", code="hearing_not_rdqa")
        _not_future(data.held_on)
        hearing = Hearing(
            instrument_id=instrument.id,
            uf=instrument.uf,
            house=data.house,
            held_on=data.held_on,
            minutes_url=str(data.minutes_url) if data.minutes_url else None,
            recorded_by=principal.user_id,
        )
        await self.records.add_record(hearing)
        if instrument.hearing_on is None or data.held_on < instrument.hearing_on:
            instrument.hearing_on = data.held_on
            refresh_milestone(instrument)
        await self.records.save(instrument)
        return hearing

    async def hearings(self, principal: Principal, instrument_id: uuid.UUID) -> list[Hearing]:
        return await self.instruments.records_of(principal, Hearing, instrument_id)
