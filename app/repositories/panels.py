"""The panels' counts, aggregated by PostgreSQL: every expected instrument of every state and
municipality in scope, created or not, counted per group, slot, status and situation. One
statement however many entes, so the national panel does not walk 5,597 entes in Python. The
instrument standing for each ente, year and slot comes from `instrument_year`, which the
database keeps current as instruments are written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.repositories.prepared import Prepared
from app.repositories.tables import EnteCalendar

GroupKey = Literal["uf", "region", "municipality"]


@dataclass(frozen=True)
class Slot:
    """One instrument the law expects of every ente for a year. `due` is the default calendar's
    deadline; `state_kind` differs from `municipality_kind` for the plan (PES, PMS)."""

    municipality_kind: str
    state_kind: str
    quadrimester: int | None
    due: date | None


@dataclass(frozen=True)
class OwnDue:
    """A slot's deadline for an ente whose own calendar moves it."""

    owner_type: str
    owner_code: str
    slot: int
    due: date | None


@dataclass(frozen=True)
class GroupCount:
    """One group's expected instruments: in all, per status and per situation, in the orders
    the caller gave."""

    key: str
    name: str
    total: int
    by_status: list[int]
    by_situation: list[int]


def situation_tests(due: str, reached: str, as_of: str) -> dict[str, str]:
    """app.domain.instrument_rules.situation, as one SQL test per situation over three
    expressions: exactly one holds (is true, not null) for any values (a test keeps them so)."""
    reached_by = f"{reached} <= {as_of}"
    not_reached = f"({reached} IS NULL OR {reached} > {as_of})"
    return {
        "cumprido_no_prazo": f"{reached_by} AND ({due} IS NULL OR {reached} <= {due})",
        "cumprido_com_atraso": f"{reached_by} AND {reached} > {due}",
        "pendente": f"{not_reached} AND ({due} IS NULL OR {as_of} <= {due})",
        "atrasado": f"{not_reached} AND {as_of} > {due}",
    }


def situation_sql(due: str, reached: str, as_of: str) -> str:
    """The situation's code, by the same tests."""
    *tests, (last, _) = situation_tests(due, reached, as_of).items()
    return f"CASE {' '.join(f'WHEN {test} THEN {name!r}' for name, test in tests)} ELSE {last!r} END"


_KIND = "CASE {0}.owner_type WHEN 'state' THEN s.state_kind ELSE s.municipality_kind END"
# The municipality's group key, the join it needs, and the group's name by its key `c.key`.
_GROUPS: dict[GroupKey, tuple[str, str, str]] = {
    "uf": ("m.uf::text", "", "JOIN state n ON n.uf::text = c.key"),
    "region": (
        "rm.region_code::text",
        "LEFT JOIN region_membership rm ON rm.municipality_code = m.code AND rm.valid_to IS NULL",
        "JOIN health_region n ON n.code::text = c.key",
    ),
    "municipality": ("m.code::text", "", "JOIN municipality n ON n.code::text = c.key"),
}


def _missing(due: str) -> str:
    """The situation of an instrument not made, due on `due`."""
    return situation_sql(due, "NULL::date", "CAST(:as_of AS date)")


def _per_ente(uf: str) -> str:
    """Every ente's every slot joined to the instrument standing for it, if any: the way when
    the groups are the entes (or a few of them each)."""
    due = "CASE WHEN f.owner_code IS NOT NULL THEN f.deadline ELSE coalesce(d.due, s.due) END"
    return f"""found AS (
  SELECT owner_type, owner_code, kind, quadrimester, status, deadline, milestone_on FROM instrument_year
  WHERE year = :year{uf.format("instrument_year")}),
per_kind AS (
SELECT e.key, {_KIND.format("e")} AS kind, coalesce(f.status, 'nao_iniciado') AS status,
  {situation_sql(due, "f.milestone_on", "CAST(:as_of AS date)")} AS situation, 1 AS count
FROM ente e CROSS JOIN slot s
LEFT JOIN found f ON f.owner_type = e.owner_type AND f.owner_code = e.owner_code
  AND f.kind = {_KIND.format("e")}
  AND f.quadrimester = coalesce(s.quadrimester, 0)
LEFT JOIN own_due d ON d.owner_type = e.owner_type AND d.owner_code = e.owner_code AND d.n = s.n
WHERE e.key IS NOT NULL)"""  # noqa: S608 (constants only)


