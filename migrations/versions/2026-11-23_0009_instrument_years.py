"""instrument years: which instrument stands for each year an ente's instrument covers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One statement per execute: asyncpg prepares each, and a prepared statement holds one command.
# The view says what instrument_year must hold; the trigger keeps the table equal to it, one
# ente and kind at a time, inside the transaction that writes the instrument.
KEPT_CURRENT = (
    """CREATE VIEW instrument_coverage AS
    SELECT DISTINCT ON (i.owner_type, i.owner_code, i.kind, covered, coalesce(i.quadrimester, 0))
      i.owner_type, i.owner_code, i.kind, covered AS year, coalesce(i.quadrimester, 0) AS quadrimester,
      i.uf, i.status, i.deadline, i.milestone_on
    FROM instrument i CROSS JOIN LATERAL generate_series(i.year, i.end_year) AS covered
    WHERE i.owner_type IN ('state', 'municipality')
    ORDER BY i.owner_type, i.owner_code, i.kind, covered, coalesce(i.quadrimester, 0), i.year""",
    """CREATE FUNCTION instrument_year_rebuild(ente_type text, ente_code text, rebuilt_kind text) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        -- Two writers of one ente's instruments of a kind take turns, so the second rebuild
        -- reads the first one's committed rows instead of colliding with them.
        PERFORM pg_advisory_xact_lock(hashtextextended(ente_type || ':' || ente_code || ':' || rebuilt_kind, 9));
        DELETE FROM instrument_year WHERE owner_type = ente_type AND owner_code = ente_code AND kind = rebuilt_kind;
        INSERT INTO instrument_year
        SELECT * FROM instrument_coverage c
        WHERE c.owner_type = ente_type AND c.owner_code = ente_code AND c.kind = rebuilt_kind;
    END
    $$""",
    """CREATE FUNCTION instrument_year_follows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM instrument_year_rebuild(OLD.owner_type, OLD.owner_code, OLD.kind);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
                AND (NEW.owner_type, NEW.owner_code, NEW.kind) IS DISTINCT FROM (OLD.owner_type, OLD.owner_code, OLD.kind)) THEN
            PERFORM instrument_year_rebuild(NEW.owner_type, NEW.owner_code, NEW.kind);
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER instrument_year_follows AFTER INSERT OR DELETE
    OR UPDATE OF owner_type, owner_code, kind, year, end_year, quadrimester, uf, status, deadline, milestone_on
    ON instrument FOR EACH ROW EXECUTE FUNCTION instrument_year_follows()""",
    "INSERT INTO instrument_year SELECT * FROM instrument_coverage",
)


def upgrade() -> None:
    op.create_table(
        "instrument_year",
        sa.Column("owner_type", sa.String(length=12), nullable=False),
        sa.Column("owner_code", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quadrimester", sa.Integer(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("milestone_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint(
            "owner_type", "owner_code", "kind", "year", "quadrimester", name=op.f("instrument_year_pkey")
        ),
    )
    op.create_index(
        "instrument_year_year_idx",
        "instrument_year",
        ["year"],
        unique=False,
        postgresql_include=["owner_type", "owner_code", "kind", "quadrimester", "uf", "status", "deadline", "milestone_on"],
    )
    for statement in KEPT_CURRENT:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER instrument_year_follows ON instrument")
    op.execute("DROP FUNCTION instrument_year_follows()")
    op.execute("DROP FUNCTION instrument_year_rebuild(text, text, text)")
    op.execute("DROP VIEW instrument_coverage")
    op.drop_index("instrument_year_year_idx", table_name="instrument_year")
    op.drop_table("instrument_year")
