"""instruments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:38:03.509532
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instrument",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("owner_type", sa.String(length=12), nullable=False),
        sa.Column("owner_code", sa.String(length=36), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("municipality_code", sa.CHAR(length=7), nullable=True),
        sa.Column("region_code", sa.CHAR(length=5), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quadrimester", sa.Integer(), nullable=True),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("document_url", sa.String(length=2000), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('PMS', 'PES', 'PAS', 'RDQA', 'RAG', 'PRI', 'PLANO_ACAO')",
            name=op.f("instrument_kind_known_check"),
        ),
        sa.CheckConstraint(
            "owner_type IN ('municipality', 'state', 'region', 'organization')",
            name=op.f("instrument_owner_type_known_check"),
        ),
        sa.CheckConstraint(
            "status IN ('nao_iniciado', 'em_elaboracao', 'em_analise_conselho', 'retornado_ajustes', 'aprovado', 'aprovado_com_ressalvas', 'nao_aprovado', 'avaliado')",
            name=op.f("instrument_status_known_check"),
        ),
        sa.CheckConstraint(
            "quadrimester IS NULL OR quadrimester BETWEEN 1 AND 3", name=op.f("instrument_quadrimester_range_check")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("instrument_created_by_fkey")),
        sa.ForeignKeyConstraint(
            ["municipality_code"], ["municipality.code"], name=op.f("instrument_municipality_code_fkey")
        ),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name=op.f("instrument_organization_id_fkey")),
        sa.ForeignKeyConstraint(["region_code"], ["health_region.code"], name=op.f("instrument_region_code_fkey")),
        sa.ForeignKeyConstraint(["uf"], ["state.uf"], name=op.f("instrument_uf_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("instrument_pkey")),
    )
    op.create_index("instrument_municipality_code_year_idx", "instrument", ["municipality_code", "year"], unique=False)
    op.create_index(
        "instrument_one_per_ente_and_period_key",
        "instrument",
        ["owner_type", "owner_code", "kind", "year", sa.literal_column("coalesce(quadrimester, 0)")],
        unique=True,
    )
    op.create_index("instrument_region_code_idx", "instrument", ["region_code"], unique=False)
    op.create_index("instrument_uf_year_idx", "instrument", ["uf", "year"], unique=False)


def downgrade() -> None:
    op.drop_index("instrument_uf_year_idx", table_name="instrument")
    op.drop_index("instrument_region_code_idx", table_name="instrument")
    op.drop_index("instrument_one_per_ente_and_period_key", table_name="instrument")
    op.drop_index("instrument_municipality_code_year_idx", table_name="instrument")
    op.drop_table("instrument")
