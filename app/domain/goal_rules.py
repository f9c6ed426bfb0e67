"""The rules of goal trees and their monitoring (product.md §3–§4): the levels of each
structure, statuses and the labels people write for them, deadlines (`prazo`) at day or month
precision, overdue, and achievement of an indicator against its target.

Pure functions over plain values; the goal services and the spreadsheet parsers call them.
"""

from __future__ import annotations

import calendar
import enum
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from app.core.text import search_key


class Structure(enum.StrEnum):
    DGMP = "dgmp"  # DGMP's DOMI: diretriz → objetivo → meta → ação
    MATRIZ = "matriz"  # the SES/CONASS restructuring matrix: área → … → meta


class Level(enum.StrEnum):
    AREA = "area"
    PROBLEMA = "problema"
    DIRETRIZ = "diretriz"
    OBJETIVO = "objetivo"
    ACAO = "acao"
    PRODUTO = "produto"
    META = "meta"


LEVEL_LABELS = {
    Level.AREA: "Área",
    Level.PROBLEMA: "Problema",
    Level.DIRETRIZ: "Diretriz",
    Level.OBJETIVO: "Objetivo",
    Level.ACAO: "Ação",
    Level.PRODUTO: "Produto",
    Level.META: "Meta",
}

LEVELS: dict[Structure, tuple[Level, ...]] = {
    Structure.DGMP: (Level.DIRETRIZ, Level.OBJETIVO, Level.META, Level.ACAO),
    Structure.MATRIZ: (
        Level.AREA,
        Level.PROBLEMA,
        Level.DIRETRIZ,
        Level.OBJETIVO,
        Level.ACAO,
        Level.PRODUTO,
        Level.META,
    ),
}
# The nodes that carry a deadline, an indicator and status updates.
MONITORED = frozenset({Level.META, Level.ACAO})


def allowed_children(structure: Structure, parent: Level | None) -> tuple[Level, ...]:
    """The levels a node may have under `parent` (None: the root). DGMP numbers every level
    (1, 1.1, 1.1.1), so none is skipped; a matrix may leave a level blank, so any deeper one fits."""
    levels = LEVELS[structure]
    if parent is not None and parent not in levels:
        return ()
    below = levels[levels.index(parent) + 1 :] if parent is not None else levels
    if structure is Structure.DGMP:
        return below[:1]
    return below


class GoalStatus(enum.StrEnum):
    NAO_INICIADA = "nao_iniciada"
    EM_ANDAMENTO = "em_andamento"
    PARADA = "parada"
    CONCLUIDA = "concluida"
    ATRASADA = "atrasada"
    PARCIALMENTE_ATRASADA = "parcialmente_atrasada"
    CANCELADA = "cancelada"


GOAL_STATUS_LABELS = {
    GoalStatus.NAO_INICIADA: "Não iniciada",
    GoalStatus.EM_ANDAMENTO: "Em andamento",
    GoalStatus.PARADA: "Parada",
    GoalStatus.CONCLUIDA: "Concluída",
    GoalStatus.ATRASADA: "Atrasada",
    GoalStatus.PARCIALMENTE_ATRASADA: "Parcialmente atrasada",
    GoalStatus.CANCELADA: "Cancelada",
}
CLOSED = frozenset({GoalStatus.CONCLUIDA, GoalStatus.CANCELADA})

# What planning teams write in their spreadsheets, by search key (no case, no accents).
_STATUS_WORDS = {search_key(label): status for status, label in GOAL_STATUS_LABELS.items()} | {
    status.value.replace("_", " "): status for status in GoalStatus
}
_STATUS_WORDS |= {
    "nao iniciado": GoalStatus.NAO_INICIADA,
    "a iniciar": GoalStatus.NAO_INICIADA,
    "em execucao": GoalStatus.EM_ANDAMENTO,
    "parado": GoalStatus.PARADA,
    "paralisada": GoalStatus.PARADA,
    "paralisado": GoalStatus.PARADA,
    "concluido": GoalStatus.CONCLUIDA,
    "atrasado": GoalStatus.ATRASADA,
    "parcialmente atrasado": GoalStatus.PARCIALMENTE_ATRASADA,
    "cancelado": GoalStatus.CANCELADA,
}


@lru_cache(maxsize=256)  # a matrix says the same few labels on each of its rows
def status_from_label(label: str) -> GoalStatus | None:
    """The status a label means ("Em Andamento", "parada", "Concluído"…), or None."""
    return _STATUS_WORDS.get(search_key(label).replace("_", " "))


class Polarity(enum.StrEnum):
    HIGHER = "higher"  # the more the better (coverage)
    LOWER = "lower"  # the less the better (mortality)


_POLARITY_WORDS = {
    "higher": Polarity.HIGHER,
    "maior": Polarity.HIGHER,
    "maior melhor": Polarity.HIGHER,
    "maior e melhor": Polarity.HIGHER,
    "crescente": Polarity.HIGHER,
    "positiva": Polarity.HIGHER,
    "lower": Polarity.LOWER,
    "menor": Polarity.LOWER,
    "menor melhor": Polarity.LOWER,
    "menor e melhor": Polarity.LOWER,
    "decrescente": Polarity.LOWER,
    "negativa": Polarity.LOWER,
}
POLARITY_LABELS = {Polarity.HIGHER: "Maior é melhor", Polarity.LOWER: "Menor é melhor"}


