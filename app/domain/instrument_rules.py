"""The rules of planning instruments (product.md §2): kinds and periods, the status machine of
each kind, legal deadlines, the milestone that counts, situation as of a date, and gating.

Pure functions over plain values: the services of the instruments issue call them, and so do
the compliance and panel queries' checks. Legal sources: shared/reference/domain-research.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from app.core.errors import Conflict, InvalidInput


class Kind(enum.StrEnum):
    PMS = "PMS"  # Plano Municipal de Saúde
    PES = "PES"  # Plano Estadual de Saúde
    PAS = "PAS"  # Programação Anual de Saúde
    RDQA = "RDQA"  # Relatório Detalhado do Quadrimestre Anterior
    RAG = "RAG"  # Relatório Anual de Gestão
    PRI = "PRI"  # Plano Regional (Planejamento Regional Integrado)
    PLANO_ACAO = "PLANO_ACAO"  # monitoring / action plan


class Status(enum.StrEnum):
    NAO_INICIADO = "nao_iniciado"
    EM_ELABORACAO = "em_elaboracao"
    EM_ANALISE_CONSELHO = "em_analise_conselho"
    RETORNADO_AJUSTES = "retornado_ajustes"
    APROVADO = "aprovado"
    APROVADO_COM_RESSALVAS = "aprovado_com_ressalvas"
    NAO_APROVADO = "nao_aprovado"
    AVALIADO = "avaliado"  # the RDQA's final state: the council evaluates, it does not approve


STATUS_LABELS = {  # DGMP's labels, shown to people
    Status.NAO_INICIADO: "Não Iniciado",
    Status.EM_ELABORACAO: "Em Elaboração",
    Status.EM_ANALISE_CONSELHO: "Em Análise no Conselho de Saúde",
    Status.RETORNADO_AJUSTES: "Retornado para Ajustes",
    Status.APROVADO: "Aprovado",
    Status.APROVADO_COM_RESSALVAS: "Aprovado com Ressalvas",
    Status.NAO_APROVADO: "Não Aprovado",
    Status.AVALIADO: "Avaliado",
}


class Situation(enum.StrEnum):
    PENDENTE = "pendente"  # not due yet (or no deadline)
    CUMPRIDO_NO_PRAZO = "cumprido_no_prazo"
    CUMPRIDO_COM_ATRASO = "cumprido_com_atraso"
    ATRASADO = "atrasado"  # due, milestone not reached


SITUATION_LABELS = {
    Situation.PENDENTE: "Pendente",
    Situation.CUMPRIDO_NO_PRAZO: "Cumprido no prazo",
    Situation.CUMPRIDO_COM_ATRASO: "Cumprido com atraso",
    Situation.ATRASADO: "Atrasado",
}

APPROVED = frozenset({Status.APROVADO, Status.APROVADO_COM_RESSALVAS})
# Statuses an instrument reaches only after it was sent to the council.
SENT = frozenset(
    {
        Status.EM_ANALISE_CONSELHO,
        Status.RETORNADO_AJUSTES,
        Status.APROVADO,
        Status.APROVADO_COM_RESSALVAS,
        Status.NAO_APROVADO,
        Status.AVALIADO,
    }
)


def shows_sent(kind: Kind, status: Status) -> bool:
    """Whether reaching `status` means the instrument went to the council; a plano de ação is
    approved by its owner and never goes."""
    return kind is not Kind.PLANO_ACAO and status in SENT


_S = Status
_COUNCIL_DECIDES: dict[Status, frozenset[Status]] = {
    _S.NAO_INICIADO: frozenset({_S.EM_ELABORACAO}),
    _S.EM_ELABORACAO: frozenset({_S.EM_ANALISE_CONSELHO}),
    _S.EM_ANALISE_CONSELHO: frozenset({_S.RETORNADO_AJUSTES, _S.APROVADO, _S.APROVADO_COM_RESSALVAS, _S.NAO_APROVADO}),
    _S.RETORNADO_AJUSTES: frozenset({_S.EM_ELABORACAO, _S.EM_ANALISE_CONSELHO}),
    _S.NAO_APROVADO: frozenset({_S.EM_ELABORACAO}),
    _S.APROVADO: frozenset(),
    _S.APROVADO_COM_RESSALVAS: frozenset(),
}
_COUNCIL_EVALUATES: dict[Status, frozenset[Status]] = {  # RDQA
    _S.NAO_INICIADO: frozenset({_S.EM_ELABORACAO}),
    _S.EM_ELABORACAO: frozenset({_S.EM_ANALISE_CONSELHO}),
    _S.EM_ANALISE_CONSELHO: frozenset({_S.RETORNADO_AJUSTES, _S.AVALIADO}),
    _S.RETORNADO_AJUSTES: frozenset({_S.EM_ELABORACAO, _S.EM_ANALISE_CONSELHO}),
    _S.AVALIADO: frozenset(),
}
_OWNER_DECIDES: dict[Status, frozenset[Status]] = {  # PLANO_ACAO: the owner approves its own plan
    _S.NAO_INICIADO: frozenset({_S.EM_ELABORACAO}),
    _S.EM_ELABORACAO: frozenset({_S.APROVADO}),
    _S.APROVADO: frozenset({_S.EM_ELABORACAO}),
}
TRANSITIONS: dict[Kind, dict[Status, frozenset[Status]]] = {
    Kind.PMS: _COUNCIL_DECIDES,
    Kind.PES: _COUNCIL_DECIDES,
    Kind.PAS: _COUNCIL_DECIDES,
    Kind.RAG: _COUNCIL_DECIDES,
    Kind.PRI: _COUNCIL_DECIDES,  # decided by the CIB, through the same states
    Kind.RDQA: _COUNCIL_EVALUATES,
    Kind.PLANO_ACAO: _OWNER_DECIDES,
}


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, kind: Kind, current: Status, target: Status) -> None:
        allowed = sorted(allowed_moves(kind, current))
        super().__init__(
            f"a {kind} cannot go from {current} to {target}; from {current} it may go to: "
            f"{', '.join(allowed) if allowed else 'nowhere (final state)'}",
            allowed=allowed,
        )
        self.allowed = allowed


def allowed_moves(kind: Kind, current: Status) -> frozenset[Status]:
    return TRANSITIONS[kind].get(current, frozenset())


def check_transition(kind: Kind, current: Status, target: Status) -> None:
    if target not in allowed_moves(kind, current):
        raise IllegalTransition(kind, current, target)


# ----- periods ---------------------------------------------------------------------------------

PLAN_YEARS = 4


@dataclass(frozen=True)
class Period:
    """What an instrument covers: a plan's first year (4 years), a year, a year and quadrimester,
    or, for PRI and PLANO_ACAO, the years the owner declares."""

    year: int
    quadrimester: int | None = None
    end_year: int | None = None

    def covers(self, year: int) -> bool:
        return self.year <= year <= (self.end_year or self.year)


def period_of(kind: Kind, year: int, quadrimester: int | None = None, end_year: int | None = None) -> Period:
    """Validate and complete a period: plans run 4 years from `year`; RDQA needs a quadrimester."""
    if not 1988 <= year <= 2100:
        raise InvalidInput(f"year {year} is outside 1988–2100", code="invalid_period")
    if (kind is Kind.RDQA) != (quadrimester is not None):
        raise InvalidInput("an RDQA, and only an RDQA, has a quadrimester (1, 2 or 3)", code="invalid_period")
    if quadrimester is not None and quadrimester not in (1, 2, 3):
        raise InvalidInput(f"quadrimester {quadrimester} is not 1, 2 or 3", code="invalid_period")
    if kind in (Kind.PMS, Kind.PES):
        if end_year not in (None, year + PLAN_YEARS - 1):
            raise InvalidInput(f"a {kind} runs four years: {year}–{year + PLAN_YEARS - 1}", code="invalid_period")
        return Period(year, end_year=year + PLAN_YEARS - 1)
    if kind in (Kind.PRI, Kind.PLANO_ACAO):
        if end_year is not None and end_year < year:
            raise InvalidInput(f"end_year {end_year} precedes year {year}", code="invalid_period")
        return Period(year, end_year=end_year or year)
    if end_year not in (None, year):
        raise InvalidInput(f"a {kind} covers one year", code="invalid_period")
    return Period(year, quadrimester)


def plan_start_covering(year: int) -> int:
    """The first year of the 4-year plan that covers `year` (cycles 2018–2021, 2022–2025, …)."""
    return year - (year - 2018) % PLAN_YEARS


# ----- deadlines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthDay:
    month: int
    day: int

    def __post_init__(self) -> None:
        try:
            date(2024, self.month, self.day)  # a leap year admits every real month-day
        except ValueError as exc:
            raise InvalidInput(
                f"{self.month:02d}-{self.day:02d} is not a day of the year", code="invalid_calendar"
            ) from exc

    def in_year(self, year: int) -> date:
        """This month-day in `year`; 29 February falls back to the 28th in common years."""
        if (self.month, self.day) == (2, 29) and not _is_leap(year):
            return date(year, 2, 28)
        return date(year, self.month, self.day)


@dataclass(frozen=True)
class Calendar:
    """An ente's own dates, where its Lei Orgânica or council fixes them."""

    ldo_bill_due: MonthDay = MonthDay(4, 15)  # the PAS is approved before the LDO bill is sent
    plan_due: MonthDay = MonthDay(12, 31)  # a plan is approved by this date of the year before it starts


