"""deliberations and hearings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:45:42.164509
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliberation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("body", sa.String(length=20), nullable=False),
        sa.Column("resolution_number", sa.String(length=60), nullable=False),
        sa.Column("resolution_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "body IN ('conselho_saude', 'cib', 'cir', 'gestor')", name=op.f("deliberation_body_known_check")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instrument.id"], name=op.f("deliberation_instrument_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("deliberation_recorded_by_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("deliberation_pkey")),
    )
    op.create_index("deliberation_instrument_id_idx", "deliberation", ["instrument_id"], unique=False)
    op.create_table(
        "hearing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("house", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes_url", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instrument.id"], name=op.f("hearing_instrument_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("hearing_recorded_by_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("hearing_pkey")),
    )
    op.create_index("hearing_instrument_id_idx", "hearing", ["instrument_id"], unique=False)
    op.add_column("instrument", sa.Column("hearing_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("instrument", "hearing_on")
    op.drop_index("hearing_instrument_id_idx", table_name="hearing")
    op.drop_table("hearing")
    op.drop_index("deliberation_instrument_id_idx", table_name="deliberation")
    op.drop_table("deliberation")
