"""audit trail

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:53.856463
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# One statement per execute: asyncpg prepares each, and a prepared statement holds one command.
APPEND_ONLY = (
    """CREATE FUNCTION audit_event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are never updated or deleted';
    END
    $$""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only()""",
    """CREATE TRIGGER audit_event_not_truncated BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=True),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("audit_event_pkey")),
    )
    op.create_index("audit_event_actor_id_idx", "audit_event", ["actor_id"], unique=False)
    op.create_index("audit_event_entity_entity_id_idx", "audit_event", ["entity", "entity_id"], unique=False)
    op.create_index("audit_event_occurred_at_idx", "audit_event", ["occurred_at"], unique=False)
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_event_not_truncated ON audit_event")
    op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION audit_event_is_append_only()")
    op.drop_index("audit_event_occurred_at_idx", table_name="audit_event")
    op.drop_index("audit_event_entity_entity_id_idx", table_name="audit_event")
    op.drop_index("audit_event_actor_id_idx", table_name="audit_event")
    op.drop_table("audit_event")
