"""Database schema (SQLAlchemy Core), one definition for SQLite and PostgreSQL (DESIGN.md §3).

- ``resource``: the current version of every resource, as the exact JSON bytes served.
- ``resource_version``: every version ever written (history; deletes have no body).
- ``idx_token``: token index rows (identifier, _tag, ...) of current versions, written in the same
  transaction as the resource; the search issue adds the other index tables.
- ``openror_clock``: the single row whose update serialises commit-time stamping (change feed).

Times are integer microseconds since the Unix epoch (UTC) so both databases order them alike.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
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
    # Visibility class of the element the value came from (0 public, 1 restricted,
    # 2 very restricted, 3 sensitive): lets access control restrict criteria (issue 5).
    Column("vis", SmallInteger, nullable=False, default=0),
    Index("ix_token_lookup", "type", "param", "code", "system"),
    Index("ix_token_rid", "rid"),
)

clock = Table(
    "openror_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stamp", BigInteger, nullable=False),
)
