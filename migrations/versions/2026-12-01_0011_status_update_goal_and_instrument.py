"""status update goal and instrument: one reference to the goal and its instrument together

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An entry's instrument is its goal's: one composite reference says so, where two checked
    # each half on its own (and cost a lookup each per row written; the goal's own reference
    # to its instrument still holds).
    op.create_unique_constraint(op.f("goal_id_instrument_id_key"), "goal", ["id", "instrument_id"])
    op.drop_constraint(op.f("status_update_goal_id_fkey"), "status_update", type_="foreignkey")
    op.drop_constraint(op.f("status_update_instrument_id_fkey"), "status_update", type_="foreignkey")
    op.execute(
        "ALTER TABLE status_update ADD CONSTRAINT status_update_goal_id_instrument_id_fkey "
        "FOREIGN KEY (goal_id, instrument_id) REFERENCES goal (id, instrument_id) NOT VALID"
    )
    op.execute("ALTER TABLE status_update VALIDATE CONSTRAINT status_update_goal_id_instrument_id_fkey")


def downgrade() -> None:
    op.drop_constraint(op.f("status_update_goal_id_instrument_id_fkey"), "status_update", type_="foreignkey")
    op.create_foreign_key(op.f("status_update_instrument_id_fkey"), "status_update", "instrument", ["instrument_id"], ["id"])
    op.create_foreign_key(op.f("status_update_goal_id_fkey"), "status_update", "goal", ["goal_id"], ["id"])
    op.drop_constraint(op.f("goal_id_instrument_id_key"), "goal", type_="unique")
