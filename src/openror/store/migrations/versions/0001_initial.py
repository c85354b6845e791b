"""Initial schema: resources, versions, token index, commit clock.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "resource",
        sa.Column("rid", RowId, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("last_updated", sa.BigInteger, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("type", "id", name="uq_resource_type_id"),
    )
    op.create_index("ix_resource_type_updated", "resource", ["type", "last_updated"])
    op.create_index("ix_resource_updated", "resource", ["last_updated"])
    op.create_table(
        "resource_version",
        sa.Column("rid", RowId, primary_key=True),
        sa.Column("version_id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("last_updated", sa.BigInteger, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_version_updated", "resource_version", ["last_updated"])
    op.create_index("ix_version_type_updated", "resource_version", ["type", "last_updated"])
    op.create_table(
        "idx_token",
        sa.Column("rid", RowId, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("param", sa.String(64), nullable=False),
        sa.Column("system", sa.String(512), nullable=True),
        sa.Column("code", sa.String(512), nullable=False),
        sa.Column("vis", sa.SmallInteger, nullable=False),
    )
    op.create_index("ix_token_lookup", "idx_token", ["type", "param", "code", "system"])
    op.create_index("ix_token_rid", "idx_token", ["rid"])
    clock = op.create_table(
        "openror_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stamp", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(clock, [{"id": 1, "stamp": 0}])


def downgrade() -> None:
    for table in ("openror_clock", "idx_token", "resource_version", "resource"):
        op.drop_table(table)
