"""goal trees, status updates and monitoring rounds

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 12:54:27.203679
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One statement per execute: asyncpg prepares each, and a prepared statement holds one command.
APPEND_ONLY = (
    """CREATE FUNCTION status_update_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'status updates are never changed: a correction is a new entry that supersedes';
    END
    $$""",
    """CREATE TRIGGER status_update_append_only BEFORE UPDATE OR DELETE ON status_update
    FOR EACH ROW EXECUTE FUNCTION status_update_is_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "goal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("sort_key", sa.String(length=200, collation="C"), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("indicator_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("indicator_unit", sa.String(length=60), nullable=True),
        sa.Column("polarity", sa.String(length=6), nullable=True),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("yearly_targets", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_precision", sa.String(length=5), server_default="day", nullable=False),
        sa.Column("responsible", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("responsible_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("responsible_user_id", sa.Uuid(), nullable=True),
        sa.Column("partners", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("scope", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("deadline_precision IN ('day', 'month')", name=op.f("goal_deadline_precision_known_check")),
        sa.CheckConstraint(
            "level IN ('area', 'problema', 'diretriz', 'objetivo', 'acao', 'produto', 'meta')",
            name=op.f("goal_level_known_check"),
        ),
        sa.CheckConstraint(
            "polarity IS NULL OR polarity IN ('higher', 'lower')", name=op.f("goal_polarity_known_check")
        ),
        sa.CheckConstraint(
            "scope IS NULL OR scope IN ('municipal', 'regional', 'estadual', 'nacional')",
            name=op.f("goal_scope_known_check"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instrument.id"], name=op.f("goal_instrument_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["goal.id"], name=op.f("goal_parent_id_fkey"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["responsible_user_id"], ["app_user.id"], name=op.f("goal_responsible_user_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("goal_pkey")),
        sa.UniqueConstraint("instrument_id", "sort_key", name=op.f("goal_instrument_id_sort_key_key")),
    )
    op.create_index("goal_parent_id_idx", "goal", ["parent_id"], unique=False)
    op.create_table(
        "monitoring_round",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('meeting', 'monthly_form', 'quadrimester')", name=op.f("monitoring_round_kind_known_check")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("monitoring_round_created_by_fkey")),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instrument.id"], name=op.f("monitoring_round_instrument_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("monitoring_round_pkey")),
    )
    op.create_index(
        "monitoring_round_instrument_id_held_on_idx", "monitoring_round", ["instrument_id", "held_on"], unique=False
    )
    op.create_table(
        "status_update",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("percent_complete", sa.Float(), nullable=True),
        sa.Column("achieved_value", sa.Float(), nullable=True),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("difficulties", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("expected_delivery", sa.Date(), nullable=True),
        sa.Column("next_steps", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("partial_product", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("responsible", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("supersedes_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('nao_iniciada', 'em_andamento', 'parada', 'concluida', 'atrasada', 'parcialmente_atrasada', 'cancelada')",
            name=op.f("status_update_status_known_check"),
        ),
        sa.CheckConstraint(
            "percent_complete IS NULL OR percent_complete BETWEEN 0 AND 100",
            name=op.f("status_update_percent_range_check"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"], name=op.f("status_update_author_id_fkey")),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("status_update_goal_id_fkey")),
        sa.ForeignKeyConstraint(["instrument_id"], ["instrument.id"], name=op.f("status_update_instrument_id_fkey")),
        sa.ForeignKeyConstraint(["round_id"], ["monitoring_round.id"], name=op.f("status_update_round_id_fkey")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["status_update.id"], name=op.f("status_update_supersedes_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("status_update_pkey")),
    )
    op.create_index(
        "status_update_goal_id_reported_on_id_idx", "status_update", ["goal_id", "reported_on", "id"], unique=False
    )
    op.create_index("status_update_instrument_id_id_idx", "status_update", ["instrument_id", "id"], unique=False)
    op.create_index("status_update_supersedes_id_key", "status_update", ["supersedes_id"], unique=True)
    op.add_column("instrument", sa.Column("goal_structure", sa.String(length=8), server_default="dgmp", nullable=False))
    op.create_check_constraint(
        op.f("instrument_goal_structure_known_check"), "instrument", "goal_structure IN ('dgmp', 'matriz')"
    )
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER status_update_append_only ON status_update")
    op.execute("DROP FUNCTION status_update_is_append_only()")
    op.drop_constraint(op.f("instrument_goal_structure_known_check"), "instrument")
    op.drop_column("instrument", "goal_structure")
    op.drop_index("status_update_supersedes_id_key", table_name="status_update")
    op.drop_index("status_update_instrument_id_id_idx", table_name="status_update")
    op.drop_index("status_update_goal_id_reported_on_id_idx", table_name="status_update")
    op.drop_table("status_update")
    op.drop_index("monitoring_round_instrument_id_held_on_idx", table_name="monitoring_round")
    op.drop_table("monitoring_round")
    op.drop_index("goal_parent_id_idx", table_name="goal")
    op.drop_table("goal")
