"""Search index tables (string, date, number, quantity, reference, uri, geo, words) and token text.

Revision ID: 0002
Revises: 0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

TABLES: dict[str, tuple[list[sa.Column[Any]], list[tuple[str, ...]]]] = {
    "idx_string": (
        [sa.Column("norm", sa.String(512), nullable=False), sa.Column("exact", sa.String(512), nullable=False)],
        [("type", "param", "norm")],
    ),
    "idx_date": (
        [sa.Column("lo", sa.BigInteger, nullable=False), sa.Column("hi", sa.BigInteger, nullable=False)],
        [("type", "param", "lo", "hi")],
    ),
    "idx_number": ([sa.Column("value", sa.Float, nullable=False)], [("type", "param", "value")]),
    "idx_quantity": (
        [
            sa.Column("value", sa.Float, nullable=False),
            sa.Column("system", sa.String(512), nullable=True),
            sa.Column("code", sa.String(128), nullable=True),
        ],
        [("type", "param", "value")],
    ),
    "idx_reference": (
        [
            sa.Column("target_type", sa.String(64), nullable=True),
            sa.Column("target_id", sa.String(64), nullable=True),
            sa.Column("url", sa.String(1024), nullable=True),
            sa.Column("ident_system", sa.String(512), nullable=True),
            sa.Column("ident_value", sa.String(512), nullable=True),
        ],
        [("type", "param", "target_type", "target_id"), ("target_type", "target_id")],
    ),
    "idx_uri": ([sa.Column("value", sa.String(1024), nullable=False)], [("type", "param", "value")]),
    "idx_geo": (
        [sa.Column("lat", sa.Float, nullable=False), sa.Column("lon", sa.Float, nullable=False)],
        [("type", "lat", "lon")],
    ),
    "idx_word": ([sa.Column("term", sa.String(64), nullable=False)], [("type", "term")]),
}


def upgrade() -> None:
    with op.batch_alter_table("idx_token") as batch:
        batch.add_column(sa.Column("text", sa.String(512), nullable=True))
    for name, (columns, indexes) in TABLES.items():
        op.create_table(
            name,
            sa.Column("rid", RowId, nullable=False),
            sa.Column("type", sa.String(64), nullable=False),
            sa.Column("param", sa.String(64), nullable=False),
            *columns,
            sa.Column("vis", sa.SmallInteger, nullable=False),
        )
        op.create_index(f"ix_{name}_rid", name, ["rid"])
        for cols in indexes:
            op.create_index(f"ix_{name}_{'_'.join(cols)}", name, list(cols))


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
    with op.batch_alter_table("idx_token") as batch:
        batch.drop_column("text")
