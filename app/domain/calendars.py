"""An ente's own dates: when its LDO bill is due (the PAS deadline) and by when a plan must be
approved. Changing them moves the deadlines of the ente's PAS and plans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import Forbidden
from app.core.principal import Principal
from app.domain.access import INSTRUMENT_WRITES
from app.domain.instrument_rules import DEFAULT_CALENDAR, Kind, MonthDay
from app.domain.instruments import InstrumentService, calendar_from, refresh_deadline
from app.domain.users import check_version
from app.repositories import Repositories
from app.repositories.tables import EnteCalendar

EnteType = Literal["municipality", "state"]
MonthDayText = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}-[0-9]{2}$")]
_CALENDAR_KINDS = (Kind.PAS.value, Kind.PMS.value, Kind.PES.value)


def _month_day(month_day: MonthDay) -> str:
    return f"{month_day.month:02d}-{month_day.day:02d}"


class CalendarUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ldo_bill_due: MonthDayText = Field(description="MM-DD the LDO bill is due: the PAS deadline, in the year before.")
    plan_due: MonthDayText = Field(
        default=_month_day(DEFAULT_CALENDAR.plan_due),
        description="MM-DD, in the year before a plan starts, by which it must be approved.",
    )


@dataclass(frozen=True)
class CalendarView:
    owner_type: str
    owner: str
    ldo_bill_due: str
    plan_due: str
    custom: bool
    version: int


class CalendarService:
    def __init__(self, repositories: Repositories) -> None:
        self.instruments = InstrumentService(repositories)
        self.records = repositories.instruments

    async def get(self, owner_type: EnteType, code: str) -> CalendarView:
        owner = await self.instruments.owner(owner_type, code)
        row = await self.records.calendar(owner.owner_type, owner.owner_code)
        if row is None:
            defaults = DEFAULT_CALENDAR
            return CalendarView(
                owner.owner_type,
                owner.owner_code,
                _month_day(defaults.ldo_bill_due),
                _month_day(defaults.plan_due),
                False,
                0,
            )
        return CalendarView(owner.owner_type, owner.owner_code, row.ldo_bill_due, row.plan_due, True, row.version)

    async def put(
        self, principal: Principal, owner_type: EnteType, code: str, data: CalendarUpdate, expected_version: int | None
    ) -> CalendarView:
        INSTRUMENT_WRITES.require(principal)
        owner = await self.instruments.owner(owner_type, code)
        if not INSTRUMENT_WRITES.allows(principal, owner):
            raise Forbidden(f"the calendar of {owner.owner_type} {owner.owner_code} is outside what you write")
        calendar = calendar_from(data.ldo_bill_due, data.plan_due)  # refuses days no month has
        row = await self.records.calendar(owner.owner_type, owner.owner_code, for_update=True)
        check_version(row.version if row else 0, expected_version)
        if row is None:
            assert owner.uf is not None  # municipalities and states always have one
            row = EnteCalendar(
                owner_type=owner.owner_type,
                owner_code=owner.owner_code,
                uf=owner.uf,
                ldo_bill_due=data.ldo_bill_due,
                plan_due=data.plan_due,
            )
            await self.records.save_calendar(row, new=True)
        else:
            row.ldo_bill_due, row.plan_due = data.ldo_bill_due, data.plan_due
            await self.records.save_calendar(row, new=False)
        for instrument in await self.records.of_ente(owner.owner_type, owner.owner_code, _CALENDAR_KINDS):
            refresh_deadline(instrument, calendar)
            await self.records.save(instrument)
        return await self.get(owner_type, code)
