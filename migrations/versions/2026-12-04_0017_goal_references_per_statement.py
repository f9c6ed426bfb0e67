"""goal references per statement: a goal's instrument and parent checked once per statement,
over all its rows, instead of row by row

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 14:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As migration 0014 did for an entry's references, and for the same reason: a foreign key looks
# up, and locks, what each row names, one row at a time: a COPY of a 50k-meta matrix locked the
# same instrument 50k times and the same hundred parents 500 times each. These triggers keep what
# the two keys kept, checked once for all of a statement's rows (that COPY: 1.35 s with the keys,
# 0.94 s with these, medians of back-to-back runs):
# - a goal names an instrument that exists, and a parent that exists (written by the same
#   statement or before it), both locked against deletion until the transaction ends;
# - a goal moved to another instrument or parent is checked so, alone;
# - deleting an instrument deletes its goals, and deleting a goal deletes the goals under it
#   (ON DELETE CASCADE); neither is rekeyed while a goal names it.
# The concurrent cases hold as they do for migration 0014's triggers: whichever of a deletion
# and a write naming its row locks the row first makes the other wait, then see what it committed
# (each statement reads with a fresh snapshot: READ COMMITTED, as the product runs).
_INSTRUMENT_KEY = "goal_instrument_id_fkey"
_PARENT_KEY = "goal_parent_id_fkey"


def _refuse(key: str, message: str) -> str:
    return f"RAISE foreign_key_violation USING CONSTRAINT = '{key}', MESSAGE = '{message}';"


_MISSING_INSTRUMENT = _refuse(_INSTRUMENT_KEY, "a goal names an instrument that does not exist")
_MISSING_PARENT = _refuse(_PARENT_KEY, "a goal names a parent that does not exist")

STATEMENTS = (
    f"""CREATE FUNCTION goal_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        instruments uuid[];
        parents uuid[];
    BEGIN
        SELECT array_agg(DISTINCT instrument_id), array_agg(DISTINCT parent_id) FILTER (WHERE parent_id IS NOT NULL)
            INTO instruments, parents FROM written;
        IF (SELECT count(*) FROM (SELECT FROM instrument WHERE id = ANY (instruments) FOR KEY SHARE) found)
                < coalesce(cardinality(instruments), 0) THEN
            {_MISSING_INSTRUMENT}
        END IF;
        IF (SELECT count(*) FROM (SELECT FROM goal WHERE id = ANY (parents) FOR KEY SHARE) found)
                < coalesce(cardinality(parents), 0) THEN
            {_MISSING_PARENT}
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER goal_references_exist AFTER INSERT ON goal
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION goal_references_exist()""",
    f"""CREATE FUNCTION goal_moved_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM FROM instrument WHERE id = NEW.instrument_id FOR KEY SHARE;
        IF NOT FOUND THEN
            {_MISSING_INSTRUMENT}
        END IF;
        IF NEW.parent_id IS NOT NULL THEN
            PERFORM FROM goal WHERE id = NEW.parent_id FOR KEY SHARE;
            IF NOT FOUND THEN
                {_MISSING_PARENT}
            END IF;
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER goal_moved_references_exist AFTER UPDATE OF instrument_id, parent_id ON goal FOR EACH ROW
    WHEN (NEW.instrument_id IS DISTINCT FROM OLD.instrument_id OR NEW.parent_id IS DISTINCT FROM OLD.parent_id)
    EXECUTE FUNCTION goal_moved_references_exist()""",
    *(
        statement
        for table, what, column, key in (
            ("instrument", "an instrument", "instrument_id", _INSTRUMENT_KEY),
            ("goal", "a goal", "parent_id", _PARENT_KEY),
        )
        for statement in (
            f"""CREATE FUNCTION {table}_takes_its_goals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM goal WHERE {column} = OLD.id;
        ELSIF EXISTS (SELECT FROM goal WHERE {column} = OLD.id) THEN
            {_refuse(key, f"{what} named by goals keeps its key")}
        END IF;
        RETURN NULL;
    END
    $$""",
            f"""CREATE TRIGGER {table}_takes_its_goals AFTER DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_takes_its_goals()""",
            f"""CREATE TRIGGER {table}_keeps_its_goals AFTER UPDATE OF id ON {table}
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION {table}_takes_its_goals()""",
        )
    ),
)


_TRIGGERS = (
    ("goal_references_exist", "goal"),
    ("goal_moved_references_exist", "goal"),
    ("instrument_takes_its_goals", "instrument"),
    ("instrument_keeps_its_goals", "instrument"),
    ("goal_takes_its_goals", "goal"),
    ("goal_keeps_its_goals", "goal"),
)
_FUNCTIONS = (
    "goal_references_exist",
    "goal_moved_references_exist",
    "instrument_takes_its_goals",
    "goal_takes_its_goals",
)


def upgrade() -> None:
    op.drop_constraint(_INSTRUMENT_KEY, "goal", type_="foreignkey")
    op.drop_constraint(_PARENT_KEY, "goal", type_="foreignkey")
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for trigger, table in _TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    op.create_foreign_key(_INSTRUMENT_KEY, "goal", "instrument", ["instrument_id"], ["id"], ondelete="CASCADE")
    op.create_foreign_key(_PARENT_KEY, "goal", "goal", ["parent_id"], ["id"], ondelete="CASCADE")
