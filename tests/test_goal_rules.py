"""The goal-tree rules of product.md §3–§4 and the goal matrices people keep in spreadsheets:
levels, statuses, deadlines, numbers, overdue, achievement, and parsing/exporting the `matriz` and
`dgmp` layouts as CSV or XLSX. Pure functions; no database."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.core.text import decimal_comma
from app.domain.goal_files import (
    LAYOUT_LEVELS,
    ExportRow,
    MatrixRow,
    MetaFields,
    ParsedMatrix,
    UnsupportedFile,
    UpdateFields,
    export_table,
    parse_matrix,
)
from app.domain.goal_rules import (
    CLOSED,
    GOAL_STATUS_LABELS,
    LEVELS,
    POLARITY_LABELS,
    GoalStatus,
    Level,
    NumberError,
    Polarity,
    Prazo,
    PrazoError,
    Precision,
    Structure,
    achievement,
    allowed_children,
    days_overdue,
    end_of_month,
    format_prazo,
    parse_number,
    parse_percent,
    parse_prazo,
    polarity_from_label,
    status_from_label,
)

BOUNDED = settings(max_examples=200, deadline=None)
BOUNDED_FILES = settings(max_examples=100, deadline=None)  # each example builds and parses a file

MATRIZ_HEADER = ["ÁREA", "PROBLEMA", "DIRETRIZ", "OBJETIVO", "AÇÃO", "PRODUTO", "META", "PRAZO", "RESPONSÁVEL"]
DGMP_HEADER = [
    "DIRETRIZ",
    "OBJETIVO",
    "META",
    "INDICADOR",
    "UNIDADE",
    "POLARIDADE",
    "LINHA DE BASE",
    "ANO DA LINHA DE BASE",
    "META DO PLANO",
]

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
month_ends = st.builds(
    end_of_month, st.integers(min_value=2000, max_value=2099), st.integers(min_value=1, max_value=12)
)
prazos = st.one_of(
    st.builds(Prazo, days, st.just(Precision.DAY)),
    st.builds(Prazo, month_ends, st.just(Precision.MONTH)),
)
statuses = st.sampled_from(list(GoalStatus))


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], formats: dict[tuple[int, int], str] | None = None) -> bytes:
    """A one-sheet workbook; `formats` sets the number format of cells by (row, column), from 1."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for (row_number, column), number_format in (formats or {}).items():
        sheet.cell(row=row_number, column=column).number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems(parsed: ParsedMatrix) -> set[tuple[int, str | None]]:
    return {(error.line, error.field) for error in parsed.errors}


# --- levels ------------------------------------------------------------------------------------

DGMP_ORDER = [Level.DIRETRIZ, Level.OBJETIVO, Level.META, Level.ACAO]
MATRIZ_ORDER = [Level.AREA, Level.PROBLEMA, Level.DIRETRIZ, Level.OBJETIVO, Level.ACAO, Level.PRODUTO, Level.META]


def test_the_levels_of_each_structure() -> None:
    assert list(LEVELS[Structure.DGMP]) == DGMP_ORDER
    assert list(LEVELS[Structure.MATRIZ]) == MATRIZ_ORDER


def test_dgmp_allows_only_the_next_level() -> None:
    assert allowed_children(Structure.DGMP, None) == (Level.DIRETRIZ,)
    assert allowed_children(Structure.DGMP, Level.DIRETRIZ) == (Level.OBJETIVO,)
    assert allowed_children(Structure.DGMP, Level.OBJETIVO) == (Level.META,)
    assert allowed_children(Structure.DGMP, Level.META) == (Level.ACAO,)
    assert allowed_children(Structure.DGMP, Level.ACAO) == ()
    assert allowed_children(Structure.DGMP, Level.AREA) == ()  # not a DGMP level


def test_matriz_lets_any_deeper_level_fit() -> None:
    assert allowed_children(Structure.MATRIZ, None) == tuple(MATRIZ_ORDER)
    assert allowed_children(Structure.MATRIZ, Level.AREA) == tuple(MATRIZ_ORDER[1:])
    assert allowed_children(Structure.MATRIZ, Level.OBJETIVO) == (Level.ACAO, Level.PRODUTO, Level.META)
    assert allowed_children(Structure.MATRIZ, Level.PRODUTO) == (Level.META,)
    assert allowed_children(Structure.MATRIZ, Level.META) == ()