def _per_uf(uf: str) -> str:
    """The instruments standing for the year counted as they are, per UF; the missing ones are
    what is left of each UF's entes, slot by slot: not started, due on the slot's deadline, save
    the few entes whose own calendar moves it. For the national panel by UF this is half the
    time of joining all 33,600 ente slots to their rows, which grouping by region or
    municipality still does (there the groups are many, and the pairs are the cheaper way)."""
    tests = situation_tests("f.deadline", "f.milestone_on", "CAST(:as_of AS date)")
    return f"""tally AS (
  SELECT f.uf, f.owner_type, f.kind, f.quadrimester, f.status,
    {", ".join(f"count(*) FILTER (WHERE {test}) AS {name}" for name, test in tests.items())}
  FROM instrument_year f WHERE f.year = :year{uf.format("f")}
  GROUP BY 1, 2, 3, 4, 5),
standing AS (
  SELECT t.uf::text AS key, t.owner_type::text AS owner_type, s.n, t.status, c.situation, c.count
  FROM tally t JOIN slot s ON t.kind = {_KIND.format("t")} AND t.quadrimester = coalesce(s.quadrimester, 0)
  CROSS JOIN LATERAL (VALUES {", ".join(f"('{name}', t.{name})" for name in tests)}) AS c(situation, count)
  WHERE c.count > 0),
missing_moved AS (
  SELECT e.key, e.owner_type, d.n, d.due, s.due AS slot_due FROM own_due d
  JOIN ente e ON e.owner_type = d.owner_type AND e.owner_code = d.owner_code
  JOIN slot s ON s.n = d.n
  WHERE NOT EXISTS (SELECT FROM instrument_year f
    WHERE f.owner_type = d.owner_type AND f.owner_code = d.owner_code AND f.kind = {_KIND.format("d")}
      AND f.year = :year AND f.quadrimester = coalesce(s.quadrimester, 0))),
counted AS (
  SELECT key, owner_type, n, status, situation, count FROM standing
  UNION ALL
  SELECT g.key, g.owner_type, s.n, 'nao_iniciado', {_missing("s.due")}, g.entes - coalesce(p.count, 0)
  FROM (SELECT key, owner_type, count(*) AS entes FROM ente GROUP BY 1, 2) g
  CROSS JOIN slot s
  LEFT JOIN (SELECT key, owner_type, n, sum(count) AS count FROM standing GROUP BY 1, 2, 3) p
    ON p.key = g.key AND p.owner_type = g.owner_type AND p.n = s.n
  UNION ALL
  SELECT m.key, m.owner_type, m.n, 'nao_iniciado', {_missing("m.due")}, 1 FROM missing_moved m
  UNION ALL
  SELECT m.key, m.owner_type, m.n, 'nao_iniciado', {_missing("m.slot_due")}, -1 FROM missing_moved m),
per_kind AS (
  SELECT c.key, {_KIND.format("c")} AS kind, c.status, c.situation, sum(c.count)::int AS count
  FROM counted c JOIN slot s ON s.n = c.n
  GROUP BY 1, 2, 3, 4 HAVING sum(c.count) > 0)"""  # noqa: S608 (constants only)


def _per_group(names: str, statuses: tuple[str, ...], situations: tuple[str, ...]) -> str:
    """Each group's name and counts of the kind asked for (or all), in one row: a group stays
    even when none of its entes is expected an instrument of that kind."""
    wanted = "(CAST(:kind AS text) IS NULL OR kind = CAST(:kind AS text))"

    def sums(column: str, codes: tuple[str, ...]) -> str:
        counts = (f"coalesce(sum(count) FILTER (WHERE {wanted} AND {column} = '{code}'), 0)::int" for code in codes)
        return f"ARRAY[{', '.join(counts)}]"

    return f"""SELECT c.key, n.name, c.total, c.by_status, c.by_situation FROM (
  SELECT key, coalesce(sum(count) FILTER (WHERE {wanted}), 0)::int AS total,
    {sums("status", statuses)} AS by_status, {sums("situation", situations)} AS by_situation
  FROM per_kind GROUP BY key) c
{names} ORDER BY c.key COLLATE "C"
"""  # noqa: S608 (constants only)