DEFAULT_CALENDAR = Calendar()


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _last_day_of_february(year: int) -> date:
    return date(year, 3, 1) - timedelta(days=1)


def deadline(kind: Kind, period: Period, calendar: Calendar = DEFAULT_CALENDAR) -> date | None:
    """The legal deadline of an instrument, or None where the law sets none (PRI, PLANO_ACAO)."""
    year = period.year
    match kind:
        case Kind.PMS | Kind.PES:
            return calendar.plan_due.in_year(year - 1)
        case Kind.PAS:
            return calendar.ldo_bill_due.in_year(year - 1)
        case Kind.RDQA:
            # LC 141/2012 art. 36 §5: public hearing by the end of May, September and February.
            return {1: date(year, 5, 31), 2: date(year, 9, 30), 3: _last_day_of_february(year + 1)}[
                period.quadrimester or 0
            ]
        case Kind.RAG:
            return date(year + 1, 3, 30)  # LC 141/2012 art. 36 §1: sent to the council by 30 March
        case _:
            return None


# ----- milestones and situation ----------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """When an instrument first reached the states that matter for its milestone."""

    sent_to_council_on: date | None = None
    approved_on: date | None = None
    hearing_on: date | None = None  # RDQA public hearing in the legislative house


def milestone(kind: Kind, history: History) -> date | None:
    """The date the legal duty was met: RAG — sent to the council; RDQA — public hearing held
    (or, when none is recorded, sent to the council); plans, PAS, PRI, PLANO_ACAO — approved."""
    match kind:
        case Kind.RAG:
            return history.sent_to_council_on
        case Kind.RDQA:
            return history.hearing_on or history.sent_to_council_on
        case _:
            return history.approved_on