@BOUNDED
@given(st.sampled_from(list(Structure)), st.none() | st.sampled_from(list(Level)), st.sampled_from(list(Level)))
def test_allowed_children_follow_the_order_of_levels(structure: Structure, parent: Level | None, child: Level) -> None:
    order = DGMP_ORDER if structure is Structure.DGMP else MATRIZ_ORDER
    allowed = allowed_children(structure, parent)
    assert len(set(allowed)) == len(allowed)
    if parent is not None and parent not in order:
        assert allowed == ()
        return
    depth = order.index(parent) if parent is not None else -1
    if child not in order:
        expected = False
    elif structure is Structure.DGMP:
        expected = order.index(child) == depth + 1  # none skipped
    else:
        expected = order.index(child) > depth  # blank levels in between are fine
    assert (child in allowed) is expected
    if child in allowed:
        assert order.index(child) > depth  # never a shallower or equal level


# --- statuses and polarity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Em Andamento", GoalStatus.EM_ANDAMENTO),
        ("parada", GoalStatus.PARADA),
        ("Concluído", GoalStatus.CONCLUIDA),
        ("parcialmente atrasado", GoalStatus.PARCIALMENTE_ATRASADA),
        ("Não iniciado", GoalStatus.NAO_INICIADA),
        ("cancelado", GoalStatus.CANCELADA),
        ("  ATRASADA ", GoalStatus.ATRASADA),
        ("Paralisado", GoalStatus.PARADA),
        ("em   execução", GoalStatus.EM_ANDAMENTO),
    ],
)
def test_status_from_label(label: str, expected: GoalStatus) -> None:
    assert status_from_label(label) is expected


@pytest.mark.parametrize("status", list(GoalStatus))
def test_each_status_code_and_label_means_itself(status: GoalStatus) -> None:
    assert status_from_label(status.value) is status
    assert status_from_label(status.value.upper()) is status
    assert status_from_label(GOAL_STATUS_LABELS[status]) is status
    assert status_from_label(GOAL_STATUS_LABELS[status].upper()) is status


@pytest.mark.parametrize("label", ["", "   ", "talvez", "ok", "em", "concluída?", "100%", "nao_iniciad"])
def test_unknown_status_labels_mean_nothing(label: str) -> None:
    assert status_from_label(label) is None


@BOUNDED
@given(st.text(max_size=30))
def test_status_from_label_never_raises(label: str) -> None:
    assert status_from_label(label) in {*GoalStatus, None}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Maior é melhor", Polarity.HIGHER),
        ("MENOR É MELHOR", Polarity.LOWER),
        ("menor-melhor", Polarity.LOWER),
        ("Crescente", Polarity.HIGHER),
        ("negativa", Polarity.LOWER),
        ("higher", Polarity.HIGHER),
        ("igual", None),
        ("", None),
    ],
)
def test_polarity_from_label(label: str, expected: Polarity | None) -> None:
    assert polarity_from_label(label) is expected


@pytest.mark.parametrize("polarity", list(Polarity))
def test_polarity_labels_read_back(polarity: Polarity) -> None:
    assert polarity_from_label(POLARITY_LABELS[polarity]) is polarity


# --- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "on", "precision"),
    [
        ("12/2018", date(2018, 12, 31), Precision.MONTH),
        ("12/18", date(2018, 12, 31), Precision.MONTH),
        ("02/2020", date(2020, 2, 29), Precision.MONTH),
        ("2/2019", date(2019, 2, 28), Precision.MONTH),
        ("31/10/2018", date(2018, 10, 31), Precision.DAY),
        ("31/10/18", date(2018, 10, 31), Precision.DAY),
        ("1.3.2021", date(2021, 3, 1), Precision.DAY),
        ("2018-10-31", date(2018, 10, 31), Precision.DAY),
        ("2018-10", date(2018, 10, 31), Precision.MONTH),
        ("dez/2018", date(2018, 12, 31), Precision.MONTH),
        ("Dezembro de 2018", date(2018, 12, 31), Precision.MONTH),
        ("mar/19", date(2019, 3, 31), Precision.MONTH),
        ("  12/2018 ", date(2018, 12, 31), Precision.MONTH),
    ],
)
def test_parse_prazo(text: str, on: date, precision: Precision) -> None:
    assert parse_prazo(text) == Prazo(on, precision)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("13/2018", "no month 13"),
        ("00/2018", "no month 0"),
        ("2018-13", "no month 13"),
        ("31/02/2020", "no day 31/02/2020"),
        ("29/02/2019", "no day 29/02/2019"),
        ("2020-02-30", "no day 30/02/2020"),
        ("amanhã", "is not a deadline"),
        ("", "is not a deadline"),
        ("xyz/2018", "is not a deadline"),
        ("12/2018/1", "is not a deadline"),
    ],
)
def test_parse_prazo_names_what_is_wrong(text: str, named: str) -> None:
    with pytest.raises(PrazoError, match=named):
        parse_prazo(text)


