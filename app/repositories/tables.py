"""The database schema. Every table Alembic manages is declared here.

Owned rows carry their owner's UF so territory filters need no joins (product.md §6).
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

# Set before the first table is declared, so every constraint gets a predictable name.
SQLModel.metadata.naming_convention = {
    "ix": "%(table_name)s_%(column_0_N_name)s_idx",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}

ROLES = ("admin", "conasems", "cosems", "apoiador", "ses", "gestor", "conselho", "auditor")


def _now_column() -> sa.Column[datetime]:
    return sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def utc_now() -> datetime:
    return datetime.now(UTC)


def uuid7(millis: int, random_bits: int) -> uuid.UUID:
    """A version 7 UUID (RFC 9562): Unix milliseconds in the first 48 bits, then 74 random bits
    around the version and variant."""
    value = (millis & (1 << 48) - 1) << 80 | 0x7 << 76 | (random_bits >> 62 & 0xFFF) << 64
    return uuid.UUID(int=value | 0b10 << 62 | random_bits & (1 << 62) - 1)


def new_id() -> uuid.UUID:
    """Every table's new key: time-ordered, so rows created together (a tree, an import's
    metas) sit side by side in their indexes, and so do their references' checks and the index
    entries of what points at them (a status import's entries). With random keys each of those
    lands on its own page of a national-size index: raw COPY of 100k entries took 1.9 s, not 1.1."""
    return uuid7(time.time_ns() // 1_000_000, secrets.randbits(74))


class State(SQLModel, table=True):
    __tablename__ = "state"

    code: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    uf: str = Field(sa_column=sa.Column(sa.CHAR(2), nullable=False, unique=True))
    name: str


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    code: str = Field(sa_column=sa.Column(sa.CHAR(7), primary_key=True))
    code6: str = Field(sa_column=sa.Column(sa.CHAR(6), nullable=False, unique=True))
    uf: str = Field(sa_column=sa.Column(sa.CHAR(2), sa.ForeignKey("state.uf"), nullable=False, index=True))
    name: str
    search_name: str
    population: int | None = None


class HealthRegion(SQLModel, table=True):
    __tablename__ = "health_region"
    __table_args__ = (sa.CheckConstraint("code ~ '^[0-9]{5}$'", name="code_format"),)

    code: str = Field(sa_column=sa.Column(sa.CHAR(5), primary_key=True))
    uf: str = Field(sa_column=sa.Column(sa.CHAR(2), sa.ForeignKey("state.uf"), nullable=False, index=True))
    name: str
    macro_code: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(4), nullable=True))
    active: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class RegionMembership(SQLModel, table=True):
    """A municipality's membership of a health region, from one date until another (CIB re-draws)."""

    __tablename__ = "region_membership"
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_period"),
        sa.Index(
            "region_membership_current_key",
            "municipality_code",
            unique=True,
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
        sa.Index("region_membership_region_code_valid_to_idx", "region_code", "valid_to"),
    )

    id: int | None = Field(default=None, primary_key=True)
    municipality_code: str = Field(sa_column=sa.Column(sa.CHAR(7), sa.ForeignKey("municipality.code"), nullable=False))
    region_code: str = Field(sa_column=sa.Column(sa.CHAR(5), sa.ForeignKey("health_region.code"), nullable=False))
    uf: str = Field(sa_column=sa.Column(sa.CHAR(2), nullable=False))
    valid_from: date
    valid_to: date | None = None


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    acronym: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, unique=True))
    name: str
    uf: str | None = Field(
        default=None, sa_column=sa.Column(sa.CHAR(2), sa.ForeignKey("state.uf"), nullable=True, index=True)
    )
    created_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class User(SQLModel, table=True):
    """A person (email + password) or a service account (client id + secret) with one role."""

    __tablename__ = "app_user"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
        sa.CheckConstraint("kind IN ('person', 'service')", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'person' AND email IS NOT NULL) OR (kind = 'service' AND client_id IS NOT NULL)",
            name="login_name",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    email: str | None = Field(default=None, sa_column=sa.Column(sa.String(254), nullable=True, unique=True))
    client_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True, unique=True))
    name: str
    secret_hash: str
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), sa.ForeignKey("state.uf"), nullable=True))
    municipality_code: str | None = Field(
        default=None, sa_column=sa.Column(sa.CHAR(7), sa.ForeignKey("municipality.code"), nullable=True)
    )
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    active: bool = True
    version: int = 1
    failed_logins: int = 0
    failed_login_window_start: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class UserRegion(SQLModel, table=True):
    """The health regions an apoiador is bound to."""

    __tablename__ = "user_region"

    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    )
    region_code: str = Field(sa_column=sa.Column(sa.CHAR(5), sa.ForeignKey("health_region.code"), primary_key=True))


