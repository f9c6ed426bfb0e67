"""goal own json: each goal's own fields kept written as JSON, for the pages that list them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 12:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields of a goal's body (GoalOut) that are its own columns, in GoalOut's order; the rest
# (labels, status, lateness, version) depend on the day, the entries or the domain's labels and
# are written when read (app.repositories.goals._goal_json). A field GoalOut gains from these
# columns needs a migration that rewrites this list and the rows.
OWN_FIELDS = (
    "id instrument_id parent_id level number description indicator_name indicator_unit polarity baseline_value "
    "baseline_year target_value yearly_targets deadline deadline_precision responsible responsible_user_id partners "
    "scope"
).split()

# extra_float_digits is pinned to PostgreSQL's default: a session that lowered it to 0 or less
# would otherwise keep rounded floats (1/3 as 0.333333333333333) in the rows it writes.
KEPT_CURRENT = (
    f"""CREATE FUNCTION goal_own_json() RETURNS trigger LANGUAGE plpgsql SET extra_float_digits = 1 AS $$
    BEGIN
        NEW.own_json := (SELECT row_to_json(own)::text FROM (SELECT {", ".join(f"NEW.{name}" for name in OWN_FIELDS)}) own);
        RETURN NEW;
    END
    $$""",
    "CREATE TRIGGER goal_own_json BEFORE INSERT OR UPDATE ON goal FOR EACH ROW EXECUTE FUNCTION goal_own_json()",
    # A value derived from its own row is written whoever writes it: also under session_replication_role
    # = replica, which turns the foreign keys' triggers off for a bulk load (the bench's).
    "ALTER TABLE goal ENABLE ALWAYS TRIGGER goal_own_json",
    "UPDATE goal SET own_json = NULL",  # the trigger writes it
    "ALTER TABLE goal ALTER COLUMN own_json SET NOT NULL",
)


def upgrade() -> None:
    op.execute("ALTER TABLE goal ADD COLUMN own_json text")
    for statement in KEPT_CURRENT:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER goal_own_json ON goal")
    op.execute("DROP FUNCTION goal_own_json()")
    op.execute("ALTER TABLE goal DROP COLUMN own_json")