def test_format_prazo() -> None:
    assert format_prazo(Prazo(date(2018, 12, 31), Precision.MONTH)) == "12/2018"
    assert format_prazo(Prazo(date(2018, 3, 5))) == "05/03/2018"


@BOUNDED
@given(prazos)
def test_format_prazo_reads_back(prazo: Prazo) -> None:
    assert parse_prazo(format_prazo(prazo)) == prazo


# Strings that are almost deadlines: numbers and month names joined by the separators people use.
_SEPARATORS = ["/", "-", ".", " ", " de ", "", "//"]
near_prazos = st.builds(
    lambda parts, separators: "".join(p + s for p, s in zip(parts, separators, strict=False)),
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=99).map(str),
            st.integers(min_value=0, max_value=99).map("{:02d}".format),
            st.integers(min_value=1, max_value=9999).map("{:04d}".format),
            st.sampled_from(["dez", "Março", "fev.", "jan", "xyz", "٣", "１２"]),
        ),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.sampled_from(_SEPARATORS), min_size=4, max_size=4),
)


@BOUNDED
@given(st.one_of(st.text(max_size=20), near_prazos))
@example("12/0000")
@example("dez/0000")
@example("31/02/2020")
@example("29/02/2100")
@example("99/99/99")
def test_parse_prazo_raises_only_prazo_error(text: str) -> None:
    try:
        prazo = parse_prazo(text)
    except PrazoError:
        return
    assert prazo.precision in set(Precision)
    if prazo.precision is Precision.MONTH:
        assert prazo.on == end_of_month(prazo.on.year, prazo.on.month)


# --- overdue and achievement -------------------------------------------------------------------


def test_days_overdue_examples() -> None:
    deadline = date(2024, 12, 31)
    assert days_overdue(deadline, GoalStatus.EM_ANDAMENTO, date(2025, 8, 31)) == 243
    assert days_overdue(deadline, None, date(2025, 1, 1)) == 1
    assert days_overdue(deadline, GoalStatus.EM_ANDAMENTO, deadline) == 0
    assert days_overdue(deadline, GoalStatus.CONCLUIDA, date(2025, 8, 31)) == 0
    assert days_overdue(deadline, GoalStatus.CANCELADA, date(2025, 8, 31)) == 0
    assert days_overdue(None, GoalStatus.ATRASADA, date(2025, 8, 31)) == 0
    assert {GoalStatus.CONCLUIDA, GoalStatus.CANCELADA} == CLOSED


@BOUNDED
@given(st.none() | days, st.none() | statuses, days)
def test_days_overdue(deadline: date | None, status: GoalStatus | None, as_of: date) -> None:
    overdue = days_overdue(deadline, status, as_of)
    if deadline is None or deadline >= as_of or status in {GoalStatus.CONCLUIDA, GoalStatus.CANCELADA}:
        assert overdue == 0
    else:
        assert overdue == (as_of - deadline).days > 0


def test_achievement_higher_is_better() -> None:
    short = achievement(90, 72, Polarity.HIGHER)
    assert (short.met, short.percent) == (False, 80.0)
    exact = achievement(90, 90, Polarity.HIGHER)
    assert (exact.met, exact.percent) == (True, 100.0)
    beyond = achievement(90, 99, Polarity.HIGHER)
    assert (beyond.met, beyond.percent) == (True, 110.0)
    assert (beyond.target, beyond.achieved) == (90, 99)


def test_achievement_lower_is_better() -> None:
    better = achievement(10, 8, Polarity.LOWER)  # a mortality of 8 against a target of 10
    assert (better.met, better.percent) == (True, 125.0)
    worse = achievement(10, 12.5, Polarity.LOWER)
    assert (worse.met, worse.percent) == (False, 80.0)
    assert achievement(10, 10, Polarity.LOWER).percent == 100.0