KINDS = ("PMS", "PES", "PAS", "RDQA", "RAG", "PRI", "PLANO_ACAO")
STATUSES = (
    "nao_iniciado",
    "em_elaboracao",
    "em_analise_conselho",
    "retornado_ajustes",
    "aprovado",
    "aprovado_com_ressalvas",
    "nao_aprovado",
    "avaliado",
)
OWNER_TYPES = ("municipality", "state", "region", "organization")
GOAL_STRUCTURES = ("dgmp", "matriz")


class Instrument(SQLModel, table=True):
    """A planning instrument of one ente and period. The owner's UF, municipality and region
    codes are copied onto the row, so territory filters need no joins."""

    __tablename__ = "instrument"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        sa.CheckConstraint(f"owner_type IN {OWNER_TYPES!r}", name="owner_type_known"),
        sa.CheckConstraint("quadrimester IS NULL OR quadrimester BETWEEN 1 AND 3", name="quadrimester_range"),
        sa.CheckConstraint(f"goal_structure IN {GOAL_STRUCTURES!r}", name="goal_structure_known"),
        sa.Index(
            "instrument_one_per_ente_and_period_key",
            "owner_type",
            "owner_code",
            "kind",
            "year",
            sa.text("coalesce(quadrimester, 0)"),
            unique=True,
        ),
        sa.Index("instrument_uf_year_idx", "uf", "year"),
        sa.Index("instrument_uf_id_idx", "uf", "id"),  # a UF's list, in its order
        sa.Index("instrument_municipality_code_year_idx", "municipality_code", "year"),
        sa.Index("instrument_region_code_idx", "region_code"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    owner_type: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    owner_code: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), sa.ForeignKey("state.uf"), nullable=True))
    municipality_code: str | None = Field(
        default=None, sa_column=sa.Column(sa.CHAR(7), sa.ForeignKey("municipality.code"), nullable=True)
    )
    region_code: str | None = Field(
        default=None, sa_column=sa.Column(sa.CHAR(5), sa.ForeignKey("health_region.code"), nullable=True)
    )
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    year: int
    quadrimester: int | None = None
    end_year: int
    status: str = Field(default="nao_iniciado", sa_column=sa.Column(sa.String(24), nullable=False))
    title: str | None = None
    document_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000), nullable=True))
    notes: str | None = None
    # Milestone dates (product.md §2), kept on the row so situation queries need no history scan.
    sent_to_council_on: date | None = None
    approved_on: date | None = None
    hearing_on: date | None = None
    # Derived by the domain and kept current, so situation is a plain comparison in SQL.
    deadline: date | None = None
    milestone_on: date | None = None
    dgmp_label: str | None = Field(default=None, sa_column=sa.Column(sa.String(80), nullable=True))  # as DGMP wrote it
    goal_structure: str = Field(
        default="dgmp", sa_column=sa.Column(sa.String(8), nullable=False, server_default="dgmp")
    )
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1
    created_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class InstrumentYear(SQLModel, table=True):
    """Which instrument of a state or municipality stands for each year it covers: a plan once
    for each of its four years (the earliest-starting plan when two overlap), every other
    instrument for its own year. Never written by the application: a trigger on `instrument`
    rebuilds an ente's rows of a kind in the writing transaction (migration 0009), so the
    national panel reads one narrow row per expected instrument instead of every plan since
    year - 3."""

    __tablename__ = "instrument_year"
    # Covering: the panel reads a year's rows from the index alone, in the order it counts them.
    __table_args__ = (
        sa.Index(
            "instrument_year_tally_idx",
            *("year", "uf", "owner_type", "kind", "quadrimester", "status"),
            postgresql_include=["owner_code", "deadline", "milestone_on"],
        ),
    )

    owner_type: str = Field(sa_column=sa.Column(sa.String(12), primary_key=True))
    owner_code: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    kind: str = Field(sa_column=sa.Column(sa.String(12), primary_key=True))
    year: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))
    quadrimester: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))  # 0 when the kind has none
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    status: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    deadline: date | None = None
    milestone_on: date | None = None