@cache
def _counts(group_by: GroupKey, in_uf: bool, statuses: tuple[str, ...], situations: tuple[str, ...]) -> Prepared:
    """The counting statement for one grouping, over one UF or all. A text per case, not one
    with `:uf IS NULL OR …` in it: the driver prepares statements, and PostgreSQL's generic plan
    for such a test guesses a few dozen municipalities where there are 5,570, then walks
    instrument_year by index once per ente and slot, three times slower than the plan it makes
    knowing the values."""
    key, join, names = _GROUPS[group_by]
    uf = " AND {}.uf = :uf" if in_uf else ""
    states = f"""SELECT 'state' AS owner_type, st.uf::text AS owner_code, st.uf::text AS key FROM state st
  WHERE true{uf.format("st")}
  UNION ALL
  """  # noqa: S608 (constants only)
    sql = f"""
WITH slot AS (
  SELECT * FROM unnest(CAST(:municipality_kinds AS text[]), CAST(:state_kinds AS text[]),
    CAST(:quadrimesters AS int[]), CAST(:dues AS date[])) WITH ORDINALITY
    AS s(municipality_kind, state_kind, quadrimester, due, n)),
own_due AS (
  SELECT * FROM unnest(CAST(:own_types AS text[]), CAST(:own_codes AS text[]), CAST(:own_slots AS int[]),
    CAST(:own_dues AS date[])) AS d(owner_type, owner_code, n, due)),
ente AS NOT MATERIALIZED (
  {states if group_by == "uf" else ""}SELECT 'municipality' AS owner_type, m.code::text AS owner_code, {key} AS key
  FROM municipality m {join}
  WHERE true{uf.format("m")}),
{_per_uf(uf) if group_by == "uf" else _per_ente(uf)}
{_per_group(names, statuses, situations)}
"""  # noqa: S608 (built from constants only)
    return Prepared.of(sa.text(sql))


class PanelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def expected_counts(
        self,
        *,
        year: int,
        slots: Sequence[Slot],
        own_dues: Sequence[OwnDue],
        group_by: GroupKey,
        uf: str | None,
        kind: str | None,
        as_of: date,
        statuses: tuple[str, ...],
        situations: tuple[str, ...],
    ) -> list[GroupCount]:
        """Per group key, in order of its code points, with the group's name: how many of the
        entes' expected instruments (of `kind`, or all) stand at each status and situation, in
        the orders given. Own dues name slots by number from 1, in the order given.
        Municipalities in no health region are left out of a per-region count; states count
        only per UF."""
        rows = await _counts(group_by, uf is not None, statuses, situations).rows(
            self.session,
            municipality_kinds=[s.municipality_kind for s in slots],
            state_kinds=[s.state_kind for s in slots],
            quadrimesters=[s.quadrimester for s in slots],
            dues=[s.due for s in slots],
            own_types=[d.owner_type for d in own_dues],
            own_codes=[d.owner_code for d in own_dues],
            own_slots=[d.slot for d in own_dues],
            own_dues=[d.due for d in own_dues],
            **({"uf": uf} if uf is not None else {}),
            year=year,
            kind=kind,
            as_of=as_of,
        )
        return [GroupCount(*row) for row in rows]

    async def calendars(self, uf: str | None) -> list[EnteCalendar]:
        """Every ente's own calendar (of a UF): the few that move a deadline."""
        statement = sa.select(EnteCalendar)
        if uf is not None:
            statement = statement.where(col(EnteCalendar.uf) == uf)
        return list(await self.session.scalars(statement))
