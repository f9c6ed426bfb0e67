"""A deterministic national dataset, loaded through COPY.

Every UF and municipality comes from the product's own reference list (IBGE). On top of it, for
the chosen scale: health regions of about 12 municipalities, every expected instrument of
2018–2025 for every municipality and state (PMS/PES, PAS, three RDQAs and the RAG of each year),
with statuses and lateness that thin out towards recent years, a goal tree for every plan
(about 60 metas on average under diretrizes and objetivos), and about three status updates per
meta per year, a few of them corrections.

The issue's "60 metas for every plan and PAS" would make 3.3 million metas, five times its own
"~600k goal nodes". A PAS programs the plan's metas for its year, which the plan's tree already
holds (`yearly_targets`), so trees hang on the plans only and the node count stays at the
stated size.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from app.domain.instrument_rules import (
    APPROVED,
    History,
    Kind,
    Status,
    deadline,
    milestone,
    period_of,
)
from app.domain.reference import official_list
from app.repositories.tables import uuid7

YEARS = range(2018, 2026)
REGION_SIZE = 12
BATCH = 50_000
LEVEL_NUMBERED = ("diretriz", "objetivo", "meta")
REPORT_DAYS = ((5, 31), (9, 30), (12, 31))  # three reports a year, at the quadrimesters' ends
MISSING_SHARE = 0.03  # expected instruments never created


@dataclass(frozen=True)
class Scale:
    name: str
    ufs: tuple[str, ...] | None  # None: the whole country


SCALES = {
    "small": Scale("small", ("AC",)),
    "state": Scale("state", ("MG",)),
    "national": Scale("national", None),
}


@dataclass
class Loaded:
    regions: int = 0
    instruments: int = 0
    goals: int = 0
    metas: int = 0
    status_updates: int = 0


def _stamp(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


class Generator:
    """Rows for every table, drawn from one seeded random stream, in a fixed order."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        reference = official_list()
        self.states = [s for s in reference.states if scale.ufs is None or s.uf in scale.ufs]
        wanted = {s.uf for s in self.states}
        self.municipalities = sorted(
            (m for m in reference.municipalities if m.uf in wanted), key=lambda m: (m.uf, m.code)
        )
        self.state_codes = {s.uf: s.code for s in reference.states}
        self.next_update_id = 1
        # Keys are time-ordered as the product draws them (tables.new_id), on a clock that ticks
        # a millisecond per key: a tree's nodes are neighbours, as when one import created them.
        self.clock_ms = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp() * 1000)
        self.loaded = Loaded()

    def _new_id(self) -> uuid.UUID:
        self.clock_ms += 1
        return uuid7(self.clock_ms, self.rng.getrandbits(74))

    def regions(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Health regions of about REGION_SIZE consecutive municipalities of each UF, and the
        current membership of every municipality."""
        regions: list[tuple[Any, ...]] = []
        members: list[tuple[Any, ...]] = []
        by_uf: dict[str, list[Any]] = {}
        for municipality in self.municipalities:
            by_uf.setdefault(municipality.uf, []).append(municipality)
        now = datetime.now(UTC)
        for uf, municipalities in by_uf.items():
            count = max(1, round(len(municipalities) / REGION_SIZE))
            for index in range(count):
                code = f"{self.state_codes[uf]:02d}{index + 1:03d}"
                regions.append((code, uf, f"Região de Saúde {uf} {index + 1}", None, True, 1, now, now))
                for municipality in municipalities[index::count]:
                    members.append((municipality.code, code, uf, date(2019, 1, 1)))
        self.loaded.regions = len(regions)
        return regions, members

    def entes(self) -> Iterator[tuple[str, str, str]]:
        """(owner_type, owner_code, uf) of every state and municipality in scale."""
        for state in self.states:
            yield "state", state.uf, state.uf
        for municipality in self.municipalities:
            yield "municipality", municipality.code, municipality.uf

    def instruments(self) -> Iterator[tuple[tuple[Any, ...], bool]]:
        """Instrument rows, each with whether it is a plan (and so gets a goal tree)."""
        rng = self.rng
        now = datetime.now(UTC)
        for owner_type, owner_code, uf in self.entes():
            plan = Kind.PES if owner_type == "state" else Kind.PMS
            wanted: list[tuple[Kind, int, int | None]] = [(plan, start, None) for start in (2018, 2022)]
            for year in YEARS:
                wanted += [(Kind.PAS, year, None), *((Kind.RDQA, year, q) for q in (1, 2, 3)), (Kind.RAG, year, None)]
            for kind, year, quadrimester in wanted:
                if rng.random() < MISSING_SHARE:
                    continue
                period = period_of(kind, year, quadrimester)
                due = deadline(kind, period)
                status, history = self._progress(kind, year, due)
                row = (
                    self._new_id(),
                    kind.value,
                    owner_type,
                    owner_code,
                    uf,
                    owner_code if owner_type == "municipality" else None,
                    year,
                    quadrimester,
                    period.end_year or year,
                    status.value,
                    f"{kind.value} {year}" + (f" {quadrimester}º quadrimestre" if quadrimester else ""),
                    history.sent_to_council_on,
                    history.approved_on,
                    history.hearing_on,
                    due,
                    milestone(kind, history),
                    "dgmp",
                    1,
                    now,
                    now,
                )
                self.loaded.instruments += 1
                yield row, kind is plan

    def _progress(self, kind: Kind, year: int, due: date | None) -> tuple[Status, History]:
        """A status and its milestone dates: older instruments are further along, and about a
        third of those that got there got there late."""
        rng = self.rng
        assert due is not None
        reached = rng.random() < 0.92 - 0.04 * (year - YEARS.start)
        if not reached:
            status = rng.choice([Status.NAO_INICIADO, Status.EM_ELABORACAO, Status.EM_ANALISE_CONSELHO])
            sent = due + timedelta(days=rng.randint(1, 200)) if status is Status.EM_ANALISE_CONSELHO else None
            return status, History(sent_to_council_on=sent)
        late = rng.random() < 0.35
        day = due + timedelta(days=rng.randint(1, 300)) if late else due - timedelta(days=rng.randint(0, 60))
        if kind is Kind.RDQA:
            return Status.AVALIADO, History(sent_to_council_on=day - timedelta(days=10), hearing_on=day)
        if kind is Kind.RAG:
            status = rng.choice([Status.EM_ANALISE_CONSELHO, Status.APROVADO, Status.APROVADO])
            return status, History(
                sent_to_council_on=day, approved_on=day + timedelta(days=40) if status in APPROVED else None
            )
        status = Status.APROVADO if rng.random() < 0.85 else Status.APROVADO_COM_RESSALVAS
        return status, History(sent_to_council_on=day - timedelta(days=30), approved_on=day)

    def tree(self, instrument: tuple[Any, ...]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """A plan's goal tree (diretriz → objetivo → meta) and its metas' status updates."""
        rng = self.rng
        instrument_id, uf, start, end = instrument[0], instrument[4], instrument[6], instrument[8]
        metas = rng.randint(100, 160) if rng.random() < 0.1 else rng.randint(20, 100)
        now = datetime.now(UTC)
        goals: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        diretrizes = rng.randint(3, 8)
        placed = 0
        for d in range(1, diretrizes + 1):
            diretriz_key = f"{d:05d}"
            diretriz = self._goal(instrument_id, None, uf, diretriz_key, "diretriz", f"{d}", now)
            goals.append(diretriz)
            objetivos = rng.randint(1, 3)
            for o in range(1, objetivos + 1):
                objetivo_key = f"{diretriz_key}.{o:05d}"
                objetivo = self._goal(instrument_id, diretriz[0], uf, objetivo_key, "objetivo", f"{d}.{o}", now)
                goals.append(objetivo)
                last = d == diretrizes and o == objetivos
                share = metas - placed if last else max(1, round(metas / (diretrizes * objetivos)))
                for m in range(1, share + 1):
                    meta = self._meta(
                        instrument_id, objetivo[0], uf, f"{objetivo_key}.{m:05d}", f"{d}.{o}.{m}", start, end, now
                    )
                    goals.append(meta)
                    updates += self._updates(meta[0], instrument_id, uf, start, end)
                placed += share
                if placed >= metas:
                    break
            if placed >= metas:
                break
        self.loaded.goals += len(goals)
        self.loaded.metas += placed
        self.loaded.status_updates += len(updates)
        return goals, updates

    def _goal(
        self,
        instrument_id: uuid.UUID,
        parent_id: uuid.UUID | None,
        uf: str,
        key: str,
        level: str,
        number: str,
        now: datetime,
    ) -> tuple[Any, ...]:
        text = f"{level.capitalize()} {number}: fortalecer a rede de atenção à saúde na região"
        return (self._new_id(), instrument_id, parent_id, uf, key, level, number, text, None, None, None, None, None,
                None, "{}", None, "day", None, None, 1, now, now)  # fmt: skip

    def _meta(
        self,
        instrument_id: uuid.UUID,
        parent_id: uuid.UUID,
        uf: str,
        key: str,
        number: str,
        start: int,
        end: int,
        now: datetime,
    ) -> tuple[Any, ...]:
        rng = self.rng
        target = float(rng.randint(50, 100))
        yearly = json.dumps(
            {str(y): round(target * (y - start + 1) / (end - start + 1), 1) for y in range(start, end + 1)}
        )
        responsible = rng.choice(["Atenção Básica", "Vigilância em Saúde", "Assistência Farmacêutica", "Gestão"])
        monthly = rng.random() < 0.3
        due = date(end, 12, 1) if monthly else date(end, 12, 31)
        return (self._new_id(), instrument_id, parent_id, uf, key, "meta", number,
                f"Meta {number}: ampliar a cobertura de {responsible.lower()}",
                "Cobertura populacional", "%", "higher", round(target * 0.6, 1), start - 1, target, yearly,
                due, "month" if monthly else "day", responsible, responsible.casefold(), 1, now, now)  # fmt: skip

    def _updates(
        self, goal_id: uuid.UUID, instrument_id: uuid.UUID, uf: str, start: int, end: int
    ) -> list[tuple[Any, ...]]:
        """About three reports a year while the plan runs (up to 2025), rising towards done;
        one in twenty corrected by a second entry on the same day."""
        rng = self.rng
        rows: list[tuple[Any, ...]] = []
        percent = 0.0
        for year in range(start, min(end, YEARS.stop - 1) + 1):
            for month, day in REPORT_DAYS:
                if rng.random() > 0.85:
                    continue
                percent = min(100.0, percent + rng.randint(0, 12))
                status = "concluida" if percent >= 100 else rng.choice(["em_andamento", "em_andamento", "atrasada"])
                reported_on = date(year, month, day)
                rows.append(self._update(goal_id, instrument_id, uf, reported_on, status, percent, None))
                if rng.random() < 0.05:
                    rows.append(self._update(goal_id, instrument_id, uf, reported_on, status, percent, rows[-1][0]))
        return rows

    def _update(
        self,
        goal_id: uuid.UUID,
        instrument_id: uuid.UUID,
        uf: str,
        reported_on: date,
        status: str,
        percent: float,
        supersedes: int | None,
    ) -> tuple[Any, ...]:
        update_id = self.next_update_id
        self.next_update_id += 1
        details = "Correção do registro anterior" if supersedes else "Ações realizadas conforme programação"
        return (update_id, goal_id, instrument_id, uf, reported_on, status, percent, percent * 0.9, details,
                supersedes, _stamp(reported_on + timedelta(days=5)))  # fmt: skip


INSTRUMENT_COLUMNS = ["id", "kind", "owner_type", "owner_code", "uf", "municipality_code", "year", "quadrimester",
    "end_year", "status", "title", "sent_to_council_on", "approved_on", "hearing_on", "deadline", "milestone_on",
    "goal_structure", "version", "created_at", "updated_at"]  # fmt: skip
GOAL_COLUMNS = ["id", "instrument_id", "parent_id", "uf", "sort_key", "level", "number", "description",
    "indicator_name", "indicator_unit", "polarity", "baseline_value", "baseline_year", "target_value",
    "yearly_targets", "deadline", "deadline_precision", "responsible", "responsible_key", "version", "created_at",
    "updated_at"]  # fmt: skip
UPDATE_COLUMNS = ["id", "goal_id", "instrument_id", "uf", "reported_on", "status", "percent_complete",
    "achieved_value", "details", "supersedes_id", "recorded_at"]  # fmt: skip


async def load(connection: asyncpg.Connection, scale: Scale, seed: int) -> Loaded:
    """Fill an empty, migrated database that holds the reference territory. One transaction;
    foreign-key triggers are off while COPY runs, since every row is consistent by construction."""
    generator = Generator(scale, seed)
    async with connection.transaction():
        await connection.execute("SET LOCAL session_replication_role = replica")
        regions, members = generator.regions()
        await connection.copy_records_to_table(
            "health_region",
            records=regions,
            columns=["code", "uf", "name", "macro_code", "active", "version", "created_at", "updated_at"],
        )
        await connection.copy_records_to_table(
            "region_membership", records=members, columns=["municipality_code", "region_code", "uf", "valid_from"]
        )
        instruments: list[tuple[Any, ...]] = []
        goals: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for row, is_plan in generator.instruments():
            instruments.append(row)
            if is_plan:
                tree, reports = generator.tree(row)
                goals += tree
                updates += reports
            if len(updates) >= BATCH or len(instruments) >= BATCH:
                await _flush(connection, instruments, goals, updates)
        await _flush(connection, instruments, goals, updates)
        # The trigger that keeps instrument_year is off with the others: fill it once, whole.
        await connection.execute("INSERT INTO instrument_year SELECT * FROM instrument_coverage")
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('status_update', 'id'), (SELECT max(id) FROM status_update))"
        )
    # As a server's tables are once autovacuum has been by: visibility map set (so index-only
    # scans read no heap), hint bits written, statistics current.
    await connection.execute("VACUUM (ANALYZE)")
    return generator.loaded


async def _flush(
    connection: asyncpg.Connection,
    instruments: list[tuple[Any, ...]],
    goals: list[tuple[Any, ...]],
    updates: list[tuple[Any, ...]],
) -> None:
    for table, rows, columns in (
        ("instrument", instruments, INSTRUMENT_COLUMNS),
        ("goal", goals, GOAL_COLUMNS),
        ("status_update", updates, UPDATE_COLUMNS),
    ):
        if rows:
            await connection.copy_records_to_table(table, records=rows, columns=columns)
            rows.clear()
