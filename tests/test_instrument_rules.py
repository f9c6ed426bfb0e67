"""The instrument rules of product.md §2: deadlines, situation, the status machine, gating."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import InvalidInput
from app.domain.instrument_rules import (
    APPROVED,
    SENT,
    STATUS_LABELS,
    TRANSITIONS,
    Calendar,
    GateClosed,
    History,
    IllegalTransition,
    Kind,
    MonthDay,
    Situation,
    Status,
    allowed_moves,
    check_gate,
    check_transition,
    days_late,
    deadline,
    milestone,
    period_of,
    plan_start_covering,
    shows_sent,
    situation,
)

years = st.integers(min_value=2000, max_value=2099)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


# ----- the examples ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "year", "quadrimester", "expected"),
    [
        (Kind.RAG, 2023, None, date(2024, 3, 30)),
        (Kind.RDQA, 2024, 1, date(2024, 5, 31)),
        (Kind.RDQA, 2024, 2, date(2024, 9, 30)),
        (Kind.RDQA, 2024, 3, date(2025, 2, 28)),
        (Kind.RDQA, 2023, 3, date(2024, 2, 29)),
        (Kind.PAS, 2025, None, date(2024, 4, 15)),
        (Kind.PMS, 2026, None, date(2025, 12, 31)),
        (Kind.PES, 2024, None, date(2023, 12, 31)),
    ],
)
def test_legal_deadlines(kind: Kind, year: int, quadrimester: int | None, expected: date) -> None:
    assert deadline(kind, period_of(kind, year, quadrimester)) == expected


def test_an_entes_own_dates_override_the_defaults() -> None:
    calendar = Calendar(ldo_bill_due=MonthDay(5, 2), plan_due=MonthDay(11, 30))
    assert deadline(Kind.PAS, period_of(Kind.PAS, 2025), calendar) == date(2024, 5, 2)
    assert deadline(Kind.PMS, period_of(Kind.PMS, 2026), calendar) == date(2025, 11, 30)
    assert deadline(Kind.RAG, period_of(Kind.RAG, 2023), calendar) == date(2024, 3, 30)  # law, not calendar


def test_regional_and_action_plans_have_no_default_deadline() -> None:
    assert deadline(Kind.PRI, period_of(Kind.PRI, 2024, end_year=2027)) is None
    assert deadline(Kind.PLANO_ACAO, period_of(Kind.PLANO_ACAO, 2024)) is None


def test_rag_2023_situations() -> None:
    due = deadline(Kind.RAG, period_of(Kind.RAG, 2023))
    sent_late = milestone(Kind.RAG, History(sent_to_council_on=date(2024, 4, 2)))
    assert situation(due, sent_late, as_of=date(2024, 6, 1)) is Situation.CUMPRIDO_COM_ATRASO
    assert days_late(due, sent_late, as_of=date(2024, 6, 1)) == 3
    still_drafting = milestone(Kind.RAG, History())
    assert situation(due, still_drafting, as_of=date(2024, 3, 1)) is Situation.PENDENTE
    assert situation(due, still_drafting, as_of=date(2024, 4, 1)) is Situation.ATRASADO


def test_the_milestone_that_counts() -> None:
    history = History(sent_to_council_on=date(2024, 5, 20), approved_on=date(2024, 7, 1), hearing_on=date(2024, 5, 28))
    assert milestone(Kind.RAG, history) == date(2024, 5, 20)
    assert milestone(Kind.RDQA, history) == date(2024, 5, 28)
    assert milestone(Kind.RDQA, History(sent_to_council_on=date(2024, 5, 20))) == date(2024, 5, 20)
    for kind in (Kind.PAS, Kind.PMS, Kind.PES, Kind.PRI, Kind.PLANO_ACAO):
        assert milestone(kind, history) == date(2024, 7, 1)


def test_illegal_transition_lists_the_allowed_moves() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(Kind.RAG, Status.EM_ELABORACAO, Status.APROVADO)
    assert refused.value.allowed == ["em_analise_conselho"]
    assert refused.value.status == 409
    with pytest.raises(IllegalTransition):
        check_transition(Kind.RDQA, Status.EM_ANALISE_CONSELHO, Status.APROVADO)  # the council evaluates an RDQA


def test_gating() -> None:
    pas = period_of(Kind.PAS, 2025)
    with pytest.raises(GateClosed, match="plan 2022–2025"):
        check_gate(
            Kind.PAS,
            pas,
            Status.EM_ANALISE_CONSELHO,
            plan_status=Status.EM_ELABORACAO,
            pas_status=None,
            rdqa_statuses={},
        )
    check_gate(
        Kind.PAS, pas, Status.EM_ANALISE_CONSELHO, plan_status=Status.APROVADO, pas_status=None, rdqa_statuses={}
    )
    check_gate(
        Kind.PAS, pas, Status.EM_ELABORACAO, plan_status=None, pas_status=None, rdqa_statuses={}
    )  # drafting is free
    rdqa = period_of(Kind.RDQA, 2025, 1)
    with pytest.raises(GateClosed, match="PAS 2025"):
        check_gate(Kind.RDQA, rdqa, Status.EM_ANALISE_CONSELHO, plan_status=None, pas_status=None, rdqa_statuses={})
    rag_2025, rag_2026 = period_of(Kind.RAG, 2025), period_of(Kind.RAG, 2026)
    approved = {"plan_status": Status.APROVADO, "pas_status": Status.APROVADO_COM_RESSALVAS}
    check_gate(Kind.RAG, rag_2025, Status.EM_ANALISE_CONSELHO, rdqa_statuses={}, **approved)  # before the new cycle
    with pytest.raises(GateClosed, match="not yet sent: 2º, 3º"):
        check_gate(Kind.RAG, rag_2026, Status.EM_ANALISE_CONSELHO, rdqa_statuses={1: Status.AVALIADO}, **approved)
    sent = {1: Status.AVALIADO, 2: Status.EM_ANALISE_CONSELHO, 3: Status.RETORNADO_AJUSTES}
    check_gate(Kind.RAG, rag_2026, Status.EM_ANALISE_CONSELHO, rdqa_statuses=sent, **approved)


def test_periods_are_validated() -> None:
    assert period_of(Kind.PMS, 2026).end_year == 2029
    for kind, year, quadrimester, end_year in (
        (Kind.RDQA, 2024, None, None),
        (Kind.RDQA, 2024, 4, None),
        (Kind.RAG, 2024, 1, None),
        (Kind.PMS, 2026, None, 2027),
        (Kind.PRI, 2026, None, 2025),
        (Kind.PAS, 1900, None, None),
    ):
        with pytest.raises(InvalidInput):
            period_of(kind, year, quadrimester, end_year)


def test_every_status_has_a_portuguese_label() -> None:
    assert set(STATUS_LABELS) == set(Status)
    assert STATUS_LABELS[Status.EM_ANALISE_CONSELHO] == "Em Análise no Conselho de Saúde"


# ----- properties --------------------------------------------------------------------------------


@given(years)
def test_rdqa_deadlines_follow_the_law_every_year(year: int) -> None:
    first, second, third = (deadline(Kind.RDQA, period_of(Kind.RDQA, year, q)) for q in (1, 2, 3))
    assert first == date(year, 5, 31)
    assert second == date(year, 9, 30)
    assert third is not None
    assert (third.year, third.month) == (year + 1, 2)
    assert (third + timedelta(days=1)) == date(year + 1, 3, 1)  # the last day of February, leap or not
    assert first < second < third


@given(years, st.integers(1, 12), st.integers(1, 31))
def test_pas_and_plan_deadlines_fall_in_the_year_before(year: int, month: int, day: int) -> None:
    try:
        calendar = Calendar(ldo_bill_due=MonthDay(month, day), plan_due=MonthDay(month, day))
    except InvalidInput:
        return  # not a real month-day
    pas_due = deadline(Kind.PAS, period_of(Kind.PAS, year), calendar)
    plan_due = deadline(Kind.PMS, period_of(Kind.PMS, year), calendar)
    assert pas_due is not None
    assert plan_due is not None
    assert pas_due.year == plan_due.year == year - 1
    assert (pas_due.month, pas_due.day) in ((month, day), (2, 28))
    assert deadline(Kind.RAG, period_of(Kind.RAG, year)) == date(year + 1, 3, 30)


@given(st.one_of(st.none(), dates), st.one_of(st.none(), dates), dates, dates)
def test_situation_never_moves_backwards_in_time(
    due: date | None, reached: date | None, earlier: date, later: date
) -> None:
    earlier, later = min(earlier, later), max(earlier, later)
    rank = {
        Situation.PENDENTE: 0,
        Situation.ATRASADO: 1,
        Situation.CUMPRIDO_COM_ATRASO: 2,
        Situation.CUMPRIDO_NO_PRAZO: 2,
    }
    before, after = situation(due, reached, earlier), situation(due, reached, later)
    assert rank[before] <= rank[after]
    if before in (Situation.CUMPRIDO_NO_PRAZO, Situation.CUMPRIDO_COM_ATRASO):
        assert after is before  # once met, met the same way forever
    if after is Situation.ATRASADO:
        assert due is not None
        assert later > due
    if due is None:
        assert after in (Situation.PENDENTE, Situation.CUMPRIDO_NO_PRAZO)


@given(st.one_of(st.none(), dates), st.one_of(st.none(), dates), dates)
def test_days_late_is_positive_exactly_when_late(due: date | None, reached: date | None, as_of: date) -> None:
    late = days_late(due, reached, as_of)
    assert late >= 0
    assert (late > 0) == (situation(due, reached, as_of) in (Situation.ATRASADO, Situation.CUMPRIDO_COM_ATRASO))


@given(years)
def test_plan_cycles_cover_every_year_once(year: int) -> None:
    start = plan_start_covering(year)
    assert start <= year < start + 4
    assert (start - 2018) % 4 == 0
    assert period_of(Kind.PMS, start).covers(year)


@settings(max_examples=300)
@given(st.sampled_from(list(Kind)), st.lists(st.integers(min_value=0, max_value=10), max_size=25))
def test_random_walks_only_take_allowed_moves(kind: Kind, choices: list[int]) -> None:
    """Walk the machine from nao_iniciado, trying legal and illegal moves alike."""
    current = Status.NAO_INICIADO
    statuses = sorted(Status)
    for choice in choices:
        target = statuses[choice % len(statuses)]
        if target in allowed_moves(kind, current):
            check_transition(kind, current, target)
            current = target
        else:
            with pytest.raises(IllegalTransition) as refused:
                check_transition(kind, current, target)
            assert refused.value.allowed == sorted(allowed_moves(kind, current))
        if kind is Kind.RDQA:
            assert current not in APPROVED | {Status.NAO_APROVADO}
        else:
            assert current is not Status.AVALIADO


@pytest.mark.parametrize("kind", list(Kind))
def test_every_state_is_reachable_and_decisions_come_from_the_council(kind: Kind) -> None:
    machine = TRANSITIONS[kind]
    reachable, frontier = {Status.NAO_INICIADO}, [Status.NAO_INICIADO]
    while frontier:
        for target in allowed_moves(kind, frontier.pop()):
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(machine)
    if kind is not Kind.PLANO_ACAO:
        for state, moves in machine.items():
            if moves & (APPROVED | {Status.AVALIADO, Status.NAO_APROVADO}):
                assert state is Status.EM_ANALISE_CONSELHO
        assert all(
            target in SENT or target in (Status.EM_ELABORACAO,) for s in SENT & set(machine) for target in machine[s]
        )


@pytest.mark.parametrize("kind", list(Kind))
def test_a_status_past_the_council_shows_it_was_sent_except_for_an_owner_approved_plan(kind: Kind) -> None:
    for status in Status:
        assert shows_sent(kind, status) == (kind is not Kind.PLANO_ACAO and status in SENT)
    # so for a council kind the history's sent date is the day it entered em_analise_conselho:
    # every way into those statuses from outside them goes through it
    entries = {target for source, moves in TRANSITIONS[kind].items() if source not in SENT for target in moves}
    if kind is not Kind.PLANO_ACAO:
        assert entries & SENT == {Status.EM_ANALISE_CONSELHO}
