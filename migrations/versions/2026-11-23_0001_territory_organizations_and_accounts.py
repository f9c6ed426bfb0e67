"""territory, organizations and accounts

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:50:24.207440
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "state",
        sa.Column("code", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("state_pkey")),
        sa.UniqueConstraint("uf", name=op.f("state_uf_key")),
    )
    op.create_table(
        "health_region",
        sa.Column("code", sa.CHAR(length=5), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("macro_code", sa.CHAR(length=4), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "code ~ '^[0-9]{5}$'", name=op.f("health_region_code_format_check")
        ),
        sa.ForeignKeyConstraint(
            ["uf"], ["state.uf"], name=op.f("health_region_uf_fkey")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("health_region_pkey")),
    )
    op.create_index(op.f("health_region_uf_idx"), "health_region", ["uf"], unique=False)
    op.create_table(
        "municipality",
        sa.Column("code", sa.CHAR(length=7), nullable=False),
        sa.Column("code6", sa.CHAR(length=6), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("search_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uf"], ["state.uf"], name=op.f("municipality_uf_fkey")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("municipality_pkey")),
        sa.UniqueConstraint("code6", name=op.f("municipality_code6_key")),
    )
    op.create_index(op.f("municipality_uf_idx"), "municipality", ["uf"], unique=False)
    op.create_table(
        "organization",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("acronym", sa.String(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["uf"], ["state.uf"], name=op.f("organization_uf_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("organization_pkey")),
        sa.UniqueConstraint("acronym", name=op.f("organization_acronym_key")),
    )
    op.create_index(op.f("organization_uf_idx"), "organization", ["uf"], unique=False)
    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=True),
        sa.Column("municipality_code", sa.CHAR(length=7), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column(
            "failed_login_window_start", sa.DateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'person' AND email IS NOT NULL) OR (kind = 'service' AND client_id IS NOT NULL)",
            name=op.f("app_user_login_name_check"),
        ),
        sa.CheckConstraint(
            "kind IN ('person', 'service')", name=op.f("app_user_kind_known_check")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'conasems', 'cosems', 'apoiador', 'ses', 'gestor', 'conselho', 'auditor')",
            name=op.f("app_user_role_known_check"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("app_user_municipality_code_fkey"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("app_user_organization_id_fkey"),
        ),
        sa.ForeignKeyConstraint(["uf"], ["state.uf"], name=op.f("app_user_uf_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("app_user_pkey")),
        sa.UniqueConstraint("client_id", name=op.f("app_user_client_id_key")),
        sa.UniqueConstraint("email", name=op.f("app_user_email_key")),
    )
    op.create_table(
        "region_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.CHAR(length=7), nullable=False),
        sa.Column("region_code", sa.CHAR(length=5), nullable=False),
        sa.Column("uf", sa.CHAR(length=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name=op.f("region_membership_valid_period_check"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("region_membership_municipality_code_fkey"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["health_region.code"],
            name=op.f("region_membership_region_code_fkey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("region_membership_pkey")),
    )
    op.create_index(
        "region_membership_current_key",
        "region_membership",
        ["municipality_code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index(
        "region_membership_region_code_valid_to_idx",
        "region_membership",
        ["region_code", "valid_to"],
        unique=False,
    )
    op.create_table(
        "user_region",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.CHAR(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["health_region.code"],
            name=op.f("user_region_region_code_fkey"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("user_region_user_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "region_code", name=op.f("user_region_pkey")
        ),
    )


def downgrade() -> None:
    op.drop_table("user_region")
    op.drop_index(
        "region_membership_region_code_valid_to_idx", table_name="region_membership"
    )
    op.drop_index(
        "region_membership_current_key",
        table_name="region_membership",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_table("region_membership")
    op.drop_table("app_user")
    op.drop_index(op.f("organization_uf_idx"), table_name="organization")
    op.drop_table("organization")
    op.drop_index(op.f("municipality_uf_idx"), table_name="municipality")
    op.drop_table("municipality")
    op.drop_index(op.f("health_region_uf_idx"), table_name="health_region")
    op.drop_table("health_region")
    op.drop_table("state")
