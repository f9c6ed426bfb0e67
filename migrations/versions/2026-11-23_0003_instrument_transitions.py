"""instrument transitions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:41:58.794444
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instrument_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"], name=op.f("instrument_event_actor_id_fkey")),
        sa.ForeignKeyConstraint(
            ["instrument_id"], ["instrument.id"], name=op.f("instrument_event_instrument_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("instrument_event_pkey")),
    )
    op.create_index("instrument_event_instrument_id_id_idx", "instrument_event", ["instrument_id", "id"], unique=False)
    op.add_column("instrument", sa.Column("sent_to_council_on", sa.Date(), nullable=True))
    op.add_column("instrument", sa.Column("approved_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("instrument", "approved_on")
    op.drop_column("instrument", "sent_to_council_on")
    op.drop_index("instrument_event_instrument_id_id_idx", table_name="instrument_event")
    op.drop_table("instrument_event")
