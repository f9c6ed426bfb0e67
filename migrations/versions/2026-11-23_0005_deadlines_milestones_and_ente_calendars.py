"""deadlines, milestones and ente calendars

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:52:50.945299
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ente_calendar",
        sa.Column("owner_type", sa.String(length=12), nullable=False),
        sa.Column("owner_code", sa.String(length=7), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=False),
        sa.Column("ldo_bill_due", sa.CHAR(length=5), nullable=False),
        sa.Column("plan_due", sa.CHAR(length=5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "owner_type IN ('municipality', 'state')", name=op.f("ente_calendar_owner_type_known_check")
        ),
        sa.ForeignKeyConstraint(["uf"], ["state.uf"], name=op.f("ente_calendar_uf_fkey")),
        sa.PrimaryKeyConstraint("owner_type", "owner_code", name=op.f("ente_calendar_pkey")),
    )
    op.add_column("instrument", sa.Column("deadline", sa.Date(), nullable=True))
    op.add_column("instrument", sa.Column("milestone_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("instrument", "milestone_on")
    op.drop_column("instrument", "deadline")
    op.drop_table("ente_calendar")
