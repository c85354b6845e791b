"""Database schema (SQLAlchemy Core), one definition for SQLite and PostgreSQL (DESIGN.md §3).

- ``resource``: the current version of every resource, as the exact JSON bytes served.
- ``resource_version``: every version ever written (history; deletes have no body).
- ``idx_token``: token index rows (identifier, _tag, ...) of current versions, written in the same
  transaction as the resource; the search issue adds the other index tables.
- ``openror_clock``: the single row whose update serialises commit-time stamping (change feed).

Times are integer microseconds since the Unix epoch (UTC) so both databases order them alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

RowId = BigInteger().with_variant(Integer, "sqlite")

resource = Table(
    "resource",
    metadata,
    Column("rid", RowId, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("id", String(64), nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("body", LargeBinary, nullable=True),
    UniqueConstraint("type", "id", name="uq_resource_type_id"),
    Index("ix_resource_type_updated", "type", "last_updated"),
    Index("ix_resource_updated", "last_updated"),
)

resource_version = Table(
    "resource_version",
    metadata,
    Column("rid", RowId, primary_key=True),
    Column("version_id", Integer, primary_key=True),
    Column("type", String(64), nullable=False),
    Column("last_updated", BigInteger, nullable=False),
    Column("method", String(8), nullable=False),
    Column("body", LargeBinary, nullable=True),
    Index("ix_version_updated", "last_updated"),
    Index("ix_version_type_updated", "type", "last_updated"),
)

idx_token = Table(
    "idx_token",
    metadata,
    Column("rid", RowId, nullable=False),
    Column("type", String(64), nullable=False),
    Column("param", String(64), nullable=False),
    Column("system", String(512), nullable=True),
    Column("code", String(512), nullable=False),
    Column("text", String(512), nullable=True),
    # Visibility class of the element the value came from (0 public, 1 restricted,
    # 2 very restricted, 3 sensitive): lets access control restrict criteria (issue 5).
    Column("vis", SmallInteger, nullable=False, default=0),
    Index("ix_token_lookup", "type", "param", "code", "system"),
    Index("ix_token_rid", "rid"),
)


def _index_table(name: str, *columns: Column[Any], indexes: tuple[tuple[str, ...], ...]) -> Table:
    """An index table: (rid, type, param, ..., vis), one row per indexed value of a current version."""
    return Table(
        name,
        metadata,
        Column("rid", RowId, nullable=False),
        Column("type", String(64), nullable=False),
        Column("param", String(64), nullable=False),
        *columns,
        Column("vis", SmallInteger, nullable=False, default=0),
        Index(f"ix_{name}_rid", "rid"),
        *(Index(f"ix_{name}_{'_'.join(cols)}", *cols) for cols in indexes),
    )


idx_string = _index_table(
    "idx_string",
    Column("norm", String(512), nullable=False),
    Column("exact", String(512), nullable=False),
    indexes=(("type", "param", "norm"),),
)
idx_date = _index_table(
    "idx_date",
    Column("lo", BigInteger, nullable=False),
    Column("hi", BigInteger, nullable=False),
    indexes=(("type", "param", "lo", "hi"),),
)
idx_number = _index_table("idx_number", Column("value", Float, nullable=False), indexes=(("type", "param", "value"),))
idx_quantity = _index_table(
    "idx_quantity",
    Column("value", Float, nullable=False),
    Column("system", String(512), nullable=True),
    Column("code", String(128), nullable=True),
    indexes=(("type", "param", "value"),),
)
idx_reference = _index_table(
    "idx_reference",
    Column("target_type", String(64), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("url", String(1024), nullable=True),
    Column("ident_system", String(512), nullable=True),
    Column("ident_value", String(512), nullable=True),
    indexes=(("type", "param", "target_type", "target_id"), ("target_type", "target_id")),
)
idx_uri = _index_table("idx_uri", Column("value", String(1024), nullable=False), indexes=(("type", "param", "value"),))
idx_geo = _index_table(
    "idx_geo",
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    indexes=(("type", "lat", "lon"),),
)
idx_word = _index_table("idx_word", Column("term", String(64), nullable=False), indexes=(("type", "term"),))

INDEX_TABLES = (idx_token, idx_string, idx_date, idx_number, idx_quantity, idx_reference, idx_uri, idx_geo, idx_word)

clock = Table(
    "openror_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stamp", BigInteger, nullable=False),
)