def test_achievement_is_undefined_against_zero() -> None:
    higher = achievement(0, 5, Polarity.HIGHER)
    assert (higher.met, higher.percent) == (True, None)
    lower = achievement(5, 0, Polarity.LOWER)
    assert (lower.met, lower.percent) == (True, None)
    assert achievement(0, 0, Polarity.HIGHER).percent is None
    assert achievement(0, 0, Polarity.LOWER).percent is None
    assert achievement(5, 0, Polarity.HIGHER).percent == 0.0
    assert achievement(0, 5, Polarity.LOWER).percent == 0.0


positive = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


@BOUNDED
@given(positive, positive, st.sampled_from(list(Polarity)))
def test_achievement_met_and_percent_agree(target: float, achieved: float, polarity: Polarity) -> None:
    result = achievement(target, achieved, polarity)
    if polarity is Polarity.HIGHER:
        assert result.met is (achieved >= target)
        ratio = achieved / target
    else:
        assert result.met is (achieved <= target)
        ratio = target / achieved
    assert result.percent == round(ratio * 100, 1)
    if result.met:
        assert result.percent >= 100.0
    if ratio < 0.999:
        assert not result.met


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,5", 1.5),
        ("1.5", 1.5),
        ("1.234,5", 1234.5),
        ("1.234.567,89", 1234567.89),
        ("50%", 50.0),
        (" 12,5 % ", 12.5),
        ("-3", -3.0),
        ("+0,25", 0.25),
        (",5", 0.5),
        ("10.", 10.0),
        ("1 000", 1000.0),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text", ["abc", "", " ", "%", "1e400", "1e5", "nan", "NaN", "inf", "-Infinity", "1,2,3", "1.2.3", "1..5", "0x10"]
)
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(NumberError, match="is not a number"):
        parse_number(text)


def test_parse_number_rejects_overflow() -> None:
    with pytest.raises(NumberError):
        parse_number("9" * 400)


@pytest.mark.parametrize(("text", "expected"), [("50%", 50.0), ("0", 0.0), ("100", 100.0), ("99,9", 99.9)])
def test_parse_percent(text: str, expected: float) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize(
    ("text", "message"), [("150", "between 0 and 100"), ("-1", "between 0 and 100"), ("x", "is not a number")]
)
def test_parse_percent_rejects(text: str, message: str) -> None:
    with pytest.raises(NumberError, match=message):
        parse_percent(text)


def test_decimal_comma() -> None:
    assert decimal_comma(3.0) == "3"
    assert decimal_comma(1.5) == "1,5"
    assert decimal_comma(-0.25) == "-0,25"
    assert decimal_comma(1e20) == "100000000000000000000"
    assert decimal_comma(0.00005) == "0,00005"


plain_floats = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@BOUNDED
@given(plain_floats)
@example(0.1 + 0.2)
@example(-0.0)
@example(123456789.125)
def test_format_number_reads_back(value: float) -> None:
    assert parse_number(decimal_comma(value)) == value


@BOUNDED
@given(plain_floats.filter(lambda value: 0 <= value <= 100))
def test_percentages_read_back(value: float) -> None:
    assert parse_percent(decimal_comma(value)) == value
    assert parse_percent(decimal_comma(value) + "%") == value


near_numbers = st.text(alphabet="0123456789.,%+- e٣", max_size=12)


@BOUNDED
@given(st.one_of(st.text(max_size=20), near_numbers))
@example("1e400")
@example("١٢,٥")
def test_parse_number_raises_only_number_error(text: str) -> None:
    try:
        value = parse_number(text)
    except NumberError:
        return
    assert math.isfinite(value)


# --- goal matrices: reading ----------------------------------------------------------------------


