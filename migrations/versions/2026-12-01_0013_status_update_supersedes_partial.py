"""status update supersedes partial: only corrections in the index of what they correct

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 18:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Almost no entry is a correction, and NULLs never conflict: the unique index held a NULL for
    # every other entry (83 MB of 7.8M at national scale) and wrote one for each entry recorded.
    # Every read of it asks for a supersedes_id equal to something, which implies NOT NULL.
    op.drop_index("status_update_supersedes_id_key", table_name="status_update")
    op.create_index(
        "status_update_supersedes_id_key",
        "status_update",
        ["supersedes_id"],
        unique=True,
        postgresql_where="supersedes_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("status_update_supersedes_id_key", table_name="status_update")
    op.create_index("status_update_supersedes_id_key", "status_update", ["supersedes_id"], unique=True)