class InstrumentEvent(SQLModel, table=True):
    """One status change of an instrument: never updated, never deleted."""

    __tablename__ = "instrument_event"
    __table_args__ = (sa.Index("instrument_event_instrument_id_id_idx", "instrument_id", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    instrument_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("instrument.id", ondelete="CASCADE"), nullable=False)
    )
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    from_status: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    to_status: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    occurred_on: date
    comment: str | None = None
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


DELIBERATION_BODIES = ("conselho_saude", "cib", "cir", "gestor")


class Deliberation(SQLModel, table=True):
    """A council's (or CIB's) resolution on an instrument; recording one moves its status."""

    __tablename__ = "deliberation"
    __table_args__ = (
        sa.CheckConstraint(f"body IN {DELIBERATION_BODIES!r}", name="body_known"),
        sa.Index("deliberation_instrument_id_idx", "instrument_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    instrument_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("instrument.id", ondelete="CASCADE"), nullable=False)
    )
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    body: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    resolution_number: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    resolution_date: date
    outcome: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    text: str | None = None
    link: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000), nullable=True))
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class Hearing(SQLModel, table=True):
    """An RDQA's public hearing in the legislative house (LC 141/2012 art. 36 §5)."""

    __tablename__ = "hearing"
    __table_args__ = (sa.Index("hearing_instrument_id_idx", "instrument_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    instrument_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("instrument.id", ondelete="CASCADE"), nullable=False)
    )
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    house: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    held_on: date
    minutes_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000), nullable=True))
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class EnteCalendar(SQLModel, table=True):
    """An ente's own dates (its Lei Orgânica, its council), overriding the defaults."""

    __tablename__ = "ente_calendar"
    __table_args__ = (sa.CheckConstraint("owner_type IN ('municipality', 'state')", name="owner_type_known"),)

    owner_type: str = Field(sa_column=sa.Column(sa.String(12), primary_key=True))
    owner_code: str = Field(sa_column=sa.Column(sa.String(7), primary_key=True))
    uf: str = Field(sa_column=sa.Column(sa.CHAR(2), sa.ForeignKey("state.uf"), nullable=False))
    ldo_bill_due: str = Field(sa_column=sa.Column(sa.CHAR(5), nullable=False))  # MM-DD
    plan_due: str = Field(sa_column=sa.Column(sa.CHAR(5), nullable=False))  # MM-DD of the year before
    version: int = 1
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, before and after. Append-only: a trigger refuses updates and
    deletes. Actors are account ids, never names or emails (LGPD)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("audit_event_entity_entity_id_idx", "entity", "entity_id"),
        sa.Index("audit_event_actor_id_idx", "actor_id"),
        sa.Index("audit_event_occurred_at_idx", "occurred_at"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    occurred_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())
    actor_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid, nullable=True))
    action: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    entity: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    entity_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(80), nullable=True))
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    before: dict[str, object] | None = Field(default=None, sa_column=sa.Column(JSONB, nullable=True))
    after: dict[str, object] | None = Field(default=None, sa_column=sa.Column(JSONB, nullable=True))


GOAL_LEVELS = ("area", "problema", "diretriz", "objetivo", "acao", "produto", "meta")
GOAL_STATUSES = (
    "nao_iniciada",
    "em_andamento",
    "parada",
    "concluida",
    "atrasada",
    "parcialmente_atrasada",
    "cancelada",
)
GOAL_SCOPES = ("municipal", "regional", "estadual", "nacional")