def test_matriz_csv_in_latin1_with_a_blank_level() -> None:
    header = [*MATRIZ_HEADER, "STATUS", "CONCLUSÃO (%)", "DETALHES"]
    row = [
        "Atenção Primária",
        "Baixa cobertura",
        "Ampliar o acesso",
        "Qualificar a APS",
        "",  # AÇÃO left blank
        "Equipes implantadas",
        "Implantar 10 equipes",
        "12/2018",
        "Coordenação da APS",
        "Em Andamento",
        "40",
        "Seleção em curso; edital publicado",
    ]
    content = csv_bytes([header, row], encoding="latin-1")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    parsed = parse_matrix(content, Structure.MATRIZ)

    assert parsed.errors == []
    assert parsed.rows_read == 1
    assert {"area", "acao", "responsavel", "conclusao", "status", "detalhes"} <= parsed.columns
    [matrix_row] = parsed.rows
    assert matrix_row.line == 2
    assert matrix_row.path == (
        (Level.AREA, "Atenção Primária"),
        (Level.PROBLEMA, "Baixa cobertura"),
        (Level.DIRETRIZ, "Ampliar o acesso"),
        (Level.OBJETIVO, "Qualificar a APS"),
        (Level.PRODUTO, "Equipes implantadas"),
        (Level.META, "Implantar 10 equipes"),
    )
    assert matrix_row.meta == MetaFields(
        deadline=date(2018, 12, 31), month_precision=True, responsible="Coordenação da APS"
    )
    assert matrix_row.update == UpdateFields(
        status=GoalStatus.EM_ANDAMENTO, percent_complete=40.0, details="Seleção em curso; edital publicado"
    )
    assert [(w.line, w.field) for w in parsed.warnings] == [(2, "AÇÃO")]
    assert "blank" in parsed.warnings[0].reason


def test_a_title_above_the_header_and_spacing_in_names() -> None:
    content = csv_bytes(
        [
            ["Matriz de reestruturação da gestão — 2018"],
            [],
            [" área ", "Problema", "diretriz", "OBJETIVO", "Ação", "produto", "Meta", "Prazo", "Responsáveis"],
            ["A", "", "", "", "", "", "  Meta   um ", "31/10/18", "Fulana"],
        ]
    )
    parsed = parse_matrix(content, Structure.MATRIZ)
    assert parsed.errors == []
    [matrix_row] = parsed.rows
    assert matrix_row.line == 4
    assert matrix_row.path == ((Level.AREA, "A"), (Level.META, "Meta um"))
    assert matrix_row.meta.deadline == date(2018, 10, 31)
    assert not matrix_row.meta.month_precision
    assert matrix_row.update is None
    assert [w.field for w in parsed.warnings] == ["PROBLEMA", "DIRETRIZ", "OBJETIVO", "AÇÃO", "PRODUTO"]


def test_dgmp_csv_with_commas_and_yearly_targets() -> None:
    header = [*DGMP_HEADER, "2022", "2023", "2024", "2025"]
    rows = [
        [
            "1 - Fortalecer a atenção primária",
            "1.1 - Ampliar a cobertura vacinal",
            "1.1.1 - Alcançar 95% de cobertura",
            "Cobertura vacinal",
            "%",
            "Maior é melhor",
            "80,5",
            "2021",
            "95",
            "85",
            "88",
            "90,5",
            "95",
        ],
        [
            "1 - Fortalecer a atenção primária",
            "1.2 - Reduzir a mortalidade infantil",
            "1.2.1 - Reduzir a taxa a 10",
            "Taxa de mortalidade infantil",
            "por mil nascidos vivos",
            "Menor é melhor",
            "12",
            "2020",
            "10",
            "11,5",
            "",
            "",
            "10",
        ],
    ]
    parsed = parse_matrix(csv_bytes([header, *rows], delimiter=","), Structure.DGMP)

    assert parsed.errors == []
    assert parsed.warnings == []
    assert parsed.years == {2022, 2023, 2024, 2025}
    first, second = parsed.rows
    assert first.path == (
        (Level.DIRETRIZ, "1 - Fortalecer a atenção primária"),
        (Level.OBJETIVO, "1.1 - Ampliar a cobertura vacinal"),
        (Level.META, "1.1.1 - Alcançar 95% de cobertura"),
    )
    assert first.meta == MetaFields(
        indicator_name="Cobertura vacinal",
        indicator_unit="%",
        polarity=Polarity.HIGHER,
        baseline_value=80.5,
        baseline_year=2021,
        target_value=95.0,
        yearly_targets={2022: 85.0, 2023: 88.0, 2024: 90.5, 2025: 95.0},
    )
    assert second.meta.polarity is Polarity.LOWER
    assert second.meta.yearly_targets == {2022: 11.5, 2025: 10.0}
    assert (first.line, second.line) == (2, 3)


