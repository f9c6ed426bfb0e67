"""dgmp labels

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:10:33.480661
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("instrument", sa.Column("dgmp_label", sa.String(length=80), nullable=True))


def downgrade() -> None:
    op.drop_column("instrument", "dgmp_label")