class Goal(SQLModel, table=True):
    """A node of an instrument's goal tree (product.md §3). `sort_key` is the node's path of
    sibling positions, so one ORDER BY gives the tree in reading order and a prefix its subtree.
    Its instrument and parent are references kept by triggers that check a statement's rows
    together (and delete a node with its instrument or parent), not by foreign keys that check
    each row (migration 0017 says why)."""

    __tablename__ = "goal"
    __table_args__ = (
        sa.CheckConstraint(f"level IN {GOAL_LEVELS!r}", name="level_known"),
        sa.CheckConstraint("polarity IS NULL OR polarity IN ('higher', 'lower')", name="polarity_known"),
        sa.CheckConstraint("deadline_precision IN ('day', 'month')", name="deadline_precision_known"),
        sa.CheckConstraint(f"scope IS NULL OR scope IN {GOAL_SCOPES!r}", name="scope_known"),
        sa.UniqueConstraint("instrument_id", "sort_key"),
        sa.UniqueConstraint("id", "instrument_id"),  # what an entry references: its goal in its instrument
        sa.Index("goal_parent_id_idx", "parent_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    instrument_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    parent_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid, nullable=True))
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    sort_key: str = Field(sa_column=sa.Column(sa.String(200, collation="C"), nullable=False))
    level: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    number: str | None = Field(default=None, sa_column=sa.Column(sa.String(40), nullable=True))
    description: str
    indicator_name: str | None = None
    indicator_unit: str | None = Field(default=None, sa_column=sa.Column(sa.String(60), nullable=True))
    polarity: str | None = Field(default=None, sa_column=sa.Column(sa.String(6), nullable=True))
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    # {"2022": 10.0, ...}: a PAS year's target, for plans that set one per year
    yearly_targets: dict[str, float] = Field(
        default_factory=dict, sa_column=sa.Column(JSONB, nullable=False, server_default="{}")
    )
    deadline: date | None = None
    deadline_precision: str = Field(
        default="day", sa_column=sa.Column(sa.String(5), nullable=False, server_default="day")
    )
    responsible: str | None = None
    responsible_key: str | None = None  # search_key(responsible), for the accent-blind filter
    responsible_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    partners: str | None = None
    scope: str | None = Field(default=None, sa_column=sa.Column(sa.String(10), nullable=True))
    version: int = 1
    created_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())
    updated_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


ROUND_KINDS = ("meeting", "monthly_form", "quadrimester")


class MonitoringRound(SQLModel, table=True):
    """A monitoring meeting, monthly form or quadrimester at which statuses were reported."""

    __tablename__ = "monitoring_round"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {ROUND_KINDS!r}", name="kind_known"),
        sa.Index("monitoring_round_instrument_id_held_on_idx", "instrument_id", "held_on"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    instrument_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("instrument.id", ondelete="CASCADE"), nullable=False)
    )
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    held_on: date
    kind: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())


class StatusUpdate(SQLModel, table=True):
    """One report on a meta or ação (product.md §4). Never updated or deleted (a trigger refuses
    it): a correction is a new entry that names the one it supersedes. Its goal (one of its
    instrument's) and its author are references kept by triggers that check a statement's rows
    together, not by foreign keys that check each row (migration 0014 says why)."""

    __tablename__ = "status_update"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {GOAL_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("percent_complete IS NULL OR percent_complete BETWEEN 0 AND 100", name="percent_range"),
        sa.Index("status_update_goal_id_reported_on_id_idx", "goal_id", "reported_on", "id"),
        sa.Index("status_update_instrument_id_id_idx", "instrument_id", "id"),
        sa.Index(
            "status_update_supersedes_id_key",
            "supersedes_id",
            unique=True,
            postgresql_where=sa.text("supersedes_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    goal_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    instrument_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))  # the goal's (see above)
    uf: str | None = Field(default=None, sa_column=sa.Column(sa.CHAR(2), nullable=True))
    round_id: uuid.UUID | None = Field(default=None, foreign_key="monitoring_round.id")
    reported_on: date
    status: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    percent_complete: float | None = None
    achieved_value: float | None = None
    details: str | None = None
    difficulties: str | None = None
    expected_delivery: date | None = None
    next_steps: str | None = None
    partial_product: str | None = None
    responsible: str | None = None
    supersedes_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.ForeignKey("status_update.id"), nullable=True)
    )
    author_id: uuid.UUID | None = None
    recorded_at: datetime = Field(default_factory=utc_now, sa_column=_now_column())