def test_dgmp_numbers_every_level() -> None:
    rows = [DGMP_HEADER, ["1", "", "1.1.1", "I", "%", "", "", "", ""]]
    parsed = parse_matrix(csv_bytes(rows), Structure.DGMP)
    assert parsed.rows == []
    assert problems(parsed) == {(2, "OBJETIVO")}


def test_matriz_xlsx_with_a_month_only_date_and_a_percent_cell() -> None:
    header = [*MATRIZ_HEADER, "STATUS", "CONCLUSÃO (%)"]
    row: list[Any] = ["Gestão", "", "", "", "", "", "Implantar o sistema", datetime(2018, 12, 1)]
    row += ["Secretaria", "Concluído", 0.5]
    content = xlsx_bytes([header, row], {(2, 8): "mm/yyyy", (2, 11): "0%"})

    parsed = parse_matrix(content, Structure.MATRIZ)

    assert parsed.errors == []
    [matrix_row] = parsed.rows
    assert matrix_row.line == 2
    assert matrix_row.path == ((Level.AREA, "Gestão"), (Level.META, "Implantar o sistema"))
    assert matrix_row.meta.deadline == date(2018, 12, 31)
    assert matrix_row.meta.month_precision
    assert matrix_row.update == UpdateFields(status=GoalStatus.CONCLUIDA, percent_complete=50.0)


def test_xlsx_day_dates_numbers_and_year_headers() -> None:
    header: list[Any] = [*DGMP_HEADER, 2024, 2025, "PRAZO"]
    row: list[Any] = ["1", "1.1", "1.1.1", "Cobertura", "%", "maior", 80.25, 2021, 95, 90, 95, datetime(2025, 6, 30)]
    parsed = parse_matrix(xlsx_bytes([header, row], {(2, 12): "dd/mm/yyyy"}), Structure.DGMP)
    assert parsed.errors == []
    [matrix_row] = parsed.rows
    assert matrix_row.meta.baseline_value == 80.25
    assert matrix_row.meta.baseline_year == 2021
    assert matrix_row.meta.yearly_targets == {2024: 90.0, 2025: 95.0}
    assert (matrix_row.meta.deadline, matrix_row.meta.month_precision) == (date(2025, 6, 30), False)


def test_bad_cells_are_reported_by_line_and_column() -> None:
    header = [*MATRIZ_HEADER, "STATUS", "CONCLUSÃO (%)"]
    content = csv_bytes(
        [
            header,
            ["A", "P", "D", "O", "Ac", "Pr", "", "12/2018", "R", "", ""],  # no META
            ["A", "P", "D", "O", "Ac", "Pr", "Meta 2", "13/2018", "R", "", ""],
            ["A", "P", "D", "O", "Ac", "Pr", "Meta 3", "12/2018", "R", "Em andamento", "150"],
            ["A", "P", "D", "O", "Ac", "Pr", "Meta 4", "12/2018", "R", "Talvez", ""],
            ["A", "P", "D", "O", "Ac", "Pr", "Meta 5", "12/2018", "R", "", ""],
        ],
        encoding="latin-1",
    )
    parsed = parse_matrix(content, Structure.MATRIZ)

    assert parsed.rows_read == 5
    assert [(row.line, row.path[-1]) for row in parsed.rows] == [(6, (Level.META, "Meta 5"))]
    by_place = {(error.line, error.field): error.reason for error in parsed.errors}
    assert set(by_place) == {(2, "META"), (3, "PRAZO"), (4, "CONCLUSÃO (%)"), (5, "STATUS")}
    assert len(parsed.errors) == 4
    assert "META is empty" in by_place[2, "META"]
    assert "no month 13" in by_place[3, "PRAZO"]
    assert "between 0 and 100" in by_place[4, "CONCLUSÃO (%)"]
    assert "'Talvez' is not a status" in by_place[5, "STATUS"]
    assert all(error.file == "matrix" for error in parsed.errors)


def test_a_report_without_its_status_is_an_error() -> None:
    content = csv_bytes([[*MATRIZ_HEADER, "STATUS", "DETALHES"], ["", "", "", "", "", "", "M", "", "", "", "Feito"]])
    parsed = parse_matrix(content, Structure.MATRIZ)
    assert parsed.rows == []
    assert problems(parsed) == {(2, "STATUS")}
    assert "DETALHES" in parsed.errors[0].reason


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 6 >>\nstream\n\x00\x01\x02\xff\xfe\x10\nendstream\nendobj\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        b"PK\x03\x04" + b"\x00" * 64,  # a broken workbook
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
    ids=["pdf", "xls", "broken-xlsx", "png"],
)
@pytest.mark.parametrize("structure", list(Structure))
def test_files_that_are_neither_csv_nor_xlsx(content: bytes, structure: Structure) -> None:
    with pytest.raises(UnsupportedFile):
        parse_matrix(content, structure)