def polarity_from_label(label: str) -> Polarity | None:
    return _POLARITY_WORDS.get(" ".join(re.sub(r"[^a-z]+", " ", search_key(label)).split()))


class Precision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"  # `12/2018`: by the end of December 2018


@dataclass(frozen=True)
class Prazo:
    """A deadline as written: a day, or a month meaning its last day."""

    on: date
    precision: Precision = Precision.DAY


def end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "janeiro"),
            ("fev", "fevereiro"),
            ("mar", "marco"),
            ("abr", "abril"),
            ("mai", "maio"),
            ("jun", "junho"),
            ("jul", "julho"),
            ("ago", "agosto"),
            ("set", "setembro"),
            ("out", "outubro"),
            ("nov", "novembro"),
            ("dez", "dezembro"),
        ],
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{2}|\d{4})$")
_NAMED_MONTH_YEAR = re.compile(r"^([a-z]+)\.?(?:\s*(?:/|-|de)\s*|\s+)(\d{2}|\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class PrazoError(ValueError):
    """Why a PRAZO cell is not a deadline; the message is shown to people as is."""


def _year(text: str) -> int:
    # Two-digit years occur in real matrices ("12/18"); every plan they could mean is this century.
    return 2000 + int(text) if len(text) == 2 else int(text)


def _month_prazo(year: int, month: int, written: str) -> Prazo:
    if not 1 <= month <= 12:
        raise PrazoError(f"{written!r}: there is no month {month}")
    if year < 1:
        raise PrazoError(f"{written!r}: there is no year {year}")
    return Prazo(end_of_month(year, month), Precision.MONTH)


def _day_prazo(year: int, month: int, day: int, written: str) -> Prazo:
    try:
        return Prazo(date(year, month, day), Precision.DAY)
    except ValueError:
        raise PrazoError(f"{written!r}: there is no day {day:02d}/{month:02d}/{year}") from None


def parse_prazo(text: str) -> Prazo:
    """`12/2018` and `12/18` (end of that month), `dez/2018`, `31/10/2018`, `31/10/18`, and ISO
    `2018-10-31` or `2018-10`. Raises PrazoError naming what is wrong."""
    written = text.strip()
    key = search_key(written)
    if match := _DAY_MONTH_YEAR.match(key):
        return _day_prazo(_year(match[3]), int(match[2]), int(match[1]), written)
    if match := _ISO_DAY.match(key):
        return _day_prazo(int(match[1]), int(match[2]), int(match[3]), written)
    if match := _MONTH_YEAR.match(key):
        return _month_prazo(_year(match[2]), int(match[1]), written)
    if match := _ISO_MONTH.match(key):
        return _month_prazo(int(match[1]), int(match[2]), written)
    if (match := _NAMED_MONTH_YEAR.match(key)) and match[1] in _MONTH_NAMES:
        return _month_prazo(_year(match[2]), _MONTH_NAMES[match[1]], written)
    raise PrazoError(f"{written!r} is not a deadline: write 12/2018, 31/12/2018 or 2018-12-31")


def format_prazo(prazo: Prazo) -> str:
    """As planning teams write it, and as parse_prazo reads it back."""
    if prazo.precision is Precision.MONTH:
        return f"{prazo.on.month:02d}/{prazo.on.year}"
    return prazo.on.strftime("%d/%m/%Y")


def days_overdue(deadline: date | None, status: GoalStatus | None, as_of: date) -> int:
    """Days past the deadline of a meta neither concluded nor cancelled; 0 when not overdue.
    The reported status says nothing else here: "em andamento" after the deadline is overdue."""
    if deadline is None or status in CLOSED or deadline >= as_of:
        return 0
    return (as_of - deadline).days


@dataclass(frozen=True)
class Achievement:
    target: float
    achieved: float
    met: bool
    percent: float | None  # achieved against target, 100 when exactly met; None when undefined


def achievement(target: float, achieved: float, polarity: Polarity) -> Achievement:
    """How far the indicator reached its target. Higher is better: achieved ÷ target; lower is
    better: target ÷ achieved (a mortality of 8 against a target of 10 is 125%)."""
    if polarity is Polarity.HIGHER:
        met = achieved >= target
        ratio = achieved / target if target != 0 else None
    else:
        met = achieved <= target
        ratio = target / achieved if achieved != 0 else None
    return Achievement(target, achieved, met, round(ratio * 100, 1) if ratio is not None else None)


class NumberError(ValueError):
    """Why a cell is not a number; the message is shown to people as is."""


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_number(text: str) -> float:
    """`1,5` and `1.5`; `1.234,5` with a thousands point. A trailing `%` is dropped."""
    cleaned = text.strip().removesuffix("%").strip().replace(" ", "")
    if "," in cleaned and "." in cleaned:  # the last one is the decimal mark: 1.234,5 or 1,234.5
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    value = float(cleaned.replace(",", ".")) if _NUMBER.match(cleaned) else math.nan
    if not math.isfinite(value):
        raise NumberError(f"{text.strip()!r} is not a number")
    return value


def parse_percent(text: str) -> float:
    value = parse_number(text)
    if not 0 <= value <= 100:
        raise NumberError(f"{text.strip()!r} is not a percentage between 0 and 100")
    return value
