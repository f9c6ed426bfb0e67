"""instrument year tally index: a year's rows in the order the panel counts them by UF, so
PostgreSQL groups them as it reads them instead of hashing 32,500 rows of text keys

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTED = ["year", "uf", "owner_type", "kind", "quadrimester", "status"]


def upgrade() -> None:
    op.create_index(
        "instrument_year_tally_idx",
        "instrument_year",
        _COUNTED,
        postgresql_include=["owner_code", "deadline", "milestone_on"],
    )
    op.drop_index("instrument_year_year_idx", table_name="instrument_year")


def downgrade() -> None:
    op.create_index(
        "instrument_year_year_idx",
        "instrument_year",
        ["year"],
        postgresql_include=["owner_type", "owner_code", "kind", "quadrimester", "uf", "status", "deadline", "milestone_on"],
    )
    op.drop_index("instrument_year_tally_idx", table_name="instrument_year")