@pytest.mark.parametrize(
    ("structure", "header", "missing"),
    [
        (Structure.MATRIZ, [c for c in MATRIZ_HEADER if c != "RESPONSÁVEL"], "RESPONSÁVEL"),
        (Structure.MATRIZ, [c for c in MATRIZ_HEADER if c != "AÇÃO"], "AÇÃO"),
        (Structure.DGMP, [c for c in DGMP_HEADER if c != "ANO DA LINHA DE BASE"], "ANO DA LINHA DE BASE"),
    ],
)
def test_a_header_missing_a_required_column(structure: Structure, header: list[str], missing: str) -> None:
    row = ["x"] * len(header)
    parsed = parse_matrix(csv_bytes([header, row]), structure)
    assert parsed.rows == []
    [error] = parsed.errors
    assert error.line == 1
    assert missing in error.reason
    assert str(structure) in error.reason


def test_no_header_at_all() -> None:
    parsed = parse_matrix(csv_bytes([["a", "b"], ["c", "d"]]), Structure.MATRIZ)
    assert parsed.rows == []
    assert len(parsed.errors) == 1
    assert "META" in parsed.errors[0].reason


def test_unknown_columns_are_warned_about() -> None:
    parsed = parse_matrix(csv_bytes([[*MATRIZ_HEADER, "OBSERVAÇÕES"], [*[""] * 6, "M", "", ""]]), Structure.MATRIZ)
    assert parsed.errors == []
    assert (1, "OBSERVAÇÕES") in {(w.line, w.field) for w in parsed.warnings}


# --- goal matrices: export and back ----------------------------------------------------------------

# Cell text as it reads back: no control characters, no whitespace around or doubled.
cell_texts = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=15)
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)
optional_texts = st.none() | cell_texts
deadlines = st.one_of(
    st.just((None, False)),
    days.map(lambda day: (day, False)),
    month_ends.map(lambda day: (day, True)),
)


@st.composite
def export_rows(draw: st.DrawFn, structure: Structure, floats: st.SearchStrategy[float]) -> ExportRow:
    numbers = st.none() | floats
    percents = st.none() | floats.filter(lambda value: 0 <= value <= 100)
    levels = LAYOUT_LEVELS[structure]
    path: dict[Level, str] = {}
    for level in levels:
        required = structure is Structure.DGMP or level is Level.META
        text = draw(cell_texts if required else optional_texts)
        if text is not None:
            path[level] = text
    deadline, month_precision = draw(deadlines)
    meta = MetaFields(deadline=deadline, month_precision=month_precision, responsible=draw(optional_texts))
    if structure is Structure.DGMP:
        meta = MetaFields(
            deadline=deadline,
            month_precision=month_precision,
            responsible=meta.responsible,
            indicator_name=draw(optional_texts),
            indicator_unit=draw(optional_texts),
            polarity=draw(st.none() | st.sampled_from(list(Polarity))),
            baseline_value=draw(numbers),
            baseline_year=draw(st.none() | st.integers(min_value=1900, max_value=2100)),
            target_value=draw(numbers),
            yearly_targets=draw(st.dictionaries(st.integers(min_value=2020, max_value=2030), floats, max_size=4)),
        )
    update = None
    if draw(st.booleans()):
        update = UpdateFields(
            status=draw(statuses),
            percent_complete=draw(percents),
            achieved_value=draw(numbers) if structure is Structure.DGMP else None,
            details=draw(optional_texts),
            difficulties=draw(optional_texts),
            expected_delivery=draw(st.none() | days),
            next_steps=draw(optional_texts),
        )
    return ExportRow(path, meta, update)


@st.composite
def exports(draw: st.DrawFn, floats: st.SearchStrategy[float] = plain_floats) -> tuple[Structure, list[ExportRow]]:
    structure = draw(st.sampled_from(list(Structure)))
    return structure, draw(st.lists(export_rows(structure, floats), min_size=1, max_size=6))