def situation(due: date | None, reached_on: date | None, as_of: date) -> Situation:
    """Where an instrument stands on `as_of`. A milestone reached after `as_of` had not been yet;
    a deadline day itself is still on time; with no deadline, nothing is ever late."""
    if reached_on is not None and reached_on <= as_of:
        if due is None or reached_on <= due:
            return Situation.CUMPRIDO_NO_PRAZO
        return Situation.CUMPRIDO_COM_ATRASO
    if due is None or as_of <= due:
        return Situation.PENDENTE
    return Situation.ATRASADO


def days_late(due: date | None, reached_on: date | None, as_of: date) -> int:
    """Days past the deadline: until the milestone if reached by `as_of`, else until `as_of`."""
    if due is None:
        return 0
    end = reached_on if reached_on is not None and reached_on <= as_of else as_of
    return max(0, (end - due).days)


# ----- gating (as in DGMP) ---------------------------------------------------------------------

RAG_NEEDS_RDQAS_FROM = 2026  # Nota Informativa 1/2025: from the 2026–2029 cycle


class GateClosed(Conflict):
    code = "gate_closed"


def check_gate(
    kind: Kind,
    period: Period,
    target: Status,
    *,
    plan_status: Status | None,
    pas_status: Status | None,
    rdqa_statuses: dict[int, Status],
) -> None:
    """Refuse sending an instrument to the council before what it depends on: a PAS needs its
    plan approved; RDQA and RAG need the year's PAS approved; from 2026 a RAG also needs the
    year's three RDQAs sent. `*_status` are the current statuses of those instruments (None if
    they do not exist)."""
    if target is not Status.EM_ANALISE_CONSELHO:
        return
    if kind is Kind.PAS and plan_status not in APPROVED:
        raise GateClosed(
            f"the PAS {period.year} cannot go to the council before the plan "
            f"{plan_start_covering(period.year)}–{plan_start_covering(period.year) + 3} is approved"
        )
    if kind in (Kind.RDQA, Kind.RAG) and pas_status not in APPROVED:
        raise GateClosed(f"the {kind} cannot go to the council before the PAS {period.year} is approved")
    if kind is Kind.RAG and period.year >= RAG_NEEDS_RDQAS_FROM:
        missing = [q for q in (1, 2, 3) if rdqa_statuses.get(q) not in SENT]
        if missing:
            raise GateClosed(
                f"from the 2026–2029 cycle the RAG {period.year} needs the year's three RDQAs sent to the "
                f"council; not yet sent: {', '.join(f'{q}º' for q in missing)}"
            )
