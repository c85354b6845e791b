"""Access control: resource access facts, client registry, supplier perimeters, audit log (issue 5).

Revision ID: 0003
Revises: 0002

Existing rows get ``access = 18`` (profiles 1 and 4 only: fail closed) and every element class
(``classes``: always redact) until ``openror reindex`` recomputes their access facts, classes and
index visibility classes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.add_column(sa.Column("access", sa.Integer, nullable=False, server_default="18"))
        batch.add_column(sa.Column("classes", sa.BigInteger, nullable=False, server_default=str(0xFFFFFFFF)))
    op.create_table(
        "client",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("profile", sa.SmallInteger, nullable=False),
        sa.Column("secret_hash", sa.String(256), nullable=True),
        sa.Column("cert_subject", sa.String(1024), nullable=True),
        sa.Column("cert_san", sa.String(1024), nullable=True),
        sa.Column("cert_thumbprint", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("max_exports", sa.SmallInteger, nullable=False, server_default="2"),
    )
    op.create_table(
        "client_perimeter",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("organization_id", sa.String(64), primary_key=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", RowId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("profile", sa.SmallInteger, nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("interaction", sa.String(32), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("query", sa.String(4096), nullable=True),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("result_count", sa.Integer, nullable=True),
        sa.Column("result_ids", sa.String(4096), nullable=True),
        sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("duration_us", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("ror_headers", sa.String(1024), nullable=True),
        sa.Column("remote", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_at", "audit_log", ["at"])
    op.create_index("ix_audit_client_at", "audit_log", ["client_id", "at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("client_perimeter")
    op.drop_table("client")
    with op.batch_alter_table("resource") as batch:
        batch.drop_column("classes")
        batch.drop_column("access")