def expected_row(structure: Structure, row: ExportRow) -> tuple[Any, ...]:
    path = tuple((level, row.path[level]) for level in LAYOUT_LEVELS[structure] if level in row.path)
    return path, row.meta, row.update


def read_back(rows: list[MatrixRow]) -> list[tuple[Any, ...]]:
    return [(row.path, row.meta, row.update) for row in rows]


@BOUNDED_FILES
@given(exports(), st.booleans())
def test_an_exported_csv_reads_back(export: tuple[Structure, list[ExportRow]], comma: bool) -> None:
    structure, rows = export
    header, table = export_table(structure, rows)
    mark = "," if comma else "."  # pt-BR spreadsheets write a decimal comma; others a point
    table = [[decimal_comma(c).replace(",", mark) if isinstance(c, float) else c for c in cells] for cells in table]
    parsed = parse_matrix(csv_bytes([header, *table]), structure)

    assert parsed.errors == []
    assert read_back(parsed.rows) == [expected_row(structure, row) for row in rows]
    assert [row.line for row in parsed.rows] == list(range(2, len(rows) + 2))
    blanks = sum(1 for row in rows for level in LAYOUT_LEVELS[structure] if level not in row.path)
    assert len(parsed.warnings) == blanks


@settings(max_examples=30, deadline=None)  # each example writes and reads a workbook
@given(exports(plain_floats.map(lambda value: float(f"{value:.12g}"))))  # a workbook keeps 15 digits at most
def test_an_exported_xlsx_reads_back(export: tuple[Structure, list[ExportRow]]) -> None:
    structure, rows = export
    header, table = export_table(structure, rows)
    # openpyxl stores text starting with "=" as a formula, which has no value until Excel computes it.
    assume(not any(isinstance(cell, str) and cell.startswith("=") for cells in table for cell in cells))
    parsed = parse_matrix(xlsx_bytes([list(header), *table]), structure)
    assert parsed.errors == []
    assert read_back(parsed.rows) == [expected_row(structure, row) for row in rows]


def test_a_semicolon_file_full_of_commas_is_still_read_by_semicolons() -> None:
    details = "Contratação, capacitação, " * 15
    content = "\n".join(
        [";".join(MATRIZ_HEADER), ";".join(["", "", "", "", "", "", "Meta", "12/2018", "DIPLAN", "", "", ""])]
    )
    content += ";" + details  # one more cell holding many commas (an unknown trailing column is fine)
    parsed = parse_matrix(content.encode(), Structure.MATRIZ)
    assert parsed.errors == []
    assert [row.path[-1] for row in parsed.rows] == [(Level.META, "Meta")]


def test_us_thousands_are_read_too() -> None:
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("1.234,5") == 1234.5


def test_a_unit_longer_than_the_column_is_a_cell_error() -> None:
    header = ["DIRETRIZ", "OBJETIVO", "META", "INDICADOR", "UNIDADE", "LINHA DE BASE", "ANO DA LINHA DE BASE"]
    header.append("META DO PLANO")
    row = ["D", "O", "M", "I", "x" * 61, "1", "2021", "2"]
    parsed = parse_matrix(csv_bytes([header, row]), Structure.DGMP)
    assert [(e.line, e.field) for e in parsed.errors] == [(2, "UNIDADE")]


def test_a_month_written_out_in_a_date_cell_is_month_precision() -> None:
    row = [*[""] * 6, "M", datetime(2018, 12, 1), "DIPLAN"]
    content = xlsx_bytes([MATRIZ_HEADER, row], {(2, 8): 'mmmm" de "yyyy'})
    [parsed] = parse_matrix(content, Structure.MATRIZ).rows
    assert (parsed.meta.deadline, parsed.meta.month_precision) == (date(2018, 12, 31), True)


def test_a_matrix_does_not_read_indicator_columns_and_says_so() -> None:
    parsed = parse_matrix(
        csv_bytes([[*MATRIZ_HEADER, "INDICADOR"], [*[""] * 6, "M", "12/2018", "R", "Cobertura"]]), Structure.MATRIZ
    )
    assert parsed.rows[0].meta.indicator_name is None
    assert [(w.field, "matriz layout" in w.reason) for w in parsed.warnings if w.line == 1] == [("INDICADOR", True)]


def test_a_damaged_workbook_is_unsupported() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types><unclosed>")
    with pytest.raises(UnsupportedFile):
        parse_matrix(out.getvalue(), Structure.MATRIZ)
