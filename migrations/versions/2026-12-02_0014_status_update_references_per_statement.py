"""status update references per statement: an entry's goal and author checked once per
statement, over all its rows, instead of row by row

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _kept_while_named(
    table: str, what: str, keys: tuple[str, ...], column: str, constraint: str, lock: str = ""
) -> tuple[str, ...]:
    """A trigger refusing to delete a `table` row (`what`), or change its `keys`, while an
    entry's `column` names it (the referenced side of `constraint`), after taking `lock`."""
    function = f"{table}_keeps_its_status_updates"
    same = " AND ".join(f"NEW.{key} = OLD.{key}" for key in keys)
    return (
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {same} THEN
            RETURN NEW;
        END IF;
        {lock}
        IF EXISTS (SELECT FROM status_update WHERE {column} = OLD.id) THEN
            RAISE foreign_key_violation USING CONSTRAINT = '{constraint}',
                MESSAGE = '{what} named by status updates is kept, and so is its key';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END
    $$""",
        f"""CREATE TRIGGER {function} BEFORE DELETE OR UPDATE OF {", ".join(keys)} ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}()""",
    )


# A foreign key checks each row on its own: one lookup, and one lock on the row it names, per
# entry written. An import of 100k entries on 50k metas spent 1.0 s of its 1.4 s COPY in the
# checks of these two references (the same account locked 100k times, each meta twice). These
# triggers keep what the two keys kept, checked once for all of a statement's rows:
# - an entry names a goal of its own instrument, and an account that exists;
# - a goal with entries, or an account that wrote any, is not deleted, nor its key changed.
# Where a key locks each goal its entry names, writing entries locks their instruments (one row
# per import), and changing a goal locks its instrument first: either the goal's change waits for
# the entries' transaction and then sees them, or the entries wait for it and then find the goal
# gone. (The product locks an instrument before writing to its tree or its entries anyway.)
# Each statement is read with a fresh snapshot (READ COMMITTED, as the product runs), after the
# lock. Rounds and corrections keep their keys: an import names neither, and a NULL costs no check.
STATEMENTS = (
    """CREATE FUNCTION status_update_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        instruments uuid[];
        authors uuid[];
    BEGIN
        SELECT array_agg(DISTINCT instrument_id), array_agg(DISTINCT author_id) FILTER (WHERE author_id IS NOT NULL)
            INTO instruments, authors FROM (SELECT DISTINCT instrument_id, author_id FROM written) named;
        PERFORM FROM instrument WHERE id = ANY (instruments) FOR KEY SHARE;
        IF (SELECT count(*) FROM (SELECT FROM app_user WHERE id = ANY (authors) FOR KEY SHARE) found)
                < coalesce(cardinality(authors), 0) THEN
            RAISE foreign_key_violation USING CONSTRAINT = 'status_update_author_id_fkey',
                MESSAGE = 'a status update names an account that does not exist';
        END IF;
        -- Each goal named once, looked up by its key: a join planned on the row estimates of a
        -- just-written tree could be quadratic.
        IF EXISTS (SELECT FROM (SELECT DISTINCT goal_id, instrument_id FROM written) named WHERE NOT EXISTS
                (SELECT FROM goal g WHERE g.id = named.goal_id AND g.instrument_id = named.instrument_id)) THEN
            RAISE foreign_key_violation USING CONSTRAINT = 'status_update_goal_id_instrument_id_fkey',
                MESSAGE = 'a status update names a goal that is not one of its instrument''s';
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER status_update_references_exist AFTER INSERT ON status_update
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION status_update_references_exist()""",
    *_kept_while_named(
        "goal",
        "a goal",
        ("id", "instrument_id"),
        "goal_id",
        "status_update_goal_id_instrument_id_fkey",
        "PERFORM FROM instrument WHERE id = OLD.instrument_id FOR UPDATE;",
    ),
    *_kept_while_named("app_user", "an account", ("id",), "author_id", "status_update_author_id_fkey"),
)


def upgrade() -> None:
    op.drop_constraint("status_update_goal_id_instrument_id_fkey", "status_update", type_="foreignkey")
    op.drop_constraint("status_update_author_id_fkey", "status_update", type_="foreignkey")
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for trigger, table in (
        ("app_user_keeps_its_status_updates", "app_user"),
        ("goal_keeps_its_status_updates", "goal"),
        ("status_update_references_exist", "status_update"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.execute(f"DROP FUNCTION {trigger}()")
    op.create_foreign_key("status_update_author_id_fkey", "status_update", "app_user", ["author_id"], ["id"])
    op.create_foreign_key(
        "status_update_goal_id_instrument_id_fkey",
        "status_update",
        "goal",
        ["goal_id", "instrument_id"],
        ["id", "instrument_id"],
    )
